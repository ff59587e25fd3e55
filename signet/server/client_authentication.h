#pragma once

// Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3,
// OpenID Connect Core §9): client_secret_basic, client_secret_post, private_key_jwt
// (client_assertion.h), or a public client's client_id alone; exactly one method per request,
// checked against the method the client registered (client_secret_basic_or_post, the default,
// takes either secret method), with wrong secrets throttled per client and address.

#include <string>
#include <string_view>

#include "signet/common/result.h"
#include "signet/server/client_assertion.h"
#include "signet/server/credentials.h"
#include "signet/server/endpoint_request.h"
#include "signet/server/failure_watch.h"
#include "signet/server/oauth_error.h"
#include "signet/server/tenant.h"
#include "signet/store/store.h"

namespace signet::server {

// bytes of an Authorization header's credentials; id and secret are far shorter.
constexpr std::size_t kMaxBasicCredentialsBytes = 2048;

struct AuthenticatedClient {
  const store::Application* app = nullptr;  // points into the request's snapshot
  bool used_basic = false;                  // authenticated with HTTP Basic
};

class ClientAuthenticator {
 public:
  // Everything referenced must outlive the authenticator.
  // `issuer` (with its trailing slash) is what client assertions name as their audience;
  // `keys` says where private_key_jwt clients' jwks_uri documents come from.
  ClientAuthenticator(store::Store& store, const SecretHasher& secrets,
                      store::LockoutPolicy lockout, std::string issuer,
                      ClientKeysOptions keys = {});

  // The client the request authenticates as, or invalid_client / invalid_request /
  // too_many_attempts (with Retry-After) saying what to send instead. May block (a store write
  // and maybe a fetch) when the request carries a client assertion.
  Result<AuthenticatedClient, OAuthError> authenticate(const TenantSnapshot& snap,
                                                       const EndpointRequest& req);

  const ClientAssertionVerifier& assertions() const { return assertions_; }

 private:
  store::Store& store_;
  const SecretHasher& secrets_;
  const store::LockoutPolicy lockout_;
  FailureWatch failures_;  // (client_id, address) pairs whose counter is worth reading
  ClientAssertionVerifier assertions_;
};

}  // namespace signet::server
