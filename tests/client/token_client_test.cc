#include "signet/client/token_client.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include <boost/json.hpp>

#include "signet/jose/dpop.h"
#include "signet/jose/jwk.h"
#include "signet/jose/jws.h"
#include "tests/client/fake_transport.h"
#include "tests/test_common/test_keys.h"

namespace signet::client {
namespace {

namespace json = boost::json;

constexpr std::string_view kIssuer = "https://auth.example.com/";
constexpr std::string_view kOidc = "https://auth.example.com/.well-known/openid-configuration";
constexpr std::string_view kOauth =
    "https://auth.example.com/.well-known/oauth-authorization-server";
constexpr std::string_view kEndpoint = "https://auth.example.com/oauth/token";
constexpr std::string_view kJwksUri = "https://auth.example.com/.well-known/jwks.json";
constexpr std::chrono::sys_seconds kNow{std::chrono::seconds{1795910400}};  // 2026-11-29T00:00Z

json::object metadata(std::string_view issuer = kIssuer, std::string_view endpoint = kEndpoint) {
  return json::object{{"issuer", issuer}, {"token_endpoint", endpoint}, {"jwks_uri", kJwksUri}};
}

// The public JWKS of the test keys `kids` names (test-ES256, other-ES256).
json::object jwks_of(std::initializer_list<const jose::Jwk*> keys) {
  std::vector<jose::Jwk> published;
  for (const auto* key : keys) {
    published.push_back(testing::public_half(*key));
  }
  return jose::to_public_jwks(published);
}

TokenRequest client_credentials() {
  TokenRequest r;
  r.issuer = std::string(kIssuer);
  r.client_id = "abc";
  r.client_secret = "s3cr&t=+ /%";
  r.audience = "https://quickstarts/api";
  return r;
}

class TokenClientTest : public ::testing::Test {
 protected:
  TokenClientTest() : transport_(std::make_shared<FakeTransport>()), client_(transport_) {
    transport_->on_get(kOidc, ok_json(metadata()));
    transport_->on_post(ok_json(json::object{{"access_token", "eyJ.x.y"},
                                             {"token_type", "Bearer"},
                                             {"expires_in", 86400},
                                             {"scope", "read:messages"}}));
  }

