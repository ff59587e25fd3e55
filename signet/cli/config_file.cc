#include "signet/cli/config_file.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include <CLI/CLI.hpp>
// The one file that includes toml++ (heavy to compile): everything else sees config_file.h.
#include <toml++/toml.h>

#include "signet/cli/did_you_mean.h"

namespace signet::cli::config_file {
namespace {

// bytes; a configuration file is a few KiB. A bigger one is a wrong path (a log, a binary), which
// is better refused with a clear message than parsed.
constexpr std::size_t kMaxFileBytes = 1024 * 1024;

// Where a mistake is, as compilers say it: "FILE:LINE".
std::string at(const std::string& path, std::size_t line) {
  return path + ":" + std::to_string(line);
}

// "[serve] and [api]"
std::string table_list(const std::vector<std::string>& tables) {
  std::string out;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    out += i == 0 ? "" : (i + 1 == tables.size() ? " and " : ", ");
    out += "[" + tables[i] + "]";
  }
  return out;
}

std::string what_it_is(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number with a fraction";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

// What a key of `kind` needs, with an example line.
std::string what_it_needs(const std::string& key, const OptionShape& shape) {
  switch (shape.kind) {
    case ValueKind::kFlag:
      return "true or false (" + key + " = true)";
    case ValueKind::kInteger:
      return "an integer (" + key + " = 4)";
    case ValueKind::kString:
      return "a string in quotes (" + key + " = \"...\")";
    case ValueKind::kList:
      return shape.list_of_integers ? "an array of integers (" + key + " = [1, 2])"
                                    : "an array of strings (" + key + " = [\"...\", \"...\"])";
  }
  return "";
}

// The node as words of a command line, or nullopt when its type is not the option's.
std::optional<std::vector<std::string>> words(const toml::node& node, const OptionShape& shape) {
  const auto scalar = [](const toml::node& n, bool integer) -> std::optional<std::string> {
    if (integer) {
      if (const auto* i = n.as_integer()) {
        return std::to_string(i->get());
      }
      return std::nullopt;
    }
    if (const auto* s = n.as_string()) {
      return s->get();
    }
    return std::nullopt;
  };
  switch (shape.kind) {
    case ValueKind::kFlag:
      if (const auto* b = node.as_boolean()) {
        return std::vector<std::string>{b->get() ? "true" : "false"};
      }
      return std::nullopt;
    case ValueKind::kInteger:
    case ValueKind::kString:
      if (auto word = scalar(node, shape.kind == ValueKind::kInteger)) {
        return std::vector<std::string>{std::move(*word)};
      }
      return std::nullopt;
    case ValueKind::kList: {
      const auto* array = node.as_array();
      if (array == nullptr || array->empty()) {
        return std::nullopt;
      }
      std::vector<std::string> out;
      for (const toml::node& element : *array) {
        auto word = scalar(element, shape.list_of_integers);
        if (!word) {
          return std::nullopt;
        }
        out.push_back(std::move(*word));
      }
      return out;
    }
  }
  return std::nullopt;
}

bool is_integer_type(const CLI::Option& opt) {
  const std::string type = opt.get_type_name();
  const std::string word = type.substr(0, type.find(':'));
  return word == "INT" || word == "UINT";
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigFileError("cannot read the configuration file " + path + ": " +
                          std::strerror(errno) + "; check the path given by --config or " +
                          kConfigEnvVar);
  }
  std::string text;
  text.resize(kMaxFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    throw ConfigFileError("cannot read the configuration file " + path + ": " +
                          std::strerror(errno));
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) {
    throw ConfigFileError("the configuration file " + path + " is larger than " +
                          std::to_string(kMaxFileBytes / 1024) +
                          " KiB: is it the right file? (--config or " + kConfigEnvVar + ")");
  }
  return text;
}

toml::table parse(const std::string& path) {
  const std::string text = file_text(path);
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw ConfigFileError(at(path, where.line) + ":" + std::to_string(where.column) +
                          ": not valid TOML: " + std::string(e.description()) +
                          " (see docs/operations.md, \"Configuration file\")");
  }
}

