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

}  // namespace
}  // namespace signet::server::testing
