#include "signet/cli/grants_command.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/tenant.h"
#include "signet/store/types.h"

namespace signet::cli {
namespace {

namespace json = boost::json;

struct GrantsOptions {
  std::string data_dir{kDefaultDataDir};
  bool json = false;
  bool yes = false;      // delete --yes
  std::string grant_id;  // the positional GRANT_ID, as typed
  std::string client_id;
  std::string audience;
  std::optional<std::string> client_filter;  // list --client-id
  std::vector<std::string> scopes;
};

json::object grant_json(const store::ClientGrant& g) {
  json::array scopes;
  for (const auto& s : g.scopes) {
    scopes.emplace_back(s);
  }
  return json::object{
      {"id", g.id},
      {"client_id", g.client_id},
      {"audience", g.audience},
      {"scopes", std::move(scopes)},
      {"created_at", format_time(g.created_at)},
  };
}

void print_result(const GrantsOptions& o, const store::ClientGrant& g) {
  if (o.json) {
    print_json(grant_json(g));
    return;
  }
  print_table({
      {"id", std::to_string(g.id)},
      {"client_id", g.client_id},
      {"audience", g.audience},
      {"scopes", join_or_dash(g.scopes, " ")},
      {"created", format_time(g.created_at)},
  });
}

// Checked here as well as in the store, to say which command defines the missing permission.
void require_permissions(const store::Api& api, const std::vector<std::string>& scopes) {
  for (const auto& scope : scopes) {
    if (std::none_of(api.permissions.begin(), api.permissions.end(),
                     [&](const auto& p) { return p.value == scope; })) {
      throw CommandError{"scope " + scope + " is not a permission of API " + api.identifier +
                         " (define it with 'signet apis permissions add " +
                         shell_quote(api.identifier) + " " + shell_quote(scope) +
                         "', or see 'signet apis show " + shell_quote(api.identifier) + "')"};
    }
  }
}

void run_create(const GrantsOptions& o) {
  const auto scopes = split_list(o.scopes);
  auto t = open_tenant(o.data_dir);
  const auto app = require_application(*t.store, o.client_id);
  const auto api = require_api(*t.store, o.audience);
  require_permissions(api, scopes);
  if (auto existing = t.store->find_client_grant(app.client_id, api.identifier)) {
    throw CommandError{"application " + app.client_id + " already has a grant for API " +
                       api.identifier + ": it is grant " + std::to_string(existing->id) +
                       " (change its scopes with 'signet grants update " +
                       std::to_string(existing->id) + " --scopes ...')"};
  }
  store::ClientGrant grant;
  grant.client_id = app.client_id;
  grant.audience = api.identifier;
  grant.scopes = scopes;
  grant.created_at = now();
  const auto created = value_or_throw(t.store->create_client_grant(grant), "create client grant");
  if (!o.json) {
    std::cout << "created client grant " << created.id << "\n\n";
  }
  print_result(o, created);
}

void run_list(const GrantsOptions& o) {
  auto t = open_existing_tenant(o.data_dir);
  std::optional<std::string_view> filter;
  if (o.client_filter) {
    // An unknown client_id is more likely a typo than an application without grants.
    require_application(*t.store, *o.client_filter);
    filter = *o.client_filter;
  }
  const auto grants = value_or_throw(t.store->list_client_grants(filter), "list client grants");
  if (o.json) {
    json::array out;
    for (const auto& g : grants) {
      out.push_back(grant_json(g));
    }
    print_json(out);
    return;
  }
  if (grants.empty()) {
    std::cout << "no client grants yet: create one with 'signet grants create --client-id ID "
                 "--audience API --scopes \"read:messages\"'\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "CLIENT_ID", "AUDIENCE", "SCOPES", "CREATED"}};
  for (const auto& g : grants) {
    rows.push_back({std::to_string(g.id), g.client_id, g.audience, join_or_dash(g.scopes, " "),
                    format_time(g.created_at)});
  }
  print_table(rows);
}

void run_show(const GrantsOptions& o) {
  const auto id = parse_grant_id(o.grant_id);
  auto t = open_existing_tenant(o.data_dir);
  print_result(o, require_grant(*t.store, id));
}

void run_update(const GrantsOptions& o) {
  const auto id = parse_grant_id(o.grant_id);
  const auto scopes = split_list(o.scopes);
  auto t = open_tenant(o.data_dir);
  const auto grant = require_grant(*t.store, id);
  require_permissions(require_api(*t.store, grant.audience), scopes);
  print_result(o, value_or_throw(t.store->update_client_grant_scopes(id, scopes),
                                 "update client grant " + std::to_string(id)));
}

void run_delete(const GrantsOptions& o) {
  const auto id = parse_grant_id(o.grant_id);
  auto t = open_tenant(o.data_dir);
  const auto grant = require_grant(*t.store, id);
  confirm_deletion(o.yes, "Delete client grant " + std::to_string(id) + ", so that application '" +
                              grant.client_id + "' can no longer get tokens for API '" +
                              grant.audience + "'?");
  value_or_throw(t.store->delete_client_grant(id), "delete client grant " + std::to_string(id));
  if (o.json) {
    print_json(json::object{{"id", id}, {"deleted", true}});
    return;
  }
  std::cout << "deleted client grant " << id << ": application " << grant.client_id
            << " can no longer get tokens for API " << grant.audience << "\n";
}

void add_common_options(CLI::App* cmd, GrantsOptions& o) {
  add_data_dir_option(cmd, o.data_dir);
  add_json_flag(cmd, o.json);
}

void add_id_argument(CLI::App* cmd, GrantsOptions& o) {
  cmd->add_option("GRANT_ID", o.grant_id, "The grant's id, a number (see 'signet grants list')")
      ->required();
}

template <typename F>
void on_run(CLI::App* cmd, const std::shared_ptr<GrantsOptions>& o, int& exit_code, F body) {
  cmd->callback([o, &exit_code, body] { run_command([&] { body(*o); }, exit_code); });
}

}  // namespace

void add_grants_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<GrantsOptions>();
  CLI::App* grants = app.add_subcommand(
      "grants",
      "Manage client grants: which scopes of an API an application may get by client\n"
      "credentials. An application has at most one grant per API; without one, /oauth/token\n"
      "answers 403 access_denied for that API.");
  grants->require_subcommand(1);

