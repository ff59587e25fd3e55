#pragma once

// The OAuth 2.0 endpoints that take client credentials: POST /oauth/token (client credentials,
// password and refresh-token grants), /oauth/revoke (RFC 7009) and /oauth/introspect
// (RFC 7662). HTTP-free: requests come in as parameters, and results go out as a JSON body or
// an OAuthError, so the grant logic is tested without sockets.

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/server/credentials.h"
#include "signet/server/failure_watch.h"
#include "signet/server/oauth_error.h"
#include "signet/server/params.h"
#include "signet/server/password.h"
#include "signet/server/tenant.h"
#include "signet/server/tokens.h"
#include "signet/store/store.h"

namespace signet::server {

// Auth0's default absolute lifetime of a rotating refresh token (30 days).
constexpr auto kDefaultRefreshTokenLifetime = std::chrono::seconds{2'592'000};
// A rotated refresh token presented again within this is taken for a concurrent request of the
// same client (two tabs, a retry after a lost response) and answered, not treated as theft.
constexpr auto kDefaultRefreshReuseGrace = std::chrono::seconds{10};
constexpr std::size_t kRefreshIdRandomBytes = 16;
// Wrong client secrets before a client is throttled from one address, and for how long. Secrets
// are 256-bit random, so this protects against noise and stolen-but-rotated secrets, not guessing.
constexpr int kDefaultClientMaxFailures = 10;
constexpr auto kDefaultClientBlockFor = std::chrono::seconds{300};

struct EndpointConfig {
  std::string issuer;  // e.g. "http://localhost:4000/", with its trailing slash
  std::chrono::seconds refresh_token_lifetime = kDefaultRefreshTokenLifetime;
  std::chrono::seconds refresh_reuse_grace = kDefaultRefreshReuseGrace;
  std::chrono::seconds id_token_lifetime = kDefaultIdTokenLifetime;
  store::LockoutPolicy user_lockout;  // 10 failures, 1 hour
  store::LockoutPolicy client_lockout{kDefaultClientMaxFailures, kDefaultClientBlockFor};
};

struct EndpointRequest {
  const Params* params = nullptr;
  std::optional<std::string_view> authorization;  // the Authorization header, when sent
  std::string_view peer_address;                  // for the brute-force counters
  store::Timestamp now;
};

using EndpointResult = Result<boost::json::object, OAuthError>;

// What the endpoint did, for operators and tests ("a second call was served from a cache: no
// token was issued"). Monotonic; read with to_json().
struct EndpointCounters {
  std::atomic<std::uint64_t> issued_client_credentials{0};
  std::atomic<std::uint64_t> issued_password{0};
  std::atomic<std::uint64_t> issued_refresh_token{0};
  std::atomic<std::uint64_t> refresh_reuse_detected{0};
  std::atomic<std::uint64_t> revocations{0};
  std::atomic<std::uint64_t> introspections{0};
  std::array<std::atomic<std::uint64_t>, 12> errors{};  // indexed by OAuthErrorCode

  boost::json::object to_json() const;
};

class TokenEndpoint {
 public:
  // Everything referenced must outlive the endpoint.
  TokenEndpoint(EndpointConfig config, Tenant& tenant, store::Store& store,
                const SecretHasher& secrets, const PasswordHasher& passwords);

  // True when the request may take long (argon2id, store writes): every grant but client
  // credentials, which is answered from memory. The HTTP layer runs the others off its workers.
  static bool may_block(const Params& params);

  // POST /oauth/token: the success body holds access_token, token_type, expires_in, scope, and
  // id_token / refresh_token when granted.
  EndpointResult token(const EndpointRequest& req);
  // POST /oauth/revoke: {} on success, including for unknown tokens (RFC 7009 §2.2).
  EndpointResult revoke(const EndpointRequest& req);
  // POST /oauth/introspect: {"active": false} or the token's claims with "active": true.
  EndpointResult introspect(const EndpointRequest& req);

  const EndpointConfig& config() const { return config_; }
  const EndpointCounters& counters() const { return counters_; }
  store::Store& store() const { return store_; }

 private:
  // An authenticated client.
  struct Client {
    const store::Application* app = nullptr;  // points into the request's snapshot
    bool used_basic = false;                  // authenticated with HTTP Basic
  };
  Result<Client, OAuthError> authenticate(const TenantSnapshot& snap, const EndpointRequest& req);
  EndpointResult client_credentials(const TenantSnapshot& snap, const Client& client,
                                    const EndpointRequest& req);
  EndpointResult password(const TenantSnapshot& snap, const Client& client,
                          const EndpointRequest& req);
  EndpointResult refresh(const TenantSnapshot& snap, const Client& client,
                         const EndpointRequest& req);
  // The access token (and ID token when openid was granted) of a user grant, as a response body.
  Result<boost::json::object, OAuthError> user_tokens(const TenantSnapshot& snap,
                                                      const Client& client, const store::User& user,
                                                      const store::Api& api,
                                                      const std::vector<std::string>& scopes,
                                                      GrantClaim grant, const EndpointRequest& req);
  EndpointResult failed(OAuthError e);

  // The prelude of revocation and introspection: an authenticated client and its `token`.
  struct Presented {
    std::shared_ptr<const TenantSnapshot> snap;
    Client client;
    std::string_view token;
  };
  Result<Presented, OAuthError> presented_token(const EndpointRequest& req,
                                                std::string_view purpose);
  // The stored refresh token a presented one hashes to; nullopt when there is none.
  Result<std::optional<store::RefreshToken>, OAuthError> find_refresh_token(
      std::string_view presented);

  EndpointConfig config_;
  Tenant& tenant_;
  store::Store& store_;
  const SecretHasher& secrets_;
  const PasswordHasher& passwords_;
  EndpointCounters counters_;
  FailureWatch client_failures_;  // (client_id, address) pairs whose counter is worth reading
};

}  // namespace signet::server
