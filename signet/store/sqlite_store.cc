#include "signet/store/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <set>
#include <utility>

#include "signet/store/sqlite_schema.h"
#include "signet/store/validate.h"

namespace signet::store {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

// Returns the error of `expr` (a Result) from the enclosing function when it failed, so that
// passing an error on takes one line.
#define SIGNET_STORE_TRY(expr)                   \
  do {                                           \
    if (auto store_try_ = (expr); !store_try_) { \
      return fail(store_try_.error());           \
    }                                            \
  } while (false)

// Declares `var` holding the value of `expr` (a Result), or returns its error.
#define SIGNET_STORE_TRY_ASSIGN(var, expr) \
  auto var##_result_ = (expr);             \
  if (!var##_result_) {                    \
    return fail(var##_result_.error());    \
  }                                        \
  auto var = std::move(var##_result_).value()

// The columns every query that reads a whole record selects, in the order read_api,
// read_application, read_grant and read_user read them.
#define SIGNET_API_COLUMNS                                                                     \
  "identifier, name, signing_algorithm, token_lifetime, allow_offline_access, token_profile, " \
  "created_at, permissions_claim, revision"
#define SIGNET_APPLICATION_COLUMNS                                                    \
  "client_id, name, app_type, grant_types, auth_method, client_secret_hash, created_at, " \
  "revision, callbacks, allowed_logout_urls, web_origins, jwks, jwks_uri"
#define SIGNET_GRANT_COLUMNS "id, client_id, audience, created_at, revision"
#define SIGNET_USER_COLUMNS "id, email, password_hash, blocked, created_at, revision"

namespace {

std::int64_t unix_seconds(Timestamp t) {
  return t.time_since_epoch().count();
}
Timestamp timestamp(std::int64_t s) {
  return Timestamp{std::chrono::seconds{s}};
}
std::optional<std::int64_t> unix_seconds(const std::optional<Timestamp>& t) {
  return t ? std::optional<std::int64_t>{unix_seconds(*t)} : std::nullopt;
}
std::optional<Timestamp> timestamp(std::optional<std::int64_t> s) {
  return s ? std::optional<Timestamp>{timestamp(*s)} : std::nullopt;
}
std::optional<std::int64_t> unix_millis(const std::optional<PreciseTimestamp>& t) {
  return t ? std::optional<std::int64_t>{t->time_since_epoch().count()} : std::nullopt;
}
std::optional<PreciseTimestamp> precise_timestamp(std::optional<std::int64_t> ms) {
  return ms ? std::optional<PreciseTimestamp>{PreciseTimestamp{std::chrono::milliseconds{*ms}}}
            : std::nullopt;
}

Unexpected<StoreError> not_found(std::string message) {
  return fail(StoreError{StoreErrorCode::kNotFound, std::move(message)});
}
Unexpected<StoreError> invalid(std::string message) {
  return fail(StoreError{StoreErrorCode::kInvalid, std::move(message)});
}
Unexpected<StoreError> conflict(std::string message) {
  return fail(StoreError{StoreErrorCode::kConflict, std::move(message)});
}
Unexpected<StoreError> corrupt(std::string message) {
  return fail(StoreError{StoreErrorCode::kCorrupt, std::move(message)});
}

// Readers return a record or a StoreResult of one; read_rows takes either.
template <typename T>
StoreResult<T> as_result(T value) {
  return value;
}
template <typename T>
StoreResult<T> as_result(StoreResult<T> result) {
  return result;
}

// Every row `stmt` returns, each read by `read` (a Statement -> T or StoreResult<T>).
template <typename T, typename Read>
StoreResult<std::vector<T>> read_rows(Statement& stmt, Read read) {
  std::vector<T> out;
  for (;;) {
    SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
    if (!row) {
      return out;
    }
    SIGNET_STORE_TRY_ASSIGN(item, as_result(read(stmt)));
    out.push_back(std::move(item));
  }
}

// The single integer `stmt` returns (a count); kInternal when it returns no row.
StoreResult<std::int64_t> read_count(Statement& stmt) {
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return fail(StoreError{StoreErrorCode::kInternal, "a count returned no row"});
  }
  return stmt.column_integer(0);
}

// --- revisions

// The next value of the revision counter (types.h Revision), for the record the caller's write
// transaction creates or updates. A rollback gives it back, so no two committed writes share one.
StoreResult<Revision> next_revision(Connection& db) {
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value"));
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return corrupt("the meta table has no revision counter");
  }
  const auto revision = static_cast<Revision>(stmt.column_integer(0));
  SIGNET_STORE_TRY(stmt.run());
  return revision;
}

// kStale unless the record `what` names, stored at `stored`, is at `if_revision` (when given).
// Called before anything is written, so a lost race writes nothing.
StoreResult<Ok> check_revision(std::string_view what, Revision stored,
                               std::optional<Revision> if_revision) {
  if (if_revision && *if_revision != stored) {
    return fail(StoreError{StoreErrorCode::kStale,
                           std::string{what} + " is at revision " + std::to_string(stored) +
                               ", not " + std::to_string(*if_revision) +
                               " as read: it changed since; read it again and redo the change"});
  }
  return Ok{};
}

// For an update of the record that `sql` (its revision, by the text key ?1) selects: kNotFound
// with `missing` when it is absent, else check_revision, else the revision the update writes.
StoreResult<Revision> claim_revision(Connection& db, std::string_view sql, std::string_view key,
                                     std::string_view what, std::string missing,
                                     std::optional<Revision> if_revision) {
  Revision stored = 0;
  {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(sql));
    stmt.text(1, key);
    SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
    if (!row) {
      return not_found(std::move(missing));
    }
    stored = static_cast<Revision>(stmt.column_integer(0));
  }
  SIGNET_STORE_TRY(check_revision(what, stored, if_revision));
  return next_revision(db);
}

// A grant whose scopes change, directly or because its API dropped a permission, is updated.
StoreResult<Ok> bump_grant_revision(Connection& db, std::int64_t id) {
  SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db));
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("UPDATE client_grants SET revision = ?2 WHERE id = ?1"));
  stmt.integer(1, id).integer(2, static_cast<std::int64_t>(revision));
  return stmt.run();
}

// --- pages

// One window of a list, inside the caller's read transaction so that the total matches the
// items: `rows_sql` takes LIMIT ?1 OFFSET ?2 and `count_sql` counts the same rows; both take their
// filters from ?3 on, bound by `bind_filters`. The database does the slicing, so a page of a long
// list reads only the page.
template <typename T, typename Read>
StoreResult<Page<T>> read_page(Connection& db, const PageRequest& page, std::string_view rows_sql,
                               std::string_view count_sql,
                               const std::function<void(Statement&)>& bind_filters, Read read) {
  Page<T> out;
  {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(rows_sql));
    stmt.integer(1, page.limit).integer(2, page.offset);
    bind_filters(stmt);
    SIGNET_STORE_TRY_ASSIGN(items, read_rows<T>(stmt, read));
    out.items = std::move(items);
  }
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(count_sql));
  bind_filters(stmt);
  SIGNET_STORE_TRY_ASSIGN(total, read_count(stmt));
  out.total = total;
  return out;
}

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

// Scopes and grant types are stored space-separated: neither may contain a space (validate.h).
std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) {
      out += ' ';
    }
    out += w;
  }
  return out;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto space = text.find(' ');
    out.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) {
      break;
    }
    text.remove_prefix(space + 1);
  }
  return out;
}

// URL lists are stored one per line: validate.h keeps control characters out of URLs.
std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) {
      out += '\n';
    }
    out += l;
  }
  return out;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    out.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
  return out;
}

// Runs a statement that takes one text parameter and tells whether it returns a row.
StoreResult<bool> exists(Connection& db, std::string_view sql, std::string_view key) {
  auto stmt = db.prepare(sql);
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, key);
  return stmt->step();
}

// --- APIs

StoreResult<std::vector<Permission>> load_permissions(Connection& db, std::string_view identifier) {
  auto stmt =
      db.prepare("SELECT value, description FROM api_permissions WHERE api = ?1 ORDER BY position");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, identifier);
  std::vector<Permission> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return out;
    }
    out.push_back(Permission{stmt->column_text(0), stmt->column_text(1)});
  }
}

