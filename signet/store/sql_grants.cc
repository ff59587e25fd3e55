#include "signet/store/sql_store.h"

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::detail::bump_grant_revision;
using sql::detail::check_revision;
using sql::detail::conflict;
using sql::detail::delete_one;
using sql::detail::exists;
using sql::detail::invalid;
using sql::detail::next_revision;
using sql::detail::not_found;
using sql::detail::read;
using sql::detail::read_one;
using sql::detail::read_page;
using sql::detail::read_rows;
using sql::detail::timestamp;
using sql::detail::unix_seconds;
using sql::detail::write;

// The columns a query reading a whole client grant selects, in read_grant's order.
#define SIGNET_GRANT_COLUMNS "id, client_id, audience, created_at, revision"

namespace {

StoreResult<std::vector<std::string>> load_grant_scopes(Connection& db, std::int64_t id) {
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT scope FROM client_grant_scopes "
                                           "WHERE grant_id = ?1 ORDER BY position"));
  stmt.integer(1, id);
  return read_rows<std::string>(stmt, [](const Statement& row) { return row.column_text(0); });
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
    SIGNET_STORE_TRY_ASSIGN(scopes, load_grant_scopes(db, g.id));
    g.scopes = std::move(scopes);
  }
  return Ok{};
}

// The one grant that `sql` (with its key bound by `bind`) selects, with its scopes; kNotFound
// with `missing` when there is none.
StoreResult<ClientGrant> load_one_grant(Connection& db, std::string_view sql,
                                        const std::function<void(Statement&)>& bind,
                                        std::string missing) {
  std::vector<ClientGrant> found;
  {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(sql));
    bind(stmt);
    SIGNET_STORE_TRY_ASSIGN(grant, read_one<ClientGrant>(stmt, read_grant, std::move(missing)));
    found.push_back(std::move(grant));
  }
  SIGNET_STORE_TRY(attach_scopes(db, found));
  return std::move(found.front());
}

StoreResult<ClientGrant> load_grant(Connection& db, std::int64_t id) {
  return load_one_grant(
      db, "SELECT " SIGNET_GRANT_COLUMNS " FROM client_grants WHERE id = ?1",
      [&](Statement& stmt) { stmt.integer(1, id); },
      "no client grant with id " + std::to_string(id));
}

// Replaces the grant's scopes. Each must be a permission of the grant's API: a typo such as
// "read:mesages" would otherwise grant nothing, silently.
StoreResult<Ok> store_grant_scopes(Connection& db, std::int64_t id, std::string_view audience,
                                   const std::vector<std::string>& scopes) {
  for (const auto& scope : scopes) {
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT 1 FROM api_permissions WHERE api = ?1 AND value = ?2"));
    stmt.text(1, audience).text(2, scope);
    SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
    if (!row) {
      return invalid("scope '" + scope + "' is not a permission of API '" + std::string{audience} +
                     "'");
    }
  }
  {
    SIGNET_STORE_TRY_ASSIGN(del, db.prepare("DELETE FROM client_grant_scopes WHERE grant_id = ?1"));
    del.integer(1, id);
    SIGNET_STORE_TRY(del.run());
  }
  std::int64_t position = 0;
  for (const auto& scope : scopes) {
    SIGNET_STORE_TRY_ASSIGN(ins, db.prepare("INSERT INTO client_grant_scopes (grant_id, api, "
                                            "scope, position) VALUES (?1, ?2, ?3, ?4)"));
    ins.integer(1, id).text(2, audience).text(3, scope).integer(4, position++);
    SIGNET_STORE_TRY(ins.run());
  }
  return Ok{};
}

}  // namespace

// --- client grants

