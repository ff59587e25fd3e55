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

}  // namespace

Guard::Guard(GuardConfig config, std::shared_ptr<KeySource> source,
             std::shared_ptr<const Clock> clock)
    : config_(std::move(config)),
      clock_(std::move(clock)),
      jwks_(source ? std::move(source) : std::make_shared<HttpKeySource>(config_), clock_, config_,
            counters_),
      token_cache_(config_.token_cache ? config_.token_cache_entries : 0,
                   config_.token_cache_bytes) {
  if (config_.issuer.empty()) {
    throw std::invalid_argument("the guard needs an issuer (the exact iss of your tokens)");
  }
  if (config_.audiences.empty()) {
    throw std::invalid_argument("the guard needs at least one audience (your API identifier)");
  }
  if (config_.algorithms.empty()) {
    throw std::invalid_argument("the guard needs at least one allowed algorithm");
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
  return verify_presented(token, wait, false);
}

Result<std::shared_ptr<const VerifiedToken>, Failure> Guard::verify_presented(
    std::string_view token, KeyWait wait, bool check_b64token) {
  auto result = [&]() -> Result<std::shared_ptr<const VerifiedToken>, Failure> {
    if (token.size() > config_.max_token_bytes) {
      return fail(jose_failure(jose::Error::kTokenTooLarge));  // before hashing or parsing
    }
    TokenCache::Digest digest{};
    std::int64_t now_s = 0;
    if (config_.token_cache) {
      digest = jose::sha256(token);
      const auto now = clock_->now();
      now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
      // Keys too stale to verify anything also stop vouching for what they verified before.
      if (auto hit = token_cache_.find(digest, now_s, jwks_.current_usable(now))) {
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
      token_cache_.insert(digest, *verified, std::move(verified_by), now_s);
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

Decision Guard::refuse(const Failure& failure, std::span<const std::string> required_scopes) const {
  Decision d;
  d.failure = failure;
  std::string_view error;
  std::string description(failure.description());
  switch (failure.code) {
    case Error::kNoCredentials:
      // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
      d.status = 401;
      d.www_authenticate = "Bearer realm=\"" + header_safe(config_.realm) + "\"";
      d.body = json::serialize(json::object{
          {"error", "unauthorized"},
          {"error_description", "send an access token: Authorization: Bearer <token>"}});
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
      d.www_authenticate = "Bearer realm=\"" + header_safe(config_.realm) +
                           "\", error=\"insufficient_scope\", error_description=\"" +
                           header_safe(description) + "\", scope=\"" + header_safe(scopes) + "\"";
      d.body = json::serialize(json::object{{"error", error}, {"error_description", description}});
      return d;
    }
    default:
      d.status = 401;
      error = "invalid_token";
      break;
  }
  d.www_authenticate = "Bearer realm=\"" + header_safe(config_.realm) + "\", error=\"" +
                       std::string(error) + "\", error_description=\"" + header_safe(description) +
                       "\"";
  d.body = json::serialize(json::object{{"error", error}, {"error_description", description}});
  return d;
}

Decision Guard::authorize(const Credentials& credentials,
                          std::span<const std::string> required_scopes, KeyWait wait) {
  auto token = locate_bearer(credentials);
  if (!token) {
    const Failure f{token.error()};
    if (f.code != Error::kNoCredentials) {
      counters_.count_failure(f);
    }
    return refuse(f, required_scopes);
  }
  auto verified = verify_presented(*token, wait, true);
  if (!verified) {
    return refuse(verified.error(), required_scopes);
  }
  for (const auto& scope : required_scopes) {
    if (!(*verified)->has_scope(scope)) {
      const Failure f{Error::kInsufficientScope};
      counters_.count_failure(f);
      return refuse(f, required_scopes);
    }
  }
  Decision d;
  d.token = std::move(verified).value();
  return d;
}

}  // namespace signet::guard
