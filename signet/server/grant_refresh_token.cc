#include "signet/server/grant_refresh_token.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/json.hpp>

#include "signet/server/dpop_proofs.h"
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
  if (req.notes != nullptr) {
    req.notes->user_id = old.user_id;
    req.notes->audience = old.audience;
  }
  // RFC 9449 §5: a public client's refresh token issued with a DPoP proof is bound to that
  // proof's key, so a copy of it is worth nothing without the private key. Checked before reuse
  // detection: whoever lacks the key can neither use the token nor revoke its family.
  if (!old.jkt.empty() && old.jkt != g.dpop_jkt) {
    if (req.notes != nullptr) {
      req.notes->dpop_error = rule_name(g.dpop_jkt.empty() ? jose::dpop::ProofError::kMissing
                                                           : jose::dpop::ProofError::kKeyMismatch);
    }
    return fail(oauth_error(
        Code::kInvalidGrant,
        g.dpop_jkt.empty()
            ? "The refresh token is bound to a DPoP key (RFC 9449 §5): send a DPoP proof signed "
              "with the key it was issued with"
            : "The refresh token is bound to another DPoP key than this proof's: sign the proof "
              "with the key the refresh token was issued with"));
  }
  if (old.revoked) {
    return fail(oauth_error(Code::kInvalidGrant,
                            "The refresh token was revoked. Sign in again to get a new one."));
  }
  if (req.now() >= old.expires_at) {
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
    if (req.notes != nullptr) {
      req.notes->reuse_detected = true;
    }
    spdlog::warn(
        "token endpoint: reuse of a rotated refresh token by client {} for user {}; revoked its "
        "family ({} tokens)",
        old.client_id, old.user_id, *revoked);
    return fail(oauth_error(Code::kInvalidGrant,
                            "The refresh token was already used. For safety every refresh token "
                            "of this sign-in is now revoked; sign in again."));
  };
  // A rotated token presented again: within the grace period, the successor already issued
  // (never a new one, so a retry cannot multiply a session); otherwise reuse.
  std::optional<std::string> successor;
  if (old.rotated_at) {
    auto retry = successor_for_retry(old, *presented, req.at);
    if (!retry) {
      return fail(retry.error());
    }
    if (!*retry) {
      return reuse_detected();
    }
    successor = std::move(*retry);
  }

  const store::Api* api = snap.find_api(old.audience);
  if (api == nullptr) {
    return fail(unknown());  // the API was deleted (its tokens too, normally)
  }
  if (auto allowed = dpop_allowed(*api, g.dpop_jkt, req.notes); !allowed) {
    return fail(allowed.error());
  }
  auto user = svc_.store.get_user(old.user_id);
  if (!user) {
    if (user.error().code == store::StoreErrorCode::kNotFound) {
      return fail(unknown());
    }
    return fail(store_failure("looking up a user", user.error()));
  }
  if (user->blocked) {
    return fail(oauth_error(Code::kInvalidGrant,
                            "The user is blocked; an admin can run: signet users unblock " +
                                command_word(user->email, "EMAIL")));
  }

  // RFC 6749 §6: the scope may be narrowed, never widened beyond what the token was issued with.
  std::vector<std::string> scopes = old.scopes;
  if (const auto requested = p.get("scope")) {
    std::vector<std::string> asked = split_scopes(*requested);
    for (const auto& s : asked) {
      if (!contains(old.scopes, s)) {
        return fail(oauth_error(
            Code::kInvalidScope,
            "scope '" + echoed(s, kMaxEchoedScope) +
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

  if (!successor) {
    std::string next_token = generate_secret();
    store::RefreshToken next;
    next.id = random_id(kRefreshIdRandomBytes);
    next.token_hash = svc_.secrets.hash(next_token);
    next.family_id = old.family_id;
    next.client_id = old.client_id;
    next.user_id = old.user_id;
    next.audience = old.audience;
    next.scopes = old.scopes;  // RFC 6749 §6: the new refresh token keeps the original scope
    next.jkt = old.jkt;        // and its DPoP binding (RFC 9449 §5)
    next.created_at = req.now();
    next.expires_at = old.expires_at;  // the family's absolute lifetime does not restart
    auto sealed = seal_successor(svc_.secrets, *presented, next_token, old.id);
    if (!sealed) {
      return fail(sealed.error());
    }
    auto rotated = svc_.store.rotate_refresh_token(old.id, next, *sealed, req.at);
    if (rotated) {
      successor = std::move(next_token);
    } else if (rotated.error().code != store::StoreErrorCode::kConflict) {
      return fail(store_failure("rotating a refresh token", rotated.error()));
    } else {
      // Another request rotated it first: the same client racing itself within the grace period
      // gets that request's successor; anything else is reuse.
      auto again = svc_.store.find_refresh_token(old.token_hash);
      if (!again) {
        return fail(store_failure("re-reading a refresh token", again.error()));
      }
      auto retry = successor_for_retry(*again, *presented, req.at);
      if (!retry) {
        return fail(retry.error());
      }
      if (!*retry) {
        return reuse_detected();
      }
      successor = std::move(*retry);
    }
  }
  auto body = user_tokens(svc_.config, snap, *client.app, *user, *api, scopes,
                          GrantClaim::kRefreshToken, req.now(), SignInClaims{}, g.dpop_jkt);
  if (!body) {
    return fail(body.error());
  }
  (*body)["refresh_token"] = std::move(*successor);
  return body;
}

Result<std::optional<std::string>, OAuthError> RefreshTokenGrant::successor_for_retry(
    const store::RefreshToken& rotated, std::string_view presented,
    store::PreciseTimestamp at) const {
  const std::optional<std::string> none;
  const auto grace =
      std::chrono::duration_cast<std::chrono::milliseconds>(svc_.config.refresh_reuse_grace);
  // A grace of 0 admits nothing; otherwise strictly less than the grace has passed, to the
  // millisecond.
  if (rotated.revoked || !rotated.rotated_at || grace.count() <= 0 ||
      at - *rotated.rotated_at >= grace) {
    return none;
  }
  auto successor = open_successor(svc_.secrets, presented, rotated.successor_sealed, rotated.id);
  if (!successor) {
    return none;
  }
  // Only while the successor itself is unused: once it has been exchanged (or its family
  // revoked), an old copy coming back is no retry.
  auto live = find_refresh_token(svc_.store, svc_.secrets, *successor);
  if (!live) {
    return fail(live.error());
  }
  if (!*live || (*live)->revoked || (*live)->rotated_at) {
    return none;
  }
  return successor;
}

}  // namespace signet::server
