#include "signet/guard/guard.h"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "signet/jose/base64url.h"
#include "tests/guard/guard_test_support.h"

namespace signet::guard {
namespace {

namespace json = boost::json;
using namespace testing;  // NOLINT: the guard test helpers
using jose::Algorithm;
using std::chrono::seconds;

constexpr Algorithm kAllAlgorithms[] = {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                                        Algorithm::kEdDSA};

std::vector<jose::Jwk> all_public_keys() {
  std::vector<jose::Jwk> keys;
  for (const Algorithm alg : kAllAlgorithms) {
    keys.push_back(public_half(test_key(alg)));
  }
  return keys;
}

GuardConfig config_with_leeway(seconds leeway) {
  GuardConfig c = test_config();
  c.leeway = leeway;
  return c;
}

// Signs `claims` with the default test key and verifies the token.
Result<std::shared_ptr<const VerifiedToken>, Failure> verify_claims(GuardHarness& h,
                                                                    const json::object& claims) {
  return h.guard->verify(mint(signing_key(), claims));
}

Failure claims_failure(GuardHarness& h, const json::object& claims) {
  return failure_of(*h.guard, mint(signing_key(), claims));
}

// --- algorithms ----------------------------------------------------------------------------------

class GuardAlgorithm : public ::testing::TestWithParam<Algorithm> {};

TEST_P(GuardAlgorithm, AcceptsATokenSignedWithThePublishedKey) {
  const Algorithm alg = GetParam();
  GuardHarness h(test_config(), {public_half(test_key(alg)), public_half(other_key(kAlg))});
  auto verified = h.guard->verify(h.token(alg));
  ASSERT_TRUE(verified) << verified.error().description();
  EXPECT_EQ((*verified)->alg, alg);
  EXPECT_EQ((*verified)->kid, test_key(alg).kid);
  EXPECT_EQ((*verified)->subject, "client-1@clients");
  EXPECT_EQ((*verified)->expires_at, h.now() + kLifetime);
  EXPECT_EQ((*verified)->scopes, std::vector<std::string>{std::string(kScope)});
  EXPECT_EQ((*verified)->claims.at("gty").as_string(), "client-credentials");
}

TEST_P(GuardAlgorithm, RefusesATokenSignedWithAnotherKeyUnderTheSameKid) {
  const Algorithm alg = GetParam();
  GuardHarness h(test_config(), {public_half(test_key(alg))});
  const std::string forged = mint(with_kid(other_key(alg), test_key(alg).kid), h.claims());
  EXPECT_EQ(failure_of(*h.guard, forged), token_error(jose::Error::kSignatureInvalid));
}

INSTANTIATE_TEST_SUITE_P(Each, GuardAlgorithm, ::testing::ValuesIn(kAllAlgorithms),
                         [](const ::testing::TestParamInfo<Algorithm>& info) {
                           return std::string(jose::to_string(info.param));
                         });

TEST(GuardAlgorithms, AlgNotInTheConfiguredListIsRefusedBeforeAnyKeyFetch) {
  GuardConfig c = test_config();
  c.algorithms = {kAlg};
  GuardHarness h(c, {public_half(signing_key()), public_half(test_key(Algorithm::kES256))});
  EXPECT_EQ(failure_of(*h.guard, h.token(Algorithm::kES256)),
            token_error(jose::Error::kAlgNotAllowed));
  // Refused on the header alone: the (fake) signature is never looked at.
  const std::string rs256 = jose::base64url_encode(R"({"alg":"RS256","kid":"test-RS256"})") + "." +
                            jose::base64url_encode(json::serialize(h.claims())) + ".c2ln";
  EXPECT_EQ(failure_of(*h.guard, rs256), token_error(jose::Error::kAlgNotAllowed));
  EXPECT_EQ(h.source->fetches(), 0);
  EXPECT_TRUE(h.guard->verify(h.token(kAlg)));
}

TEST(GuardAlgorithms, KeyWithAlgRS256RefusesAPS256Token) {
  GuardHarness h(test_config(), {public_half(test_key(Algorithm::kRS256))});  // "alg": "RS256"
  jose::Jwk pss = test_key(Algorithm::kRS256);
  pss.alg = Algorithm::kPS256;  // same RSA key and kid, signing PS256
  const std::string token = mint(pss, h.claims());
  EXPECT_EQ(failure_of(*h.guard, token), token_error(jose::Error::kAlgKeyMismatch));
}

TEST(GuardAlgorithms, AlgNoneIsRefused) {
  GuardHarness h;
  const std::string payload = jose::base64url_encode(json::serialize(h.claims()));
  const std::string header = jose::base64url_encode(R"({"alg":"none","kid":"test-RS256"})");
  EXPECT_EQ(failure_of(*h.guard, header + "." + payload + "."),
            token_error(jose::Error::kTokenEmptySignature));
  EXPECT_EQ(failure_of(*h.guard, header + "." + payload + ".c2lnbmF0dXJl"),
            token_error(jose::Error::kAlgNone));
  const std::string none_upper = jose::base64url_encode(R"({"alg":"NONE"})");
  EXPECT_EQ(failure_of(*h.guard, none_upper + "." + payload + ".c2lnbmF0dXJl"),
            token_error(jose::Error::kAlgNone));
  EXPECT_EQ(h.source->fetches(), 0);
}

TEST(GuardAlgorithms, Hs256IsRefused) {
  GuardHarness h;
  const std::string payload = jose::base64url_encode(json::serialize(h.claims()));
  const std::string header = jose::base64url_encode(R"({"alg":"HS256","kid":"test-RS256"})");
  // 32 bytes, the length of an HMAC-SHA256: what a key-confusion attack would send.
  const std::string sig = jose::base64url_encode(std::string(32, 'k'));
  EXPECT_EQ(failure_of(*h.guard, header + "." + payload + "." + sig),
            token_error(jose::Error::kAlgHmac));
  EXPECT_EQ(h.source->fetches(), 0);
}

TEST(GuardAlgorithms, EmbeddedKeyHeadersAreRefused) {
  GuardHarness h;
  EXPECT_EQ(
      failure_of(*h.guard,
                 mint_raw(signing_key(), kAlg,
                          R"({"alg":"EdDSA","kid":"test-EdDSA","jku":"https://evil.test/jwks"})",
                          h.claims())),
      token_error(jose::Error::kHeaderJku));
}

TEST(GuardAlgorithms, OversizedTokenIsRefusedBeforeParsingOrFetching) {
  GuardConfig c = test_config();
  c.max_token_bytes = 1024;
  GuardHarness h(c);
  json::object claims = h.claims();
  claims["padding"] = std::string(1024, 'x');
  const std::string big = mint(signing_key(), claims);
  ASSERT_GT(big.size(), 1024u);
  EXPECT_EQ(failure_of(*h.guard, big), token_error(jose::Error::kTokenTooLarge));
  EXPECT_EQ(h.source->fetches(), 0);
  // A token just under the bound is verified normally.
  EXPECT_TRUE(h.guard->verify(h.token()));
}

TEST(GuardAlgorithms, DefaultSizeBoundIsTheJoseDefault) {
  GuardHarness h;
  const std::string garbage(jose::kDefaultMaxTokenBytes + 1, 'a');
  EXPECT_EQ(failure_of(*h.guard, garbage), token_error(jose::Error::kTokenTooLarge));
}

// --- kid and key selection -----------------------------------------------------------------------

TEST(GuardKeys, UnknownKidIsRefused) {
  GuardHarness h;
  const std::string token = mint(with_kid(signing_key(), "nobody"), h.claims());
  EXPECT_EQ(failure_of(*h.guard, token), Failure{Error::kKidUnknown});
}

TEST(GuardKeys, NoKidWithASingleKeyIsAccepted) {
  GuardHarness h;
  auto verified = h.guard->verify(mint_without_kid(signing_key(), h.claims()));
  ASSERT_TRUE(verified) << verified.error().description();
  EXPECT_EQ((*verified)->kid, kKid());  // the key that verified it
}

TEST(GuardKeys, NoKidWithTwoRsaKeysIsRefused) {
  GuardHarness h(test_config(), {public_half(test_key(Algorithm::kRS256)),
                                 public_half(other_key(Algorithm::kRS256))});
  EXPECT_EQ(failure_of(*h.guard, mint_without_kid(test_key(Algorithm::kRS256), h.claims())),
            Failure{Error::kKidMissing});
}

TEST(GuardKeys, NoKidUsesTheOnlyKeyThatAcceptsTheAlgorithm) {
  // An RS256 key and a PS256 key: an RS256 token without kid has one candidate.
  GuardHarness h(test_config(), all_public_keys());
  auto verified = h.guard->verify(mint_without_kid(test_key(Algorithm::kRS256), h.claims()));
  ASSERT_TRUE(verified) << verified.error().description();
  EXPECT_EQ((*verified)->kid, test_key(Algorithm::kRS256).kid);
}

TEST(GuardKeys, NoKidSignedByAnotherKeyIsRefused) {
  GuardHarness h;
  EXPECT_EQ(failure_of(*h.guard, mint_without_kid(other_key(kAlg), h.claims())),
            token_error(jose::Error::kSignatureInvalid));
}

TEST(GuardKeys, KidOfAKeyOfAnotherTypeIsRefused) {
  GuardHarness h(test_config(),
                 {public_half(signing_key()), public_half(test_key(Algorithm::kES256))});
  // An ES256 token that names the Ed25519 key.
  const std::string token = mint(with_kid(test_key(Algorithm::kES256), kKid()), h.claims());
  EXPECT_EQ(failure_of(*h.guard, token), token_error(jose::Error::kAlgKeyMismatch));
}

// --- time claims ---------------------------------------------------------------------------------

TEST(GuardClaims, ExpiredOneSecondAgoIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["exp"] = h.now() - 1;
  EXPECT_EQ(claims_failure(h, claims), token_error(jose::Error::kExpired));
}

TEST(GuardClaims, ExpiringNowIsRefusedAndOneSecondLaterIsAccepted) {
  GuardHarness h;
  auto claims = h.claims();
  claims["exp"] = h.now();
  EXPECT_EQ(claims_failure(h, claims), token_error(jose::Error::kExpired));
  claims["exp"] = h.now() + 1;
  EXPECT_TRUE(verify_claims(h, claims));
}

TEST(GuardClaims, ExpiryLeewayBoundary) {
  GuardHarness h(config_with_leeway(seconds{5}));
  auto claims = h.claims();
  claims["exp"] = h.now() - 4;  // now == exp + leeway - 1
  EXPECT_TRUE(verify_claims(h, claims));
  claims["exp"] = h.now() - 5;  // now == exp + leeway
  EXPECT_EQ(claims_failure(h, claims), token_error(jose::Error::kExpired));
}

TEST(GuardClaims, ExpiryLeewayBoundaryForTheSameTokenAsTimePasses) {
  // The same token across its expiry: the token cache must not stretch its life.
  GuardHarness h(config_with_leeway(seconds{5}));
  const std::int64_t exp = h.now() + 10;
  auto claims = h.claims();
  claims["exp"] = exp;
  const std::string token = mint(signing_key(), claims);
  EXPECT_TRUE(h.guard->verify(token));
  h.clock->set(exp + 5 - 1);
  EXPECT_TRUE(h.guard->verify(token));
  h.clock->set(exp + 5);
  EXPECT_EQ(failure_of(*h.guard, token), token_error(jose::Error::kExpired));
}

TEST(GuardClaims, MissingExpIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims.erase("exp");
  EXPECT_EQ(claims_failure(h, claims), token_error(jose::Error::kExpMissing));
}

TEST(GuardClaims, ExpAsAStringIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["exp"] = std::to_string(h.now() + 60);
  EXPECT_EQ(claims_failure(h, claims), token_error(jose::Error::kExpNotNumber));
}

TEST(GuardClaims, NotYetValidWithoutLeeway) {
  GuardHarness h;
  auto claims = h.claims();
  claims["nbf"] = h.now() + 1;
  EXPECT_EQ(claims_failure(h, claims), token_error(jose::Error::kNotYetValid));
  claims["nbf"] = h.now();
  EXPECT_TRUE(verify_claims(h, claims));
}

TEST(GuardClaims, NotYetValidWithLeeway) {
  GuardHarness h(config_with_leeway(seconds{5}));
  auto claims = h.claims();
  claims["nbf"] = h.now() + 5;
  EXPECT_TRUE(verify_claims(h, claims));
  claims["nbf"] = h.now() + 6;
  EXPECT_EQ(claims_failure(h, claims), token_error(jose::Error::kNotYetValid));
}

TEST(GuardClaims, IssuedInTheFutureIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["iat"] = h.now() + 1;
  EXPECT_EQ(claims_failure(h, claims), token_error(jose::Error::kIatInFuture));
}

TEST(GuardClaims, IssuedInTheFutureWithinLeewayIsAccepted) {
  GuardHarness h(config_with_leeway(seconds{5}));
  auto claims = h.claims();
  claims["iat"] = h.now() + 5;
  EXPECT_TRUE(verify_claims(h, claims));
  claims["iat"] = h.now() + 6;
  EXPECT_EQ(claims_failure(h, claims), token_error(jose::Error::kIatInFuture));
}

// --- iss -----------------------------------------------------------------------------------------

TEST(GuardClaims, WrongIssuerIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["iss"] = "https://evil.test/";
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kIssMismatch});
}

