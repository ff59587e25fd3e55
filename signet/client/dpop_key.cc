#include "signet/client/dpop_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include <openssl/crypto.h>
#include <boost/json/serialize.hpp>

#include "signet/client/token_cache.h"
#include "signet/common/fd_io.h"
#include "signet/common/file_safety.h"
#include "signet/common/private_file.h"
#include "signet/jose/json.h"
#include "signet/jose/private_jwk.h"

namespace signet::client {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kKeyFileMode = 0600;  // a private key: the user's alone
constexpr std::string_view kFileWhat = "the DPoP key file";
constexpr std::string_view kDirWhat = "the DPoP key directory";
// A file that appears and vanishes between our open and our create this many times in a row is
// being played with: give up rather than loop.
constexpr int kCreateAttempts = 3;

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

// A string that held a private key is wiped before its memory is given back.
struct WipedText {
  std::string text;
  WipedText() = default;
  WipedText(const WipedText&) = delete;
  WipedText& operator=(const WipedText&) = delete;
  ~WipedText() { OPENSSL_cleanse(text.data(), text.size()); }
};

fs::path directory_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// Whoever can write the directory can swap in a key of their own (and then use the tokens bound
// to it) or delete ours.
Result<Ok, std::string> check_directory(const fs::path& path) {
  auto safe = check_path(directory_of(path), Trust::kDirectory, kDirWhat);
  if (!safe && safe.error().code != UnsafeFileCode::kMissing) {
    return fail(safe.error().message);
  }
  return Ok{};
}

// Reads the file into `text`; false when there is none. Refuses a file that is not the user's
// alone.
Result<bool, std::string> read_key_file(const fs::path& path, WipedText& text) {
  // O_NOFOLLOW: a link planted at our path must not make us use (or trust) another file.
  // O_NONBLOCK: a FIFO planted there must not hang us; it is refused below as not a regular file.
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return false;
    }
    if (err == ELOOP) {
      if (auto safe = check_path(path, Trust::kSecretFile, kFileWhat); !safe) {
        return fail(safe.error().message);
      }
    }
    return fail("cannot read " + std::string(kFileWhat) + " " + path.string() + ": " +
                errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail("cannot read " + std::string(kFileWhat) + " " + path.string() + ": " +
                errno_text(errno));
  }
  // Whoever can read the key can use every token bound to it.
  if (auto safe = check_file_status(path, st, Trust::kSecretFile, kFileWhat); !safe) {
    return fail(safe.error().message);
  }
  // Sized once, so that no copy of the key is left behind in a buffer that grew.
  text.text.assign(kMaxDpopKeyFileBytes + 1, '\0');
  std::size_t got = 0;
  while (got < text.text.size()) {
    const ssize_t n = ::read(fd.get(), text.text.data() + got, text.text.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail("cannot read " + std::string(kFileWhat) + " " + path.string() + ": " +
                  errno_text(errno));
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  if (got > kMaxDpopKeyFileBytes) {
    return fail(std::string(kFileWhat) + " " + path.string() + " is larger than " +
                std::to_string(kMaxDpopKeyFileBytes) +
                " bytes, which no DPoP key is; give another --dpop-key FILE, or remove it to "
                "make a new key");
  }
  text.text.resize(got);
  return true;
}

// The key a file's text holds.
Result<DpopKey, std::string> parse_key(const fs::path& path, std::string_view text) {
  const std::string not_a_key = std::string(kFileWhat) + " " + path.string() + " is not ";
  const std::string fix = "; give another --dpop-key FILE, or remove it to make a new key";
  auto object = jose::parse_json_object(text);
  if (!object) {
    return fail(not_a_key + "a JSON private JWK (" + std::string(jose::to_string(object.error())) +
                ")" + fix);
  }
  auto key = jose::parse_jwk(*object);
  if (!key) {
    return fail(not_a_key + "a usable JWK (" + std::string(jose::to_string(key.error())) + ")" +
                fix);
  }
  if (!key->has_private) {
    return fail(not_a_key + "a private key (it has no \"d\")" + fix);
  }
  if (!key->alg) {
    return fail(not_a_key + "a DPoP key: it has no \"alg\" (ES256, EdDSA, RS256 or PS256)" + fix);
  }
  DpopKey out;
  out.jkt = jose::thumbprint(*key);
  out.key = std::move(key).value();
  return out;
}

// Makes a key and writes it at `path` unless something has that name by then; nullopt when
// something had (the caller loads it).
Result<std::optional<DpopKey>, std::string> create_key(const fs::path& path, jose::Algorithm alg) {
  if (auto made = make_private_directories(directory_of(path), kDirWhat); !made) {
    return fail(made.error());
  }
  if (auto dir = check_directory(path); !dir) {
    return fail(dir.error());
  }
  auto key = jose::generate_jwk(alg, "");
  if (!key) {
    return fail("cannot make a " + std::string(jose::to_string(alg)) +
                " DPoP key: " + std::string(jose::to_string(key.error())));
  }
  auto json = jose::to_private_json(*key);
  if (!json) {
    return fail("cannot encode the new " + std::string(jose::to_string(alg)) + " DPoP key");
  }
  WipedText text;
  text.text = boost::json::serialize(*json) + "\n";
  auto written = create_file_exclusively(path, text.text, kKeyFileMode);
  if (!written && written.error().already_exists()) {
    return std::optional<DpopKey>{};
  }
  if (!written) {
    return fail("cannot write " + std::string(kFileWhat) + " " + path.string() + ": " +
                written.error().message());
  }
  DpopKey out;
  out.jkt = jose::thumbprint(*key);
  out.key = std::move(key).value();
  out.created = true;
  return std::optional<DpopKey>{std::move(out)};
}

}  // namespace

fs::path default_dpop_key_path(const fs::path& cache_file) {
  return directory_of(cache_file) / kDpopKeyFileName;
}

Result<std::optional<DpopKey>, std::string> load_dpop_key(const fs::path& path) {
  if (auto dir = check_directory(path); !dir) {
    return fail(dir.error());
  }
  WipedText text;
  auto read = read_key_file(path, text);
  if (!read) {
    return fail(read.error());
  }
  if (!*read) {
    return std::optional<DpopKey>{};
  }
  auto key = parse_key(path, text.text);
  if (!key) {
    return fail(key.error());
  }
  return std::optional<DpopKey>{std::move(key).value()};
}

Result<DpopKey, std::string> load_or_create_dpop_key(const fs::path& path,
                                                     std::optional<jose::Algorithm> alg) {
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    auto loaded = load_dpop_key(path);
    if (!loaded) {
      return fail(loaded.error());
    }
    if (*loaded) {
      // The key's algorithm is fixed when it is made: another one asked for later would silently
      // be ignored, or replace the key and strand every token bound to it.
      if (alg && *alg != *(*loaded)->key.alg) {
        return fail("the DPoP key in " + path.string() + " is " +
                    std::string(jose::to_string(*(*loaded)->key.alg)) + ", not " +
                    std::string(jose::to_string(*alg)) +
                    ": leave out --dpop-alg to use it, or give another --dpop-key FILE for a " +
                    std::string(jose::to_string(*alg)) + " key");
      }
      return std::move(**loaded);
    }
    auto created = create_key(path, alg.value_or(kDefaultDpopAlgorithm));
    if (!created) {
      return fail(created.error());
    }
    if (*created) {
      return std::move(**created);
    }
  }
  return fail(std::string(kFileWhat) + " " + path.string() +
              " was created and removed again while it was being read; try again");
}

}  // namespace signet::client
