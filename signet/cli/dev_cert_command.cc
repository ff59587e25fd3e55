#include "signet/cli/dev_cert_command.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/common/fd_io.h"
#include "signet/common/file_safety.h"
#include "signet/common/private_file.h"
#include "signet/keys/dev_cert.h"

namespace signet::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kTlsDirName = "tls";  // under the data directory
constexpr std::string_view kCaFileName = "ca.pem";
constexpr std::string_view kCaKeyFileName = "ca-key.pem";
constexpr std::string_view kCertFileName = "cert.pem";
constexpr std::string_view kKeyFileName = "key.pem";
// Renew this long before expiry, so that a demo started today never meets an expired certificate.
constexpr auto kRenewBefore = std::chrono::days{30};
constexpr mode_t kDirMode = S_IRWXU;  // 0700: it holds private keys
constexpr mode_t kPublicFileMode = S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH;  // 0644: certificates
constexpr mode_t kSecretFileMode = S_IRUSR | S_IWUSR;                      // 0600: private keys
constexpr mode_t kGroupOtherBits = S_IRWXG | S_IRWXO;
constexpr std::string_view kDirWhat = "the certificate directory";

struct DevCertOptions {
  std::string data_dir{kDefaultDataDir};
  std::string out_dir;  // empty = <data_dir>/tls
  bool force = false;
  bool json = false;
};

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

// Creates `dir` (mode 0700, parents as needed) when it is missing. An existing directory must be
// the user's (or root's) and writable by nobody else: whoever else can write it could swap in a CA
// of their own, which the user then trusts. Since nobody else can change its entries, the files in
// it stay the ones checked while the command runs.
void prepare_out_dir(const fs::path& dir) {
  auto checked = check_path(dir, Trust::kDirectory, kDirWhat);
  if (!checked && checked.error().code == UnsafeFileCode::kMissing) {
    std::error_code ec;
    fs::create_directories(dir.parent_path(), ec);  // a failure shows in mkdir's errno
    if (::mkdir(dir.c_str(), kDirMode) == 0) {
      // mkdir's mode passes through the umask; the directory must be exactly owner-only.
      if (::chmod(dir.c_str(), kDirMode) != 0) {
        throw CommandError{"cannot set mode 0700 on " + dir.string() + ": " + errno_text(errno)};
      }
    } else if (errno != EEXIST) {
      throw CommandError{"cannot create " + dir.string() + ": " + errno_text(errno)};
    }
    // Checked again: another process may have created it first, with other modes.
    checked = check_path(dir, Trust::kDirectory, kDirWhat);
  }
  if (!checked) {
    throw CommandError{checked.error().message};
  }
}

// Holds an exclusive lock on the directory for the command's lifetime, so that two dev-cert runs
// at once (two `make run`s) cannot pair one run's CA with the other's certificate.
UniqueFd lock_dir(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    throw CommandError{"cannot open " + dir.string() + ": " + errno_text(errno)};
  }
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      throw CommandError{"cannot lock " + dir.string() + ": " + errno_text(errno)};
    }
  }
  return fd;
}

// Reads a PEM file into `out`; false when it does not exist. The file must be the user's (or
// root's), a regular file and writable by nobody else (file_safety.h); a key (Trust::kSecretFile)
// that others can only read is let through, for the caller to make owner-only if it keeps it.
// Files larger than any PEM that dev-cert writes are refused rather than read.
bool read_pem_file(const fs::path& path, Trust trust, std::string_view what, std::string& out) {
  // O_NOFOLLOW: a link must not make us trust (or later chmod) another file; O_NONBLOCK: a FIFO
  // must not hang us, it is refused below as not a regular file.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return false;
    }
    if (err == ELOOP) {
      if (auto safe = check_path(path, trust, what); !safe) {
        throw CommandError{safe.error().message};
      }
    }
    throw CommandError{"cannot read " + path.string() + ": " + errno_text(err)};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    throw CommandError{"cannot read " + path.string() + ": " + errno_text(errno)};
  }
  if (auto safe = check_file_status(path, st, trust, what);
      !safe && safe.error().code != UnsafeFileCode::kReadableByOthers) {
    throw CommandError{safe.error().message};
  }
  // Reserved once, so a secret is never left behind in a buffer that grew.
  out.assign(keys::kMaxDevCertPemBytes + 1, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw CommandError{"cannot read " + path.string() + ": " + errno_text(errno)};
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  if (got > keys::kMaxDevCertPemBytes) {
    throw CommandError{path.string() + " is larger than any PEM file signet dev-cert writes"};
  }
  out.resize(got);
  return true;
}

