#include "signet/keys/dev_cert.h"

#include <algorithm>
#include <array>
#include <climits>
#include <ctime>
#include <memory>
#include <optional>
#include <utility>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "signet/jose/crypto.h"
#include "signet/jose/openssl_handle.h"

namespace signet::keys {
namespace {

using std::chrono::sys_seconds;

using jose::Asn1IntegerPtr;
using jose::BioPtr;
using jose::BnPtr;
using jose::X509ExtensionPtr;
using jose::X509NamePtr;
using jose::X509Ptr;
using jose::X509StoreCtxPtr;
using jose::X509StorePtr;

constexpr const char* kCurve = "P-256";  // NIST P-256: what every TLS client supports
constexpr const char* kCaBasicConstraints = "critical,CA:TRUE,pathlen:0";
constexpr const char* kCaKeyUsage = "critical,keyCertSign,cRLSign";
constexpr const char* kServerBasicConstraints = "critical,CA:FALSE";
// ECDHE key exchange needs only signatures from an ECDSA server key.
constexpr const char* kServerKeyUsage = "critical,digitalSignature";
constexpr const char* kServerExtendedKeyUsage = "serverAuth";
constexpr const char* kServerAltNames = "DNS:localhost,IP:127.0.0.1,IP:::1";

DevCertError error(DevCertErrorCode code, std::string message) {
  jose::clear_openssl_errors();
  return DevCertError{code, std::move(message)};
}

DevCertError crypto_error(std::string_view what) {
  return error(DevCertErrorCode::kCrypto, std::string(what) + " failed");
}

// A password callback that refuses: an encrypted PEM must fail, never prompt on the terminal.
int no_password(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

BioPtr read_bio(std::string_view pem) {
  if (pem.size() > kMaxDevCertPemBytes) {
    return nullptr;
  }
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The contents of a memory BIO; nullopt when there are none.
std::optional<std::string> bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) {
    return std::nullopt;
  }
  return std::string(data, static_cast<std::size_t>(len));
}

DevCertResult<X509Ptr> read_cert(std::string_view pem, std::string_view what) {
  BioPtr bio = read_bio(pem);
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr) : nullptr);
  if (!cert) {
    return fail(error(DevCertErrorCode::kCertPem,
                      std::string(what) + " does not start with a PEM certificate"));
  }
  return cert;
}

DevCertResult<jose::EvpPkeyPtr> read_key(std::string_view pem, std::string_view what) {
  BioPtr bio = read_bio(pem);
  jose::EvpPkeyPtr key;
  if (bio) {
    key = jose::adopt(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  }
  if (!key) {
    return fail(error(DevCertErrorCode::kKeyPem,
                      std::string(what) + " is not an unencrypted PEM private key"));
  }
  return key;
}

DevCertResult<Ok> check_key_matches(X509* cert, const jose::EvpPkeyPtr& key,
                                    std::string_view what) {
  const EVP_PKEY* pub = X509_get0_pubkey(cert);
  if (pub == nullptr || EVP_PKEY_eq(pub, key.get()) != 1) {
    return fail(error(DevCertErrorCode::kKeyMismatch,
                      "the private key is not the one of the " + std::string(what)));
  }
  return Ok{};
}

jose::EvpPkeyPtr generate_p256() {
  jose::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(ctx.get(), kCurve) != 1 ||
      EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    EVP_PKEY_free(raw);
    jose::clear_openssl_errors();
    return nullptr;
  }
  return jose::adopt(raw);
}

// A positive serial of kDevCertSerialBytes random bytes (DER adds a zero byte when the top bit is
// set, which RFC 5280's limit of 20 octets allows).
bool set_random_serial(X509* cert) {
  std::array<unsigned char, kDevCertSerialBytes> bytes{};
  BnPtr bn;
  do {
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      return false;
    }
    bn.reset(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    if (!bn) {
      return false;
    }
  } while (BN_is_zero(bn.get()));  // RFC 5280 §4.1.2.2: the serial must be positive
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  return serial && X509_set_serialNumber(cert, serial.get()) == 1;
}

