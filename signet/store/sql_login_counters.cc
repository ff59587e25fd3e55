// SqliteStore: failed-login counters and where users signed in from, the state that the throttles
// on passwords and client secrets (signet/server/login_throttle.cc, client_authentication.cc) keep.

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
using sql::detail::corrupt;
using sql::detail::not_found;
using sql::detail::read_rows;
using sql::detail::timestamp;
using sql::detail::unix_seconds;

namespace {

FailedLoginCounter read_counter(const Statement& s, int first_column) {
  FailedLoginCounter c;
  c.count = static_cast<int>(s.column_integer(first_column));
  c.first_failure_at = timestamp(s.column_integer(first_column + 1));
  c.blocked_until = timestamp(s.column_optional_integer(first_column + 2));
  return c;
}

}  // namespace

// --- failed logins

StoreResult<FailedLoginCounter> SqlStore::record_failed_login(const FailedLoginKey& key,
                                                              Timestamp now,
                                                              const LockoutPolicy& policy) {
  if (auto r = validate_failed_login(key, policy); !r) {
    return fail(r.error());
  }
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  FailedLoginCounter counter;
  {
    // One statement, so concurrent failures from other processes cannot lose a count. SET
    // expressions all see the row as it was: a block that has run out starts a fresh count.
    auto stmt = db.prepare(
        "INSERT INTO failed_logins (kind, subject, address, count, first_failure_at, "
        "blocked_until) VALUES (?1, ?2, ?3, 1, ?4, CASE WHEN ?5 <= 1 THEN ?6 END) "
        "ON CONFLICT (kind, subject, address) DO UPDATE SET "
        "count = CASE WHEN blocked_until <= ?4 THEN 1 ELSE count + 1 END, "
        "first_failure_at = CASE WHEN blocked_until <= ?4 THEN ?4 ELSE first_failure_at END, "
        "blocked_until = CASE "
        "  WHEN blocked_until <= ?4 THEN CASE WHEN ?5 <= 1 THEN ?6 END "
        "  WHEN blocked_until IS NOT NULL THEN blocked_until "
        "  WHEN count + 1 >= ?5 THEN ?6 END "
        "RETURNING count, first_failure_at, blocked_until");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, to_string(key.kind))
        .text(2, key.subject)
        .text(3, key.address)
        .integer(4, unix_seconds(now))
        .integer(5, policy.max_failures)
        .integer(6, unix_seconds(now + policy.block_for));
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return fail(StoreError{StoreErrorCode::kInternal, "failed-login upsert returned no row"});
    }
    counter = read_counter(*stmt, 0);
    if (auto r = stmt->run(); !r) {
      return fail(r.error());
    }
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return counter;
}

StoreResult<FailedLoginCounter> SqlStore::get_failed_logins(const FailedLoginKey& key) {
  SIGNET_STORE_LEASE(db);
  auto stmt = db.prepare(
      "SELECT count, first_failure_at, blocked_until FROM failed_logins "
      "WHERE kind = ?1 AND subject = ?2 AND address = ?3");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(key.kind)).text(2, key.subject).text(3, key.address);
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  if (!*row) {
    return FailedLoginCounter{};
  }
  return read_counter(*stmt, 0);
}

StoreResult<std::vector<AddressFailedLogins>> SqlStore::list_failed_logins(
    FailedLoginSubject kind, std::string_view subject) {
  SIGNET_STORE_LEASE(db);
  auto stmt = db.prepare(
      "SELECT address, count, first_failure_at, blocked_until FROM failed_logins "
      "WHERE kind = ?1 AND subject = ?2 ORDER BY address");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(kind)).text(2, subject);
  std::vector<AddressFailedLogins> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return out;
    }
    out.push_back(AddressFailedLogins{stmt->column_text(0), read_counter(*stmt, 1)});
  }
}

StoreResult<Ok> SqlStore::reset_failed_logins(const FailedLoginKey& key) {
  SIGNET_STORE_LEASE(db);
  auto stmt =
      db.prepare("DELETE FROM failed_logins WHERE kind = ?1 AND subject = ?2 AND address = ?3");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(key.kind)).text(2, key.subject).text(3, key.address);
  return stmt->run();  // one statement: SQLite commits it on its own
}

StoreResult<std::int64_t> SqlStore::reset_all_failed_logins(FailedLoginSubject kind,
                                                            std::string_view subject) {
  SIGNET_STORE_LEASE(db);
  auto stmt = db.prepare("DELETE FROM failed_logins WHERE kind = ?1 AND subject = ?2");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(kind)).text(2, subject);
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  return db.changes();
}

StoreResult<std::vector<FailedLoginRecord>> SqlStore::recent_failed_logins(std::int64_t limit) {
  SIGNET_STORE_TRY(validate_limit(limit));
  SIGNET_STORE_LEASE(db);
  // Blocked counters before unblocked ones of the same second (NULL sorts last descending); the
  // key last, so that equal times still list in one stable order.
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("SELECT kind, subject, address, count, first_failure_at, blocked_until "
                       "FROM failed_logins ORDER BY first_failure_at DESC, blocked_until DESC, "
                       "kind, subject, address LIMIT ?1"));
  stmt.integer(1, limit);
  return read_rows<FailedLoginRecord>(
      stmt, [](const Statement& row) -> StoreResult<FailedLoginRecord> {
        const auto kind = parse_failed_login_subject(row.column_text(0));
        if (!kind) {
          return corrupt("a failed-login counter has the unknown kind '" + row.column_text(0) +
                         "'");
        }
        return FailedLoginRecord{FailedLoginKey{*kind, row.column_text(1), row.column_text(2)},
                                 read_counter(row, 3)};
      });
}

