#pragma once

#include <CLI/App.hpp>

namespace signet::cli {

// Registers `signet users` (create, list, show, update, delete, block, unblock, set-password,
// revoke-sessions, permissions add|remove|list): the admin commands for the users of the password
// grant. Passwords are read from stdin (--password-stdin), never from the command line, and stored
// as argon2id hashes that no command prints. The command's exit status is stored in `exit_code`
// once it has run; failures print one line starting "signet: " on stderr and set status 1.
void add_users_command(CLI::App& app, int& exit_code);

}  // namespace signet::cli
