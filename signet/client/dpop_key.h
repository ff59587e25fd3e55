#pragma once

// The key pair `signet token --dpop` proves possession of (RFC 9449): made on first use, kept in a
// file, reused afterwards, so that the tokens it obtained stay usable by this user alone.
//
// The file is one private JWK (RFC 7517) as JSON: kty, crv/x/y or n/e, "alg" (the proof
// algorithm, fixed when the key is made) and the private members ("d"...). It is the user's
// alone: mode 0600 in a directory nobody else can write, written with signet/common/private_file.h;
// a file that others could read or replace is refused, never used, since whoever holds the key
// can use every token bound to it. By default it lives beside the token cache
// (${XDG_CACHE_HOME:-$HOME/.cache}/signet/dpop-key.json).

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "signet/common/result.h"
#include "signet/jose/algorithm.h"
#include "signet/jose/jwk.h"

namespace signet::client {

constexpr std::string_view kDpopKeyFileName = "dpop-key.json";
// bytes; a private JWK of an RSA-8192 key is about 6.5 KiB. A larger file is not a key we wrote.
constexpr std::size_t kMaxDpopKeyFileBytes = 16 * 1024;
// P-256 keys are small and fast, and every DPoP server accepts ES256 (RFC 9449 §11.1 names it).
constexpr jose::Algorithm kDefaultDpopAlgorithm = jose::Algorithm::kES256;

struct DpopKey {
  jose::Jwk key;         // with its private half, and alg set: the algorithm its proofs use
  std::string jkt;       // RFC 7638 thumbprint: what a bound token's cnf.jkt names
  bool created = false;  // made by this call of load_or_create_dpop_key, not read from the file
};

// Where the key lives by default: kDpopKeyFileName in the token cache's directory.
std::filesystem::path default_dpop_key_path(const std::filesystem::path& cache_file);

// The key in `path`; nullopt when there is no such file. An error, which says what is wrong and
// what to do, when the file must not be used (a symbolic link, not a regular file, another
// user's, readable or writable by group or others, in a directory others may write to) or is not
// a key (too large, not JSON, not a JWK signet can use, a public key only, no "alg").
Result<std::optional<DpopKey>, std::string> load_dpop_key(const std::filesystem::path& path);

// The key in `path`, made with `alg` (kDefaultDpopAlgorithm when nullopt) if there is none yet:
// missing directories are made with mode 0700, and the file with mode 0600 only if nothing has
// its name (of two processes making it at once, one wins and the other loads its key). An
// existing key is never replaced: an explicit `alg` other than its own is an error that says so.
// Refuses what load_dpop_key refuses.
Result<DpopKey, std::string> load_or_create_dpop_key(const std::filesystem::path& path,
                                                     std::optional<jose::Algorithm> alg);

}  // namespace signet::client
