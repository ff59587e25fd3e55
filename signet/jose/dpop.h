#pragma once

// DPoP proofs (RFC 9449): checking one against the request it came with, making one for a client,
// and the server's stateless nonces. What needs state (jti replay) lives in ReplayCache
// (signet/common/replay_cache.h).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "signet/common/result.h"
#include "signet/jose/algorithm.h"
#include "signet/jose/jwk.h"

namespace signet::jose::dpop {

constexpr std::size_t kMaxProofBytes = 8 * 1024;  // an RSA-4096 jwk + signature is ~2.5 KiB
constexpr std::size_t kMaxJtiBytes = 256;         // RFC 9449 §4.2: 96 random bits suffice
constexpr std::size_t kMaxNonceBytes = 256;       // ours are 54 characters; room for others'
// A proof is fresh this long after its iat.
constexpr auto kDefaultProofLifetime = std::chrono::seconds{60};
constexpr auto kDefaultLeeway = std::chrono::seconds{5};  // clock skew tolerated both ways
// How long a server nonce stays current (RFC 9449 §8, §9; accepted for up to two windows): long
// enough that a client makes many requests with one, short enough that a proof made ahead of
// time with a stolen key expires soon after.
constexpr auto kDefaultNonceWindow = std::chrono::seconds{300};
// Bounds of a configured nonce window or proof lifetime (--dpop-nonce-window and
// --dpop-proof-lifetime of serve and api), in seconds: below 10 s a client on a slow network
// cannot use a nonce or a proof in time; beyond an hour a captured proof (or nonce) stays good
// for longer than anyone would accept.
constexpr std::int64_t kMinConfigurableSeconds = 10;
constexpr std::int64_t kMaxConfigurableSeconds = 3600;

// Every rule a proof can break; to_string gives the rule as a sentence for error_description.
enum class ProofError {
  kMissing,           // no DPoP header
  kMultiple,          // more than one DPoP header (RFC 9449 §4.3 check 1)
  kMalformed,         // not a compact JWS / bad base64url / bad JSON (see jose_error)
  kTyp,               // header typ must be "dpop+jwt"
  kAlgNotAllowed,     // alg none / HMAC / not among the accepted algorithms
  kJwkMissing,        // header must carry "jwk"
  kJwkInvalid,        // jwk is not a usable public key (see jose_error)
  kJwkPrivate,        // jwk must not contain private members ("d", "p", "q", ...)
  kSignature,         // signature does not verify with the embedded jwk
  kClaimMissing,      // jti, htm, htu and iat are required (ath when a token is presented)
  kClaimType,         // a claim has the wrong JSON type
  kHtm,               // htm must equal the request method
  kHtu,               // htu must equal the request URL (scheme, host, port, path), query ignored
  kIatTooOld,         // iat earlier than now - lifetime - leeway
  kIatInFuture,       // iat later than now + leeway
  kAth,               // ath must be base64url(SHA-256(access token))
  kNonceMissing,      // the server requires a nonce (answer use_dpop_nonce)
  kNonceInvalid,      // the nonce is not one the server issued, or is stale (answer use_dpop_nonce)
  kReplayed,          // this jti was already used within the proof's lifetime
  kReplayCacheFull,   // too many fresh proofs to remember: refuse rather than risk a replay
  kReplayUnrecorded,  // the record of used proofs shared by replicas (the store) is unreachable
  kKeyMismatch,       // proof key thumbprint differs from the token's cnf.jkt / the bound key
};
std::string_view to_string(ProofError e);

struct ProofFailure {
  ProofError code;
  // The JOSE rule behind kMalformed, kJwkInvalid, kSignature and kAlgNotAllowed.
  std::optional<jose::Error> jose_error;
  // The claim behind kClaimMissing and kClaimType ("jti", "iat", ...), a static string.
  std::string_view claim;
  // The rule broken, as a sentence; safe for a header (printable ASCII, no quotes).
  std::string description() const;
  // True for kNonceMissing / kNonceInvalid: the answer's error is use_dpop_nonce, with a fresh
  // DPoP-Nonce header.
  bool wants_nonce() const;
  // True for kReplayUnrecorded: not the proof's fault; the answer is 503 temporarily_unavailable.
  bool unavailable() const;
};

// What the verifier expects of the request the proof came with.
struct ProofCheck {
  std::string_view method;  // the request's method, as sent ("GET", "POST")
  // The request's URL as the server knows itself: scheme://host[:port]/path (query and fragment,
  // if given, are ignored).
  std::string_view url;
  std::optional<std::string_view> access_token = {};  // resource servers: ath must hash it
  std::span<const Algorithm> algorithms = {};         // accepted proof algorithms
  std::int64_t now = 0;                               // seconds since the epoch
  std::chrono::seconds lifetime = kDefaultProofLifetime;
  std::chrono::seconds leeway = kDefaultLeeway;
};

struct VerifiedProof {
  std::string jkt;  // RFC 7638 SHA-256 thumbprint of the jwk, base64url
  std::string jti;
  std::int64_t iat = 0;
  Algorithm alg = Algorithm::kES256;
  std::optional<std::string> nonce;  // the proof's nonce claim, unchecked: see NonceSource
};

// Checks everything that depends only on the proof and the request: size, JWS form, typ, alg,
// jwk (public, valid), signature, claims, htm, htu (RFC 9449 §4.3 with RFC 3986 §6.2.2/6.2.3
// normalisation of both sides), iat window, ath. It does NOT check jti replay (ReplayCache) or
// nonce (NonceSource), which need state. Thread-safe; a client's key is parsed once and then
// remembered (bounded) by its proofs' exact header text, since every proof repeats it.
Result<VerifiedProof, ProofFailure> verify_proof(std::string_view proof, const ProofCheck& check);

class NonceSource;

// verify_proof for a resource server (RFC 9449 §7.1), which is handed a token bound to the key
// `bound_jkt` (its cnf.jkt): check.access_token must be set (ath); then the proof's key must be
// the bound one (kKeyMismatch), and, when `nonces` is given, its nonce current (kNonceMissing,
// kNonceInvalid). Like verify_proof, it does not check jti replay.
Result<VerifiedProof, ProofFailure> verify_bound_proof(std::string_view proof,
                                                       const ProofCheck& check,
                                                       std::string_view bound_jkt,
                                                       const NonceSource* nonces);

// RFC 9449 §4.3 htu comparison form: lower-case scheme and host, default port dropped, empty
// path "/", percent-encodings upper-cased and unreserved ones decoded, query and fragment
// dropped. nullopt when `url` is not an absolute http(s) URL.
std::optional<std::string> normalize_htu(std::string_view url);

// base64url(SHA-256(token)): the ath claim for a token.
std::string access_token_hash(std::string_view access_token);

// A proof signed by `key` (which has its private part), for the client side.
struct ProofRequest {
  std::string_view method;
  std::string_view url;                               // query and fragment are dropped from htu
  std::optional<std::string_view> access_token = {};  // sets ath
  std::optional<std::string_view> nonce = {};
  std::int64_t now = 0;
};
Result<std::string, jose::Error> make_proof(const Jwk& key, const ProofRequest& request);

// Server-provided nonces (RFC 9449 §8/§9), stateless: a nonce is base64url(window || HMAC(key,
// window)) for the current time window; the current and the previous window are accepted.
// Thread-safe. One instance per server (its key is random unless given, so several replicas
// share nonces only when given the same key).
class NonceSource {
 public:
  // `window`: how long a nonce stays current (it is accepted for up to two windows).
  explicit NonceSource(std::chrono::seconds window, std::string key = {});
  std::string current(std::int64_t now) const;
  // kNonceMissing when absent, kNonceInvalid when forged or stale.
  Result<Ok, ProofFailure> check(const std::optional<std::string>& nonce, std::int64_t now) const;

 private:
  std::int64_t window_index(std::int64_t now) const;
  std::string for_window(std::int64_t index) const;

  std::int64_t window_seconds_;
  std::string key_;  // HMAC-SHA256 key, 32 random bytes unless given
};

}  // namespace signet::jose::dpop
