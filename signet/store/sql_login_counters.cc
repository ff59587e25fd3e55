// SqlStore: failed-login counters and where users signed in from, the state that the throttles
// on passwords and client secrets (signet/server/login_throttle.cc, client_authentication.cc) keep.

#include "signet/store/sql_store.h"

#include <cstdint>
#include <string>
#include <vector>

#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::detail::corrupt;
using sql::detail::not_found;
using sql::detail::read;
using sql::detail::read_count;
using sql::detail::read_rows;
using sql::detail::rows_changed;
using sql::detail::single;
using sql::detail::timestamp;
using sql::detail::unix_seconds;
using sql::detail::write;

namespace {

FailedLoginCounter read_counter(const Statement& s, int first_column) {
  FailedLoginCounter c;
  c.count = static_cast<int>(s.column_integer(first_column));
  c.first_failure_at = timestamp(s.column_integer(first_column + 1));
  c.blocked_until = timestamp(s.column_optional_integer(first_column + 2));
  return c;
}

// The one row an INSERT ... RETURNING gives, read by `read`; kInternal with `what` when it gives
// none.
template <typename T, typename Read>
StoreResult<T> returned_row(Statement& stmt, Read read, std::string_view what) {
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return fail(StoreError{StoreErrorCode::kInternal, std::string{what} + " returned no row"});
  }
  T out = read(stmt);
  SIGNET_STORE_TRY(stmt.run());  // the insert is complete only when the statement is done
  return out;
}

}  // namespace

// --- failed logins

StoreResult<FailedLoginCounter> SqlStore::record_failed_login(const FailedLoginKey& key,
                                                              Timestamp now,
                                                              const LockoutPolicy& policy) {
  SIGNET_STORE_TRY(validate_failed_login(key, policy));
  return write(*db_, [&](Connection& db) -> StoreResult<FailedLoginCounter> {
    // One statement, so concurrent failures from other processes cannot lose a count. SET
    // expressions all see the row as it was: a block that has run out starts a fresh count. The
    // stored row's columns are named with the table: PostgreSQL finds a bare name ambiguous
    // between it and `excluded`.
    SIGNET_STORE_TRY_ASSIGN(
        stmt,
        db.prepare("INSERT INTO failed_logins (kind, subject, address, count, first_failure_at, "
                   "blocked_until) VALUES (?1, ?2, ?3, 1, ?4, CASE WHEN ?5 <= 1 THEN ?6 END) "
                   "ON CONFLICT (kind, subject, address) DO UPDATE SET "
                   "count = CASE WHEN failed_logins.blocked_until <= ?4 THEN 1 "
                   "  ELSE failed_logins.count + 1 END, "
                   "first_failure_at = CASE WHEN failed_logins.blocked_until <= ?4 THEN ?4 "
                   "  ELSE failed_logins.first_failure_at END, "
                   "blocked_until = CASE "
                   "  WHEN failed_logins.blocked_until <= ?4 THEN CASE WHEN ?5 <= 1 THEN ?6 END "
                   "  WHEN failed_logins.blocked_until IS NOT NULL "
                   "    THEN failed_logins.blocked_until "
                   "  WHEN failed_logins.count + 1 >= ?5 THEN ?6 END "
                   "RETURNING count, first_failure_at, blocked_until"));
    stmt.text(1, to_string(key.kind))
        .text(2, key.subject)
        .text(3, key.address)
        .integer(4, unix_seconds(now))
        .integer(5, policy.max_failures)
        .integer(6, unix_seconds(now + policy.block_for));
    return returned_row<FailedLoginCounter>(
        stmt, [](const Statement& row) { return read_counter(row, 0); }, "failed-login upsert");
  });
}

StoreResult<FailedLoginCounter> SqlStore::get_failed_logins(const FailedLoginKey& key) {
  return single(*db_, [&](Connection& db) -> StoreResult<FailedLoginCounter> {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT count, first_failure_at, blocked_until "
                                             "FROM failed_logins "
                                             "WHERE kind = ?1 AND subject = ?2 AND address = ?3"));
    stmt.text(1, to_string(key.kind)).text(2, key.subject).text(3, key.address);
    SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
    if (!row) {
      return FailedLoginCounter{};
    }
    return read_counter(stmt, 0);
  });
}

StoreResult<std::vector<AddressFailedLogins>> SqlStore::list_failed_logins(
    FailedLoginSubject kind, std::string_view subject) {
  return read(*db_, [&](Connection& db) -> StoreResult<std::vector<AddressFailedLogins>> {
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT address, count, first_failure_at, blocked_until FROM "
                         "failed_logins WHERE kind = ?1 AND subject = ?2 ORDER BY address"));
    stmt.text(1, to_string(kind)).text(2, subject);
    return read_rows<AddressFailedLogins>(stmt, [](const Statement& row) {
      return AddressFailedLogins{row.column_text(0), read_counter(row, 1)};
    });
  });
}

StoreResult<Ok> SqlStore::reset_failed_logins(const FailedLoginKey& key) {
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    SIGNET_STORE_TRY(rows_changed(
        db, "DELETE FROM failed_logins WHERE kind = ?1 AND subject = ?2 AND address = ?3",
        [&](Statement& stmt) {
          stmt.text(1, to_string(key.kind)).text(2, key.subject).text(3, key.address);
        }));
    return Ok{};
  });
}

StoreResult<std::int64_t> SqlStore::reset_all_failed_logins(FailedLoginSubject kind,
                                                            std::string_view subject) {
  return write(*db_, [&](Connection& db) {
    return rows_changed(db, "DELETE FROM failed_logins WHERE kind = ?1 AND subject = ?2",
                        [&](Statement& stmt) { stmt.text(1, to_string(kind)).text(2, subject); });
  });
}

