#include "signet/jose/jwk.h"

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/json.h"
#include "signet/jose/jws.h"
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
constexpr std::string_view kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"};

json::object object_of(std::string_view text) {
  auto o = parse_json_object(text);
  EXPECT_TRUE(o.ok()) << text;
  return o.ok() ? o.value() : json::object{};
}

// The error a JWK is refused with; nullopt when it is accepted.
std::optional<Error> jwk_refusal(const json::object& jwk) {
  auto key = parse_jwk(jwk);
  if (key.ok()) {
    return std::nullopt;
  }
  return key.error();
}
std::optional<Error> jwk_refusal(std::string_view text) {
  auto key = parse_jwk(text);
  if (key.ok()) {
    return std::nullopt;
  }
  return key.error();
}

Jwk parse_or_die(std::string_view text) {
  auto key = parse_jwk(text);
  EXPECT_TRUE(key.ok()) << to_string(key.error()) << ": " << text;
  return key.ok() ? key.value() : Jwk{};
}

std::string b64(const std::string& bytes) {
  return base64url_encode(bytes);
}
std::string unb64(std::string_view text) {
  auto d = base64url_decode(text);
  EXPECT_TRUE(d.ok()) << text;
  return d.ok() ? d.value() : std::string();
}

std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &raw), 1) << name;
  const BnPtr bn(raw);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// --- accepted keys ---------------------------------------------------------------------------

TEST(ParseJwkTest, Rfc7515A2PrivateRsaKey) {
  const Jwk key = parse_or_die(tk::kRfc7515A2PrivateJwk);
  EXPECT_EQ(key.kty, KeyType::kRsa);
  EXPECT_TRUE(key.has_private);
  EXPECT_TRUE(key.kid.empty());
  EXPECT_FALSE(key.alg.has_value());
  EXPECT_EQ(key.rsa_modulus_bytes, 256u);
  EXPECT_TRUE(key.accepts(Algorithm::kRS256));
  EXPECT_TRUE(key.accepts(Algorithm::kPS256));
  EXPECT_FALSE(key.accepts(Algorithm::kES256));
  EXPECT_FALSE(key.accepts(Algorithm::kEdDSA));
}

TEST(ParseJwkTest, Rfc7515A2PublicRsaKey) {
  const Jwk key = parse_or_die(tk::kRfc7515A2PublicJwk);
  EXPECT_EQ(key.kty, KeyType::kRsa);
  EXPECT_FALSE(key.has_private);
  EXPECT_EQ(key.rsa_modulus_bytes, 256u);
  EXPECT_EQ(EVP_PKEY_eq(key.pkey.get(), parse_or_die(tk::kRfc7515A2PrivateJwk).pkey.get()), 1);
}

TEST(ParseJwkTest, Rfc7515A3EcKeys) {
  const Jwk priv = parse_or_die(tk::kRfc7515A3PrivateJwk);
  const Jwk pub = parse_or_die(tk::kRfc7515A3PublicJwk);
  EXPECT_EQ(priv.kty, KeyType::kEc);
  EXPECT_TRUE(priv.has_private);
  EXPECT_FALSE(pub.has_private);
  EXPECT_TRUE(pub.accepts(Algorithm::kES256));
  EXPECT_FALSE(pub.accepts(Algorithm::kRS256));
  EXPECT_EQ(EVP_PKEY_eq(priv.pkey.get(), pub.pkey.get()), 1);
}

TEST(ParseJwkTest, Rfc8037Ed25519Keys) {
  const Jwk priv = parse_or_die(tk::kRfc8037A1PrivateJwk);
  const Jwk pub = parse_or_die(tk::kRfc8037A2PublicJwk);
  EXPECT_EQ(priv.kty, KeyType::kOkp);
  EXPECT_TRUE(priv.has_private);
  EXPECT_FALSE(pub.has_private);
  EXPECT_TRUE(pub.accepts(Algorithm::kEdDSA));
  EXPECT_EQ(EVP_PKEY_eq(priv.pkey.get(), pub.pkey.get()), 1);
}

TEST(ParseJwkTest, Rfc7520BilboKeys) {
  const Jwk priv = parse_or_die(tk::kRfc7520RsaPrivateJwk);
  const Jwk pub = parse_or_die(tk::kRfc7520RsaPublicJwk);
  EXPECT_EQ(priv.kid, "bilbo.baggins@hobbiton.example");
  EXPECT_EQ(pub.kid, "bilbo.baggins@hobbiton.example");
  EXPECT_TRUE(priv.has_private);
  EXPECT_FALSE(pub.has_private);
}

