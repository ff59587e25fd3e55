// Revocation (RFC 7009) through the token endpoint.

#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

TEST_F(RefreshTest, RevocationEndsTheFamilyAndAnswersOkForUnknownTokens) {
  const auto revoke = [&](const Client& c, const std::string& t) {
    return call(&TokenEndpoint::revoke,
                {{"client_id", c.id}, {"client_secret", c.secret}, {"token", t}});
  };
  const std::string rt2 = next(refresh(c_, rt_));
  EXPECT_TRUE(revoke(c_, "unknown").ok());
  const Client other = web();
  reload();
  expect_error(revoke(other, rt2), OAuthErrorCode::kUnauthorizedClient);
  auto ok = revoke(c_, rt2);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->empty());
  expect_error(refresh(c_, rt2), OAuthErrorCode::kInvalidGrant, "revoked");
  expect_error(call(&TokenEndpoint::revoke, {{"client_id", c_.id}, {"client_secret", c_.secret}}),
               OAuthErrorCode::kInvalidRequest, "token is required");
  expect_error(call(&TokenEndpoint::revoke, {{"token", rt2}}), OAuthErrorCode::kInvalidClient);
  auto access = login(c_, email_of(u_), kPassword);
  expect_error(revoke(c_, std::string(access->at("access_token").as_string())),
               OAuthErrorCode::kUnsupportedTokenType);
}

}  // namespace
}  // namespace signet::server::testing
