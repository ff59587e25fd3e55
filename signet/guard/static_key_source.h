#pragma once

#include <utility>

#include "signet/guard/key_source.h"

namespace signet::guard {

// Keys fixed at construction: for services that pin their issuer's keys from configuration, and
// for tests and benchmarks that must not touch the network.
class StaticKeySource final : public KeySource {
 public:
  explicit StaticKeySource(jose::Jwks jwks) : jwks_(std::move(jwks)) {}
  Result<FetchedKeys, std::string> fetch() override { return FetchedKeys{jwks_, std::nullopt}; }

 private:
  const jose::Jwks jwks_;
};

}  // namespace signet::guard
