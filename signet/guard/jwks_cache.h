#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "signet/common/periodic_task.h"
#include "signet/common/result.h"
#include "signet/guard/clock.h"
#include "signet/guard/config.h"
#include "signet/guard/counters.h"
#include "signet/guard/error.h"
#include "signet/guard/key_source.h"

namespace signet::guard {

// Whether a lookup may block the calling thread on a fetch (up to kJwksFetchTimeout).
enum class KeyWait {
  kMayBlock,  // fetch or wait for a fetch when the keys require it
  kNever,  // fail with kKeysPending instead; the caller retries with kMayBlock off its I/O thread
};

// One fetched key set, immutable once published.
struct KeySet {
  jose::Jwks jwks;
  std::chrono::system_clock::time_point fetched_at;
  std::chrono::system_clock::time_point expires_at;  // fresh until then; stale-but-usable after
  std::uint64_t generation = 0;                      // increases with every successful fetch
};

// The issuer's keys, fetched through a KeySource and shared by every request.
//
// - Keys are cached for the source's max-age (bounded to [kJwksMinTtl, kJwksMaxTtl]) or the
//   configured default, and refreshed in the background before they expire.
// - If the issuer is unreachable, the last good keys keep serving until jwks_max_stale past
//   expiry, so an issuer outage does not become an API outage.
// - An unknown kid triggers at most one refetch per cooldown.
// - Concurrent fetches are coalesced: callers that need keys while a fetch runs wait for it.
class JwksCache {
 public:
  JwksCache(std::shared_ptr<KeySource> source, std::shared_ptr<const Clock> clock,
            const GuardConfig& config, Counters& counters);
  ~JwksCache();
  JwksCache(const JwksCache&) = delete;
  JwksCache& operator=(const JwksCache&) = delete;

  struct Found {
    std::shared_ptr<const KeySet> set;  // keeps `key` alive
    const jose::Jwk* key;
  };
  // The key for a token: by kid, or the only key accepting `alg` when the token has no kid.
  // May fetch (blocking, at most kJwksFetchTimeout) when no usable keys are cached or the kid
  // is unknown and the cooldown allows. Fails with kKidUnknown, kKidMissing or kKeysUnavailable.
  Result<Found, Error> find(const std::optional<std::string>& kid, jose::Algorithm alg,
                            KeyWait wait = KeyWait::kMayBlock);

  // The current key set without fetching (null before the first successful fetch).
  std::shared_ptr<const KeySet> current() const;
  // The current key set if it may still verify at `now` (fresh, or stale within
  // jwks_max_stale), else null.
  std::shared_ptr<const KeySet> current_usable(std::chrono::system_clock::time_point now) const;

  // Fetches now (coalesced with any fetch in flight). Returns false if it failed.
  bool refresh();

  // Fetches if the keys are near expiry or a retry is due; what the background thread runs.
  void refresh_if_due();

  // Starts/stops the background refresher thread (stop is also done by the destructor).
  void start_background_refresh();
  void stop_background_refresh();

  std::string last_error() const;

 private:
  std::shared_ptr<const KeySet> fetch_coalesced();
  std::chrono::seconds ttl_for(const std::optional<std::chrono::seconds>& max_age) const;
  bool usable(const KeySet& set, std::chrono::system_clock::time_point now) const;

  std::shared_ptr<KeySource> source_;
  std::shared_ptr<const Clock> clock_;
  const GuardConfig config_;
  Counters& counters_;

  mutable std::mutex mu_;
  std::condition_variable fetched_cv_;
  std::shared_ptr<const KeySet> current_;
  bool fetching_ = false;
  std::uint64_t fetch_round_ = 0;  // completed fetch attempts, to wake coalesced waiters
  std::optional<std::chrono::system_clock::time_point> last_kid_refetch_;
  std::optional<std::chrono::system_clock::time_point> last_failure_;
  std::string last_error_;

  std::mutex thread_mu_;                     // start and stop one at a time
  std::unique_ptr<PeriodicTask> refresher_;  // guarded by thread_mu_; null when not running
};

}  // namespace signet::guard
