#include "signet/cli/apis_command.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/printers.h"
#include "signet/jose/algorithm.h"

namespace signet::cli::apis {
namespace {

namespace json = boost::json;

jose::Algorithm parse_alg(const std::string& name) {
  auto alg = jose::parse_algorithm(name);
  if (!alg) {
    throw CommandError{"unsupported signing algorithm '" + name +
                       "': use RS256, PS256, ES256 or EdDSA"};
  }
  return *alg;
}

store::TokenProfile parse_profile(const std::string& name) {
  auto profile = store::parse_token_profile(name);
  if (!profile) {
    throw CommandError{"unknown token profile '" + name + "': use auth0 or rfc9068"};
  }
  return *profile;
}

std::chrono::seconds parse_lifetime(std::int64_t seconds) {
  if (seconds < 1 || seconds > store::kMaxTokenLifetime.count()) {
    throw CommandError{"--token-lifetime must be between 1 and " +
                       std::to_string(store::kMaxTokenLifetime.count()) +
                       " seconds (30 days), not " + std::to_string(seconds)};
  }
  return std::chrono::seconds{seconds};
}

const Hint kNoSuchApi{admin::AdminErrorCode::kNotFound, "(see 'signet apis list')"};

bool parse_bool(const std::string& flag, const std::string& text) {
  if (text == "true") {
    return true;
  }
  if (text == "false") {
    return false;
  }
  throw CommandError{flag + " takes true or false, not '" + text + "'"};
}

}  // namespace

void run_create(CommandContext& ctx, const CreateOptions& o) {
  admin::ApiDraft draft;
  draft.identifier = o.identifier;
  draft.name = o.name;
  draft.signing_algorithm = parse_alg(o.alg);
  draft.token_lifetime = parse_lifetime(o.token_lifetime);
  draft.allow_offline_access =
      parse_bool("--allow-offline-access", o.allow_offline_access.value_or("false"));
  draft.token_profile = parse_profile(o.token_profile);
  draft.permissions_claim =
      parse_bool("--permissions-claim", o.permissions_claim.value_or("false"));
  draft.require_dpop = o.require_dpop.value_or(false);
  for (const auto& scope : split_list(o.scopes)) {
    draft.permissions.push_back(store::Permission{scope, ""});
  }
  const auto created = value_or_throw(ctx.admin(Access::kWrite).create_api(draft));
  if (!o.json) {
    ctx.out() << "created API " << created.identifier << "\n\n";
  }
  print_record(ctx.out(), o.json, created);
}

void run_list(CommandContext& ctx, const ListOptions& o) {
  auto& admin = ctx.admin(Access::kRead);
  print_list(ctx.out(), o.json, all_pages([&](const auto& page) { return admin.list_apis(page); }),
             "no APIs yet: create one with 'signet apis create --identifier "
             "https://api.example.com/ --name \"Example API\"'");
}

void run_show(CommandContext& ctx, const ShowOptions& o) {
  print_record(ctx.out(), o.json,
               value_or_throw(ctx.admin(Access::kRead).get_api(o.identifier), {kNoSuchApi}));
}

void run_update(CommandContext& ctx, const UpdateOptions& o) {
  if (!o.name && !o.alg && !o.token_lifetime && !o.allow_offline_access && !o.token_profile &&
      !o.permissions_claim && !o.require_dpop) {
    throw CommandError{
        "nothing to update: give --name, --alg, --token-lifetime, "
        "--allow-offline-access, --token-profile, --permissions-claim or "
        "--require-dpop/--no-require-dpop"};
  }
  // Every flag is read before the tenant is opened, so a typo changes nothing.
  admin::ApiPatch patch;
  patch.name = o.name;
  patch.require_dpop = o.require_dpop;
  if (o.permissions_claim) {
    patch.permissions_claim = parse_bool("--permissions-claim", *o.permissions_claim);
  }
  if (o.alg) {
    patch.signing_algorithm = parse_alg(*o.alg);
  }
  if (o.token_lifetime) {
    patch.token_lifetime = parse_lifetime(*o.token_lifetime);
  }
  if (o.allow_offline_access) {
    patch.allow_offline_access = parse_bool("--allow-offline-access", *o.allow_offline_access);
  }
  if (o.token_profile) {
    patch.token_profile = parse_profile(*o.token_profile);
  }
  print_record(
      ctx.out(), o.json,
      value_or_throw(ctx.admin(Access::kWrite).update_api(o.identifier, patch, {}), {kNoSuchApi}));
}

void run_delete(CommandContext& ctx, const DeleteOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const auto api = value_or_throw(admin.get_api(o.identifier), {kNoSuchApi});
  // Counted only to ask about what goes with the API (the store cascades by itself).
  const auto grants = value_or_throw(
      admin.list_client_grants(admin::PageRequest{0, 1}, {std::nullopt, api.identifier}));
  confirm_deletion(ctx, o.yes,
                   "Delete API '" + api.identifier + "' and its permissions, client grants (" +
                       std::to_string(grants.total) + "), user permissions and refresh tokens?");
  const auto deleted = value_or_throw(admin.delete_api(api.identifier), {kNoSuchApi});
  if (o.json) {
    print_json(ctx.out(), json::object{{"identifier", deleted.api.identifier},
                                       {"deleted", true},
                                       {"deleted_client_grants", deleted.client_grants}});
    return;
  }
  ctx.out() << "deleted API " << deleted.api.identifier << ", its permissions and "
            << deleted.client_grants << " client grant(s) for it\n";
}

void run_permissions_add(CommandContext& ctx, const PermissionsAddOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const auto before = value_or_throw(admin.get_api(o.identifier), {kNoSuchApi});
  admin::ApiPatch patch;
  // Adding one that exists keeps it (grants and users that hold it keep it), with the new
  // description when one is given.
  patch.add_permissions.push_back(store::Permission{o.permission, o.description.value_or("")});
  const auto after = value_or_throw(admin.update_api(before.identifier, patch, {}), {kNoSuchApi});
  if (o.json) {
    print_json(ctx.out(), to_json(after));
    return;
  }
  const auto described = [&](const store::Api& api) -> std::optional<std::string> {
    for (const auto& p : api.permissions) {
      if (p.value == o.permission) {
        return p.description;
      }
    }
    return std::nullopt;
  };
  const auto was = described(before);
  if (!was) {
    ctx.out() << "added permission " << o.permission << " to API " << after.identifier << "\n";
  } else if (described(after) != was) {
    ctx.out() << "updated the description of permission " << o.permission << " of API "
              << after.identifier << "\n";
  } else {
    // Adding what exists is not an error, so scripts can run this again; nothing was written.
    ctx.out() << "API " << after.identifier << " already has permission " << o.permission
              << "; nothing changed\n";
  }
}

void run_permissions_remove(CommandContext& ctx, const PermissionsRemoveOptions& o) {
  admin::ApiPatch patch;
  patch.remove_permissions = split_list(o.permissions);
  // All or nothing: a typo in one name leaves the others in place.
  const auto updated =
      value_or_throw(ctx.admin(Access::kWrite).update_api(o.identifier, patch, {}),
                     {kNoSuchApi,
                      {admin::AdminErrorCode::kInvalid,
                       "(see 'signet apis show " + shell_quote(o.identifier) + "')"}});
  if (o.json) {
    print_json(ctx.out(), to_json(updated));
    return;
  }
  ctx.out() << "removed permission(s) " << join_or_dash(patch.remove_permissions, ", ")
            << " from API " << updated.identifier
            << "; client grants and users that held them no longer do\n";
}

void run_permissions_list(CommandContext& ctx, const PermissionsListOptions& o) {
  const auto api = value_or_throw(ctx.admin(Access::kRead).get_api(o.identifier), {kNoSuchApi});
  print_list(ctx.out(), o.json, api.permissions,
             "API " + api.identifier + " has no permissions yet");
}

namespace {

// The algorithm flag, named --alg as in `signet keys` (and the JOSE header); --signing-alg, its
// name before, still works.
template <typename T>
void add_alg_option(CLI::App* cmd, T& alg, const std::string& help) {
  add_hidden_alias(cmd, cmd->add_option("--alg", alg, help), "--signing-alg");
}

// A setting that is on or off, given the same way to create and update: the flag alone turns it
// on, "--flag false" or "--flag=false" turns it off (parse_bool checks the word).
void add_switch(CLI::App* cmd, const std::string& name, std::optional<std::string>& value,
                const std::string& help) {
  cmd->add_option(
         name,
         [&value](const CLI::results_t& words) {
           value = words.empty() || words.front().empty() ? "true" : words.front();
           return true;
         },
         help + " (alone: true; or true, false)")
      ->expected(0, 1);
}

void add_id_argument(CLI::App* cmd, std::string& identifier) {
  cmd->add_option("ID", identifier,
                  "The API's identifier (its audience), as 'signet apis list' "
                  "shows it")
      ->required();
}

constexpr const char* kOfflineAccessHelp =
    "Whether refresh tokens (the offline_access scope) may be issued for this API";
constexpr const char* kRequireDpopHelp =
    "Issue tokens for this API only to requests with a DPoP proof (RFC 9449), bound to the\n"
    "proof's key: no bearer token for this audience, so a stolen one cannot be replayed";
constexpr const char* kPermissionsClaimHelp =
    "Whether tokens also list their API scopes in a \"permissions\" array (Auth0's \"Add\n"
    "Permissions in the Access Token\")";

}  // namespace

void add_command(CLI::App& app, VerbRegistrar& verbs) {
  CLI::App* apis = app.add_subcommand(
      "apis",
      "Manage the APIs (resource servers) that access tokens are issued for.\n"
      "An API's identifier is the 'audience' a client asks for and the 'aud' of its tokens; its\n"
      "permissions are the scopes client grants and users can be given.");
  apis->require_subcommand(1);

  auto create = verbs.add(
      apis, "create",
      "Create an API. Its identifier is fixed once created; everything else can be updated.",
      run_create);
  create.command
      ->add_option("--identifier", create.options.identifier,
                   "The audience tokens for this API carry in 'aud', e.g. "
                   "https://api.example.com/ (any string; a trailing slash counts)")
      ->required();
  create.command
      ->add_option("--name", create.options.name, "A name for people, e.g. \"Messages API\"")
      ->required();
  add_alg_option(create.command, create.options.alg,
                 "Algorithm that signs this API's tokens: RS256, PS256, ES256 or EdDSA (default: "
                 "RS256)");
  create.command
      ->add_option("--token-lifetime", create.options.token_lifetime,
                   "Seconds an access token for this API stays valid (1 to 2592000)")
      ->capture_default_str();
  add_switch(create.command, "--allow-offline-access", create.options.allow_offline_access,
             kOfflineAccessHelp);
  add_switch(create.command, "--permissions-claim", create.options.permissions_claim,
             kPermissionsClaimHelp);
  add_require_dpop_flags(create.command, create.options.require_dpop, kRequireDpopHelp);
  create.command
      ->add_option("--token-profile", create.options.token_profile,
                   "Claims layout of the tokens: auth0, or rfc9068 (typ at+jwt, client_id claim)")
      ->capture_default_str();
  add_hidden_alias(create.command,
                   create.command
                       ->add_option("--scopes", create.options.scopes,
                                    "Permissions to define, separated by spaces or commas, or "
                                    "repeated, e.g. \"read:messages write:messages\" "
                                    "(descriptions: 'apis permissions add')")
                       ->allow_extra_args(false),
                   "--scope");
  create.command->footer(
      "Example: signet apis create --identifier https://api.example.com/ --name \"Example API\" "
      "--scopes \"read:messages write:messages\"");

  verbs.add(apis, "list", "List every API with its algorithm, lifetime and permissions.", run_list);

  auto show = verbs.add(apis, "show",
                        "Show one API: its settings, and its permissions with their descriptions.",
                        run_show);
  add_id_argument(show.command, show.options.identifier);

  auto update = verbs.add(
      apis, "update",
      "Change an API's settings. Only the flags given change; tokens already issued keep theirs.",
      run_update);
  add_id_argument(update.command, update.options.identifier);
  update.command->add_option("--name", update.options.name, "New name");
  add_alg_option(update.command, update.options.alg,
                 "New signing algorithm: RS256, PS256, ES256 or EdDSA");
  update.command->add_option("--token-lifetime", update.options.token_lifetime,
                             "New access-token lifetime in seconds (1 to 2592000)");
  add_switch(update.command, "--allow-offline-access", update.options.allow_offline_access,
             kOfflineAccessHelp);
  update.command->add_option("--token-profile", update.options.token_profile,
                             "New token profile: auth0 or rfc9068");
  add_switch(update.command, "--permissions-claim", update.options.permissions_claim,
             kPermissionsClaimHelp);
  add_require_dpop_flags(update.command, update.options.require_dpop, kRequireDpopHelp);

  auto del = verbs.add(
      apis, "delete",
      "Delete an API, with its permissions, the client grants for it, users' permissions on it\n"
      "and refresh tokens for it. Tokens already issued stay valid until they expire.",
      run_delete);
  add_id_argument(del.command, del.options.identifier);
  add_yes_flag(del.command, del.options.yes);

  CLI::App* permissions = apis->add_subcommand(
      "permissions", "Add, remove or list an API's permissions (the scopes it defines).");
  permissions->require_subcommand(1);

  auto padd = verbs.add(
      permissions, "add",
      "Define a permission of an API. Adding one that exists changes only its description (when\n"
      "--description is given); grants and users that hold it keep it.",
      run_permissions_add);
  add_id_argument(padd.command, padd.options.identifier);
  padd.command
      ->add_option("SCOPE", padd.options.permission,
                   "The permission's name as it appears in 'scope', e.g. read:messages")
      ->required();
  padd.command->add_option("--description", padd.options.description,
                           "What the permission allows, for people");

  auto premove = verbs.add(
      permissions, "remove",
      "Remove permissions from an API. Client grants and users that hold them lose them.\n"
      "Nothing is removed unless every SCOPE is a permission of the API.",
      run_permissions_remove);
  add_id_argument(premove.command, premove.options.identifier);
  premove.command
      ->add_option("SCOPE", premove.options.permissions,
                   "The permissions to remove, separated by spaces or commas")
      ->required();

  auto plist = verbs.add(permissions, "list", "List an API's permissions with their descriptions.",
                         run_permissions_list);
  add_id_argument(plist.command, plist.options.identifier);
}

}  // namespace signet::cli::apis
