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

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Statement::note(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
  }
}

Statement& Statement::text(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the bytes, so the caller's string may go away.
  note(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::blob(int index, std::string_view value) {
  // A null pointer would bind NULL, not an empty blob.
  static constexpr char kEmpty = 0;
  note(sqlite3_bind_blob64(stmt_, index, value.empty() ? &kEmpty : value.data(), value.size(),
                           SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::integer(int index, std::int64_t value) {
  note(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::optional_integer(int index, std::optional<std::int64_t> value) {
  note(value ? sqlite3_bind_int64(stmt_, index, *value) : sqlite3_bind_null(stmt_, index));
  return *this;
}

Result<bool, StoreError> Statement::step() {
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

Result<Ok, StoreError> Statement::run() {
  for (;;) {
    auto r = step();
    if (!r) {
      return fail(r.error());
    }
    if (!*r) {
      return Ok{};
    }
  }
}

std::string Statement::column_text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string{} : std::string(p, static_cast<std::size_t>(n));
}

std::string Statement::column_blob(int column) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string{} : std::string(p, static_cast<std::size_t>(n));
}

std::int64_t Statement::column_integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<std::int64_t> Statement::column_optional_integer(int column) const {
  if (column_is_null(column)) {
    return std::nullopt;
  }
  return column_integer(column);
}

Result<Connection, StoreError> Connection::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  Connection db{raw};  // closes `raw` on every path, even a failed open
  if (rc != SQLITE_OK) {
    return fail(error_from(raw, rc, "open " + path));
  }
  return db;
}

Connection::~Connection() {
  cache_.clear();  // finalize statements before the connection closes
}

Result<Ok, StoreError> Connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return fail(error_from(db_.get(), rc, "exec"));
  }
  return Ok{};
}

Result<Statement, StoreError> Connection::prepare(std::string_view sql) {
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
    it = cache_.emplace(sql, raw).first;
  }
  return Statement{db_.get(), it->second.get()};
}

Result<std::int64_t, StoreError> Connection::query_integer(std::string_view sql,
                                                           std::string_view no_row) {
  auto stmt = prepare(sql);
  if (!stmt) {
    return fail(stmt.error());
  }
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  if (!*row) {
    return fail(StoreError{StoreErrorCode::kCorrupt, std::string(no_row)});
  }
  return stmt->column_integer(0);
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(db_.get());
}

std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_.get());
}

Result<Transaction, StoreError> Transaction::begin(Connection& db, Mode mode) {
  if (auto r = db.exec(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"); !r) {
    return fail(r.error());
  }
  return Transaction{db};
}

Transaction::~Transaction() {
  if (open_) {
    // Nothing useful to do if even the rollback fails: SQLite rolls back on its own when the
    // connection closes or the next BEGIN finds the transaction gone.
    (void)db_->exec("ROLLBACK");
  }
}

Result<Ok, StoreError> Transaction::commit() {
  auto r = db_->exec("COMMIT");
  if (r) {
    open_ = false;
  }
  return r;
}

}  // namespace signet::store::sqlite