StoreResult<Api> read_api(const Statement& s) {
  Api api;
  api.identifier = s.column_text(0);
  api.name = s.column_text(1);
  auto alg = jose::parse_algorithm(s.column_text(2));
  auto profile = parse_token_profile(s.column_text(5));
  if (!alg || !profile) {
    return corrupt("API '" + api.identifier + "' has an unknown algorithm or token profile");
  }
  api.signing_algorithm = *alg;
  api.token_lifetime = std::chrono::seconds{s.column_integer(3)};
  api.allow_offline_access = s.column_integer(4) != 0;
  api.token_profile = *profile;
  api.created_at = timestamp(s.column_integer(6));
  api.permissions_claim = s.column_integer(7) != 0;
  api.revision = static_cast<Revision>(s.column_integer(8));
  return api;
}

StoreResult<Api> load_api(Connection& db, std::string_view identifier) {
  Api api;
  {
    auto stmt = db.prepare("SELECT " SIGNET_API_COLUMNS " FROM apis WHERE identifier = ?1");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, identifier);
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return not_found("no API with identifier '" + std::string{identifier} + "'");
    }
    auto read = read_api(*stmt);
    if (!read) {
      return read;
    }
    api = std::move(read).value();
  }
  auto permissions = load_permissions(db, identifier);
  if (!permissions) {
    return fail(permissions.error());
  }
  api.permissions = std::move(permissions).value();
  return api;
}

// Makes the API's permissions exactly `wanted`, in that order. Permissions that stay are updated
// in place, not deleted and re-inserted, so the grants and users holding them keep them. Grants
// that lose a scope to a dropped permission get a new revision: their content changed.
StoreResult<Ok> store_permissions(Connection& db, const Api& api) {
  auto current = load_permissions(db, api.identifier);
  if (!current) {
    return fail(current.error());
  }
  std::set<std::int64_t> changed_grants;
  for (const auto& old : *current) {
    bool kept = false;
    for (const auto& p : api.permissions) {
      kept = kept || p.value == old.value;
    }
    if (!kept) {
      SIGNET_STORE_TRY_ASSIGN(holders, db.prepare("SELECT grant_id FROM client_grant_scopes "
                                                  "WHERE api = ?1 AND scope = ?2"));
      holders.text(1, api.identifier).text(2, old.value);
      SIGNET_STORE_TRY_ASSIGN(ids, read_rows<std::int64_t>(holders, [](const Statement& row) {
                                return row.column_integer(0);
                              }));
      changed_grants.insert(ids.begin(), ids.end());
      auto del = db.prepare("DELETE FROM api_permissions WHERE api = ?1 AND value = ?2");
      if (!del) {
        return fail(del.error());
      }
      del->text(1, api.identifier).text(2, old.value);
      if (auto r = del->run(); !r) {
        return r;
      }
    }
  }
  std::int64_t position = 0;
  for (const auto& p : api.permissions) {
    auto upsert = db.prepare(
        "INSERT INTO api_permissions (api, value, description, position) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (api, value) DO UPDATE SET description = excluded.description, "
        "position = excluded.position "
        "WHERE description IS NOT excluded.description OR position IS NOT excluded.position");
    if (!upsert) {
      return fail(upsert.error());
    }
    upsert->text(1, api.identifier).text(2, p.value).text(3, p.description).integer(4, position++);
    if (auto r = upsert->run(); !r) {
      return r;
    }
  }
  for (const std::int64_t id : changed_grants) {
    SIGNET_STORE_TRY(bump_grant_revision(db, id));
  }
  return Ok{};
}

// --- applications

StoreResult<Application> read_application(const Statement& s) {
  Application app;
  app.client_id = s.column_text(0);
  app.name = s.column_text(1);
  auto type = parse_application_type(s.column_text(2));
  auto method = parse_token_endpoint_auth_method(s.column_text(4));
  if (!type || !method) {
    return corrupt("application '" + app.client_id + "' has an unknown type or auth method");
  }
  app.type = *type;
  for (const auto& name : split(s.column_text(3))) {
    auto g = parse_grant_type(name);
    if (!g) {
      return corrupt("application '" + app.client_id + "' has an unknown grant type");
    }
    app.grant_types.push_back(*g);
  }
  app.token_endpoint_auth_method = *method;
  app.client_secret_hash = s.column_blob(5);
  app.created_at = timestamp(s.column_integer(6));
  app.revision = static_cast<Revision>(s.column_integer(7));
  app.callbacks = split_lines(s.column_text(8));
  app.allowed_logout_urls = split_lines(s.column_text(9));
  app.web_origins = split_lines(s.column_text(10));
  app.jwks = s.column_text(11);
  app.jwks_uri = s.column_text(12);
  return app;
}

std::string join_grant_types(const std::vector<GrantType>& grants) {
  std::vector<std::string> names;
  names.reserve(grants.size());
  for (const auto g : grants) {
    names.emplace_back(to_string(g));
  }
  return join(names);
}

StoreResult<Application> load_application(Connection& db, std::string_view client_id) {
  auto stmt =
      db.prepare("SELECT " SIGNET_APPLICATION_COLUMNS " FROM applications WHERE client_id = ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, client_id);
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  if (!*row) {
    return not_found("no application with client_id '" + std::string{client_id} + "'");
  }
  return read_application(*stmt);
}

// --- client grants

StoreResult<std::vector<std::string>> load_grant_scopes(Connection& db, std::int64_t id) {
  auto stmt =
      db.prepare("SELECT scope FROM client_grant_scopes WHERE grant_id = ?1 ORDER BY position");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->integer(1, id);
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return out;
    }
    out.push_back(stmt->column_text(0));
  }
}

ClientGrant read_grant(const Statement& s) {
  ClientGrant g;
  g.id = s.column_integer(0);
  g.client_id = s.column_text(1);
  g.audience = s.column_text(2);
  g.created_at = timestamp(s.column_integer(3));
  g.revision = static_cast<Revision>(s.column_integer(4));
  return g;
}

// Fills in the scopes of grants read without them.
StoreResult<Ok> attach_scopes(Connection& db, std::vector<ClientGrant>& grants) {
  for (auto& g : grants) {
    auto scopes = load_grant_scopes(db, g.id);
    if (!scopes) {
      return fail(scopes.error());
    }
    g.scopes = std::move(scopes).value();
  }
  return Ok{};
}

StoreResult<ClientGrant> load_grant(Connection& db, std::int64_t id) {
  std::vector<ClientGrant> found;
  {
    auto stmt = db.prepare("SELECT " SIGNET_GRANT_COLUMNS " FROM client_grants WHERE id = ?1");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->integer(1, id);
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return not_found("no client grant with id " + std::to_string(id));
    }
    found.push_back(read_grant(*stmt));
  }
  if (auto r = attach_scopes(db, found); !r) {
    return fail(r.error());
  }
  return std::move(found.front());
}

// Replaces the grant's scopes. Each must be a permission of the grant's API: a typo such as
// "read:mesages" would otherwise grant nothing, silently.
StoreResult<Ok> store_grant_scopes(Connection& db, std::int64_t id, std::string_view audience,
                                   const std::vector<std::string>& scopes) {
  for (const auto& scope : scopes) {
    auto stmt = db.prepare("SELECT 1 FROM api_permissions WHERE api = ?1 AND value = ?2");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, audience).text(2, scope);
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return invalid("scope '" + scope + "' is not a permission of API '" + std::string{audience} +
                     "'");
    }
  }
  auto del = db.prepare("DELETE FROM client_grant_scopes WHERE grant_id = ?1");
  if (!del) {
    return fail(del.error());
  }
  del->integer(1, id);
  if (auto r = del->run(); !r) {
    return r;
  }
  std::int64_t position = 0;
  for (const auto& scope : scopes) {
    auto ins = db.prepare(
        "INSERT INTO client_grant_scopes (grant_id, api, scope, position) "
        "VALUES (?1, ?2, ?3, ?4)");
    if (!ins) {
      return fail(ins.error());
    }
    ins->integer(1, id).text(2, audience).text(3, scope).integer(4, position++);
    if (auto r = ins->run(); !r) {
      return r;
    }
  }
  return Ok{};
}

// --- users

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

// --- signing keys

StoreResult<SigningKey> read_key(const Statement& s) {
  SigningKey k;
  k.kid = s.column_text(0);
  auto alg = jose::parse_algorithm(s.column_text(1));
  auto state = parse_signing_key_state(s.column_text(2));
  if (!alg || !state) {
    return corrupt("signing key '" + k.kid + "' has an unknown algorithm or state");
  }
  k.algorithm = *alg;
  k.state = *state;
  k.encrypted_private_key = s.column_blob(3);
  k.public_jwk = s.column_text(4);
  k.created_at = timestamp(s.column_integer(5));
  k.rotated_at = timestamp(s.column_optional_integer(6));
  return k;
}