StoreResult<FailedLoginCounter> SqlStore::record_account_failure(FailedLoginSubject kind,
                                                                 std::string_view subject,
                                                                 Timestamp now,
                                                                 const AccountDelayPolicy& policy) {
  const FailedLoginKey key{kind, std::string(subject), std::string(kAnyAddress)};
  SIGNET_STORE_TRY(validate_failed_login(key, LockoutPolicy{}));
  return write(*db_, [&](Connection& db) -> StoreResult<FailedLoginCounter> {
    FailedLoginCounter counter;
    {
      // One statement counts, so concurrent failures from other processes cannot lose a count.
      SIGNET_STORE_TRY_ASSIGN(
          stmt, db.prepare("INSERT INTO failed_logins (kind, subject, address, count, "
                           "first_failure_at) VALUES (?1, ?2, ?3, 1, ?4) "
                           "ON CONFLICT (kind, subject, address) DO UPDATE SET "
                           "count = failed_logins.count + 1 RETURNING count, first_failure_at"));
      stmt.text(1, to_string(kind))
          .text(2, subject)
          .text(3, kAnyAddress)
          .integer(4, unix_seconds(now));
      SIGNET_STORE_TRY_ASSIGN(counted, returned_row<FailedLoginCounter>(
                                           stmt,
                                           [](const Statement& row) {
                                             FailedLoginCounter c;
                                             c.count = static_cast<int>(row.column_integer(0));
                                             c.first_failure_at = timestamp(row.column_integer(1));
                                             return c;
                                           },
                                           "account failure upsert"));
      counter = counted;
    }
    const auto delay = policy.delay(counter.count);
    if (delay.count() > 0) {
      counter.blocked_until = now + delay;
    }
    SIGNET_STORE_TRY(rows_changed(db,
                                  "UPDATE failed_logins SET blocked_until = ?4 "
                                  "WHERE kind = ?1 AND subject = ?2 AND address = ?3",
                                  [&](Statement& stmt) {
                                    stmt.text(1, to_string(kind))
                                        .text(2, subject)
                                        .text(3, kAnyAddress)
                                        .optional_integer(4, unix_seconds(counter.blocked_until));
                                  }));
    return counter;
  });
}

StoreResult<std::int64_t> SqlStore::count_failed_login_subjects(FailedLoginSubject kind,
                                                                std::string_view address) {
  return read(*db_, [&](Connection& db) -> StoreResult<std::int64_t> {
    SIGNET_STORE_TRY_ASSIGN(
        stmt, db.prepare("SELECT count(*) FROM failed_logins WHERE kind = ?1 AND address = ?2"));
    stmt.text(1, to_string(kind)).text(2, address);
    return read_count(stmt);
  });
}

StoreResult<std::int64_t> SqlStore::delete_stale_failed_logins(Timestamp older_than,
                                                               Timestamp now) {
  return write(*db_, [&](Connection& db) {
    return rows_changed(db,
                        "DELETE FROM failed_logins WHERE first_failure_at < ?1 "
                        "AND (blocked_until IS NULL OR blocked_until <= ?2)",
                        [&](Statement& stmt) {
                          stmt.integer(1, unix_seconds(older_than)).integer(2, unix_seconds(now));
                        });
  });
}

// --- where users signed in from

StoreResult<Ok> SqlStore::record_sign_in_address(std::string_view user_id, std::string_view address,
                                                 Timestamp now) {
  SIGNET_STORE_TRY(validate_key("address", address));
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    {
      SIGNET_STORE_TRY_ASSIGN(
          stmt, db.prepare("INSERT INTO sign_in_addresses (user_id, address, last_sign_in_at) "
                           "VALUES (?1, ?2, ?3) "
                           "ON CONFLICT (user_id, address) DO UPDATE SET last_sign_in_at = ?3"));
      stmt.text(1, user_id).text(2, address).integer(3, unix_seconds(now));
      if (auto r = stmt.run(); !r) {
        if (r.error().code == StoreErrorCode::kInvalid) {
          return not_found("no user with id '" + std::string{user_id} + "'");
        }
        return r;
      }
    }
    // Only the newest addresses stay. "All rows after the first N": SQLite needs a LIMIT before
    // OFFSET (-1, none), PostgreSQL refuses -1.
    SIGNET_STORE_TRY(rows_changed(
        db,
        db.pick("DELETE FROM sign_in_addresses WHERE user_id = ?1 AND address IN (SELECT address "
                "FROM sign_in_addresses WHERE user_id = ?1 ORDER BY last_sign_in_at DESC, address "
                "LIMIT -1 OFFSET ?2)",
                "DELETE FROM sign_in_addresses WHERE user_id = ?1 AND address IN (SELECT address "
                "FROM sign_in_addresses WHERE user_id = ?1 ORDER BY last_sign_in_at DESC, address "
                "OFFSET ?2)"),
        [&](Statement& stmt) { stmt.text(1, user_id).integer(2, kMaxSignInAddressesPerUser); }));
    return Ok{};
  });
}

StoreResult<bool> SqlStore::signed_in_from(std::string_view user_id, std::string_view address,
                                           Timestamp since) {
  return read(*db_, [&](Connection& db) -> StoreResult<bool> {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT 1 FROM sign_in_addresses WHERE user_id = ?1 "
                                             "AND address = ?2 AND last_sign_in_at >= ?3"));
    stmt.text(1, user_id).text(2, address).integer(3, unix_seconds(since));
    return stmt.step();
  });
}

}  // namespace signet::store
