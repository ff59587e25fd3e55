#pragma once

// The DPoP proofs (RFC 9449) that POST /oauth/token accepts, one of TokenEndpoint's units. The
// contract:
// - No DPoP header: nothing to check; the request goes on as a Bearer request.
// - Two or more DPoP headers: refused (RFC 9449 §4.3 check 1), whatever they hold.
// - One: jose::dpop::verify_proof checks it against POST and the token endpoint's own URL (the
//   token_endpoint of the discovery document, so the Host header cannot move it), with no ath.
//   Then its jti goes into a server-wide replay cache under jkt + "." + jti until iat + lifetime +
//   leeway, after which the iat check alone refuses it; a full cache refuses (a replay could
//   otherwise slip through). On PostgreSQL (DpopPolicy::shared_record), a proof new to the cache
//   is then recorded in the store (StoreReplayLedger), which every replica shares, so that one
//   replica refuses a proof another accepted. When the store cannot be reached, a token request
//   goes on with this process's cache alone (its grant decides whether it can run without the
//   store); /userinfo and the Management API answer 503 (temporarily_unavailable). Then, when
//   nonces are on, its nonce (RFC 9449 §8).
// - A refusal is invalid_dpop_proof with the rule that failed, or use_dpop_nonce: the HTTP layer
//   adds a fresh DPoP-Nonce to every answer to a request that carried a proof when nonces are on.
// - Every accepted and every refused proof is counted, refusals by rule.
// The replay cache, the ledger and the nonces are the server's: /userinfo checks its proofs here
// too (check_bound, remember), and the Management API's guard is handed them (replay_cache(),
// replay_ledger(), nonce_source()), so a proof is used once anywhere on the server, or on any of
// its replicas, and one nonce serves all.
// Thread-safe.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "signet/common/replay_cache.h"
#include "signet/common/result.h"
#include "signet/jose/dpop.h"
#include "signet/server/credentials.h"
#include "signet/server/endpoint_request.h"
#include "signet/server/oauth_error.h"
#include "signet/store/store.h"
#include "signet/store/types.h"

namespace signet::server {

// The proof algorithms the token endpoint accepts (never none, never HMAC), in the order the
// discovery document lists them.
inline constexpr std::array<jose::Algorithm, 4> kDpopAlgorithms = {
    jose::Algorithm::kES256, jose::Algorithm::kEdDSA, jose::Algorithm::kRS256,
    jose::Algorithm::kPS256};

// The number of jose::dpop::ProofError values, for counters indexed by rule.
constexpr std::size_t kProofErrors =
    static_cast<std::size_t>(jose::dpop::ProofError::kKeyMismatch) + 1;

struct DpopCounters {
  std::atomic<std::uint64_t> accepted{0};
  std::array<std::atomic<std::uint64_t>, kProofErrors> refused{};  // by jose::dpop::ProofError
};

// The used proofs every replica shares: the store's dpop_proofs table, keyed by the HMAC of
// jkt + "." + jti under the server's hashing key (SecretHasher::hash), so that the table holds no
// text a client chose, and each row of a fixed size. A store error is logged as the token
// endpoint's are, and answered kUnavailable. `store` and `secrets` must outlive it.
class StoreReplayLedger final : public ReplayLedger {
 public:
  StoreReplayLedger(store::Store& store, const SecretHasher& secrets)
      : store_(store), secrets_(secrets) {}
  Use use(std::string_view id, std::int64_t expires_at, std::int64_t now) override;

 private:
  store::Store& store_;
  const SecretHasher& secrets_;
};

class DpopProofs {
 public:
  // `token_endpoint`: the URL proofs must name in htu, e.g. "http://localhost:4000/oauth/token".
  // `nonce_key`: the HMAC key of the server's nonces; servers given the same key accept each
  // other's nonces (random when empty). `ledger`: where proofs new to this process are recorded
  // for every replica (null: this process's replay cache only).
  DpopProofs(std::string token_endpoint, DpopPolicy policy, std::string nonce_key = {},
             std::shared_ptr<ReplayLedger> ledger = nullptr);

