#include "signet/jose/jwk.h"

#include <cstring>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <boost/json/array.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/json.h"
#include "signet/jose/openssl_handle.h"

namespace signet::jose {
namespace {

namespace json = boost::json;

constexpr std::size_t kP256CoordinateBytes = 32;
constexpr std::size_t kEd25519KeyBytes = 32;
constexpr unsigned long kRsaExponent = 65537;  // RFC 8017 practice; small exponents invite attacks

// A base64url member decoded to bytes; nullopt when absent, not a string, or not base64url.
std::optional<std::string> member_bytes(const json::object& o, std::string_view name) {
  auto s = get_string(o, name);
  if (!s) {
    return std::nullopt;
  }
  auto bytes = base64url_decode(*s);
  if (!bytes || bytes->empty()) {
    return std::nullopt;
  }
  return std::move(bytes).value();
}

SecretBnPtr to_bn(const std::string& bytes) {
  return SecretBnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()), nullptr));
}

// Builds an EVP_PKEY of `type` ("RSA", "EC") from parameters; nullptr on failure.
EvpPkeyPtr from_params(const char* type, OSSL_PARAM_BLD* bld, bool with_private) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    clear_openssl_errors();
    return nullptr;
  }
  return adopt(raw);
}

// Runs OpenSSL's key checks: public or full pairwise. The public check is the quick one (the
// point is on the curve and not at infinity): on P-256, whose cofactor is 1, every such point
// has the group's prime order, so the full check's extra scalar multiplication (as costly as
// half a signature verification, paid on every DPoP proof's jwk) proves nothing more.
bool key_checks_pass(const EvpPkeyPtr& key, bool with_private) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx) {
    return clear_openssl_errors();
  }
  const int rc =
      with_private ? EVP_PKEY_pairwise_check(ctx.get()) : EVP_PKEY_public_check_quick(ctx.get());
  if (rc != 1) {
    return clear_openssl_errors();
  }
  return true;
}

Result<Jwk, Error> parse_rsa(const json::object& o, Jwk jwk) {
  auto n = member_bytes(o, "n");
  auto e = member_bytes(o, "e");
  if (!n || !e) {
    return fail(Error::kJwkRsaMissingMember);
  }
  SecretBnPtr bn_n = to_bn(*n);
  SecretBnPtr bn_e = to_bn(*e);
  if (!bn_n || !bn_e) {
    clear_openssl_errors();
    return fail(Error::kJwkRsaMissingMember);
  }
  const int bits = BN_num_bits(bn_n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return fail(Error::kJwkRsaModulusSize);
  }
  if (!BN_is_word(bn_e.get(), kRsaExponent)) {
    return fail(Error::kJwkRsaExponent);
  }
  const bool has_private = o.contains("d");
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  std::vector<SecretBnPtr> keep;  // the builder references BIGNUMs until to_param
  bool ok = bld && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
            OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1;
  if (has_private) {
    static constexpr std::pair<const char*, const char*> kPrivate[] = {
        {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
    };
    for (const auto& [member, param] : kPrivate) {
      auto bytes = member_bytes(o, member);
      if (!bytes) {
        return fail(Error::kJwkRsaPrivate);
      }
      keep.push_back(to_bn(*bytes));
      ok = ok && keep.back() && OSSL_PARAM_BLD_push_BN(bld.get(), param, keep.back().get()) == 1;
    }
  }
  if (!ok) {
    clear_openssl_errors();
    return fail(has_private ? Error::kJwkRsaPrivate : Error::kJwkRsaMissingMember);
  }
  jwk.pkey = from_params("RSA", bld.get(), has_private);
  if (!jwk.pkey) {
    return fail(has_private ? Error::kJwkRsaPrivate : Error::kJwkRsaMissingMember);
  }
  if (has_private && !key_checks_pass(jwk.pkey, true)) {
    return fail(Error::kJwkRsaPrivate);
  }
  jwk.has_private = has_private;
  jwk.rsa_modulus_bytes = static_cast<std::size_t>(BN_num_bytes(bn_n.get()));
  return jwk;
}

Result<Jwk, Error> parse_ec(const json::object& o, Jwk jwk) {
  auto crv = get_string(o, "crv");
  if (!crv || !o.contains("x") || !o.contains("y")) {
    return fail(Error::kJwkEcMissingMember);
  }
  if (*crv != "P-256") {
    return fail(Error::kJwkEcCurve);
  }
  auto x = member_bytes(o, "x");
  auto y = member_bytes(o, "y");
  if (!x || !y) {
    return fail(Error::kJwkEcMissingMember);
  }
  // RFC 7518 §6.2.1.2: the coordinate length is the full field size, even with leading zeros.
  if (x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    return fail(Error::kJwkEcCoordinate);
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
  const bool has_private = o.contains("d");
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  SecretBnPtr d;
  bool ok =
      bld &&
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) == 1;
  if (has_private) {
    auto d_bytes = member_bytes(o, "d");
    if (!d_bytes || d_bytes->size() != kP256CoordinateBytes) {
      return fail(Error::kJwkEcPrivate);
    }
    d = to_bn(*d_bytes);
    ok = ok && d && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) == 1;
  }
  if (!ok) {
    clear_openssl_errors();
    return fail(Error::kJwkEcMissingMember);
  }
  jwk.pkey = from_params("EC", bld.get(), has_private);
  // An invalid-curve attack feeds a point off the curve; OpenSSL refuses it on import or in
  // the public check, and either way the key is rejected.
  if (!jwk.pkey || !key_checks_pass(jwk.pkey, false)) {
    return fail(Error::kJwkEcNotOnCurve);
  }
  if (has_private && !key_checks_pass(jwk.pkey, true)) {
    return fail(Error::kJwkEcPrivate);
  }
  jwk.has_private = has_private;
  return jwk;
}

