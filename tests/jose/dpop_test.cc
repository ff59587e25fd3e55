#include "signet/jose/dpop.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/json.h"
#include "signet/jose/jws.h"
#include "tests/test_common/jose_printers.h"
#include "tests/test_common/rfc_vectors.h"
#include "tests/test_common/test_keys.h"

namespace signet::jose::dpop {

void PrintTo(ProofError e, std::ostream* os) {
  *os << to_string(e);
}

namespace {

namespace tk = signet::testing;
namespace json = boost::json;

constexpr Algorithm kAllAlgorithms[] = {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                                        Algorithm::kEdDSA};
constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kUrl = "https://server.example.com/token";
constexpr std::string_view kAccessToken = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

// RFC 9449 §4.1, figure 4: a proof for POST https://server.example.com/token.
// header:  {"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42
//          UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}}
// payload: {"jti":"-BwC3ESc6acc2lTc","htm":"POST","htu":"https://server.example.com/token",
//          "iat":1562262616}
constexpr std::string_view kRfc9449Section41Proof =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNo"
    "UklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERW"
    "clUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0"
    "dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-F"
    "dWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

// RFC 9449 §7.1, figure 13: the same key's proof for GET
// https://resource.example.org/protectedresource with kAccessToken.
// payload: {"jti":"e1j3V_bKic8-LAEB","htm":"GET","htu":"https://resource.example.org/protected
//          resource","iat":1562262618,"ath":"fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"}
constexpr std::string_view kRfc9449Section71Proof =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNo"
    "UklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERW"
    "clUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1"
    "IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwi"
    "YXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey7"
    "1EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
constexpr std::string_view kRfc9449Jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

ProofCheck check_for(std::string_view method = "POST", std::string_view url = kUrl,
                     std::int64_t now = kNow) {
  ProofCheck check;
  check.method = method;
  check.url = url;
  check.algorithms = kAllAlgorithms;
  check.now = now;
  return check;
}

json::object public_jwk(const Jwk& key) {
  json::object jwk = to_public_json(key);
  jwk.erase("kid");
  return jwk;
}

// A proof built member by member, so that each test breaks exactly one rule.
struct Proof {
  const Jwk* key = &tk::test_key(Algorithm::kES256);
  Algorithm alg = Algorithm::kES256;
  json::object header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", public_jwk(*key)}};
  json::object claims = {
      {"jti", "4qNnc0fAu1pS_uF2Tq0Baw"}, {"htm", "POST"}, {"htu", kUrl}, {"iat", kNow}};

