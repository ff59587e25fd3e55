#pragma once

// Small pieces that several units of the token endpoint use: turning store and internal failures
// into OAuth errors, the audience of a request, and scope-list helpers.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/server/oauth_error.h"
#include "signet/server/params.h"
#include "signet/server/tenant.h"
#include "signet/store/error.h"
#include "signet/store/types.h"

namespace signet::server {

// Logs the store's error and answers 503 for a busy store (retry shortly) or 500 for the rest;
// nothing of the store's message reaches the client.
OAuthError store_failure(std::string_view what, const store::StoreError& e);
// Logs `what` and answers 500.
OAuthError internal_failure(std::string_view what);

// `bytes` random bytes as lower-case hex (refresh-token ids and families).
std::string random_id(std::size_t bytes);

bool contains(const std::vector<std::string>& v, std::string_view s);
// True when `app` has `g` among its allowed grant types.
bool allows(const store::Application& app, store::GrantType g);
// 'a b c' for an error description, or (none).
std::string quoted_list(const std::vector<std::string>& v);
// OpenID Connect's scopes, which are about the user rather than an API's permissions.
bool is_oidc_scope(std::string_view s);

// The audience of a token request: Auth0's `audience` or RFC 8707's `resource`; both may be sent
// when they agree.
Result<std::string, OAuthError> requested_audience(const Params& p);
// The API the audience names, or invalid_target with what to do next.
Result<const store::Api*, OAuthError> find_api(const TenantSnapshot& snap,
                                               std::string_view audience);

// Seconds until `c`'s block ends (at least 1), for Retry-After.
std::chrono::seconds retry_after(const store::FailedLoginCounter& c, store::Timestamp now);

}  // namespace signet::server