  std::shared_ptr<FakeTransport> transport_;
  TokenClient client_;
};

// --- form encoding ------------------------------------------------------------------------------

TEST(FormEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(form_encode("AZaz09*-._"), "AZaz09*-._");
  EXPECT_EQ(form_encode("a b"), "a+b");
  EXPECT_EQ(form_encode("https://quickstarts/api"), "https%3A%2F%2Fquickstarts%2Fapi");
  EXPECT_EQ(form_encode("a+b&c=d%e~"), "a%2Bb%26c%3Dd%25e%7E");
  EXPECT_EQ(form_encode("\xc3\xa9\n"), "%C3%A9%0A");
  EXPECT_EQ(form_encode(std::string("a\0b", 3)), "a%00b");
  EXPECT_EQ(form_encode(""), "");
}

// --- discovery ----------------------------------------------------------------------------------

TEST_F(TokenClientTest, DiscoversFromOpenIdConfiguration) {
  const auto endpoint = client_.token_endpoint(std::string(kIssuer));
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();
  EXPECT_EQ(*endpoint, kEndpoint);
  EXPECT_EQ(transport_->got, std::vector<std::string>{std::string(kOidc)});
  // Remembered: no second fetch.
  EXPECT_TRUE(client_.token_endpoint(std::string(kIssuer)).ok());
  EXPECT_EQ(transport_->got.size(), 1u);
}

TEST_F(TokenClientTest, FallsBackToOAuthAuthorizationServerMetadata) {
  transport_->on_get(kOidc, http::FetchResponse{404, "", "", ""});
  transport_->on_get(kOauth, ok_json(metadata(kIssuer, "https://auth.example.com/token2")));
  const auto endpoint = client_.token_endpoint(std::string(kIssuer));
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();
  EXPECT_EQ(*endpoint, "https://auth.example.com/token2");
  EXPECT_EQ(transport_->got, (std::vector<std::string>{std::string(kOidc), std::string(kOauth)}));
}

TEST_F(TokenClientTest, IssuerWithoutTrailingSlashGetsTheSlashInserted) {
  transport_->on_get(kOidc, ok_json(metadata("https://auth.example.com")));
  const auto endpoint = client_.token_endpoint("https://auth.example.com");
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();
  EXPECT_EQ(transport_->got.front(), kOidc);
}

TEST_F(TokenClientTest, DocumentOfAnotherIssuerIsRefused) {
  transport_->on_get(kOidc, ok_json(metadata("https://evil.example.com/")));
  const auto endpoint = client_.token_endpoint(std::string(kIssuer));
  ASSERT_FALSE(endpoint.ok());
  EXPECT_NE(endpoint.error().find("names the issuer https://evil.example.com/"), std::string::npos)
      << endpoint.error();
  EXPECT_NE(endpoint.error().find(std::string(kOauth) + ": HTTP status 404"), std::string::npos)
      << endpoint.error();
}

TEST_F(TokenClientTest, TrailingSlashMismatchSaysSo) {
  const auto endpoint = client_.token_endpoint("https://auth.example.com");
  ASSERT_FALSE(endpoint.ok());
  EXPECT_NE(endpoint.error().find("trailing slash"), std::string::npos) << endpoint.error();
}

TEST_F(TokenClientTest, HttpsIssuerMustNotSendTheSecretOverHttp) {
  transport_->on_get(kOidc, ok_json(metadata(kIssuer, "http://auth.example.com/oauth/token")));
  const auto endpoint = client_.token_endpoint(std::string(kIssuer));
  ASSERT_FALSE(endpoint.ok());
  EXPECT_NE(endpoint.error().find("must use HTTPS"), std::string::npos) << endpoint.error();
  EXPECT_FALSE(client_.request(client_credentials(), kNow).ok());
  EXPECT_TRUE(transport_->posted.empty());
}

TEST_F(TokenClientTest, MalformedDocumentsAreReported) {
  transport_->on_get(kOidc, http::FetchResponse{200, "<html>", "text/html", ""});
  transport_->on_get(kOauth, ok_json(json::object{{"issuer", kIssuer}}));
  const auto endpoint = client_.token_endpoint(std::string(kIssuer));
  ASSERT_FALSE(endpoint.ok());
  EXPECT_NE(endpoint.error().find("not a JSON object"), std::string::npos) << endpoint.error();
  EXPECT_NE(endpoint.error().find("names no token_endpoint"), std::string::npos)
      << endpoint.error();
}

TEST_F(TokenClientTest, UnreachableIssuerIsSaidOnceWithoutTryingAgain) {
  transport_->on_get(kOidc, fail(http::FetchFailure{http::FetchError::kConnect,
                                                    "connecting to auth.example.com:443 failed: "
                                                    "Connection refused"}));
  const auto endpoint = client_.token_endpoint(std::string(kIssuer));
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error(),
            "cannot reach the issuer https://auth.example.com/: connecting to "
            "auth.example.com:443 failed: Connection refused");
  EXPECT_EQ(transport_->got.size(), 1u);
}

TEST_F(TokenClientTest, MetadataNamesTheJwksUri) {
  const auto found = client_.metadata(std::string(kIssuer));
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_EQ(found->token_endpoint.value(), kEndpoint);
  EXPECT_EQ(found->jwks_uri.value(), kJwksUri);
  json::object without = metadata();
  without.erase("jwks_uri");
  transport_->on_get(kOidc, ok_json(without));
  TokenClient fresh(transport_);
  EXPECT_EQ(fresh.metadata(std::string(kIssuer))->jwks_uri.error(), "names no jwks_uri");
}

TEST_F(TokenClientTest, FailedDiscoveryIsRememberedToo) {
  // One invocation asks the issuer's metadata once: the token request after a failed key check
  // must not repeat every location.
  transport_->on_get(kOidc, http::FetchResponse{500, "", "", ""});
  ASSERT_FALSE(client_.token_endpoint(std::string(kIssuer)).ok());
  const auto asked = transport_->got.size();
  EXPECT_EQ(asked, 2u);
  EXPECT_FALSE(client_.publishes_key(std::string(kIssuer), "k").ok());
  EXPECT_FALSE(client_.request(client_credentials(), kNow).ok());
  EXPECT_EQ(transport_->got.size(), asked);
  EXPECT_TRUE(transport_->posted.empty());
}

TEST_F(TokenClientTest, IssuerThatIsNotAUrl) {
  const auto endpoint = client_.token_endpoint("auth.example.com");
  ASSERT_FALSE(endpoint.ok());
  EXPECT_NE(endpoint.error().find("http(s) URL"), std::string::npos) << endpoint.error();
  EXPECT_TRUE(transport_->got.empty());
}

// --- published keys ---------------------------------------------------------------------------

class PublishedKeysTest : public TokenClientTest {
 protected:
  const jose::Jwk& key_ = testing::test_key(jose::Algorithm::kES256);
  const jose::Jwk& other_ = testing::other_key(jose::Algorithm::kES256);
};

TEST_F(PublishedKeysTest, KidInTheJwksIsPublishedAndTheSetIsFetchedOnce) {
  transport_->on_get(kJwksUri, ok_json(jwks_of({&key_})));
  const std::string issuer(kIssuer);
  auto published = client_.publishes_key(issuer, key_.kid);
  ASSERT_TRUE(published.ok()) << published.error();
  EXPECT_TRUE(*published);
  published = client_.publishes_key(issuer, other_.kid);
  ASSERT_TRUE(published.ok()) << published.error();
  EXPECT_FALSE(*published);
  EXPECT_FALSE(*client_.publishes_key(issuer, ""));
  EXPECT_EQ(transport_->got, (std::vector<std::string>{std::string(kOidc), std::string(kJwksUri)}));
  // The token request reuses the metadata.
  ASSERT_TRUE(client_.request(client_credentials(), kNow).ok());
  EXPECT_EQ(transport_->got.size(), 2u);
}

TEST_F(PublishedKeysTest, AKeyTheJwksCannotUseIsNotPublished) {
  json::object jwks = jwks_of({&key_});
  json::object broken = jwks.at("keys").as_array()[0].as_object();
  broken["kid"] = "broken";
  broken["x"] = "AAAA";  // not a point of P-256
  jwks["keys"].as_array().push_back(broken);
  transport_->on_get(kJwksUri, ok_json(jwks));
  EXPECT_TRUE(*client_.publishes_key(std::string(kIssuer), key_.kid));
  EXPECT_FALSE(*client_.publishes_key(std::string(kIssuer), "broken"));
}

TEST_F(PublishedKeysTest, KeysOfAnotherIssuerAreFetchedAgain) {
  transport_->on_get(kJwksUri, ok_json(jwks_of({&key_})));
  EXPECT_TRUE(*client_.publishes_key(std::string(kIssuer), key_.kid));
  const std::string other = "https://other.example.com/";
  transport_->on_get("https://other.example.com/.well-known/openid-configuration",
                     ok_json(json::object{{"issuer", other},
                                          {"token_endpoint", "https://other.example.com/token"},
                                          {"jwks_uri", "https://other.example.com/keys"}}));
  transport_->on_get("https://other.example.com/keys", ok_json(jwks_of({&other_})));
  EXPECT_FALSE(*client_.publishes_key(other, key_.kid));
  EXPECT_TRUE(*client_.publishes_key(other, other_.kid));
  EXPECT_EQ(transport_->got.size(), 4u);
}

struct KeysFailure {
  const char* name;
  std::optional<std::string> jwks_uri;  // nullopt: the metadata names none
  std::optional<http::FetchResponse> answer;
  const char* says;
};

class UnreadableKeys : public PublishedKeysTest,
                       public ::testing::WithParamInterface<KeysFailure> {};

TEST_P(UnreadableKeys, AreAnErrorThatSaysWhyAndIsRemembered) {
  const auto& c = GetParam();
  json::object doc = metadata();
  if (c.jwks_uri) {
    doc["jwks_uri"] = *c.jwks_uri;
  } else {
    doc.erase("jwks_uri");
  }
  transport_->on_get(kOidc, ok_json(doc));
  if (c.answer) {
    transport_->on_get(kJwksUri, *c.answer);
  }
  auto published = client_.publishes_key(std::string(kIssuer), key_.kid);
  ASSERT_FALSE(published.ok());
  EXPECT_NE(published.error().find(c.says), std::string::npos) << published.error();
  const auto asked = transport_->got.size();
  EXPECT_FALSE(client_.publishes_key(std::string(kIssuer), key_.kid).ok());
  EXPECT_EQ(transport_->got.size(), asked);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UnreadableKeys,
    ::testing::Values(
        KeysFailure{"NoJwksUri", std::nullopt, std::nullopt, "names no jwks_uri"},
        KeysFailure{"NotAUrl", "jwks\x1b[2J", std::nullopt, "is not a URL: jwks?[2J"},
        // Whoever answers a plain-HTTP request could keep a withdrawn key listed.
        KeysFailure{"PlainHttpForAnHttpsIssuer", "http://auth.example.com/.well-known/jwks.json",
                    std::nullopt, "must use HTTPS"},
        KeysFailure{"NotFound", std::string(kJwksUri), http::FetchResponse{404, "", "", ""},
                    "HTTP 404"},
        KeysFailure{"NotJson", std::string(kJwksUri),
                    http::FetchResponse{200, "<html>", "text/html", ""}, "not a JWKS"},
        KeysFailure{"NoKeysMember", std::string(kJwksUri),
                    http::FetchResponse{200, "{}", "application/json", ""}, "not a JWKS"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(PublishedKeysTest, UnreachableKeysSayWhere) {
  transport_->on_get(kJwksUri, fail(http::FetchFailure{http::FetchError::kTimeout,
                                                       "no complete response in 10 s"}));
  auto published = client_.publishes_key(std::string(kIssuer), key_.kid);
  ASSERT_FALSE(published.ok());
  EXPECT_EQ(published.error(), "cannot fetch the keys of https://auth.example.com/ from " +
                                   std::string(kJwksUri) + ": no complete response in 10 s");
}

// --- token requests -----------------------------------------------------------------------------

TEST_F(TokenClientTest, ClientCredentialsFormWithEveryValueEncoded) {
  TokenRequest r = client_credentials();
  r.scope = "read:messages write:messages";
  const auto response = client_.request(r, kNow);
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_EQ(transport_->posted.size(), 1u);
  EXPECT_EQ(transport_->posted[0].first, kEndpoint);
  EXPECT_EQ(transport_->posted[0].second,
            "grant_type=client_credentials&client_id=abc&client_secret=s3cr%26t%3D%2B+%2F%25"
            "&audience=https%3A%2F%2Fquickstarts%2Fapi&scope=read%3Amessages+write%3Amessages");
  EXPECT_EQ(response->access_token, "eyJ.x.y");
  EXPECT_EQ(response->token_type, "Bearer");
  EXPECT_EQ(response->scope, "read:messages");
  EXPECT_EQ(response->expires_in, 86400);
  EXPECT_EQ(response->body.at("expires_in").as_int64(), 86400);
}

TEST_F(TokenClientTest, PasswordGrantForm) {
  TokenRequest r = client_credentials();
  r.username = "user@example.com";
  r.password = "correct horse&battery";
  ASSERT_TRUE(client_.request(r, kNow).ok());
  EXPECT_EQ(transport_->posted[0].second,
            "grant_type=password&client_id=abc&client_secret=s3cr%26t%3D%2B+%2F%25"
            "&username=user%40example.com&password=correct+horse%26battery"
            "&audience=https%3A%2F%2Fquickstarts%2Fapi");
}

TEST_F(TokenClientTest, OAuthErrorBecomesTheServersWords) {
  transport_->on_post(ok_json(json::object{{"error", "invalid_client"},
                                           {"error_description", "Client authentication failed."}},
                              401));
  const auto response = client_.request(client_credentials(), kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error(), "the server refused: invalid_client: Client authentication failed.");
  EXPECT_EQ(response.error().find("s3cr"), std::string::npos);
}

TEST_F(TokenClientTest, ErrorWithoutDescription) {
  transport_->on_post(ok_json(json::object{{"error", "access_denied"}}, 403));
  const auto response = client_.request(client_credentials(), kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error(), "the server refused: access_denied");
}

TEST_F(TokenClientTest, NonOAuthErrorIsQuotedSafelyAndShort) {
  transport_->on_post(
      http::FetchResponse{502, "<h1>Bad \x1b[2J gateway</h1>" + std::string(500, 'x'), "", ""});
  const auto response = client_.request(client_credentials(), kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().find("HTTP 502"), std::string::npos) << response.error();
  EXPECT_EQ(response.error().find('\x1b'), std::string::npos) << response.error();
  EXPECT_LT(response.error().size(), 300u);
}

TEST_F(TokenClientTest, AnswerWithoutATokenIsAnError) {
  transport_->on_post(ok_json(json::object{{"token_type", "Bearer"}}));
  auto response = client_.request(client_credentials(), kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().find("no access_token"), std::string::npos);

  transport_->on_post(ok_json(json::object{{"access_token", "x"}}));
  response = client_.request(client_credentials(), kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().find("no token_type"), std::string::npos);

  transport_->on_post(http::FetchResponse{200, "not json", "", ""});
  EXPECT_FALSE(client_.request(client_credentials(), kNow).ok());
}

TEST_F(TokenClientTest, LifetimeThatCannotBeReadIsAbsent) {
  for (const json::value& bad : {json::value("3600"), json::value(-1), json::value(1.5)}) {
    transport_->on_post(ok_json(
        json::object{{"access_token", "x"}, {"token_type", "Bearer"}, {"expires_in", bad}}));
    const auto response = client_.request(client_credentials(), kNow);
    ASSERT_TRUE(response.ok()) << response.error();
    EXPECT_FALSE(response->expires_in) << json::serialize(bad);
  }
}

TEST_F(TokenClientTest, TransportFailureOnPostNamesTheEndpoint) {
  transport_->on_post(fail(http::FetchFailure{http::FetchError::kTimeout, "no complete response"}));
  const auto response = client_.request(client_credentials(), kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().find(std::string(kEndpoint)), std::string::npos) << response.error();
}

// --- DPoP ---------------------------------------------------------------------------------------

constexpr jose::Algorithm kProofAlgorithms[] = {jose::Algorithm::kES256, jose::Algorithm::kEdDSA,
                                                jose::Algorithm::kRS256, jose::Algorithm::kPS256};

DpopKey dpop_key(jose::Algorithm alg = jose::Algorithm::kES256) {
  const jose::Jwk& key = testing::test_key(alg);
  return DpopKey{key, jose::thumbprint(key)};
}

TokenRequest bound_request(jose::Algorithm alg = jose::Algorithm::kES256) {
  TokenRequest r = client_credentials();
  r.dpop = dpop_key(alg);
  return r;
}

// The proof a POST carried, checked as the token endpoint checks it (htm POST, htu the endpoint).
jose::dpop::VerifiedProof checked_proof(const std::optional<std::string>& proof) {
  EXPECT_TRUE(proof.has_value());
  jose::dpop::ProofCheck check;
  check.method = "POST";
  check.url = kEndpoint;
  check.algorithms = kProofAlgorithms;
  check.now = kNow.time_since_epoch().count();
  auto verified = jose::dpop::verify_proof(proof.value_or(""), check);
  EXPECT_TRUE(verified.ok()) << (verified.ok() ? "" : verified.error().description());
  return verified.ok() ? std::move(verified).value() : jose::dpop::VerifiedProof{};
}

http::FetchResponse dpop_token_answer() {
  return ok_json(
      json::object{{"access_token", "eyJ.bound.y"}, {"token_type", "DPoP"}, {"expires_in", 3600}});
}

http::FetchResponse use_dpop_nonce(std::string nonce) {
  http::FetchResponse answer = ok_json(
      json::object{{"error", "use_dpop_nonce"},
                   {"error_description", "Authorization server requires nonce in DPoP proof"}},
      400);
  answer.dpop_nonce = std::move(nonce);
  return answer;
}

TEST_F(TokenClientTest, WithoutADpopKeyNoProofIsSent) {
  ASSERT_TRUE(client_.request(client_credentials(), kNow).ok());
  ASSERT_EQ(transport_->proofs.size(), 1u);
  EXPECT_FALSE(transport_->proofs[0].has_value());
}

class DpopTokenRequest : public TokenClientTest,
                         public ::testing::WithParamInterface<jose::Algorithm> {};

TEST_P(DpopTokenRequest, CarriesAProofForTheTokenEndpointMadeWithTheKey) {
  transport_->on_post(dpop_token_answer());
  const auto response = client_.request(bound_request(GetParam()), kNow);
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->token_type, "DPoP");
  ASSERT_EQ(transport_->proofs.size(), 1u);
  const auto proof = checked_proof(transport_->proofs[0]);
  EXPECT_EQ(proof.jkt, dpop_key(GetParam()).jkt);
  EXPECT_EQ(proof.alg, GetParam());
  EXPECT_EQ(proof.iat, kNow.time_since_epoch().count());
  EXPECT_FALSE(proof.nonce.has_value());
  // A token request presents no access token: no ath (RFC 9449 §4.2).
  const std::string& text = *transport_->proofs[0];
  jose::JwsLimits limits;
  limits.allow_embedded_jwk = true;
  auto parsed = jose::parse_compact(text, limits);
  ASSERT_TRUE(parsed.ok());
  auto claims = jose::decode_payload(*parsed);
  ASSERT_TRUE(claims.ok());
  EXPECT_FALSE(claims->contains("ath"));
  EXPECT_EQ(claims->at("htm"), "POST");
  EXPECT_EQ(claims->at("htu").as_string(), kEndpoint);
}

INSTANTIATE_TEST_SUITE_P(EveryProofAlgorithm, DpopTokenRequest,
                         ::testing::ValuesIn(kProofAlgorithms),
                         [](const auto& info) { return std::string(jose::to_string(info.param)); });

TEST_F(TokenClientTest, UseDpopNonceIsAnsweredOnceWithANewProofCarryingTheNonce) {
  transport_->on_posts({use_dpop_nonce("eyJ7S_zG.nonce-1"), dpop_token_answer()});
  const auto response = client_.request(bound_request(), kNow);
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->access_token, "eyJ.bound.y");
  ASSERT_EQ(transport_->posted.size(), 2u);
  EXPECT_EQ(transport_->posted[1], transport_->posted[0]);  // the same grant, again
  const auto first = checked_proof(transport_->proofs[0]);
  const auto second = checked_proof(transport_->proofs[1]);
  EXPECT_FALSE(first.nonce.has_value());
  EXPECT_EQ(second.nonce, "eyJ7S_zG.nonce-1");
  EXPECT_NE(first.jti, second.jti);  // a proof is for one request only
}

TEST_F(TokenClientTest, ASecondUseDpopNonceIsTheRefusal) {
  transport_->on_posts({use_dpop_nonce("n-1"), use_dpop_nonce("n-2"), dpop_token_answer()});
  const auto response = client_.request(bound_request(), kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(
      response.error(),
      "the server refused: use_dpop_nonce: Authorization server requires nonce in DPoP proof");
  EXPECT_EQ(transport_->posted.size(), 2u);
}

TEST_F(TokenClientTest, UseDpopNonceWithoutAUsableNonceIsNotRetried) {
  for (const std::string& nonce :
       {std::string(), std::string("two words"), std::string("a\"quote"), std::string("back\\"),
        std::string("\x1b[2J"), std::string(jose::dpop::kMaxNonceBytes + 1, 'n')}) {
    transport_->posted.clear();
    transport_->on_posts({use_dpop_nonce(nonce), dpop_token_answer()});
    const auto response = client_.request(bound_request(), kNow);
    ASSERT_FALSE(response.ok()) << nonce;
    EXPECT_EQ(transport_->posted.size(), 1u) << nonce;
    EXPECT_NE(response.error().find(nonce.empty() ? "DPoP-Nonce header is missing"
                                                  : "DPoP-Nonce header is not a valid nonce"),
              std::string::npos)
        << response.error();
    EXPECT_EQ(response.error().find('\x1b'), std::string::npos) << response.error();
  }
}

TEST_F(TokenClientTest, UseDpopNonceToARequestWithoutAProofIsJustARefusal) {
  transport_->on_posts({use_dpop_nonce("n-1"), dpop_token_answer()});
  const auto response = client_.request(client_credentials(), kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(transport_->posted.size(), 1u);
}

TEST_F(TokenClientTest, AKeyThatCannotSignIsAnErrorAndNothingIsSent) {
  TokenRequest r = client_credentials();
  r.dpop = DpopKey{testing::public_half(testing::test_key(jose::Algorithm::kES256)), "jkt"};
  const auto response = client_.request(r, kNow);
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().find("cannot make a DPoP proof"), std::string::npos)
      << response.error();
  EXPECT_TRUE(transport_->posted.empty());
}

}  // namespace
}  // namespace signet::client
