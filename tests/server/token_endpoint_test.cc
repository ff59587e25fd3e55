// The grant table of the token endpoint: which grant_type values exist and who may use them.

#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

TEST_F(TokenEndpointTest, GrantTypeErrors) {
  const Client c = m2m();
  reload();
  expect_error(token({{"client_id", c.id}, {"client_secret", c.secret}}),
               OAuthErrorCode::kInvalidRequest, "grant_type is required");
  expect_error(token({{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                      {"client_id", c.id},
                      {"client_secret", c.secret}}),
               OAuthErrorCode::kUnsupportedGrantType,
               "use client_credentials, password, refresh_token or authorization_code");
  expect_error(
      token(
          {{"grant_type", "authorization_code"}, {"client_id", c.id}, {"client_secret", c.secret}}),
      OAuthErrorCode::kUnauthorizedClient,
      "Grant type 'authorization_code' not allowed for the client.");
  expect_error(login(c, "x@example.com", "y"), OAuthErrorCode::kUnauthorizedClient,
               "Grant type 'password' not allowed for the client.");
}

}  // namespace
}  // namespace signet::server::testing
