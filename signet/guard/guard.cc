#include "signet/guard/guard.h"

#include <algorithm>
#include <stdexcept>

#include <boost/json/serialize.hpp>

#include "signet/common/ascii.h"
#include "signet/guard/http_key_source.h"
#include "signet/jose/json.h"
#include "signet/jose/jws.h"
#include "signet/jose/jwt.h"

namespace signet::guard {
namespace {

namespace json = boost::json;

// "typ" is a media type whose "application/" prefix may be omitted (RFC 7515 §4.1.9),
// compared case-insensitively.
bool typ_is(std::string_view typ, std::string_view name) {
  constexpr std::string_view kPrefix = "application/";
  if (typ.size() > kPrefix.size() && iequals(typ.substr(0, kPrefix.size()), kPrefix)) {
    typ.remove_prefix(kPrefix.size());
  }
  return iequals(typ, name);
}

bool typ_allowed(const std::optional<std::string>& typ, TypPolicy policy) {
  if (policy == TypPolicy::kStrict) {
    return typ && typ_is(*typ, "at+jwt");
  }
  return !typ || typ_is(*typ, "JWT") || typ_is(*typ, "at+jwt");
}

Failure jose_failure(jose::Error e) {
  return Failure{Error::kToken, e};
}

Failure proof_failure(jose::dpop::ProofFailure p) {
  return Failure{Error::kDpopProof, {}, {}, std::move(p)};
}

Failure proof_failure(jose::dpop::ProofError e) {
  jose::dpop::ProofFailure f{};
  f.code = e;
  return proof_failure(std::move(f));
}

// Only characters allowed in an RFC 6750 error_description (%x20-21 / %x23-5B / %x5D-7E).
std::string header_safe(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
      out.push_back(c);
    }
  }
  return out;
}

void add_scopes(std::vector<std::string>& scopes, std::string_view scope) {
  if (!scope.empty() && std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) {
    scopes.emplace_back(scope);
  }
}

std::int64_t seconds_since_epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

Guard::Guard(GuardConfig config, std::shared_ptr<KeySource> source,
             std::shared_ptr<const Clock> clock)
    : config_(std::move(config)),
      clock_(std::move(clock)),
      jwks_(source ? std::move(source) : std::make_shared<HttpKeySource>(config_), clock_, config_,
            counters_),
      token_cache_(config_.token_cache ? config_.token_cache_entries : 0,
                   config_.token_cache_bytes),
      replay_cache_(config_.dpop.replay_cache
                        ? config_.dpop.replay_cache
                        : std::make_shared<ReplayCache>(config_.dpop.replay_cache_entries)) {
  if (config_.issuer.empty()) {
    throw std::invalid_argument("the guard needs an issuer (the exact iss of your tokens)");
  }
  if (config_.audiences.empty()) {
    throw std::invalid_argument("the guard needs at least one audience (your API identifier)");
  }
  if (config_.algorithms.empty()) {
    throw std::invalid_argument("the guard needs at least one allowed algorithm");
  }
  if (config_.dpop.algorithms.empty()) {
    throw std::invalid_argument("the guard needs at least one DPoP proof algorithm");
  }
  for (const auto alg : config_.dpop.algorithms) {
    dpop_algs_.append(dpop_algs_.empty() ? "" : " ").append(jose::to_string(alg));
  }
}

Guard::~Guard() {
  jwks_.stop_background_refresh();
}

bool Guard::start() {
  const bool ok = jwks_.refresh();
  if (config_.background_refresh) {
    jwks_.start_background_refresh();
  }
  return ok;
}

Result<std::shared_ptr<const VerifiedToken>, Failure> Guard::verify(std::string_view token,
                                                                    KeyWait wait) {
  return verify_presented(token, wait, false, clock_->now());
}

