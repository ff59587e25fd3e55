// The password grant: scopes, lockouts, unknown users, blocked users and offline access.

#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

TEST_F(TokenEndpointTest, PasswordGrantIntersectsRequestedScopesWithThePermissionsHeld) {
  const Client c = web();
  const std::string u = user({"read:messages"});
  reload();
  auto all = login(c, email_of(u), kPassword);
  EXPECT_EQ(str(claims(all), "scope"), "read:messages");
  EXPECT_EQ(str(claims(all), "sub"), u);
  EXPECT_EQ(str(claims(all), "gty"), "password");
  auto asked = login(c, email_of(u), kPassword, "read:messages write:messages");
  EXPECT_EQ(str(claims(asked), "scope"), "read:messages");
  auto none = login(c, email_of(u), kPassword, "write:messages");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->contains("scope"));
  EXPECT_FALSE(none->contains("refresh_token"));
  EXPECT_FALSE(none->contains("id_token"));
}

TEST_F(TokenEndpointTest, WrongPasswordAndUnknownUserGiveTheSameAnswer) {
  const Client c = web();
  const std::string u = user();
  reload();
  auto wrong = login(c, email_of(u), "wrong password");
  auto unknown = login(c, "nobody@example.com", kPassword);
  expect_error(wrong, OAuthErrorCode::kInvalidGrant, "Wrong email or password.");
  expect_error(unknown, OAuthErrorCode::kInvalidGrant, "Wrong email or password.");
  EXPECT_EQ(wrong.error().description, unknown.error().description);
  expect_error(token({{"grant_type", "password"},
                      {"client_id", c.id},
                      {"client_secret", c.secret},
                      {"audience", std::string(kApi)},
                      {"username", email_of(u)}}),
               OAuthErrorCode::kInvalidRequest, "password is required");
}

// A hostile username must get a clear 400, not a store error (500) from a counter subject the
// store refuses.
TEST_F(TokenEndpointTest, AnOverlongUsernameIsInvalidRequestNotAServerError) {
  const Client c = web();
  reload();
  expect_error(login(c, std::string(321, 'a'), kPassword), OAuthErrorCode::kInvalidRequest,
               "username is longer than 320 bytes");
  expect_error(login(c, std::string(320, 'a'), kPassword), OAuthErrorCode::kInvalidGrant,
               "Wrong email or password.");
}

// A 2,000-byte password used to be refused at once for a known user and hashed (truncated) for
// an unknown one, so its response time told which accounts exist. Now both get the same answer
// before any lookup or hashing, and nothing is counted against either.
TEST_F(TokenEndpointTest, AnOverlongPasswordGetsTheSameAnswerForKnownAndUnknownUsers) {
  const Client c = web();
  const std::string u = user();
  reload();
  const std::string long_password(2000, 'p');
  const auto before = passwords_->verifications();
  const auto known = login(c, email_of(u), long_password);
  const auto unknown = login(c, "nobody@example.com", long_password);
  expect_error(known, OAuthErrorCode::kInvalidRequest, "password is longer than 1024 bytes");
  expect_error(unknown, OAuthErrorCode::kInvalidRequest, "password is longer than 1024 bytes");
  EXPECT_EQ(known.error().description, unknown.error().description);
  EXPECT_EQ(passwords_->verifications(), before);
  const store::FailedLoginKey known_key{store::FailedLoginSubject::kUser, u, std::string(kPeer)};
  EXPECT_EQ(store_->get_failed_logins(known_key)->count, 0);
  // The longest acceptable password is checked as usual: one verification each.
  const std::string longest(kMaxPasswordLength, 'p');
  expect_error(login(c, email_of(u), longest), OAuthErrorCode::kInvalidGrant);
  expect_error(login(c, "nobody@example.com", longest), OAuthErrorCode::kInvalidGrant);
  EXPECT_EQ(passwords_->verifications(), before + 2);
}

