#include "signet/admin/admin_service.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <random>
#include <span>
#include <thread>
#include <utility>

#include "signet/admin/application_checks.h"
#include "signet/admin/auth0_json.h"
#include "signet/jose/crypto.h"
#include "signet/server/event_log.h"
#include "signet/store/validate.h"

namespace signet::admin {
namespace {

using store::StoreErrorCode;

// What separates the words of a list where people type lists (the CLI's flags, a console's text
// field): a permission holding one could never be named on its own there.
constexpr std::string_view kListSeparators = ", \t\n\r\v\f";

constexpr std::string_view kUserIdPrefix = "auth0|";  // Auth0's database-connection users
constexpr std::size_t kUserIdRandomBytes = 12;        // 24 hex digits, as Auth0's ids have

// bytes of SHA-256 in a log_id: 96 bits, so two events of one log never share an id by chance.

// The grant types an application may have, for messages.
constexpr std::string_view kSupportedGrantTypes =
    "authorization_code, client_credentials, password or refresh_token";

Unexpected<AdminError> invalid(std::string message) {
  return fail(AdminError::invalid(std::move(message)));
}

Unexpected<AdminError> not_found(std::string message) {
  return fail(AdminError::not_found(std::move(message)));
}

Unexpected<AdminError> conflict(std::string message) {
  return fail(AdminError::conflict(std::move(message)));
}

Unexpected<AdminError> store_failure(std::string_view doing, const store::StoreError& e) {
  return fail(from_store(doing, e));
}

// A record the store read, or not found (saying which record) or a store failure (saying what was
// being done).
template <typename T>
AdminResult<T> found(store::StoreResult<T> read, std::string missing, std::string_view doing) {
  if (read) {
    return std::move(read).value();
  }
  if (read.error().code == StoreErrorCode::kNotFound) {
    return not_found(std::move(missing));
  }
  return store_failure(doing, read.error());
}

// --- paging

AdminResult<store::PageRequest> to_store_page(const PageRequest& page) {
  if (page.per_page < 1 || page.per_page > kMaxPerPage) {
    return invalid("per_page must be between 1 and " + std::to_string(kMaxPerPage) + ", not " +
                   std::to_string(page.per_page));
  }
  if (page.page < 0) {
    return invalid("page must be 0 or more (the first page is 0), not " +
                   std::to_string(page.page));
  }
  // page * per_page must fit: no list holds that many records, but the product must not wrap.
  if (page.page > std::numeric_limits<std::int64_t>::max() / page.per_page) {
    return invalid("page " + std::to_string(page.page) +
                   " is past the end of any list: ask for an earlier page");
  }
  return store::PageRequest{page.page * page.per_page, page.per_page};
}

template <typename T>
Page<T> to_page(store::Page<T> in, const store::PageRequest& request) {
  Page<T> out;
  out.items = std::move(in.items);
  out.total = in.total;
  out.start = request.offset;
  out.limit = request.limit;
  return out;
}

// --- partial updates

// Before another attempt at a patch that lost a race: a random pause, up to 100 µs doubled per
// attempt. Two writers that retry at once would otherwise read the same revision again, and one
// of them can lose every attempt (tests/admin: two threads adding permissions to one API, under
// ASan, lost 8 in a row).
void pause_before_retry(int attempt) {
  thread_local std::minstd_rand jitter{std::random_device{}()};
  const auto bound = kPatchRetryPauseBase.count() << std::min(attempt, kPatchRetryMaxDoublings);
  std::this_thread::sleep_for(std::chrono::microseconds{
      std::uniform_int_distribution<std::chrono::microseconds::rep>(0, bound)(jitter)});
}

// One partial update (admin.h "Updates are partial"): `read` gives the record as it is now,
// `apply` changes a copy (or refuses), and `write` stores it only if the record is still at the
// revision it passes. A write that lost a race is applied again to the winner's record, unless
// the caller named the revision it read: then it learns, with kStale, that its view is old.
template <typename Record, typename Read, typename Apply, typename Write>
AdminResult<Record> apply_patch(const std::string& doing, const std::string& what,
                                std::optional<store::Revision> if_revision, Read read, Apply apply,
                                Write write) {
  for (int attempt = 0; attempt < kMaxPatchAttempts; ++attempt) {
    AdminResult<Record> current = read();
    if (!current) {
      return fail(current.error());
    }
    if (if_revision && current->revision != *if_revision) {
      return store_failure(
          doing, store::StoreError{StoreErrorCode::kStale,
                                   what + " is at revision " + std::to_string(current->revision) +
                                       ", not " + std::to_string(*if_revision)});
    }
    Record next = *current;
    if (AdminResult<Ok> applied = apply(next); !applied) {
      return fail(applied.error());
    }
    if (next == *current) {
      return current;  // nothing changes: nothing is written, and the revision stays
    }
    store::StoreResult<Record> written = write(next, current->revision);
    if (written) {
      return std::move(written).value();
    }
    if (written.error().code != StoreErrorCode::kStale || if_revision) {
      return store_failure(doing, written.error());
    }
    pause_before_retry(attempt);
  }
  return fail(AdminError{AdminErrorCode::kUnavailable,
                         "cannot " + doing + ": other writes changed it " +
                             std::to_string(kMaxPatchAttempts) +
                             " times while this change was applied; nothing was changed, try "
                             "again"});
}

// --- rules the store does not know

AdminResult<Ok> check_token_lifetime(std::chrono::seconds lifetime) {
  if (lifetime < std::chrono::seconds{1} || lifetime > store::kMaxTokenLifetime) {
    return invalid("the token lifetime must be between 1 and " +
                   std::to_string(store::kMaxTokenLifetime.count()) + " seconds (30 days), not " +
                   std::to_string(lifetime.count()));
  }
  return Ok{};
}

AdminResult<Ok> check_permission_names(const std::vector<store::Permission>& permissions) {
  for (const auto& p : permissions) {
    if (p.value.find_first_of(kListSeparators) != std::string::npos) {
      return invalid("a permission's name cannot hold a comma or white space ('" + p.value +
                     "'): lists of scopes are split there; add one permission at a time");
    }
  }
  return Ok{};
}

bool has_permission(const store::Api& api, std::string_view value) {
  return std::any_of(api.permissions.begin(), api.permissions.end(),
                     [&](const auto& p) { return p.value == value; });
}

// Only a sanity check (the password grant takes the email as the username): something on each
// side of an '@', and nothing that cannot be typed on one line.
AdminResult<Ok> check_email(std::string_view email) {
  const auto at = email.rfind('@');
  const bool printable = std::all_of(email.begin(), email.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  });
  if (!printable || at == std::string_view::npos || at == 0 || at + 1 == email.size()) {
    return invalid("'" + std::string(email) +
                   "' is not an email address (expected name@example.com)");
  }
  return Ok{};
}

AdminResult<Ok> check_password(std::string_view password) {
  if (auto valid = server::validate_new_password(password); !valid) {
    return invalid(valid.error() + "; nothing was changed");
  }
  return Ok{};
}

AdminResult<Ok> check_grant_types(const std::vector<store::GrantType>& grant_types) {
  if (grant_types.empty()) {
    return invalid("an application needs at least one grant type: " +
                   std::string(kSupportedGrantTypes));
  }
  return Ok{};
}

// Single-page and native apps run on their users' devices, where a secret is anyone's to read.
bool is_public_type(store::ApplicationType type) {
  return type == store::ApplicationType::kSpa || type == store::ApplicationType::kNative;
}

bool uses_secret(store::TokenEndpointAuthMethod method) {
  return method != store::TokenEndpointAuthMethod::kNone &&
         method != store::TokenEndpointAuthMethod::kPrivateKeyJwt;
}

store::TokenEndpointAuthMethod default_auth_method(store::ApplicationType type) {
  return is_public_type(type) ? store::TokenEndpointAuthMethod::kNone
                              : store::TokenEndpointAuthMethod::kClientSecretBasicOrPost;
}

// Machine-to-machine applications get tokens for themselves; the others act for a user, signed
// in through /authorize. Public ones cannot use the password grant (anyone can send their
// client_id); a regular web app keeps it, as the quickstart uses it.
std::vector<store::GrantType> default_grant_types(store::ApplicationType type) {
  if (type == store::ApplicationType::kM2m) {
    return {store::GrantType::kClientCredentials};
  }
  if (is_public_type(type)) {
    return {store::GrantType::kAuthorizationCode, store::GrantType::kRefreshToken};
  }
  return {store::GrantType::kAuthorizationCode, store::GrantType::kPassword,
          store::GrantType::kRefreshToken};
}

AdminResult<Ok> check_urls(const std::vector<std::string>& urls, std::string_view what) {
  for (const auto& url : urls) {
    if (auto r = check_redirect_url(what, url); !r) {
      return invalid(r.error());
    }
  }
  return Ok{};
}

// The rules tying an application's type, auth method, grants, URLs and keys together, checked on
// the record as it is about to be written (a patch may change any one of them).
AdminResult<Ok> check_application(const store::Application& app) {
  const auto method = app.token_endpoint_auth_method;
  const std::string type(store::to_string(app.type));
  if (is_public_type(app.type) && method != store::TokenEndpointAuthMethod::kNone) {
    return invalid("a " + type +
                   " application runs on its users' devices, where it cannot keep a secret or a "
                   "private key: its token endpoint auth method is none (the default for spa and "
                   "native), not " +
                   std::string(store::to_string(method)));
  }
  if (app.type == store::ApplicationType::kM2m && method == store::TokenEndpointAuthMethod::kNone) {
    return invalid(
        "a machine-to-machine application must authenticate itself: use auth method "
        "client_secret_basic_or_post (the default) or private_key_jwt, not none");
  }
  if (method == store::TokenEndpointAuthMethod::kNone) {
    for (const auto g : app.grant_types) {
      if (g == store::GrantType::kPassword || g == store::GrantType::kClientCredentials) {
        return invalid("a public application (auth method none) cannot use the " +
                       std::string(store::to_string(g)) +
                       " grant, as anyone can send its client_id: use authorization_code (with "
                       "PKCE) and refresh_token");
      }
    }
  }
  if (method == store::TokenEndpointAuthMethod::kPrivateKeyJwt &&
      app.jwks.empty() == app.jwks_uri.empty()) {
    return invalid(
        "a private_key_jwt application needs its public keys: give exactly one of jwks (a JWK "
        "Set; --jwks FILE) and jwks_uri (where the client publishes it; --jwks-uri URL)");
  }
  if (auto r = check_urls(app.callbacks, "callback"); !r) {
    return r;
  }
  if (auto r = check_urls(app.allowed_logout_urls, "allowed logout URL"); !r) {
    return r;
  }
  for (const auto& origin : app.web_origins) {
    if (auto r = check_web_origin(origin); !r) {
      return invalid(r.error());
    }
  }
  if (!app.jwks.empty()) {
    if (auto r = check_jwks(app.jwks); !r) {
      return invalid(r.error());
    }
  }
  if (!app.jwks_uri.empty()) {
    if (auto r = check_jwks_uri(app.jwks_uri); !r) {
      return invalid(r.error());
    }
  }
  return Ok{};
}

// Keys given for a client that will not use them are most likely a forgotten --auth-method.
AdminResult<Ok> check_keys_are_used(const store::Application& app) {
  if (app.token_endpoint_auth_method != store::TokenEndpointAuthMethod::kPrivateKeyJwt) {
    return invalid(
        "jwks and jwks_uri are used only by private_key_jwt: also set the auth method "
        "private_key_jwt (--auth-method private_key_jwt)");
  }
  return Ok{};
}

std::string new_user_id() {
  std::array<std::uint8_t, kUserIdRandomBytes> bytes{};
  jose::random_bytes(bytes);
  return std::string(kUserIdPrefix) + jose::to_hex(bytes);
}

// Runs `make`, which may throw only when the machine fails (no randomness, no memory for
// argon2id), and turns that into an error: nothing in this interface throws.
template <typename F>
auto guarded(const std::string& doing, F make) -> AdminResult<decltype(make())> {
  try {
    return make();
  } catch (const std::exception& e) {
    return fail(AdminError{AdminErrorCode::kInternal,
                           "cannot " + doing + ": " + e.what() + "; nothing was changed"});
  }
}

struct SecretAndHash {
  std::string secret;
  std::string hash;
};

// --- keys

AdminError key_failure(const std::string& doing, const keys::KeyError& e) {
  const std::string what = "cannot " + doing + ": ";
  switch (e.code) {
    case keys::KeyErrorCode::kNotPrevious:
      return AdminError::invalid(what + e.message);
    case keys::KeyErrorCode::kNoSigningKey:
      return AdminError::not_found(what + e.message);
    case keys::KeyErrorCode::kStore:
      return {AdminErrorCode::kUnavailable, what + e.message + "; nothing was changed, try again"};
    default:
      break;
  }
  // The master key does not open the keys, or the crypto library failed: not the input's fault.
  return {AdminErrorCode::kInternal,
          what + std::string(keys::to_string(e.code)) + ": " + e.message + "; nothing was changed"};
}

// The private half never leaves the store through this interface, not even encrypted.
store::SigningKey public_part(store::SigningKey key) {
  key.encrypted_private_key.clear();
  return key;
}

// --- logs

}  // namespace

