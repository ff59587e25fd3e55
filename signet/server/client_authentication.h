#pragma once

// Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3.1):
// client_secret_basic or client_secret_post, exactly one per request, checked against the method
// the client registered, with wrong secrets throttled per client and address.

#include <string_view>

#include "signet/common/result.h"
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
  ClientAuthenticator(store::Store& store, const SecretHasher& secrets,
                      store::LockoutPolicy lockout);

  // The client the request authenticates as, or invalid_client / invalid_request /
  // too_many_attempts (with Retry-After) saying what to send instead.
  Result<AuthenticatedClient, OAuthError> authenticate(const TenantSnapshot& snap,
                                                       const EndpointRequest& req);

 private:
  store::Store& store_;
  const SecretHasher& secrets_;
  const store::LockoutPolicy lockout_;
  FailureWatch failures_;  // (client_id, address) pairs whose counter is worth reading
};

}  // namespace signet::server