// Replaces `path` atomically (signet/common/private_file.h): readers see the old file or the new
// one, never a part, and a key is never readable by others, not even for a moment.
void write_file_atomically(const fs::path& path, std::string_view content, mode_t mode) {
  auto written = replace_file(path, content, mode);
  if (!written && written.error().step == FileWriteStep::kCreate) {
    throw CommandError{"cannot create a file in " + path.parent_path().string() + ": " +
                       errno_text(written.error().err)};
  }
  if (!written) {
    throw CommandError{"cannot write " + path.string() + ": " + errno_text(written.error().err)};
  }
}

// A kept private key that others can read is tightened to 0600 (it may have been copied around).
// Returns true when it changed the mode.
bool make_owner_only(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & kGroupOtherBits) == 0) {
    return false;
  }
  if (::chmod(path.c_str(), kSecretFileMode) != 0) {
    throw CommandError{path.string() + " is readable by others and cannot be made owner-only: " +
                       errno_text(errno) + "; run: chmod 600 " + shell_quote(path.string())};
  }
  return true;
}

std::string describe(const keys::DevCertError& e) {
  return std::string(keys::to_string(e.code)) + ": " + e.message;
}

std::string day(store::Timestamp t) {
  return format_time(t).substr(0, 10);  // 2036-02-27
}

struct Paths {
  fs::path dir;
  fs::path ca;
  fs::path ca_key;
  fs::path cert;
  fs::path key;
};

// What the run did, for the report.
struct Outcome {
  std::optional<std::string> new_ca_reason;  // set when a CA was created: why
  bool replaced_ca = false;  // the new CA took the place of one that clients may have trusted
  std::optional<std::string> new_server_reason;  // set when a server certificate was created: why
  keys::CertSummary ca;
  keys::CertSummary server;
  std::vector<fs::path> created;
  std::vector<fs::path> tightened;  // kept keys whose mode was made 0600
};

// Why the CA in the directory must be replaced; nullopt when it can stay (its summary is then in
// out.ca). A CA that exists but cannot be used is an error rather than silently replaced: clients
// may trust it, and whoever removes it should know that.
std::optional<std::string> ca_problem(const Paths& p, const keys::CertifiedKey& ca,
                                      store::Timestamp t, Outcome& out) {
  auto checked = keys::check_dev_ca(ca);
  if (!checked && checked.error().code == keys::DevCertErrorCode::kUnconstrained) {
    // Made before signet constrained its CA: its key, unencrypted on disk, could sign for any
    // site. Replaced, and the report says that clients must trust the new one.
    return "the previous CA could sign for any name; the new one only for localhost, 127.0.0.0/8 "
           "and ::1";
  }
  if (!checked) {
    throw CommandError{shell_quote(p.ca.string()) + " and " + shell_quote(p.ca_key.string()) +
                       " are not a CA signet can use (" + describe(checked.error()) +
                       "): remove both to create a new CA, which clients must then trust "
                       "instead"};
  }
  if (checked->not_after - kRenewBefore <= t) {
    return "the previous CA expires on " + day(checked->not_after);
  }
  if (checked->not_before > t) {
    return "the previous CA is not valid until " + day(checked->not_before) +
           " (was the clock changed?)";
  }
  out.ca = std::move(*checked);
  return std::nullopt;
}

// The CA in the directory, or a new one.
keys::CertifiedKey ensure_ca(const Paths& p, store::Timestamp t, Outcome& out) {
  keys::CertifiedKey ca;
  const bool has_cert = read_pem_file(p.ca, Trust::kPublicFile, "the CA certificate", ca.cert_pem);
  const bool has_key = read_pem_file(p.ca_key, Trust::kSecretFile, "the CA key", ca.key_pem);
  if (has_cert && has_key) {
    out.new_ca_reason = ca_problem(p, ca, t, out);
    if (!out.new_ca_reason) {
      if (make_owner_only(p.ca_key)) {
        out.tightened.push_back(p.ca_key);
      }
      return ca;
    }
  } else if (has_cert || has_key) {
    out.new_ca_reason = (has_cert ? p.ca_key : p.ca).filename().string() + " was missing";
  } else {
    out.new_ca_reason = "none found in " + p.dir.string();
  }
  out.replaced_ca = has_cert;  // a ca.pem that clients may trust is about to be overwritten

  auto created = keys::create_dev_ca(t);
  if (!created) {
    throw CommandError{"cannot create the CA: " + describe(created.error())};
  }
  ca = std::move(*created);
  // The key first: a crash between the two renames leaves a pair that does not match, which the
  // next run reports, never a certificate whose key is lost.
  write_file_atomically(p.ca_key, ca.key_pem, kSecretFileMode);
  write_file_atomically(p.ca, ca.cert_pem, kPublicFileMode);
  out.created.push_back(p.ca);
  out.created.push_back(p.ca_key);
  auto summary = keys::check_dev_ca(ca);
  if (!summary) {
    throw CommandError{"the new CA does not check out: " + describe(summary.error())};
  }
  out.ca = std::move(*summary);
  return ca;
}

