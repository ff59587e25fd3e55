#include "signet/jose/jws.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/jwk.h"
#include "signet/jose/openssl_handle.h"
#include "tests/test_common/jose_printers.h"
#include "tests/test_common/rfc_vectors.h"
#include "tests/test_common/test_keys.h"

namespace signet::jose {
namespace {

namespace tk = signet::testing;
namespace json = boost::json;

constexpr Algorithm kAllAlgorithms[] = {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                                        Algorithm::kEdDSA};

// Claims used for the generated tokens (exp in 2033, far from any boundary).
const json::object& claims() {
  static const json::object c = {{"iss", "https://signet.example/"},
                                 {"sub", "alice"},
                                 {"aud", "https://api.example/"},
                                 {"exp", 2000000000}};
  return c;
}
const std::string kClaimsJson = R"({"sub":"alice","exp":2000000000})";

// parse_compact then verify_signature: the two steps a verifier runs before trusting anything.
Result<Ok, Error> parse_and_verify(std::string_view token, const Jwk& key,
                                   const JwsLimits& limits = {}) {
  auto parsed = parse_compact(token, limits);
  if (!parsed) {
    return fail(parsed.error());
  }
  return verify_signature(*parsed, key);
}

// The error a token is refused with; nullopt (and a test failure) when it is accepted.
std::optional<Error> refusal(std::string_view token, const Jwk& key) {
  auto r = parse_and_verify(token, key);
  if (r.ok()) {
    return std::nullopt;
  }
  return r.error();
}

// The error parse_compact alone refuses a token with.
std::optional<Error> parse_refusal(std::string_view token, const JwsLimits& limits = {}) {
  auto parsed = parse_compact(token, limits);
  if (parsed.ok()) {
    return std::nullopt;
  }
  return parsed.error();
}

// A correctly signed token with an exact header text: the header, not the signature, must be
// what gets the token refused.
std::string sign_raw(const Jwk& key, Algorithm alg, std::string_view header_json,
                     std::string_view payload = kClaimsJson) {
  auto token = sign_compact_raw(key, alg, header_json, payload);
  EXPECT_TRUE(token.ok()) << to_string(token.error());
  return token.ok() ? token.value() : std::string();
}

// A token put together from raw parts, no signing involved.
std::string forge(std::string_view header_json, std::string_view payload,
                  std::string_view signature) {
  return base64url_encode(header_json) + "." + base64url_encode(payload) + "." +
         base64url_encode(signature);
}

struct TokenParts {
  std::string header_b64, payload_b64, signature_b64;
};
TokenParts split(std::string_view token) {
  const auto d1 = token.find('.');
  const auto d2 = token.find('.', d1 + 1);
  return {std::string(token.substr(0, d1)), std::string(token.substr(d1 + 1, d2 - d1 - 1)),
          std::string(token.substr(d2 + 1))};
}
std::string join(const TokenParts& p) {
  return p.header_b64 + "." + p.payload_b64 + "." + p.signature_b64;
}
std::string decoded(std::string_view b64) {
  auto d = base64url_decode(b64);
  EXPECT_TRUE(d.ok());
  return d.ok() ? d.value() : std::string();
}

// A key that is the same RSA key as `key` but bound to no algorithm, as a JWKS entry without
// "alg" would be.
Jwk without_alg(Jwk key) {
  key.alg.reset();
  return key;
}

Jwk parse_jwk_or_die(std::string_view text) {
  auto key = parse_jwk(text);
  EXPECT_TRUE(key.ok()) << to_string(key.error());
  return key.ok() ? key.value() : Jwk{};
}

std::string mint(Algorithm alg) {
  return tk::mint(tk::test_key(alg), claims());
}
Jwk public_key(Algorithm alg) {
  return tk::public_half(tk::test_key(alg));
}

// --- published vectors ---------------------------------------------------------------------

TEST(JwsRfcVectorTest, Rfc7515A2SigningReproducesTheExactToken) {
  const Jwk key = parse_jwk_or_die(tk::kRfc7515A2PrivateJwk);
  ASSERT_TRUE(key.has_private);
  auto token = sign_compact_raw(key, Algorithm::kRS256, tk::kRfc7515A2Header, tk::kRfc7515Payload);
  ASSERT_TRUE(token.ok()) << to_string(token.error());
  EXPECT_EQ(*token, tk::kRfc7515A2Token);
}

TEST(JwsRfcVectorTest, Rfc7515A2VerifiesWithThePublicJwk) {
  const Jwk key = parse_jwk_or_die(tk::kRfc7515A2PublicJwk);
  auto parsed = parse_compact(tk::kRfc7515A2Token);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  EXPECT_EQ(parsed->alg, Algorithm::kRS256);
  EXPECT_FALSE(parsed->kid.has_value());
  EXPECT_FALSE(parsed->typ.has_value());
  ASSERT_TRUE(verify_signature(*parsed, key).ok());
  auto payload = decode_payload(*parsed);
  ASSERT_TRUE(payload.ok()) << to_string(payload.error());
  EXPECT_EQ(payload->at("iss").as_string(), "joe");
  EXPECT_EQ(payload->at("exp").as_int64(), 1300819380);
  EXPECT_EQ(payload->at("http://example.com/is_root").as_bool(), true);
}

TEST(JwsRfcVectorTest, Rfc7515A3Es256VerifiesWithThePublicJwk) {
  auto parsed = parse_compact(tk::kRfc7515A3Token);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  EXPECT_EQ(parsed->alg, Algorithm::kES256);
  EXPECT_EQ(parsed->signature.size(), 64u);
  EXPECT_TRUE(verify_signature(*parsed, parse_jwk_or_die(tk::kRfc7515A3PublicJwk)).ok());
  EXPECT_TRUE(verify_signature(*parsed, parse_jwk_or_die(tk::kRfc7515A3PrivateJwk)).ok());
  EXPECT_EQ(verify_signature(*parsed, public_key(Algorithm::kES256)).error(),
            Error::kSignatureInvalid);
}

TEST(JwsRfcVectorTest, Rfc7515A3KeySignsWhatItsPublicHalfVerifies) {
  // ECDSA is randomized, so our signature differs from the RFC's, but it must verify.
  const Jwk key = parse_jwk_or_die(tk::kRfc7515A3PrivateJwk);
  auto token = sign_compact_raw(key, Algorithm::kES256, R"({"alg":"ES256"})", tk::kRfc7515Payload);
  ASSERT_TRUE(token.ok()) << to_string(token.error());
  EXPECT_NE(*token, tk::kRfc7515A3Token);
  EXPECT_TRUE(parse_and_verify(*token, parse_jwk_or_die(tk::kRfc7515A3PublicJwk)).ok());
}

TEST(JwsRfcVectorTest, Rfc7515A1Hs256IsRefused) {
  EXPECT_EQ(parse_refusal(tk::kRfc7515A1Token), Error::kAlgHmac);
}

TEST(JwsRfcVectorTest, Rfc8037A4SigningReproducesTheExactToken) {
  const Jwk key = parse_jwk_or_die(tk::kRfc8037A1PrivateJwk);
  ASSERT_TRUE(key.has_private);
  auto token =
      sign_compact_raw(key, Algorithm::kEdDSA, tk::kRfc8037A4Header, tk::kRfc8037A4Payload);
  ASSERT_TRUE(token.ok()) << to_string(token.error());
  EXPECT_EQ(*token, tk::kRfc8037A4Token);
}

TEST(JwsRfcVectorTest, Rfc8037A4VerifiesWithThePublicJwk) {
  auto parsed = parse_compact(tk::kRfc8037A4Token);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  EXPECT_EQ(parsed->alg, Algorithm::kEdDSA);
  EXPECT_TRUE(verify_signature(*parsed, parse_jwk_or_die(tk::kRfc8037A2PublicJwk)).ok());
  // The payload is text, not a JSON object: it verifies, but is no set of claims.
  EXPECT_EQ(decode_payload(*parsed).error(), Error::kJsonSyntax);
}

TEST(JwsRfcVectorTest, Rfc7520S41SigningReproducesTheExactToken) {
  const Jwk key = parse_jwk_or_die(tk::kRfc7520RsaPrivateJwk);
  auto token = sign_compact_raw(key, Algorithm::kRS256, tk::kRfc7520S41Header, tk::kRfc7520Payload);
  ASSERT_TRUE(token.ok()) << to_string(token.error());
  EXPECT_EQ(*token, tk::kRfc7520S41Token);
}

TEST(JwsRfcVectorTest, Rfc7520S41VerifiesWithTheKeyFoundByKid) {
  const std::string jwks = R"({"keys":[)" + std::string(tk::kRfc7520RsaPublicJwk) + "," +
                           json::serialize(to_public_json(tk::test_key(Algorithm::kRS256))) + "]}";
  auto set = parse_jwks(jwks);
  ASSERT_TRUE(set.ok()) << to_string(set.error());
  auto parsed = parse_compact(tk::kRfc7520S41Token);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  ASSERT_EQ(parsed->kid, "bilbo.baggins@hobbiton.example");
  const Jwk* key = set->find(*parsed->kid);
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(verify_signature(*parsed, *key).ok());
  auto payload = base64url_decode(parsed->payload_b64);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(*payload, tk::kRfc7520Payload);
}

TEST(JwsRfcVectorTest, Rfc7520S42Ps384IsUnsupported) {
  EXPECT_EQ(parse_refusal(tk::kRfc7520S42Token), Error::kAlgUnsupported);
}

TEST(JwsRfcVectorTest, Rfc7520S43Es512IsUnsupported) {
  EXPECT_EQ(parse_refusal(tk::kRfc7520S43Token), Error::kAlgUnsupported);
}

TEST(JwsRfcVectorTest, Rfc7520S44Hs256IsRefused) {
  EXPECT_EQ(parse_refusal(tk::kRfc7520S44Token), Error::kAlgHmac);
}

TEST(JwsRfcVectorTest, Ps256FromAnIndependentImplementationVerifies) {
  // The Bilbo key has no "alg", so it verifies RS256 and PS256 alike.
  auto parsed = parse_compact(tk::kBilboPs256Token);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  EXPECT_EQ(parsed->alg, Algorithm::kPS256);
  EXPECT_TRUE(verify_signature(*parsed, parse_jwk_or_die(tk::kRfc7520RsaPublicJwk)).ok());
}

// --- round trips -----------------------------------------------------------------------------

class JwsRoundTripTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(JwsRoundTripTest, SignedTokenVerifiesWithThePublicHalf) {
  const Algorithm alg = GetParam();
  const std::string token = mint(alg);
  auto parsed = parse_compact(token);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  EXPECT_EQ(parsed->alg, alg);
  EXPECT_EQ(parsed->kid, "test-" + std::string(to_string(alg)));
  EXPECT_EQ(parsed->typ, "JWT");
  ASSERT_TRUE(verify_signature(*parsed, public_key(alg)).ok());
  ASSERT_TRUE(verify_signature(*parsed, tk::test_key(alg)).ok());
  auto payload = decode_payload(*parsed);
  ASSERT_TRUE(payload.ok()) << to_string(payload.error());
  EXPECT_EQ(*payload, claims());
}

TEST_P(JwsRoundTripTest, SignatureHasTheAlgorithmsExactLength) {
  const std::string token = mint(GetParam());
  auto parsed = parse_compact(token);
  ASSERT_TRUE(parsed.ok());
  const auto fixed = fixed_signature_length(GetParam());
  EXPECT_EQ(parsed->signature.size(), fixed ? *fixed : 256u);  // RSA test keys are 2048 bits
}

TEST_P(JwsRoundTripTest, SignatureFromAnotherKeyIsInvalid) {
  const Algorithm alg = GetParam();
  const std::string token = tk::mint(tk::other_key(alg), claims());
  EXPECT_EQ(refusal(token, public_key(alg)), Error::kSignatureInvalid);
  EXPECT_EQ(refusal(token, tk::test_key(alg)), Error::kSignatureInvalid);
}

TEST_P(JwsRoundTripTest, SignatureOverOtherClaimsDoesNotVerifyThese) {
  // Cut and paste: a valid signature moved onto another token's header and payload.
  const Algorithm alg = GetParam();
  json::object other = claims();
  other["sub"] = "mallory";
  TokenParts a = split(mint(alg));
  const TokenParts b = split(tk::mint(tk::test_key(alg), other));
  a.payload_b64 = b.payload_b64;
  EXPECT_EQ(refusal(join(a), public_key(alg)), Error::kSignatureInvalid);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwsRoundTripTest, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(JwsSignTest, Rs256IsDeterministicAndPs256IsRandomized) {
  EXPECT_EQ(mint(Algorithm::kRS256), mint(Algorithm::kRS256));
  EXPECT_NE(mint(Algorithm::kPS256), mint(Algorithm::kPS256));
}

TEST(JwsSignTest, AlgComesFromTheKeyNeverFromTheCallersHeader) {
  const Jwk& key = tk::test_key(Algorithm::kES256);
  auto token = sign_compact(key, json::object{{"alg", "none"}, {"typ", "at+jwt"}}, kClaimsJson);
  ASSERT_TRUE(token.ok());
  auto parsed = parse_compact(*token);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  EXPECT_EQ(parsed->header.at("alg").as_string(), "ES256");
  EXPECT_EQ(parsed->typ, "at+jwt");
  EXPECT_EQ(parsed->kid, "test-ES256");
  EXPECT_TRUE(verify_signature(*parsed, key).ok());
}

TEST(JwsSignTest, KidGivenInTheHeaderIsKept) {
  auto token =
      sign_compact(tk::test_key(Algorithm::kEdDSA), json::object{{"kid", "rotated"}}, kClaimsJson);
  ASSERT_TRUE(token.ok());
  auto parsed = parse_compact(*token);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kid, "rotated");
}

TEST(JwsSignTest, KeyWithoutAlgSignsWithItsTypesDefault) {
  EXPECT_EQ(signing_algorithm(without_alg(tk::test_key(Algorithm::kPS256))), Algorithm::kRS256);
  EXPECT_EQ(signing_algorithm(without_alg(tk::test_key(Algorithm::kES256))), Algorithm::kES256);
  EXPECT_EQ(signing_algorithm(without_alg(tk::test_key(Algorithm::kEdDSA))), Algorithm::kEdDSA);
  EXPECT_EQ(signing_algorithm(tk::test_key(Algorithm::kPS256)), Algorithm::kPS256);
}

// The prepared signer (the authorization server's fast path) must produce tokens that verify with
// the public key exactly like the slow path's; RS256 is deterministic, so both paths agree byte
// for byte.
TEST(JwsSignTest, PreparedSignerTokensVerifyLikeSlowPathOnes) {
  for (const Algorithm alg : {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256}) {
    Jwk key = tk::test_key(alg);
    const std::string slow = sign_compact(key, {}, kClaimsJson).value();
    key.signer = PreparedSigner::prepare(key.pkey, alg);
    ASSERT_NE(key.signer, nullptr) << to_string(alg);
    const std::string fast = sign_compact(key, {}, kClaimsJson).value();
    auto parsed = parse_compact(fast);
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(verify_signature(*parsed, public_key(alg)).ok()) << to_string(alg);
    if (alg == Algorithm::kRS256) {
      EXPECT_EQ(fast, slow);
    }
  }
  EXPECT_EQ(PreparedSigner::prepare(tk::test_key(Algorithm::kEdDSA).pkey, Algorithm::kEdDSA),
            nullptr);
}

TEST(JwsSignTest, PreparedSignerForAnotherAlgorithmIsNotUsed) {
  Jwk key = tk::test_key(Algorithm::kPS256);
  key.signer = PreparedSigner::prepare(key.pkey, Algorithm::kRS256);  // wrong padding for PS256
  auto token = sign_compact(key, {}, kClaimsJson);
  ASSERT_TRUE(token.ok());
  auto parsed = parse_compact(*token);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(verify_signature(*parsed, public_key(Algorithm::kPS256)).ok());
}

TEST(JwsSignTest, PublicKeyCannotSign) {
  auto token = sign_compact(public_key(Algorithm::kRS256), {}, kClaimsJson);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error(), Error::kJwkNoPrivateKey);
}

TEST(JwsSignTest, KeyRefusesToSignWithAnAlgorithmItIsNotBoundTo) {
  auto token = sign_compact_raw(tk::test_key(Algorithm::kRS256), Algorithm::kPS256,
                                R"({"alg":"PS256"})", kClaimsJson);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error(), Error::kAlgKeyMismatch);
  token = sign_compact_raw(tk::test_key(Algorithm::kEdDSA), Algorithm::kES256, R"({"alg":"ES256"})",
                           kClaimsJson);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error(), Error::kAlgKeyMismatch);
}

