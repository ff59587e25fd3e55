#include "signet/guard/issuer_metadata.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace signet::guard {
namespace {

namespace json = boost::json;

constexpr std::string_view kIssuer = "https://auth.example.com/";
constexpr std::string_view kOidc = "https://auth.example.com/.well-known/openid-configuration";

// Answers GETs from a table and records them.
struct FakeGet {
  std::map<std::string, Result<http::FetchResponse, http::FetchFailure>, std::less<>> answers;
  std::vector<std::string> got;

  MetadataGet getter() {
    return [this](std::string_view url) -> Result<http::FetchResponse, http::FetchFailure> {
      got.emplace_back(url);
      const auto found = answers.find(url);
      if (found == answers.end()) {
        return http::FetchResponse{404, "", "", ""};
      }
      return found->second;
    };
  }
  void answer(std::string_view url, unsigned status, std::string body) {
    answers.insert_or_assign(std::string(url),
                             http::FetchResponse{status, std::move(body), "application/json", ""});
  }
  void answer(std::string_view url, const json::object& doc) {
    answer(url, 200, json::serialize(doc));
  }
};

json::object document(std::string_view issuer = kIssuer) {
  return json::object{{"issuer", issuer},
                      {"jwks_uri", "https://auth.example.com/.well-known/jwks.json"},
                      {"token_endpoint", "https://auth.example.com/oauth/token"}};
}

Result<IssuerMetadata, MetadataError> read(FakeGet& fake, std::string_view issuer = kIssuer,
                                           std::initializer_list<MetadataField> required = {}) {
  return read_issuer_metadata(fake.getter(), issuer, kOpenIdConfiguration, required);
}

TEST(IssuerMetadata, ReadsTheIssuerAndBothEndpointsWithOneGet) {
  FakeGet fake;
  fake.answer(kOidc, document());
  auto read_back = read(fake, kIssuer, {MetadataField::kJwksUri, MetadataField::kTokenEndpoint});
  ASSERT_TRUE(read_back) << read_back.error().message();
  EXPECT_EQ(read_back->url, kOidc);
  EXPECT_EQ(read_back->issuer, kIssuer);
  EXPECT_EQ(read_back->jwks_uri.value(), "https://auth.example.com/.well-known/jwks.json");
  EXPECT_EQ(read_back->token_endpoint.value(), "https://auth.example.com/oauth/token");
  EXPECT_EQ(fake.got, std::vector<std::string>{std::string(kOidc)});
}

TEST(IssuerMetadata, ReadsTheOAuthLocationAndInsertsTheSlash) {
  FakeGet fake;
  fake.answer("https://auth.example.com/.well-known/oauth-authorization-server",
              document("https://auth.example.com"));
  auto read_back = read_issuer_metadata(fake.getter(), "https://auth.example.com",
                                        kOAuthAuthorizationServer, {});
  ASSERT_TRUE(read_back) << read_back.error().message();
  EXPECT_EQ(read_back->issuer, "https://auth.example.com");
}

TEST(IssuerMetadata, OnlyHttp200Counts) {
  FakeGet fake;
  auto missing = read(fake);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, MetadataErrorCode::kNotOk);
  EXPECT_EQ(missing.error().message(), std::string(kOidc) + ": HTTP status 404");
  EXPECT_FALSE(missing.error().named_issuer);

  fake.answer(kOidc, 302, "");
  auto redirected = read(fake);
  ASSERT_FALSE(redirected);
  EXPECT_EQ(redirected.error().detail, "HTTP status 302 (redirects are not followed)");
}

TEST(IssuerMetadata, AnUnreachableHostIsToldApartFromOtherFailures) {
  FakeGet fake;
  fake.answers.insert_or_assign(
      std::string(kOidc),
      fail(http::FetchFailure{http::FetchError::kConnect, "connecting to x:443 failed"}));
  auto refused = read(fake);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, MetadataErrorCode::kUnreachable);
  EXPECT_EQ(refused.error().detail, "connecting to x:443 failed");

  fake.answers.insert_or_assign(
      std::string(kOidc), fail(http::FetchFailure{http::FetchError::kTooLarge, "body too large"}));
  auto large = read(fake);
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().code, MetadataErrorCode::kFetchFailed);
}

TEST(IssuerMetadata, ADocumentLargerThanTheLimitIsRefused) {
  FakeGet fake;
  json::object doc = document();
  doc["padding"] = std::string(kMaxIssuerMetadataBytes, 'x');
  fake.answer(kOidc, doc);
  auto large = read(fake);
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().code, MetadataErrorCode::kTooLarge);

  // Just under the limit is read.
  doc["padding"] = "";
  const std::size_t base = json::serialize(doc).size();
  doc["padding"] = std::string(kMaxIssuerMetadataBytes - base, 'x');
  fake.answer(kOidc, doc);
  EXPECT_TRUE(read(fake));
}

TEST(IssuerMetadata, TheBodyMustBeAJsonObject) {
  FakeGet fake;
  for (const std::string body : {"<html>", "[]", "\"issuer\"", ""}) {
    fake.answer(kOidc, 200, body);
    auto read_back = read(fake);
    ASSERT_FALSE(read_back) << body;
    EXPECT_EQ(read_back.error().code, MetadataErrorCode::kNotJsonObject) << body;
    EXPECT_TRUE(read_back.error().detail.starts_with("not a JSON object (")) << body;
  }
}

