#include "signet/store/sql_store.h"

#include <optional>
#include <string>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::Transaction;
using sql::TransactionMode;
using sql::detail::claim_revision;
using sql::detail::conflict;
using sql::detail::delete_one;
using sql::detail::exists;
using sql::detail::invalid;
using sql::detail::next_revision;
using sql::detail::not_found;
using sql::detail::read_page;
using sql::detail::timestamp;
using sql::detail::unix_seconds;

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
  auto stmt = db.prepare(sql);
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, key);
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  if (!*row) {
    return not_found("no user with " + std::string{what} + " '" + std::string{key} + "'");
  }
  return read_user(*stmt);
}

constexpr std::string_view kUserById = "SELECT " SIGNET_USER_COLUMNS " FROM users WHERE id = ?1";
constexpr std::string_view kUserByEmail =
    "SELECT " SIGNET_USER_COLUMNS " FROM users WHERE email = ?1";

// Checks that the user and the API exist and that every permission is one of the API's.
StoreResult<Ok> check_user_permissions(Connection& db, std::string_view user_id,
                                       std::string_view api,
                                       const std::vector<std::string>& permissions,
                                       bool must_be_defined) {
  if (auto r = validate_key("user id", user_id); !r) {
    return r;
  }
  if (auto r = validate_key("API identifier", api); !r) {
    return r;
  }
  if (auto r = validate_scopes(permissions); !r) {
    return r;
  }
  auto user = exists(db, "SELECT 1 FROM users WHERE id = ?1", user_id);
  if (!user) {
    return fail(user.error());
  }
  if (!*user) {
    return not_found("no user with id '" + std::string{user_id} + "'");
  }
  auto api_exists = exists(db, "SELECT 1 FROM apis WHERE identifier = ?1", api);
  if (!api_exists) {
    return fail(api_exists.error());
  }
  if (!*api_exists) {
    return not_found("no API with identifier '" + std::string{api} + "'");
  }
  if (!must_be_defined) {
    return Ok{};
  }
  for (const auto& p : permissions) {
    auto stmt = db.prepare("SELECT 1 FROM api_permissions WHERE api = ?1 AND value = ?2");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, api).text(2, p);
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return invalid("permission '" + p + "' is not defined by API '" + std::string{api} + "'");
    }
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
  if (auto r = validate_user(user); !r) {
    return fail(r.error());
  }
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db));
  auto stmt = db.prepare(
      "INSERT INTO users (id, email, password_hash, blocked, revision, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!stmt) {
    return fail(stmt.error());
  }
  bind_user(*stmt, user, revision).integer(6, unix_seconds(user.created_at));
  if (auto r = stmt->run(); !r) {
    if (r.error().code == StoreErrorCode::kConflict) {
      return conflict("a user with id '" + user.id + "' or email '" + user.email +
                      "' already exists");
    }
    return fail(r.error());
  }
  auto stored = load_user(db, kUserById, user.id, "id");
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<User> SqlStore::get_user(std::string_view id) {
  SIGNET_STORE_LEASE(db);
  return load_user(db, kUserById, id, "id");
}

StoreResult<User> SqlStore::find_user_by_email(std::string_view email) {
  SIGNET_STORE_LEASE(db);
  return load_user(db, kUserByEmail, email, "email");
}

StoreResult<std::vector<User>> SqlStore::list_users() {
  SIGNET_STORE_LEASE(db);
  auto stmt = db.prepare("SELECT " SIGNET_USER_COLUMNS " FROM users ORDER BY created_at, id");
  if (!stmt) {
    return fail(stmt.error());
  }
  std::vector<User> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return out;
    }
    out.push_back(read_user(*stmt));
  }
}

