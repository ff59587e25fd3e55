#include "signet/server/login_throttle.h"

#include <spdlog/spdlog.h>

#include "signet/server/endpoint_support.h"

namespace signet::server {
namespace {

using Code = OAuthErrorCode;
using store::FailedLoginKey;
using store::FailedLoginSubject;

FailedLoginKey pair_key(const LoginAttempt& a) {
  return FailedLoginKey{FailedLoginSubject::kUser, a.account, a.address};
}

FailedLoginKey account_key(const LoginAttempt& a) {
  return FailedLoginKey{FailedLoginSubject::kUser, a.account, std::string(store::kAnyAddress)};
}

OAuthError locked_out(const store::FailedLoginCounter& c, store::Timestamp now) {
  return OAuthError{Code::kTooManyAttempts,
                    "Too many failed logins for this user from your address. Retry after the "
                    "time in Retry-After, or ask an admin to run: signet users unblock EMAIL",
                    false, retry_after(c, now)};
}

}  // namespace

LoginThrottle::LoginThrottle(store::LoginCounterStore& store, ThrottlePolicy policy)
    : store_(store), policy_(policy), stored_(store) {}

FailureCounters& LoginThrottle::counters(const LoginAttempt& a) {
  if (a.known) {
    return stored_;
  }
  return unknown_;
}

Result<LoginThrottle::Admission, OAuthError> LoginThrottle::admit(const LoginAttempt& a) {
  Admission out;
  FailureCounters& c = counters(a);
  auto pair = c.get(pair_key(a), a.now);
  if (!pair) {
    return fail(store_failure("reading the user's failure counter", pair.error()));
  }
  out.pair_failures = pair->count;
  if (pair->blocked_at(a.now)) {
    counted_.refused_blocked.fetch_add(1, std::memory_order_relaxed);
    out.refusal = locked_out(*pair, a.now);
    return out;
  }
  if (pair->count == 0) {
    // A new account for this address: limit 3 counts the accounts it already failed on, real
    // and made-up alike.
    auto real = stored_.subjects_from(a.address, a.now);
    if (!real) {
      return fail(store_failure("counting failed logins from an address", real.error()));
    }
    auto made_up = unknown_.subjects_from(a.address, a.now);
    if (*real + made_up.value() >= policy_.max_accounts_per_address) {
      counted_.refused_address.fetch_add(1, std::memory_order_relaxed);
      out.refusal = OAuthError{Code::kTooManyAttempts,
                               "Too many failed logins for different accounts from your "
                               "address; retry later",
                               false, policy_.lockout.block_for};
      return out;
    }
  }
  auto account = c.get(account_key(a), a.now);
  if (!account) {
    return fail(store_failure("reading the account's failure counter", account.error()));
  }
  out.account_failures = account->count;
  if (account->blocked_at(a.now)) {
    // Asked for made-up names too (no user has their "unknown:" id, so the answer is no): the
    // same store read either way, so the time of a slowed answer does not tell them apart.
    auto familiar = store_.signed_in_from(a.account, a.address, a.now - policy_.familiar_window);
    if (!familiar) {
      return fail(store_failure("reading the user's sign-in addresses", familiar.error()));
    }
    if (!*familiar) {
      counted_.refused_slowed.fetch_add(1, std::memory_order_relaxed);
      out.refusal = OAuthError{Code::kTooManyAttempts,
                               "This account is slowed down after repeated failed logins; "
                               "retry after the time in Retry-After",
                               false, retry_after(*account, a.now)};
      return out;
    }
  }
  return out;
}

Result<std::optional<OAuthError>, OAuthError> LoginThrottle::failed(const LoginAttempt& a) {
  FailureCounters& c = counters(a);
  if (auto account = c.record_account(a.account, a.now, policy_.account_delay); !account) {
    return fail(store_failure("recording a failed login", account.error()));
  }
  auto after = c.record(pair_key(a), a.now, policy_.lockout);
  if (!after) {
    return fail(store_failure("recording a failed login", after.error()));
  }
  if (!after->blocked_at(a.now)) {
    return std::optional<OAuthError>{};
  }
  counted_.lockouts.fetch_add(1, std::memory_order_relaxed);
  // A made-up name is not logged: it may be a password typed into the username field.
  spdlog::warn("token endpoint: {} blocked for {} s from {} after {} failed logins",
               a.known ? "user " + a.account : std::string("an unknown username"),
               retry_after(*after, a.now).count(), a.address, after->count);
  return std::optional<OAuthError>{locked_out(*after, a.now)};
}

Result<Ok, OAuthError> LoginThrottle::succeeded(const LoginAttempt& a, const Admission& admitted) {
  if (admitted.pair_failures > 0) {
    if (auto r = stored_.reset(pair_key(a)); !r) {
      return fail(store_failure("resetting the user's failure counter", r.error()));
    }
  }
  if (admitted.account_failures > 0) {
    if (auto r = stored_.reset(account_key(a)); !r) {
      return fail(store_failure("resetting the account's failure counter", r.error()));
    }
  }
  if (auto r = store_.record_sign_in_address(a.account, a.address, a.now); !r) {
    return fail(store_failure("recording a sign-in address", r.error()));
  }
  return Ok{};
}

}  // namespace signet::server