AdminService::AdminService(store::Store& store, keys::KeyManager& keys,
                           server::SecretHasher secrets, const server::PasswordHasher& passwords,
                           Clock clock, std::optional<std::string> protected_api)
    : store_(store),
      keys_(keys),
      secrets_(std::move(secrets)),
      passwords_(passwords),
      clock_(std::move(clock)),
      protected_api_(std::move(protected_api)) {}

bool AdminService::is_protected(std::string_view identifier) const {
  return protected_api_ && *protected_api_ == identifier;
}

AdminResult<store::Api> AdminService::read_api(std::string_view identifier) {
  const std::string id(identifier);
  return found(store_.get_api(identifier), "no API with identifier " + id, "read API " + id);
}

AdminResult<store::Application> AdminService::read_application(std::string_view client_id) {
  const std::string id(client_id);
  return found(store_.get_application(client_id), "no application with client_id " + id,
               "read application " + id);
}

AdminResult<store::ClientGrant> AdminService::read_grant(std::int64_t id) {
  const std::string text = std::to_string(id);
  return found(store_.get_client_grant(id), "no client grant with id " + text,
               "read client grant " + text);
}

AdminResult<store::User> AdminService::read_user(std::string_view id) {
  const std::string text(id);
  return found(store_.get_user(id), "no user with id " + text, "read user " + text);
}

