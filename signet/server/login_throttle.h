#pragma once

// Who may try a password now, and what a wrong one costs. Three limits, each against its own
// attack, and none of them a way to lock an account's owner out:
//
// 1. Per account and address group (an IPv4 address, an IPv6 /64: http/client_address.h):
//    `lockout` failures block that group for that account. Behind a proxy the group is the
//    client's (--trusted-proxy), so one user of a NAT or a proxy cannot lock out the others.
// 2. Per account, from anywhere: consecutive failures slow the account down (`account_delay`):
//    an attempt within the delay after the last failure is refused with Retry-After, so a botnet
//    with an address per guess still gets one guess per delay for the whole account. Address
//    groups the user signed in from within `familiar_window` are not slowed, so the owner keeps
//    signing in at home or at work during an attack, and anyone else waits at most max_delay.
// 3. Per address group, across accounts: a group with failures on
//    `max_accounts_per_address` accounts is refused for any other account (credential stuffing)
//    until its counters age out; this also bounds the counters one address can create.
//
// Made-up usernames are counted in memory (failure_counters.h) under the same rules, so guessing
// at them cannot grow the store and the answers do not tell which accounts exist.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "signet/common/result.h"
#include "signet/server/failure_counters.h"
#include "signet/server/oauth_error.h"
#include "signet/store/store.h"

namespace signet::server {

// Accounts one address group may fail on before it is refused for any other: far above a family
// or an office sharing an address, far below a credential-stuffing list.
constexpr std::int64_t kDefaultMaxFailingAccountsPerAddress = 100;
// A sign-in from an address group within this long makes it familiar (exempt from limit 2).
constexpr auto kDefaultFamiliarAddressWindow = std::chrono::days{30};

struct ThrottlePolicy {
  store::LockoutPolicy lockout;                                                  // limit 1
  store::AccountDelayPolicy account_delay;                                       // limit 2
  std::int64_t max_accounts_per_address = kDefaultMaxFailingAccountsPerAddress;  // limit 3
  std::chrono::seconds familiar_window = kDefaultFamiliarAddressWindow;
};

// One password attempt, as the throttle sees it.
struct LoginAttempt {
  std::string account;  // the user's id, or "unknown:" and the lower-cased name as typed
  bool known = false;   // `account` is a user in the store
  std::string address;  // the client's address group
  store::Timestamp now;
};

// What the throttle did, for the metrics (signet_login_lockouts_total and
// signet_login_throttled_total). Monotonic, relaxed atomics.
struct ThrottleCounters {
  std::atomic<std::uint64_t> lockouts{0};         // blocks started: limit 1 reached
  std::atomic<std::uint64_t> refused_blocked{0};  // attempts refused by a block (limit 1)
  std::atomic<std::uint64_t> refused_slowed{0};   // attempts refused by the account delay (2)
  std::atomic<std::uint64_t> refused_address{0};  // attempts refused for too many accounts (3)
};

class LoginThrottle {
 public:
  // What admit() learnt, for failed() and succeeded().
  struct Admission {
    std::optional<OAuthError> refusal;  // set when the attempt must not be tried
    int pair_failures = 0;              // limit 1's count before this attempt
    int account_failures = 0;           // limit 2's count before this attempt
  };

  // `store` must outlive the throttle.
  LoginThrottle(store::LoginCounterStore& store, ThrottlePolicy policy);

  // Whether the attempt may be tried (the password verified); reads counters only.
  Result<Admission, OAuthError> admit(const LoginAttempt& a);
  // After a wrong password: counts it, and returns the 429 when this failure starts a block.
  Result<std::optional<OAuthError>, OAuthError> failed(const LoginAttempt& a);
  // After the right password of a known user: clears its counters and remembers the group.
  Result<Ok, OAuthError> succeeded(const LoginAttempt& a, const Admission& admitted);

  const ThrottlePolicy& policy() const { return policy_; }
  const ThrottleCounters& counters() const { return counted_; }

 private:
  FailureCounters& counters(const LoginAttempt& a);

  store::LoginCounterStore& store_;
  const ThrottlePolicy policy_;
  StoreFailureCounters stored_;
  MemoryFailureCounters unknown_;
  ThrottleCounters counted_;
};

}  // namespace signet::server