  static Proof with(Algorithm a) {
    Proof p;
    p.key = &tk::test_key(a);
    p.alg = a;
    p.header["alg"] = to_string(a);
    p.header["jwk"] = public_jwk(*p.key);
    return p;
  }
  std::string sign() const { return sign_text(json::serialize(header), json::serialize(claims)); }
  std::string sign_text(std::string_view header_json, std::string_view claims_json) const {
    auto token = sign_compact_raw(*key, alg, header_json, claims_json);
    EXPECT_TRUE(token.ok()) << jose::to_string(token.error());
    return token.ok() ? token.value() : std::string();
  }
};

// The failure a proof is refused with; nullopt (and a test failure) when it is accepted.
std::optional<ProofFailure> failure(std::string_view proof, const ProofCheck& check = check_for()) {
  auto verified = verify_proof(proof, check);
  if (verified.ok()) {
    ADD_FAILURE() << "the proof was accepted: " << proof;
    return std::nullopt;
  }
  return verified.error();
}

std::optional<ProofError> refusal(std::string_view proof, const ProofCheck& check = check_for()) {
  auto f = failure(proof, check);
  return f ? std::optional<ProofError>(f->code) : std::nullopt;
}

void expect_accepted(std::string_view proof, const ProofCheck& check = check_for()) {
  auto verified = verify_proof(proof, check);
  EXPECT_TRUE(verified.ok()) << (verified.ok() ? "" : verified.error().description());
}

// --- RFC 9449 examples ----------------------------------------------------------------------

TEST(DpopRfcVectorTest, Section41ProofVerifies) {
  auto verified = verify_proof(kRfc9449Section41Proof, check_for("POST", kUrl, 1562262616));
  ASSERT_TRUE(verified.ok()) << verified.error().description();
  EXPECT_EQ(verified->jkt, kRfc9449Jkt);
  EXPECT_EQ(verified->jti, "-BwC3ESc6acc2lTc");
  EXPECT_EQ(verified->iat, 1562262616);
  EXPECT_EQ(verified->alg, Algorithm::kES256);
  EXPECT_EQ(verified->nonce, std::nullopt);
}

TEST(DpopRfcVectorTest, Section71ProofWithAthVerifiesForItsToken) {
  ProofCheck check = check_for("GET", "https://resource.example.org/protectedresource", 1562262618);
  check.access_token = kAccessToken;
  auto verified = verify_proof(kRfc9449Section71Proof, check);
  ASSERT_TRUE(verified.ok()) << verified.error().description();
  EXPECT_EQ(verified->jkt, kRfc9449Jkt);
  check.access_token = "another-token";
  EXPECT_EQ(refusal(kRfc9449Section71Proof, check), ProofError::kAth);
}

TEST(DpopRfcVectorTest, Section71AccessTokenHash) {
  EXPECT_EQ(access_token_hash(kAccessToken), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
}

TEST(DpopRfcVectorTest, Section41ProofIsRefusedOneSecondOutsideItsWindow) {
  EXPECT_EQ(refusal(kRfc9449Section41Proof, check_for("POST", kUrl, 1562262616 + 66)),
            ProofError::kIatTooOld);
  EXPECT_EQ(refusal(kRfc9449Section41Proof, check_for("POST", kUrl, 1562262616 - 6)),
            ProofError::kIatInFuture);
}

// --- make_proof round trips -------------------------------------------------------------------

class DpopRoundTripTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(DpopRoundTripTest, MadeProofVerifiesWithTheKeysThumbprint) {
  const Jwk& key = tk::test_key(GetParam());
  auto proof = make_proof(key, {.method = "POST", .url = kUrl, .now = kNow});
  ASSERT_TRUE(proof.ok()) << jose::to_string(proof.error());
  auto verified = verify_proof(*proof, check_for());
  ASSERT_TRUE(verified.ok()) << verified.error().description();
  EXPECT_EQ(verified->jkt, thumbprint(key));
  EXPECT_EQ(verified->alg, GetParam());
  EXPECT_EQ(verified->iat, kNow);
  EXPECT_EQ(base64url_decode(verified->jti)->size(), 16u);  // 128 random bits
  EXPECT_EQ(verified->nonce, std::nullopt);
}

TEST_P(DpopRoundTripTest, AthAndNonceTravel) {
  const Jwk& key = tk::test_key(GetParam());
  auto proof = make_proof(key, {.method = "GET",
                                .url = "https://api.example/v1/things?page=2#top",
                                .access_token = kAccessToken,
                                .nonce = "n-0S6_WzA2Mj",
                                .now = kNow});
  ASSERT_TRUE(proof.ok()) << jose::to_string(proof.error());
  ProofCheck check = check_for("GET", "https://api.example/v1/things");
  check.access_token = kAccessToken;
  auto verified = verify_proof(*proof, check);
  ASSERT_TRUE(verified.ok()) << verified.error().description();
  EXPECT_EQ(verified->nonce, "n-0S6_WzA2Mj");
}

TEST_P(DpopRoundTripTest, HeaderCarriesOnlyThePublicKey) {
  const Jwk& key = tk::test_key(GetParam());
  auto proof = make_proof(key, {.method = "POST", .url = kUrl, .now = kNow});
  ASSERT_TRUE(proof.ok());
  JwsLimits limits;
  limits.allow_embedded_jwk = true;
  auto parsed = parse_compact(*proof, limits);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->typ, "dpop+jwt");
  EXPECT_FALSE(parsed->kid.has_value());
  const json::object& jwk = parsed->header.at("jwk").as_object();
  for (std::string_view member : {"d", "p", "q", "dp", "dq", "qi", "kid"}) {
    EXPECT_FALSE(jwk.contains(member)) << member;
  }
  auto claims = parse_json_object(parsed->payload);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->at("htu").as_string(), kUrl);
  EXPECT_FALSE(claims->contains("ath"));
  EXPECT_FALSE(claims->contains("nonce"));
}

TEST_P(DpopRoundTripTest, EveryProofHasItsOwnJti) {
  const Jwk& key = tk::test_key(GetParam());
  auto a = make_proof(key, {.method = "POST", .url = kUrl, .now = kNow});
  auto b = make_proof(key, {.method = "POST", .url = kUrl, .now = kNow});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(verify_proof(*a, check_for())->jti, verify_proof(*b, check_for())->jti);
}

TEST_P(DpopRoundTripTest, ProofFromAPublicKeyCannotBeMade) {
  auto proof = make_proof(tk::public_half(tk::test_key(GetParam())),
                          {.method = "POST", .url = kUrl, .now = kNow});
  ASSERT_FALSE(proof.ok());
  EXPECT_EQ(proof.error(), Error::kJwkNoPrivateKey);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, DpopRoundTripTest, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& info) { return std::string(to_string(info.param)); });

