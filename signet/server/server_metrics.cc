#include "signet/server/server_metrics.h"

#include <array>
#include <string_view>
#include <utility>

#include "signet/guard/counters.h"
#include "signet/jose/algorithm.h"

namespace signet::server {

namespace {

constexpr std::string_view kNoSigningKey =
    "no signing key is loaded: create one with 'signet keys rotate', or check the master key";

double read(const std::atomic<std::uint64_t>& a) {
  return static_cast<double>(a.load(std::memory_order_relaxed));
}

}  // namespace

void register_event_log_metrics(metrics::Registry& registry, const EventLog& events) {
  registry.counter_callback("signet_events_recorded_total",
                            "Events the event log accepted (token requests, sign-ins, lockouts, "
                            "admin changes).",
                            {}, [&events] { return static_cast<double>(events.stats().recorded); });
  registry.counter_callback("signet_events_stored_total", "Events written to the store.", {},
                            [&events] { return static_cast<double>(events.stats().written); });
  registry.counter_callback(
      "signet_events_dropped_total",
      "Events lost because the queue was full while the store did not answer.", {},
      [&events] { return static_cast<double>(events.stats().dropped); });
  registry.counter_callback(
      "signet_event_store_write_failures_total",
      "Store writes of the event log that failed (their events were kept for the next try).", {},
      [&events] { return static_cast<double>(events.stats().write_failures); });
  registry.gauge_callback("signet_events_queued", "Events waiting to be written to the store.", {},
                          [&events] { return static_cast<double>(events.queued()); });
}

void register_endpoint_metrics(metrics::Registry& registry, TokenEndpoint& endpoint) {
  const EndpointCounters& c = endpoint.counters();
  const std::array<std::pair<std::string_view, const EndpointCounters::ByAlgorithm*>, 4> grants{{
      {"client_credentials", &c.issued_client_credentials},
      {"password", &c.issued_password},
      {"refresh_token", &c.issued_refresh_token},
      {"authorization_code", &c.issued_authorization_code},
  }};
  for (const auto& [grant, by_alg] : grants) {
    for (std::size_t i = 0; i < kAlgorithms; ++i) {
      registry.counter_callback(
          "signet_tokens_issued_total", "Access tokens issued, by grant type and algorithm.",
          {{"grant", std::string(grant)},
           {"alg", std::string(jose::to_string(static_cast<jose::Algorithm>(i)))}},
          [counter = &(*by_alg)[i]] { return read(*counter); });
    }
  }
  for (std::size_t i = 0; i < c.errors.size(); ++i) {
    registry.counter_callback(
        "signet_token_endpoint_errors_total",
        "Error responses of /oauth/token, /oauth/revoke and /oauth/introspect, by OAuth error "
        "code.",
        {{"error", std::string(to_string(static_cast<OAuthErrorCode>(i)))}},
        [counter = &c.errors[i]] { return read(*counter); });
  }
  registry.counter_callback("signet_refresh_token_reuse_detected_total",
                            "Rotated refresh tokens presented again after the grace period (the "
                            "family is revoked).",
                            {}, [&c] { return read(c.refresh_reuse_detected); });
  registry.counter_callback("signet_authorization_code_reuse_detected_total",
                            "Authorization codes presented a second time.", {},
                            [&c] { return read(c.code_reuse_detected); });
  registry.counter_callback("signet_revocations_total", "Successful /oauth/revoke requests.", {},
                            [&c] { return read(c.revocations); });
  registry.counter_callback("signet_introspections_total", "Successful /oauth/introspect requests.",
                            {}, [&c] { return read(c.introspections); });

  const ThrottleCounters& t = endpoint.password_check().throttle().counters();
  registry.counter_callback("signet_login_lockouts_total",
                            "Blocks started for an account from an address group after too many "
                            "wrong passwords.",
                            {}, [&t] { return read(t.lockouts); });
  const std::array<std::pair<std::string_view, const std::atomic<std::uint64_t>*>, 3> refusals{{
      {"blocked", &t.refused_blocked},
      {"account_slowed", &t.refused_slowed},
      {"address_many_accounts", &t.refused_address},
  }};
  for (const auto& [limit, counter] : refusals) {
    registry.counter_callback(
        "signet_login_throttled_total",
        "Password attempts refused before the password was checked, by the limit that refused "
        "them (blocked: account and address; account_slowed: the account from anywhere; "
        "address_many_accounts: one address failing on many accounts).",
        {{"limit", std::string(limit)}}, [c = counter] { return read(*c); });
  }
  // Proofs at the token endpoint and at /userinfo, the server's own protected resource (the
  // Management API's are the guard's: signet_management_guard_*).
  for (const auto& [label, counters] :
       {std::pair<std::string, const DpopCounters*>{"token", &endpoint.dpop().counters()},
        std::pair<std::string, const DpopCounters*>{"userinfo",
                                                    &endpoint.dpop().resource_counters()}}) {
    const DpopCounters& d = *counters;
    const bool token = label == "token";
    registry.counter_callback(
        "signet_dpop_proofs_accepted_total",
        "DPoP proofs accepted, by endpoint (token: /oauth/token, each bound a token to its key; "
        "userinfo: /userinfo, each proved a bound token's key).",
        {{"endpoint", label}}, [&d] { return read(d.accepted); });
    for (std::size_t i = 0; i < d.refused.size(); ++i) {
      const auto rule = static_cast<jose::dpop::ProofError>(i);
      if (token &&
          (rule == jose::dpop::ProofError::kMissing || rule == jose::dpop::ProofError::kAth ||
           rule == jose::dpop::ProofError::kKeyMismatch ||
           rule == jose::dpop::ProofError::kReplayUnrecorded)) {
        // Never counted there: no header is no proof, a token request has no ath, and a proof
        // the store cannot record is taken on this process's cache alone.
        continue;
      }
      registry.counter_callback(
          "signet_dpop_proofs_refused_total",
          "DPoP proofs refused, by endpoint and by the rule they broke (replayed: a jti seen "
          "before, here or by another replica; replay_cache_full: refused because too many fresh "
          "proofs are remembered; replay_unrecorded: the store could not record it).",
          {{"endpoint", label}, {"rule", std::string(rule_name(rule))}},
          [counter = &d.refused[i]] { return read(*counter); });
    }
  }
  registry.gauge_callback(
      "signet_dpop_replay_cache_entries",
      "DPoP proof ids remembered against replay until their proofs expire.", {},
      [&endpoint] { return static_cast<double>(endpoint.dpop().remembered()); });
  // The guard's counters of private_key_jwt clients' jwks_uri documents.
  guard::register_counters(registry, endpoint.clients().assertions().keys().counters(),
                           "signet_client_keys");
}

Readiness::Readiness(store::Store& store, const Tenant& tenant,
                     std::function<Clock::time_point()> clock)
    : store_(store), tenant_(tenant), clock_(std::move(clock)) {}

std::vector<std::string> Readiness::reasons() {
  std::vector<std::string> out;
  {
    const std::lock_guard lock(mutex_);
    const auto now = clock_();
    if (!probed_at_ || now - *probed_at_ >= kStoreProbeInterval) {
      auto answered = store_.generation();
      store_problem_ = answered ? std::nullopt
                                : std::optional<std::string>(
                                      "the store does not answer (" + describe(answered.error()) +
                                      "): check that the database is up and reachable");
      probed_at_ = now;
    }
    if (store_problem_) {
      out.push_back(*store_problem_);
    }
  }
  const auto snap = tenant_.snapshot();  // null until the first load
  if (!snap || snap->signing_keys.empty()) {
    out.emplace_back(kNoSigningKey);
  }
  return out;
}

}  // namespace signet::server
