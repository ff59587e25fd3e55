#pragma once

// AES-256-GCM authenticated encryption of small secrets (signing keys' private PEM) under the
// master key.
//
// Blob format (raw bytes, stored as is in the store's opaque column):
//   version (1 byte, 0x01) || key check (8 bytes) || nonce (12 bytes) || ciphertext || tag (16)
// - The nonce is fresh from the CSPRNG for every seal. With 96-bit random nonces the collision
//   risk stays below 2^-32 for 2^32 seals under one key (NIST SP 800-38D §8.3); signet seals a
//   handful of keys per rotation.
// - The key check is HMAC-SHA256(master key, "signet sealed-box key check v1") truncated to 8
//   bytes. It lets open() say "wrong master key" instead of a generic failure (the commonest
//   operator mistake) and reveals nothing about the key beyond a PRF output.
// - The associated data authenticated with the ciphertext is the version byte, the key check and
//   the caller's `aad` (KeyManager passes the algorithm and kid), so a blob moved to another key's
//   row, or any altered byte, fails to open.
// AES-GCM cannot tell a tampered ciphertext from a wrong `aad`; both are kSealedAuthentication.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "signet/common/result.h"
#include "signet/keys/error.h"
#include "signet/keys/master_key.h"

namespace signet::keys {

constexpr std::uint8_t kSealedBoxVersion = 1;
constexpr std::size_t kSealedKeyCheckBytes = 8;  // enough to tell keys apart, not to brute-force
constexpr std::size_t kSealedNonceBytes = 12;    // the GCM nonce size that needs no GHASH step
constexpr std::size_t kSealedTagBytes = 16;      // full-length tag (SP 800-38D §5.2.1.2)
constexpr std::size_t kSealedOverheadBytes =
    1 + kSealedKeyCheckBytes + kSealedNonceBytes + kSealedTagBytes;
constexpr std::size_t kMaxSealedPlaintextBytes =
    std::size_t{64} * 1024;  // far above an RSA-8192 PEM

class SealedBox {
 public:
  explicit SealedBox(const MasterKey& key);

  // Encrypts `plaintext` bound to `aad`. kCrypto when it is larger than kMaxSealedPlaintextBytes
  // or OpenSSL fails.
  Result<std::string, KeyError> seal(std::string_view plaintext, std::string_view aad) const;

  // Decrypts a blob from seal() with the same `aad`. kSealedTruncated when shorter than the
  // overhead, kSealedVersion for an unknown version, kSealedWrongMasterKey when the key check
  // differs, kSealedAuthentication when the tag does not verify. The result is secret: wipe it.
  Result<std::string, KeyError> open(std::string_view blob, std::string_view aad) const;

 private:
  const MasterKey& key_;
  std::string key_check_;
};

}  // namespace signet::keys
