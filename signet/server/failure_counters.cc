#include "signet/server/failure_counters.h"

#include <algorithm>

namespace signet::server {

using store::FailedLoginCounter;
using store::FailedLoginKey;
using store::FailedLoginSubject;
using store::StoreResult;
using store::Timestamp;

StoreResult<FailedLoginCounter> StoreFailureCounters::get(const FailedLoginKey& key, Timestamp) {
  return store_.get_failed_logins(key);
}

StoreResult<FailedLoginCounter> StoreFailureCounters::record(const FailedLoginKey& key,
                                                             Timestamp now,
                                                             const store::LockoutPolicy& policy) {
  return store_.record_failed_login(key, now, policy);
}

StoreResult<FailedLoginCounter> StoreFailureCounters::record_account(
    std::string_view subject, Timestamp now, const store::AccountDelayPolicy& policy) {
  return store_.record_account_failure(FailedLoginSubject::kUser, subject, now, policy);
}

StoreResult<Ok> StoreFailureCounters::reset(const FailedLoginKey& key) {
  return store_.reset_failed_logins(key);
}

StoreResult<std::int64_t> StoreFailureCounters::subjects_from(std::string_view address, Timestamp) {
  return store_.count_failed_login_subjects(FailedLoginSubject::kUser, address);
}

MemoryFailureCounters::MemoryFailureCounters(std::size_t max_counters)
    : max_counters_(std::max<std::size_t>(max_counters, 1)) {}

std::size_t MemoryFailureCounters::size() const {
  std::lock_guard lock(mu_);
  return counters_.size();
}

bool MemoryFailureCounters::stale(const FailedLoginCounter& c, Timestamp now) const {
  return !c.blocked_at(now) && c.first_failure_at &&
         *c.first_failure_at + kFailureCounterHorizon < now;
}

void MemoryFailureCounters::erase(std::map<Key, FailedLoginCounter>::iterator it) {
  if (it->first.second != store::kAnyAddress) {
    auto a = per_address_.find(it->first.second);
    if (a != per_address_.end() && --a->second <= 0) {
      per_address_.erase(a);
    }
  }
  counters_.erase(it);
}

void MemoryFailureCounters::make_room(Timestamp now) {
  if (counters_.size() < max_counters_) {
    return;
  }
  for (auto it = counters_.begin(); it != counters_.end();) {
    auto next = std::next(it);
    if (!it->second.blocked_at(now)) {
      erase(it);
    }
    it = next;
  }
  while (counters_.size() >= max_counters_) {
    // Everything left blocks something: the block that ends first goes.
    auto oldest = std::min_element(counters_.begin(), counters_.end(), [](auto& a, auto& b) {
      return a.second.blocked_until < b.second.blocked_until;
    });
    erase(oldest);
  }
}

FailedLoginCounter& MemoryFailureCounters::entry(const Key& key, Timestamp now) {
  auto it = counters_.find(key);
  if (it != counters_.end() && stale(it->second, now)) {
    erase(it);
    it = counters_.end();
  }
  if (it == counters_.end()) {
    make_room(now);
    it = counters_.emplace(key, FailedLoginCounter{}).first;
    if (key.second != store::kAnyAddress) {
      ++per_address_[key.second];
    }
  }
  return it->second;
}

StoreResult<FailedLoginCounter> MemoryFailureCounters::get(const FailedLoginKey& key,
                                                           Timestamp now) {
  std::lock_guard lock(mu_);
  auto it = counters_.find(Key{key.subject, key.address});
  if (it == counters_.end()) {
    return FailedLoginCounter{};
  }
  if (stale(it->second, now)) {
    erase(it);
    return FailedLoginCounter{};
  }
  return it->second;
}

// The store's rules (sqlite_login_counters.cc, record_failed_login), in memory.
StoreResult<FailedLoginCounter> MemoryFailureCounters::record(const FailedLoginKey& key,
                                                              Timestamp now,
                                                              const store::LockoutPolicy& policy) {
  std::lock_guard lock(mu_);
  FailedLoginCounter& c = entry(Key{key.subject, key.address}, now);
  const bool ran_out = c.blocked_until && *c.blocked_until <= now;
  if (c.count == 0 || ran_out) {
    c.count = 1;
    c.first_failure_at = now;
    c.blocked_until.reset();
    if (policy.max_failures <= 1) {
      c.blocked_until = now + policy.block_for;
    }
  } else {
    ++c.count;
    if (!c.blocked_until && c.count >= policy.max_failures) {
      c.blocked_until = now + policy.block_for;
    }
  }
  return c;
}

StoreResult<FailedLoginCounter> MemoryFailureCounters::record_account(
    std::string_view subject, Timestamp now, const store::AccountDelayPolicy& policy) {
  std::lock_guard lock(mu_);
  FailedLoginCounter& c = entry(Key{std::string(subject), std::string(store::kAnyAddress)}, now);
  if (c.count == 0) {
    c.first_failure_at = now;
  }
  ++c.count;
  const auto delay = policy.delay(c.count);
  c.blocked_until.reset();
  if (delay.count() > 0) {
    c.blocked_until = now + delay;
  }
  return c;
}

StoreResult<Ok> MemoryFailureCounters::reset(const FailedLoginKey& key) {
  std::lock_guard lock(mu_);
  auto it = counters_.find(Key{key.subject, key.address});
  if (it != counters_.end()) {
    erase(it);
  }
  return Ok{};
}

StoreResult<std::int64_t> MemoryFailureCounters::subjects_from(std::string_view address,
                                                               Timestamp) {
  std::lock_guard lock(mu_);
  auto it = per_address_.find(std::string(address));
  return it == per_address_.end() ? std::int64_t{0} : it->second;
}

}  // namespace signet::server