// --- every rule broken one at a time ----------------------------------------------------------

TEST(DpopProofTest, TheUnbrokenProofOfTheseTestsIsAccepted) {
  for (Algorithm alg : kAllAlgorithms) {
    expect_accepted(Proof::with(alg).sign());
  }
}

TEST(DpopProofTest, EmptyProofIsMissing) {
  EXPECT_EQ(refusal(""), ProofError::kMissing);
}

TEST(DpopProofTest, NotACompactJwsIsMalformed) {
  for (std::string_view text : {"abc", "a.b", "a.b.c.d", "..."}) {
    auto f = failure(text);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, ProofError::kMalformed) << text;
    EXPECT_TRUE(f->jose_error.has_value()) << text;
  }
}

TEST(DpopProofTest, AnotherUrlIsRefused) {
  const std::string proof = Proof().sign();
  for (std::string_view url :
       {"https://server.example.com/token2", "https://server.example.com/",
        "http://server.example.com/token", "https://server.example.com:8443/token",
        "https://other.example.com/token", "https://server.example.com/Token"}) {
    EXPECT_EQ(refusal(proof, check_for("POST", url)), ProofError::kHtu) << url;
  }
}

TEST(DpopProofTest, AnotherMethodIsRefused) {
  const std::string proof = Proof().sign();
  EXPECT_EQ(refusal(proof, check_for("GET")), ProofError::kHtm);
  // RFC 9110 §9.1: methods are case-sensitive.
  EXPECT_EQ(refusal(proof, check_for("post")), ProofError::kHtm);
}

TEST(DpopProofTest, IatWindowHoldsToTheSecond) {
  Proof p;
  // Accepted from now - 60 s - 5 s leeway to now + 5 s leeway, refused one second outside.
  p.claims["iat"] = kNow - 65;
  expect_accepted(p.sign());
  p.claims["iat"] = kNow - 66;
  EXPECT_EQ(refusal(p.sign()), ProofError::kIatTooOld);
  p.claims["iat"] = kNow + 5;
  expect_accepted(p.sign());
  p.claims["iat"] = kNow + 6;
  EXPECT_EQ(refusal(p.sign()), ProofError::kIatInFuture);
}

TEST(DpopProofTest, LifetimeAndLeewayComeFromTheCheck) {
  Proof p;
  ProofCheck check = check_for();
  check.lifetime = std::chrono::seconds{10};
  check.leeway = std::chrono::seconds{1};
  p.claims["iat"] = kNow - 12;
  EXPECT_EQ(refusal(p.sign(), check), ProofError::kIatTooOld);
  p.claims["iat"] = kNow - 11;
  expect_accepted(p.sign(), check);
  p.claims["iat"] = kNow + 2;
  EXPECT_EQ(refusal(p.sign(), check), ProofError::kIatInFuture);
  p.claims["iat"] = kNow + 1;
  expect_accepted(p.sign(), check);
}

TEST(DpopProofTest, FractionalIatIsANumericDate) {
  Proof p;
  p.claims["iat"] = static_cast<double>(kNow) + 0.5;
  expect_accepted(p.sign());
}

TEST(DpopProofTest, EachMissingClaimIsNamed) {
  for (std::string_view claim : {"jti", "htm", "htu", "iat"}) {
    Proof p;
    p.claims.erase(claim);
    auto f = failure(p.sign());
    ASSERT_TRUE(f) << claim;
    EXPECT_EQ(f->code, ProofError::kClaimMissing) << claim;
    EXPECT_EQ(f->claim, claim);
    EXPECT_NE(f->description().find(claim), std::string::npos) << f->description();
  }
}

TEST(DpopProofTest, AthIsRequiredOnlyWithAnAccessToken) {
  Proof p;
  expect_accepted(p.sign());  // the token endpoint: no token, no ath
  ProofCheck check = check_for();
  check.access_token = kAccessToken;
  auto f = failure(p.sign(), check);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, ProofError::kClaimMissing);
  EXPECT_EQ(f->claim, "ath");
  p.claims["ath"] = access_token_hash(kAccessToken);
  expect_accepted(p.sign(), check);
}

TEST(DpopProofTest, WrongAthIsRefused) {
  ProofCheck check = check_for();
  check.access_token = kAccessToken;
  Proof p;
  for (std::string_view ath : {std::string_view("fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEp"),
                               std::string_view(""), kAccessToken}) {
    p.claims["ath"] = ath;
    EXPECT_EQ(refusal(p.sign(), check), ProofError::kAth) << ath;
  }
  p.claims["ath"] = access_token_hash("another token");
  EXPECT_EQ(refusal(p.sign(), check), ProofError::kAth);
}