// Why the server certificate in the directory must be replaced; nullopt when it can stay.
std::optional<std::string> server_cert_problem(const Paths& p, const keys::CertifiedKey& ca,
                                               bool force, store::Timestamp t, Outcome& out) {
  if (force) {
    return "--force";
  }
  if (out.new_ca_reason) {
    return "the CA is new";
  }
  keys::CertifiedKey server;
  const bool has_cert =
      read_pem_file(p.cert, Trust::kPublicFile, "the server certificate", server.cert_pem);
  const bool has_key = read_pem_file(p.key, Trust::kSecretFile, "the server key", server.key_pem);
  if (!has_cert && !has_key) {
    return "none found in " + p.dir.string();
  }
  if (!has_cert || !has_key) {
    return (has_cert ? p.key : p.cert).filename().string() + " was missing";
  }
  auto checked = keys::check_dev_server_cert(server, ca.cert_pem, t);
  if (!checked) {
    if (checked.error().code == keys::DevCertErrorCode::kUntrusted) {
      return "the previous one does not verify against the CA: " + checked.error().message;
    }
    return "the previous one cannot be used: " + describe(checked.error());
  }
  if (checked->not_after - kRenewBefore <= t) {
    return "the previous one expires on " + day(checked->not_after);
  }
  out.server = std::move(*checked);
  if (make_owner_only(p.key)) {
    out.tightened.push_back(p.key);
  }
  return std::nullopt;
}

void ensure_server_cert(const Paths& p, const keys::CertifiedKey& ca, bool force,
                        store::Timestamp t, Outcome& out) {
  out.new_server_reason = server_cert_problem(p, ca, force, t, out);
  if (!out.new_server_reason) {
    return;
  }
  auto created = keys::create_dev_server_cert(ca, t);
  if (!created) {
    throw CommandError{"cannot create the server certificate: " + describe(created.error())};
  }
  // The key first: a crash in between leaves a mismatched pair, which the next run replaces.
  write_file_atomically(p.key, created->key_pem, kSecretFileMode);
  write_file_atomically(p.cert, created->cert_pem, kPublicFileMode);
  out.created.push_back(p.cert);
  out.created.push_back(p.key);
  auto summary = keys::summarize_cert(created->cert_pem);
  if (!summary) {
    throw CommandError{"the new server certificate does not parse: " + describe(summary.error())};
  }
  out.server = std::move(*summary);
}

