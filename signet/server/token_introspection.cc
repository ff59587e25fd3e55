// POST /oauth/introspect (RFC 7662), one of TokenEndpoint's units.

#include "signet/server/token_endpoint.h"

#include <boost/json.hpp>

#include "signet/server/endpoint_support.h"
#include "signet/server/own_tokens.h"
#include "signet/server/refresh_tokens.h"
#include "signet/server/token_holders.h"

namespace signet::server {

namespace json = boost::json;
using Code = OAuthErrorCode;

EndpointResult TokenEndpoint::run_introspect(const EndpointRequest& req) {
  auto presented = presented_token(req, "inspect");
  if (!presented) {
    return fail(presented.error());
  }
  const std::string_view token = presented->token;
  counters_.introspections.fetch_add(1, std::memory_order_relaxed);
  const json::object inactive{{"active", false}};
  if (token.size() > kMaxPresentedTokenBytes) {
    return inactive;
  }
  if (looks_like_jwt(token)) {
    auto claims = verify_own_token(*presented->snap, config_.issuer, token, req.now());
    // Access tokens carry "gty"; an ID token (also ours, also a JWT) is not an access token and
    // RFC 7662 describes only those and refresh tokens.
    if (!claims || !claims->contains("gty")) {
      return inactive;
    }
    // A token outlives admin changes; a blocked or deleted user, or a deleted application, has
    // none that is active (RFC 7662 §2.2 leaves "active" to the server's policy).
    auto holders = check_token_holders(*presented->snap, store_, *claims);
    if (!holders) {
      return fail(store_failure("looking up a token's user", holders.error()));
    }
    if (holders->status != HolderStatus::kActive) {
      return inactive;
    }
    // RFC 9449 §6.2: a DPoP-bound token is described with its cnf and token_type DPoP, so a
    // resource server that introspects knows to demand a proof by that key.
    const auto* cnf = claims->if_contains("cnf");
    const bool bound = cnf != nullptr && cnf->is_object() && cnf->as_object().contains("jkt");
    json::object out{{"active", true}, {"token_type", bound ? "DPoP" : "Bearer"}};
    for (const std::string_view name :
         {"scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "gty", "cnf"}) {
      if (const auto* v = claims->if_contains(name)) {
        out[name] = *v;
      }
    }
    if (!out.contains("client_id")) {
      if (const auto* azp = claims->if_contains("azp")) {
        out["client_id"] = *azp;
      }
    }
    return out;
  }
  auto lookup = find_refresh_token(store_, secrets_, token);
  if (!lookup) {
    return fail(lookup.error());
  }
  const std::optional<store::RefreshToken>& found = *lookup;
  // A refresh token is described only to the client that holds it, so introspection cannot be
  // used to learn about other clients' sessions. A rotated token is no longer usable.
  if (!found || found->client_id != presented->client.app->client_id || found->revoked ||
      found->rotated_at || req.now() >= found->expires_at) {
    return inactive;
  }
  // The refresh grant refuses a blocked user's token; so does its description. A deleted user's
  // tokens are gone with the user, but a lookup that races the deletion says so too.
  auto holder = check_user_holder(store_, found->user_id);
  if (!holder) {
    return fail(store_failure("looking up a refresh token's user", holder.error()));
  }
  if (holder->status != HolderStatus::kActive) {
    return inactive;
  }
  json::object out{{"active", true},
                   {"token_type", "refresh_token"},
                   {"client_id", found->client_id},
                   {"sub", found->user_id},
                   {"aud", found->audience},
                   {"iss", config_.issuer},
                   {"scope", join_scopes(found->scopes)},
                   {"iat", found->created_at.time_since_epoch().count()},
                   {"exp", found->expires_at.time_since_epoch().count()}};
  if (!found->jkt.empty()) {
    out["cnf"] = json::object{{"jkt", found->jkt}};  // bound to a DPoP key (RFC 9449 §5)
  }
  return out;
}

}  // namespace signet::server
