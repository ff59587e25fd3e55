#pragma once

// A guard::Clock that moves only when a test says so.

#include <atomic>
#include <chrono>
#include <cstdint>

#include "signet/guard/clock.h"

namespace signet::testing {

// Whole seconds since the epoch, stored atomically: background refreshers read it while the test
// thread moves it.
class FakeClock final : public guard::Clock {
 public:
  // 2023-11-14T22:13:20Z: a fixed, unremarkable instant.
  static constexpr std::int64_t kStart = 1'700'000'000;

  explicit FakeClock(std::int64_t unix_seconds = kStart) : now_(unix_seconds) {}

  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::seconds{now_.load()}};
  }

  // The current time as a NumericDate, for minting claims.
  std::int64_t unix() const { return now_.load(); }

  void set(std::int64_t unix_seconds) { now_.store(unix_seconds); }
  void advance(std::chrono::seconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace signet::testing
