// Introspection (RFC 7662) through the token endpoint.

#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

TEST_F(RefreshTest, IntrospectionDescribesLiveTokensOnly) {
  const auto inspect = [&](const Client& c, const std::string& t, store::Timestamp now) {
    return call(&TokenEndpoint::introspect,
                {{"client_id", c.id}, {"client_secret", c.secret}, {"token", t}}, now);
  };
  auto access = login(c_, email_of(u_), kPassword, "read:messages");
  const std::string at(access->at("access_token").as_string());
  auto live = inspect(c_, at, kT0 + seconds{86'399});
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->at("active").as_bool(), true);
  EXPECT_EQ(live->at("scope").as_string(), "read:messages");
  EXPECT_EQ(live->at("client_id").as_string(), c_.id);
  EXPECT_EQ(live->at("sub").as_string(), u_);
  EXPECT_EQ(inspect(c_, at, kT0 + seconds{86'400})->at("active").as_bool(), false);
  EXPECT_EQ(inspect(c_, "garbage", kT0)->at("active").as_bool(), false);
  // An ID token is ours and verifies, but it is not an access token.
  auto with_id = login(c_, email_of(u_), kPassword, "openid read:messages");
  EXPECT_EQ(
      inspect(c_, std::string(with_id->at("id_token").as_string()), kT0)->at("active").as_bool(),
      false);
  EXPECT_EQ(inspect(c_, at.substr(0, at.size() - 2) + "AA", kT0)->at("active").as_bool(), false);

  auto rt_info = inspect(c_, rt_, kT0);
  EXPECT_EQ(rt_info->at("active").as_bool(), true);
  EXPECT_EQ(rt_info->at("token_type").as_string(), "refresh_token");
  const Client other = web();
  reload();
  EXPECT_EQ(inspect(other, rt_, kT0)->at("active").as_bool(), false);
  (void)refresh(c_, rt_);
  EXPECT_EQ(inspect(c_, rt_, kT0)->at("active").as_bool(), false);
  expect_error(call(&TokenEndpoint::introspect, {{"token", rt_}}), OAuthErrorCode::kInvalidClient);
}

// Introspection after admin changes: a token outlives them, its description must not.
class IntrospectionAfterChangesTest : public RefreshTest {
 protected:
  bool active(const Client& by, const std::string& token) {
    auto r = call(&TokenEndpoint::introspect,
                  {{"client_id", by.id}, {"client_secret", by.secret}, {"token", token}});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().description);
    return r.ok() && r->at("active").as_bool();
  }
  void set_blocked(const std::string& user_id, bool blocked) {
    auto u = store_->get_user(user_id).value();
    u.blocked = blocked;
    ASSERT_TRUE(store_->update_user(u).ok());
  }
  std::string access_token() {
    auto r = login(c_, email_of(u_), kPassword, "read:messages");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().description);
    return r.ok() ? std::string(r->at("access_token").as_string()) : std::string();
  }
};

TEST_F(IntrospectionAfterChangesTest, ABlockedUsersAccessTokenIsInactiveUntilUnblocked) {
  const std::string at = access_token();
  EXPECT_TRUE(active(c_, at));
  set_blocked(u_, true);
  EXPECT_FALSE(active(c_, at));
  set_blocked(u_, false);
  EXPECT_TRUE(active(c_, at));
}

TEST_F(IntrospectionAfterChangesTest, ADeletedUsersAccessTokenIsInactive) {
  const std::string at = access_token();
  ASSERT_TRUE(store_->delete_user(u_).ok());
  EXPECT_FALSE(active(c_, at));
}

TEST_F(IntrospectionAfterChangesTest, TokensOfADeletedApplicationAreInactive) {
  const Client m = m2m();
  const Client inspector = web();
  reload();
  auto issued = cc(m);
  ASSERT_TRUE(issued.ok());
  const std::string cc_token(issued->at("access_token").as_string());
  const std::string user_token = access_token();
  ASSERT_TRUE(store_->delete_application(m.id).ok());
  ASSERT_TRUE(store_->delete_application(c_.id).ok());
  // The check reads the tenant snapshot, not the store: until the server sees the deletion
  // (within kConfigPollInterval), the tokens stay active.
  EXPECT_TRUE(active(inspector, cc_token));
  EXPECT_TRUE(active(inspector, user_token));
  reload();
  EXPECT_FALSE(active(inspector, cc_token));
  EXPECT_FALSE(active(inspector, user_token));
}

// A client-credentials token has no user behind it, so its introspection looks none up: not even
// a user whose id happens to be the token's sub (ids are chosen by the admin), blocked.
TEST_F(IntrospectionAfterChangesTest, AClientCredentialsTokenLooksUpNoUser) {
  const Client m = m2m();
  reload();
  store::User lookalike;
  lookalike.id = m.id + "@clients";
  lookalike.email = "lookalike@example.com";
  lookalike.password_hash = passwords_->hash(kPassword);
  lookalike.blocked = true;
  ASSERT_TRUE(store_->create_user(lookalike).ok());
  auto issued = cc(m);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(claims(issued).at("sub").as_string(), lookalike.id);
  EXPECT_TRUE(active(m, std::string(issued->at("access_token").as_string())));
}

TEST_F(IntrospectionAfterChangesTest, ABlockedUsersRefreshTokenIsInactiveUntilUnblocked) {
  EXPECT_TRUE(active(c_, rt_));
  set_blocked(u_, true);
  EXPECT_FALSE(active(c_, rt_));
  set_blocked(u_, false);
  EXPECT_TRUE(active(c_, rt_));
}

TEST_F(IntrospectionAfterChangesTest, ADeletedUsersRefreshTokenIsInactive) {
  ASSERT_TRUE(store_->delete_user(u_).ok());
  EXPECT_FALSE(active(c_, rt_));
}

// What `signet users set-password` and `revoke-sessions` do: every session of the user ends, the
// refresh tokens of other users do not.
TEST_F(IntrospectionAfterChangesTest, RevokingAUsersRefreshTokensEndsEverySession) {
  const std::string second = next(refresh(c_, rt_));
  auto other_session = login(c_, email_of(u_), kPassword, "offline_access read:messages");
  const std::string third = next(other_session);
  const std::string other_user = user();
  reload();
  const std::string theirs = next(login(c_, email_of(other_user), kPassword, "offline_access"));
  // rt_ (rotated), second and third were not revoked before.
  EXPECT_EQ(store_->revoke_user_refresh_tokens(u_).value(), 3);
  EXPECT_FALSE(active(c_, second));
  EXPECT_FALSE(active(c_, third));
  expect_error(refresh(c_, second), OAuthErrorCode::kInvalidGrant, "revoked");
  expect_error(refresh(c_, third), OAuthErrorCode::kInvalidGrant, "revoked");
  EXPECT_TRUE(active(c_, theirs));
}

}  // namespace
}  // namespace signet::server::testing