TEST(GuardClaims, IssuerWithoutTheTrailingSlashIsRefused) {
  GuardConfig c = test_config();
  c.issuer = "https://x/";
  GuardHarness h(c);
  auto claims = h.claims();
  claims["iss"] = "https://x";
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kIssMismatch});
  claims["iss"] = "https://x/";
  EXPECT_TRUE(verify_claims(h, claims));
}

TEST(GuardClaims, IssuerInAnotherLetterCaseIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["iss"] = "https://ISSUER.test/";
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kIssMismatch});
}

TEST(GuardClaims, IssuerNotAStringIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["iss"] = json::array{kIssuer};
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kIssNotString});
}

TEST(GuardClaims, MissingIssuerIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims.erase("iss");
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kIssMissing});
}

// --- aud -----------------------------------------------------------------------------------------

TEST(GuardClaims, WrongAudienceIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["aud"] = "https://api.test/other";
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kAudMismatch});
}

TEST(GuardClaims, AudienceWithAnExtraTrailingSlashIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["aud"] = std::string(kAudience) + "/";
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kAudMismatch});
}

TEST(GuardClaims, AudienceArrayWithOneMatchIsAccepted) {
  GuardHarness h;
  auto claims = h.claims();
  claims["aud"] = json::array{"https://issuer.test/userinfo", kAudience};
  EXPECT_TRUE(verify_claims(h, claims));
}