void print_report(const Paths& p, const Outcome& out) {
  const std::string ca = shell_quote(p.ca.string());
  const std::string cert = shell_quote(p.cert.string());
  const std::string key = shell_quote(p.key.string());
  std::cout << "CA           "
            << (out.new_ca_reason ? "created " + ca + " (" + *out.new_ca_reason + ")"
                                  : "kept " + ca)
            << "\n"
            << "             " << out.ca.subject << ", valid until " << day(out.ca.not_after)
            << ", key " << kCaKeyFileName << "\n"
            << "             SHA-256 fingerprint " << out.ca.sha256_fingerprint << "\n"
            << "certificate  "
            << (out.new_server_reason ? "created " + cert + " (" + *out.new_server_reason + ")"
                                      : "kept " + cert)
            << "\n"
            << "             " << out.server.subject
            << " for localhost, 127.0.0.1 and ::1, valid until " << day(out.server.not_after)
            << ", key " << kKeyFileName << "\n";
  for (const auto& path : out.tightened) {
    std::cout << "             made " << shell_quote(path.string())
              << " owner-only (mode 0600): it was readable by others\n";
  }
  std::cout << "\nServe HTTPS with it (signet api takes the same two flags):\n"
            << "  signet serve --tls-cert " << cert << " --tls-key " << key
            << " --issuer https://localhost:4443/ --listen 127.0.0.1:4443\n";
  if (out.new_server_reason) {
    std::cout
        << "  A server that is already running keeps the certificate it loaded: restart it.\n";
  }
  std::cout << "\nTrust the CA in the clients that call them (" << kCaFileName
            << " holds no secret):\n"
            << "  signet api --ca-file " << ca << " ...     signet token --ca-file " << ca
            << " ...\n"
            << "  SSL_CERT_FILE=" << ca << " <command>     OpenSSL-based tools, signet included\n"
            << "  curl --cacert " << ca
            << " https://localhost:4443/.well-known/openid-configuration\n"
            << "  /usr/bin/python3 requests: requests.get(url, verify=\"" << p.ca.string()
            << "\")\n"
            << "  system-wide: sudo cp " << ca
            << " /usr/local/share/ca-certificates/signet-dev.crt && sudo update-ca-certificates\n";
  if (out.replaced_ca) {
    std::cout << "  This is a new CA: clients that trusted the previous one must trust this one "
                 "instead.\n";
  }
  std::cout
      << "\nKeep " << kCaKeyFileName
      << " private: with it anyone can make certificates that every client trusting this "
         "CA accepts (only for localhost, 127.0.0.0/8 and ::1: the CA is name-constrained).\n";
}

void print_json_report(const Paths& p, const Outcome& out) {
  json::array created;
  for (const auto& path : out.created) {
    created.emplace_back(path.string());
  }
  print_json(json::object{{"ca_file", p.ca.string()},
                          {"ca_key_file", p.ca_key.string()},
                          {"cert_file", p.cert.string()},
                          {"key_file", p.key.string()},
                          {"created", std::move(created)}});
}

void run_dev_cert(const DevCertOptions& o) {
  const fs::path chosen =
      o.out_dir.empty() ? prepare_data_dir(o.data_dir) / kTlsDirName : fs::path(o.out_dir);
  std::error_code ec;
  // Absolute, so that the printed commands work from any directory.
  const fs::path dir = fs::absolute(chosen, ec).lexically_normal();
  if (ec) {
    throw CommandError{"cannot resolve " + chosen.string() + ": " + ec.message()};
  }
  prepare_out_dir(dir);
  const UniqueFd lock = lock_dir(dir);
  const Paths p{dir, dir / kCaFileName, dir / kCaKeyFileName, dir / kCertFileName,
                dir / kKeyFileName};
  const store::Timestamp t = now();
  Outcome out;
  const keys::CertifiedKey ca = ensure_ca(p, t, out);
  ensure_server_cert(p, ca, o.force, t, out);
  if (o.json) {
    print_json_report(p, out);
  } else {
    print_report(p, out);
  }
}

}  // namespace

void add_dev_cert_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<DevCertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "dev-cert",
      "Create a local CA and a certificate for localhost, 127.0.0.1 and ::1 signed by it, for\n"
      "serving HTTPS in development (signet serve|api --tls-cert cert.pem --tls-key key.pem),\n"
      "and say how to make clients trust the CA. Writes ca.pem, ca-key.pem, cert.pem (the\n"
      "certificate, then the CA) and key.pem. Idempotent: an existing CA is kept; the\n"
      "certificate is replaced when missing, expiring within 30 days, not signed by the CA, or\n"
      "with --force. The CA can only sign for localhost, 127.0.0.0/8 and ::1 (nameConstraints);\n"
      "one made before it had them is replaced. For development only: never trust this CA on a\n"
      "machine you do not control.");
  add_data_dir_option(cmd, o->data_dir);
  cmd->add_option("--out-dir", o->out_dir,
                  "Directory for the four files (default: <data-dir>/tls; created with mode 0700)");
  cmd->add_flag("--force", o->force,
                "Replace the server certificate even if it is still good (the CA is kept unless "
                "it is missing or expiring)");
  cmd->add_flag("--json", o->json,
                "Print {\"ca_file\", \"ca_key_file\", \"cert_file\", \"key_file\", \"created\": "
                "[files written]} instead of text");
  cmd->callback([o, &exit_code] { run_command([&] { run_dev_cert(*o); }, exit_code); });
}

}  // namespace signet::cli
