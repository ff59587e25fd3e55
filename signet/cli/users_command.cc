#include "signet/cli/users_command.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/cli/tenant.h"
#include "signet/cli/terminal_input.h"
#include "signet/jose/crypto.h"
#include "signet/server/password.h"
#include "signet/store/types.h"

namespace signet::cli {
namespace {

namespace json = boost::json;

constexpr std::string_view kUserIdPrefix = "signet|";
constexpr std::size_t kUserIdRandomBytes = 12;  // 24 hex digits, as Auth0's ids have

struct UsersOptions {
  std::string data_dir{kDefaultDataDir};
  bool json = false;
  bool yes = false;  // delete --yes
  std::string user;  // the positional ID: a user id or an email
  // create
  std::string email;
  std::optional<std::string> id;
  bool password_stdin = false;
  // permissions add|remove|list
  std::string audience;
  std::optional<std::string> audience_filter;
  std::vector<std::string> permissions;
};

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

// The new password, from stdin (prompted for twice, without echo, on a terminal) and checked
// against the password rules. `command` is what to show in the hint, e.g. "users create ...".
std::string read_new_password(bool password_stdin, const std::string& command) {
  const std::string hint = "printf '%s\\n' \"$PASSWORD\" | signet " + command + " --password-stdin";
  if (!password_stdin) {
    throw CommandError{
        "a password is needed and is only read from stdin: add --password-stdin ("
        "e.g. " +
        hint + ")"};
  }
  std::optional<std::string> password;
  if (stdin_is_terminal()) {
    std::optional<std::string> again;
    {
      const EchoOff quiet;  // before the prompt, so nothing typed after it is echoed
      std::cerr << "Password: " << std::flush;
      password = read_line(server::kMaxPasswordLength + 1);
    }
    {
      const EchoOff quiet;
      std::cerr << "Repeat the password: " << std::flush;
      again = read_line(server::kMaxPasswordLength + 1);
    }
    if (password != again) {
      throw CommandError{"the two passwords differ; nothing was changed"};
    }
  } else {
    password = read_line(server::kMaxPasswordLength + 1);
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

// Never the password hash: it would let anyone who sees it guess passwords offline.
json::object user_json(const store::User& u) {
  return json::object{
      {"id", u.id},
      {"email", u.email},
      {"blocked", u.blocked},
      {"created_at", format_time(u.created_at)},
  };
}

std::vector<std::vector<std::string>> user_rows(const store::User& u) {
  return {
      {"id", u.id},
      {"email", u.email},
      {"blocked", u.blocked ? "true" : "false"},
      {"created", format_time(u.created_at)},
  };
}

// The user's permissions grouped by API, APIs in the order the store lists them.
std::vector<std::pair<std::string, std::vector<std::string>>> by_api(
    const std::vector<store::UserPermission>& permissions) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& p : permissions) {
    if (out.empty() || out.back().first != p.api) {
      out.emplace_back(p.api, std::vector<std::string>{});
    }
    out.back().second.push_back(p.permission);
  }
  return out;
}

json::array string_array(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) {
    out.emplace_back(v);
  }
  return out;
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

json::array lockouts_json(const std::vector<store::AddressFailedLogins>& lockouts) {
  json::array out;
  for (const auto& l : lockouts) {
    out.push_back(json::object{{"address", l.address},
                               {"failed_logins", l.counter.count},
                               {"until", format_time(*l.counter.blocked_until)}});
  }
  return out;
}

// user_json() with whether brute-force protection locks the user out, and from where.
json::object user_json(const store::User& u,
                       const std::vector<store::AddressFailedLogins>& lockouts) {
  auto out = user_json(u);
  out["locked_out"] = !lockouts.empty();
  out["lockouts"] = lockouts_json(lockouts);
  return out;
}

// "-", or "yes (2 addresses, until 2026-11-28T23:37:16Z)" with the last block's end.
std::string lockout_cell(const std::vector<store::AddressFailedLogins>& lockouts) {
  if (lockouts.empty()) {
    return "-";
  }
  store::Timestamp until{};
  for (const auto& l : lockouts) {
    until = std::max(until, *l.counter.blocked_until);
  }
  return "yes (" + std::to_string(lockouts.size()) +
         (lockouts.size() == 1 ? " address" : " addresses") + ", until " + format_time(until) + ")";
}

std::vector<store::UserPermission> permissions_of(store::Store& s, const store::User& u,
                                                  std::optional<std::string_view> api) {
  return value_or_throw(s.list_user_permissions(u.id, api), "list the permissions of user " + u.id);
}

void print_user(const UsersOptions& o, const store::User& u) {
  if (o.json) {
    print_json(user_json(u));
  } else {
    print_table(user_rows(u));
  }
}

void run_create(const UsersOptions& o) {
  check_email(o.email);
  const std::string id = o.id.value_or(new_user_id());
  auto t = open_tenant(o.data_dir);
  // Checked before the password is read and hashed, to fail fast and name the clash.
  if (auto existing = t.store->get_user(id)) {
    throw CommandError{"a user with id " + id + " already exists"};
  }
  if (auto existing = t.store->find_user_by_email(o.email)) {
    throw CommandError{"a user with email " + o.email + " already exists (" + existing->id + ")"};
  }
  const auto password =
      read_new_password(o.password_stdin, "users create --email " + shell_quote(o.email));
  store::User user;
  user.id = id;
  user.email = o.email;
  user.password_hash = hash_password(password);
  user.created_at = now();
  const auto created = value_or_throw(t.store->create_user(user), "create user " + id);
  if (!o.json) {
    std::cout << "created user " << created.id << "\n\n";
  }
  print_user(o, created);
}

void run_list(const UsersOptions& o) {
  auto t = open_existing_tenant(o.data_dir);
  const auto users = value_or_throw(t.store->list_users(), "list users");
  const auto at = now();
  std::vector<std::vector<store::AddressFailedLogins>> lockouts;
  for (const auto& u : users) {
    lockouts.push_back(lockouts_of(*t.store, u, at));
  }
  if (o.json) {
    json::array out;
    for (std::size_t i = 0; i < users.size(); ++i) {
      out.push_back(user_json(users[i], lockouts[i]));
    }
    print_json(out);
    return;
  }
  if (users.empty()) {
    std::cout << "no users yet: create one with 'signet users create --email name@example.com "
                 "--password-stdin'\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "EMAIL", "BLOCKED", "LOCKED_OUT", "CREATED"}};
  for (std::size_t i = 0; i < users.size(); ++i) {
    const auto& u = users[i];
    rows.push_back({u.id, u.email, u.blocked ? "true" : "false", lockout_cell(lockouts[i]),
                    format_time(u.created_at)});
  }
  print_table(rows);
}

void run_show(const UsersOptions& o) {
  auto t = open_existing_tenant(o.data_dir);
  const auto user = require_user(*t.store, o.user);
  const auto grouped = by_api(permissions_of(*t.store, user, std::nullopt));
  const auto lockouts = lockouts_of(*t.store, user, now());
  if (o.json) {
    json::object permissions;
    for (const auto& [api, values] : grouped) {
      permissions[api] = string_array(values);
    }
    auto out = user_json(user, lockouts);
    out["permissions"] = std::move(permissions);
    print_json(out);
    return;
  }
  auto rows = user_rows(user);
  rows.insert(rows.begin() + 3, {"locked out", lockout_cell(lockouts)});
  print_table(rows);
  std::cout << "\n";
  if (grouped.empty()) {
    std::cout << "no permissions: give some with 'signet users permissions add "
              << shell_quote(user.id) << " --audience API SCOPE...'\n";
  } else {
    std::vector<std::vector<std::string>> permission_rows{{"API", "PERMISSIONS"}};
    for (const auto& [api, values] : grouped) {
      permission_rows.push_back({api, join_or_dash(values, " ")});
    }
    print_table(permission_rows);
  }
  if (lockouts.empty()) {
    return;
  }
  std::cout << "\nlocked out by brute-force protection (wrong passwords) from:\n";
  std::vector<std::vector<std::string>> lockout_rows{{"ADDRESS", "FAILED_LOGINS", "UNTIL"}};
  for (const auto& l : lockouts) {
    // The account-wide counter slows every address the user has not signed in from.
    lockout_rows.push_back(
        {l.address == store::kAnyAddress ? "any new address (slowed down)" : l.address,
         std::to_string(l.counter.count), format_time(*l.counter.blocked_until)});
  }
  print_table(lockout_rows);
  std::cout << "lift it now with 'signet users unblock " << shell_quote(user.email) << "'\n";
}

void run_update(const UsersOptions& o) {
  check_email(o.email);
  auto t = open_tenant(o.data_dir);
  auto user = require_user(*t.store, o.user);
  if (auto other = t.store->find_user_by_email(o.email); other && other->id != user.id) {
    throw CommandError{"a user with email " + o.email + " already exists (" + other->id + ")"};
  }
  user.email = o.email;
  print_user(o, value_or_throw(t.store->update_user(user), "update user " + user.id));
}

void run_delete(const UsersOptions& o) {
  auto t = open_tenant(o.data_dir);
  const auto user = require_user(*t.store, o.user);
  confirm_deletion(o.yes, "Delete user '" + user.id + "' (" + user.email +
                              ") and their permissions and refresh tokens?");
  value_or_throw(t.store->delete_user(user.id), "delete user " + user.id);
  if (o.json) {
    print_json(json::object{{"id", user.id}, {"deleted", true}});
    return;
  }
  std::cout << "deleted user " << user.id << " (" << user.email
            << "), with their permissions and refresh tokens\n";
}

void run_block(const UsersOptions& o) {
  auto t = open_tenant(o.data_dir);
  auto user = require_user(*t.store, o.user);
  user.blocked = true;
  const auto updated = value_or_throw(t.store->update_user(user), "block user " + user.id);
  if (o.json) {
    print_json(user_json(updated));
    return;
  }
  std::cout << "blocked user " << updated.id << ": the token endpoint refuses them until 'signet "
            << "users unblock " << shell_quote(updated.id) << "'\n";
}

void run_unblock(const UsersOptions& o) {
  auto t = open_tenant(o.data_dir);
  auto user = require_user(*t.store, o.user);
  user.blocked = false;
  const auto updated = value_or_throw(t.store->update_user(user), "unblock user " + user.id);
  // The token endpoint counts a known user's failed logins under the user id, per address; an
  // unblock forgives them all, or the user would stay locked out by brute-force protection.
  const auto cleared =
      value_or_throw(t.store->reset_all_failed_logins(store::FailedLoginSubject::kUser, user.id),
                     "clear the failed logins of user " + user.id);
  if (o.json) {
    auto out = user_json(updated);
    out["cleared_failed_login_counters"] = cleared;
    print_json(out);
    return;
  }
  std::cout << "unblocked user " << updated.id << " and cleared " << cleared
            << " failed-login counter(s)\n";
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

void run_set_password(const UsersOptions& o) {
  auto t = open_tenant(o.data_dir);
  auto user = require_user(*t.store, o.user);
  const auto password =
      read_new_password(o.password_stdin, "users set-password " + shell_quote(user.id));
  user.password_hash = hash_password(password);
  const auto updated = value_or_throw(t.store->update_user(user), "set the password of " + user.id);
  // A reset often follows a compromise: whoever signed in with the old password must not keep a
  // session for the refresh token's 30 days. There is deliberately no flag to keep them.
  std::int64_t revoked = 0;
  try {
    revoked = end_sessions(*t.store, updated);
  } catch (const CommandError& e) {
    throw CommandError{e.message +
                       " (the new password is set; end the sessions with 'signet users "
                       "revoke-sessions " +
                       shell_quote(updated.id) + "')"};
  }
  if (o.json) {
    auto out = user_json(updated);
    out["revoked_refresh_tokens"] = revoked;
    print_json(out);
    return;
  }
  std::cout << "set a new password for user " << updated.id << " and ended their sessions: revoked "
            << revoked << " refresh token(s); " << kAccessTokensNote << "\n";
}

void run_revoke_sessions(const UsersOptions& o) {
  auto t = open_tenant(o.data_dir);
  const auto user = require_user(*t.store, o.user);
  const auto revoked = end_sessions(*t.store, user);
  if (o.json) {
    print_json(
        json::object{{"id", user.id}, {"email", user.email}, {"revoked_refresh_tokens", revoked}});
    return;
  }
  std::cout << "revoked " << revoked << " refresh token(s) of user " << user.id << " ("
            << user.email << "): every app signed in as them must sign in again; "
            << kAccessTokensNote << "\n";
}

// The permissions a user has on one API, after a change.
void print_permissions_on(const UsersOptions& o, store::Store& s, const store::User& u,
                          const std::string& api, std::string_view verb) {
  std::vector<std::string> values;
  for (const auto& p : permissions_of(s, u, api)) {
    values.push_back(p.permission);
  }
  if (o.json) {
    print_json(
        json::object{{"user_id", u.id}, {"api", api}, {"permissions", string_array(values)}});
    return;
  }
  std::cout << verb << "; user " << u.id << " now has on API " << api << ": "
            << join_or_dash(values, " ") << "\n";
}

void run_permissions_add(const UsersOptions& o) {
  const auto values = split_list(o.permissions);
  auto t = open_tenant(o.data_dir);
  const auto user = require_user(*t.store, o.user);
  const auto api = require_api(*t.store, o.audience);
  for (const auto& value : values) {
    if (std::none_of(api.permissions.begin(), api.permissions.end(),
                     [&](const auto& p) { return p.value == value; })) {
      throw CommandError{"permission " + value + " is not defined by API " + api.identifier +
                         " (define it with 'signet apis permissions add " +
                         shell_quote(api.identifier) + " " + shell_quote(value) + "')"};
    }
  }
  value_or_throw(t.store->add_user_permissions(user.id, api.identifier, values),
                 "add permissions to user " + user.id);
  print_permissions_on(o, *t.store, user, api.identifier, "added");
}

void run_permissions_remove(const UsersOptions& o) {
  const auto values = split_list(o.permissions);
  auto t = open_tenant(o.data_dir);
  const auto user = require_user(*t.store, o.user);
  const auto api = require_api(*t.store, o.audience);
  value_or_throw(t.store->remove_user_permissions(user.id, api.identifier, values),
                 "remove permissions from user " + user.id);
  print_permissions_on(o, *t.store, user, api.identifier, "removed");
}

void run_permissions_list(const UsersOptions& o) {
  auto t = open_existing_tenant(o.data_dir);
  const auto user = require_user(*t.store, o.user);
  std::optional<std::string_view> api;
  if (o.audience_filter) {
    require_api(*t.store, *o.audience_filter);
    api = *o.audience_filter;
  }
  const auto permissions = permissions_of(*t.store, user, api);
  if (o.json) {
    json::array out;
    for (const auto& p : permissions) {
      out.push_back(json::object{{"api", p.api}, {"permission", p.permission}});
    }
    print_json(out);
    return;
  }
  if (permissions.empty()) {
    std::cout << "user " << user.id << " has no permissions"
              << (api ? " on API " + std::string(*api) : std::string()) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"API", "PERMISSION"}};
  for (const auto& p : permissions) {
    rows.push_back({p.api, p.permission});
  }
  print_table(rows);
}

void add_common_options(CLI::App* cmd, UsersOptions& o) {
  add_data_dir_option(cmd, o.data_dir);
  add_json_flag(cmd, o.json);
}

void add_user_argument(CLI::App* cmd, UsersOptions& o) {
  cmd->add_option("ID", o.user, "The user's id or email (see 'signet users list')")->required();
}

void add_password_stdin_flag(CLI::App* cmd, UsersOptions& o) {
  cmd->add_flag("--password-stdin", o.password_stdin,
                "Read the password from the first line of stdin (prompted for, without echo, "
                "when stdin is a terminal); at least 8 characters");
}

template <typename F>
void on_run(CLI::App* cmd, const std::shared_ptr<UsersOptions>& o, int& exit_code, F body) {
  cmd->callback([o, &exit_code, body] { run_command([&] { body(*o); }, exit_code); });
}

}  // namespace

void add_users_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<UsersOptions>();
  CLI::App* users = app.add_subcommand(
      "users",
      "Manage users: the people who get tokens with the password grant (their email and\n"
      "password), and their permissions on APIs. Users are named by id or by email. Passwords\n"
      "are read from stdin, never from the command line, and stored as argon2id hashes.");
  users->require_subcommand(1);