StoreResult<Ok> insert_key(Connection& db, const SigningKey& key, SigningKeyState state) {
  if (auto r = validate_signing_key(key); !r) {
    return r;
  }
  auto stmt = db.prepare(
      "INSERT INTO signing_keys (kid, algorithm, state, encrypted_private_key, public_jwk, "
      "created_at, rotated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, key.kid)
      .text(2, jose::to_string(key.algorithm))
      .text(3, to_string(state))
      .blob(4, key.encrypted_private_key)
      .text(5, key.public_jwk)
      .integer(6, unix_seconds(key.created_at))
      .optional_integer(7, unix_seconds(key.rotated_at));
  auto r = stmt->run();
  if (!r && r.error().code == StoreErrorCode::kConflict) {
    return conflict("signing key '" + key.kid + "' would duplicate a kid, or a " +
                    std::string{to_string(state)} + " key for " +
                    std::string{jose::to_string(key.algorithm)});
  }
  return r;
}

// --- refresh tokens

RefreshToken read_refresh(const Statement& s) {
  RefreshToken t;
  t.id = s.column_text(0);
  t.token_hash = s.column_blob(1);
  t.family_id = s.column_text(2);
  t.client_id = s.column_text(3);
  t.user_id = s.column_text(4);
  t.audience = s.column_text(5);
  t.scopes = split(s.column_text(6));
  t.created_at = timestamp(s.column_integer(7));
  t.expires_at = timestamp(s.column_integer(8));
  t.rotated_at = precise_timestamp(s.column_optional_integer(9));
  t.revoked = s.column_integer(10) != 0;
  t.successor_sealed = s.column_blob(11);
  return t;
}

StoreResult<Ok> insert_refresh(Connection& db, const RefreshToken& t) {
  if (auto r = validate_refresh_token(t); !r) {
    return r;
  }
  auto stmt = db.prepare(
      "INSERT INTO refresh_tokens (id, token_hash, family_id, client_id, user_id, audience, "
      "scopes, created_at, expires_at, rotated_at, revoked, successor_sealed) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, t.id)
      .blob(2, t.token_hash)
      .text(3, t.family_id)
      .text(4, t.client_id)
      .text(5, t.user_id)
      .text(6, t.audience)
      .text(7, join(t.scopes))
      .integer(8, unix_seconds(t.created_at))
      .integer(9, unix_seconds(t.expires_at))
      .optional_integer(10, unix_millis(t.rotated_at))
      .integer(11, t.revoked ? 1 : 0)
      .blob(12, t.successor_sealed);
  auto r = stmt->run();
  if (!r && r.error().code == StoreErrorCode::kInvalid) {
    // The schema's foreign keys: the client, user or API is gone.
    return not_found("refresh token '" + t.id + "' names an unknown client, user or API");
  }
  return r;
}

// --- failed logins

FailedLoginCounter read_counter(const Statement& s, int first_column) {
  FailedLoginCounter c;
  c.count = static_cast<int>(s.column_integer(first_column));
  c.first_failure_at = timestamp(s.column_integer(first_column + 1));
  c.blocked_until = timestamp(s.column_optional_integer(first_column + 2));
  return c;
}

// Creates the file with mode 0600 when it does not exist. SQLite would create it with 0644 (less
// the umask), and its -wal and -shm files copy the database file's mode.
StoreResult<Ok> create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Ok{};
    }
    return fail(StoreError{StoreErrorCode::kIo, "create " + path + ": " + std::strerror(errno)});
  }
  // The umask may only remove bits, but be explicit about what we want.
  const int rc = ::fchmod(fd, S_IRUSR | S_IWUSR);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) {
    return fail(StoreError{StoreErrorCode::kIo, "chmod " + path + ": " + std::strerror(saved)});
  }
  return Ok{};
}

StoreResult<Ok> expect_pragma(Connection& db, std::string_view sql, std::string_view expected,
                              std::string_view what) {
  auto stmt = db.prepare(sql);
  if (!stmt) {
    return fail(stmt.error());
  }
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  if (!*row || stmt->column_text(0) != expected) {
    return fail(StoreError{StoreErrorCode::kIo, std::string{what}});
  }
  return Ok{};
}

// Deletes the one row that `sql` (with its key bound by `bind`) selects, in its own write
// transaction; kNotFound with `missing` when there is no such row.
StoreResult<Ok> delete_one(Connection& db, std::string_view sql,
                           const std::function<void(Statement&)>& bind, std::string missing) {
  auto tx = Transaction::begin(db, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto stmt = db.prepare(sql);
  if (!stmt) {
    return fail(stmt.error());
  }
  bind(*stmt);
  if (auto r = stmt->run(); !r) {
    return r;
  }
  if (db.changes() == 0) {
    return not_found(std::move(missing));
  }
  return tx->commit();
}

// The columns create and update share, bound to ?1..?7 (?1 is the key) and the revision to ?8;
// create adds created_at as ?9.
Statement& bind_api(Statement& stmt, const Api& api, Revision revision) {
  return stmt.integer(8, static_cast<std::int64_t>(revision))
      .text(1, api.identifier)
      .text(2, api.name)
      .text(3, jose::to_string(api.signing_algorithm))
      .integer(4, api.token_lifetime.count())
      .integer(5, api.allow_offline_access ? 1 : 0)
      .text(6, to_string(api.token_profile))
      .integer(7, api.permissions_claim ? 1 : 0);
}

// The value the pre-version-6 column (sqlite_schema.cc) accepts for a method.
std::string_view legacy_auth_method(TokenEndpointAuthMethod m) {
  switch (m) {
    case TokenEndpointAuthMethod::kClientSecretBasic:
    case TokenEndpointAuthMethod::kNone:
      return to_string(m);
    default:
      return "client_secret_post";
  }
}

// ?1..?6, the revision as ?7, and ?9..?14; create adds created_at as ?8.
Statement& bind_application(Statement& stmt, const Application& app, Revision revision) {
  return stmt.integer(7, static_cast<std::int64_t>(revision))
      .text(1, app.client_id)
      .text(2, app.name)
      .text(3, to_string(app.type))
      .text(4, join_grant_types(app.grant_types))
      .text(5, to_string(app.token_endpoint_auth_method))
      .blob(6, app.client_secret_hash)
      .text(9, legacy_auth_method(app.token_endpoint_auth_method))
      .text(10, join_lines(app.callbacks))
      .text(11, join_lines(app.allowed_logout_urls))
      .text(12, join_lines(app.web_origins))
      .text(13, app.jwks)
      .text(14, app.jwks_uri);
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

StoreResult<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                            Options options) {
  if (auto r = create_private_file(path); !r) {
    return fail(r.error());
  }
  auto db = Connection::open(path);
  if (!db) {
    return fail(db.error());
  }
  sqlite3_busy_timeout(db->handle(), static_cast<int>(options.busy_timeout.count()));
  // journal_mode is the first statement that reads the file, so it is where a file that is not a
  // database shows up (kCorrupt, from SQLITE_NOTADB).
  if (auto r = expect_pragma(*db, "PRAGMA journal_mode = WAL", "wal",
                             "the file system does not support SQLite's WAL mode");
      !r) {
    return fail(r.error());
  }
  if (auto r = db->exec(options.sync_every_commit ? "PRAGMA synchronous = FULL"
                                                  : "PRAGMA synchronous = NORMAL");
      !r) {
    return fail(r.error());
  }
  // Foreign keys are off by default in SQLite, per connection; the cascades depend on them.
  if (auto r = db->exec("PRAGMA foreign_keys = ON"); !r) {
    return fail(r.error());
  }
  if (auto r = expect_pragma(*db, "PRAGMA foreign_keys", "1",
                             "this SQLite was built without foreign key support");
      !r) {
    return fail(r.error());
  }
  // Deleted rows (secret hashes, encrypted keys, refresh-token hashes) are overwritten, not left
  // in free pages for whoever copies the file later.
  if (auto r = db->exec("PRAGMA secure_delete = ON"); !r) {
    return fail(r.error());
  }
  auto version = sqlite::migrate(*db, sqlite::migrations());
  if (!version) {
    return fail(version.error());
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db).value()));
}

