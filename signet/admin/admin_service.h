#pragma once

// The admin operations on a Store in this process (admin.h): the CLI on the local data
// directory, and the Management API inside `signet serve`.
//
// What it adds to the store:
// - The rules the store cannot know: token lifetimes and permission names as people type them,
//   email addresses, password rules, grant scopes that must be the API's permissions, the grant
//   types and auth methods the token endpoint implements today.
// - Partial updates as admin.h promises them: read the record with its revision, apply the patch,
//   write it only if the record is still at that revision; when another write came in between
//   and the caller named no revision, read and apply again (at most kMaxPatchAttempts times).
// - Secrets made here and shown once: a client secret is generated and hashed here, and returned
//   by create_application and rotate_secret only; passwords are hashed here and never returned.
// - The protected API (the Management API's own audience): it cannot be deleted, renamed, or
//   have its permissions changed, so no admin can lock every admin out.
//
// Thread-safe as long as the store, the key manager and the clock are (they are in signet).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/admin/admin.h"
#include "signet/keys/key_manager.h"
#include "signet/server/credentials.h"
#include "signet/server/password.h"
#include "signet/store/store.h"
#include "signet/store/types.h"

namespace signet::admin {

// Writes of one patch that may lose a race before the service gives up with kUnavailable: each
// loss means another admin wrote the same record in between, and eight in a row means a script is
// hammering it, not that two people clicked at once.
constexpr int kMaxPatchAttempts = 8;
// After a lost race the patch waits a random moment before it reads again, so that writers that
// collided do not collide again in lockstep: up to kPatchRetryPauseBase, doubling with each loss
// up to kPatchRetryMaxDoublings times (12.8 ms at most).
constexpr std::chrono::microseconds kPatchRetryPauseBase{100};
constexpr int kPatchRetryMaxDoublings = 7;

class AdminService final : public Admin {
 public:
  // The time of every write and lockout check; whole seconds.
  using Clock = std::function<store::Timestamp()>;

  // `store`, `keys` and `passwords` must outlive the service. `secrets` hashes client secrets
  // (under the master key, as the token endpoint checks them). `protected_api`: the identifier
  // of the Management API ({issuer}api/v2/), or nullopt where there is none (a tenant the CLI
  // manages before any server ran).
  AdminService(store::Store& store, keys::KeyManager& keys, server::SecretHasher secrets,
               const server::PasswordHasher& passwords, Clock clock,
               std::optional<std::string> protected_api = std::nullopt);

  AdminResult<Page<store::Api>> list_apis(const PageRequest& page) override;
  AdminResult<store::Api> get_api(std::string_view identifier) override;
  AdminResult<store::Api> create_api(const ApiDraft& draft) override;
  // To clear a permission's description, replace the list with `permissions` (an empty one in
  // add_permissions keeps it). A patch that changes nothing writes nothing: the revision stays.
  AdminResult<store::Api> update_api(std::string_view identifier, const ApiPatch& patch,
                                     std::optional<store::Revision> if_revision) override;
  AdminResult<DeletedApi> delete_api(std::string_view identifier) override;

  AdminResult<Page<store::Application>> list_applications(const PageRequest& page) override;
  AdminResult<store::Application> get_application(std::string_view client_id) override;
  AdminResult<ApplicationWithSecret> create_application(const ApplicationDraft& draft) override;
  AdminResult<store::Application> update_application(
      std::string_view client_id, const ApplicationPatch& patch,
      std::optional<store::Revision> if_revision) override;
  AdminResult<ApplicationWithSecret> rotate_secret(std::string_view client_id) override;
  AdminResult<DeletedApplication> delete_application(std::string_view client_id) override;

  // A filter naming an application or API that does not exist is kNotFound (more likely a typo
  // than a record without grants).
  AdminResult<Page<store::ClientGrant>> list_client_grants(
      const PageRequest& page, const ClientGrantFilter& filter) override;
  AdminResult<store::ClientGrant> get_client_grant(std::int64_t id) override;
  AdminResult<store::ClientGrant> create_client_grant(
      std::string_view client_id, std::string_view audience,
      const std::vector<std::string>& scopes) override;
  AdminResult<store::ClientGrant> update_client_grant(
      std::int64_t id, const std::vector<std::string>& scopes,
      std::optional<store::Revision> if_revision) override;
  AdminResult<store::ClientGrant> delete_client_grant(std::int64_t id) override;

  AdminResult<Page<store::User>> list_users(const PageRequest& page,
                                            std::optional<std::string_view> search) override;
  AdminResult<store::User> get_user(std::string_view id) override;
  AdminResult<store::User> find_user(std::string_view id_or_email) override;
  AdminResult<store::User> create_user(const UserDraft& draft) override;
  // `blocked` changes the flag only; the failure counters of brute-force protection are
  // clear_user_lockouts' (Auth0 keeps them apart too: users vs user-blocks).
  AdminResult<UpdatedUser> update_user(std::string_view id, const UserPatch& patch,
                                       std::optional<store::Revision> if_revision) override;
  AdminResult<store::User> delete_user(std::string_view id) override;
  AdminResult<std::int64_t> revoke_sessions(std::string_view id) override;
  AdminResult<UserLockouts> user_lockouts(std::string_view id) override;
  AdminResult<std::int64_t> clear_user_lockouts(std::string_view id) override;
  AdminResult<std::vector<store::UserPermission>> list_user_permissions(
      std::string_view id, std::optional<std::string_view> api) override;
  AdminResult<Ok> add_user_permissions(std::string_view id, std::string_view api,
                                       const std::vector<std::string>& permissions) override;
  AdminResult<Ok> remove_user_permissions(std::string_view id, std::string_view api,
                                          const std::vector<std::string>& permissions) override;

  AdminResult<std::vector<store::SigningKey>> list_signing_keys() override;
  AdminResult<store::SigningKey> get_signing_key(std::string_view kid) override;
  AdminResult<RotatedKeys> rotate_signing_keys(jose::Algorithm algorithm) override;
  AdminResult<store::SigningKey> revoke_signing_key(std::string_view kid) override;

  AdminResult<Page<LogEvent>> list_logs(const PageRequest& page, const LogFilter& filter) override;
  AdminResult<std::vector<LogEvent>> logs_after(std::int64_t from, std::int64_t take,
                                                const LogFilter& filter) override;

 private:
  AdminResult<store::Api> read_api(std::string_view identifier);
  AdminResult<store::Application> read_application(std::string_view client_id);
  AdminResult<store::ClientGrant> read_grant(std::int64_t id);
  AdminResult<store::User> read_user(std::string_view id);
  // The id of the user with `email` (compared case-insensitively), or nullopt when none has it.
  AdminResult<std::optional<std::string>> email_owner(std::string_view email);
  AdminResult<std::int64_t> count_grants(std::optional<std::string_view> client_id,
                                         std::optional<std::string_view> audience);
  bool is_protected(std::string_view identifier) const;

  store::Store& store_;
  keys::KeyManager& keys_;
  server::SecretHasher secrets_;
  const server::PasswordHasher& passwords_;
  Clock clock_;
  std::optional<std::string> protected_api_;
};

}  // namespace signet::admin
