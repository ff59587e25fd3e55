#pragma once

// The public keys of private_key_jwt clients (RFC 7523 §3 item 9, OpenID Connect Core §9): the
// JWK Set registered inline (`jwks`) or the one published at the client's `jwks_uri`.
//
// - Each key set is a guard::JwksCache, so a client assertion picks its key exactly as the guard
//   picks an access token's (by kid, or the only key accepting the alg), and a jwks_uri is fetched
//   by the guard's fetcher with its limits: kJwksFetchTimeout, kMaxJwksBytes, no redirects, a
//   cache for the document's max-age, and at most one refetch per kJwksCooldown on an unknown kid.
// - Sets are shared by every request and keyed by what they come from (the JWKS text, or the
//   URI), so an admin's change of a client's keys is a new set, never a stale one.
// - At most kMaxClientKeySets are kept; the least recently used goes first.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "signet/common/result.h"
#include "signet/guard/clock.h"
#include "signet/guard/counters.h"
#include "signet/guard/jwks_cache.h"
#include "signet/guard/key_source.h"
#include "signet/jose/algorithm.h"
#include "signet/server/oauth_error.h"
#include "signet/store/types.h"

namespace signet::server {

// key sets kept in memory: far more clients than a tenant has use private_key_jwt, and each set
// is at most kMaxJwksBytes of parsed keys.
constexpr std::size_t kMaxClientKeySets = 1000;

struct ClientKeysOptions {
  // Where a jwks_uri's keys come from; empty: HTTP(S) through guard::HttpKeySource. Injected so
  // tests serve keys without a network and count the fetches.
  std::function<std::shared_ptr<guard::KeySource>(const std::string& jwks_uri)> fetcher;
  std::shared_ptr<const guard::Clock> clock;  // null: the system clock
};

class ClientKeys {
 public:
  explicit ClientKeys(ClientKeysOptions options = {});

  // The key of `app` (a private_key_jwt client) for a JWS whose header has `kid` and `alg`.
  // invalid_client when the client's keys hold no such key (saying what to register),
  // temporarily_unavailable when its jwks_uri cannot be fetched. May block on a fetch.
  Result<guard::JwksCache::Found, OAuthError> find(const store::Application& app,
                                                   const std::optional<std::string>& kid,
                                                   jose::Algorithm alg);

  // Fetch attempts of every jwks_uri, and how many failed (for tests and operators); inline key
  // sets are not fetched and not counted.
  const guard::Counters& counters() const { return counters_; }

 private:
  struct Entry {
    std::shared_ptr<guard::JwksCache> cache;
    std::uint64_t last_used = 0;
  };
  // The cache for `app`'s keys, made on first use; or why its inline JWKS cannot be used.
  Result<std::shared_ptr<guard::JwksCache>, OAuthError> cache_for(const store::Application& app);

  ClientKeysOptions options_;
  guard::GuardConfig config_;
  guard::Counters counters_;         // of jwks_uri sets
  guard::Counters inline_counters_;  // of inline sets, whose "fetch" only copies the parsed keys
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> sets_;  // by "jwks:" + SHA-256 or "uri:" + URI
  std::uint64_t uses_ = 0;
};

}  // namespace signet::server
