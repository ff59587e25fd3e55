#pragma once

// Auth0's Management API v2 on `signet serve`, under `{issuer}api/v2/` (docs/management-api.md):
// resource servers, clients, client grants, users and their permissions and blocks, signing keys
// and logs, as JSON over HTTP, for the console and for scripts.
//
// Each request is authorized by an access token this server issued for the Management API's
// audience, checked by the guard against the tenant's own published keys (no JWKS fetch), and
// the route's scope; then it runs one operation of the admin service (signet/admin/admin.h), on
// the blocking executor, since it reads and writes the store and may hash a password.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "signet/admin/admin.h"
#include "signet/http/router.h"
#include "signet/server/dpop_proofs.h"
#include "signet/server/event_log.h"
#include "signet/server/tenant.h"
#include "signet/store/store.h"

namespace signet::management {

// Bytes of a request body: the server's own limit (http::kDefaultMaxBodyBytes) refuses larger
// ones first, with 413; an API with a few hundred scopes is far smaller.
constexpr std::size_t kMaxBodyBytes = 64 * 1024;
// Nesting of a request body: the deepest legitimate one is three (scopes of a resource server).
constexpr std::size_t kMaxBodyDepth = 32;
// Members of one object or elements of one array in a request body: a resource server with
// thousands of scopes fits, a body that is one huge array to exhaust the parser does not.
constexpr std::size_t kMaxBodyMembers = 10'000;
// The console's own application: a public client (no secret) that signs in through /authorize
// with PKCE at {issuer}console/ (authorization_code and refresh_token grants); created at first
// start, and brought to that at every start (an older tenant's, or another issuer URL's).
inline constexpr std::string_view kConsoleClientId = "signet-console";
inline constexpr std::string_view kManagementApiName = "signet Management API";
// Management API tokens are admin power: an hour, not the default day.
constexpr auto kManagementTokenLifetime = std::chrono::seconds{3600};

// `{issuer}api/v2/`: the Management API's audience and base URL.
std::string management_audience(std::string_view issuer);
// The path of that URL ("/api/v2/" for http://localhost:4000/).
std::string management_base_path(std::string_view issuer);
// Every permission of the Management API, with a description.
const std::vector<store::Permission>& management_permissions();

// First start: creates the Management API and the console's application when missing, adds
// permissions a newer signet defines to an existing Management API, and sets the console
// application's type, grants, auth method and URLs for `issuer`. Idempotent and safe when several
// processes start at once. The message says what failed.
Result<Ok, std::string> ensure_management_api(store::Store& store, std::string_view issuer,
                                              store::Timestamp now);
// Gives `user_id` every permission of the Management API (the first administrator).
Result<Ok, std::string> make_administrator(store::Store& store, std::string_view issuer,
                                           std::string_view user_id, store::Timestamp now);

struct ManagementOptions {
  std::string issuer;  // with its trailing slash
  // Where every change (any method but GET) is recorded as an sapi/fapi event with who made it;
  // none when null. Must outlive the router.
  server::EventLog* events = nullptr;
  // The server's DPoP proofs (RFC 9449): the guard remembers proofs in their replay cache and asks
  // for their nonces (when --dpop-nonce is on), with their proof lifetime, so a proof is used once
  // anywhere on the server and one nonce serves every endpoint. Null: a replay cache of the
  // Management API's own and no nonces. Must outlive the router.
  server::DpopProofs* dpop = nullptr;
};

// Adds the Management API under management_base_path(issuer) to `router`. `admin` and `tenant`
// must outlive the router.
void add_management_routes(http::Router& router, const ManagementOptions& options,
                           admin::Admin& admin, server::Tenant& tenant,
                           boost::asio::any_io_executor blocking);

}  // namespace signet::management
