#include "signet/cli/clients_command.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/tenant.h"
#include "signet/server/credentials.h"
#include "signet/store/types.h"

namespace signet::cli {
namespace {

namespace json = boost::json;

struct ClientsOptions {
  std::string data_dir{kDefaultDataDir};
  bool json = false;
  bool yes = false;       // delete --yes
  std::string client_id;  // the positional ID
  // create
  std::string name;
  std::string type = "m2m";
  std::vector<std::string> grant_types;  // empty: the type's default
  std::string auth_method = "client_secret_post";
  // update: only what is given changes
  std::optional<std::string> new_name;
  std::optional<std::string> new_type;
  std::vector<std::string> new_grant_types;
  CLI::Option* new_grant_types_given = nullptr;  // set when --grant-types was given, even ""
  std::optional<std::string> new_auth_method;
};

store::ApplicationType parse_type(const std::string& name) {
  auto type = store::parse_application_type(name);
  if (!type) {
    throw CommandError{"unknown application type '" + name +
                       "': use m2m, regular_web, native or spa"};
  }
  return *type;
}

// The grant types the token endpoint implements; authorization_code is in the model for later.
std::vector<store::GrantType> parse_grant_types(const std::vector<std::string>& values) {
  const auto names = split_list(values);
  if (names.empty()) {
    throw CommandError{
        "--grant-types needs at least one of client_credentials, password, refresh_token"};
  }
  std::vector<store::GrantType> out;
  for (const auto& name : names) {
    auto g = store::parse_grant_type(name);
    if (!g || *g == store::GrantType::kAuthorizationCode) {
      throw CommandError{"unsupported grant type '" + name +
                         "': use client_credentials, password or refresh_token"};
    }
    out.push_back(*g);
  }
  return out;
}

// Machine-to-machine applications get tokens for themselves; the others act for a user.
std::vector<store::GrantType> default_grant_types(store::ApplicationType type) {
  if (type == store::ApplicationType::kM2m) {
    return {store::GrantType::kClientCredentials};
  }
  return {store::GrantType::kPassword, store::GrantType::kRefreshToken};
}

// Every application made here has a secret, so "none" (a public client) is not offered.
store::TokenEndpointAuthMethod parse_auth_method(const std::string& name) {
  auto method = store::parse_token_endpoint_auth_method(name);
  if (!method || *method == store::TokenEndpointAuthMethod::kNone) {
    throw CommandError{"unsupported token endpoint auth method '" + name +
                       "': use client_secret_basic or client_secret_post"};
  }
  return *method;
}

std::vector<std::string> grant_type_names(const store::Application& app) {
  std::vector<std::string> names;
  for (const auto g : app.grant_types) {
    names.emplace_back(store::to_string(g));
  }
  return names;
}

// Never the secret or its hash: the hash is useless to an operator and helpful to an attacker.
json::object application_json(const store::Application& app) {
  json::array grant_types;
  for (const auto& name : grant_type_names(app)) {
    grant_types.emplace_back(name);
  }
  return json::object{
      {"client_id", app.client_id},
      {"name", app.name},
      {"type", store::to_string(app.type)},
      {"grant_types", std::move(grant_types)},
      {"token_endpoint_auth_method", store::to_string(app.token_endpoint_auth_method)},
      {"created_at", format_time(app.created_at)},
  };
}

std::vector<std::vector<std::string>> application_rows(const store::Application& app) {
  return {
      {"client_id", app.client_id},
      {"name", app.name},
      {"type", std::string(store::to_string(app.type))},
      {"grant types", join_or_dash(grant_type_names(app), ", ")},
      {"auth method", std::string(store::to_string(app.token_endpoint_auth_method))},
      {"created", format_time(app.created_at)},
  };
}

// The one time a secret is shown: after create and rotate-secret.
void print_with_secret(const ClientsOptions& o, const store::Application& app,
                       const std::string& secret, const std::string& headline) {
  if (o.json) {
    auto out = application_json(app);
    out["client_secret"] = secret;
    print_json(out);
    return;
  }
  std::cout << headline << "\n\n";
  auto rows = application_rows(app);
  rows.insert(rows.begin() + 1, {"client_secret", secret});
  print_table(rows);
  std::cout << "\nStore the client secret now: it cannot be shown again (signet keeps only a hash "
               "of it). If it is lost, run 'signet clients rotate-secret "
            << shell_quote(app.client_id) << "'.\n";
}

// A fresh secret and the hash the store keeps of it, under the data directory's master key.
std::pair<std::string, std::string> new_secret(const Tenant& t) {
  const server::SecretHasher hasher(load_master_key(t.data_dir));
  std::string secret = server::generate_secret();
  std::string hash = hasher.hash(secret);
  return {std::move(secret), std::move(hash)};
}

void run_create(const ClientsOptions& o) {
  store::Application app;
  app.name = o.name;
  app.type = parse_type(o.type);
  app.grant_types =
      o.grant_types.empty() ? default_grant_types(app.type) : parse_grant_types(o.grant_types);
  app.token_endpoint_auth_method = parse_auth_method(o.auth_method);
  app.client_id = server::generate_client_id();
  app.created_at = now();
  auto t = open_tenant(o.data_dir);
  auto [secret, hash] = new_secret(t);
  app.client_secret_hash = std::move(hash);
  const auto created = value_or_throw(t.store->create_application(app), "create application");
  print_with_secret(o, created, secret,
                    "created application " + created.name + " with client_id " + created.client_id);
}

void run_list(const ClientsOptions& o) {
  auto t = open_existing_tenant(o.data_dir);
  const auto apps = value_or_throw(t.store->list_applications(), "list applications");
  if (o.json) {
    json::array out;
    for (const auto& app : apps) {
      out.push_back(application_json(app));
    }
    print_json(out);
    return;
  }
  if (apps.empty()) {
    std::cout << "no applications yet: create one with 'signet clients create --name \"My App\"'\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{
      {"CLIENT_ID", "NAME", "TYPE", "GRANT_TYPES", "AUTH_METHOD", "CREATED"}};
  for (const auto& app : apps) {
    rows.push_back({app.client_id, app.name, std::string(store::to_string(app.type)),
                    join_or_dash(grant_type_names(app), ","),
                    std::string(store::to_string(app.token_endpoint_auth_method)),
                    format_time(app.created_at)});
  }
  print_table(rows);
}

void print_result(const ClientsOptions& o, const store::Application& app) {
  if (o.json) {
    print_json(application_json(app));
  } else {
    print_table(application_rows(app));
  }
}

void run_show(const ClientsOptions& o) {
  auto t = open_existing_tenant(o.data_dir);
  print_result(o, require_application(*t.store, o.client_id));
}

void run_update(const ClientsOptions& o) {
  const bool grant_types_given = o.new_grant_types_given->count() > 0;
  if (!o.new_name && !o.new_type && !grant_types_given && !o.new_auth_method) {
    throw CommandError{"nothing to update: give --name, --type, --grant-types or --auth-method"};
  }
  // Everything is checked before the store is opened, so a typo changes nothing.
  std::optional<store::ApplicationType> type;
  std::optional<std::vector<store::GrantType>> grant_types;
  std::optional<store::TokenEndpointAuthMethod> method;
  if (o.new_type) {
    type = parse_type(*o.new_type);
  }
  if (grant_types_given) {
    grant_types = parse_grant_types(o.new_grant_types);
  }
  if (o.new_auth_method) {
    method = parse_auth_method(*o.new_auth_method);
  }
  auto t = open_tenant(o.data_dir);
  // update_application replaces the whole record (secret hash included): read-modify-write.
  auto app = require_application(*t.store, o.client_id);
  app.name = o.new_name.value_or(app.name);
  app.type = type.value_or(app.type);
  app.grant_types = grant_types.value_or(app.grant_types);
  app.token_endpoint_auth_method = method.value_or(app.token_endpoint_auth_method);
  print_result(
      o, value_or_throw(t.store->update_application(app), "update application " + app.client_id));
}

void run_rotate_secret(const ClientsOptions& o) {
  auto t = open_tenant(o.data_dir);
  auto app = require_application(*t.store, o.client_id);
  auto [secret, hash] = new_secret(t);
  app.client_secret_hash = std::move(hash);
  const auto updated = value_or_throw(t.store->update_application(app),
                                      "rotate the secret of application " + app.client_id);
  print_with_secret(o, updated, secret,
                    "new client secret for " + updated.client_id + "; the old one no longer works");
}

void run_delete(const ClientsOptions& o) {
  auto t = open_tenant(o.data_dir);
  const auto app = require_application(*t.store, o.client_id);
  // Counted only to tell the operator what went with the application (the store cascades).
  const auto grants = value_or_throw(t.store->list_client_grants(app.client_id),
                                     "list the grants of application " + app.client_id);
  confirm_deletion(o.yes, "Delete application '" + app.client_id + "' (" + app.name +
                              "), its secret, client grants (" + std::to_string(grants.size()) +
                              ") and refresh tokens?");
  value_or_throw(t.store->delete_application(app.client_id), "delete application " + app.client_id);
  if (o.json) {
    print_json(json::object{
        {"client_id", app.client_id}, {"deleted", true}, {"deleted_client_grants", grants.size()}});
    return;
  }
  std::cout << "deleted application " << app.client_id << " (" << app.name << ") and its "
            << grants.size() << " client grant(s); its secret and refresh tokens no longer work\n";
}

void add_common_options(CLI::App* cmd, ClientsOptions& o) {
  add_data_dir_option(cmd, o.data_dir);
  add_json_flag(cmd, o.json);
}

void add_id_argument(CLI::App* cmd, ClientsOptions& o) {
  cmd->add_option("ID", o.client_id, "The application's client_id (see 'signet clients list')")
      ->required();
}

template <typename F>
void on_run(CLI::App* cmd, const std::shared_ptr<ClientsOptions>& o, int& exit_code, F body) {
  cmd->callback([o, &exit_code, body] { run_command([&] { body(*o); }, exit_code); });
}

constexpr const char* kTypeHelp =
    "Application type: m2m (a service acting for itself), regular_web, native or spa";
constexpr const char* kGrantTypesHelp =
    "Grant types the application may use at /oauth/token, separated by commas or spaces, or "
    "repeated: "
    "client_credentials, password, refresh_token";
constexpr const char* kAuthMethodHelp =
    "How the application sends its secret to /oauth/token: client_secret_basic (HTTP Basic) or "
    "client_secret_post (client_id and client_secret in the form body)";

}  // namespace

void add_clients_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ClientsOptions>();
  CLI::App* clients = app.add_subcommand(
      "clients",
      "Manage applications: the OAuth clients that get tokens from /oauth/token.\n"
      "Each has a client_id and a client secret; the secret is shown once, when it is made, and\n"
      "stored only as a keyed hash under the master key (SIGNET_MASTER_KEY, else\n"
      "<data-dir>/master.key). Give an application access to an API with 'signet grants create'.");
  clients->require_subcommand(1);

