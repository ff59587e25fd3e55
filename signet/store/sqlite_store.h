#pragma once

// The embedded store: one SQLite file in the data directory, behind SqlStore.
//
// Durability: WAL journal with synchronous=NORMAL by default. A commit is in the WAL file (in the
// OS page cache) before it returns, so every committed change survives the server being killed,
// SIGKILL included; only an OS crash or power loss can lose the last few commits, and never
// corrupts the file. Options::sync_every_commit (synchronous=FULL) also fsyncs the WAL at every
// commit, for machines where that risk matters more than the write latency on the request path
// (refresh-token rotation, failed-login counters).
//
// Threading: one connection, lent to one operation at a time (sqlite_db.h). SQLite admits one
// writer at a time anyway, and the reads a token request makes are indexed lookups that take
// microseconds, far below the signature that follows; callers cache configuration by generation()
// besides. Other processes (the admin CLI) use their own connection; the busy timeout makes them
// wait for each other instead of failing.

#include <chrono>
#include <memory>
#include <string>

#include "signet/store/sql_store.h"

namespace signet::store {

// How long a write waits for another connection's write to finish before failing kBusy. Writes are
// short (a few rows), so waiting this long means something is wrong, not busy.
constexpr auto kSqliteBusyTimeout = std::chrono::milliseconds{5000};

struct SqliteStore {
  struct Options {
    bool sync_every_commit = false;  // synchronous=FULL instead of NORMAL (see above)
    std::chrono::milliseconds busy_timeout = kSqliteBusyTimeout;
  };

  // Opens the database file at `path`, creating it with mode 0600 (it holds secret hashes and
  // encrypted private keys) when it does not exist, and brings its schema up to date.
  // kSchemaTooNew for a file from a newer signet, kCorrupt for a file that is not an SQLite
  // database, kIo when the file cannot be created or opened.
  static StoreResult<std::unique_ptr<SqlStore>> open(const std::string& path, Options options);
  static StoreResult<std::unique_ptr<SqlStore>> open(const std::string& path) {
    return open(path, Options{});
  }
};

}  // namespace signet::store
