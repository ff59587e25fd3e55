#pragma once

// The PostgreSQL driver behind sql_db.h, on libpq: a pool of connections to one database, shared
// by the threads of one process (several `signet serve` replicas each have their own pool on the
// same database; docs/postgresql.md).
//
// - Statements are prepared per connection at first use, with parameter types taken from the
//   first binding, and `?N` turned into `$N`. Results come back as text (integers parsed, bytea
//   decoded); blob parameters go as binary.
// - Write transactions run SERIALIZABLE: the database then behaves as if writes ran one at a time,
//   as they do on SQLite, and a transaction that met another fails with a serialization failure
//   that the store retries (last_error_is_retryable()).
// - A connection that breaks (the server restarted, the network dropped) is closed when it is
//   given back, and a new one is made at the next acquire(): the pool recovers by itself.
// - Errors map SQLSTATEs to StoreErrorCode: unique violations kConflict; foreign key, check and
//   not-null violations kInvalid; serialization failures and deadlocks kBusy (retryable);
//   statement and lock timeouts kBusy; connection failures kUnavailable. Messages never hold the
//   connection string's password.

#include <chrono>
#include <memory>
#include <string>

#include "signet/common/result.h"
#include "signet/store/error.h"
#include "signet/store/sql_db.h"

namespace signet::store::postgres {

// Connections a replica keeps open to the database. Each request-path operation holds one for a
// few milliseconds; PostgreSQL's default max_connections (100) divided among replicas and the CLI.
constexpr int kDefaultPoolSize = 8;
constexpr int kMaxPoolSize = 256;  // more connections than PostgreSQL serves well on one machine
// A statement that runs longer than this is cancelled by the server: every statement of the store
// touches a few rows by index, so this long means a lock held by someone else or a sick server.
constexpr std::chrono::milliseconds kDefaultStatementTimeout{5000};
// How long acquire() waits for a free pooled connection, and libpq for a new connection.
constexpr std::chrono::milliseconds kDefaultAcquireTimeout{5000};
constexpr std::chrono::seconds kDefaultConnectTimeout{5};

struct Options {
  // A libpq connection URI: postgresql://user:password@host:port/database?sslmode=verify-full&...
  // Every libpq parameter works (sslmode, sslrootcert, sslcert, sslkey, connect_timeout, ...).
  std::string url;
  int pool_size = kDefaultPoolSize;
  std::chrono::milliseconds statement_timeout = kDefaultStatementTimeout;
  std::chrono::milliseconds acquire_timeout = kDefaultAcquireTimeout;
};

// True for a URL this driver takes: it starts with postgresql:// or postgres://.
bool is_postgres_url(std::string_view url);

// The URL with its password (in the userinfo or a password= parameter) replaced by "***", for
// logs and error messages.
std::string redact_url(std::string_view url);

// Connects once to check the URL and the server (kUnavailable when it cannot, with libpq's reason;
// kInvalid for a URL libpq cannot parse); further connections are made as they are needed, up to
// pool_size.
Result<std::unique_ptr<sql::Database>, StoreError> open(const Options& options);

}  // namespace signet::store::postgres