AdminResult<std::optional<std::string>> AdminService::email_owner(std::string_view email) {
  auto user = store_.find_user_by_email(email);
  if (!user) {
    if (user.error().code == StoreErrorCode::kNotFound) {
      return std::optional<std::string>{};
    }
    return store_failure("look up the email " + std::string(email), user.error());
  }
  return std::optional<std::string>{user->id};
}

AdminResult<std::int64_t> AdminService::count_grants(std::optional<std::string_view> client_id,
                                                     std::optional<std::string_view> audience) {
  auto page = store_.page_client_grants(store::PageRequest{0, 1}, client_id, audience);
  if (!page) {
    return store_failure("count client grants", page.error());
  }
  return page->total;
}

// --- APIs

AdminResult<Page<store::Api>> AdminService::list_apis(const PageRequest& page) {
  auto request = to_store_page(page);
  if (!request) {
    return fail(request.error());
  }
  auto apis = store_.page_apis(*request);
  if (!apis) {
    return store_failure("list APIs", apis.error());
  }
  return to_page(std::move(apis).value(), *request);
}

AdminResult<store::Api> AdminService::get_api(std::string_view identifier) {
  return read_api(identifier);
}

AdminResult<store::Api> AdminService::create_api(const ApiDraft& draft) {
  store::Api api;
  api.identifier = draft.identifier;
  api.name = draft.name;
  api.signing_algorithm = draft.signing_algorithm.value_or(api.signing_algorithm);
  api.token_lifetime = draft.token_lifetime.value_or(api.token_lifetime);
  api.allow_offline_access = draft.allow_offline_access.value_or(api.allow_offline_access);
  api.token_profile = draft.token_profile.value_or(api.token_profile);
  api.permissions_claim = draft.permissions_claim.value_or(api.permissions_claim);
  api.require_dpop = draft.require_dpop.value_or(api.require_dpop);
  api.permissions = draft.permissions;
  if (auto r = check_token_lifetime(api.token_lifetime); !r) {
    return fail(r.error());
  }
  if (auto r = check_permission_names(api.permissions); !r) {
    return fail(r.error());
  }
  api.created_at = clock_();
  auto created = store_.create_api(api);
  if (!created) {
    return store_failure("create API " + api.identifier, created.error());
  }
  return std::move(created).value();
}

