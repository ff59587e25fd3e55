#include "signet/store/sql_store.h"

#include <string>
#include <utility>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::detail::corrupt;
using sql::detail::invalid;
using sql::detail::not_found;
using sql::detail::read;
using sql::detail::read_one;
using sql::detail::read_rows;
using sql::detail::run_unique;
using sql::detail::timestamp;
using sql::detail::unix_seconds;
using sql::detail::write;

// The columns a query reading a whole signing key selects, in read_key's order.
#define SIGNET_KEY_COLUMNS \
  "kid, algorithm, state, encrypted_private_key, public_jwk, created_at, rotated_at"

namespace {

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

// Inserts a key the caller validated, in `state`.
StoreResult<Ok> insert_key(Connection& db, const SigningKey& key, SigningKeyState state) {
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("INSERT INTO signing_keys (" SIGNET_KEY_COLUMNS
                                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  stmt.text(1, key.kid)
      .text(2, jose::to_string(key.algorithm))
      .text(3, to_string(state))
      .blob(4, key.encrypted_private_key)
      .text(5, key.public_jwk)
      .integer(6, unix_seconds(key.created_at))
      .optional_integer(7, unix_seconds(key.rotated_at));
  return run_unique(stmt, "signing key '" + key.kid + "' would duplicate a kid, or a " +
                              std::string{to_string(state)} + " key for " +
                              std::string{jose::to_string(key.algorithm)});
}

// Sets the state of the keys `sql` selects (by the text ?1) and their rotated_at (?2) to `now`.
StoreResult<Ok> set_key_state(Connection& db, std::string_view sql, std::string_view key,
                              Timestamp now) {
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(sql));
  stmt.text(1, key).integer(2, unix_seconds(now));
  return stmt.run();
}

}  // namespace

// --- signing keys

StoreResult<Ok> SqlStore::insert_signing_keys(const std::vector<SigningKey>& keys) {
  for (const auto& key : keys) {
    SIGNET_STORE_TRY(validate_signing_key(key));
  }
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    for (const auto& key : keys) {
      SIGNET_STORE_TRY(insert_key(db, key, key.state));
    }
    return Ok{};
  });
}

StoreResult<SigningKey> SqlStore::get_signing_key(std::string_view kid) {
  return read(*db_, [&](Connection& db) -> StoreResult<SigningKey> {
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT " SIGNET_KEY_COLUMNS " FROM signing_keys WHERE kid = ?1"));
    stmt.text(1, kid);
    return read_one<SigningKey>(stmt, read_key,
                                "no signing key with kid '" + std::string{kid} + "'");
  });
}

StoreResult<std::vector<SigningKey>> SqlStore::list_signing_keys() {
  return read(*db_, [&](Connection& db) -> StoreResult<std::vector<SigningKey>> {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT " SIGNET_KEY_COLUMNS
                                             " FROM signing_keys ORDER BY created_at, rowid"));
    return read_rows<SigningKey>(stmt, read_key);
  });
}

StoreResult<Ok> SqlStore::rotate_signing_keys(jose::Algorithm algorithm, const SigningKey& new_next,
                                              Timestamp now) {
  if (new_next.algorithm != algorithm) {
    return invalid("the new next key is " + std::string{jose::to_string(new_next.algorithm)} +
                   ", not " + std::string{jose::to_string(algorithm)});
  }
  SIGNET_STORE_TRY(validate_signing_key(new_next));
  const std::string alg{jose::to_string(algorithm)};
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    std::string next_kid;
    {
      SIGNET_STORE_TRY_ASSIGN(
          stmt, db.prepare("SELECT kid FROM signing_keys WHERE algorithm = ?1 AND state = 'next'"));
      stmt.text(1, alg);
      SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
      if (!row) {
        return not_found("there is no next " + alg + " key to rotate to");
      }
      next_kid = stmt.column_text(0);
    }
    // Order matters: the unique indexes allow one current and one next per algorithm at every
    // step, not only at commit.
    SIGNET_STORE_TRY(set_key_state(db,
                                   "UPDATE signing_keys SET state = 'previous', rotated_at = ?2 "
                                   "WHERE algorithm = ?1 AND state = 'current'",
                                   alg, now));
    SIGNET_STORE_TRY(set_key_state(
        db, "UPDATE signing_keys SET state = 'current', rotated_at = ?2 WHERE kid = ?1", next_kid,
        now));
    SigningKey next = new_next;  // a copy: a second run must see new_next as it was
    next.rotated_at.reset();
    return insert_key(db, next, SigningKeyState::kNext);
  });
}

StoreResult<Ok> SqlStore::revoke_signing_key(std::string_view kid, Timestamp now) {
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    std::string state;
    {
      SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT state FROM signing_keys WHERE kid = ?1"));
      stmt.text(1, kid);
      SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
      if (!row) {
        return not_found("no signing key with kid '" + std::string{kid} + "'");
      }
      state = stmt.column_text(0);
    }
    if (state != "previous") {
      return invalid("signing key '" + std::string{kid} + "' is " + state +
                     "; only a previous key can be revoked (rotate first)");
    }
    return set_key_state(
        db, "UPDATE signing_keys SET state = 'revoked', rotated_at = ?2 WHERE kid = ?1", kid, now);
  });
}

}  // namespace signet::store
