#pragma once

// `signet grants` (create, list, show, update, delete): the admin commands for client grants,
// which scopes of an API an application may get by client credentials.
//
// Each verb has its options (its flags, as typed) and a run function that checks them, does its
// work through the context, and prints through signet/cli/printers.h; it throws CommandError
// when it fails, having changed nothing when the input was wrong.

#include <optional>
#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "signet/cli/command_context.h"

namespace signet::cli::grants {

struct CreateOptions {
  std::string client_id;
  std::string audience;
  std::vector<std::string> scopes;  // as typed: split at commas and spaces
  bool json = false;
};
void run_create(CommandContext& ctx, const CreateOptions& o);

struct ListOptions {
  std::optional<std::string> client_id;  // only this application's grants
  bool json = false;
};
void run_list(CommandContext& ctx, const ListOptions& o);

struct ShowOptions {
  std::string grant_id;  // as typed: checked to be a positive number
  bool json = false;
};
void run_show(CommandContext& ctx, const ShowOptions& o);

struct UpdateOptions {
  std::string grant_id;
  std::vector<std::string> scopes;  // the new scopes, replacing the old; none is allowed
  bool json = false;
};
void run_update(CommandContext& ctx, const UpdateOptions& o);

struct DeleteOptions {
  std::string grant_id;
  bool yes = false;  // delete without asking
  bool json = false;
};
void run_delete(CommandContext& ctx, const DeleteOptions& o);

// Registers `signet grants` and its verbs under `app`.
void add_command(CLI::App& app, VerbRegistrar& verbs);

}  // namespace signet::cli::grants
