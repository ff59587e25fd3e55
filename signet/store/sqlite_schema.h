#pragma once

// The SQLite store's schema as an ordered list of migrations. A database records the last one
// applied in `PRAGMA user_version`; opening applies the rest, each in its own transaction.
// Migrations are append-only: a released one is never edited, a change is a new one.

#include <span>
#include <string_view>

#include "signet/common/result.h"
#include "signet/store/error.h"
#include "signet/store/sqlite_db.h"

namespace signet::store::sqlite {

struct Migration {
  int version;  // 1, 2, 3, ...: the user_version the database has once this is applied
  std::string_view description;
  std::string_view sql;  // one or more statements
};

// signet's migrations, oldest first.
std::span<const Migration> migrations();

// Applies every migration newer than the database's version, each with the version bump in one
// write transaction, so a crash leaves the database at a whole version. Another process migrating
// at the same time is harmless: each step re-reads the version under the write lock.
// Returns the version reached. kSchemaTooNew when the database is newer than the last migration
// (it was written by a newer signet, whose data this one could misread or damage).
Result<int, StoreError> migrate(Connection& db, std::span<const Migration> list);

// The version recorded in the database (0 for a new file).
Result<int, StoreError> schema_version(Connection& db);

}  // namespace signet::store::sqlite
