#include "signet/store/sql_store.h"

#include <cstdint>
#include <optional>
#include <string>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::Transaction;
using sql::TransactionMode;
using sql::detail::conflict;
using sql::detail::invalid;
using sql::detail::join;
using sql::detail::not_found;
using sql::detail::split;
using sql::detail::timestamp;
using sql::detail::unix_seconds;

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

}  // namespace

// --- refresh tokens

StoreResult<Ok> SqlStore::insert_refresh_token(const RefreshToken& token) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  if (auto r = insert_refresh(db, token); !r) {
    return r;
  }
  return tx->commit();
}

StoreResult<RefreshToken> SqlStore::find_refresh_token(std::string_view token_hash) {
  SIGNET_STORE_LEASE(db);
  auto stmt = db.prepare(
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

StoreResult<Ok> SqlStore::rotate_refresh_token(std::string_view old_id,
                                               const RefreshToken& replacement,
                                               std::string_view successor_sealed,
                                               PreciseTimestamp now) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  {
    auto stmt = db.prepare(
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
    auto stmt = db.prepare(
        "UPDATE refresh_tokens SET rotated_at = ?2, successor_sealed = ?3 WHERE id = ?1");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, old_id).integer(2, now.time_since_epoch().count()).blob(3, successor_sealed);
    if (auto r = stmt->run(); !r) {
      return r;
    }
  }
  if (auto r = insert_refresh(db, replacement); !r) {
    return r;
  }
  {
    // The newest rotated tokens stay for reuse detection; older ones go (store.h).
    auto stmt = db.prepare(
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

StoreResult<std::int64_t> SqlStore::revoke_refresh_token_family(std::string_view family_id) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto stmt =
      db.prepare("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?1 AND revoked = 0");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, family_id);
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  const std::int64_t n = db.changes();
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return n;
}

StoreResult<std::int64_t> SqlStore::revoke_user_refresh_tokens(std::string_view user_id) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  {
    auto exists = db.prepare("SELECT 1 FROM users WHERE id = ?1");
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
      db.prepare("UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1 AND revoked = 0");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, user_id);
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  const std::int64_t n = db.changes();
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return n;
}

StoreResult<std::int64_t> SqlStore::delete_expired_refresh_tokens(Timestamp now) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto stmt = db.prepare("DELETE FROM refresh_tokens WHERE expires_at < ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->integer(1, unix_seconds(now));
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  const std::int64_t n = db.changes();
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return n;
}

}  // namespace signet::store
