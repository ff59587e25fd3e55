#pragma once

// Internal to the SQL store: the helpers that its parts (sql_apis.cc, sql_applications.cc,
// sql_grants.cc, sql_users.cc, sql_keys.cc, sql_refresh_tokens.cc, sql_login_counters.cc,
// sql_sign_in.cc) share. Not installed (CMakeLists.txt excludes *_internal.h) and not for any
// caller outside signet/store: they use the store through store.h.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "signet/store/sql_db.h"
#include "signet/store/store.h"
#include "signet/store/store_metrics.h"

// Returns the error of `expr` (a Result) from the enclosing function when it failed, so that
// passing an error on takes one line.
#define SIGNET_STORE_TRY(expr)                   \
  do {                                           \
    if (auto store_try_ = (expr); !store_try_) { \
      return fail(store_try_.error());           \
    }                                            \
  } while (false)

// Declares `var` holding the value of `expr` (a Result), or returns its error.
#define SIGNET_STORE_TRY_ASSIGN(var, expr) \
  auto var##_result_ = (expr);             \
  if (!var##_result_) {                    \
    return fail(var##_result_.error());    \
  }                                        \
  auto var = std::move(var##_result_).value()

namespace signet::store::sql::detail {

// Times a write transaction is run when the database refuses it for meeting another (a
// PostgreSQL serialization failure or deadlock). Writers of configuration all bump one revision
// counter, so several at once meet often; the waits between attempts grow (back_off), and this
// many attempts span about a second: contention that outlasts it is reported as it is (kBusy).
constexpr int kMaxTransactionAttempts = 20;
// The longest wait between two attempts.
constexpr std::chrono::milliseconds kMaxBackOff{64};

// Waits a random time below min(2^attempt, kMaxBackOff) milliseconds, so that transactions that
// met do not meet again at once.
void back_off(int attempt);

// in_transaction() without the counting: the attempts themselves.
template <typename Body>
auto attempt_transaction(Database& database, TransactionMode mode, Body& body)
    -> std::invoke_result_t<Body&, Connection&> {
  for (int attempt = 1;; ++attempt) {
    auto lease = database.acquire();
    if (!lease) {
      return fail(lease.error());
    }
    Connection& db = **lease;
    StoreError error{StoreErrorCode::kInternal, {}};
    {
      auto tx = Transaction::begin(db, mode);
      if (!tx) {
        error = tx.error();
      } else {
        auto result = body(db);
        if (!result) {
          error = result.error();
        } else if (auto committed = tx->commit(); committed) {
          return result;
        } else {
          error = committed.error();
        }
      }
    }  // rolled back here unless committed
    if (!db.last_error_is_retryable() || attempt == kMaxTransactionAttempts) {
      return fail(std::move(error));
    }
    lease->reset();  // another operation may use the connection while this one waits
    back_off(attempt);
  }
}

// Counts `result` of an operation begun at `started` into the database's metrics, if it has
// them, and returns it.
template <typename R>
R counted(const Database& database, StoreOperation op,
          std::chrono::steady_clock::time_point started, R result) {
  if (const StoreMetrics* metrics = database.metrics()) {
    metrics->record(op, std::chrono::steady_clock::now() - started,
                    result ? nullptr : &result.error());
  }
  return result;
}

// Runs `body` (Connection& -> StoreResult<T>) in one transaction of `mode` on a connection leased
// from `database`: committed when it returns a value, rolled back when it returns an error. When
// the database refuses the transaction for meeting another, `body` runs again from the start, on
// a fresh transaction, so it must do nothing but database work (and reads of its captures).
template <typename Body>
auto in_transaction(Database& database, TransactionMode mode, Body&& body)
    -> std::invoke_result_t<Body&, Connection&> {
  const auto started = std::chrono::steady_clock::now();
  const auto op = mode == TransactionMode::kWrite ? StoreOperation::kWrite : StoreOperation::kRead;
  return counted(database, op, started, attempt_transaction(database, mode, body));
}

// A read-only transaction: one consistent snapshot for every read in `body`.
template <typename Body>
auto read(Database& database, Body&& body) {
  return in_transaction(database, TransactionMode::kRead, std::forward<Body>(body));
}

// One statement outside any transaction: the database runs a single statement atomically and
// on one snapshot by itself, so `body` (Connection& -> StoreResult<T>) may run only one (or
// several that need not be atomic together). Spares the BEGIN and COMMIT, two round trips on
// PostgreSQL, on the request path's lookups and one-row writes; `op` is what it is counted as.
template <typename Body>
auto single(Database& database, Body&& body, StoreOperation op = StoreOperation::kRead)
    -> std::invoke_result_t<Body&, Connection&> {
  const auto started = std::chrono::steady_clock::now();
  auto lease = database.acquire();
  if (!lease) {
    return counted(database, op, started,
                   std::invoke_result_t<Body&, Connection&>(fail(lease.error())));
  }
  return counted(database, op, started, body(**lease));
}

// A write transaction: all of `body`'s writes or none, as if no other ran at the same time.
template <typename Body>
auto write(Database& database, Body&& body) {
  return in_transaction(database, TransactionMode::kWrite, std::forward<Body>(body));
}

// --- time: stored as whole seconds since the epoch

std::int64_t unix_seconds(Timestamp t);
Timestamp timestamp(std::int64_t s);
std::optional<std::int64_t> unix_seconds(const std::optional<Timestamp>& t);
std::optional<Timestamp> timestamp(std::optional<std::int64_t> s);

// --- errors, each with its StoreErrorCode

Unexpected<StoreError> not_found(std::string message);
Unexpected<StoreError> invalid(std::string message);
Unexpected<StoreError> conflict(std::string message);
Unexpected<StoreError> corrupt(std::string message);

// --- rows

// Readers return a record or a StoreResult of one; read_rows takes either.
template <typename T>
StoreResult<T> as_result(T value) {
  return value;
}
template <typename T>
StoreResult<T> as_result(StoreResult<T> result) {
  return result;
}

// Every row `stmt` returns, each read by `read` (a Statement -> T or StoreResult<T>).
template <typename T, typename Read>
StoreResult<std::vector<T>> read_rows(Statement& stmt, Read read) {
  std::vector<T> out;
  for (;;) {
    SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
    if (!row) {
      return out;
    }
    SIGNET_STORE_TRY_ASSIGN(item, as_result(read(stmt)));
    out.push_back(std::move(item));
  }
}

// The one row `stmt` returns, read by `read` (as for read_rows); kNotFound with `missing` when it
// returns none.
template <typename T, typename Read>
StoreResult<T> read_one(Statement& stmt, Read read, std::string missing) {
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return not_found(std::move(missing));
  }
  return as_result<T>(read(stmt));
}

// The single integer `stmt` returns (a count); kInternal when it returns no row.
StoreResult<std::int64_t> read_count(Statement& stmt);

// Runs a statement that takes one text parameter and tells whether it returns a row.
StoreResult<bool> exists(Connection& db, std::string_view sql, std::string_view key);

// Runs `stmt`, a write that a UNIQUE constraint may refuse: kConflict with `message` (what is
// already there) when it does. Nothing may follow in the transaction then: PostgreSQL refuses
// every statement after a failed one.
StoreResult<Ok> run_unique(Statement& stmt, std::string message);

// Runs the INSERT, UPDATE or DELETE `sql` (its parameters bound by `bind`) in the caller's write
// transaction; the number of rows it changed.
StoreResult<std::int64_t> rows_changed(Connection& db, std::string_view sql,
                                       const std::function<void(Statement&)>& bind);

// Deletes the one row that `sql` (with its key bound by `bind`) selects, in the caller's write
// transaction; kNotFound with `missing` when there is no such row.
StoreResult<Ok> delete_one(Connection& db, std::string_view sql,
                           const std::function<void(Statement&)>& bind, std::string missing);

// --- revisions

// The next value of the revision counter (types.h Revision), for the record the caller's write
// transaction creates or updates. A rollback gives it back, so no two committed writes share one.
StoreResult<Revision> next_revision(Connection& db);

// kStale unless the record `what` names, stored at `stored`, is at `if_revision` (when given).
// Called before anything is written, so a lost race writes nothing.
StoreResult<Ok> check_revision(std::string_view what, Revision stored,
                               std::optional<Revision> if_revision);

// For an update of the record that `sql` (its revision, by the text key ?1) selects: kNotFound
// with `missing` when it is absent, else check_revision, else the revision the update writes.
StoreResult<Revision> claim_revision(Connection& db, std::string_view sql, std::string_view key,
                                     std::string_view what, std::string missing,
                                     std::optional<Revision> if_revision);

// A grant whose scopes change, directly or because its API dropped a permission, is updated.
StoreResult<Ok> bump_grant_revision(Connection& db, std::int64_t id);

// --- pages

// One window of a list, inside the caller's read transaction so that the total matches the
// items: `rows_sql` takes LIMIT ?1 OFFSET ?2 and `count_sql` counts the same rows; both take their
// filters from ?3 on, bound by `bind_filters`. The database does the slicing, so a page of a long
// list reads only the page.
template <typename T, typename Read>
StoreResult<Page<T>> read_page(Connection& db, const PageRequest& page, std::string_view rows_sql,
                               std::string_view count_sql,
                               const std::function<void(Statement&)>& bind_filters, Read read) {
  Page<T> out;
  {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(rows_sql));
    stmt.integer(1, page.limit).integer(2, page.offset);
    bind_filters(stmt);
    SIGNET_STORE_TRY_ASSIGN(items, read_rows<T>(stmt, read));
    out.items = std::move(items);
  }
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(count_sql));
  bind_filters(stmt);
  SIGNET_STORE_TRY_ASSIGN(total, read_count(stmt));
  out.total = total;
  return out;
}

// --- word lists

// Scopes and grant types are stored space-separated (neither may contain a space), application
// URLs one per line (no URL may hold a control character): validate.h keeps the separator out.
constexpr char kWordSeparator = ' ';
constexpr char kLineSeparator = '\n';
std::string join(const std::vector<std::string>& words, char separator = kWordSeparator);
std::vector<std::string> split(std::string_view text, char separator = kWordSeparator);

}  // namespace signet::store::sql::detail
