#include "signet/cli/grants_command.h"

#include <algorithm>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/printers.h"
#include "signet/cli/tenant.h"
#include "signet/store/types.h"

namespace signet::cli::grants {
namespace {

namespace json = boost::json;

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

}  // namespace

void run_create(CommandContext& ctx, const CreateOptions& o) {
  const auto scopes = split_list(o.scopes);
  auto& db = *ctx.tenant(Access::kWrite).store;
  const auto app = require_application(db, o.client_id);
  const auto api = require_api(db, o.audience);
  require_permissions(api, scopes);
  if (auto existing = db.find_client_grant(app.client_id, api.identifier)) {
    throw CommandError{"application " + app.client_id + " already has a grant for API " +
                       api.identifier + ": it is grant " + std::to_string(existing->id) +
                       " (change its scopes with 'signet grants update " +
                       std::to_string(existing->id) + " --scopes ...')"};
  }
  store::ClientGrant grant;
  grant.client_id = app.client_id;
  grant.audience = api.identifier;
  grant.scopes = scopes;
  grant.created_at = ctx.now();
  const auto created = value_or_throw(db.create_client_grant(grant), "create client grant");
  if (!o.json) {
    ctx.out() << "created client grant " << created.id << "\n\n";
  }
  print_record(ctx.out(), o.json, created);
}

void run_list(CommandContext& ctx, const ListOptions& o) {
  auto& db = *ctx.tenant(Access::kRead).store;
  std::optional<std::string_view> filter;
  if (o.client_id) {
    // An unknown client_id is more likely a typo than an application without grants.
    require_application(db, *o.client_id);
    filter = *o.client_id;
  }
  print_list(ctx.out(), o.json, value_or_throw(db.list_client_grants(filter), "list client grants"),
             "no client grants yet: create one with 'signet grants create --client-id ID "
             "--audience API --scopes \"read:messages\"'");
}

void run_show(CommandContext& ctx, const ShowOptions& o) {
  const auto id = parse_grant_id(o.grant_id);
  auto& db = *ctx.tenant(Access::kRead).store;
  print_record(ctx.out(), o.json, require_grant(db, id));
}

void run_update(CommandContext& ctx, const UpdateOptions& o) {
  const auto id = parse_grant_id(o.grant_id);
  const auto scopes = split_list(o.scopes);
  auto& db = *ctx.tenant(Access::kWrite).store;
  const auto grant = require_grant(db, id);
  require_permissions(require_api(db, grant.audience), scopes);
  print_record(ctx.out(), o.json,
               value_or_throw(db.update_client_grant_scopes(id, scopes),
                              "update client grant " + std::to_string(id)));
}

void run_delete(CommandContext& ctx, const DeleteOptions& o) {
  const auto id = parse_grant_id(o.grant_id);
  auto& db = *ctx.tenant(Access::kWrite).store;
  const auto grant = require_grant(db, id);
  confirm_deletion(ctx, o.yes,
                   "Delete client grant " + std::to_string(id) + ", so that application '" +
                       grant.client_id + "' can no longer get tokens for API '" + grant.audience +
                       "'?");
  value_or_throw(db.delete_client_grant(id), "delete client grant " + std::to_string(id));
  if (o.json) {
    print_json(ctx.out(), json::object{{"id", id}, {"deleted", true}});
    return;
  }
  ctx.out() << "deleted client grant " << id << ": application " << grant.client_id
            << " can no longer get tokens for API " << grant.audience << "\n";
}

namespace {

void add_id_argument(CLI::App* cmd, std::string& grant_id) {
  cmd->add_option("GRANT_ID", grant_id, "The grant's id, a number (see 'signet grants list')")
      ->required();
}

}  // namespace

void add_command(CLI::App& app, VerbRegistrar& verbs) {
  CLI::App* grants = app.add_subcommand(
      "grants",
      "Manage client grants: which scopes of an API an application may get by client\n"
      "credentials. An application has at most one grant per API; without one, /oauth/token\n"
      "answers 403 access_denied for that API.");
  grants->require_subcommand(1);

  auto create = verbs.add(
      grants, "create",
      "Let an application get tokens for an API, with the given scopes. Prints the grant's id.",
      run_create);
  create.command
      ->add_option("--client-id", create.options.client_id,
                   "The application (see 'signet clients list')")
      ->required();
  create.command
      ->add_option("--audience", create.options.audience,
                   "The API's identifier (see 'signet apis list')")
      ->required();
  add_hidden_alias(create.command,
                   create.command
                       ->add_option("--scopes", create.options.scopes,
                                    "Scopes to grant, separated by spaces or commas, or repeated; "
                                    "each must be a permission of the API (none: tokens without "
                                    "scopes)")
                       ->allow_extra_args(false),
                   "--scope");
  create.command->footer(
      "Example: signet grants create --client-id CLIENT_ID --audience https://api.example.com/ "
      "--scopes \"read:messages\"");

  auto list = verbs.add(grants, "list", "List client grants, all or one application's.", run_list);
  list.command->add_option("--client-id", list.options.client_id,
                           "Only the grants of this application");

  auto show = verbs.add(grants, "show", "Show one client grant.", run_show);
  add_id_argument(show.command, show.options.grant_id);

  auto update = verbs.add(
      grants, "update",
      "Replace a grant's scopes. Tokens already issued keep the scopes they carry until they\n"
      "expire.",
      run_update);
  add_id_argument(update.command, update.options.grant_id);
  add_hidden_alias(update.command,
                   update.command
                       ->add_option("--scopes", update.options.scopes,
                                    "The new scopes, separated by spaces or commas, or repeated; "
                                    "each must be a permission of the API (\"\" for none)")
                       ->required()
                       ->allow_extra_args(false),
                   "--scope");

  auto del = verbs.add(
      grants, "delete",
      "Delete a client grant: the application can no longer get tokens for that API. Tokens\n"
      "already issued stay valid until they expire.",
      run_delete);
  add_id_argument(del.command, del.options.grant_id);
  add_yes_flag(del.command, del.options.yes);
}

}  // namespace signet::cli::grants
