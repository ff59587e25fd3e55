#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/jose/algorithm.h"

namespace signet::guard {

// What a successfully verified access token tells the API.
struct VerifiedToken {
  boost::json::object claims;
  std::string subject;  // "sub", empty if absent
  std::string kid;      // the key that verified it
  jose::Algorithm alg = jose::Algorithm::kRS256;
  std::int64_t expires_at = 0;      // "exp"
  std::vector<std::string> scopes;  // "scope" split on spaces, plus "permissions", deduplicated
  // "cnf"."jkt" (RFC 9449 §6.1): the SHA-256 thumbprint of the key the token is bound to, which
  // must sign a DPoP proof for every use; empty when the token is not bound (a bearer token).
  std::string jkt;

  bool has_scope(std::string_view scope) const;
  // Approximate heap footprint, for the cache's memory bound.
  std::size_t footprint() const;
};

// The token's cnf.jkt (RFC 9449 §6.1), empty when it has no cnf or a cnf without jkt. A cnf
// that is not an object, or a jkt that is not a non-empty string, fails: read leniently, a
// malformed binding would turn a bound token into a bearer token anyone holding it could use.
Result<std::string_view, Ok> bound_key(const boost::json::object& claims);

}  // namespace signet::guard