bool set_validity(X509* cert, sys_seconds not_before, sys_seconds not_after) {
  // ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime from then on (RFC 5280 §4.1.2.5).
  return ASN1_TIME_set(X509_getm_notBefore(cert),
                       static_cast<time_t>(not_before.time_since_epoch().count())) != nullptr &&
         ASN1_TIME_set(X509_getm_notAfter(cert),
                       static_cast<time_t>(not_after.time_since_epoch().count())) != nullptr;
}

X509NamePtr common_name(std::string_view cn) {
  X509NamePtr name(X509_NAME_new());
  if (!name || X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(cn.data()),
                                          static_cast<int>(cn.size()), -1, 0) != 1) {
    return nullptr;
  }
  return name;
}

// Adds an extension written as in openssl.cnf ("critical,CA:TRUE,pathlen:0"). `ctx` names the
// issuer and subject certificates, which the key identifier extensions are computed from.
bool add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// True when `cert` carries kDevCaNameConstraints: the same DER value, critical. Compared as
// encoded, since a CA constrained otherwise (wider, or not critical) is not one signet made.
DevCertResult<bool> has_dev_name_constraints(X509* cert) {
  X509V3_CTX ctx{};
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  const X509ExtensionPtr want(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_name_constraints, kDevCaNameConstraints));
  if (!want) {
    return fail(crypto_error("encoding the CA's name constraints"));
  }
  const int index = X509_get_ext_by_NID(cert, NID_name_constraints, -1);
  if (index < 0 || X509_get_ext_by_NID(cert, NID_name_constraints, index) >= 0) {
    return false;  // none, or more than one
  }
  X509_EXTENSION* have = X509_get_ext(cert, index);
  return X509_EXTENSION_get_critical(have) == 1 &&
         ASN1_STRING_cmp(X509_EXTENSION_get_data(have), X509_EXTENSION_get_data(want.get())) == 0;
}

// A v3 certificate for `key` with `subject`, everything but extensions and signature.
X509Ptr new_cert(const jose::EvpPkeyPtr& key, X509_NAME* subject, X509_NAME* issuer,
                 sys_seconds not_before, sys_seconds not_after) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      !set_random_serial(cert.get()) || X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer) != 1 ||
      !set_validity(cert.get(), not_before, not_after) ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return nullptr;
  }
  return cert;
}

std::optional<std::string> cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return std::nullopt;
  }
  return bio_text(bio.get());
}

// Unencrypted PKCS#8. The secure-heap BIO wipes its buffer when freed.
std::optional<std::string> key_pem(const jose::EvpPkeyPtr& key) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return std::nullopt;
  }
  return bio_text(bio.get());
}

std::optional<sys_seconds> to_sys_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return std::nullopt;
  }
  return sys_seconds{std::chrono::seconds{::timegm(&tm)}};
}

DevCertResult<CertSummary> summarize(X509* cert) {
  CertSummary s;
  const auto not_before = to_sys_seconds(X509_get0_notBefore(cert));
  const auto not_after = to_sys_seconds(X509_get0_notAfter(cert));
  if (!not_before || !not_after) {
    return fail(error(DevCertErrorCode::kCertPem, "the certificate's validity does not parse"));
  }
  s.not_before = *not_before;
  s.not_after = *not_after;

  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return fail(crypto_error("printing the certificate's subject"));
  }
  s.subject = bio_text(bio.get()).value_or("");

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (X509_digest(cert, jose::sha256_md(), digest.data(), &len) != 1) {
    return fail(crypto_error("the certificate's SHA-256 fingerprint"));
  }
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (unsigned int i = 0; i < len; ++i) {
    if (i > 0) {
      s.sha256_fingerprint.push_back(':');
    }
    s.sha256_fingerprint.push_back(kHex[digest[i] >> 4]);
    s.sha256_fingerprint.push_back(kHex[digest[i] & 0x0f]);
  }
  return s;
}

// The CA's certificate and key, parsed and checked: a self-signed CA holding the key's public half.
struct ParsedCa {
  X509Ptr cert;
  jose::EvpPkeyPtr key;
};

