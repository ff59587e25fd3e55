#pragma once

// Where `signet token` gets a token: from its cache when that is allowed and still safe, else from
// the issuer. The rules:
// - A password-grant token is never read from or written to the cache: the issuer checks the
//   password on every call.
// - A client-credentials token is cached under a key that hashes the client secret
//   (token_cache.h): a wrong secret finds nothing, goes to the issuer and is refused there.
// - A cached token is served only while the key that signed it (its header's kid) is in the
//   issuer's JWKS. After `signet keys revoke` the entry is dropped and a new token asked for. When
//   the JWKS cannot be read, the cached token is not served either: a new one is asked for (the
//   issuer is needed for that anyway), and a warning says why.
// - A new token that is not a JWT naming its kid could not be checked that way, and one whose
//   lifetime the issuer did not say could not be renewed in time: neither is cached.
// - With a DPoP key (TokenRequest::dpop), a token is bound to it (token_type DPoP) and cached with
//   its thumbprint, under a cache key that includes the thumbprint: it is served only to requests
//   with the same key, and a bearer request never gets it (an API refuses a bound token sent as
//   Bearer). An issuer that answers Bearer to a proof does not do DPoP: that token is returned
//   with a warning, and not cached.
// Network cost per call: a hit reads the metadata and the JWKS, once each; a miss reads the
// metadata and POSTs to the token endpoint; a dropped entry does all three.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "signet/client/token_cache.h"
#include "signet/client/token_client.h"
#include "signet/common/result.h"

namespace signet::client {

enum class CachePolicy {
  kUse,      // serve a cached token when the rules allow, cache a new one
  kRefresh,  // skip the cached token: ask for a new one and cache it in its place (--refresh)
  kBypass,   // neither read nor write the cache (--no-cache)
};

struct ObtainedToken {
  CachedToken token;
  bool from_cache = false;
  std::optional<boost::json::object> response;  // the issuer's whole answer, for a new token
};

// Receives warnings: the token is still obtained, but something the user should fix happened
// (a cache file that is refused, keys that cannot be read). Never given a secret.
using Warn = std::function<void(const std::string&)>;

// A token for `request` by the rules above, at `now`. `cache` may be null (no place for one).
// The error is the issuer's refusal or why it could not be asked, as TokenClient::request says.
Result<ObtainedToken, std::string> obtain_token(TokenClient& client, const TokenCache* cache,
                                                const TokenRequest& request, CachePolicy policy,
                                                std::chrono::sys_seconds now, const Warn& warn);

}  // namespace signet::client
