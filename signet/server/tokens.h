#pragma once

// Access and ID tokens as DESIGN.md "Tokens" lays them out, signed with the snapshot's current
// key for the API's algorithm. Issuing writes nothing: access tokens are self-contained.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/jose/jwk.h"
#include "signet/store/types.h"

namespace signet::server {

// bytes of a jti: 64 random bits fixed per process, then a 64-bit counter (unique without
// coordination, and without a CSPRNG call per token).
constexpr std::size_t kJtiRandomBytes = 16;
// Auth0's default ID token lifetime (10 hours).
constexpr auto kDefaultIdTokenLifetime = std::chrono::seconds{36'000};

// The "gty" claim: how the token was obtained.
enum class GrantClaim { kClientCredentials, kPassword, kRefreshToken, kAuthorizationCode };
std::string_view to_string(GrantClaim g);

struct AccessTokenRequest {
  std::string_view issuer;  // with its trailing slash
  const store::Api* api = nullptr;
  std::string_view client_id;
  std::string subject;  // "<client_id>@clients" or the user id
  std::vector<std::string> scopes;
  GrantClaim grant = GrantClaim::kClientCredentials;
  bool userinfo_audience = false;  // add "{issuer}userinfo" to aud (openid was granted)
  store::Timestamp now;
  // RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to, as cnf.jkt; empty for
  // a bearer token.
  std::string_view dpop_jkt{};
};

// The token_type of a token response (RFC 9449 §5): "DPoP" for a token bound to a key, else
// "Bearer".
std::string_view token_type(std::string_view dpop_jkt);

struct IssuedToken {
  std::string token;
  std::string jti;
};

// Signs an access token for `req.api` with `key` (the current key of the API's algorithm).
Result<IssuedToken, std::string> issue_access_token(const AccessTokenRequest& req,
                                                    const jose::Jwk& key);

struct IdTokenRequest {
  std::string_view issuer;
  std::string_view client_id;  // the audience of an ID token
  const store::User* user = nullptr;
  bool email_scope = false;       // email and email_verified claims
  std::string_view access_token;  // for at_hash
  std::chrono::seconds lifetime = kDefaultIdTokenLifetime;
  store::Timestamp now;
  // OIDC Core §3.1.3.6: the nonce of the authentication request, echoed so the client can tell
  // this token answers its own request (no claim when empty).
  std::string_view nonce;
  // OIDC Core §2: when the user last typed a password (no claim when unknown, as after a
  // refresh: the original time is not kept, and a later one would be a lie).
  std::optional<store::Timestamp> auth_time;
};

// Signs an OpenID Connect ID token (Core §2) with `key` (RS256).
Result<std::string, std::string> issue_id_token(const IdTokenRequest& req, const jose::Jwk& key);

// Space-separated scopes (RFC 6749 §3.3), in the given order.
std::string join_scopes(const std::vector<std::string>& scopes);
// Splits a scope parameter on spaces; empty strings between repeated spaces are dropped and
// duplicates removed (order kept).
std::vector<std::string> split_scopes(std::string_view scope);

}  // namespace signet::server