Result<std::shared_ptr<const VerifiedToken>, Failure> Guard::verify_presented(
    std::string_view token, KeyWait wait, bool check_b64token,
    std::chrono::system_clock::time_point now) {
  auto result = [&]() -> Result<std::shared_ptr<const VerifiedToken>, Failure> {
    if (token.size() > config_.max_token_bytes) {
      return fail(jose_failure(jose::Error::kTokenTooLarge));  // before hashing or parsing
    }
    TokenCache::Key key;
    std::int64_t now_s = 0;
    if (config_.token_cache) {
      key = token_cache_.key_of(token);
      now_s = seconds_since_epoch(now);
      // Keys too stale to verify anything also stop vouching for what they verified before.
      if (auto hit = token_cache_.find(key, now_s, jwks_.current_usable(now))) {
        counters_.token_cache_hits.fetch_add(1, std::memory_order_relaxed);
        return hit;
      }
      counters_.token_cache_misses.fetch_add(1, std::memory_order_relaxed);
    }
    if (check_b64token && !is_b64token(token)) {
      return fail(Failure{Error::kMalformedHeader});
    }
    std::shared_ptr<const KeySet> verified_by;
    auto verified = verify_uncached(token, wait, verified_by);
    if (verified && config_.token_cache) {
      token_cache_.insert(key, *verified, std::move(verified_by), now_s);
    }
    return verified;
  }();
  if (result) {
    counters_.verified_ok.fetch_add(1, std::memory_order_relaxed);
  } else if (result.error().code != Error::kKeysPending) {
    counters_.count_failure(result.error());  // a pending lookup is retried, not an outcome
  }
  return result;
}

Result<std::shared_ptr<const VerifiedToken>, Failure> Guard::verify_uncached(
    std::string_view token, KeyWait wait, std::shared_ptr<const KeySet>& verified_by) {
  jose::JwsLimits limits;
  limits.max_token_bytes = config_.max_token_bytes;
  auto jws = jose::parse_compact(token, limits);
  if (!jws) {
    return fail(jose_failure(jws.error()));
  }
  if (std::find(config_.algorithms.begin(), config_.algorithms.end(), jws->alg) ==
      config_.algorithms.end()) {
    return fail(jose_failure(jose::Error::kAlgNotAllowed));
  }
  if (!typ_allowed(jws->typ, config_.typ)) {
    return fail(Failure{Error::kTypNotAllowed});
  }
  auto found = jwks_.find(jws->kid, jws->alg, wait);
  if (!found) {
    return fail(Failure{found.error()});
  }
  if (auto sig = jose::verify_signature(*jws, *found->key); !sig) {
    return fail(jose_failure(sig.error()));
  }
  // Only now, with the signature checked, is the payload parsed.
  auto claims = jose::decode_payload(*jws, limits.json);
  if (!claims) {
    return fail(jose_failure(claims.error()));
  }
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(clock_->now());
  if (auto times = jose::check_times(*claims, {now, config_.leeway}); !times) {
    return fail(jose_failure(times.error()));
  }

  auto iss = jose::get_string(*claims, "iss");
  if (!iss) {
    return fail(
        Failure{iss.error() == jose::Access::kMissing ? Error::kIssMissing : Error::kIssNotString});
  }
  // The values go into the refusal: neither is a secret (the issuer's metadata publishes its
  // name, and an audience is an API's public identifier), and only a token signed by one of the
  // issuer's keys gets this far.
  if (*iss != config_.issuer) {
    return fail(Failure{Error::kIssMismatch, {}, issuer_mismatch(*iss, config_.issuer)});
  }
  auto aud = jose::get_string_or_array(*claims, "aud");
  if (!aud) {
    return fail(
        Failure{aud.error() == jose::Access::kMissing ? Error::kAudMissing : Error::kAudWrongType});
  }
  const bool audience_ok = std::any_of(aud->begin(), aud->end(), [&](std::string_view a) {
    return std::find(config_.audiences.begin(), config_.audiences.end(), a) !=
           config_.audiences.end();
  });
  if (!audience_ok) {
    return fail(Failure{Error::kAudMismatch, {}, audience_mismatch(*aud, config_.audiences)});
  }

  auto out = std::make_shared<VerifiedToken>();
  if (claims->contains("scope")) {
    auto scope = jose::get_string(*claims, "scope");
    if (!scope) {
      return fail(Failure{Error::kScopeWrongType});
    }
    std::string_view rest = *scope;
    while (!rest.empty()) {
      const std::size_t sp = rest.find(' ');
      add_scopes(out->scopes, rest.substr(0, sp));
      rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    }
  }
  if (claims->contains("permissions")) {
    auto permissions = jose::get_string_array(*claims, "permissions");
    if (!permissions) {
      return fail(Failure{Error::kPermissionsWrongType});
    }
    for (const auto p : *permissions) {
      add_scopes(out->scopes, p);
    }
  }
  const auto jkt = bound_key(*claims);
  if (!jkt) {
    return fail(Failure{Error::kCnfWrongType});
  }
  out->jkt = std::string(*jkt);
  if (auto sub = jose::get_string(*claims, "sub")) {
    out->subject = std::string(*sub);
  }
  out->expires_at = *jose::get_numeric_date(*claims, "exp");
  out->kid = found->key->kid;
  out->alg = jws->alg;
  out->claims = std::move(claims).value();
  verified_by = found->set;
  return std::shared_ptr<const VerifiedToken>(std::move(out));
}

