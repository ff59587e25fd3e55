#pragma once

// The configuration the token endpoint reads on every request (APIs, applications, client grants,
// the current signing keys and the published JWKS), held in memory as an immutable snapshot and
// replaced whenever the store's generation() moves. Issuing a client-credentials token therefore
// touches no database, and a change made with the admin CLI in another process is picked up by
// the next poll (well within DESIGN's one second).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "signet/common/periodic_task.h"
#include "signet/common/result.h"
#include "signet/jose/algorithm.h"
#include "signet/jose/jwk.h"
#include "signet/keys/key_manager.h"
#include "signet/store/store.h"

namespace signet::server {

// How often the watcher asks the store whether anything changed: a change reaches requests
// within this (plus one reload), comfortably inside the one second DESIGN.md promises.
constexpr auto kConfigPollInterval = std::chrono::milliseconds{250};
// ID tokens are always RS256: it is the one algorithm every OpenID Connect client must support.
constexpr jose::Algorithm kIdTokenAlgorithm = jose::Algorithm::kRS256;

struct TenantSnapshot {
  std::uint64_t generation = 0;  // the store's generation read before any of the data below
  std::map<std::string, store::Api, std::less<>> apis;
  std::map<std::string, store::Application, std::less<>> applications;
  std::map<std::pair<std::string, std::string>, store::ClientGrant> grants;  // (client, audience)
  std::map<jose::Algorithm, jose::Jwk> signing_keys;  // the current key of each algorithm in use
  std::string jwks_json;                              // the published JWKS, served as is
  jose::Jwks published;  // the same keys, parsed: verifies our own tokens (userinfo, introspect)

  const store::Api* find_api(std::string_view identifier) const;
  const store::Application* find_application(std::string_view client_id) const;
  const store::ClientGrant* find_grant(std::string_view client_id, std::string_view audience) const;
  const jose::Jwk* signing_key(jose::Algorithm alg) const;
};

class Tenant {
 public:
  // `store` and `keys` must outlive the tenant.
  Tenant(store::Store& store, keys::KeyManager& keys);
  ~Tenant();
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  // Reads everything from the store, first creating signing keys for any algorithm an API uses
  // (and RS256 for ID tokens) that has none yet. The error is a sentence for the operator.
  Result<Ok, std::string> load(store::Timestamp now);
  // Reloads when the generation moved since the last load; keeps the old snapshot (and returns
  // the error) when reloading fails, so a busy store never takes the server down. A generation
  // read that works confirms the snapshot at `now` (see confirmed_within); one that fails marks
  // the store as not answering until the next that works.
  Result<bool, std::string> refresh_if_changed(store::PreciseTimestamp now);

  // Whether something answered from the snapshot alone (a client-credentials token) may still
  // trust it at `now`: true while the last look at the store worked, and for `grace` after the
  // last one that did once the store stops answering. After that the snapshot may still hold a
  // client or grant revoked since, and would hand it tokens for as long as the outage lasts.
  // A grace of zero trusts nothing the store cannot confirm.
  bool confirmed_within(std::chrono::seconds grace, store::PreciseTimestamp now) const;

  // The current snapshot; never null after a successful load(). Cheap (an atomic load).
  std::shared_ptr<const TenantSnapshot> snapshot() const { return snapshot_.load(); }

  // What the watcher tells its owner, on the watcher's thread: once when polls start failing
  // (with the first error), and once when one works again (with how long they failed), rather
  // than every poll of an outage.
  struct WatchReports {
    std::function<void(const std::string& error)> failing;
    std::function<void(std::chrono::milliseconds failed_for)> recovered;
  };

  // Polls refresh_if_changed every `interval` on a background thread until stop_watching() or
  // destruction.
  void start_watching(std::chrono::milliseconds interval, WatchReports reports);
  void stop_watching();
  // Tells the watcher that the configuration may have changed (a PostgreSQL notification): it
  // looks at once instead of at its next poll.
  void changed();

 private:
  store::Store& store_;
  keys::KeyManager& keys_;
  std::mutex load_mu_;  // one reload at a time
  std::atomic<std::shared_ptr<const TenantSnapshot>> snapshot_;
  // When a generation read last worked (milliseconds since the epoch; only moves forward), and
  // whether the latest one did.
  std::atomic<std::int64_t> confirmed_at_ms_{0};
  std::atomic<bool> store_answering_{true};

  void note_confirmed(store::PreciseTimestamp now);

  std::mutex watch_mu_;                    // start, stop and wake one at a time
  std::unique_ptr<PeriodicTask> watcher_;  // guarded by watch_mu_; null when not watching
};

}  // namespace signet::server
