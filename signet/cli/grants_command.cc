#include "signet/cli/grants_command.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/printers.h"
#include "signet/store/types.h"

namespace signet::cli::grants {
namespace {

namespace json = boost::json;

// A grant id as typed: a positive decimal integer, else CommandError.
std::int64_t parse_grant_id(std::string_view text) {
  std::int64_t id = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, id);
  if (text.empty() || ec != std::errc{} || ptr != end || id <= 0) {
    throw CommandError{"'" + std::string(text) +
                       "' is not a grant id: grant ids are positive numbers (see 'signet grants "
                       "list')"};
  }
  return id;
}

const Hint kNoSuchGrant{admin::AdminErrorCode::kNotFound, "(see 'signet grants list')"};

// After the admin service refused scopes that are not permissions of `api`: which command
// defines the first of them.
std::string define_first_missing(const store::Api& api, const std::vector<std::string>& scopes) {
  for (const auto& scope : scopes) {
    if (std::none_of(api.permissions.begin(), api.permissions.end(),
                     [&](const auto& p) { return p.value == scope; })) {
      return "(define it with 'signet apis permissions add " + shell_quote(api.identifier) + " " +
             shell_quote(scope) + "', or see 'signet apis show " + shell_quote(api.identifier) +
             "')";
    }
  }
  return "";
}

}  // namespace

void run_create(CommandContext& ctx, const CreateOptions& o) {
  const auto scopes = split_list(o.scopes);
  auto& admin = ctx.admin(Access::kWrite);
  // Read first only to say which list to look in when one of them does not exist.
  const auto app =
      value_or_throw(admin.get_application(o.client_id),
                     {{admin::AdminErrorCode::kNotFound, "(see 'signet clients list')"}});
  const auto api = value_or_throw(admin.get_api(o.audience),
                                  {{admin::AdminErrorCode::kNotFound, "(see 'signet apis list')"}});
  auto created = admin.create_client_grant(app.client_id, api.identifier, scopes);
  if (!created && created.error().code == admin::AdminErrorCode::kInvalid) {
    throw admin_failure(created.error(), define_first_missing(api, scopes));
  }
  if (!created && created.error().code == admin::AdminErrorCode::kConflict) {
    // The grant the application has for the API: the one to change instead.
    const auto existing = value_or_throw(
        admin.list_client_grants(admin::PageRequest{0, 1}, {app.client_id, api.identifier}));
    if (!existing.items.empty()) {
      const auto id = std::to_string(existing.items.front().id);
      throw admin_failure(created.error(), "('signet grants update " + id + " --scopes ...')");
    }
  }
  const auto grant = value_or_throw(std::move(created));
  if (!o.json) {
    ctx.out() << "created client grant " << grant.id << "\n\n";
  }
  print_record(ctx.out(), o.json, grant);
}

void run_list(CommandContext& ctx, const ListOptions& o) {
  auto& admin = ctx.admin(Access::kRead);
  admin::ClientGrantFilter filter;
  filter.client_id = o.client_id;
  // An unknown client_id is more likely a typo than an application without grants.
  print_list(ctx.out(), o.json,
             all_pages([&](const auto& page) { return admin.list_client_grants(page, filter); },
                       {{admin::AdminErrorCode::kNotFound, "(see 'signet clients list')"}}),
             "no client grants yet: create one with 'signet grants create --client-id ID "
             "--audience API --scopes \"read:messages\"'");
}

void run_show(CommandContext& ctx, const ShowOptions& o) {
  const auto id = parse_grant_id(o.grant_id);
  print_record(ctx.out(), o.json,
               value_or_throw(ctx.admin(Access::kRead).get_client_grant(id), {kNoSuchGrant}));
}

void run_update(CommandContext& ctx, const UpdateOptions& o) {
  const auto id = parse_grant_id(o.grant_id);
  const auto scopes = split_list(o.scopes);
  auto& admin = ctx.admin(Access::kWrite);
  auto updated = admin.update_client_grant(id, scopes, {});
  if (!updated && updated.error().code == admin::AdminErrorCode::kInvalid) {
    const auto grant = value_or_throw(admin.get_client_grant(id), {kNoSuchGrant});
    const auto api = value_or_throw(admin.get_api(grant.audience));
    throw admin_failure(updated.error(), define_first_missing(api, scopes));
  }
  print_record(ctx.out(), o.json, value_or_throw(std::move(updated), {kNoSuchGrant}));
}

void run_delete(CommandContext& ctx, const DeleteOptions& o) {
  const auto id = parse_grant_id(o.grant_id);
  auto& admin = ctx.admin(Access::kWrite);
  const auto grant = value_or_throw(admin.get_client_grant(id), {kNoSuchGrant});
  confirm_deletion(ctx, o.yes,
                   "Delete client grant " + std::to_string(id) + ", so that application '" +
                       grant.client_id + "' can no longer get tokens for API '" + grant.audience +
                       "'?");
  value_or_throw(admin.delete_client_grant(id), {kNoSuchGrant});
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
