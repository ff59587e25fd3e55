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
#include <string_view>

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
// How long acquire() waits for a free pooled connection: longer means every connection is held by
// slow operations, and the caller is better served by an error it can report than by a queue.
constexpr std::chrono::milliseconds kDefaultAcquireTimeout{5000};
// How long libpq waits for a new connection, unless the URL says connect_timeout: a server that
// does not answer in this long is down or unreachable, and a request should not hang on it.
constexpr std::chrono::seconds kDefaultConnectTimeout{5};

struct Options {
  // A libpq connection URI: postgresql://user:password@host:port/database?sslmode=verify-full&...
  // Every libpq parameter works (sslmode, sslrootcert, sslcert, sslkey, connect_timeout, ...).
  std::string url;
  int pool_size = kDefaultPoolSize;
  // Also the lock timeout: a statement waiting for a row lock gives up as soon.
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
// kInvalid also for a URL that is not a postgresql:// one and a pool_size outside
// 1..kMaxPoolSize.
Result<std::unique_ptr<sql::Database>, StoreError> open(const Options& options);

// A dedicated connection that LISTENs on one channel, so that a replica learns within a moment
// that another one wrote something it caches (NOTIFY <channel>).
//
// Not thread-safe: one thread waits. A notification that arrives while the connection is broken
// is lost, so wait() returns true after every reconnection: the caller reloads, as it would for a
// notification ("maybe something changed").
class Listener {
 public:
  // Connects (as open() does, with options.url) and LISTENs on `channel`, any identifier:
  // kUnavailable when the server cannot be reached, kInvalid for a URL libpq cannot parse.
  static Result<std::unique_ptr<Listener>, StoreError> open(const Options& options,
                                                            std::string channel);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // True when at least one notification arrived (all pending ones are consumed), false when
  // `timeout` passed without one. When the connection breaks, kUnavailable; the next call
  // connects and LISTENs again, and returns true once it has (kUnavailable while it cannot).
  Result<bool, StoreError> wait(std::chrono::milliseconds timeout);

  // The server process serving this connection (pg_backend_pid()), 0 while disconnected: for
  // logs, and for tests that end it with pg_terminate_backend().
  int backend_pid() const;

 private:
  struct State;
  explicit Listener(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace signet::store::postgres
