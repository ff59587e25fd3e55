#include "signet/server/dpop_proofs.h"

#include <utility>

#include "signet/guard/guard.h"
#include "signet/server/endpoint_support.h"

namespace signet::server {

namespace dpop = jose::dpop;

ReplayLedger::Use StoreReplayLedger::use(std::string_view id, std::int64_t expires_at,
                                         std::int64_t now) {
  // The cache remembers an id during its expires_at second too (a proof is still fresh then),
  // and the store forgets rows at theirs: a second more keeps the two alike.
  auto fresh = store_.record_dpop_proof(secrets_.hash(id),
                                        store::Timestamp{std::chrono::seconds{expires_at + 1}},
                                        store::Timestamp{std::chrono::seconds{now}});
  if (!fresh) {
    store_failure("recording a DPoP proof", fresh.error());  // logs it
    return Use::kUnavailable;
  }
  return *fresh ? Use::kFirst : Use::kReplayed;
}

DpopProofs::DpopProofs(std::string token_endpoint, DpopPolicy policy, std::string nonce_key,
                       std::shared_ptr<ReplayLedger> ledger)
    : token_endpoint_(std::move(token_endpoint)),
      policy_(std::move(policy)),
      replays_(std::make_shared<ReplayCache>(policy_.replay_entries)),
      ledger_(std::move(ledger)) {
  if (policy_.nonce) {
    nonces_ = std::make_shared<const dpop::NonceSource>(policy_.nonce_window, std::move(nonce_key));
  }
}

dpop::ProofFailure DpopProofs::refused(DpopCounters& counters, dpop::ProofFailure failure) {
  const auto i = static_cast<std::size_t>(failure.code);
  if (i < counters.refused.size()) {
    counters.refused[i].fetch_add(1, std::memory_order_relaxed);
  }
  return failure;
}

Result<std::optional<dpop::VerifiedProof>, dpop::ProofFailure> DpopProofs::check(
    std::span<const std::string_view> headers, std::int64_t now) {
  if (headers.empty()) {
    return std::optional<dpop::VerifiedProof>{};
  }
  if (headers.size() > 1) {
    return fail(
        refused(counters_, dpop::ProofFailure{dpop::ProofError::kMultiple, std::nullopt, {}}));
  }
  const dpop::ProofCheck expected{.method = "POST",
                                  .url = token_endpoint_,
                                  .access_token = std::nullopt,
                                  .algorithms = kDpopAlgorithms,
                                  .now = now,
                                  .lifetime = policy_.proof_lifetime,
                                  .leeway = policy_.leeway};
  auto proof = dpop::verify_proof(headers.front(), expected);
  if (!proof) {
    return fail(refused(counters_, std::move(proof.error())));
  }
  // RFC 9449 §11.1: a proof seen once is never accepted again while it is fresh; once it is
  // stale the iat check refuses it, so the cache forgets it then. A store the ledger cannot
  // reach does not refuse a token request: this process's cache has the proof, and each grant
  // decides for itself whether it can run without the store (client credentials can, for
  // --store-outage-grace; docs/postgresql.md). The resource endpoints refuse instead (remember).
  if (auto used = remember_id(*proof, now); !used && !used.error().unavailable()) {
    return fail(refused(counters_, std::move(used.error())));
  }
  if (nonces_) {
    if (auto nonce = nonces_->check(proof->nonce, now); !nonce) {
      return fail(refused(counters_, std::move(nonce.error())));
    }
  }
  counters_.accepted.fetch_add(1, std::memory_order_relaxed);
  return std::optional<dpop::VerifiedProof>(std::move(*proof));
}

Result<dpop::VerifiedProof, dpop::ProofFailure> DpopProofs::check_bound(
    std::span<const std::string_view> headers, std::string_view method, std::string_view url,
    std::string_view access_token, std::string_view jkt, std::int64_t now) const {
  if (headers.size() != 1) {
    // RFC 9449 §4.3 check 1: with two proofs, which one the request means is ambiguous.
    return fail(refused(resource_counters_,
                        dpop::ProofFailure{headers.empty() ? dpop::ProofError::kMissing
                                                           : dpop::ProofError::kMultiple,
                                           std::nullopt,
                                           {}}));
  }
  const dpop::ProofCheck expected{.method = method,
                                  .url = url,
                                  .access_token = access_token,
                                  .algorithms = kDpopAlgorithms,
                                  .now = now,
                                  .lifetime = policy_.proof_lifetime,
                                  .leeway = policy_.leeway};
  auto proof = dpop::verify_bound_proof(headers.front(), expected, jkt, nonces_.get());
  if (!proof) {
    return fail(refused(resource_counters_, std::move(proof.error())));
  }
  return proof;
}

Result<Ok, dpop::ProofFailure> DpopProofs::remember(const dpop::VerifiedProof& proof,
                                                    std::int64_t now) {
  if (auto used = remember_id(proof, now); !used) {
    return fail(refused(resource_counters_, std::move(used.error())));
  }
  resource_counters_.accepted.fetch_add(1, std::memory_order_relaxed);
  return Ok{};
}

Result<Ok, dpop::ProofFailure> DpopProofs::remember_id(const dpop::VerifiedProof& proof,
                                                       std::int64_t now) {
  return guard::remember_proof(*replays_, ledger_.get(), proof,
                               policy_.proof_lifetime + policy_.leeway, now);
}

std::optional<std::string> DpopProofs::nonce(std::int64_t now) const {
  if (!nonces_) {
    return std::nullopt;
  }
  return nonces_->current(now);
}

std::string_view rule_name(dpop::ProofError e) {
  switch (e) {
    case dpop::ProofError::kMissing:
      return "missing";
    case dpop::ProofError::kMultiple:
      return "multiple";
    case dpop::ProofError::kMalformed:
      return "malformed";
    case dpop::ProofError::kTyp:
      return "typ";
    case dpop::ProofError::kAlgNotAllowed:
      return "alg";
    case dpop::ProofError::kJwkMissing:
      return "jwk_missing";
    case dpop::ProofError::kJwkInvalid:
      return "jwk_invalid";
    case dpop::ProofError::kJwkPrivate:
      return "jwk_private";
    case dpop::ProofError::kSignature:
      return "signature";
    case dpop::ProofError::kClaimMissing:
      return "claim_missing";
    case dpop::ProofError::kClaimType:
      return "claim_type";
    case dpop::ProofError::kHtm:
      return "htm";
    case dpop::ProofError::kHtu:
      return "htu";
    case dpop::ProofError::kIatTooOld:
      return "iat_too_old";
    case dpop::ProofError::kIatInFuture:
      return "iat_in_future";
    case dpop::ProofError::kAth:
      return "ath";
    case dpop::ProofError::kNonceMissing:
      return "nonce_missing";
    case dpop::ProofError::kNonceInvalid:
      return "nonce_invalid";
    case dpop::ProofError::kReplayed:
      return "replayed";
    case dpop::ProofError::kReplayCacheFull:
      return "replay_cache_full";
    case dpop::ProofError::kReplayUnrecorded:
      return "replay_unrecorded";
    case dpop::ProofError::kKeyMismatch:
      return "key_mismatch";
  }
  return "unknown";
}

OAuthError proof_refused(const dpop::ProofFailure& failure, std::string_view token_endpoint) {
  // The rule's sentence says what to do next for most rules; the two that depend on this server
  // get its own values.
  std::string description = failure.description();
  if (failure.unavailable()) {
    return OAuthError{OAuthErrorCode::kTemporarilyUnavailable, std::move(description), false,
                      kStoreUnavailableRetryAfter};
  }
  switch (failure.code) {
    case dpop::ProofError::kMultiple:
      description += ": send exactly one DPoP header";
      break;
    case dpop::ProofError::kHtm:
    case dpop::ProofError::kHtu:
      description += ": sign htm POST and htu " + std::string(token_endpoint) +
                     " (the token_endpoint of the discovery document)";
      break;
    default:
      break;
  }
  return oauth_error(
      failure.wants_nonce() ? OAuthErrorCode::kUseDpopNonce : OAuthErrorCode::kInvalidDpopProof,
      std::move(description));
}

OAuthError proof_required(std::string_view who) {
  return oauth_error(OAuthErrorCode::kInvalidDpopProof,
                     std::string(who) +
                         " requires DPoP: send a DPoP proof (RFC 9449) for this request in a DPoP "
                         "header, e.g. made with 'signet token --dpop'");
}

Result<Ok, OAuthError> dpop_allowed(const store::Api& api, std::string_view dpop_jkt,
                                    RequestNotes* notes) {
  if (api.require_dpop && dpop_jkt.empty()) {
    if (notes != nullptr) {
      notes->dpop_error = rule_name(dpop::ProofError::kMissing);
    }
    return fail(proof_required("the API '" + echoed(api.identifier) + "'"));
  }
  return Ok{};
}

}  // namespace signet::server
