#include "signet/jose/algorithm.h"

#include <algorithm>
#include <cctype>

#include "signet/common/ascii.h"

namespace signet::jose {

std::string_view to_string(Algorithm a) {
  switch (a) {
    case Algorithm::kRS256:
      return "RS256";
    case Algorithm::kPS256:
      return "PS256";
    case Algorithm::kES256:
      return "ES256";
    case Algorithm::kEdDSA:
      return "EdDSA";
  }
  return "?";
}

std::string_view to_string(KeyType t) {
  switch (t) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEc:
      return "EC";
    case KeyType::kOkp:
      return "OKP";
  }
  return "?";
}

Result<Algorithm, Error> parse_algorithm(std::string_view name) {
  // Algorithm names are case-sensitive (RFC 7515 §4.1.1); only exact spellings are accepted.
  if (name == "RS256") {
    return Algorithm::kRS256;
  }
  if (name == "PS256") {
    return Algorithm::kPS256;
  }
  if (name == "ES256") {
    return Algorithm::kES256;
  }
  if (name == "EdDSA") {
    return Algorithm::kEdDSA;
  }
  // Named explicitly so logs and tests can tell the classic attacks apart from a typo.
  if (iequals(name, "none")) {
    return fail(Error::kAlgNone);
  }
  if (iequals(name, "HS256") || iequals(name, "HS384") || iequals(name, "HS512")) {
    return fail(Error::kAlgHmac);
  }
  return fail(Error::kAlgUnsupported);
}

KeyType key_type_for(Algorithm a) {
  switch (a) {
    case Algorithm::kRS256:
    case Algorithm::kPS256:
      return KeyType::kRsa;
    case Algorithm::kES256:
      return KeyType::kEc;
    case Algorithm::kEdDSA:
      return KeyType::kOkp;
  }
  return KeyType::kRsa;
}

std::optional<std::size_t> fixed_signature_length(Algorithm a) {
  switch (a) {
    case Algorithm::kES256:
      return 64;  // R || S, 32 bytes each (RFC 7518 §3.4)
    case Algorithm::kEdDSA:
      return 64;  // RFC 8032 §5.1.6
    default:
      return std::nullopt;
  }
}

}  // namespace signet::jose
