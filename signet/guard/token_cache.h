#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "signet/guard/jwks_cache.h"
#include "signet/guard/verified_token.h"
#include "signet/jose/crypto.h"

namespace signet::guard {

// Remembers tokens that passed every check, so a token presented again costs a hash and a
// lookup instead of a signature verification. Keyed by SHA-256 of the token (the token itself is
// never stored). Bounded in entries and bytes. An entry is never served after the token's "exp",
// nor once its key has left the issuer's JWKS (or the kid now names a different key).
//
// Admission (TinyLFU): every lookup is counted in a small frequency sketch. Until the cache is
// full, every verified token is admitted. Once it is full, a new token displaces the least
// recently used entry only if it has been presented more often lately than that entry, or if
// that entry has expired. Under LRU alone, more distinct tokens in flight than the cache holds
// (clients cycling through them) evict each entry before its next use. Every request then paid
// for an insertion and an eviction on top of the verification, and the cache cost more than no
// cache. With admission, those tokens miss at no extra cost and the cache keeps a stable share
// of them.
class TokenCache {
 public:
  TokenCache(std::size_t max_entries, std::size_t max_bytes);

  using Digest = jose::Sha256Digest;

  // The cached verification, or null. `keys` is the current key set.
  std::shared_ptr<const VerifiedToken> find(const Digest& digest, std::int64_t now,
                                            const std::shared_ptr<const KeySet>& keys);
  // Remembers a verified token, unless the cache is full and admission refuses it (see above).
  void insert(const Digest& digest, std::shared_ptr<const VerifiedToken> token,
              std::shared_ptr<const KeySet> keys, std::int64_t now);

  std::size_t size() const;
  std::size_t bytes() const;
  // Verified tokens that admission kept out of a full cache.
  std::uint64_t refused() const;

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

  // How often each digest was looked up lately: a count-min sketch of 4-bit counters, four
  // rows, halved once it has counted ten times its width (so old popularity fades).
  class FrequencySketch {
   public:
    explicit FrequencySketch(std::size_t entries);
    void add(const Digest& d);
    unsigned estimate(const Digest& d) const;

   private:
    std::size_t slot(const Digest& d, std::size_t row) const;
    std::vector<std::uint8_t> counters_;  // kRows rows of `width_` counters each
    std::size_t width_;                   // a power of two
    std::size_t added_ = 0;
  };

  void erase(Lru::iterator it);

  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  Lru lru_;  // front = most recently used
  std::unordered_map<Digest, Lru::iterator, DigestHash> index_;
  std::size_t bytes_ = 0;
  FrequencySketch sketch_;
  std::uint64_t refused_ = 0;
};

}  // namespace signet::guard
