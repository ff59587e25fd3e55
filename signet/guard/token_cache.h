#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "signet/guard/jwks_cache.h"
#include "signet/guard/verified_token.h"

namespace signet::guard {

// Remembers tokens that passed every check, so a token presented again costs a hash, a lookup and
// a comparison instead of a signature verification. Keyed by the token itself: an entry holds the
// token's text, and a hit needs every byte equal. The hash only picks the bucket and the sketch's
// counters; it is a fast 64-bit one under a random per-cache seed, not a cryptographic digest
// (SHA-256 of a 700-byte token was a twentieth of a cached request's CPU). Nothing rests on it
// being hard to collide: only verified tokens are ever stored, so a crafted collision makes a
// lookup compare against a stored token and miss. Bounded in entries and bytes (the stored text
// counts). An entry is never served after the token's "exp", nor once its key has left the
// issuer's JWKS (or the kid now names a different key).
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
  // Under a random seed.
  TokenCache(std::size_t max_entries, std::size_t max_bytes);
  // Under a chosen seed: which tokens share sketch counters, and so which one admission prefers
  // when a shared counter inflates a count, is then the same in every run (tests need that).
  TokenCache(std::size_t max_entries, std::size_t max_bytes, std::uint64_t seed);

  // A presented token with its hash, computed once for both the lookup and the insertion. Views
  // the caller's text, which must outlive it.
  struct Key {
    std::string_view token;
    std::uint64_t hash = 0;
  };
  Key key_of(std::string_view token) const;

  // The cached verification, or null. `keys` is the current key set.
  std::shared_ptr<const VerifiedToken> find(const Key& key, std::int64_t now,
                                            const std::shared_ptr<const KeySet>& keys);
  // Remembers a verified token (copying its text), unless the cache is full and admission
  // refuses it (see above).
  void insert(const Key& key, std::shared_ptr<const VerifiedToken> token,
              std::shared_ptr<const KeySet> keys, std::int64_t now);

  std::size_t size() const;
  std::size_t bytes() const;
  // Verified tokens that admission kept out of a full cache.
  std::uint64_t refused() const;

 private:
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept { return k.hash; }
  };
  // The texts are compared only when the 64-bit hashes agree, which for a token other than the
  // stored one happens with odds of 2^-64 under a seed no client knows: how long the comparison
  // takes tells someone guessing at a cached token nothing.
  struct KeyEqual {
    bool operator()(const Key& a, const Key& b) const noexcept {
      return a.hash == b.hash && a.token == b.token;
    }
  };
  struct Entry {
    std::string text;    // the token; the index's key views it (a list node never moves)
    std::uint64_t hash;  // of `text`
    std::shared_ptr<const VerifiedToken> token;
    std::shared_ptr<const KeySet> keys;  // the set that verified it
    std::size_t bytes;
  };
  using Lru = std::list<Entry>;

  // How often each token was looked up lately: a count-min sketch of 4-bit counters, four
  // rows, halved once it has counted ten times the cache's entries (so old popularity fades).
  class FrequencySketch {
   public:
    explicit FrequencySketch(std::size_t entries);
    void add(std::uint64_t hash);
    unsigned estimate(std::uint64_t hash) const;

   private:
    std::size_t slot(std::uint64_t hash, std::size_t row) const;
    std::vector<std::uint8_t> counters_;  // kRows rows of `width_` counters each
    std::size_t width_;                   // a power of two
    int shift_;                           // 64 - log2(width_): a product's top bits pick a column
    std::size_t sample_;                  // counts between halvings
    std::size_t added_ = 0;
  };

  void erase(Lru::iterator it);

  const std::size_t max_entries_;
  const std::size_t max_bytes_;
  const std::uint64_t seed_;  // random, so that which tokens share a bucket is nobody's to choose
  mutable std::mutex mu_;
  Lru lru_;  // front = most recently used
  std::unordered_map<Key, Lru::iterator, KeyHash, KeyEqual> index_;
  std::size_t bytes_ = 0;
  FrequencySketch sketch_;
  std::uint64_t refused_ = 0;
};

}  // namespace signet::guard
