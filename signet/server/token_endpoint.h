#pragma once

// The OAuth 2.0 endpoints that take client credentials: POST /oauth/token, /oauth/revoke
// (RFC 7009) and /oauth/introspect (RFC 7662). HTTP-free: requests come in as parameters, and
// results go out as a JSON body or an OAuthError, so the grant logic is tested without sockets.
//
// The units behind this facade, one job each: client_authentication.h (who is calling),
// grant_client_credentials.h, grant_password.h, grant_refresh_token.h and
// grant_authorization_code.h (one per grant_type, chosen from a table), token_revocation.cc and
// token_introspection.cc, refresh_tokens.h (the refresh-token storage they share),
// dpop_proofs.h (the DPoP proofs a token request may carry), and token_holders.h (whether a token's
// user and application still stand behind it, which /userinfo asks too).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/server/client_authentication.h"
#include "signet/server/credentials.h"
#include "signet/server/dpop_proofs.h"
#include "signet/server/endpoint_request.h"
#include "signet/server/event_log.h"
#include "signet/server/grant.h"
#include "signet/server/oauth_error.h"
#include "signet/server/params.h"
#include "signet/server/password.h"
#include "signet/server/tenant.h"
#include "signet/store/store.h"

namespace signet::server {

// bytes; a presented token longer than this is neither ours nor a refresh token.
constexpr std::size_t kMaxPresentedTokenBytes = 16 * 1024;

class TokenEndpoint {
 public:
  // Everything referenced must outlive the endpoint. `client_keys`: where private_key_jwt
  // clients' jwks_uri documents come from (HTTP(S) by default; tests serve their own).
  TokenEndpoint(EndpointConfig config, Tenant& tenant, store::Store& store,
                const SecretHasher& secrets, const PasswordHasher& passwords,
                ClientKeysOptions client_keys = {});
  ~TokenEndpoint();

  // True when the request may take long (argon2id, store writes, fetches): every grant but client
  // credentials, which is answered from memory, any request with a client assertion (its jti is
  // recorded in the store, and its keys may be fetched), and any with a DPoP proof that is
  // recorded in the store (`records_proof`: a DPoP header, and dpop().replay_ledger() set). The
  // HTTP layer runs these off its workers.
  static bool may_block(const Params& params, bool records_proof = false);

  // POST /oauth/token: the success body holds access_token, token_type, expires_in, scope, and
  // id_token / refresh_token when granted. With a DPoP proof (req.dpop), checked before the grant
  // runs (so that a nonce challenge does not spend a code), the access token is bound to the
  // proof's key and token_type is DPoP.
  EndpointResult token(const EndpointRequest& req);
  // POST /oauth/revoke: {} on success, including for unknown tokens (RFC 7009 §2.2).
  EndpointResult revoke(const EndpointRequest& req);
  // POST /oauth/introspect: {"active": false} or the token's claims with "active": true.
  EndpointResult introspect(const EndpointRequest& req);

  // Where token, revocation and lockout events go (event_log.h); none by default. Set before
  // the endpoint serves; `events` must outlive it.
  void set_event_log(EventLog* events) { events_ = events; }
  EventLog* event_log() const { return events_; }

  const EndpointConfig& config() const { return config_; }
  const EndpointCounters& counters() const { return counters_; }
  const ClientAuthenticator& clients() const { return clients_; }
  store::Store& store() const { return store_; }
  // The email-and-password check of the password grant, which the login page shares.
  PasswordCheck& password_check() { return password_check_; }
  const SecretHasher& secrets() const { return secrets_; }
  Tenant& tenant() const { return tenant_; }
  // The DPoP proofs of token requests: their nonces (for the DPoP-Nonce header) and counters.
  const DpopProofs& dpop() const { return dpop_; }
  // And their checks for the server's own protected endpoint (/userinfo), and its replay cache
  // and nonces for the Management API's guard.
  DpopProofs& dpop() { return dpop_; }

 private:
  // One row of the grant table.
  struct GrantEntry {
    std::string_view name;  // the grant_type value
    store::GrantType type;  // what the client must be allowed
    std::unique_ptr<Grant> grant;
    EndpointCounters::ByAlgorithm* issued;  // counts successes
    std::string_view succeeded;             // event types (event_log.h) of a success, a failure
    std::string_view failed;
    std::string_view reused;  // and of a reuse detected, for the grants that have one
  };

  // Counts the error of a failed result (every error of the three endpoints passes here once).
  EndpointResult counted(EndpointResult result);
  EndpointResult run_grant(const EndpointRequest& req);
  // The DPoP proof of a token request from `client`: the thumbprint of its key, empty when there
  // is none and none is required, or the error to answer with.
  Result<std::string, OAuthError> dpop_binding(const EndpointRequest& req,
                                               const store::Application& client);
  // The row of `grant_type`, or null for a missing or unknown one.
  const GrantEntry* find_grant(std::optional<std::string_view> grant_type) const;

  // Runs `run` and counts its error; with an event log, runs it with notes and records the event
  // `record` makes of them, and the lockout the request started, if any.
  using Run = EndpointResult (TokenEndpoint::*)(const EndpointRequest&);
  using Record = store::Event (TokenEndpoint::*)(const EndpointRequest&, const RequestNotes&,
                                                 const EndpointResult&) const;
  EndpointResult noted(const EndpointRequest& req, Run run, Record record);
  // The event of one token or revocation request.
  store::Event record_exchange(const EndpointRequest& req, const RequestNotes& notes,
                               const EndpointResult& result) const;
  store::Event record_revocation(const EndpointRequest& req, const RequestNotes& notes,
                                 const EndpointResult& result) const;

  // The prelude of revocation and introspection: an authenticated client and its `token`.
  struct Presented {
    std::shared_ptr<const TenantSnapshot> snap;
    AuthenticatedClient client;
    std::string_view token;
  };
  Result<Presented, OAuthError> presented_token(const EndpointRequest& req,
                                                std::string_view purpose);
  EndpointResult run_revoke(const EndpointRequest& req);
  EndpointResult run_introspect(const EndpointRequest& req);

  EndpointConfig config_;
  DpopProofs dpop_;
  Tenant& tenant_;
  store::Store& store_;
  const SecretHasher& secrets_;
  const PasswordHasher& passwords_;
  EndpointCounters counters_;
  PasswordCheck password_check_;
  ClientAuthenticator clients_;
  std::vector<GrantEntry> grants_;
  EventLog* events_ = nullptr;
};

}  // namespace signet::server
