#include "signet/store/sql_store.h"

#include <optional>
#include <string>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::detail::claim_revision;
using sql::detail::delete_one;
using sql::detail::exists;
using sql::detail::invalid;
using sql::detail::next_revision;
using sql::detail::not_found;
using sql::detail::read;
using sql::detail::read_one;
using sql::detail::read_page;
using sql::detail::read_rows;
using sql::detail::run_unique;
using sql::detail::single;
using sql::detail::timestamp;
using sql::detail::unix_seconds;
using sql::detail::write;

// The columns a query reading a whole user selects, in read_user's order.
#define SIGNET_USER_COLUMNS "id, email, password_hash, blocked, created_at, revision"

namespace {

// A LIKE pattern matching text that contains `search`, where '%', '_' and '\' stand for
// themselves (with ESCAPE '\').
std::string contains_pattern(std::string_view search) {
  std::string out = "%";
  for (const char c : search) {
    if (c == '%' || c == '_' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '%';
  return out;
}

User read_user(const Statement& s) {
  User u;
  u.id = s.column_text(0);
  u.email = s.column_text(1);
  u.password_hash = s.column_text(2);
  u.blocked = s.column_integer(3) != 0;
  u.created_at = timestamp(s.column_integer(4));
  u.revision = static_cast<Revision>(s.column_integer(5));
  return u;
}

StoreResult<User> load_user(Connection& db, std::string_view sql, std::string_view key,
                            std::string_view what) {
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(sql));
  stmt.text(1, key);
  return read_one<User>(stmt, read_user,
                        "no user with " + std::string{what} + " '" + std::string{key} + "'");
}

StoreResult<User> load_user_by_id(Connection& db, std::string_view id) {
  return load_user(db, "SELECT " SIGNET_USER_COLUMNS " FROM users WHERE id = ?1", id, "id");
}

// Emails compare with ASCII letters in either case (types.h User): SQLite's column is COLLATE
// NOCASE; on PostgreSQL both sides go through the schema's signet_ascii_lower (A-Z to a-z).
StoreResult<User> load_user_by_email(Connection& db, std::string_view email) {
  return load_user(db,
                   db.pick("SELECT " SIGNET_USER_COLUMNS " FROM users WHERE email = ?1",
                           "SELECT " SIGNET_USER_COLUMNS " FROM users "
                           "WHERE signet_ascii_lower(email) = signet_ascii_lower(?1)"),
                   email, "email");
}

StoreResult<Ok> validate_user_permissions(std::string_view user_id, std::string_view api,
                                          const std::vector<std::string>& permissions) {
  SIGNET_STORE_TRY(validate_key("user id", user_id));
  SIGNET_STORE_TRY(validate_key("API identifier", api));
  return validate_scopes(permissions);
}

// Checks that the user and the API exist and, when `must_be_defined`, that every permission is
// one of the API's.
StoreResult<Ok> check_user_permissions(Connection& db, std::string_view user_id,
                                       std::string_view api,
                                       const std::vector<std::string>& permissions,
                                       bool must_be_defined) {
  SIGNET_STORE_TRY_ASSIGN(user, exists(db, "SELECT 1 FROM users WHERE id = ?1", user_id));
  if (!user) {
    return not_found("no user with id '" + std::string{user_id} + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(api_exists, exists(db, "SELECT 1 FROM apis WHERE identifier = ?1", api));
  if (!api_exists) {
    return not_found("no API with identifier '" + std::string{api} + "'");
  }
  if (!must_be_defined) {
    return Ok{};
  }
  for (const auto& p : permissions) {
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT 1 FROM api_permissions WHERE api = ?1 AND value = ?2"));
    stmt.text(1, api).text(2, p);
    SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
    if (!row) {
      return invalid("permission '" + p + "' is not defined by API '" + std::string{api} + "'");
    }
  }
  return Ok{};
}

// Runs `sql` (?1 the user, ?2 the API, ?3 the permission) once for each permission.
StoreResult<Ok> run_per_permission(Connection& db, std::string_view sql, std::string_view user_id,
                                   std::string_view api,
                                   const std::vector<std::string>& permissions) {
  for (const auto& p : permissions) {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(sql));
    stmt.text(1, user_id).text(2, api).text(3, p);
    SIGNET_STORE_TRY(stmt.run());
  }
  return Ok{};
}

// ?1..?4 and the revision as ?5; create adds created_at as ?6.
Statement& bind_user(Statement& stmt, const User& user, Revision revision) {
  return stmt.integer(5, static_cast<std::int64_t>(revision))
      .text(1, user.id)
      .text(2, user.email)
      .text(3, user.password_hash)
      .integer(4, user.blocked ? 1 : 0);
}

}  // namespace

// --- users

StoreResult<User> SqlStore::create_user(const User& user) {
  SIGNET_STORE_TRY(validate_user(user));
  return write(*db_, [&](Connection& db) -> StoreResult<User> {
    SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db));
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("INSERT INTO users (id, email, password_hash, blocked, revision, "
                         "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    bind_user(stmt, user, revision).integer(6, unix_seconds(user.created_at));
    SIGNET_STORE_TRY(run_unique(
        stmt, "a user with id '" + user.id + "' or email '" + user.email + "' already exists"));
    return load_user_by_id(db, user.id);
  });
}

StoreResult<User> SqlStore::get_user(std::string_view id) {
  return single(*db_, [&](Connection& db) { return load_user_by_id(db, id); });
}

StoreResult<User> SqlStore::find_user_by_email(std::string_view email) {
  return single(*db_, [&](Connection& db) { return load_user_by_email(db, email); });
}

StoreResult<std::vector<User>> SqlStore::list_users() {
  return read(*db_, [&](Connection& db) -> StoreResult<std::vector<User>> {
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT " SIGNET_USER_COLUMNS " FROM users ORDER BY created_at, id"));
    return read_rows<User>(stmt, read_user);
  });
}

StoreResult<Page<User>> SqlStore::page_users(const PageRequest& page,
                                             std::optional<std::string_view> search) {
  SIGNET_STORE_TRY(validate_page(page));
  if (search) {
    SIGNET_STORE_TRY(validate_search(*search));
  }
  const std::optional<std::string> pattern =
      search ? std::optional<std::string>{contains_pattern(*search)} : std::nullopt;
  return read(*db_, [&](Connection& db) {
    // The search ignores the case of ASCII letters: SQLite's LIKE does (case_sensitive_like is
    // never set), PostgreSQL's does not, so there both sides are lowered.
    return read_page<User>(
        db, page,
        db.pick("SELECT " SIGNET_USER_COLUMNS
                " FROM users WHERE ?3 IS NULL OR email LIKE ?3 ESCAPE '\\' "
                "OR id LIKE ?3 ESCAPE '\\' ORDER BY rowid LIMIT ?1 OFFSET ?2",
                "SELECT " SIGNET_USER_COLUMNS " FROM users WHERE ?3 IS NULL "
                "OR signet_ascii_lower(email) LIKE signet_ascii_lower(?3) ESCAPE '\\' "
                "OR signet_ascii_lower(id) LIKE signet_ascii_lower(?3) ESCAPE '\\' "
                "ORDER BY rowid LIMIT ?1 OFFSET ?2"),
        db.pick("SELECT count(*) FROM users "
                "WHERE ?3 IS NULL OR email LIKE ?3 ESCAPE '\\' OR id LIKE ?3 ESCAPE '\\'",
                "SELECT count(*) FROM users WHERE ?3 IS NULL "
                "OR signet_ascii_lower(email) LIKE signet_ascii_lower(?3) ESCAPE '\\' "
                "OR signet_ascii_lower(id) LIKE signet_ascii_lower(?3) ESCAPE '\\'"),
        [&](Statement& stmt) {
          if (pattern) {
            stmt.text(3, *pattern);
          }
        },
        read_user);
  });
}

StoreResult<User> SqlStore::update_user(const User& user, std::optional<Revision> if_revision) {
  SIGNET_STORE_TRY(validate_user(user));
  return write(*db_, [&](Connection& db) -> StoreResult<User> {
    SIGNET_STORE_TRY_ASSIGN(
        revision,
        claim_revision(db, "SELECT revision FROM users WHERE id = ?1", user.id,
                       "user '" + user.id + "'", "no user with id '" + user.id + "'", if_revision));
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("UPDATE users SET email = ?2, password_hash = ?3, blocked = ?4, "
                         "revision = ?5 WHERE id = ?1"));
    bind_user(stmt, user, revision);
    SIGNET_STORE_TRY(run_unique(stmt, "a user with email '" + user.email + "' already exists"));
    return load_user_by_id(db, user.id);
  });
}

