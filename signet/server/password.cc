#include "signet/server/password.h"

#include <array>
#include <stdexcept>

#include <argon2.h>

#include "signet/jose/crypto.h"

namespace signet::server {
namespace {

// Bounds for configured parameters: below them argon2id stops being a defence, above them one
// login costs more memory or time than a server should spend on it.
constexpr std::uint32_t kMinArgonMemoryKiB = 8 * 1024;
constexpr std::uint32_t kMaxArgonMemoryKiB = 1024 * 1024;  // 1 GiB
constexpr std::uint32_t kMaxArgonIterations = 64;
constexpr std::uint32_t kMaxArgonParallelism = 16;

}  // namespace

Result<Ok, std::string> validate_argon_params(const ArgonParams& p) {
  if (p.memory_kib < kMinArgonMemoryKiB || p.memory_kib > kMaxArgonMemoryKiB) {
    return fail("argon2id memory must be between " + std::to_string(kMinArgonMemoryKiB) + " and " +
                std::to_string(kMaxArgonMemoryKiB) + " KiB (OWASP: 19456)");
  }
  if (p.iterations < 1 || p.iterations > kMaxArgonIterations) {
    return fail("argon2id iterations must be between 1 and " + std::to_string(kMaxArgonIterations) +
                " (OWASP: 2)");
  }
  if (p.parallelism < 1 || p.parallelism > kMaxArgonParallelism) {
    return fail("argon2id parallelism must be between 1 and " +
                std::to_string(kMaxArgonParallelism) + " (OWASP: 1)");
  }
  return Ok{};
}

Result<Ok, std::string> validate_new_password(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return fail("the password must have at least " + std::to_string(kMinPasswordLength) +
                " characters");
  }
  if (password.size() > kMaxPasswordLength) {
    return fail("the password must have at most " + std::to_string(kMaxPasswordLength) +
                " characters");
  }
  if (password.find('\0') != std::string_view::npos) {
    return fail(std::string("the password must not contain a NUL character"));
  }
  return Ok{};
}

PasswordHasher::PasswordHasher(ArgonParams params) : params_(params) {
  if (auto valid = validate_argon_params(params_); !valid) {
    throw std::invalid_argument(valid.error());
  }
  dummy_hash_ = hash("signet: a password nobody has");
}

std::string PasswordHasher::hash(std::string_view password) const {
  std::array<std::uint8_t, kArgonSaltBytes> salt{};
  jose::random_bytes(salt);
  const std::size_t encoded_len =
      argon2_encodedlen(params_.iterations, params_.memory_kib, params_.parallelism, salt.size(),
                        kArgonHashBytes, Argon2_id);
  std::string encoded(encoded_len, '\0');
  const int rc = argon2id_hash_encoded(params_.iterations, params_.memory_kib, params_.parallelism,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       kArgonHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    throw std::runtime_error(std::string("argon2id failed: ") + argon2_error_message(rc));
  }
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool PasswordHasher::verify(std::string_view password, std::string_view encoded) const {
  if (password.size() > kMaxPasswordLength || !encoded.starts_with("$argon2id$")) {
    return false;
  }
  const std::string encoded_z(encoded);  // libargon2 wants a NUL-terminated string
  verifications_.fetch_add(1, std::memory_order_relaxed);
  return argon2id_verify(encoded_z.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool PasswordHasher::verify_dummy(std::string_view password) const {
  (void)verify(password, dummy_hash_);
  return false;
}

}  // namespace signet::server
