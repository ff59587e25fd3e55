#include "signet/jose/prepared_verifier.h"

#include <openssl/rsa.h>

namespace signet::jose {
namespace {

EvpPkeyCtxPtr prepare_one(const EvpPkeyPtr& key, Algorithm alg, bool sign = false) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || (sign ? EVP_PKEY_sign_init(ctx.get()) : EVP_PKEY_verify_init(ctx.get())) != 1 ||
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

std::shared_ptr<const PreparedSigner> PreparedSigner::prepare(const EvpPkeyPtr& key,
                                                              Algorithm alg) {
  if (alg == Algorithm::kEdDSA || !key) {
    return nullptr;
  }
  auto out = std::make_shared<PreparedSigner>();
  out->alg_ = alg;
  out->ctx_ = prepare_one(key, alg, true);
  return out->ctx_ ? out : nullptr;
}

std::string PreparedSigner::sign(const Sha256Digest& digest) const {
  // Like the verifiers: the prepared context is only ever copied, so threads can share it.
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_dup(ctx_.get()));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) {
    clear_openssl_errors();
    return {};
  }
  std::string sig(len, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, digest.data(),
                    digest.size()) != 1) {
    clear_openssl_errors();
    return {};
  }
  sig.resize(len);
  return sig;
}

}  // namespace signet::jose