StoreResult<std::uint64_t> SqliteStore::generation() {
  std::lock_guard lock(mu_);
  auto generation = db_.query_integer("SELECT value FROM meta WHERE key = 'generation'",
                                      "the meta table has no generation");
  if (!generation) {
    return fail(generation.error());
  }
  return static_cast<std::uint64_t>(*generation);
}

// --- APIs

StoreResult<Api> SqliteStore::create_api(const Api& api) {
  if (auto r = validate_api(api); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db_));
  auto stmt = db_.prepare(
      "INSERT INTO apis (identifier, name, signing_algorithm, token_lifetime, "
      "allow_offline_access, token_profile, permissions_claim, revision, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!stmt) {
    return fail(stmt.error());
  }
  bind_api(*stmt, api, revision).integer(9, unix_seconds(api.created_at));
  if (auto r = stmt->run(); !r) {
    if (r.error().code == StoreErrorCode::kConflict) {
      return conflict("an API with identifier '" + api.identifier + "' already exists");
    }
    return fail(r.error());
  }
  if (auto r = store_permissions(db_, api); !r) {
    return fail(r.error());
  }
  auto stored = load_api(db_, api.identifier);
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<Api> SqliteStore::get_api(std::string_view identifier) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  return load_api(db_, identifier);
}

StoreResult<std::vector<Api>> SqliteStore::list_apis() {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  std::vector<Api> out;
  {
    auto stmt =
        db_.prepare("SELECT " SIGNET_API_COLUMNS " FROM apis ORDER BY created_at, identifier");
    if (!stmt) {
      return fail(stmt.error());
    }
    for (;;) {
      auto row = stmt->step();
      if (!row) {
        return fail(row.error());
      }
      if (!*row) {
        break;
      }
      auto api = read_api(*stmt);
      if (!api) {
        return fail(api.error());
      }
      out.push_back(std::move(api).value());
    }
  }
  for (auto& api : out) {
    auto permissions = load_permissions(db_, api.identifier);
    if (!permissions) {
      return fail(permissions.error());
    }
    api.permissions = std::move(permissions).value();
  }
  return out;
}

StoreResult<Page<Api>> SqliteStore::page_apis(const PageRequest& page) {
  SIGNET_STORE_TRY(validate_page(page));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db_, Transaction::Mode::kRead));
  SIGNET_STORE_TRY_ASSIGN(
      out,
      read_page<Api>(
          db_, page, "SELECT " SIGNET_API_COLUMNS " FROM apis ORDER BY rowid LIMIT ?1 OFFSET ?2",
          "SELECT count(*) FROM apis", [](Statement&) {}, read_api));
  for (auto& api : out.items) {
    SIGNET_STORE_TRY_ASSIGN(permissions, load_permissions(db_, api.identifier));
    api.permissions = std::move(permissions);
  }
  return out;
}

StoreResult<Api> SqliteStore::update_api(const Api& api, std::optional<Revision> if_revision) {
  if (auto r = validate_api(api); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  SIGNET_STORE_TRY_ASSIGN(
      revision, claim_revision(db_, "SELECT revision FROM apis WHERE identifier = ?1",
                               api.identifier, "API '" + api.identifier + "'",
                               "no API with identifier '" + api.identifier + "'", if_revision));
  auto stmt = db_.prepare(
      "UPDATE apis SET name = ?2, signing_algorithm = ?3, token_lifetime = ?4, "
      "allow_offline_access = ?5, token_profile = ?6, permissions_claim = ?7, revision = ?8 "
      "WHERE identifier = ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  bind_api(*stmt, api, revision);
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  if (auto r = store_permissions(db_, api); !r) {
    return fail(r.error());
  }
  auto stored = load_api(db_, api.identifier);
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<Ok> SqliteStore::delete_api(std::string_view identifier) {
  std::lock_guard lock(mu_);
  return delete_one(
      db_, "DELETE FROM apis WHERE identifier = ?1",
      [&](Statement& stmt) { stmt.text(1, identifier); },
      "no API with identifier '" + std::string{identifier} + "'");
}

// --- applications

StoreResult<Application> SqliteStore::create_application(const Application& app) {
  if (auto r = validate_application(app); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db_));
  auto stmt = db_.prepare(
      "INSERT INTO applications (client_id, name, app_type, grant_types, auth_method, "
      "client_secret_hash, revision, created_at, token_endpoint_auth_method, callbacks, "
      "allowed_logout_urls, web_origins, jwks, jwks_uri) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  if (!stmt) {
    return fail(stmt.error());
  }
  bind_application(*stmt, app, revision).integer(8, unix_seconds(app.created_at));
  if (auto r = stmt->run(); !r) {
    if (r.error().code == StoreErrorCode::kConflict) {
      return conflict("an application with client_id '" + app.client_id + "' already exists");
    }
    return fail(r.error());
  }
  auto stored = load_application(db_, app.client_id);
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<Application> SqliteStore::get_application(std::string_view client_id) {
  std::lock_guard lock(mu_);
  return load_application(db_, client_id);
}

StoreResult<std::vector<Application>> SqliteStore::list_applications() {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare("SELECT " SIGNET_APPLICATION_COLUMNS
                          " FROM applications ORDER BY created_at, client_id");
  if (!stmt) {
    return fail(stmt.error());
  }
  std::vector<Application> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return out;
    }
    auto app = read_application(*stmt);
    if (!app) {
      return fail(app.error());
    }
    out.push_back(std::move(app).value());
  }
}

StoreResult<Page<Application>> SqliteStore::page_applications(const PageRequest& page) {
  SIGNET_STORE_TRY(validate_page(page));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db_, Transaction::Mode::kRead));
  return read_page<Application>(
      db_, page,
      "SELECT " SIGNET_APPLICATION_COLUMNS " FROM applications ORDER BY rowid LIMIT ?1 OFFSET ?2",
      "SELECT count(*) FROM applications", [](Statement&) {}, read_application);
}

StoreResult<Application> SqliteStore::update_application(const Application& app,
                                                         std::optional<Revision> if_revision) {
  if (auto r = validate_application(app); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  SIGNET_STORE_TRY_ASSIGN(
      revision,
      claim_revision(db_, "SELECT revision FROM applications WHERE client_id = ?1", app.client_id,
                     "application '" + app.client_id + "'",
                     "no application with client_id '" + app.client_id + "'", if_revision));
  auto stmt = db_.prepare(
      "UPDATE applications SET name = ?2, app_type = ?3, grant_types = ?4, auth_method = ?5, "
      "client_secret_hash = ?6, revision = ?7, token_endpoint_auth_method = ?9, callbacks = ?10, "
      "allowed_logout_urls = ?11, web_origins = ?12, jwks = ?13, jwks_uri = ?14 "
      "WHERE client_id = ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  bind_application(*stmt, app, revision);
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  auto stored = load_application(db_, app.client_id);
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<Ok> SqliteStore::delete_application(std::string_view client_id) {
  std::lock_guard lock(mu_);
  return delete_one(
      db_, "DELETE FROM applications WHERE client_id = ?1",
      [&](Statement& stmt) { stmt.text(1, client_id); },
      "no application with client_id '" + std::string{client_id} + "'");
}

// --- client grants

StoreResult<ClientGrant> SqliteStore::create_client_grant(const ClientGrant& grant) {
  if (auto r = validate_key("client_id", grant.client_id); !r) {
    return fail(r.error());
  }
  if (auto r = validate_key("audience", grant.audience); !r) {
    return fail(r.error());
  }
  if (auto r = validate_scopes(grant.scopes); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto app = exists(db_, "SELECT 1 FROM applications WHERE client_id = ?1", grant.client_id);
  if (!app) {
    return fail(app.error());
  }
  if (!*app) {
    return not_found("no application with client_id '" + grant.client_id + "'");
  }
  auto api = exists(db_, "SELECT 1 FROM apis WHERE identifier = ?1", grant.audience);
  if (!api) {
    return fail(api.error());
  }
  if (!*api) {
    return not_found("no API with identifier '" + grant.audience + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db_));
  auto stmt = db_.prepare(
      "INSERT INTO client_grants (client_id, audience, created_at, revision) "
      "VALUES (?1, ?2, ?3, ?4)");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, grant.client_id)
      .text(2, grant.audience)
      .integer(3, unix_seconds(grant.created_at))
      .integer(4, static_cast<std::int64_t>(revision));
  if (auto r = stmt->run(); !r) {
    if (r.error().code == StoreErrorCode::kConflict) {
      return conflict("application '" + grant.client_id + "' already has a grant for API '" +
                      grant.audience + "'");
    }
    return fail(r.error());
  }
  const std::int64_t id = db_.last_insert_rowid();
  if (auto r = store_grant_scopes(db_, id, grant.audience, grant.scopes); !r) {
    return fail(r.error());
  }
  auto stored = load_grant(db_, id);
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<ClientGrant> SqliteStore::get_client_grant(std::int64_t id) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  return load_grant(db_, id);
}

StoreResult<ClientGrant> SqliteStore::find_client_grant(std::string_view client_id,
                                                        std::string_view audience) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  std::vector<ClientGrant> found;
  {
    auto stmt = db_.prepare("SELECT " SIGNET_GRANT_COLUMNS
                            " FROM client_grants WHERE client_id = ?1 AND audience = ?2");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, client_id).text(2, audience);
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return not_found("application '" + std::string{client_id} + "' has no grant for API '" +
                       std::string{audience} + "'");
    }
    found.push_back(read_grant(*stmt));
  }
  if (auto r = attach_scopes(db_, found); !r) {
    return fail(r.error());
  }
  return std::move(found.front());
}

