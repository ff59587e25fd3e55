#include "signet/cli/admin_support.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <system_error>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/printers.h"
#include "signet/common/file_safety.h"
#include "signet/store/postgres_store.h"

namespace signet::cli {

namespace fs = std::filesystem;

// The data directory holds the master key and encrypted private keys: owner only.
constexpr auto kDataDirMode = fs::perms::owner_all;
constexpr std::string_view kDataDirWhat = "the data directory";  // in messages, before its path

std::string describe(const keys::KeyError& e) {
  return std::string(keys::to_string(e.code)) + ": " + e.message;
}

CommandError admin_failure(const admin::AdminError& e, std::string_view hint) {
  if (hint.empty()) {
    return CommandError{e.message};
  }
  return CommandError{e.message + " " + std::string(hint)};
}

store::Timestamp now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string format_time(store::Timestamp t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  if (::gmtime_r(&secs, &utc) == nullptr) {
    return std::to_string(secs);
  }
  std::array<char, 32> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buf.data(), n);
}

// `dir` as an absolute path without a trailing slash, so that every message and log line names
// the directory unambiguously, whatever the working directory was.
fs::path absolute_data_dir(const std::string& dir) {
  std::error_code ec;
  fs::path path = fs::absolute(dir, ec);
  if (ec) {
    throw CommandError{"cannot resolve the data directory " + dir + ": " + ec.message()};
  }
  path = path.lexically_normal();
  if (!path.has_filename() && path.has_parent_path()) {
    path = path.parent_path();  // "/srv/signet-data/" -> "/srv/signet-data"
  }
  return path;
}

namespace {

// What to do when the data directory or its store is not there, for read-only commands.
std::string create_it_first(const fs::path& path) {
  return "pass --data-dir (or set " + std::string(kDataDirEnvVar) +
         ") to use an existing one, or create it with 'signet serve --data-dir " +
         shell_quote(path.string()) + "' or a create command (e.g. 'signet apis create')";
}

}  // namespace

fs::path prepare_data_dir(const std::string& dir) {
  const fs::path path = absolute_data_dir(dir);
  auto checked = check_path(path, Trust::kDirectory, kDataDirWhat);
  if (!checked && checked.error().code == UnsafeFileCode::kMissing) {
    std::error_code ec;
    if (path.has_parent_path()) {
      fs::create_directories(path.parent_path(), ec);  // a failure shows in mkdir's errno
    }
    if (::mkdir(path.c_str(), static_cast<mode_t>(kDataDirMode)) != 0 && errno != EEXIST) {
      throw CommandError{"cannot create the data directory " + path.string() + ": " +
                         std::generic_category().message(errno)};
    }
    // Checked again: another process may have created it first, with other modes.
    checked = check_path(path, Trust::kDirectory, kDataDirWhat);
  }
  if (!checked) {
    throw CommandError{checked.error().message};
  }
  return path;
}

fs::path existing_data_dir(const std::string& dir) {
  const fs::path path = absolute_data_dir(dir);
  auto checked = check_path(path, Trust::kDirectory, kDataDirWhat);
  if (!checked && checked.error().code == UnsafeFileCode::kMissing) {
    throw CommandError{"no data directory " + path.string() + ": " + create_it_first(path)};
  }
  if (!checked) {
    throw CommandError{checked.error().message};
  }
  return path;
}

void check_store_url(const std::string& url) {
  if (!url.empty() && !store::postgres::is_postgres_url(url)) {
    throw CommandError{
        "--store takes a postgresql:// URL (the SQLite file needs no --store: it "
        "is <data-dir>/signet.db), not '" +
        store::postgres::redact_url(url) + "'"};
  }
}

std::unique_ptr<store::SqlStore> open_store(const fs::path& data_dir, const StoreLocation& where) {
  if (!where.url.empty()) {
    check_store_url(where.url);
    store::PostgresStore::Options options;
    options.connection.url = where.url;
    options.connection.pool_size = where.pool_size;
    options.migrate = where.migrate;
    auto opened = store::PostgresStore::open(options);
    if (!opened) {
      throw CommandError{"cannot open the store " + store::postgres::redact_url(where.url) + ": " +
                         describe(opened.error())};
    }
    return std::move(*opened);
  }
  auto opened = store::SqliteStore::open((data_dir / kStoreFileName).string());
  if (!opened) {
    throw CommandError{"cannot open the store " + (data_dir / kStoreFileName).string() + ": " +
                       describe(opened.error())};
  }
  return std::move(*opened);
}

std::unique_ptr<store::SqlStore> open_existing_store(const fs::path& data_dir,
                                                     const StoreLocation& where) {
  if (!where.url.empty()) {
    return open_store(data_dir, where);
  }
  const fs::path db = data_dir / kStoreFileName;
  struct stat st {};
  if (::lstat(db.c_str(), &st) != 0 && errno == ENOENT) {
    throw CommandError{"no store in the data directory " + data_dir.string() + " (" +
                       std::string(kStoreFileName) + " is missing): " + create_it_first(data_dir)};
  }
  return open_store(data_dir);
}

keys::MasterKey load_master_key(const fs::path& data_dir) {
  std::optional<std::string> env;
  if (const char* value = std::getenv(std::string(keys::kMasterKeyEnvVar).c_str())) {
    env = value;
  }
  auto key = keys::MasterKey::load(env, data_dir);
  if (!key) {
    throw CommandError{describe(key.error())};
  }
  return std::move(*key);
}

