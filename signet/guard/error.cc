#include "signet/guard/error.h"

namespace signet::guard {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::kNoCredentials:
      return "no access token was sent";
    case Error::kMalformedHeader:
      return "the Authorization header must be: Bearer <token> or DPoP <token>";
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
    case Error::kCnfWrongType:
      return "the cnf claim must be an object whose jkt is a string";
    case Error::kDpopRequired:
      return "this API accepts only DPoP: send Authorization: DPoP <token> with a DPoP proof";
    case Error::kBoundTokenAsBearer:
      return "this token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof";
    case Error::kUnboundTokenAsDpop:
      return "this token is not DPoP-bound (it has no cnf.jkt): send it as Authorization: Bearer";
    case Error::kDpopProof:
      return "invalid DPoP proof";
  }
  return "unknown error";
}

std::string Failure::description() const {
  if (!detail.empty()) {
    return detail;
  }
  if (code == Error::kDpopProof && proof) {
    return proof->description();
  }
  return std::string(code == Error::kToken ? jose::to_string(jose) : to_string(code));
}

std::string echo_claim(std::string_view value) {
  std::string out;
  const std::string_view shown = value.substr(0, kMaxEchoedClaimBytes);
  out.reserve(shown.size() + 3);
  for (const char c : shown) {
    const bool printable = c >= 0x20 && c <= 0x7e;
    out.push_back(printable && c != '"' && c != '\'' && c != '\\' ? c : '?');
  }
  if (value.size() > shown.size()) {
    out += "...";
  }
  return out;
}

std::string issuer_mismatch(std::string_view token_issuer, std::string_view expected) {
  std::string out = "token issuer '" + echo_claim(token_issuer) + "' is not the expected '" +
                    echo_claim(expected) + "'";
  const auto without_slash = [](std::string_view s) {
    return !s.empty() && s.back() == '/' ? s.substr(0, s.size() - 1) : s;
  };
  if (without_slash(token_issuer) == without_slash(expected)) {
    out += " (note the trailing slash)";
  }
  return out;
}

std::string audience_mismatch(std::span<const std::string_view> token_audiences,
                              std::span<const std::string> expected) {
  const auto list = [](auto values) {
    std::string out;
    std::size_t shown = 0;
    for (const auto& v : values) {
      if (shown == kMaxEchoedClaimValues) {
        out += ", and " + std::to_string(values.size() - shown) + " more";
        break;
      }
      out += (shown++ == 0 ? "'" : ", '") + echo_claim(v) + "'";
    }
    return out;
  };
  return "token audience [" + list(token_audiences) + "] does not include " +
         (expected.size() == 1 ? "the expected " : "any of the expected ") + list(expected);
}

}  // namespace signet::guard
