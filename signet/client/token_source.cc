#include "signet/client/token_source.h"

#include <utility>

#include "signet/client/decode.h"
#include "signet/common/ascii.h"
#include "signet/guard/issuer_metadata.h"
#include "signet/jose/json.h"

namespace signet::client {
namespace {

// The kid in the header of a JWT; nullopt for a token that is not a JWT or names no kid.
std::optional<std::string> signing_kid(std::string_view token) {
  auto decoded = decode_jwt(token);
  if (!decoded) {
    return std::nullopt;
  }
  auto kid = jose::get_string(decoded->header, "kid");
  if (!kid || kid->empty()) {
    return std::nullopt;
  }
  return std::string(*kid);
}

// True when `cached`, found under `key`, may be served: the key that signed it is still in the
// issuer's JWKS. An entry whose key has left it is dropped.
bool still_published(TokenClient& client, const TokenCache& cache, const std::string& key,
                     const CachedToken& cached, const std::string& issuer, const Warn& warn) {
  // A token signed by a key the issuer has withdrawn is refused by every API that refreshes its
  // keys: it must not be served for the rest of its lifetime.
  const auto kid = signing_kid(cached.access_token);
  auto published = kid ? client.publishes_key(issuer, *kid) : Result<bool, std::string>(false);
  if (!published) {
    warn("cannot check that the cached token's signing key is still published (" +
         published.error() + "); asking the issuer for a new token");
    return false;
  }
  if (!*published) {
    if (auto erased = cache.erase(key); !erased) {
      warn(erased.error() + "; the token signed by a withdrawn key is still in the file");
    }
  }
  return *published;
}

// A token_type from the server, safe to print on a terminal.
std::string printable_type(std::string_view token_type) {
  constexpr std::size_t kMaxShownBytes = 32;  // token types are a word: Bearer, DPoP, N_A
  return guard::printable(token_type, kMaxShownBytes);
}

}  // namespace

Result<ObtainedToken, std::string> obtain_token(TokenClient& client, const TokenCache* cache,
                                                const TokenRequest& request, CachePolicy policy,
                                                std::chrono::sys_seconds now, const Warn& warn) {
  // Password-grant tokens are never cached: a cache hit would skip the password check.
  if (policy == CachePolicy::kBypass || request.username) {
    cache = nullptr;
  }
  const std::string_view jkt = request.dpop ? std::string_view(request.dpop->jkt) : "";
  const CacheKeyParts parts{request.issuer,   request.client_id, request.client_secret,
                            request.audience, request.scope,     jkt};
  const std::string key = cache != nullptr ? cache_key(parts) : "";
  if (cache != nullptr && policy == CachePolicy::kUse) {
    auto hit = cache->lookup(key, now);
    if (!hit) {
      warn(hit.error() + "; fetching a token without the cache");
      cache = nullptr;  // refused for reading, refused for writing: one warning is enough
    } else if (*hit && (*hit)->jkt == jkt &&
               still_published(client, *cache, key, **hit, request.issuer, warn)) {
      // The key already says which DPoP key the token is bound to; the entry's own jkt is
      // checked too, so that a token bound to another key is never served with this one's proofs.
      return ObtainedToken{std::move(**hit), true, std::nullopt};
    }
  }

  auto response = client.request(request, now);
  if (!response) {
    return fail(response.error());
  }
  // The lifetime starts no later than `now`, which is before the request: expiry is not overrated.
  ObtainedToken out{CachedToken{response->access_token, response->token_type, response->scope, now,
                                now, entry_tags(parts)},
                    false, std::move(response->body)};
  if (request.dpop) {
    // RFC 9449 §5: a server that does not do DPoP ignores the proof and answers Bearer.
    if (!iequals(response->token_type, "DPoP")) {
      warn("the issuer answered token_type " + printable_type(response->token_type) +
           " to a request with a DPoP proof: it does not support DPoP, and the token is not "
           "bound to the key; not cached (leave out --dpop to get and cache bearer tokens)");
      return out;
    }
    out.token.jkt = request.dpop->jkt;
  }
  if (!response->expires_in) {
    return out;  // a lifetime we cannot read is none: used once, not cached
  }
  out.token.expires_at = now + std::chrono::seconds{*response->expires_in};
  if (cache == nullptr) {
    return out;
  }
  if (!signing_kid(out.token.access_token)) {
    warn(
        "the issuer's token is not a JWT naming its signing key (kid), so whether that key is "
        "withdrawn could not be checked later: not cached (--no-cache silences this)");
    return out;
  }
  if (auto stored = cache->store(key, out.token, now); !stored) {
    warn(stored.error() + "; the token was not cached");
  }
  return out;
}

}  // namespace signet::client
