#pragma once

#include <CLI/CLI.hpp>

namespace signet::cli {

// `signet store copy`: moves a tenant between the SQLite file of a data directory and a
// PostgreSQL database (signet/store/copy.h), verified before it commits.
void add_store_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