TEST(ParseJwkTest, KeyBoundToAnAlgorithmAcceptsOnlyThatOne) {
  json::object o = object_of(tk::kRfc7515A2PublicJwk);
  o["alg"] = "PS256";
  auto key = parse_jwk(o);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->alg, Algorithm::kPS256);
  EXPECT_TRUE(key->accepts(Algorithm::kPS256));
  EXPECT_FALSE(key->accepts(Algorithm::kRS256));
}

TEST(ParseJwkTest, UnknownMembersAreIgnored) {
  // RFC 7517 §4: members that are not understood MUST be ignored.
  json::object o = object_of(tk::kRfc7515A3PublicJwk);
  o["key_ops"] = json::array{"verify"};
  o["x5t#S256"] = "ignored";
  o["use"] = "sig";
  EXPECT_EQ(jwk_refusal(o), std::nullopt);
}

// --- refused keys: every rule has its own error ----------------------------------------------

struct Edit {
  std::string_view member;
  std::optional<std::string_view> value_json;  // nullopt removes the member
};
struct Refusal {
  std::string_view name;
  std::string_view base;  // a valid JWK to start from
  std::vector<Edit> edits;
  Error error;
};
void PrintTo(const Refusal& r, std::ostream* os) {
  *os << r.name;
}

class JwkRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(JwkRefusalTest, RefusedWithTheExactError) {
  json::object o = object_of(GetParam().base);
  for (const auto& [member, value] : GetParam().edits) {
    if (value) {
      o[member] = json::parse(*value);
    } else {
      o.erase(member);
    }
  }
  EXPECT_EQ(jwk_refusal(o), GetParam().error) << json::serialize(o);
}

const std::string_view kRsa = tk::kRfc7515A2PublicJwk;
const std::string_view kRsaPrivate = tk::kRfc7515A2PrivateJwk;
const std::string_view kEc = tk::kRfc7515A3PublicJwk;
const std::string_view kEcPrivate = tk::kRfc7515A3PrivateJwk;
const std::string_view kOkp = tk::kRfc8037A2PublicJwk;
const std::string_view kOkpPrivate = tk::kRfc8037A1PrivateJwk;
// 31 and 33 bytes, for length rules.
const std::string_view k31Bytes = R"("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")";
const std::string_view k33Bytes = R"("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")";

