#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "signet/common/result.h"
#include "signet/jose/jwk.h"

namespace signet::guard {

struct FetchedKeys {
  jose::Jwks jwks;
  std::optional<std::chrono::seconds> max_age;  // from Cache-Control, when the source gave one
};

// Where verification keys come from. Injected so tests can serve keys and count fetches.
// fetch() may block (network); it is never called with a guard lock held.
class KeySource {
 public:
  virtual ~KeySource() = default;
  // The issuer's current key set, or a description of why it could not be had.
  virtual Result<FetchedKeys, std::string> fetch() = 0;
};

}  // namespace signet::guard
