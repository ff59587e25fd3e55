#pragma once

// Private keys as PKCS#8 PEM (RFC 5958, RFC 7468 "PRIVATE KEY"), the form signet keeps them in at
// rest (encrypted by signet/keys before they reach the store) and the form operators import.

#include <cstddef>
#include <string>
#include <string_view>

#include "signet/common/result.h"
#include "signet/jose/algorithm.h"
#include "signet/jose/error.h"
#include "signet/jose/jwk.h"

namespace signet::jose {

// An RSA-8192 PKCS#8 PEM is about 6.4 KiB; anything much larger is not a key we would accept.
constexpr std::size_t kMaxPrivateKeyPemBytes = std::size_t{16} * 1024;

// The key's private half as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). The returned
// text is secret: the caller encrypts it and then wipes it (OPENSSL_cleanse). kJwkNoPrivateKey for
// a public-only key, kPemEncode when OpenSSL cannot encode it.
Result<std::string, Error> private_key_pem(const Jwk& key);

// Reads exactly one unencrypted PKCS#8 private key PEM and binds it to `alg`, as generate_jwk does:
// kty from the algorithm, alg set, kid as given, prepared verifiers, RSA modulus length.
// Refuses (never prompts for a password): anything but a single "PRIVATE KEY" block
// (kPemMalformed), a key of another type than `alg` needs (kPemKeyTypeMismatch), an RSA modulus
// outside 2048-8192 bits (kJwkRsaModulusSize) or exponent other than 65537 (kJwkRsaExponent), an
// EC curve other than P-256 (kJwkEcCurve), and a key that fails OpenSSL's pairwise check
// (kJwkRsaPrivate, kJwkEcPrivate, kJwkOkpPrivate).
Result<Jwk, Error> parse_private_key_pem(std::string_view pem, Algorithm alg, std::string kid);

}  // namespace signet::jose
