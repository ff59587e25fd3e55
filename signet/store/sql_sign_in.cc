#include "signet/store/sql_store.h"

#include <cstdint>
#include <string>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::detail::exists;
using sql::detail::join;
using sql::detail::not_found;
using sql::detail::read;
using sql::detail::read_one;
using sql::detail::read_rows;
using sql::detail::rows_changed;
using sql::detail::run_unique;
using sql::detail::single;
using sql::detail::split;
using sql::detail::timestamp;
using sql::detail::unix_seconds;
using sql::detail::write;

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

AuthorizationCode read_authorization_code(const Statement& s) {
  AuthorizationCode code;
  code.code_hash = s.column_blob(0);
  code.client_id = s.column_text(1);
  code.user_id = s.column_text(2);
  code.redirect_uri = s.column_text(3);
  code.code_challenge = s.column_text(4);
  code.audience = s.column_text(5);
  code.scopes = split(s.column_text(6));
  code.nonce = s.column_text(7);
  code.refresh_family_id = s.column_text(8);
  code.auth_time = timestamp(s.column_integer(9));
  code.created_at = timestamp(s.column_integer(10));
  code.expires_at = timestamp(s.column_integer(11));
  code.used_at = timestamp(s.column_optional_integer(12));
  code.dpop_jkt = s.column_text(13);
  return code;
}

}  // namespace

// --- sign-in: authorization codes, browser sessions, client assertions

StoreResult<Ok> SqlStore::insert_authorization_code(const AuthorizationCode& code) {
  SIGNET_STORE_TRY(validate_authorization_code(code));
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
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
                         "refresh_family_id, auth_time, created_at, expires_at, used_at, "
                         "dpop_jkt) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
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
        .optional_integer(13, unix_seconds(code.used_at))
        .text(14, code.dpop_jkt);
    SIGNET_STORE_TRY(run_unique(stmt, "an authorization code with this hash already exists"));
    return Ok{};
  });
}

StoreResult<AuthorizationCode> SqlStore::redeem_authorization_code(std::string_view code_hash,
                                                                   Timestamp now) {
  SIGNET_STORE_TRY(validate_key("code hash", code_hash));
  return write(*db_, [&](Connection& db) -> StoreResult<AuthorizationCode> {
    AuthorizationCode code;
    {
      SIGNET_STORE_TRY_ASSIGN(
          stmt, db.prepare("SELECT code_hash, client_id, user_id, redirect_uri, code_challenge, "
                           "audience, scopes, nonce, refresh_family_id, auth_time, created_at, "
                           "expires_at, used_at, dpop_jkt FROM authorization_codes "
                           "WHERE code_hash = ?1"));
      stmt.blob(1, code_hash);
      SIGNET_STORE_TRY_ASSIGN(stored, read_one<AuthorizationCode>(stmt, read_authorization_code,
                                                                  "no such authorization code"));
      code = std::move(stored);
    }
    if (!code.used_at) {
      SIGNET_STORE_TRY(rows_changed(
          db, "UPDATE authorization_codes SET used_at = ?2 WHERE code_hash = ?1",
          [&](Statement& mark) { mark.blob(1, code_hash).integer(2, unix_seconds(now)); }));
    }
    return code;
  });
}

StoreResult<std::int64_t> SqlStore::delete_expired_authorization_codes(Timestamp before) {
  return write(*db_, [&](Connection& db) {
    return rows_changed(db, "DELETE FROM authorization_codes WHERE expires_at < ?1",
                        [&](Statement& stmt) { stmt.integer(1, unix_seconds(before)); });
  });
}

StoreResult<Ok> SqlStore::create_browser_session(const BrowserSession& session) {
  SIGNET_STORE_TRY(validate_browser_session(session));
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
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
    SIGNET_STORE_TRY(run_unique(stmt, "a browser session with this id already exists"));
    return Ok{};
  });
}

StoreResult<BrowserSession> SqlStore::get_browser_session(std::string_view id_hash) {
  SIGNET_STORE_TRY(validate_key("session id hash", id_hash));
  return single(*db_, [&](Connection& db) -> StoreResult<BrowserSession> {
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT id_hash, user_id, auth_time, last_seen_at, expires_at "
                         "FROM browser_sessions WHERE id_hash = ?1"));
    stmt.blob(1, id_hash);
    return read_one<BrowserSession>(stmt, read_browser_session, "no such browser session");
  });
}

StoreResult<Ok> SqlStore::touch_browser_session(std::string_view id_hash, Timestamp now) {
  SIGNET_STORE_TRY(validate_key("session id hash", id_hash));
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    // max() of two values is GREATEST() in PostgreSQL, whose max() is only an aggregate.
    SIGNET_STORE_TRY_ASSIGN(
        touched,
        rows_changed(
            db,
            db.pick("UPDATE browser_sessions SET last_seen_at = max(last_seen_at, ?2) "
                    "WHERE id_hash = ?1",
                    "UPDATE browser_sessions SET last_seen_at = GREATEST(last_seen_at, ?2) "
                    "WHERE id_hash = ?1"),
            [&](Statement& stmt) { stmt.blob(1, id_hash).integer(2, unix_seconds(now)); }));
    if (touched == 0) {
      return not_found("no such browser session");
    }
    return Ok{};
  });
}