// --- mutation: every flipped bit and every truncation must fail -------------------------------

enum class Source {
  kTestRS256,
  kTestPS256,
  kTestES256,
  kTestEdDSA,
  kRfc7515A2,
  kRfc7515A3,
  kRfc8037A4,
  kRfc7520S41,
  kBilboPs256,
};

struct Signed {
  std::string token;
  Jwk key;
};

Signed signed_token(Source s) {
  switch (s) {
    case Source::kTestRS256:
      return {mint(Algorithm::kRS256), public_key(Algorithm::kRS256)};
    case Source::kTestPS256:
      return {mint(Algorithm::kPS256), public_key(Algorithm::kPS256)};
    case Source::kTestES256:
      return {mint(Algorithm::kES256), public_key(Algorithm::kES256)};
    case Source::kTestEdDSA:
      return {mint(Algorithm::kEdDSA), public_key(Algorithm::kEdDSA)};
    case Source::kRfc7515A2:
      return {std::string(tk::kRfc7515A2Token), parse_jwk_or_die(tk::kRfc7515A2PublicJwk)};
    case Source::kRfc7515A3:
      return {std::string(tk::kRfc7515A3Token), parse_jwk_or_die(tk::kRfc7515A3PublicJwk)};
    case Source::kRfc8037A4:
      return {std::string(tk::kRfc8037A4Token), parse_jwk_or_die(tk::kRfc8037A2PublicJwk)};
    case Source::kRfc7520S41:
      return {std::string(tk::kRfc7520S41Token), parse_jwk_or_die(tk::kRfc7520RsaPublicJwk)};
    case Source::kBilboPs256:
      return {std::string(tk::kBilboPs256Token), parse_jwk_or_die(tk::kRfc7520RsaPublicJwk)};
  }
  return {};
}

