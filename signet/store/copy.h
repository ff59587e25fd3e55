#pragma once

// Copies a whole tenant from one store database to another (`signet store copy`): from the
// SQLite file to PostgreSQL when a server becomes several replicas, and back.
//
// - Every tenant table is copied, parents before children, with every column named in one
//   description (kTables in copy.cc), so each value is read and bound with its own type. Rows keep
//   their insertion order: the columns that order them (SQLite's implicit rowid, PostgreSQL's
//   `rowid` identity, client_grants.id) are copied too, and PostgreSQL's identities are moved
//   past the copied values, so new rows sort after them and a new grant never reuses a copied id.
// - meta's `revision` counter is carried over (never lowered), so revisions keep growing past the
//   copied ones.
// - Values are copied as they are: signing keys stay sealed under the master key they were sealed
//   with, which is not in the store; servers on the target need the same master key.
// - The source is read in one read transaction (one snapshot); everything written to the target
//   is one write transaction, committed only after every table was read back from the target
//   and matched the source row for row (count and SHA-256 digest): all or nothing.
// - The target must not hold a tenant (a row in apis, applications, users or signing_keys)
//   unless `replace`, which empties every tenant table of the target first, in that transaction.
//
// Both ends must be at schema::latest_version(): the source is refused otherwise, the target is
// migrated first (each migration its own transaction, as `signet migrate` does).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/store/error.h"
#include "signet/store/sql_db.h"

namespace signet::store::copy {

// How a column's values are read and bound, so that PostgreSQL gets its own types.
enum class ColumnKind {
  kText,
  kInteger,
  kBlob,
  kOptionalInteger,  // NULL or an integer (a time not reached yet)
  kOptionalBlob,     // NULL or bytes
};

struct Column {
  std::string_view name;
  ColumnKind kind;
};

struct Table {
  std::string_view name;
  std::vector<Column> columns;
  // The columns rows are read in, on both ends, for the digest: insertion order where the
  // statements use it, else the primary key.
  std::vector<std::string_view> order_by;
  // A PostgreSQL identity column (`rowid`, client_grants.id) whose sequence must move past the
  // copied values; empty when the table has none.
  std::string_view identity;
};

// Every tenant table, parents before children.
std::span<const Table> tables();

// Rows of one table in the target, and whether they matched the source.
struct TableCopy {
  std::string_view table;
  std::int64_t rows = 0;
};

struct CopyReport {
  std::vector<TableCopy> tables;  // in tables() order, every one verified
  std::int64_t revision = 0;      // meta's revision counter in the target after the copy
};

enum class CopyErrorCode {
  kTargetNotEmpty,  // the target holds a tenant and `replace` was not asked: nothing was written
  kMismatch,        // a table read back from the target differs from the source: rolled back
  kSource,          // the source could not be read (store_code says how)
  kTarget,          // the target could not be migrated or written: rolled back
};

struct CopyError {
  CopyErrorCode code;
  StoreErrorCode store_code;  // the underlying store error; kInternal for the two above
  std::string message;        // names the table; never a value
};

struct CopyOptions {
  bool replace = false;  // empty a target that holds a tenant instead of refusing it
};

// Copies the tenant of `from` into `to` as described above. `from` and `to` must be two
// different databases.
Result<CopyReport, CopyError> copy_tenant(sql::Connection& from, sql::Connection& to,
                                          const CopyOptions& options);

}  // namespace signet::store::copy
