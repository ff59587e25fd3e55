#pragma once

#include <string>
#include <string_view>

namespace signet::store {

// Every way a store operation can fail. Callers branch on the code (a kConflict from
// create_application is "that client_id is taken", a kBusy is worth one retry); the message adds
// what the code cannot say (which key, which field, SQLite's own text) for logs and the admin CLI.
enum class StoreErrorCode {
  kNotFound,      // the named record (API, application, grant, user, key, token) does not exist
  kConflict,      // a unique key is taken (identifier, client_id, email, kid, one grant per
                  // client and API, one current and one next key per algorithm) or the record
                  // already moved on (a refresh token rotated twice)
  kStale,         // an update named the revision it read (if_revision), and the record has been
                  // written since: nothing was written
  kInvalid,       // the input breaks a rule of the model (lifetime out of range, empty name, a
                  // scope the API does not define, revoking a key that is not previous)
  kBusy,          // another writer held the database for longer than the busy timeout, or the
                  // database kept refusing a transaction that met others (PostgreSQL)
  kUnavailable,   // the database server cannot be reached (down, restarting, the network, every
                  // pooled connection in use for longer than the wait): nothing was written by
                  // this call, and trying again later may work
  kCorrupt,       // the file is not a signet database, is damaged, or holds a value this version
                  // cannot read
  kIo,            // the file could not be created, opened, read, written or synced
  kSchemaTooNew,  // the database was migrated by a newer signet; it is refused, not misread
  kSchemaTooOld,  // the database needs migrations this signet has (`signet migrate`), and the
                  // caller did not ask to apply them
  kInternal,      // an unexpected database error: a bug in signet, not in the input
};

// Stable text for logs, metrics and the admin CLI ("not found", "conflict", ...).
std::string_view to_string(StoreErrorCode code);
// The same code as a stable snake_case word for labels and machine-read fields ("not_found",
// "io"): to_string() words it for people ("not found", "i/o error").
std::string_view label(StoreErrorCode code);

struct StoreError {
  StoreErrorCode code;
  std::string message;  // human-readable detail; never holds a secret, hash or key material
};

// "<code>: <message>", the one line a log or an operator reads.
std::string describe(const StoreError& e);

}  // namespace signet::store