StoreResult<ClientGrant> SqlStore::create_client_grant(const ClientGrant& grant) {
  SIGNET_STORE_TRY(validate_key("client_id", grant.client_id));
  SIGNET_STORE_TRY(validate_key("audience", grant.audience));
  SIGNET_STORE_TRY(validate_scopes(grant.scopes));
  return write(*db_, [&](Connection& db) -> StoreResult<ClientGrant> {
    SIGNET_STORE_TRY_ASSIGN(
        app, exists(db, "SELECT 1 FROM applications WHERE client_id = ?1", grant.client_id));
    if (!app) {
      return not_found("no application with client_id '" + grant.client_id + "'");
    }
    SIGNET_STORE_TRY_ASSIGN(api,
                            exists(db, "SELECT 1 FROM apis WHERE identifier = ?1", grant.audience));
    if (!api) {
      return not_found("no API with identifier '" + grant.audience + "'");
    }
    SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db));
    std::int64_t id = 0;
    {
      SIGNET_STORE_TRY_ASSIGN(
          stmt, db.prepare("INSERT INTO client_grants (client_id, audience, created_at, revision) "
                           "VALUES (?1, ?2, ?3, ?4) RETURNING id"));
      stmt.text(1, grant.client_id)
          .text(2, grant.audience)
          .integer(3, unix_seconds(grant.created_at))
          .integer(4, static_cast<std::int64_t>(revision));
      auto row = stmt.step();
      if (!row) {
        if (row.error().code == StoreErrorCode::kConflict) {
          return conflict("application '" + grant.client_id + "' already has a grant for API '" +
                          grant.audience + "'");
        }
        return fail(row.error());
      }
      if (!*row) {
        return fail(StoreError{StoreErrorCode::kInternal, "INSERT ... RETURNING gave no row"});
      }
      id = stmt.column_integer(0);
      SIGNET_STORE_TRY(stmt.run());  // the insert is complete only when the statement is done
    }
    SIGNET_STORE_TRY(store_grant_scopes(db, id, grant.audience, grant.scopes));
    return load_grant(db, id);
  });
}

StoreResult<ClientGrant> SqlStore::get_client_grant(std::int64_t id) {
  return read(*db_, [&](Connection& db) { return load_grant(db, id); });
}

StoreResult<ClientGrant> SqlStore::find_client_grant(std::string_view client_id,
                                                     std::string_view audience) {
  return read(*db_, [&](Connection& db) {
    return load_one_grant(
        db,
        "SELECT " SIGNET_GRANT_COLUMNS " FROM client_grants WHERE client_id = ?1 AND audience = ?2",
        [&](Statement& stmt) { stmt.text(1, client_id).text(2, audience); },
        "application '" + std::string{client_id} + "' has no grant for API '" +
            std::string{audience} + "'");
  });
}

StoreResult<std::vector<ClientGrant>> SqlStore::list_client_grants(
    std::optional<std::string_view> client_id) {
  return read(*db_, [&](Connection& db) -> StoreResult<std::vector<ClientGrant>> {
    std::vector<ClientGrant> out;
    {
      // One statement for both cases: a NULL parameter matches every client.
      SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT " SIGNET_GRANT_COLUMNS " FROM client_grants "
                                               "WHERE ?1 IS NULL OR client_id = ?1 ORDER BY id"));
      if (client_id) {
        stmt.text(1, *client_id);
      }
      SIGNET_STORE_TRY_ASSIGN(grants, read_rows<ClientGrant>(stmt, read_grant));
      out = std::move(grants);
    }
    SIGNET_STORE_TRY(attach_scopes(db, out));
    return out;
  });
}

StoreResult<Page<ClientGrant>> SqlStore::page_client_grants(
    const PageRequest& page, std::optional<std::string_view> client_id,
    std::optional<std::string_view> audience) {
  SIGNET_STORE_TRY(validate_page(page));
  return read(*db_, [&](Connection& db) -> StoreResult<Page<ClientGrant>> {
    // A NULL filter matches every grant. Ids only grow (AUTOINCREMENT): creation order.
    SIGNET_STORE_TRY_ASSIGN(
        out, read_page<ClientGrant>(
                 db, page,
                 "SELECT " SIGNET_GRANT_COLUMNS
                 " FROM client_grants WHERE (?3 IS NULL OR client_id = ?3) "
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
    SIGNET_STORE_TRY(attach_scopes(db, out.items));
    return out;
  });
}

StoreResult<ClientGrant> SqlStore::update_client_grant_scopes(
    std::int64_t id, const std::vector<std::string>& scopes, std::optional<Revision> if_revision) {
  SIGNET_STORE_TRY(validate_scopes(scopes));
  return write(*db_, [&](Connection& db) -> StoreResult<ClientGrant> {
    SIGNET_STORE_TRY_ASSIGN(grant, load_grant(db, id));
    SIGNET_STORE_TRY(
        check_revision("client grant " + std::to_string(id), grant.revision, if_revision));
    SIGNET_STORE_TRY(store_grant_scopes(db, id, grant.audience, scopes));
    SIGNET_STORE_TRY(bump_grant_revision(db, id));
    return load_grant(db, id);
  });
}

StoreResult<Ok> SqlStore::delete_client_grant(std::int64_t id) {
  return write(*db_, [&](Connection& db) {
    return delete_one(
        db, "DELETE FROM client_grants WHERE id = ?1",
        [&](Statement& stmt) { stmt.integer(1, id); },
        "no client grant with id " + std::to_string(id));
  });
}

}  // namespace signet::store