StoreResult<std::vector<ClientGrant>> SqliteStore::list_client_grants(
    std::optional<std::string_view> client_id) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  std::vector<ClientGrant> out;
  {
    // One statement for both cases: a NULL parameter matches every client.
    auto stmt = db_.prepare("SELECT " SIGNET_GRANT_COLUMNS
                            " FROM client_grants WHERE ?1 IS NULL OR client_id = ?1 ORDER BY id");
    if (!stmt) {
      return fail(stmt.error());
    }
    if (client_id) {
      stmt->text(1, *client_id);
    }
    for (;;) {
      auto row = stmt->step();
      if (!row) {
        return fail(row.error());
      }
      if (!*row) {
        break;
      }
      out.push_back(read_grant(*stmt));
    }
  }
  if (auto r = attach_scopes(db_, out); !r) {
    return fail(r.error());
  }
  return out;
}

StoreResult<Page<ClientGrant>> SqliteStore::page_client_grants(
    const PageRequest& page, std::optional<std::string_view> client_id,
    std::optional<std::string_view> audience) {
  SIGNET_STORE_TRY(validate_page(page));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db_, Transaction::Mode::kRead));
  // A NULL filter matches every grant. Ids only grow (AUTOINCREMENT): creation order.
  SIGNET_STORE_TRY_ASSIGN(
      out,
      read_page<ClientGrant>(
          db_, page,
          "SELECT " SIGNET_GRANT_COLUMNS " FROM client_grants WHERE (?3 IS NULL OR client_id = ?3) "
          "AND (?4 IS NULL OR audience = ?4) ORDER BY id LIMIT ?1 OFFSET ?2",
          "SELECT count(*) FROM client_grants WHERE (?3 IS NULL OR client_id = ?3) "
          "AND (?4 IS NULL OR audience = ?4)",
          [&](Statement& stmt) {
            if (client_id) {
              stmt.text(3, *client_id);
            }
            if (audience) {
              stmt.text(4, *audience);
            }
          },
          read_grant));
  SIGNET_STORE_TRY(attach_scopes(db_, out.items));
  return out;
}

