// The store's sign-in section (store.h): authorization codes, browser sessions and the
// private_key_jwt replay records, on a real SQLite file.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/sqlite_store.h"
#include "signet/store/validate.h"
#include "tests/store/store_test_support.h"

namespace signet::store::testing {
namespace {

using std::chrono::seconds;

AuthorizationCode make_code(std::string hash = "hs256:code-1") {
  AuthorizationCode c;
  c.code_hash = std::move(hash);
  c.client_id = "client-1";
  c.user_id = "auth0|1";
  c.redirect_uri = "https://app.example.com/callback";
  c.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  c.audience = "https://api.example.com/";
  c.scopes = {"openid", "offline_access", "read:messages"};
  c.nonce = "n-0S6_WzA2Mj";
  c.refresh_family_id = "fam-code-1";
  c.auth_time = kNow - seconds{30};
  c.created_at = kNow;
  c.expires_at = kNow + seconds{60};
  return c;
}

BrowserSession make_session(std::string hash = "hs256:session-1", std::string user_id = "auth0|1") {
  BrowserSession s;
  s.id_hash = std::move(hash);
  s.user_id = std::move(user_id);
  s.auth_time = kNow;
  s.last_seen_at = kNow;
  s.expires_at = kNow + seconds{86'400};
  return s;
}

// "fresh", "replay" or the error's code, so that a failing expectation says what happened.
class SignInStoreTest : public StoreTest {
 protected:
  std::string assertion(std::string_view client_id, std::string_view jti, Timestamp expires_at,
                        Timestamp now) {
    auto r = store_->record_client_assertion(client_id, jti, expires_at, now);
    if (!r.ok()) {
      return std::string(to_string(r.error().code));
    }
    return *r ? "fresh" : "replay";
  }
  std::string proof(std::string_view id_hash, Timestamp expires_at, Timestamp now) {
    auto r = store_->record_dpop_proof(id_hash, expires_at, now);
    if (!r.ok()) {
      return std::string(to_string(r.error().code));
    }
    return *r ? "fresh" : "replay";
  }
};

// --- authorization codes

TEST_P(SignInStoreTest, AnAuthorizationCodeIsRedeemedOnceWithEveryField) {
  seed();
  const AuthorizationCode code = make_code();
  ASSERT_TRUE(store_->insert_authorization_code(code).ok());

  auto first = store_->redeem_authorization_code(code.code_hash, kNow + seconds{5});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, code);  // as inserted: used_at empty, so this call redeemed it
  EXPECT_FALSE(first->used_at);

  auto second = store_->redeem_authorization_code(code.code_hash, kNow + seconds{9});
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_TRUE(second->used_at);
  EXPECT_EQ(*second->used_at, kNow + seconds{5}) << "the first redemption's time, kept";
  EXPECT_EQ(second->refresh_family_id, code.refresh_family_id);
  auto third = store_->redeem_authorization_code(code.code_hash, kNow + seconds{20});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->used_at, first->used_at.value_or(kNow + seconds{5}));
}

TEST_P(SignInStoreTest, ACodeWithoutChallengeNonceOrScopesRoundTrips) {
  seed();
  AuthorizationCode code = make_code();
  code.code_challenge.clear();
  code.nonce.clear();
  code.scopes.clear();
  ASSERT_TRUE(store_->insert_authorization_code(code).ok());
  auto got = store_->redeem_authorization_code(code.code_hash, kNow);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, code);
}

// RFC 9449 §10: the key the authorization request named comes back with the code.
TEST_P(SignInStoreTest, ACodeBoundToADpopKeyKeepsItsThumbprint) {
  seed();
  AuthorizationCode code = make_code();
  code.dpop_jkt = kJkt;
  ASSERT_TRUE(store_->insert_authorization_code(code).ok());
  auto got = store_->redeem_authorization_code(code.code_hash, kNow);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->dpop_jkt, kJkt);
  EXPECT_EQ(*got, code);
}

