#pragma once

#include <optional>
#include <string_view>

#include "signet/common/result.h"
#include "signet/jose/error.h"

namespace signet::jose {

// The JWS algorithms signet signs and verifies (RFC 7518 §3, RFC 8037 §3.1).
enum class Algorithm { kRS256, kPS256, kES256, kEdDSA };

enum class KeyType { kRsa, kEc, kOkp };

std::string_view to_string(Algorithm a);
std::string_view to_string(KeyType t);

// Maps a header or JWK "alg" to an Algorithm. "none" in any letter case is kAlgNone, HS256/384/512
// are kAlgHmac (a public key must never be used as an HMAC secret), anything else we do not
// implement is kAlgUnsupported.
Result<Algorithm, Error> parse_algorithm(std::string_view name);

KeyType key_type_for(Algorithm a);

// Exact signature length for fixed-size algorithms; nullopt for RSA (the modulus length).
std::optional<std::size_t> fixed_signature_length(Algorithm a);

}  // namespace signet::jose
