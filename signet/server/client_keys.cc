#include "signet/server/client_keys.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "signet/guard/http_key_source.h"
#include "signet/guard/static_key_source.h"
#include "signet/jose/crypto.h"
#include "signet/jose/jwk.h"
#include "signet/server/endpoint_support.h"

namespace signet::server {
namespace {

using Code = OAuthErrorCode;

std::string set_name(const store::Application& app) {
  if (!app.jwks_uri.empty()) {
    return "uri:" + app.jwks_uri;
  }
  return "jwks:" + jose::to_hex(jose::sha256(app.jwks));
}

// What to do when the client's keys hold no key for the assertion.
std::string register_hint(const store::Application& app) {
  if (!app.jwks_uri.empty()) {
    return "publish its public key at " + app.jwks_uri;
  }
  return "register its public key: signet clients update " +
         command_word(app.client_id, "CLIENT_ID") + " --jwks FILE";
}

}  // namespace

ClientKeys::ClientKeys(ClientKeysOptions options) : options_(std::move(options)) {
  if (!options_.fetcher) {
    options_.fetcher = [this](const std::string& jwks_uri) -> std::shared_ptr<guard::KeySource> {
      guard::GuardConfig config = config_;
      config.jwks_uri = jwks_uri;  // configured, so HttpKeySource never runs discovery
      return std::make_shared<guard::HttpKeySource>(config);
    };
  }
  if (!options_.clock) {
    options_.clock = std::make_shared<guard::SystemClock>();
  }
  config_.background_refresh = false;  // fetched on the request path only, when used
}

Result<std::shared_ptr<guard::JwksCache>, OAuthError> ClientKeys::cache_for(
    const store::Application& app) {
  const std::string name = set_name(app);
  std::lock_guard lock(mu_);
  if (auto it = sets_.find(name); it != sets_.end()) {
    it->second.last_used = ++uses_;
    return it->second.cache;
  }
  std::shared_ptr<guard::KeySource> source;
  if (!app.jwks_uri.empty()) {
    source = options_.fetcher(app.jwks_uri);
  } else {
    // Checked when it was registered; a JWKS written past the admin service is refused here.
    auto jwks = jose::parse_jwks(app.jwks);
    if (!jwks) {
      spdlog::warn("client {}: its registered JWKS does not parse: {}", app.client_id,
                   jose::to_string(jwks.error()));
      return fail(oauth_error(Code::kInvalidClient,
                              "client " + app.client_id +
                                  " has no usable JWKS: register its public keys again: signet "
                                  "clients update " +
                                  command_word(app.client_id, "CLIENT_ID") + " --jwks FILE"));
    }
    source = std::make_shared<guard::StaticKeySource>(std::move(jwks).value());
  }
  if (sets_.size() >= kMaxClientKeySets) {
    // A set in use by a request lives on in that request's shared_ptr.
    sets_.erase(std::min_element(sets_.begin(), sets_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    }));
  }
  auto cache =
      std::make_shared<guard::JwksCache>(std::move(source), options_.clock, config_,
                                         app.jwks_uri.empty() ? inline_counters_ : counters_);
  sets_[name] = Entry{cache, ++uses_};
  return cache;
}

Result<guard::JwksCache::Found, OAuthError> ClientKeys::find(const store::Application& app,
                                                             const std::optional<std::string>& kid,
                                                             jose::Algorithm alg) {
  auto cache = cache_for(app);
  if (!cache) {
    return fail(cache.error());
  }
  auto found = (*cache)->find(kid, alg, guard::KeyWait::kMayBlock);
  if (found) {
    return std::move(found).value();
  }
  switch (found.error()) {
    case guard::Error::kKidMissing:
      return fail(oauth_error(Code::kInvalidClient,
                              "the client assertion has no kid, and several keys of client " +
                                  app.client_id + " accept " + std::string(jose::to_string(alg)) +
                                  ": name the signing key with kid in the JWT header"));
    case guard::Error::kKeysUnavailable:
    case guard::Error::kKeysPending: {
      spdlog::warn("client {}: cannot fetch its keys from {}: {}", app.client_id, app.jwks_uri,
                   (*cache)->last_error());
      OAuthError e =
          oauth_error(Code::kTemporarilyUnavailable,
                      "the public keys of client " + app.client_id + " at " + app.jwks_uri +
                          " could not be fetched; make sure they are served there, "
                          "then try again");
      e.retry_after = config_.jwks_cooldown;
      return fail(std::move(e));
    }
    default:
      break;
  }
  return fail(oauth_error(Code::kInvalidClient,
                          (kid ? "no key of client " + app.client_id + " has kid '" + echoed(*kid) +
                                     "' for " + std::string(jose::to_string(alg))
                               : "no key of client " + app.client_id + " accepts " +
                                     std::string(jose::to_string(alg))) +
                              ": sign the assertion with a key of the client's JWKS, or " +
                              register_hint(app)));
}

}  // namespace signet::server
