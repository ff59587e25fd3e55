#pragma once

#include <CLI/App.hpp>

namespace signet::cli {

// Registers `signet apis` (create, list, show, update, delete, permissions add|remove|list): the
// admin commands for the APIs (resource servers) whose identifiers are the audiences of access
// tokens. The command's exit status is stored in `exit_code` once it has run; failures print one
// line starting "signet: " on stderr and set status 1.
void add_apis_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
