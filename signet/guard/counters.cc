#include "signet/guard/counters.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace signet::guard {

void Counters::count_failure(const Failure& f) {
  if (f.code == Error::kToken) {
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

std::uint64_t Counters::total_failures() const {
  std::uint64_t n = 0;
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
  boost::json::object o;
  o["verified_ok"] = verified_ok.load(std::memory_order_relaxed);
  o["failures"] = std::move(failures);
  o["jwks_fetches"] = jwks_fetches.load(std::memory_order_relaxed);
  o["jwks_fetch_failures"] = jwks_fetch_failures.load(std::memory_order_relaxed);
  o["token_cache_hits"] = token_cache_hits.load(std::memory_order_relaxed);
  o["token_cache_misses"] = token_cache_misses.load(std::memory_order_relaxed);
  return boost::json::serialize(o);
}

}  // namespace signet::guard
