#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signet/common/replay_cache.h"
#include "signet/common/result.h"
#include "signet/guard/bearer.h"
#include "signet/guard/clock.h"
#include "signet/guard/config.h"
#include "signet/guard/counters.h"
#include "signet/guard/error.h"
#include "signet/guard/jwks_cache.h"
#include "signet/guard/key_source.h"
#include "signet/guard/token_cache.h"
#include "signet/guard/verified_token.h"

namespace signet::guard {

// The request header that carries a DPoP proof (RFC 9449 §4.1).
constexpr std::string_view kDpopHeader = "DPoP";
// The response header that carries a fresh server nonce (RFC 9449 §8, §9).
constexpr std::string_view kDpopNonceHeader = "DPoP-Nonce";

// The answer to "may this request go on?", ready to send when it may not.
struct Decision {
  unsigned status = 200;  // 200: allowed; else 400, 401, 403 or 503
  // RFC 6750 §3 and RFC 9449 §7.1 challenges in one value (Bearer first, then DPoP), the error on
  // the scheme the request used; empty when allowed.
  std::string www_authenticate;
  std::string body;                            // JSON {"error": ..., "error_description": ...}
  std::shared_ptr<const VerifiedToken> token;  // set when allowed
  std::optional<Failure> failure;              // why not, for logs and metrics
  // Headers to send with the answer, allowed or not: DPoP-Nonce when the guard issues nonces
  // and the request used DPoP.
  std::vector<std::pair<std::string, std::string>> headers;

  bool allowed() const { return status == 200; }
};

// Validates access tokens for one API: signature with the issuer's published keys, then
// exp/nbf/iat, iss, aud, typ and scopes. Thread-safe; one instance serves a whole process.
class Guard {
 public:
  // Throws std::invalid_argument for an unusable configuration (no issuer, no audience, no
  // algorithm). Without a source, keys come over HTTP(S) from the issuer (HttpKeySource).
  explicit Guard(GuardConfig config, std::shared_ptr<KeySource> source = nullptr,
                 std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>());
  ~Guard();

  // Fetches keys now and starts background refresh (if configured). Returns false, with the
  // reason in last_jwks_error(), if the first fetch failed; requests will retry it.
  bool start();

  // Verifies one token. Never throws.
  // With KeyWait::kNever it fails with kKeysPending instead of fetching keys; retry with
  // kMayBlock on a thread that may wait (see signet/api/protect.h).
  Result<std::shared_ptr<const VerifiedToken>, Failure> verify(std::string_view token,
                                                               KeyWait wait = KeyWait::kMayBlock);

  // The whole decision for a request: extract the access token, verify it; for DPoP (RFC 9449
  // §7.1) check the proof against the request, the token and its bound key, and the nonce when
  // configured; check that the token has every scope in `required_scopes`; and last, record the
  // proof's jti so that it is never accepted again. A token bound to a key is refused as Bearer.
  Decision authorize(const Credentials& credentials, std::span<const std::string> required_scopes,
                     KeyWait wait = KeyWait::kMayBlock);

  const Counters& counters() const { return counters_; }
  const GuardConfig& config() const { return config_; }
  std::string last_jwks_error() const { return jwks_.last_error(); }
  JwksCache& jwks() { return jwks_; }
  std::size_t token_cache_size() const { return token_cache_.size(); }

 private:
  // verify() for authorize(): a token the cache does not know must also be a b64token. `now`
  // is the request's time, read once (a token the cache does not know reads the clock again
  // after its keys are found, which may take a fetch).
  Result<std::shared_ptr<const VerifiedToken>, Failure> verify_presented(
      std::string_view token, KeyWait wait, bool check_b64token,
      std::chrono::system_clock::time_point now);
  Result<std::shared_ptr<const VerifiedToken>, Failure> verify_uncached(
      std::string_view token, KeyWait wait, std::shared_ptr<const KeySet>& verified_by);
  // authorize() once a token was found.
  Decision decide(const Credentials& credentials, const PresentedToken& presented,
                  std::span<const std::string> required_scopes, KeyWait wait,
                  std::chrono::system_clock::time_point now);
  // The DPoP checks of a verified, bound token: the proof against the request and the token,
  // its key against the token's cnf.jkt, its nonce. Everything but the replay check.
  Result<jose::dpop::VerifiedProof, Failure> check_proof(const Credentials& credentials,
                                                         std::string_view token,
                                                         const VerifiedToken& verified,
                                                         std::int64_t now) const;
  // Records the proof's jti (key jkt.jti) until the proof goes stale.
  Result<Ok, Failure> use_proof(const jose::dpop::VerifiedProof& proof, std::int64_t now);
  // `scheme`: the one the request used, when it got that far (the error goes on its challenge).
  Decision refuse(const Failure& failure, std::optional<Scheme> scheme,
                  std::span<const std::string> required_scopes) const;
  // The WWW-Authenticate value: each accepted scheme's challenge, `error_params` (already
  // header-safe, starting with ", ") on the one `error_scheme` names.
  std::string challenges(std::optional<Scheme> error_scheme, std::string_view error_params) const;

  const GuardConfig config_;
  std::shared_ptr<const Clock> clock_;
  Counters counters_;
  JwksCache jwks_;
  TokenCache token_cache_;
  std::shared_ptr<ReplayCache> replay_cache_;  // config_.dpop.replay_cache, or the guard's own
  std::string dpop_algs_;  // the algs parameter of the DPoP challenge: "ES256 EdDSA RS256 PS256"
};

// Records a verified proof's jti in `cache` under jkt + "." + jti until iat + `fresh_for` (the
// proof lifetime plus the leeway, after which verify_proof refuses it as too old): kReplayed
// when it is there already, kReplayCacheFull when the cache cannot take it (fail closed). Then,
// when `ledger` is given, in the ledger under the same id: kReplayed when another replica used
// it, kReplayUnrecorded when the ledger cannot be reached (fail closed). What the guard and the
// authorization server's own endpoints share.
Result<Ok, jose::dpop::ProofFailure> remember_proof(ReplayCache& cache, ReplayLedger* ledger,
                                                    const jose::dpop::VerifiedProof& proof,
                                                    std::chrono::seconds fresh_for,
                                                    std::int64_t now);

// The RFC 9449 §7.1 error of a protected resource that refuses `failure`: use_dpop_nonce,
// invalid_token (a proof by another key than the token's), or invalid_dpop_proof.
std::string_view refused_proof_error(const jose::dpop::ProofFailure& failure);

}  // namespace signet::guard