std::string source_name(Source s) {
  constexpr std::string_view kNames[] = {"TestRS256", "TestPS256",  "TestES256",
                                         "TestEdDSA", "Rfc7515A2",  "Rfc7515A3",
                                         "Rfc8037A4", "Rfc7520S41", "BilboPs256"};
  return std::string(kNames[static_cast<int>(s)]);
}

class JwsMutationTest : public ::testing::TestWithParam<Source> {
 protected:
  void SetUp() override {
    original_ = signed_token(GetParam());
    ASSERT_TRUE(parse_and_verify(original_.token, original_.key).ok())
        << "the unmutated token must verify";
  }
  Signed original_;
};

TEST_P(JwsMutationTest, EveryFlippedBitOfTheTokenFails) {
  std::size_t failed_parse = 0;
  std::size_t failed_verify = 0;
  std::string token = original_.token;
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      token[i] = static_cast<char>(original_.token[i] ^ (1 << bit));
      auto parsed = parse_compact(token);
      if (!parsed) {
        ++failed_parse;
      } else {
        auto verified = verify_signature(*parsed, original_.key);
        ASSERT_FALSE(verified.ok())
            << "accepted with bit " << bit << " of char " << i << " flipped: " << token;
        ++failed_verify;
      }
    }
    token[i] = original_.token[i];
  }
  EXPECT_EQ(failed_parse + failed_verify, 8 * token.size());
  // Both stages are exercised: the test is not only ever stopped by the parser.
  EXPECT_GT(failed_parse, 0u);
  EXPECT_GT(failed_verify, 0u);
}