StoreResult<Ok> SqlStore::delete_browser_session(std::string_view id_hash) {
  SIGNET_STORE_TRY(validate_key("session id hash", id_hash));
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    SIGNET_STORE_TRY(rows_changed(db, "DELETE FROM browser_sessions WHERE id_hash = ?1",
                                  [&](Statement& stmt) { stmt.blob(1, id_hash); }));
    return Ok{};
  });
}

StoreResult<std::int64_t> SqlStore::delete_user_browser_sessions(std::string_view user_id) {
  SIGNET_STORE_TRY(validate_key("user id", user_id));
  return write(*db_, [&](Connection& db) {
    return rows_changed(db, "DELETE FROM browser_sessions WHERE user_id = ?1",
                        [&](Statement& stmt) { stmt.text(1, user_id); });
  });
}

StoreResult<std::vector<BrowserSession>> SqlStore::list_user_browser_sessions(
    std::string_view user_id) {
  SIGNET_STORE_TRY(validate_key("user id", user_id));
  return read(*db_, [&](Connection& db) -> StoreResult<std::vector<BrowserSession>> {
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT id_hash, user_id, auth_time, last_seen_at, expires_at "
                         "FROM browser_sessions WHERE user_id = ?1 ORDER BY auth_time, rowid"));
    stmt.text(1, user_id);
    return read_rows<BrowserSession>(stmt, read_browser_session);
  });
}

StoreResult<std::int64_t> SqlStore::delete_expired_browser_sessions(Timestamp now,
                                                                    Timestamp idle_before) {
  return write(*db_, [&](Connection& db) {
    return rows_changed(db,
                        "DELETE FROM browser_sessions WHERE expires_at <= ?1 OR last_seen_at < ?2",
                        [&](Statement& stmt) {
                          stmt.integer(1, unix_seconds(now)).integer(2, unix_seconds(idle_before));
                        });
  });
}

StoreResult<bool> SqlStore::record_client_assertion(std::string_view client_id,
                                                    std::string_view jti, Timestamp expires_at,
                                                    Timestamp now) {
  SIGNET_STORE_TRY(validate_key("client_id", client_id));
  SIGNET_STORE_TRY(validate_key("jti", jti));
  return write(*db_, [&](Connection& db) -> StoreResult<bool> {
    SIGNET_STORE_TRY(
        rows_changed(db, "DELETE FROM client_assertions WHERE expires_at <= ?1",
                     [&](Statement& forget) { forget.integer(1, unix_seconds(now)); }));
    SIGNET_STORE_TRY_ASSIGN(
        client, exists(db, "SELECT 1 FROM applications WHERE client_id = ?1", client_id));
    if (!client) {
      return not_found("no application with client_id '" + std::string{client_id} + "'");
    }
    // ON CONFLICT rather than a caught constraint error: PostgreSQL aborts the transaction at a
    // failed statement. A replayed jti changes no row.
    SIGNET_STORE_TRY_ASSIGN(
        inserted,
        rows_changed(db,
                     "INSERT INTO client_assertions (client_id, jti, expires_at) "
                     "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                     [&](Statement& stmt) {
                       stmt.text(1, client_id).text(2, jti).integer(3, unix_seconds(expires_at));
                     }));
    return inserted == 1;
  });
}

StoreResult<bool> SqlStore::record_dpop_proof(std::string_view id_hash, Timestamp expires_at,
                                              Timestamp now) {
  SIGNET_STORE_TRY(validate_key("DPoP proof id hash", id_hash));
  // On every proof of a DPoP request on PostgreSQL, so one statement outside a transaction (one
  // round trip, not four): it inserts the id, or takes over a row whose proof has expired, and
  // changes nothing for a live one (a replay). The database decides between two replicas that
  // record one id at once: one inserts, the other finds the row and changes nothing.
  return single(
      *db_,
      [&](Connection& db) -> StoreResult<bool> {
        // Expired rows of other ids go every kDpopProofSweepEvery records, so the table holds
        // about the proofs of one lifetime plus that many.
        if (dpop_proofs_recorded_.fetch_add(1, std::memory_order_relaxed) % kDpopProofSweepEvery ==
            0) {
          SIGNET_STORE_TRY(
              rows_changed(db, "DELETE FROM dpop_proofs WHERE expires_at <= ?1",
                           [&](Statement& forget) { forget.integer(1, unix_seconds(now)); }));
        }
        SIGNET_STORE_TRY_ASSIGN(
            recorded,
            rows_changed(db,
                         "INSERT INTO dpop_proofs (id_hash, expires_at) VALUES (?1, ?2) "
                         "ON CONFLICT (id_hash) DO UPDATE SET expires_at = excluded.expires_at "
                         "WHERE dpop_proofs.expires_at <= ?3",
                         [&](Statement& stmt) {
                           stmt.text(1, id_hash)
                               .integer(2, unix_seconds(expires_at))
                               .integer(3, unix_seconds(now));
                         }));
        return recorded == 1;
      },
      StoreOperation::kWrite);
}

}  // namespace signet::store