INSTANTIATE_TEST_SUITE_P(
    Rules, JwkRefusalTest,
    ::testing::Values(
        // kty
        Refusal{"KtyMissing", kRsa, {{"kty", std::nullopt}}, Error::kJwkKtyMissing},
        Refusal{"KtyNotString", kRsa, {{"kty", "1"}}, Error::kJwkKtyUnsupported},
        Refusal{"KtyOctFromRfc7515A1", tk::kRfc7515A1HmacJwk, {}, Error::kJwkKtyUnsupported},
        Refusal{"KtyOctFromRfc7520", tk::kRfc7520HmacJwk, {}, Error::kJwkKtyUnsupported},
        Refusal{"KtyOctWithRsaMembers", kRsa, {{"kty", R"("oct")"}}, Error::kJwkKtyUnsupported},
        Refusal{"KtyLowerCase", kRsa, {{"kty", R"("rsa")"}}, Error::kJwkKtyUnsupported},
        Refusal{"KtyEmpty", kRsa, {{"kty", R"("")"}}, Error::kJwkKtyUnsupported},
        // kid, use, alg
        Refusal{"KidNotString", kRsa, {{"kid", "1"}}, Error::kJwkKidNotString},
        Refusal{"KidNull", kEc, {{"kid", "null"}}, Error::kJwkKidNotString},
        Refusal{"UseEnc", kRsa, {{"use", R"("enc")"}}, Error::kJwkUseNotSig},
        Refusal{"UseUpperCaseSig", kEc, {{"use", R"("SIG")"}}, Error::kJwkUseNotSig},
        Refusal{"UseNotString", kOkp, {{"use", R"(["sig"])"}}, Error::kJwkUseNotSig},
        Refusal{"AlgHs256", kRsa, {{"alg", R"("HS256")"}}, Error::kJwkAlgUnsupported},
        Refusal{"AlgNone", kRsa, {{"alg", R"("none")"}}, Error::kJwkAlgUnsupported},
        Refusal{"AlgRs384", kRsa, {{"alg", R"("RS384")"}}, Error::kJwkAlgUnsupported},
        Refusal{"AlgRsaOaep", kRsa, {{"alg", R"("RSA-OAEP")"}}, Error::kJwkAlgUnsupported},
        Refusal{"AlgNotString", kRsa, {{"alg", "256"}}, Error::kJwkAlgUnsupported},
        Refusal{"AlgEs256OnRsa", kRsa, {{"alg", R"("ES256")"}}, Error::kJwkAlgKeyMismatch},
        Refusal{"AlgEdDsaOnRsa", kRsa, {{"alg", R"("EdDSA")"}}, Error::kJwkAlgKeyMismatch},
        Refusal{"AlgRs256OnEc", kEc, {{"alg", R"("RS256")"}}, Error::kJwkAlgKeyMismatch},
        Refusal{"AlgEs256OnOkp", kOkp, {{"alg", R"("ES256")"}}, Error::kJwkAlgKeyMismatch},
        Refusal{"AlgPs256OnOkp", kOkp, {{"alg", R"("PS256")"}}, Error::kJwkAlgKeyMismatch},
        // RSA
        Refusal{"RsaMissingN", kRsa, {{"n", std::nullopt}}, Error::kJwkRsaMissingMember},
        Refusal{"RsaMissingE", kRsa, {{"e", std::nullopt}}, Error::kJwkRsaMissingMember},
        Refusal{"RsaNNotString", kRsa, {{"n", "12345"}}, Error::kJwkRsaMissingMember},
        Refusal{"RsaNEmpty", kRsa, {{"n", R"("")"}}, Error::kJwkRsaMissingMember},
        Refusal{"RsaNNotBase64url", kRsa, {{"n", R"("ofgW+Cuj/==")"}}, Error::kJwkRsaMissingMember},
        Refusal{"RsaExponent3", kRsa, {{"e", R"("Aw")"}}, Error::kJwkRsaExponent},
        Refusal{"RsaExponent1", kRsa, {{"e", R"("AQ")"}}, Error::kJwkRsaExponent},
        Refusal{"RsaExponent65539", kRsa, {{"e", R"("AQAD")"}}, Error::kJwkRsaExponent},
        Refusal{"RsaModulusTiny", kRsa, {{"n", R"("AQAB")"}}, Error::kJwkRsaModulusSize},
        Refusal{"RsaPrivateWithoutP", kRsaPrivate, {{"p", std::nullopt}}, Error::kJwkRsaPrivate},
        Refusal{"RsaPrivateWithoutQi", kRsaPrivate, {{"qi", std::nullopt}}, Error::kJwkRsaPrivate},
        Refusal{"RsaPrivateDNotString", kRsaPrivate, {{"d", "1"}}, Error::kJwkRsaPrivate},
        // EC
        Refusal{"EcMissingCrv", kEc, {{"crv", std::nullopt}}, Error::kJwkEcMissingMember},
        Refusal{"EcCrvNotString", kEc, {{"crv", "256"}}, Error::kJwkEcMissingMember},
        Refusal{"EcMissingX", kEc, {{"x", std::nullopt}}, Error::kJwkEcMissingMember},
        Refusal{"EcMissingY", kEc, {{"y", std::nullopt}}, Error::kJwkEcMissingMember},
        Refusal{"EcXNotBase64url",
                kEc,
                {{"x", R"("f83OJ3D2xF1Bg8vub9tLe1g+MzV76e8Tus9uPHvRVEU")"}},
                Error::kJwkEcMissingMember},
        Refusal{"EcCrvP384", kEc, {{"crv", R"("P-384")"}}, Error::kJwkEcCurve},
        Refusal{"EcCrvP521FromRfc7520", tk::kRfc7520EcP521PublicJwk, {}, Error::kJwkEcCurve},
        Refusal{"EcCrvSecp256k1", kEc, {{"crv", R"("secp256k1")"}}, Error::kJwkEcCurve},
        Refusal{"EcCrvLowerCase", kEc, {{"crv", R"("p-256")"}}, Error::kJwkEcCurve},
        Refusal{"EcX31Bytes", kEc, {{"x", k31Bytes}}, Error::kJwkEcCoordinate},
        Refusal{"EcY33Bytes", kEc, {{"y", k33Bytes}}, Error::kJwkEcCoordinate},
        Refusal{"EcOffCurveY",
                kEc,
                {{"y", R"("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4")"}},
                Error::kJwkEcNotOnCurve},
        Refusal{"EcPointZero",
                kEc,
                {{"x", R"("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")"},
                 {"y", R"("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")"}},
                Error::kJwkEcNotOnCurve},
        Refusal{"EcPrivate31Bytes", kEcPrivate, {{"d", k31Bytes}}, Error::kJwkEcPrivate},
        Refusal{"EcPrivateOfAnotherPoint",
                kEcPrivate,
                {{"d", R"("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE")"}},
                Error::kJwkEcPrivate},
        // OKP
        Refusal{"OkpMissingCrv", kOkp, {{"crv", std::nullopt}}, Error::kJwkOkpMissingMember},
        Refusal{"OkpMissingX", kOkp, {{"x", std::nullopt}}, Error::kJwkOkpMissingMember},
        Refusal{"OkpXNotBase64url", kOkp, {{"x", R"("11qYAYKx=")"}}, Error::kJwkOkpMissingMember},
        Refusal{"OkpCrvX25519", kOkp, {{"crv", R"("X25519")"}}, Error::kJwkOkpCurve},
        Refusal{"OkpCrvEd448", kOkp, {{"crv", R"("Ed448")"}}, Error::kJwkOkpCurve},
        Refusal{"OkpX31Bytes", kOkp, {{"x", k31Bytes}}, Error::kJwkOkpKeyLength},
        Refusal{"OkpX33Bytes", kOkp, {{"x", k33Bytes}}, Error::kJwkOkpKeyLength},
        Refusal{"OkpPrivate31Bytes", kOkpPrivate, {{"d", k31Bytes}}, Error::kJwkOkpKeyLength},
        // A seed whose public key is not x.
        Refusal{"OkpPrivateOfAnotherKey",
                kOkpPrivate,
                {{"d", R"("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE")"}},
                Error::kJwkOkpPrivate}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(JwkRefusalTest, NotAnObject) {
  EXPECT_EQ(jwk_refusal("[]"), Error::kJwkNotObject);
  EXPECT_EQ(jwk_refusal(R"("RSA")"), Error::kJwkNotObject);
  EXPECT_EQ(jwk_refusal("{"), Error::kJsonSyntax);
  EXPECT_EQ(jwk_refusal(R"({"kty":"EC","kty":"RSA"})"), Error::kJsonDuplicateMember);
}

// A JWK for an RSA public key of `bits` bits made by OpenSSL.
json::object generated_rsa_jwk(int bits) {
  EVP_PKEY* raw = EVP_RSA_gen(static_cast<unsigned>(bits));
  EXPECT_NE(raw, nullptr);
  const EvpPkeyPtr key = adopt(raw);
  return json::object{{"kty", "RSA"},
                      {"n", b64(bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N))},
                      {"e", b64(bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E))}};
}

