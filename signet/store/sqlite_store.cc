#include "signet/store/sqlite_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "signet/common/private_file.h"
#include "signet/store/schema.h"
#include "signet/store/sqlite_db.h"

namespace signet::store {

using sqlite::Connection;
using sqlite::Database;

namespace {

// Creates the file, empty, with mode 0600 when it does not exist. SQLite would create it with 0644
// (less the umask), and its -wal and -shm files copy the database file's mode.
StoreResult<Ok> create_private_file(const std::string& path) {
  auto created = create_file_exclusively(path, "", S_IRUSR | S_IWUSR);
  if (!created && !created.error().already_exists()) {
    return fail(StoreError{StoreErrorCode::kIo, std::string(to_string(created.error().step)) + " " +
                                                    path + ": " +
                                                    std::strerror(created.error().err)});
  }
  return Ok{};
}

StoreResult<Ok> expect_pragma(Connection& db, std::string_view sql, std::string_view expected,
                              std::string_view what) {
  auto stmt = db.prepare(sql);
  if (!stmt) {
    return fail(stmt.error());
  }
  auto row = stmt->step();
  if (!row) {
    return fail(row.error());
  }
  if (!*row || stmt->column_text(0) != expected) {
    return fail(StoreError{StoreErrorCode::kIo, std::string{what}});
  }
  return Ok{};
}

}  // namespace

StoreResult<std::unique_ptr<SqlStore>> SqliteStore::open(const std::string& path, Options options) {
  if (auto r = create_private_file(path); !r) {
    return fail(r.error());
  }
  auto opened = Connection::open(path);
  if (!opened) {
    return fail(opened.error());
  }
  auto& db = *opened;
  sqlite3_busy_timeout(db->handle(), static_cast<int>(options.busy_timeout.count()));
  // journal_mode is the first statement that reads the file, so it is where a file that is not a
  // database shows up (kCorrupt, from SQLITE_NOTADB).
  if (auto r = expect_pragma(*db, "PRAGMA journal_mode = WAL", "wal",
                             "the file system does not support SQLite's WAL mode");
      !r) {
    return fail(r.error());
  }
  if (auto r = db->exec(options.sync_every_commit ? "PRAGMA synchronous = FULL"
                                                  : "PRAGMA synchronous = NORMAL");
      !r) {
    return fail(r.error());
  }
  // Foreign keys are off by default in SQLite, per connection; the cascades depend on them.
  if (auto r = db->exec("PRAGMA foreign_keys = ON"); !r) {
    return fail(r.error());
  }
  if (auto r = expect_pragma(*db, "PRAGMA foreign_keys", "1",
                             "this SQLite was built without foreign key support");
      !r) {
    return fail(r.error());
  }
  // Deleted rows (secret hashes, encrypted keys, refresh-token hashes) are overwritten, not left
  // in free pages for whoever copies the file later.
  if (auto r = db->exec("PRAGMA secure_delete = ON"); !r) {
    return fail(r.error());
  }
  auto version = schema::migrate(*db, schema::migrations());
  if (!version) {
    return fail(version.error());
  }
  return std::make_unique<SqlStore>(std::make_unique<Database>(std::move(db)));
}

}  // namespace signet::store
