#include "signet/jose/pem.h"

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "signet/jose/openssl_handle.h"

namespace signet::jose {
namespace {

constexpr std::string_view kPemBegin = "-----BEGIN PRIVATE KEY-----\n";
constexpr std::string_view kPemEnd = "-----END PRIVATE KEY-----\n";
constexpr unsigned long kRsaExponent = 65537;  // the only exponent parse_jwk accepts either

// A password callback that refuses: an encrypted PEM must fail, never prompt on the terminal.
int no_password(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

bool pairwise_check(const EvpPkeyPtr& key) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_pairwise_check(ctx.get()) != 1) {
    return clear_openssl_errors();
  }
  return true;
}

Result<Ok, Error> check_rsa(const EvpPkeyPtr& key) {
  if (EVP_PKEY_is_a(key.get(), "RSA") != 1) {
    return fail(Error::kPemKeyTypeMismatch);
  }
  const int bits = EVP_PKEY_get_bits(key.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return fail(Error::kJwkRsaModulusSize);
  }
  BIGNUM* raw_e = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &raw_e) != 1) {
    clear_openssl_errors();
    return fail(Error::kJwkRsaExponent);
  }
  BnPtr e(raw_e);
  if (!BN_is_word(e.get(), kRsaExponent)) {
    return fail(Error::kJwkRsaExponent);
  }
  if (!pairwise_check(key)) {
    return fail(Error::kJwkRsaPrivate);
  }
  return Ok{};
}

Result<Ok, Error> check_ec(const EvpPkeyPtr& key) {
  if (EVP_PKEY_is_a(key.get(), "EC") != 1) {
    return fail(Error::kPemKeyTypeMismatch);
  }
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(key.get(), group, sizeof group, &len) != 1) {
    clear_openssl_errors();
    return fail(Error::kJwkEcCurve);  // explicit curve parameters: no named group
  }
  if (OBJ_txt2nid(group) != NID_X9_62_prime256v1) {
    clear_openssl_errors();
    return fail(Error::kJwkEcCurve);
  }
  if (!pairwise_check(key)) {
    return fail(Error::kJwkEcPrivate);
  }
  return Ok{};
}

Result<Ok, Error> check_okp(const EvpPkeyPtr& key) {
  if (EVP_PKEY_is_a(key.get(), "ED25519") != 1) {
    return fail(Error::kPemKeyTypeMismatch);
  }
  if (!pairwise_check(key)) {
    return fail(Error::kJwkOkpPrivate);
  }
  return Ok{};
}

}  // namespace

Result<std::string, Error> private_key_pem(const Jwk& key) {
  if (!key.pkey || !key.has_private) {
    return fail(Error::kJwkNoPrivateKey);
  }
  // secmem: the BIO's buffer is wiped when it is freed.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key.pkey.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1) {
    clear_openssl_errors();
    return fail(Error::kPemEncode);
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) {
    clear_openssl_errors();
    return fail(Error::kPemEncode);
  }
  return std::string(data, static_cast<std::size_t>(len));
}

Result<Jwk, Error> parse_private_key_pem(std::string_view pem, Algorithm alg, std::string kid) {
  if (pem.size() > kMaxPrivateKeyPemBytes) {
    return fail(Error::kPemMalformed);
  }
  // Exactly one unencrypted PKCS#8 block: the BEGIN line first, the END line last (one trailing
  // newline optional), so no traditional "RSA PRIVATE KEY", no "ENCRYPTED PRIVATE KEY" and
  // nothing smuggled before or after the key.
  std::string_view body = pem;
  if (!body.starts_with(kPemBegin)) {
    return fail(Error::kPemMalformed);
  }
  if (!body.ends_with(kPemEnd) && !body.ends_with(kPemEnd.substr(0, kPemEnd.size() - 1))) {
    return fail(Error::kPemMalformed);
  }
  if (body.find("-----", kPemBegin.size()) != body.rfind("-----END PRIVATE KEY-----")) {
    return fail(Error::kPemMalformed);
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    clear_openssl_errors();
    return fail(Error::kPemMalformed);
  }
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr);
  if (raw == nullptr) {
    clear_openssl_errors();
    return fail(Error::kPemMalformed);
  }
  EvpPkeyPtr pkey = adopt(raw);
  const KeyType kty = key_type_for(alg);
  auto checked = [&]() -> Result<Ok, Error> {
    switch (kty) {
      case KeyType::kRsa:
        return check_rsa(pkey);
      case KeyType::kEc:
        return check_ec(pkey);
      case KeyType::kOkp:
        return check_okp(pkey);
    }
    return fail(Error::kPemKeyTypeMismatch);
  }();
  if (!checked) {
    return fail(checked.error());
  }
  Jwk jwk;
  jwk.kty = kty;
  jwk.kid = std::move(kid);
  jwk.alg = alg;
  jwk.pkey = std::move(pkey);
  jwk.has_private = true;
  if (kty == KeyType::kRsa) {
    jwk.rsa_modulus_bytes = static_cast<std::size_t>(EVP_PKEY_get_size(jwk.pkey.get()));
  }
  jwk.verifiers = PreparedVerifiers::prepare(jwk.pkey, jwk.kty);
  return jwk;
}

}  // namespace signet::jose
