#include "signet/server/oauth_error.h"

namespace signet::server {

std::string_view to_string(OAuthErrorCode code) {
  switch (code) {
    case OAuthErrorCode::kInvalidRequest:
      return "invalid_request";
    case OAuthErrorCode::kInvalidClient:
      return "invalid_client";
    case OAuthErrorCode::kInvalidGrant:
      return "invalid_grant";
    case OAuthErrorCode::kUnauthorizedClient:
      return "unauthorized_client";
    case OAuthErrorCode::kUnsupportedGrantType:
      return "unsupported_grant_type";
    case OAuthErrorCode::kInvalidScope:
      return "invalid_scope";
    case OAuthErrorCode::kInvalidTarget:
      return "invalid_target";
    case OAuthErrorCode::kAccessDenied:
      return "access_denied";
    case OAuthErrorCode::kTooManyAttempts:
      return "too_many_attempts";
    case OAuthErrorCode::kUnsupportedTokenType:
      return "unsupported_token_type";
    case OAuthErrorCode::kServerError:
      return "server_error";
    case OAuthErrorCode::kTemporarilyUnavailable:
      return "temporarily_unavailable";
    case OAuthErrorCode::kInvalidDpopProof:
      return "invalid_dpop_proof";
    case OAuthErrorCode::kUseDpopNonce:
      return "use_dpop_nonce";
  }
  return "server_error";
}

int http_status(OAuthErrorCode code) {
  switch (code) {
    case OAuthErrorCode::kInvalidClient:
      return 401;
    case OAuthErrorCode::kAccessDenied:
      return 403;
    case OAuthErrorCode::kTooManyAttempts:
      return 429;
    case OAuthErrorCode::kServerError:
      return 500;
    case OAuthErrorCode::kTemporarilyUnavailable:
      return 503;
    default:
      return 400;
  }
}

}  // namespace signet::server