StoreResult<ClientGrant> SqliteStore::update_client_grant_scopes(
    std::int64_t id, const std::vector<std::string>& scopes, std::optional<Revision> if_revision) {
  if (auto r = validate_scopes(scopes); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto grant = load_grant(db_, id);
  if (!grant) {
    return grant;
  }
  SIGNET_STORE_TRY(
      check_revision("client grant " + std::to_string(id), grant->revision, if_revision));
  SIGNET_STORE_TRY(store_grant_scopes(db_, id, grant->audience, scopes));
  SIGNET_STORE_TRY(bump_grant_revision(db_, id));
  auto stored = load_grant(db_, id);
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<Ok> SqliteStore::delete_client_grant(std::int64_t id) {
  std::lock_guard lock(mu_);
  return delete_one(
      db_, "DELETE FROM client_grants WHERE id = ?1", [&](Statement& stmt) { stmt.integer(1, id); },
      "no client grant with id " + std::to_string(id));
}

// --- users

StoreResult<User> SqliteStore::create_user(const User& user) {
  if (auto r = validate_user(user); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db_));
  auto stmt = db_.prepare(
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
  auto stored = load_user(db_, kUserById, user.id, "id");
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<User> SqliteStore::get_user(std::string_view id) {
  std::lock_guard lock(mu_);
  return load_user(db_, kUserById, id, "id");
}

StoreResult<User> SqliteStore::find_user_by_email(std::string_view email) {
  std::lock_guard lock(mu_);
  return load_user(db_, kUserByEmail, email, "email");
}

StoreResult<std::vector<User>> SqliteStore::list_users() {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare("SELECT " SIGNET_USER_COLUMNS " FROM users ORDER BY created_at, id");
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

StoreResult<Page<User>> SqliteStore::page_users(const PageRequest& page,
                                                std::optional<std::string_view> search) {
  SIGNET_STORE_TRY(validate_page(page));
  if (search) {
    SIGNET_STORE_TRY(validate_search(*search));
  }
  const std::optional<std::string> pattern =
      search ? std::optional<std::string>{contains_pattern(*search)} : std::nullopt;
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db_, Transaction::Mode::kRead));
  // LIKE compares ASCII letters case-insensitively (case_sensitive_like is never set).
  return read_page<User>(
      db_, page,
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

StoreResult<User> SqliteStore::update_user(const User& user, std::optional<Revision> if_revision) {
  if (auto r = validate_user(user); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  SIGNET_STORE_TRY_ASSIGN(
      revision,
      claim_revision(db_, "SELECT revision FROM users WHERE id = ?1", user.id,
                     "user '" + user.id + "'", "no user with id '" + user.id + "'", if_revision));
  auto stmt = db_.prepare(
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
  auto stored = load_user(db_, kUserById, user.id, "id");
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<Ok> SqliteStore::delete_user(std::string_view id) {
  std::lock_guard lock(mu_);
  return delete_one(
      db_, "DELETE FROM users WHERE id = ?1", [&](Statement& stmt) { stmt.text(1, id); },
      "no user with id '" + std::string{id} + "'");
}

StoreResult<Ok> SqliteStore::add_user_permissions(std::string_view user_id, std::string_view api,
                                                  const std::vector<std::string>& permissions) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  if (auto r = check_user_permissions(db_, user_id, api, permissions, true); !r) {
    return r;
  }
  for (const auto& p : permissions) {
    auto stmt = db_.prepare(
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

StoreResult<Ok> SqliteStore::remove_user_permissions(std::string_view user_id, std::string_view api,
                                                     const std::vector<std::string>& permissions) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  if (auto r = check_user_permissions(db_, user_id, api, permissions, false); !r) {
    return r;
  }
  for (const auto& p : permissions) {
    auto stmt = db_.prepare(
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

StoreResult<std::vector<UserPermission>> SqliteStore::list_user_permissions(
    std::string_view user_id, std::optional<std::string_view> api) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  auto user = exists(db_, "SELECT 1 FROM users WHERE id = ?1", user_id);
  if (!user) {
    return fail(user.error());
  }
  if (!*user) {
    return not_found("no user with id '" + std::string{user_id} + "'");
  }
  // Ordered as the API defines its permissions, so listings read like the API's own.
  auto stmt = db_.prepare(
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

// --- signing keys

StoreResult<Ok> SqliteStore::insert_signing_keys(const std::vector<SigningKey>& keys) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  for (const auto& key : keys) {
    if (auto r = insert_key(db_, key, key.state); !r) {
      return r;
    }
  }
  return tx->commit();
}

StoreResult<SigningKey> SqliteStore::get_signing_key(std::string_view kid) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare(
      "SELECT kid, algorithm, state, encrypted_private_key, public_jwk, created_at, rotated_at "
      "FROM signing_keys WHERE kid = ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, kid);
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  if (!*row) {
    return not_found("no signing key with kid '" + std::string{kid} + "'");
  }
  return read_key(*stmt);
}

StoreResult<std::vector<SigningKey>> SqliteStore::list_signing_keys() {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare(
      "SELECT kid, algorithm, state, encrypted_private_key, public_jwk, created_at, rotated_at "
      "FROM signing_keys ORDER BY created_at, rowid");
  if (!stmt) {
    return fail(stmt.error());
  }
  std::vector<SigningKey> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return out;
    }
    auto key = read_key(*stmt);
    if (!key) {
      return fail(key.error());
    }
    out.push_back(std::move(key).value());
  }
}

StoreResult<Ok> SqliteStore::rotate_signing_keys(jose::Algorithm algorithm,
                                                 const SigningKey& new_next, Timestamp now) {
  if (new_next.algorithm != algorithm) {
    return invalid("the new next key is " + std::string{jose::to_string(new_next.algorithm)} +
                   ", not " + std::string{jose::to_string(algorithm)});
  }
  const std::string alg{jose::to_string(algorithm)};
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  std::string next_kid;
  {
    auto stmt = db_.prepare("SELECT kid FROM signing_keys WHERE algorithm = ?1 AND state = 'next'");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, alg);
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return not_found("there is no next " + alg + " key to rotate to");
    }
    next_kid = stmt->column_text(0);
  }
  // Order matters: the unique indexes allow one current and one next per algorithm at every
  // step, not only at commit.
  {
    auto stmt = db_.prepare(
        "UPDATE signing_keys SET state = 'previous', rotated_at = ?2 "
        "WHERE algorithm = ?1 AND state = 'current'");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, alg).integer(2, unix_seconds(now));
    if (auto r = stmt->run(); !r) {
      return r;
    }
  }
  {
    auto stmt =
        db_.prepare("UPDATE signing_keys SET state = 'current', rotated_at = ?2 WHERE kid = ?1");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, next_kid).integer(2, unix_seconds(now));
    if (auto r = stmt->run(); !r) {
      return r;
    }
  }
  SigningKey next = new_next;
  next.rotated_at.reset();
  if (auto r = insert_key(db_, next, SigningKeyState::kNext); !r) {
    return r;
  }
  return tx->commit();
}

StoreResult<Ok> SqliteStore::revoke_signing_key(std::string_view kid, Timestamp now) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  std::string state;
  {
    auto stmt = db_.prepare("SELECT state FROM signing_keys WHERE kid = ?1");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, kid);
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return not_found("no signing key with kid '" + std::string{kid} + "'");
    }
    state = stmt->column_text(0);
  }
  if (state != "previous") {
    return invalid("signing key '" + std::string{kid} + "' is " + state +
                   "; only a previous key can be revoked (rotate first)");
  }
  auto stmt =
      db_.prepare("UPDATE signing_keys SET state = 'revoked', rotated_at = ?2 WHERE kid = ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, kid).integer(2, unix_seconds(now));
  if (auto r = stmt->run(); !r) {
    return r;
  }
  return tx->commit();
}

// --- refresh tokens

StoreResult<Ok> SqliteStore::insert_refresh_token(const RefreshToken& token) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  if (auto r = insert_refresh(db_, token); !r) {
    return r;
  }
  return tx->commit();
}

StoreResult<RefreshToken> SqliteStore::find_refresh_token(std::string_view token_hash) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare(
      "SELECT id, token_hash, family_id, client_id, user_id, audience, scopes, created_at, "
      "expires_at, rotated_at, revoked, successor_sealed FROM refresh_tokens "
      "WHERE token_hash = ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->blob(1, token_hash);
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  if (!*row) {
    return not_found("no refresh token with this hash");  // never echo the hash
  }
  return read_refresh(*stmt);
}

StoreResult<Ok> SqliteStore::rotate_refresh_token(std::string_view old_id,
                                                  const RefreshToken& replacement,
                                                  std::string_view successor_sealed,
                                                  PreciseTimestamp now) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  {
    auto stmt = db_.prepare(
        "SELECT family_id, rotated_at IS NOT NULL OR revoked FROM refresh_tokens WHERE id = ?1");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, old_id);
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return not_found("no refresh token with id '" + std::string{old_id} + "'");
    }
    if (stmt->column_text(0) != replacement.family_id) {
      return invalid("a rotated refresh token's replacement must stay in its family");
    }
    if (stmt->column_integer(1) != 0) {
      return conflict("refresh token '" + std::string{old_id} + "' was already rotated or revoked");
    }
  }
  {
    auto stmt = db_.prepare(
        "UPDATE refresh_tokens SET rotated_at = ?2, successor_sealed = ?3 WHERE id = ?1");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, old_id).integer(2, now.time_since_epoch().count()).blob(3, successor_sealed);
    if (auto r = stmt->run(); !r) {
      return r;
    }
  }
  if (auto r = insert_refresh(db_, replacement); !r) {
    return r;
  }
  {
    // The newest rotated tokens stay for reuse detection; older ones go (store.h).
    auto stmt = db_.prepare(
        "DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens "
        "WHERE family_id = ?1 AND rotated_at IS NOT NULL ORDER BY rotated_at DESC, id "
        "LIMIT -1 OFFSET ?2)");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, replacement.family_id).integer(2, kMaxRotatedRefreshTokensPerFamily);
    if (auto r = stmt->run(); !r) {
      return r;
    }
  }
  return tx->commit();
}

StoreResult<std::int64_t> SqliteStore::revoke_refresh_token_family(std::string_view family_id) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto stmt =
      db_.prepare("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?1 AND revoked = 0");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, family_id);
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  const std::int64_t n = db_.changes();
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return n;
}

StoreResult<std::int64_t> SqliteStore::revoke_user_refresh_tokens(std::string_view user_id) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  {
    auto exists = db_.prepare("SELECT 1 FROM users WHERE id = ?1");
    if (!exists) {
      return fail(exists.error());
    }
    exists->text(1, user_id);
    auto row = exists->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return not_found("no user with id '" + std::string{user_id} + "'");
    }
  }
  auto stmt =
      db_.prepare("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1 AND revoked = 0");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, user_id);
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  const std::int64_t n = db_.changes();
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return n;
}

StoreResult<std::int64_t> SqliteStore::delete_expired_refresh_tokens(Timestamp now) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto stmt = db_.prepare("DELETE FROM refresh_tokens WHERE expires_at < ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->integer(1, unix_seconds(now));
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  const std::int64_t n = db_.changes();
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return n;
}

StoreResult<std::int64_t> SqliteStore::delete_stale_failed_logins(Timestamp older_than,
                                                                  Timestamp now) {
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto stmt = db_.prepare(
      "DELETE FROM failed_logins WHERE first_failure_at < ?1 "
      "AND (blocked_until IS NULL OR blocked_until <= ?2)");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->integer(1, unix_seconds(older_than)).integer(2, unix_seconds(now));
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  const std::int64_t n = db_.changes();
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return n;
}

// --- failed logins

StoreResult<FailedLoginCounter> SqliteStore::record_failed_login(const FailedLoginKey& key,
                                                                 Timestamp now,
                                                                 const LockoutPolicy& policy) {
  if (auto r = validate_failed_login(key, policy); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  FailedLoginCounter counter;
  {
    // One statement, so concurrent failures from other processes cannot lose a count. SET
    // expressions all see the row as it was: a block that has run out starts a fresh count.
    auto stmt = db_.prepare(
        "INSERT INTO failed_logins (kind, subject, address, count, first_failure_at, "
        "blocked_until) VALUES (?1, ?2, ?3, 1, ?4, CASE WHEN ?5 <= 1 THEN ?6 END) "
        "ON CONFLICT (kind, subject, address) DO UPDATE SET "
        "count = CASE WHEN blocked_until <= ?4 THEN 1 ELSE count + 1 END, "
        "first_failure_at = CASE WHEN blocked_until <= ?4 THEN ?4 ELSE first_failure_at END, "
        "blocked_until = CASE "
        "  WHEN blocked_until <= ?4 THEN CASE WHEN ?5 <= 1 THEN ?6 END "
        "  WHEN blocked_until IS NOT NULL THEN blocked_until "
        "  WHEN count + 1 >= ?5 THEN ?6 END "
        "RETURNING count, first_failure_at, blocked_until");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, to_string(key.kind))
        .text(2, key.subject)
        .text(3, key.address)
        .integer(4, unix_seconds(now))
        .integer(5, policy.max_failures)
        .integer(6, unix_seconds(now + policy.block_for));
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return fail(StoreError{StoreErrorCode::kInternal, "failed-login upsert returned no row"});
    }
    counter = read_counter(*stmt, 0);
    if (auto r = stmt->run(); !r) {
      return fail(r.error());
    }
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return counter;
}

