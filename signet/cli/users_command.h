#pragma once

// `signet users` (create, list, show, update, delete, block, unblock, set-password,
// revoke-sessions, permissions add|remove|list): the admin commands for the people who get tokens
// with the password grant. Passwords are read from the context's input, never from the command
// line.
//
// Each verb has its options (its flags, as typed) and a run function that checks them, does its
// work through the context, and prints through signet/cli/printers.h; it throws CommandError
// when it fails, having changed nothing when the input was wrong.

#include <optional>
#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "signet/cli/command_context.h"

namespace signet::cli::users {

struct CreateOptions {
  std::string email;
  std::optional<std::string> id;  // default: auth0| and 24 random hex digits
  bool password_stdin = false;    // the password is the first line of input
  bool admin = false;             // every permission of the Management API (the console's admin)
  std::string issuer = "http://localhost:4000/";  // whose Management API, without --server
  bool json = false;
};
void run_create(CommandContext& ctx, const CreateOptions& o);

struct ListOptions {
  bool json = false;
};
void run_list(CommandContext& ctx, const ListOptions& o);

// In every verb below, `user` is a user id or an email.
struct ShowOptions {
  std::string user;
  bool json = false;
};
void run_show(CommandContext& ctx, const ShowOptions& o);

struct UpdateOptions {
  std::string user;
  std::string email;  // the new email
  bool json = false;
};
void run_update(CommandContext& ctx, const UpdateOptions& o);

struct DeleteOptions {
  std::string user;
  bool yes = false;  // delete without asking
  bool json = false;
};
void run_delete(CommandContext& ctx, const DeleteOptions& o);

struct BlockOptions {
  std::string user;
  bool json = false;
};
void run_block(CommandContext& ctx, const BlockOptions& o);

struct UnblockOptions {
  std::string user;
  bool json = false;
};
void run_unblock(CommandContext& ctx, const UnblockOptions& o);

struct SetPasswordOptions {
  std::string user;
  bool password_stdin = false;
  bool json = false;
};
void run_set_password(CommandContext& ctx, const SetPasswordOptions& o);

struct RevokeSessionsOptions {
  std::string user;
  bool json = false;
};
void run_revoke_sessions(CommandContext& ctx, const RevokeSessionsOptions& o);

struct PermissionsAddOptions {
  std::string user;
  std::string audience;
  std::vector<std::string> permissions;  // as typed: split at commas and spaces
  bool json = false;
};
void run_permissions_add(CommandContext& ctx, const PermissionsAddOptions& o);

struct PermissionsRemoveOptions {
  std::string user;
  std::string audience;
  std::vector<std::string> permissions;  // as typed: split at commas and spaces
  bool json = false;
};
void run_permissions_remove(CommandContext& ctx, const PermissionsRemoveOptions& o);

struct PermissionsListOptions {
  std::string user;
  std::optional<std::string> audience;  // only the permissions on this API
  bool json = false;
};
void run_permissions_list(CommandContext& ctx, const PermissionsListOptions& o);

// Registers `signet users` and its verbs under `app`.
void add_command(CLI::App& app, VerbRegistrar& verbs);

}  // namespace signet::cli::users
