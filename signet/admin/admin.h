#pragma once

// The admin operations on a tenant, as one interface that the CLI and the Management API share
// (DESIGN.md "The parts"): validation, cascades and secrets shown once live behind it, never in
// a caller.
//
// Two implementations:
// - AdminService (admin_service.h) works on a Store directly: the CLI on the local data
//   directory, and the Management API inside `signet serve`.
// - RemoteAdmin (remote_admin.h) sends each operation to a server's Management API over HTTP(S):
//   the CLI with `--server URL`.
// A caller cannot tell them apart: the same operation gives the same record or the same error.
//
// Contract:
// - Nothing throws. Every operation returns its value or an AdminError whose message is one
//   sentence an operator can act on ("no API with identifier 'x'").
// - Updates are partial: a patch names only what changes, and is applied to the record as it is
//   at the moment of the write. Two concurrent patches of one record both take effect (an
//   implementation re-reads and re-applies when another write came in between), unless the
//   caller names the revision it read (`if_revision`): then a record written since gives kStale
//   and nothing is written.
// - A client secret appears in exactly two answers, create_application and rotate_secret
//   (ApplicationWithSecret); everywhere else an application comes without it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/admin/error.h"
#include "signet/common/result.h"
#include "signet/jose/algorithm.h"
#include "signet/store/types.h"

namespace signet::admin {

template <typename T>
using AdminResult = Result<T, AdminError>;

// Auth0's paging: 0-based `page`, `per_page` records a page.
constexpr std::int64_t kDefaultPerPage = 50;
constexpr std::int64_t kMaxPerPage = 100;  // a page is one response: bounded like any answer

struct PageRequest {
  std::int64_t page = 0;
  std::int64_t per_page = kDefaultPerPage;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;  // records in the whole (filtered) list
  std::int64_t start = 0;  // index of items[0] in the whole list
  std::int64_t limit = 0;  // the per_page that was applied
};

// --- APIs
struct ApiDraft {
  std::string identifier;
  std::string name;
  std::optional<jose::Algorithm> signing_algorithm;    // default RS256
  std::optional<std::chrono::seconds> token_lifetime;  // default 86400 s
  std::optional<bool> allow_offline_access;            // default false
  std::optional<store::TokenProfile> token_profile;    // default auth0
  std::optional<bool> permissions_claim;               // default false
  std::optional<bool> require_dpop;                    // default false
  std::vector<store::Permission> permissions;
};

struct ApiPatch {
  std::optional<std::string> name;
  std::optional<jose::Algorithm> signing_algorithm;
  std::optional<std::chrono::seconds> token_lifetime;
  std::optional<bool> allow_offline_access;
  std::optional<store::TokenProfile> token_profile;
  std::optional<bool> permissions_claim;
  std::optional<bool> require_dpop;
  // The whole list, replacing the stored one (Auth0's PATCH "scopes").
  std::optional<std::vector<store::Permission>> permissions;
  // Applied after `permissions`: each is added, or its description updated when it exists (an
  // empty description keeps the existing one, so adding what exists changes nothing).
  std::vector<store::Permission> add_permissions;
  // Applied last. Every name must be a permission of the API (kInvalid else, nothing written).
  std::vector<std::string> remove_permissions;

