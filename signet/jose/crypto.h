#pragma once

// Thin RAII wrappers over OpenSSL 3's EVP objects and the few primitives the rest of signet
// needs. Every failure path clears OpenSSL's thread-local error queue so that a failure on
// one token can never be misattributed to the next.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "signet/jose/openssl_handle.h"

namespace signet::jose {

// Keys are immutable after creation and OpenSSL allows concurrent use of a const EVP_PKEY,
// so they are shared between threads and caches.
using EvpPkeyPtr = std::shared_ptr<EVP_PKEY>;

inline EvpPkeyPtr adopt(EVP_PKEY* p) {
  return EvpPkeyPtr(p, OpensslFree<EVP_PKEY_free>{});
}

// Drops whatever OpenSSL queued on this thread; returns false for use in failure paths.
bool clear_openssl_errors();

using Sha256Digest = std::array<std::uint8_t, 32>;
Sha256Digest sha256(std::string_view data);

// The SHA-256 message digest, fetched once per process (fetching per call is slow in OpenSSL 3).
const EVP_MD* sha256_md();

// Cryptographically secure random bytes; throws std::runtime_error if the CSPRNG fails (which
// means the process cannot safely issue anything).
void random_bytes(std::span<std::uint8_t> out);

// Compares in time that depends only on the lengths, never on where the contents differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// Lower-case hex of bytes.
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace signet::jose