AdminResult<store::Api> AdminService::update_api(std::string_view identifier, const ApiPatch& patch,
                                                 std::optional<store::Revision> if_revision) {
  const std::string id(identifier);
  if (patch.empty()) {
    return invalid("nothing to update for API " + id +
                   ": give a new name, signing algorithm, token lifetime, offline access, token "
                   "profile, permissions claim, DPoP requirement or permissions");
  }
  // Checked once, before anything is read: they do not depend on the stored record.
  if (patch.token_lifetime) {
    if (auto r = check_token_lifetime(*patch.token_lifetime); !r) {
      return fail(r.error());
    }
  }
  if (patch.permissions) {
    if (auto r = check_permission_names(*patch.permissions); !r) {
      return fail(r.error());
    }
  }
  if (auto r = check_permission_names(patch.add_permissions); !r) {
    return fail(r.error());
  }
  const auto apply = [&](store::Api& api) -> AdminResult<Ok> {
    const store::Api before = api;
    // The same application of a patch as RemoteAdmin's (auth0_json.h), so the two cannot drift.
    if (auto applied = apply_api_patch(patch, api); !applied) {
      return applied;
    }
    // Its name and permissions are what the console and every admin token rely on; its other
    // settings (lifetime, algorithm) are the operator's to tune.
    if (is_protected(api.identifier) &&
        (api.name != before.name || api.permissions != before.permissions)) {
      return fail(AdminError{
          AdminErrorCode::kForbidden,
          "API " + api.identifier +
              " is the Management API, which every admin token is issued for: its name and "
              "permissions cannot be changed (its token lifetime and other settings can)"});
    }
    // Requiring DPoP of every Management API token would refuse the console's sign-in and
    // `signet --server`, which present bearer tokens: the tenant could no longer be administered
    // except from its own machine. Each admin application can require it for itself.
    if (is_protected(api.identifier) && api.require_dpop && !before.require_dpop) {
      return fail(AdminError{
          AdminErrorCode::kForbidden,
          "API " + api.identifier +
              " is the Management API: requiring DPoP of all its tokens would lock out the "
              "console and 'signet --server', which send bearer tokens; require it of each "
              "machine-to-machine application instead ('signet clients update ID "
              "--require-dpop', or dpop_bound_access_tokens in the Management API)"});
    }
    return Ok{};
  };
  return apply_patch<store::Api>(
      "update API " + id, "API " + id, if_revision, [&] { return read_api(id); }, apply,
      [&](const store::Api& api, store::Revision revision) {
        return store_.update_api(api, revision);
      });
}

AdminResult<DeletedApi> AdminService::delete_api(std::string_view identifier) {
  auto api = read_api(identifier);
  if (!api) {
    return fail(api.error());
  }
  if (is_protected(api->identifier)) {
    return fail(AdminError{AdminErrorCode::kForbidden,
                           "API " + api->identifier +
                               " is the Management API, which every admin token is issued for: "
                               "it cannot be deleted"});
  }
  // Counted only to tell the operator what went with the API (the store cascades by itself).
  auto grants = count_grants(std::nullopt, api->identifier);
  if (!grants) {
    return fail(grants.error());
  }
  if (auto deleted = store_.delete_api(api->identifier); !deleted) {
    return store_failure("delete API " + api->identifier, deleted.error());
  }
  return DeletedApi{std::move(api).value(), *grants};
}

// --- applications

AdminResult<Page<store::Application>> AdminService::list_applications(const PageRequest& page) {
  auto request = to_store_page(page);
  if (!request) {
    return fail(request.error());
  }
  auto apps = store_.page_applications(*request);
  if (!apps) {
    return store_failure("list applications", apps.error());
  }
  auto out = to_page(std::move(apps).value(), *request);
  for (auto& app : out.items) {
    app.client_secret_hash.clear();
  }
  return out;
}

AdminResult<store::Application> AdminService::get_application(std::string_view client_id) {
  auto app = read_application(client_id);
  if (!app) {
    return fail(app.error());
  }
  app->client_secret_hash.clear();  // useless to an operator, helpful to an attacker
  return app;
}

AdminResult<ApplicationWithSecret> AdminService::create_application(const ApplicationDraft& draft) {
  store::Application app;
  app.name = draft.name;
  app.type = draft.type;
  app.grant_types = draft.grant_types.empty() ? default_grant_types(app.type) : draft.grant_types;
  app.token_endpoint_auth_method =
      draft.token_endpoint_auth_method.value_or(default_auth_method(app.type));
  app.callbacks = draft.callbacks;
  app.allowed_logout_urls = draft.allowed_logout_urls;
  app.web_origins = draft.web_origins;
  app.jwks = draft.jwks;
  app.jwks_uri = draft.jwks_uri;
  app.dpop_bound_access_tokens = draft.dpop_bound_access_tokens;
  if (auto r = check_grant_types(app.grant_types); !r) {
    return fail(r.error());
  }
  if (!app.jwks.empty() || !app.jwks_uri.empty()) {
    if (auto r = check_keys_are_used(app); !r) {
      return fail(r.error());
    }
  }
  if (auto r = check_application(app); !r) {
    return fail(r.error());
  }
  // A chosen client_id travels in Basic credentials, form bodies and the `sub` of tokens
  // ("<client_id>@clients"): one word of printable ASCII, as a scope is.
  if (draft.client_id && !store::is_scope_token(*draft.client_id)) {
    return invalid("client_id '" + *draft.client_id +
                   "' must be printable ASCII without spaces, quotes or backslashes");
  }
  const bool secret = uses_secret(app.token_endpoint_auth_method);
  auto made = guarded("create application " + app.name, [&] {
    SecretAndHash out;
    if (secret) {
      out.secret = server::generate_secret();
      out.hash = secrets_.hash(out.secret);
    }
    std::string id = draft.client_id ? *draft.client_id : server::generate_client_id();
    return std::make_pair(std::move(id), std::move(out));
  });
  if (!made) {
    return fail(made.error());
  }
  app.client_id = made->first;
  app.client_secret_hash = made->second.hash;
  app.created_at = clock_();
  auto created = store_.create_application(app);
  if (!created) {
    return store_failure("create application " + app.name, created.error());
  }
  created->client_secret_hash.clear();
  return ApplicationWithSecret{std::move(created).value(), std::move(made->second.secret)};
}