TEST_P(JwsMutationTest, EveryTruncationFails) {
  for (std::size_t n = 0; n < original_.token.size(); ++n) {
    const std::string_view prefix = std::string_view(original_.token).substr(0, n);
    ASSERT_FALSE(parse_and_verify(prefix, original_.key).ok()) << "accepted prefix of " << n;
  }
}

TEST_P(JwsMutationTest, EveryDroppedCharacterFails) {
  for (std::size_t i = 0; i < original_.token.size(); ++i) {
    std::string token = original_.token;
    token.erase(i, 1);
    ASSERT_FALSE(parse_and_verify(token, original_.key).ok()) << "accepted without char " << i;
  }
}

TEST_P(JwsMutationTest, AnythingAppendedFails) {
  for (std::string_view tail : {"A", "AA", "AAAA", ".", "=", " ", "\n", ".e30"}) {
    EXPECT_FALSE(parse_and_verify(original_.token + std::string(tail), original_.key).ok())
        << "accepted with \"" << tail << "\" appended";
  }
}

TEST_P(JwsMutationTest, AFlippedBitInEveryByteOfTheSignatureIsAnInvalidSignature) {
  TokenParts parts = split(original_.token);
  const std::string signature = decoded(parts.signature_b64);
  for (std::size_t i = 0; i < signature.size(); ++i) {
    {
      // One bit per byte, cycling through the eight positions, keeps this fast; the test on
      // the token's characters above flips all eight bits of every character.
      const int bit = static_cast<int>(i % 8);
      std::string mutated = signature;
      mutated[i] = static_cast<char>(mutated[i] ^ (1 << bit));
      parts.signature_b64 = base64url_encode(mutated);
      ASSERT_EQ(refusal(join(parts), original_.key), Error::kSignatureInvalid)
          << "bit " << bit << " of signature byte " << i;
    }
  }
}

TEST_P(JwsMutationTest, AFlippedBitInEveryByteOfThePayloadIsAnInvalidSignature) {
  TokenParts parts = split(original_.token);
  const std::string payload = decoded(parts.payload_b64);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    {
      // One bit per byte, cycling through the eight positions, keeps this fast; the test on
      // the token's characters above flips all eight bits of every character.
      const int bit = static_cast<int>(i % 8);
      std::string mutated = payload;
      mutated[i] = static_cast<char>(mutated[i] ^ (1 << bit));
      parts.payload_b64 = base64url_encode(mutated);
      ASSERT_EQ(refusal(join(parts), original_.key), Error::kSignatureInvalid)
          << "bit " << bit << " of payload byte " << i;
    }
  }
}

