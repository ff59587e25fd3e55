#include "signet/keys/dev_cert.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "signet/jose/openssl_handle.h"

namespace signet::keys {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

// A fixed "now": nothing here depends on the test machine's clock.
const sys_seconds kNow = sys_days{std::chrono::year{2026} / 3 / 14} + 9h + 26min + 53s;

using jose::BioPtr;
using jose::BnPtr;
using jose::X509Ptr;
using jose::X509StoreCtxPtr;
using jose::X509StorePtr;
using EvpPkeyPtr = jose::OpensslHandle<EVP_PKEY, EVP_PKEY_free>;
using GeneralNamesPtr = jose::OpensslHandle<GENERAL_NAMES, GENERAL_NAMES_free>;
using ExtKeyUsagePtr = jose::OpensslHandle<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;

// Every certificate in a PEM text, in order.
std::vector<X509Ptr> read_certs(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the read that found no more certificates
  return certs;
}

X509Ptr read_cert(const std::string& pem) {
  auto certs = read_certs(pem);
  EXPECT_FALSE(certs.empty());
  return certs.empty() ? nullptr : std::move(certs.front());
}

EvpPkeyPtr read_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return EvpPkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

sys_seconds to_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  EXPECT_EQ(ASN1_TIME_to_tm(t, &tm), 1);
  return sys_seconds{std::chrono::seconds{::timegm(&tm)}};
}

// X509_verify_cert of `leaf` against a store that holds `ca` and nothing else, for TLS server
// authentication, at `at`. Returns X509_V_OK or OpenSSL's verification error.
int verify(X509* leaf, X509* ca, sys_seconds at) {
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  EXPECT_EQ(X509_STORE_add_cert(store.get(), ca), 1);
  EXPECT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr), 1);
  EXPECT_EQ(X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER), 1);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()),
                             static_cast<time_t>(at.time_since_epoch().count()));
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  return ok == 1 ? X509_V_OK : (error == X509_V_OK ? X509_V_ERR_UNSPECIFIED : error);
}

bool extension_is_critical(X509* cert, int nid) {
  const int index = X509_get_ext_by_NID(cert, nid, -1);
  EXPECT_GE(index, 0) << OBJ_nid2sn(nid) << " missing";
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

void expect_p256(const EVP_PKEY* key) {
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_is_a(key, "EC"), 1);
  char group[64] = {};
  std::size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, &len), 1);
  EXPECT_EQ(OBJ_txt2nid(group), NID_X9_62_prime256v1) << group;
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
}

std::string common_name(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) {
    return "";
  }
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

using NameConstraintsPtr = jose::OpensslHandle<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free>;
using jose::X509ExtensionPtr;
using jose::X509NamePtr;

EvpPkeyPtr new_p256() {
  return EvpPkeyPtr(EVP_EC_gen("P-256"));
}

// A certificate for `key` named CN=`cn`, issued by `issuer` (itself when null) and signed with
// `signer`, carrying the extensions `exts` (openssl.cnf syntax, by NID). What a thief holding a
// CA key could make, with OpenSSL alone.
X509Ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* signer,
                  const std::vector<std::pair<int, std::string>>& exts) {
  X509Ptr cert(X509_new());
  X509NamePtr name(X509_NAME_new());
  EXPECT_EQ(X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(cn.data()),
                                       static_cast<int>(cn.size()), -1, 0),
            1);
  EXPECT_EQ(X509_set_version(cert.get(), X509_VERSION_3), 1);
  EXPECT_EQ(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242), 1);
  EXPECT_EQ(X509_set_subject_name(cert.get(), name.get()), 1);
  EXPECT_EQ(X509_set_issuer_name(cert.get(),
                                 issuer != nullptr ? X509_get_subject_name(issuer) : name.get()),
            1);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                static_cast<time_t>(kNow.time_since_epoch().count()));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                static_cast<time_t>((kNow + 24h).time_since_epoch().count()));
  EXPECT_EQ(X509_set_pubkey(cert.get(), key), 1);
  X509V3_CTX ctx{};
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : exts) {
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    EXPECT_NE(ext, nullptr) << value;
    EXPECT_EQ(X509_add_ext(cert.get(), ext.get(), -1), 1);
  }
  EXPECT_GT(X509_sign(cert.get(), signer, EVP_sha256()), 0);
  return cert;
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_X509(bio.get(), cert), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// The extensions of a server certificate, with `names` as its subjectAltName (none when empty).
std::vector<std::pair<int, std::string>> server_exts(const std::string& names) {
  std::vector<std::pair<int, std::string>> exts = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                   {NID_key_usage, "critical,digitalSignature"},
                                                   {NID_ext_key_usage, "serverAuth"}};
  if (!names.empty()) {
    exts.emplace_back(NID_subject_alt_name, names);
  }
  return exts;
}