  CLI::App* create = clients->add_subcommand(
      "create",
      "Create an application with a new client_id and client secret, and print both.\n"
      "The secret is printed this once only: store it right away.");
  add_common_options(create, *o);
  create->add_option("--name", o->name, "A name for people, e.g. \"Messages client\"")->required();
  create->add_option("--type", o->type, kTypeHelp)->capture_default_str();
  create
      ->add_option("--grant-types", o->grant_types,
                   std::string(kGrantTypesHelp) +
                       " (default: client_credentials for m2m, password,refresh_token otherwise)")
      ->allow_extra_args(false);
  create->add_option("--auth-method", o->auth_method, kAuthMethodHelp)->capture_default_str();
  create->footer("Example: signet clients create --name \"Messages client\" --type m2m");
  on_run(create, o, exit_code, run_create);

  CLI::App* list =
      clients->add_subcommand("list", "List every application. Never prints a secret or its hash.");
  add_common_options(list, *o);
  on_run(list, o, exit_code, run_list);

  CLI::App* show = clients->add_subcommand(
      "show", "Show one application's settings. Never prints its secret or the secret's hash.");
  add_common_options(show, *o);
  add_id_argument(show, *o);
  on_run(show, o, exit_code, run_show);

  CLI::App* update = clients->add_subcommand(
      "update", "Change an application's settings. Only the flags given change.");
  add_common_options(update, *o);
  add_id_argument(update, *o);
  update->add_option("--name", o->new_name, "New name");
  update->add_option("--type", o->new_type, kTypeHelp);
  o->new_grant_types_given =
      update->add_option("--grant-types", o->new_grant_types, kGrantTypesHelp)
          ->allow_extra_args(false);
  update->add_option("--auth-method", o->new_auth_method, kAuthMethodHelp);
  on_run(update, o, exit_code, run_update);

  CLI::App* rotate = clients->add_subcommand(
      "rotate-secret",
      "Give an application a new client secret and print it (once). The old secret stops\n"
      "working at once; tokens already issued stay valid until they expire.");
  add_common_options(rotate, *o);
  add_id_argument(rotate, *o);
  on_run(rotate, o, exit_code, run_rotate_secret);

  CLI::App* del = clients->add_subcommand(
      "delete",
      "Delete an application, with its client grants and refresh tokens. Its secret stops\n"
      "working at once; access tokens already issued stay valid until they expire.");
  add_common_options(del, *o);
  add_id_argument(del, *o);
  add_yes_flag(del, o->yes);
  on_run(del, o, exit_code, run_delete);
}

}  // namespace signet::cli
