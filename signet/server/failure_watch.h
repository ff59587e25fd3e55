#pragma once

// Which clients this process has seen fail to authenticate recently, so that the token endpoint
// reads a client's failure counter from the store only when there is one worth reading. A
// client-credentials token otherwise costs no store access at all (the counter read was a
// third of a P-256 token's cost).
//
// The store stays the source of truth: every failure is recorded there, and a pair on the watch
// list is checked there on each attempt. A server that has not itself seen a pair fail (another
// replica saw the failures) lets one attempt through before the store's answer to its own
// record_failed_login blocks it too: one extra attempt per replica per block, against secrets of
// 256 random bits.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "signet/store/types.h"

namespace signet::server {

// Pairs remembered at most; past this the watch list gives up and says "check the store" for
// everyone until its entries expire, which is slower but never lets a block be skipped.
constexpr std::size_t kMaxWatchedFailures = 100'000;

// How long a pair stays watched after its last failure (or the end of its block).
constexpr auto kFailureWatchHorizon = std::chrono::hours{24};

class FailureWatch {
 public:
  explicit FailureWatch(std::size_t max_entries = kMaxWatchedFailures);

  // True when the store's counter for `key` must be read at `now`.
  bool suspect(std::string_view key, store::Timestamp now) const;
  // Remembers `key` until `until` (when its counter can no longer block anything); `now` lets
  // expired entries make room.
  void note_failure(std::string_view key, store::Timestamp now, store::Timestamp until);
  // Forgets `key` (its counter was reset after a success).
  void forget(std::string_view key);

 private:
  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, store::Timestamp> until_;  // guarded by mu_
  store::Timestamp saturated_until_{};                       // guarded by mu_
};

}  // namespace signet::server