// Encodings of the eight small-order points of edwards25519, with the sign bit (bit 255) cleared.
// With such a public key, R = identity and S = 0 verifies for every message or for a sizeable
// share of them: a forgery without the private key. The same reasoning makes us refuse EC points
// off the curve.
constexpr std::array<std::array<std::uint8_t, 32>, 7> kSmallOrderPoints = {{
    {0x00},  // order 4 (y = 0)
    {0x01},  // order 1 (identity)
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
     0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
     0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
     0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
     0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
}};

// RFC 8032 §5.1.3: y must be below p = 2^255 - 19 (OpenSSL accepts larger, non-canonical y), and
// the point must not be of small order.
bool ed25519_public_key_acceptable(std::string_view x) {
  std::array<std::uint8_t, 32> y{};
  std::memcpy(y.data(), x.data(), y.size());
  y[31] &= 0x7f;
  bool at_least_p = y[0] >= 0xed && y[31] == 0x7f;
  for (std::size_t i = 1; at_least_p && i < 31; ++i) {
    at_least_p = y[i] == 0xff;
  }
  if (at_least_p) {
    return false;
  }
  for (const auto& point : kSmallOrderPoints) {
    if (point == y) {
      return false;
    }
  }
  return true;
}

Result<Jwk, Error> parse_okp(const json::object& o, Jwk jwk) {
  auto crv = get_string(o, "crv");
  if (!crv || !o.contains("x")) {
    return fail(Error::kJwkOkpMissingMember);
  }
  if (*crv != "Ed25519") {
    return fail(Error::kJwkOkpCurve);
  }
  auto x = member_bytes(o, "x");
  if (!x) {
    return fail(Error::kJwkOkpMissingMember);
  }
  if (x->size() != kEd25519KeyBytes) {
    return fail(Error::kJwkOkpKeyLength);
  }
  if (!ed25519_public_key_acceptable(*x)) {
    return fail(Error::kJwkOkpWeakKey);
  }
  if (o.contains("d")) {
    auto d = member_bytes(o, "d");
    if (!d || d->size() != kEd25519KeyBytes) {
      return fail(Error::kJwkOkpKeyLength);
    }
    jwk.pkey = adopt(EVP_PKEY_new_raw_private_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(d->data()), d->size()));
    if (!jwk.pkey) {
      clear_openssl_errors();
      return fail(Error::kJwkOkpKeyLength);
    }
    // The public half is derived from d; it must be the x we were given.
    std::array<unsigned char, kEd25519KeyBytes> pub{};
    std::size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(jwk.pkey.get(), pub.data(), &len) != 1 || len != pub.size() ||
        std::memcmp(pub.data(), x->data(), len) != 0) {
      clear_openssl_errors();
      return fail(Error::kJwkOkpPrivate);
    }
    jwk.has_private = true;
    return jwk;
  }
  jwk.pkey = adopt(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
  if (!jwk.pkey) {
    clear_openssl_errors();
    return fail(Error::kJwkOkpKeyLength);
  }
  return jwk;
}

