#pragma once

// The store's schema as one ordered list of migrations, each written for SQLite and for
// PostgreSQL. A database records the last one applied (SQLite in `PRAGMA user_version`,
// PostgreSQL in the `schema_version` table); migrate() applies the rest, each in its own
// transaction. Migrations are append-only: a released one is never edited, a change is a new one.
//
// PostgreSQL support begins at version 6: versions 1 to 5 have no PostgreSQL text, and version
// 6's creates the whole schema as SQLite has it after its sixth migration. Every later version
// carries both texts.

#include <span>
#include <string_view>

#include "signet/common/result.h"
#include "signet/store/error.h"
#include "signet/store/sql_db.h"

namespace signet::store::schema {

struct Migration {
  int version;  // 1, 2, 3, ...: the version the database has once this is applied
  std::string_view description;
  std::string_view sqlite;    // one or more statements
  std::string_view postgres;  // the same change for PostgreSQL; empty for nothing to do
};

// signet's migrations, oldest first.
std::span<const Migration> migrations();

// The version the newest migration brings a database to.
int latest_version();

// Applies every migration newer than the database's version, each with the version bump in one
// write transaction, so a crash leaves the database at a whole version. Another process migrating
// at the same time is harmless: each step re-reads the version under a lock (SQLite's write lock,
// a PostgreSQL advisory lock). Returns the version reached. kSchemaTooNew when the database is
// newer than the last migration (it was written by a newer signet, whose data this one could
// misread or damage).
Result<int, StoreError> migrate(sql::Connection& db, std::span<const Migration> list);

// The version recorded in the database (0 for a new one).
Result<int, StoreError> schema_version(sql::Connection& db);

// Ok when the database is at exactly latest_version(); kSchemaTooOld (with the command that
// migrates it) or kSchemaTooNew otherwise. What a server checks when it was not asked to migrate.
Result<Ok, StoreError> require_latest(sql::Connection& db);

}  // namespace signet::store::schema