// A CA and a server certificate made once for the tests that only read them.
class DevCertTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto ca = create_dev_ca(kNow);
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    ca_ = new CertifiedKey(std::move(*ca));
    auto server = create_dev_server_cert(*ca_, kNow);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = new CertifiedKey(std::move(*server));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete ca_;
    server_ = nullptr;
    ca_ = nullptr;
  }

  static CertifiedKey* ca_;
  static CertifiedKey* server_;
};

CertifiedKey* DevCertTest::ca_ = nullptr;
CertifiedKey* DevCertTest::server_ = nullptr;

TEST_F(DevCertTest, CaIsASelfSignedCaForEndEntitiesOnly) {
  ASSERT_EQ(read_certs(ca_->cert_pem).size(), 1u);
  X509Ptr ca = read_cert(ca_->cert_pem);
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(X509_get_version(ca.get()), X509_VERSION_3);
  EXPECT_EQ(common_name(ca.get()), "signet development CA");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(ca.get()), X509_get_issuer_name(ca.get())), 0);
  EXPECT_EQ(X509_self_signed(ca.get(), 1), 1);  // the signature checks with its own key
  EXPECT_EQ(X509_check_ca(ca.get()), 1);        // basicConstraints CA:TRUE
  EXPECT_TRUE(extension_is_critical(ca.get(), NID_basic_constraints));
  EXPECT_EQ(X509_get_pathlen(ca.get()), 0);
  EXPECT_TRUE(extension_is_critical(ca.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(ca.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  EXPECT_EQ(X509_get_ext_by_NID(ca.get(), NID_ext_key_usage, -1), -1);
  EXPECT_EQ(X509_get_signature_nid(ca.get()), NID_ecdsa_with_SHA256);
}

TEST_F(DevCertTest, CaIsNameConstrainedToTheLoopbackNames) {
  X509Ptr ca = read_cert(ca_->cert_pem);
  ASSERT_NE(ca, nullptr);
  EXPECT_TRUE(extension_is_critical(ca.get(), NID_name_constraints));
  int critical = -1;
  NameConstraintsPtr nc(static_cast<NAME_CONSTRAINTS*>(
      X509_get_ext_d2i(ca.get(), NID_name_constraints, &critical, nullptr)));
  ASSERT_NE(nc, nullptr);
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(nc->excludedSubtrees, nullptr);
  ASSERT_NE(nc->permittedSubtrees, nullptr);
  ASSERT_EQ(sk_GENERAL_SUBTREE_num(nc->permittedSubtrees), 3);
  std::vector<std::string> permitted;
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); ++i) {
    const GENERAL_SUBTREE* subtree = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
    const GENERAL_NAME* base = subtree->base;
    if (base->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = base->d.dNSName;
      permitted.push_back("DNS:" + std::string(reinterpret_cast<const char*>(dns->data),
                                               static_cast<std::size_t>(dns->length)));
    } else if (base->type == GEN_IPADD) {
      // An IP constraint is the address followed by its mask (RFC 5280 §4.2.1.10).
      std::string hex = "IP:";
      for (int j = 0; j < base->d.iPAddress->length; ++j) {
        char byte[3];
        std::snprintf(byte, sizeof byte, "%02x", base->d.iPAddress->data[j]);
        hex += byte;
      }
      permitted.push_back(hex);
    } else {
      permitted.push_back("other");
    }
  }
  EXPECT_EQ(permitted, (std::vector<std::string>{
                           "DNS:localhost",
                           "IP:7f000000ff000000",
                           "IP:00000000000000000000000000000001ffffffffffffffffffffffffffffffff",
                       }));
}

