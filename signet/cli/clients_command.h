#pragma once

#include <CLI/App.hpp>

namespace signet::cli {

// Registers `signet clients` (create, list, show, update, rotate-secret, delete): the admin
// commands for applications (OAuth clients). A client secret is printed once, when it is made,
// and stored only as a keyed hash under the data directory's master key. The command's exit
// status is stored in `exit_code` once it has run; failures print one line starting "signet: "
// on stderr and set status 1.
void add_clients_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
