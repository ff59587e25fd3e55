#include "signet/store/sqlite_db.h"

namespace signet::store::sqlite {

StoreError error_from(sqlite3* db, int rc, std::string_view context) {
  StoreErrorCode code = StoreErrorCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
          rc == SQLITE_CONSTRAINT_ROWID) {
        code = StoreErrorCode::kConflict;
      } else {
        // CHECK, NOT NULL, FOREIGN KEY: the input did not fit the model. validate.h catches these
        // first with a better message; the schema is the second line of defence.
        code = StoreErrorCode::kInvalid;
      }
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = StoreErrorCode::kBusy;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = StoreErrorCode::kCorrupt;
      break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      code = StoreErrorCode::kIo;
      break;
    default:
      break;
  }
  std::string message{context};
  message += ": ";
  // sqlite3_errmsg describes the connection's most recent error, which is this one when db is
  // given; sqlite3_errstr only knows the code.
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return StoreError{code, std::move(message)};
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

void SqliteStatement::note(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
  }
}

void SqliteStatement::bind_text(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the bytes, so the caller's string may go away.
  note(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void SqliteStatement::bind_blob(int index, std::string_view value) {
  // A null pointer would bind NULL, not an empty blob.
  static constexpr char kEmpty = 0;
  note(sqlite3_bind_blob64(stmt_, index, value.empty() ? &kEmpty : value.data(), value.size(),
                           SQLITE_TRANSIENT));
}

void SqliteStatement::bind_integer(int index, std::int64_t value) {
  note(sqlite3_bind_int64(stmt_, index, value));
}

void SqliteStatement::bind_null_integer(int index) {
  note(sqlite3_bind_null(stmt_, index));
}

void SqliteStatement::bind_null_blob(int index) {
  note(sqlite3_bind_null(stmt_, index));
}

Result<bool, StoreError> SqliteStatement::step() {
  if (bind_rc_ != SQLITE_OK) {
    return fail(error_from(nullptr, bind_rc_, "bind"));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return fail(error_from(db_, rc, sqlite3_sql(stmt_)));
}

std::string SqliteStatement::column_text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string{} : std::string(p, static_cast<std::size_t>(n));
}

std::string SqliteStatement::column_blob(int column) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string{} : std::string(p, static_cast<std::size_t>(n));
}

std::int64_t SqliteStatement::column_integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

bool SqliteStatement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<Connection>, StoreError> Connection::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  std::unique_ptr<Connection> db{new Connection{raw}};  // closes `raw` on every path
  if (rc != SQLITE_OK) {
    return fail(error_from(raw, rc, "open " + path));
  }
  return db;
}

Connection::~Connection() {
  cache_.clear();  // finalize statements before the connection closes
}

Result<Ok, StoreError> Connection::exec(std::string_view sql) {
  // sqlite3_exec needs a NUL-terminated string; fixed SQL is short, so copy.
  const std::string text{sql};
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return fail(error_from(db_.get(), rc, "exec"));
  }
  return Ok{};
}

Result<sql::Statement, StoreError> Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    // PERSISTENT: these statements live as long as the connection.
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(raw);
      return fail(error_from(db_.get(), rc, "prepare"));
    }
    it = cache_.emplace(std::string(sql), std::make_unique<SqliteStatement>(db_.get(), raw)).first;
  }
  return sql::Statement{it->second.get()};
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(db_.get());
}

Result<Ok, StoreError> Connection::begin(sql::TransactionMode mode) {
  // IMMEDIATE takes the write lock up front. A deferred transaction that reads and then writes
  // gets SQLITE_BUSY at once, without waiting, when another connection committed in between;
  // IMMEDIATE waits under the busy timeout instead.
  return exec(mode == sql::TransactionMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
}

Result<Ok, StoreError> Connection::commit() {
  return exec("COMMIT");
}

void Connection::rollback() {
  // Nothing useful to do if even the rollback fails: SQLite rolls back on its own when the
  // connection closes or the next BEGIN finds the transaction gone.
  (void)exec("ROLLBACK");
}

Result<sql::Lease, StoreError> Database::acquire() {
  mu_.lock();
  return sql::Lease{connection_.get(), sql::GiveBack{this}};
}

void Database::give_back(sql::Connection* /*connection*/) noexcept {
  mu_.unlock();
}

}  // namespace signet::store::sqlite
