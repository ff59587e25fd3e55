#include "signet/guard/token_cache.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "signet/jose/crypto.h"

namespace signet::guard {
namespace {

constexpr std::size_t kSketchRows = 4;        // count-min: the minimum of four estimates
constexpr std::uint8_t kSketchMaxCount = 15;  // 4-bit counters: "often" needs no more range
// A small cache's sketch is still 1,024 counters wide, so that a token whose four counters are
// all shared with others (and so counts more often than it was seen) is rare: for 14 tokens in
// about one seed of three million. At 64 columns, one seed in 45 changed which tokens a
// 10-entry cache kept (tests/guard/token_cache_test.cc cycles them under many seeds).
constexpr std::size_t kSketchMinWidth = 1024;
// Counts are halved after ten times as many as the cache holds (at least 64 entries are assumed),
// rounded up to a power of two, so old popularity fades at the same pace whatever the width.
constexpr std::size_t kSketchSampleFactor = 10;
constexpr std::size_t kSketchMinSampleEntries = 64;
// Each row's column is the top bits of the hash times its own odd multiplier (xxHash64's
// primes): for two different hashes, the four rows collide nearly independently.
constexpr std::array<std::uint64_t, kSketchRows> kSketchRowMultipliers = {
    0x9e3779b185ebca87, 0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9, 0x85ebca77c2b2ae63};
// What an entry costs beyond its Entry, its text and its token's footprint: the index's node and
// bucket, the list's links and the allocator's headers, rounded up.
constexpr std::size_t kEntryOverheadBytes = 64;

// The token hash's odd multipliers: 2^64 divided by the golden ratio, and the two of
// MurmurHash3's 64-bit finaliser, whose avalanche is well studied.
constexpr std::uint64_t kPhi = 0x9e3779b97f4a7c15;
constexpr std::uint64_t kFinal1 = 0xff51afd7ed558ccd;
constexpr std::uint64_t kFinal2 = 0xc4ceb9fe1a85ec53;

std::uint64_t load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Folds eight bytes into an accumulator: multiply, rotate, multiply.
std::uint64_t absorb(std::uint64_t acc, std::uint64_t word) {
  return std::rotl(acc + word * kFinal1, 31) * kPhi;
}

// Every input bit reaches every output bit.
std::uint64_t avalanche(std::uint64_t h) {
  h ^= h >> 33;
  h *= kFinal1;
  h ^= h >> 33;
  h *= kFinal2;
  h ^= h >> 33;
  return h;
}

// From OpenSSL's generator, like every other secret of the project: a client must not be able
// to tell which tokens share a bucket or a counter.
std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  jose::random_bytes({reinterpret_cast<std::uint8_t*>(&seed), sizeof(seed)});
  return seed;
}

// True when `current` still publishes the key that verified a token under `verified_by`.
bool key_still_published(const VerifiedToken& token, const KeySet& verified_by,
                         const KeySet& current) {
  if (&verified_by == &current) {
    return true;
  }
  const jose::Jwk* now_key = current.jwks.find(token.kid);
  const jose::Jwk* then_key = verified_by.jwks.find(token.kid);
  if (now_key == nullptr || then_key == nullptr) {
    return false;
  }
  // The same kid must still name the same public key, or a re-used kid could keep serving
  // tokens signed by a retired key.
  return EVP_PKEY_eq(now_key->pkey.get(), then_key->pkey.get()) == 1;
}

}  // namespace

TokenCache::Key TokenCache::key_of(std::string_view token) const {
  // Four independent accumulators over 32-byte blocks, so that the multiplications of one block
  // overlap instead of waiting on each other: a 700-byte token hashes in well under 0.1 µs.
  const char* p = token.data();
  std::size_t left = token.size();
  std::uint64_t lanes[4] = {seed_, seed_ ^ kPhi, seed_ + kFinal1, seed_ - kFinal2};
  for (; left >= 32; p += 32, left -= 32) {
    for (std::size_t i = 0; i < 4; ++i) {
      lanes[i] = absorb(lanes[i], load64(p + 8 * i));
    }
  }
  std::uint64_t h = seed_ ^ (token.size() * kPhi);
  for (const std::uint64_t lane : lanes) {
    h = absorb(h, avalanche(lane));
  }
  for (; left >= 8; p += 8, left -= 8) {
    h = absorb(h, load64(p));
  }
  if (left > 0) {
    std::uint64_t tail = 0;
    std::memcpy(&tail, p, left);
    h = absorb(h, tail);
  }
  return Key{token, avalanche(h)};
}

