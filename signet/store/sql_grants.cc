#include "signet/store/sql_store.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::Transaction;
using sql::TransactionMode;
using sql::detail::bump_grant_revision;
using sql::detail::check_revision;
using sql::detail::conflict;
using sql::detail::delete_one;
using sql::detail::exists;
using sql::detail::invalid;
using sql::detail::next_revision;
using sql::detail::not_found;
using sql::detail::read_page;
using sql::detail::timestamp;
using sql::detail::unix_seconds;

// The columns a query reading a whole client grant selects, in read_grant's order.
#define SIGNET_GRANT_COLUMNS "id, client_id, audience, created_at, revision"

namespace {

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

}  // namespace

// --- client grants

StoreResult<ClientGrant> SqlStore::create_client_grant(const ClientGrant& grant) {
  if (auto r = validate_key("client_id", grant.client_id); !r) {
    return fail(r.error());
  }
  if (auto r = validate_key("audience", grant.audience); !r) {
    return fail(r.error());
  }
  if (auto r = validate_scopes(grant.scopes); !r) {
    return fail(r.error());
  }
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto app = exists(db, "SELECT 1 FROM applications WHERE client_id = ?1", grant.client_id);
  if (!app) {
    return fail(app.error());
  }
  if (!*app) {
    return not_found("no application with client_id '" + grant.client_id + "'");
  }
  auto api = exists(db, "SELECT 1 FROM apis WHERE identifier = ?1", grant.audience);
  if (!api) {
    return fail(api.error());
  }
  if (!*api) {
    return not_found("no API with identifier '" + grant.audience + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db));
  std::int64_t id = 0;
  {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("INSERT INTO client_grants (client_id, audience, "
                                             "created_at, revision) VALUES (?1, ?2, ?3, ?4) "
                                             "RETURNING id"));
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
  if (auto r = store_grant_scopes(db, id, grant.audience, grant.scopes); !r) {
    return fail(r.error());
  }
  auto stored = load_grant(db, id);
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<ClientGrant> SqlStore::get_client_grant(std::int64_t id) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  return load_grant(db, id);
}

StoreResult<ClientGrant> SqlStore::find_client_grant(std::string_view client_id,
                                                     std::string_view audience) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  std::vector<ClientGrant> found;
  {
    auto stmt = db.prepare("SELECT " SIGNET_GRANT_COLUMNS
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
  if (auto r = attach_scopes(db, found); !r) {
    return fail(r.error());
  }
  return std::move(found.front());
}

StoreResult<std::vector<ClientGrant>> SqlStore::list_client_grants(
    std::optional<std::string_view> client_id) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kRead);
  if (!tx) {
    return fail(tx.error());
  }
  std::vector<ClientGrant> out;
  {
    // One statement for both cases: a NULL parameter matches every client.
    auto stmt = db.prepare("SELECT " SIGNET_GRANT_COLUMNS
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
  if (auto r = attach_scopes(db, out); !r) {
    return fail(r.error());
  }
  return out;
}

StoreResult<Page<ClientGrant>> SqlStore::page_client_grants(
    const PageRequest& page, std::optional<std::string_view> client_id,
    std::optional<std::string_view> audience) {
  SIGNET_STORE_TRY(validate_page(page));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db, TransactionMode::kRead));
  // A NULL filter matches every grant. Ids only grow (AUTOINCREMENT): creation order.
  SIGNET_STORE_TRY_ASSIGN(
      out,
      read_page<ClientGrant>(
          db, page,
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
  SIGNET_STORE_TRY(attach_scopes(db, out.items));
  return out;
}

StoreResult<ClientGrant> SqlStore::update_client_grant_scopes(
    std::int64_t id, const std::vector<std::string>& scopes, std::optional<Revision> if_revision) {
  if (auto r = validate_scopes(scopes); !r) {
    return fail(r.error());
  }
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto grant = load_grant(db, id);
  if (!grant) {
    return grant;
  }
  SIGNET_STORE_TRY(
      check_revision("client grant " + std::to_string(id), grant->revision, if_revision));
  SIGNET_STORE_TRY(store_grant_scopes(db, id, grant->audience, scopes));
  SIGNET_STORE_TRY(bump_grant_revision(db, id));
  auto stored = load_grant(db, id);
  if (!stored) {
    return stored;
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return stored;
}

StoreResult<Ok> SqlStore::delete_client_grant(std::int64_t id) {
  SIGNET_STORE_LEASE(db);
  return delete_one(
      db, "DELETE FROM client_grants WHERE id = ?1", [&](Statement& stmt) { stmt.integer(1, id); },
      "no client grant with id " + std::to_string(id));
}

}  // namespace signet::store