TEST_F(DevCertTest, CaKeyCannotSignForOtherNames) {
  // What a thief holding ca-key.pem could try: certificates for other sites, signed by the CA.
  X509Ptr ca = read_cert(ca_->cert_pem);
  EvpPkeyPtr ca_key = read_key(ca_->key_pem);
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(ca_key, nullptr);
  EvpPkeyPtr key = new_p256();
  struct Case {
    const char* cn;
    const char* names;
  };
  for (const Case& c :
       {Case{"example.com", "DNS:example.com"}, Case{"localhost", "DNS:localhost,DNS:example.com"},
        Case{"localhost.example.com", "DNS:localhost.example.com"}, Case{"intranet", "IP:10.0.0.1"},
        Case{"v6", "IP:::2"}, Case{"localhost", "DNS:localhost,IP:192.168.1.1"},
        Case{"example.com", ""}}) {  // no SAN: the CN is checked as a host name
    X509Ptr forged = make_cert(c.cn, key.get(), ca.get(), ca_key.get(), server_exts(c.names));
    EXPECT_EQ(verify(forged.get(), ca.get(), kNow), X509_V_ERR_PERMITTED_VIOLATION)
        << c.cn << " " << c.names;
  }
  // Within the constraints, the same CA key still works: other loopback addresses too.
  X509Ptr local = make_cert("localhost", key.get(), ca.get(), ca_key.get(),
                            server_exts("DNS:localhost,IP:127.0.0.1,IP:127.1.2.3,IP:::1"));
  EXPECT_EQ(verify(local.get(), ca.get(), kNow), X509_V_OK);
}

TEST_F(DevCertTest, ServerCertificateHasExactlyTheLocalNames) {
  X509Ptr leaf = read_cert(server_->cert_pem);
  ASSERT_NE(leaf, nullptr);
  EXPECT_EQ(common_name(leaf.get()), "localhost");
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf.get(), NID_subject_alt_name, nullptr, nullptr)));
  ASSERT_NE(names, nullptr);
  ASSERT_EQ(sk_GENERAL_NAME_num(names.get()), 3);

  const GENERAL_NAME* dns = sk_GENERAL_NAME_value(names.get(), 0);
  ASSERT_EQ(dns->type, GEN_DNS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns->d.dNSName)),
                        static_cast<std::size_t>(ASN1_STRING_length(dns->d.dNSName))),
            "localhost");

  const GENERAL_NAME* v4 = sk_GENERAL_NAME_value(names.get(), 1);
  ASSERT_EQ(v4->type, GEN_IPADD);
  const std::string v4_bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v4->d.iPAddress)),
                             static_cast<std::size_t>(ASN1_STRING_length(v4->d.iPAddress)));
  EXPECT_EQ(v4_bytes, std::string("\x7f\x00\x00\x01", 4));

  const GENERAL_NAME* v6 = sk_GENERAL_NAME_value(names.get(), 2);
  ASSERT_EQ(v6->type, GEN_IPADD);
  const std::string v6_bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v6->d.iPAddress)),
                             static_cast<std::size_t>(ASN1_STRING_length(v6->d.iPAddress)));
  EXPECT_EQ(v6_bytes, std::string(15, '\0') + '\x01');

  // And OpenSSL's own name matching agrees: these names, and no others.
  EXPECT_EQ(X509_check_host(leaf.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_host(leaf.get(), "sub.localhost", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "127.0.0.2", 0), 0);
}