DevCertResult<ParsedCa> parse_ca(const CertifiedKey& ca) {
  auto cert = read_cert(ca.cert_pem, "the CA certificate");
  if (!cert) {
    return fail(cert.error());
  }
  // X509_check_ca is 1 only for basicConstraints CA:TRUE (not for v1 or Netscape-typed roots);
  // X509_self_signed(.., 1) also checks the signature, not just that issuer equals subject.
  if (X509_check_ca(cert->get()) != 1 || X509_self_signed(cert->get(), 1) != 1) {
    return fail(error(DevCertErrorCode::kNotCa,
                      "the CA certificate is not a self-signed CA (basicConstraints CA:TRUE)"));
  }
  auto constrained = has_dev_name_constraints(cert->get());
  if (!constrained) {
    return fail(constrained.error());
  }
  if (!*constrained) {
    // Without them, whoever holds the CA key can make certificates for any site.
    return fail(error(DevCertErrorCode::kUnconstrained,
                      "the CA certificate is not name-constrained to localhost, 127.0.0.0/8 "
                      "and ::1, so its key could sign for any name"));
  }
  auto key = read_key(ca.key_pem, "the CA key");
  if (!key) {
    return fail(key.error());
  }
  if (auto match = check_key_matches(cert->get(), *key, "CA certificate"); !match) {
    return fail(match.error());
  }
  return ParsedCa{std::move(*cert), std::move(*key)};
}

}  // namespace

std::string_view to_string(DevCertErrorCode code) {
  switch (code) {
    case DevCertErrorCode::kCrypto:
      return "crypto failure";
    case DevCertErrorCode::kCertPem:
      return "malformed certificate";
    case DevCertErrorCode::kKeyPem:
      return "malformed private key";
    case DevCertErrorCode::kKeyMismatch:
      return "key mismatch";
    case DevCertErrorCode::kNotCa:
      return "not a CA";
    case DevCertErrorCode::kUnconstrained:
      return "CA not name-constrained";
    case DevCertErrorCode::kUntrusted:
      return "certificate does not verify";
  }
  return "unknown error";
}

CertifiedKey::CertifiedKey(std::string cert, std::string key)
    : cert_pem(std::move(cert)), key_pem(std::move(key)) {}

CertifiedKey& CertifiedKey::operator=(CertifiedKey&& other) noexcept {
  if (this != &other) {
    OPENSSL_cleanse(key_pem.data(), key_pem.size());
    cert_pem = std::move(other.cert_pem);
    key_pem = std::move(other.key_pem);
  }
  return *this;
}

CertifiedKey::~CertifiedKey() {
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
}

DevCertResult<CertifiedKey> create_dev_ca(sys_seconds now) {
  const jose::EvpPkeyPtr key = generate_p256();
  if (!key) {
    return fail(crypto_error("generating a P-256 key for the CA"));
  }
  X509NamePtr name = common_name(kDevCaCommonName);
  X509Ptr cert = name ? new_cert(key, name.get(), name.get(), now, now + kDevCaLifetime) : nullptr;
  if (!cert) {
    return fail(crypto_error("building the CA certificate"));
  }
  X509V3_CTX ctx{};
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (!add_extension(cert.get(), &ctx, NID_basic_constraints, kCaBasicConstraints) ||
      !add_extension(cert.get(), &ctx, NID_key_usage, kCaKeyUsage) ||
      !add_extension(cert.get(), &ctx, NID_name_constraints, kDevCaNameConstraints) ||
      !add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash")) {
    return fail(crypto_error("adding the CA certificate's extensions"));
  }
  if (X509_sign(cert.get(), key.get(), jose::sha256_md()) <= 0) {
    return fail(crypto_error("signing the CA certificate"));
  }
  auto cert_text = cert_pem(cert.get());
  auto key_text = key_pem(key);
  if (!cert_text || !key_text) {
    return fail(crypto_error("encoding the CA as PEM"));
  }
  return CertifiedKey{std::move(*cert_text), std::move(*key_text)};
}

