#include "signet/cli/dev_cert_command.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/common/shell_quote.h"
#include "signet/keys/dev_cert_files.h"

namespace signet::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct DevCertOptions {
  std::string data_dir{kDefaultDataDir};
  std::string out_dir;  // empty = <data_dir>/tls
  bool force = false;
  bool json = false;
};

std::string day(store::Timestamp t) {
  return format_time(t).substr(0, 10);  // 2036-02-27
}

void print_report(const keys::DevCertPaths& p, const keys::DevCertOutcome& out) {
  const std::string ca = shell_quote(p.ca.string());
  const std::string cert = shell_quote(p.cert.string());
  const std::string key = shell_quote(p.key.string());
  std::cout << "CA           "
            << (out.new_ca_reason ? "created " + ca + " (" + *out.new_ca_reason + ")"
                                  : "kept " + ca)
            << "\n"
            << "             " << out.ca.subject << ", valid until " << day(out.ca.not_after)
            << ", key " << keys::kDevCaKeyFileName << "\n"
            << "             SHA-256 fingerprint " << out.ca.sha256_fingerprint << "\n"
            << "certificate  "
            << (out.new_server_reason ? "created " + cert + " (" + *out.new_server_reason + ")"
                                      : "kept " + cert)
            << "\n"
            << "             " << out.server.subject
            << " for localhost, 127.0.0.1 and ::1, valid until " << day(out.server.not_after)
            << ", key " << keys::kDevKeyFileName << "\n";
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
  std::cout << "\nTrust the CA in the clients that call them (" << keys::kDevCaFileName
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
      << "\nKeep " << keys::kDevCaKeyFileName
      << " private: with it anyone can make certificates that every client trusting this "
         "CA accepts (only for localhost, 127.0.0.0/8 and ::1: the CA is name-constrained).\n";
}

void print_json_report(const keys::DevCertPaths& p, const keys::DevCertOutcome& out) {
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
  const fs::path chosen = o.out_dir.empty() ? prepare_data_dir(o.data_dir) / keys::kDevCertDirName
                                            : fs::path(o.out_dir);
  std::error_code ec;
  // Absolute, so that the printed commands work from any directory.
  const fs::path dir = fs::absolute(chosen, ec).lexically_normal();
  if (ec) {
    throw CommandError{"cannot resolve " + chosen.string() + ": " + ec.message()};
  }
  const keys::DevCertPaths p = keys::dev_cert_paths(dir);
  auto out = keys::ensure_dev_cert_files(p, o.force, now());
  if (!out) {
    throw CommandError{out.error()};
  }
  if (o.json) {
    print_json_report(p, *out);
  } else {
    print_report(p, *out);
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
