#include "signet/guard/bearer.h"

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace signet::guard {
namespace {

struct BearerCase {
  std::string name;  // the test's name suffix
  std::vector<std::string_view> authorization;
  std::string_view query;
  std::optional<std::string_view> token;  // expected token; nullopt: expect `error`
  Error error = Error::kNoCredentials;
};

void PrintTo(const BearerCase& c, std::ostream* os) {
  *os << c.name;
}

BearerCase ok(std::string name, std::vector<std::string_view> authorization, std::string_view token,
              std::string_view query = {}) {
  return {std::move(name), std::move(authorization), query, token};
}

BearerCase refused(std::string name, std::vector<std::string_view> authorization, Error error,
                   std::string_view query = {}) {
  return {std::move(name), std::move(authorization), query, std::nullopt, error};
}

class ExtractBearer : public ::testing::TestWithParam<BearerCase> {};

TEST_P(ExtractBearer, FollowsRfc6750) {
  const BearerCase& c = GetParam();
  const auto result = extract_bearer(Credentials{c.authorization, c.query});
  if (c.token) {
    ASSERT_TRUE(result) << "refused with: " << to_string(result.error());
    EXPECT_EQ(*result, *c.token);
  } else {
    ASSERT_FALSE(result) << "accepted: " << *result;
    EXPECT_EQ(result.error(), c.error) << to_string(result.error());
  }
}

constexpr std::string_view kJwtLike = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz";

INSTANTIATE_TEST_SUITE_P(
    Table, ExtractBearer,
    ::testing::Values(
        // accepted
        ok("Canonical", {"Bearer abc"}, "abc"), ok("LowerCaseScheme", {"bearer abc"}, "abc"),
        ok("UpperCaseScheme", {"BEARER abc"}, "abc"), ok("MixedCaseScheme", {"bEaReR abc"}, "abc"),
        ok("SeveralSpaces", {"Bearer    abc"}, "abc"),
        ok("TrailingSpaceTrimmed", {"Bearer abc  "}, "abc"),
        ok("EveryB64TokenCharacter", {"Bearer AZaz09-._~+/"}, "AZaz09-._~+/"),
        ok("OnePaddingCharacter", {"Bearer abc="}, "abc="),
        ok("TwoPaddingCharacters", {"Bearer abc=="}, "abc=="),
        ok("Jwt", {"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz"}, kJwtLike),
        ok("QueryWithOtherParameters", {"Bearer abc"}, "abc", "x=1&y=2"),
        ok("QueryNameThatOnlyStartsLikeAccessToken", {"Bearer abc"}, "abc", "access_tokenx=1"),
        ok("QueryValueThatIsAccessToken", {"Bearer abc"}, "abc", "x=access_token"),
        ok("QueryNameWithPrefix", {"Bearer abc"}, "abc", "my_access_token=1"),
        // malformed Bearer header
        refused("SchemeAlone", {"Bearer"}, Error::kMalformedHeader),
        refused("SchemeAndSpace", {"Bearer "}, Error::kMalformedHeader),
        refused("SchemeAndSpaces", {"Bearer    "}, Error::kMalformedHeader),
        refused("TwoWords", {"Bearer a b"}, Error::kMalformedHeader),
        refused("CommaList", {"Bearer a,b"}, Error::kMalformedHeader),
        refused("NonAsciiCharacter", {"Bearer a\xc3\xbc"}, Error::kMalformedHeader),
        refused("Quote", {"Bearer a\"b"}, Error::kMalformedHeader),
        refused("QuotedString", {"Bearer \"abc\""}, Error::kMalformedHeader),
        refused("OnlyPadding", {"Bearer ="}, Error::kMalformedHeader),
        refused("LeadingPadding", {"Bearer =abc"}, Error::kMalformedHeader),
        refused("PaddingInTheMiddle", {"Bearer ab=c"}, Error::kMalformedHeader),
        refused("AuthParam", {"Bearer token=abc,x=y"}, Error::kMalformedHeader),
        refused("ControlCharacter", {"Bearer ab\x01"}, Error::kMalformedHeader),
        // no bearer credentials
        refused("NoHeader", {}, Error::kNoCredentials),
        refused("BasicScheme", {"Basic eHl6"}, Error::kNoCredentials),
        refused("SchemeGluedToToken", {"Bearerabc"}, Error::kNoCredentials),
        refused("EmptyHeader", {""}, Error::kNoCredentials),
        refused("NoHeaderOtherQuery", {}, Error::kNoCredentials, "x=1"),
        // one token, one method, once
        refused("TwoBearerHeaders", {"Bearer a", "Bearer b"}, Error::kMultipleTokens),
        refused("SameTokenTwice", {"Bearer a", "Bearer a"}, Error::kMultipleTokens),
        refused("BearerAndBasic", {"Bearer a", "Basic eHl6"}, Error::kMultipleTokens),
        refused("HeaderAndQueryToken", {"Bearer a"}, Error::kMultipleTokens, "access_token=a"),
        refused("HeaderAndLaterQueryToken", {"Bearer a"}, Error::kMultipleTokens,
                "x=1&access_token=b"),
        // query tokens are refused
        refused("QueryTokenOnly", {}, Error::kQueryToken, "access_token=abc"),
        refused("QueryTokenAfterOtherParameter", {}, Error::kQueryToken, "x=1&access_token=a"),
        refused("QueryTokenWithoutValue", {}, Error::kQueryToken, "access_token"),
        refused("QueryTokenEmptyValue", {}, Error::kQueryToken, "x=1&access_token="),
        refused("QueryTokenWithBasicHeader", {"Basic eHl6"}, Error::kQueryToken, "access_token=a")),
    [](const ::testing::TestParamInfo<BearerCase>& info) { return info.param.name; });

// RFC 9449 §7.1: "DPoP" as a second scheme, under the same rules as Bearer.
TEST(ExtractToken, TellsBearerFromDpop) {
  struct Case {
    std::vector<std::string_view> authorization;
    std::string_view query;
    std::optional<Scheme> scheme;  // nullopt: expect `error`
    std::string_view token;
    Error error = Error::kNoCredentials;
  };
  const Case cases[] = {
      {{"DPoP abc"}, "", Scheme::kDpop, "abc"},
      {{"dpop abc"}, "", Scheme::kDpop, "abc"},
      {{"DPOP   abc  "}, "", Scheme::kDpop, "abc"},
      {{"DPoP\tabc"}, "", Scheme::kDpop, "abc"},
      {{"DPoP eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz"},
       "",
       Scheme::kDpop,
       kJwtLike},
      {{"Bearer abc"}, "", Scheme::kBearer, "abc"},
      {{"DPoP"}, "", std::nullopt, "", Error::kMalformedHeader},
      {{"DPoP a b"}, "", std::nullopt, "", Error::kMalformedHeader},
      {{"DPoP \"abc\""}, "", std::nullopt, "", Error::kMalformedHeader},
      {{"DPoPabc"}, "", std::nullopt, "", Error::kNoCredentials},
      {{"DPoP a", "Bearer b"}, "", std::nullopt, "", Error::kMultipleTokens},
      {{"DPoP a", "DPoP a"}, "", std::nullopt, "", Error::kMultipleTokens},
      {{"DPoP a"}, "access_token=a", std::nullopt, "", Error::kMultipleTokens},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.authorization.empty() ? std::string("(none)") : std::string(c.authorization[0]));
    const auto result = extract_token(Credentials{c.authorization, c.query});
    if (c.scheme) {
      ASSERT_TRUE(result) << to_string(result.error());
      EXPECT_EQ(result->scheme, *c.scheme);
      EXPECT_EQ(result->token, c.token);
    } else {
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error(), c.error);
    }
  }
}

TEST(ExtractBearer, TakesADpopHeaderForAnotherScheme) {
  const std::vector<std::string_view> dpop{"DPoP abc"};
  const auto result = extract_bearer(Credentials{dpop, {}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), Error::kNoCredentials);
}

TEST(QueryHasAccessToken, FindsOnlyTheExactParameterName) {
  struct Case {
    std::string_view query;
    bool expected;
  };
  const Case cases[] = {
      {"", false},
      {"access_token=a", true},
      {"access_token", true},
      {"access_token=", true},
      {"x=1&access_token=a", true},
      {"x=1&access_token=a&y=2", true},
      {"&access_token=a", true},
      {"access_tokenx=1", false},
      {"xaccess_token=1", false},
      {"x=access_token", false},
      {"x=1&y=access_token=2", false},
      {"access_toke=1", false},
      {"x=1&&y=2", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(query_has_access_token(c.query), c.expected) << "query: " << c.query;
  }
}

}  // namespace
}  // namespace signet::guard
