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

TEST_F(RefreshTest, ReuseWithinTheGraceGetsASiblingAndAfterItRevokesTheFamily) {
  const std::string rt2 = next(refresh(c_, rt_, kT0));
  // A concurrent request of the same client, 10 s later: still inside the grace period.
  const std::string sibling = next(refresh(c_, rt_, kT0 + seconds{10}));
  EXPECT_NE(sibling, rt2);
  // 11 s: reuse. Everything of the family dies, including the newest tokens.
  expect_error(refresh(c_, rt_, kT0 + seconds{11}), OAuthErrorCode::kInvalidGrant, "already used");
  EXPECT_EQ(endpoint_->counters().refresh_reuse_detected.load(), 1u);
  expect_error(refresh(c_, rt2, kT0 + seconds{12}), OAuthErrorCode::kInvalidGrant, "revoked");
  expect_error(refresh(c_, sibling, kT0 + seconds{12}), OAuthErrorCode::kInvalidGrant, "revoked");
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
