#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "signet/guard/jwks_cache.h"
#include "signet/guard/verified_token.h"
#include "signet/jose/crypto.h"

namespace signet::guard {

// Remembers tokens that passed every check, so a token presented again costs a hash and a
// lookup instead of a signature verification. Keyed by SHA-256 of the token (the token itself is
// never stored). Bounded in entries and bytes, least recently used evicted first. An entry is
// never served after the token's "exp", nor once its key has left the issuer's JWKS (or the kid
// now names a different key).
class TokenCache {
 public:
  TokenCache(std::size_t max_entries, std::size_t max_bytes);

  using Digest = jose::Sha256Digest;

  // The cached verification, or null. `keys` is the current key set.
  std::shared_ptr<const VerifiedToken> find(const Digest& digest, std::int64_t now,
                                            const std::shared_ptr<const KeySet>& keys);
  void insert(const Digest& digest, std::shared_ptr<const VerifiedToken> token,
              std::shared_ptr<const KeySet> keys);

  std::size_t size() const;
  std::size_t bytes() const;

 private:
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept;
  };
  struct Entry {
    Digest digest;
    std::shared_ptr<const VerifiedToken> token;
    std::shared_ptr<const KeySet> keys;  // the set that verified it
    std::size_t bytes;
  };
  using Lru = std::list<Entry>;

  void erase(Lru::iterator it);

  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  Lru lru_;  // front = most recently used
  std::unordered_map<Digest, Lru::iterator, DigestHash> index_;
  std::size_t bytes_ = 0;
};

}  // namespace signet::guard
