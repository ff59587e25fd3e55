#pragma once

// One grant type of the token endpoint (RFC 6749 §4, §6). Each lives in its own file and is
// chosen from TokenEndpoint's table by grant_type, so a new grant is a new file, not a new branch.
// The client has already been authenticated and is allowed the grant when issue() runs.

#include <string_view>

#include "signet/server/client_authentication.h"
#include "signet/server/credentials.h"
#include "signet/server/endpoint_request.h"
#include "signet/server/password.h"
#include "signet/server/password_check.h"
#include "signet/server/tenant.h"
#include "signet/store/store.h"

namespace signet::server {

// What grants may use; everything referenced outlives them.
struct GrantServices {
  const EndpointConfig& config;
  store::Store& store;
  const SecretHasher& secrets;
  const PasswordHasher& passwords;
  EndpointCounters& counters;
  PasswordCheck& password_check;  // shared with the login page (password_check.h)
  const Tenant& tenant;           // whether its snapshot is still confirmed by the store
};

struct GrantRequest {
  const TenantSnapshot& snap;
  const AuthenticatedClient& client;
  const EndpointRequest& req;
  // The thumbprint of the key of the request's verified DPoP proof (dpop_proofs.h); empty when
  // the request came without one. The access token is bound to it.
  std::string_view dpop_jkt{};
};

class Grant {
 public:
  virtual ~Grant() = default;
  // The token response body, or the error to answer with. Errors are counted by the caller.
  virtual EndpointResult issue(const GrantRequest& g) = 0;
};

}  // namespace signet::server