TEST(IssuerMetadata, TheDocumentMustNameAnIssuerString) {
  FakeGet fake;
  for (const json::object& doc :
       {json::object{{"jwks_uri", "https://a/"}}, json::object{{"issuer", 7}}}) {
    fake.answer(kOidc, doc);
    auto read_back = read(fake);
    ASSERT_FALSE(read_back);
    EXPECT_EQ(read_back.error().code, MetadataErrorCode::kNoIssuer);
    EXPECT_EQ(read_back.error().detail, "the document has no issuer string");
  }
}

TEST(IssuerMetadata, AnotherIssuersDocumentIsRefusedAndNamesThatIssuer) {
  // RFC 8414 §3.3: someone else's metadata could send a client's secret elsewhere.
  FakeGet fake;
  fake.answer(kOidc, document("https://evil.example.com/"));
  auto read_back = read(fake);
  ASSERT_FALSE(read_back);
  EXPECT_EQ(read_back.error().code, MetadataErrorCode::kIssuerMismatch);
  EXPECT_EQ(read_back.error().named_issuer, "https://evil.example.com/");
  EXPECT_EQ(read_back.error().detail,
            "the document names the issuer https://evil.example.com/, not "
            "https://auth.example.com/");
}

TEST(IssuerMetadata, ATrailingSlashMismatchSaysSo) {
  FakeGet fake;
  fake.answer(kOidc, document("https://auth.example.com"));
  auto read_back = read(fake);
  ASSERT_FALSE(read_back);
  EXPECT_EQ(read_back.error().code, MetadataErrorCode::kIssuerMismatch);
  EXPECT_NE(read_back.error().detail.find("the trailing slash matters"), std::string::npos);
}

TEST(IssuerMetadata, ARequiredEndpointMustBeUsable) {
  struct Case {
    json::value jwks_uri;  // null: absent
    std::string says;
  };
  const Case cases[] = {
      {nullptr, "the document names no jwks_uri"},
      {7, "the document names a jwks_uri that is not a string"},
      {"keys\x1b[2J", "the document names a jwks_uri that is not a URL: keys?[2J"},
      {"ftp://auth.example.com/keys", "the document names a jwks_uri that is not a URL: ftp://"},
      // Whoever answers a plain-HTTP request could hand us keys of their own.
      {"http://auth.example.com/keys",
       "the document names the jwks_uri http://auth.example.com/keys, which must use HTTPS as "
       "the issuer does"},
  };
  for (const auto& c : cases) {
    json::object doc = document();
    doc.erase("jwks_uri");
    if (!c.jwks_uri.is_null()) {
      doc["jwks_uri"] = c.jwks_uri;
    }
    FakeGet fake;
    fake.answer(kOidc, doc);
    auto required = read(fake, kIssuer, {MetadataField::kJwksUri});
    ASSERT_FALSE(required) << c.says;
    EXPECT_EQ(required.error().code, MetadataErrorCode::kBadEndpoint);
    EXPECT_TRUE(required.error().detail.starts_with(c.says)) << required.error().detail;
    EXPECT_EQ(required.error().named_issuer, kIssuer);

    // Not required: the document is read, and the endpoint says why it is unusable.
    auto optional = read(fake, kIssuer, {MetadataField::kTokenEndpoint});
    ASSERT_TRUE(optional) << optional.error().message();
    ASSERT_FALSE(optional->jwks_uri);
    EXPECT_EQ("the document " + optional->jwks_uri.error(), required.error().detail);
  }
}

TEST(IssuerMetadata, APlainHttpIssuerMayNamePlainHttpEndpoints) {
  FakeGet fake;
  json::object doc{{"issuer", "http://127.0.0.1:4000/"},
                   {"jwks_uri", "http://127.0.0.1:4000/.well-known/jwks.json"},
                   {"token_endpoint", "http://127.0.0.1:4000/oauth/token"}};
  fake.answer("http://127.0.0.1:4000/.well-known/openid-configuration", doc);
  auto read_back = read(fake, "http://127.0.0.1:4000/",
                        {MetadataField::kJwksUri, MetadataField::kTokenEndpoint});
  ASSERT_TRUE(read_back) << read_back.error().message();
  EXPECT_EQ(read_back->token_endpoint.value(), "http://127.0.0.1:4000/oauth/token");
}

TEST(IssuerMetadata, PrintableReplacesControlCharactersAndCuts) {
  EXPECT_EQ(printable("ok", 10), "ok");
  EXPECT_EQ(printable("a\x1b[2Jb\x7f", 10), "a?[2Jb?");
  EXPECT_EQ(printable("abcdef", 3), "abc...");
}

TEST(IssuerMetadata, FieldNamesAreTheMembers) {
  EXPECT_EQ(to_string(MetadataField::kJwksUri), "jwks_uri");
  EXPECT_EQ(to_string(MetadataField::kTokenEndpoint), "token_endpoint");
}

}  // namespace
}  // namespace signet::guard