// The variable an option reads besides its flag: its CLI11 envname, or else SIGNET_<NAME>, which
// the options that read their variable themselves use (add_data_dir_option and add_store_option
// in admin_support.h: --data-dir reads SIGNET_DATA_DIR).
std::string env_name(const CLI::Option& opt, const std::string& name) {
  if (!opt.get_envname().empty()) {
    return opt.get_envname();
  }
  std::string env = "SIGNET_";
  for (const char c : name) {
    env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return env;
}

bool given_elsewhere(const CLI::Option& opt, const std::string& name) {
  if (opt.count() > 0) {
    return true;
  }
  const char* value = std::getenv(env_name(opt, name).c_str());
  return value != nullptr && *value != '\0';
}

// The tables of the program: its commands that take --config.
std::vector<std::string> config_tables(const CLI::App& program) {
  std::vector<std::string> tables;
  for (const CLI::App* sub : program.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_option_no_throw("--config") != nullptr) {
      tables.push_back(sub->get_name());
    }
  }
  return tables;
}

void apply_file(CLI::App& cmd, const std::string& path, Loaded& loaded) {
  loaded.path = path;
  loaded.command = cmd.get_name();
  loaded.known_tables =
      cmd.get_parent() != nullptr ? config_tables(*cmd.get_parent()) : std::vector{cmd.get_name()};
  loaded.shapes = shapes_of(cmd);
  loaded.settings = read(path, loaded.command, loaded.shapes, loaded.known_tables);
  loaded.given_elsewhere.clear();
  for (const auto& [name, shape] : loaded.shapes) {
    if (given_elsewhere(*cmd.get_option("--" + name), name)) {
      loaded.given_elsewhere.insert(name);
    }
  }
  for (const auto& [name, setting] : loaded.settings) {
    if (loaded.given_elsewhere.contains(name)) {
      continue;  // flags and environment win over the file
    }
    CLI::Option* opt = cmd.get_option("--" + name);
    for (const auto& value : setting.values) {
      opt->add_result(value);
    }
    try {
      opt->run_callback();  // the option's validators, then its variable
    } catch (const CLI::Error& e) {
      throw ConfigFileError(at(path, setting.line) + ": [" + loaded.command + "] " + name + ": " +
                            e.what() + " (fix the value, or remove the key for the default)");
    }
  }
}

}  // namespace

Shapes shapes_of(const CLI::App& cmd) {
  Shapes shapes;
  for (const CLI::Option* opt : cmd.get_options()) {
    if (opt->get_group().empty()) {
      continue;  // a hidden alias kept for old scripts: the file uses the name --help shows
    }
    OptionShape shape;
    if (opt->get_expected_max() == 0) {
      shape.kind = ValueKind::kFlag;
    } else if (opt->get_items_expected_max() > 1) {
      shape.kind = ValueKind::kList;
      shape.list_of_integers = is_integer_type(*opt);
    } else {
      shape.kind = is_integer_type(*opt) ? ValueKind::kInteger : ValueKind::kString;
    }
    shape.default_value = opt->get_default_str();
    shape.settable = opt != cmd.get_help_ptr() && opt != cmd.get_help_all_ptr();
    for (const std::string& name : opt->get_lnames()) {
      OptionShape named = shape;
      named.settable = shape.settable && name != "config" && name != "check-config";
      shapes.emplace(name, std::move(named));
    }
  }
  return shapes;
}