TEST_F(TokenEndpointTest, OpenidAddsAnIdTokenAndTheUserinfoAudience) {
  const Client c = web();
  const std::string u = user();
  reload();
  auto r = login(c, email_of(u), kPassword, "openid email read:messages");
  const auto at = claims(r);
  ASSERT_TRUE(at.at("aud").is_array());
  EXPECT_EQ(at.at("aud").as_array().size(), 2u);
  EXPECT_EQ(at.at("aud").as_array()[1].as_string(), std::string(kIssuer) + "userinfo");
  const auto id = claims(r, "id_token");
  EXPECT_EQ(str(id, "aud"), c.id);
  EXPECT_EQ(str(id, "sub"), u);
  EXPECT_EQ(str(id, "email"), email_of(u));
  EXPECT_NE(str(id, "at_hash"), "<absent>");
  // The password was checked by this very request; no authentication request, so no nonce.
  ASSERT_TRUE(id.contains("auth_time"));
  EXPECT_EQ(id.at("auth_time").as_int64(), kT0.time_since_epoch().count());
  EXPECT_FALSE(id.contains("nonce"));
}

TEST_F(TokenEndpointTest, UserLockoutBlocksEvenTheRightPasswordUntilItRunsOut) {
  const Client c = web();
  const std::string u = user();
  reload();
  expect_error(login(c, email_of(u), "bad"), OAuthErrorCode::kInvalidGrant);
  expect_error(login(c, email_of(u), "bad"), OAuthErrorCode::kInvalidGrant);
  auto third = login(c, email_of(u), "bad");
  expect_error(third, OAuthErrorCode::kTooManyAttempts, "signet users unblock");
  EXPECT_EQ(third.error().retry_after, seconds{60});
  expect_error(login(c, email_of(u), kPassword, "", kT0 + seconds{59}),
               OAuthErrorCode::kTooManyAttempts);
  EXPECT_TRUE(login(c, email_of(u), kPassword, "", kT0 + seconds{1}, "198.51.100.1").ok());
  EXPECT_TRUE(login(c, email_of(u), kPassword, "", kT0 + seconds{60}).ok());
}

TEST_F(TokenEndpointTest, UnblockingResetsTheCounters) {
  const Client c = web();
  const std::string u = user();
  reload();
  for (int i = 0; i < 3; ++i) {
    (void)login(c, email_of(u), "bad");
  }
  expect_error(login(c, email_of(u), kPassword), OAuthErrorCode::kTooManyAttempts);
  ASSERT_TRUE(store_->reset_all_failed_logins(store::FailedLoginSubject::kUser, u).ok());
  EXPECT_TRUE(login(c, email_of(u), kPassword).ok());
}

TEST_F(TokenEndpointTest, GuessingAtUnknownUsersIsThrottledToo) {
  const Client c = web();
  reload();
  (void)login(c, "ghost@example.com", "a");
  (void)login(c, "GHOST@example.com", "b");
  expect_error(login(c, "ghost@example.com", "c"), OAuthErrorCode::kTooManyAttempts);
}

// The suggested command is pasted as it is: an email with shell characters is quoted.
TEST_F(TokenEndpointTest, TheUnblockHintQuotesTheEmail) {
  const Client c = web();
  store::User u;
  u.id = "signet|quoted";
  u.email = "o'brien$(id)@example.com";
  u.password_hash = passwords_->hash(kPassword);
  u.blocked = true;
  ASSERT_TRUE(store_->create_user(u).ok());
  reload();
  expect_error(login(c, u.email, kPassword), OAuthErrorCode::kInvalidGrant,
               R"(signet users unblock 'o'\''brien$(id)@example.com')");
}

TEST_F(TokenEndpointTest, ABlockedUserGetsNoToken) {
  const Client c = web();
  const std::string u = user();
  auto stored = store_->get_user(u).value();
  stored.blocked = true;
  ASSERT_TRUE(store_->update_user(stored).ok());
  reload();
  expect_error(login(c, email_of(u), kPassword), OAuthErrorCode::kInvalidGrant, "blocked");
}

TEST_F(TokenEndpointTest, OfflineAccessNeedsTheApiAndTheClientToAllowIt) {
  const Client with = web();
  const Client without = client({store::GrantType::kPassword});
  const std::string u = user();
  reload();
  auto r = login(with, email_of(u), kPassword, "offline_access read:messages");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->contains("refresh_token"));
  EXPECT_EQ(r->at("scope").as_string(), "offline_access read:messages");
  auto no = login(without, email_of(u), kPassword, "offline_access read:messages");
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(no->contains("refresh_token"));
  EXPECT_EQ(no->at("scope").as_string(), "read:messages");
  auto api = store_->get_api(kApi).value();
  api.allow_offline_access = false;
  ASSERT_TRUE(store_->update_api(api).ok());
  reload();
  auto off = login(with, email_of(u), kPassword, "offline_access read:messages");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->contains("refresh_token"));
}

}  // namespace
}  // namespace signet::server::testing
