#include "signet/store/sql_store.h"

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::detail::bump_grant_revision;
using sql::detail::claim_revision;
using sql::detail::corrupt;
using sql::detail::delete_one;
using sql::detail::next_revision;
using sql::detail::not_found;
using sql::detail::read;
using sql::detail::read_page;
using sql::detail::read_rows;
using sql::detail::run_unique;
using sql::detail::timestamp;
using sql::detail::unix_seconds;
using sql::detail::write;

// The columns a query reading a whole API selects, in read_api's order.
#define SIGNET_API_COLUMNS                                                                     \
  "identifier, name, signing_algorithm, token_lifetime, allow_offline_access, token_profile, " \
  "created_at, permissions_claim, revision, require_dpop"

namespace {

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
  api.require_dpop = s.column_integer(9) != 0;
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
  // The stored row's columns are named with the table: PostgreSQL finds a bare name ambiguous
  // between it and `excluded`.
  std::int64_t position = 0;
  for (const auto& p : api.permissions) {
    auto upsert = db.prepare(
        "INSERT INTO api_permissions (api, value, description, position) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (api, value) DO UPDATE SET description = excluded.description, "
        "position = excluded.position "
        "WHERE api_permissions.description IS DISTINCT FROM excluded.description "
        "OR api_permissions.position IS DISTINCT FROM excluded.position");
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

// The columns create and update share, bound to ?1..?7 (?1 is the key), the revision to ?8 and
// require_dpop to ?10; create adds created_at as ?9.
Statement& bind_api(Statement& stmt, const Api& api, Revision revision) {
  return stmt.integer(8, static_cast<std::int64_t>(revision))
      .text(1, api.identifier)
      .text(2, api.name)
      .text(3, jose::to_string(api.signing_algorithm))
      .integer(4, api.token_lifetime.count())
      .integer(5, api.allow_offline_access ? 1 : 0)
      .text(6, to_string(api.token_profile))
      .integer(7, api.permissions_claim ? 1 : 0)
      .integer(10, api.require_dpop ? 1 : 0);
}

}  // namespace

// --- APIs

StoreResult<Api> SqlStore::create_api(const Api& api) {
  SIGNET_STORE_TRY(validate_api(api));
  return write(*db_, [&](Connection& db) -> StoreResult<Api> {
    SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db));
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("INSERT INTO apis (identifier, name, signing_algorithm, token_lifetime, "
                         "allow_offline_access, token_profile, permissions_claim, revision, "
                         "created_at, require_dpop) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    bind_api(stmt, api, revision).integer(9, unix_seconds(api.created_at));
    SIGNET_STORE_TRY(
        run_unique(stmt, "an API with identifier '" + api.identifier + "' already exists"));
    SIGNET_STORE_TRY(store_permissions(db, api));
    return load_api(db, api.identifier);
  });
}

StoreResult<Api> SqlStore::get_api(std::string_view identifier) {
  return read(*db_, [&](Connection& db) { return load_api(db, identifier); });
}

StoreResult<std::vector<Api>> SqlStore::list_apis() {
  return read(*db_, [&](Connection& db) -> StoreResult<std::vector<Api>> {
    std::vector<Api> out;
    {
      SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT " SIGNET_API_COLUMNS
                                               " FROM apis ORDER BY created_at, identifier"));
      SIGNET_STORE_TRY_ASSIGN(apis, read_rows<Api>(stmt, read_api));
      out = std::move(apis);
    }
    for (auto& api : out) {
      SIGNET_STORE_TRY_ASSIGN(permissions, load_permissions(db, api.identifier));
      api.permissions = std::move(permissions);
    }
    return out;
  });
}

StoreResult<Page<Api>> SqlStore::page_apis(const PageRequest& page) {
  SIGNET_STORE_TRY(validate_page(page));
  return read(*db_, [&](Connection& db) -> StoreResult<Page<Api>> {
    SIGNET_STORE_TRY_ASSIGN(
        out,
        read_page<Api>(
            db, page, "SELECT " SIGNET_API_COLUMNS " FROM apis ORDER BY rowid LIMIT ?1 OFFSET ?2",
            "SELECT count(*) FROM apis", [](Statement&) {}, read_api));
    for (auto& api : out.items) {
      SIGNET_STORE_TRY_ASSIGN(permissions, load_permissions(db, api.identifier));
      api.permissions = std::move(permissions);
    }
    return out;
  });
}

StoreResult<Api> SqlStore::update_api(const Api& api, std::optional<Revision> if_revision) {
  SIGNET_STORE_TRY(validate_api(api));
  return write(*db_, [&](Connection& db) -> StoreResult<Api> {
    SIGNET_STORE_TRY_ASSIGN(
        revision, claim_revision(db, "SELECT revision FROM apis WHERE identifier = ?1",
                                 api.identifier, "API '" + api.identifier + "'",
                                 "no API with identifier '" + api.identifier + "'", if_revision));
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("UPDATE apis SET name = ?2, signing_algorithm = ?3, token_lifetime = ?4, "
                         "allow_offline_access = ?5, token_profile = ?6, permissions_claim = ?7, "
                         "revision = ?8, require_dpop = ?10 WHERE identifier = ?1"));
    bind_api(stmt, api, revision);
    SIGNET_STORE_TRY(stmt.run());
    SIGNET_STORE_TRY(store_permissions(db, api));
    return load_api(db, api.identifier);
  });
}

StoreResult<Ok> SqlStore::delete_api(std::string_view identifier) {
  return write(*db_, [&](Connection& db) {
    return delete_one(
        db, "DELETE FROM apis WHERE identifier = ?1",
        [&](Statement& stmt) { stmt.text(1, identifier); },
        "no API with identifier '" + std::string{identifier} + "'");
  });
}

}  // namespace signet::store
