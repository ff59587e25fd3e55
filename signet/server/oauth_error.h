#pragma once

// The errors of the token, revocation and introspection endpoints (RFC 6749 §5.2, RFC 7009
// §2.2.1, RFC 8707 §2, RFC 9449 §5 and §8, and Auth0's access_denied and too_many_attempts),
// each with the HTTP status DESIGN.md gives it.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace signet::server {

enum class OAuthErrorCode {
  kInvalidRequest,          // 400: a parameter is missing, repeated, malformed or unsupported
  kInvalidClient,           // 401: the client is unknown or its authentication failed
  kInvalidGrant,            // 400: bad user credentials, an unknown/expired/reused refresh token
                            // or authorization code, a code's redirect_uri or PKCE mismatch
  kUnauthorizedClient,      // 400: the grant type is not enabled for this client
  kUnsupportedGrantType,    // 400: a grant type signet does not implement
  kInvalidScope,            // 400: a scope beyond what the client or token may have
  kInvalidTarget,           // 400: the audience/resource names no API
  kAccessDenied,            // 403: no client grant for the API
  kTooManyAttempts,         // 429: blocked after repeated failures, with Retry-After
  kUnsupportedTokenType,    // 400: revocation of a token type signet cannot revoke
  kServerError,             // 500: the store or the crypto failed; nothing secret is said
  kTemporarilyUnavailable,  // 503: the store is busy; retry
  kInvalidDpopProof,        // 400: the DPoP proof breaks a rule, or DPoP is required and absent
  kUseDpopNonce,            // 400: the proof lacks the server's current nonce (DPoP-Nonce header)
};
// The number of OAuthErrorCode values, for counters indexed by code.
constexpr std::size_t kOAuthErrorCodes =
    static_cast<std::size_t>(OAuthErrorCode::kUseDpopNonce) + 1;

std::string_view to_string(OAuthErrorCode code);  // the RFC's error value, e.g. "invalid_grant"
int http_status(OAuthErrorCode code);

struct OAuthError {
  OAuthErrorCode code = OAuthErrorCode::kInvalidRequest;
  std::string description;  // what went wrong and what to do next; never a secret
  // With kInvalidClient: the client tried HTTP Basic, so the 401 carries WWW-Authenticate: Basic.
  bool basic_challenge = false;
  std::optional<std::chrono::seconds> retry_after;  // with kTooManyAttempts and 503s
};

inline OAuthError oauth_error(OAuthErrorCode code, std::string description) {
  return OAuthError{code, std::move(description), false, std::nullopt};
}

}  // namespace signet::server
