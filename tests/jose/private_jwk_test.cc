#include "signet/jose/private_jwk.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include "signet/jose/json.h"
#include "signet/jose/jws.h"
#include "tests/test_common/rfc_vectors.h"
#include "tests/test_common/test_keys.h"

namespace signet::jose {
namespace {

namespace tk = signet::testing;
namespace json = boost::json;

constexpr Algorithm kAllAlgorithms[] = {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                                        Algorithm::kEdDSA};

json::object object_of(std::string_view text) {
  auto o = parse_json_object(text);
  EXPECT_TRUE(o.ok()) << text;
  return o.ok() ? o.value() : json::object{};
}

// The RFC's private JWKs come back member for member: the encoding is the published one (RSA
// CRT members included, EC d padded to 32 bytes, the Ed25519 seed as d).
class PrivateJwkVectors : public ::testing::TestWithParam<std::string_view> {};

TEST_P(PrivateJwkVectors, EncodeTheRfcKeyAsPublished) {
  const json::object published = object_of(GetParam());
  auto key = parse_jwk(published);
  ASSERT_TRUE(key.ok()) << to_string(key.error());
  auto encoded = to_private_json(*key);
  ASSERT_TRUE(encoded.has_value());
  for (const auto& [name, value] : published) {
    ASSERT_TRUE(encoded->contains(name)) << name;
    EXPECT_EQ(encoded->at(name), value) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc7515And8037, PrivateJwkVectors,
                         ::testing::Values(tk::kRfc7515A2PrivateJwk, tk::kRfc7515A3PrivateJwk,
                                           tk::kRfc8037A1PrivateJwk));

class PrivateJwkRoundTrip : public ::testing::TestWithParam<Algorithm> {};

// What is written is read back as the same key pair: it signs, and its signature verifies with
// the original public key.
TEST_P(PrivateJwkRoundTrip, ParsesBackIntoAKeyThatSignsForTheOriginal) {
  const Algorithm alg = GetParam();
  auto generated = generate_jwk(alg, "");
  ASSERT_TRUE(generated.ok());
  auto encoded = to_private_json(*generated);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(get_string(*encoded, "alg").value(), to_string(alg));

  auto reread = parse_jwk(json::serialize(*encoded));
  ASSERT_TRUE(reread.ok()) << to_string(reread.error());
  EXPECT_TRUE(reread->has_private);
  EXPECT_EQ(reread->alg, alg);
  EXPECT_EQ(to_public_json(*reread), to_public_json(*generated));

  auto token = sign_compact(*reread, json::object{}, R"({"sub":"x"})");
  ASSERT_TRUE(token.ok());
  auto parsed = parse_compact(*token);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(verify_signature(*parsed, tk::public_half(*generated)).ok());
}

INSTANTIATE_TEST_SUITE_P(EveryAlgorithm, PrivateJwkRoundTrip, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(PrivateJwk, EcScalarKeepsItsLeadingZeroBytes) {
  // d = 1, whose public point is the P-256 generator: 31 leading zero bytes that a minimal
  // big-endian encoding would drop (RFC 7518 §6.2.2.1 wants all 32).
  const json::object key_json{{"kty", "EC"},
                              {"crv", "P-256"},
                              {"x", "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY"},
                              {"y", "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"},
                              {"d", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"}};
  auto key = parse_jwk(key_json);
  ASSERT_TRUE(key.ok()) << to_string(key.error());
  auto encoded = to_private_json(*key);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(encoded->at("d"), key_json.at("d"));
}

TEST(PrivateJwk, PublicKeyHasNoPrivateJson) {
  for (const Algorithm alg : kAllAlgorithms) {
    EXPECT_FALSE(to_private_json(tk::public_half(tk::test_key(alg))).has_value()) << to_string(alg);
  }
}

}  // namespace
}  // namespace signet::jose
