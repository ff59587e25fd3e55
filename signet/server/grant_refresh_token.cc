#include "signet/server/grant_refresh_token.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/json.hpp>

#include "signet/server/endpoint_support.h"
#include "signet/server/refresh_tokens.h"
#include "signet/server/user_tokens.h"

namespace signet::server {

namespace json = boost::json;
using Code = OAuthErrorCode;

EndpointResult RefreshTokenGrant::issue(const GrantRequest& g) {
  const TenantSnapshot& snap = g.snap;
  const AuthenticatedClient& client = g.client;
  const EndpointRequest& req = g.req;
  const Params& p = *req.params;
  const auto presented = p.get("refresh_token");
  if (!presented) {
    return fail(oauth_error(Code::kInvalidRequest,
                            "refresh_token is required for grant_type=refresh_token"));
  }
  const auto unknown = [] {
    return oauth_error(Code::kInvalidGrant,
                       "Unknown or invalid refresh token. Sign in again to get a new one.");
  };
  auto found = find_refresh_token(svc_.store, svc_.secrets, *presented);
  if (!found) {
    return fail(found.error());
  }
  if (!*found) {
    return fail(unknown());
  }
  store::RefreshToken& old = **found;
  // RFC 6749 §6: a refresh token is bound to the client it was issued to.
  if (old.client_id != client.app->client_id) {
    return fail(unknown());
  }
  if (old.revoked) {
    return fail(oauth_error(Code::kInvalidGrant,
                            "The refresh token was revoked. Sign in again to get a new one."));
  }
  if (req.now >= old.expires_at) {
    return fail(oauth_error(Code::kInvalidGrant,
                            "The refresh token expired. Sign in again to get a new one."));
  }
  const auto reuse_detected = [&]() -> EndpointResult {
    // Someone holds a token that was already exchanged: either the client or an attacker has a
    // stolen copy. Revoking the whole family ends both sessions; the user signs in again.
    auto revoked = svc_.store.revoke_refresh_token_family(old.family_id);
    if (!revoked) {
      return fail(store_failure("revoking a refresh token family", revoked.error()));
    }
    svc_.counters.refresh_reuse_detected.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn(
        "token endpoint: reuse of a rotated refresh token by client {} for user {}; revoked its "
        "family ({} tokens)",
        old.client_id, old.user_id, *revoked);
    return fail(oauth_error(Code::kInvalidGrant,
                            "The refresh token was already used. For safety every refresh token "
                            "of this sign-in is now revoked; sign in again."));
  };
  const auto within_grace = [&](const store::RefreshToken& t) {
    return t.rotated_at && req.now - *t.rotated_at <= svc_.config.refresh_reuse_grace;
  };
  if (old.rotated_at && !within_grace(old)) {
    return reuse_detected();
  }

  const store::Api* api = snap.find_api(old.audience);
  if (api == nullptr) {
    return fail(unknown());  // the API was deleted (its tokens too, normally)
  }
  auto user = svc_.store.get_user(old.user_id);
  if (!user) {
    if (user.error().code == store::StoreErrorCode::kNotFound) {
      return fail(unknown());
    }
    return fail(store_failure("looking up a user", user.error()));
  }
  if (user->blocked) {
    return fail(
        oauth_error(Code::kInvalidGrant,
                    "The user is blocked; an admin can run: signet users unblock " + user->email));
  }

  // RFC 6749 §6: the scope may be narrowed, never widened beyond what the token was issued with.
  std::vector<std::string> scopes = old.scopes;
  if (const auto requested = p.get("scope")) {
    std::vector<std::string> asked = split_scopes(*requested);
    for (const auto& s : asked) {
      if (!contains(old.scopes, s)) {
        return fail(oauth_error(
            Code::kInvalidScope,
            "scope '" + s.substr(0, 128) +
                "' was not granted with this refresh token; granted: " + quoted_list(old.scopes)));
      }
    }
    scopes = std::move(asked);
  }
  // Permissions removed from the user since sign-in are not carried forward.
  auto held = svc_.store.list_user_permissions(user->id, std::string_view(old.audience));
  if (!held) {
    return fail(store_failure("listing the user's permissions", held.error()));
  }
  std::erase_if(scopes, [&](const std::string& s) {
    return !is_oidc_scope(s) && std::none_of(held->begin(), held->end(),
                                             [&](const auto& up) { return up.permission == s; });
  });

  std::string next_token = generate_secret();
  store::RefreshToken next;
  next.id = random_id(kRefreshIdRandomBytes);
  next.token_hash = svc_.secrets.hash(next_token);
  next.family_id = old.family_id;
  next.client_id = old.client_id;
  next.user_id = old.user_id;
  next.audience = old.audience;
  next.scopes = old.scopes;  // RFC 6749 §6: the new refresh token keeps the original scope
  next.created_at = req.now;
  next.expires_at = old.expires_at;  // the family's absolute lifetime does not restart
  auto rotated = svc_.store.rotate_refresh_token(old.id, next, req.now);
  if (!rotated) {
    if (rotated.error().code != store::StoreErrorCode::kConflict) {
      return fail(store_failure("rotating a refresh token", rotated.error()));
    }
    // Another request rotated it first. Within the grace period that is the same client racing
    // itself, and it gets a sibling token of the same family; otherwise it is reuse.
    auto again = svc_.store.find_refresh_token(old.token_hash);
    if (!again) {
      return fail(store_failure("re-reading a refresh token", again.error()));
    }
    if (again->revoked || !within_grace(*again)) {
      return reuse_detected();
    }
    if (auto inserted = svc_.store.insert_refresh_token(next); !inserted) {
      return fail(store_failure("storing a refresh token", inserted.error()));
    }
  }
  auto body = user_tokens(svc_.config, snap, *client.app, *user, *api, scopes,
                          GrantClaim::kRefreshToken, req.now);
  if (!body) {
    return fail(body.error());
  }
  (*body)["refresh_token"] = std::move(next_token);
  return body;
}

}  // namespace signet::server
