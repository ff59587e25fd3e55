#pragma once

// Single-use identifiers (DPoP proof jti values), remembered until they expire. signet_common
// has no OpenSSL: callers pass an id that is already unique (the DPoP users pass jkt + "." + jti,
// both bounded in length), and the cache stores its bytes, so no hash collision can make two ids
// one.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace signet {

// Remembers single-use identifiers until they expire, bounded in memory. Thread-safe, sharded.
class ReplayCache {
 public:
  static constexpr std::size_t kDefaultEntries = 100'000;
  explicit ReplayCache(std::size_t max_entries = kDefaultEntries);
  ~ReplayCache();
  ReplayCache(const ReplayCache&) = delete;
  ReplayCache& operator=(const ReplayCache&) = delete;

  enum class Use { kFirst, kReplayed, kFull };
  // Records `id` (any bytes; the DPoP users pass jkt + "." + jti) until `expires_at` (seconds
  // since the epoch; still remembered during that second, as a proof is still fresh then).
  // kReplayed if it is already recorded and not yet expired; kFull if the cache holds
  // max_entries unexpired ids (the caller refuses: accepting could let a replay through).
  Use use(std::string_view id, std::int64_t expires_at, std::int64_t now);
  std::size_t size() const;

 private:
  struct Shard;
  // Counts one held id, unless max_entries are held already.
  bool reserve();
  void prune_all(std::int64_t now);

  const std::size_t max_entries_;
  std::atomic<std::size_t> count_{0};  // ids held in all shards
  std::unique_ptr<Shard[]> shards_;    // kShards of them
};

// The record of used ids that every replica of a server shares (the authorization server's
// store), asked after this process's ReplayCache took an id as new: the cache answers a replay
// this process saw without a round trip, the ledger one that another replica saw.
class ReplayLedger {
 public:
  virtual ~ReplayLedger() = default;
  enum class Use { kFirst, kReplayed, kUnavailable };
  // Records `id` as ReplayCache::use does (the same id, the same expires_at); kUnavailable when
  // the record cannot be reached (the caller refuses: accepting could let a replay through).
  virtual Use use(std::string_view id, std::int64_t expires_at, std::int64_t now) = 0;
};

}  // namespace signet