TEST(JwkRefusalTest, Rsa1024BitModulusIsRefused) {
  const json::object jwk = generated_rsa_jwk(1024);
  ASSERT_EQ(unb64(jwk.at("n").as_string()).size(), 128u);
  EXPECT_EQ(jwk_refusal(jwk), Error::kJwkRsaModulusSize);
}

TEST(JwkRefusalTest, Rsa2047BitModulusIsRefused) {
  // The modulus size is checked before anything else about the number, so a 2047-bit
  // modulus is the A.2 modulus shifted right by one bit.
  json::object jwk = object_of(kRsa);
  std::string n = unb64(jwk.at("n").as_string());
  ASSERT_EQ(n.size(), 256u);
  ASSERT_EQ(static_cast<unsigned char>(n[0]) >> 7, 1);  // 2048 bits exactly
  EXPECT_EQ(jwk_refusal(jwk), std::nullopt);
  unsigned carry = 0;
  for (char& c : n) {
    const unsigned byte = static_cast<unsigned char>(c);
    c = static_cast<char>((byte >> 1) | (carry << 7));
    carry = byte & 1;
  }
  jwk["n"] = b64(n);
  EXPECT_EQ(jwk_refusal(jwk), Error::kJwkRsaModulusSize);
}

TEST(JwkRefusalTest, RsaModulusUpTo8192BitsIsAccepted) {
  // Bounds the cost of one verification with a key from a JWKS.
  json::object jwk = object_of(kRsa);
  std::string n(1024, '\x5a');
  n[0] = '\x80';
  n.back() = '\x01';
  jwk["n"] = b64(n);  // 8192 bits
  EXPECT_EQ(jwk_refusal(jwk), std::nullopt);
  jwk["n"] = b64("\x01" + n);  // 8193 bits
  EXPECT_EQ(jwk_refusal(jwk), Error::kJwkRsaModulusSize);
}

TEST(JwkRefusalTest, RsaPrivateMembersThatDoNotBelongTogetherAreRefused) {
  // A.2's private members with Bilbo's d, or Bilbo's n: each is a well-formed number, but the
  // set is not one key.
  const json::object bilbo = object_of(tk::kRfc7520RsaPrivateJwk);
  for (std::string_view member : {"d", "n", "p", "dp", "qi"}) {
    json::object jwk = object_of(kRsaPrivate);
    jwk[member] = bilbo.at(member);
    EXPECT_EQ(jwk_refusal(jwk), Error::kJwkRsaPrivate) << member;
  }
}

