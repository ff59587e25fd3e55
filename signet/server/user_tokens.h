#pragma once

// The tokens of a grant made to a user (password, refresh token, authorization code): the access
// token, and an ID token when openid was granted, as a token response body.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/server/endpoint_request.h"
#include "signet/server/oauth_error.h"
#include "signet/server/tenant.h"
#include "signet/server/tokens.h"

namespace signet::server {

// What the ID token says about the sign-in behind a grant (OIDC Core §2).
struct SignInClaims {
  std::string_view nonce;  // of the authorization request; empty when none was sent
  // When the user's password was checked: the code's auth_time, the password grant's own `now`;
  // none after a refresh, whose original sign-in time is not kept.
  std::optional<store::Timestamp> auth_time;
};

// access_token, token_type, expires_in, scope (when any) and id_token (with openid); an error
// only when signing fails or a key is missing (500, logged). With `dpop_jkt`, the access token
// is bound to that DPoP key (cnf.jkt) and its token_type is DPoP.
Result<boost::json::object, OAuthError> user_tokens(
    const EndpointConfig& config, const TenantSnapshot& snap, const store::Application& client,
    const store::User& user, const store::Api& api, const std::vector<std::string>& scopes,
    GrantClaim grant, store::Timestamp now, const SignInClaims& sign_in,
    std::string_view dpop_jkt = {});

}  // namespace signet::server
