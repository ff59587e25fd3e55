#include "signet/guard/error.h"

namespace signet::guard {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::kNoCredentials:
      return "no access token was sent";
    case Error::kMalformedHeader:
      return "the Authorization header must be: Bearer <token>";
    case Error::kMultipleTokens:
      return "send the access token by exactly one method, once";
    case Error::kQueryToken:
      return "access tokens in the query string are not accepted; use the Authorization header";
    case Error::kToken:
      return "invalid token";
    case Error::kTypNotAllowed:
      return "the token typ is not accepted";
    case Error::kKidMissing:
      return "the token has no kid";
    case Error::kKidUnknown:
      return "no published signing key matches the token kid";
    case Error::kKeysPending:
      return "the issuer signing keys are being fetched";
    case Error::kKeysUnavailable:
      return "the issuer signing keys are unavailable";
    case Error::kIssMissing:
      return "the token has no iss claim";
    case Error::kIssNotString:
      return "the iss claim must be a string";
    case Error::kIssMismatch:
      return "the token was issued by another issuer";
    case Error::kAudMissing:
      return "the token has no aud claim";
    case Error::kAudWrongType:
      return "the aud claim must be a string or an array of strings";
    case Error::kAudMismatch:
      return "the token is not meant for this audience";
    case Error::kScopeWrongType:
      return "the scope claim must be a string";
    case Error::kPermissionsWrongType:
      return "the permissions claim must be an array of strings";
    case Error::kInsufficientScope:
      return "the token lacks a required scope";
  }
  return "unknown error";
}

std::string_view Failure::description() const {
  return code == Error::kToken ? jose::to_string(jose) : to_string(code);
}

}  // namespace signet::guard
