#pragma once

// RFC 6749 §4.3: the resource owner password grant (Auth0's Resource Owner Password flow), with
// per-user lockouts, and a refresh token when offline_access is granted.

#include "signet/server/grant.h"

namespace signet::server {

class PasswordGrant final : public Grant {
 public:
  explicit PasswordGrant(GrantServices svc) : svc_(svc) {}
  EndpointResult issue(const GrantRequest& g) override;

 private:
  GrantServices svc_;
};

}  // namespace signet::server
