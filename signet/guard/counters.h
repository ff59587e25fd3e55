#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "signet/guard/error.h"

namespace signet::guard {

// Counters the host program can read and export. Relaxed atomics: monotonic tallies only.
class Counters {
 public:
  std::atomic<std::uint64_t> verified_ok{0};
  std::atomic<std::uint64_t> jwks_fetches{0};  // attempts, successful or not
  std::atomic<std::uint64_t> jwks_fetch_failures{0};
  std::atomic<std::uint64_t> token_cache_hits{0};
  std::atomic<std::uint64_t> token_cache_misses{0};

  void count_failure(const Failure& f);
  std::uint64_t failures(Error e) const;
  std::uint64_t failures(jose::Error e) const;
  std::uint64_t total_failures() const;

  // {"verified_ok":..,"failures":{"<rule>":n,...},"jwks_fetches":..,...} for /metrics-like use.
  std::string to_json() const;

 private:
  static constexpr std::size_t kGuardErrors =
      static_cast<std::size_t>(Error::kInsufficientScope) + 1;
  static constexpr std::size_t kJoseErrors =
      static_cast<std::size_t>(jose::Error::kIatInFuture) + 1;
  std::array<std::atomic<std::uint64_t>, kGuardErrors> guard_failures_{};
  std::array<std::atomic<std::uint64_t>, kJoseErrors> jose_failures_{};
};

}  // namespace signet::guard