  // The proof of a token request whose DPoP header values are `headers`: nullopt when there is
  // none, the verified proof, or the rule it broke. `now` in seconds since the epoch.
  Result<std::optional<jose::dpop::VerifiedProof>, jose::dpop::ProofFailure> check(
      std::span<const std::string_view> headers, std::int64_t now);

  // For a protected resource of this server (/userinfo), whose token is bound to `jkt`: the one
  // proof among `headers` checked against `method`, `url` and the token (ath), its key against
  // `jkt`, and its nonce when nonces are on; kMissing or kMultiple unless there is exactly one.
  // A refusal is counted in resource_counters(); the jti is not yet recorded: call remember()
  // once the request is allowed, so that a refusal the client can fix (a nonce, a scope) does not
  // use the proof up.
  Result<jose::dpop::VerifiedProof, jose::dpop::ProofFailure> check_bound(
      std::span<const std::string_view> headers, std::string_view method, std::string_view url,
      std::string_view access_token, std::string_view jkt, std::int64_t now) const;
  // Records the jti of a proof check_bound() accepted, and counts it in resource_counters() as
  // accepted, or refused: kReplayed, kReplayCacheFull or kReplayUnrecorded.
  Result<Ok, jose::dpop::ProofFailure> remember(const jose::dpop::VerifiedProof& proof,
                                                std::int64_t now);

  // A fresh nonce for the DPoP-Nonce header, or nullopt when nonces are off.
  std::optional<std::string> nonce(std::int64_t now) const;
  // The server-wide replay cache and nonces (null when nonces are off), for a guard of the
  // server's own (guard::DpopConfig::replay_cache, nonces).
  const std::shared_ptr<ReplayCache>& replay_cache() const { return replays_; }
  const std::shared_ptr<ReplayLedger>& replay_ledger() const { return ledger_; }
  const std::shared_ptr<const jose::dpop::NonceSource>& nonce_source() const { return nonces_; }

  const DpopPolicy& policy() const { return policy_; }
  const std::string& token_endpoint() const { return token_endpoint_; }
  // Proofs of token requests (check), and of requests to the server's own protected resources
  // (check_bound and remember: /userinfo).
  const DpopCounters& counters() const { return counters_; }
  const DpopCounters& resource_counters() const { return resource_counters_; }
  // Proof ids remembered against replay.
  std::size_t remembered() const { return replays_->size(); }

 private:
  static jose::dpop::ProofFailure refused(DpopCounters& counters, jose::dpop::ProofFailure failure);
  Result<Ok, jose::dpop::ProofFailure> remember_id(const jose::dpop::VerifiedProof& proof,
                                                   std::int64_t now);

  std::string token_endpoint_;
  DpopPolicy policy_;
  std::shared_ptr<ReplayCache> replays_;
  std::shared_ptr<ReplayLedger> ledger_;                   // null: replays_ only
  std::shared_ptr<const jose::dpop::NonceSource> nonces_;  // null when nonces are off
  DpopCounters counters_;
  mutable DpopCounters resource_counters_;  // counted by check_bound() too, which is const
};

// A short stable name of the rule a proof broke ("htu", "iat_too_old", "replayed"), for metric
// labels and event details; jose::dpop::to_string gives the sentence.
std::string_view rule_name(jose::dpop::ProofError e);

// The answer to a refused proof: use_dpop_nonce for a missing or stale nonce,
// temporarily_unavailable (503, with Retry-After) when the store could not record it (only
// /userinfo refuses for that), else invalid_dpop_proof, each saying which rule failed and what to
// send instead.
// `token_endpoint` is the URL a proof's htu must name.
OAuthError proof_refused(const jose::dpop::ProofFailure& failure, std::string_view token_endpoint);

// invalid_dpop_proof for a request without a proof from a client or for an API that requires
// DPoP. `who` names it: "this client (abc)" or "the API 'https://...'".
OAuthError proof_required(std::string_view who);

// Ok, or invalid_dpop_proof when `api` requires DPoP (require_dpop) and the request came without
// a proof (`dpop_jkt` empty). Each grant asks once it knows the API, before any side effect but
// the redemption of a code.
// The rule is noted in `notes` when set.
Result<Ok, OAuthError> dpop_allowed(const store::Api& api, std::string_view dpop_jkt,
                                    RequestNotes* notes);

}  // namespace signet::server
