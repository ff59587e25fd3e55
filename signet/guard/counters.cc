#include "signet/guard/counters.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "signet/metrics/registry.h"

namespace signet::guard {

void Counters::count_failure(const Failure& f) {
  if (f.code == Error::kDpopProof && f.proof) {
    proof_failures_[static_cast<std::size_t>(f.proof->code)].fetch_add(1,
                                                                       std::memory_order_relaxed);
  } else if (f.code == Error::kToken) {
    jose_failures_[static_cast<std::size_t>(f.jose)].fetch_add(1, std::memory_order_relaxed);
  } else {
    guard_failures_[static_cast<std::size_t>(f.code)].fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t Counters::failures(Error e) const {
  return guard_failures_[static_cast<std::size_t>(e)].load(std::memory_order_relaxed);
}

std::uint64_t Counters::failures(jose::Error e) const {
  return jose_failures_[static_cast<std::size_t>(e)].load(std::memory_order_relaxed);
}

std::uint64_t Counters::failures(jose::dpop::ProofError e) const {
  return proof_failures_[static_cast<std::size_t>(e)].load(std::memory_order_relaxed);
}

std::uint64_t Counters::total_failures() const {
  std::uint64_t n = 0;
  for (const auto& c : proof_failures_) {
    n += c.load(std::memory_order_relaxed);
  }
  for (const auto& c : guard_failures_) {
    n += c.load(std::memory_order_relaxed);
  }
  for (const auto& c : jose_failures_) {
    n += c.load(std::memory_order_relaxed);
  }
  return n;
}

std::string Counters::to_json() const {
  boost::json::object failures;
  for (std::size_t i = 0; i < kGuardErrors; ++i) {
    if (auto n = guard_failures_[i].load(std::memory_order_relaxed); n != 0) {
      failures[to_string(static_cast<Error>(i))] = n;
    }
  }
  for (std::size_t i = 0; i < kJoseErrors; ++i) {
    if (auto n = jose_failures_[i].load(std::memory_order_relaxed); n != 0) {
      failures[jose::to_string(static_cast<jose::Error>(i))] = n;
    }
  }
  for (std::size_t i = 0; i < kProofErrors; ++i) {
    if (auto n = proof_failures_[i].load(std::memory_order_relaxed); n != 0) {
      failures[jose::dpop::to_string(static_cast<jose::dpop::ProofError>(i))] = n;
    }
  }
  boost::json::object o;
  o["verified_ok"] = verified_ok.load(std::memory_order_relaxed);
  o["failures"] = std::move(failures);
  o["jwks_fetches"] = jwks_fetches.load(std::memory_order_relaxed);
  o["jwks_fetch_failures"] = jwks_fetch_failures.load(std::memory_order_relaxed);
  o["token_cache_hits"] = token_cache_hits.load(std::memory_order_relaxed);
  o["token_cache_misses"] = token_cache_misses.load(std::memory_order_relaxed);
  o["dpop_proofs_verified"] = dpop_proofs_verified.load(std::memory_order_relaxed);
  return boost::json::serialize(o);
}

std::vector<std::pair<std::string, std::uint64_t>> Counters::refusals() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (std::size_t i = 0; i < kGuardErrors; ++i) {
    if (auto n = guard_failures_[i].load(std::memory_order_relaxed); n != 0) {
      out.emplace_back(to_string(static_cast<Error>(i)), n);
    }
  }
  for (std::size_t i = 0; i < kJoseErrors; ++i) {
    if (auto n = jose_failures_[i].load(std::memory_order_relaxed); n != 0) {
      out.emplace_back(jose::to_string(static_cast<jose::Error>(i)), n);
    }
  }
  for (std::size_t i = 0; i < kProofErrors; ++i) {
    if (auto n = proof_failures_[i].load(std::memory_order_relaxed); n != 0) {
      out.emplace_back(jose::dpop::to_string(static_cast<jose::dpop::ProofError>(i)), n);
    }
  }
  return out;
}

void register_counters(metrics::Registry& registry, const Counters& counters,
                       std::string_view prefix) {
  const std::string p(prefix);
  const auto read = [](const std::atomic<std::uint64_t>& a) {
    return [&a] { return static_cast<double>(a.load(std::memory_order_relaxed)); };
  };
  registry.counter_callback(p + "_verified_total", "Access tokens verified and allowed.", {},
                            read(counters.verified_ok));
  registry.collector(p + "_refused_total",
                     "Requests refused, by the rule they broke (only rules broken so far).",
                     metrics::Type::kCounter, [&counters] {
                       std::vector<metrics::Sample> out;
                       for (const auto& [rule, n] : counters.refusals()) {
                         out.push_back({{{"rule", rule}}, static_cast<double>(n)});
                       }
                       return out;
                     });
  registry.counter_callback(p + "_jwks_fetches_total",
                            "Fetches of the issuer's JWKS, successful or not.", {},
                            read(counters.jwks_fetches));
  registry.counter_callback(p + "_jwks_fetch_failures_total", "Fetches of the JWKS that failed.",
                            {}, read(counters.jwks_fetch_failures));
  registry.counter_callback(p + "_token_cache_hits_total",
                            "Tokens found in the verified-token cache (no signature check).", {},
                            read(counters.token_cache_hits));
  registry.counter_callback(p + "_token_cache_misses_total",
                            "Tokens not in the verified-token cache (signature checked).", {},
                            read(counters.token_cache_misses));
  registry.counter_callback(p + "_dpop_proofs_verified_total",
                            "DPoP proofs that passed every check, replay included.", {},
                            read(counters.dpop_proofs_verified));
  registry.counter_callback(p + "_dpop_replays_total",
                            "DPoP proofs refused because their jti was used before.", {},
                            [&counters] { return static_cast<double>(counters.dpop_replays()); });
}

}  // namespace signet::guard
