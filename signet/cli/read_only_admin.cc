#include "signet/cli/read_only_admin.h"

#include <string>

namespace signet::cli {
namespace {

Unexpected<admin::AdminError> refused(std::string_view operation) {
  return fail(
      admin::AdminError{admin::AdminErrorCode::kInternal,
                        "a read-only command tried to " + std::string(operation) +
                            "; nothing was changed (this is a bug in signet: please report it)"});
}

}  // namespace

admin::AdminResult<admin::Page<store::Api>> ReadOnlyAdmin::list_apis(
    const admin::PageRequest& page) {
  return reads_.list_apis(page);
}

admin::AdminResult<store::Api> ReadOnlyAdmin::get_api(std::string_view identifier) {
  return reads_.get_api(identifier);
}

admin::AdminResult<admin::Page<store::Application>> ReadOnlyAdmin::list_applications(
    const admin::PageRequest& page) {
  return reads_.list_applications(page);
}

admin::AdminResult<store::Application> ReadOnlyAdmin::get_application(std::string_view client_id) {
  return reads_.get_application(client_id);
}

admin::AdminResult<admin::Page<store::ClientGrant>> ReadOnlyAdmin::list_client_grants(
    const admin::PageRequest& page, const admin::ClientGrantFilter& filter) {
  return reads_.list_client_grants(page, filter);
}

admin::AdminResult<store::ClientGrant> ReadOnlyAdmin::get_client_grant(std::int64_t id) {
  return reads_.get_client_grant(id);
}

admin::AdminResult<admin::Page<store::User>> ReadOnlyAdmin::list_users(
    const admin::PageRequest& page, std::optional<std::string_view> search) {
  return reads_.list_users(page, search);
}

admin::AdminResult<store::User> ReadOnlyAdmin::get_user(std::string_view id) {
  return reads_.get_user(id);
}

admin::AdminResult<store::User> ReadOnlyAdmin::find_user(std::string_view id_or_email) {
  return reads_.find_user(id_or_email);
}

admin::AdminResult<admin::UserLockouts> ReadOnlyAdmin::user_lockouts(std::string_view id) {
  return reads_.user_lockouts(id);
}

admin::AdminResult<std::vector<store::UserPermission>> ReadOnlyAdmin::list_user_permissions(
    std::string_view id, std::optional<std::string_view> api) {
  return reads_.list_user_permissions(id, api);
}

admin::AdminResult<std::vector<store::SigningKey>> ReadOnlyAdmin::list_signing_keys() {
  return reads_.list_signing_keys();
}

admin::AdminResult<store::SigningKey> ReadOnlyAdmin::get_signing_key(std::string_view kid) {
  return reads_.get_signing_key(kid);
}

admin::AdminResult<admin::Page<admin::LogEvent>> ReadOnlyAdmin::list_logs(
    const admin::PageRequest& page, const admin::LogFilter& filter) {
  return reads_.list_logs(page, filter);
}

admin::AdminResult<std::vector<admin::LogEvent>> ReadOnlyAdmin::logs_after(
    std::int64_t from, std::int64_t take, const admin::LogFilter& filter) {
  return reads_.logs_after(from, take, filter);
}

admin::AdminResult<store::Api> ReadOnlyAdmin::create_api(const admin::ApiDraft&) {
  return refused("create an API");
}

admin::AdminResult<store::Api> ReadOnlyAdmin::update_api(std::string_view, const admin::ApiPatch&,
                                                         std::optional<store::Revision>) {
  return refused("update an API");
}

admin::AdminResult<admin::DeletedApi> ReadOnlyAdmin::delete_api(std::string_view) {
  return refused("delete an API");
}

admin::AdminResult<admin::ApplicationWithSecret> ReadOnlyAdmin::create_application(
    const admin::ApplicationDraft&) {
  return refused("create an application");
}

admin::AdminResult<store::Application> ReadOnlyAdmin::update_application(
    std::string_view, const admin::ApplicationPatch&, std::optional<store::Revision>) {
  return refused("update an application");
}

admin::AdminResult<admin::ApplicationWithSecret> ReadOnlyAdmin::rotate_secret(std::string_view) {
  return refused("rotate a client secret");
}

admin::AdminResult<admin::DeletedApplication> ReadOnlyAdmin::delete_application(std::string_view) {
  return refused("delete an application");
}

admin::AdminResult<store::ClientGrant> ReadOnlyAdmin::create_client_grant(
    std::string_view, std::string_view, const std::vector<std::string>&) {
  return refused("create a client grant");
}

admin::AdminResult<store::ClientGrant> ReadOnlyAdmin::update_client_grant(
    std::int64_t, const std::vector<std::string>&, std::optional<store::Revision>) {
  return refused("update a client grant");
}

admin::AdminResult<store::ClientGrant> ReadOnlyAdmin::delete_client_grant(std::int64_t) {
  return refused("delete a client grant");
}

admin::AdminResult<store::User> ReadOnlyAdmin::create_user(const admin::UserDraft&) {
  return refused("create a user");
}

admin::AdminResult<admin::UpdatedUser> ReadOnlyAdmin::update_user(std::string_view,
                                                                  const admin::UserPatch&,
                                                                  std::optional<store::Revision>) {
  return refused("update a user");
}

admin::AdminResult<store::User> ReadOnlyAdmin::delete_user(std::string_view) {
  return refused("delete a user");
}

admin::AdminResult<std::int64_t> ReadOnlyAdmin::revoke_sessions(std::string_view) {
  return refused("revoke a user's sessions");
}

admin::AdminResult<std::int64_t> ReadOnlyAdmin::clear_user_lockouts(std::string_view) {
  return refused("clear a user's lockouts");
}

admin::AdminResult<Ok> ReadOnlyAdmin::add_user_permissions(std::string_view, std::string_view,
                                                           const std::vector<std::string>&) {
  return refused("add permissions to a user");
}

admin::AdminResult<Ok> ReadOnlyAdmin::remove_user_permissions(std::string_view, std::string_view,
                                                              const std::vector<std::string>&) {
  return refused("remove permissions from a user");
}

admin::AdminResult<admin::RotatedKeys> ReadOnlyAdmin::rotate_signing_keys(jose::Algorithm) {
  return refused("rotate signing keys");
}

admin::AdminResult<store::SigningKey> ReadOnlyAdmin::revoke_signing_key(std::string_view) {
  return refused("revoke a signing key");
}

}  // namespace signet::cli
