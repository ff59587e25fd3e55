#pragma once

#include <string>
#include <string_view>

#include "signet/store/error.h"

namespace signet::admin {

// Every way an admin operation can fail, each with the HTTP status the Management API answers
// it with, so the CLI (local or remote) and the API say the same thing.
enum class AdminErrorCode {
  kInvalid,       // 400: the input breaks a rule (a lifetime out of range, an unknown field value)
  kUnauthorized,  // 401: (remote) no valid Management API token
  kForbidden,     // 403: (remote) the token lacks the operation's scope; or the operation would
                  // break the tenant (deleting the Management API itself)
  kNotFound,      // 404: the named record does not exist
  kConflict,      // 409: a unique key is taken (identifier, client_id, email, one grant per pair)
  kStale,         // 412: If-Match named a revision the record no longer has; nothing written
  kTooMany,       // 429: (remote) the server refused for load
  kUnavailable,   // 503: the store is busy or cannot be read or written; worth a retry later
  kUnreachable,   // (remote) the server could not be reached or answered something else
  kInternal,      // 500: a bug in signet, not in the input
};

// Stable text: "invalid", "unauthorized", "forbidden", "not_found", ...
std::string_view to_string(AdminErrorCode code);
// The HTTP status the Management API answers with (kUnreachable: 502).
unsigned http_status(AdminErrorCode code);

struct AdminError {
  AdminErrorCode code;
  std::string message;  // one sentence an operator can act on; never a secret

  static AdminError invalid(std::string message) {
    return {AdminErrorCode::kInvalid, std::move(message)};
  }
  static AdminError not_found(std::string message) {
    return {AdminErrorCode::kNotFound, std::move(message)};
  }
  static AdminError conflict(std::string message) {
    return {AdminErrorCode::kConflict, std::move(message)};
  }
};

// A store failure while `doing` something ("create API x"): not found, conflict, invalid and
// stale keep the store's sentence; busy, I/O, corrupt and schema failures become kUnavailable
// saying what could not be done; anything else kInternal.
AdminError from_store(std::string_view doing, const store::StoreError& e);

}  // namespace signet::admin