TEST_P(JwsMutationTest, AFlippedBitInEveryByteOfTheHeaderFails) {
  TokenParts parts = split(original_.token);
  const std::string header = decoded(parts.header_b64);
  for (std::size_t i = 0; i < header.size(); ++i) {
    {
      // One bit per byte, cycling through the eight positions, keeps this fast; the test on
      // the token's characters above flips all eight bits of every character.
      const int bit = static_cast<int>(i % 8);
      std::string mutated = header;
      mutated[i] = static_cast<char>(mutated[i] ^ (1 << bit));
      parts.header_b64 = base64url_encode(mutated);
      ASSERT_TRUE(refusal(join(parts), original_.key).has_value()) << "accepted header " << mutated;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tokens, JwsMutationTest,
                         ::testing::Values(Source::kTestRS256, Source::kTestPS256,
                                           Source::kTestES256, Source::kTestEdDSA,
                                           Source::kRfc7515A2, Source::kRfc7515A3,
                                           Source::kRfc8037A4, Source::kRfc7520S41,
                                           Source::kBilboPs256),
                         [](const auto& info) { return source_name(info.param); });

// --- attacks, one test each ------------------------------------------------------------------

TEST(JwsAttackTest, AlgNoneInAnyLetterCaseIsRefused) {
  for (std::string_view none : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = R"({"alg":")" + std::string(none) + R"("})";
    // With some signature bytes, the header is what refuses it.
    EXPECT_EQ(parse_refusal(forge(header, kClaimsJson, "sig")), Error::kAlgNone) << none;
    // The classic unsecured JWS has an empty signature segment.
    const std::string unsecured =
        base64url_encode(header) + "." + base64url_encode(kClaimsJson) + ".";
    EXPECT_EQ(parse_refusal(unsecured), Error::kTokenEmptySignature) << none;
  }
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                      reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
                      sizeof out, &len),
            nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string public_key_pem(const Jwk& key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio.get(), key.pkey.get()), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

TEST(JwsAttackTest, Hs256SignedWithTheRsaPublicKeyAsSecretIsRefused) {
  // The key confusion attack: the attacker HMACs with bytes of the public key, hoping the
  // verifier feeds the same bytes to HMAC. The public key is not a secret; HS* never verifies.
  const Jwk key = public_key(Algorithm::kRS256);
  const std::string secrets[] = {public_key_pem(key), json::serialize(to_public_json(key))};
  for (const std::string& secret : secrets) {
    for (std::string_view hs : {"HS256", "HS384", "HS512"}) {
      const std::string header = R"({"alg":")" + std::string(hs) + R"(","kid":"test-RS256"})";
      const std::string input = base64url_encode(header) + "." + base64url_encode(kClaimsJson);
      const std::string token = input + "." + base64url_encode(hmac_sha256(secret, input));
      EXPECT_EQ(refusal(token, key), Error::kAlgHmac) << hs;
    }
  }
}

TEST(JwsAttackTest, AlgSwapRs256ToPs256IsRefusedByAnRs256Key) {
  // A genuine RS256 token with its header rewritten to PS256.
  TokenParts parts = split(mint(Algorithm::kRS256));
  parts.header_b64 = base64url_encode(R"({"typ":"JWT","alg":"PS256","kid":"test-RS256"})");
  EXPECT_EQ(refusal(join(parts), public_key(Algorithm::kRS256)), Error::kAlgKeyMismatch);
}

TEST(JwsAttackTest, KeyBoundToRs256RefusesAGenuinePs256Signature) {
  // The same RSA key, used for PS256 by someone who holds it: the key's "alg" still wins.
  const Jwk unbound = without_alg(tk::test_key(Algorithm::kRS256));
  const std::string token = sign_raw(unbound, Algorithm::kPS256, R"({"alg":"PS256"})");
  EXPECT_EQ(refusal(token, public_key(Algorithm::kRS256)), Error::kAlgKeyMismatch);
  // Control: the signature itself is good, as an unbound copy of the key shows.
  EXPECT_TRUE(parse_and_verify(token, without_alg(public_key(Algorithm::kRS256))).ok());
}

TEST(JwsAttackTest, KeyBoundToPs256RefusesAGenuineRs256Signature) {
  const Jwk unbound = without_alg(tk::test_key(Algorithm::kPS256));
  const std::string token = sign_raw(unbound, Algorithm::kRS256, R"({"alg":"RS256"})");
  EXPECT_EQ(refusal(token, public_key(Algorithm::kPS256)), Error::kAlgKeyMismatch);
  EXPECT_TRUE(parse_and_verify(token, without_alg(public_key(Algorithm::kPS256))).ok());
}

TEST(JwsAttackTest, Es256TokenAgainstAnRsaKeyIsRefused) {
  const std::string token = mint(Algorithm::kES256);
  EXPECT_EQ(refusal(token, public_key(Algorithm::kRS256)), Error::kAlgKeyMismatch);
  EXPECT_EQ(refusal(token, without_alg(public_key(Algorithm::kRS256))), Error::kAlgKeyMismatch);
}

TEST(JwsAttackTest, TokenAgainstAKeyOfAnotherTypeIsRefused) {
  EXPECT_EQ(refusal(mint(Algorithm::kEdDSA), without_alg(public_key(Algorithm::kES256))),
            Error::kAlgKeyMismatch);
  EXPECT_EQ(refusal(mint(Algorithm::kRS256), without_alg(public_key(Algorithm::kEdDSA))),
            Error::kAlgKeyMismatch);
  EXPECT_EQ(refusal(mint(Algorithm::kES256), without_alg(public_key(Algorithm::kEdDSA))),
            Error::kAlgKeyMismatch);
}

TEST(JwsAttackTest, JkuHeaderIsRefused) {
  const std::string token = sign_raw(tk::test_key(Algorithm::kRS256), Algorithm::kRS256,
                                     R"({"alg":"RS256","jku":"https://evil.example/jwks.json"})");
  EXPECT_EQ(parse_refusal(token), Error::kHeaderJku);
}

TEST(JwsAttackTest, X5uHeaderIsRefused) {
  const std::string token = sign_raw(tk::test_key(Algorithm::kRS256), Algorithm::kRS256,
                                     R"({"alg":"RS256","x5u":"https://evil.example/cert.pem"})");
  EXPECT_EQ(parse_refusal(token), Error::kHeaderX5u);
}

TEST(JwsAttackTest, EmbeddedJwkHeaderIsRefused) {
  // The attacker signs with their own key and embeds its public half (CVE-2018-0114).
  const Jwk& attacker = tk::other_key(Algorithm::kES256);
  const std::string header =
      R"({"alg":"ES256","jwk":)" + json::serialize(to_public_json(attacker)) + "}";
  EXPECT_EQ(parse_refusal(sign_raw(attacker, Algorithm::kES256, header)), Error::kHeaderJwk);
}

TEST(JwsEmbeddedJwkTest, AllowedOnlyWhenTheCallerOptsIn) {
  // DPoP proofs carry their key; the member is left in the header for the caller to parse.
  const Jwk& key = tk::test_key(Algorithm::kES256);
  const std::string token =
      sign_raw(key, Algorithm::kES256,
               R"({"alg":"ES256","jwk":)" + json::serialize(to_public_json(key)) + "}");
  JwsLimits proof_limits;
  proof_limits.allow_embedded_jwk = true;
  auto parsed = parse_compact(token, proof_limits);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  EXPECT_TRUE(parsed->header.at("jwk").is_object());
  EXPECT_EQ(parse_refusal(token), Error::kHeaderJwk);  // the default stays a refusal
}

TEST(JwsEmbeddedJwkTest, OtherKeySourcesStayRefusedWhenJwkIsAllowed) {
  JwsLimits proof_limits;
  proof_limits.allow_embedded_jwk = true;
  const Jwk& key = tk::test_key(Algorithm::kES256);
  const std::string jwk = json::serialize(to_public_json(key));
  const std::pair<std::string, Error> cases[] = {
      {R"({"alg":"ES256","jwk":)" + jwk + R"(,"jku":"https://attacker.example/jwks"})",
       Error::kHeaderJku},
      {R"({"alg":"ES256","jwk":)" + jwk + R"(,"x5u":"https://attacker.example/cert"})",
       Error::kHeaderX5u},
      {R"({"alg":"ES256","jwk":)" + jwk + R"(,"x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOC"]})",
       Error::kHeaderX5c},
      {R"({"alg":"ES256","jwk":)" + jwk + R"(,"crit":["exp"],"exp":1})", Error::kCritUnknown},
  };
  for (const auto& [header, error] : cases) {
    EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kES256, header), proof_limits), error)
        << header;
  }
}

TEST(JwsAttackTest, EmbeddedX5cHeaderIsRefused) {
  const std::string token = sign_raw(tk::test_key(Algorithm::kRS256), Algorithm::kRS256,
                                     R"({"alg":"RS256","x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOC"]})");
  EXPECT_EQ(parse_refusal(token), Error::kHeaderX5c);
}

TEST(JwsAttackTest, CritNamingAnUnknownExtensionIsRefused) {
  for (std::string_view header : {R"({"alg":"ES256","crit":["exp"],"exp":1363284000})",
                                  R"({"alg":"ES256","crit":["b64"],"b64":true})",
                                  R"({"alg":"ES256","crit":["x","y"],"x":1,"y":2})"}) {
    const std::string token = sign_raw(tk::test_key(Algorithm::kES256), Algorithm::kES256, header);
    EXPECT_EQ(parse_refusal(token), Error::kCritUnknown) << header;
  }
}

TEST(JwsAttackTest, MalformedCritIsRefused) {
  for (std::string_view header :
       {R"({"alg":"ES256","crit":[]})", R"({"alg":"ES256","crit":"exp"})",
        R"({"alg":"ES256","crit":[1]})", R"({"alg":"ES256","crit":["exp",null]})",
        R"({"alg":"ES256","crit":{}})", R"({"alg":"ES256","crit":null})",
        R"({"alg":"ES256","crit":true})"}) {
    const std::string token = sign_raw(tk::test_key(Algorithm::kES256), Algorithm::kES256, header);
    EXPECT_EQ(parse_refusal(token), Error::kCritMalformed) << header;
  }
}

TEST(JwsAttackTest, UnencodedPayloadB64FalseIsRefused) {
  for (std::string_view header :
       {R"({"alg":"EdDSA","b64":false})", R"({"alg":"EdDSA","b64":"false"})",
        R"({"alg":"EdDSA","b64":0})", R"({"alg":"EdDSA","b64":null})"}) {
    const std::string token = sign_raw(tk::test_key(Algorithm::kEdDSA), Algorithm::kEdDSA, header);
    EXPECT_EQ(parse_refusal(token), Error::kB64Unencoded) << header;
  }
  // "b64": true is the default behaviour spelled out, and harmless.
  const std::string token =
      sign_raw(tk::test_key(Algorithm::kEdDSA), Algorithm::kEdDSA, R"({"alg":"EdDSA","b64":true})");
  EXPECT_TRUE(parse_and_verify(token, public_key(Algorithm::kEdDSA)).ok());
}

TEST(JwsAttackTest, TwoSegmentsAreRefused) {
  const TokenParts p = split(mint(Algorithm::kRS256));
  EXPECT_EQ(parse_refusal(p.header_b64 + "." + p.payload_b64), Error::kTokenSegments);
  EXPECT_EQ(parse_refusal(p.header_b64 + p.payload_b64 + "." + p.signature_b64),
            Error::kTokenSegments);
  EXPECT_EQ(parse_refusal(p.header_b64), Error::kTokenSegments);
}

TEST(JwsAttackTest, FourSegmentsAreRefused) {
  const std::string token = mint(Algorithm::kRS256);
  EXPECT_EQ(parse_refusal(token + "."), Error::kTokenSegments);
  EXPECT_EQ(parse_refusal(token + ".e30"), Error::kTokenSegments);
  EXPECT_EQ(parse_refusal("." + token), Error::kTokenSegments);
}

TEST(JwsAttackTest, FiveSegmentsJweShapedAreRefused) {
  // header.encrypted_key.iv.ciphertext.tag (RFC 7516 §7.1).
  const std::string jwe = base64url_encode(R"({"alg":"RSA-OAEP","enc":"A256GCM"})") +
                          ".OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe" +
                          ".48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpz" +
                          ".XFBoMYUZodetZdvTiFvSkQ";
  EXPECT_EQ(parse_refusal(jwe), Error::kTokenSegments);
  EXPECT_EQ(parse_refusal("...."), Error::kTokenSegments);
}

TEST(JwsAttackTest, EmptyTokenIsRefused) {
  EXPECT_EQ(parse_refusal(""), Error::kTokenEmpty);
}

TEST(JwsAttackTest, EmptyPayloadIsRefused) {
  const TokenParts p = split(mint(Algorithm::kRS256));
  EXPECT_EQ(parse_refusal(p.header_b64 + ".." + p.signature_b64), Error::kTokenEmptyPayload);
  // Even correctly signed over an empty payload (a detached-content JWS, RFC 7515 Appendix F).
  auto detached = sign_compact_raw(tk::test_key(Algorithm::kEdDSA), Algorithm::kEdDSA,
                                   R"({"alg":"EdDSA"})", "");
  ASSERT_TRUE(detached.ok());
  EXPECT_EQ(parse_refusal(*detached), Error::kTokenEmptyPayload);
}

TEST(JwsAttackTest, EmptySignatureIsRefused) {
  const TokenParts p = split(mint(Algorithm::kRS256));
  EXPECT_EQ(parse_refusal(p.header_b64 + "." + p.payload_b64 + "."), Error::kTokenEmptySignature);
}

TEST(JwsAttackTest, EmptyHeaderIsRefused) {
  const TokenParts p = split(mint(Algorithm::kRS256));
  EXPECT_EQ(parse_refusal("." + p.payload_b64 + "." + p.signature_b64), Error::kJsonSyntax);
}

TEST(JwsAttackTest, DuplicateAlgInHeaderIsRefused) {
  // Correctly signed, so only the duplicate can be the reason: one parser might read RS256,
  // another none.
  const Jwk& key = tk::test_key(Algorithm::kRS256);
  EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kRS256, R"({"alg":"RS256","alg":"none"})")),
            Error::kJsonDuplicateMember);
  EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kRS256, R"({"alg":"none","alg":"RS256"})")),
            Error::kJsonDuplicateMember);
  EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kRS256, R"({"alg":"RS256","alg":"RS256"})")),
            Error::kJsonDuplicateMember);
  EXPECT_EQ(
      parse_refusal(sign_raw(key, Algorithm::kRS256, R"({"alg":"RS256","kid":"a","kid":"b"})")),
      Error::kJsonDuplicateMember);
}