TEST(JwkRefusalTest, EcPointOffTheCurveIsRefused) {
  // The invalid-curve attack: a point not on P-256 can leak the private key in ECDH and must
  // never be imported. Take each valid key and change y.
  for (const Jwk* key : {&tk::test_key(Algorithm::kES256), &tk::other_key(Algorithm::kES256)}) {
    json::object jwk = to_public_json(*key);
    EXPECT_EQ(jwk_refusal(jwk), std::nullopt);
    std::string y = unb64(jwk.at("y").as_string());
    y[31] = static_cast<char>(y[31] ^ 1);
    jwk["y"] = b64(y);
    EXPECT_EQ(jwk_refusal(jwk), Error::kJwkEcNotOnCurve);
  }
}

TEST(JwkRefusalTest, EcCoordinatesOutsideTheFieldAreRefused) {
  // x = p, the field prime: 32 bytes, but not a field element.
  json::object jwk = object_of(kEc);
  jwk["x"] = "_____wAAAAEAAAAAAAAAAAAAAAD_______________8";
  ASSERT_EQ(unb64(jwk.at("x").as_string()).size(), 32u);
  EXPECT_EQ(jwk_refusal(jwk), Error::kJwkEcNotOnCurve);
}

TEST(JwkRefusalTest, EcPrivateScalarOutOfRangeIsRefused) {
  // d = 0 and d = n (the group order) are not private keys.
  for (std::string_view d : {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                             "_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE"}) {
    json::object jwk = object_of(kEcPrivate);
    jwk["d"] = d;
    EXPECT_EQ(jwk_refusal(jwk), Error::kJwkEcPrivate) << d;
  }
}

TEST(JwkRefusalTest, SmallOrderEd25519PublicKeysAreRefused) {
  // With a public key of small order, a signature with R = identity and S = 0 verifies, with
  // no private key at all, for every message (the identity, and its non-canonical encoding
  // p + 1) or for one message in 2, 4 or 8 (the other torsion points). The EC rules refuse
  // points off the curve for the same reason.
  constexpr std::string_view kSmallOrder[] = {
      "0100000000000000000000000000000000000000000000000000000000000000",  // order 1
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // order 2
      "0000000000000000000000000000000000000000000000000000000000000000",  // order 4
      "0000000000000000000000000000000000000000000000000000000000000080",  // order 4
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  // order 8
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  // order 8
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p, i.e. 0
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p + 1, i.e. 1
  };
  for (std::string_view hex : kSmallOrder) {
    std::string x;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      x.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    json::object jwk = object_of(kOkp);
    jwk["x"] = b64(x);
    EXPECT_EQ(jwk_refusal(jwk), Error::kJwkOkpWeakKey) << "small-order key " << hex;
  }
}

TEST(JwkRefusalTest, NonCanonicalEd25519EncodingsAreRefused) {
  // y >= p = 2^255 - 19 is not a canonical encoding (RFC 8032 §5.1.3); OpenSSL alone accepts it.
  for (const std::uint8_t first : {0xed, 0xf0, 0xff}) {
    std::string x(32, '\xff');
    x[0] = static_cast<char>(first);
    x[31] = '\x7f';
    json::object jwk = object_of(kOkp);
    jwk["x"] = b64(x);
    EXPECT_EQ(jwk_refusal(jwk), Error::kJwkOkpWeakKey) << "first byte " << int{first};
  }
}

TEST(ParseJwksTest, EmptyKidFindsNoKey) {
  // A token with "kid": "" must not be matched to whichever key happens to have no kid.
  json::object keyless = to_public_json(tk::test_key(Algorithm::kRS256));
  keyless.erase("kid");
  auto set = parse_jwks(R"({"keys":[)" + json::serialize(keyless) + "]}");
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->find(""), nullptr);
}

// --- JWKS ------------------------------------------------------------------------------------

std::string jwks_of(const std::vector<std::string>& keys) {
  std::string out = R"({"keys":[)";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    out += (i ? "," : "") + keys[i];
  }
  return out + "]}";
}

std::string public_json(Algorithm alg) {
  return json::serialize(to_public_json(tk::test_key(alg)));
}

TEST(ParseJwksTest, NotAnObject) {
  for (std::string_view text : {"[]", R"("keys")", "null", "1"}) {
    auto set = parse_jwks(text);
    ASSERT_FALSE(set.ok()) << text;
    EXPECT_EQ(set.error(), Error::kJwksNotObject) << text;
  }
}

