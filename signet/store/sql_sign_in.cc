#include "signet/store/sql_store.h"

#include <cstdint>
#include <string>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Statement;
using sql::Transaction;
using sql::TransactionMode;
using sql::detail::conflict;
using sql::detail::exists;
using sql::detail::join;
using sql::detail::not_found;
using sql::detail::read_rows;
using sql::detail::split;
using sql::detail::timestamp;
using sql::detail::unix_seconds;

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

// --- sign-in: authorization codes, browser sessions, client assertions

StoreResult<Ok> SqlStore::insert_authorization_code(const AuthorizationCode& code) {
  SIGNET_STORE_TRY(validate_authorization_code(code));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db, TransactionMode::kWrite));
  SIGNET_STORE_TRY_ASSIGN(
      client, exists(db, "SELECT 1 FROM applications WHERE client_id = ?1", code.client_id));
  if (!client) {
    return not_found("no application with client_id '" + code.client_id + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(user, exists(db, "SELECT 1 FROM users WHERE id = ?1", code.user_id));
  if (!user) {
    return not_found("no user with id '" + code.user_id + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("INSERT INTO authorization_codes (code_hash, client_id, user_id, "
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

StoreResult<AuthorizationCode> SqlStore::redeem_authorization_code(std::string_view code_hash,
                                                                   Timestamp now) {
  SIGNET_STORE_TRY(validate_key("code hash", code_hash));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db, TransactionMode::kWrite));
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("SELECT code_hash, client_id, user_id, redirect_uri, code_challenge, "
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
        mark, db.prepare("UPDATE authorization_codes SET used_at = ?2 WHERE code_hash = ?1"));
    mark.blob(1, code_hash).integer(2, unix_seconds(now));
    SIGNET_STORE_TRY(mark.run());
  }
  SIGNET_STORE_TRY(tx.commit());
  return code;
}

StoreResult<std::int64_t> SqlStore::delete_expired_authorization_codes(Timestamp before) {
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(stmt,
                          db.prepare("DELETE FROM authorization_codes WHERE expires_at < ?1"));
  stmt.integer(1, unix_seconds(before));
  SIGNET_STORE_TRY(stmt.run());
  return db.changes();
}

StoreResult<Ok> SqlStore::create_browser_session(const BrowserSession& session) {
  SIGNET_STORE_TRY(validate_browser_session(session));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db, TransactionMode::kWrite));
  SIGNET_STORE_TRY_ASSIGN(user, exists(db, "SELECT 1 FROM users WHERE id = ?1", session.user_id));
  if (!user) {
    return not_found("no user with id '" + session.user_id + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(stmt,
                          db.prepare("INSERT INTO browser_sessions (id_hash, user_id, auth_time, "
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

StoreResult<BrowserSession> SqlStore::get_browser_session(std::string_view id_hash) {
  SIGNET_STORE_TRY(validate_key("session id hash", id_hash));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(stmt,
                          db.prepare("SELECT id_hash, user_id, auth_time, last_seen_at, expires_at "
                                     "FROM browser_sessions WHERE id_hash = ?1"));
  stmt.blob(1, id_hash);
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return not_found("no such browser session");
  }
  return read_browser_session(stmt);
}

StoreResult<Ok> SqlStore::touch_browser_session(std::string_view id_hash, Timestamp now) {
  SIGNET_STORE_TRY(validate_key("session id hash", id_hash));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("UPDATE browser_sessions SET last_seen_at = max(last_seen_at, ?2) "
                       "WHERE id_hash = ?1"));
  stmt.blob(1, id_hash).integer(2, unix_seconds(now));
  SIGNET_STORE_TRY(stmt.run());
  if (db.changes() == 0) {
    return not_found("no such browser session");
  }
  return Ok{};
}

StoreResult<Ok> SqlStore::delete_browser_session(std::string_view id_hash) {
  SIGNET_STORE_TRY(validate_key("session id hash", id_hash));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("DELETE FROM browser_sessions WHERE id_hash = ?1"));
  stmt.blob(1, id_hash);
  SIGNET_STORE_TRY(stmt.run());
  return Ok{};
}

StoreResult<std::int64_t> SqlStore::delete_user_browser_sessions(std::string_view user_id) {
  SIGNET_STORE_TRY(validate_key("user id", user_id));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("DELETE FROM browser_sessions WHERE user_id = ?1"));
  stmt.text(1, user_id);
  SIGNET_STORE_TRY(stmt.run());
  return db.changes();
}

StoreResult<std::vector<BrowserSession>> SqlStore::list_user_browser_sessions(
    std::string_view user_id) {
  SIGNET_STORE_TRY(validate_key("user id", user_id));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("SELECT id_hash, user_id, auth_time, last_seen_at, expires_at "
                       "FROM browser_sessions WHERE user_id = ?1 ORDER BY auth_time, rowid"));
  stmt.text(1, user_id);
  return read_rows<BrowserSession>(stmt, read_browser_session);
}

StoreResult<std::int64_t> SqlStore::delete_expired_browser_sessions(Timestamp now,
                                                                    Timestamp idle_before) {
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("DELETE FROM browser_sessions WHERE expires_at <= ?1 "
                                           "OR last_seen_at < ?2"));
  stmt.integer(1, unix_seconds(now)).integer(2, unix_seconds(idle_before));
  SIGNET_STORE_TRY(stmt.run());
  return db.changes();
}

StoreResult<bool> SqlStore::record_client_assertion(std::string_view client_id,
                                                    std::string_view jti, Timestamp expires_at,
                                                    Timestamp now) {
  SIGNET_STORE_TRY(validate_key("client_id", client_id));
  SIGNET_STORE_TRY(validate_key("jti", jti));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(tx, Transaction::begin(db, TransactionMode::kWrite));
  SIGNET_STORE_TRY_ASSIGN(forget,
                          db.prepare("DELETE FROM client_assertions WHERE expires_at <= ?1"));
  forget.integer(1, unix_seconds(now));
  SIGNET_STORE_TRY(forget.run());
  SIGNET_STORE_TRY_ASSIGN(client,
                          exists(db, "SELECT 1 FROM applications WHERE client_id = ?1", client_id));
  if (!client) {
    return not_found("no application with client_id '" + std::string{client_id} + "'");
  }
  SIGNET_STORE_TRY_ASSIGN(stmt,
                          db.prepare("INSERT INTO client_assertions (client_id, jti, expires_at) "
                                     "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING"));
  stmt.text(1, client_id).text(2, jti).integer(3, unix_seconds(expires_at));
  SIGNET_STORE_TRY(stmt.run());
  const bool fresh = db.changes() == 1;
  SIGNET_STORE_TRY(tx.commit());
  return fresh;
}

}  // namespace signet::store
