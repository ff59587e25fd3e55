#pragma once

#include <CLI/App.hpp>

namespace signet::cli {

// Registers `signet keys` (list, create, rotate, revoke, jwks): the admin commands for the
// authorization server's signing keys, working on the data directory's store and master key.
// The command's exit status is stored in `exit_code` once it has run; failures print one line
// starting "signet: " on stderr and set a non-zero status.
void add_keys_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