TEST(JwsAttackTest, HeaderThatIsNotAnObjectIsRefused) {
  const Jwk& key = tk::test_key(Algorithm::kEdDSA);
  for (std::string_view header : {R"(["alg","EdDSA"])", R"("EdDSA")", "1", "null", "true"}) {
    EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kEdDSA, header)), Error::kJsonNotObject)
        << header;
  }
  EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kEdDSA, R"({"alg":"EdDSA")")),
            Error::kJsonSyntax);
}

TEST(JwsAttackTest, HeaderThatIsNotBase64urlIsRefused) {
  const TokenParts p = split(mint(Algorithm::kRS256));
  EXPECT_EQ(parse_refusal(p.header_b64 + "=." + p.payload_b64 + "." + p.signature_b64),
            Error::kBase64Padding);
  EXPECT_EQ(parse_refusal("eyJ+" + p.header_b64 + "." + p.payload_b64 + "." + p.signature_b64),
            Error::kBase64Alphabet);
}

TEST(JwsAttackTest, OversizedTokenIsRefused) {
  const std::string token = mint(Algorithm::kES256);
  JwsLimits limits;
  limits.max_token_bytes = token.size();
  EXPECT_TRUE(parse_compact(token, limits).ok());
  limits.max_token_bytes = token.size() - 1;
  EXPECT_EQ(parse_refusal(token, limits), Error::kTokenTooLarge);
  // The default limit: a correctly signed 9 KB token.
  json::object big = claims();
  big["padding"] = std::string(9000, 'x');
  EXPECT_EQ(parse_refusal(tk::mint(tk::test_key(Algorithm::kES256), big)), Error::kTokenTooLarge);
}