  CLI::App* create = users->add_subcommand(
      "create",
      "Create a user with an email and a password read from stdin. Prints the user.\n"
      "The password is hashed with argon2id, OWASP's parameters unless SIGNET_ARGON2_MEMORY_KIB,\n"
      "SIGNET_ARGON2_ITERATIONS or SIGNET_ARGON2_PARALLELISM say otherwise (as for signet serve).");
  add_common_options(create, *o);
  create->add_option("--email", o->email, "The user's email, which is also their username")
      ->required();
  create->add_option("--id", o->id,
                     "The user's id (the 'sub' of their tokens); default: signet| and 24 random "
                     "hex digits");
  add_password_stdin_flag(create, *o);
  create->footer(
      "Example: printf '%s\\n' \"$PASSWORD\" | signet users create --email ada@example.com "
      "--password-stdin");
  on_run(create, o, exit_code, run_create);

  CLI::App* list = users->add_subcommand("list", "List every user. Never prints password hashes.");
  add_common_options(list, *o);
  on_run(list, o, exit_code, run_list);

  CLI::App* show = users->add_subcommand(
      "show", "Show one user and their permissions on each API. Never prints the password hash.");
  add_common_options(show, *o);
  add_user_argument(show, *o);
  on_run(show, o, exit_code, run_show);

