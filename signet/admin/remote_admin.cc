#include "signet/admin/remote_admin.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include <boost/json.hpp>

#include "signet/admin/auth0_json.h"
#include "signet/http/access_log.h"
#include "signet/jose/json.h"

namespace signet::admin {
namespace {

namespace json = boost::json;

// Bounds on what a server answers: the deepest record is four levels (a page of resource servers
// with their scopes), and a page holds at most 100 records of a few hundred members each.
constexpr std::size_t kMaxAnswerDepth = 32;
constexpr std::size_t kMaxAnswerMembers = 100'000;

// An ETag this API writes: "123". Anything else is no revision.
std::optional<store::Revision> revision_of(std::string_view etag) {
  if (etag.size() < 3 || etag.front() != '"' || etag.back() != '"') {
    return std::nullopt;
  }
  etag = etag.substr(1, etag.size() - 2);
  store::Revision r = 0;
  const auto [end, ec] = std::from_chars(etag.data(), etag.data() + etag.size(), r);
  if (ec != std::errc{} || end != etag.data() + etag.size()) {
    return std::nullopt;
  }
  return r;
}

AdminErrorCode code_for(unsigned status) {
  switch (status) {
    case 400:
    case 413:
      return AdminErrorCode::kInvalid;
    case 401:
      return AdminErrorCode::kUnauthorized;
    case 403:
      return AdminErrorCode::kForbidden;
    case 404:
      return AdminErrorCode::kNotFound;
    case 409:
      return AdminErrorCode::kConflict;
    case 412:
      return AdminErrorCode::kStale;
    case 429:
      return AdminErrorCode::kTooMany;
    case 503:
      return AdminErrorCode::kUnavailable;
    default:
      return status >= 500 ? AdminErrorCode::kUnavailable : AdminErrorCode::kUnreachable;
  }
}

std::string query_of(const PageRequest& page) {
  return "page=" + std::to_string(page.page) + "&per_page=" + std::to_string(page.per_page) +
         "&include_totals=true";
}

// A page answer ({"start", "limit", "total", key: [...]}) read with `read` per item.
template <typename T, typename Read>
AdminResult<Page<T>> read_page(const json::value& body, std::string_view key, Read read) {
  const auto* o = body.if_object();
  const json::value* items = o ? o->if_contains(key) : nullptr;
  if (items == nullptr || !items->is_array()) {
    return fail(AdminError{
        AdminErrorCode::kUnreachable,
        "the server's answer is not a page of " + std::string(key) + ": is it a signet server?"});
  }
  Page<T> page;
  const auto number = [&](std::string_view name) -> std::int64_t {
    const auto* v = o->if_contains(name);
    return v != nullptr && v->is_int64() ? v->get_int64() : 0;
  };
  page.total = number("total");
  page.start = number("start");
  page.limit = number("limit");
  for (const auto& item : items->get_array()) {
    auto parsed = read(item);
    if (!parsed) {
      return fail(
          AdminError{AdminErrorCode::kUnreachable,
                     "the server sent a record signet cannot read: " + parsed.error().message});
    }
    page.items.push_back(std::move(*parsed));
  }
  return page;
}

// A list answer ([...]) read with `read` per item.
template <typename T, typename Read>
AdminResult<std::vector<T>> read_list(const json::value& body, Read read) {
  const auto* items = body.if_array();
  if (items == nullptr) {
    return fail(AdminError{AdminErrorCode::kUnreachable,
                           "the server's answer is not a list: is it a signet server?"});
  }
  std::vector<T> out;
  for (const auto& item : *items) {
    auto parsed = read(item);
    if (!parsed) {
      return fail(
          AdminError{AdminErrorCode::kUnreachable,
                     "the server sent a record signet cannot read: " + parsed.error().message});
    }
    out.push_back(std::move(*parsed));
  }
  return out;
}

// A record read back, with the revision its ETag named.
template <typename T, typename Read>
AdminResult<T> read_record(const json::value& body, std::optional<store::Revision> revision,
                           Read read) {
  auto parsed = read(body);
  if (!parsed) {
    return fail(
        AdminError{AdminErrorCode::kUnreachable,
                   "the server sent a record signet cannot read: " + parsed.error().message});
  }
  T record = std::move(*parsed);
  if constexpr (requires { record.revision; }) {
    record.revision = revision.value_or(0);
  }
  return record;
}

// The answer's record, or the failure of the call or of reading the record.
template <typename T, typename Answer, typename Read>
AdminResult<T> as_record(AdminResult<Answer> answer, Read read) {
  if (!answer) {
    return fail(answer.error());
  }
  return read_record<T>(answer->body, answer->revision, read);
}

// The answer's page, or the failure of the call or of reading the page.
template <typename T, typename Answer, typename Read>
AdminResult<Page<T>> as_page(AdminResult<Answer> answer, std::string_view key, Read read) {
  if (!answer) {
    return fail(answer.error());
  }
  return read_page<T>(answer->body, key, read);
}

json::value permissions_body(std::string_view api, const std::vector<std::string>& names) {
  json::array list;
  for (const auto& name : names) {
    list.push_back(json::object{{"permission_name", name}, {"resource_server_identifier", api}});
  }
  return json::object{{"permissions", std::move(list)}};
}

}  // namespace

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

RemoteAdmin::RemoteAdmin(RemoteOptions options)
    : options_([&] {
        options.fetch.max_body_bytes =
            std::max(options.fetch.max_body_bytes, kMaxRemoteAnswerBytes);
        return std::move(options);
      }()),
      base_(options_.server + "api/v2/") {}

AdminResult<RemoteAdmin::Answer> RemoteAdmin::call(std::string_view method, const std::string& path,
                                                   const json::value* body,
                                                   std::optional<store::Revision> if_match) {
  const std::string authorization = "Bearer " + options_.token;
  const std::string text = body != nullptr ? json::serialize(*body) : std::string();
  const std::string etag = if_match ? "\"" + std::to_string(*if_match) + "\"" : std::string();
  http::ApiRequest request;
  request.method = method;
  request.authorization = authorization;
  if (body != nullptr) {
    request.content_type = "application/json";
    request.body = text;
  }
  if (if_match) {
    request.if_match = etag;
  }
  const std::string url = base_ + path;
  auto res = http::send_request(url, request, options_.fetch);
  if (!res) {
    return fail(AdminError{AdminErrorCode::kUnreachable,
                           "cannot reach the Management API at " + base_ + ": " +
                               std::string(http::to_string(res.error().code)) + ": " +
                               res.error().detail});
  }
  Answer answer;
  answer.revision = revision_of(res->etag);
  if (!res->body.empty()) {
    jose::JsonLimits limits;
    limits.max_depth = kMaxAnswerDepth;
    limits.max_members = kMaxAnswerMembers;
    auto parsed = jose::parse_json(res->body, limits);
    if (parsed) {
      answer.body = std::move(*parsed);
    } else if (res->status < 300) {
      return fail(AdminError{AdminErrorCode::kUnreachable,
                             base_ + " answered " + std::to_string(res->status) +
                                 " with a body that is not JSON: is it a signet server?"});
    }
  }
  if (res->status >= 200 && res->status < 300) {
    return answer;
  }
  // Auth0's error body: the server's sentence is the message.
  std::string message;
  if (const auto* o = answer.body.if_object()) {
    if (const auto* m = o->if_contains("message"); m != nullptr && m->is_string()) {
      message = std::string(m->get_string());
    }
  }
  if (message.empty()) {
    message = base_ + " answered " + std::to_string(res->status);
  }
  const AdminErrorCode code = code_for(res->status);
  if (code == AdminErrorCode::kUnauthorized) {
    message += " (get a Management API token for the audience " + base_ +
               " with 'signet token', or set SIGNET_MANAGEMENT_TOKEN)";
  } else if (code == AdminErrorCode::kTooMany || code == AdminErrorCode::kUnavailable) {
    if (!res->retry_after.empty()) {
      message += " (retry after " + res->retry_after + " s)";
    }
  }
  return fail(AdminError{code, std::move(message)});
}

// --- APIs

AdminResult<Page<store::Api>> RemoteAdmin::list_apis(const PageRequest& page) {
  return as_page<store::Api>(call("GET", "resource-servers?" + query_of(page)), "resource_servers",
                             [](const json::value& v) { return api_from_json(v); });
}

AdminResult<store::Api> RemoteAdmin::get_api(std::string_view identifier) {
  return as_record<store::Api>(call("GET", "resource-servers/" + url_encode(identifier)),
                               [](const json::value& v) { return api_from_json(v); });
}

AdminResult<store::Api> RemoteAdmin::create_api(const ApiDraft& draft) {
  const json::value body = api_draft_to_json(draft);
  return as_record<store::Api>(call("POST", "resource-servers", &body),
                               [](const json::value& v) { return api_from_json(v); });
}

AdminResult<store::Api> RemoteAdmin::update_api(std::string_view identifier, const ApiPatch& patch,
                                                std::optional<store::Revision> if_revision) {
  const std::string path = "resource-servers/" + url_encode(identifier);
  // token_dialect carries the profile and the permissions claim together, and the HTTP patch
  // carries whole permission lists: a patch that names only one of the two, or adds and removes
  // permissions, is resolved against the record as it is, and written only if it still is.
  const bool resolve = !patch.add_permissions.empty() || !patch.remove_permissions.empty() ||
                       (patch.token_profile.has_value() != patch.permissions_claim.has_value());
  if (!resolve) {
    auto body = api_patch_to_json(patch);
    if (!body) {
      return fail(body.error());
    }
    const json::value value = std::move(*body);
    auto answer = call("PATCH", path, &value, if_revision);
    if (!answer) {
      return fail(answer.error());
    }
    return read_record<store::Api>(answer->body, answer->revision,
                                   [](const json::value& v) { return api_from_json(v); });
  }
  for (int attempt = 0; attempt < kMaxRemotePatchAttempts; ++attempt) {
    auto current = get_api(identifier);
    if (!current) {
      return fail(current.error());
    }
    if (if_revision && current->revision != *if_revision) {
      return fail(
          AdminError{AdminErrorCode::kStale,
                     "API " + std::string(identifier) +
                         " changed since it was read; read it again and repeat the change"});
    }
    store::Api api = *current;
    if (auto applied = apply_api_patch(patch, api); !applied) {
      return fail(applied.error());
    }
    ApiPatch whole;
    whole.name = patch.name;
    whole.signing_algorithm = patch.signing_algorithm;
    whole.token_lifetime = patch.token_lifetime;
    whole.allow_offline_access = patch.allow_offline_access;
    whole.token_profile = api.token_profile;
    whole.permissions_claim = api.permissions_claim;
    whole.require_dpop = patch.require_dpop;
    if (patch.permissions || !patch.add_permissions.empty() || !patch.remove_permissions.empty()) {
      whole.permissions = api.permissions;
    }
    auto body = api_patch_to_json(whole);
    if (!body) {
      return fail(body.error());
    }
    const json::value value = std::move(*body);
    auto answer = call("PATCH", path, &value, current->revision);
    if (answer) {
      return read_record<store::Api>(answer->body, answer->revision,
                                     [](const json::value& v) { return api_from_json(v); });
    }
    if (answer.error().code != AdminErrorCode::kStale || if_revision) {
      return fail(answer.error());
    }
  }
  return fail(AdminError{AdminErrorCode::kUnavailable,
                         "API " + std::string(identifier) +
                             " kept changing while this change was applied; try again"});
}

AdminResult<DeletedApi> RemoteAdmin::delete_api(std::string_view identifier) {
  auto api = get_api(identifier);
  if (!api) {
    return fail(api.error());
  }
  auto grants = list_client_grants(PageRequest{0, 1},
                                   ClientGrantFilter{std::nullopt, std::string(identifier)});
  if (!grants) {
    return fail(grants.error());
  }
  if (auto answer = call("DELETE", "resource-servers/" + url_encode(identifier)); !answer) {
    return fail(answer.error());
  }
  return DeletedApi{std::move(*api), grants->total};
}

// --- applications

AdminResult<Page<store::Application>> RemoteAdmin::list_applications(const PageRequest& page) {
  return as_page<store::Application>(call("GET", "clients?" + query_of(page)), "clients",
                                     [](const json::value& v) { return application_from_json(v); });
}

AdminResult<store::Application> RemoteAdmin::get_application(std::string_view client_id) {
  return as_record<store::Application>(
      call("GET", "clients/" + url_encode(client_id)),
      [](const json::value& v) { return application_from_json(v); });
}

AdminResult<ApplicationWithSecret> RemoteAdmin::create_application(const ApplicationDraft& draft) {
  const json::value body = application_draft_to_json(draft);
  auto answer = call("POST", "clients", &body);
  if (!answer) {
    return fail(answer.error());
  }
  auto app = read_record<ApplicationWithSecret>(
      answer->body, answer->revision,
      [](const json::value& v) { return application_with_secret_from_json(v); });
  if (app) {
    app->application.revision = answer->revision.value_or(0);
  }
  return app;
}

AdminResult<store::Application> RemoteAdmin::update_application(
    std::string_view client_id, const ApplicationPatch& patch,
    std::optional<store::Revision> if_revision) {
  const json::value body = application_patch_to_json(patch);
  return as_record<store::Application>(
      call("PATCH", "clients/" + url_encode(client_id), &body, if_revision),
      [](const json::value& v) { return application_from_json(v); });
}

AdminResult<ApplicationWithSecret> RemoteAdmin::rotate_secret(std::string_view client_id) {
  auto answer = call("POST", "clients/" + url_encode(client_id) + "/rotate-secret");
  if (!answer) {
    return fail(answer.error());
  }
  auto app = read_record<ApplicationWithSecret>(
      answer->body, answer->revision,
      [](const json::value& v) { return application_with_secret_from_json(v); });
  if (app) {
    app->application.revision = answer->revision.value_or(0);
  }
  return app;
}

AdminResult<DeletedApplication> RemoteAdmin::delete_application(std::string_view client_id) {
  auto app = get_application(client_id);
  if (!app) {
    return fail(app.error());
  }
  auto grants = list_client_grants(PageRequest{0, 1},
                                   ClientGrantFilter{std::string(client_id), std::nullopt});
  if (!grants) {
    return fail(grants.error());
  }
  if (auto answer = call("DELETE", "clients/" + url_encode(client_id)); !answer) {
    return fail(answer.error());
  }
  return DeletedApplication{std::move(*app), grants->total};
}

// --- client grants

AdminResult<Page<store::ClientGrant>> RemoteAdmin::list_client_grants(
    const PageRequest& page, const ClientGrantFilter& filter) {
  std::string path = "client-grants?" + query_of(page);
  if (filter.client_id) {
    path += "&client_id=" + url_encode(*filter.client_id);
  }
  if (filter.audience) {
    path += "&audience=" + url_encode(*filter.audience);
  }
  return as_page<store::ClientGrant>(call("GET", path), "client_grants", [](const json::value& v) {
    return client_grant_from_json(v);
  });
}

AdminResult<store::ClientGrant> RemoteAdmin::get_client_grant(std::int64_t id) {
  return as_record<store::ClientGrant>(
      call("GET", "client-grants/" + std::to_string(id)),
      [](const json::value& v) { return client_grant_from_json(v); });
}

AdminResult<store::ClientGrant> RemoteAdmin::create_client_grant(
    std::string_view client_id, std::string_view audience, const std::vector<std::string>& scopes) {
  json::array scope;
  for (const auto& s : scopes) {
    scope.emplace_back(s);
  }
  const json::value body =
      json::object{{"client_id", client_id}, {"audience", audience}, {"scope", std::move(scope)}};
  return as_record<store::ClientGrant>(
      call("POST", "client-grants", &body),
      [](const json::value& v) { return client_grant_from_json(v); });
}

AdminResult<store::ClientGrant> RemoteAdmin::update_client_grant(
    std::int64_t id, const std::vector<std::string>& scopes,
    std::optional<store::Revision> if_revision) {
  json::array scope;
  for (const auto& s : scopes) {
    scope.emplace_back(s);
  }
  const json::value body = json::object{{"scope", std::move(scope)}};
  return as_record<store::ClientGrant>(
      call("PATCH", "client-grants/" + std::to_string(id), &body, if_revision),
      [](const json::value& v) { return client_grant_from_json(v); });
}

AdminResult<store::ClientGrant> RemoteAdmin::delete_client_grant(std::int64_t id) {
  auto grant = get_client_grant(id);
  if (!grant) {
    return fail(grant.error());
  }
  if (auto answer = call("DELETE", "client-grants/" + std::to_string(id)); !answer) {
    return fail(answer.error());
  }
  return grant;
}

// --- users

AdminResult<Page<store::User>> RemoteAdmin::list_users(const PageRequest& page,
                                                       std::optional<std::string_view> search) {
  std::string path = "users?" + query_of(page);
  if (search) {
    path += "&q=" + url_encode(*search);
  }
  return as_page<store::User>(call("GET", path), "users",
                              [](const json::value& v) { return user_from_json(v); });
}

AdminResult<store::User> RemoteAdmin::get_user(std::string_view id) {
  return as_record<store::User>(call("GET", "users/" + url_encode(id)),
                                [](const json::value& v) { return user_from_json(v); });
}

AdminResult<store::User> RemoteAdmin::find_user(std::string_view id_or_email) {
  auto by_id = get_user(id_or_email);
  if (by_id || by_id.error().code != AdminErrorCode::kNotFound) {
    return by_id;
  }
  auto answer = call("GET", "users-by-email?email=" + url_encode(id_or_email));
  if (!answer) {
    return fail(answer.error());
  }
  const auto* list = answer->body.if_array();
  if (list == nullptr || list->empty()) {
    return fail(AdminError::not_found("no user with id or email " + std::string(id_or_email)));
  }
  // users-by-email answers without ETags: read the record itself for its revision.
  auto user = read_record<store::User>(list->front(), std::nullopt,
                                       [](const json::value& v) { return user_from_json(v); });
  if (!user) {
    return user;
  }
  return get_user(user->id);
}

AdminResult<store::User> RemoteAdmin::create_user(const UserDraft& draft) {
  const json::value body = user_draft_to_json(draft);
  return as_record<store::User>(call("POST", "users", &body),
                                [](const json::value& v) { return user_from_json(v); });
}

AdminResult<UpdatedUser> RemoteAdmin::update_user(std::string_view id, const UserPatch& patch,
                                                  std::optional<store::Revision> if_revision) {
  const json::value body = user_patch_to_json(patch);
  auto answer = call("PATCH", "users/" + url_encode(id), &body, if_revision);
  if (!answer) {
    return fail(answer.error());
  }
  auto user = read_record<store::User>(answer->body, answer->revision,
                                       [](const json::value& v) { return user_from_json(v); });
  if (!user) {
    return fail(user.error());
  }
  return UpdatedUser{std::move(*user), patch.password ? -1 : 0};
}

AdminResult<store::User> RemoteAdmin::delete_user(std::string_view id) {
  auto user = get_user(id);
  if (!user) {
    return user;
  }
  if (auto answer = call("DELETE", "users/" + url_encode(id)); !answer) {
    return fail(answer.error());
  }
  return user;
}

AdminResult<std::int64_t> RemoteAdmin::revoke_sessions(std::string_view id) {
  if (auto answer = call("DELETE", "users/" + url_encode(id) + "/sessions"); !answer) {
    return fail(answer.error());
  }
  return std::int64_t{-1};
}

AdminResult<UserLockouts> RemoteAdmin::user_lockouts(std::string_view id) {
  auto answer = call("GET", "user-blocks/" + url_encode(id));
  if (!answer) {
    return fail(answer.error());
  }
  UserLockouts out;
  const auto* o = answer->body.if_object();
  const json::value* list = o ? o->if_contains("blocked_for") : nullptr;
  if (list == nullptr || !list->is_array()) {
    return fail(AdminError{AdminErrorCode::kUnreachable,
                           "the server's user-blocks answer has no "
                           "blocked_for list"});
  }
  for (const auto& e : list->get_array()) {
    const auto* b = e.if_object();
    if (b == nullptr) {
      continue;
    }
    store::AddressFailedLogins counter;
    if (auto ip = jose::get_string(*b, "ip")) {
      counter.address = std::string(*ip);
    }
    if (auto n = jose::get_int(*b, "failures", 0, 1'000'000'000)) {
      counter.counter.count = static_cast<int>(*n);
    }
    if (auto until = jose::get_string(*b, "blocked_until")) {
      counter.counter.blocked_until = parse_date(*until);
    }
    out.counters.push_back(std::move(counter));
  }
  out.blocked_now = !out.counters.empty();
  return out;
}

AdminResult<std::int64_t> RemoteAdmin::clear_user_lockouts(std::string_view id) {
  if (auto answer = call("DELETE", "user-blocks/" + url_encode(id)); !answer) {
    return fail(answer.error());
  }
  return std::int64_t{-1};
}

AdminResult<std::vector<store::UserPermission>> RemoteAdmin::list_user_permissions(
    std::string_view id, std::optional<std::string_view> api) {
  auto answer = call("GET", "users/" + url_encode(id) + "/permissions");
  if (!answer) {
    return fail(answer.error());
  }
  std::vector<store::UserPermission> out;
  const auto* list = answer->body.if_array();
  if (list == nullptr) {
    return fail(AdminError{AdminErrorCode::kUnreachable,
                           "the server's permissions answer is not "
                           "a list"});
  }
  // The answer holds every API's; the filter is applied here, and an API that does not exist is
  // kNotFound (a typo, as AdminService says), not an empty list.
  if (api) {
    if (auto found = get_api(*api); !found) {
      return fail(found.error());
    }
  }
  for (const auto& e : *list) {
    const auto* p = e.if_object();
    if (p == nullptr) {
      continue;
    }
    auto name = jose::get_string(*p, "permission_name");
    auto server = jose::get_string(*p, "resource_server_identifier");
    if (!name || !server) {
      continue;
    }
    if (!api || *api == *server) {
      out.push_back(
          store::UserPermission{std::string(id), std::string(*server), std::string(*name)});
    }
  }
  return out;
}

AdminResult<Ok> RemoteAdmin::add_user_permissions(std::string_view id, std::string_view api,
                                                  const std::vector<std::string>& permissions) {
  const json::value body = permissions_body(api, permissions);
  if (auto answer = call("POST", "users/" + url_encode(id) + "/permissions", &body); !answer) {
    return fail(answer.error());
  }
  return Ok{};
}

AdminResult<Ok> RemoteAdmin::remove_user_permissions(std::string_view id, std::string_view api,
                                                     const std::vector<std::string>& permissions) {
  const json::value body = permissions_body(api, permissions);
  if (auto answer = call("DELETE", "users/" + url_encode(id) + "/permissions", &body); !answer) {
    return fail(answer.error());
  }
  return Ok{};
}

// --- signing keys

AdminResult<std::vector<store::SigningKey>> RemoteAdmin::list_signing_keys() {
  auto answer = call("GET", "keys/signing");
  if (!answer) {
    return fail(answer.error());
  }
  const auto* list = answer->body.if_array();
  if (list == nullptr) {
    return fail(AdminError{AdminErrorCode::kUnreachable, "the server's keys answer is not a list"});
  }
  std::vector<store::SigningKey> out;
  for (const auto& e : *list) {
    auto key = read_record<store::SigningKey>(
        e, std::nullopt, [](const json::value& v) { return signing_key_from_json(v); });
    if (!key) {
      return fail(key.error());
    }
    out.push_back(std::move(*key));
  }
  return out;
}

AdminResult<store::SigningKey> RemoteAdmin::get_signing_key(std::string_view kid) {
  auto answer = call("GET", "keys/signing/" + url_encode(kid));
  if (!answer) {
    return fail(answer.error());
  }
  return read_record<store::SigningKey>(
      answer->body, std::nullopt, [](const json::value& v) { return signing_key_from_json(v); });
}

AdminResult<RotatedKeys> RemoteAdmin::rotate_signing_keys(jose::Algorithm algorithm) {
  const json::value body = json::object{{"alg", jose::to_string(algorithm)}};
  auto answer = call("POST", "keys/signing/rotate", &body);
  if (!answer) {
    return fail(answer.error());
  }
  const auto* o = answer->body.if_object();
  auto kid = o ? jose::get_string(*o, "kid")
               : Result<std::string_view, jose::Access>(fail(jose::Access::kMissing));
  if (!kid) {
    return fail(AdminError{AdminErrorCode::kUnreachable, "the server's rotate answer has no kid"});
  }
  return RotatedKeys{algorithm, std::string(*kid)};
}

AdminResult<store::SigningKey> RemoteAdmin::revoke_signing_key(std::string_view kid) {
  auto answer = call("PUT", "keys/signing/" + url_encode(kid) + "/revoke");
  if (!answer) {
    return fail(answer.error());
  }
  return read_record<store::SigningKey>(
      answer->body, std::nullopt, [](const json::value& v) { return signing_key_from_json(v); });
}

// --- logs

namespace {

// The filter's query parameters, each after a '&'.
std::string log_filter_query(const LogFilter& filter) {
  std::string out;
  if (filter.type) {
    out += "&type=" + url_encode(*filter.type);
  }
  if (filter.user_id) {
    out += "&user_id=" + url_encode(*filter.user_id);
  }
  if (filter.client_id) {
    out += "&client_id=" + url_encode(*filter.client_id);
  }
  if (filter.since) {
    out += "&since=" + url_encode(http::format_rfc3339(*filter.since));
  }
  return out;
}

}  // namespace

AdminResult<Page<LogEvent>> RemoteAdmin::list_logs(const PageRequest& page,
                                                   const LogFilter& filter) {
  return as_page<LogEvent>(call("GET", "logs?" + query_of(page) + log_filter_query(filter)), "logs",
                           [](const json::value& v) { return log_event_from_json(v); });
}

AdminResult<std::vector<LogEvent>> RemoteAdmin::logs_after(std::int64_t from, std::int64_t take,
                                                           const LogFilter& filter) {
  auto answer = call("GET", "logs?from=" + std::to_string(from) + "&take=" + std::to_string(take) +
                                log_filter_query(filter));
  if (!answer) {
    return fail(answer.error());
  }
  return read_list<LogEvent>(answer->body,
                             [](const json::value& v) { return log_event_from_json(v); });
}

}  // namespace signet::admin