TEST(JwsAttackTest, HeaderJsonLimitsApply) {
  JwsLimits limits;
  limits.json.max_string_bytes = 16;
  const std::string token = sign_raw(tk::test_key(Algorithm::kEdDSA), Algorithm::kEdDSA,
                                     R"({"alg":"EdDSA","kid":"a-kid-longer-than-16"})");
  EXPECT_EQ(parse_refusal(token, limits), Error::kJsonTooLarge);
  const std::string deep =
      sign_raw(tk::test_key(Algorithm::kEdDSA), Algorithm::kEdDSA,
               R"({"alg":"EdDSA","x":)" + std::string(100, '[') + std::string(100, ']') + "}");
  EXPECT_EQ(parse_refusal(deep), Error::kJsonTooDeep);
}

// Replaces a token's signature with `signature` bytes.
std::string with_signature(std::string_view token, std::string_view signature) {
  TokenParts p = split(token);
  p.signature_b64 = base64url_encode(signature);
  return join(p);
}

TEST(JwsAttackTest, Es256SignatureOfWrongLengthIsRefused) {
  const std::string token = mint(Algorithm::kES256);
  const std::string good = decoded(split(token).signature_b64);
  for (std::size_t len : {1u, 32u, 63u, 65u, 66u, 96u, 128u, 132u}) {
    std::string sig = good;
    sig.resize(len, '\x01');
    EXPECT_EQ(refusal(with_signature(token, sig), public_key(Algorithm::kES256)),
              Error::kSignatureLength)
        << len;
  }
}

// The order n of the P-256 group (FIPS 186-4 D.1.2.3), base64url.
constexpr std::string_view kP256OrderB64 = "_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE";

// DER INTEGER for a 32-byte big-endian value, with the 0x00 DER needs before a high bit.
std::string der_integer(const std::string& be32) {
  std::string body = be32;
  if (static_cast<unsigned char>(body[0]) & 0x80) {
    body.insert(body.begin(), '\0');
  }
  return std::string("\x02", 1) + static_cast<char>(body.size()) + body;
}
std::string der_signature(const std::string& r, const std::string& s) {
  const std::string seq = der_integer(r) + der_integer(s);
  return std::string("\x30", 1) + static_cast<char>(seq.size()) + seq;
}

TEST(JwsAttackTest, Es256DerEncodedSignatureIsRefused) {
  // OpenSSL's native ECDSA format is DER; JWS uses R || S. A verifier that accepted either
  // would accept two encodings of one signature.
  const std::string token = mint(Algorithm::kES256);
  const std::string raw = decoded(split(token).signature_b64);
  const std::string r = raw.substr(0, 32);
  const std::string s = raw.substr(32);
  EXPECT_EQ(refusal(with_signature(token, der_signature(r, s)), public_key(Algorithm::kES256)),
            Error::kSignatureLength);
  // Each DER length a P-256 signature can have: 70 (no high bits), 71 (one), 72 (both).
  std::string low_r = r, low_s = s, high_r = r, high_s = s;
  low_r[0] = static_cast<char>((low_r[0] & 0x7f) | 0x40);
  low_s[0] = static_cast<char>((low_s[0] & 0x7f) | 0x40);
  high_r[0] = static_cast<char>(high_r[0] | 0x80);
  high_s[0] = static_cast<char>(high_s[0] | 0x80);
  const std::string ders[] = {der_signature(low_r, low_s), der_signature(high_r, low_s),
                              der_signature(high_r, high_s)};
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(ders[i].size(), 70 + i);
    EXPECT_EQ(refusal(with_signature(token, ders[i]), public_key(Algorithm::kES256)),
              Error::kSignatureLength)
        << ders[i].size();
  }
}

TEST(JwsAttackTest, Es256ZeroSignatureIsRefused) {
  // r = s = 0 verified every message in Java 15-18 (CVE-2022-21449, "psychic signatures").
  const std::string token = mint(Algorithm::kES256);
  const std::string raw = decoded(split(token).signature_b64);
  const std::string zero(32, '\0');
  EXPECT_EQ(refusal(with_signature(token, zero + zero), public_key(Algorithm::kES256)),
            Error::kSignatureInvalid);
  EXPECT_EQ(refusal(with_signature(token, zero + raw.substr(32)), public_key(Algorithm::kES256)),
            Error::kSignatureInvalid);
  EXPECT_EQ(refusal(with_signature(token, raw.substr(0, 32) + zero), public_key(Algorithm::kES256)),
            Error::kSignatureInvalid);
}

TEST(JwsAttackTest, Es256SignatureWithScalarsAtTheGroupOrderIsRefused) {
  // r and s must be in [1, n-1]; n itself (and n + r, which fits in 32 bytes for small r) are
  // the values a sloppy verifier reduces mod n.
  const std::string order = decoded(kP256OrderB64);
  ASSERT_EQ(order.size(), 32u);
  const std::string token = mint(Algorithm::kES256);
  const std::string raw = decoded(split(token).signature_b64);
  EXPECT_EQ(refusal(with_signature(token, order + order), public_key(Algorithm::kES256)),
            Error::kSignatureInvalid);
  EXPECT_EQ(
      refusal(with_signature(token, raw.substr(0, 32) + order), public_key(Algorithm::kES256)),
      Error::kSignatureInvalid);
}

