#pragma once

// Small pieces that several units of the token endpoint use: turning store and internal failures
// into OAuth errors, the audience of a request, scope-list helpers, and request values quoted back
// in error descriptions.

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

// bytes of a request value quoted back in an error description: enough to recognise it, and an
// error cannot be used to make the server send back what the client sent, or grow a log line.
constexpr std::size_t kMaxEchoedValue = 256;
// bytes of a refused scope quoted back: scope names are short.
constexpr std::size_t kMaxEchoedScope = 128;
// Retry-After when the database cannot be reached: a database restart or a failover takes
// seconds, and clients that all come back at once would only find it still starting.
constexpr std::chrono::seconds kStoreUnavailableRetryAfter{5};

// A request value for the prose of an error description: at most `max` bytes (cut at a UTF-8
// character boundary, then "..."), each control character replaced with '?'. Descriptions go into
// JSON bodies and WWW-Authenticate headers, so they stay one printable line.
std::string echoed(std::string_view value, std::size_t max = kMaxEchoedValue);
// A request value as one word of a shell command that a description suggests (shell_quote(), so
// pasted into a POSIX shell it is exactly that value, whatever quotes, $(...) or backquotes it
// holds), or `placeholder` (e.g. AUDIENCE) when it cannot be pasted as it is: longer than
// kMaxEchoedValue, empty, or holding a control character.
std::string command_word(std::string_view value, std::string_view placeholder);

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
