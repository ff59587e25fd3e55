#include "signet/store/validate.h"

#include <algorithm>
#include <set>
#include <utility>

#include "signet/jose/base64url.h"

namespace signet::store {
namespace {

Unexpected<StoreError> invalid(std::string message) {
  return fail(StoreError{StoreErrorCode::kInvalid, std::move(message)});
}

constexpr std::size_t kJktDigestBytes = 32;  // a thumbprint is a SHA-256 digest

// Empty (unbound), or a JWK SHA-256 thumbprint as base64url: anything else is a caller's mistake
// that would bind a token to a key no proof can ever match.
Result<Ok, StoreError> check_jkt(std::string_view what, std::string_view value) {
  if (value.empty()) {
    return Ok{};
  }
  // The decoder is strict, so each thumbprint has exactly one spelling to compare with.
  auto digest = jose::base64url_decode(value);
  if (value.size() != kJktLength || !digest || digest->size() != kJktDigestBytes) {
    return invalid(std::string{what} + " must be empty or a JWK SHA-256 thumbprint (" +
                   std::to_string(kJktLength) + " base64url characters)");
  }
  return Ok{};
}

Result<Ok, StoreError> check_text(std::string_view what, std::string_view value) {
  if (value.empty()) {
    return invalid(std::string{what} + " must not be empty");
  }
  if (value.size() > kMaxTextLength) {
    return invalid(std::string{what} + " must be at most " + std::to_string(kMaxTextLength) +
                   " bytes");
  }
  // PostgreSQL's text cannot hold one, and no name, URL or email has one: refused alike on
  // every backend rather than stored by one and refused by the other.
  if (value.find('\0') != std::string_view::npos) {
    return invalid(std::string{what} + " must not contain a NUL byte");
  }
  return Ok{};
}

Result<Ok, StoreError> check_blob(std::string_view what, std::string_view value, bool required) {
  if (required && value.empty()) {
    return invalid(std::string{what} + " must not be empty");
  }
  if (value.size() > kMaxBlobLength) {
    return invalid(std::string{what} + " must be at most " + std::to_string(kMaxBlobLength) +
                   " bytes");
  }
  return Ok{};
}

}  // namespace

bool is_scope_token(std::string_view s) {
  if (s.empty() || s.size() > kMaxTextLength) {
    return false;
  }
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == '"' || c == '\\') {
      return false;
    }
  }
  return true;
}

Result<Ok, StoreError> validate_key(std::string_view what, std::string_view value) {
  return check_text(what, value);
}

Result<Ok, StoreError> validate_page(const PageRequest& page) {
  if (page.offset < 0) {
    return invalid("page offset must not be negative (got " + std::to_string(page.offset) + ")");
  }
  if (page.limit < 0) {
    return invalid("page limit must not be negative (got " + std::to_string(page.limit) + ")");
  }
  return Ok{};
}

Result<Ok, StoreError> validate_limit(std::int64_t limit) {
  if (limit < 0) {
    return invalid("limit must not be negative (got " + std::to_string(limit) + ")");
  }
  return Ok{};
}

Result<Ok, StoreError> validate_search(std::string_view search) {
  // Longer text cannot match an email or id, and would only make every comparison slower.
  if (search.size() > kMaxTextLength) {
    return invalid("search text must be at most " + std::to_string(kMaxTextLength) + " bytes");
  }
  return Ok{};
}

Result<Ok, StoreError> validate_scopes(const std::vector<std::string>& scopes) {
  if (scopes.size() > kMaxScopes) {
    return invalid("at most " + std::to_string(kMaxScopes) + " scopes");
  }
  std::set<std::string_view> seen;
  for (const auto& s : scopes) {
    if (!is_scope_token(s)) {
      return invalid("scope '" + s +
                     "' must be printable ASCII without spaces, quotes or backslashes");
    }
    if (!seen.insert(s).second) {
      return invalid("scope '" + s + "' is repeated");
    }
  }
  return Ok{};
}

