#include "signet/server/grant_password.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/json.hpp>

#include "signet/http/client_address.h"
#include "signet/server/dpop_proofs.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/event_log.h"
#include "signet/server/password_check.h"
#include "signet/server/refresh_tokens.h"
#include "signet/server/user_tokens.h"

namespace signet::server {

namespace json = boost::json;
using Code = OAuthErrorCode;

EndpointResult PasswordGrant::issue(const GrantRequest& g) {
  const TenantSnapshot& snap = g.snap;
  const AuthenticatedClient& client = g.client;
  const EndpointRequest& req = g.req;
  const Params& p = *req.params;
  const auto username = p.get("username");
  const auto password = p.get("password");
  if (!username || !password) {
    return fail(oauth_error(
        Code::kInvalidRequest,
        std::string(!username ? "username" : "password") + " is required for grant_type=password"));
  }
  auto audience = requested_audience(p);
  if (!audience) {
    return fail(audience.error());
  }
  auto api = find_api(snap, *audience);
  if (!api) {
    return fail(api.error());
  }
  if (auto allowed = dpop_allowed(**api, g.dpop_jkt, req.notes); !allowed) {
    return fail(allowed.error());
  }
  PasswordCheckNotes checked;
  auto user = svc_.password_check.check(*username, *password, http::address_group(req.peer_address),
                                        req.now(), &checked);
  if (req.notes != nullptr) {
    req.notes->user_id = checked.user_id;
    req.notes->audience = (*api)->identifier;
    if (checked.unknown_user) {
      req.notes->username = std::string(username->substr(0, kMaxUsernameBytes));
    }
    if (checked.block_started) {
      req.notes->started_block = event_type::kAccountBlocked;
    }
  }
  if (!user) {
    return fail(user.error());
  }

  auto held = svc_.store.list_user_permissions(user->id, std::string_view(*audience));
  if (!held) {
    return fail(store_failure("listing the user's permissions", held.error()));
  }
  std::vector<std::string> held_scopes;
  for (auto& up : *held) {
    held_scopes.push_back(std::move(up.permission));
  }
  const bool offline_allowed =
      (*api)->allow_offline_access && allows(*client.app, store::GrantType::kRefreshToken);
  const auto requested = split_scopes(p.get("scope").value_or(""));
  const auto scopes = user_scopes(requested, held_scopes, offline_allowed);

  std::optional<std::string> refresh_token;
  if (contains(scopes, "offline_access")) {
    store::RefreshToken first;
    first.family_id = random_id(kRefreshIdRandomBytes);
    first.client_id = client.app->client_id;
    first.user_id = user->id;
    first.audience = (*api)->identifier;
    first.scopes = scopes;
    first.created_at = req.now();
    first.expires_at = req.now() + svc_.config.refresh_token_lifetime;
    auto issued = insert_new_refresh_token(svc_.store, svc_.secrets, std::move(first));
    if (!issued) {
      return fail(issued.error());
    }
    refresh_token = std::move(*issued);
  }
  auto body = user_tokens(svc_.config, snap, *client.app, *user, **api, scopes,
                          GrantClaim::kPassword, req.now(),
                          // The password was checked by this very request.
                          SignInClaims{.nonce = {}, .auth_time = req.now()}, g.dpop_jkt);
  if (!body) {
    return fail(body.error());
  }
  if (refresh_token) {
    (*body)["refresh_token"] = std::move(*refresh_token);
  }
  return body;
}

}  // namespace signet::server
