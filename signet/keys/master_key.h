#pragma once

// The 32-byte master key that encrypts signing keys at rest (see sealed_box.h).
//
// Where it comes from, in order: the SIGNET_MASTER_KEY environment variable (64 hex digits or 43
// base64url characters), else <data_dir>/master.key, created on first start with 32 random bytes
// as base64url text and mode 0600. A key file that group or others can read is refused rather than
// used: whoever can read it can decrypt every signing key in the database.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "signet/common/result.h"
#include "signet/keys/error.h"

namespace signet::keys {

constexpr std::size_t kMasterKeyBytes = 32;  // AES-256
constexpr std::string_view kMasterKeyEnvVar = "SIGNET_MASTER_KEY";
constexpr std::string_view kMasterKeyFileName = "master.key";
constexpr std::size_t kMaxMasterKeyFileBytes = 256;  // 43 characters and a newline; more is wrong

// Owns the key bytes and wipes them when destroyed or moved from. Move-only, so the key is never
// silently duplicated.
class MasterKey {
 public:
  // `env_value` is SIGNET_MASTER_KEY's value (nullopt when unset), passed in so tests never touch
  // the process environment. Errors name the variable or the file and what to do about it.
  static Result<MasterKey, KeyError> load(const std::optional<std::string>& env_value,
                                          const std::filesystem::path& data_dir);
  // 32 bytes as 64 hex digits (either case) or 43 base64url characters; kMasterKeyMalformed else.
  static Result<MasterKey, KeyError> parse(std::string_view text);
  static MasterKey from_bytes(std::span<const std::uint8_t, kMasterKeyBytes> bytes);
  static MasterKey generate();

  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;
  MasterKey(MasterKey&& other) noexcept;
  MasterKey& operator=(MasterKey&& other) noexcept;
  ~MasterKey();

  std::span<const std::uint8_t, kMasterKeyBytes> bytes() const { return bytes_; }

 private:
  MasterKey() = default;
  std::array<std::uint8_t, kMasterKeyBytes> bytes_{};
};

}  // namespace signet::keys
