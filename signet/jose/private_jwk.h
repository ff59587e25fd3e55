#pragma once

// A key pair as a private JWK (RFC 7517 §4, RFC 7518 §6.2.2 and §6.3.2, RFC 8037 §2), for a key
// that a user keeps in a file of their own (the DPoP key of `signet token --dpop`). signet's
// signing keys are never kept this way: they are PKCS#8 PEM, encrypted at rest (pem.h).

#include <optional>

#include <boost/json/object.hpp>

#include "signet/jose/jwk.h"

namespace signet::jose {

// The public members of to_public_json(key) plus the private ones: "d" for EC (32 bytes) and OKP
// (32 bytes); "d", "p", "q", "dp", "dq", "qi" for RSA. parse_jwk reads it back into the same key
// pair. The object is a secret: write it only to a file that is the user's alone, and never log
// it. nullopt when `key` has no private half, or when OpenSSL cannot export it.
std::optional<boost::json::object> to_private_json(const Jwk& key);

}  // namespace signet::jose