TEST(ParseJwksTest, NoKeysArray) {
  for (std::string_view text :
       {"{}", R"({"keys":{}})", R"({"keys":null})", R"({"keys":"[]"})", R"({"Keys":[]})"}) {
    auto set = parse_jwks(text);
    ASSERT_FALSE(set.ok()) << text;
    EXPECT_EQ(set.error(), Error::kJwksKeysMissing) << text;
  }
}

TEST(ParseJwksTest, JsonErrorsComeThrough) {
  EXPECT_EQ(parse_jwks("{").error(), Error::kJsonSyntax);
  // Two "keys" arrays: which one would a cache use? Neither.
  EXPECT_EQ(parse_jwks(R"({"keys":[],"keys":[]})").error(), Error::kJsonDuplicateMember);
}

TEST(ParseJwksTest, EmptyKeysArrayIsAnEmptySet) {
  auto set = parse_jwks(R"({"keys":[]})");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->keys.empty());
  EXPECT_TRUE(set->skipped.empty());
  EXPECT_EQ(set->find("anything"), nullptr);
}

TEST(ParseJwksTest, TooManyKeysIsRefusedOutright) {
  std::vector<std::string> keys;
  json::object rsa = object_of(kRsa);
  for (std::size_t i = 0; i < kMaxJwksKeys; ++i) {
    rsa["kid"] = std::string("k").append(std::to_string(i));
    keys.push_back(json::serialize(rsa));
  }
  auto set = parse_jwks(jwks_of(keys));
  ASSERT_TRUE(set.ok()) << to_string(set.error());
  EXPECT_EQ(set->keys.size(), kMaxJwksKeys);
  ASSERT_NE(set->find("k99"), nullptr);

  keys.push_back(R"({"kty":"RSA"})");
  set = parse_jwks(jwks_of(keys));
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error(), Error::kJwksTooManyKeys);
}

TEST(ParseJwksTest, MixedSetKeepsTheValidKeysAndSaysWhyOthersWereSkipped) {
  json::object weak = generated_rsa_jwk(1024);
  weak["kid"] = "weak";
  json::object p384 = object_of(kEc);
  p384["crv"] = "P-384";
  p384["kid"] = "p384";
  json::object enc = object_of(tk::kRfc7520RsaPublicJwk);
  enc["use"] = "enc";
  enc["kid"] = "enc-key";
  json::object kid_number = object_of(kOkp);
  kid_number["kid"] = 7;

  auto set = parse_jwks(jwks_of({
      public_json(Algorithm::kRS256),
      R"({"kty":"oct","kid":"hmac","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T"})",
      json::serialize(weak),
      public_json(Algorithm::kES256),
      json::serialize(p384),
      "42",
      json::serialize(enc),
      public_json(Algorithm::kEdDSA),
      json::serialize(kid_number),
  }));
  ASSERT_TRUE(set.ok()) << to_string(set.error());

  ASSERT_EQ(set->keys.size(), 3u);
  EXPECT_EQ(set->keys[0].kid, "test-RS256");
  EXPECT_EQ(set->keys[1].kid, "test-ES256");
  EXPECT_EQ(set->keys[2].kid, "test-EdDSA");

  ASSERT_EQ(set->skipped.size(), 6u);
  const std::pair<std::string_view, Error> expected[] = {
      {"hmac", Error::kJwkKtyUnsupported}, {"weak", Error::kJwkRsaModulusSize},
      {"p384", Error::kJwkEcCurve},        {"", Error::kJwkNotObject},
      {"enc-key", Error::kJwkUseNotSig},   {"", Error::kJwkKidNotString},
  };
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(set->skipped[i].kid, expected[i].first) << i;
    EXPECT_EQ(set->skipped[i].reason, expected[i].second) << i;
  }

  // Valid keys are found by kid and usable; skipped ones are not there at all.
  for (Algorithm alg : {Algorithm::kRS256, Algorithm::kES256, Algorithm::kEdDSA}) {
    const Jwk* key = set->find("test-" + std::string(to_string(alg)));
    ASSERT_NE(key, nullptr) << to_string(alg);
    const std::string token = tk::mint(tk::test_key(alg), {{"exp", 2000000000}});
    auto parsed = parse_compact(token);  // views into token
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(verify_signature(*parsed, *key).ok()) << to_string(alg);
  }
  EXPECT_EQ(set->find("hmac"), nullptr);
  EXPECT_EQ(set->find("weak"), nullptr);
  EXPECT_EQ(set->find("enc-key"), nullptr);
  EXPECT_EQ(set->find("test-PS256"), nullptr);
}

