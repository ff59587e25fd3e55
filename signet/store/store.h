#pragma once

// The tenant's durable state behind one interface, so the SQLite file (the embedded default) and a
// PostgreSQL database (scale-out) are interchangeable for every caller.
//
// Contract shared by every implementation:
// - Nothing throws. Every operation returns its value or a StoreError (see error.h for codes).
// - Each operation is atomic: it takes effect completely or not at all, and once it returns
//   success the change is committed and visible to every other connection and process.
// - Time comes in as a parameter; the store never reads the clock.
// - Input is checked against the rules in validate.h before anything is written (kInvalid).
// - Implementations are safe to call from several threads at once.
//
// Deletions cascade: deleting an API deletes its permissions, the client grants for it, users'
// permissions on it and refresh tokens for it; removing a permission from an API removes it from
// grants and users; deleting an application or a user deletes its grants, permissions, refresh
// tokens and authorization codes (and an application its client-assertion records, a user its
// browser sessions). Auth0 behaves the same way, and a dangling grant would be a silent surprise.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/store/error.h"
#include "signet/store/types.h"

namespace signet::store {

// Rotated (no longer usable) refresh tokens a family keeps for reuse detection. A rotated token
// older than these is forgotten: presenting it is then "unknown", not "reuse", which still
// refuses it but no longer revokes the family.
constexpr std::int64_t kMaxRotatedRefreshTokensPerFamily = 32;
// Addresses a user is remembered to have signed in from; older ones are forgotten. A handful of
// homes, offices and phones' networks.
constexpr std::int64_t kMaxSignInAddressesPerUser = 16;

template <typename T>
using StoreResult = Result<T, StoreError>;

// The store is five roles, one per kind of state, so that a caller can depend on only what it
// uses (the login throttle on counters, the key manager on keys) and a test can fake one role.
// Store is all of them at once: what an implementation provides.

// The tenant's configuration: APIs, applications, client grants, users and their permissions,
// and the generation counter that tells caches when any of it (or a signing key) changed.
class ConfigurationStore {
 public:
  virtual ~ConfigurationStore() = default;

  // --- change notification
  // A number that grows whenever configuration changes: APIs, permissions, applications, client
  // grants, users, user permissions or signing keys, by this process or any other (the admin
  // CLI). Cheap enough to poll a few times a second; a server keeps caches keyed by it. Refresh
  // tokens and failed-login counters are request-path data and do not move it.
  virtual StoreResult<std::uint64_t> generation() = 0;

  // --- APIs (resource servers)
  // Fails kConflict when the identifier is taken. Returns the API as stored.
  virtual StoreResult<Api> create_api(const Api& api) = 0;
  virtual StoreResult<Api> get_api(std::string_view identifier) = 0;
  virtual StoreResult<std::vector<Api>> list_apis() = 0;
  // A window of list_apis(), in creation order, with the total count.
  virtual StoreResult<Page<Api>> page_apis(const PageRequest& page) = 0;
  // Replaces everything but the identifier and created_at. Permissions that disappear are removed
  // from grants and users; kept ones keep their grants. kNotFound when absent. With
  // `if_revision`, kStale (and nothing written) unless the stored record is at that revision:
  // a read-modify-write that lost a race learns it instead of overwriting the winner.
  virtual StoreResult<Api> update_api(const Api& api,
                                      std::optional<Revision> if_revision = std::nullopt) = 0;
  virtual StoreResult<Ok> delete_api(std::string_view identifier) = 0;

  // --- applications (clients)
  virtual StoreResult<Application> create_application(const Application& app) = 0;
  virtual StoreResult<Application> get_application(std::string_view client_id) = 0;
  virtual StoreResult<std::vector<Application>> list_applications() = 0;
  virtual StoreResult<Page<Application>> page_applications(const PageRequest& page) = 0;
  // Replaces everything but the client_id and created_at (so also rotates the secret hash).
  // `if_revision` as for update_api.
  virtual StoreResult<Application> update_application(
      const Application& app, std::optional<Revision> if_revision = std::nullopt) = 0;
  virtual StoreResult<Ok> delete_application(std::string_view client_id) = 0;

