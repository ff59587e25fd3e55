#pragma once

// The admin operations sent to a server's Management API (docs/management-api.md): the CLI with
// `--server URL`. Each operation is one or a few HTTP requests with an access token; records come
// back through the same codec the server writes them with (auth0_json.h).
//
// Where the HTTP API has no single request for an operation, RemoteAdmin composes it and keeps
// the admin.h contract:
// - A patch that adds or removes permissions is read, applied and written with If-Match; a
//   write that lost a race is read and applied again (kMaxRemotePatchAttempts), so two admins
//   adding permissions at once both win, remotely as locally.
// - A deletion first reads what it deletes, to return it (and how many client grants go with
//   an API or an application).
// - Counts the API does not return (sessions ended, lockouts cleared) come back as -1.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "signet/admin/admin.h"
#include "signet/http/client.h"

namespace signet::admin {

// Writes of one read-modify-write that may lose a race before giving up (as kMaxPatchAttempts
// for the local service).
constexpr int kMaxRemotePatchAttempts = 8;
// Bytes of one Management API answer: a page of 100 resource servers with many scopes each.
constexpr std::size_t kMaxRemoteAnswerBytes = 4 * 1024 * 1024;

struct RemoteOptions {
  std::string server;  // the issuer URL, with its trailing slash: https://auth.example.com/
  std::string token;   // a Management API access token
  http::FetchOptions fetch;
};

class RemoteAdmin final : public Admin {
 public:
  explicit RemoteAdmin(RemoteOptions options);

  AdminResult<Page<store::Api>> list_apis(const PageRequest& page) override;
  AdminResult<store::Api> get_api(std::string_view identifier) override;
  AdminResult<store::Api> create_api(const ApiDraft& draft) override;
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
  struct Answer {
    boost::json::value body;                  // null for 204
    std::optional<store::Revision> revision;  // from the ETag
  };
  // One request to `{server}api/v2/{path}`; a non-2xx answer becomes the AdminError it stands for.
  AdminResult<Answer> call(std::string_view method, const std::string& path,
                           const boost::json::value* body = nullptr,
                           std::optional<store::Revision> if_match = std::nullopt);

  const RemoteOptions options_;
  const std::string base_;
};

// `text` percent-encoded for one path segment or query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view text);

}  // namespace signet::admin
