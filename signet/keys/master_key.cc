#include "signet/keys/master_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include <openssl/crypto.h>

#include "signet/common/ascii.h"
#include "signet/common/fd_io.h"
#include "signet/common/file_safety.h"
#include "signet/common/private_file.h"
#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"

namespace signet::keys {
namespace {

constexpr std::size_t kHexChars = kMasterKeyBytes * 2;  // 64
constexpr std::size_t kBase64urlChars = 43;             // ceil(32 * 4 / 3), no padding
constexpr int kCreateAttempts = 2;                      // a lost creation race reads the winner
constexpr std::string_view kFileWhat = "the master key file";

// Holds secret text and wipes it on every way out.
struct SecretString {
  std::string s;
  SecretString() = default;
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() { OPENSSL_cleanse(s.data(), s.size()); }
};

std::optional<MasterKey> decode(std::string_view text) {
  std::array<std::uint8_t, kMasterKeyBytes> bytes{};
  bool ok = false;
  if (text.size() == kHexChars) {
    ok = true;
    for (std::size_t i = 0; i < kMasterKeyBytes && ok; ++i) {
      const int hi = hex_digit_value(text[2 * i]);
      const int lo = hex_digit_value(text[2 * i + 1]);
      ok = hi >= 0 && lo >= 0;
      bytes[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
  } else if (text.size() == kBase64urlChars) {
    auto decoded = jose::base64url_decode(text);
    if (decoded && decoded->size() == kMasterKeyBytes) {
      std::memcpy(bytes.data(), decoded->data(), kMasterKeyBytes);
      ok = true;
    }
    if (decoded) {
      OPENSSL_cleanse(decoded->data(), decoded->size());
    }
  }
  std::optional<MasterKey> key;
  if (ok) {
    key = MasterKey::from_bytes(bytes);
  }
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

KeyError file_error(KeyErrorCode code, const std::filesystem::path& path, std::string_view what) {
  return KeyError{code, "master key file " + path.string() + ": " + std::string(what)};
}

KeyError io_error(const std::filesystem::path& path, std::string_view op, int err) {
  return file_error(KeyErrorCode::kMasterKeyFileIo, path,
                    std::string(op) + " failed: " + std::strerror(err));
}

Result<MasterKey, KeyError> read_key_file(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(io_error(path, "fstat", errno));
  }
  // Whoever can read this file can decrypt every signing key, and whoever can write it can make
  // signet seal new keys under a key they know: refuse rather than use it.
  if (auto safe = check_file_status(path, st, Trust::kSecretFile, kFileWhat); !safe) {
    return fail(KeyError{KeyErrorCode::kMasterKeyFileInsecure, safe.error().message});
  }
  SecretString text;
  text.s.resize(kMaxMasterKeyFileBytes + 1);
  std::size_t got = 0;
  while (got < text.s.size()) {
    const ssize_t n = ::read(fd, text.s.data() + got, text.s.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail(io_error(path, "read", errno));
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  std::string_view content(text.s.data(), got);
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.remove_suffix(1);
  }
  if (got > kMaxMasterKeyFileBytes || content.size() != kBase64urlChars) {
    return fail(file_error(KeyErrorCode::kMasterKeyFileMalformed, path,
                           "must hold 32 bytes as 43 base64url characters"));
  }
  auto key = decode(content);
  if (!key) {
    return fail(file_error(KeyErrorCode::kMasterKeyFileMalformed, path,
                           "must hold 32 bytes as 43 base64url characters"));
  }
  return std::move(*key);
}

// Creates the key file atomically (signet/common/private_file.h): a reader never sees a
// half-written file, and creation fails with EEXIST if another process got there first. The
// directory entry is made durable too, so a crash cannot lose the key of stored blobs. Returns
// nullopt when another process won the race.
Result<std::optional<MasterKey>, KeyError> create_key_file(const std::filesystem::path& path) {
  MasterKey key = MasterKey::generate();
  SecretString text;
  text.s = jose::base64url_encode(key.bytes());
  text.s.push_back('\n');
  auto created = create_file_exclusively(path, text.s, S_IRUSR | S_IWUSR);
  if (!created && created.error().already_exists()) {
    return std::optional<MasterKey>{};
  }
  if (!created) {
    return fail(io_error(path, to_string(created.error().step), created.error().err));
  }
  return std::optional<MasterKey>{std::move(key)};
}

}  // namespace

MasterKey MasterKey::from_bytes(std::span<const std::uint8_t, kMasterKeyBytes> bytes) {
  MasterKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

MasterKey MasterKey::generate() {
  MasterKey key;
  jose::random_bytes(key.bytes_);
  return key;
}

MasterKey::MasterKey(MasterKey&& other) noexcept : bytes_(other.bytes_) {
  OPENSSL_cleanse(other.bytes_.data(), other.bytes_.size());
}

MasterKey& MasterKey::operator=(MasterKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    OPENSSL_cleanse(other.bytes_.data(), other.bytes_.size());
  }
  return *this;
}

MasterKey::~MasterKey() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

Result<MasterKey, KeyError> MasterKey::parse(std::string_view text) {
  auto key = decode(text);
  if (!key) {
    // Never echo the value: it may be a slightly wrong copy of the real key.
    return fail(KeyError{KeyErrorCode::kMasterKeyMalformed,
                         std::string(kMasterKeyEnvVar) +
                             " must be 32 bytes given as 64 hex digits or 43 base64url characters "
                             "(it has " +
                             std::to_string(text.size()) + " characters)"});
  }
  return std::move(*key);
}

Result<MasterKey, KeyError> MasterKey::load(const std::optional<std::string>& env_value,
                                            const std::filesystem::path& data_dir) {
  if (env_value) {
    return parse(*env_value);
  }
  const std::filesystem::path path = data_dir / kMasterKeyFileName;
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    // O_NOFOLLOW: a symlink planted in the data directory must not redirect us to another file.
    // O_NONBLOCK: a FIFO planted there must not hang us; it is refused as not a regular file.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() >= 0) {
      return read_key_file(fd.get(), path);
    }
    const int err = errno;
    if (err == ELOOP) {  // O_NOFOLLOW met a symbolic link: say so rather than "too many levels"
      if (auto safe = check_path(path, Trust::kSecretFile, kFileWhat); !safe) {
        return fail(KeyError{KeyErrorCode::kMasterKeyFileInsecure, safe.error().message});
      }
    }
    if (err != ENOENT) {
      return fail(io_error(path, "open", err));
    }
    auto created = create_key_file(path);
    if (!created) {
      return fail(created.error());
    }
    if (created->has_value()) {
      return std::move(**created);
    }
  }
  return fail(file_error(KeyErrorCode::kMasterKeyFileIo, path,
                         "created and removed concurrently; check the data directory"));
}

}  // namespace signet::keys