Result<Ok, StoreError> validate_api(const Api& api) {
  if (auto r = check_text("API identifier", api.identifier); !r) {
    return r;
  }
  if (auto r = check_text("API name", api.name); !r) {
    return r;
  }
  if (api.token_lifetime < std::chrono::seconds{1} || api.token_lifetime > kMaxTokenLifetime) {
    return invalid("token lifetime must be between 1 and " +
                   std::to_string(kMaxTokenLifetime.count()) + " seconds");
  }
  if (api.permissions.size() > kMaxScopes) {
    return invalid("an API has at most " + std::to_string(kMaxScopes) + " permissions");
  }
  std::set<std::string_view> seen;
  for (const auto& p : api.permissions) {
    if (!is_scope_token(p.value)) {
      return invalid("permission '" + p.value +
                     "' must be printable ASCII without spaces, quotes or backslashes");
    }
    if (p.description.size() > kMaxTextLength) {
      return invalid("permission description must be at most " + std::to_string(kMaxTextLength) +
                     " bytes");
    }
    if (!seen.insert(p.value).second) {
      return invalid("permission '" + p.value + "' is repeated");
    }
  }
  return Ok{};
}

Result<Ok, StoreError> validate_application(const Application& app) {
  if (auto r = check_text("client_id", app.client_id); !r) {
    return r;
  }
  if (auto r = check_text("application name", app.name); !r) {
    return r;
  }
  std::set<GrantType> seen;
  for (const auto g : app.grant_types) {
    if (!seen.insert(g).second) {
      return invalid("grant type '" + std::string{to_string(g)} + "' is repeated");
    }
  }
  // A confidential client without a secret hash could never authenticate, or worse, would match
  // an empty secret.
  const auto method = app.token_endpoint_auth_method;
  const bool needs_secret =
      method != TokenEndpointAuthMethod::kNone && method != TokenEndpointAuthMethod::kPrivateKeyJwt;
  if (auto r = check_blob("client secret hash", app.client_secret_hash, needs_secret); !r) {
    return r;
  }
  for (const auto& [what, urls] :
       {std::pair<std::string_view, const std::vector<std::string>*>{"callback", &app.callbacks},
        {"allowed logout URL", &app.allowed_logout_urls},
        {"web origin", &app.web_origins}}) {
    if (urls->size() > kMaxApplicationUrls) {
      return invalid("an application has at most " + std::to_string(kMaxApplicationUrls) + " " +
                     std::string{what} + "s");
    }
    std::set<std::string_view> seen;
    for (const auto& url : *urls) {
      if (auto r = check_text(what, url); !r) {
        return r;
      }
      if (std::any_of(url.begin(), url.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
        return invalid(std::string{what} + " must not contain control characters");
      }
      if (!seen.insert(url).second) {
        return invalid(std::string{what} + " '" + url + "' is repeated");
      }
    }
  }
  if (auto r = check_blob("JWKS", app.jwks, false); !r) {
    return r;
  }
  if (app.jwks_uri.size() > kMaxTextLength) {
    return invalid("jwks_uri must be at most " + std::to_string(kMaxTextLength) + " bytes");
  }
  if (method == TokenEndpointAuthMethod::kPrivateKeyJwt &&
      app.jwks.empty() == app.jwks_uri.empty()) {
    return invalid("a private_key_jwt client has exactly one of a JWKS and a jwks_uri");
  }
  return Ok{};
}

Result<Ok, StoreError> validate_authorization_code(const AuthorizationCode& code) {
  if (auto r = check_blob("code hash", code.code_hash, true); !r) {
    return r;
  }
  for (const auto& [what, value] :
       {std::pair<std::string_view, std::string_view>{"client_id", code.client_id},
        {"user id", code.user_id},
        {"redirect URI", code.redirect_uri},
        {"audience", code.audience},
        {"refresh family id", code.refresh_family_id}}) {
    if (auto r = check_text(what, value); !r) {
      return r;
    }
  }
  if (code.code_challenge.size() > kMaxTextLength || code.nonce.size() > kMaxTextLength) {
    return invalid("code challenge and nonce must be at most " + std::to_string(kMaxTextLength) +
                   " bytes");
  }
  // A code stored as used, or dead on arrival, could never be redeemed: a caller's mistake.
  if (code.used_at) {
    return invalid("a new authorization code must not be marked used");
  }
  if (code.expires_at <= code.created_at) {
    return invalid("an authorization code must expire after it is created");
  }
  if (auto r = check_jkt("an authorization code's dpop_jkt", code.dpop_jkt); !r) {
    return r;
  }
  return validate_scopes(code.scopes);
}

Result<Ok, StoreError> validate_browser_session(const BrowserSession& session) {
  if (auto r = check_blob("session id hash", session.id_hash, true); !r) {
    return r;
  }
  return check_text("user id", session.user_id);
}

Result<Ok, StoreError> validate_event(const Event& event) {
  if (auto r = check_text("event type", event.type); !r) {
    return r;
  }
  const std::pair<std::string_view, const std::string*> optional[] = {
      {"event description", &event.description},
      {"event client_id", &event.client_id},
      {"event user_id", &event.user_id},
      {"event audience", &event.audience},
      {"event scope", &event.scope},
      {"event error", &event.error},
      {"event ip", &event.ip},
      {"event user_agent", &event.user_agent}};
  for (const auto& [what, value] : optional) {
    if (!value->empty()) {
      if (auto r = check_text(what, *value); !r) {
        return r;
      }
    }
  }
  if (event.details.size() > kMaxEventDetailsLength) {
    return invalid("event details must be at most " + std::to_string(kMaxEventDetailsLength) +
                   " bytes");
  }
  if (event.details.find('\0') != std::string::npos) {
    return invalid("event details must not contain a NUL byte");
  }
  return Ok{};
}

Result<Ok, StoreError> validate_user(const User& user) {
  if (auto r = check_text("user id", user.id); !r) {
    return r;
  }
  if (auto r = check_text("email", user.email); !r) {
    return r;
  }
  return check_text("password hash", user.password_hash);
}

Result<Ok, StoreError> validate_signing_key(const SigningKey& key) {
  if (auto r = check_text("kid", key.kid); !r) {
    return r;
  }
  if (auto r = check_blob("encrypted private key", key.encrypted_private_key, true); !r) {
    return r;
  }
  return check_blob("public JWK", key.public_jwk, true);
}

Result<Ok, StoreError> validate_refresh_token(const RefreshToken& token) {
  for (const auto& [what, value] :
       {std::pair<std::string_view, std::string_view>{"refresh token id", token.id},
        {"refresh token family", token.family_id},
        {"client_id", token.client_id},
        {"user id", token.user_id},
        {"audience", token.audience}}) {
    if (auto r = check_text(what, value); !r) {
      return r;
    }
  }
  if (auto r = check_blob("refresh token hash", token.token_hash, true); !r) {
    return r;
  }
  if (token.expires_at <= token.created_at) {
    return invalid("a refresh token must expire after it is created");
  }
  if (auto r = check_jkt("a refresh token's jkt", token.jkt); !r) {
    return r;
  }
  return validate_scopes(token.scopes);
}

Result<Ok, StoreError> validate_failed_login(const FailedLoginKey& key,
                                             const LockoutPolicy& policy) {
  if (auto r = check_text("subject", key.subject); !r) {
    return r;
  }
  if (auto r = check_text("address", key.address); !r) {
    return r;
  }
  if (policy.max_failures < 1) {
    return invalid("max_failures must be at least 1");
  }
  if (policy.block_for < std::chrono::seconds{1}) {
    return invalid("block_for must be at least one second");
  }
  return Ok{};
}

}  // namespace signet::store