TEST_P(SignInStoreTest, RedeemingAnUnknownCodeIsNotFound) {
  seed();
  ASSERT_TRUE(store_->insert_authorization_code(make_code()).ok());
  auto r = store_->redeem_authorization_code("hs256:nothing", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->redeem_authorization_code("", kNow).error().code, StoreErrorCode::kInvalid);
}

TEST_P(SignInStoreTest, AuthorizationCodeRules) {
  seed();
  AuthorizationCode unknown_client = make_code();
  unknown_client.client_id = "client-9";
  auto r = store_->insert_authorization_code(unknown_client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("client-9"), std::string::npos) << r.error().message;

  AuthorizationCode unknown_user = make_code();
  unknown_user.user_id = "auth0|9";
  r = store_->insert_authorization_code(unknown_user);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("auth0|9"), std::string::npos) << r.error().message;

  ASSERT_TRUE(store_->insert_authorization_code(make_code()).ok());
  AuthorizationCode same_hash = make_code();
  same_hash.user_id = "auth0|1";
  same_hash.redirect_uri = "https://other.example.com/";
  r = store_->insert_authorization_code(same_hash);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kConflict);
  // The stored code is untouched by the refused insert.
  EXPECT_EQ(store_->redeem_authorization_code(make_code().code_hash, kNow)->redirect_uri,
            make_code().redirect_uri);

  const auto invalid = [&](auto&& bend) {
    AuthorizationCode c = make_code("hs256:other");
    bend(c);
    auto res = store_->insert_authorization_code(c);
    return !res.ok() && res.error().code == StoreErrorCode::kInvalid;
  };
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.code_hash.clear(); }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.client_id.clear(); }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.user_id.clear(); }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.redirect_uri.clear(); }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.audience.clear(); }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.refresh_family_id.clear(); }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.scopes = {"read:messages", "read:messages"}; }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.scopes = {"two words"}; }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.nonce.assign(kMaxTextLength + 1, 'n'); }));
  EXPECT_TRUE(
      invalid([](AuthorizationCode& c) { c.code_challenge.assign(kMaxTextLength + 1, 'c'); }));
  EXPECT_TRUE(
      invalid([](AuthorizationCode& c) { c.redirect_uri.assign(kMaxTextLength + 1, 'u'); }));
  // A thumbprint no proof could match: too short, padded, not base64url.
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.dpop_jkt = kJkt.substr(1); }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.dpop_jkt = kJkt + "="; }));
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.dpop_jkt = "+" + kJkt.substr(1); }));
  // A code already used when stored is not a code anyone can redeem.
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.used_at = kNow; }));
  // Nor one that dies before it is born.
  EXPECT_TRUE(invalid([](AuthorizationCode& c) { c.expires_at = c.created_at; }));
}

// Each redemption is its own connection, as replicas or concurrent requests would be: the code's
// single use is agreed in the database, so exactly one sees it unused.
TEST_P(SignInStoreTest, OfManyConcurrentRedemptionsExactlyOneSeesTheCodeUnused) {
  constexpr int kRedeemers = 8;
  constexpr int kRounds = 5;
  seed();
  std::vector<std::unique_ptr<SqlStore>> stores;
  for (int t = 0; t < kRedeemers; ++t) {
    stores.push_back(open_another());
    ASSERT_NE(stores.back(), nullptr);
  }
  for (int round = 0; round < kRounds; ++round) {
    const AuthorizationCode code = make_code("hs256:race-" + std::to_string(round));
    ASSERT_TRUE(store_->insert_authorization_code(code).ok());
    std::atomic<bool> go{false};
    std::atomic<int> unused{0};
    std::atomic<int> used{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kRedeemers; ++t) {
      threads.emplace_back([&, t] {
        while (!go) {
          std::this_thread::yield();
        }
        auto r = stores[t]->redeem_authorization_code(code.code_hash, kNow + seconds{t});
        if (!r.ok()) {
          ++failed;
        } else if (r->used_at) {
          ++used;
        } else {
          ++unused;
        }
      });
    }
    go = true;
    for (auto& th : threads) {
      th.join();
    }
    EXPECT_EQ(failed, 0) << "round " << round;
    EXPECT_EQ(unused, 1) << "round " << round;
    EXPECT_EQ(used, kRedeemers - 1) << "round " << round;
  }
}

