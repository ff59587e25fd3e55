#include "signet/jose/prepared_verifier.h"

#include <openssl/rsa.h>

namespace signet::jose {
namespace {

EvpPkeyCtxPtr prepare_one(const EvpPkeyPtr& key, Algorithm alg) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), sha256_md()) != 1) {
    clear_openssl_errors();
    return nullptr;
  }
  bool ok = true;
  if (alg == Algorithm::kRS256) {
    ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1;
  } else if (alg == Algorithm::kPS256) {
    // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
    ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), sha256_md()) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  if (!ok) {
    clear_openssl_errors();
    return nullptr;
  }
  return ctx;
}

}  // namespace

std::shared_ptr<const PreparedVerifiers> PreparedVerifiers::prepare(const EvpPkeyPtr& key,
                                                                    KeyType kty) {
  auto out = std::make_shared<PreparedVerifiers>();
  bool any = false;
  for (const Algorithm alg : {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256}) {
    if (key_type_for(alg) == kty) {
      out->ctx_[static_cast<std::size_t>(alg)] = prepare_one(key, alg);
      any = any || out->ctx_[static_cast<std::size_t>(alg)] != nullptr;
    }
  }
  return any ? out : nullptr;
}

bool PreparedVerifiers::has(Algorithm alg) const {
  return ctx_[static_cast<std::size_t>(alg)] != nullptr;
}

bool PreparedVerifiers::verify(Algorithm alg, const Sha256Digest& digest,
                               std::string_view signature) const {
  const auto& prepared = ctx_[static_cast<std::size_t>(alg)];
  if (!prepared) {
    return false;
  }
  // The prepared context is never used directly, only copied, so threads can share it.
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_dup(prepared.get()));
  if (!ctx || EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                              signature.size(), digest.data(), digest.size()) != 1) {
    return clear_openssl_errors();
  }
  return true;
}

}  // namespace signet::jose
