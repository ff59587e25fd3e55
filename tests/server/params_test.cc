#include "signet/server/params.h"

#include <string>

#include <gtest/gtest.h>

namespace signet::server {
namespace {

constexpr std::string_view kForm = "application/x-www-form-urlencoded";
constexpr std::string_view kJson = "application/json";

Params ok(std::string_view content_type, std::string_view body) {
  auto p = parse_params(content_type, body);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : describe(p.error()));
  return p.ok() ? *p : Params{};
}

ParamsError refused(std::string_view content_type, std::string_view body) {
  auto p = parse_params(content_type, body);
  EXPECT_FALSE(p.ok()) << body;
  return p.ok() ? ParamsError::kMalformedJson : p.error().code;
}

TEST(ParamsTest, FormDecodesPlusAndPercent) {
  const Params p =
      ok(kForm, "grant_type=client_credentials&audience=https%3A%2F%2Fq%2Fapi&scope=a+b");
  EXPECT_EQ(p.get("grant_type"), "client_credentials");
  EXPECT_EQ(p.get("audience"), "https://q/api");
  EXPECT_EQ(p.get("scope"), "a b");
  EXPECT_EQ(p.size(), 3u);
}

TEST(ParamsTest, EmptyValuesAreTreatedAsOmitted) {
  const Params p = ok(kForm, "scope=&audience=x&&flag");
  EXPECT_FALSE(p.has("scope"));
  EXPECT_FALSE(p.has("flag"));
  EXPECT_EQ(p.get("audience"), "x");
}

TEST(ParamsTest, EmptyBodyHasNoParameters) {
  EXPECT_EQ(ok(kForm, "").size(), 0u);
  EXPECT_EQ(ok(kJson, "{}").size(), 0u);
}

TEST(ParamsTest, RepeatedParameterIsRefusedEvenWhenOneIsEmpty) {
  EXPECT_EQ(refused(kForm, "audience=a&audience=b"), ParamsError::kRepeated);
  EXPECT_EQ(refused(kForm, "audience=&audience=b"), ParamsError::kRepeated);
  EXPECT_EQ(refused(kForm, "audience=a&audienc%65=a"), ParamsError::kRepeated);
  EXPECT_EQ(refused(kJson, R"({"audience":"a","audience":"b"})"), ParamsError::kRepeated);
}

TEST(ParamsTest, BadPercentEncodingIsRefused) {
  for (const char* body : {"a=%", "a=%4", "a=%zz", "a=%4g", "%=1", "a=b%"}) {
    EXPECT_EQ(refused(kForm, body), ParamsError::kBadPercentEncoding) << body;
  }
}

TEST(ParamsTest, InvalidUtf8IsRefused) {
  for (const char* body :
       {"a=%FF", "a=%C0%AF", "a=%ED%A0%80", "a=%F4%90%80%80", "a=%E2%82", "%FF=1"}) {
    EXPECT_EQ(refused(kForm, body), ParamsError::kBadUtf8) << body;
  }
  EXPECT_EQ(ok(kForm, "name=%C3%A9%E2%82%AC%F0%9F%98%80").get("name"),
            "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(ParamsTest, ControlCharactersAreRefused) {
  for (const char* body : {"a=%00", "a=x%0Ay", "a=%0D", "a=%7F", "a=%09", "a%0A=1"}) {
    EXPECT_EQ(refused(kForm, body), ParamsError::kControlCharacter) << body;
  }
  EXPECT_EQ(refused(kJson, R"({"a":"x\ny"})"), ParamsError::kControlCharacter);
}

TEST(ParamsTest, TooManyParametersOrTooLongANameIsRefused) {
  std::string body;
  for (std::size_t i = 0; i <= kMaxParams; ++i) {
    body += "p" + std::to_string(i) + "=1&";
  }
  EXPECT_EQ(refused(kForm, body), ParamsError::kTooMany);
  EXPECT_EQ(refused(kForm, std::string(kMaxParamNameBytes + 1, 'n') + "=1"),
            ParamsError::kNameTooLong);
}

TEST(ParamsTest, JsonValuesMustBeStrings) {
  EXPECT_EQ(refused(kJson, R"({"grant_type":1})"), ParamsError::kNotAString);
  EXPECT_EQ(refused(kJson, R"({"scope":["a"]})"), ParamsError::kNotAString);
  EXPECT_EQ(refused(kJson, R"({"x":null})"), ParamsError::kNotAString);
  EXPECT_EQ(refused(kJson, R"({"x":{"y":"z"}})"), ParamsError::kNotAString);
}

TEST(ParamsTest, MalformedJsonOrANonObjectIsRefused) {
  for (const char* body : {"", "{", "[]", "\"a\"", "{\"a\":\"b\",}", "{\"a\":\"b\"} x", "nul"}) {
    EXPECT_EQ(refused(kJson, body), ParamsError::kMalformedJson) << body;
  }
}

TEST(ParamsTest, JsonBodyGivesTheSameParametersAsAForm) {
  const Params p = ok(kJson, R"({"grant_type":"password","username":"u@example.com","scope":""})");
  EXPECT_EQ(p.get("grant_type"), "password");
  EXPECT_EQ(p.get("username"), "u@example.com");
  EXPECT_FALSE(p.has("scope"));
}

TEST(ParamsTest, MediaTypeIsCaseInsensitiveAndUtf8CharsetIsAccepted) {
  EXPECT_EQ(ok("Application/X-WWW-Form-URLEncoded; charset=UTF-8", "a=b").get("a"), "b");
  EXPECT_EQ(ok("application/json;charset=\"utf-8\"", R"({"a":"b"})").get("a"), "b");
  EXPECT_EQ(ok("application/json ; foo=bar", R"({"a":"b"})").get("a"), "b");
}

TEST(ParamsTest, OtherMediaTypesAndCharsetsAreRefused) {
  EXPECT_EQ(refused("text/plain", "a=b"), ParamsError::kUnsupportedMediaType);
  EXPECT_EQ(refused("", "a=b"), ParamsError::kUnsupportedMediaType);
  EXPECT_EQ(refused("multipart/form-data; boundary=x", "a=b"), ParamsError::kUnsupportedMediaType);
  EXPECT_EQ(refused("application/json; charset=latin1", "{}"), ParamsError::kUnsupportedCharset);
}

TEST(ParamsTest, DescriptionsNameTheParameterAndTheFix) {
  auto p = parse_params(kForm, "audience=a&audience=b");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(describe(p.error()).find("'audience' is repeated"), std::string::npos);
  p = parse_params("text/plain", "");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(describe(p.error()).find("application/x-www-form-urlencoded"), std::string::npos);
}

// The quickstart's curl without its `content-type: application/json` header: curl sends the JSON
// as application/x-www-form-urlencoded. It used to be refused as one over-long parameter name.
TEST(ParamsTest, JsonSentAsAFormIsRefusedWithTheMissingHeader) {
  const std::string body =
      R"({"grant_type":"client_credentials","client_id": "abc","client_secret": "s3cret",)"
      R"("audience": "https://quickstarts/api"})";
  for (const std::string& b :
       {body, " \r\n\t" + body, std::string(R"([{"a":"b"}])"), std::string("{")}) {
    auto p = parse_params(kForm, b);
    ASSERT_FALSE(p.ok()) << b;
    EXPECT_EQ(p.error().code, ParamsError::kJsonAsForm) << b;
    EXPECT_EQ(describe(p.error()),
              "the body is JSON but Content-Type is application/x-www-form-urlencoded: add "
              "--header 'content-type: application/json' (or send a form)");
  }
  auto p = parse_params("application/x-www-form-urlencoded; charset=utf-8", body);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ParamsError::kJsonAsForm);
  // The description never echoes the body, which holds the client secret.
  EXPECT_EQ(describe(p.error()).find("s3cret"), std::string::npos);
  // Forms are still forms, and the same JSON with its media type is accepted.
  EXPECT_EQ(ok(kForm, "a=%7B").get("a"), "{");
  EXPECT_EQ(ok(kForm, "a=b&c={}").get("c"), "{}");
  EXPECT_EQ(ok(kJson, body).get("client_id"), "abc");
}

TEST(ParamsTest, FormDecodeDecodesBasicCredentials) {
  EXPECT_EQ(form_decode("a%3Ab+c").value(), "a:b c");
  EXPECT_FALSE(form_decode("%G0").ok());
}

}  // namespace
}  // namespace signet::server
