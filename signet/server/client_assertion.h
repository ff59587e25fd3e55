#pragma once

// private_key_jwt client authentication (RFC 7521 §4.2, RFC 7523 §2.2 and §3, OpenID Connect
// Core §9): the client sends client_assertion_type=urn:ietf:params:oauth:client-assertion-type:
// jwt-bearer and client_assertion=<a JWT it signed with a private key whose public half it
// registered>.
//
// The assertion is accepted when:
// - it is a compact JWS signed with an asymmetric algorithm (never "none", never HMAC: the
//   registered keys are public) by a key of the client's JWKS, chosen as the guard chooses;
// - iss and sub are the client_id (and a client_id sent in the body is the same);
// - aud holds the token endpoint's URL or the issuer;
// - exp is present and at most kMaxAssertionLifetime ahead; exp, nbf and iat hold with
//   kAssertionLeeway;
// - jti is present and was never used by this client before: every use is recorded in the store
//   (Store::record_client_assertion, shared by every replica and authoritative), behind a small
//   in-memory cache that answers a replay without a store round trip.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "signet/common/result.h"
#include "signet/server/client_keys.h"
#include "signet/server/oauth_error.h"
#include "signet/server/params.h"
#include "signet/server/tenant.h"
#include "signet/store/store.h"

namespace signet::server {

inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// An assertion's exp may be at most this far ahead: a short life bounds how long a leaked
// assertion is worth anything, and how long its jti must be remembered.
constexpr auto kMaxAssertionLifetime = std::chrono::seconds{300};
// Tolerated clock skew between a client and the server, for exp, nbf and iat.
constexpr auto kAssertionLeeway = std::chrono::seconds{30};
// bytes of a jti: a UUID is 36; a longer one would only grow the replay records.
constexpr std::size_t kMaxJtiBytes = 256;
// assertions remembered in memory; beyond, the soonest to expire is dropped (the store still
// knows it, so a replay of it is still refused).
constexpr std::size_t kReplayCacheEntries = 10000;

// The (client_id, jti) pairs seen recently, each until it expires. Thread-safe.
class AssertionReplayCache {
 public:
  explicit AssertionReplayCache(std::size_t capacity = kReplayCacheEntries);

  // True when the pair was remembered and has not expired at `now`.
  bool seen(std::string_view client_id, std::string_view jti, store::Timestamp now) const;
  // Remembers the pair until `expires_at`, first dropping entries expired at `now` when full.
  void remember(std::string_view client_id, std::string_view jti, store::Timestamp expires_at,
                store::Timestamp now);
  std::size_t size() const;

 private:
  using Key = std::pair<std::string, std::string>;
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::map<Key, store::Timestamp> expiry_;
  std::multimap<store::Timestamp, Key> by_expiry_;
};

class ClientAssertionVerifier {
 public:
  // `store` must outlive the verifier. `issuer` ends with '/'.
  ClientAssertionVerifier(store::Store& store, std::string issuer, ClientKeysOptions keys = {});

  // The client that `params` (holding client_assertion_type and client_assertion) authenticates,
  // or invalid_request (a malformed request), invalid_client (saying which rule the assertion
  // broke and what to do), temporarily_unavailable (the client's jwks_uri is down) or a store
  // failure. May block: a store write, and maybe a fetch of the client's keys.
  Result<const store::Application*, OAuthError> verify(const TenantSnapshot& snap,
                                                       const Params& params, store::Timestamp now);

  const ClientKeys& keys() const { return keys_; }
  const AssertionReplayCache& replays() const { return replays_; }

 private:
  store::Store& store_;
  const std::string issuer_;
  const std::string token_endpoint_;
  ClientKeys keys_;
  AssertionReplayCache replays_;
};

}  // namespace signet::server