server::ArgonParams argon_params_from_env() {
  server::ArgonParams params;
  const auto read = [](const char* name, std::uint32_t& out) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
      return;
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long n = std::strtoul(value, &end, 10);
    if (errno != 0 || *end != '\0' || n > 0xFFFFFFFFul || value[0] == '-') {
      throw CommandError{std::string(name) + "='" + value + "' is not a number"};
    }
    out = static_cast<std::uint32_t>(n);
  };
  read("SIGNET_ARGON2_MEMORY_KIB", params.memory_kib);
  read("SIGNET_ARGON2_ITERATIONS", params.iterations);
  read("SIGNET_ARGON2_PARALLELISM", params.parallelism);
  if (auto valid = server::validate_argon_params(params); !valid) {
    throw CommandError{valid.error() + " (from SIGNET_ARGON2_*)"};
  }
  return params;
}

void print_json(const boost::json::value& value) {
  print_json(std::cout, value);
}

std::string read_text_file(const std::string& path, std::size_t max_bytes, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw CommandError{"cannot read " + std::string(what) + " from " + path + ": " +
                       std::strerror(errno)};
  }
  // One byte more than allowed is read, to tell "exactly the limit" from "longer".
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    throw CommandError{"cannot read " + std::string(what) + " from " + path};
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    throw CommandError{std::string(what) + " in " + path + " is longer than " +
                       std::to_string(max_bytes) + " bytes"};
  }
  return text;
}

std::vector<std::string> split_list(const std::vector<std::string>& values) {
  std::vector<std::string> words;
  for (const auto& value : values) {
    std::string_view rest(value);
    while (!rest.empty()) {
      const auto end = rest.find_first_of(kListSeparators);
      const auto word = rest.substr(0, end);
      if (!word.empty() && std::find(words.begin(), words.end(), word) == words.end()) {
        words.emplace_back(word);
      }
      if (end == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(end + 1);
    }
  }
  return words;
}

std::string join_or_dash(const std::vector<std::string>& words, std::string_view separator) {
  if (words.empty()) {
    return "-";
  }
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) {
      out += separator;
    }
    out += w;
  }
  return out;
}

void add_hidden_alias(CLI::App* cmd, CLI::Option* option, const std::string& alias) {
  cmd->add_option(alias,
                  [option](const CLI::results_t& values) {
                    for (const auto& value : values) {
                      option->add_result(value);
                    }
                    return true;
                  })
      ->group("")  // not in --help
      ->expected(option->get_items_expected_min(), option->get_items_expected_max())
      ->allow_extra_args(option->get_allow_extra_args())
      // At parse time, so that `option` counts as given when requirements are checked.
      ->trigger_on_parse();
}

CLI::Option* add_list_option(CLI::App* cmd, const std::string& name,
                             std::optional<std::vector<std::string>>& values,
                             const std::string& help) {
  return cmd
      ->add_option(
          name,
          [&values](const CLI::results_t& words) {
            values = words;
            return true;
          },
          help)
      ->type_name("TEXT")
      ->expected(1, CLI::detail::expected_max_vector_size)
      ->allow_extra_args(false);
}

void add_require_dpop_flags(CLI::App* cmd, std::optional<bool>& value, const std::string& on_help) {
  CLI::Option* on = cmd->add_flag_callback(
      "--require-dpop", [&value] { value = true; }, on_help);
  cmd->add_flag_callback(
         "--no-require-dpop", [&value] { value = false; },
         "Do not require DPoP proofs (the default): bearer tokens are issued")
      ->excludes(on);
}

void add_yes_flag(CLI::App* cmd, bool& yes) {
  cmd->add_flag("-y,--yes", yes,
                "Delete without asking (needed when stdin is not a terminal, as in scripts)");
}

void add_json_flag(CLI::App* cmd, bool& json) {
  cmd->add_flag("--json", json,
                "Print JSON on stdout instead of text: an object for one record, an array for a "
                "list");
}

void add_data_dir_option(CLI::App* cmd, std::string& dir) {
  // The variable is read here rather than with CLI11's envname: the verbs of one noun share their
  // options, and CLI11 applies a variable to the options of verbs that were not run too, so the
  // variable overwrote an explicit --data-dir given to the verb that was.
  if (const char* env = std::getenv(std::string(kDataDirEnvVar).c_str()); env != nullptr && *env) {
    dir = env;
  }
  cmd->add_option("--data-dir", dir,
                  "Directory of signet.db and master.key (commands that write create it, mode "
                  "0700, when missing; it must be yours and writable by you alone) [env: " +
                      std::string(kDataDirEnvVar) + "]")
      ->capture_default_str();
}

void add_store_option(CLI::App* cmd, std::string& url) {
  // Read here, not with CLI11's envname, for the reason add_data_dir_option gives.
  if (const char* env = std::getenv(std::string(kStoreEnvVar).c_str()); env != nullptr && *env) {
    url = env;
  }
  cmd->add_option("--store", url,
                  "A PostgreSQL database for the tenant's state instead of <data-dir>/signet.db,\n"
                  "shared by several servers: postgresql://user:password@host/db?sslmode=... \n"
                  "(docs/postgresql.md). The master key still comes from the data directory or\n"
                  "SIGNET_MASTER_KEY [env: " +
                      std::string(kStoreEnvVar) + "]");
}

void run_command(const std::function<void()>& body, int& exit_code) {
  try {
    body();
    exit_code = 0;
  } catch (const CommandError& e) {
    std::cerr << "signet: " << e.message << "\n";
    exit_code = 1;
  }
}

}  // namespace signet::cli
