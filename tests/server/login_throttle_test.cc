// The password grant's throttle (server/login_throttle.h) through the token endpoint: address
// groups, the account-wide delay with its familiar-address exemption, the per-address breadth
// limit, and made-up usernames held in memory under the same rules. The fixture's lockout is 3
// failures for 60 s.

#include "signet/server/login_throttle.h"

#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

// A distinct IPv4 address for each n, so that limit 1 never blocks.
std::string address(int n) {
  return "198.51." + std::to_string(100 + n / 250) + "." + std::to_string(1 + n % 250);
}

class LoginThrottleTest : public TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    config_.account_delay = {5, seconds{1}, seconds{30}};
    c_ = web();
    u_ = user();
    reload();
  }
  EndpointResult attempt(std::string_view password, int seconds_after, const std::string& from,
                         const std::string& who = "") {
    return login(c_, who.empty() ? email_of(u_) : who, password, "", kT0 + seconds{seconds_after},
                 from);
  }
  Client c_;
  std::string u_;
};

// An IPv6 client picks a fresh address in its /64 for every request: the /64 is one client.
TEST_F(LoginThrottleTest, AnIpv6Slash64CountsAsOneAddress) {
  expect_error(attempt("bad", 0, "2001:db8:1:2::1"), OAuthErrorCode::kInvalidGrant);
  expect_error(attempt("bad", 0, "2001:db8:1:2::2"), OAuthErrorCode::kInvalidGrant);
  expect_error(attempt("bad", 0, "2001:db8:1:2:ffff::3"), OAuthErrorCode::kTooManyAttempts);
  expect_error(attempt(kPassword, 0, "2001:db8:1:2::4"), OAuthErrorCode::kTooManyAttempts);
  // The next /64 is someone else.
  EXPECT_TRUE(attempt(kPassword, 0, "2001:db8:1:3::1").ok());
}

// Many addresses, each under its own lockout, used to guess without limit. After 5 failures the
// account takes one attempt per delay, from anywhere: 1 s, doubling, at most 30 s.
TEST_F(LoginThrottleTest, FailuresFromManyAddressesSlowTheAccountDown) {
  for (int i = 0; i < 5; ++i) {
    expect_error(attempt("bad", 0, address(i)), OAuthErrorCode::kInvalidGrant);
  }
  auto slowed = attempt("bad", 0, address(5));
  expect_error(slowed, OAuthErrorCode::kTooManyAttempts, "slowed down");
  EXPECT_EQ(slowed.error().retry_after, seconds{1});
  // One second on each side of the delay's end; a refused attempt counts nothing.
  expect_error(attempt("bad", 1, address(6)), OAuthErrorCode::kInvalidGrant);  // failure 6
  expect_error(attempt("bad", 2, address(7)), OAuthErrorCode::kTooManyAttempts);
  expect_error(attempt("bad", 3, address(8)), OAuthErrorCode::kInvalidGrant);  // failure 7: 4 s
  auto later = attempt(kPassword, 4, address(9));
  expect_error(later, OAuthErrorCode::kTooManyAttempts);
  EXPECT_EQ(later.error().retry_after, seconds{3});
  // The right password from a new address, once the delay has passed, resets everything.
  EXPECT_TRUE(attempt(kPassword, 7, address(10)).ok());
  expect_error(attempt("bad", 7, address(11)), OAuthErrorCode::kInvalidGrant);
}

TEST_F(LoginThrottleTest, TheDelayIsBoundedSoNobodyIsLockedOut) {
  int t = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = attempt("bad", t, address(i));
    ASSERT_FALSE(r.ok());
    t += 30;  // the longest delay: every attempt gets through
    EXPECT_EQ(to_string(r.error().code), "invalid_grant") << i;
  }
  auto slowed = attempt(kPassword, t - 29, address(99));
  expect_error(slowed, OAuthErrorCode::kTooManyAttempts);
  EXPECT_LE(slowed.error().retry_after, seconds{30});
  EXPECT_TRUE(attempt(kPassword, t, address(99)).ok());
}

