#pragma once

// What every unit of the token endpoint shares: its configuration, the request as the HTTP layer
// hands it over, the result type, and the counters. The units themselves (client authentication,
// one file per grant, revocation, introspection) sit behind TokenEndpoint in token_endpoint.h.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "signet/common/replay_cache.h"
#include "signet/common/result.h"
#include "signet/jose/algorithm.h"
#include "signet/jose/dpop.h"
#include "signet/server/login_throttle.h"
#include "signet/server/oauth_error.h"
#include "signet/server/params.h"
#include "signet/server/tokens.h"
#include "signet/store/types.h"

namespace signet::server {

// Auth0's default absolute lifetime of a rotating refresh token (30 days).
constexpr auto kDefaultRefreshTokenLifetime = std::chrono::seconds{2'592'000};
// A rotated refresh token presented again within this is taken for a concurrent request of the
// same client (two tabs, a retry after a lost response) and answered, not treated as theft.
constexpr auto kDefaultRefreshReuseGrace = std::chrono::seconds{10};
// How long client-credentials tokens are still issued from the snapshot after the store stopped
// answering: long enough to ride out a database restart or failover, short enough that a client
// revoked meanwhile does not keep getting tokens through a long outage.
constexpr auto kDefaultStoreOutageGrace = std::chrono::seconds{3600};
// A week: beyond it a stale snapshot is trusted longer than anyone would notice the outage.
constexpr auto kMaxStoreOutageGrace = std::chrono::seconds{604'800};
// Wrong client secrets before a client is throttled from one address, and for how long. Secrets
// are 256-bit random, so this protects against noise and stolen-but-rotated secrets, not guessing.
constexpr int kDefaultClientMaxFailures = 10;
constexpr auto kDefaultClientBlockFor = std::chrono::seconds{300};

// The number of jose::Algorithm values (kRS256 .. kEdDSA), for counters indexed by algorithm.
constexpr std::size_t kAlgorithms = static_cast<std::size_t>(jose::Algorithm::kEdDSA) + 1;

struct DpopPolicy {
  bool nonce = false;  // --dpop-nonce: every proof must carry a current server nonce
  std::chrono::seconds nonce_window = jose::dpop::kDefaultNonceWindow;
  std::chrono::seconds proof_lifetime = jose::dpop::kDefaultProofLifetime;
  std::chrono::seconds leeway = jose::dpop::kDefaultLeeway;
  std::size_t replay_entries = ReplayCache::kDefaultEntries;
  // Record every proof in the store too (StoreReplayLedger), so that replicas sharing it use a
  // proof once among them: serve on PostgreSQL. Off for the SQLite file, which one server serves
  // (README "More than one server"): its replay cache is the whole record, and a row per proof
  // would double what a DPoP token request costs (bench/RESULTS.md).
  bool shared_record = false;
};

struct EndpointConfig {
  std::string issuer;  // e.g. "http://localhost:4000/", with its trailing slash
  std::chrono::seconds refresh_token_lifetime = kDefaultRefreshTokenLifetime;
  std::chrono::seconds refresh_reuse_grace = kDefaultRefreshReuseGrace;
  std::chrono::seconds store_outage_grace = kDefaultStoreOutageGrace;  // 0: never
  std::chrono::seconds id_token_lifetime = kDefaultIdTokenLifetime;
  store::LockoutPolicy user_lockout;        // 10 failures per address group, 1 hour
  store::AccountDelayPolicy account_delay;  // from any address: 10 free, then 1 s doubling to 30 s
  std::int64_t max_failing_accounts_per_address = kDefaultMaxFailingAccountsPerAddress;
  store::LockoutPolicy client_lockout{kDefaultClientMaxFailures, kDefaultClientBlockFor};
  DpopPolicy dpop;  // nonces, proof lifetime and replay cache of DPoP proofs (RFC 9449)
};

// What a request turned out to be about, filled in by the endpoint's units as they learn it, for
// the event log (event_log.h). Never a secret.
struct RequestNotes {
  std::string client_id;  // authenticated, or as presented when authentication failed
  std::string user_id;
  std::string username;  // the password grant's username as typed, when no user has it
  std::string audience;
  bool reuse_detected = false;     // a rotated refresh token or a used code came back
  std::string_view started_block;  // the event type of the lockout this failure started, if any
  std::string dpop_jkt;            // the thumbprint of the DPoP proof's key, when one was accepted
  std::string_view dpop_error;     // the rule a refused DPoP proof broke (rule_name())
};

struct EndpointRequest {
  const Params* params = nullptr;
  std::optional<std::string_view> authorization;  // the Authorization header, when sent
  std::string_view peer_address;                  // for the brute-force counters
  store::PreciseTimestamp at;                     // when the request arrived
  std::string_view user_agent{};                  // for the event log; may be empty
  RequestNotes* notes = nullptr;                  // filled in when set (TokenEndpoint sets it)
  std::span<const std::string_view> dpop{};       // the DPoP header values, as sent (RFC 9449 §4)

  // The arrival time in whole seconds, as tokens and most stored times carry it.
  store::Timestamp now() const { return std::chrono::floor<std::chrono::seconds>(at); }
};

using EndpointResult = Result<boost::json::object, OAuthError>;

// What the endpoint did, for operators and tests ("a second call was served from a cache: no
// token was issued"). Monotonic; read with to_json().
struct EndpointCounters {
  // Tokens issued by one grant, indexed by the jose::Algorithm of the access token's signature.
  using ByAlgorithm = std::array<std::atomic<std::uint64_t>, kAlgorithms>;
  ByAlgorithm issued_client_credentials{};
  ByAlgorithm issued_password{};
  ByAlgorithm issued_refresh_token{};
  ByAlgorithm issued_authorization_code{};
  std::atomic<std::uint64_t> refresh_reuse_detected{0};
  std::atomic<std::uint64_t> code_reuse_detected{0};  // second uses of an authorization code
  std::atomic<std::uint64_t> revocations{0};
  std::atomic<std::uint64_t> introspections{0};
  std::array<std::atomic<std::uint64_t>, kOAuthErrorCodes> errors{};  // by OAuthErrorCode

  boost::json::object to_json() const;
  // Every token a grant issued, whatever its algorithm.
  static std::uint64_t total(const ByAlgorithm& issued);
};

}  // namespace signet::server
