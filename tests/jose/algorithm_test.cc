#include "signet/jose/algorithm.h"

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "tests/test_common/jose_printers.h"

namespace signet::jose {
namespace {

constexpr Algorithm kAll[] = {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                              Algorithm::kEdDSA};

TEST(AlgorithmTest, NamesRoundTrip) {
  for (const Algorithm a : kAll) {
    auto parsed = parse_algorithm(to_string(a));
    ASSERT_TRUE(parsed.ok()) << to_string(a);
    EXPECT_EQ(*parsed, a);
  }
  EXPECT_EQ(to_string(Algorithm::kRS256), "RS256");
  EXPECT_EQ(to_string(Algorithm::kPS256), "PS256");
  EXPECT_EQ(to_string(Algorithm::kES256), "ES256");
  EXPECT_EQ(to_string(Algorithm::kEdDSA), "EdDSA");
}

TEST(AlgorithmTest, KeyTypeNames) {
  EXPECT_EQ(to_string(KeyType::kRsa), "RSA");
  EXPECT_EQ(to_string(KeyType::kEc), "EC");
  EXPECT_EQ(to_string(KeyType::kOkp), "OKP");
}

TEST(AlgorithmTest, EachAlgorithmBelongsToOneKeyType) {
  EXPECT_EQ(key_type_for(Algorithm::kRS256), KeyType::kRsa);
  EXPECT_EQ(key_type_for(Algorithm::kPS256), KeyType::kRsa);
  EXPECT_EQ(key_type_for(Algorithm::kES256), KeyType::kEc);
  EXPECT_EQ(key_type_for(Algorithm::kEdDSA), KeyType::kOkp);
}

TEST(AlgorithmTest, FixedSignatureLengths) {
  EXPECT_EQ(fixed_signature_length(Algorithm::kES256), std::optional<std::size_t>(64));
  EXPECT_EQ(fixed_signature_length(Algorithm::kEdDSA), std::optional<std::size_t>(64));
  // RSA signatures are as long as the modulus, which only the key knows.
  EXPECT_EQ(fixed_signature_length(Algorithm::kRS256), std::nullopt);
  EXPECT_EQ(fixed_signature_length(Algorithm::kPS256), std::nullopt);
}

struct Refusal {
  std::string_view name;
  std::string_view alg;
  Error error;
};
void PrintTo(const Refusal& r, std::ostream* os) {
  *os << r.name;
}

class ParseAlgorithmRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(ParseAlgorithmRefusalTest, RefusedWithTheExactError) {
  auto parsed = parse_algorithm(GetParam().alg);
  ASSERT_FALSE(parsed.ok()) << "accepted: " << GetParam().alg;
  EXPECT_EQ(parsed.error(), GetParam().error) << to_string(parsed.error());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ParseAlgorithmRefusalTest,
    ::testing::Values(
        // "none" in any letter case is the unsigned-token attack, named as such.
        Refusal{"none", "none", Error::kAlgNone}, Refusal{"None", "None", Error::kAlgNone},
        Refusal{"NONE", "NONE", Error::kAlgNone}, Refusal{"nOnE", "nOnE", Error::kAlgNone},
        // HMAC: a public key must never become a shared secret.
        Refusal{"HS256", "HS256", Error::kAlgHmac}, Refusal{"HS384", "HS384", Error::kAlgHmac},
        Refusal{"HS512", "HS512", Error::kAlgHmac}, Refusal{"hs256", "hs256", Error::kAlgHmac},
        // Everything else we do not implement, including near-misses of what we do.
        Refusal{"RS384", "RS384", Error::kAlgUnsupported},
        Refusal{"RS512", "RS512", Error::kAlgUnsupported},
        Refusal{"PS384", "PS384", Error::kAlgUnsupported},
        Refusal{"PS512", "PS512", Error::kAlgUnsupported},
        Refusal{"ES384", "ES384", Error::kAlgUnsupported},
        Refusal{"ES512", "ES512", Error::kAlgUnsupported},
        Refusal{"ES256K", "ES256K", Error::kAlgUnsupported},
        Refusal{"Ed25519", "Ed25519", Error::kAlgUnsupported},
        Refusal{"LowerCaseRs256", "rs256", Error::kAlgUnsupported},
        Refusal{"UpperCaseEdDSA", "EDDSA", Error::kAlgUnsupported},
        Refusal{"TrailingSpace", "RS256 ", Error::kAlgUnsupported},
        Refusal{"NoneWithSpace", "none ", Error::kAlgUnsupported},
        Refusal{"TrailingNul", std::string_view("RS256\0", 6), Error::kAlgUnsupported},
        Refusal{"Empty", "", Error::kAlgUnsupported},
        Refusal{"JweAlgorithm", "RSA-OAEP", Error::kAlgUnsupported}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace signet::jose