AdminResult<store::Application> AdminService::update_application(
    std::string_view client_id, const ApplicationPatch& patch,
    std::optional<store::Revision> if_revision) {
  const std::string id(client_id);
  if (patch.empty()) {
    return invalid("nothing to update for application " + id +
                   ": give a new name, type, grant types, token endpoint auth method, "
                   "callbacks, allowed logout URLs, web origins, jwks, jwks_uri or DPoP-bound "
                   "access tokens");
  }
  if (patch.grant_types) {
    if (auto r = check_grant_types(*patch.grant_types); !r) {
      return fail(r.error());
    }
  }
  const bool sets_jwks = patch.jwks && !patch.jwks->empty();
  const bool sets_jwks_uri = patch.jwks_uri && !patch.jwks_uri->empty();
  if (sets_jwks && sets_jwks_uri) {
    return invalid(
        "give either jwks (--jwks FILE) or jwks_uri (--jwks-uri URL), not both: a "
        "client's keys come from one place");
  }
  auto updated = apply_patch<store::Application>(
      "update application " + id, "application " + id, if_revision,
      [&] { return read_application(id); },
      [&](store::Application& app) -> AdminResult<Ok> {
        const auto before = app.token_endpoint_auth_method;
        app.name = patch.name.value_or(app.name);
        app.type = patch.type.value_or(app.type);
        app.grant_types = patch.grant_types.value_or(app.grant_types);
        app.token_endpoint_auth_method =
            patch.token_endpoint_auth_method.value_or(app.token_endpoint_auth_method);
        app.callbacks = patch.callbacks.value_or(app.callbacks);
        app.allowed_logout_urls = patch.allowed_logout_urls.value_or(app.allowed_logout_urls);
        app.web_origins = patch.web_origins.value_or(app.web_origins);
        app.dpop_bound_access_tokens =
            patch.dpop_bound_access_tokens.value_or(app.dpop_bound_access_tokens);
        if (patch.jwks) {
          app.jwks = *patch.jwks;
          if (sets_jwks) {
            app.jwks_uri.clear();
          }
        }
        if (patch.jwks_uri) {
          app.jwks_uri = *patch.jwks_uri;
          if (sets_jwks_uri) {
            app.jwks.clear();
          }
        }
        const auto method = app.token_endpoint_auth_method;
        // A client that stops using its secret loses it: a secret nobody uses is only a risk.
        if (method != before && !uses_secret(method)) {
          app.client_secret_hash.clear();
        }
        if (uses_secret(method) && app.client_secret_hash.empty()) {
          return invalid("application " + id + " has no client secret (its auth method was " +
                         std::string(store::to_string(before)) +
                         "): make one first with signet clients rotate-secret " + id +
                         " (POST clients/" + id + "/rotate-secret), then set the auth method " +
                         std::string(store::to_string(method)) + " again");
        }
        if (sets_jwks || sets_jwks_uri) {
          if (auto r = check_keys_are_used(app); !r) {
            return r;
          }
        }
        return check_application(app);
      },
      [&](const store::Application& app, store::Revision revision) {
        return store_.update_application(app, revision);
      });
  if (updated) {
    updated->client_secret_hash.clear();
  }
  return updated;
}

AdminResult<ApplicationWithSecret> AdminService::rotate_secret(std::string_view client_id) {
  const std::string id(client_id);
  // Made once: a retry after a lost race stores the same secret it will return.
  auto made = guarded("rotate the secret of application " + id, [&] {
    SecretAndHash out;
    out.secret = server::generate_secret();
    out.hash = secrets_.hash(out.secret);
    return out;
  });
  if (!made) {
    return fail(made.error());
  }
  // A client on none or private_key_jwt may get a secret too: it is how it switches back to a
  // secret method (the secret is refused until then).
  auto updated = apply_patch<store::Application>(
      "rotate the secret of application " + id, "application " + id, std::nullopt,
      [&] { return read_application(id); },
      [&](store::Application& app) -> AdminResult<Ok> {
        if (is_public_type(app.type)) {
          return invalid("application " + id + " is a " + std::string(store::to_string(app.type)) +
                         " application: it is public and cannot keep a secret, so it has none");
        }
        app.client_secret_hash = made->hash;
        return Ok{};
      },
      [&](const store::Application& app, store::Revision revision) {
        return store_.update_application(app, revision);
      });
  if (!updated) {
    return fail(updated.error());
  }
  updated->client_secret_hash.clear();
  return ApplicationWithSecret{std::move(updated).value(), std::move(made->secret)};
}

AdminResult<DeletedApplication> AdminService::delete_application(std::string_view client_id) {
  auto app = read_application(client_id);
  if (!app) {
    return fail(app.error());
  }
  // Counted only to tell the operator what went with the application (the store cascades).
  auto grants = count_grants(app->client_id, std::nullopt);
  if (!grants) {
    return fail(grants.error());
  }
  if (auto deleted = store_.delete_application(app->client_id); !deleted) {
    return store_failure("delete application " + app->client_id, deleted.error());
  }
  app->client_secret_hash.clear();
  return DeletedApplication{std::move(app).value(), *grants};
}

// --- client grants

AdminResult<Page<store::ClientGrant>> AdminService::list_client_grants(
    const PageRequest& page, const ClientGrantFilter& filter) {
  auto request = to_store_page(page);
  if (!request) {
    return fail(request.error());
  }
  if (filter.client_id) {
    if (auto app = read_application(*filter.client_id); !app) {
      return fail(app.error());
    }
  }
  if (filter.audience) {
    if (auto api = read_api(*filter.audience); !api) {
      return fail(api.error());
    }
  }
  auto grants = store_.page_client_grants(*request, filter.client_id, filter.audience);
  if (!grants) {
    return store_failure("list client grants", grants.error());
  }
  return to_page(std::move(grants).value(), *request);
}