  bool empty() const;
};

struct DeletedApi {
  store::Api api;
  std::int64_t client_grants = 0;  // deleted with it
};

// --- applications
struct ApplicationDraft {
  std::string name;
  store::ApplicationType type = store::ApplicationType::kM2m;
  std::vector<store::GrantType> grant_types;  // empty: the type's defaults
  // Default: none for spa and native apps (public: they cannot keep a secret), else
  // client_secret_basic_or_post. private_key_jwt needs exactly one of jwks and jwks_uri.
  std::optional<store::TokenEndpointAuthMethod> token_endpoint_auth_method;
  std::optional<std::string> client_id;  // chosen by the caller; generated when absent
  std::vector<std::string> callbacks;
  std::vector<std::string> allowed_logout_urls;
  std::vector<std::string> web_origins;
  std::string jwks;                       // a JWK Set of public keys, as JSON text; empty: none
  std::string jwks_uri;                   // empty: none
  bool dpop_bound_access_tokens = false;  // RFC 9449 §5.2: token requests need a DPoP proof
};

struct ApplicationPatch {
  std::optional<std::string> name;
  std::optional<store::ApplicationType> type;
  std::optional<std::vector<store::GrantType>> grant_types;
  // Switching to none or private_key_jwt drops the secret; switching back to a secret method
  // needs a secret made by rotate_secret first.
  std::optional<store::TokenEndpointAuthMethod> token_endpoint_auth_method;
  // Whole lists, replacing the stored ones.
  std::optional<std::vector<std::string>> callbacks;
  std::optional<std::vector<std::string>> allowed_logout_urls;
  std::optional<std::vector<std::string>> web_origins;
  // Setting one of them (non-empty) clears the other; "" clears it.
  std::optional<std::string> jwks;
  std::optional<std::string> jwks_uri;
  std::optional<bool> dpop_bound_access_tokens;

  bool empty() const;
};

// The one answer that carries a client secret; empty for a client without one (none,
// private_key_jwt).
struct ApplicationWithSecret {
  store::Application application;
  std::string client_secret;
};

struct DeletedApplication {
  store::Application application;
  std::int64_t client_grants = 0;
};

// --- client grants
struct ClientGrantFilter {
  std::optional<std::string> client_id;
  std::optional<std::string> audience;
};

// --- users
struct UserDraft {
  std::string email;
  std::string password;           // checked by the password rules; only its hash is kept
  std::optional<std::string> id;  // generated ("auth0|" + 24 hex digits) when absent
};

struct UserPatch {
  std::optional<std::string> email;
  std::optional<std::string> password;  // ends every session of the user (refresh tokens)
  std::optional<bool> blocked;

  bool empty() const;
};

struct UpdatedUser {
  store::User user;
  std::int64_t sessions_ended = 0;  // refresh tokens revoked by a password change (browser
                                    // sessions end too)
};

// A user's lockout state: a counter per address group, and the account-wide one (address "*").
struct UserLockouts {
  std::vector<store::AddressFailedLogins> counters;
  bool blocked_now = false;  // some counter blocks at the time of the call
};

// --- signing keys
struct RotatedKeys {
  jose::Algorithm algorithm = jose::Algorithm::kRS256;
  std::string current_kid;  // the key that signs from now on
};

// --- logs: the event log (signet/server/event_log.h, docs/operations.md "Event log")
using LogEvent = store::Event;

struct LogFilter {
  std::optional<std::string> type{};
  std::optional<std::string> user_id{};
  std::optional<std::string> client_id{};
  std::optional<store::PreciseTimestamp> since{};  // at or after
};

// Events read at once by a follower (Auth0's `take`).
constexpr std::int64_t kMaxLogsTaken = 100;

class Admin {
 public:
  virtual ~Admin() = default;

  // --- APIs. get/update/delete take the identifier.
  virtual AdminResult<Page<store::Api>> list_apis(const PageRequest& page) = 0;
  virtual AdminResult<store::Api> get_api(std::string_view identifier) = 0;
  virtual AdminResult<store::Api> create_api(const ApiDraft& draft) = 0;
  virtual AdminResult<store::Api> update_api(std::string_view identifier, const ApiPatch& patch,
                                             std::optional<store::Revision> if_revision) = 0;
  virtual AdminResult<DeletedApi> delete_api(std::string_view identifier) = 0;

  // --- applications
  virtual AdminResult<Page<store::Application>> list_applications(const PageRequest& page) = 0;
  virtual AdminResult<store::Application> get_application(std::string_view client_id) = 0;
  virtual AdminResult<ApplicationWithSecret> create_application(const ApplicationDraft& draft) = 0;
  virtual AdminResult<store::Application> update_application(
      std::string_view client_id, const ApplicationPatch& patch,
      std::optional<store::Revision> if_revision) = 0;
  // A new secret; the old one stops working at once.
  virtual AdminResult<ApplicationWithSecret> rotate_secret(std::string_view client_id) = 0;
  virtual AdminResult<DeletedApplication> delete_application(std::string_view client_id) = 0;