TEST(GuardClaims, AudienceArrayWithoutAMatchIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["aud"] = json::array{"https://issuer.test/userinfo", "https://api.test/other"};
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kAudMismatch});
}

TEST(GuardClaims, EmptyAudienceArrayIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["aud"] = json::array{};
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kAudMismatch});
}

TEST(GuardClaims, AudienceAsANumberIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["aud"] = 42;
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kAudWrongType});
}

TEST(GuardClaims, AudienceArrayWithANonStringIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["aud"] = json::array{kAudience, 42};
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kAudWrongType});
}

TEST(GuardClaims, MissingAudienceIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims.erase("aud");
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kAudMissing});
}

TEST(GuardClaims, AnyConfiguredAudienceIsAccepted) {
  GuardConfig c = test_config();
  c.audiences = {"https://api.test/first", std::string(kAudience)};
  GuardHarness h(c);
  EXPECT_TRUE(h.guard->verify(h.token()));
  auto claims = h.claims();
  claims["aud"] = "https://api.test/first";
  EXPECT_TRUE(verify_claims(h, claims));
}

// --- scope and permissions -----------------------------------------------------------------------

TEST(GuardClaims, ScopesComeFromScopeAndPermissionsMerged) {
  GuardHarness h;
  auto claims = h.claims();
  claims["scope"] = "read:messages write:messages";
  claims["permissions"] = json::array{"read:messages", "delete:messages"};
  auto verified = verify_claims(h, claims);
  ASSERT_TRUE(verified) << verified.error().description();
  EXPECT_EQ((*verified)->scopes,
            (std::vector<std::string>{"read:messages", "write:messages", "delete:messages"}));
  EXPECT_TRUE((*verified)->has_scope("delete:messages"));
  EXPECT_FALSE((*verified)->has_scope("read"));
}