std::string bn_bytes(const EVP_PKEY* key, const char* param, std::size_t pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) {
    clear_openssl_errors();
    return {};
  }
  SecretBnPtr bn(raw);
  std::string out(std::max<std::size_t>(pad_to, static_cast<std::size_t>(BN_num_bytes(bn.get()))),
                  '\0');
  BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()),
               static_cast<int>(out.size()));
  return out;
}

std::string ed25519_public(const Jwk& key) {
  std::string pub(kEd25519KeyBytes, '\0');
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.pkey.get(), reinterpret_cast<unsigned char*>(pub.data()),
                                  &len) != 1) {
    clear_openssl_errors();
  }
  return pub;
}

}  // namespace

bool Jwk::accepts(Algorithm a) const {
  if (alg) {
    return *alg == a;
  }
  return key_type_for(a) == kty;
}

Result<Jwk, Error> parse_jwk(const json::object& o) {
  auto kty = get_string(o, "kty");
  if (!kty) {
    return fail(kty.error() == Access::kMissing ? Error::kJwkKtyMissing
                                                : Error::kJwkKtyUnsupported);
  }
  Jwk jwk;
  if (*kty == "RSA") {
    jwk.kty = KeyType::kRsa;
  } else if (*kty == "EC") {
    jwk.kty = KeyType::kEc;
  } else if (*kty == "OKP") {
    jwk.kty = KeyType::kOkp;
  } else {
    return fail(Error::kJwkKtyUnsupported);
  }
  if (o.contains("kid")) {
    auto kid = get_string(o, "kid");
    if (!kid) {
      return fail(Error::kJwkKidNotString);
    }
    jwk.kid = std::string(*kid);
  }
  if (o.contains("use")) {
    auto use = get_string(o, "use");
    if (!use || *use != "sig") {
      return fail(Error::kJwkUseNotSig);
    }
  }
  if (o.contains("alg")) {
    auto alg_name = get_string(o, "alg");
    if (!alg_name) {
      return fail(Error::kJwkAlgUnsupported);
    }
    auto alg = parse_algorithm(*alg_name);
    if (!alg) {
      return fail(Error::kJwkAlgUnsupported);
    }
    if (key_type_for(*alg) != jwk.kty) {
      return fail(Error::kJwkAlgKeyMismatch);
    }
    jwk.alg = *alg;
  }
  auto parsed = [&]() -> Result<Jwk, Error> {
    switch (jwk.kty) {
      case KeyType::kRsa:
        return parse_rsa(o, std::move(jwk));
      case KeyType::kEc:
        return parse_ec(o, std::move(jwk));
      case KeyType::kOkp:
        return parse_okp(o, std::move(jwk));
    }
    return fail(Error::kJwkKtyUnsupported);
  }();
  if (parsed) {
    parsed->verifiers = PreparedVerifiers::prepare(parsed->pkey, parsed->kty);
  }
  return parsed;
}

Result<Jwk, Error> parse_jwk(std::string_view text) {
  auto o = parse_json(text);
  if (!o) {
    return fail(o.error());
  }
  if (!o->is_object()) {
    return fail(Error::kJwkNotObject);
  }
  return parse_jwk(o->get_object());
}

const Jwk* Jwks::find(std::string_view kid) const {
  if (kid.empty()) {
    return nullptr;  // an empty kid names no key, not "any key without a kid"
  }
  for (const auto& k : keys) {
    if (k.kid == kid) {
      return &k;
    }
  }
  return nullptr;
}

