#include "signet/guard/jwks_cache.h"

#include <algorithm>

namespace signet::guard {
namespace {

constexpr double kRefreshAt = 0.8;  // refresh when this fraction of the TTL has passed
constexpr auto kRefresherTick = std::chrono::seconds{1};  // background thread wake-up period

}  // namespace

JwksCache::JwksCache(std::shared_ptr<KeySource> source, std::shared_ptr<const Clock> clock,
                     const GuardConfig& config, Counters& counters)
    : source_(std::move(source)), clock_(std::move(clock)), config_(config), counters_(counters) {}

JwksCache::~JwksCache() {
  stop_background_refresh();
}

std::shared_ptr<const KeySet> JwksCache::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::shared_ptr<const KeySet> JwksCache::current_usable(
    std::chrono::system_clock::time_point now) const {
  auto set = current();
  return set && usable(*set, now) ? set : nullptr;
}

std::string JwksCache::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

std::chrono::seconds JwksCache::ttl_for(const std::optional<std::chrono::seconds>& max_age) const {
  if (!max_age) {
    return config_.jwks_default_ttl;
  }
  return std::clamp<std::chrono::seconds>(*max_age, kJwksMinTtl, kJwksMaxTtl);
}

bool JwksCache::usable(const KeySet& set, std::chrono::system_clock::time_point now) const {
  return now < set.expires_at + config_.jwks_max_stale;
}

std::shared_ptr<const KeySet> JwksCache::fetch_coalesced() {
  std::unique_lock lock(mu_);
  if (fetching_) {
    // Someone is already fetching: wait for that round instead of starting another.
    const std::uint64_t round = fetch_round_;
    fetched_cv_.wait(lock, [&] { return fetch_round_ != round; });
    return current_;
  }
  fetching_ = true;
  lock.unlock();

  counters_.jwks_fetches.fetch_add(1, std::memory_order_relaxed);
  auto fetched = source_->fetch();  // no lock held: this may take seconds
  const auto now = clock_->now();

  lock.lock();
  if (fetched) {
    auto set = std::make_shared<KeySet>();
    set->jwks = std::move(fetched->jwks);
    set->fetched_at = now;
    set->expires_at = now + ttl_for(fetched->max_age);
    set->generation = current_ ? current_->generation + 1 : 1;
    current_ = std::move(set);
    last_failure_.reset();
    last_error_.clear();
  } else {
    counters_.jwks_fetch_failures.fetch_add(1, std::memory_order_relaxed);
    last_failure_ = now;
    last_error_ = fetched.error();
  }
  fetching_ = false;
  ++fetch_round_;
  fetched_cv_.notify_all();
  return current_;
}

bool JwksCache::refresh() {
  const auto before = current();
  const auto after = fetch_coalesced();
  return after && after != before;
}

Result<JwksCache::Found, Error> JwksCache::find(const std::optional<std::string>& kid,
                                                jose::Algorithm alg, KeyWait wait) {
  const auto now = clock_->now();
  auto set = current();
  bool fetched_now = false;  // a key set fetched during this call already answers for the kid
  if (!set || now >= set->expires_at) {
    // Expired keys are refetched on the request path too (the background refresher may be off
    // or behind); stale keys are only a fallback for when that fetch fails.
    bool may_fetch = true;
    const auto before = set;
    {
      // After a failed fetch, wait a cooldown before trying again on the request path, so a
      // dead issuer does not make every request wait for a timeout.
      std::lock_guard lock(mu_);
      may_fetch = !last_failure_ || now - *last_failure_ >= config_.jwks_cooldown;
    }
    if (may_fetch) {
      if (wait == KeyWait::kNever) {
        return fail(Error::kKeysPending);
      }
      set = fetch_coalesced();
      fetched_now = set != before;
    }
    if (!set || !usable(*set, now)) {
      return fail(Error::kKeysUnavailable);
    }
  }

  // Without a kid, a token names its key only if exactly one published key accepts its alg.
  const auto candidates = [&](const KeySet& s) {
    return std::count_if(s.jwks.keys.begin(), s.jwks.keys.end(),
                         [&](const jose::Jwk& k) { return k.accepts(alg); });
  };
  const auto lookup = [&](const KeySet& s) -> const jose::Jwk* {
    if (kid) {
      return s.jwks.find(*kid);
    }
    if (candidates(s) != 1) {
      return nullptr;
    }
    return &*std::find_if(s.jwks.keys.begin(), s.jwks.keys.end(),
                          [&](const jose::Jwk& k) { return k.accepts(alg); });
  };
  // Several candidates: ambiguous, and a refetch would not make the token name one.
  const auto not_found = [&](const KeySet* s) {
    return !kid && s != nullptr && candidates(*s) > 1 ? Error::kKidMissing : Error::kKidUnknown;
  };

  if (const jose::Jwk* key = lookup(*set)) {
    return Found{set, key};
  }
  if (fetched_now || not_found(set.get()) == Error::kKidMissing) {
    return fail(not_found(set.get()));
  }
  // An unknown kid may mean the issuer rotated keys; refetch, but at most once per cooldown,
  // so a flood of random kids cannot become a flood of fetches.
  {
    std::unique_lock lock(mu_);
    if (last_kid_refetch_ && now - *last_kid_refetch_ < config_.jwks_cooldown) {
      if (!fetching_) {
        return fail(not_found(set.get()));
      }
      if (wait == KeyWait::kNever) {
        return fail(Error::kKeysPending);
      }
      // A fetch is under way (likely for this very kid, after a rotation): its answer is worth
      // waiting for, and waiting costs the issuer nothing.
      const std::uint64_t round = fetch_round_;
      fetched_cv_.wait(lock, [&] { return fetch_round_ != round; });
      set = current_;
    } else {
      if (wait == KeyWait::kNever) {
        return fail(Error::kKeysPending);  // the cooldown is claimed by the call that fetches
      }
      last_kid_refetch_ = now;
      set = nullptr;
    }
  }
  if (!set) {
    set = fetch_coalesced();
  }
  if (set) {
    if (const jose::Jwk* key = lookup(*set)) {
      return Found{set, key};
    }
  }
  return fail(not_found(set.get()));
}

void JwksCache::refresh_if_due() {
  const auto now = clock_->now();
  bool due = false;
  {
    std::lock_guard lock(mu_);
    if (last_failure_ && now - *last_failure_ < config_.jwks_cooldown) {
      return;  // retry failed fetches at the cooldown pace
    }
    if (!current_) {
      due = true;
    } else {
      const auto ttl = current_->expires_at - current_->fetched_at;
      due = now >= current_->fetched_at +
                       std::chrono::duration_cast<std::chrono::seconds>(ttl * kRefreshAt);
    }
  }
  if (due) {
    fetch_coalesced();
  }
}

void JwksCache::start_background_refresh() {
  std::lock_guard lock(thread_mu_);
  if (refresher_) {
    return;
  }
  refresher_ =
      std::make_unique<PeriodicTask>("the JWKS refresher", kRefresherTick,
                                     PeriodicTask::Start::kNow, [this] { refresh_if_due(); });
}

void JwksCache::stop_background_refresh() {
  std::unique_ptr<PeriodicTask> refresher;
  {
    std::lock_guard lock(thread_mu_);
    refresher = std::move(refresher_);
  }
  refresher.reset();  // waits for a refresh in progress
}

}  // namespace signet::guard