TEST_P(SignInStoreTest, ExpiredCodesAreDeletedAfterTheirExpiry) {
  seed();
  AuthorizationCode early = make_code("hs256:early");
  early.expires_at = kNow + seconds{60};
  AuthorizationCode late = make_code("hs256:late");
  late.expires_at = kNow + seconds{120};
  ASSERT_TRUE(store_->insert_authorization_code(early).ok());
  ASSERT_TRUE(store_->insert_authorization_code(late).ok());
  // One second on each side of the boundary: a code expiring at `before` is kept.
  EXPECT_EQ(*store_->delete_expired_authorization_codes(kNow + seconds{60}), 0);
  EXPECT_EQ(*store_->delete_expired_authorization_codes(kNow + seconds{61}), 1);
  EXPECT_EQ(store_->redeem_authorization_code("hs256:early", kNow).error().code,
            StoreErrorCode::kNotFound);
  EXPECT_TRUE(store_->redeem_authorization_code("hs256:late", kNow).ok());
  EXPECT_EQ(*store_->delete_expired_authorization_codes(kNow + seconds{121}), 1);
}

TEST_P(SignInStoreTest, CodesGoWithTheirUserAndTheirApplication) {
  seed();
  ASSERT_TRUE(store_->create_application(make_app("client-2")).ok());
  ASSERT_TRUE(store_->create_user(make_user("auth0|2", "bob@example.com")).ok());
  AuthorizationCode of_client2 = make_code("hs256:c2");
  of_client2.client_id = "client-2";
  AuthorizationCode of_user2 = make_code("hs256:u2");
  of_user2.user_id = "auth0|2";
  ASSERT_TRUE(store_->insert_authorization_code(make_code()).ok());
  ASSERT_TRUE(store_->insert_authorization_code(of_client2).ok());
  ASSERT_TRUE(store_->insert_authorization_code(of_user2).ok());

  ASSERT_TRUE(store_->delete_application("client-2").ok());
  EXPECT_EQ(store_->redeem_authorization_code("hs256:c2", kNow).error().code,
            StoreErrorCode::kNotFound);
  ASSERT_TRUE(store_->delete_user("auth0|2").ok());
  EXPECT_EQ(store_->redeem_authorization_code("hs256:u2", kNow).error().code,
            StoreErrorCode::kNotFound);
  EXPECT_TRUE(store_->redeem_authorization_code(make_code().code_hash, kNow).ok());
}

// --- browser sessions

TEST_P(SignInStoreTest, ABrowserSessionIsCreatedReadTouchedAndEnded) {
  seed();
  const BrowserSession s = make_session();
  ASSERT_TRUE(store_->create_browser_session(s).ok());
  auto got = store_->get_browser_session(s.id_hash);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, s);

  ASSERT_TRUE(store_->touch_browser_session(s.id_hash, kNow + seconds{100}).ok());
  EXPECT_EQ(store_->get_browser_session(s.id_hash)->last_seen_at, kNow + seconds{100});
  // Two requests finishing out of order never move it back.
  ASSERT_TRUE(store_->touch_browser_session(s.id_hash, kNow + seconds{50}).ok());
  EXPECT_EQ(store_->get_browser_session(s.id_hash)->last_seen_at, kNow + seconds{100});
  // Touching at the time it already has is still a touch of a live session.
  ASSERT_TRUE(store_->touch_browser_session(s.id_hash, kNow + seconds{100}).ok());
  // Nothing else moves.
  EXPECT_EQ(store_->get_browser_session(s.id_hash)->auth_time, s.auth_time);
  EXPECT_EQ(store_->get_browser_session(s.id_hash)->expires_at, s.expires_at);

  ASSERT_TRUE(store_->delete_browser_session(s.id_hash).ok());
  EXPECT_EQ(store_->get_browser_session(s.id_hash).error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->touch_browser_session(s.id_hash, kNow).error().code, StoreErrorCode::kNotFound);
  EXPECT_TRUE(store_->delete_browser_session(s.id_hash).ok()) << "ending it twice is no error";
}

