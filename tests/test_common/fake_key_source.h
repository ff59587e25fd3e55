#pragma once

// A guard::KeySource that serves whatever key set the test gives it, counts fetch() calls, and
// fails or blocks on demand.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "signet/common/result.h"
#include "signet/guard/key_source.h"
#include "signet/jose/jwk.h"

namespace signet::testing {

class FakeKeySource final : public guard::KeySource {
 public:
  FakeKeySource() = default;
  explicit FakeKeySource(std::vector<jose::Jwk> keys) { jwks_.keys = std::move(keys); }

  Result<guard::FetchedKeys, std::string> fetch() override {
    std::unique_lock lock(mu_);
    ++fetches_;
    changed_.notify_all();
    // A blocked source holds every fetch here until unblock(): lets tests pile callers up
    // behind one in-flight fetch.
    changed_.wait(lock, [this] { return !blocked_; });
    if (failure_) {
      return fail(*failure_);
    }
    return guard::FetchedKeys{jwks_, max_age_};
  }

  // From the next fetch on, serve these keys.
  void serve(std::vector<jose::Jwk> keys) {
    std::lock_guard lock(mu_);
    jwks_ = jose::Jwks{};
    jwks_.keys = std::move(keys);
  }

  // The Cache-Control max-age the source reports (none by default).
  void set_max_age(std::optional<std::chrono::seconds> max_age) {
    std::lock_guard lock(mu_);
    max_age_ = max_age;
  }

  // Every fetch fails with `reason` until recover().
  void fail_with(std::string reason) {
    std::lock_guard lock(mu_);
    failure_ = std::move(reason);
  }
  void recover() {
    std::lock_guard lock(mu_);
    failure_.reset();
  }

  // Fetches wait inside fetch() until unblock().
  void block() {
    std::lock_guard lock(mu_);
    blocked_ = true;
  }
  void unblock() {
    {
      std::lock_guard lock(mu_);
      blocked_ = false;
    }
    changed_.notify_all();
  }

  // fetch() calls so far, including failed and blocked ones.
  int fetches() const {
    std::lock_guard lock(mu_);
    return fetches_;
  }

  // Waits (real time) until at least `n` fetches have started; false on timeout.
  bool wait_for_fetches(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return fetches_ >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  jose::Jwks jwks_;
  std::optional<std::chrono::seconds> max_age_;
  std::optional<std::string> failure_;
  bool blocked_ = false;
  int fetches_ = 0;
};

}  // namespace signet::testing
