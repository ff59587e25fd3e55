#pragma once

// The files of `signet dev-cert`, and when to keep, replace or tighten them: the CLI command only
// parses its options and prints what this did.
//
// - One directory (mode 0700, created if missing) holds ca.pem, ca-key.pem, cert.pem and key.pem.
//   It must be the user's (or root's) and writable by nobody else (common/file_safety.h):
//   whoever else can write it could swap in a CA of their own, which the user then trusts.
// - It is locked for the whole run, so two runs at once (two `make run`s) cannot pair one run's CA
//   with the other's certificate.
// - An existing CA is kept while it is usable and more than kDevCertRenewBefore from expiry. One
//   made before signet constrained its names is replaced; one that cannot be used otherwise is an
//   error, never silently replaced: clients may trust it.
// - The server certificate is replaced when missing, expiring within kDevCertRenewBefore, not
//   signed by the CA, when the CA is new, or when forced.
// - Keys are written first (a crash between two writes leaves a mismatched pair, which the next
//   run reports or replaces), each file atomically (common/private_file.h): keys 0600,
//   certificates 0644. A kept key that others can read is made 0600.
//
// Errors are sentences for the user that say what to do; nothing is printed here.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/keys/dev_cert.h"

namespace signet::keys {

constexpr std::string_view kDevCertDirName = "tls";  // under the data directory
constexpr std::string_view kDevCaFileName = "ca.pem";
constexpr std::string_view kDevCaKeyFileName = "ca-key.pem";
constexpr std::string_view kDevCertFileName = "cert.pem";
constexpr std::string_view kDevKeyFileName = "key.pem";
// Renew this long before expiry, so that a demo started today never meets an expired certificate.
constexpr auto kDevCertRenewBefore = std::chrono::days{30};

struct DevCertPaths {
  std::filesystem::path dir;
  std::filesystem::path ca;
  std::filesystem::path ca_key;
  std::filesystem::path cert;
  std::filesystem::path key;
};

// The four files in `dir`.
DevCertPaths dev_cert_paths(const std::filesystem::path& dir);

// What a run did, for the report.
struct DevCertOutcome {
  std::optional<std::string> new_ca_reason;  // set when a CA was created: why
  bool replaced_ca = false;  // the new CA took the place of one that clients may have trusted
  std::optional<std::string> new_server_reason;  // set when a server certificate was created: why
  CertSummary ca;
  CertSummary server;
  std::vector<std::filesystem::path> created;
  std::vector<std::filesystem::path> tightened;  // kept keys whose mode was made 0600
};

// Makes `paths.dir` hold a usable CA and server certificate at `now` (see above); `force` replaces
// the server certificate even when it is still good.
Result<DevCertOutcome, std::string> ensure_dev_cert_files(const DevCertPaths& paths, bool force,
                                                          std::chrono::sys_seconds now);

}  // namespace signet::keys