AdminResult<store::ClientGrant> AdminService::get_client_grant(std::int64_t id) {
  return read_grant(id);
}

namespace {

// Checked here as well as in the store, to name the missing permission and what to do.
AdminResult<Ok> check_scopes(const store::Api& api, const std::vector<std::string>& scopes) {
  for (const auto& scope : scopes) {
    if (!has_permission(api, scope)) {
      return invalid("scope " + scope + " is not a permission of API " + api.identifier +
                     ": add it to the API's permissions first");
    }
  }
  return Ok{};
}

}  // namespace

AdminResult<store::ClientGrant> AdminService::create_client_grant(
    std::string_view client_id, std::string_view audience, const std::vector<std::string>& scopes) {
  auto app = read_application(client_id);
  if (!app) {
    return fail(app.error());
  }
  auto api = read_api(audience);
  if (!api) {
    return fail(api.error());
  }
  if (auto r = check_scopes(*api, scopes); !r) {
    return fail(r.error());
  }
  auto existing = store_.find_client_grant(app->client_id, api->identifier);
  if (!existing && existing.error().code != StoreErrorCode::kNotFound) {
    return store_failure("read the grants of application " + app->client_id, existing.error());
  }
  if (existing) {
    return conflict("application " + app->client_id + " already has a grant for API " +
                    api->identifier + ": it is grant " + std::to_string(existing->id) +
                    "; change that grant's scopes instead");
  }
  store::ClientGrant grant;
  grant.client_id = app->client_id;
  grant.audience = api->identifier;
  grant.scopes = scopes;
  grant.created_at = clock_();
  auto created = store_.create_client_grant(grant);
  if (!created) {
    return store_failure(
        "create a client grant for application " + app->client_id + " and API " + api->identifier,
        created.error());
  }
  return std::move(created).value();
}

AdminResult<store::ClientGrant> AdminService::update_client_grant(
    std::int64_t id, const std::vector<std::string>& scopes,
    std::optional<store::Revision> if_revision) {
  const std::string doing = "update client grant " + std::to_string(id);
  auto grant = read_grant(id);
  if (!grant) {
    return fail(grant.error());
  }
  if (if_revision && grant->revision != *if_revision) {
    return store_failure(
        doing, store::StoreError{StoreErrorCode::kStale,
                                 "client grant " + std::to_string(id) + " is at revision " +
                                     std::to_string(grant->revision) + ", not " +
                                     std::to_string(*if_revision)});
  }
  auto api = read_api(grant->audience);
  if (!api) {
    return fail(api.error());
  }
  if (auto r = check_scopes(*api, scopes); !r) {
    return fail(r.error());
  }
  // The scopes replace the grant's whole list, so there is nothing to re-apply after a race:
  // without if_revision the last write wins, as the caller asked.
  auto updated = store_.update_client_grant_scopes(id, scopes, if_revision);
  if (!updated) {
    return store_failure(doing, updated.error());
  }
  return std::move(updated).value();
}

AdminResult<store::ClientGrant> AdminService::delete_client_grant(std::int64_t id) {
  auto grant = read_grant(id);
  if (!grant) {
    return fail(grant.error());
  }
  if (auto deleted = store_.delete_client_grant(id); !deleted) {
    return store_failure("delete client grant " + std::to_string(id), deleted.error());
  }
  return grant;
}

// --- users

AdminResult<Page<store::User>> AdminService::list_users(const PageRequest& page,
                                                        std::optional<std::string_view> search) {
  auto request = to_store_page(page);
  if (!request) {
    return fail(request.error());
  }
  auto users = store_.page_users(*request, search);
  if (!users) {
    return store_failure("list users", users.error());
  }
  auto out = to_page(std::move(users).value(), *request);
  for (auto& u : out.items) {
    u.password_hash.clear();
  }
  return out;
}

namespace {

// A password hash lets anyone who sees it guess passwords offline: it stays in the store.
store::User without_hash(store::User user) {
  user.password_hash.clear();
  return user;
}

}  // namespace

AdminResult<store::User> AdminService::get_user(std::string_view id) {
  auto user = read_user(id);
  if (!user) {
    return fail(user.error());
  }
  return without_hash(std::move(user).value());
}

AdminResult<store::User> AdminService::find_user(std::string_view id_or_email) {
  auto user = store_.get_user(id_or_email);
  if (!user && user.error().code == StoreErrorCode::kNotFound) {
    user = store_.find_user_by_email(id_or_email);
  }
  if (!user) {
    if (user.error().code == StoreErrorCode::kNotFound) {
      return not_found("no user with id or email " + std::string(id_or_email));
    }
    return store_failure("read user " + std::string(id_or_email), user.error());
  }
  return without_hash(std::move(user).value());
}

AdminResult<store::User> AdminService::create_user(const UserDraft& draft) {
  if (auto r = check_email(draft.email); !r) {
    return fail(r.error());
  }
  if (auto r = check_password(draft.password); !r) {
    return fail(r.error());
  }
  auto id = draft.id ? AdminResult<std::string>(*draft.id)
                     : guarded("create user " + draft.email, [] { return new_user_id(); });
  if (!id) {
    return fail(id.error());
  }
  // Checked before the password is hashed (argon2id is slow on purpose), to name the clash.
  auto same_id = store_.get_user(*id);
  if (!same_id && same_id.error().code != StoreErrorCode::kNotFound) {
    return store_failure("read user " + *id, same_id.error());
  }
  if (same_id) {
    return conflict("a user with id " + *id + " already exists");
  }
  if (auto taken = email_owner(draft.email); !taken) {
    return fail(taken.error());
  } else if (*taken) {
    return conflict("a user with email " + draft.email + " already exists (" + **taken + ")");
  }
  auto hash =
      guarded("hash the password of user " + *id, [&] { return passwords_.hash(draft.password); });
  if (!hash) {
    return fail(hash.error());
  }
  store::User user;
  user.id = *id;
  user.email = draft.email;
  user.password_hash = std::move(hash).value();
  user.created_at = clock_();
  auto created = store_.create_user(user);
  if (!created) {
    return store_failure("create user " + user.id, created.error());
  }
  return without_hash(std::move(created).value());
}

