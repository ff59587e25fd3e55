#pragma once

// RFC 6749 §4.4: a machine-to-machine token with the scopes of the client grant for the API
// (the requested subset when scope is sent). Answered from the snapshot: no store access, so it
// keeps working while the database is down, for EndpointConfig::store_outage_grace after the
// store last answered (then 503 temporarily_unavailable with Retry-After).

#include "signet/server/grant.h"

namespace signet::server {

class ClientCredentialsGrant final : public Grant {
 public:
  explicit ClientCredentialsGrant(GrantServices svc) : svc_(svc) {}
  EndpointResult issue(const GrantRequest& g) override;

 private:
  GrantServices svc_;
};

}  // namespace signet::server
