#include "signet/jose/pem.h"

#include <string>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "signet/jose/jws.h"
#include "signet/jose/openssl_handle.h"

namespace signet::jose {
namespace {

constexpr Algorithm kAllAlgorithms[] = {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                                        Algorithm::kEdDSA};

Result<Ok, Error> verify(std::string_view token, const Jwk& key) {
  auto parsed = parse_compact(token);
  if (!parsed) {
    return fail(parsed.error());
  }
  return verify_signature(*parsed, key);
}

// Public half only, as a verifier would have it.
Jwk public_only(const Jwk& key) {
  auto pub = parse_jwk(to_public_json(key));
  EXPECT_TRUE(pub.ok());
  return std::move(pub).value();
}

class PemRoundTrip : public ::testing::TestWithParam<Algorithm> {};

TEST_P(PemRoundTrip, ReimportedKeySignsForTheOriginalPublicKey) {
  const Algorithm alg = GetParam();
  auto original = generate_jwk(alg, "kid-1");
  ASSERT_TRUE(original.ok());
  auto pem = private_key_pem(*original);
  ASSERT_TRUE(pem.ok());
  EXPECT_TRUE(pem->starts_with("-----BEGIN PRIVATE KEY-----\n"));

  auto imported = parse_private_key_pem(*pem, alg, "kid-1");
  ASSERT_TRUE(imported.ok()) << to_string(imported.error());
  EXPECT_EQ(imported->kid, "kid-1");
  EXPECT_EQ(imported->alg, alg);
  EXPECT_EQ(imported->kty, key_type_for(alg));
  EXPECT_TRUE(imported->has_private);
  EXPECT_EQ(imported->verifiers == nullptr, original->verifiers == nullptr);
  EXPECT_EQ(imported->rsa_modulus_bytes, original->rsa_modulus_bytes);
  EXPECT_EQ(to_public_json(*imported), to_public_json(*original));

  auto token = sign_compact(*imported, {}, R"({"sub":"x"})");
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(verify(*token, public_only(*original)).ok());
  // And the other way round: the imported key's verifiers accept the original's signatures.
  auto token2 = sign_compact(*original, {}, R"({"sub":"y"})");
  ASSERT_TRUE(token2.ok());
  EXPECT_TRUE(verify(*token2, *imported).ok());
}

INSTANTIATE_TEST_SUITE_P(All, PemRoundTrip, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(PemTest, KeyOfTheWrongTypeForTheAlgorithmIsRefused) {
  struct Case {
    Algorithm generated;
    Algorithm claimed;
  };
  const Case cases[] = {
      {Algorithm::kES256, Algorithm::kRS256}, {Algorithm::kEdDSA, Algorithm::kPS256},
      {Algorithm::kRS256, Algorithm::kES256}, {Algorithm::kEdDSA, Algorithm::kES256},
      {Algorithm::kRS256, Algorithm::kEdDSA}, {Algorithm::kES256, Algorithm::kEdDSA},
  };
  for (const auto& c : cases) {
    auto key = generate_jwk(c.generated, "k");
    ASSERT_TRUE(key.ok());
    auto pem = private_key_pem(*key);
    ASSERT_TRUE(pem.ok());
    auto imported = parse_private_key_pem(*pem, c.claimed, "k");
    ASSERT_FALSE(imported.ok()) << to_string(c.generated) << " as " << to_string(c.claimed);
    EXPECT_EQ(imported.error(), Error::kPemKeyTypeMismatch);
  }
}

std::string pem_of(EVP_PKEY* raw) {
  EvpPkeyPtr key = adopt(raw);
  const BioPtr owned(BIO_new(BIO_s_mem()));
  BIO* bio = owned.get();
  EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  return out;
}

TEST(PemTest, SmallRsaKeyIsRefused) {
  const std::string pem = pem_of(EVP_RSA_gen(1024));
  auto imported = parse_private_key_pem(pem, Algorithm::kRS256, "k");
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.error(), Error::kJwkRsaModulusSize);
}

TEST(PemTest, OtherCurvesAreRefused) {
  const std::string pem = pem_of(EVP_EC_gen("P-384"));
  auto imported = parse_private_key_pem(pem, Algorithm::kES256, "k");
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.error(), Error::kJwkEcCurve);
}

TEST(PemTest, MalformedTextIsRefused) {
  auto key = generate_jwk(Algorithm::kES256, "k");
  ASSERT_TRUE(key.ok());
  auto pem = private_key_pem(*key);
  ASSERT_TRUE(pem.ok());
  const std::string cases[] = {
      "",
      "not a pem",
      "junk\n" + *pem,
      *pem + *pem,
      pem->substr(0, pem->size() / 2),
      std::string("-----BEGIN RSA PRIVATE KEY-----\n") + pem->substr(28),
      std::string(kMaxPrivateKeyPemBytes + 1, 'A'),
  };
  for (const auto& text : cases) {
    auto imported = parse_private_key_pem(text, Algorithm::kES256, "k");
    ASSERT_FALSE(imported.ok()) << text;
    EXPECT_EQ(imported.error(), Error::kPemMalformed) << text;
    EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL's error queue must be left empty";
  }
}

TEST(PemTest, EncryptedPemIsRefusedWithoutPrompting) {
  auto key = generate_jwk(Algorithm::kES256, "k");
  ASSERT_TRUE(key.ok());
  const BioPtr owned(BIO_new(BIO_s_mem()));
  BIO* bio = owned.get();
  char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, key->pkey.get(), EVP_aes_256_cbc(), pass, 6, nullptr,
                                          nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<std::size_t>(len));
  auto imported = parse_private_key_pem(pem, Algorithm::kES256, "k");
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.error(), Error::kPemMalformed);
}

TEST(PemTest, PublicOnlyKeyHasNoPrivatePem) {
  auto key = generate_jwk(Algorithm::kEdDSA, "k");
  ASSERT_TRUE(key.ok());
  auto pem = private_key_pem(public_only(*key));
  ASSERT_FALSE(pem.ok());
  EXPECT_EQ(pem.error(), Error::kJwkNoPrivateKey);
}

}  // namespace
}  // namespace signet::jose
