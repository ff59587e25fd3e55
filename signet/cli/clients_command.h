#pragma once

// `signet clients` (create, list, show, update, rotate-secret, delete): the admin commands for
// applications, the OAuth clients that get tokens from /oauth/token. A client secret is printed
// twice in its life: by create and by rotate-secret, never again.
//
// Each verb has its options (its flags, as typed) and a run function that checks them, does its
// work through the context, and prints through signet/cli/printers.h; it throws CommandError
// when it fails, having changed nothing when the input was wrong.

#include <optional>
#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "signet/cli/command_context.h"

namespace signet::cli::clients {

struct CreateOptions {
  std::string name;
  std::string type = "m2m";
  std::vector<std::string> grant_types;  // as typed; empty: the type's default
  std::string auth_method;               // empty: the type's default
  std::vector<std::string> callbacks;    // as typed: commas, spaces or repeats
  std::vector<std::string> logout_urls;
  std::vector<std::string> web_origins;
  std::string jwks_file;  // a JWK Set file; empty: none
  std::string jwks_uri;
  std::optional<bool> require_dpop;  // absent: false
  bool json = false;
};
void run_create(CommandContext& ctx, const CreateOptions& o);

struct ListOptions {
  bool json = false;
};
void run_list(CommandContext& ctx, const ListOptions& o);

struct ShowOptions {
  std::string client_id;
  bool json = false;
};
void run_show(CommandContext& ctx, const ShowOptions& o);

// Only what is given changes.
struct UpdateOptions {
  std::string client_id;
  std::optional<std::string> name;
  std::optional<std::string> type;
  std::optional<std::vector<std::string>> grant_types;  // given, even as "" (refused)
  std::optional<std::string> auth_method;
  // Given, even as "": an empty list clears the stored one.
  std::optional<std::vector<std::string>> callbacks;
  std::optional<std::vector<std::string>> logout_urls;
  std::optional<std::vector<std::string>> web_origins;
  std::optional<std::string> jwks_file;  // "" clears the keys
  std::optional<std::string> jwks_uri;   // "" clears it
  std::optional<bool> require_dpop;
  bool json = false;
};
void run_update(CommandContext& ctx, const UpdateOptions& o);

struct RotateSecretOptions {
  std::string client_id;
  bool json = false;
};
void run_rotate_secret(CommandContext& ctx, const RotateSecretOptions& o);

struct DeleteOptions {
  std::string client_id;
  bool yes = false;  // delete without asking
  bool json = false;
};
void run_delete(CommandContext& ctx, const DeleteOptions& o);

// Registers `signet clients` and its verbs under `app`.
void add_command(CLI::App& app, VerbRegistrar& verbs);

}  // namespace signet::cli::clients
