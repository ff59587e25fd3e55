#pragma once

#include <CLI/App.hpp>

namespace signet::cli {

// Registers `signet grants` (create, list, show, update, delete): the admin commands for client
// grants, which say what scopes of one API one application may get by client credentials. The
// command's exit status is stored in `exit_code` once it has run; failures print one line
// starting "signet: " on stderr and set status 1.
void add_grants_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