TEST(JwsAttackTest, Es256HighSMalleabilityIsNotANewToken) {
  // (r, n - s) is the other valid ECDSA signature of the same message. It verifies (ECDSA
  // allows it; JWS does not forbid it) but carries the same header and payload, so it cannot
  // change what the token says. This test documents that behaviour.
  const std::string token = mint(Algorithm::kES256);
  const std::string raw = decoded(split(token).signature_b64);
  const std::string order = decoded(kP256OrderB64);
  const BnPtr n(BN_bin2bn(reinterpret_cast<const unsigned char*>(order.data()), 32, nullptr));
  const BnPtr s(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  ASSERT_EQ(BN_sub(s.get(), n.get(), s.get()), 1);
  std::string flipped_s(32, '\0');
  ASSERT_EQ(BN_bn2binpad(s.get(), reinterpret_cast<unsigned char*>(flipped_s.data()), 32), 32);
  const std::string twin = with_signature(token, raw.substr(0, 32) + flipped_s);
  EXPECT_NE(twin, token);
  EXPECT_TRUE(parse_and_verify(twin, public_key(Algorithm::kES256)).ok());
  EXPECT_EQ(split(twin).header_b64 + split(twin).payload_b64,
            split(token).header_b64 + split(token).payload_b64);
}

TEST(JwsAttackTest, EdDsaSignatureOfWrongLengthIsRefused) {
  const std::string token = mint(Algorithm::kEdDSA);
  const std::string good = decoded(split(token).signature_b64);
  for (std::size_t len : {32u, 63u, 65u, 114u}) {
    std::string sig = good;
    sig.resize(len, '\0');
    EXPECT_EQ(refusal(with_signature(token, sig), public_key(Algorithm::kEdDSA)),
              Error::kSignatureLength)
        << len;
  }
}

TEST(JwsAttackTest, RsaSignatureOneByteShortIsRefused) {
  for (Algorithm alg : {Algorithm::kRS256, Algorithm::kPS256}) {
    const std::string token = mint(alg);
    const std::string good = decoded(split(token).signature_b64);
    ASSERT_EQ(good.size(), 256u);
    EXPECT_EQ(refusal(with_signature(token, good.substr(0, 255)), public_key(alg)),
              Error::kSignatureLength);
    EXPECT_EQ(refusal(with_signature(token, good.substr(1)), public_key(alg)),
              Error::kSignatureLength);
  }
}

TEST(JwsAttackTest, RsaSignatureWithALeadingZeroByteIsRefused) {
  // Same integer, one byte longer: RFC 7518 §3.3 fixes the length to the modulus size.
  const std::string token = mint(Algorithm::kRS256);
  const std::string good = decoded(split(token).signature_b64);
  EXPECT_EQ(
      refusal(with_signature(token, std::string(1, '\0') + good), public_key(Algorithm::kRS256)),
      Error::kSignatureLength);
}

TEST(JwsAttackTest, RsaSignatureAboveTheModulusIsRefused) {
  const std::string token = mint(Algorithm::kRS256);
  EXPECT_EQ(refusal(with_signature(token, std::string(256, '\xff')), public_key(Algorithm::kRS256)),
            Error::kSignatureInvalid);
  EXPECT_EQ(refusal(with_signature(token, std::string(256, '\0')), public_key(Algorithm::kRS256)),
            Error::kSignatureInvalid);
}

TEST(JwsAttackTest, KidThatIsNotAStringIsRefused) {
  const Jwk& key = tk::test_key(Algorithm::kEdDSA);
  for (std::string_view header :
       {R"({"alg":"EdDSA","kid":123})", R"({"alg":"EdDSA","kid":null})",
        R"({"alg":"EdDSA","kid":["test-EdDSA"]})", R"({"alg":"EdDSA","kid":{"k":"v"}})"}) {
    EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kEdDSA, header)), Error::kKidNotString)
        << header;
  }
}

TEST(JwsAttackTest, TypThatIsNotAStringIsRefused) {
  const Jwk& key = tk::test_key(Algorithm::kEdDSA);
  for (std::string_view header : {R"({"alg":"EdDSA","typ":1})", R"({"alg":"EdDSA","typ":null})",
                                  R"({"alg":"EdDSA","typ":["JWT"]})"}) {
    EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kEdDSA, header)), Error::kTypNotString)
        << header;
  }
}

TEST(JwsAttackTest, MissingOrNonStringAlgIsRefused) {
  const Jwk& key = tk::test_key(Algorithm::kEdDSA);
  EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kEdDSA, R"({"typ":"JWT"})")),
            Error::kAlgMissing);
  EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kEdDSA, "{}")), Error::kAlgMissing);
  for (std::string_view header :
       {R"({"alg":null})", R"({"alg":1})", R"({"alg":["EdDSA"]})", R"({"alg":true})"}) {
    EXPECT_EQ(parse_refusal(sign_raw(key, Algorithm::kEdDSA, header)), Error::kAlgNotString)
        << header;
  }
}

TEST(JwsAttackTest, UnsupportedAlgIsRefusedBeforeAnyKeyIsConsulted) {
  for (std::string_view alg : {"RS512", "ES384", "PS512", "ES256K", "eddsa", "RSA-OAEP"}) {
    const std::string header = R"({"alg":")" + std::string(alg) + R"("})";
    EXPECT_EQ(parse_refusal(forge(header, kClaimsJson, std::string(64, 'x'))),
              Error::kAlgUnsupported)
        << alg;
  }
}

TEST(JwsAttackTest, SignatureThatIsNotBase64urlIsRefused) {
  const TokenParts p = split(mint(Algorithm::kEdDSA));
  const std::string prefix = p.header_b64 + "." + p.payload_b64 + ".";
  EXPECT_EQ(parse_refusal(prefix + p.signature_b64 + "=="), Error::kBase64Padding);
  std::string plus = p.signature_b64;
  plus[3] = '+';
  EXPECT_EQ(parse_refusal(prefix + plus), Error::kBase64Alphabet);
  EXPECT_EQ(parse_refusal(prefix + p.signature_b64 + "AAA"), Error::kBase64Length);  // 89 chars
}

TEST(JwsAttackTest, PayloadThatIsNotBase64urlIsRefusedByParse) {
  // parse_compact promises that every malformed token fails before any crypto; a payload
  // segment outside the base64url rules is malformed.
  const TokenParts p = split(mint(Algorithm::kEdDSA));
  const std::string rest = "." + p.signature_b64;
  EXPECT_EQ(parse_refusal(p.header_b64 + ".e30+" + rest), Error::kBase64Alphabet);
  EXPECT_EQ(parse_refusal(p.header_b64 + ".e30=" + rest), Error::kBase64Padding);
  EXPECT_EQ(parse_refusal(p.header_b64 + ".e31" + rest), Error::kBase64NonCanonical);
  EXPECT_EQ(parse_refusal(p.header_b64 + ".e30Ae" + rest), Error::kBase64Length);
}

TEST(JwsAttackTest, DuplicateClaimInASignedPayloadIsRefused) {
  // A signed payload may still be ambiguous; decode_payload refuses it.
  const std::string token = sign_raw(tk::test_key(Algorithm::kEdDSA), Algorithm::kEdDSA,
                                     R"({"alg":"EdDSA"})", R"({"sub":"alice","sub":"admin"})");
  auto parsed = parse_compact(token);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(verify_signature(*parsed, public_key(Algorithm::kEdDSA)).ok());
  EXPECT_EQ(decode_payload(*parsed).error(), Error::kJsonDuplicateMember);
}

TEST(JwsAttackTest, SignedPayloadThatIsNotAnObjectIsRefused) {
  const std::string token = sign_raw(tk::test_key(Algorithm::kEdDSA), Algorithm::kEdDSA,
                                     R"({"alg":"EdDSA"})", R"(["sub","alice"])");
  auto parsed = parse_compact(token);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(verify_signature(*parsed, public_key(Algorithm::kEdDSA)).ok());
  EXPECT_EQ(decode_payload(*parsed).error(), Error::kJsonNotObject);
}

}  // namespace
}  // namespace signet::jose
