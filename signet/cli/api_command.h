#pragma once

#include <CLI/App.hpp>

namespace signet::cli {

// Registers `signet api`: the quickstart's messages API on :3010, guarded by the guard.
// The command's exit status is stored in `exit_code` once it has run.
void add_api_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
