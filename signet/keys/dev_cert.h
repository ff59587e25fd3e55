#pragma once

// A local certificate authority for development HTTPS (`signet dev-cert`): a CA that a developer
// trusts once, and a certificate for localhost that it signs, which `signet serve` and
// `signet api` load with --tls-cert/--tls-key.
//
// Both keys are EC P-256 and both certificates are X.509 v3 signed with ECDSA-SHA256 and a random
// 128-bit serial. The CA may sign end-entity certificates only (pathlen:0); the server certificate
// names localhost, 127.0.0.1 and ::1 and nothing else, and is good for TLS server authentication
// only.
//
// For development only: the CA key is kept unencrypted beside its certificate. The CA is therefore
// name-constrained (RFC 5280 §4.2.1.10, critical) to localhost, 127.0.0.0/8 and ::1: whoever gets
// hold of ca-key.pem can make certificates that clients trusting the CA accept, but only for this
// machine's loopback names, never for another site.
//
// Nothing here reads the clock: `now` comes from the caller.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "signet/common/result.h"

namespace signet::keys {

// 10 years: a development CA is trusted once, by hand, and should not need it again.
constexpr auto kDevCaLifetime = std::chrono::days{3650};
// The CA/Browser Forum's ceiling for TLS server certificates (398 days) less a day's margin;
// browsers and Apple's TLS stack reject longer ones even from a locally trusted CA.
constexpr auto kDevServerCertLifetime = std::chrono::days{397};
// 128 random bits: serials must be unpredictable (CA/B Baseline Requirements ask for 64 or more)
// so that two CAs made on one machine never issue colliding serials.
constexpr std::size_t kDevCertSerialBytes = 16;
// bytes; a certificate chain or key that `signet dev-cert` wrote is about 2 KiB.
constexpr std::size_t kMaxDevCertPemBytes = std::size_t{64} * 1024;

constexpr std::string_view kDevCaCommonName = "signet development CA";
// The only names the CA may sign for, in openssl.cnf syntax: localhost (and its subdomains, as
// RFC 5280 defines a DNS constraint), IPv4 loopback 127.0.0.0/8 and IPv6 loopback ::1/128.
constexpr const char* kDevCaNameConstraints =
    "critical,permitted;DNS:localhost,permitted;IP:127.0.0.0/255.0.0.0,"
    "permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
constexpr std::string_view kDevServerCommonName = "localhost";

enum class DevCertErrorCode {
  kCrypto,         // OpenSSL failed to generate a key, or to build, sign or encode a certificate
  kCertPem,        // a certificate file must start with a PEM certificate ("BEGIN CERTIFICATE")
  kKeyPem,         // a key file must hold an unencrypted PEM private key
  kKeyMismatch,    // the private key must be the one whose public half the certificate holds
  kNotCa,          // a CA certificate must be self-signed with basicConstraints CA:TRUE
  kUnconstrained,  // a CA must carry exactly kDevCaNameConstraints, critical (older ones did not)
  kUntrusted,      // the server certificate must verify against the CA alone, for localhost, now
};

// Stable text for logs and the CLI ("key mismatch", ...).
std::string_view to_string(DevCertErrorCode code);

struct DevCertError {
  DevCertErrorCode code;
  std::string message;  // what failed and why (OpenSSL's reason where it has one); never a key
};

template <typename T>
using DevCertResult = Result<T, DevCertError>;

// A certificate (chain) and its private key, both PEM. The key is unencrypted PKCS#8 and secret:
// it is wiped when the value is destroyed. Move-only, so it is never silently duplicated.
struct CertifiedKey {
  std::string cert_pem;  // the CA: its certificate; a server: its certificate, then the CA's
  std::string key_pem;   // "-----BEGIN PRIVATE KEY-----"

  CertifiedKey() = default;
  CertifiedKey(std::string cert, std::string key);
  CertifiedKey(const CertifiedKey&) = delete;
  CertifiedKey& operator=(const CertifiedKey&) = delete;
  CertifiedKey(CertifiedKey&&) noexcept = default;
  CertifiedKey& operator=(CertifiedKey&&) noexcept;
  ~CertifiedKey();
};

// What a certificate says about itself, for messages and renewal decisions.
struct CertSummary {
  std::string subject;  // RFC 2253, e.g. "CN=localhost"
  std::chrono::sys_seconds not_before{};
  std::chrono::sys_seconds not_after{};
  std::string sha256_fingerprint;  // upper-case hex pairs joined by ':', as `openssl x509` prints
};

// A new CA: CN "signet development CA", valid from `now` for kDevCaLifetime, basicConstraints
// critical CA:TRUE pathlen:0, keyUsage critical keyCertSign and cRLSign, nameConstraints
// kDevCaNameConstraints (critical), a subjectKeyIdentifier. kCrypto when OpenSSL fails.
DevCertResult<CertifiedKey> create_dev_ca(std::chrono::sys_seconds now);

// A new server certificate signed by `ca` (a pair from create_dev_ca, or read back from its
// files): CN localhost, subjectAltName exactly DNS:localhost, IP:127.0.0.1, IP:::1;
// basicConstraints critical CA:FALSE, keyUsage critical digitalSignature, extendedKeyUsage
// serverAuth, authority and subject key identifiers; valid from `now` for kDevServerCertLifetime,
// but never past the CA's own expiry. cert_pem is the server certificate followed by the CA's, the
// chain a TLS server sends. kCertPem/kKeyPem/kKeyMismatch/kNotCa/kUnconstrained when `ca` is not
// a usable CA, kCrypto when OpenSSL fails.
DevCertResult<CertifiedKey> create_dev_server_cert(const CertifiedKey& ca,
                                                   std::chrono::sys_seconds now);

// The first certificate of `pem`, summarized. kCertPem when there is none.
DevCertResult<CertSummary> summarize_cert(std::string_view pem);

// Checks that `ca` can sign server certificates: its certificate parses, is a self-signed CA
// (kNotCa), carries exactly kDevCaNameConstraints (kUnconstrained: a CA made before signet
// constrained its names, which should be replaced) and holds the public half of its key (kKeyPem,
// kKeyMismatch). Says nothing about validity dates: see the summary it returns.
DevCertResult<CertSummary> check_dev_ca(const CertifiedKey& ca);

// Checks that `server` is a certificate TLS clients trusting only `ca_cert_pem` accept for
// localhost at `now`: its key matches its first certificate (kKeyPem, kKeyMismatch), and that
// certificate verifies against a store holding only the CA, with purpose sslserver and RFC 5280's
// strict checks (kUntrusted, with OpenSSL's reason: another CA's signature, expired, not yet
// valid, wrong name...). Returns the server certificate's summary.
DevCertResult<CertSummary> check_dev_server_cert(const CertifiedKey& server,
                                                 std::string_view ca_cert_pem,
                                                 std::chrono::sys_seconds now);

}  // namespace signet::keys