Settings read(const std::string& path, const std::string& command, const Shapes& shapes,
              const std::vector<std::string>& known_tables) {
  const toml::table root = parse(path);
  const toml::table* table = nullptr;
  for (const auto& [key, node] : root) {
    const std::string name(key.str());
    const std::size_t line = key.source().begin.line;
    const bool known =
        std::find(known_tables.begin(), known_tables.end(), name) != known_tables.end();
    if (!node.is_table()) {
      throw ConfigFileError(
          at(path, line) + ": '" + name + "' is outside any table: " +
          (known ? "write it as the table [" + name + "]"
                 : "put it under the table of the command it is for, " + table_list(known_tables)));
    }
    if (!known) {
      std::string message = at(path, line) + ": no command reads the table [" + name + "]";
      if (const auto match = closest_match(name, known_tables)) {
        message += "; did you mean [" + *match + "]?";
      }
      throw ConfigFileError(message + " (the tables are " + table_list(known_tables) + ")");
    }
    if (name == command) {
      table = node.as_table();
    }
  }
  Settings settings;
  if (table == nullptr) {
    return settings;
  }
  std::vector<std::string> settable;
  for (const auto& [name, shape] : shapes) {
    if (shape.settable) {
      settable.push_back(name);
    }
  }
  for (const auto& [key, node] : *table) {
    const std::string name(key.str());
    const std::string where = at(path, key.source().begin.line) + ": [" + command + "] ";
    const auto shape = shapes.find(name);
    if (shape == shapes.end()) {
      std::string message = where + "unknown key '" + name + "'";
      if (const auto match = closest_match(name, settable)) {
        message += "; did you mean '" + *match + "'?";
      }
      throw ConfigFileError(message + " (the keys are the flags of 'signet " + command +
                            " --help' without the leading --)");
    }
    if (!shape->second.settable) {
      throw ConfigFileError(where + "'" + name + "' is not a setting: give --" + name +
                            " on the command line" +
                            (name == "config" ? std::string(" or ") + kConfigEnvVar : ""));
    }
    auto values = words(node, shape->second);
    if (!values) {
      throw ConfigFileError(where + "'" + name + "' must be " + what_it_needs(name, shape->second) +
                            ", not " + what_it_is(node));
    }
    settings.emplace(name, Setting{std::move(*values), key.source().begin.line});
  }
  return settings;
}

void add_config_options(CLI::App* cmd, Loaded& loaded, bool& check_config) {
  cmd->add_flag("--check-config", check_config,
                "Check the configuration (flags, environment and --config file) as a start\n"
                "does, print 'configuration is valid' and exit 0, or the error and exit 1;\n"
                "binds nothing and writes nothing");
  cmd->add_option_function<std::string>(
         "--config",
         [cmd, &loaded](const std::string& path) {
           if (cmd->get_help_ptr() != nullptr && cmd->get_help_ptr()->count() > 0) {
             return;  // --help shows help, whatever the file holds
           }
           apply_file(*cmd, path, loaded);
         },
         "TOML file of settings: its [" + cmd->get_name() +
             "] table holds these flags, each without its\n"
             "leading -- (listen = \"127.0.0.1:4000\"); flags and SIGNET_* variables win over\n"
             "it (docs/operations.md)")
      ->envname(kConfigEnvVar);
}

Result<ReloadReport, std::string> reload(Loaded& loaded,
                                         const std::map<std::string, Reloadable>& reloadable) {
  if (loaded.path.empty()) {
    return ReloadReport{};
  }
  Settings fresh;
  try {
    fresh = read(loaded.path, loaded.command, loaded.shapes, loaded.known_tables);
  } catch (const ConfigFileError& e) {
    return fail(std::string(e.what()));
  }
  std::set<std::string, std::less<>> keys;
  for (const auto& [name, setting] : loaded.settings) {
    keys.insert(name);
  }
  for (const auto& [name, setting] : fresh) {
    keys.insert(name);
  }
  ReloadReport report;
  std::vector<std::pair<std::string, std::string>> to_apply;  // key, value
  for (const std::string& name : keys) {
    if (loaded.given_elsewhere.contains(name)) {
      continue;
    }
    const auto before = loaded.settings.find(name);
    const auto after = fresh.find(name);
    const bool had = before != loaded.settings.end();
    const bool has = after != fresh.end();
    if (had == has && (!had || before->second == after->second)) {
      continue;
    }
    const auto handler = reloadable.find(name);
    if (handler == reloadable.end()) {
      report.at_restart.push_back(name);
      continue;
    }
    const std::string value =
        has ? after->second.values.front() : loaded.shapes.at(name).default_value;
    if (auto refused = handler->second.check(value)) {
      return fail((has ? at(loaded.path, after->second.line) : loaded.path) + ": [" +
                  loaded.command + "] " + name + ": " + *refused);
    }
    to_apply.emplace_back(name, value);
  }
  for (const auto& [name, value] : to_apply) {
    reloadable.at(name).apply(value);
    if (const auto after = fresh.find(name); after != fresh.end()) {
      loaded.settings.insert_or_assign(name, after->second);
    } else {
      loaded.settings.erase(name);
    }
    report.applied.push_back(name);
  }
  return report;
}

}  // namespace signet::cli::config_file
