#include <algorithm>

#include "signet/http/url.h"
#include "signet/management/management_api.h"

namespace signet::management {

std::string management_audience(std::string_view issuer) {
  return std::string(issuer) + "api/v2/";
}

std::string management_base_path(std::string_view issuer) {
  // The issuer was checked at start-up (an http(s) URL ending in '/'); its path is what follows
  // the authority.
  const std::size_t scheme = issuer.find("://");
  const std::size_t slash = issuer.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  const std::string_view path = slash == std::string_view::npos ? "/" : issuer.substr(slash);
  return std::string(path) + "api/v2/";
}

const std::vector<store::Permission>& management_permissions() {
  static const std::vector<store::Permission> permissions = [] {
    std::vector<store::Permission> out;
    const std::pair<std::string_view, std::string_view> nouns[] = {
        {"clients", "applications"},
        {"resource_servers", "APIs"},
        {"client_grants", "client grants"},
        {"users", "users"},
    };
    for (const auto& [noun, words] : nouns) {
      for (const std::string_view verb : {"read", "create", "update", "delete"}) {
        out.push_back({std::string(verb) + ":" + std::string(noun),
                       std::string(verb == "read"     ? "Read"
                                   : verb == "create" ? "Create"
                                   : verb == "update" ? "Update"
                                                      : "Delete") +
                           " " + std::string(words)});
      }
    }
    out.push_back({"update:client_keys", "Rotate applications' secrets"});
    out.push_back({"delete:sessions", "End users' sessions (revoke their refresh tokens)"});
    out.push_back({"read:logs", "Read the log of sign-ins and failures"});
    out.push_back({"read:signing_keys", "Read the signing keys"});
    out.push_back({"create:signing_keys", "Rotate the signing keys"});
    out.push_back({"update:signing_keys", "Revoke signing keys"});
    return out;
  }();
  return permissions;
}

namespace {

std::string describe(std::string_view doing, const store::StoreError& e) {
  return "cannot " + std::string(doing) + ": " + std::string(store::to_string(e.code)) + ": " +
         e.message;
}

Result<Ok, std::string> ensure_api(store::Store& store, const std::string& audience,
                                   store::Timestamp now) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto existing = store.get_api(audience);
    if (!existing && existing.error().code != store::StoreErrorCode::kNotFound) {
      return fail(describe("read the Management API", existing.error()));
    }
    if (!existing) {
      store::Api api;
      api.identifier = audience;
      api.name = std::string(kManagementApiName);
      api.token_lifetime = kManagementTokenLifetime;
      api.permissions = management_permissions();
      api.created_at = now;
      auto created = store.create_api(api);
      if (created) {
        return Ok{};
      }
      if (created.error().code == store::StoreErrorCode::kConflict) {
        continue;  // another process created it first: check what it made
      }
      return fail(describe("create the Management API", created.error()));
    }
    // A newer signet may define more permissions: add them, keep the administrators' own.
    store::Api api = *existing;
    bool changed = false;
    for (const auto& p : management_permissions()) {
      if (std::none_of(api.permissions.begin(), api.permissions.end(),
                       [&](const auto& q) { return q.value == p.value; })) {
        api.permissions.push_back(p);
        changed = true;
      }
    }
    if (!changed) {
      return Ok{};
    }
    auto updated = store.update_api(api, existing->revision);
    if (updated) {
      return Ok{};
    }
    if (updated.error().code != store::StoreErrorCode::kStale) {
      return fail(describe("update the Management API", updated.error()));
    }
  }
  return fail(std::string("cannot set up the Management API: another process keeps changing it"));
}

// The origin a browser sends for pages under `issuer` (RFC 6454 §6.2: scheme, host and the port
// unless it is the scheme's default), e.g. "http://localhost:4000".
std::string web_origin(std::string_view issuer) {
  auto url = http::parse_url(issuer);
  if (!url) {
    return {};  // signet serve checked the issuer before; nothing to allow otherwise
  }
  const bool ipv6 = url->host.find(':') != std::string::npos;
  std::string origin = url->scheme + "://" + (ipv6 ? "[" + url->host + "]" : url->host);
  if (url->port != (url->tls() ? "443" : "80")) {
    origin += ":" + url->port;
  }
  return origin;
}

// The console's application as this signet wants it: a public client (a page in a browser cannot
// keep a secret) that signs in through /authorize with PKCE at {issuer}console/ and logs out back
// there; its page calls /oauth/token from the issuer's own origin.
void set_console_sign_in(store::Application& app, std::string_view issuer) {
  const std::string console_url = std::string(issuer) + "console/";
  app.type = store::ApplicationType::kSpa;
  app.grant_types = {store::GrantType::kAuthorizationCode, store::GrantType::kRefreshToken};
  app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  app.client_secret_hash.clear();
  app.callbacks = {console_url};
  app.allowed_logout_urls = {console_url};
  app.web_origins = {web_origin(issuer)};
  app.jwks.clear();
  app.jwks_uri.clear();
  app.dpop_bound_access_tokens = false;  // the console's page sends no DPoP proofs
}

Result<Ok, std::string> ensure_console_client(store::Store& store, std::string_view issuer,
                                              store::Timestamp now) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto existing = store.get_application(kConsoleClientId);
    if (!existing && existing.error().code != store::StoreErrorCode::kNotFound) {
      return fail(describe("read the console's application", existing.error()));
    }
    if (!existing) {
      store::Application app;
      app.client_id = std::string(kConsoleClientId);
      app.name = "signet console";
      set_console_sign_in(app, issuer);
      app.created_at = now;
      auto created = store.create_application(app);
      if (created) {
        return Ok{};
      }
      if (created.error().code == store::StoreErrorCode::kConflict) {
        continue;  // another process created it first: check what it made
      }
      return fail(describe("create the console's application", created.error()));
    }
    // A tenant from an older signet (the password grant), or one served before under another
    // issuer URL: the console signs in the way this signet and this issuer need.
    store::Application app = *existing;
    set_console_sign_in(app, issuer);
    if (app == *existing) {
      return Ok{};
    }
    auto updated = store.update_application(app, existing->revision);
    if (updated) {
      return Ok{};
    }
    if (updated.error().code != store::StoreErrorCode::kStale) {
      return fail(describe("update the console's application", updated.error()));
    }
  }
  return fail(
      std::string("cannot set up the console's application: another process keeps changing it"));
}

}  // namespace

Result<Ok, std::string> ensure_management_api(store::Store& store, std::string_view issuer,
                                              store::Timestamp now) {
  if (auto api = ensure_api(store, management_audience(issuer), now); !api) {
    return api;
  }
  return ensure_console_client(store, issuer, now);
}

Result<Ok, std::string> make_administrator(store::Store& store, std::string_view issuer,
                                           std::string_view user_id, store::Timestamp now) {
  if (auto ensured = ensure_management_api(store, issuer, now); !ensured) {
    return ensured;
  }
  std::vector<std::string> all;
  for (const auto& p : management_permissions()) {
    all.push_back(p.value);
  }
  if (auto added = store.add_user_permissions(user_id, management_audience(issuer), all); !added) {
    return fail(describe("give the user the Management API's permissions", added.error()));
  }
  return Ok{};
}

}  // namespace signet::management
