#include "signet/store/error.h"

namespace signet::store {

std::string_view to_string(StoreErrorCode code) {
  switch (code) {
    case StoreErrorCode::kNotFound:
      return "not found";
    case StoreErrorCode::kConflict:
      return "conflict";
    case StoreErrorCode::kStale:
      return "stale";
    case StoreErrorCode::kInvalid:
      return "invalid";
    case StoreErrorCode::kBusy:
      return "busy";
    case StoreErrorCode::kUnavailable:
      return "unavailable";
    case StoreErrorCode::kCorrupt:
      return "corrupt";
    case StoreErrorCode::kIo:
      return "i/o error";
    case StoreErrorCode::kSchemaTooNew:
      return "schema too new";
    case StoreErrorCode::kSchemaTooOld:
      return "schema too old";
    case StoreErrorCode::kInternal:
      return "internal error";
  }
  return "unknown error";
}

std::string describe(const StoreError& e) {
  return std::string(to_string(e.code)) + ": " + e.message;
}

}  // namespace signet::store
