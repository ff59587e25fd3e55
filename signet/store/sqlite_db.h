#pragma once

// Thin RAII over the SQLite C API for the SQLite store: a connection that owns its prepared
// statements, a statement in use that always resets, and a transaction that rolls back unless
// committed. Every SQLite return code is checked and turned into a StoreError.
//
// Not thread-safe: SqliteStore serialises access to one Connection.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <sqlite3.h>

#include "signet/common/result.h"
#include "signet/store/error.h"

namespace signet::store::sqlite {

// Maps an SQLite result code (extended codes on) to a StoreError, with `context` ("insert api")
// and SQLite's message in the text.
StoreError error_from(sqlite3* db, int rc, std::string_view context);

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// A prepared statement being used: bind parameters (1-based), step, read columns (0-based).
// Destruction resets it and clears its bindings, so it is ready for the next use and releases
// any read snapshot it held. A bind failure is remembered and reported by the next step().
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), bind_rc_(other.bind_rc_) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& text(int index, std::string_view value);
  Statement& blob(int index, std::string_view value);
  Statement& integer(int index, std::int64_t value);
  Statement& optional_integer(int index, std::optional<std::int64_t> value);

  // True when a row is available, false when the statement is done.
  Result<bool, StoreError> step();
  // Steps to the end, for statements that return no rows.
  Result<Ok, StoreError> run();

  std::string column_text(int column) const;
  std::string column_blob(int column) const;
  std::int64_t column_integer(int column) const;
  bool column_is_null(int column) const;
  std::optional<std::int64_t> column_optional_integer(int column) const;

 private:
  void note(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

class Connection {
 public:
  // Opens an existing file read-write. Extended result codes on; SQLite's own mutex off, since
  // the owner serialises calls.
  static Result<Connection, StoreError> open(const std::string& path);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  ~Connection();

  // Runs fixed SQL (pragmas, schema): never with user data, which goes through prepare().
  Result<Ok, StoreError> exec(const char* sql);
  // Returns the cached prepared statement for `sql`. `sql` must be a string literal: the cache
  // is keyed by it and keeps it for the connection's life.
  Result<Statement, StoreError> prepare(std::string_view sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  // The integer in the first column of the first row of `sql` (a literal, as for prepare());
  // `no_row` is the kCorrupt message when the query returns no row.
  Result<std::int64_t, StoreError> query_integer(std::string_view sql, std::string_view no_row);
  std::int64_t last_insert_rowid() const;
  sqlite3* handle() const { return db_.get(); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  // Statements are finalized before the connection closes (declaration order matters).
  std::unique_ptr<sqlite3, ConnectionCloser> db_;
  std::unordered_map<std::string_view, std::unique_ptr<sqlite3_stmt, StatementFinalizer>> cache_;
};

// A transaction begun by begin() (so that its error can be returned); rolls back on destruction
// unless commit() succeeded.
class Transaction {
 public:
  enum class Mode {
    kRead,   // BEGIN: one consistent snapshot for several reads
    kWrite,  // BEGIN IMMEDIATE: takes the write lock up front. A deferred transaction that reads
             // and then writes gets SQLITE_BUSY at once, without waiting, when another connection
             // committed in between; IMMEDIATE waits under the busy timeout instead.
  };

  static Result<Transaction, StoreError> begin(Connection& db, Mode mode);
  Transaction(Transaction&& other) noexcept
      : db_(other.db_), open_(std::exchange(other.open_, false)) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Result<Ok, StoreError> commit();

 private:
  explicit Transaction(Connection& db) : db_(&db), open_(true) {}

  Connection* db_;
  bool open_;
};

}  // namespace signet::store::sqlite