TEST(DpopProofTest, ClaimsOfTheWrongTypeAreRefused) {
  struct Case {
    std::string_view claim;
    json::value value;
  };
  const Case cases[] = {
      {"jti", 1},
      {"jti", json::array{"a"}},
      {"jti", ""},
      {"jti", json::string(kMaxJtiBytes + 1, 'j')},
      {"htm", 1},
      {"htm", nullptr},
      {"htu", json::array{kUrl}},
      {"htu", json::object{{"u", kUrl}}},
      {"iat", "1700000000"},
      {"iat", true},
      {"iat", -1},
      {"nonce", 5},
      {"nonce", json::string(kMaxNonceBytes + 1, 'n')},
      {"ath", 1},
  };
  ProofCheck check = check_for();
  check.access_token = kAccessToken;
  for (const auto& c : cases) {
    Proof p;
    p.claims["ath"] = access_token_hash(kAccessToken);
    p.claims[c.claim] = c.value;
    auto f = failure(p.sign(), check);
    ASSERT_TRUE(f) << c.claim << " = " << json::serialize(c.value);
    EXPECT_EQ(f->code, ProofError::kClaimType) << c.claim << " = " << json::serialize(c.value);
    EXPECT_EQ(f->claim, c.claim);
  }
}

TEST(DpopProofTest, LongestJtiAndNonceAreAccepted) {
  Proof p;
  p.claims["jti"] = std::string(kMaxJtiBytes, 'j');
  p.claims["nonce"] = std::string(kMaxNonceBytes, 'n');
  auto verified = verify_proof(p.sign(), check_for());
  ASSERT_TRUE(verified.ok()) << verified.error().description();
  EXPECT_EQ(verified->nonce, std::string(kMaxNonceBytes, 'n'));
}

TEST(DpopProofTest, PrivateKeyInTheJwkIsRefused) {
  // Whole private JWKs of each type, each proof signed by that very key: the signature is
  // genuine, yet a proof from a published key proves nothing.
  struct Case {
    std::string_view jwk;
    Algorithm alg;
  };
  for (const Case& c : {Case{tk::kRfc7515A3PrivateJwk, Algorithm::kES256},
                        Case{tk::kRfc7515A2PrivateJwk, Algorithm::kRS256},
                        Case{tk::kRfc8037A1PrivateJwk, Algorithm::kEdDSA}}) {
    auto key = parse_jwk(c.jwk);
    ASSERT_TRUE(key.ok());
    Proof p;
    p.key = &*key;
    p.alg = c.alg;
    p.header["alg"] = to_string(c.alg);
    p.header["jwk"] = *parse_json_object(c.jwk);
    EXPECT_EQ(refusal(p.sign()), ProofError::kJwkPrivate) << c.jwk;
  }
}

TEST(DpopProofTest, EachPrivateMemberAloneIsRefused) {
  for (std::string_view member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    Proof p;
    p.header["jwk"].as_object()[member] = "AQAB";
    EXPECT_EQ(refusal(p.sign()), ProofError::kJwkPrivate) << member;
  }
}

TEST(DpopProofTest, AlgNoneIsRefused) {
  for (std::string_view alg : {"none", "None", "NONE"}) {
    Proof p;
    p.header["alg"] = alg;
    const std::string header = base64url_encode(json::serialize(p.header));
    const std::string claims = base64url_encode(json::serialize(p.claims));
    auto f = failure(header + "." + claims + ".AAAA");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, ProofError::kAlgNotAllowed) << alg;
    EXPECT_EQ(f->jose_error, Error::kAlgNone);
  }
}

TEST(DpopProofTest, HmacIsRefused) {
  // An HS256 proof "signed" with the public key's bytes as the secret: never considered.
  for (std::string_view alg : {"HS256", "HS384", "HS512"}) {
    Proof p;
    p.header["alg"] = alg;
    const std::string header = base64url_encode(json::serialize(p.header));
    const std::string claims = base64url_encode(json::serialize(p.claims));
    auto f = failure(header + "." + claims + "." + base64url_encode(std::string(32, 'x')));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, ProofError::kAlgNotAllowed) << alg;
    EXPECT_EQ(f->jose_error, Error::kAlgHmac);
  }
}

TEST(DpopProofTest, AlgorithmOutsideTheAcceptedOnesIsRefused) {
  constexpr Algorithm kOnlyEs256[] = {Algorithm::kES256};
  ProofCheck check = check_for();
  check.algorithms = kOnlyEs256;
  expect_accepted(Proof::with(Algorithm::kES256).sign(), check);
  for (Algorithm alg : {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kEdDSA}) {
    EXPECT_EQ(refusal(Proof::with(alg).sign(), check), ProofError::kAlgNotAllowed)
        << to_string(alg);
  }
  check.algorithms = {};
  EXPECT_EQ(refusal(Proof().sign(), check), ProofError::kAlgNotAllowed);
}

