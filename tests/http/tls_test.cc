// TLS end to end: a server with a certificate made here, and the fetch client verifying it.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "signet/http/client.h"
#include "signet/http/server.h"
#include "signet/jose/crypto.h"
#include "signet/jose/openssl_handle.h"
#include "tests/http/test_support.h"

namespace signet::http {
namespace {

namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using testing::RawClient;
using testing::RunningServer;
using testing::TempDir;
using testing::test_options;

struct Pem {
  std::string cert_file;
  std::string key_file;
};

// Writes a self-signed P-256 certificate for `subject_alt_names` (OpenSSL config syntax, e.g.
// "IP:127.0.0.1,DNS:localhost") and its key into `dir`.
Pem make_self_signed(const std::string& dir, const std::string& name,
                     const std::string& subject_alt_names) {
  const jose::EvpPkeyPtr key = jose::adopt(EVP_EC_gen("P-256"));
  if (!key) {
    throw std::runtime_error("EVP_EC_gen failed");
  }
  const jose::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("signet test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const jose::X509ExtensionPtr san(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, subject_alt_names.c_str()));
  if (!san || X509_add_ext(cert.get(), san.get(), -1) != 1) {
    throw std::runtime_error("cannot add subjectAltName");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("X509_sign failed");
  }

  Pem pem{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  std::unique_ptr<FILE, decltype(&std::fclose)> cert_out(std::fopen(pem.cert_file.c_str(), "w"),
                                                         std::fclose);
  std::unique_ptr<FILE, decltype(&std::fclose)> key_out(std::fopen(pem.key_file.c_str(), "w"),
                                                        std::fclose);
  if (!cert_out || !key_out || PEM_write_X509(cert_out.get(), cert.get()) != 1 ||
      PEM_write_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("cannot write PEM files");
  }
  return pem;
}

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : pem_(make_self_signed(dir_.path(), "server", "IP:127.0.0.1,DNS:localhost")) {}

  std::unique_ptr<RunningServer> start(const Pem& pem, ServerOptions options = test_options()) {
    options.tls = TlsOptions{pem.cert_file, pem.key_file};
    Router router;
    router.add(bhttp::verb::get, "/.well-known/jwks.json", [](const Request& req) {
      Response res = json_response(req, bhttp::status::ok, R"({"keys":[]})");
      res.set(bhttp::field::cache_control, "max-age=300");
      return res;
    });
    router.add(bhttp::verb::post, "/oauth/token", [](const Request& req) {
      return json_response(req, bhttp::status::ok, req.body());
    });
    return std::make_unique<RunningServer>(options, std::move(router));
  }

  static std::string https(const RunningServer& server, std::string_view path) {
    return "https://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
  }

  TempDir dir_;
  Pem pem_;
};

TEST_F(TlsTest, FetchVerifiesAgainstTheGivenCaFile) {
  const auto server = start(pem_);
  FetchOptions options;
  options.ca_file = pem_.cert_file;
  const auto res = fetch(https(*server, "/.well-known/jwks.json"), options);
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 200u);
  EXPECT_EQ(res->body, R"({"keys":[]})");
  EXPECT_EQ(cache_max_age(res->cache_control), std::chrono::seconds{300});

  // The built-in health check is served over TLS too, several times in a row.
  for (int i = 0; i < 3; ++i) {
    const auto health = fetch(https(*server, "/healthz"), options);
    ASSERT_TRUE(health.ok()) << health.error().detail;
    EXPECT_EQ(health->body, R"({"status":"ok"})");
  }
}

TEST_F(TlsTest, PostVerifiesAgainstTheGivenCaFile) {
  const auto server = start(pem_);
  FetchOptions options;
  options.ca_file = pem_.cert_file;
  const auto res = post(https(*server, "/oauth/token"), "application/json", R"({"a":1})", options);
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 200u);
  EXPECT_EQ(res->body, R"({"a":1})");

  // Without the CA the secret in the body is never sent to an unverified peer.
  const auto untrusted = post(https(*server, "/oauth/token"), "application/json", "{}", {});
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.error().code, FetchError::kTls) << untrusted.error().detail;
}

TEST_F(TlsTest, PostRefusesACertificateForAnotherName) {
  const Pem other = make_self_signed(dir_.path(), "other", "DNS:auth.example.com");
  const auto server = start(other);
  FetchOptions options;
  options.ca_file = other.cert_file;
  const auto res = post(https(*server, "/oauth/token"), "application/json", "{}", options);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kTls) << res.error().detail;
}

TEST_F(TlsTest, FetchWithoutTheCaFails) {
  const auto server = start(pem_);
  const auto res = fetch(https(*server, "/healthz"), FetchOptions{});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kTls) << res.error().detail;
}

TEST_F(TlsTest, FetchRefusesACertificateForAnotherName) {
  const Pem other = make_self_signed(dir_.path(), "other", "DNS:auth.example.com");
  const auto server = start(other);
  FetchOptions options;
  options.ca_file = other.cert_file;  // trusted, but not issued for 127.0.0.1
  const auto res = fetch(https(*server, "/healthz"), options);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kTls) << res.error().detail;
}