TokenCache::FrequencySketch::FrequencySketch(std::size_t entries)
    : width_(std::bit_ceil(std::max(entries, kSketchMinWidth))),
      shift_(64 - std::countr_zero(width_)),
      sample_(kSketchSampleFactor * std::bit_ceil(std::max(entries, kSketchMinSampleEntries))) {
  counters_.assign(kSketchRows * width_, 0);
}

std::size_t TokenCache::FrequencySketch::slot(std::uint64_t hash, std::size_t row) const {
  // A client that crafts tokens to share counters only inflates estimates, which sending one
  // token repeatedly does as well; the cache's correctness never depends on them.
  return row * width_ + static_cast<std::size_t>((hash * kSketchRowMultipliers[row]) >> shift_);
}

void TokenCache::FrequencySketch::add(std::uint64_t hash) {
  for (std::size_t row = 0; row < kSketchRows; ++row) {
    std::uint8_t& c = counters_[slot(hash, row)];
    if (c < kSketchMaxCount) {
      ++c;
    }
  }
  if (++added_ == sample_) {
    for (auto& c : counters_) {
      c >>= 1;
    }
    added_ /= 2;
  }
}

unsigned TokenCache::FrequencySketch::estimate(std::uint64_t hash) const {
  unsigned least = kSketchMaxCount;
  for (std::size_t row = 0; row < kSketchRows; ++row) {
    least = std::min<unsigned>(least, counters_[slot(hash, row)]);
  }
  return least;
}

TokenCache::TokenCache(std::size_t max_entries, std::size_t max_bytes)
    : TokenCache(max_entries, max_bytes, random_seed()) {}

TokenCache::TokenCache(std::size_t max_entries, std::size_t max_bytes, std::uint64_t seed)
    : max_entries_(max_entries), max_bytes_(max_bytes), seed_(seed), sketch_(max_entries) {}

std::shared_ptr<const VerifiedToken> TokenCache::find(const Key& key, std::int64_t now,
                                                      const std::shared_ptr<const KeySet>& keys) {
  std::lock_guard lock(mu_);
  sketch_.add(key.hash);
  auto it = index_.find(key);
  if (it == index_.end()) {
    return nullptr;
  }
  Entry& entry = *it->second;
  if (now >= entry.token->expires_at || !keys ||
      !key_still_published(*entry.token, *entry.keys, *keys)) {
    erase(it->second);
    return nullptr;
  }
  if (entry.keys != keys) {
    entry.keys = keys;  // re-validated against the newer set; skip the comparison next time
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return entry.token;
}

void TokenCache::insert(const Key& key, std::shared_ptr<const VerifiedToken> token,
                        std::shared_ptr<const KeySet> keys, std::int64_t now) {
  const std::size_t bytes =
      token->footprint() + key.token.size() + sizeof(Entry) + kEntryOverheadBytes;
  if (max_entries_ == 0 || bytes > max_bytes_) {
    return;
  }
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    erase(it->second);
  }
  const bool full = !lru_.empty() && (lru_.size() >= max_entries_ || bytes_ + bytes > max_bytes_);
  if (full) {
    const Entry& victim = lru_.back();
    if (now < victim.token->expires_at &&
        sketch_.estimate(key.hash) <= sketch_.estimate(victim.hash)) {
      ++refused_;
      return;
    }
  }
  while (!lru_.empty() && (lru_.size() >= max_entries_ || bytes_ + bytes > max_bytes_)) {
    erase(std::prev(lru_.end()));
  }
  lru_.push_front(
      Entry{std::string(key.token), key.hash, std::move(token), std::move(keys), bytes});
  index_.emplace(Key{lru_.front().text, key.hash}, lru_.begin());
  bytes_ += bytes;
}

void TokenCache::erase(Lru::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(Key{it->text, it->hash});
  lru_.erase(it);
}

std::size_t TokenCache::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

std::size_t TokenCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::uint64_t TokenCache::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

}  // namespace signet::guard