DevCertResult<CertifiedKey> create_dev_server_cert(const CertifiedKey& ca, sys_seconds now) {
  auto parsed = parse_ca(ca);
  if (!parsed) {
    return fail(parsed.error());
  }
  X509* ca_cert = parsed->cert.get();
  const auto ca_not_after = to_sys_seconds(X509_get0_notAfter(ca_cert));
  if (!ca_not_after) {
    return fail(error(DevCertErrorCode::kCertPem, "the CA certificate's validity does not parse"));
  }
  // A certificate that outlives its issuer stops verifying when the issuer expires anyway; ending
  // it there makes the renewal check see it.
  const sys_seconds not_after = std::min(now + kDevServerCertLifetime, *ca_not_after);

  const jose::EvpPkeyPtr key = generate_p256();
  if (!key) {
    return fail(crypto_error("generating a P-256 key for the server certificate"));
  }
  X509NamePtr name = common_name(kDevServerCommonName);
  X509Ptr cert =
      name ? new_cert(key, name.get(), X509_get_subject_name(ca_cert), now, not_after) : nullptr;
  if (!cert) {
    return fail(crypto_error("building the server certificate"));
  }
  X509V3_CTX ctx{};
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca_cert, cert.get(), nullptr, nullptr, 0);
  if (!add_extension(cert.get(), &ctx, NID_basic_constraints, kServerBasicConstraints) ||
      !add_extension(cert.get(), &ctx, NID_key_usage, kServerKeyUsage) ||
      !add_extension(cert.get(), &ctx, NID_ext_key_usage, kServerExtendedKeyUsage) ||
      !add_extension(cert.get(), &ctx, NID_subject_alt_name, kServerAltNames) ||
      !add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash") ||
      !add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always")) {
    return fail(crypto_error("adding the server certificate's extensions"));
  }
  if (X509_sign(cert.get(), parsed->key.get(), jose::sha256_md()) <= 0) {
    return fail(crypto_error("signing the server certificate"));
  }
  auto leaf_text = cert_pem(cert.get());
  auto ca_text = cert_pem(ca_cert);
  auto key_text = key_pem(key);
  if (!leaf_text || !ca_text || !key_text) {
    return fail(crypto_error("encoding the server certificate as PEM"));
  }
  return CertifiedKey{*leaf_text + *ca_text, std::move(*key_text)};
}

DevCertResult<CertSummary> summarize_cert(std::string_view pem) {
  auto cert = read_cert(pem, "the file");
  if (!cert) {
    return fail(cert.error());
  }
  return summarize(cert->get());
}

DevCertResult<CertSummary> check_dev_ca(const CertifiedKey& ca) {
  auto parsed = parse_ca(ca);
  if (!parsed) {
    return fail(parsed.error());
  }
  return summarize(parsed->cert.get());
}

DevCertResult<CertSummary> check_dev_server_cert(const CertifiedKey& server,
                                                 std::string_view ca_cert_pem, sys_seconds now) {
  auto leaf = read_cert(server.cert_pem, "the server certificate");
  if (!leaf) {
    return fail(leaf.error());
  }
  auto key = read_key(server.key_pem, "the server key");
  if (!key) {
    return fail(key.error());
  }
  if (auto match = check_key_matches(leaf->get(), *key, "server certificate"); !match) {
    return fail(match.error());
  }
  auto ca = read_cert(ca_cert_pem, "the CA certificate");
  if (!ca) {
    return fail(ca.error());
  }

  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca->get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf->get(), nullptr) != 1 ||
      X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER) != 1) {
    return fail(crypto_error("setting up certificate verification"));
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now.time_since_epoch().count()));
  // Strict RFC 5280 checks and the CA's own signature too: what the strictest client would do.
  if (X509_VERIFY_PARAM_set_flags(param,
                                  X509_V_FLAG_X509_STRICT | X509_V_FLAG_CHECK_SS_SIGNATURE) != 1 ||
      X509_VERIFY_PARAM_set1_host(param, kDevServerCommonName.data(),
                                  kDevServerCommonName.size()) != 1) {
    return fail(crypto_error("setting up certificate verification"));
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int code = X509_STORE_CTX_get_error(ctx.get());
    return fail(error(DevCertErrorCode::kUntrusted, X509_verify_cert_error_string(code)));
  }
  return summarize(leaf->get());
}

}  // namespace signet::keys