TEST_F(DevCertTest, ServerCertificateIsAnEndEntityForServerAuthOnly) {
  X509Ptr leaf = read_cert(server_->cert_pem);
  X509Ptr ca = read_cert(ca_->cert_pem);
  ASSERT_NE(leaf, nullptr);
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(X509_get_version(leaf.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_TRUE(extension_is_critical(leaf.get(), NID_basic_constraints));
  EXPECT_TRUE(extension_is_critical(leaf.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(leaf.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  ExtKeyUsagePtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(leaf.get(), NID_ext_key_usage, nullptr, nullptr)));
  ASSERT_NE(eku, nullptr);
  ASSERT_EQ(sk_ASN1_OBJECT_num(eku.get()), 1);
  EXPECT_EQ(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), 0)), NID_server_auth);
  EXPECT_EQ(X509_check_purpose(leaf.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_NE(X509_check_purpose(leaf.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
  // The key identifiers chain the leaf to its CA.
  ASSERT_NE(X509_get0_subject_key_id(leaf.get()), nullptr);
  ASSERT_NE(X509_get0_authority_key_id(leaf.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf.get()),
                                  X509_get0_subject_key_id(ca.get())),
            0);
  EXPECT_EQ(X509_check_issued(ca.get(), leaf.get()), X509_V_OK);
  EXPECT_EQ(X509_get_signature_nid(leaf.get()), NID_ecdsa_with_SHA256);
}

TEST_F(DevCertTest, ChainIsTheServerCertificateThenTheCa) {
  const auto chain = read_certs(server_->cert_pem);
  ASSERT_EQ(chain.size(), 2u);
  X509Ptr ca = read_cert(ca_->cert_pem);
  EXPECT_EQ(X509_cmp(chain[1].get(), ca.get()), 0);
  EXPECT_EQ(common_name(chain[0].get()), "localhost");
}

TEST_F(DevCertTest, ServerCertificateVerifiesAgainstTheCaAlone) {
  X509Ptr leaf = read_cert(server_->cert_pem);
  X509Ptr ca = read_cert(ca_->cert_pem);
  EXPECT_EQ(verify(leaf.get(), ca.get(), kNow), X509_V_OK);
  EXPECT_TRUE(check_dev_server_cert(*server_, ca_->cert_pem, kNow).ok());
}

TEST_F(DevCertTest, ServerCertificateFailsAgainstAnotherCa) {
  auto other = create_dev_ca(kNow);
  ASSERT_TRUE(other.ok());
  X509Ptr leaf = read_cert(server_->cert_pem);
  X509Ptr other_ca = read_cert(other->cert_pem);
  // Same subject name as the real CA, other key: found by name, refused by key identifier or
  // signature.
  const int error = verify(leaf.get(), other_ca.get(), kNow);
  EXPECT_TRUE(error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
              error == X509_V_ERR_CERT_SIGNATURE_FAILURE)
      << X509_verify_cert_error_string(error);

  auto checked = check_dev_server_cert(*server_, other->cert_pem, kNow);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, DevCertErrorCode::kUntrusted);
  EXPECT_FALSE(checked.error().message.empty());
}

TEST_F(DevCertTest, ValidityWindows) {
  X509Ptr ca = read_cert(ca_->cert_pem);
  X509Ptr leaf = read_cert(server_->cert_pem);
  EXPECT_EQ(to_seconds(X509_get0_notBefore(ca.get())), kNow);
  EXPECT_EQ(to_seconds(X509_get0_notAfter(ca.get())), kNow + std::chrono::days{3650});
  EXPECT_EQ(to_seconds(X509_get0_notBefore(leaf.get())), kNow);
  EXPECT_EQ(to_seconds(X509_get0_notAfter(leaf.get())), kNow + std::chrono::days{397});

  // One second on each side of each boundary of the server certificate.
  const sys_seconds last = kNow + std::chrono::days{397};
  EXPECT_EQ(verify(leaf.get(), ca.get(), kNow - 1s), X509_V_ERR_CERT_NOT_YET_VALID);
  EXPECT_EQ(verify(leaf.get(), ca.get(), kNow + 1s), X509_V_OK);
  EXPECT_EQ(verify(leaf.get(), ca.get(), last - 1s), X509_V_OK);
  EXPECT_EQ(verify(leaf.get(), ca.get(), last + 1s), X509_V_ERR_CERT_HAS_EXPIRED);

  auto expired = check_dev_server_cert(*server_, ca_->cert_pem, last + 1s);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, DevCertErrorCode::kUntrusted);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos) << expired.error().message;
}

TEST(DevCertValidity, ServerCertificateNeverOutlivesItsCa) {
  // A CA with 100 days left: the server certificate ends with it, not 397 days from now.
  const sys_seconds ca_made = kNow - std::chrono::days{3650 - 100};
  auto ca = create_dev_ca(ca_made);
  ASSERT_TRUE(ca.ok());
  auto server = create_dev_server_cert(*ca, kNow);
  ASSERT_TRUE(server.ok());
  auto summary = summarize_cert(server->cert_pem);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->not_before, kNow);
  EXPECT_EQ(summary->not_after, kNow + std::chrono::days{100});
}