StoreResult<FailedLoginCounter> SqlStore::record_account_failure(FailedLoginSubject kind,
                                                                 std::string_view subject,
                                                                 Timestamp now,
                                                                 const AccountDelayPolicy& policy) {
  const FailedLoginKey key{kind, std::string(subject), std::string(kAnyAddress)};
  if (auto r = validate_failed_login(key, LockoutPolicy{}); !r) {
    return fail(r.error());
  }
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  FailedLoginCounter counter;
  {
    // One statement counts, so concurrent failures from other processes cannot lose a count.
    auto stmt = db.prepare(
        "INSERT INTO failed_logins (kind, subject, address, count, first_failure_at) "
        "VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT (kind, subject, address) DO UPDATE SET "
        "count = count + 1 RETURNING count, first_failure_at");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, to_string(kind))
        .text(2, subject)
        .text(3, kAnyAddress)
        .integer(4, unix_seconds(now));
    auto row = stmt->step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return fail(StoreError{StoreErrorCode::kInternal, "account failure upsert returned no row"});
    }
    counter.count = static_cast<int>(stmt->column_integer(0));
    counter.first_failure_at = timestamp(stmt->column_integer(1));
    if (auto r = stmt->run(); !r) {
      return fail(r.error());
    }
  }
  const auto delay = policy.delay(counter.count);
  if (delay.count() > 0) {
    counter.blocked_until = now + delay;
  }
  {
    auto stmt = db.prepare(
        "UPDATE failed_logins SET blocked_until = ?4 WHERE kind = ?1 AND subject = ?2 AND "
        "address = ?3");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, to_string(kind))
        .text(2, subject)
        .text(3, kAnyAddress)
        .optional_integer(4, unix_seconds(counter.blocked_until));
    if (auto r = stmt->run(); !r) {
      return fail(r.error());
    }
  }
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return counter;
}

StoreResult<std::int64_t> SqlStore::count_failed_login_subjects(FailedLoginSubject kind,
                                                                std::string_view address) {
  SIGNET_STORE_LEASE(db);
  auto stmt = db.prepare("SELECT count(*) FROM failed_logins WHERE kind = ?1 AND address = ?2");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, to_string(kind)).text(2, address);
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  return *row ? stmt->column_integer(0) : std::int64_t{0};
}

StoreResult<std::int64_t> SqlStore::delete_stale_failed_logins(Timestamp older_than,
                                                               Timestamp now) {
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  auto stmt = db.prepare(
      "DELETE FROM failed_logins WHERE first_failure_at < ?1 "
      "AND (blocked_until IS NULL OR blocked_until <= ?2)");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->integer(1, unix_seconds(older_than)).integer(2, unix_seconds(now));
  if (auto r = stmt->run(); !r) {
    return fail(r.error());
  }
  const std::int64_t n = db.changes();
  if (auto r = tx->commit(); !r) {
    return fail(r.error());
  }
  return n;
}

// --- where users signed in from

StoreResult<Ok> SqlStore::record_sign_in_address(std::string_view user_id, std::string_view address,
                                                 Timestamp now) {
  if (auto r = validate_key("address", address); !r) {
    return r;
  }
  SIGNET_STORE_LEASE(db);
  auto tx = Transaction::begin(db, TransactionMode::kWrite);
  if (!tx) {
    return fail(tx.error());
  }
  {
    auto stmt = db.prepare(
        "INSERT INTO sign_in_addresses (user_id, address, last_sign_in_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (user_id, address) DO UPDATE SET last_sign_in_at = ?3");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, user_id).text(2, address).integer(3, unix_seconds(now));
    if (auto r = stmt->run(); !r) {
      if (r.error().code == StoreErrorCode::kInvalid) {
        return not_found("no user with id '" + std::string{user_id} + "'");
      }
      return r;
    }
  }
  {
    auto stmt = db.prepare(
        "DELETE FROM sign_in_addresses WHERE user_id = ?1 AND address IN (SELECT address FROM "
        "sign_in_addresses WHERE user_id = ?1 ORDER BY last_sign_in_at DESC, address "
        "LIMIT -1 OFFSET ?2)");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->text(1, user_id).integer(2, kMaxSignInAddressesPerUser);
    if (auto r = stmt->run(); !r) {
      return r;
    }
  }
  return tx->commit();
}

StoreResult<std::vector<SignInRecord>> SqlStore::recent_sign_ins(std::int64_t limit) {
  SIGNET_STORE_TRY(validate_limit(limit));
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("SELECT user_id, address, last_sign_in_at FROM sign_in_addresses "
                       "ORDER BY last_sign_in_at DESC, user_id, address LIMIT ?1"));
  stmt.integer(1, limit);
  return read_rows<SignInRecord>(stmt, [](const Statement& row) {
    return SignInRecord{row.column_text(0), row.column_text(1), timestamp(row.column_integer(2))};
  });
}

StoreResult<bool> SqlStore::signed_in_from(std::string_view user_id, std::string_view address,
                                           Timestamp since) {
  SIGNET_STORE_LEASE(db);
  auto stmt = db.prepare(
      "SELECT 1 FROM sign_in_addresses WHERE user_id = ?1 AND address = ?2 AND "
      "last_sign_in_at >= ?3");
  if (!stmt) {
    return fail(stmt.error());
  }
  stmt->text(1, user_id).text(2, address).integer(3, unix_seconds(since));
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  return *row;
}

}  // namespace signet::store