TEST_P(SignInStoreTest, BrowserSessionRules) {
  seed();
  auto r = store_->create_browser_session(make_session("hs256:s", "auth0|9"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kNotFound);
  ASSERT_TRUE(store_->create_browser_session(make_session()).ok());
  r = store_->create_browser_session(make_session());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kConflict);
  EXPECT_EQ(store_->create_browser_session(make_session("")).error().code,
            StoreErrorCode::kInvalid);
  EXPECT_EQ(store_->create_browser_session(make_session("hs256:x", "")).error().code,
            StoreErrorCode::kInvalid);
  EXPECT_EQ(store_->get_browser_session("").error().code, StoreErrorCode::kInvalid);
  EXPECT_EQ(store_->get_browser_session("hs256:unknown").error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->touch_browser_session("hs256:unknown", kNow).error().code,
            StoreErrorCode::kNotFound);
}

TEST_P(SignInStoreTest, AUsersSessionsAreListedOldestFirstAndEndedTogether) {
  seed();
  ASSERT_TRUE(store_->create_user(make_user("auth0|2", "bob@example.com")).ok());
  BrowserSession newer = make_session("hs256:newer");
  newer.auth_time = kNow + seconds{10};
  BrowserSession older = make_session("hs256:older");
  older.auth_time = kNow - seconds{10};
  ASSERT_TRUE(store_->create_browser_session(newer).ok());
  ASSERT_TRUE(store_->create_browser_session(older).ok());
  ASSERT_TRUE(store_->create_browser_session(make_session("hs256:bob", "auth0|2")).ok());

  auto list = store_->list_user_browser_sessions("auth0|1");
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_EQ(*list, (std::vector<BrowserSession>{older, newer}));
  EXPECT_TRUE(store_->list_user_browser_sessions("auth0|9")->empty());

  EXPECT_EQ(*store_->delete_user_browser_sessions("auth0|1"), 2);
  EXPECT_TRUE(store_->list_user_browser_sessions("auth0|1")->empty());
  EXPECT_EQ(store_->list_user_browser_sessions("auth0|2")->size(), 1u) << "another user's stay";
  EXPECT_EQ(*store_->delete_user_browser_sessions("auth0|1"), 0);
  EXPECT_EQ(*store_->delete_user_browser_sessions("auth0|9"), 0) << "an unknown user has none";
}

TEST_P(SignInStoreTest, ExpiredSessionsAreDeletedByAbsoluteEndAndByIdleness) {
  seed();
  BrowserSession ends = make_session("hs256:ends");
  ends.expires_at = kNow + seconds{100};
  ends.last_seen_at = kNow + seconds{90};
  BrowserSession idle = make_session("hs256:idle");
  idle.last_seen_at = kNow + seconds{10};
  BrowserSession live = make_session("hs256:live");
  live.last_seen_at = kNow + seconds{95};
  for (const auto& s : {ends, idle, live}) {
    ASSERT_TRUE(store_->create_browser_session(s).ok());
  }
  const auto alive = [&](const std::string& h) { return store_->get_browser_session(h).ok(); };

  // By absolute end: at expires_at it has ended; a second before, it has not.
  EXPECT_EQ(*store_->delete_expired_browser_sessions(kNow + seconds{99}, kNow), 0);
  EXPECT_EQ(*store_->delete_expired_browser_sessions(kNow + seconds{100}, kNow), 1);
  EXPECT_FALSE(alive("hs256:ends"));
  // By idleness: last seen before idle_before; seen exactly then is still alive.
  EXPECT_EQ(*store_->delete_expired_browser_sessions(kNow + seconds{100}, kNow + seconds{10}), 0);
  EXPECT_EQ(*store_->delete_expired_browser_sessions(kNow + seconds{100}, kNow + seconds{11}), 1);
  EXPECT_FALSE(alive("hs256:idle"));
  EXPECT_TRUE(alive("hs256:live"));
}