TEST(GuardClaims, ScopesFromPermissionsAlone) {
  GuardHarness h;
  auto claims = h.claims();
  claims.erase("scope");
  claims["permissions"] = json::array{"read:messages"};
  auto verified = verify_claims(h, claims);
  ASSERT_TRUE(verified) << verified.error().description();
  EXPECT_EQ((*verified)->scopes, std::vector<std::string>{"read:messages"});
}

TEST(GuardClaims, ScopeWithExtraSpacesHasNoEmptyScopes) {
  GuardHarness h;
  auto claims = h.claims();
  claims["scope"] = " read:messages  write:messages ";
  auto verified = verify_claims(h, claims);
  ASSERT_TRUE(verified) << verified.error().description();
  EXPECT_EQ((*verified)->scopes, (std::vector<std::string>{"read:messages", "write:messages"}));
}

TEST(GuardClaims, ScopeOfTheWrongTypeIsRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["scope"] = json::array{"read:messages"};
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kScopeWrongType});
  claims["scope"] = 1;
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kScopeWrongType});
}

TEST(GuardClaims, PermissionsOfTheWrongTypeAreRefused) {
  GuardHarness h;
  auto claims = h.claims();
  claims["permissions"] = "read:messages";
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kPermissionsWrongType});
  claims["permissions"] = json::array{"read:messages", 7};
  EXPECT_EQ(claims_failure(h, claims), Failure{Error::kPermissionsWrongType});
}

// --- typ -----------------------------------------------------------------------------------------

struct TypCase {
  std::string_view typ;  // "" = no typ header
  bool lenient;
  bool strict;
};