TEST(DpopProofTest, TypMustBeDpopJwt) {
  Proof p;
  p.header.erase("typ");
  EXPECT_EQ(refusal(p.sign()), ProofError::kTyp);
  for (std::string_view typ : {"JWT", "at+jwt", "dpop", "DPOP+JWT", "application/dpop+jwt", ""}) {
    p.header["typ"] = typ;
    EXPECT_EQ(refusal(p.sign()), ProofError::kTyp) << typ;
  }
  p.header["typ"] = 1;
  auto f = failure(p.sign());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, ProofError::kMalformed);
  EXPECT_EQ(f->jose_error, Error::kTypNotString);
}

TEST(DpopProofTest, JwkIsRequired) {
  Proof p;
  p.header.erase("jwk");
  EXPECT_EQ(refusal(p.sign()), ProofError::kJwkMissing);
}

TEST(DpopProofTest, JwkThatIsNotAUsableKeyIsRefused) {
  const Jwk& rsa = tk::test_key(Algorithm::kRS256);
  json::object off_curve = public_jwk(tk::test_key(Algorithm::kES256));
  std::string x = *base64url_decode(off_curve.at("x").as_string());
  x[31] ^= 1;
  off_curve["x"] = base64url_encode(x);
  json::object small_exponent = public_jwk(rsa);
  small_exponent["e"] = "Aw";
  struct Case {
    json::value jwk;
    Error error;
  };
  const Case cases[] = {
      {"a key", Error::kJwkNotObject},
      {json::array{}, Error::kJwkNotObject},
      {json::object{}, Error::kJwkKtyMissing},
      {json::object{{"kty", "EC"}, {"crv", "P-256"}}, Error::kJwkEcMissingMember},
      {off_curve, Error::kJwkEcNotOnCurve},
      {small_exponent, Error::kJwkRsaExponent},
      {json::object{{"kty", "OKP"}, {"crv", "X25519"}, {"x", "AQAB"}}, Error::kJwkOkpCurve},
  };
  for (const auto& c : cases) {
    Proof p;
    p.header["jwk"] = c.jwk;
    auto f = failure(p.sign());
    ASSERT_TRUE(f) << json::serialize(c.jwk);
    EXPECT_EQ(f->code, ProofError::kJwkInvalid) << json::serialize(c.jwk);
    EXPECT_EQ(f->jose_error, c.error) << json::serialize(c.jwk);
  }
}

TEST(DpopProofTest, ProofSignedByAnotherKeyThanItsJwkIsRefused) {
  for (Algorithm alg : kAllAlgorithms) {
    Proof p = Proof::with(alg);
    p.header["jwk"] = public_jwk(tk::other_key(alg));
    auto f = failure(p.sign());
    ASSERT_TRUE(f) << to_string(alg);
    EXPECT_EQ(f->code, ProofError::kSignature) << to_string(alg);
  }
}

TEST(DpopProofTest, RememberedKeyStillChecksEverySignature) {
  // The first proof's key is remembered by its header; a second proof with the very same
  // header, signed by another key, must fail as it would without the cache.
  Proof p;
  p.claims["jti"] = "remembered-key-1";
  const std::string header = json::serialize(p.header);
  expect_accepted(p.sign_text(header, json::serialize(p.claims)));
  expect_accepted(p.sign_text(header, json::serialize(p.claims)));
  Proof forger;
  forger.key = &tk::other_key(Algorithm::kES256);
  p.claims["jti"] = "remembered-key-2";
  auto f = failure(forger.sign_text(header, json::serialize(p.claims)));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, ProofError::kSignature);
  EXPECT_EQ(verify_proof(p.sign_text(header, json::serialize(p.claims)), check_for())->jkt,
            thumbprint(*p.key));
}

TEST(DpopProofTest, HeaderAlgThatDoesNotFitTheJwkIsRefused) {
  // An RS256 proof whose jwk is an EC key: the algorithm is bound to the key, never the header.
  Proof p = Proof::with(Algorithm::kRS256);
  p.header["jwk"] = public_jwk(tk::test_key(Algorithm::kES256));
  auto f = failure(p.sign());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, ProofError::kSignature);
  EXPECT_EQ(f->jose_error, Error::kAlgKeyMismatch);
}

