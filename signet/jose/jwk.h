#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/jose/algorithm.h"
#include "signet/jose/crypto.h"
#include "signet/jose/error.h"
#include "signet/jose/prepared_verifier.h"

namespace signet::jose {

constexpr int kMinRsaBits = 2048;  // NIST SP 800-57: below 2048 bits is no longer acceptable
constexpr int kMaxRsaBits =
    8192;  // bounds the cost an attacker-supplied JWKS can impose per verify
constexpr std::size_t kMaxJwksKeys = 100;  // a JWKS with more keys than this is refused outright

// One signing key, public and optionally private. Immutable; cheap to copy (the OpenSSL key is
// shared).
struct Jwk {
  KeyType kty = KeyType::kRsa;
  std::string kid;               // empty when the JWK has none
  std::optional<Algorithm> alg;  // when set, the key verifies this algorithm only
  EvpPkeyPtr pkey;
  bool has_private = false;
  std::size_t rsa_modulus_bytes = 0;                   // RSA only: the exact signature length
  std::shared_ptr<const PreparedVerifiers> verifiers;  // fast verification; may be null
  // Fast signing with a private key, set by whoever signs many tokens with it; may be null.
  std::shared_ptr<const PreparedSigner> signer;

  // True when a token whose header says `a` may be verified with this key: the key's own alg if
  // it has one, otherwise any algorithm of the key's type.
  bool accepts(Algorithm a) const;
};

// Parses one JWK. RSA: n and e (e must be 65537, n 2048-8192 bits; with d, p, q, dp, dq, qi
// for a private key). EC: crv P-256, x and y of 32 bytes on the curve (with d for private).
// OKP: crv Ed25519, x of 32 bytes (with d for private). "use", when present, must be "sig".
Result<Jwk, Error> parse_jwk(const boost::json::object& jwk);
Result<Jwk, Error> parse_jwk(std::string_view json);

struct SkippedKey {
  std::string kid;
  Error reason;
};
struct Jwks {
  std::vector<Jwk> keys;
  // Keys we could not use (RFC 7517 §5: implementations SHOULD ignore JWKs they do not
  // understand), with the reason, so operators can see why a kid is missing.
  std::vector<SkippedKey> skipped;

  const Jwk* find(std::string_view kid) const;
};
Result<Jwks, Error> parse_jwks(std::string_view json);

// The public JWK: kty, kid, use "sig", alg, and n/e or crv/x/y or crv/x. Never private members.
boost::json::object to_public_json(const Jwk& key);
boost::json::object to_public_jwks(const std::vector<Jwk>& keys);

// RFC 7638 JWK SHA-256 thumbprint, base64url without padding: over the key type's required
// public members only (RSA e, kty, n; EC crv, kty, x, y; OKP crv, kty, x), so kid, alg, use and
// any private part never change it.
std::string thumbprint(const Jwk& key);

// A fresh key pair for `alg` (RSA 2048 bits, P-256 or Ed25519) with the given kid.
Result<Jwk, Error> generate_jwk(Algorithm alg, std::string kid);

}  // namespace signet::jose
