#include "signet/store/types.h"

#include <optional>

#include <gtest/gtest.h>

namespace signet::store {
namespace {

// The text forms are stored in the database: they must round-trip and never change.
TEST(StoreTypesTest, EnumTextFormsRoundTrip) {
  EXPECT_EQ(to_string(TokenProfile::kRfc9068), "rfc9068");
  EXPECT_EQ(to_string(ApplicationType::kRegularWeb), "regular_web");
  EXPECT_EQ(to_string(GrantType::kClientCredentials), "client_credentials");
  EXPECT_EQ(to_string(TokenEndpointAuthMethod::kClientSecretBasic), "client_secret_basic");
  EXPECT_EQ(to_string(SigningKeyState::kPrevious), "previous");
  for (auto v : {TokenProfile::kAuth0, TokenProfile::kRfc9068}) {
    EXPECT_EQ(parse_token_profile(to_string(v)), v);
  }
  for (auto v : {ApplicationType::kM2m, ApplicationType::kRegularWeb, ApplicationType::kNative,
                 ApplicationType::kSpa}) {
    EXPECT_EQ(parse_application_type(to_string(v)), v);
  }
  for (auto v : {GrantType::kClientCredentials, GrantType::kPassword, GrantType::kRefreshToken,
                 GrantType::kAuthorizationCode}) {
    EXPECT_EQ(parse_grant_type(to_string(v)), v);
  }
  for (auto v : {TokenEndpointAuthMethod::kClientSecretBasic,
                 TokenEndpointAuthMethod::kClientSecretPost, TokenEndpointAuthMethod::kNone}) {
    EXPECT_EQ(parse_token_endpoint_auth_method(to_string(v)), v);
  }
  for (auto v : {SigningKeyState::kNext, SigningKeyState::kCurrent, SigningKeyState::kPrevious,
                 SigningKeyState::kRevoked}) {
    EXPECT_EQ(parse_signing_key_state(to_string(v)), v);
  }
  for (auto v : {FailedLoginSubject::kUser, FailedLoginSubject::kClient}) {
    EXPECT_EQ(parse_failed_login_subject(to_string(v)), v);
  }
  EXPECT_EQ(parse_grant_type("Password"), std::nullopt);  // exact, no case folding
  EXPECT_EQ(parse_signing_key_state(""), std::nullopt);
}

}  // namespace
}  // namespace signet::store