TEST(DpopProofTest, OversizedProofIsRefusedBeforeParsing) {
  Proof p;
  p.claims["pad"] = std::string(kMaxProofBytes, 'p');
  auto f = failure(p.sign());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, ProofError::kMalformed);
  EXPECT_EQ(f->jose_error, Error::kTokenTooLarge);
}

TEST(DpopProofTest, RsaProofsAreFarBelowTheSizeLimit) {
  // RSA-2048 under a quarter of the limit, so RSA-4096 (twice the n and signature) fits too.
  auto proof =
      make_proof(tk::test_key(Algorithm::kRS256), {.method = "POST", .url = kUrl, .now = kNow});
  ASSERT_TRUE(proof.ok());
  EXPECT_LT(proof->size(), kMaxProofBytes / 4);
}

TEST(DpopProofTest, DuplicateMembersAreRefused) {
  // A second "htu" or "typ" could make two parsers see two different proofs.
  Proof p;
  const std::string header = json::serialize(p.header);
  const std::string claims = json::serialize(p.claims);
  const std::string dup_claims =
      claims.substr(0, claims.size() - 1) + R"(,"htu":"https://attacker.example/token"})";
  const std::string dup_header = header.substr(0, header.size() - 1) + R"(,"typ":"dpop+jwt"})";
  for (const std::string& proof :
       {p.sign_text(header, dup_claims), p.sign_text(dup_header, claims)}) {
    auto f = failure(proof);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, ProofError::kMalformed);
    EXPECT_EQ(f->jose_error, Error::kJsonDuplicateMember);
  }
}

TEST(DpopProofTest, QueryAndFragmentAreIgnoredOnBothSides) {
  Proof p;
  p.claims["htu"] = std::string(kUrl) + "?client=1#frag";
  expect_accepted(p.sign());
  expect_accepted(p.sign(), check_for("POST", "https://server.example.com/token?x=y"));
  expect_accepted(Proof().sign(), check_for("POST", "https://server.example.com/token#f"));
}

TEST(DpopProofTest, HtuIsComparedAfterNormalisation) {
  struct Case {
    std::string_view htu;
    std::string_view request_url;
  };
  const Case cases[] = {
      {"HTTP://LOCALHOST:80/a", "http://localhost/a"},
      {"https://Server.Example.COM:443/token", "https://server.example.com/token"},
      {"https://server.example.com/%7euser", "https://server.example.com/~user"},
      {"https://server.example.com/a%2fb", "https://server.example.com/a%2Fb"},
      {"https://server.example.com", "https://server.example.com/"},
      {"https://server.example.com:/x", "https://server.example.com/x"},
      {"http://[::1]:8080/token", "http://[::1]:8080/token"},
      {"https://server.example.com/a/./b/../c", "https://server.example.com/a/c"},
  };
  for (const auto& c : cases) {
    Proof p;
    p.claims["htu"] = c.htu;
    expect_accepted(p.sign(), check_for("POST", c.request_url));
  }
}

TEST(DpopProofTest, NonHttpHtuIsRefused) {
  for (std::string_view htu : {"ftp://server.example.com/token", "server.example.com/token",
                               "/token", "urn:example:token", "javascript://x/token"}) {
    Proof p;
    p.claims["htu"] = htu;
    EXPECT_EQ(refusal(p.sign()), ProofError::kHtu) << htu;
  }
}

TEST(DpopProofTest, UnusableRequestUrlRefusesEveryProof) {
  // A misconfigured server URL must not turn into "any htu goes".
  EXPECT_EQ(refusal(Proof().sign(), check_for("POST", "")), ProofError::kHtu);
  EXPECT_EQ(refusal(Proof().sign(), check_for("POST", "/token")), ProofError::kHtu);
}