  // --- client grants
  // The id in `grant` is ignored; the returned grant carries the new one. kNotFound when the
  // application or API does not exist, kInvalid when a scope is not a permission of the API,
  // kConflict when the application already has a grant for the API.
  virtual StoreResult<ClientGrant> create_client_grant(const ClientGrant& grant) = 0;
  virtual StoreResult<ClientGrant> get_client_grant(std::int64_t id) = 0;
  // The token endpoint's lookup: the grant of one application for one API.
  virtual StoreResult<ClientGrant> find_client_grant(std::string_view client_id,
                                                     std::string_view audience) = 0;
  // All grants, or only those of one application.
  virtual StoreResult<std::vector<ClientGrant>> list_client_grants(
      std::optional<std::string_view> client_id) = 0;
  // A window of the grants, optionally only those of one application and/or one API, in creation
  // order, with the total count of the filtered list.
  virtual StoreResult<Page<ClientGrant>> page_client_grants(
      const PageRequest& page, std::optional<std::string_view> client_id,
      std::optional<std::string_view> audience) = 0;
  // `if_revision` as for update_api.
  virtual StoreResult<ClientGrant> update_client_grant_scopes(
      std::int64_t id, const std::vector<std::string>& scopes,
      std::optional<Revision> if_revision = std::nullopt) = 0;
  virtual StoreResult<Ok> delete_client_grant(std::int64_t id) = 0;

  // --- users
  // kConflict when the id or the email (case-insensitively) is taken.
  virtual StoreResult<User> create_user(const User& user) = 0;
  virtual StoreResult<User> get_user(std::string_view id) = 0;
  // The password grant's lookup; the email is compared ASCII case-insensitively.
  virtual StoreResult<User> find_user_by_email(std::string_view email) = 0;
  virtual StoreResult<std::vector<User>> list_users() = 0;
  // A window of the users in creation order, with the total count. With `search`, only users
  // whose email or id contains it (ASCII case-insensitively; '%' and '_' are plain characters).
  virtual StoreResult<Page<User>> page_users(const PageRequest& page,
                                             std::optional<std::string_view> search) = 0;
  // Replaces email, password hash and blocked flag. `if_revision` as for update_api.
  virtual StoreResult<User> update_user(const User& user,
                                        std::optional<Revision> if_revision = std::nullopt) = 0;
  virtual StoreResult<Ok> delete_user(std::string_view id) = 0;
  // Adding a permission the user already has is not an error; removing one it lacks is not
  // either. kNotFound for an unknown user or API, kInvalid for a permission the API lacks.
  virtual StoreResult<Ok> add_user_permissions(std::string_view user_id, std::string_view api,
                                               const std::vector<std::string>& permissions) = 0;
  virtual StoreResult<Ok> remove_user_permissions(std::string_view user_id, std::string_view api,
                                                  const std::vector<std::string>& permissions) = 0;
  // The user's permissions on one API, or on all of them.
  virtual StoreResult<std::vector<UserPermission>> list_user_permissions(
      std::string_view user_id, std::optional<std::string_view> api) = 0;
};

// Signing keys and their rotation.
class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // --- signing keys
  // Inserts all the keys or none (first start: a current and a next per algorithm). kConflict
  // when a kid is taken or an algorithm would get a second current or next key.
  virtual StoreResult<Ok> insert_signing_keys(const std::vector<SigningKey>& keys) = 0;
  virtual StoreResult<SigningKey> get_signing_key(std::string_view kid) = 0;
  // Every key, revoked ones included, oldest first.
  virtual StoreResult<std::vector<SigningKey>> list_signing_keys() = 0;
  // In one transaction, for `algorithm`: current becomes previous, next becomes current, and
  // `new_next` is inserted as next. kNotFound when the algorithm has no next key; kInvalid when
  // `new_next` is of another algorithm. Its state field is ignored.
  virtual StoreResult<Ok> rotate_signing_keys(jose::Algorithm algorithm, const SigningKey& new_next,
                                              Timestamp now) = 0;
  // Turns a previous key into revoked. kInvalid for a key in any other state: a current or next
  // key must be rotated out first, so signing never loses its key.
  virtual StoreResult<Ok> revoke_signing_key(std::string_view kid, Timestamp now) = 0;
};

// Refresh tokens, their rotation and reuse detection.
class RefreshTokenStore {
 public:
  virtual ~RefreshTokenStore() = default;

