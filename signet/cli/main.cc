// signet: a self-hosted OAuth 2.0 authorization server and API guard.

#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "signet/cli/api_command.h"
#include "signet/cli/keys_command.h"
#include "signet/cli/log.h"

int main(int argc, char** argv) {
  CLI::App app{
      "signet: issue and check OAuth 2.0 access tokens on your own machines.\n"
      "Run 'signet <command> --help' for the flags of a command."};
  signet::cli::install_json_logging();
  app.require_subcommand(1);
  app.set_version_flag("--version", "signet 0.1.0");
  int exit_code = 0;
  signet::cli::add_api_command(app, exit_code);
  signet::cli::add_keys_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "signet: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
