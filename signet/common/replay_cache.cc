#include "signet/common/replay_cache.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace signet {
namespace {

// Requests spread over this many locks, so concurrent proofs rarely wait for each other.
constexpr std::size_t kShards = 16;

}  // namespace

// One lock's worth of ids, with their expiries in a min-heap so that pruning touches only what
// has expired. A heap entry points at its id inside `ids` (node-based, so the view stays valid
// until the id is erased, which only the heap's own pop does).
struct ReplayCache::Shard {
  using Expiry = std::pair<std::int64_t, std::string_view>;

  std::mutex mutex;
  std::unordered_set<std::string> ids;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiries;

  // Drops every id whose expiry is before `now`; returns how many.
  std::size_t prune(std::int64_t now) {
    std::size_t dropped = 0;
    while (!expiries.empty() && expiries.top().first < now) {
      ids.erase(std::string(expiries.top().second));
      expiries.pop();
      ++dropped;
    }
    return dropped;
  }
};

ReplayCache::ReplayCache(std::size_t max_entries)
    : max_entries_(max_entries), shards_(std::make_unique<Shard[]>(kShards)) {}

ReplayCache::~ReplayCache() = default;

ReplayCache::Use ReplayCache::use(std::string_view id, std::int64_t expires_at, std::int64_t now) {
  Shard& shard = shards_[std::hash<std::string_view>{}(id) % kShards];
  // First try: the common case touches one shard only. Second try, after pruning every shard:
  // the count is global, so ids expired elsewhere may be what stands between us and kFull.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt == 1) {
      prune_all(now);
    }
    std::lock_guard lock(shard.mutex);
    count_.fetch_sub(shard.prune(now), std::memory_order_relaxed);
    if (shard.ids.contains(std::string(id))) {
      return Use::kReplayed;
    }
    if (expires_at < now) {
      return Use::kFirst;  // already expired: nothing to remember
    }
    if (!reserve()) {
      continue;
    }
    const auto it = shard.ids.emplace(id).first;  // new: looked up under this same lock
    shard.expiries.emplace(expires_at, *it);
    return Use::kFirst;
  }
  return Use::kFull;
}

std::size_t ReplayCache::size() const {
  return count_.load(std::memory_order_relaxed);
}

bool ReplayCache::reserve() {
  std::size_t held = count_.load(std::memory_order_relaxed);
  do {
    if (held >= max_entries_) {
      return false;
    }
  } while (!count_.compare_exchange_weak(held, held + 1, std::memory_order_relaxed));
  return true;
}

void ReplayCache::prune_all(std::int64_t now) {
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    count_.fetch_sub(shards_[i].prune(now), std::memory_order_relaxed);
  }
}

}  // namespace signet
