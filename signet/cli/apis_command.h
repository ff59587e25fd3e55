#pragma once

// `signet apis` (create, list, show, update, delete, permissions add|remove|list): the admin
// commands for the APIs (resource servers) whose identifiers are the audiences of access tokens.
//
// Each verb has its options (its flags, as typed) and a run function that checks them, does its
// work through the context, and prints through signet/cli/printers.h; it throws CommandError
// when it fails, having changed nothing when the input was wrong.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "signet/cli/command_context.h"
#include "signet/store/types.h"

namespace signet::cli::apis {

struct CreateOptions {
  std::string identifier;
  std::string name;
  std::string alg = "RS256";
  std::int64_t token_lifetime = store::kDefaultTokenLifetime.count();
  std::optional<std::string> allow_offline_access;  // "true" or "false"; absent: false
  std::string token_profile = "auth0";
  std::optional<std::string> permissions_claim;  // "true" or "false"; absent: false
  std::optional<bool> require_dpop;              // absent: false
  std::vector<std::string> scopes;               // as typed: split at commas and spaces
  bool json = false;
};
void run_create(CommandContext& ctx, const CreateOptions& o);

struct ListOptions {
  bool json = false;
};
void run_list(CommandContext& ctx, const ListOptions& o);

struct ShowOptions {
  std::string identifier;
  bool json = false;
};
void run_show(CommandContext& ctx, const ShowOptions& o);

// Only what is given changes.
struct UpdateOptions {
  std::string identifier;
  std::optional<std::string> name;
  std::optional<std::string> alg;
  std::optional<std::int64_t> token_lifetime;
  std::optional<std::string> allow_offline_access;
  std::optional<std::string> token_profile;
  std::optional<std::string> permissions_claim;
  std::optional<bool> require_dpop;
  bool json = false;
};
void run_update(CommandContext& ctx, const UpdateOptions& o);

struct DeleteOptions {
  std::string identifier;
  bool yes = false;  // delete without asking
  bool json = false;
};
void run_delete(CommandContext& ctx, const DeleteOptions& o);

struct PermissionsAddOptions {
  std::string identifier;
  std::string permission;
  std::optional<std::string> description;
  bool json = false;
};
void run_permissions_add(CommandContext& ctx, const PermissionsAddOptions& o);

struct PermissionsRemoveOptions {
  std::string identifier;
  std::vector<std::string> permissions;  // as typed: split at commas and spaces
  bool json = false;
};
void run_permissions_remove(CommandContext& ctx, const PermissionsRemoveOptions& o);

struct PermissionsListOptions {
  std::string identifier;
  bool json = false;
};
void run_permissions_list(CommandContext& ctx, const PermissionsListOptions& o);

// Registers `signet apis` and its verbs under `app`.
void add_command(CLI::App& app, VerbRegistrar& verbs);

}  // namespace signet::cli::apis