  // --- client grants
  virtual AdminResult<Page<store::ClientGrant>> list_client_grants(
      const PageRequest& page, const ClientGrantFilter& filter) = 0;
  virtual AdminResult<store::ClientGrant> get_client_grant(std::int64_t id) = 0;
  virtual AdminResult<store::ClientGrant> create_client_grant(
      std::string_view client_id, std::string_view audience,
      const std::vector<std::string>& scopes) = 0;
  virtual AdminResult<store::ClientGrant> update_client_grant(
      std::int64_t id, const std::vector<std::string>& scopes,
      std::optional<store::Revision> if_revision) = 0;
  virtual AdminResult<store::ClientGrant> delete_client_grant(std::int64_t id) = 0;

  // --- users. A user is named by id, or by email where noted (the CLI's convenience).
  // `search`: only users whose email or id contains it.
  virtual AdminResult<Page<store::User>> list_users(const PageRequest& page,
                                                    std::optional<std::string_view> search) = 0;
  virtual AdminResult<store::User> get_user(std::string_view id) = 0;
  // By id first, then by email (case-insensitively).
  virtual AdminResult<store::User> find_user(std::string_view id_or_email) = 0;
  virtual AdminResult<store::User> create_user(const UserDraft& draft) = 0;
  virtual AdminResult<UpdatedUser> update_user(std::string_view id, const UserPatch& patch,
                                               std::optional<store::Revision> if_revision) = 0;
  virtual AdminResult<store::User> delete_user(std::string_view id) = 0;
  // Revokes every refresh token of the user and ends its browser sessions (the login page asks
  // for the password again); returns how many refresh tokens were live.
  virtual AdminResult<std::int64_t> revoke_sessions(std::string_view id) = 0;
  virtual AdminResult<UserLockouts> user_lockouts(std::string_view id) = 0;
  // Forgets every failure counter of the user (Auth0's "unblock" of a brute-force block);
  // returns how many counters were forgotten.
  virtual AdminResult<std::int64_t> clear_user_lockouts(std::string_view id) = 0;
  // The user's permissions, on one API or on all.
  virtual AdminResult<std::vector<store::UserPermission>> list_user_permissions(
      std::string_view id, std::optional<std::string_view> api) = 0;
  virtual AdminResult<Ok> add_user_permissions(std::string_view id, std::string_view api,
                                               const std::vector<std::string>& permissions) = 0;
  virtual AdminResult<Ok> remove_user_permissions(std::string_view id, std::string_view api,
                                                  const std::vector<std::string>& permissions) = 0;

  // --- signing keys: every key, revoked ones included, oldest first (private halves never leave
  // the store: SigningKey::encrypted_private_key is empty in these answers).
  virtual AdminResult<std::vector<store::SigningKey>> list_signing_keys() = 0;
  virtual AdminResult<store::SigningKey> get_signing_key(std::string_view kid) = 0;
  virtual AdminResult<RotatedKeys> rotate_signing_keys(jose::Algorithm algorithm) = 0;
  virtual AdminResult<store::SigningKey> revoke_signing_key(std::string_view kid) = 0;

  // --- logs, newest first
  // Newest first. kInvalid for a type signet does not record.
  virtual AdminResult<Page<LogEvent>> list_logs(const PageRequest& page,
                                                const LogFilter& filter) = 0;
  // The events after the one with id `from` (0: from the oldest kept), oldest first, at most
  // `take` (1 to kMaxLogsTaken): what `signet logs --follow` reads as events arrive.
  virtual AdminResult<std::vector<LogEvent>> logs_after(std::int64_t from, std::int64_t take,
                                                        const LogFilter& filter) = 0;
};

}  // namespace signet::admin