AdminResult<UpdatedUser> AdminService::update_user(std::string_view id, const UserPatch& patch,
                                                   std::optional<store::Revision> if_revision) {
  const std::string uid(id);
  if (patch.empty()) {
    return invalid("nothing to update for user " + uid +
                   ": give a new email, password or blocked state");
  }
  if (patch.email) {
    if (auto r = check_email(*patch.email); !r) {
      return fail(r.error());
    }
  }
  if (patch.password) {
    if (auto r = check_password(*patch.password); !r) {
      return fail(r.error());
    }
  }
  // The user must exist before a clash is named or the slow hash is paid for.
  if (auto user = read_user(uid); !user) {
    return fail(user.error());
  }
  if (patch.email) {
    if (auto taken = email_owner(*patch.email); !taken) {
      return fail(taken.error());
    } else if (*taken && **taken != uid) {
      return conflict("a user with email " + *patch.email + " already exists (" + **taken + ")");
    }
  }
  std::optional<std::string> hash;
  if (patch.password) {
    // Hashed once: the hash does not depend on the record, and argon2id is slow on purpose.
    auto hashed = guarded("hash the password of user " + uid,
                          [&] { return passwords_.hash(*patch.password); });
    if (!hashed) {
      return fail(hashed.error());
    }
    hash = std::move(hashed).value();
  }
  auto updated = apply_patch<store::User>(
      "update user " + uid, "user " + uid, if_revision, [&] { return read_user(uid); },
      [&](store::User& user) -> AdminResult<Ok> {
        user.email = patch.email.value_or(user.email);
        user.password_hash = hash.value_or(user.password_hash);
        user.blocked = patch.blocked.value_or(user.blocked);
        return Ok{};
      },
      [&](const store::User& user, store::Revision revision) {
        return store_.update_user(user, revision);
      });
  if (!updated) {
    return fail(updated.error());
  }
  UpdatedUser out{without_hash(std::move(updated).value()), 0};
  if (patch.password) {
    // A reset often follows a compromise: whoever signed in with the old password must not keep
    // a session for the refresh token's 30 days. There is deliberately no way to keep them.
    auto revoked = store_.revoke_user_refresh_tokens(uid);
    auto signed_out = revoked ? store_.delete_user_browser_sessions(uid) : revoked;
    if (!signed_out) {
      AdminError e = from_store("end the sessions of user " + uid, signed_out.error());
      e.message += " (the new password is set; revoke the user's sessions to end them)";
      return fail(std::move(e));
    }
    out.sessions_ended = *revoked;  // browser sessions end too, uncounted
  }
  return out;
}

AdminResult<store::User> AdminService::delete_user(std::string_view id) {
  auto user = read_user(id);
  if (!user) {
    return fail(user.error());
  }
  if (auto deleted = store_.delete_user(user->id); !deleted) {
    return store_failure("delete user " + user->id, deleted.error());
  }
  return without_hash(std::move(user).value());
}

AdminResult<std::int64_t> AdminService::revoke_sessions(std::string_view id) {
  auto user = read_user(id);
  if (!user) {
    return fail(user.error());
  }
  auto revoked = store_.revoke_user_refresh_tokens(user->id);
  if (!revoked) {
    return store_failure("revoke the refresh tokens of user " + user->id, revoked.error());
  }
  // And the browser's sign-in sessions, so the login page asks for the password again.
  auto signed_out = store_.delete_user_browser_sessions(user->id);
  if (!signed_out) {
    return store_failure("end the browser sessions of user " + user->id, signed_out.error());
  }
  return *revoked;
}

// The login throttle (signet/server/login_throttle.cc) counts a known user's wrong passwords
// under the user id only: per address group, and account-wide under kAnyAddress. Names that are
// no user are counted in the server's memory (failure_counters.h), never in the store, so there
// is no counter under an email to read or clear here.
AdminResult<UserLockouts> AdminService::user_lockouts(std::string_view id) {
  auto user = read_user(id);
  if (!user) {
    return fail(user.error());
  }
  auto counters = store_.list_failed_logins(store::FailedLoginSubject::kUser, user->id);
  if (!counters) {
    return store_failure("list the failed logins of user " + user->id, counters.error());
  }
  UserLockouts out;
  out.counters = std::move(counters).value();
  const store::Timestamp now = clock_();
  out.blocked_now = std::any_of(out.counters.begin(), out.counters.end(),
                                [&](const auto& c) { return c.counter.blocked_at(now); });
  return out;
}

AdminResult<std::int64_t> AdminService::clear_user_lockouts(std::string_view id) {
  auto user = read_user(id);
  if (!user) {
    return fail(user.error());
  }
  auto cleared = store_.reset_all_failed_logins(store::FailedLoginSubject::kUser, user->id);
  if (!cleared) {
    return store_failure("clear the failed logins of user " + user->id, cleared.error());
  }
  return *cleared;
}

AdminResult<std::vector<store::UserPermission>> AdminService::list_user_permissions(
    std::string_view id, std::optional<std::string_view> api) {
  auto user = read_user(id);
  if (!user) {
    return fail(user.error());
  }
  if (api) {
    if (auto found = read_api(*api); !found) {
      return fail(found.error());
    }
  }
  auto permissions = store_.list_user_permissions(user->id, api);
  if (!permissions) {
    return store_failure("list the permissions of user " + user->id, permissions.error());
  }
  return std::move(permissions).value();
}