StoreResult<Page<User>> SqlStore::page_users(const PageRequest& page,
                                             std::optional<std::string_view> search) {
  SIGNET_STORE_TRY(validate_page(page));
  if (search) {
    SIGNET_STORE_TRY(validate_search(*search));
  }
  const std::optional<std::string> pattern =
      search ? std::optional<std::string>{contains_pattern(*search)} : std::nullopt;
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db, TransactionMode::kRead));
  // LIKE compares ASCII letters case-insensitively (case_sensitive_like is never set).
  return read_page<User>(
      db, page,
      "SELECT " SIGNET_USER_COLUMNS
      " FROM users WHERE ?3 IS NULL OR email LIKE ?3 ESCAPE '\\' OR id LIKE ?3 ESCAPE '\\' "
      "ORDER BY rowid LIMIT ?1 OFFSET ?2",
      "SELECT count(*) FROM users "
      "WHERE ?3 IS NULL OR email LIKE ?3 ESCAPE '\\' OR id LIKE ?3 ESCAPE '\\'",
      [&](Statement& stmt) {
        if (pattern) {
          stmt.text(3, *pattern);
        }
      },
      read_user);
}

StoreResult<User> SqlStore::update_user(const User& user, std::optional<Revision> if_revision) {
  if (auto r = validate_user(user); !r) {
    return fail(r.error());
  }
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  SIGNET_STORE_TRY_ASSIGN(
      revision,
      claim_revision(db, "SELECT revision FROM users WHERE id = ?1", user.id,
                     "user '" + user.id + "'", "no user with id '" + user.id + "'", if_revision));
  auto stmt = db.prepare(
      "UPDATE users SET email = ?2, password_hash = ?3, blocked = ?4, revision = ?5 "
      "WHERE id = ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  bind_user(*stmt, user, revision);
  if (auto r = stmt->run(); !r) {
    if (r.error().code == StoreErrorCode::kConflict) {
      return conflict("a user with email '" + user.email + "' already exists");
    }
    return fail(r.error());
  }
  auto stored = load_user(db, kUserById, user.id, "id");
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<Ok> SqlStore::delete_user(std::string_view id) {
  SIGNET_STORE_LEASE(db);
  return delete_one(
      db, "DELETE FROM users WHERE id = ?1", [&](Statement& stmt) { stmt.text(1, id); },
      "no user with id '" + std::string{id} + "'");
}

StoreResult<Ok> SqlStore::add_user_permissions(std::string_view user_id, std::string_view api,
                                               const std::vector<std::string>& permissions) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  if (auto r = check_user_permissions(db, user_id, api, permissions, true); !r) {
    return r;
  }
  for (const auto& p : permissions) {
    auto stmt = db.prepare(
        "INSERT INTO user_permissions (user_id, api, permission) VALUES (?1, ?2, ?3) "
        "ON CONFLICT DO NOTHING");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, user_id).text(2, api).text(3, p);
    if (auto r = stmt->run(); !r) {
      return r;
    }
  }
  return tx->commit();
}

StoreResult<Ok> SqlStore::remove_user_permissions(std::string_view user_id, std::string_view api,
                                                  const std::vector<std::string>& permissions) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  if (auto r = check_user_permissions(db, user_id, api, permissions, false); !r) {
    return r;
  }
  for (const auto& p : permissions) {
    auto stmt = db.prepare(
        "DELETE FROM user_permissions WHERE user_id = ?1 AND api = ?2 AND permission = ?3");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, user_id).text(2, api).text(3, p);
    if (auto r = stmt->run(); !r) {
      return r;
    }
  }
  return tx->commit();
}

StoreResult<std::vector<UserPermission>> SqlStore::list_user_permissions(
    std::string_view user_id, std::optional<std::string_view> api) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  auto user = exists(db, "SELECT 1 FROM users WHERE id = ?1", user_id);
  if (!user) {
    return fail(user.error());
  }
  if (!*user) {
    return not_found("no user with id '" + std::string{user_id} + "'");
  }
  // Ordered as the API defines its permissions, so listings read like the API's own.
  auto stmt = db.prepare(
      "SELECT up.api, up.permission FROM user_permissions up "
      "JOIN api_permissions ap ON ap.api = up.api AND ap.value = up.permission "
      "WHERE up.user_id = ?1 AND (?2 IS NULL OR up.api = ?2) ORDER BY up.api, ap.position");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, user_id);
  if (api) {
    stmt->text(2, *api);
  }
  std::vector<UserPermission> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return out;
    }
    out.push_back(UserPermission{std::string{user_id}, stmt->column_text(0), stmt->column_text(1)});
  }
}

}  // namespace signet::store
