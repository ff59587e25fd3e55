#include "signet/guard/token_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace signet::guard {
namespace {

constexpr std::size_t kSketchRows = 4;           // count-min: the minimum of four estimates
constexpr std::uint8_t kSketchMaxCount = 15;     // 4-bit counters: "often" needs no more range
constexpr std::size_t kSketchMinWidth = 64;      // even a tiny cache gets a usable sketch
constexpr std::size_t kSketchSampleFactor = 10;  // counts between halvings, per counter column

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

std::size_t TokenCache::DigestHash::operator()(const Digest& d) const noexcept {
  std::size_t h;
  std::memcpy(&h, d.data(), sizeof(h));  // SHA-256 output is uniformly distributed already
  return h;
}

TokenCache::FrequencySketch::FrequencySketch(std::size_t entries)
    : width_(std::bit_ceil(std::max(entries, kSketchMinWidth))) {
  counters_.assign(kSketchRows * width_, 0);
}

std::size_t TokenCache::FrequencySketch::slot(const Digest& d, std::size_t row) const {
  // Each row reads its own four bytes of the digest: SHA-256 output is uniform, and a token
  // reaches the sketch only by being looked up, so its digest is not the caller's to choose.
  std::uint32_t h;
  std::memcpy(&h, d.data() + 4 * row, sizeof(h));
  return row * width_ + (h & (width_ - 1));
}

void TokenCache::FrequencySketch::add(const Digest& d) {
  for (std::size_t row = 0; row < kSketchRows; ++row) {
    std::uint8_t& c = counters_[slot(d, row)];
    if (c < kSketchMaxCount) {
      ++c;
    }
  }
  if (++added_ == kSketchSampleFactor * width_) {
    for (auto& c : counters_) {
      c >>= 1;
    }
    added_ /= 2;
  }
}

unsigned TokenCache::FrequencySketch::estimate(const Digest& d) const {
  unsigned least = kSketchMaxCount;
  for (std::size_t row = 0; row < kSketchRows; ++row) {
    least = std::min<unsigned>(least, counters_[slot(d, row)]);
  }
  return least;
}

TokenCache::TokenCache(std::size_t max_entries, std::size_t max_bytes)
    : max_entries_(max_entries), max_bytes_(max_bytes), sketch_(max_entries) {}

std::shared_ptr<const VerifiedToken> TokenCache::find(const Digest& digest, std::int64_t now,
                                                      const std::shared_ptr<const KeySet>& keys) {
  std::lock_guard lock(mu_);
  sketch_.add(digest);
  auto it = index_.find(digest);
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

void TokenCache::insert(const Digest& digest, std::shared_ptr<const VerifiedToken> token,
                        std::shared_ptr<const KeySet> keys, std::int64_t now) {
  const std::size_t bytes = token->footprint() + sizeof(Entry) + 64;
  if (max_entries_ == 0 || bytes > max_bytes_) {
    return;
  }
  std::lock_guard lock(mu_);
  if (auto it = index_.find(digest); it != index_.end()) {
    erase(it->second);
  }
  const bool full = !lru_.empty() && (lru_.size() >= max_entries_ || bytes_ + bytes > max_bytes_);
  if (full) {
    const Entry& victim = lru_.back();
    if (now < victim.token->expires_at &&
        sketch_.estimate(digest) <= sketch_.estimate(victim.digest)) {
      ++refused_;
      return;
    }
  }
  while (!lru_.empty() && (lru_.size() >= max_entries_ || bytes_ + bytes > max_bytes_)) {
    erase(std::prev(lru_.end()));
  }
  lru_.push_front(Entry{digest, std::move(token), std::move(keys), bytes});
  index_.emplace(digest, lru_.begin());
  bytes_ += bytes;
}

void TokenCache::erase(Lru::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->digest);
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