TEST(DevCertValidity, DatesFrom2050AreGeneralizedTime) {
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; both must read back.
  const sys_seconds later = sys_days{std::chrono::year{2045} / 6 / 1};
  auto ca = create_dev_ca(later);
  ASSERT_TRUE(ca.ok());
  X509Ptr cert = read_cert(ca->cert_pem);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notBefore(cert.get())), V_ASN1_UTCTIME);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notAfter(cert.get())), V_ASN1_GENERALIZEDTIME);
  auto summary = summarize_cert(ca->cert_pem);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->not_after, later + std::chrono::days{3650});
}

TEST_F(DevCertTest, KeysAreP256AndMatchTheirCertificates) {
  EvpPkeyPtr ca_key = read_key(ca_->key_pem);
  EvpPkeyPtr server_key = read_key(server_->key_pem);
  expect_p256(ca_key.get());
  expect_p256(server_key.get());
  EXPECT_TRUE(ca_->key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));  // PKCS#8
  EXPECT_TRUE(server_->key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
  X509Ptr ca = read_cert(ca_->cert_pem);
  X509Ptr leaf = read_cert(server_->cert_pem);
  expect_p256(X509_get0_pubkey(ca.get()));
  expect_p256(X509_get0_pubkey(leaf.get()));
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(ca.get()), ca_key.get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(leaf.get()), server_key.get()), 1);
  EXPECT_NE(EVP_PKEY_eq(ca_key.get(), server_key.get()), 1);
}

TEST(DevCertSerial, SerialsAreRandomAndPositiveWithin128Bits) {
  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    auto ca = create_dev_ca(kNow);
    ASSERT_TRUE(ca.ok());
    X509Ptr cert = read_cert(ca->cert_pem);
    BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
    ASSERT_NE(serial, nullptr);
    EXPECT_FALSE(BN_is_negative(serial.get()));
    EXPECT_FALSE(BN_is_zero(serial.get()));
    EXPECT_LE(BN_num_bits(serial.get()), 128);
    char* hex = BN_bn2hex(serial.get());
    seen.emplace_back(hex);
    OPENSSL_free(hex);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST_F(DevCertTest, SummaryReadsTheFirstCertificate) {
  auto summary = summarize_cert(server_->cert_pem);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->subject, "CN=localhost");
  EXPECT_EQ(summary->not_before, kNow);
  EXPECT_EQ(summary->not_after, kNow + std::chrono::days{397});

  X509Ptr leaf = read_cert(server_->cert_pem);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(X509_digest(leaf.get(), EVP_sha256(), digest, &len), 1);
  ASSERT_EQ(len, 32u);
  std::string expected;
  for (unsigned int i = 0; i < len; ++i) {
    char pair[4];
    std::snprintf(pair, sizeof pair, i == 0 ? "%02X" : ":%02X", digest[i]);
    expected += pair;
  }
  EXPECT_EQ(summary->sha256_fingerprint, expected);

  auto ca_summary = summarize_cert(ca_->cert_pem);
  ASSERT_TRUE(ca_summary.ok());
  EXPECT_EQ(ca_summary->subject, "CN=signet development CA");
}

TEST_F(DevCertTest, CheckDevCaAcceptsTheCaItMade) {
  auto checked = check_dev_ca(*ca_);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->not_after, kNow + std::chrono::days{3650});
}

TEST_F(DevCertTest, CheckDevCaRefusesWhatIsNotAUsableCa) {
  struct Case {
    const char* name;
    std::string cert;
    std::string key;
    DevCertErrorCode code;
  };
  auto other = create_dev_ca(kNow);
  ASSERT_TRUE(other.ok());
  const std::vector<Case> cases = {
      {"garbage certificate", "not a pem", ca_->key_pem, DevCertErrorCode::kCertPem},
      {"empty certificate", "", ca_->key_pem, DevCertErrorCode::kCertPem},
      {"a server certificate", server_->cert_pem, server_->key_pem, DevCertErrorCode::kNotCa},
      {"garbage key", ca_->cert_pem,
       "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", DevCertErrorCode::kKeyPem},
      {"certificate as key", ca_->cert_pem, ca_->cert_pem, DevCertErrorCode::kKeyPem},
      {"another CA's key", ca_->cert_pem, other->key_pem, DevCertErrorCode::kKeyMismatch},
  };
  for (const auto& c : cases) {
    const CertifiedKey pair{c.cert, c.key};
    auto checked = check_dev_ca(pair);
    ASSERT_FALSE(checked.ok()) << c.name;
    EXPECT_EQ(checked.error().code, c.code) << c.name << ": " << checked.error().message;
    EXPECT_EQ(ERR_peek_error(), 0u) << c.name << ": OpenSSL's error queue was left dirty";
    // And nothing can be signed with it.
    auto server = create_dev_server_cert(pair, kNow);
    ASSERT_FALSE(server.ok()) << c.name;
    EXPECT_EQ(server.error().code, c.code) << c.name;
  }
}

