#pragma once

// RFC 6749 §6: a refresh token for new tokens. Refresh tokens rotate on every use; a rotated one
// presented again within the grace period is a concurrent request of the same client, and later it
// is reuse, which revokes the whole family (RFC 9700 §4.14.2).

#include <optional>
#include <string>
#include <string_view>

#include "signet/server/grant.h"

namespace signet::server {

class RefreshTokenGrant final : public Grant {
 public:
  explicit RefreshTokenGrant(GrantServices svc) : svc_(svc) {}
  EndpointResult issue(const GrantRequest& g) override;

 private:
  // The successor of `rotated` when `presented` (its plaintext) comes back within the grace
  // period and the successor is still unused; nullopt when this is reuse instead.
  Result<std::optional<std::string>, OAuthError> successor_for_retry(
      const store::RefreshToken& rotated, std::string_view presented,
      store::PreciseTimestamp at) const;

  GrantServices svc_;
};

}  // namespace signet::server
