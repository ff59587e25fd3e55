// The refresh-token grant: rotation, narrowing, grace and reuse, expiry, revoked users.

#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

TEST_F(RefreshTest, EveryUseRotatesAndKeepsTheScope) {
  auto r = refresh(c_, rt_, kT0 + seconds{5});
  const std::string rt2 = next(r);
  EXPECT_NE(rt2, rt_);
  EXPECT_EQ(str(claims(r), "scope"), "openid offline_access read:messages write:messages");
  EXPECT_EQ(str(claims(r), "gty"), "refresh_token");
  EXPECT_TRUE(r->contains("id_token"));
  EXPECT_TRUE(refresh(c_, rt2, kT0 + seconds{6}).ok());
}

TEST_F(RefreshTest, ScopeMayBeNarrowedNeverWidened) {
  auto narrow = refresh(c_, rt_, kT0, "read:messages");
  EXPECT_EQ(str(claims(narrow), "scope"), "read:messages");
  // The new refresh token keeps the original scope.
  auto again = refresh(c_, next(narrow), kT0, "write:messages");
  EXPECT_EQ(str(claims(again), "scope"), "write:messages");
  expect_error(refresh(c_, next(again), kT0, "read:messages admin"), OAuthErrorCode::kInvalidScope);
}

// A retry within the grace period (two tabs, a lost response) gets the successor already issued:
// five retries used to mint five independent refresh tokens.
TEST_F(RefreshTest, RetriesWithinTheGraceGetTheSameSuccessorAndAfterItRevokeTheFamily) {
  const std::string rt2 = next(refresh(c_, rt_, kT0));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(next(refresh(c_, rt_, kT0 + seconds{i})), rt2) << i;
  }
  // The boundary to the millisecond: 9.999 s is a retry, 10.000 s is reuse, and everything of
  // the family dies, including the newest token.
  EXPECT_EQ(next(refresh(c_, rt_, kT0 + std::chrono::milliseconds{9'999})), rt2);
  expect_error(refresh(c_, rt_, kT0 + seconds{10}), OAuthErrorCode::kInvalidGrant, "already used");
  EXPECT_EQ(endpoint_->counters().refresh_reuse_detected.load(), 1u);
  expect_error(refresh(c_, rt2, kT0 + seconds{11}), OAuthErrorCode::kInvalidGrant, "revoked");
}

// Once the successor has been exchanged, the rotated token coming back is no retry.
TEST_F(RefreshTest, ARetryAfterTheSuccessorWasUsedIsReuse) {
  const std::string rt2 = next(refresh(c_, rt_, kT0));
  const std::string rt3 = next(refresh(c_, rt2, kT0 + seconds{1}));
  expect_error(refresh(c_, rt_, kT0 + seconds{2}), OAuthErrorCode::kInvalidGrant, "already used");
  expect_error(refresh(c_, rt3, kT0 + seconds{3}), OAuthErrorCode::kInvalidGrant, "revoked");
}

// A grace of 0 admits no retry at all, not even in the same second (the times were whole seconds
// compared with <=).
TEST_F(RefreshTest, AGraceOfZeroAdmitsNoRetry) {
  config_.refresh_reuse_grace = seconds{0};
  reload();
  const std::string rt2 = next(refresh(c_, rt_, kT0));
  expect_error(refresh(c_, rt_, kT0), OAuthErrorCode::kInvalidGrant, "already used");
  expect_error(refresh(c_, rt2, kT0), OAuthErrorCode::kInvalidGrant, "revoked");
}

// The retry answer is the same whatever the retrying request narrows: only the access token
// follows its scope.
TEST_F(RefreshTest, ARetryMayNarrowItsAccessToken) {
  const std::string rt2 = next(refresh(c_, rt_, kT0));
  auto narrowed = refresh(c_, rt_, kT0 + seconds{1}, "read:messages");
  EXPECT_EQ(next(narrowed), rt2);
  EXPECT_EQ(str(claims(narrowed), "scope"), "read:messages");
}

// Rotation does not restart the clock: a family lives refresh_token_lifetime (1000 s here) from
// sign-in, whatever happens in between.
TEST_F(RefreshTest, TheFamilyExpiresAtItsAbsoluteLifetime) {
  const std::string rt2 = next(refresh(c_, rt_, kT0 + seconds{500}));
  const std::string rt3 = next(refresh(c_, rt2, kT0 + seconds{999}));
  expect_error(refresh(c_, rt3, kT0 + seconds{1000}), OAuthErrorCode::kInvalidGrant, "expired");
}

TEST_F(RefreshTest, AnotherClientOrAnUnknownTokenIsInvalidGrant) {
  const Client other = web();
  reload();
  expect_error(refresh(other, rt_), OAuthErrorCode::kInvalidGrant, "Unknown or invalid");
  expect_error(refresh(c_, "not-a-token"), OAuthErrorCode::kInvalidGrant, "Unknown or invalid");
  expect_error(refresh(c_, std::string(600, 'a')), OAuthErrorCode::kInvalidGrant);
  // The other client's attempt did not use the token up.
  EXPECT_TRUE(refresh(c_, rt_).ok());
}

TEST_F(RefreshTest, PermissionsRemovedSinceSignInAreDropped) {
  ASSERT_TRUE(store_->remove_user_permissions(u_, kApi, {"write:messages"}).ok());
  auto r = refresh(c_, rt_);
  EXPECT_EQ(str(claims(r), "scope"), "openid offline_access read:messages");
}

TEST_F(RefreshTest, ABlockedOrDeletedUserCannotRefresh) {
  auto stored = store_->get_user(u_).value();
  stored.blocked = true;
  ASSERT_TRUE(store_->update_user(stored).ok());
  expect_error(refresh(c_, rt_), OAuthErrorCode::kInvalidGrant, "blocked");
  ASSERT_TRUE(store_->delete_user(u_).ok());
  expect_error(refresh(c_, rt_), OAuthErrorCode::kInvalidGrant);
}

}  // namespace
}  // namespace signet::server::testing