Result<Jwks, Error> parse_jwks(std::string_view text) {
  JsonLimits limits;
  limits.max_members = 1024;
  auto v = parse_json(text, limits);
  if (!v) {
    return fail(v.error());
  }
  if (!v->is_object()) {
    return fail(Error::kJwksNotObject);
  }
  const json::value* keys = v->get_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array()) {
    return fail(Error::kJwksKeysMissing);
  }
  if (keys->get_array().size() > kMaxJwksKeys) {
    return fail(Error::kJwksTooManyKeys);
  }
  Jwks out;
  for (const auto& k : keys->get_array()) {
    std::string kid;
    if (k.is_object()) {
      if (auto s = get_string(k.get_object(), "kid")) {
        kid = std::string(*s);
      }
    }
    auto parsed =
        k.is_object() ? parse_jwk(k.get_object()) : Result<Jwk, Error>(fail(Error::kJwkNotObject));
    if (!parsed) {
      out.skipped.push_back({std::move(kid), parsed.error()});
      continue;
    }
    out.keys.push_back(std::move(parsed).value());
  }
  return out;
}

json::object to_public_json(const Jwk& key) {
  json::object o;
  o["kty"] = to_string(key.kty);
  if (!key.kid.empty()) {
    o["kid"] = key.kid;
  }
  o["use"] = "sig";
  if (key.alg) {
    o["alg"] = to_string(*key.alg);
  }
  switch (key.kty) {
    case KeyType::kRsa:
      o["n"] = base64url_encode(bn_bytes(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N, 0));
      o["e"] = base64url_encode(bn_bytes(key.pkey.get(), OSSL_PKEY_PARAM_RSA_E, 0));
      break;
    case KeyType::kEc:
      o["crv"] = "P-256";
      o["x"] = base64url_encode(
          bn_bytes(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateBytes));
      o["y"] = base64url_encode(
          bn_bytes(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateBytes));
      break;
    case KeyType::kOkp:
      o["crv"] = "Ed25519";
      o["x"] = base64url_encode(ed25519_public(key));
      break;
  }
  return o;
}

std::string thumbprint(const Jwk& key) {
  // RFC 7638 §3.2: the required members in lexicographic order, no whitespace. Base64url never
  // needs JSON escaping, so the text is assembled directly. The members come from the key
  // itself, not from the JWK text it was parsed from, so two spellings of one key (an RSA "n"
  // with a leading zero byte) cannot yield two thumbprints.
  std::string members;
  switch (key.kty) {
    case KeyType::kRsa:
      members = R"({"e":")" + base64url_encode(bn_bytes(key.pkey.get(), OSSL_PKEY_PARAM_RSA_E, 0)) +
                R"(","kty":"RSA","n":")" +
                base64url_encode(bn_bytes(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N, 0)) + R"("})";
      break;
    case KeyType::kEc:
      members = R"({"crv":"P-256","kty":"EC","x":")" +
                base64url_encode(
                    bn_bytes(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateBytes)) +
                R"(","y":")" +
                base64url_encode(
                    bn_bytes(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateBytes)) +
                R"("})";
      break;
    case KeyType::kOkp:
      members =
          R"({"crv":"Ed25519","kty":"OKP","x":")" + base64url_encode(ed25519_public(key)) + R"("})";
      break;
  }
  return base64url_encode(sha256(members));
}

json::object to_public_jwks(const std::vector<Jwk>& keys) {
  json::array arr;
  for (const auto& k : keys) {
    arr.push_back(to_public_json(k));
  }
  return json::object{{"keys", std::move(arr)}};
}

Result<Jwk, Error> generate_jwk(Algorithm alg, std::string kid) {
  EVP_PKEY* raw = nullptr;
  switch (key_type_for(alg)) {
    case KeyType::kRsa:
      raw = EVP_RSA_gen(kMinRsaBits);
      break;
    case KeyType::kEc:
      raw = EVP_EC_gen("P-256");
      break;
    case KeyType::kOkp:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) {
    clear_openssl_errors();
    return fail(Error::kKeyGeneration);
  }
  Jwk jwk;
  jwk.kty = key_type_for(alg);
  jwk.kid = std::move(kid);
  jwk.alg = alg;
  jwk.pkey = adopt(raw);
  jwk.has_private = true;
  if (jwk.kty == KeyType::kRsa) {
    jwk.rsa_modulus_bytes = static_cast<std::size_t>(EVP_PKEY_get_size(raw));
  }
  jwk.verifiers = PreparedVerifiers::prepare(jwk.pkey, jwk.kty);
  return jwk;
}

}  // namespace signet::jose