TEST(GuardTyp, LenientAndStrictPolicies) {
  const TypCase cases[] = {
      {"", true, false},
      {"JWT", true, false},
      {"jwt", true, false},
      {"application/JWT", true, false},
      {"at+jwt", true, true},
      {"AT+JWT", true, true},
      {"application/at+jwt", true, true},
      {"foo", false, false},
      {"application/foo", false, false},
      {"JOSE", false, false},
      {"application/", false, false},
      {"at+jwt ", false, false},
  };
  GuardConfig strict_config = test_config();
  strict_config.typ = TypPolicy::kStrict;
  GuardHarness lenient;
  GuardHarness strict(strict_config);
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("typ: \"") + std::string(c.typ) + "\"");
    const std::string token = mint(signing_key(), lenient.claims(), c.typ);
    auto l = lenient.guard->verify(token);
    EXPECT_EQ(l.ok(), c.lenient);
    if (!c.lenient && !l) {
      EXPECT_EQ(l.error(), Failure{Error::kTypNotAllowed});
    }
    auto s = strict.guard->verify(token);
    EXPECT_EQ(s.ok(), c.strict);
    if (!c.strict && !s) {
      EXPECT_EQ(s.error(), Failure{Error::kTypNotAllowed});
    }
  }
}

TEST(GuardTyp, StrictRefusesJwt) {
  GuardConfig c = test_config();
  c.typ = TypPolicy::kStrict;
  GuardHarness h(c);
  EXPECT_EQ(failure_of(*h.guard, mint(signing_key(), h.claims(), "JWT")),
            Failure{Error::kTypNotAllowed});
  EXPECT_TRUE(h.guard->verify(mint(signing_key(), h.claims(), "at+jwt")));
}

TEST(GuardTyp, TypNotAStringIsRefused) {
  GuardHarness h;
  EXPECT_EQ(
      failure_of(*h.guard, mint_raw(signing_key(), kAlg,
                                    R"({"alg":"EdDSA","kid":"test-EdDSA","typ":1})", h.claims())),
      token_error(jose::Error::kTypNotString));
}

// --- authorize() ---------------------------------------------------------------------------------

const std::vector<std::string> kRequired{std::string(kScope)};

Decision authorize(GuardHarness& h, std::vector<std::string_view> authorization,
                   std::string_view query = {},
                   const std::vector<std::string>& required = kRequired) {
  return h.guard->authorize(Credentials{authorization, query}, required);
}

json::object body_of(const Decision& d) {
  return json::parse(d.body).as_object();
}

// The DPoP challenge that follows the Bearer one while DPoP is allowed (RFC 9449 §7.1).
constexpr std::string_view kDpopChallenge =
    ", DPoP realm=\"signet\", algs=\"ES256 EdDSA RS256 PS256\"";

std::string invalid_token_challenge(std::string_view description) {
  return "Bearer realm=\"signet\", error=\"invalid_token\", error_description=\"" +
         std::string(description) + "\"" + std::string(kDpopChallenge);
}

TEST(GuardAuthorize, NoCredentialsIsAChallengeWithoutAnErrorCode) {
  GuardHarness h;
  const Decision d = authorize(h, {});
  EXPECT_EQ(d.status, 401u);
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.www_authenticate, "Bearer realm=\"signet\"" + std::string(kDpopChallenge));
  EXPECT_EQ(d.www_authenticate.find("error"), std::string::npos);
  ASSERT_TRUE(d.failure);
  EXPECT_EQ(*d.failure, Failure{Error::kNoCredentials});
  EXPECT_EQ(d.token, nullptr);
  const json::object body = body_of(d);
  EXPECT_EQ(body.at("error").as_string(), "unauthorized");
  EXPECT_FALSE(body.at("error_description").as_string().empty());
  EXPECT_EQ(h.source->fetches(), 0);
}

TEST(GuardAuthorize, OtherSchemeIsAChallengeWithoutAnErrorCode) {
  GuardHarness h;
  const Decision d = authorize(h, {"Basic dXNlcjpwYXNz"});
  EXPECT_EQ(d.status, 401u);
  EXPECT_EQ(d.www_authenticate, "Bearer realm=\"signet\"" + std::string(kDpopChallenge));
}

TEST(GuardAuthorize, RealmComesFromTheConfigurationWithQuotesRemoved) {
  GuardConfig c = test_config();
  c.realm = "messages \"api\"";
  GuardHarness h(c);
  EXPECT_EQ(authorize(h, {}).www_authenticate,
            "Bearer realm=\"messages api\", DPoP realm=\"messages api\", "
            "algs=\"ES256 EdDSA RS256 PS256\"");
}