Decision Guard::authorize(const Credentials& credentials,
                          std::span<const std::string> required_scopes, KeyWait wait) {
  auto presented = locate_token(credentials);
  if (!presented) {
    const Failure f{presented.error()};
    if (f.code != Error::kNoCredentials) {
      counters_.count_failure(f);
    }
    return refuse(f, std::nullopt, required_scopes);
  }
  const auto now = clock_->now();
  Decision d = decide(credentials, *presented, required_scopes, wait, now);
  // RFC 9449 §8, §9: every answer to a DPoP request carries the nonce to use next.
  if (presented->scheme == Scheme::kDpop && config_.dpop.nonces) {
    d.headers.emplace_back(kDpopNonceHeader,
                           config_.dpop.nonces->current(seconds_since_epoch(now)));
  }
  return d;
}

Decision Guard::decide(const Credentials& credentials, const PresentedToken& presented,
                       std::span<const std::string> required_scopes, KeyWait wait,
                       std::chrono::system_clock::time_point now_tp) {
  const std::int64_t now = seconds_since_epoch(now_tp);
  const Scheme scheme = presented.scheme;
  const auto refused = [&](const Failure& f) {
    counters_.count_failure(f);
    return refuse(f, scheme, required_scopes);
  };
  // Cheap checks first: neither needs the token verified.
  if (scheme == Scheme::kBearer && config_.dpop.policy == DpopPolicy::kRequired) {
    return refused(Failure{Error::kDpopRequired});
  }
  if (scheme == Scheme::kDpop && credentials.dpop.size() != 1) {
    // RFC 9449 §4.3 check 1: with two proofs, which one the request means is ambiguous.
    return refused(proof_failure(credentials.dpop.empty() ? jose::dpop::ProofError::kMissing
                                                          : jose::dpop::ProofError::kMultiple));
  }
  // The token before the proof: a cached token costs a hash, a proof always a signature check.
  auto verified = verify_presented(presented.token, wait, true, now_tp);
  if (!verified) {
    return refuse(verified.error(), scheme, required_scopes);  // counted by verify_presented
  }
  std::optional<jose::dpop::VerifiedProof> proof;
  if (scheme == Scheme::kBearer) {
    // RFC 9449 §7.2: a bound token is worth nothing without its key, which a thief lacks; as
    // Bearer it would be as good as an unbound one.
    if (!(*verified)->jkt.empty()) {
      return refused(Failure{Error::kBoundTokenAsBearer});
    }
  } else {
    if ((*verified)->jkt.empty()) {
      return refused(Failure{Error::kUnboundTokenAsDpop});
    }
    auto checked = check_proof(credentials, presented.token, **verified, now);
    if (!checked) {
      return refused(checked.error());
    }
    proof = std::move(checked).value();
  }
  for (const auto& scope : required_scopes) {
    if (!(*verified)->has_scope(scope)) {
      return refused(Failure{Error::kInsufficientScope});
    }
  }
  // Last: a proof refused for any other reason stays usable, so that a request answered by a
  // refusal the client can fix (a nonce, a scope) does not burn it.
  if (proof) {
    if (auto used = use_proof(*proof, now); !used) {
      return refused(used.error());
    }
    counters_.dpop_proofs_verified.fetch_add(1, std::memory_order_relaxed);
  }
  Decision d;
  d.token = std::move(verified).value();
  return d;
}

