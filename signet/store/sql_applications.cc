#include "signet/store/sql_store.h"

#include <string>
#include <utility>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::detail::claim_revision;
using sql::detail::corrupt;
using sql::detail::delete_one;
using sql::detail::join;
using sql::detail::kLineSeparator;
using sql::detail::next_revision;
using sql::detail::not_found;
using sql::detail::read;
using sql::detail::read_one;
using sql::detail::read_page;
using sql::detail::read_rows;
using sql::detail::run_unique;
using sql::detail::split;
using sql::detail::timestamp;
using sql::detail::unix_seconds;
using sql::detail::write;

// The columns a query reading a whole application selects, in read_application's order.
#define SIGNET_APPLICATION_COLUMNS                                                        \
  "client_id, name, app_type, grant_types, auth_method, client_secret_hash, created_at, " \
  "revision, callbacks, allowed_logout_urls, web_origins, jwks, jwks_uri, "               \
  "dpop_bound_access_tokens"

namespace {

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
  app.callbacks = split(s.column_text(8), kLineSeparator);
  app.allowed_logout_urls = split(s.column_text(9), kLineSeparator);
  app.web_origins = split(s.column_text(10), kLineSeparator);
  app.jwks = s.column_text(11);
  app.jwks_uri = s.column_text(12);
  app.dpop_bound_access_tokens = s.column_integer(13) != 0;
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
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT " SIGNET_APPLICATION_COLUMNS
                                           " FROM applications WHERE client_id = ?1"));
  stmt.text(1, client_id);
  return read_one<Application>(stmt, read_application,
                               "no application with client_id '" + std::string{client_id} + "'");
}

// The value the pre-version-6 column (schema.cc) accepts for a method.
std::string_view legacy_auth_method(TokenEndpointAuthMethod m) {
  switch (m) {
    case TokenEndpointAuthMethod::kClientSecretBasic:
    case TokenEndpointAuthMethod::kNone:
      return to_string(m);
    default:
      return "client_secret_post";
  }
}

// ?1..?6, the revision as ?7, and ?9..?15; create adds created_at as ?8.
Statement& bind_application(Statement& stmt, const Application& app, Revision revision) {
  return stmt.integer(7, static_cast<std::int64_t>(revision))
      .text(1, app.client_id)
      .text(2, app.name)
      .text(3, to_string(app.type))
      .text(4, join_grant_types(app.grant_types))
      .text(5, to_string(app.token_endpoint_auth_method))
      .blob(6, app.client_secret_hash)
      .text(9, legacy_auth_method(app.token_endpoint_auth_method))
      .text(10, join(app.callbacks, kLineSeparator))
      .text(11, join(app.allowed_logout_urls, kLineSeparator))
      .text(12, join(app.web_origins, kLineSeparator))
      .text(13, app.jwks)
      .text(14, app.jwks_uri)
      .integer(15, app.dpop_bound_access_tokens ? 1 : 0);
}

}  // namespace

// --- applications

StoreResult<Application> SqlStore::create_application(const Application& app) {
  SIGNET_STORE_TRY(validate_application(app));
  return write(*db_, [&](Connection& db) -> StoreResult<Application> {
    SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db));
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("INSERT INTO applications (client_id, name, app_type, grant_types, "
                         "auth_method, client_secret_hash, revision, created_at, "
                         "token_endpoint_auth_method, callbacks, allowed_logout_urls, web_origins, "
                         "jwks, jwks_uri, dpop_bound_access_tokens) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                         "?15)"));
    bind_application(stmt, app, revision).integer(8, unix_seconds(app.created_at));
    SIGNET_STORE_TRY(
        run_unique(stmt, "an application with client_id '" + app.client_id + "' already exists"));
    return load_application(db, app.client_id);
  });
}

StoreResult<Application> SqlStore::get_application(std::string_view client_id) {
  return read(*db_, [&](Connection& db) { return load_application(db, client_id); });
}

StoreResult<std::vector<Application>> SqlStore::list_applications() {
  return read(*db_, [&](Connection& db) -> StoreResult<std::vector<Application>> {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT " SIGNET_APPLICATION_COLUMNS
                                             " FROM applications ORDER BY created_at, client_id"));
    return read_rows<Application>(stmt, read_application);
  });
}

StoreResult<Page<Application>> SqlStore::page_applications(const PageRequest& page) {
  SIGNET_STORE_TRY(validate_page(page));
  return read(*db_, [&](Connection& db) {
    return read_page<Application>(
        db, page,
        "SELECT " SIGNET_APPLICATION_COLUMNS " FROM applications ORDER BY rowid LIMIT ?1 OFFSET ?2",
        "SELECT count(*) FROM applications", [](Statement&) {}, read_application);
  });
}

StoreResult<Application> SqlStore::update_application(const Application& app,
                                                      std::optional<Revision> if_revision) {
  SIGNET_STORE_TRY(validate_application(app));
  return write(*db_, [&](Connection& db) -> StoreResult<Application> {
    SIGNET_STORE_TRY_ASSIGN(
        revision,
        claim_revision(db, "SELECT revision FROM applications WHERE client_id = ?1", app.client_id,
                       "application '" + app.client_id + "'",
                       "no application with client_id '" + app.client_id + "'", if_revision));
    SIGNET_STORE_TRY_ASSIGN(
        stmt,
        db.prepare("UPDATE applications SET name = ?2, app_type = ?3, grant_types = ?4, "
                   "auth_method = ?5, client_secret_hash = ?6, revision = ?7, "
                   "token_endpoint_auth_method = ?9, callbacks = ?10, "
                   "allowed_logout_urls = ?11, web_origins = ?12, jwks = ?13, jwks_uri = ?14, "
                   "dpop_bound_access_tokens = ?15 WHERE client_id = ?1"));
    bind_application(stmt, app, revision);
    SIGNET_STORE_TRY(stmt.run());
    return load_application(db, app.client_id);
  });
}

StoreResult<Ok> SqlStore::delete_application(std::string_view client_id) {
  return write(*db_, [&](Connection& db) {
    return delete_one(
        db, "DELETE FROM applications WHERE client_id = ?1",
        [&](Statement& stmt) { stmt.text(1, client_id); },
        "no application with client_id '" + std::string{client_id} + "'");
  });
}

}  // namespace signet::store