TEST(GuardAuthorize, ExpiredTokenIsInvalidTokenNamingTheRule) {
  GuardHarness h;
  auto claims = h.claims();
  claims["exp"] = h.now() - 1;
  const std::string header = "Bearer " + mint(signing_key(), claims);
  const Decision d = authorize(h, {header});
  EXPECT_EQ(d.status, 401u);
  const std::string_view rule = jose::to_string(jose::Error::kExpired);
  EXPECT_EQ(d.www_authenticate, invalid_token_challenge(rule));
  const json::object body = body_of(d);
  EXPECT_EQ(body.at("error").as_string(), "invalid_token");
  EXPECT_EQ(body.at("error_description").as_string(), rule);
  ASSERT_TRUE(d.failure);
  EXPECT_EQ(*d.failure, token_error(jose::Error::kExpired));
}

TEST(GuardAuthorize, WrongAudienceNamesWhatCameAndWhatWasExpected) {
  GuardHarness h;
  auto claims = h.claims();
  claims["aud"] = "https://api.test/other";
  const std::string header = "Bearer " + mint(signing_key(), claims);
  const Decision d = authorize(h, {header});
  EXPECT_EQ(d.status, 401u);
  const std::string description =
      "token audience ['https://api.test/other'] does not include the expected "
      "'https://api.test/messages'";
  EXPECT_EQ(d.www_authenticate, invalid_token_challenge(description));
  EXPECT_EQ(body_of(d).at("error_description").as_string(), description);
  ASSERT_TRUE(d.failure);
  EXPECT_EQ(d.failure->code, Error::kAudMismatch);
}

TEST(GuardAuthorize, IssuerWithoutTheTrailingSlashNamesBothValuesAndTheSlash) {
  GuardConfig c = test_config();
  c.issuer = "http://localhost:4000/";
  GuardHarness h(c);
  auto claims = h.claims();
  claims["iss"] = "http://localhost:4000";
  const Decision d = authorize(h, {"Bearer " + mint(signing_key(), claims)});
  EXPECT_EQ(d.status, 401u);
  const std::string description =
      "token issuer 'http://localhost:4000' is not the expected 'http://localhost:4000/' (note "
      "the trailing slash)";
  EXPECT_EQ(d.www_authenticate, invalid_token_challenge(description));
  EXPECT_EQ(body_of(d).at("error_description").as_string(), description);
}

TEST(GuardAuthorize, AnotherIssuerIsNamedWithoutTheSlashNote) {
  GuardHarness h;
  auto claims = h.claims();
  claims["iss"] = "https://evil.test/";
  const Decision d = authorize(h, {"Bearer " + mint(signing_key(), claims)});
  EXPECT_EQ(body_of(d).at("error_description").as_string(),
            "token issuer 'https://evil.test/' is not the expected 'https://issuer.test/'");
}

TEST(GuardAuthorize, SeveralExpectedAudiencesAreAllNamed) {
  GuardConfig c = test_config();
  c.audiences = {std::string(kAudience), "https://api.test/second"};
  GuardHarness h(c);
  auto claims = h.claims();
  claims["aud"] = json::array{"account", "https://issuer.test/userinfo"};
  const Decision d = authorize(h, {"Bearer " + mint(signing_key(), claims)});
  EXPECT_EQ(body_of(d).at("error_description").as_string(),
            "token audience ['account', 'https://issuer.test/userinfo'] does not include any of "
            "the expected 'https://api.test/messages', 'https://api.test/second'");
}

// The values a token carries are the caller's to choose: they must not break the quoted
// error_description out of its header (CR LF would start a new header line, a quote a new
// parameter), nor make responses and logs as long as the token.
TEST(GuardAuthorize, HostileClaimValuesLeaveTheChallengeWellFormedAndShort) {
  const std::string long_value(2000, 'a');  // well under the token size limit
  const std::vector<std::string> hostile = {"x\", error=\"none\r\nSet-Cookie: a=b",
                                            "it's 'quoted'",
                                            "back\\slash",
                                            std::string("nul\0byte", 8),
                                            "caf\xC3\xA9",
                                            long_value};
  GuardHarness h;
  for (const std::string& value : hostile) {
    for (const char* claim : {"iss", "aud"}) {
      SCOPED_TRACE(std::string(claim) + " = " + value.substr(0, 40));
      auto claims = h.claims();
      claims[claim] = value;
      if (std::string_view(claim) == "aud") {
        claims["aud"] = json::array{value, "b", "c", "d", "e", "f"};
      }
      const Decision d = authorize(h, {"Bearer " + mint(signing_key(), claims)});
      ASSERT_EQ(d.status, 401u);
      // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E, inside quotes.
      const std::string prefix =
          "Bearer realm=\"signet\", error=\"invalid_token\", error_description=\"";
      ASSERT_EQ(d.www_authenticate.rfind(prefix, 0), 0u) << d.www_authenticate;
      const std::string suffix = "\"" + std::string(kDpopChallenge);
      ASSERT_GE(d.www_authenticate.size(), prefix.size() + suffix.size());
      ASSERT_EQ(d.www_authenticate.substr(d.www_authenticate.size() - suffix.size()), suffix);
      const std::string description = d.www_authenticate.substr(
          prefix.size(), d.www_authenticate.size() - prefix.size() - suffix.size());
      for (const char ch : description) {
        const auto u = static_cast<unsigned char>(ch);
        EXPECT_TRUE(u >= 0x20 && u <= 0x7e && u != '"' && u != '\\') << static_cast<int>(u);
      }
      // The expected value is intact, the token's value is cut, and the body says the same.
      EXPECT_NE(description.find(std::string_view(claim) == "iss" ? "'https://issuer.test/'"
                                                                  : "'https://api.test/messages'"),
                std::string::npos)
          << description;
      EXPECT_LT(description.size(), 600u);
      EXPECT_EQ(body_of(d).at("error_description").as_string(), description);
    }
  }
}