  CLI::App* create = grants->add_subcommand(
      "create",
      "Let an application get tokens for an API, with the given scopes. Prints the grant's id.");
  add_common_options(create, *o);
  create->add_option("--client-id", o->client_id, "The application (see 'signet clients list')")
      ->required();
  create->add_option("--audience", o->audience, "The API's identifier (see 'signet apis list')")
      ->required();
  add_hidden_alias(create,
                   create
                       ->add_option("--scopes", o->scopes,
                                    "Scopes to grant, separated by spaces or commas, or repeated; "
                                    "each must be a permission of the API (none: tokens without "
                                    "scopes)")
                       ->allow_extra_args(false),
                   "--scope");
  create->footer(
      "Example: signet grants create --client-id CLIENT_ID --audience https://api.example.com/ "
      "--scopes \"read:messages\"");
  on_run(create, o, exit_code, run_create);

  CLI::App* list = grants->add_subcommand("list", "List client grants, all or one application's.");
  add_common_options(list, *o);
  list->add_option("--client-id", o->client_filter, "Only the grants of this application");
  on_run(list, o, exit_code, run_list);

  CLI::App* show = grants->add_subcommand("show", "Show one client grant.");
  add_common_options(show, *o);
  add_id_argument(show, *o);
  on_run(show, o, exit_code, run_show);

  CLI::App* update = grants->add_subcommand(
      "update",
      "Replace a grant's scopes. Tokens already issued keep the scopes they carry until they\n"
      "expire.");
  add_common_options(update, *o);
  add_id_argument(update, *o);
  add_hidden_alias(update,
                   update
                       ->add_option("--scopes", o->scopes,
                                    "The new scopes, separated by spaces or commas, or repeated; "
                                    "each must be a permission of the API (\"\" for none)")
                       ->required()
                       ->allow_extra_args(false),
                   "--scope");
  on_run(update, o, exit_code, run_update);

  CLI::App* del = grants->add_subcommand(
      "delete",
      "Delete a client grant: the application can no longer get tokens for that API. Tokens\n"
      "already issued stay valid until they expire.");
  add_common_options(del, *o);
  add_id_argument(del, *o);
  add_yes_flag(del, o->yes);
  on_run(del, o, exit_code, run_delete);
}

}  // namespace signet::cli