  // --- refresh tokens
  virtual StoreResult<Ok> insert_refresh_token(const RefreshToken& token) = 0;
  virtual StoreResult<RefreshToken> find_refresh_token(std::string_view token_hash) = 0;
  // Marks `old_id` rotated at `now`, keeps `successor_sealed` with it, and inserts `replacement`
  // (same family), atomically. kConflict when `old_id` was already rotated or revoked: exactly one
  // of several concurrent rotations wins, and the caller decides between its grace period and
  // reuse detection. The family keeps at most kMaxRotatedRefreshTokensPerFamily rotated tokens:
  // older ones are deleted in the same transaction, so a session refreshed every few minutes for
  // its 30 days cannot grow the store by thousands of rows.
  virtual StoreResult<Ok> rotate_refresh_token(std::string_view old_id,
                                               const RefreshToken& replacement,
                                               std::string_view successor_sealed,
                                               PreciseTimestamp now) = 0;
  // Revokes every token of the family; returns how many were not revoked before.
  virtual StoreResult<std::int64_t> revoke_refresh_token_family(std::string_view family_id) = 0;
  // Revokes every refresh token of the user (a password reset, `signet users revoke-sessions`);
  // returns how many were not revoked before. kNotFound for an unknown user.
  virtual StoreResult<std::int64_t> revoke_user_refresh_tokens(std::string_view user_id) = 0;
  // Housekeeping: deletes tokens that expired before `now`; returns how many.
  virtual StoreResult<std::int64_t> delete_expired_refresh_tokens(Timestamp now) = 0;
};

// Browser sign-in: authorization codes, sessions, and private_key_jwt replay records.
class SignInStore {
 public:
  virtual ~SignInStore() = default;

  // --- sign-in: authorization codes, browser sessions, client assertions
  // kNotFound when the client or user does not exist; kConflict when the hash is taken; kInvalid
  // (validate.h) also for a code marked used or expiring no later than it is created.
  virtual StoreResult<Ok> insert_authorization_code(const AuthorizationCode& code) = 0;
  // Redeems a code atomically: returns it as it was before this call, and marks it used. A
  // result whose used_at is empty means this call redeemed it; a set used_at means it was
  // redeemed before (the caller revokes what that first use issued). Exactly one of several
  // concurrent redemptions sees it unused. kNotFound for an unknown (or deleted) code; expiry is
  // the caller's to check.
  virtual StoreResult<AuthorizationCode> redeem_authorization_code(std::string_view code_hash,
                                                                   Timestamp now) = 0;
  // Housekeeping: deletes codes that expired before `before` (kept a while after expiry so that
  // a late second use is still recognised as reuse). Returns how many.
  virtual StoreResult<std::int64_t> delete_expired_authorization_codes(Timestamp before) = 0;

  // kNotFound when the user does not exist; kConflict when the hash is taken.
  virtual StoreResult<Ok> create_browser_session(const BrowserSession& session) = 0;
  // kNotFound when unknown or ended.
  virtual StoreResult<BrowserSession> get_browser_session(std::string_view id_hash) = 0;
  // Moves last_seen_at; kNotFound when unknown or ended.
  virtual StoreResult<Ok> touch_browser_session(std::string_view id_hash, Timestamp now) = 0;
  // Ends one session (logout); ending an unknown one is not an error.
  virtual StoreResult<Ok> delete_browser_session(std::string_view id_hash) = 0;
  // Ends every session of the user (`signet users revoke-sessions`, a password change); returns
  // how many. Zero for an unknown user.
  virtual StoreResult<std::int64_t> delete_user_browser_sessions(std::string_view user_id) = 0;
  // The user's sessions, oldest first.
  virtual StoreResult<std::vector<BrowserSession>> list_user_browser_sessions(
      std::string_view user_id) = 0;
  // Housekeeping: deletes sessions past their absolute end at `now`, or idle since before
  // `idle_before`. Returns how many.
  virtual StoreResult<std::int64_t> delete_expired_browser_sessions(Timestamp now,
                                                                    Timestamp idle_before) = 0;

  // private_key_jwt replay protection (RFC 7523 §3 item 7): remembers that `client_id` used
  // assertion `jti`, valid until `expires_at`. True when it was not seen before (among entries
  // not yet expired at `now`); false for a replay. Entries expired at `now` are forgotten on the
  // way, so the table holds only assertions that could still be replayed.
  virtual StoreResult<bool> record_client_assertion(std::string_view client_id,
                                                    std::string_view jti, Timestamp expires_at,
                                                    Timestamp now) = 0;
  // DPoP replay protection across replicas (RFC 9449 §11.1): remembers the proof whose keyed
  // hash of thumbprint and jti is `id_hash` until `expires_at`. True when it was not seen before
  // (among entries not yet expired at `now`); false for a replay. One atomic statement, so two
  // replicas recording one id at once get one true and one false; entries expired at `now` are
  // deleted along the way, every so many calls.
  virtual StoreResult<bool> record_dpop_proof(std::string_view id_hash, Timestamp expires_at,
                                              Timestamp now) = 0;
};