StoreResult<FailedLoginCounter> SqliteStore::get_failed_logins(const FailedLoginKey& key) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare(
      "SELECT count, first_failure_at, blocked_until FROM failed_logins "
      "WHERE kind = ?1 AND subject = ?2 AND address = ?3");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(key.kind)).text(2, key.subject).text(3, key.address);
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  if (!*row) {
    return FailedLoginCounter{};
  }
  return read_counter(*stmt, 0);
}

StoreResult<std::vector<AddressFailedLogins>> SqliteStore::list_failed_logins(
    FailedLoginSubject kind, std::string_view subject) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare(
      "SELECT address, count, first_failure_at, blocked_until FROM failed_logins "
      "WHERE kind = ?1 AND subject = ?2 ORDER BY address");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(kind)).text(2, subject);
  std::vector<AddressFailedLogins> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return out;
    }
    out.push_back(AddressFailedLogins{stmt->column_text(0), read_counter(*stmt, 1)});
  }
}

StoreResult<Ok> SqliteStore::reset_failed_logins(const FailedLoginKey& key) {
  std::lock_guard lock(mu_);
  auto stmt =
      db_.prepare("DELETE FROM failed_logins WHERE kind = ?1 AND subject = ?2 AND address = ?3");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(key.kind)).text(2, key.subject).text(3, key.address);
  return stmt->run();  // one statement: SQLite commits it on its own
}

StoreResult<std::int64_t> SqliteStore::reset_all_failed_logins(FailedLoginSubject kind,
                                                               std::string_view subject) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare("DELETE FROM failed_logins WHERE kind = ?1 AND subject = ?2");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(kind)).text(2, subject);
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  return db_.changes();
}

StoreResult<std::vector<FailedLoginRecord>> SqliteStore::recent_failed_logins(std::int64_t limit) {
  SIGNET_STORE_TRY(validate_limit(limit));
  std::lock_guard lock(mu_);
  // Blocked counters before unblocked ones of the same second (NULL sorts last descending); the
  // key last, so that equal times still list in one stable order.
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db_.prepare("SELECT kind, subject, address, count, first_failure_at, blocked_until "
                        "FROM failed_logins ORDER BY first_failure_at DESC, blocked_until DESC, "
                        "kind, subject, address LIMIT ?1"));
  stmt.integer(1, limit);
  return read_rows<FailedLoginRecord>(
      stmt, [](const Statement& row) -> StoreResult<FailedLoginRecord> {
        const auto kind = parse_failed_login_subject(row.column_text(0));
        if (!kind) {
          return corrupt("a failed-login counter has the unknown kind '" + row.column_text(0) +
                         "'");
        }
        return FailedLoginRecord{FailedLoginKey{*kind, row.column_text(1), row.column_text(2)},
                                 read_counter(row, 3)};
      });
}

}  // namespace signet::store

namespace signet::store {

StoreResult<FailedLoginCounter> SqliteStore::record_account_failure(
    FailedLoginSubject kind, std::string_view subject, Timestamp now,
    const AccountDelayPolicy& policy) {
  const FailedLoginKey key{kind, std::string(subject), std::string(kAnyAddress)};
  if (auto r = validate_failed_login(key, LockoutPolicy{}); !r) {
    return fail(r.error());
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  FailedLoginCounter counter;
  {
    // One statement counts, so concurrent failures from other processes cannot lose a count.
    auto stmt = db_.prepare(
        "INSERT INTO failed_logins (kind, subject, address, count, first_failure_at) "
        "VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT (kind, subject, address) DO UPDATE SET "
        "count = count + 1 RETURNING count, first_failure_at");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, to_string(kind))
        .text(2, subject)
        .text(3, kAnyAddress)
        .integer(4, unix_seconds(now));
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return fail(StoreError{StoreErrorCode::kInternal, "account failure upsert returned no row"});
    }
    counter.count = static_cast<int>(stmt->column_integer(0));
    counter.first_failure_at = timestamp(stmt->column_integer(1));
    if (auto r = stmt->run(); !r) {
      return fail(r.error());
    }
  }
  const auto delay = policy.delay(counter.count);
  if (delay.count() > 0) {
    counter.blocked_until = now + delay;
  }
  {
    auto stmt = db_.prepare(
        "UPDATE failed_logins SET blocked_until = ?4 WHERE kind = ?1 AND subject = ?2 AND "
        "address = ?3");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, to_string(kind))
        .text(2, subject)
        .text(3, kAnyAddress)
        .optional_integer(4, unix_seconds(counter.blocked_until));
    if (auto r = stmt->run(); !r) {
      return fail(r.error());
    }
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return counter;
}

StoreResult<std::int64_t> SqliteStore::count_failed_login_subjects(FailedLoginSubject kind,
                                                                   std::string_view address) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare("SELECT count(*) FROM failed_logins WHERE kind = ?1 AND address = ?2");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(kind)).text(2, address);
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  return *row ? stmt->column_integer(0) : std::int64_t{0};
}

StoreResult<Ok> SqliteStore::record_sign_in_address(std::string_view user_id,
                                                    std::string_view address, Timestamp now) {
  if (auto r = validate_key("address", address); !r) {
    return r;
  }
  std::lock_guard lock(mu_);
  auto tx = Transaction::begin(db_, Transaction::Mode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  {
    auto stmt = db_.prepare(
        "INSERT INTO sign_in_addresses (user_id, address, last_sign_in_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (user_id, address) DO UPDATE SET last_sign_in_at = ?3");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, user_id).text(2, address).integer(3, unix_seconds(now));
    if (auto r = stmt->run(); !r) {
      if (r.error().code == StoreErrorCode::kInvalid) {
        return not_found("no user with id '" + std::string{user_id} + "'");
      }
      return r;
    }
  }
  {
    auto stmt = db_.prepare(
        "DELETE FROM sign_in_addresses WHERE user_id = ?1 AND address IN (SELECT address FROM "
        "sign_in_addresses WHERE user_id = ?1 ORDER BY last_sign_in_at DESC, address "
        "LIMIT -1 OFFSET ?2)");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, user_id).integer(2, kMaxSignInAddressesPerUser);
    if (auto r = stmt->run(); !r) {
      return r;
    }
  }
  return tx->commit();
}

StoreResult<std::vector<SignInRecord>> SqliteStore::recent_sign_ins(std::int64_t limit) {
  SIGNET_STORE_TRY(validate_limit(limit));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db_.prepare("SELECT user_id, address, last_sign_in_at FROM sign_in_addresses "
                        "ORDER BY last_sign_in_at DESC, user_id, address LIMIT ?1"));
  stmt.integer(1, limit);
  return read_rows<SignInRecord>(stmt, [](const Statement& row) {
    return SignInRecord{row.column_text(0), row.column_text(1), timestamp(row.column_integer(2))};
  });
}

StoreResult<bool> SqliteStore::signed_in_from(std::string_view user_id, std::string_view address,
                                              Timestamp since) {
  std::lock_guard lock(mu_);
  auto stmt = db_.prepare(
      "SELECT 1 FROM sign_in_addresses WHERE user_id = ?1 AND address = ?2 AND "
      "last_sign_in_at >= ?3");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, user_id).text(2, address).integer(3, unix_seconds(since));
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  return *row;
}

// --- sign-in: authorization codes, browser sessions, client assertions

