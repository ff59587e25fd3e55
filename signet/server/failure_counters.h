#pragma once

// The failed-login counters of the password grant, behind one interface with two homes: the
// store for accounts that exist, and memory for usernames that name nobody. Guesses at made-up
// names would otherwise add a store row per name and address (kept a day), so anyone could grow
// the database at will; in memory they are bounded and cost nothing durable. Both homes follow
// the store's rules exactly (store.h, "failed-login counters"), so a made-up name is throttled
// the same way as a real one and the answers do not tell which accounts exist.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "signet/common/result.h"
#include "signet/store/store.h"

namespace signet::server {

// Counters held in memory at most; when full, those that block nothing go first, then the
// oldest. 100k counters take a few MB.
constexpr std::size_t kMaxMemoryFailureCounters = 100'000;
// A counter whose first failure is older than this and that blocks nothing is forgotten (as the
// store's housekeeping forgets its stale rows).
constexpr auto kFailureCounterHorizon = std::chrono::hours{24};

// The users' counters (FailedLoginSubject::kUser) of one home.
class FailureCounters {
 public:
  virtual ~FailureCounters() = default;
  virtual store::StoreResult<store::FailedLoginCounter> get(const store::FailedLoginKey& key,
                                                            store::Timestamp now) = 0;
  virtual store::StoreResult<store::FailedLoginCounter> record(
      const store::FailedLoginKey& key, store::Timestamp now,
      const store::LockoutPolicy& policy) = 0;
  // The account-wide counter (address kAnyAddress), as Store::record_account_failure.
  virtual store::StoreResult<store::FailedLoginCounter> record_account(
      std::string_view subject, store::Timestamp now, const store::AccountDelayPolicy& policy) = 0;
  virtual store::StoreResult<Ok> reset(const store::FailedLoginKey& key) = 0;
  // Subjects with a counter for `address`.
  virtual store::StoreResult<std::int64_t> subjects_from(std::string_view address,
                                                         store::Timestamp now) = 0;
};

class StoreFailureCounters final : public FailureCounters {
 public:
  explicit StoreFailureCounters(store::LoginCounterStore& store) : store_(store) {}
  store::StoreResult<store::FailedLoginCounter> get(const store::FailedLoginKey& key,
                                                    store::Timestamp now) override;
  store::StoreResult<store::FailedLoginCounter> record(const store::FailedLoginKey& key,
                                                       store::Timestamp now,
                                                       const store::LockoutPolicy& policy) override;
  store::StoreResult<store::FailedLoginCounter> record_account(
      std::string_view subject, store::Timestamp now,
      const store::AccountDelayPolicy& policy) override;
  store::StoreResult<Ok> reset(const store::FailedLoginKey& key) override;
  store::StoreResult<std::int64_t> subjects_from(std::string_view address,
                                                 store::Timestamp now) override;

 private:
  store::LoginCounterStore& store_;
};

// Thread-safe.
class MemoryFailureCounters final : public FailureCounters {
 public:
  explicit MemoryFailureCounters(std::size_t max_counters = kMaxMemoryFailureCounters);
  store::StoreResult<store::FailedLoginCounter> get(const store::FailedLoginKey& key,
                                                    store::Timestamp now) override;
  store::StoreResult<store::FailedLoginCounter> record(const store::FailedLoginKey& key,
                                                       store::Timestamp now,
                                                       const store::LockoutPolicy& policy) override;
  store::StoreResult<store::FailedLoginCounter> record_account(
      std::string_view subject, store::Timestamp now,
      const store::AccountDelayPolicy& policy) override;
  store::StoreResult<Ok> reset(const store::FailedLoginKey& key) override;
  store::StoreResult<std::int64_t> subjects_from(std::string_view address,
                                                 store::Timestamp now) override;

  std::size_t size() const;

 private:
  using Key = std::pair<std::string, std::string>;  // (subject, address)
  bool stale(const store::FailedLoginCounter& c, store::Timestamp now) const;
  // Makes room for one more counter (mu_ held).
  void make_room(store::Timestamp now);
  void erase(std::map<Key, store::FailedLoginCounter>::iterator it);
  store::FailedLoginCounter& entry(const Key& key, store::Timestamp now);

  const std::size_t max_counters_;
  mutable std::mutex mu_;
  std::map<Key, store::FailedLoginCounter> counters_;          // guarded by mu_
  std::unordered_map<std::string, std::int64_t> per_address_;  // subjects per address; by mu_
};

}  // namespace signet::server
