#pragma once

#include <CLI/CLI.hpp>

namespace signet::cli {

// `signet migrate`: brings the store's schema up to the version this binary needs.
void add_migrate_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