TEST(GuardAuthorize, GarbageTokenIsInvalidToken) {
  GuardHarness h;
  const Decision d = authorize(h, {"Bearer not-a-jwt"});
  EXPECT_EQ(d.status, 401u);
  EXPECT_EQ(d.www_authenticate,
            invalid_token_challenge(jose::to_string(jose::Error::kTokenSegments)));
}

TEST(GuardAuthorize, UnknownKidIsInvalidToken) {
  GuardHarness h;
  const Decision d = authorize(h, {"Bearer " + mint(with_kid(signing_key(), "gone"), h.claims())});
  EXPECT_EQ(d.status, 401u);
  EXPECT_EQ(d.www_authenticate, invalid_token_challenge(to_string(Error::kKidUnknown)));
}

struct BadRequestCase {
  std::vector<std::string_view> authorization;
  std::string_view query;
  Error error;
};

TEST(GuardAuthorize, MalformedMultipleAndQueryTokensAreInvalidRequest) {
  const BadRequestCase cases[] = {
      {{"Bearer a b"}, "", Error::kMalformedHeader},
      {{"Bearer"}, "", Error::kMalformedHeader},
      {{"Bearer a", "Bearer b"}, "", Error::kMultipleTokens},
      {{"Bearer a"}, "access_token=a", Error::kMultipleTokens},
      {{}, "access_token=a", Error::kQueryToken},
  };
  GuardHarness h;
  for (const auto& c : cases) {
    SCOPED_TRACE(to_string(c.error));
    const Decision d = authorize(h, c.authorization, c.query);
    EXPECT_EQ(d.status, 400u);
    EXPECT_EQ(d.www_authenticate,
              "Bearer realm=\"signet\", error=\"invalid_request\", error_description=\"" +
                  std::string(to_string(c.error)) + "\"" + std::string(kDpopChallenge));
    const json::object body = body_of(d);
    EXPECT_EQ(body.at("error").as_string(), "invalid_request");
    EXPECT_EQ(body.at("error_description").as_string(), to_string(c.error));
    ASSERT_TRUE(d.failure);
    EXPECT_EQ(*d.failure, Failure{c.error});
  }
  EXPECT_EQ(h.source->fetches(), 0);
}

TEST(GuardAuthorize, InsufficientScopeIs403WithTheRequiredScope) {
  GuardHarness h;
  auto claims = h.claims();
  claims["scope"] = "write:messages";
  const Decision d = authorize(h, {"Bearer " + mint(signing_key(), claims)});
  EXPECT_EQ(d.status, 403u);
  EXPECT_NE(d.www_authenticate.find("error=\"insufficient_scope\""), std::string::npos)
      << d.www_authenticate;
  EXPECT_NE(d.www_authenticate.find("scope=\"read:messages\""), std::string::npos)
      << d.www_authenticate;
  EXPECT_EQ(d.www_authenticate.rfind("Bearer realm=\"signet\", ", 0), 0u) << d.www_authenticate;
  EXPECT_EQ(body_of(d).at("error").as_string(), "insufficient_scope");
  ASSERT_TRUE(d.failure);
  EXPECT_EQ(*d.failure, Failure{Error::kInsufficientScope});
  EXPECT_EQ(d.token, nullptr);
  EXPECT_EQ(h.guard->counters().failures(Error::kInsufficientScope), 1u);
}

