#include "signet/server/credentials.h"

#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"
#include "signet/jose/openssl_handle.h"

namespace signet::server {
namespace {

constexpr std::string_view kHashPrefix = "hs256:";
// Domain separation: this key is only ever used to hash presented secrets.
constexpr std::string_view kHashKeyLabel = "signet secret hash key v1";

std::array<std::uint8_t, 32> hmac_sha256(std::span<const std::uint8_t> key, std::string_view data) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  if (HMAC(jose::sha256_md(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    jose::clear_openssl_errors();
    throw std::runtime_error("HMAC-SHA256 failed");  // no hash, no safe answer: a 500
  }
  return out;
}

}  // namespace

struct MacTemplate {
  jose::EvpMacCtxPtr ctx;
};

std::string generate_secret() {
  std::array<std::uint8_t, kSecretRandomBytes> bytes{};
  jose::random_bytes(bytes);
  return jose::base64url_encode(bytes);
}

std::string generate_client_id() {
  for (;;) {
    std::array<std::uint8_t, kClientIdRandomBytes> bytes{};
    jose::random_bytes(bytes);
    std::string id = jose::base64url_encode(bytes);
    if (id.front() != '-') {
      return id;
    }
  }
}

SecretHasher::SecretHasher(const keys::MasterKey& master_key)
    : SecretHasher(hmac_sha256(master_key.bytes(), kHashKeyLabel)) {}

SecretHasher::SecretHasher(const std::array<std::uint8_t, 32>& key) {
  auto mac = std::make_shared<MacTemplate>();
  const jose::EvpMacPtr hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (hmac) {
    mac->ctx.reset(EVP_MAC_CTX_new(hmac.get()));  // the context keeps its own reference
  }
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (!mac->ctx || EVP_MAC_init(mac->ctx.get(), key.data(), key.size(), params) != 1) {
    jose::clear_openssl_errors();
    throw std::runtime_error("cannot set up HMAC-SHA256");  // start-up only
  }
  mac_ = std::move(mac);
}

SecretHasher SecretHasher::from_key(const std::array<std::uint8_t, 32>& key) {
  return SecretHasher(key);
}

std::array<std::uint8_t, 32> SecretHasher::mac(std::string_view prefix,
                                               std::string_view data) const {
  std::array<std::uint8_t, 32> out{};
  std::size_t len = 0;
  jose::EvpMacCtxPtr ctx(EVP_MAC_CTX_dup(mac_->ctx.get()));
  if (!ctx ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(prefix.data()),
                     prefix.size()) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    jose::clear_openssl_errors();
    throw std::runtime_error("HMAC-SHA256 failed");  // no hash, no safe answer: a 500
  }
  return out;
}

std::string SecretHasher::hash(std::string_view secret) const {
  return std::string(kHashPrefix) + jose::to_hex(mac("", secret));
}

std::array<std::uint8_t, 32> SecretHasher::derive_key(std::string_view label,
                                                      std::string_view secret) const {
  // The label ends in a NUL, which no label contains, so (label, secret) pairs cannot collide;
  // and no stored hash (an HMAC of the secret alone) equals a derived key.
  std::string prefix(label);
  prefix.push_back('\0');
  return mac(prefix, secret);
}

bool SecretHasher::matches(std::string_view secret, std::string_view stored) const {
  if (secret.empty() || secret.size() > kMaxPresentedSecretLength ||
      !stored.starts_with(kHashPrefix)) {
    return false;
  }
  return jose::constant_time_equal(hash(secret), stored);
}

}  // namespace signet::server
