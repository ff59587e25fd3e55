#pragma once

// What every admin command (`signet keys|apis|clients|grants|users`) and `signet serve` share:
// the data directory, the store in it, the master key, failures as one "signet: ..." line (with
// the CLI's hints after an admin operation's own sentence), and flags. Records are printed by
// signet/cli/printers.h.

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/App.hpp>
#include <boost/json/value.hpp>

#include "signet/admin/admin.h"
#include "signet/common/result.h"
#include "signet/common/shell_quote.h"
#include "signet/keys/error.h"
#include "signet/keys/master_key.h"
#include "signet/server/password.h"
#include "signet/store/error.h"
#include "signet/store/postgres_db.h"
#include "signet/store/sqlite_store.h"
#include "signet/store/types.h"

namespace signet::cli {

constexpr std::string_view kDefaultDataDir = "./signet-data";
constexpr std::string_view kStoreFileName = "signet.db";
constexpr std::string_view kDataDirEnvVar = "SIGNET_DATA_DIR";
constexpr std::string_view kStoreEnvVar = "SIGNET_STORE";

// A failure the command reports as one line on stderr ("signet: ...") with exit status 1.
struct CommandError {
  std::string message;
};

std::string describe(const keys::KeyError& e);

// An admin operation's failure as the one line an operator reads: the operation's own sentence,
// then `hint` (e.g. "(see 'signet apis list')") when there is one. Hints name CLI commands, so
// they live here, not in the admin service.
CommandError admin_failure(const admin::AdminError& e, std::string_view hint = {});

// A hint for one kind of admin failure: `text` follows the message when the operation fails with
// `code`.
struct Hint {
  admin::AdminErrorCode code;
  std::string text;
};

// The value of an admin operation, or throws admin_failure() with the first hint for its code.
template <typename T>
T value_or_throw(admin::AdminResult<T> result, std::initializer_list<Hint> hints = {}) {
  if (!result) {
    for (const auto& hint : hints) {
      if (hint.code == result.error().code) {
        throw admin_failure(result.error(), hint.text);
      }
    }
    throw admin_failure(result.error());
  }
  return std::move(result).value();
}

// Every record of a paged admin list, asking for the largest pages. `fetch` takes an
// admin::PageRequest and returns an AdminResult<admin::Page<T>>; `hints` as for value_or_throw.
template <typename Fetch>
auto all_pages(Fetch fetch, std::initializer_list<Hint> hints = {}) {
  admin::PageRequest request{0, admin::kMaxPerPage};
  auto first = value_or_throw(fetch(request), hints);
  auto items = std::move(first.items);
  for (auto total = first.total; static_cast<std::int64_t>(items.size()) < total;) {
    ++request.page;
    auto page = value_or_throw(fetch(request), hints);
    if (page.items.empty()) {
      break;  // records deleted meanwhile: what is left was listed
    }
    total = page.total;
    std::move(page.items.begin(), page.items.end(), std::back_inserter(items));
  }
  return items;
}

store::Timestamp now();
// RFC 3339 in UTC, e.g. 2026-11-28T23:37:16Z.
std::string format_time(store::Timestamp t);

// The data directory as an absolute path (what messages and serve's log line show), for commands
// that write: created with mode 0700 when missing (it holds the master key and encrypted private
// keys). An existing one must belong to the effective user (or root) and be writable by nobody
// else (signet/common/file_safety.h); else CommandError saying how to fix it.
std::filesystem::path prepare_data_dir(const std::string& dir);
// `dir` as an absolute path without a trailing slash, checked for nothing.
std::filesystem::path absolute_data_dir(const std::string& dir);
// The same for read-only commands (list, show, jwks), which create nothing: a missing directory is
// a CommandError naming its absolute path and how to point at or create the right one.
std::filesystem::path existing_data_dir(const std::string& dir);
// Where the tenant's state lives: <data-dir>/signet.db, or a PostgreSQL database shared by
// several servers (docs/postgresql.md). The data directory still holds the master key.
struct StoreLocation {
  std::string url;  // empty: the SQLite file; else a postgresql:// URL (--store, SIGNET_STORE)
  int pool_size = store::postgres::kDefaultPoolSize;
  bool migrate = false;  // PostgreSQL: apply pending migrations instead of refusing the database
};

// Opens the store: <data_dir>/signet.db (created and migrated) or the PostgreSQL database of
// `where.url`. Throws CommandError, saying what to do.
std::unique_ptr<store::SqlStore> open_store(const std::filesystem::path& data_dir,
                                            const StoreLocation& where = {});
// The same for read-only commands: the SQLite file must exist already.
std::unique_ptr<store::SqlStore> open_existing_store(const std::filesystem::path& data_dir,
                                                     const StoreLocation& where = {});
// The form check open_store makes of a --store URL (empty is fine: the SQLite file), alone, for a
// check that opens nothing. Throws CommandError.
void check_store_url(const std::string& url);

// Adds --store (also SIGNET_STORE): a postgresql:// URL instead of <data-dir>/signet.db.
void add_store_option(CLI::App* cmd, std::string& url);
// SIGNET_MASTER_KEY, else <data_dir>/master.key (created on first use; refused unless it is a
// regular file of the effective user's or root's that nobody else can read). Throws CommandError.
keys::MasterKey load_master_key(const std::filesystem::path& data_dir);

// OWASP's argon2id parameters, or those in SIGNET_ARGON2_MEMORY_KIB, SIGNET_ARGON2_ITERATIONS and
// SIGNET_ARGON2_PARALLELISM: the variables `signet serve` reads too, so that its decoy hash for
// unknown users costs what real users' hashes cost. Throws CommandError for a value that is not a
// number or that the password rules refuse.
server::ArgonParams argon_params_from_env();

// Prints one JSON value and a newline on stdout (signet/cli/printers.h prints to any stream).
void print_json(const boost::json::value& value);

// What separates the words of a list-valued flag or argument (scopes, grant types): a comma or
// white space, in every command, so "a b", "a,b", "a, b" and the flag repeated all mean the same.
constexpr std::string_view kListSeparators = ", \t\n";
// The words of list-valued flags: every value is split at kListSeparators, empty words are
// dropped, and repeats are kept once, in first order.
std::vector<std::string> split_list(const std::vector<std::string>& values);
// The commands that hints suggest are quoted for a POSIX shell (signet/common/shell_quote.h).
using signet::shell_quote;
// The whole of a small text file a flag names (a JWK Set for --jwks): CommandError naming `what`
// and the path when it cannot be read or is longer than `max_bytes`.
std::string read_text_file(const std::string& path, std::size_t max_bytes, std::string_view what);
// Joins with `separator`; "-" for an empty list, so a table cell is never blank.
std::string join_or_dash(const std::vector<std::string>& words, std::string_view separator);

// Adds --data-dir (also SIGNET_DATA_DIR) bound to `dir`.
void add_data_dir_option(CLI::App* cmd, std::string& dir);
// Gives `option` a second name, hidden from --help, so that scripts written for an older name keep
// working while help shows one name per idea: `alias` takes values as `option` does and hands
// them to it, as if `option` had been given them.
void add_hidden_alias(CLI::App* cmd, CLI::Option* option, const std::string& alias);
// Adds a list-valued flag whose presence matters even when it holds no word (`--grant-types ""`,
// refused by the command rather than taken as absent): `values` gets every word given, in order,
// when the flag is given at all, and stays nullopt otherwise. Like a flag bound to a vector, it
// takes one word each time and may be repeated.
CLI::Option* add_list_option(CLI::App* cmd, const std::string& name,
                             std::optional<std::vector<std::string>>& values,
                             const std::string& help);
// Adds --require-dpop and --no-require-dpop (at most one of them): `value` becomes true or false
// when one is given, and stays nullopt when neither is (create: off; update: unchanged). `on_help`
// says what requiring DPoP (RFC 9449) means for the record.
void add_require_dpop_flags(CLI::App* cmd, std::optional<bool>& value, const std::string& on_help);
// Adds --yes/-y bound to `yes`: delete without asking (what scripts use).
void add_yes_flag(CLI::App* cmd, bool& yes);
// Adds --json bound to `json`: JSON on stdout (an object for one record, an array for a list).
void add_json_flag(CLI::App* cmd, bool& json);

// Runs a subcommand's body, turning a CommandError into "signet: <message>" on stderr and exit
// status 1; success sets exit status 0.
void run_command(const std::function<void()>& body, int& exit_code);

}  // namespace signet::cli
