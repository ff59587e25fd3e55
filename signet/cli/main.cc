// signet: a self-hosted OAuth 2.0 authorization server and API guard.

#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "signet/cli/api_command.h"
#include "signet/cli/apis_command.h"
#include "signet/cli/clients_command.h"
#include "signet/cli/dev_cert_command.h"
#include "signet/cli/grants_command.h"
#include "signet/cli/keys_command.h"
#include "signet/cli/log.h"
#include "signet/cli/serve_command.h"
#include "signet/cli/token_command.h"
#include "signet/cli/users_command.h"
#include "signet/common/no_dump.h"

namespace {

// "signet apis create": the deepest command the parser reached, for "see '... --help'" hints.
std::string command_path(const CLI::App& app) {
  std::string path = "signet";
  const CLI::App* cmd = &app;
  while (!cmd->get_subcommands().empty()) {
    cmd = cmd->get_subcommands().front();
    path += " " + cmd->get_name();
  }
  return path;
}

// CLI11's "The following arguments were not expected: --password hunter2" with every word that
// is not an option name replaced by "...": values may be secrets (passwords are only ever read
// with --password-stdin), option names are what the user needs to see.
std::string without_values(const std::string& message) {
  const std::size_t colon = message.find(':');
  if (colon == std::string::npos) {
    return "unexpected arguments";
  }
  std::string out = message.substr(0, colon + 1);
  std::size_t pos = colon + 1;
  while (pos < message.size()) {
    const std::size_t start = message.find_first_not_of(' ', pos);
    if (start == std::string::npos) {
      break;
    }
    const std::size_t end = std::min(message.find(' ', start), message.size());
    const std::string word = message.substr(start, end - start);
    out += " ";
    out += word.starts_with("-") ? word.substr(0, word.find('=')) : "...";
    pos = end;
  }
  return out + " (values are not repeated here; passwords are read with --password-stdin)";
}

}  // namespace

int main(int argc, char** argv) {
  // First, for every subcommand: serve, api and the admin commands hold the master key, decrypted
  // signing keys, client secrets or passwords, and `token` holds a client secret. A core file
  // would write them to disk; a debugger attached by the same user could read them. Doing it for
  // all, before the command line is even parsed, leaves no command to forget.
  if (auto no_dump = signet::forbid_core_dumps(); !no_dump) {
    std::cerr << "signet: " << no_dump.error() << "\n";
    return 1;
  }
  CLI::App app{
      "signet: issue and check OAuth 2.0 access tokens on your own machines.\n"
      "Run 'signet <command> --help' for the flags of a command."};
  signet::cli::install_json_logging();
  app.require_subcommand(1);
  app.set_version_flag("--version", "signet 0.1.0");
  int exit_code = 0;
  signet::cli::add_serve_command(app, exit_code);
  signet::cli::add_api_command(app, exit_code);
  signet::cli::add_keys_command(app, exit_code);
  signet::cli::add_apis_command(app, exit_code);
  signet::cli::add_clients_command(app, exit_code);
  signet::cli::add_grants_command(app, exit_code);
  signet::cli::add_users_command(app, exit_code);
  signet::cli::add_token_command(app, exit_code);
  signet::cli::add_dev_cert_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);  // --help, --version
    }
    // Like every other failure: one line on stderr, status 1. Unexpected arguments are not
    // echoed: someone who typed `--password hunter2` must not find it in a log.
    const std::string message = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr
                                    ? without_values(e.what())
                                    : std::string(e.what());
    std::cerr << "signet: " << message << " (see '" << command_path(app) << " --help')\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "signet: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
