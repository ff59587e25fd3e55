#include "signet/store/sql_store.h"

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
using sql::detail::conflict;
using sql::detail::corrupt;
using sql::detail::invalid;
using sql::detail::not_found;
using sql::detail::timestamp;
using sql::detail::unix_seconds;

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

}  // namespace

// --- signing keys

StoreResult<Ok> SqlStore::insert_signing_keys(const std::vector<SigningKey>& keys) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  for (const auto& key : keys) {
    if (auto r = insert_key(db, key, key.state); !r) {
      return r;
    }
  }
  return tx->commit();
}

StoreResult<SigningKey> SqlStore::get_signing_key(std::string_view kid) {
  SIGNET_STORE_LEASE(db);
  auto stmt = db.prepare(
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

StoreResult<std::vector<SigningKey>> SqlStore::list_signing_keys() {
  SIGNET_STORE_LEASE(db);
  auto stmt = db.prepare(
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

StoreResult<Ok> SqlStore::rotate_signing_keys(jose::Algorithm algorithm, const SigningKey& new_next,
                                              Timestamp now) {
  if (new_next.algorithm != algorithm) {
    return invalid("the new next key is " + std::string{jose::to_string(new_next.algorithm)} +
                   ", not " + std::string{jose::to_string(algorithm)});
  }
  const std::string alg{jose::to_string(algorithm)};
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  std::string next_kid;
  {
    auto stmt = db.prepare("SELECT kid FROM signing_keys WHERE algorithm = ?1 AND state = 'next'");
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
    auto stmt = db.prepare(
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
        db.prepare("UPDATE signing_keys SET state = 'current', rotated_at = ?2 WHERE kid = ?1");
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
  if (auto r = insert_key(db, next, SigningKeyState::kNext); !r) {
    return r;
  }
  return tx->commit();
}

StoreResult<Ok> SqlStore::revoke_signing_key(std::string_view kid, Timestamp now) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  std::string state;
  {
    auto stmt = db.prepare("SELECT state FROM signing_keys WHERE kid = ?1");
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
      db.prepare("UPDATE signing_keys SET state = 'revoked', rotated_at = ?2 WHERE kid = ?1");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, kid).integer(2, unix_seconds(now));
  if (auto r = stmt->run(); !r) {
    return r;
  }
  return tx->commit();
}

}  // namespace signet::store
