#pragma once

// The store on a PostgreSQL database (docs/postgresql.md): SqlStore over the libpq driver, for
// several `signet serve` replicas sharing one tenant.
//
// Unlike the SQLite file, the database is not migrated at every open: replicas of different
// versions may share it during an upgrade, so migrating is an explicit step (`signet migrate`, or
// `signet serve --migrate`), and a store opened on a database at another version is refused.

#include <memory>

#include "signet/store/postgres_db.h"
#include "signet/store/sql_store.h"

namespace signet::store {

// The channel the schema's triggers notify at every configuration change (schema.cc).
constexpr std::string_view kConfigurationChannel = "signet_configuration";

struct PostgresStore {
  struct Options {
    postgres::Options connection;
    bool migrate = false;  // apply pending migrations first, instead of refusing the database
  };

  // kUnavailable when the database cannot be reached; kSchemaTooOld when it needs migrating and
  // `migrate` is off; kSchemaTooNew when a newer signet migrated it.
  static StoreResult<std::unique_ptr<SqlStore>> open(const Options& options);

  // Brings the database's schema up to date; returns the version reached.
  static StoreResult<int> migrate(const postgres::Options& connection);
};

}  // namespace signet::store
