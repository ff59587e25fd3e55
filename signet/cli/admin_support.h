#pragma once

// What every admin command (`signet keys|apis|clients|grants|users`) and `signet serve` share:
// the data directory, the store in it, the master key, failures as one "signet: ..." line, and
// plain-text tables.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/App.hpp>

#include "signet/keys/error.h"
#include "signet/keys/master_key.h"
#include "signet/store/error.h"
#include "signet/store/sqlite_store.h"
#include "signet/store/types.h"

namespace signet::cli {

constexpr std::string_view kDefaultDataDir = "./signet-data";
constexpr std::string_view kStoreFileName = "signet.db";
constexpr std::string_view kDataDirEnvVar = "SIGNET_DATA_DIR";

// A failure the command reports as one line on stderr ("signet: ...") with exit status 1.
struct CommandError {
  std::string message;
};

std::string describe(const keys::KeyError& e);
std::string describe(const store::StoreError& e);

store::Timestamp now();
// RFC 3339 in UTC, e.g. 2026-11-28T23:37:16Z.
std::string format_time(store::Timestamp t);

// Creates the data directory (mode 0700: it holds the master key and encrypted private keys)
// when it is missing; an existing one is left as it is. Throws CommandError.
std::filesystem::path prepare_data_dir(const std::string& dir);
// Opens (creating and migrating) <data_dir>/signet.db. Throws CommandError.
std::unique_ptr<store::SqliteStore> open_store(const std::filesystem::path& data_dir);
// SIGNET_MASTER_KEY, else <data_dir>/master.key (created on first use). Throws CommandError.
keys::MasterKey load_master_key(const std::filesystem::path& data_dir);

// Prints rows as left-aligned columns two spaces apart; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

// Adds --data-dir (also SIGNET_DATA_DIR) bound to `dir`.
void add_data_dir_option(CLI::App* cmd, std::string& dir);

// Runs a subcommand's body, turning a CommandError into "signet: <message>" on stderr and exit
// status 1; success sets exit status 0.
void run_command(const std::function<void()>& body, int& exit_code);

}  // namespace signet::cli
