#pragma once

// `signet keys` (list, create, rotate, revoke, jwks): the admin commands for the authorization
// server's signing keys, working on the data directory's store and master key.
//
// Each verb has its options (its flags, as typed) and a run function that checks them, does its
// work through the context, and prints through signet/cli/printers.h; it throws CommandError
// when it fails.

#include <string>

#include <CLI/App.hpp>

#include "signet/cli/command_context.h"

namespace signet::cli::keys {

struct ListOptions {
  bool json = false;
};
void run_list(CommandContext& ctx, const ListOptions& o);

struct CreateOptions {
  std::string alg = "RS256";
  bool json = false;
};
void run_create(CommandContext& ctx, const CreateOptions& o);

struct RotateOptions {
  std::string alg = "RS256";
  bool json = false;
};
void run_rotate(CommandContext& ctx, const RotateOptions& o);

struct RevokeOptions {
  std::string kid;
  bool json = false;
};
void run_revoke(CommandContext& ctx, const RevokeOptions& o);

struct JwksOptions {
  bool json_given = false;  // --json is accepted, as by every keys verb; the JWKS is JSON anyway
};
void run_jwks(CommandContext& ctx, const JwksOptions& o);

// Registers `signet keys` and its verbs under `app`.
void add_command(CLI::App& app, VerbRegistrar& verbs);

}  // namespace signet::cli::keys
