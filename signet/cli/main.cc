// signet: a self-hosted OAuth 2.0 authorization server and API guard.

#include <algorithm>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "signet/cli/api_command.h"
#include "signet/cli/apis_command.h"
#include "signet/cli/clients_command.h"
#include "signet/cli/command_context.h"
#include "signet/cli/dev_cert_command.h"
#include "signet/cli/did_you_mean.h"
#include "signet/cli/grants_command.h"
#include "signet/cli/keys_command.h"
#include "signet/cli/log.h"
#include "signet/cli/logs_command.h"
#include "signet/cli/migrate_command.h"
#include "signet/cli/serve_command.h"
#include "signet/cli/store_command.h"
#include "signet/cli/token_command.h"
#include "signet/cli/users_command.h"
#include "signet/common/no_dump.h"

namespace {

// The commands the parser went through, from "signet" to the deepest ("signet apis create").
std::vector<const CLI::App*> command_chain(const CLI::App& app) {
  std::vector<const CLI::App*> chain{&app};
  while (!chain.back()->get_subcommands().empty()) {
    chain.push_back(chain.back()->get_subcommands().front());
  }
  return chain;
}

// "signet apis create": the commands of `chain` up to and including `last`.
std::string command_path(const std::vector<const CLI::App*>& chain, const CLI::App* last) {
  std::string path = "signet";
  for (const CLI::App* cmd : chain) {
    if (cmd != chain.front()) {
      path += " " + cmd->get_name();
    }
    if (cmd == last) {
      break;
    }
  }
  return path;
}

// The long flags a command shows in its help, without dashes. Hidden aliases kept for old
// scripts (--signing-alg, --scope) are accepted but never suggested.
std::vector<std::string> flag_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : cmd.get_options()) {
    if (!opt->get_group().empty()) {
      const auto& long_names = opt->get_lnames();
      names.insert(names.end(), long_names.begin(), long_names.end());
    }
  }
  return names;
}

// True when a command below `cmd` takes the flag (`signet clients --data-dir X` lacks a command,
// it has no unknown flag).
bool taken_below(const CLI::App& cmd, std::string_view name) {
  for (const CLI::App* sub : cmd.get_subcommands([](const CLI::App*) { return true; })) {
    const auto names = flag_names(*sub);
    if (std::find(names.begin(), names.end(), name) != names.end() || taken_below(*sub, name)) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> command_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::App* sub : cmd.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// "create, list or show".
std::string one_of(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    out += i == 0 ? "" : (i + 1 == words.size() ? " or " : ", ");
    out += words[i];
  }
  return out;
}

// The first word no command knew, when it is a flag or sits where a command name goes: what it
// is and, when a known name is close, "did you mean ...". Checked before the parser's own error,
// which for `--audiance X` would only say that --audience is missing.
//
// A flag's name may be shown, never its value (`--password=hunter2` shows as --password), and a
// mistyped command is repeated only when it is close to a real one: a word too far from every
// command might be a secret typed in the wrong place, and must not reach a terminal log.
std::optional<std::string> unknown_word_message(const std::vector<const CLI::App*>& chain) {
  for (const CLI::App* cmd : chain) {
    const auto path = command_path(chain, cmd);
    for (const std::string& word : cmd->remaining(false)) {
      if (word.size() > 1 && word.starts_with("-")) {
        const std::string name = word.substr(0, word.find('='));
        const auto typed =
            std::string_view(name).substr(std::min(name.find_first_not_of('-'), name.size()));
        if (taken_below(*cmd, typed)) {
          break;  // a flag of the command that is missing: the parser says a command is needed
        }
        std::string message = "unknown flag '" + name + "' for '" + path + "'";
        if (const auto match = signet::cli::closest_match(typed, flag_names(*cmd))) {
          message += "; did you mean '--" + *match + "'?";
          if (match->ends_with("-stdin")) {
            message += " (it reads the value from stdin: secrets are never given as arguments)";
          }
          return message;
        }
        return message + " (see '" + path + " --help')";
      }
      const auto commands = command_names(*cmd);
      if (commands.empty()) {
        break;  // an extra argument of a command without subcommands: the parser's message
      }
      if (const auto match = signet::cli::closest_match(word, commands)) {
        return "unknown command '" + word + "' for '" + path + "'; did you mean '" + *match + "'?";
      }
      return "'" + path + "' has no such command: use " + one_of(commands) + " (see '" + path +
             " --help')";
    }
  }
  return std::nullopt;
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
  // The admin commands run in this context: the process's streams, its clock, and the tenant
  // their --data-dir names.
  auto context = signet::cli::CommandContext::for_process();
  signet::cli::VerbRegistrar verbs(context, exit_code);
  signet::cli::add_serve_command(app, exit_code);
  signet::cli::add_api_command(app, exit_code);
  signet::cli::keys::add_command(app, verbs);
  signet::cli::apis::add_command(app, verbs);
  signet::cli::clients::add_command(app, verbs);
  signet::cli::grants::add_command(app, verbs);
  signet::cli::users::add_command(app, verbs);
  signet::cli::logs::add_command(app, verbs);
  signet::cli::add_token_command(app, exit_code);
  signet::cli::add_dev_cert_command(app, exit_code);
  signet::cli::add_migrate_command(app, exit_code);
  signet::cli::add_store_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);  // --help, --version
    }
    // Like every other failure: one line on stderr, status 1. Unexpected arguments are not
    // echoed: someone who typed `--password hunter2` must not find it in a log.
    const auto chain = command_chain(app);
    if (const auto message = unknown_word_message(chain)) {
      std::cerr << "signet: " << *message << "\n";
      return 1;
    }
    const std::string message = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr
                                    ? without_values(e.what())
                                    : std::string(e.what());
    std::cerr << "signet: " << message << " (see '" << command_path(chain, chain.back())
              << " --help')\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "signet: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
