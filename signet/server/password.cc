#include "signet/server/password.h"

#include <sys/mman.h>

#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>

#include <argon2.h>

#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"

namespace signet::server {
namespace {

// Bounds for configured parameters: below them argon2id stops being a defence, above them one
// login costs more memory or time than a server should spend on it.
constexpr std::uint32_t kMinArgonMemoryKiB = 8 * 1024;
constexpr std::uint32_t kMaxArgonMemoryKiB = 1024 * 1024;  // 1 GiB
constexpr std::uint32_t kMaxArgonIterations = 64;
constexpr std::uint32_t kMaxArgonParallelism = 16;

// What a stored hash may ask for beyond the configurable bounds: libargon2's own minimums, and
// the salt and output sizes any PHC string made by libargon2 or signet has.
constexpr std::size_t kMinSaltBytes = ARGON2_MIN_SALT_LENGTH;  // 8
constexpr std::size_t kMaxSaltBytes = 64;
constexpr std::size_t kMinHashBytes = ARGON2_MIN_OUTLEN;  // 4
constexpr std::size_t kMaxHashBytes = 64;

// argon2id's memory (memory_kib, 19 MiB by default) comes from mmap, not malloc. glibc would map
// a block that large too, but then raise its threshold to the size of the freed block, so that from
// the second hash on the buffer came from, and stayed in, the heap of every thread that ever
// hashed: 20 MB more per blocking thread after the first logins (bench/RESULTS.md "Memory under
// load"). 2 MiB pages keep mapping it cheap: with 4 KiB pages the faults cost a third more time
// per hash (same place).
int map_argon_memory(std::uint8_t** memory, std::size_t bytes) {
  void* mapped = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) {
    *memory = nullptr;  // libargon2 then fails with ARGON2_MEMORY_ALLOCATION_ERROR
    return ARGON2_MEMORY_ALLOCATION_ERROR;
  }
  (void)madvise(mapped, bytes, MADV_HUGEPAGE);  // a hint: without it, 4 KiB pages
  *memory = static_cast<std::uint8_t*>(mapped);
  return ARGON2_OK;
}

void unmap_argon_memory(std::uint8_t* memory, std::size_t bytes) {
  munmap(memory, bytes);  // libargon2 has wiped it
}

// A PHC string's parts: "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", base64 without padding.
struct Phc {
  std::uint32_t version = ARGON2_VERSION_13;
  ArgonParams params;
  std::string salt;
  std::string hash;
};

// Unpadded standard base64 (the PHC string format) through the base64url codec: the alphabets
// differ in two characters, and the url ones have no place here.
std::string phc_base64(std::span<const std::uint8_t> bytes) {
  std::string text = jose::base64url_encode(bytes);
  for (char& c : text) {
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  return text;
}

std::optional<std::string> phc_unbase64(std::string_view text) {
  if (text.find_first_of("-_") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string url(text);
  for (char& c : url) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  auto decoded = jose::base64url_decode(url);
  return decoded ? std::optional<std::string>(std::move(*decoded)) : std::nullopt;
}

// Consumes `prefix` from the front of `text`.
bool take(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) {
    return false;
  }
  text.remove_prefix(prefix.size());
  return true;
}

// Consumes a decimal number (digits only, no leading zero) that fits 32 bits.
std::optional<std::uint32_t> take_number(std::string_view& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  std::uint32_t value = 0;
  if (digits == 0 || (digits > 1 && text[0] == '0') ||
      std::from_chars(text.data(), text.data() + digits, value).ec != std::errc{}) {
    return std::nullopt;
  }
  text.remove_prefix(digits);
  return value;
}

// The parts of an argon2id PHC string as libargon2 writes them, `v=` optional (version 16
// without it, as libargon2 reads it), or nullopt when anything is out of place or asks for more
// than validate_argon_params allows: a stored hash must not make one login cost a gigabyte.
std::optional<Phc> parse_phc(std::string_view text) {
  Phc phc;
  if (!take(text, "$argon2id$")) {
    return std::nullopt;
  }
  if (take(text, "v=")) {
    auto version = take_number(text);
    if (!version || (*version != ARGON2_VERSION_10 && *version != ARGON2_VERSION_13) ||
        !take(text, "$")) {
      return std::nullopt;
    }
    phc.version = *version;
  } else {
    phc.version = ARGON2_VERSION_10;
  }
  std::optional<std::uint32_t> m, t, p;
  if (!take(text, "m=") || !(m = take_number(text)) || !take(text, ",t=") ||
      !(t = take_number(text)) || !take(text, ",p=") || !(p = take_number(text)) ||
      !take(text, "$")) {
    return std::nullopt;
  }
  phc.params = {*m, *t, *p};
  const std::size_t dollar = text.find('$');
  if (dollar == std::string_view::npos) {
    return std::nullopt;
  }
  auto salt = phc_unbase64(text.substr(0, dollar));
  auto hash = phc_unbase64(text.substr(dollar + 1));
  if (!salt || !hash || salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes ||
      hash->size() < kMinHashBytes || hash->size() > kMaxHashBytes) {
    return std::nullopt;
  }
  if (*p < 1 || *p > kMaxArgonParallelism || *t < 1 || *t > kMaxArgonIterations ||
      *m < ARGON2_SYNC_POINTS * 2 * *p || *m > kMaxArgonMemoryKiB) {
    return std::nullopt;
  }
  phc.salt = std::move(*salt);
  phc.hash = std::move(*hash);
  return phc;
}

std::span<std::uint8_t> bytes_of(std::string& s) {
  return {reinterpret_cast<std::uint8_t*>(s.data()), s.size()};
}

// argon2id of `password` into `out` (its size is the hash length), memory from map_argon_memory.
int derive(const ArgonParams& params, std::uint32_t version, std::string_view password,
           std::span<const std::uint8_t> salt, std::span<std::uint8_t> out) {
  argon2_context context{};
  context.out = out.data();
  context.outlen = static_cast<std::uint32_t>(out.size());
  // libargon2 only writes the password when ARGON2_FLAG_CLEAR_PASSWORD is set, and it is not.
  context.pwd = reinterpret_cast<std::uint8_t*>(const_cast<char*>(password.data()));
  context.pwdlen = static_cast<std::uint32_t>(password.size());
  context.salt = const_cast<std::uint8_t*>(salt.data());
  context.saltlen = static_cast<std::uint32_t>(salt.size());
  context.t_cost = params.iterations;
  context.m_cost = params.memory_kib;
  context.lanes = params.parallelism;
  context.threads = params.parallelism;
  context.version = version;
  context.allocate_cbk = map_argon_memory;
  context.free_cbk = unmap_argon_memory;
  context.flags = ARGON2_DEFAULT_FLAGS;
  return argon2id_ctx(&context);
}

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
  std::string hash(kArgonHashBytes, '\0');
  const int rc = derive(params_, ARGON2_VERSION_13, password, salt, bytes_of(hash));
  if (rc != ARGON2_OK) {
    throw std::runtime_error(std::string("argon2id failed: ") + argon2_error_message(rc));
  }
  // The PHC string libargon2's argon2id_hash_encoded writes, so hashes stay interchangeable.
  return "$argon2id$v=" + std::to_string(ARGON2_VERSION_13) +
         "$m=" + std::to_string(params_.memory_kib) + ",t=" + std::to_string(params_.iterations) +
         ",p=" + std::to_string(params_.parallelism) + "$" + phc_base64(salt) + "$" +
         phc_base64(bytes_of(hash));
}

bool PasswordHasher::verify(std::string_view password, std::string_view encoded) const {
  if (password.size() > kMaxPasswordLength) {
    return false;
  }
  std::optional<Phc> phc = parse_phc(encoded);
  if (!phc) {
    return false;
  }
  verifications_.fetch_add(1, std::memory_order_relaxed);
  std::string computed(phc->hash.size(), '\0');
  if (derive(phc->params, phc->version, password, bytes_of(phc->salt), bytes_of(computed)) !=
      ARGON2_OK) {
    return false;
  }
  return jose::constant_time_equal(computed, phc->hash);
}

bool PasswordHasher::verify_dummy(std::string_view password) const {
  (void)verify(password, dummy_hash_);
  return false;
}

}  // namespace signet::server
