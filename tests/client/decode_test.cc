#include "signet/client/decode.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "signet/jose/base64url.h"
#include "tests/test_common/test_keys.h"

namespace signet::client {
namespace {

namespace json = boost::json;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// 2026-11-29T01:02:04Z
constexpr sys_seconds kNow{seconds{1795914124}};

std::string jwt(std::string_view header, std::string_view payload,
                std::string_view signature = "sig") {
  return jose::base64url_encode(header) + "." + jose::base64url_encode(payload) + "." +
         jose::base64url_encode(signature);
}

// --- durations and times ------------------------------------------------------------------------

struct DurationCase {
  long seconds;
  const char* words;
};

class DurationWords : public ::testing::TestWithParam<DurationCase> {};

TEST_P(DurationWords, RoundsDown) {
  EXPECT_EQ(duration_words(seconds{GetParam().seconds}), GetParam().words);
}

INSTANTIATE_TEST_SUITE_P(Table, DurationWords,
                         ::testing::Values(DurationCase{0, "0 s"}, DurationCase{1, "1 s"},
                                           DurationCase{59, "59 s"}, DurationCase{60, "1 min"},
                                           DurationCase{61, "1 min"}, DurationCase{300, "5 min"},
                                           DurationCase{3599, "59 min"}, DurationCase{3600, "1 h"},
                                           DurationCase{3660, "1 h 1 min"},
                                           DurationCase{86399, "23 h 59 min"},
                                           DurationCase{86400, "1 d"},
                                           DurationCase{90000, "1 d 1 h"},
                                           DurationCase{2592000, "30 d"}, DurationCase{-5, "0 s"}));

TEST(UtcTime, Rfc3339) {
  EXPECT_EQ(utc_time(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(utc_time(1795914124), "2026-11-29T01:02:04Z");
  EXPECT_EQ(utc_time(253402300799), "9999-12-31T23:59:59Z");
}

TEST(TimeClaimWords, ExpiryInTheFuture) {
  const std::int64_t exp = 1796000523;  // 2026-11-30T01:02:03Z, 23 h 59 min 59 s after kNow
  EXPECT_EQ(time_claim_words("exp", exp, kNow), "expires in 23 h 59 min (2026-11-30T01:02:03Z)");
}

TEST(TimeClaimWords, ExpiryInThePast) {
  const std::int64_t exp = 1795914124 - 300;
  EXPECT_EQ(time_claim_words("exp", exp, kNow), "expired 5 min ago (2026-11-29T00:57:04Z)");
}

TEST(TimeClaimWords, ExpiryOneSecondEachSideOfNow) {
  const std::int64_t now = kNow.time_since_epoch().count();
  EXPECT_EQ(time_claim_words("exp", now + 1, kNow), "expires in 1 s (2026-11-29T01:02:05Z)");
  // Now must be before exp: a token whose exp is now has expired.
  EXPECT_EQ(time_claim_words("exp", now, kNow), "expired just now (2026-11-29T01:02:04Z)");
  EXPECT_EQ(time_claim_words("exp", now - 1, kNow), "expired 1 s ago (2026-11-29T01:02:03Z)");
}

TEST(TimeClaimWords, IssuedAt) {
  const std::int64_t now = kNow.time_since_epoch().count();
  EXPECT_EQ(time_claim_words("iat", now - 180, kNow), "issued 3 min ago (2026-11-29T00:59:04Z)");
  EXPECT_EQ(time_claim_words("iat", now, kNow), "issued just now (2026-11-29T01:02:04Z)");
  EXPECT_EQ(time_claim_words("iat", now + 120, kNow),
            "issued in 2 min (2026-11-29T01:04:04Z), in the future");
}

TEST(TimeClaimWords, NotBefore) {
  const std::int64_t now = kNow.time_since_epoch().count();
  EXPECT_EQ(time_claim_words("nbf", now - 3600, kNow),
            "valid since 1 h ago (2026-11-29T00:02:04Z)");
  EXPECT_EQ(time_claim_words("nbf", now, kNow), "valid since just now (2026-11-29T01:02:04Z)");
  EXPECT_EQ(time_claim_words("nbf", now + 1, kNow), "not valid yet: in 1 s (2026-11-29T01:02:05Z)");
}

// --- pretty JSON --------------------------------------------------------------------------------

TEST(PrettyJson, TwoSpacesPerLevelInOriginalOrder) {
  const auto value = json::parse(
      R"({"z":1,"a":[1,"two",{"x":null}],"e":{},"f":[],"s":"q\"\u0001","b":true,"n":1.5})");
  EXPECT_EQ(pretty_json(value),
            "{\n"
            "  \"z\": 1,\n"
            "  \"a\": [\n"
            "    1,\n"
            "    \"two\",\n"
            "    {\n"
            "      \"x\": null\n"
            "    }\n"
            "  ],\n"
            "  \"e\": {},\n"
            "  \"f\": [],\n"
            "  \"s\": \"q\\\"\\u0001\",\n"
            "  \"b\": true,\n"
            "  \"n\": 1.5E0\n"
            "}");
}

TEST(PrettyJson, Scalars) {
  EXPECT_EQ(pretty_json(json::value(42)), "42");
  EXPECT_EQ(pretty_json(json::value("x")), "\"x\"");
  EXPECT_EQ(pretty_json(json::object{}), "{}");
}

TEST(PrettyJson, TerminalEscapesAreEscaped) {
  // A claim carrying ESC [ 2 J must not clear the screen of whoever decodes the token.
  const std::string out = pretty_json(json::object{{"name", "\x1b[2J"}});
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find("\\u001b"), std::string::npos) << out;
}

// --- decode_jwt ---------------------------------------------------------------------------------

TEST(DecodeJwt, HeaderAndClaims) {
  // header {"alg":"RS256","kid":"k1","typ":"JWT"}; payload {"iss":"http://localhost:4000/",
  // "aud":"https://quickstarts/api","exp":1796000523}
  const auto decoded = decode_jwt(jwt(R"({"alg":"RS256","kid":"k1","typ":"JWT"})",
                                      R"({"iss":"http://localhost:4000/",)"
                                      R"("aud":"https://quickstarts/api","exp":1796000523})"));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->header.at("kid").as_string(), "k1");
  EXPECT_EQ(decoded->claims.at("aud").as_string(), "https://quickstarts/api");
}

TEST(DecodeJwt, ARealSignedToken) {
  const auto& key = signet::testing::test_key(jose::Algorithm::kES256);
  const std::string token =
      signet::testing::mint(key, json::object{{"sub", "abc@clients"}, {"exp", 1796000523}});
  const auto decoded = decode_jwt(token);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->header.at("alg").as_string(), "ES256");
  EXPECT_EQ(decoded->claims.at("sub").as_string(), "abc@clients");
}

TEST(DecodeJwt, UnsignedTokensAreShownToo) {
  // Decoding judges nothing: an alg none token is displayed (and --verify refuses it).
  const auto decoded = decode_jwt(jose::base64url_encode(R"({"alg":"none"})") + "." +
                                  jose::base64url_encode(R"({"sub":"x"})") + ".");
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->header.at("alg").as_string(), "none");
}

struct BadToken {
  std::string token;
  const char* says;
};

class DecodeJwtRefuses : public ::testing::TestWithParam<BadToken> {};

TEST_P(DecodeJwtRefuses, SaysWhy) {
  const auto decoded = decode_jwt(GetParam().token);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find(GetParam().says), std::string::npos) << decoded.error();
}

INSTANTIATE_TEST_SUITE_P(
    Table, DecodeJwtRefuses,
    ::testing::Values(BadToken{"", "empty"}, BadToken{"abc", "has 1"}, BadToken{"a.b", "has 2"},
                      BadToken{"a.b.c.d", "has 4"}, BadToken{"a.b.c.d.e", "JWE"},
                      BadToken{"e30=.e30.x", "header is not base64url"},
                      BadToken{"e30.e30=.x", "payload is not base64url"},
                      BadToken{jose::base64url_encode("[1]") + ".e30.x", "header is not a JSON"},
                      BadToken{"e30." + jose::base64url_encode("{\"a\":1,\"a\":2}") + ".x",
                               "payload is not a JSON object"},
                      BadToken{"e30." + jose::base64url_encode("{") + ".x", "payload"},
                      BadToken{std::string(kMaxDecodeBytes + 1, 'a'), "longer than"}));

// --- the whole description ----------------------------------------------------------------------

TEST(DescribeJwt, HeaderClaimsAndTimesInWords) {
  const std::int64_t now = kNow.time_since_epoch().count();
  DecodedJwt decoded;
  decoded.header = json::object{{"alg", "RS256"}, {"typ", "JWT"}};
  decoded.claims = json::object{{"iss", "http://localhost:4000/"},
                                {"exp", now + 86399},
                                {"iat", now - 1},
                                {"nbf", "not a date"}};
  EXPECT_EQ(describe_jwt(decoded, kNow),
            "Header:\n"
            "{\n"
            "  \"alg\": \"RS256\",\n"
            "  \"typ\": \"JWT\"\n"
            "}\n"
            "Claims:\n"
            "{\n"
            "  \"iss\": \"http://localhost:4000/\",\n"
            "  \"exp\": 1796000523,\n"
            "  \"iat\": 1795914123,\n"
            "  \"nbf\": \"not a date\"\n"
            "}\n"
            "iat: issued 1 s ago (2026-11-29T01:02:03Z)\n"
            "exp: expires in 23 h 59 min (2026-11-30T01:02:03Z)\n");
}

TEST(DescribeJwt, ExpiredToken) {
  const std::int64_t now = kNow.time_since_epoch().count();
  DecodedJwt decoded;
  decoded.claims = json::object{{"exp", now - 300}};
  const std::string out = describe_jwt(decoded, kNow);
  EXPECT_NE(out.find("exp: expired 5 min ago (2026-11-29T00:57:04Z)\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace signet::client
