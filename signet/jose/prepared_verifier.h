#pragma once

// Verification contexts prepared once per key. In OpenSSL 3, initialising a signature operation
// looks up providers and algorithms on every call, which costs a sizeable fraction of an RSA-2048
// verification; duplicating a context initialised once skips all of that.

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "signet/jose/algorithm.h"
#include "signet/jose/crypto.h"

namespace signet::jose {

class PreparedVerifiers {
 public:
  // Contexts for every prehash algorithm `key` can verify (RS256 and PS256 for RSA, ES256 for
  // P-256). Null when OpenSSL could not prepare any (callers then use the slow path).
  static std::shared_ptr<const PreparedVerifiers> prepare(const EvpPkeyPtr& key, KeyType kty);

  // Verifies `signature` (DER for ECDSA) over the SHA-256 `digest`. False when it does not verify,
  // or when `alg` was not prepared for this key.
  bool verify(Algorithm alg, const Sha256Digest& digest, std::string_view signature) const;
  bool has(Algorithm alg) const;

 private:
  std::array<EvpPkeyCtxPtr, 4> ctx_;  // indexed by Algorithm; EdDSA stays null (no prehash)
};

// The signing counterpart, for the authorization server's current keys: one context per key and
// algorithm, prepared once and duplicated per signature.
class PreparedSigner {
 public:
  // A signer of `alg` (RS256, PS256 or ES256) with the private `key`; null when `alg` has no
  // prehash form (EdDSA) or OpenSSL could not prepare it (callers then use the slow path).
  static std::shared_ptr<const PreparedSigner> prepare(const EvpPkeyPtr& key, Algorithm alg);

  Algorithm algorithm() const { return alg_; }
  // The signature over the SHA-256 `digest` (DER for ECDSA, as OpenSSL produces it), or empty
  // when signing failed.
  std::string sign(const Sha256Digest& digest) const;

 private:
  Algorithm alg_ = Algorithm::kRS256;
  EvpPkeyCtxPtr ctx_;
};

}  // namespace signet::jose
