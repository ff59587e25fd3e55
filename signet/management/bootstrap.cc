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
  const std::size_t slash =
      issuer.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
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
                       std::string(verb == "read" ? "Read" : verb == "create" ? "Create"
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

Result<Ok, std::string> ensure_console_client(store::Store& store, store::Timestamp now) {
  auto existing = store.get_application(kConsoleClientId);
  if (existing) {
    return Ok{};
  }
  if (existing.error().code != store::StoreErrorCode::kNotFound) {
    return fail(describe("read the console's application", existing.error()));
  }
  store::Application app;
  app.client_id = std::string(kConsoleClientId);
  app.name = "signet console";
  app.type = store::ApplicationType::kSpa;
  // The password grant until the sign-in work brings /authorize; a public client, since a page
  // in a browser cannot keep a secret.
  app.grant_types = {store::GrantType::kPassword};
  app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  app.created_at = now;
  auto created = store.create_application(app);
  if (!created && created.error().code != store::StoreErrorCode::kConflict) {
    return fail(describe("create the console's application", created.error()));
  }
  return Ok{};
}

}  // namespace

Result<Ok, std::string> ensure_management_api(store::Store& store, std::string_view issuer,
                                              store::Timestamp now) {
  if (auto api = ensure_api(store, management_audience(issuer), now); !api) {
    return api;
  }
  return ensure_console_client(store, now);
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
  if (auto added = store.add_user_permissions(user_id, management_audience(issuer), all);
      !added) {
    return fail(describe("give the user the Management API's permissions", added.error()));
  }
  return Ok{};
}

}  // namespace signet::management