  CLI::App* update = users->add_subcommand("update", "Change a user's email.");
  add_common_options(update, *o);
  add_user_argument(update, *o);
  update->add_option("--email", o->email, "The new email")->required();
  on_run(update, o, exit_code, run_update);

  CLI::App* del =
      users->add_subcommand("delete", "Delete a user, with their permissions and refresh tokens.");
  add_common_options(del, *o);
  add_user_argument(del, *o);
  add_yes_flag(del, o->yes);
  on_run(del, o, exit_code, run_delete);

  CLI::App* block = users->add_subcommand(
      "block", "Block a user: the token endpoint refuses them until they are unblocked.");
  add_common_options(block, *o);
  add_user_argument(block, *o);
  on_run(block, o, exit_code, run_block);

  CLI::App* unblock = users->add_subcommand(
      "unblock",
      "Unblock a user: clears the blocked flag and the failed-login counters that brute-force\n"
      "protection keeps for them, from every address.");
  add_common_options(unblock, *o);
  add_user_argument(unblock, *o);
  on_run(unblock, o, exit_code, run_unblock);

  CLI::App* set_password =
      users->add_subcommand("set-password",
                            "Replace a user's password with one read from stdin, and end their\n"
                            "sessions: their refresh tokens are revoked.");
  add_common_options(set_password, *o);
  add_user_argument(set_password, *o);
  add_password_stdin_flag(set_password, *o);
  on_run(set_password, o, exit_code, run_set_password);

