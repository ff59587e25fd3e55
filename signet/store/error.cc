#include "signet/store/error.h"

namespace signet::store {

namespace {

struct CodeNames {
  std::string_view words;  // for people
  std::string_view label;  // for machines
};

CodeNames names_of(StoreErrorCode code) {
  switch (code) {
    case StoreErrorCode::kNotFound:
      return {"not found", "not_found"};
    case StoreErrorCode::kConflict:
      return {"conflict", "conflict"};
    case StoreErrorCode::kStale:
      return {"stale", "stale"};
    case StoreErrorCode::kInvalid:
      return {"invalid", "invalid"};
    case StoreErrorCode::kBusy:
      return {"busy", "busy"};
    case StoreErrorCode::kUnavailable:
      return {"unavailable", "unavailable"};
    case StoreErrorCode::kCorrupt:
      return {"corrupt", "corrupt"};
    case StoreErrorCode::kIo:
      return {"i/o error", "io"};
    case StoreErrorCode::kSchemaTooNew:
      return {"schema too new", "schema_too_new"};
    case StoreErrorCode::kSchemaTooOld:
      return {"schema too old", "schema_too_old"};
    case StoreErrorCode::kInternal:
      return {"internal error", "internal"};
  }
  return {"unknown error", "internal"};
}

}  // namespace

std::string_view to_string(StoreErrorCode code) {
  return names_of(code).words;
}

std::string_view label(StoreErrorCode code) {
  return names_of(code).label;
}

std::string describe(const StoreError& e) {
  return std::string(to_string(e.code)) + ": " + e.message;
}

}  // namespace signet::store
