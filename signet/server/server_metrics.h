#pragma once

// What `signet serve` exports at /metrics besides HTTP and the store (docs/operations.md):
// tokens issued by grant and algorithm, token-endpoint errors by OAuth code, refresh-token and
// authorization-code reuse, revocations, introspections, the login throttle's lockouts and
// refusals, and the fetches of client jwks_uri documents. All read at scrape time from the
// counters the endpoint keeps anyway (EndpointCounters, ThrottleCounters, guard::Counters).

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "signet/metrics/registry.h"
#include "signet/server/event_log.h"
#include "signet/server/tenant.h"
#include "signet/server/token_endpoint.h"

namespace signet::server {

// Registers the series; `endpoint` must outlive the last scrape. Throws std::invalid_argument
// when they are registered already (start-up only).
void register_endpoint_metrics(metrics::Registry& registry, TokenEndpoint& endpoint);

// The event log's own health: events recorded, stored, dropped (queue full during a long store
// outage), failed store writes, and the queue's length. `events` must outlive the registry's use.
void register_event_log_metrics(metrics::Registry& registry, const EventLog& events);

// How long /health/ready reuses the store's last answer, so probes (or anyone who can reach the
// listener) cannot turn into a query each.
constexpr auto kStoreProbeInterval = std::chrono::seconds{1};

// Whether `signet serve` can serve: the store answers (a read of its generation counter, at most
// once per kStoreProbeInterval) and the tenant holds a current signing key. Thread-safe.
class Readiness {
 public:
  using Clock = std::chrono::steady_clock;
  // `store` and `tenant` must outlive this; `clock` is replaced by tests.
  Readiness(store::Store& store, const Tenant& tenant,
            std::function<Clock::time_point()> clock = &Clock::now);

  // What keeps the server from being ready, each saying what to fix; empty when ready.
  std::vector<std::string> reasons();

 private:
  store::Store& store_;
  const Tenant& tenant_;
  std::function<Clock::time_point()> clock_;
  std::mutex mutex_;
  std::optional<Clock::time_point> probed_at_;
  std::optional<std::string> store_problem_;  // the last probe's failure
};

}  // namespace signet::server