TEST(GuardAuthorize, EveryRequiredScopeIsNeeded) {
  GuardHarness h;
  const std::vector<std::string> required{"read:messages", "write:messages"};
  const Decision d = authorize(h, {"Bearer " + h.token()}, {}, required);
  EXPECT_EQ(d.status, 403u);
  EXPECT_NE(d.www_authenticate.find("scope=\"read:messages write:messages\""), std::string::npos)
      << d.www_authenticate;

  auto claims = h.claims();
  claims["scope"] = "write:messages read:messages";
  const Decision ok = authorize(h, {"Bearer " + mint(signing_key(), claims)}, {}, required);
  EXPECT_EQ(ok.status, 200u);
}

TEST(GuardAuthorize, PermissionsSatisfyARequiredScope) {
  GuardHarness h;
  auto claims = h.claims();
  claims.erase("scope");
  claims["permissions"] = json::array{kScope};
  const Decision d = authorize(h, {"Bearer " + mint(signing_key(), claims)});
  EXPECT_EQ(d.status, 200u);
}

TEST(GuardAuthorize, KeysUnavailableIs503) {
  GuardHarness h;
  h.source->fail_with("connection refused");
  EXPECT_FALSE(h.guard->start());
  EXPECT_EQ(h.guard->last_jwks_error(), "connection refused");
  const Decision d = authorize(h, {"Bearer " + h.token()});
  EXPECT_EQ(d.status, 503u);
  EXPECT_EQ(d.www_authenticate, "");
  const json::object body = body_of(d);
  EXPECT_EQ(body.at("error").as_string(), "temporarily_unavailable");
  ASSERT_TRUE(d.failure);
  EXPECT_EQ(*d.failure, Failure{Error::kKeysUnavailable});
  EXPECT_EQ(h.guard->counters().failures(Error::kKeysUnavailable), 1u);
}

TEST(GuardAuthorize, KeysUnavailableWithoutStartIs503) {
  GuardHarness h;
  h.source->fail_with("connection refused");
  const Decision d = authorize(h, {"Bearer " + h.token()});
  EXPECT_EQ(d.status, 503u);
  EXPECT_EQ(h.source->fetches(), 1);
}

TEST(GuardAuthorize, AllowedCarriesTheTokenAndItsScopes) {
  GuardHarness h;
  auto claims = h.claims();
  claims["scope"] = "read:messages write:messages";
  const Decision d = authorize(h, {"Bearer " + mint(signing_key(), claims)});
  EXPECT_EQ(d.status, 200u);
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.www_authenticate, "");
  EXPECT_EQ(d.body, "");
  EXPECT_FALSE(d.failure);
  ASSERT_NE(d.token, nullptr);
  EXPECT_EQ(d.token->subject, "client-1@clients");
  EXPECT_EQ(d.token->scopes, (std::vector<std::string>{"read:messages", "write:messages"}));
  EXPECT_EQ(h.guard->counters().verified_ok.load(), 1u);
}

TEST(GuardAuthorize, NoRequiredScopeNeedsOnlyAValidToken) {
  GuardHarness h;
  auto claims = h.claims();
  claims.erase("scope");
  const Decision d = authorize(h, {"Bearer " + mint(signing_key(), claims)}, {}, {});
  EXPECT_EQ(d.status, 200u);
  ASSERT_NE(d.token, nullptr);
  EXPECT_TRUE(d.token->scopes.empty());
}

// --- configuration and start-up ------------------------------------------------------------------

TEST(GuardConfiguration, RefusesAConfigurationItCannotEnforce) {
  auto source = std::make_shared<FakeKeySource>();
  auto clock = std::make_shared<FakeClock>();
  GuardConfig no_issuer = test_config();
  no_issuer.issuer.clear();
  EXPECT_THROW(Guard(no_issuer, source, clock), std::invalid_argument);
  GuardConfig no_audience = test_config();
  no_audience.audiences.clear();
  EXPECT_THROW(Guard(no_audience, source, clock), std::invalid_argument);
  GuardConfig no_algorithm = test_config();
  no_algorithm.algorithms.clear();
  EXPECT_THROW(Guard(no_algorithm, source, clock), std::invalid_argument);
  EXPECT_NO_THROW(Guard(test_config(), source, clock));
}

TEST(GuardConfiguration, StartFetchesTheKeysOnce) {
  GuardHarness h;
  EXPECT_TRUE(h.guard->start());
  EXPECT_EQ(h.source->fetches(), 1);
  EXPECT_TRUE(h.guard->verify(h.token()));
  EXPECT_EQ(h.source->fetches(), 1);
  EXPECT_EQ(h.guard->last_jwks_error(), "");
}

}  // namespace
}  // namespace signet::guard
