#include "signet/cli/users_command.h"

#include <algorithm>
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
#include "signet/server/password.h"
#include "signet/store/types.h"

namespace signet::cli::users {
namespace {

namespace json = boost::json;

const Hint kNoSuchUser{admin::AdminErrorCode::kNotFound, "(see 'signet users list')"};
const Hint kNoSuchApi{admin::AdminErrorCode::kNotFound, "(see 'signet apis list')"};

// The new password, from the context's input (prompted for twice, without echo, on a terminal).
// `command` is what to show in the hint, e.g. "users create ...".
std::string read_new_password(CommandContext& ctx, bool password_stdin,
                              const std::string& command) {
  const std::string hint = "printf '%s\\n' \"$PASSWORD\" | signet " + command + " --password-stdin";
  if (!password_stdin) {
    throw CommandError{
        "a password is needed and is only read from stdin: add --password-stdin ("
        "e.g. " +
        hint + ")"};
  }
  // One byte over the limit, so that an over-long password is seen and refused, not cut.
  constexpr std::size_t kReadLimit = server::kMaxPasswordLength + 1;
  std::optional<std::string> password;
  if (ctx.in_is_terminal()) {
    password = ctx.read_secret("Password: ", kReadLimit);
    const auto again = ctx.read_secret("Repeat the password: ", kReadLimit);
    if (password != again) {
      throw CommandError{"the two passwords differ; nothing was changed"};
    }
  } else {
    password = ctx.read_line(kReadLimit);
  }
  if (!password) {
    throw CommandError{"no password on stdin: give it as the first line of input (e.g. " + hint +
                       ")"};
  }
  return *password;  // checked against the password rules by the admin service
}

// The counters of brute-force protection that block the user at `at`: the token endpoint counts
// a known user's wrong passwords under the user id, per address.
std::vector<store::AddressFailedLogins> lockouts_of(admin::Admin& admin, const store::User& u,
                                                    store::Timestamp at) {
  auto lockouts = value_or_throw(admin.user_lockouts(u.id), {kNoSuchUser});
  std::erase_if(lockouts.counters, [&](const auto& c) { return !c.counter.blocked_at(at); });
  return std::move(lockouts.counters);
}

constexpr std::string_view kAccessTokensNote =
    "access tokens already issued stay valid until they expire (the API's token lifetime)";

// After the admin service refused permissions that `api` does not define: which command defines
// the first of them.
std::string define_first_missing(const store::Api& api, const std::vector<std::string>& values) {
  for (const auto& value : values) {
    if (std::none_of(api.permissions.begin(), api.permissions.end(),
                     [&](const auto& p) { return p.value == value; })) {
      return "(define it with 'signet apis permissions add " + shell_quote(api.identifier) + " " +
             shell_quote(value) + "')";
    }
  }
  return "";
}

// The permissions a user has on one API, after a change.
void print_permissions_on(CommandContext& ctx, bool json, admin::Admin& admin, const store::User& u,
                          const std::string& api, std::string_view verb) {
  std::vector<std::string> values;
  for (const auto& p : value_or_throw(admin.list_user_permissions(u.id, api))) {
    values.push_back(p.permission);
  }
  if (json) {
    json::array permissions;
    for (const auto& v : values) {
      permissions.emplace_back(v);
    }
    print_json(
        ctx.out(),
        json::object{{"user_id", u.id}, {"api", api}, {"permissions", std::move(permissions)}});
    return;
  }
  ctx.out() << verb << "; user " << u.id << " now has on API " << api << ": "
            << join_or_dash(values, " ") << "\n";
}

}  // namespace

// The Management API an administrator gets every permission of: {issuer}api/v2/, the server's
// with --server. It must exist (signet serve makes it at its first start), checked before anything
// is created, so that a failure leaves no half-made administrator.
std::optional<store::Api> management_api(CommandContext& ctx, admin::Admin& admin,
                                         const CreateOptions& o) {
  if (!o.admin) {
    return std::nullopt;
  }
  const std::string issuer =
      ctx.location().server.empty() ? o.issuer : server_issuer(ctx.location().server);
  const std::string audience = issuer + "api/v2/";
  auto api = admin.get_api(audience);
  if (!api && api.error().code == admin::AdminErrorCode::kNotFound) {
    throw CommandError{"the Management API " + audience +
                       " does not exist yet: signet serve creates it at its first start; start "
                       "it once with --issuer " +
                       issuer + ", or give --issuer the URL your signet serve runs with"};
  }
  return value_or_throw(std::move(api));
}

void run_create(CommandContext& ctx, const CreateOptions& o) {
  // Opened before the password is asked for, so that a tenant that cannot be opened is said first.
  auto& admin = ctx.admin(Access::kWrite);
  const auto management = management_api(ctx, admin, o);
  admin::UserDraft draft;
  draft.email = o.email;
  draft.id = o.id;
  draft.password =
      read_new_password(ctx, o.password_stdin, "users create --email " + shell_quote(o.email));
  const auto created = value_or_throw(admin.create_user(draft));
  if (management) {
    std::vector<std::string> all;
    for (const auto& p : management->permissions) {
      all.push_back(p.value);
    }
    value_or_throw(admin.add_user_permissions(created.id, management->identifier, all));
  }
  if (!o.json) {
    ctx.out() << "created user " << created.id;
    if (management) {
      ctx.out() << ", an administrator: every permission of " << management->identifier;
    }
    ctx.out() << "\n\n";
  }
  print_record(ctx.out(), o.json, created);
}

void run_list(CommandContext& ctx, const ListOptions& o) {
  auto& admin = ctx.admin(Access::kRead);
  const auto at = ctx.now();
  std::vector<UserWithLockouts> users;
  for (auto& u : all_pages([&](const auto& page) { return admin.list_users(page, {}); })) {
    auto lockouts = lockouts_of(admin, u, at);
    users.push_back(UserWithLockouts{std::move(u), std::move(lockouts)});
  }
  print_list(ctx.out(), o.json, users,
             "no users yet: create one with 'signet users create --email name@example.com "
             "--password-stdin'");
}

void run_show(CommandContext& ctx, const ShowOptions& o) {
  auto& admin = ctx.admin(Access::kRead);
  auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  auto permissions = value_or_throw(admin.list_user_permissions(user.id, {}), {kNoSuchUser});
  auto lockouts = lockouts_of(admin, user, ctx.now());
  print_record(ctx.out(), o.json,
               UserProfile{std::move(user), std::move(lockouts), std::move(permissions)});
}

void run_update(CommandContext& ctx, const UpdateOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  admin::UserPatch patch;
  patch.email = o.email;
  print_record(ctx.out(), o.json,
               value_or_throw(admin.update_user(user.id, patch, {}), {kNoSuchUser}).user);
}

void run_delete(CommandContext& ctx, const DeleteOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  confirm_deletion(ctx, o.yes,
                   "Delete user '" + user.id + "' (" + user.email +
                       ") and their permissions and refresh tokens?");
  value_or_throw(admin.delete_user(user.id), {kNoSuchUser});
  if (o.json) {
    print_json(ctx.out(), json::object{{"id", user.id}, {"deleted", true}});
    return;
  }
  ctx.out() << "deleted user " << user.id << " (" << user.email
            << "), with their permissions and refresh tokens\n";
}

void run_block(CommandContext& ctx, const BlockOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  admin::UserPatch patch;
  patch.blocked = true;
  const auto updated = value_or_throw(admin.update_user(user.id, patch, {}), {kNoSuchUser}).user;
  if (o.json) {
    print_json(ctx.out(), to_json(updated));
    return;
  }
  ctx.out() << "blocked user " << updated.id << ": the token endpoint refuses them until 'signet "
            << "users unblock " << shell_quote(updated.id) << "'\n";
}

void run_unblock(CommandContext& ctx, const UnblockOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  admin::UserPatch patch;
  patch.blocked = false;
  const auto updated = value_or_throw(admin.update_user(user.id, patch, {}), {kNoSuchUser}).user;
  // The token endpoint counts a known user's failed logins under the user id, per address; an
  // unblock forgives them all, or the user would stay locked out by brute-force protection.
  const auto cleared = value_or_throw(admin.clear_user_lockouts(user.id), {kNoSuchUser});
  if (o.json) {
    auto out = to_json(updated);
    out["cleared_failed_login_counters"] = cleared;
    print_json(ctx.out(), out);
    return;
  }
  ctx.out() << "unblocked user " << updated.id << " and cleared " << cleared
            << " failed-login counter(s)\n";
}

void run_set_password(CommandContext& ctx, const SetPasswordOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  admin::UserPatch patch;
  patch.password =
      read_new_password(ctx, o.password_stdin, "users set-password " + shell_quote(user.id));
  // The service ends the user's sessions with the reset (a reset often follows a compromise);
  // there is deliberately no flag to keep them.
  auto updated = admin.update_user(user.id, patch, {});
  if (!updated) {
    // When the password was written but the sessions could not be ended, say how to end them.
    if (auto now = admin.get_user(user.id); now && now->revision != user.revision) {
      throw admin_failure(updated.error(), "(end the sessions with 'signet users revoke-sessions " +
                                               shell_quote(user.id) + "')");
    }
  }
  const auto done = value_or_throw(std::move(updated), {kNoSuchUser});
  if (o.json) {
    auto out = to_json(done.user);
    out["revoked_refresh_tokens"] = done.sessions_ended;
    print_json(ctx.out(), out);
    return;
  }
  ctx.out() << "set a new password for user " << done.user.id
            << " and ended their sessions: revoked " << done.sessions_ended << " refresh token(s); "
            << kAccessTokensNote << "\n";
}

void run_revoke_sessions(CommandContext& ctx, const RevokeSessionsOptions& o) {
  auto& admin = ctx.admin(Access::kWrite);
  const auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  const auto revoked = value_or_throw(admin.revoke_sessions(user.id), {kNoSuchUser});
  if (o.json) {
    print_json(
        ctx.out(),
        json::object{{"id", user.id}, {"email", user.email}, {"revoked_refresh_tokens", revoked}});
    return;
  }
  ctx.out() << "revoked " << revoked << " refresh token(s) of user " << user.id << " ("
            << user.email << "): every app signed in as them must sign in again; "
            << kAccessTokensNote << "\n";
}

void run_permissions_add(CommandContext& ctx, const PermissionsAddOptions& o) {
  const auto values = split_list(o.permissions);
  auto& admin = ctx.admin(Access::kWrite);
  const auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  const auto api = value_or_throw(admin.get_api(o.audience), {kNoSuchApi});
  if (auto added = admin.add_user_permissions(user.id, api.identifier, values); !added) {
    throw admin_failure(added.error(), added.error().code == admin::AdminErrorCode::kInvalid
                                           ? define_first_missing(api, values)
                                           : "");
  }
  print_permissions_on(ctx, o.json, admin, user, api.identifier, "added");
}

void run_permissions_remove(CommandContext& ctx, const PermissionsRemoveOptions& o) {
  const auto values = split_list(o.permissions);
  auto& admin = ctx.admin(Access::kWrite);
  const auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  const auto api = value_or_throw(admin.get_api(o.audience), {kNoSuchApi});
  value_or_throw(admin.remove_user_permissions(user.id, api.identifier, values));
  print_permissions_on(ctx, o.json, admin, user, api.identifier, "removed");
}

void run_permissions_list(CommandContext& ctx, const PermissionsListOptions& o) {
  auto& admin = ctx.admin(Access::kRead);
  const auto user = value_or_throw(admin.find_user(o.user), {kNoSuchUser});
  std::optional<std::string_view> api;
  if (o.audience) {
    api = *o.audience;
  }
  // The user was found: an unknown is the API.
  print_list(ctx.out(), o.json,
             value_or_throw(admin.list_user_permissions(user.id, api), {kNoSuchApi}),
             "user " + user.id + " has no permissions" +
                 (api ? " on API " + std::string(*api) : std::string()));
}

namespace {

void add_user_argument(CLI::App* cmd, std::string& user) {
  cmd->add_option("ID", user, "The user's id or email (see 'signet users list')")->required();
}

void add_password_stdin_flag(CLI::App* cmd, bool& password_stdin) {
  cmd->add_flag("--password-stdin", password_stdin,
                "Read the password from the first line of stdin (prompted for, without echo, "
                "when stdin is a terminal); at least 8 characters");
}

}  // namespace

void add_command(CLI::App& app, VerbRegistrar& verbs) {
  CLI::App* users = app.add_subcommand(
      "users",
      "Manage users: the people who get tokens with the password grant (their email and\n"
      "password), and their permissions on APIs. Users are named by id or by email. Passwords\n"
      "are read from stdin, never from the command line, and stored as argon2id hashes.");
  users->require_subcommand(1);

  auto create = verbs.add(
      users, "create",
      "Create a user with an email and a password read from stdin. Prints the user.\n"
      "The password is hashed with argon2id, OWASP's parameters unless SIGNET_ARGON2_MEMORY_KIB,\n"
      "SIGNET_ARGON2_ITERATIONS or SIGNET_ARGON2_PARALLELISM say otherwise (as for signet serve).",
      run_create);
  create.command
      ->add_option("--email", create.options.email,
                   "The user's email, which is also their username")
      ->required();
  create.command->add_option("--id", create.options.id,
                             "The user's id (the 'sub' of their tokens); default: auth0| and 24 "
                             "random hex digits, as Auth0's");
  add_password_stdin_flag(create.command, create.options.password_stdin);
  create.command->add_flag("--admin", create.options.admin,
                           "Give the user every permission of the Management API, so they can "
                           "sign in to the console ({issuer}console/) and manage the tenant");
  create.command
      ->add_option("--issuer", create.options.issuer,
                   "With --admin, without --server: the issuer signet serve runs with, whose "
                   "Management API is {issuer}api/v2/")
      ->capture_default_str()
      ->envname("SIGNET_ISSUER");
  create.command->footer(
      "Example: printf '%s\\n' \"$PASSWORD\" | signet users create --email ada@example.com "
      "--password-stdin");

  verbs.add(users, "list", "List every user. Never prints password hashes.", run_list);

  auto show = verbs.add(
      users, "show",
      "Show one user and their permissions on each API. Never prints the password hash.", run_show);
  add_user_argument(show.command, show.options.user);

  auto update = verbs.add(users, "update", "Change a user's email.", run_update);
  add_user_argument(update.command, update.options.user);
  update.command->add_option("--email", update.options.email, "The new email")->required();

  auto del = verbs.add(users, "delete", "Delete a user, with their permissions and refresh tokens.",
                       run_delete);
  add_user_argument(del.command, del.options.user);
  add_yes_flag(del.command, del.options.yes);

  auto block = verbs.add(users, "block",
                         "Block a user: the token endpoint refuses them until they are unblocked.",
                         run_block);
  add_user_argument(block.command, block.options.user);

  auto unblock = verbs.add(
      users, "unblock",
      "Unblock a user: clears the blocked flag and the failed-login counters that brute-force\n"
      "protection keeps for them, from every address.",
      run_unblock);
  add_user_argument(unblock.command, unblock.options.user);

  auto set_password =
      verbs.add(users, "set-password",
                "Replace a user's password with one read from stdin, and end their\n"
                "sessions: their refresh tokens are revoked.",
                run_set_password);
  add_user_argument(set_password.command, set_password.options.user);
  add_password_stdin_flag(set_password.command, set_password.options.password_stdin);

  auto revoke_sessions = verbs.add(
      users, "revoke-sessions",
      "End a user's sessions: revoke all their refresh tokens, so every app signed in as them\n"
      "must sign in again (set-password does this too). Prints how many were revoked.",
      run_revoke_sessions);
  add_user_argument(revoke_sessions.command, revoke_sessions.options.user);

  CLI::App* permissions = users->add_subcommand(
      "permissions",
      "Give, take or list a user's permissions on APIs (what their tokens may carry).");
  permissions->require_subcommand(1);

  auto padd = verbs.add(
      permissions, "add",
      "Give a user permissions of an API. Ones the user already has are kept as they are.",
      run_permissions_add);
  add_user_argument(padd.command, padd.options.user);
  padd.command
      ->add_option("--audience", padd.options.audience,
                   "The API's identifier (see 'signet apis list')")
      ->required();
  padd.command
      ->add_option("SCOPE", padd.options.permissions,
                   "Permissions of the API to give, separated by spaces or commas, e.g. "
                   "read:messages")
      ->required();

  auto premove =
      verbs.add(permissions, "remove",
                "Take permissions of an API from a user. Ones the user lacks are ignored.",
                run_permissions_remove);
  add_user_argument(premove.command, premove.options.user);
  premove.command
      ->add_option("--audience", premove.options.audience,
                   "The API's identifier (see 'signet apis list')")
      ->required();
  premove.command
      ->add_option("SCOPE", premove.options.permissions,
                   "Permissions to take away, separated by spaces or commas")
      ->required();

  auto plist = verbs.add(permissions, "list", "List a user's permissions, on every API or on one.",
                         run_permissions_list);
  add_user_argument(plist.command, plist.options.user);
  plist.command->add_option("--audience", plist.options.audience,
                            "Only the permissions on this API");
}

}  // namespace signet::cli::users
