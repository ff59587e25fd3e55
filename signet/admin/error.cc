#include "signet/admin/error.h"

namespace signet::admin {

std::string_view to_string(AdminErrorCode code) {
  switch (code) {
    case AdminErrorCode::kInvalid:
      return "invalid";
    case AdminErrorCode::kUnauthorized:
      return "unauthorized";
    case AdminErrorCode::kForbidden:
      return "forbidden";
    case AdminErrorCode::kNotFound:
      return "not_found";
    case AdminErrorCode::kConflict:
      return "conflict";
    case AdminErrorCode::kStale:
      return "stale";
    case AdminErrorCode::kTooMany:
      return "too_many_requests";
    case AdminErrorCode::kUnavailable:
      return "unavailable";
    case AdminErrorCode::kUnreachable:
      return "unreachable";
    case AdminErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

unsigned http_status(AdminErrorCode code) {
  switch (code) {
    case AdminErrorCode::kInvalid:
      return 400;
    case AdminErrorCode::kUnauthorized:
      return 401;
    case AdminErrorCode::kForbidden:
      return 403;
    case AdminErrorCode::kNotFound:
      return 404;
    case AdminErrorCode::kConflict:
      return 409;
    case AdminErrorCode::kStale:
      return 412;
    case AdminErrorCode::kTooMany:
      return 429;
    case AdminErrorCode::kUnavailable:
      return 503;
    case AdminErrorCode::kUnreachable:
      return 502;
    case AdminErrorCode::kInternal:
      return 500;
  }
  return 500;
}

AdminError from_store(std::string_view doing, const store::StoreError& e) {
  const std::string what = "cannot " + std::string(doing) + ": ";
  switch (e.code) {
    case store::StoreErrorCode::kNotFound:
      return {AdminErrorCode::kNotFound, e.message};
    case store::StoreErrorCode::kConflict:
      return {AdminErrorCode::kConflict, e.message};
    case store::StoreErrorCode::kInvalid:
      return {AdminErrorCode::kInvalid, e.message};
    case store::StoreErrorCode::kStale:
      return {AdminErrorCode::kStale, what + "it changed since it was read (" + e.message +
                                          "); read it again and repeat the change"};
    case store::StoreErrorCode::kBusy:
      return {AdminErrorCode::kUnavailable,
              what +
                  "the database is busy (another signet process is writing); nothing was "
                  "changed, try again"};
    case store::StoreErrorCode::kUnavailable:
      return {AdminErrorCode::kUnavailable,
              what + "the database cannot be reached (" + e.message +
                  "); nothing was changed, try again when it is back"};
    case store::StoreErrorCode::kSchemaTooNew:
      return {AdminErrorCode::kUnavailable,
              what + e.message + "; use the newer signet that migrated it"};
    case store::StoreErrorCode::kSchemaTooOld:
      return {AdminErrorCode::kUnavailable, what + e.message};
    case store::StoreErrorCode::kCorrupt:
    case store::StoreErrorCode::kIo:
      return {AdminErrorCode::kUnavailable,
              what + std::string(store::to_string(e.code)) + ": " + e.message};
    case store::StoreErrorCode::kInternal:
      break;
  }
  return {AdminErrorCode::kInternal, what + e.message};
}

}  // namespace signet::admin