  CLI::App* revoke_sessions = users->add_subcommand(
      "revoke-sessions",
      "End a user's sessions: revoke all their refresh tokens, so every app signed in as them\n"
      "must sign in again (set-password does this too). Prints how many were revoked.");
  add_common_options(revoke_sessions, *o);
  add_user_argument(revoke_sessions, *o);
  on_run(revoke_sessions, o, exit_code, run_revoke_sessions);

  CLI::App* permissions = users->add_subcommand(
      "permissions",
      "Give, take or list a user's permissions on APIs (what their tokens may carry).");
  permissions->require_subcommand(1);

  CLI::App* padd = permissions->add_subcommand(
      "add", "Give a user permissions of an API. Ones the user already has are kept as they are.");
  add_common_options(padd, *o);
  add_user_argument(padd, *o);
  padd->add_option("--audience", o->audience, "The API's identifier (see 'signet apis list')")
      ->required();
  padd->add_option("SCOPE", o->permissions,
                   "Permissions of the API to give, separated by spaces or commas, e.g. "
                   "read:messages")
      ->required();
  on_run(padd, o, exit_code, run_permissions_add);

  CLI::App* premove = permissions->add_subcommand(
      "remove", "Take permissions of an API from a user. Ones the user lacks are ignored.");
  add_common_options(premove, *o);
  add_user_argument(premove, *o);
  premove->add_option("--audience", o->audience, "The API's identifier (see 'signet apis list')")
      ->required();
  premove
      ->add_option("SCOPE", o->permissions,
                   "Permissions to take away, separated by spaces or commas")
      ->required();
  on_run(premove, o, exit_code, run_permissions_remove);

  CLI::App* plist =
      permissions->add_subcommand("list", "List a user's permissions, on every API or on one.");
  add_common_options(plist, *o);
  add_user_argument(plist, *o);
  plist->add_option("--audience", o->audience_filter, "Only the permissions on this API");
  on_run(plist, o, exit_code, run_permissions_list);
}

}  // namespace signet::cli
