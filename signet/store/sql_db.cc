#include "signet/store/sql_db.h"

namespace signet::store::sql {

Result<Ok, StoreError> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) {
      return fail(row.error());
    }
    if (!*row) {
      return Ok{};
    }
  }
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

Result<Transaction, StoreError> Transaction::begin(Connection& db, TransactionMode mode) {
  if (auto r = db.begin(mode); !r) {
    return fail(r.error());
  }
  return Transaction{db};
}

Result<Ok, StoreError> Transaction::commit() {
  auto r = db_->commit();
  if (r) {
    open_ = false;
  }
  return r;
}

}  // namespace signet::store::sql