StoreResult<Ok> SqliteStore::insert_authorization_code(const AuthorizationCode& code) {
  SIGNET_STORE_TRY(validate_authorization_code(code));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db_, Transaction::Mode::kWrite));
  SIGNET_STORE_TRY_ASSIGN(client,
                          exists(db_, "SELECT 1 FROM applications WHERE client_id = ?1",
                                 code.client_id));
  if (!client) {
    return not_found("no application with client_id '" + code.client_id + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(user, exists(db_, "SELECT 1 FROM users WHERE id = ?1", code.user_id));
  if (!user) {
    return not_found("no user with id '" + code.user_id + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db_.prepare("INSERT INTO authorization_codes (code_hash, client_id, user_id, "
                        "redirect_uri, code_challenge, audience, scopes, nonce, "
                        "refresh_family_id, auth_time, created_at, expires_at, used_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
  stmt.blob(1, code.code_hash)
      .text(2, code.client_id)
      .text(3, code.user_id)
      .text(4, code.redirect_uri)
      .text(5, code.code_challenge)
      .text(6, code.audience)
      .text(7, join(code.scopes))
      .text(8, code.nonce)
      .text(9, code.refresh_family_id)
      .integer(10, unix_seconds(code.auth_time))
      .integer(11, unix_seconds(code.created_at))
      .integer(12, unix_seconds(code.expires_at))
      .optional_integer(13, unix_seconds(code.used_at));
  if (auto r = stmt.run(); !r) {
    if (r.error().code == StoreErrorCode::kConflict) {
      return conflict("an authorization code with this hash already exists");
    }
    return fail(r.error());
  }
  SIGNET_STORE_TRY(tx.commit());
  return Ok{};
}

StoreResult<AuthorizationCode> SqliteStore::redeem_authorization_code(std::string_view code_hash,
                                                                      Timestamp now) {
  SIGNET_STORE_TRY(validate_key("code hash", code_hash));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db_, Transaction::Mode::kWrite));
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db_.prepare("SELECT code_hash, client_id, user_id, redirect_uri, code_challenge, "
                        "audience, scopes, nonce, refresh_family_id, auth_time, created_at, "
                        "expires_at, used_at FROM authorization_codes WHERE code_hash = ?1"));
  stmt.blob(1, code_hash);
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return not_found("no such authorization code");
  }
  AuthorizationCode code;
  code.code_hash = stmt.column_blob(0);
  code.client_id = stmt.column_text(1);
  code.user_id = stmt.column_text(2);
  code.redirect_uri = stmt.column_text(3);
  code.code_challenge = stmt.column_text(4);
  code.audience = stmt.column_text(5);
  code.scopes = split(stmt.column_text(6));
  code.nonce = stmt.column_text(7);
  code.refresh_family_id = stmt.column_text(8);
  code.auth_time = timestamp(stmt.column_integer(9));
  code.created_at = timestamp(stmt.column_integer(10));
  code.expires_at = timestamp(stmt.column_integer(11));
  code.used_at = timestamp(stmt.column_optional_integer(12));
  if (!code.used_at) {
    SIGNET_STORE_TRY_ASSIGN(
        mark, db_.prepare("UPDATE authorization_codes SET used_at = ?2 WHERE code_hash = ?1"));
    mark.blob(1, code_hash).integer(2, unix_seconds(now));
    SIGNET_STORE_TRY(mark.run());
  }
  SIGNET_STORE_TRY(tx.commit());
  return code;
}

StoreResult<std::int64_t> SqliteStore::delete_expired_authorization_codes(Timestamp before) {
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(stmt,
                          db_.prepare("DELETE FROM authorization_codes WHERE expires_at < ?1"));
  stmt.integer(1, unix_seconds(before));
  SIGNET_STORE_TRY(stmt.run());
  return db_.changes();
}

namespace {

BrowserSession read_browser_session(const Statement& s) {
  BrowserSession out;
  out.id_hash = s.column_blob(0);
  out.user_id = s.column_text(1);
  out.auth_time = timestamp(s.column_integer(2));
  out.last_seen_at = timestamp(s.column_integer(3));
  out.expires_at = timestamp(s.column_integer(4));
  return out;
}

}  // namespace

StoreResult<Ok> SqliteStore::create_browser_session(const BrowserSession& session) {
  SIGNET_STORE_TRY(validate_browser_session(session));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db_, Transaction::Mode::kWrite));
  SIGNET_STORE_TRY_ASSIGN(user,
                          exists(db_, "SELECT 1 FROM users WHERE id = ?1", session.user_id));
  if (!user) {
    return not_found("no user with id '" + session.user_id + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db_.prepare("INSERT INTO browser_sessions (id_hash, user_id, auth_time, "
                        "last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
  stmt.blob(1, session.id_hash)
      .text(2, session.user_id)
      .integer(3, unix_seconds(session.auth_time))
      .integer(4, unix_seconds(session.last_seen_at))
      .integer(5, unix_seconds(session.expires_at));
  if (auto r = stmt.run(); !r) {
    if (r.error().code == StoreErrorCode::kConflict) {
      return conflict("a browser session with this id already exists");
    }
    return fail(r.error());
  }
  SIGNET_STORE_TRY(tx.commit());
  return Ok{};
}

StoreResult<BrowserSession> SqliteStore::get_browser_session(std::string_view id_hash) {
  SIGNET_STORE_TRY(validate_key("session id hash", id_hash));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db_.prepare("SELECT id_hash, user_id, auth_time, last_seen_at, expires_at "
                        "FROM browser_sessions WHERE id_hash = ?1"));
  stmt.blob(1, id_hash);
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return not_found("no such browser session");
  }
  return read_browser_session(stmt);
}

StoreResult<Ok> SqliteStore::touch_browser_session(std::string_view id_hash, Timestamp now) {
  SIGNET_STORE_TRY(validate_key("session id hash", id_hash));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db_.prepare("UPDATE browser_sessions SET last_seen_at = max(last_seen_at, ?2) "
                        "WHERE id_hash = ?1"));
  stmt.blob(1, id_hash).integer(2, unix_seconds(now));
  SIGNET_STORE_TRY(stmt.run());
  if (db_.changes() == 0) {
    return not_found("no such browser session");
  }
  return Ok{};
}

StoreResult<Ok> SqliteStore::delete_browser_session(std::string_view id_hash) {
  SIGNET_STORE_TRY(validate_key("session id hash", id_hash));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(stmt, db_.prepare("DELETE FROM browser_sessions WHERE id_hash = ?1"));
  stmt.blob(1, id_hash);
  SIGNET_STORE_TRY(stmt.run());
  return Ok{};
}

StoreResult<std::int64_t> SqliteStore::delete_user_browser_sessions(std::string_view user_id) {
  SIGNET_STORE_TRY(validate_key("user id", user_id));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(stmt, db_.prepare("DELETE FROM browser_sessions WHERE user_id = ?1"));
  stmt.text(1, user_id);
  SIGNET_STORE_TRY(stmt.run());
  return db_.changes();
}

StoreResult<std::vector<BrowserSession>> SqliteStore::list_user_browser_sessions(
    std::string_view user_id) {
  SIGNET_STORE_TRY(validate_key("user id", user_id));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db_.prepare("SELECT id_hash, user_id, auth_time, last_seen_at, expires_at "
                        "FROM browser_sessions WHERE user_id = ?1 ORDER BY auth_time, rowid"));
  stmt.text(1, user_id);
  return read_rows<BrowserSession>(stmt, read_browser_session);
}

StoreResult<std::int64_t> SqliteStore::delete_expired_browser_sessions(Timestamp now,
                                                                       Timestamp idle_before) {
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(stmt, db_.prepare("DELETE FROM browser_sessions WHERE expires_at <= ?1 "
                                            "OR last_seen_at < ?2"));
  stmt.integer(1, unix_seconds(now)).integer(2, unix_seconds(idle_before));
  SIGNET_STORE_TRY(stmt.run());
  return db_.changes();
}

StoreResult<bool> SqliteStore::record_client_assertion(std::string_view client_id,
                                                       std::string_view jti,
                                                       Timestamp expires_at, Timestamp now) {
  SIGNET_STORE_TRY(validate_key("client_id", client_id));
  SIGNET_STORE_TRY(validate_key("jti", jti));
  std::lock_guard lock(mu_);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db_, Transaction::Mode::kWrite));
  SIGNET_STORE_TRY_ASSIGN(forget,
                          db_.prepare("DELETE FROM client_assertions WHERE expires_at <= ?1"));
  forget.integer(1, unix_seconds(now));
  SIGNET_STORE_TRY(forget.run());
  SIGNET_STORE_TRY_ASSIGN(client,
                          exists(db_, "SELECT 1 FROM applications WHERE client_id = ?1", client_id));
  if (!client) {
    return not_found("no application with client_id '" + std::string{client_id} + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db_.prepare("INSERT INTO client_assertions (client_id, jti, expires_at) "
                        "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING"));
  stmt.text(1, client_id).text(2, jti).integer(3, unix_seconds(expires_at));
  SIGNET_STORE_TRY(stmt.run());
  const bool fresh = db_.changes() == 1;
  SIGNET_STORE_TRY(tx.commit());
  return fresh;
}

}  // namespace signet::store
