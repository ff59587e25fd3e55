#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signet/guard/error.h"

namespace signet::metrics {
class Registry;
}

namespace signet::guard {

// Counters the host program can read and export. Relaxed atomics: monotonic tallies only.
class Counters {
 public:
  std::atomic<std::uint64_t> verified_ok{0};
  std::atomic<std::uint64_t> jwks_fetches{0};  // attempts, successful or not
  std::atomic<std::uint64_t> jwks_fetch_failures{0};
  std::atomic<std::uint64_t> token_cache_hits{0};
  std::atomic<std::uint64_t> token_cache_misses{0};
  std::atomic<std::uint64_t> dpop_proofs_verified{0};  // DPoP proofs that passed every check

  void count_failure(const Failure& f);
  std::uint64_t failures(Error e) const;
  std::uint64_t failures(jose::Error e) const;
  std::uint64_t failures(jose::dpop::ProofError e) const;  // proofs refused by that rule
  std::uint64_t total_failures() const;
  // Proofs refused because their jti was used before: someone replays a captured request.
  std::uint64_t dpop_replays() const { return failures(jose::dpop::ProofError::kReplayed); }

  // {"verified_ok":..,"failures":{"<rule>":n,...},"jwks_fetches":..,...} for /metrics-like use.
  std::string to_json() const;

  // The refusals so far as (rule, count), the rule as to_string() words it; rules never broken
  // are left out.
  std::vector<std::pair<std::string, std::uint64_t>> refusals() const;

 private:
  static constexpr std::size_t kGuardErrors = static_cast<std::size_t>(Error::kDpopProof) + 1;
  static constexpr std::size_t kJoseErrors =
      static_cast<std::size_t>(jose::Error::kIatInFuture) + 1;
  static constexpr std::size_t kProofErrors =
      static_cast<std::size_t>(jose::dpop::ProofError::kKeyMismatch) + 1;
  std::array<std::atomic<std::uint64_t>, kGuardErrors> guard_failures_{};
  std::array<std::atomic<std::uint64_t>, kJoseErrors> jose_failures_{};
  std::array<std::atomic<std::uint64_t>, kProofErrors> proof_failures_{};  // kDpopProof, by rule
};

// Exports `counters` into `registry`, read at scrape time, so any program that hosts a guard
// publishes the same series: <prefix>_verified_total, <prefix>_refused_total{rule},
// <prefix>_jwks_fetches_total, <prefix>_jwks_fetch_failures_total,
// <prefix>_token_cache_hits_total, <prefix>_token_cache_misses_total,
// <prefix>_dpop_proofs_verified_total and <prefix>_dpop_replays_total. `counters` must outlive
// the last scrape. Throws std::invalid_argument when the prefix is taken (start-up only).
void register_counters(metrics::Registry& registry, const Counters& counters,
                       std::string_view prefix = "signet_guard");

}  // namespace signet::guard