// Brute-force counters of passwords and client secrets, and where users signed in from.
class LoginCounterStore {
 public:
  virtual ~LoginCounterStore() = default;

  // --- failed-login counters
  // Counts one failure atomically and returns the counter after it. The failure that reaches
  // policy.max_failures blocks the key until now + policy.block_for; a failure after a block has
  // run out starts a fresh count.
  virtual StoreResult<FailedLoginCounter> record_failed_login(const FailedLoginKey& key,
                                                              Timestamp now,
                                                              const LockoutPolicy& policy) = 0;
  // The counter, or a zero counter when none is recorded.
  virtual StoreResult<FailedLoginCounter> get_failed_logins(const FailedLoginKey& key) = 0;
  // Every counter of the subject, one per address, ordered by address (what an admin looks at
  // before an unblock); empty when none is recorded.
  virtual StoreResult<std::vector<AddressFailedLogins>> list_failed_logins(
      FailedLoginSubject kind, std::string_view subject) = 0;
  // Counts one failure of `subject` from any address, in the counter whose address is
  // kAnyAddress, and sets its blocked_until to now + policy.delay(count) (none while the delay is
  // 0). Returns the counter after it. Reset it with reset_failed_logins.
  virtual StoreResult<FailedLoginCounter> record_account_failure(
      FailedLoginSubject kind, std::string_view subject, Timestamp now,
      const AccountDelayPolicy& policy) = 0;
  // How many subjects of `kind` have a failure counter for `address` (what one address has been
  // guessing at).
  virtual StoreResult<std::int64_t> count_failed_login_subjects(FailedLoginSubject kind,
                                                                std::string_view address) = 0;
  // Forgets one counter (after a success).
  virtual StoreResult<Ok> reset_failed_logins(const FailedLoginKey& key) = 0;
  // Forgets the subject's counters from every address (an admin's unblock); returns how many.
  virtual StoreResult<std::int64_t> reset_all_failed_logins(FailedLoginSubject kind,
                                                            std::string_view subject) = 0;

  // --- where users signed in from
  // Remembers that `user_id` signed in from `address` (an address group) at `now`; a user keeps
  // its kMaxSignInAddressesPerUser most recent addresses. kNotFound for an unknown user.
  virtual StoreResult<Ok> record_sign_in_address(std::string_view user_id, std::string_view address,
                                                 Timestamp now) = 0;
  // True when `user_id` signed in from `address` at or after `since`.
  virtual StoreResult<bool> signed_in_from(std::string_view user_id, std::string_view address,
                                           Timestamp since) = 0;

  // Housekeeping: forgets counters whose first failure came before `older_than` and that block
  // nothing at `now`, so guesses at made-up names cannot grow the store forever. Returns how many.
  virtual StoreResult<std::int64_t> delete_stale_failed_logins(Timestamp older_than,
                                                               Timestamp now) = 0;
};

// The event log: security events and admin changes, kept for the operator to read.
class EventStore {
 public:
  virtual ~EventStore() = default;

  // --- events

  // Appends `events` in order in one transaction (ids and order as given; their `id` is ignored).
  virtual StoreResult<Ok> append_events(const std::vector<Event>& events) = 0;
  // The events `filter` keeps, newest first, a window of them and how many match in all.
  virtual StoreResult<Page<Event>> page_events(const EventFilter& filter,
                                               const PageRequest& page) = 0;
  // The events `filter` keeps with an id above `after_id`, oldest first, at most `limit`: what a
  // follower reads next.
  virtual StoreResult<std::vector<Event>> events_after(std::int64_t after_id,
                                                       const EventFilter& filter,
                                                       std::int64_t limit) = 0;
  // Retention: deletes events older than `before` and all but the newest `keep_at_most`.
  // Returns how many were deleted.
  virtual StoreResult<std::int64_t> delete_old_events(PreciseTimestamp before,
                                                      std::int64_t keep_at_most) = 0;
};

class Store : public ConfigurationStore,
              public KeyStore,
              public RefreshTokenStore,
              public SignInStore,
              public LoginCounterStore,
              public EventStore {
 public:
  ~Store() override = default;
};

}  // namespace signet::store
