#include "signet/server/grant_password.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/json.hpp>

#include "signet/http/client_address.h"
#include "signet/server/endpoint_support.h"
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
  // A public client (no secret: the console's page) proves nothing about which application asks,
  // so with the password grant it gets only Management API tokens, which the console needs; a
  // user's tokens for other APIs come through an application the operator made for them.
  if (client.app->token_endpoint_auth_method == store::TokenEndpointAuthMethod::kNone &&
      *audience != svc_.config.issuer + "api/v2/") {
    return fail(oauth_error(Code::kUnauthorizedClient,
                            "client " + client.app->client_id +
                                " is public: with the password grant it may only ask for the "
                                "Management API (" +
                                svc_.config.issuer +
                                "api/v2/); use an application of your own for this API"));
  }

  auto user = svc_.password_check.check(*username, *password, http::address_group(req.peer_address),
                                        req.now());
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
    refresh_token = generate_secret();
    store::RefreshToken stored;
    stored.id = random_id(kRefreshIdRandomBytes);
    stored.token_hash = svc_.secrets.hash(*refresh_token);
    stored.family_id = random_id(kRefreshIdRandomBytes);
    stored.client_id = client.app->client_id;
    stored.user_id = user->id;
    stored.audience = (*api)->identifier;
    stored.scopes = scopes;
    stored.created_at = req.now();
    stored.expires_at = req.now() + svc_.config.refresh_token_lifetime;
    if (auto inserted = svc_.store.insert_refresh_token(stored); !inserted) {
      return fail(store_failure("storing a refresh token", inserted.error()));
    }
  }
  auto body = user_tokens(svc_.config, snap, *client.app, *user, **api, scopes,
                          GrantClaim::kPassword, req.now());
  if (!body) {
    return fail(body.error());
  }
  if (refresh_token) {
    (*body)["refresh_token"] = std::move(*refresh_token);
  }
  return body;
}

}  // namespace signet::server