StoreResult<Ok> SqlStore::delete_user(std::string_view id) {
  return write(*db_, [&](Connection& db) {
    return delete_one(
        db, "DELETE FROM users WHERE id = ?1", [&](Statement& stmt) { stmt.text(1, id); },
        "no user with id '" + std::string{id} + "'");
  });
}

StoreResult<Ok> SqlStore::add_user_permissions(std::string_view user_id, std::string_view api,
                                               const std::vector<std::string>& permissions) {
  SIGNET_STORE_TRY(validate_user_permissions(user_id, api, permissions));
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    SIGNET_STORE_TRY(check_user_permissions(db, user_id, api, permissions, true));
    return run_per_permission(db,
                              "INSERT INTO user_permissions (user_id, api, permission) "
                              "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                              user_id, api, permissions);
  });
}

StoreResult<Ok> SqlStore::remove_user_permissions(std::string_view user_id, std::string_view api,
                                                  const std::vector<std::string>& permissions) {
  SIGNET_STORE_TRY(validate_user_permissions(user_id, api, permissions));
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    SIGNET_STORE_TRY(check_user_permissions(db, user_id, api, permissions, false));
    return run_per_permission(
        db, "DELETE FROM user_permissions WHERE user_id = ?1 AND api = ?2 AND permission = ?3",
        user_id, api, permissions);
  });
}

StoreResult<std::vector<UserPermission>> SqlStore::list_user_permissions(
    std::string_view user_id, std::optional<std::string_view> api) {
  return read(*db_, [&](Connection& db) -> StoreResult<std::vector<UserPermission>> {
    SIGNET_STORE_TRY_ASSIGN(user, exists(db, "SELECT 1 FROM users WHERE id = ?1", user_id));
    if (!user) {
      return not_found("no user with id '" + std::string{user_id} + "'");
    }
    // Ordered as the API defines its permissions, so listings read like the API's own.
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT up.api, up.permission FROM user_permissions up "
                         "JOIN api_permissions ap ON ap.api = up.api AND ap.value = up.permission "
                         "WHERE up.user_id = ?1 AND (?2 IS NULL OR up.api = ?2) "
                         "ORDER BY up.api, ap.position"));
    stmt.text(1, user_id);
    if (api) {
      stmt.text(2, *api);
    }
    return read_rows<UserPermission>(stmt, [&](const Statement& row) {
      return UserPermission{std::string{user_id}, row.column_text(0), row.column_text(1)};
    });
  });
}

}  // namespace signet::store
