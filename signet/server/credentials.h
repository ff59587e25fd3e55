#pragma once

// Client secrets and refresh tokens: generated here, stored only as a keyed hash.
//
// Both are 256 bits from the CSPRNG, so a fast keyed hash (HMAC-SHA256) is the right tool: a slow
// password hash defends guessable secrets, and nothing of 256 random bits is guessable. The key
// is derived from the master key, so a stolen database alone cannot even confirm a guess.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "signet/keys/master_key.h"

namespace signet::server {

constexpr std::size_t kSecretRandomBytes = 32;  // 256 bits: brute force is out of reach
// Characters of a generated secret: 32 bytes as unpadded base64url.
constexpr std::size_t kSecretTextLength = 43;
constexpr std::size_t kClientIdRandomBytes = 16;  // 128 bits: client ids are public but unique
// Longest secret or token text we hash; anything longer cannot be ours and is refused unhashed.
constexpr std::size_t kMaxPresentedSecretLength = 512;

// A fresh secret (client secret or refresh token): 43 base64url characters.
std::string generate_secret();
// A fresh client_id: 22 base64url characters that never start with '-' (so it is safe to type
// as a command-line argument).
std::string generate_client_id();

struct MacTemplate;

// Hashes secrets under a key derived from the master key. Cheap to copy; thread-safe.
class SecretHasher {
 public:
  // Derives the hashing key from the master key (HMAC-SHA256 with a fixed label), so it changes
  // whenever the master key does and never equals it.
  explicit SecretHasher(const keys::MasterKey& master_key);
  // For tests: a hasher whose key is exactly `key`.
  static SecretHasher from_key(const std::array<std::uint8_t, 32>& key);

  // The stored form: "hs256:" and the lower-case hex HMAC-SHA256 of `secret`.
  std::string hash(std::string_view secret) const;
  // True when `secret` hashes to `stored`; compares in constant time. False for an empty or
  // over-long secret or a stored value of another form.
  bool matches(std::string_view secret, std::string_view stored) const;

  // A 256-bit key derived from `secret` under the hashing key, for `label`'s purpose only: it
  // takes both the master key and the secret to compute, and no hash() output equals it.
  std::array<std::uint8_t, 32> derive_key(std::string_view label, std::string_view secret) const;

 private:
  std::array<std::uint8_t, 32> mac(std::string_view prefix, std::string_view data) const;
  explicit SecretHasher(const std::array<std::uint8_t, 32>& key);
  // An HMAC-SHA256 context keyed once and duplicated per hash: OpenSSL 3's one-shot HMAC()
  // looks the algorithm up on every call, which cost more than the hash itself.
  std::shared_ptr<const MacTemplate> mac_;
};

}  // namespace signet::server
