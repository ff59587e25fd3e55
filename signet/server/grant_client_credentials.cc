#include "signet/server/grant_client_credentials.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/json.hpp>

#include "signet/server/dpop_proofs.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/user_tokens.h"

namespace signet::server {

namespace json = boost::json;
using Code = OAuthErrorCode;

EndpointResult ClientCredentialsGrant::issue(const GrantRequest& g) {
  const TenantSnapshot& snap = g.snap;
  const AuthenticatedClient& client = g.client;
  const EndpointRequest& req = g.req;
  const Params& p = *req.params;
  // The snapshot answers without the store, which is what keeps machine-to-machine traffic going
  // through a database outage; but a client or grant revoked meanwhile is still in it, so it is
  // trusted only for the configured grace.
  if (!svc_.tenant.confirmed_within(svc_.config.store_outage_grace, req.at)) {
    return fail(OAuthError{Code::kTemporarilyUnavailable,
                           "the database cannot be reached, and this server's copy of the "
                           "configuration is older than its --store-outage-grace; retry in a few "
                           "seconds",
                           false, kStoreUnavailableRetryAfter});
  }
  auto audience = requested_audience(p);
  if (!audience) {
    return fail(audience.error());
  }
  if (req.notes != nullptr) {
    req.notes->audience = *audience;
  }
  auto api = find_api(snap, *audience);
  if (!api) {
    return fail(api.error());
  }
  if (auto allowed = dpop_allowed(**api, g.dpop_jkt, req.notes); !allowed) {
    return fail(allowed.error());
  }
  const store::ClientGrant* grant = snap.find_grant(client.app->client_id, *audience);
  if (grant == nullptr) {
    // The audience names an API here, but the hint is pasted into a shell: quoted all the same.
    return fail(oauth_error(Code::kAccessDenied,
                            "Client \"" + echoed(client.app->client_id) +
                                "\" is not authorized to access \"" + echoed(*audience) +
                                "\". Create a client grant: signet grants create --client-id " +
                                command_word(client.app->client_id, "CLIENT_ID") + " --audience " +
                                command_word(*audience, "AUDIENCE") + " --scopes '...'"));
  }
  std::vector<std::string> scopes = grant->scopes;
  if (const auto requested = p.get("scope")) {
    std::vector<std::string> asked = split_scopes(*requested);
    for (const auto& s : asked) {
      if (!contains(grant->scopes, s)) {
        return fail(oauth_error(
            Code::kInvalidScope,
            "scope '" + echoed(s, kMaxEchoedScope) + "' is not granted to client " +
                echoed(client.app->client_id) + " for '" + echoed(*audience) +
                "'; granted: " + quoted_list(grant->scopes) + ". Add it: signet grants update " +
                std::to_string(grant->id) + " --scopes '...'"));
      }
    }
    scopes = std::move(asked);
  }
  const jose::Jwk* key = snap.signing_key((*api)->signing_algorithm);
  if (key == nullptr) {
    return fail(internal_failure("no current signing key for " +
                                 std::string(jose::to_string((*api)->signing_algorithm))));
  }
  AccessTokenRequest at{svc_.config.issuer,
                        *api,
                        client.app->client_id,
                        client.app->client_id + "@clients",
                        scopes,
                        GrantClaim::kClientCredentials,
                        false,
                        req.now(),
                        g.dpop_jkt};
  auto issued = issue_access_token(at, *key);
  if (!issued) {
    return fail(internal_failure(issued.error()));
  }
  json::object body{{"access_token", std::move(issued->token)},
                    {"token_type", token_type(g.dpop_jkt)},
                    {"expires_in", (*api)->token_lifetime.count()}};
  if (!scopes.empty()) {
    body["scope"] = join_scopes(scopes);
  }
  return body;
}

}  // namespace signet::server