// --- publishing: to_public_json --------------------------------------------------------------

std::vector<Jwk> every_private_key() {
  std::vector<Jwk> keys;
  for (Algorithm alg : kAllAlgorithms) {
    keys.push_back(tk::test_key(alg));
  }
  for (std::string_view text : {tk::kRfc7515A2PrivateJwk, tk::kRfc7515A3PrivateJwk,
                                tk::kRfc8037A1PrivateJwk, tk::kRfc7520RsaPrivateJwk}) {
    keys.push_back(parse_or_die(text));
  }
  return keys;
}

TEST(ToPublicJsonTest, NeverContainsPrivateMembers) {
  for (const Jwk& key : every_private_key()) {
    ASSERT_TRUE(key.has_private);
    const json::object o = to_public_json(key);
    const std::string text = json::serialize(o);
    for (std::string_view member : kPrivateMembers) {
      EXPECT_FALSE(o.contains(member)) << member << " in " << text;
    }
    EXPECT_EQ(o.at("use").as_string(), "sig") << text;
  }
}

TEST(ToPublicJsonTest, RoundTripsThroughParseJwkAsThePublicKey) {
  for (const Jwk& key : every_private_key()) {
    const json::object o = to_public_json(key);
    SCOPED_TRACE(json::serialize(o));
    auto back = parse_jwk(o);
    ASSERT_TRUE(back.ok()) << to_string(back.error());
    EXPECT_FALSE(back->has_private);
    EXPECT_EQ(back->kty, key.kty);
    EXPECT_EQ(back->kid, key.kid);
    EXPECT_EQ(back->alg, key.alg);
    EXPECT_EQ(back->rsa_modulus_bytes, key.rsa_modulus_bytes);
    EXPECT_EQ(EVP_PKEY_eq(back->pkey.get(), key.pkey.get()), 1);
    // And what the private key signs, the published key verifies.
    auto token = sign_compact(key, {}, R"({"exp":2000000000})");
    ASSERT_TRUE(token.ok());
    auto parsed = parse_compact(*token);
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(verify_signature(*parsed, *back).ok());
  }
}

TEST(ToPublicJsonTest, ReproducesThePublishedRfcPublicKeysMemberForMember) {
  struct Case {
    std::string_view private_jwk, public_jwk;
    std::vector<std::string_view> members;
  };
  const Case cases[] = {
      {tk::kRfc7515A2PrivateJwk, tk::kRfc7515A2PublicJwk, {"kty", "n", "e"}},
      {tk::kRfc7515A3PrivateJwk, tk::kRfc7515A3PublicJwk, {"kty", "crv", "x", "y"}},
      {tk::kRfc8037A1PrivateJwk, tk::kRfc8037A2PublicJwk, {"kty", "crv", "x"}},
      {tk::kRfc7520RsaPrivateJwk, tk::kRfc7520RsaPublicJwk, {"kty", "kid", "use", "n", "e"}},
  };
  for (const auto& c : cases) {
    const json::object ours = to_public_json(parse_or_die(c.private_jwk));
    const json::object theirs = object_of(c.public_jwk);
    for (std::string_view member : c.members) {
      ASSERT_TRUE(ours.contains(member)) << member;
      EXPECT_EQ(ours.at(member), theirs.at(member)) << member;
    }
  }
}

TEST(ToPublicJsonTest, EcCoordinatesKeepTheirLeadingZeroBytes) {
  // RFC 7518 §6.2.1.2: x and y are always 32 bytes. About one P-256 key in 128 has a
  // coordinate that starts with a zero byte; generate until we meet one.
  bool found = false;
  for (int i = 0; i < 20000 && !found; ++i) {
    auto key = generate_jwk(Algorithm::kES256, "lz");
    ASSERT_TRUE(key.ok());
    const json::object o = to_public_json(*key);
    const std::string x = unb64(o.at("x").as_string());
    const std::string y = unb64(o.at("y").as_string());
    ASSERT_EQ(x.size(), 32u);
    ASSERT_EQ(y.size(), 32u);
    if (x[0] == '\0' || y[0] == '\0') {
      found = true;
      auto back = parse_jwk(o);
      ASSERT_TRUE(back.ok()) << to_string(back.error());
      EXPECT_EQ(EVP_PKEY_eq(back->pkey.get(), key->pkey.get()), 1);
    }
  }
  EXPECT_TRUE(found);
}

