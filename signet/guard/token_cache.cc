#include "signet/guard/token_cache.h"

#include <cstring>

namespace signet::guard {
namespace {

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

TokenCache::TokenCache(std::size_t max_entries, std::size_t max_bytes)
    : max_entries_(max_entries), max_bytes_(max_bytes) {}

std::shared_ptr<const VerifiedToken> TokenCache::find(const Digest& digest, std::int64_t now,
                                                      const std::shared_ptr<const KeySet>& keys) {
  std::lock_guard lock(mu_);
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
                        std::shared_ptr<const KeySet> keys) {
  const std::size_t bytes = token->footprint() + sizeof(Entry) + 64;
  if (max_entries_ == 0 || bytes > max_bytes_) {
    return;
  }
  std::lock_guard lock(mu_);
  if (auto it = index_.find(digest); it != index_.end()) {
    erase(it->second);
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

}  // namespace signet::guard
