#include "signet/cli/apis_command.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/tenant.h"
#include "signet/jose/algorithm.h"
#include "signet/store/types.h"

namespace signet::cli {
namespace {

namespace json = boost::json;

struct ApisOptions {
  std::string data_dir{kDefaultDataDir};
  bool json = false;
  bool yes = false;        // delete --yes
  std::string identifier;  // --identifier for create, the positional ID everywhere else
  // create
  std::string name;
  std::string alg = "RS256";
  std::int64_t token_lifetime = store::kDefaultTokenLifetime.count();
  std::optional<std::string> allow_offline_access;  // true or false, as for update
  std::string token_profile = "auth0";
  std::optional<std::string> permissions_claim;
  std::vector<std::string> scopes;
  // update: only what is given changes
  std::optional<std::string> new_name;
  std::optional<std::string> new_alg;
  std::optional<std::int64_t> new_token_lifetime;
  std::optional<std::string> new_allow_offline_access;
  std::optional<std::string> new_token_profile;
  std::optional<std::string> new_permissions_claim;
  // permissions add|remove
  std::string permission;
  std::optional<std::string> description;
  std::vector<std::string> permission_values;
};

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

bool parse_bool(const std::string& flag, const std::string& text) {
  if (text == "true") {
    return true;
  }
  if (text == "false") {
    return false;
  }
  throw CommandError{flag + " takes true or false, not '" + text + "'"};
}

json::object api_json(const store::Api& api) {
  json::array permissions;
  for (const auto& p : api.permissions) {
    permissions.push_back(json::object{{"value", p.value}, {"description", p.description}});
  }
  return json::object{
      {"identifier", api.identifier},
      {"name", api.name},
      {"signing_alg", jose::to_string(api.signing_algorithm)},
      {"token_lifetime", api.token_lifetime.count()},
      {"allow_offline_access", api.allow_offline_access},
      {"token_profile", store::to_string(api.token_profile)},
      {"permissions_claim", api.permissions_claim},
      {"permissions", std::move(permissions)},
      {"created_at", format_time(api.created_at)},
  };
}

void print_api(const store::Api& api) {
  print_table({
      {"identifier", api.identifier},
      {"name", api.name},
      {"signing algorithm", std::string(jose::to_string(api.signing_algorithm))},
      {"token lifetime", std::to_string(api.token_lifetime.count()) + " s"},
      {"allow offline access", api.allow_offline_access ? "true" : "false"},
      {"token profile", std::string(store::to_string(api.token_profile))},
      {"permissions claim", api.permissions_claim ? "true" : "false"},
      {"created", format_time(api.created_at)},
  });
  std::cout << "\n";
  if (api.permissions.empty()) {
    std::cout << "no permissions yet: add one with 'signet apis permissions add "
              << shell_quote(api.identifier) << " read:messages --description \"Read messages\"'\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"PERMISSION", "DESCRIPTION"}};
  for (const auto& p : api.permissions) {
    rows.push_back({p.value, p.description.empty() ? "-" : p.description});
  }
  print_table(rows);
}

// One API as the result of a command: the whole record, as JSON or as text.
void print_result(const ApisOptions& o, const store::Api& api) {
  if (o.json) {
    print_json(api_json(api));
  } else {
    print_api(api);
  }
}

void run_create(const ApisOptions& o) {
  store::Api api;
  api.identifier = o.identifier;
  api.name = o.name;
  api.signing_algorithm = parse_alg(o.alg);
  api.token_lifetime = parse_lifetime(o.token_lifetime);
  api.allow_offline_access =
      parse_bool("--allow-offline-access", o.allow_offline_access.value_or("false"));
  api.token_profile = parse_profile(o.token_profile);
  api.permissions_claim = parse_bool("--permissions-claim", o.permissions_claim.value_or("false"));
  for (const auto& scope : split_list(o.scopes)) {
    api.permissions.push_back(store::Permission{scope, ""});
  }
  api.created_at = now();
  auto t = open_tenant(o.data_dir);
  const auto created = value_or_throw(t.store->create_api(api), "create API " + o.identifier);
  if (o.json) {
    print_json(api_json(created));
    return;
  }
  std::cout << "created API " << created.identifier << "\n\n";
  print_api(created);
}

void run_list(const ApisOptions& o) {
  auto t = open_existing_tenant(o.data_dir);
  const auto apis = value_or_throw(t.store->list_apis(), "list APIs");
  if (o.json) {
    json::array out;
    for (const auto& api : apis) {
      out.push_back(api_json(api));
    }
    print_json(out);
    return;
  }
  if (apis.empty()) {
    std::cout << "no APIs yet: create one with 'signet apis create --identifier "
                 "https://api.example.com/ --name \"Example API\"'\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{
      {"IDENTIFIER", "NAME", "ALG", "LIFETIME", "OFFLINE", "PROFILE", "PERMISSIONS"}};
  for (const auto& api : apis) {
    std::vector<std::string> values;
    for (const auto& p : api.permissions) {
      values.push_back(p.value);
    }
    rows.push_back({api.identifier, api.name, std::string(jose::to_string(api.signing_algorithm)),
                    std::to_string(api.token_lifetime.count()),
                    api.allow_offline_access ? "true" : "false",
                    std::string(store::to_string(api.token_profile)), join_or_dash(values, " ")});
  }
  print_table(rows);
}

void run_show(const ApisOptions& o) {
  auto t = open_existing_tenant(o.data_dir);
  print_result(o, require_api(*t.store, o.identifier));
}

void run_update(const ApisOptions& o) {
  if (!o.new_name && !o.new_alg && !o.new_token_lifetime && !o.new_allow_offline_access &&
      !o.new_token_profile && !o.new_permissions_claim) {
    throw CommandError{
        "nothing to update: give --name, --alg, --token-lifetime, "
        "--allow-offline-access, --token-profile or --permissions-claim"};
  }
  // Everything is checked before the store is opened, so a typo changes nothing.
  std::optional<jose::Algorithm> alg;
  std::optional<std::chrono::seconds> lifetime;
  std::optional<bool> offline;
  std::optional<store::TokenProfile> profile;
  std::optional<bool> permissions_claim;
  if (o.new_permissions_claim) {
    permissions_claim = parse_bool("--permissions-claim", *o.new_permissions_claim);
  }
  if (o.new_alg) {
    alg = parse_alg(*o.new_alg);
  }
  if (o.new_token_lifetime) {
    lifetime = parse_lifetime(*o.new_token_lifetime);
  }
  if (o.new_allow_offline_access) {
    offline = parse_bool("--allow-offline-access", *o.new_allow_offline_access);
  }
  if (o.new_token_profile) {
    profile = parse_profile(*o.new_token_profile);
  }
  auto t = open_tenant(o.data_dir);
  // update_api replaces the whole record, so this is a read-modify-write of the current one.
  auto api = require_api(*t.store, o.identifier);
  api.name = o.new_name.value_or(api.name);
  api.signing_algorithm = alg.value_or(api.signing_algorithm);
  api.token_lifetime = lifetime.value_or(api.token_lifetime);
  api.allow_offline_access = offline.value_or(api.allow_offline_access);
  api.token_profile = profile.value_or(api.token_profile);
  api.permissions_claim = permissions_claim.value_or(api.permissions_claim);
  print_result(o, value_or_throw(t.store->update_api(api), "update API " + o.identifier));
}

void run_delete(const ApisOptions& o) {
  auto t = open_tenant(o.data_dir);
  const auto api = require_api(*t.store, o.identifier);
  // Counted only to tell the operator what went with the API (the store cascades by itself).
  const auto grants =
      value_or_throw(t.store->list_client_grants(std::nullopt), "list client grants");
  const auto cascaded = std::count_if(grants.begin(), grants.end(),
                                      [&](const auto& g) { return g.audience == api.identifier; });
  confirm_deletion(o.yes, "Delete API '" + api.identifier +
                              "' and its permissions, client grants (" + std::to_string(cascaded) +
                              "), user permissions and refresh tokens?");
  value_or_throw(t.store->delete_api(api.identifier), "delete API " + api.identifier);
  if (o.json) {
    print_json(json::object{
        {"identifier", api.identifier}, {"deleted", true}, {"deleted_client_grants", cascaded}});
    return;
  }
  std::cout << "deleted API " << api.identifier << ", its permissions and " << cascaded
            << " client grant(s) for it\n";
}

void run_permissions_add(const ApisOptions& o) {
  const std::string& value = o.permission;
  if (value.find_first_of(kListSeparators) != std::string::npos) {
    throw CommandError{"a permission's name cannot hold a comma or white space ('" + value +
                       "'): lists of scopes are split there; add one permission at a time"};
  }
  auto t = open_tenant(o.data_dir);
  auto api = require_api(*t.store, o.identifier);
  auto existing = std::find_if(api.permissions.begin(), api.permissions.end(),
                               [&](const auto& p) { return p.value == value; });
  std::string outcome;
  bool changed = true;
  if (existing == api.permissions.end()) {
    api.permissions.push_back(store::Permission{value, o.description.value_or("")});
    outcome = "added permission " + value + " to API " + api.identifier;
  } else if (o.description && *o.description != existing->description) {
    // Updated in place: grants and users that hold the permission keep it.
    existing->description = *o.description;
    outcome = "updated the description of permission " + value + " of API " + api.identifier;
  } else {
    // Adding what exists is not an error, so scripts can run this again; nothing is written.
    changed = false;
    outcome = "API " + api.identifier + " already has permission " + value + "; nothing changed";
  }
  if (changed) {
    api = value_or_throw(t.store->update_api(api), "update API " + api.identifier);
  }
  if (o.json) {
    print_json(api_json(api));
    return;
  }
  std::cout << outcome << "\n";
}

void run_permissions_remove(const ApisOptions& o) {
  const auto values = split_list(o.permission_values);
  auto t = open_tenant(o.data_dir);
  auto api = require_api(*t.store, o.identifier);
  // All or nothing: a typo in one name must not leave the others half removed.
  for (const auto& value : values) {
    if (std::none_of(api.permissions.begin(), api.permissions.end(),
                     [&](const auto& p) { return p.value == value; })) {
      throw CommandError{"API " + api.identifier + " has no permission " + value +
                         " (see 'signet apis show " + shell_quote(api.identifier) + "')"};
    }
  }
  std::erase_if(api.permissions, [&](const auto& p) {
    return std::find(values.begin(), values.end(), p.value) != values.end();
  });
  const auto updated = value_or_throw(t.store->update_api(api), "update API " + api.identifier);
  if (o.json) {
    print_json(api_json(updated));
    return;
  }
  std::cout << "removed permission(s) " << join_or_dash(values, ", ") << " from API "
            << api.identifier << "; client grants and users that held them no longer do\n";
}

void run_permissions_list(const ApisOptions& o) {
  auto t = open_existing_tenant(o.data_dir);
  const auto api = require_api(*t.store, o.identifier);
  if (o.json) {
    json::array out;
    for (const auto& p : api.permissions) {
      out.push_back(json::object{{"value", p.value}, {"description", p.description}});
    }
    print_json(out);
    return;
  }
  if (api.permissions.empty()) {
    std::cout << "API " << api.identifier << " has no permissions yet\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"PERMISSION", "DESCRIPTION"}};
  for (const auto& p : api.permissions) {
    rows.push_back({p.value, p.description.empty() ? "-" : p.description});
  }
  print_table(rows);
}

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

void add_common_options(CLI::App* cmd, ApisOptions& o) {
  add_data_dir_option(cmd, o.data_dir);
  add_json_flag(cmd, o.json);
}

void add_id_argument(CLI::App* cmd, ApisOptions& o) {
  cmd->add_option("ID", o.identifier,
                  "The API's identifier (its audience), as 'signet apis list' "
                  "shows it")
      ->required();
}

template <typename F>
void on_run(CLI::App* cmd, const std::shared_ptr<ApisOptions>& o, int& exit_code, F body) {
  cmd->callback([o, &exit_code, body] { run_command([&] { body(*o); }, exit_code); });
}

constexpr const char* kOfflineAccessHelp =
    "Whether refresh tokens (the offline_access scope) may be issued for this API";
constexpr const char* kPermissionsClaimHelp =
    "Whether tokens also list their API scopes in a \"permissions\" array (Auth0's \"Add\n"
    "Permissions in the Access Token\")";

}  // namespace

void add_apis_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ApisOptions>();
  CLI::App* apis = app.add_subcommand(
      "apis",
      "Manage the APIs (resource servers) that access tokens are issued for.\n"
      "An API's identifier is the 'audience' a client asks for and the 'aud' of its tokens; its\n"
      "permissions are the scopes client grants and users can be given.");
  apis->require_subcommand(1);

  CLI::App* create = apis->add_subcommand(
      "create",
      "Create an API. Its identifier is fixed once created; everything else can be updated.");
  add_common_options(create, *o);
  create
      ->add_option("--identifier", o->identifier,
                   "The audience tokens for this API carry in 'aud', e.g. "
                   "https://api.example.com/ (any string; a trailing slash counts)")
      ->required();
  create->add_option("--name", o->name, "A name for people, e.g. \"Messages API\"")->required();
  add_alg_option(create, o->alg,
                 "Algorithm that signs this API's tokens: RS256, PS256, ES256 or EdDSA (default: "
                 "RS256)");
  create
      ->add_option("--token-lifetime", o->token_lifetime,
                   "Seconds an access token for this API stays valid (1 to 2592000)")
      ->capture_default_str();
  add_switch(create, "--allow-offline-access", o->allow_offline_access, kOfflineAccessHelp);
  add_switch(create, "--permissions-claim", o->permissions_claim, kPermissionsClaimHelp);
  create
      ->add_option("--token-profile", o->token_profile,
                   "Claims layout of the tokens: auth0, or rfc9068 (typ at+jwt, client_id claim)")
      ->capture_default_str();
  add_hidden_alias(create,
                   create
                       ->add_option("--scopes", o->scopes,
                                    "Permissions to define, separated by spaces or commas, or "
                                    "repeated, e.g. \"read:messages write:messages\" "
                                    "(descriptions: 'apis permissions add')")
                       ->allow_extra_args(false),
                   "--scope");
  create->footer(
      "Example: signet apis create --identifier https://api.example.com/ --name \"Example API\" "
      "--scopes \"read:messages write:messages\"");
  on_run(create, o, exit_code, run_create);

  CLI::App* list =
      apis->add_subcommand("list", "List every API with its algorithm, lifetime and permissions.");
  add_common_options(list, *o);
  on_run(list, o, exit_code, run_list);

  CLI::App* show = apis->add_subcommand(
      "show", "Show one API: its settings, and its permissions with their descriptions.");
  add_common_options(show, *o);
  add_id_argument(show, *o);
  on_run(show, o, exit_code, run_show);

  CLI::App* update = apis->add_subcommand(
      "update",
      "Change an API's settings. Only the flags given change; tokens already issued keep theirs.");
  add_common_options(update, *o);
  add_id_argument(update, *o);
  update->add_option("--name", o->new_name, "New name");
  add_alg_option(update, o->new_alg, "New signing algorithm: RS256, PS256, ES256 or EdDSA");
  update->add_option("--token-lifetime", o->new_token_lifetime,
                     "New access-token lifetime in seconds (1 to 2592000)");
  add_switch(update, "--allow-offline-access", o->new_allow_offline_access, kOfflineAccessHelp);
  update->add_option("--token-profile", o->new_token_profile,
                     "New token profile: auth0 or rfc9068");
  add_switch(update, "--permissions-claim", o->new_permissions_claim, kPermissionsClaimHelp);
  on_run(update, o, exit_code, run_update);

  CLI::App* del = apis->add_subcommand(
      "delete",
      "Delete an API, with its permissions, the client grants for it, users' permissions on it\n"
      "and refresh tokens for it. Tokens already issued stay valid until they expire.");
  add_common_options(del, *o);
  add_id_argument(del, *o);
  add_yes_flag(del, o->yes);
  on_run(del, o, exit_code, run_delete);

  CLI::App* permissions = apis->add_subcommand(
      "permissions", "Add, remove or list an API's permissions (the scopes it defines).");
  permissions->require_subcommand(1);

  CLI::App* padd = permissions->add_subcommand(
      "add",
      "Define a permission of an API. Adding one that exists changes only its description (when\n"
      "--description is given); grants and users that hold it keep it.");
  add_common_options(padd, *o);
  add_id_argument(padd, *o);
  padd->add_option("SCOPE", o->permission,
                   "The permission's name as it appears in 'scope', e.g. read:messages")
      ->required();
  padd->add_option("--description", o->description, "What the permission allows, for people");
  on_run(padd, o, exit_code, run_permissions_add);

  CLI::App* premove = permissions->add_subcommand(
      "remove",
      "Remove permissions from an API. Client grants and users that hold them lose them.\n"
      "Nothing is removed unless every SCOPE is a permission of the API.");
  add_common_options(premove, *o);
  add_id_argument(premove, *o);
  premove
      ->add_option("SCOPE", o->permission_values,
                   "The permissions to remove, separated by spaces or commas")
      ->required();
  on_run(premove, o, exit_code, run_permissions_remove);

  CLI::App* plist =
      permissions->add_subcommand("list", "List an API's permissions with their descriptions.");
  add_common_options(plist, *o);
  add_id_argument(plist, *o);
  on_run(plist, o, exit_code, run_permissions_list);
}

}  // namespace signet::cli
