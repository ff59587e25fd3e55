#include "signet/cli/users_command.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
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
#include "signet/jose/crypto.h"
#include "signet/server/password.h"
#include "signet/store/types.h"

namespace signet::cli::users {
namespace {

namespace json = boost::json;

constexpr std::string_view kUserIdPrefix = "signet|";
constexpr std::size_t kUserIdRandomBytes = 12;  // 24 hex digits, as Auth0's ids have

std::string new_user_id() {
  std::array<std::uint8_t, kUserIdRandomBytes> bytes{};
  jose::random_bytes(bytes);
  return std::string(kUserIdPrefix) + jose::to_hex(bytes);
}

// Only a sanity check (the password grant takes the email as the username): something on each
// side of an '@', and nothing that cannot be typed on one line.
void check_email(const std::string& email) {
  const auto at = email.rfind('@');
  const bool printable = std::all_of(email.begin(), email.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  });
  if (!printable || at == std::string::npos || at == 0 || at + 1 == email.size()) {
    throw CommandError{"'" + email + "' is not an email address (expected name@example.com)"};
  }
}

// The new password, from the context's input (prompted for twice, without echo, on a terminal)
// and checked against the password rules. `command` is what to show in the hint, e.g. "users
// create ...".
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
  if (auto valid = server::validate_new_password(*password); !valid) {
    throw CommandError{valid.error() + "; nothing was changed"};
  }
  return *password;
}

// OWASP's argon2id parameters, or those in SIGNET_ARGON2_MEMORY_KIB, SIGNET_ARGON2_ITERATIONS and
// SIGNET_ARGON2_PARALLELISM: the variables `signet serve` reads too, so that its decoy hash for
// unknown users costs what real users' hashes cost.
server::ArgonParams argon_params_from_env() {
  server::ArgonParams params;
  const auto read = [](const char* name, std::uint32_t& out) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
      return;
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long n = std::strtoul(value, &end, 10);
    if (errno != 0 || *end != '\0' || n > 0xFFFFFFFFul || value[0] == '-') {
      throw CommandError{std::string(name) + "='" + value + "' is not a number"};
    }
    out = static_cast<std::uint32_t>(n);
  };
  read("SIGNET_ARGON2_MEMORY_KIB", params.memory_kib);
  read("SIGNET_ARGON2_ITERATIONS", params.iterations);
  read("SIGNET_ARGON2_PARALLELISM", params.parallelism);
  if (auto valid = server::validate_argon_params(params); !valid) {
    throw CommandError{valid.error() + " (from SIGNET_ARGON2_*)"};
  }
  return params;
}

std::string hash_password(const std::string& password) {
  return server::PasswordHasher(argon_params_from_env()).hash(password);
}

// The counters of brute-force protection that block the user now: the token endpoint counts a
// known user's wrong passwords under the user id, per address.
std::vector<store::AddressFailedLogins> lockouts_of(store::Store& s, const store::User& u,
                                                    store::Timestamp at) {
  auto counters = value_or_throw(s.list_failed_logins(store::FailedLoginSubject::kUser, u.id),
                                 "list the failed logins of user " + u.id);
  std::erase_if(counters, [&](const auto& c) { return !c.counter.blocked_at(at); });
  return counters;
}

std::vector<store::UserPermission> permissions_of(store::Store& s, const store::User& u,
                                                  std::optional<std::string_view> api) {
  return value_or_throw(s.list_user_permissions(u.id, api), "list the permissions of user " + u.id);
}

// Revokes every refresh token of the user, so each app signed in as them must sign in again;
// returns how many were live. Access tokens already issued are self-contained and run out with
// their lifetime.
std::int64_t end_sessions(store::Store& s, const store::User& u) {
  return value_or_throw(s.revoke_user_refresh_tokens(u.id),
                        "revoke the refresh tokens of user " + u.id);
}

constexpr std::string_view kAccessTokensNote =
    "access tokens already issued stay valid until they expire (the API's token lifetime)";

