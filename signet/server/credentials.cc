#include "signet/server/credentials.h"

#include <stdexcept>

#include <openssl/hmac.h>

#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"

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
    : key_(hmac_sha256(master_key.bytes(), kHashKeyLabel)) {}

SecretHasher SecretHasher::from_key(const std::array<std::uint8_t, 32>& key) {
  SecretHasher h;
  h.key_ = key;
  return h;
}

std::string SecretHasher::hash(std::string_view secret) const {
  return std::string(kHashPrefix) + jose::to_hex(hmac_sha256(key_, secret));
}

bool SecretHasher::matches(std::string_view secret, std::string_view stored) const {
  if (secret.empty() || secret.size() > kMaxPresentedSecretLength ||
      !stored.starts_with(kHashPrefix)) {
    return false;
  }
  return jose::constant_time_equal(hash(secret), stored);
}

}  // namespace signet::server
