#include "signet/jose/jws.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <boost/json/serialize.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/openssl_handle.h"

namespace signet::jose {
namespace {

namespace json = boost::json;

constexpr std::size_t kP256ScalarBytes = 32;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Header members whose presence alone is a refusal, each a way to make a verifier trust a
// key chosen by the token's author.
constexpr std::pair<std::string_view, Error> kForbiddenHeaders[] = {
    {"jku", Error::kHeaderJku},
    {"x5u", Error::kHeaderX5u},
    {"jwk", Error::kHeaderJwk},
    {"x5c", Error::kHeaderX5c},
};

Result<Ok, Error> check_header(const json::object& header, bool allow_embedded_jwk,
                               ParsedJws& out) {
  auto alg_name = get_string(header, "alg");
  if (!alg_name) {
    return fail(alg_name.error() == Access::kMissing ? Error::kAlgMissing : Error::kAlgNotString);
  }
  auto alg = parse_algorithm(*alg_name);
  if (!alg) {
    return fail(alg.error());
  }
  out.alg = *alg;
  for (const auto& [name, error] : kForbiddenHeaders) {
    if (allow_embedded_jwk && error == Error::kHeaderJwk) {
      continue;  // a DPoP proof: its caller parses the key and binds it (RFC 9449 §4.3)
    }
    if (header.contains(name)) {
      return fail(error);
    }
  }
  if (header.contains("crit")) {
    // We implement no JWS extensions, so any well-formed crit names one we do not understand
    // (RFC 7515 §4.1.11: the recipient MUST reject the JWS).
    auto crit = get_string_array(header, "crit");
    if (!crit || crit->empty()) {
      return fail(Error::kCritMalformed);
    }
    return fail(Error::kCritUnknown);
  }
  if (const json::value* b64 = header.if_contains("b64");
      b64 != nullptr && *b64 != json::value(true)) {
    return fail(Error::kB64Unencoded);
  }
  if (header.contains("kid")) {
    auto kid = get_string(header, "kid");
    if (!kid) {
      return fail(Error::kKidNotString);
    }
    out.kid = std::string(*kid);
  }
  if (header.contains("typ")) {
    auto typ = get_string(header, "typ");
    if (!typ) {
      return fail(Error::kTypNotString);
    }
    out.typ = std::string(*typ);
  }
  return Ok{};
}

// ES256 signatures travel as R || S (RFC 7518 §3.4); OpenSSL wants DER.
Result<std::string, Error> raw_to_der(std::string_view raw) {
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(bytes(raw), kP256ScalarBytes, nullptr));
  BnPtr s(BN_bin2bn(bytes(raw) + kP256ScalarBytes, kP256ScalarBytes, nullptr));
  if (!sig || !r || !s) {
    clear_openssl_errors();
    return fail(Error::kSignatureInvalid);
  }
  // r = s = 0 verifies against every message in broken implementations (CVE-2022-21449);
  // refuse it here rather than trust the library to.
  const bool zero = BN_is_zero(r.get()) || BN_is_zero(s.get());
  ECDSA_SIG_set0(sig.get(), r.release(), s.release());  // the signature owns them now
  if (zero) {
    return fail(Error::kSignatureInvalid);
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) {
    clear_openssl_errors();
    return fail(Error::kSignatureInvalid);
  }
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

Result<std::string, Error> der_to_raw(std::string_view der) {
  const unsigned char* p = bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) {
    clear_openssl_errors();
    return fail(Error::kSigningFailed);
  }
  std::string raw(2 * kP256ScalarBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kP256ScalarBytes) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kP256ScalarBytes, kP256ScalarBytes) < 0) {
    clear_openssl_errors();
    return fail(Error::kSigningFailed);
  }
  return raw;
}

// Sets up a digest-sign or digest-verify context for `alg` with RFC 7518's parameters.
bool init_context(EVP_MD_CTX* ctx, Algorithm alg, EVP_PKEY* key, bool sign) {
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = alg == Algorithm::kEdDSA ? nullptr : sha256_md();
  const int rc = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, key)
                      : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key);
  if (rc != 1) {
    return false;
  }
  if (alg == Algorithm::kPS256) {
    // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, sha256_md()) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  if (alg == Algorithm::kRS256) {
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  }
  return true;
}

}  // namespace

Algorithm signing_algorithm(const Jwk& key) {
  if (key.alg) {
    return *key.alg;
  }
  switch (key.kty) {
    case KeyType::kRsa:
      return Algorithm::kRS256;
    case KeyType::kEc:
      return Algorithm::kES256;
    case KeyType::kOkp:
      return Algorithm::kEdDSA;
  }
  return Algorithm::kRS256;
}