// The owner's usual address is not slowed by someone else's guessing.
TEST_F(LoginThrottleTest, AnAddressTheUserSignedInFromIsNotSlowed) {
  const std::string home = "203.0.113.9";
  EXPECT_TRUE(attempt(kPassword, 0, home).ok());
  for (int i = 0; i < 8; ++i) {
    (void)attempt("bad", 1 + i * 30, address(i));
  }
  const int now = 1 + 7 * 30;
  expect_error(attempt(kPassword, now, address(50)), OAuthErrorCode::kTooManyAttempts);
  EXPECT_TRUE(attempt(kPassword, now, home).ok());
  // 30 days later the address is a stranger's again.
  config_.user_lockout = {3, seconds{60}};
  for (int i = 0; i < 6; ++i) {
    (void)attempt("bad", now + i * 30, address(60 + i));
  }
  const int month = now + 31 * 86400;
  for (int i = 0; i < 6; ++i) {
    (void)attempt("bad", month + i, address(70 + i));
  }
  expect_error(attempt(kPassword, month + 6, home), OAuthErrorCode::kTooManyAttempts);
}

// Credential stuffing: one address trying many accounts. The fixture allows 3 (set below).
TEST_F(LoginThrottleTest, AnAddressThatFailedOnManyAccountsIsRefusedForOthers) {
  config_.max_failing_accounts_per_address = 3;
  reload();
  const std::string from = "192.0.2.50";
  const std::string u2 = user();
  expect_error(attempt("bad", 0, from), OAuthErrorCode::kInvalidGrant);
  expect_error(attempt("bad", 0, from, email_of(u2)), OAuthErrorCode::kInvalidGrant);
  expect_error(attempt("bad", 0, from, "nobody@example.com"), OAuthErrorCode::kInvalidGrant);
  auto refused = attempt(kPassword, 0, from, email_of(user()));
  expect_error(refused, OAuthErrorCode::kTooManyAttempts, "different accounts");
  expect_error(attempt("bad", 0, from, "other@example.com"), OAuthErrorCode::kTooManyAttempts,
               "different accounts");
  // Accounts it already tried stay open to it (limit 1 guards them), and other addresses are
  // not concerned.
  EXPECT_TRUE(attempt(kPassword, 0, from).ok());
  EXPECT_TRUE(attempt(kPassword, 0, "192.0.2.51", email_of(u2)).ok());
}

// Made-up names are throttled exactly like real accounts, and leave nothing in the store.
TEST_F(LoginThrottleTest, MadeUpNamesGetTheSameAnswersAndNoStoreRows) {
  const auto sequence = [&](const std::string& who) {
    std::vector<std::string> seen;
    for (int i = 0; i < 4; ++i) {
      auto r = attempt("bad", i, kPeer.data(), who);
      seen.push_back(
          r.ok() ? "ok" : std::string(to_string(r.error().code)) + ": " + r.error().description);
    }
    for (int i = 0; i < 7; ++i) {
      auto r = attempt("bad", 100 + 40 * i, address(i), who);
      seen.push_back(r.ok() ? "ok" : std::string(to_string(r.error().code)));
    }
    auto r = attempt("bad", 100 + 40 * 6 + 1, address(40), who);
    seen.push_back(std::string(to_string(r.error().code)) + " " +
                   std::to_string(r.error().retry_after.value_or(seconds{0}).count()));
    return seen;
  };
  const auto known = sequence(email_of(u_));
  const auto unknown = sequence("ghost@example.com");
  EXPECT_EQ(known, unknown);
  auto rows = store_->count_failed_login_subjects(store::FailedLoginSubject::kUser, kPeer);
  EXPECT_EQ(*rows, 1);  // the real user's; none for the ghost
  EXPECT_TRUE(
      store_->list_failed_logins(store::FailedLoginSubject::kUser, "unknown:ghost@example.com")
          ->empty());
}

TEST(MemoryFailureCountersTest, StaysWithinItsBoundAndDropsWhatBlocksNothingFirst) {
  MemoryFailureCounters counters(4);
  const store::LockoutPolicy policy{2, seconds{60}};
  const store::Timestamp t0{seconds{1'800'000'000}};
  const auto key = [](int i) {
    return store::FailedLoginKey{store::FailedLoginSubject::kUser, "name" + std::to_string(i),
                                 "192.0.2.1"};
  };
  // name0 is blocked; the others fail once.
  (void)counters.record(key(0), t0, policy);
  (void)counters.record(key(0), t0, policy);
  for (int i = 1; i < 10; ++i) {
    (void)counters.record(key(i), t0, policy);
    EXPECT_LE(counters.size(), 4u);
  }
  EXPECT_TRUE(counters.get(key(0), t0)->blocked_at(t0));
  EXPECT_EQ(*counters.subjects_from("192.0.2.1", t0), static_cast<std::int64_t>(counters.size()));
  // A day later what blocks nothing is forgotten.
  const auto later = t0 + kFailureCounterHorizon + seconds{1};
  EXPECT_EQ(counters.get(key(9), later)->count, 0);
}

}  // namespace
}  // namespace signet::server::testing