TEST_P(SignInStoreTest, SessionsGoWithTheirUser) {
  seed();
  ASSERT_TRUE(store_->create_browser_session(make_session()).ok());
  ASSERT_TRUE(store_->delete_user("auth0|1").ok());
  EXPECT_EQ(store_->get_browser_session(make_session().id_hash).error().code,
            StoreErrorCode::kNotFound);
}

// --- client assertions (private_key_jwt replay records)

TEST_P(SignInStoreTest, AClientAssertionIsFreshOnceAndAReplayAfterwards) {
  seed();
  ASSERT_TRUE(store_->create_application(make_app("client-2")).ok());
  const Timestamp exp = kNow + seconds{60};
  EXPECT_EQ(assertion("client-1", "jti-1", exp, kNow), "fresh");
  EXPECT_EQ(assertion("client-1", "jti-1", exp, kNow + seconds{1}), "replay");
  EXPECT_EQ(assertion("client-1", "jti-1", exp, kNow + seconds{59}), "replay");
  // A jti is one client's: another client's assertion with the same jti is its own.
  EXPECT_EQ(assertion("client-2", "jti-1", exp, kNow), "fresh");
  EXPECT_EQ(assertion("client-1", "jti-2", exp, kNow), "fresh");
}

TEST_P(SignInStoreTest, AnAssertionIsForgottenOnceItHasExpired) {
  seed();
  const Timestamp exp = kNow + seconds{60};
  ASSERT_EQ(assertion("client-1", "jti-1", exp, kNow), "fresh");
  // The assertion could no longer be accepted at its exp, so the record is no longer needed;
  // a second before, it is.
  EXPECT_EQ(assertion("client-1", "jti-1", exp, exp - seconds{1}), "replay");
  EXPECT_EQ(assertion("client-1", "jti-1", exp + seconds{60}, exp), "fresh");
  EXPECT_EQ(assertion("client-1", "jti-1", exp + seconds{60}, exp), "replay");
}

TEST_P(SignInStoreTest, ClientAssertionRules) {
  seed();
  EXPECT_EQ(assertion("client-9", "jti-1", kNow + seconds{60}, kNow), "not found");
  EXPECT_EQ(assertion("", "jti-1", kNow + seconds{60}, kNow), "invalid");
  EXPECT_EQ(assertion("client-1", "", kNow + seconds{60}, kNow), "invalid");
  // Refused calls remember nothing.
  EXPECT_EQ(assertion("client-1", "jti-1", kNow + seconds{60}, kNow), "fresh");
}

TEST_P(SignInStoreTest, AssertionsGoWithTheirApplication) {
  seed();
  ASSERT_EQ(assertion("client-1", "jti-1", kNow + seconds{60}, kNow), "fresh");
  ASSERT_TRUE(store_->delete_application("client-1").ok());
  ASSERT_TRUE(store_->create_application(make_app()).ok());
  EXPECT_EQ(assertion("client-1", "jti-1", kNow + seconds{60}, kNow), "fresh");
}

// --- DPoP proofs used (replay records shared by replicas)

TEST_P(SignInStoreTest, ADpopProofIsFreshOnceAndAReplayUntilItExpires) {
  const Timestamp stale = kNow + seconds{65};
  EXPECT_EQ(proof("hs256:aa", stale, kNow), "fresh");
  EXPECT_EQ(proof("hs256:aa", stale, kNow + seconds{1}), "replay");
  EXPECT_EQ(proof("hs256:aa", stale, stale - seconds{1}), "replay");
  EXPECT_EQ(proof("hs256:bb", stale, kNow), "fresh");
  // At its expiry the record is forgotten on the way (the caller stores a proof until a second
  // after its iat check would still take it), and the id is fresh again.
  EXPECT_EQ(proof("hs256:aa", stale + seconds{65}, stale), "fresh");
  EXPECT_EQ(proof("hs256:aa", stale + seconds{65}, stale), "replay");
}