AdminResult<Ok> AdminService::add_user_permissions(std::string_view id, std::string_view api,
                                                   const std::vector<std::string>& permissions) {
  if (permissions.empty()) {
    return invalid("give at least one permission to add to user " + std::string(id));
  }
  auto user = read_user(id);
  if (!user) {
    return fail(user.error());
  }
  auto found = read_api(api);
  if (!found) {
    return fail(found.error());
  }
  for (const auto& value : permissions) {
    if (!has_permission(*found, value)) {
      return invalid("permission " + value + " is not defined by API " + found->identifier +
                     ": add it to the API's permissions first");
    }
  }
  if (auto added = store_.add_user_permissions(user->id, found->identifier, permissions); !added) {
    return store_failure("add permissions to user " + user->id, added.error());
  }
  return Ok{};
}

AdminResult<Ok> AdminService::remove_user_permissions(std::string_view id, std::string_view api,
                                                      const std::vector<std::string>& permissions) {
  if (permissions.empty()) {
    return invalid("give at least one permission to remove from user " + std::string(id));
  }
  auto user = read_user(id);
  if (!user) {
    return fail(user.error());
  }
  auto found = read_api(api);
  if (!found) {
    return fail(found.error());
  }
  // Ones the user lacks are ignored, so a script can run this again.
  auto removed = store_.remove_user_permissions(user->id, found->identifier, permissions);
  if (!removed) {
    return store_failure("remove permissions from user " + user->id, removed.error());
  }
  return Ok{};
}

// --- signing keys

AdminResult<std::vector<store::SigningKey>> AdminService::list_signing_keys() {
  auto keys = store_.list_signing_keys();
  if (!keys) {
    return store_failure("list signing keys", keys.error());
  }
  std::vector<store::SigningKey> out;
  out.reserve(keys->size());
  for (auto& k : *keys) {
    out.push_back(public_part(std::move(k)));
  }
  return out;
}

AdminResult<store::SigningKey> AdminService::get_signing_key(std::string_view kid) {
  auto key = store_.get_signing_key(kid);
  if (!key) {
    if (key.error().code == StoreErrorCode::kNotFound) {
      return not_found("no signing key with kid " + std::string(kid));
    }
    return store_failure("read signing key " + std::string(kid), key.error());
  }
  return public_part(std::move(key).value());
}

AdminResult<RotatedKeys> AdminService::rotate_signing_keys(jose::Algorithm algorithm) {
  const std::string alg(jose::to_string(algorithm));
  auto rotated = keys_.rotate(algorithm, clock_());
  if (!rotated) {
    if (rotated.error().code == keys::KeyErrorCode::kNoSigningKey) {
      return not_found("there are no " + alg + " signing keys to rotate yet: signet serve " +
                       "creates them for every algorithm an API signs with");
    }
    return fail(key_failure("rotate the " + alg + " signing keys", rotated.error()));
  }
  return RotatedKeys{algorithm, std::move(rotated).value()};
}

AdminResult<store::SigningKey> AdminService::revoke_signing_key(std::string_view kid) {
  // Looked up first only to say precisely why a revoke is refused; the store checks the state
  // again inside its own transaction.
  auto key = get_signing_key(kid);
  if (!key) {
    return fail(key.error());
  }
  const std::string alg(jose::to_string(key->algorithm));
  switch (key->state) {
    case store::SigningKeyState::kPrevious:
      break;
    case store::SigningKeyState::kRevoked:
      return invalid("signing key " + key->kid + " is already revoked");
    case store::SigningKeyState::kCurrent:
    case store::SigningKeyState::kNext:
      return invalid("signing key " + key->kid + " is " +
                     std::string(store::to_string(key->state)) +
                     ": only a previous key can be revoked; rotate the " + alg +
                     " keys first, until this one is previous");
  }
  if (auto revoked = keys_.revoke(key->kid, clock_()); !revoked) {
    return fail(key_failure("revoke signing key " + key->kid, revoked.error()));
  }
  return get_signing_key(key->kid);
}

// --- logs

namespace {

// The store's filter for `filter`, or kInvalid for a type signet never records (a typo would
// otherwise list nothing and look like a quiet log).
AdminResult<store::EventFilter> event_filter(const LogFilter& filter) {
  if (filter.type) {
    const auto types = server::event_types();
    if (std::find(types.begin(), types.end(), *filter.type) == types.end()) {
      std::string known;
      for (const auto t : types) {
        known += known.empty() ? "" : ", ";
        known += t;
      }
      return invalid("unknown log type '" + *filter.type + "': use one of " + known);
    }
  }
  return store::EventFilter{filter.type, filter.client_id, filter.user_id, filter.since};
}

}  // namespace

AdminResult<Page<LogEvent>> AdminService::list_logs(const PageRequest& page,
                                                    const LogFilter& filter) {
  auto request = to_store_page(page);
  if (!request) {
    return fail(request.error());
  }
  auto events = event_filter(filter);
  if (!events) {
    return fail(events.error());
  }
  auto listed = store_.page_events(*events, *request);
  if (!listed) {
    return store_failure("read the event log", listed.error());
  }
  Page<LogEvent> out;
  out.items = std::move(listed->items);
  out.total = listed->total;
  out.start = request->offset;
  out.limit = request->limit;
  return out;
}

AdminResult<std::vector<LogEvent>> AdminService::logs_after(std::int64_t from, std::int64_t take,
                                                            const LogFilter& filter) {
  if (from < 0) {
    return invalid("from must be a log_id (a non-negative integer), got " + std::to_string(from));
  }
  if (take < 1 || take > kMaxLogsTaken) {
    return invalid("take must be between 1 and " + std::to_string(kMaxLogsTaken) + ", got " +
                   std::to_string(take));
  }
  auto events = event_filter(filter);
  if (!events) {
    return fail(events.error());
  }
  auto after = store_.events_after(from, *events, take);
  if (!after) {
    return store_failure("read the event log", after.error());
  }
  return std::move(*after);
}

}  // namespace signet::admin