Result<jose::dpop::VerifiedProof, Failure> Guard::check_proof(const Credentials& credentials,
                                                              std::string_view token,
                                                              const VerifiedToken& verified,
                                                              std::int64_t now) const {
  const DpopConfig& dpop = config_.dpop;
  jose::dpop::ProofCheck check;
  check.method = credentials.method;
  check.url = credentials.url;
  check.access_token = token;  // ath: the proof was made for this very token
  check.algorithms = dpop.algorithms;
  check.now = now;
  check.lifetime = dpop.proof_lifetime;
  check.leeway = dpop.leeway;
  auto proof = jose::dpop::verify_bound_proof(credentials.dpop.front(), check, verified.jkt,
                                              dpop.nonces.get());
  if (!proof) {
    return fail(proof_failure(proof.error()));
  }
  return std::move(proof).value();
}

Result<Ok, Failure> Guard::use_proof(const jose::dpop::VerifiedProof& proof, std::int64_t now) {
  auto used = remember_proof(*replay_cache_, config_.dpop.replay_ledger.get(), proof,
                             config_.dpop.proof_lifetime + config_.dpop.leeway, now);
  if (!used) {
    return fail(proof_failure(used.error()));
  }
  return Ok{};
}

Decision Guard::refuse(const Failure& failure, std::optional<Scheme> scheme,
                       std::span<const std::string> required_scopes) const {
  Decision d;
  d.failure = failure;
  std::string_view error;
  std::string description(failure.description());
  std::string scope_param;
  switch (failure.code) {
    case Error::kNoCredentials:
      // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
      d.status = 401;
      d.www_authenticate = challenges(std::nullopt, {});
      d.body = json::serialize(json::object{
          {"error", "unauthorized"},
          {"error_description", config_.dpop.policy == DpopPolicy::kRequired
                                    ? "send an access token: Authorization: DPoP <token>, with "
                                      "a DPoP proof"
                                    : "send an access token: Authorization: Bearer <token>"}});
      return d;
    case Error::kMalformedHeader:
    case Error::kMultipleTokens:
    case Error::kQueryToken:
      d.status = 400;
      error = "invalid_request";
      break;
    case Error::kKeysUnavailable:
    case Error::kKeysPending:
      // Not the token's fault: answering invalid_token would make clients throw good tokens away.
      d.status = 503;
      d.body = json::serialize(
          json::object{{"error", "temporarily_unavailable"},
                       {"error_description",
                        "the issuer's signing keys could not be fetched; try again shortly"}});
      return d;
    case Error::kInsufficientScope: {
      d.status = 403;
      error = "insufficient_scope";
      std::string scopes;
      for (const auto& s : required_scopes) {
        scopes += (scopes.empty() ? "" : " ") + s;
      }
      description = "the token lacks the scope " + scopes;
      scope_param = ", scope=\"" + header_safe(scopes) + "\"";
      break;
    }
    case Error::kDpopProof:
      if (failure.proof && failure.proof->unavailable()) {
        // Not the proof's fault either: a 401 would tell the client its token is at fault.
        d.status = 503;
        d.body = json::serialize(
            json::object{{"error", "temporarily_unavailable"}, {"error_description", description}});
        return d;
      }
      d.status = 401;
      error = failure.proof ? refused_proof_error(*failure.proof) : "invalid_dpop_proof";
      break;
    default:
      d.status = 401;
      error = "invalid_token";
      break;
  }
  d.www_authenticate =
      challenges(scheme, ", error=\"" + std::string(error) + "\", error_description=\"" +
                             header_safe(description) + "\"" + scope_param);
  d.body = json::serialize(json::object{{"error", error}, {"error_description", description}});
  return d;
}