TEST_P(SignInStoreTest, ExpiredDpopProofsAreFreshAgainAndLiveOnesStayReplays) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(proof("hs256:old-" + std::to_string(i), kNow + seconds{i}, kNow), "fresh");
  }
  ASSERT_EQ(proof("hs256:new", kNow + seconds{600}, kNow + seconds{300}), "fresh");
  EXPECT_EQ(proof("hs256:new", kNow + seconds{600}, kNow + seconds{300}), "replay");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(proof("hs256:old-" + std::to_string(i), kNow + seconds{600}, kNow + seconds{300}),
              "fresh")
        << i;
    // And now live again until their new expiry.
    EXPECT_EQ(proof("hs256:old-" + std::to_string(i), kNow + seconds{600}, kNow + seconds{301}),
              "replay")
        << i;
  }
}

// Expired rows of ids never seen again are deleted along the way, every 256th record at most
// (SqlStore::kDpopProofSweepEvery), so the table holds about one proof lifetime's worth.
TEST_P(SignInStoreTest, ExpiredDpopProofsDoNotPileUp) {
  const auto rows = [&] {
    auto db = store_->database().acquire();
    EXPECT_TRUE(db.ok());
    return db.ok() ? (*db)->query_integer("SELECT count(*) FROM dpop_proofs", "no count").value()
                   : -1;
  };
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(proof("hs256:a-" + std::to_string(i), kNow + seconds{60}, kNow), "fresh");
  }
  EXPECT_EQ(rows(), 300);
  // An hour later, 300 more: at most 256 in, the 300 stale ones are gone.
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(proof("hs256:b-" + std::to_string(i), kNow + seconds{3660}, kNow + seconds{3600}),
              "fresh");
  }
  EXPECT_EQ(rows(), 300);
}

// Replicas recording one proof at the same moment: the database lets exactly one of them have it.
TEST_P(SignInStoreTest, OfConcurrentRecordsOfOneProofExactlyOneIsFresh) {
  constexpr int kRounds = 20;
  constexpr int kRacers = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::string id = "hs256:race-" + std::to_string(round);
    std::atomic<int> fresh{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> racers;
    for (int i = 0; i < kRacers; ++i) {
      racers.emplace_back([&] {
        auto r = store_->record_dpop_proof(id, kNow + seconds{60}, kNow);
        if (!r.ok()) {
          failed.fetch_add(1);
        } else if (*r) {
          fresh.fetch_add(1);
        }
      });
    }
    for (auto& t : racers) {
      t.join();
    }
    EXPECT_EQ(fresh.load(), 1) << id;
    EXPECT_EQ(failed.load(), 0) << id;
  }
}

TEST_P(SignInStoreTest, DpopProofRules) {
  EXPECT_EQ(proof("", kNow + seconds{60}, kNow), "invalid");
  EXPECT_EQ(proof(std::string("hs256:\0", 7), kNow + seconds{60}, kNow), "invalid");
  EXPECT_EQ(proof(std::string(100'000, 'a'), kNow + seconds{60}, kNow), "invalid");
  // Refused calls remember nothing.
  EXPECT_EQ(proof("hs256:aa", kNow + seconds{60}, kNow), "fresh");
}

// Sign-ins are request-path data: they must not flush every replica's configuration cache.
TEST_P(SignInStoreTest, SignInRecordsDoNotMoveTheGeneration) {
  seed();
  const std::uint64_t g = *store_->generation();
  ASSERT_TRUE(store_->insert_authorization_code(make_code()).ok());
  ASSERT_TRUE(store_->redeem_authorization_code(make_code().code_hash, kNow).ok());
  ASSERT_TRUE(store_->delete_expired_authorization_codes(kNow + seconds{3600}).ok());
  ASSERT_TRUE(store_->create_browser_session(make_session()).ok());
  ASSERT_TRUE(store_->touch_browser_session(make_session().id_hash, kNow + seconds{1}).ok());
  ASSERT_TRUE(store_->delete_user_browser_sessions("auth0|1").ok());
  ASSERT_TRUE(store_->record_client_assertion("client-1", "j", kNow + seconds{5}, kNow).ok());
  ASSERT_TRUE(store_->record_dpop_proof("hs256:aa", kNow + seconds{5}, kNow).ok());
  EXPECT_EQ(*store_->generation(), g);
}

SIGNET_ON_EVERY_BACKEND(SignInStoreTest);

}  // namespace
}  // namespace signet::store::testing
