#pragma once

// An Admin that reads through another and refuses every write: what a read-only command (list,
// show) is given, so that it cannot change the tenant even by mistake. The local one behind it
// holds no real master key (reading needs none, and a read-only command must not create
// master.key), which makes a write through it dangerous, not merely wrong: a key sealed or a
// secret hashed under a throwaway key. Refusing here makes that impossible.

#include "signet/admin/admin.h"

namespace signet::cli {

class ReadOnlyAdmin final : public admin::Admin {
 public:
  // `reads` must outlive this.
  explicit ReadOnlyAdmin(admin::Admin& reads) : reads_(reads) {}

  // Reads: forwarded as they are.
  admin::AdminResult<admin::Page<store::Api>> list_apis(const admin::PageRequest& page) override;
  admin::AdminResult<store::Api> get_api(std::string_view identifier) override;
  admin::AdminResult<admin::Page<store::Application>> list_applications(
      const admin::PageRequest& page) override;
  admin::AdminResult<store::Application> get_application(std::string_view client_id) override;
  admin::AdminResult<admin::Page<store::ClientGrant>> list_client_grants(
      const admin::PageRequest& page, const admin::ClientGrantFilter& filter) override;
  admin::AdminResult<store::ClientGrant> get_client_grant(std::int64_t id) override;
  admin::AdminResult<admin::Page<store::User>> list_users(
      const admin::PageRequest& page, std::optional<std::string_view> search) override;
  admin::AdminResult<store::User> get_user(std::string_view id) override;
  admin::AdminResult<store::User> find_user(std::string_view id_or_email) override;
  admin::AdminResult<admin::UserLockouts> user_lockouts(std::string_view id) override;
  admin::AdminResult<std::vector<store::UserPermission>> list_user_permissions(
      std::string_view id, std::optional<std::string_view> api) override;
  admin::AdminResult<std::vector<store::SigningKey>> list_signing_keys() override;
  admin::AdminResult<store::SigningKey> get_signing_key(std::string_view kid) override;
  admin::AdminResult<admin::Page<admin::LogEvent>> list_logs(
      const admin::PageRequest& page, const admin::LogFilter& filter) override;
  admin::AdminResult<std::vector<admin::LogEvent>> logs_after(
      std::int64_t from, std::int64_t take, const admin::LogFilter& filter) override;

  // Writes: kInternal, naming the operation (a command that writes must ask for Access::kWrite).
  admin::AdminResult<store::Api> create_api(const admin::ApiDraft& draft) override;
  admin::AdminResult<store::Api> update_api(std::string_view identifier,
                                            const admin::ApiPatch& patch,
                                            std::optional<store::Revision> if_revision) override;
  admin::AdminResult<admin::DeletedApi> delete_api(std::string_view identifier) override;
  admin::AdminResult<admin::ApplicationWithSecret> create_application(
      const admin::ApplicationDraft& draft) override;
  admin::AdminResult<store::Application> update_application(
      std::string_view client_id, const admin::ApplicationPatch& patch,
      std::optional<store::Revision> if_revision) override;
  admin::AdminResult<admin::ApplicationWithSecret> rotate_secret(
      std::string_view client_id) override;
  admin::AdminResult<admin::DeletedApplication> delete_application(
      std::string_view client_id) override;
  admin::AdminResult<store::ClientGrant> create_client_grant(
      std::string_view client_id, std::string_view audience,
      const std::vector<std::string>& scopes) override;
  admin::AdminResult<store::ClientGrant> update_client_grant(
      std::int64_t id, const std::vector<std::string>& scopes,
      std::optional<store::Revision> if_revision) override;
  admin::AdminResult<store::ClientGrant> delete_client_grant(std::int64_t id) override;
  admin::AdminResult<store::User> create_user(const admin::UserDraft& draft) override;
  admin::AdminResult<admin::UpdatedUser> update_user(
      std::string_view id, const admin::UserPatch& patch,
      std::optional<store::Revision> if_revision) override;
  admin::AdminResult<store::User> delete_user(std::string_view id) override;
  admin::AdminResult<std::int64_t> revoke_sessions(std::string_view id) override;
  admin::AdminResult<std::int64_t> clear_user_lockouts(std::string_view id) override;
  admin::AdminResult<Ok> add_user_permissions(std::string_view id, std::string_view api,
                                              const std::vector<std::string>& permissions) override;
  admin::AdminResult<Ok> remove_user_permissions(
      std::string_view id, std::string_view api,
      const std::vector<std::string>& permissions) override;
  admin::AdminResult<admin::RotatedKeys> rotate_signing_keys(jose::Algorithm algorithm) override;
  admin::AdminResult<store::SigningKey> revoke_signing_key(std::string_view kid) override;

 private:
  admin::Admin& reads_;
};

}  // namespace signet::cli