std::string Guard::challenges(std::optional<Scheme> error_scheme,
                              std::string_view error_params) const {
  const std::string realm = "realm=\"" + header_safe(config_.realm) + "\"";
  const bool bearer = config_.dpop.policy != DpopPolicy::kRequired;
  // The error belongs to the scheme the request used; without one, to the first offered. Under
  // kRequired a Bearer request's error goes on the only challenge there is.
  const Scheme on = bearer ? error_scheme.value_or(Scheme::kBearer) : Scheme::kDpop;
  std::string out;
  if (bearer) {
    out.append("Bearer ").append(realm);
    if (on == Scheme::kBearer) {
      out.append(error_params);
    }
    out.append(", ");
  }
  out.append("DPoP ").append(realm);
  if (on == Scheme::kDpop) {
    out.append(error_params);
  }
  out.append(", algs=\"").append(dpop_algs_).append("\"");
  return out;
}

Result<Ok, jose::dpop::ProofFailure> remember_proof(ReplayCache& cache, ReplayLedger* ledger,
                                                    const jose::dpop::VerifiedProof& proof,
                                                    std::chrono::seconds fresh_for,
                                                    std::int64_t now) {
  // Remembered as long as verify_proof would take it. The key includes the thumbprint, so one
  // client cannot use up (or learn of) another's jti.
  const std::int64_t stale_at = proof.iat + fresh_for.count();
  std::string id;
  id.reserve(proof.jkt.size() + 1 + proof.jti.size());
  id.append(proof.jkt).append(1, '.').append(proof.jti);
  jose::dpop::ProofFailure refusal{};
  switch (cache.use(id, stale_at, now)) {
    case ReplayCache::Use::kFirst:
      break;
    case ReplayCache::Use::kReplayed:
      refusal.code = jose::dpop::ProofError::kReplayed;
      return fail(std::move(refusal));
    case ReplayCache::Use::kFull:
      // Failing closed: accepting a proof that cannot be remembered could let its replay through.
      refusal.code = jose::dpop::ProofError::kReplayCacheFull;
      return fail(std::move(refusal));
  }
  if (ledger == nullptr) {
    return Ok{};
  }
  switch (ledger->use(id, stale_at, now)) {
    case ReplayLedger::Use::kFirst:
      return Ok{};
    case ReplayLedger::Use::kReplayed:
      refusal.code = jose::dpop::ProofError::kReplayed;
      return fail(std::move(refusal));
    case ReplayLedger::Use::kUnavailable:
      break;
  }
  refusal.code = jose::dpop::ProofError::kReplayUnrecorded;
  return fail(std::move(refusal));
}

std::string_view refused_proof_error(const jose::dpop::ProofFailure& failure) {
  // RFC 9449 §7.1: a proof by another key than the bound one makes the token unusable here
  // (invalid_token); a missing or stale nonce asks for a retry with the fresh one.
  if (failure.wants_nonce()) {
    return "use_dpop_nonce";
  }
  if (failure.code == jose::dpop::ProofError::kKeyMismatch) {
    return "invalid_token";
  }
  return "invalid_dpop_proof";
}

}  // namespace signet::guard
