#pragma once

// What the store needs from an SQL database, so that one store implementation (sql_store.h)
// runs on SQLite (sqlite_db.h, the embedded default) and on PostgreSQL (postgres_db.h, for
// several replicas). A driver provides connections; a connection prepares statements, runs
// transactions and reports how many rows a write changed.
//
// Statement text is written once, in the dialect both databases accept: `?1`, `?2`, ...
// parameters (the PostgreSQL driver turns them into `$1`, `$2`, ...), integers for booleans and
// times, RETURNING for generated ids. Where the two differ, Connection::pick chooses the text.
//
// Not thread-safe: one connection serves one operation at a time, handed out by a Database.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "signet/common/result.h"
#include "signet/store/error.h"

namespace signet::store {
class StoreMetrics;
}

namespace signet::store::sql {

enum class Dialect { kSqlite, kPostgres };

// One prepared statement, as a driver implements it. Parameters are 1-based, columns 0-based.
// A bind failure is remembered and reported by the next step().
class StatementBackend {
 public:
  virtual ~StatementBackend() = default;

  virtual void bind_text(int index, std::string_view value) = 0;
  virtual void bind_blob(int index, std::string_view value) = 0;
  virtual void bind_integer(int index, std::int64_t value) = 0;
  // NULL where an integer goes (an optional time).
  virtual void bind_null_integer(int index) = 0;
  // NULL where a blob goes (a refresh token without a sealed successor).
  virtual void bind_null_blob(int index) = 0;

  // True when a row is available, false when the statement is done.
  virtual Result<bool, StoreError> step() = 0;

  virtual std::string column_text(int column) const = 0;
  virtual std::string column_blob(int column) const = 0;
  virtual std::int64_t column_integer(int column) const = 0;
  virtual bool column_is_null(int column) const = 0;

  // Forgets the bindings and the results, ready for the next use.
  virtual void reset() = 0;
};

// A prepared statement being used. Destruction resets it, so it is ready for the next use and
// releases any read snapshot it held.
class Statement {
 public:
  explicit Statement(StatementBackend* backend) : backend_(backend) {}
  Statement(Statement&& other) noexcept : backend_(std::exchange(other.backend_, nullptr)) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (backend_ != nullptr) {
      backend_->reset();
    }
  }

  Statement& text(int index, std::string_view value) {
    backend_->bind_text(index, value);
    return *this;
  }
  Statement& blob(int index, std::string_view value) {
    backend_->bind_blob(index, value);
    return *this;
  }
  Statement& integer(int index, std::int64_t value) {
    backend_->bind_integer(index, value);
    return *this;
  }
  Statement& optional_integer(int index, std::optional<std::int64_t> value) {
    if (value) {
      backend_->bind_integer(index, *value);
    } else {
      backend_->bind_null_integer(index);
    }
    return *this;
  }
  Statement& optional_blob(int index, const std::optional<std::string>& value) {
    if (value) {
      backend_->bind_blob(index, *value);
    } else {
      backend_->bind_null_blob(index);
    }
    return *this;
  }

  Result<bool, StoreError> step() { return backend_->step(); }
  // Steps to the end, for statements that return no rows.
  Result<Ok, StoreError> run();

  std::string column_text(int column) const { return backend_->column_text(column); }
  std::string column_blob(int column) const { return backend_->column_blob(column); }
  std::int64_t column_integer(int column) const { return backend_->column_integer(column); }
  bool column_is_null(int column) const { return backend_->column_is_null(column); }
  std::optional<std::int64_t> column_optional_integer(int column) const {
    if (column_is_null(column)) {
      return std::nullopt;
    }
    return column_integer(column);
  }

 private:
  StatementBackend* backend_;
};

enum class TransactionMode {
  kRead,   // one consistent snapshot for several reads
  kWrite,  // a write that behaves as if it ran alone: SQLite takes the write lock up front
           // (BEGIN IMMEDIATE), PostgreSQL runs it SERIALIZABLE and may ask for a retry
};

class Connection {
 public:
  virtual ~Connection() = default;

  virtual Dialect dialect() const = 0;

  // `sqlite` or `postgres`, whichever this connection speaks. Both must be string literals (see
  // prepare()).
  std::string_view pick(std::string_view sqlite, std::string_view postgres) const {
    return dialect() == Dialect::kSqlite ? sqlite : postgres;
  }

  // Runs fixed SQL, one or more statements (pragmas, schema, migrations): never with user data,
  // which goes through prepare().
  virtual Result<Ok, StoreError> exec(std::string_view sql) = 0;
  // The connection's prepared statement for `sql`, prepared at first use and kept for the
  // connection's life under a copy of its text. Text built at run time must come from a small,
  // fixed set of shapes: each shape is one cached statement.
  virtual Result<Statement, StoreError> prepare(std::string_view sql) = 0;
  // Rows changed by the last INSERT, UPDATE or DELETE run through a statement.
  virtual std::int64_t changes() const = 0;

  virtual Result<Ok, StoreError> begin(TransactionMode mode) = 0;
  virtual Result<Ok, StoreError> commit() = 0;
  // Never fails from the caller's point of view: a connection whose rollback failed is broken,
  // and the driver replaces it.
  virtual void rollback() = 0;
  // True when the last error is one the database gives a transaction that merely met another
  // (a serialization failure, a deadlock): running the whole transaction again will do.
  virtual bool last_error_is_retryable() const = 0;

  // The integer in the first column of the first row of `sql` (a literal, as for prepare());
  // `no_row` is the kCorrupt message when the query returns no row.
  Result<std::int64_t, StoreError> query_integer(std::string_view sql, std::string_view no_row);
};

// A connection on loan from a Database, given back when the lease ends.
class Database;
struct GiveBack {
  Database* database;
  void operator()(Connection* connection) const;
};
using Lease = std::unique_ptr<Connection, GiveBack>;

// Where connections come from: one connection behind a mutex (SQLite), or a pool (PostgreSQL).
// Safe to use from several threads.
class Database {
 public:
  virtual ~Database() = default;

  virtual Dialect dialect() const = 0;
  // A connection for one operation, exclusively the caller's until the lease ends. Waits for one
  // to be free (bounded by the driver's timeout).
  virtual Result<Lease, StoreError> acquire() = 0;

  // Where read(), write() and single() (sql_store_internal.h) count their time and errors; null
  // (the default) = not counted. Set once, before the database is used from other threads.
  void set_metrics(const StoreMetrics* metrics) { metrics_ = metrics; }
  const StoreMetrics* metrics() const { return metrics_; }

 protected:
  friend struct GiveBack;
  virtual void give_back(Connection* connection) noexcept = 0;

 private:
  const StoreMetrics* metrics_ = nullptr;
};

inline void GiveBack::operator()(Connection* connection) const {
  database->give_back(connection);
}

// A transaction begun on `db`, rolled back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction, StoreError> begin(Connection& db, TransactionMode mode);
  Transaction(Transaction&& other) noexcept
      : db_(other.db_), open_(std::exchange(other.open_, false)) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    if (open_) {
      db_->rollback();
    }
  }

  Result<Ok, StoreError> commit();

 private:
  explicit Transaction(Connection& db) : db_(&db), open_(true) {}

  Connection* db_;
  bool open_;
};

}  // namespace signet::store::sql
