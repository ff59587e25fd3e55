#include "signet/server/client_assertion.h"

#include <algorithm>

#include "signet/jose/json.h"
#include "signet/jose/jws.h"
#include "signet/jose/jwt.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/metadata.h"

namespace signet::server {
namespace {

using Code = OAuthErrorCode;

OAuthError refused(std::string description) {
  return oauth_error(Code::kInvalidClient, "client assertion: " + std::move(description));
}

// What parse_compact refuses, said so that the client knows what to sign differently.
OAuthError malformed(jose::Error e) {
  switch (e) {
    case jose::Error::kAlgNone:
    case jose::Error::kTokenEmptySignature:  // an unsecured JWT (RFC 7519 §6) has alg none
      return refused(
          "alg none is never accepted: sign the JWT with a private key whose public half is in "
          "the client's JWKS (RS256, PS256, ES256 or EdDSA)");
    case jose::Error::kAlgHmac:
      // client_secret_jwt would make the client secret a signing key; signet does not offer it.
      return refused(
          "HMAC algorithms (client_secret_jwt) are not accepted: sign the JWT with a private "
          "key whose public half is in the client's JWKS (RS256, PS256, ES256 or EdDSA)");
    default:
      break;
  }
  return refused(std::string(jose::to_string(e)) +
                 ": send a compact JWS (header.payload.signature) signed with the client's "
                 "private key");
}

bool holds(const std::vector<std::string_view>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

}  // namespace

AssertionReplayCache::AssertionReplayCache(std::size_t capacity) : capacity_(capacity) {}

bool AssertionReplayCache::seen(std::string_view client_id, std::string_view jti,
                                store::Timestamp now) const {
  std::lock_guard lock(mu_);
  const auto it = expiry_.find(Key{client_id, jti});
  return it != expiry_.end() && now < it->second;
}

void AssertionReplayCache::remember(std::string_view client_id, std::string_view jti,
                                    store::Timestamp expires_at, store::Timestamp now) {
  if (capacity_ == 0) {
    return;
  }
  std::lock_guard lock(mu_);
  Key key{client_id, jti};
  if (auto it = expiry_.find(key); it != expiry_.end()) {
    // Re-remembered (the store said new after this entry expired): the old expiry goes.
    const auto range = by_expiry_.equal_range(it->second);
    for (auto e = range.first; e != range.second; ++e) {
      if (e->second == key) {
        by_expiry_.erase(e);
        break;
      }
    }
    expiry_.erase(it);
  }
  while (!by_expiry_.empty() && (by_expiry_.begin()->first <= now || expiry_.size() >= capacity_)) {
    expiry_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  expiry_.emplace(key, expires_at);
  by_expiry_.emplace(expires_at, std::move(key));
}

std::size_t AssertionReplayCache::size() const {
  std::lock_guard lock(mu_);
  return expiry_.size();
}

ClientAssertionVerifier::ClientAssertionVerifier(store::Store& store, std::string issuer,
                                                 ClientKeysOptions keys)
    : store_(store),
      issuer_(std::move(issuer)),
      token_endpoint_(issuer_ + std::string(kTokenPath)),
      keys_(std::move(keys)) {}

Result<const store::Application*, OAuthError> ClientAssertionVerifier::verify(
    const TenantSnapshot& snap, const Params& params, store::Timestamp now) {
  const auto type = params.get("client_assertion_type");
  const auto assertion = params.get("client_assertion");
  if (!type || !assertion) {
    return fail(oauth_error(
        Code::kInvalidRequest,
        "private_key_jwt sends both client_assertion_type=" + std::string(kJwtBearerAssertionType) +
            " and client_assertion=<a JWT signed with the client's key>"));
  }
  if (*type != kJwtBearerAssertionType) {
    return fail(oauth_error(Code::kInvalidRequest, "client_assertion_type '" + echoed(*type) +
                                                       "' is not supported: use " +
                                                       std::string(kJwtBearerAssertionType)));
  }
  auto jws = jose::parse_compact(*assertion);
  if (!jws) {
    return fail(malformed(jws.error()));
  }
  // The claimed subject only chooses whose keys to try: nothing of the payload is trusted until
  // the signature verifies, and every claim is checked again after.
  auto unverified = jose::parse_json_object(jws->payload);
  if (!unverified) {
    return fail(refused("the payload must be a JSON object of claims"));
  }
  const auto claimed = jose::get_string(*unverified, "sub");
  if (!claimed) {
    return fail(refused("sub is required and must be the client_id"));
  }
  if (const auto body_id = params.get("client_id"); body_id && *body_id != *claimed) {
    return fail(oauth_error(Code::kInvalidRequest,
                            "client_id in the body differs from the client assertion's sub"));
  }
  const store::Application* app = snap.find_application(*claimed);
  if (app == nullptr) {
    return fail(refused("unknown client '" + echoed(*claimed) +
                        "': sub and iss must be the client_id of a registered application"));
  }
  if (app->token_endpoint_auth_method != store::TokenEndpointAuthMethod::kPrivateKeyJwt) {
    return fail(refused("client " + app->client_id +
                        " does not authenticate with private_key_jwt: register its public "
                        "keys first: signet clients update " +
                        command_word(app->client_id, "CLIENT_ID") +
                        " --auth-method private_key_jwt --jwks FILE (or --jwks-uri URL)"));
  }
  auto key = keys_.find(*app, jws->kid, jws->alg);
  if (!key) {
    return fail(key.error());
  }
  if (auto sig = jose::verify_signature(*jws, *key->key); !sig) {
    return fail(refused(std::string(jose::to_string(sig.error())) + " with key '" +
                        echoed(key->key->kid) + "' of client " + app->client_id));
  }
  auto claims = jose::decode_payload(*jws);
  if (!claims) {
    return fail(refused(std::string(jose::to_string(claims.error()))));
  }
  if (auto times = jose::check_times(*claims, {now, kAssertionLeeway}); !times) {
    return fail(refused(std::string(jose::to_string(times.error())) +
                        ": an assertion needs an exp at most " +
                        std::to_string(kMaxAssertionLifetime.count()) +
                        " seconds ahead, and is made just before it is sent"));
  }
  const std::int64_t exp = *jose::get_numeric_date(*claims, "exp");
  const std::int64_t now_s = now.time_since_epoch().count();
  if (exp > now_s + (kMaxAssertionLifetime + kAssertionLeeway).count()) {
    return fail(
        refused("exp is " + std::to_string(exp - now_s) +
                " seconds ahead: a client assertion must be short-lived, with exp at most " +
                std::to_string(kMaxAssertionLifetime.count()) + " seconds after now"));
  }
  const auto iss = jose::get_string(*claims, "iss");
  if (!iss || *iss != app->client_id) {
    return fail(refused("iss must be the client_id " + app->client_id));
  }
  // sub was read before the signature was checked; it is the client_id by construction.
  const auto aud = jose::get_string_or_array(*claims, "aud");
  if (!aud || (!holds(*aud, token_endpoint_) && !holds(*aud, issuer_))) {
    return fail(refused("aud must hold the token endpoint's URL " + token_endpoint_ +
                        " (or the issuer " + issuer_ + ")"));
  }
  const auto jti = jose::get_string(*claims, "jti");
  if (!jti || jti->empty() || jti->size() > kMaxJtiBytes) {
    return fail(refused("jti is required: a unique string of at most " +
                        std::to_string(kMaxJtiBytes) +
                        " bytes, new for every assertion (one use each)"));
  }
  // Remembered as long as the assertion would be accepted: until exp plus the leeway.
  const store::Timestamp valid_until{std::chrono::seconds{exp} + kAssertionLeeway};
  const auto used = [&] {
    return refused("assertion already used (jti '" + echoed(*jti) +
                   "'): make a new assertion, with a new jti, for every request");
  };
  if (replays_.seen(app->client_id, *jti, now)) {
    return fail(used());
  }
  auto fresh = store_.record_client_assertion(app->client_id, *jti, valid_until, now);
  if (!fresh) {
    return fail(store_failure("recording a client assertion", fresh.error()));
  }
  if (!*fresh) {
    return fail(used());
  }
  replays_.remember(app->client_id, *jti, valid_until, now);
  return app;
}

}  // namespace signet::server
