#pragma once

// The TOML configuration file of `signet serve` and `signet api` (docs/operations.md,
// "Configuration file"):
//
//   [serve]
//   listen = "127.0.0.1:4000"            # a string option
//   threads = 4                          # an integer option
//   migrate = true                       # a flag
//   trusted-proxy = ["10.0.0.0/8"]       # an option that takes several values
//
//   [api]
//   issuer = "https://auth.example.com/"
//
// - A command reads the table named after it; a key is one of its long options without the
//   leading "--". Nothing lists the keys: they are the command's options, found when the file is
//   read, so an option added to a command is a key of its table at once.
// - Precedence is flags > environment (SIGNET_*) > file > defaults: a key sets its option only
//   when neither the command line nor the option's environment variable gave it. (CLI11's own
//   configuration support applies a file before the environment, the wrong way round.)
// - A value goes through the option's own validators, as the same value given as a flag would.
// - Every mistake is a ConfigFileError naming the file, the line and the key, and saying what to
//   do: a TOML syntax error, a key outside a table, a table no command reads, an unknown key (with
//   a did-you-mean), a key that is not a setting (config, check-config, help), a value of the
//   wrong type, a value the option refuses.
// - Only the table of the command that runs is read; the other table's keys are checked by that
//   command.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "signet/common/result.h"

namespace CLI {
class App;
}  // namespace CLI

namespace signet::cli::config_file {

// The environment variable naming the file when --config is not given.
constexpr const char* kConfigEnvVar = "SIGNET_CONFIG";

// A mistake in the file; what() is one line: "FILE:LINE: what is wrong; what to do".
class ConfigFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The kind of value an option takes, which fixes the TOML type its key needs.
enum class ValueKind {
  kFlag,     // a boolean: true or false
  kInteger,  // an integer
  kString,   // a string
  kList,     // an array of strings (or of integers, for an integer option)
};

// What the file needs to know of one option.
struct OptionShape {
  ValueKind kind = ValueKind::kString;
  bool list_of_integers = false;  // kList whose values are integers
  std::string default_value;      // as --help shows it; empty when it has none
  bool settable = true;           // false for --config, --check-config and the help flags
};

// The options of a command, by long name without dashes.
using Shapes = std::map<std::string, OptionShape, std::less<>>;

// One key of the file: its values as words of a command line, and the line it is on.
struct Setting {
  std::vector<std::string> values;
  std::size_t line = 0;

  bool operator==(const Setting& other) const { return values == other.values; }
};
using Settings = std::map<std::string, Setting, std::less<>>;

// The options of `cmd` that a file may set: those --help shows (hidden aliases excluded).
Shapes shapes_of(const CLI::App& cmd);

// Reads the table `command` of the TOML file at `path`, each key checked against `shapes` for its
// name and the type of its value; the tables `known_tables` name are allowed and, but for
// `command`'s, skipped. Throws ConfigFileError.
Settings read(const std::string& path, const std::string& command, const Shapes& shapes,
              const std::vector<std::string>& known_tables);

// The file as a command loaded it.
struct Loaded {
  std::string path;  // empty: no file
  std::string command;
  std::vector<std::string> known_tables;
  Shapes shapes;
  Settings settings;                      // the command's table as last applied
  std::set<std::string> given_elsewhere;  // options the command line or environment gave
};

// Adds --config FILE (also SIGNET_CONFIG) and --check-config to `cmd`, a subcommand of the
// program. When a file is named, its table sets each option of `cmd` the command line and the
// environment left unset, before CLI11 checks required options, and `loaded` records what it
// read. `check_config` becomes true with --check-config. The keys are looked up when the file is
// read, so options added to `cmd` after this call are keys too.
void add_config_options(CLI::App* cmd, Loaded& loaded, bool& check_config);

// A setting that takes effect while the server runs, without a restart: `check` returns an error
// for a value it refuses, `apply` puts a checked value in force.
struct Reloadable {
  std::function<std::optional<std::string>(const std::string& value)> check;
  std::function<void(const std::string& value)> apply;
};

// What reload() did: the keys it put in force, and those that differ from what runs but take
// effect only at the next start.
struct ReloadReport {
  std::vector<std::string> applied;
  std::vector<std::string> at_restart;
};

// Reads `loaded`'s file again. Keys of `reloadable` whose value changed are checked, then all
// applied (a key removed from the file goes back to its default); every other key that differs
// from what the process started with is named in at_restart. Keys the command line or the
// environment gave are left alone: the file does not decide them. On any error nothing is
// applied and the error is returned (the message of ConfigFileError).
Result<ReloadReport, std::string> reload(Loaded& loaded,
                                         const std::map<std::string, Reloadable>& reloadable);

}  // namespace signet::cli::config_file