TEST(DpopProofTest, EveryFlippedBitFails) {
  const std::string proof = Proof().sign();
  expect_accepted(proof);
  for (std::size_t i = 0; i < proof.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string mutated = proof;
      mutated[i] = static_cast<char>(mutated[i] ^ (1 << bit));
      EXPECT_FALSE(verify_proof(mutated, check_for()).ok()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(DpopProofTest, EveryTruncationFails) {
  const std::string proof = Proof().sign();
  for (std::size_t len = 0; len < proof.size(); ++len) {
    EXPECT_FALSE(verify_proof(proof.substr(0, len), check_for()).ok()) << len;
  }
}

TEST(DpopProofTest, DescriptionsAreSafeForAHeader) {
  for (int i = 0; i <= static_cast<int>(ProofError::kKeyMismatch); ++i) {
    const ProofFailure f{static_cast<ProofError>(i), Error::kJsonSyntax, "jti"};
    const std::string text = f.description();
    EXPECT_FALSE(text.empty());
    for (char c : text) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f && c != '"' && c != '\\') << text;
    }
    EXPECT_EQ(f.wants_nonce(),
              f.code == ProofError::kNonceMissing || f.code == ProofError::kNonceInvalid);
  }
}

// --- normalize_htu ----------------------------------------------------------------------------

TEST(NormalizeHtuTest, Rfc3986SyntaxAndSchemeBasedNormalisation) {
  struct Case {
    std::string_view url;
    std::string_view normal;
  };
  const Case cases[] = {
      {"https://server.example.com/token", "https://server.example.com/token"},
      {"HTTP://LOCALHOST:80/a", "http://localhost/a"},
      {"https://localhost:443/a", "https://localhost/a"},
      {"http://localhost:443/a", "http://localhost:443/a"},
      {"https://localhost:80/a", "https://localhost:80/a"},
      {"https://localhost:8443", "https://localhost:8443/"},
      {"https://localhost", "https://localhost/"},
      {"https://localhost:", "https://localhost/"},
      {"https://h/%7e%7E%41%2f%2F%3a", "https://h/~~A%2F%2F%3A"},
      {"https://h/A/B", "https://h/A/B"},
      {"https://H%41ST/", "https://hast/"},
      {"https://h/a?b=c#d", "https://h/a"},
      {"https://h?b", "https://h/"},
      {"https://h#f", "https://h/"},
      {"https://h/a/b/../../..", "https://h/"},
      {"https://h/a/%2e%2E/b", "https://h/b"},
      {"https://h/a/..b/.c", "https://h/a/..b/.c"},
      {"https://[::1]:443/x", "https://[::1]/x"},
      {"http://[FE80::1]/x", "http://[fe80::1]/x"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(normalize_htu(c.url), std::optional<std::string>(c.normal)) << c.url;
  }
}

TEST(NormalizeHtuTest, WhatIsNotAnAbsoluteHttpUrlIsRefused) {
  for (std::string_view url : {"",
                               "/token",
                               "token",
                               "ftp://h/",
                               "file:///etc/passwd",
                               "https:/h/x",
                               "https://",
                               "https:///x",
                               "https://:443/x",
                               "https://user@h/x",
                               "https://h:99999/",
                               "https://h:80a/",
                               "https://h:-1/",
                               "https://h:0080/",
                               "https://h/%zz",
                               "https://h/%2",
                               "https://h/a b",
                               "https://h/\x01",
                               "https://h/\xc3\xa9",
                               "https://h\n/"}) {
    EXPECT_EQ(normalize_htu(url), std::nullopt) << url;
  }
}

// --- verify_bound_proof --------------------------------------------------------------------------

ProofCheck resource_check(std::int64_t now = kNow) {
  ProofCheck check = check_for("GET", "https://api.example/v1/things", now);
  check.access_token = kAccessToken;
  return check;
}

std::string resource_proof(const Jwk& key, std::optional<std::string_view> nonce = std::nullopt) {
  auto proof = make_proof(key, {.method = "GET",
                                .url = "https://api.example/v1/things",
                                .access_token = kAccessToken,
                                .nonce = nonce,
                                .now = kNow});
  EXPECT_TRUE(proof.ok());
  return proof.ok() ? *proof : std::string();
}

TEST(DpopBoundProofTest, RfcSection71ProofIsAcceptedForItsBoundKey) {
  ProofCheck check = check_for("GET", "https://resource.example.org/protectedresource", 1562262618);
  check.access_token = kAccessToken;
  auto verified = verify_bound_proof(kRfc9449Section71Proof, check, kRfc9449Jkt, nullptr);
  ASSERT_TRUE(verified.ok()) << verified.error().description();
  EXPECT_EQ(verified->jkt, kRfc9449Jkt);
}

TEST(DpopBoundProofTest, AProofByAnotherKeyThanTheBoundOneIsKeyMismatch) {
  const Jwk& key = tk::test_key(Algorithm::kES256);
  const std::string proof = resource_proof(key);
  EXPECT_TRUE(verify_bound_proof(proof, resource_check(), thumbprint(key), nullptr).ok());
  auto other = verify_bound_proof(proof, resource_check(),
                                  thumbprint(tk::other_key(Algorithm::kES256)), nullptr);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ProofError::kKeyMismatch);
}

TEST(DpopBoundProofTest, ProofRulesComeBeforeTheKey) {
  const Jwk& key = tk::test_key(Algorithm::kES256);
  ProofCheck check = resource_check();
  check.access_token = "another-token";
  auto refused = verify_bound_proof(resource_proof(key), check, "not-the-key", nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ProofError::kAth);
}

TEST(DpopBoundProofTest, WithoutAnAccessTokenToHashNothingIsAccepted) {
  const Jwk& key = tk::test_key(Algorithm::kES256);
  ProofCheck check = resource_check();
  check.access_token = std::nullopt;
  auto refused = verify_bound_proof(resource_proof(key), check, thumbprint(key), nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ProofError::kClaimMissing);
  EXPECT_EQ(refused.error().claim, "ath");
}

TEST(DpopBoundProofTest, WithNoncesTheProofNeedsACurrentOne) {
  const Jwk& key = tk::test_key(Algorithm::kES256);
  const NonceSource nonces(std::chrono::seconds{300});
  auto missing =
      verify_bound_proof(resource_proof(key), resource_check(), thumbprint(key), &nonces);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ProofError::kNonceMissing);
  auto forged =
      verify_bound_proof(resource_proof(key, "forged"), resource_check(), thumbprint(key), &nonces);
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().code, ProofError::kNonceInvalid);
  const std::string nonce = nonces.current(kNow);
  EXPECT_TRUE(
      verify_bound_proof(resource_proof(key, nonce), resource_check(), thumbprint(key), &nonces)
          .ok());
}