TEST(DevCertUnconstrained, CaWithoutTheNameConstraintsIsRefusedAndSignsNothing) {
  // Made as `signet dev-cert` made CAs before it constrained them, and three near misses.
  EvpPkeyPtr key = new_p256();
  const std::vector<std::pair<int, std::string>> base = {
      {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
      {NID_key_usage, "critical,keyCertSign,cRLSign"},
      {NID_subject_key_identifier, "hash"}};
  auto with = [&](const std::string& constraints) {
    auto exts = base;
    exts.emplace_back(NID_name_constraints, constraints);
    return exts;
  };
  const std::string ours = kDevCaNameConstraints;
  const std::vector<std::pair<std::string, std::vector<std::pair<int, std::string>>>> cases = {
      {"no name constraints", base},
      {"not critical", with(ours.substr(std::string("critical,").size()))},
      {"wider", with(ours + ",permitted;DNS:example.com")},
      {"other names", with("critical,permitted;DNS:example.com")},
  };
  for (const auto& [name, exts] : cases) {
    X509Ptr cert = make_cert("signet development CA", key.get(), nullptr, key.get(), exts);
    const CertifiedKey ca{to_pem(cert.get()), to_pem(key.get())};
    auto checked = check_dev_ca(ca);
    ASSERT_FALSE(checked.ok()) << name;
    EXPECT_EQ(checked.error().code, DevCertErrorCode::kUnconstrained) << name;
    EXPECT_NE(checked.error().message.find("localhost"), std::string::npos);
    EXPECT_EQ(ERR_peek_error(), 0u) << name;
    auto server = create_dev_server_cert(ca, kNow);
    ASSERT_FALSE(server.ok()) << name;
    EXPECT_EQ(server.error().code, DevCertErrorCode::kUnconstrained) << name;
  }
  // The control: the same CA with exactly signet's constraints is accepted.
  X509Ptr cert = make_cert("signet development CA", key.get(), nullptr, key.get(), with(ours));
  EXPECT_TRUE(check_dev_ca(CertifiedKey{to_pem(cert.get()), to_pem(key.get())}).ok());
}

TEST_F(DevCertTest, CheckServerCertRefusesAMismatchedKey) {
  auto other = create_dev_server_cert(*ca_, kNow);
  ASSERT_TRUE(other.ok());
  auto checked =
      check_dev_server_cert(CertifiedKey{server_->cert_pem, other->key_pem}, ca_->cert_pem, kNow);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, DevCertErrorCode::kKeyMismatch);

  auto no_key = check_dev_server_cert(CertifiedKey{server_->cert_pem, ""}, ca_->cert_pem, kNow);
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().code, DevCertErrorCode::kKeyPem);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(DevCertTest, RenewedServerCertificateIsNew) {
  auto again = create_dev_server_cert(*ca_, kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->cert_pem, server_->cert_pem);
  EXPECT_NE(again->key_pem, server_->key_pem);
  EXPECT_TRUE(check_dev_server_cert(*again, ca_->cert_pem, kNow).ok());
}

TEST(DevCertErrors, EveryCodeHasADistinctName) {
  const DevCertErrorCode codes[] = {DevCertErrorCode::kCrypto,   DevCertErrorCode::kCertPem,
                                    DevCertErrorCode::kKeyPem,   DevCertErrorCode::kKeyMismatch,
                                    DevCertErrorCode::kNotCa,    DevCertErrorCode::kUnconstrained,
                                    DevCertErrorCode::kUntrusted};
  std::vector<std::string_view> names;
  for (const auto code : codes) {
    names.push_back(to_string(code));
    EXPECT_NE(names.back(), "unknown error");
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
}

}  // namespace
}  // namespace signet::keys
