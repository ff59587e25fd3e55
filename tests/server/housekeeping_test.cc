#include "signet/server/housekeeping.h"

#include <chrono>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "signet/server/sign_in.h"
#include "tests/store/store_test_support.h"

namespace signet::server {
namespace {

using namespace std::chrono_literals;
using store::testing::kNow;

constexpr auto kIdleTimeout = std::chrono::seconds{3600};

class HousekeepingTest : public store::testing::SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    seed();
  }

  void add_refresh(const std::string& id, store::Timestamp expires_at) {
    store::RefreshToken t = store::testing::make_refresh(id, "fam-" + id);
    t.created_at = expires_at - std::chrono::hours{24 * 30};
    t.expires_at = expires_at;
    auto inserted = store_->insert_refresh_token(t);
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
  }
  bool refresh_exists(const std::string& id) {
    return store_->find_refresh_token("hash-of-" + id).ok();
  }

  // A failed-login counter whose first failure was at `at`; blocked when `failures` reaches the
  // policy's maximum.
  void add_failures(const std::string& subject, store::Timestamp at, int failures) {
    const store::LockoutPolicy policy{.max_failures = 3, .block_for = 48h};
    for (int i = 0; i < failures; ++i) {
      ASSERT_TRUE(store_->record_failed_login(key(subject), at, policy).ok());
    }
  }
  static store::FailedLoginKey key(const std::string& subject) {
    return {store::FailedLoginSubject::kUser, subject, "192.0.2.1"};
  }
  int failures(const std::string& subject) {
    return store_->get_failed_logins(key(subject))->count;
  }

  void add_code(const std::string& hash, store::Timestamp expires_at) {
    store::AuthorizationCode c;
    c.code_hash = hash;
    c.client_id = "client-1";
    c.user_id = "auth0|1";
    c.redirect_uri = "https://app.example.com/callback";
    c.audience = "https://api.example.com/";
    c.refresh_family_id = "fam-" + hash;
    c.auth_time = expires_at - 90s;
    c.created_at = expires_at - 60s;
    c.expires_at = expires_at;
    ASSERT_TRUE(store_->insert_authorization_code(c).ok());
  }
  bool code_exists(const std::string& hash) {
    return store_->redeem_authorization_code(hash, kNow).ok();
  }

  void add_session(const std::string& hash, store::Timestamp last_seen_at,
                   store::Timestamp expires_at) {
    store::BrowserSession s;
    s.id_hash = hash;
    s.user_id = "auth0|1";
    s.auth_time = kNow - 48h;
    s.last_seen_at = last_seen_at;
    s.expires_at = expires_at;
    ASSERT_TRUE(store_->create_browser_session(s).ok());
  }
  bool session_exists(const std::string& hash) { return store_->get_browser_session(hash).ok(); }

  // How many rows each kind's sweep deleted, by name; -1 for a failed sweep.
  std::map<std::string, std::int64_t> sweep(store::Timestamp now) {
    std::map<std::string, std::int64_t> deleted;
    for (const auto& swept : sweep_stale_rows(*store_, now, kIdleTimeout)) {
      deleted[std::string(swept.what)] = swept.deleted ? *swept.deleted : -1;
    }
    return deleted;
  }
};

TEST_F(HousekeepingTest, AnEmptyStoreSweepsNothingAndEveryKindIsReported) {
  EXPECT_EQ(sweep(kNow), (std::map<std::string, std::int64_t>{{"expired refresh tokens", 0},
                                                              {"stale failed-login counters", 0},
                                                              {"expired authorization codes", 0},
                                                              {"ended browser sessions", 0}}));
}

TEST_F(HousekeepingTest, ExpiredRefreshTokensGoAndLiveOnesStay) {
  add_refresh("expired", kNow - 1s);
  add_refresh("live", kNow + 1s);
  EXPECT_EQ(sweep(kNow)["expired refresh tokens"], 1);
  EXPECT_FALSE(refresh_exists("expired"));
  EXPECT_TRUE(refresh_exists("live"));
}

TEST_F(HousekeepingTest, OldCountersThatBlockNothingGoAndTheOthersStay) {
  add_failures("old", kNow - kFailedLoginHorizon - 1s, 1);
  add_failures("recent", kNow - kFailedLoginHorizon + 1s, 1);
  add_failures("old-but-blocking", kNow - kFailedLoginHorizon - 1s, 3);  // blocked for 48 h
  EXPECT_EQ(sweep(kNow)["stale failed-login counters"], 1);
  EXPECT_EQ(failures("old"), 0);
  EXPECT_EQ(failures("recent"), 1);
  EXPECT_EQ(failures("old-but-blocking"), 3);
}

TEST_F(HousekeepingTest, CodesGoOnlyAfterTheirRetentionPastExpiry) {
  // Kept kUsedCodeRetention past expiry, so that a late second use is still seen as reuse.
  add_code("hs256:gone", kNow - kUsedCodeRetention - 1s);
  add_code("hs256:retained", kNow - kUsedCodeRetention + 1s);
  EXPECT_EQ(sweep(kNow)["expired authorization codes"], 1);
  EXPECT_FALSE(code_exists("hs256:gone"));
  EXPECT_TRUE(code_exists("hs256:retained"));
}

TEST_F(HousekeepingTest, SessionsGoAtTheirEndOrWhenIdleAndLiveOnesStay) {
  add_session("hs256:ended", kNow - 1s, kNow - 1s);
  add_session("hs256:idle", kNow - kIdleTimeout - 1s, kNow + 24h);
  add_session("hs256:live", kNow - kIdleTimeout + 1s, kNow + 1s);
  EXPECT_EQ(sweep(kNow)["ended browser sessions"], 2);
  EXPECT_FALSE(session_exists("hs256:ended"));
  EXPECT_FALSE(session_exists("hs256:idle"));
  EXPECT_TRUE(session_exists("hs256:live"));
}

TEST_F(HousekeepingTest, ASecondSweepFindsNothingLeft) {
  add_refresh("expired", kNow - 1s);
  add_session("hs256:ended", kNow - 1s, kNow - 1s);
  EXPECT_EQ(sweep(kNow)["expired refresh tokens"], 1);
  const auto again = sweep(kNow);
  for (const auto& [what, count] : again) {
    EXPECT_EQ(count, 0) << what;
  }
}

}  // namespace
}  // namespace signet::server
