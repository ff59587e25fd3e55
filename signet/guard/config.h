#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "signet/common/replay_cache.h"
#include "signet/jose/algorithm.h"
#include "signet/jose/dpop.h"
#include "signet/jose/jws.h"

namespace signet::guard {

constexpr auto kDefaultLeeway = std::chrono::seconds{5};     // tolerated clock skew between hosts
constexpr auto kJwksFetchTimeout = std::chrono::seconds{5};  // a slow issuer cannot stall us longer
constexpr std::size_t kMaxJwksBytes = 256 * 1024;  // a JWKS of 100 RSA-8192 keys fits easily
constexpr auto kJwksDefaultTtl =
    std::chrono::minutes{10};  // without a usable Cache-Control max-age
constexpr auto kJwksMinTtl =
    std::chrono::seconds{60};  // max-age below this is raised: no hammering
constexpr auto kJwksMaxTtl =
    std::chrono::hours{24};  // max-age above this is lowered: see revocations
constexpr auto kJwksMaxStale =
    std::chrono::hours{1};  // an unreachable issuer's last keys serve this long past expiry
constexpr auto kJwksCooldown =
    std::chrono::seconds{30};  // an unknown kid refetches at most this often,
                               // so random kids cannot become a flood of fetches
constexpr std::size_t kTokenCacheEntries = 10000;           // verified tokens remembered
constexpr std::size_t kTokenCacheBytes = 16 * 1024 * 1024;  // memory bound of that cache

// How the JOSE "typ" header is judged.
enum class TypPolicy {
  kLenient,  // absent, "JWT" or "at+jwt" (Auth0, Keycloak and RFC 9068 issuers)
  kStrict,   // only "at+jwt" (RFC 9068 §4: refuses ID tokens and other JWTs used as access tokens)
};

// Which Authorization schemes the API accepts (RFC 9449 §7). A token bound to a key (cnf.jkt) is
// refused as Bearer under either policy: whoever stole it must not be able to drop the proof.
enum class DpopPolicy {
  kAllowed,   // Bearer for unbound tokens, DPoP for bound ones; 401s offer both challenges
  kRequired,  // only DPoP: every Bearer request is refused, and 401s offer only the DPoP challenge
};

// How DPoP proofs (RFC 9449 §4.3) are checked.
struct DpopConfig {
  DpopPolicy policy = DpopPolicy::kAllowed;
  // Accepted proof algorithms, in the order WWW-Authenticate's algs names them; never none or
  // HMAC (a proof must be signed by the private half of the key it carries).
  std::vector<jose::Algorithm> algorithms{jose::Algorithm::kES256, jose::Algorithm::kEdDSA,
                                          jose::Algorithm::kRS256, jose::Algorithm::kPS256};
  std::chrono::seconds proof_lifetime = jose::dpop::kDefaultProofLifetime;
  std::chrono::seconds leeway = jose::dpop::kDefaultLeeway;
  // Proofs remembered until they go stale, so that each is used once; when full, fresh proofs
  // are refused (failing open would let a replay through).
  std::size_t replay_cache_entries = ReplayCache::kDefaultEntries;
  // Where they are remembered: null for a cache of the guard's own (of replay_cache_entries).
  // Given, it outlives the guard: a host that rebuilds its guard (the Management API does on
  // every key change) keeps the proofs it has seen, so a rebuild cannot reopen a replay.
  std::shared_ptr<ReplayCache> replay_cache;
  // And, when set, shared with the host's other replicas: a proof this process takes as new is
  // recorded there too, and refused if another replica used it. Null: this process's cache only
  // (the right choice for one process, and for `signet api`, which has no store).
  std::shared_ptr<ReplayLedger> replay_ledger;
  // Server nonces (RFC 9449 §9): when set, a proof must carry a current one, and every answer to
  // a DPoP request carries a fresh DPoP-Nonce. Null: no nonces.
  std::shared_ptr<const jose::dpop::NonceSource> nonces;
};

struct GuardConfig {
  std::string issuer;                  // compared exactly with "iss": a trailing slash matters
  std::vector<std::string> audiences;  // one of them must be in "aud"
  std::vector<jose::Algorithm> algorithms{jose::Algorithm::kRS256, jose::Algorithm::kPS256,
                                          jose::Algorithm::kES256, jose::Algorithm::kEdDSA};
  std::chrono::seconds leeway = kDefaultLeeway;
  std::size_t max_token_bytes = jose::kDefaultMaxTokenBytes;
  std::string jwks_uri;  // empty: discovered from {issuer}.well-known/openid-configuration
  std::string ca_file;   // for HTTPS issuers; empty: the system's trust store
  TypPolicy typ = TypPolicy::kLenient;
  std::string realm = "signet";  // WWW-Authenticate realm

  bool token_cache = true;
  std::size_t token_cache_entries = kTokenCacheEntries;
  std::size_t token_cache_bytes = kTokenCacheBytes;

  std::chrono::seconds jwks_default_ttl = kJwksDefaultTtl;
  std::chrono::seconds jwks_max_stale = kJwksMaxStale;
  std::chrono::seconds jwks_cooldown = kJwksCooldown;
  bool background_refresh = true;  // refresh keys before they expire, off the request path

  DpopConfig dpop;
};

}  // namespace signet::guard
