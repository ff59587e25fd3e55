#pragma once

// The SQLite driver behind sql_db.h: one connection to the database file, behind a mutex, with
// its prepared statements cached for the connection's life. Every SQLite return code is checked
// and turned into a StoreError.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "signet/common/result.h"
#include "signet/store/error.h"
#include "signet/store/sql_db.h"

namespace signet::store::sqlite {

// Maps an SQLite result code (extended codes on) to a StoreError, with `context` ("insert api")
// and SQLite's message in the text.
StoreError error_from(sqlite3* db, int rc, std::string_view context);

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

class SqliteStatement final : public sql::StatementBackend {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void bind_text(int index, std::string_view value) override;
  void bind_blob(int index, std::string_view value) override;
  void bind_integer(int index, std::int64_t value) override;
  void bind_null_integer(int index) override;
  void bind_null_blob(int index) override;
  Result<bool, StoreError> step() override;
  std::string column_text(int column) const override;
  std::string column_blob(int column) const override;
  std::int64_t column_integer(int column) const override;
  bool column_is_null(int column) const override;
  void reset() override;

 private:
  void note(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

class Connection final : public sql::Connection {
 public:
  // Opens an existing file read-write. Extended result codes on; SQLite's own mutex off, since
  // the owner serialises calls.
  static Result<std::unique_ptr<Connection>, StoreError> open(const std::string& path);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() override;

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  Result<Ok, StoreError> exec(std::string_view sql) override;
  Result<sql::Statement, StoreError> prepare(std::string_view sql) override;
  std::int64_t changes() const override;
  Result<Ok, StoreError> begin(sql::TransactionMode mode) override;
  Result<Ok, StoreError> commit() override;
  void rollback() override;
  // SQLite waits for the write lock itself (the busy timeout): there is nothing to retry.
  bool last_error_is_retryable() const override { return false; }

  sqlite3* handle() const { return db_.get(); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  // Statements are finalized before the connection closes (declaration order matters).
  std::unique_ptr<sqlite3, ConnectionCloser> db_;
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Keyed by a copy of the statement's text, so that text built at run time (the event log's
  // filters) never leaves a dangling key; looked up by view, without a copy.
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>, TextHash, std::equal_to<>>
      cache_;
};

// The one connection, lent to one caller at a time: SQLite has one writer at a time anyway, and
// a store call holds the connection for microseconds.
class Database final : public sql::Database {
 public:
  explicit Database(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  Result<sql::Lease, StoreError> acquire() override;
  Connection& connection() { return *connection_; }  // for set-up, before any lease

 protected:
  void give_back(sql::Connection* connection) noexcept override;

 private:
  std::mutex mu_;  // held from acquire() to give_back()
  std::unique_ptr<Connection> connection_;
};

}  // namespace signet::store::sqlite
