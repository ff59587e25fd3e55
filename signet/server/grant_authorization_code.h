#pragma once

// RFC 6749 §4.1.3: exchanges an authorization code that /authorize issued for the user's tokens,
// with PKCE (RFC 7636 §4.6). The contract:
// - A code is single use, and the first attempt spends it, successful or not: the store marks it
//   used as it hands it over, so of two concurrent exchanges exactly one gets it.
// - A second use revokes the refresh tokens the first one issued (RFC 6749 §4.1.2): they belong
//   to the family chosen with the code. Access and ID tokens already issued are self-contained
//   JWTs and stay valid until they expire.
// - The code is bound to the client, the redirect URI (byte for byte) and the S256 challenge.
// - What changed since sign-in counts: a blocked or deleted user gets nothing, API scopes the
//   user no longer holds are dropped, and offline_access needs the API and the client to still
//   allow refresh tokens.

#include <cstddef>
#include <string_view>

#include "signet/server/grant.h"

namespace signet::server {

// characters of a PKCE code_verifier (RFC 7636 §4.1): at least 256 bits of a 43-character
// base64url value, and bounded so a verifier cannot be made expensive to hash.
constexpr std::size_t kMinCodeVerifierLength = 43;
constexpr std::size_t kMaxCodeVerifierLength = 128;

// True when `verifier` is 43..128 characters of RFC 7636 §4.1's unreserved set [A-Za-z0-9-._~].
bool valid_code_verifier(std::string_view verifier);
// RFC 7636 §4.6, S256: BASE64URL(SHA256(verifier)) equals `challenge`, compared in constant time.
bool s256_matches(std::string_view verifier, std::string_view challenge);

class AuthorizationCodeGrant final : public Grant {
 public:
  explicit AuthorizationCodeGrant(GrantServices svc) : svc_(svc) {}
  EndpointResult issue(const GrantRequest& g) override;

 private:
  GrantServices svc_;
};

}  // namespace signet::server
