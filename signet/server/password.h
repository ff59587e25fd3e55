#pragma once

// User passwords as argon2id (RFC 9106), in the PHC string format that libargon2 reads back, so
// a hash carries its own parameters and stays verifiable after the defaults change.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "signet/common/result.h"

namespace signet::server {

// OWASP Password Storage Cheat Sheet, argon2id's first recommended configuration.
constexpr std::uint32_t kDefaultArgonMemoryKiB = 19 * 1024;  // 19 MiB
constexpr std::uint32_t kDefaultArgonIterations = 2;
constexpr std::uint32_t kDefaultArgonParallelism = 1;
constexpr std::size_t kArgonSaltBytes = 16;  // RFC 9106's recommendation
constexpr std::size_t kArgonHashBytes = 32;
// bytes; longer input is refused before hashing so it cannot be used to waste our time, and no
// pass phrase anyone types is longer.
constexpr std::size_t kMaxPasswordLength = 1024;
constexpr std::size_t kMinPasswordLength = 8;  // NIST SP 800-63B's minimum for chosen passwords

struct ArgonParams {
  std::uint32_t memory_kib = kDefaultArgonMemoryKiB;
  std::uint32_t iterations = kDefaultArgonIterations;
  std::uint32_t parallelism = kDefaultArgonParallelism;
};

// Why a parameter set or a new password is refused, as a sentence for the operator.
Result<Ok, std::string> validate_argon_params(const ArgonParams& params);
Result<Ok, std::string> validate_new_password(std::string_view password);

class PasswordHasher {
 public:
  // Throws std::invalid_argument for parameters validate_argon_params refuses (start-up only).
  explicit PasswordHasher(ArgonParams params = {});

  const ArgonParams& params() const { return params_; }

  // The PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash" for a fresh random salt. Throws
  // std::runtime_error if libargon2 fails (out of memory).
  std::string hash(std::string_view password) const;
  // True when `password` matches `encoded` (an argon2id PHC string); false for a mismatch, an
  // over-long password, or a hash that is malformed, not argon2id, or asks for more memory, time
  // or lanes than validate_argon_params allows (it is refused without hashing). The hashes are
  // compared in constant time.
  bool verify(std::string_view password, std::string_view encoded) const;
  // Does exactly the work of verify() against a hash made at construction (none for an over-long
  // password, one argon2id run otherwise), and returns false: the password grant calls it for an
  // unknown user so that "no such user" takes as long as "wrong password", and response times do
  // not reveal which emails exist.
  bool verify_dummy(std::string_view password) const;

  // argon2id verifications run so far (verify and verify_dummy), so that tests can tell which
  // requests did the expensive work.
  std::uint64_t verifications() const { return verifications_.load(std::memory_order_relaxed); }

 private:
  ArgonParams params_;
  std::string dummy_hash_;
  mutable std::atomic<std::uint64_t> verifications_{0};
};

}  // namespace signet::server