// The permissions a user has on one API, after a change.
void print_permissions_on(CommandContext& ctx, bool json, store::Store& s, const store::User& u,
                          const std::string& api, std::string_view verb) {
  std::vector<std::string> values;
  for (const auto& p : permissions_of(s, u, api)) {
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

void run_create(CommandContext& ctx, const CreateOptions& o) {
  check_email(o.email);
  const std::string id = o.id.value_or(new_user_id());
  auto& db = *ctx.tenant(Access::kWrite).store;
  // Checked before the password is read and hashed, to fail fast and name the clash.
  if (auto existing = db.get_user(id)) {
    throw CommandError{"a user with id " + id + " already exists"};
  }
  if (auto existing = db.find_user_by_email(o.email)) {
    throw CommandError{"a user with email " + o.email + " already exists (" + existing->id + ")"};
  }
  const auto password =
      read_new_password(ctx, o.password_stdin, "users create --email " + shell_quote(o.email));
  store::User user;
  user.id = id;
  user.email = o.email;
  user.password_hash = hash_password(password);
  user.created_at = ctx.now();
  const auto created = value_or_throw(db.create_user(user), "create user " + id);
  if (!o.json) {
    ctx.out() << "created user " << created.id << "\n\n";
  }
  print_record(ctx.out(), o.json, created);
}

void run_list(CommandContext& ctx, const ListOptions& o) {
  auto& db = *ctx.tenant(Access::kRead).store;
  const auto at = ctx.now();
  std::vector<UserWithLockouts> users;
  for (auto& u : value_or_throw(db.list_users(), "list users")) {
    auto lockouts = lockouts_of(db, u, at);
    users.push_back(UserWithLockouts{std::move(u), std::move(lockouts)});
  }
  print_list(ctx.out(), o.json, users,
             "no users yet: create one with 'signet users create --email name@example.com "
             "--password-stdin'");
}

void run_show(CommandContext& ctx, const ShowOptions& o) {
  auto& db = *ctx.tenant(Access::kRead).store;
  auto user = require_user(db, o.user);
  auto permissions = permissions_of(db, user, std::nullopt);
  auto lockouts = lockouts_of(db, user, ctx.now());
  print_record(ctx.out(), o.json,
               UserProfile{std::move(user), std::move(lockouts), std::move(permissions)});
}

void run_update(CommandContext& ctx, const UpdateOptions& o) {
  check_email(o.email);
  auto& db = *ctx.tenant(Access::kWrite).store;
  auto user = require_user(db, o.user);
  if (auto other = db.find_user_by_email(o.email); other && other->id != user.id) {
    throw CommandError{"a user with email " + o.email + " already exists (" + other->id + ")"};
  }
  user.email = o.email;
  print_record(ctx.out(), o.json, value_or_throw(db.update_user(user), "update user " + user.id));
}

void run_delete(CommandContext& ctx, const DeleteOptions& o) {
  auto& db = *ctx.tenant(Access::kWrite).store;
  const auto user = require_user(db, o.user);
  confirm_deletion(ctx, o.yes,
                   "Delete user '" + user.id + "' (" + user.email +
                       ") and their permissions and refresh tokens?");
  value_or_throw(db.delete_user(user.id), "delete user " + user.id);
  if (o.json) {
    print_json(ctx.out(), json::object{{"id", user.id}, {"deleted", true}});
    return;
  }
  ctx.out() << "deleted user " << user.id << " (" << user.email
            << "), with their permissions and refresh tokens\n";
}

void run_block(CommandContext& ctx, const BlockOptions& o) {
  auto& db = *ctx.tenant(Access::kWrite).store;
  auto user = require_user(db, o.user);
  user.blocked = true;
  const auto updated = value_or_throw(db.update_user(user), "block user " + user.id);
  if (o.json) {
    print_json(ctx.out(), to_json(updated));
    return;
  }
  ctx.out() << "blocked user " << updated.id << ": the token endpoint refuses them until 'signet "
            << "users unblock " << shell_quote(updated.id) << "'\n";
}

void run_unblock(CommandContext& ctx, const UnblockOptions& o) {
  auto& db = *ctx.tenant(Access::kWrite).store;
  auto user = require_user(db, o.user);
  user.blocked = false;
  const auto updated = value_or_throw(db.update_user(user), "unblock user " + user.id);
  // The token endpoint counts a known user's failed logins under the user id, per address; an
  // unblock forgives them all, or the user would stay locked out by brute-force protection.
  const auto cleared =
      value_or_throw(db.reset_all_failed_logins(store::FailedLoginSubject::kUser, user.id),
                     "clear the failed logins of user " + user.id);
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
  auto& db = *ctx.tenant(Access::kWrite).store;
  auto user = require_user(db, o.user);
  const auto password =
      read_new_password(ctx, o.password_stdin, "users set-password " + shell_quote(user.id));
  user.password_hash = hash_password(password);
  const auto updated = value_or_throw(db.update_user(user), "set the password of " + user.id);
  // A reset often follows a compromise: whoever signed in with the old password must not keep a
  // session for the refresh token's 30 days. There is deliberately no flag to keep them.
  std::int64_t revoked = 0;
  try {
    revoked = end_sessions(db, updated);
  } catch (const CommandError& e) {
    throw CommandError{e.message +
                       " (the new password is set; end the sessions with 'signet users "
                       "revoke-sessions " +
                       shell_quote(updated.id) + "')"};
  }
  if (o.json) {
    auto out = to_json(updated);
    out["revoked_refresh_tokens"] = revoked;
    print_json(ctx.out(), out);
    return;
  }
  ctx.out() << "set a new password for user " << updated.id << " and ended their sessions: revoked "
            << revoked << " refresh token(s); " << kAccessTokensNote << "\n";
}

void run_revoke_sessions(CommandContext& ctx, const RevokeSessionsOptions& o) {
  auto& db = *ctx.tenant(Access::kWrite).store;
  const auto user = require_user(db, o.user);
  const auto revoked = end_sessions(db, user);
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
  auto& db = *ctx.tenant(Access::kWrite).store;
  const auto user = require_user(db, o.user);
  const auto api = require_api(db, o.audience);
  for (const auto& value : values) {
    if (std::none_of(api.permissions.begin(), api.permissions.end(),
                     [&](const auto& p) { return p.value == value; })) {
      throw CommandError{"permission " + value + " is not defined by API " + api.identifier +
                         " (define it with 'signet apis permissions add " +
                         shell_quote(api.identifier) + " " + shell_quote(value) + "')"};
    }
  }
  value_or_throw(db.add_user_permissions(user.id, api.identifier, values),
                 "add permissions to user " + user.id);
  print_permissions_on(ctx, o.json, db, user, api.identifier, "added");
}

void run_permissions_remove(CommandContext& ctx, const PermissionsRemoveOptions& o) {
  const auto values = split_list(o.permissions);
  auto& db = *ctx.tenant(Access::kWrite).store;
  const auto user = require_user(db, o.user);
  const auto api = require_api(db, o.audience);
  value_or_throw(db.remove_user_permissions(user.id, api.identifier, values),
                 "remove permissions from user " + user.id);
  print_permissions_on(ctx, o.json, db, user, api.identifier, "removed");
}

void run_permissions_list(CommandContext& ctx, const PermissionsListOptions& o) {
  auto& db = *ctx.tenant(Access::kRead).store;
  const auto user = require_user(db, o.user);
  std::optional<std::string_view> api;
  if (o.audience) {
    require_api(db, *o.audience);
    api = *o.audience;
  }
  print_list(ctx.out(), o.json, permissions_of(db, user, api),
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
                             "The user's id (the 'sub' of their tokens); default: signet| and 24 "
                             "random hex digits");
  add_password_stdin_flag(create.command, create.options.password_stdin);
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