Result<ParsedJws, Error> parse_compact(std::string_view token, const JwsLimits& limits) {
  if (token.empty()) {
    return fail(Error::kTokenEmpty);
  }
  if (token.size() > limits.max_token_bytes) {
    return fail(Error::kTokenTooLarge);
  }
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(Error::kTokenSegments);
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  ParsedJws out;
  out.signing_input = token.substr(0, dot2);
  out.payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);
  if (out.payload_b64.empty()) {
    return fail(Error::kTokenEmptyPayload);
  }
  if (signature_b64.empty()) {
    return fail(Error::kTokenEmptySignature);
  }
  auto header_json = base64url_decode(header_b64);
  if (!header_json) {
    return fail(header_json.error());
  }
  auto header = parse_json_object(*header_json, limits.json);
  if (!header) {
    return fail(header.error());
  }
  auto signature = base64url_decode(signature_b64);
  if (!signature) {
    return fail(signature.error());
  }
  out.signature = std::move(signature).value();
  out.header = std::move(header).value();
  if (auto checked = check_header(out.header, limits.allow_embedded_jwk, out); !checked) {
    return fail(checked.error());
  }
  // Validate the payload's encoding now so that every malformed token fails before any crypto.
  auto payload = base64url_decode(out.payload_b64);
  if (!payload) {
    return fail(payload.error());
  }
  out.payload = std::move(payload).value();
  return out;
}

Result<Ok, Error> verify_signature(const ParsedJws& jws, const Jwk& key) {
  if (!key.accepts(jws.alg)) {
    return fail(Error::kAlgKeyMismatch);
  }
  const auto fixed = fixed_signature_length(jws.alg);
  const std::size_t expected = fixed ? *fixed : key.rsa_modulus_bytes;
  if (jws.signature.size() != expected) {
    return fail(Error::kSignatureLength);
  }
  std::string der;
  std::string_view sig = jws.signature;
  if (jws.alg == Algorithm::kES256) {
    auto converted = raw_to_der(sig);
    if (!converted) {
      return fail(converted.error());
    }
    der = std::move(converted).value();
    sig = der;
  }
  if (key.verifiers && key.verifiers->has(jws.alg)) {
    if (!key.verifiers->verify(jws.alg, sha256(jws.signing_input), sig)) {
      return fail(Error::kSignatureInvalid);
    }
    return Ok{};
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || !init_context(ctx.get(), jws.alg, key.pkey.get(), false)) {
    clear_openssl_errors();
    return fail(Error::kSignatureInvalid);
  }
  if (EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(jws.signing_input),
                       jws.signing_input.size()) != 1) {
    clear_openssl_errors();
    return fail(Error::kSignatureInvalid);
  }
  return Ok{};
}

Result<json::object, Error> decode_payload(const ParsedJws& jws, const JsonLimits& limits) {
  return parse_json_object(jws.payload, limits);
}

Result<std::string, Error> sign_compact_raw(const Jwk& key, Algorithm alg,
                                            std::string_view header_json,
                                            std::string_view payload) {
  if (!key.has_private) {
    return fail(Error::kJwkNoPrivateKey);
  }
  if (!key.accepts(alg)) {
    return fail(Error::kAlgKeyMismatch);
  }
  std::string token = base64url_encode(header_json);
  token.push_back('.');
  token += base64url_encode(payload);
  std::string sig;
  if (key.signer && key.signer->algorithm() == alg) {
    sig = key.signer->sign(sha256(token));
    if (sig.empty()) {
      return fail(Error::kSigningFailed);
    }
  } else {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if (!ctx || !init_context(ctx.get(), alg, key.pkey.get(), true) ||
        EVP_DigestSign(ctx.get(), nullptr, &len, bytes(token), token.size()) != 1) {
      clear_openssl_errors();
      return fail(Error::kSigningFailed);
    }
    sig.assign(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(token),
                       token.size()) != 1) {
      clear_openssl_errors();
      return fail(Error::kSigningFailed);
    }
    sig.resize(len);
  }
  if (alg == Algorithm::kES256) {
    auto raw = der_to_raw(sig);
    if (!raw) {
      return fail(raw.error());
    }
    sig = std::move(raw).value();
  }
  token.push_back('.');
  token += base64url_encode(sig);
  return token;
}

Result<std::string, Error> sign_compact(const Jwk& key, json::object header,
                                        std::string_view payload) {
  const Algorithm alg = signing_algorithm(key);
  header["alg"] = to_string(alg);
  if (!key.kid.empty() && !header.contains("kid")) {
    header["kid"] = key.kid;
  }
  return sign_compact_raw(key, alg, json::serialize(header), payload);
}

}  // namespace signet::jose
