#include "signet/store/sql_store.h"

#include <cstdint>
#include <optional>
#include <string>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::detail::conflict;
using sql::detail::exists;
using sql::detail::invalid;
using sql::detail::join;
using sql::detail::not_found;
using sql::detail::read;
using sql::detail::read_one;
using sql::detail::rows_changed;
using sql::detail::single;
using sql::detail::split;
using sql::detail::timestamp;
using sql::detail::unix_seconds;
using sql::detail::write;

namespace {

std::optional<std::int64_t> unix_millis(const std::optional<PreciseTimestamp>& t) {
  return t ? std::optional<std::int64_t>{t->time_since_epoch().count()} : std::nullopt;
}
std::optional<PreciseTimestamp> precise_timestamp(std::optional<std::int64_t> ms) {
  return ms ? std::optional<PreciseTimestamp>{PreciseTimestamp{std::chrono::milliseconds{*ms}}}
            : std::nullopt;
}

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
  t.jkt = s.column_text(12);
  return t;
}

// Inserts a token the caller validated.
StoreResult<Ok> insert_refresh(Connection& db, const RefreshToken& t) {
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("INSERT INTO refresh_tokens (id, token_hash, family_id, client_id, user_id, "
                       "audience, scopes, created_at, expires_at, rotated_at, revoked, "
                       "successor_sealed, jkt) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
  stmt.text(1, t.id)
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
      .blob(12, t.successor_sealed)
      .text(13, t.jkt);
  auto r = stmt.run();
  if (!r && r.error().code == StoreErrorCode::kInvalid) {
    // The schema's foreign keys: the client, user or API is gone.
    return not_found("refresh token '" + t.id + "' names an unknown client, user or API");
  }
  return r;
}

}  // namespace

// --- refresh tokens

StoreResult<Ok> SqlStore::insert_refresh_token(const RefreshToken& token) {
  SIGNET_STORE_TRY(validate_refresh_token(token));
  return write(*db_, [&](Connection& db) { return insert_refresh(db, token); });
}

StoreResult<RefreshToken> SqlStore::find_refresh_token(std::string_view token_hash) {
  return single(*db_, [&](Connection& db) -> StoreResult<RefreshToken> {
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT id, token_hash, family_id, client_id, user_id, audience, scopes, "
                         "created_at, expires_at, rotated_at, revoked, successor_sealed, jkt "
                         "FROM refresh_tokens WHERE token_hash = ?1"));
    stmt.blob(1, token_hash);
    // Never echo the hash.
    return read_one<RefreshToken>(stmt, read_refresh, "no refresh token with this hash");
  });
}

StoreResult<Ok> SqlStore::rotate_refresh_token(std::string_view old_id,
                                               const RefreshToken& replacement,
                                               std::string_view successor_sealed,
                                               PreciseTimestamp now) {
  SIGNET_STORE_TRY(validate_refresh_token(replacement));
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    {
      // rotated_at and revoked apart, not `rotated_at IS NOT NULL OR revoked`: PostgreSQL takes
      // no integer for a boolean.
      SIGNET_STORE_TRY_ASSIGN(
          stmt,
          db.prepare(
              "SELECT family_id, rotated_at, revoked, jkt FROM refresh_tokens WHERE id = ?1"));
      stmt.text(1, old_id);
      SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
      if (!row) {
        return not_found("no refresh token with id '" + std::string{old_id} + "'");
      }
      if (stmt.column_text(0) != replacement.family_id) {
        return invalid("a rotated refresh token's replacement must stay in its family");
      }
      // A binding only tightens (RFC 9449 §5): a successor that dropped or changed its key would
      // let whoever stole the bound token redeem the successor without the key.
      const std::string bound_to = stmt.column_text(3);
      if (!bound_to.empty() && replacement.jkt != bound_to) {
        return invalid("a DPoP-bound refresh token's replacement must stay bound to its key");
      }
      if (!stmt.column_is_null(1) || stmt.column_integer(2) != 0) {
        return conflict("refresh token '" + std::string{old_id} +
                        "' was already rotated or revoked");
      }
    }
    SIGNET_STORE_TRY(rows_changed(
        db, "UPDATE refresh_tokens SET rotated_at = ?2, successor_sealed = ?3 WHERE id = ?1",
        [&](Statement& stmt) {
          stmt.text(1, old_id).integer(2, now.time_since_epoch().count()).blob(3, successor_sealed);
        }));
    SIGNET_STORE_TRY(insert_refresh(db, replacement));
    // The newest rotated tokens stay for reuse detection; older ones go (store.h). "All rows
    // after the first N": SQLite needs a LIMIT before OFFSET (-1, none), PostgreSQL refuses -1.
    SIGNET_STORE_TRY(rows_changed(
        db,
        db.pick("DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens "
                "WHERE family_id = ?1 AND rotated_at IS NOT NULL "
                "ORDER BY rotated_at DESC, id LIMIT -1 OFFSET ?2)",
                "DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens "
                "WHERE family_id = ?1 AND rotated_at IS NOT NULL "
                "ORDER BY rotated_at DESC, id OFFSET ?2)"),
        [&](Statement& stmt) {
          stmt.text(1, replacement.family_id).integer(2, kMaxRotatedRefreshTokensPerFamily);
        }));
    return Ok{};
  });
}

StoreResult<std::int64_t> SqlStore::revoke_refresh_token_family(std::string_view family_id) {
  return write(*db_, [&](Connection& db) {
    return rows_changed(
        db, "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?1 AND revoked = 0",
        [&](Statement& stmt) { stmt.text(1, family_id); });
  });
}

StoreResult<std::int64_t> SqlStore::revoke_user_refresh_tokens(std::string_view user_id) {
  return write(*db_, [&](Connection& db) -> StoreResult<std::int64_t> {
    SIGNET_STORE_TRY_ASSIGN(user, exists(db, "SELECT 1 FROM users WHERE id = ?1", user_id));
    if (!user) {
      return not_found("no user with id '" + std::string{user_id} + "'");
    }
    return rows_changed(db,
                        "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1 AND revoked = 0",
                        [&](Statement& stmt) { stmt.text(1, user_id); });
  });
}

StoreResult<std::int64_t> SqlStore::delete_expired_refresh_tokens(Timestamp now) {
  return write(*db_, [&](Connection& db) {
    return rows_changed(db, "DELETE FROM refresh_tokens WHERE expires_at < ?1",
                        [&](Statement& stmt) { stmt.integer(1, unix_seconds(now)); });
  });
}

}  // namespace signet::store