TEST(ToPublicJwksTest, PublishesEveryKeyAndParsesBack) {
  std::vector<Jwk> keys;
  for (Algorithm alg : kAllAlgorithms) {
    keys.push_back(tk::test_key(alg));
  }
  const std::string text = json::serialize(to_public_jwks(keys));
  for (std::string_view member : {R"("d")", R"("p")", R"("q")", R"("dp")", R"("dq")", R"("qi")"}) {
    EXPECT_EQ(text.find(member), std::string::npos) << member;
  }
  auto set = parse_jwks(text);
  ASSERT_TRUE(set.ok()) << to_string(set.error());
  EXPECT_TRUE(set->skipped.empty());
  ASSERT_EQ(set->keys.size(), 4u);
  for (Algorithm alg : kAllAlgorithms) {
    const Jwk* key = set->find("test-" + std::string(to_string(alg)));
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(key->alg, alg);
    EXPECT_FALSE(key->has_private);
  }
}

// --- thumbprint (RFC 7638) ------------------------------------------------------------------

// RFC 7638 §3.1: the RSA key of RFC 7517 A.1, with the kid and alg that must not change the
// thumbprint.
constexpr std::string_view kRfc7638Jwk =
    R"({"kty":"RSA",)"
    R"("n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B)"
    R"(JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY)"
    R"(368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4l)"
    R"(Fd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",)"
    R"("e":"AQAB","alg":"RS256","kid":"2011-04-29"})";

// RFC 9449 §4.1: the P-256 key of the example proofs; §6.1 gives its thumbprint as cnf.jkt.
constexpr std::string_view kRfc9449Jwk =
    R"({"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",)"
    R"("y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"})";

TEST(ThumbprintTest, Rfc7638Section31Example) {
  EXPECT_EQ(thumbprint(parse_or_die(kRfc7638Jwk)), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(ThumbprintTest, Rfc9449Section61Example) {
  EXPECT_EQ(thumbprint(parse_or_die(kRfc9449Jwk)), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
}

TEST(ThumbprintTest, Ed25519KeyHashesCrvKtyAndX) {
  // RFC 8037 A.3 gives this key's thumbprint.
  EXPECT_EQ(thumbprint(parse_or_die(tk::kRfc8037A2PublicJwk)),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

TEST(ThumbprintTest, PrivatePartKidUseAndAlgDoNotChangeIt) {
  EXPECT_EQ(thumbprint(parse_or_die(tk::kRfc7515A3PrivateJwk)),
            thumbprint(parse_or_die(tk::kRfc7515A3PublicJwk)));
  EXPECT_EQ(thumbprint(parse_or_die(tk::kRfc8037A1PrivateJwk)),
            thumbprint(parse_or_die(tk::kRfc8037A2PublicJwk)));
  for (Algorithm alg : kAllAlgorithms) {
    const Jwk& key = tk::test_key(alg);
    EXPECT_EQ(thumbprint(key), thumbprint(tk::public_half(key))) << to_string(alg);
    EXPECT_NE(thumbprint(key), thumbprint(tk::other_key(alg))) << to_string(alg);
  }
}

TEST(ThumbprintTest, LeadingZeroInTheModulusDoesNotMakeASecondThumbprint) {
  json::object jwk = object_of(kRfc7638Jwk);
  jwk["n"] = b64("\0" + unb64(jwk.at("n").as_string()));
  const Jwk padded = parse_or_die(json::serialize(jwk));
  EXPECT_EQ(thumbprint(padded), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

// --- generate_jwk ----------------------------------------------------------------------------

TEST(GenerateJwkTest, KeysAreBoundToTheirAlgorithmAndCanSign) {
  for (Algorithm alg : kAllAlgorithms) {
    const Jwk& key = tk::test_key(alg);  // made by generate_jwk
    EXPECT_TRUE(key.has_private);
    EXPECT_EQ(key.alg, alg);
    EXPECT_EQ(key.kty, key_type_for(alg));
    EXPECT_EQ(key.kid, "test-" + std::string(to_string(alg)));
    EXPECT_EQ(key.rsa_modulus_bytes, key.kty == KeyType::kRsa ? 256u : 0u);
  }
  EXPECT_EQ(EVP_PKEY_get_bits(tk::test_key(Algorithm::kRS256).pkey.get()), kMinRsaBits);
}

TEST(GenerateJwkTest, EveryCallMakesANewKey) {
  auto a = generate_jwk(Algorithm::kEdDSA, "a");
  auto b = generate_jwk(Algorithm::kEdDSA, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(EVP_PKEY_eq(a->pkey.get(), b->pkey.get()), 1);
}

}  // namespace
}  // namespace signet::jose
