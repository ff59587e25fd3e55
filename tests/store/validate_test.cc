#include "signet/store/validate.h"

#include <string>

#include <gtest/gtest.h>

namespace signet::store {
namespace {

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
TEST(StoreValidateTest, ScopeTokensFollowRfc6749) {
  EXPECT_TRUE(is_scope_token("read:messages"));
  EXPECT_TRUE(is_scope_token("!#[]~"));
  EXPECT_FALSE(is_scope_token(""));
  EXPECT_FALSE(is_scope_token("read messages"));
  EXPECT_FALSE(is_scope_token("say\"hi\""));
  EXPECT_FALSE(is_scope_token("back\\slash"));
  EXPECT_FALSE(is_scope_token("tab\t"));
  EXPECT_FALSE(is_scope_token("caf\xc3\xa9"));
  EXPECT_FALSE(is_scope_token(std::string(kMaxTextLength + 1, 'a')));
}

TEST(StoreValidateTest, TextIsBounded) {
  Api api;
  api.identifier = std::string(kMaxTextLength, 'a');
  api.name = "n";
  EXPECT_TRUE(validate_api(api).ok());
  api.identifier += 'a';
  EXPECT_EQ(validate_api(api).error().code, StoreErrorCode::kInvalid);
}

}  // namespace
}  // namespace signet::store