TEST_F(TlsTest, MissingCaFileIsATlsError) {
  const auto server = start(pem_);
  FetchOptions options;
  options.ca_file = dir_.path() + "/missing.pem";
  const auto res = fetch(https(*server, "/healthz"), options);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, FetchError::kTls);
  EXPECT_NE(res.error().detail.find("missing.pem"), std::string::npos) << res.error().detail;
}

TEST_F(TlsTest, PlainHttpToTheTlsPortFailsCleanly) {
  const auto server = start(pem_);
  FetchOptions options;
  options.timeout = 2s;
  const auto res =
      fetch("http://127.0.0.1:" + std::to_string(server->port()) + "/healthz", options);
  EXPECT_FALSE(res.ok());
  // The server survives it.
  options.ca_file = pem_.cert_file;
  EXPECT_TRUE(fetch(https(*server, "/healthz"), options).ok());
}

TEST_F(TlsTest, HandshakeMustFinishWithinTheReadTimeout) {
  ServerOptions options = test_options();
  options.read_timeout = 200ms;
  const auto server = start(pem_, options);
  RawClient silent(server->port());  // connects, never sends a ClientHello
  EXPECT_TRUE(silent.closed_within(1500ms));
}

TEST_F(TlsTest, KeyThatDoesNotMatchTheCertificateIsRefused) {
  const Pem other = make_self_signed(dir_.path(), "other", "DNS:localhost");
  ServerOptions options = test_options();
  options.tls = TlsOptions{pem_.cert_file, other.key_file};
  EXPECT_THROW(Server(options, Router{}), std::runtime_error);
}

// The files a server was started with, replaced in place as a renewal replaces them.
Pem install(const Pem& pem, const Pem& live) {
  namespace fs = std::filesystem;
  fs::copy_file(pem.cert_file, live.cert_file, fs::copy_options::overwrite_existing);
  fs::copy_file(pem.key_file, live.key_file, fs::copy_options::overwrite_existing);
  return live;
}

TEST_F(TlsTest, ReloadServesTheNewCertificateToNewConnections) {
  const Pem next = make_self_signed(dir_.path(), "next", "IP:127.0.0.1");
  const Pem live = install(pem_, {dir_.path() + "/live.crt", dir_.path() + "/live.key"});
  const auto server = start(live);
  FetchOptions trust_first;
  trust_first.ca_file = pem_.cert_file;
  FetchOptions trust_next;
  trust_next.ca_file = next.cert_file;
  ASSERT_TRUE(fetch(https(*server, "/healthz"), trust_first).ok());

  install(next, live);
  const auto reloaded = server->server().reload_tls();
  ASSERT_TRUE(reloaded.ok()) << reloaded.error();
  EXPECT_TRUE(*reloaded);
  const auto res = fetch(https(*server, "/healthz"), trust_next);
  ASSERT_TRUE(res.ok()) << res.error().detail;
  EXPECT_EQ(res->status, 200u);
  const auto old = fetch(https(*server, "/healthz"), trust_first);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, FetchError::kTls);
}

TEST_F(TlsTest, ReloadRefusesAPairThatDoesNotLoadAndKeepsTheOne) {
  const Pem other = make_self_signed(dir_.path(), "other", "IP:127.0.0.1");
  const Pem live = install(pem_, {dir_.path() + "/live.crt", dir_.path() + "/live.key"});
  const auto server = start(live);
  FetchOptions trusted;
  trusted.ca_file = pem_.cert_file;

  std::ofstream(live.cert_file)
      << "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n";
  auto reloaded = server->server().reload_tls();
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().find(live.cert_file), std::string::npos) << reloaded.error();
  EXPECT_TRUE(fetch(https(*server, "/healthz"), trusted).ok());

  // A key of another certificate.
  install(pem_, live);
  std::filesystem::copy_file(other.key_file, live.key_file,
                             std::filesystem::copy_options::overwrite_existing);
  reloaded = server->server().reload_tls();
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().find(live.key_file), std::string::npos) << reloaded.error();
  EXPECT_TRUE(fetch(https(*server, "/healthz"), trusted).ok());
}

TEST_F(TlsTest, ReloadWithoutTlsHasNothingToDo) {
  RunningServer server(test_options(), Router{});
  const auto reloaded = server.server().reload_tls();
  ASSERT_TRUE(reloaded.ok());
  EXPECT_FALSE(*reloaded);
}

TEST_F(TlsTest, CheckRunsTheConstructorsChecksWithoutAServer) {
  ServerOptions options = test_options();
  options.tls = TlsOptions{pem_.cert_file, pem_.key_file};
  EXPECT_NO_THROW(Server::check(options));
  const Pem other = make_self_signed(dir_.path(), "other", "DNS:localhost");
  options.tls = TlsOptions{pem_.cert_file, other.key_file};
  EXPECT_THROW(Server::check(options), std::runtime_error);
  options.tls = TlsOptions{dir_.path() + "/missing.crt", pem_.key_file};
  EXPECT_THROW(Server::check(options), std::runtime_error);
  options.tls.reset();
  options.listen = "127.0.0.1";
  EXPECT_THROW(Server::check(options), std::invalid_argument);
  options = test_options();
  options.trusted_proxies = {"not-a-network"};
  EXPECT_THROW(Server::check(options), std::invalid_argument);
}

}  // namespace
}  // namespace signet::http
