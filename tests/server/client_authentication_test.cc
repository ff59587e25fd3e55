// Client authentication: Basic and post, the registered method, and the throttle on wrong secrets.

#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

TEST_F(TokenEndpointTest, ClientAuthenticationErrors) {
  const Client c = m2m();
  reload();
  auto wrong = cc(Client{c.id, "wrong"});
  expect_error(wrong, OAuthErrorCode::kInvalidClient, "Unknown client or wrong client secret.");
  EXPECT_FALSE(wrong.error().basic_challenge);
  EXPECT_EQ(http_status(wrong.error().code), 401);
  expect_error(cc(Client{"nobody", c.secret}), OAuthErrorCode::kInvalidClient);
  expect_error(token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}),
               OAuthErrorCode::kInvalidClient, "client authentication is required");
  expect_error(token({{"grant_type", "client_credentials"}, {"client_id", c.id}}),
               OAuthErrorCode::kInvalidClient, "client_secret is required");
}

TEST_F(TokenEndpointTest, BasicAuthenticationWorksForBasicClientsOnly) {
  Client basic = client({store::GrantType::kClientCredentials},
                        store::TokenEndpointAuthMethod::kClientSecretBasic);
  store::ClientGrant g{0, basic.id, std::string(kApi), {"read:messages"}, {}};
  ASSERT_TRUE(store_->create_client_grant(g).ok());
  const Client post = m2m();
  reload();
  const auto with_basic = [&](const Client& c, std::string secret) {
    return token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0,
                 "Basic " + base64(c.id + ":" + secret));
  };
  EXPECT_TRUE(with_basic(basic, basic.secret).ok());
  auto wrong = with_basic(basic, "nope");
  expect_error(wrong, OAuthErrorCode::kInvalidClient);
  EXPECT_TRUE(wrong.error().basic_challenge);
  auto mismatch = with_basic(post, post.secret);
  expect_error(mismatch, OAuthErrorCode::kInvalidClient, "client_secret_post");
  EXPECT_TRUE(mismatch.error().basic_challenge);
  expect_error(cc(basic), OAuthErrorCode::kInvalidClient, "client_secret_basic");
  expect_error(token({{"grant_type", "client_credentials"},
                      {"audience", std::string(kApi)},
                      {"client_secret", basic.secret}},
                     kT0, "Basic " + base64(basic.id + ":" + basic.secret)),
               OAuthErrorCode::kInvalidRequest, "exactly one client authentication method");
  for (const std::string& header :
       std::vector<std::string>{"Basic !!!!", "Basic " + base64("no-colon"), "Bearer abc",
                                "Basic " + base64(basic.id + ":%zz")}) {
    auto r =
        token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0, header);
    expect_error(r, OAuthErrorCode::kInvalidClient);
    EXPECT_TRUE(r.error().basic_challenge) << header;
  }
}

TEST_F(TokenEndpointTest, WrongSecretsThrottleTheClientFromThatAddressForTheBlockPeriod) {
  const Client c = m2m();
  reload();
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  auto third = cc(Client{c.id, "x"});
  expect_error(third, OAuthErrorCode::kTooManyAttempts);
  EXPECT_EQ(third.error().retry_after, seconds{60});
  // Wrong secrets stay throttled until the block runs out, one second on each side.
  auto blocked = cc(Client{c.id, "x"}, "", kT0 + seconds{59});
  expect_error(blocked, OAuthErrorCode::kTooManyAttempts);
  EXPECT_EQ(blocked.error().retry_after, seconds{1});
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{60}), OAuthErrorCode::kInvalidClient);
  // Another address was never blocked.
  EXPECT_TRUE(token({{"grant_type", "client_credentials"},
                     {"client_id", c.id},
                     {"client_secret", c.secret},
                     {"audience", std::string(kApi)}},
                    kT0 + seconds{1}, std::nullopt, "198.51.100.1")
                  .ok());
}

// Client ids are public (every token's azp), so refusing the right secret during a block let
// anyone lock a client out with ten bad requests. The right secret always gets in, and ends the
// block for its address.
TEST_F(TokenEndpointTest, TheRightSecretIsAcceptedWhileWrongOnesAreThrottled) {
  const Client c = m2m();
  reload();
  for (int i = 0; i < 3; ++i) {
    (void)cc(Client{c.id, "x"});
  }
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{1}), OAuthErrorCode::kTooManyAttempts);
  EXPECT_TRUE(cc(c, "", kT0 + seconds{1}).ok());
  // The success reset the count: two more wrong secrets are 401, the third blocks again.
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{2}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{2}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}, "", kT0 + seconds{2}), OAuthErrorCode::kTooManyAttempts);
  // Basic credentials too, for a client registered for them.
  const Client basic = client({store::GrantType::kClientCredentials},
                              store::TokenEndpointAuthMethod::kClientSecretBasic);
  store::ClientGrant g;
  g.client_id = basic.id;
  g.audience = std::string(kApi);
  EXPECT_TRUE(store_->create_client_grant(g).ok());
  reload();
  const auto basic_call = [&](std::string_view secret) {
    return token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0,
                 "Basic " + base64(basic.id + ":" + std::string(secret)));
  };
  for (int i = 0; i < 3; ++i) {
    (void)basic_call("wrong");
  }
  expect_error(basic_call("wrong"), OAuthErrorCode::kTooManyAttempts);
  EXPECT_TRUE(basic_call(basic.secret).ok());
}

TEST_F(TokenEndpointTest, ASuccessResetsTheClientsFailureCount) {
  const Client c = m2m();
  reload();
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  EXPECT_TRUE(cc(c).ok());
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  EXPECT_TRUE(cc(c).ok());
}

}  // namespace
}  // namespace signet::server::testing