// --- NonceSource ------------------------------------------------------------------------------

constexpr auto kWindow = std::chrono::seconds{300};
constexpr std::int64_t kWindowStart = 1'699'999'800;  // a multiple of 300

TEST(NonceSourceTest, CurrentNonceIsAccepted) {
  const NonceSource nonces(kWindow);
  const std::string nonce = nonces.current(kNow);
  EXPECT_LE(nonce.size(), kMaxNonceBytes);
  EXPECT_TRUE(nonces.check(nonce, kNow).ok());
  EXPECT_EQ(nonces.current(kWindowStart), nonces.current(kWindowStart + 299));
  EXPECT_NE(nonces.current(kWindowStart), nonces.current(kWindowStart + 300));
}

TEST(NonceSourceTest, PreviousWindowIsAcceptedAndOlderRefused) {
  const NonceSource nonces(kWindow);
  const std::string nonce = nonces.current(kWindowStart);
  EXPECT_TRUE(nonces.check(nonce, kWindowStart + 599).ok());
  auto stale = nonces.check(nonce, kWindowStart + 600);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ProofError::kNonceInvalid);
  EXPECT_TRUE(stale.error().wants_nonce());
}

TEST(NonceSourceTest, NonceFromTheFutureIsRefused) {
  const NonceSource nonces(kWindow);
  EXPECT_FALSE(nonces.check(nonces.current(kWindowStart + 300), kWindowStart + 299).ok());
}

TEST(NonceSourceTest, MissingNonceAsksForOne) {
  const NonceSource nonces(kWindow);
  auto missing = nonces.check(std::nullopt, kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ProofError::kNonceMissing);
  EXPECT_TRUE(missing.error().wants_nonce());
}

TEST(NonceSourceTest, ForgedNoncesAreRefused) {
  const NonceSource nonces(kWindow);
  const std::string nonce = nonces.current(kNow);
  std::vector<std::string> forged = {"", "abc", std::string(kMaxNonceBytes + 1, 'A'), nonce + "A",
                                     nonce.substr(0, nonce.size() - 1)};
  for (std::size_t i = 0; i < nonce.size(); ++i) {
    std::string flipped = nonce;
    flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
    forged.push_back(flipped);
  }
  for (const std::string& f : forged) {
    auto checked = nonces.check(f, kNow);
    ASSERT_FALSE(checked.ok()) << f;
    EXPECT_EQ(checked.error().code, ProofError::kNonceInvalid) << f;
  }
}

TEST(NonceSourceTest, AnotherKeysNonceIsRefused) {
  const NonceSource ours(kWindow);
  const NonceSource theirs(kWindow);
  EXPECT_FALSE(ours.check(theirs.current(kNow), kNow).ok());
}

TEST(NonceSourceTest, ReplicasGivenTheSameKeyShareNonces) {
  const std::string key(32, 'k');
  const NonceSource a(kWindow, key);
  const NonceSource b(kWindow, key);
  EXPECT_EQ(a.current(kNow), b.current(kNow));
  EXPECT_TRUE(b.check(a.current(kNow), kNow).ok());
  EXPECT_FALSE(NonceSource(kWindow, std::string(32, 'l')).check(a.current(kNow), kNow).ok());
}

TEST(NonceSourceTest, BadConfigurationIsRefusedAtStartUp) {
  EXPECT_THROW(NonceSource(std::chrono::seconds{0}), std::invalid_argument);
  EXPECT_THROW(NonceSource(kWindow, "short key"), std::invalid_argument);
}

}  // namespace
}  // namespace signet::jose::dpop
