#include "signet/server/token_endpoint.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include <boost/json.hpp>

#include "signet/common/ascii.h"
#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"
#include "signet/jose/json.h"
#include "signet/server/own_tokens.h"

namespace signet::server {

namespace json = boost::json;

namespace {

using Code = OAuthErrorCode;

// bytes of an Authorization header's credentials; id and secret are far shorter.
constexpr std::size_t kMaxBasicCredentialsBytes = 2048;
// OpenID Connect's scopes, which are about the user rather than an API's permissions.
constexpr std::array<std::string_view, 4> kOidcScopes = {"openid", "profile", "email",
                                                         "offline_access"};
// bytes; an email address is at most 254 (RFC 5321 §4.5.3.1), so a longer username names nobody.
constexpr std::size_t kMaxUsernameBytes = 320;
// bytes; a presented token longer than this is neither ours nor a refresh token.
constexpr std::size_t kMaxPresentedTokenBytes = 16 * 1024;

bool is_oidc_scope(std::string_view s) {
  return std::find(kOidcScopes.begin(), kOidcScopes.end(), s) != kOidcScopes.end();
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool allows(const store::Application& app, store::GrantType g) {
  return std::find(app.grant_types.begin(), app.grant_types.end(), g) != app.grant_types.end();
}

std::string quoted_list(const std::vector<std::string>& v) {
  if (v.empty()) {
    return "(none)";
  }
  std::string out(1, '\'');
  out += join_scopes(v);
  out += '\'';
  return out;
}

// Standard base64 with padding (RFC 4648 §4), as HTTP Basic uses. Strict: the length is a
// multiple of four and only the alphabet and trailing '=' appear.
std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > kMaxBasicCredentialsBytes) {
    return std::nullopt;
  }
  std::size_t pad = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < in.size()) {
        return std::nullopt;
      }
      ++pad;
    } else if (!alpha || pad > 0) {
      return std::nullopt;
    }
  }
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) {
    jose::clear_openssl_errors();
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

OAuthError store_failure(std::string_view what, const store::StoreError& e) {
  spdlog::error("token endpoint: {}: {}: {}", what, store::to_string(e.code), e.message);
  if (e.code == store::StoreErrorCode::kBusy) {
    return OAuthError{Code::kTemporarilyUnavailable, "the store is busy; retry shortly", false,
                      std::chrono::seconds{1}};
  }
  return oauth_error(Code::kServerError, "the server could not complete the request; see its log");
}

OAuthError internal_failure(std::string_view what) {
  spdlog::error("token endpoint: {}", what);
  return oauth_error(Code::kServerError, "the server could not complete the request; see its log");
}

std::string random_id(std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  jose::random_bytes(b);
  return jose::to_hex(b);
}

std::chrono::seconds retry_after(const store::FailedLoginCounter& c, store::Timestamp now) {
  if (!c.blocked_until) {
    return std::chrono::seconds{1};
  }
  return std::max(std::chrono::seconds{1}, *c.blocked_until - now);
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// The audience of a token request: Auth0's `audience` or RFC 8707's `resource`; both may be
// sent when they agree.
Result<std::string, OAuthError> requested_audience(const Params& p) {
  const auto audience = p.get("audience");
  const auto resource = p.get("resource");
  if (audience && resource && *audience != *resource) {
    return fail(oauth_error(Code::kInvalidTarget,
                            "audience and resource name different APIs; send one of them"));
  }
  if (!audience && !resource) {
    return fail(oauth_error(Code::kInvalidRequest,
                            "audience is required: the identifier of the API the token is for "
                            "(see 'signet apis list')"));
  }
  return std::string(audience ? *audience : *resource);
}

Result<const store::Api*, OAuthError> find_api(const TenantSnapshot& snap,
                                               std::string_view audience) {
  const store::Api* api = snap.find_api(audience);
  if (api == nullptr) {
    return fail(oauth_error(Code::kInvalidTarget,
                            "Service not found: no API has the identifier '" +
                                std::string(audience.substr(0, 256)) +
                                "'. Check the audience, or create the API: signet apis create "
                                "--identifier '" +
                                std::string(audience.substr(0, 256)) + "' --name NAME"));
  }
  return api;
}

}  // namespace

json::object EndpointCounters::to_json() const {
  json::object errs;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    errs[to_string(static_cast<OAuthErrorCode>(i))] = errors[i].load();
  }
  return json::object{
      {"issued", json::object{{"client_credentials", issued_client_credentials.load()},
                              {"password", issued_password.load()},
                              {"refresh_token", issued_refresh_token.load()}}},
      {"refresh_reuse_detected", refresh_reuse_detected.load()},
      {"revocations", revocations.load()},
      {"introspections", introspections.load()},
      {"errors", std::move(errs)}};
}

TokenEndpoint::TokenEndpoint(EndpointConfig config, Tenant& tenant, store::Store& store,
                             const SecretHasher& secrets, const PasswordHasher& passwords)
    : config_(std::move(config)),
      tenant_(tenant),
      store_(store),
      secrets_(secrets),
      passwords_(passwords) {}

bool TokenEndpoint::may_block(const Params& params) {
  return params.get("grant_type") != std::optional<std::string_view>("client_credentials");
}

EndpointResult TokenEndpoint::failed(OAuthError e) {
  const auto i = static_cast<std::size_t>(e.code);
  if (i < counters_.errors.size()) {
    counters_.errors[i].fetch_add(1, std::memory_order_relaxed);
  }
  return fail(std::move(e));
}

// RFC 6749 §2.3.1: HTTP Basic (client_secret_basic) or client_id and client_secret in the body
// (client_secret_post), never both at once.
Result<TokenEndpoint::Client, OAuthError> TokenEndpoint::authenticate(const TenantSnapshot& snap,
                                                                      const EndpointRequest& req) {
  const Params& p = *req.params;
  Client client;
  std::string client_id;
  std::string secret;
  if (req.authorization) {
    std::string_view h = *req.authorization;
    if (!istarts_with(h, "Basic ")) {
      return fail(OAuthError{Code::kInvalidClient,
                             "the Authorization header must use the Basic scheme "
                             "(client_secret_basic), or send client_id and client_secret in the "
                             "body instead",
                             true, std::nullopt});
    }
    h.remove_prefix(6);
    while (!h.empty() && h.front() == ' ') {
      h.remove_prefix(1);
    }
    const auto decoded = base64_decode(h);
    const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return fail(OAuthError{Code::kInvalidClient,
                             "malformed Basic credentials: send base64(client_id:client_secret)",
                             true, std::nullopt});
    }
    auto id = form_decode(std::string_view(*decoded).substr(0, colon));
    auto sec = form_decode(std::string_view(*decoded).substr(colon + 1));
    if (!id || !sec) {
      return fail(OAuthError{Code::kInvalidClient,
                             "malformed Basic credentials: client_id and client_secret are "
                             "form-urlencoded (RFC 6749 §2.3.1)",
                             true, std::nullopt});
    }
    if (p.has("client_secret")) {
      return fail(oauth_error(Code::kInvalidRequest,
                              "use exactly one client authentication method: HTTP Basic or "
                              "client_secret in the body, not both"));
    }
    if (auto body_id = p.get("client_id"); body_id && *body_id != *id) {
      return fail(oauth_error(Code::kInvalidRequest,
                              "client_id in the body differs from the one in the Authorization "
                              "header"));
    }
    client_id = std::move(*id);
    secret = std::move(*sec);
    client.used_basic = true;
  } else {
    const auto id = p.get("client_id");
    const auto sec = p.get("client_secret");
    if (!id) {
      return fail(oauth_error(Code::kInvalidClient,
                              "client authentication is required: send client_id and "
                              "client_secret in the body, or HTTP Basic credentials"));
    }
    if (!sec) {
      return fail(oauth_error(Code::kInvalidClient,
                              "client_secret is required (signet has no public clients); the "
                              "secret was shown by 'signet clients create' or 'signet clients "
                              "rotate-secret'"));
    }
    client_id = std::string(*id);
    secret = std::string(*sec);
  }

  const auto bad_credentials = [&] {
    return OAuthError{Code::kInvalidClient, "Unknown client or wrong client secret.",
                      client.used_basic, std::nullopt};
  };
  const store::Application* app = snap.find_application(client_id);
  if (app == nullptr) {
    // Unknown clients are not counted (there is no secret to guess), but take the time of a
    // hash so that existence does not show in the timing.
    (void)secrets_.matches(secret, "hs256:");
    return fail(bad_credentials());
  }

  const store::FailedLoginKey key{store::FailedLoginSubject::kClient, app->client_id,
                                  std::string(req.peer_address)};
  const std::string watch_key = app->client_id + '\n' + key.address;
  store::FailedLoginCounter counter;  // zero unless this process has seen the pair fail
  if (client_failures_.suspect(watch_key, req.now)) {
    auto stored = store_.get_failed_logins(key);
    if (!stored) {
      return fail(store_failure("reading the client's failure counter", stored.error()));
    }
    counter = *stored;
  }
  if (counter.blocked_at(req.now)) {
    return fail(OAuthError{Code::kTooManyAttempts,
                           "Too many failed authentications for this client from your address; "
                           "retry after the time in Retry-After",
                           false, retry_after(counter, req.now)});
  }
  if (!secrets_.matches(secret, app->client_secret_hash)) {
    auto after = store_.record_failed_login(key, req.now, config_.client_lockout);
    if (!after) {
      return fail(store_failure("recording a failed client authentication", after.error()));
    }
    // Watched while the block lasts and a day beyond. Stored counts are consecutive failures
    // and never age, so once a pair is forgotten here a later success does not reset its old
    // count: that errs towards blocking earlier, never later.
    client_failures_.note_failure(
        watch_key, req.now,
        std::max(after->blocked_until.value_or(req.now), req.now) +
            std::max(config_.client_lockout.block_for,
                     std::chrono::duration_cast<std::chrono::seconds>(kFailureWatchHorizon)));
    spdlog::warn("token endpoint: wrong secret for client {} from {} ({} in a row)", app->client_id,
                 req.peer_address, after->count);
    if (after->blocked_at(req.now)) {
      return fail(OAuthError{Code::kTooManyAttempts,
                             "Too many failed authentications for this client from your "
                             "address; retry after the time in Retry-After",
                             false, retry_after(*after, req.now)});
    }
    return fail(bad_credentials());
  }
  // Checked only once the secret is right, so the registered method is not told to strangers.
  const auto method = app->token_endpoint_auth_method;
  if (client.used_basic && method != store::TokenEndpointAuthMethod::kClientSecretBasic) {
    return fail(OAuthError{
        Code::kInvalidClient,
        "client " + app->client_id +
            " authenticates with client_secret_post: send client_id and client_secret in the "
            "body, or change it: signet clients update " +
            app->client_id + " --auth-method client_secret_basic",
        true, std::nullopt});
  }
  if (!client.used_basic && method != store::TokenEndpointAuthMethod::kClientSecretPost) {
    return fail(oauth_error(Code::kInvalidClient,
                            "client " + app->client_id +
                                " authenticates with client_secret_basic: send HTTP Basic "
                                "credentials, or change it: signet clients update " +
                                app->client_id + " --auth-method client_secret_post"));
  }
  if (counter.count > 0) {
    if (auto reset = store_.reset_failed_logins(key); !reset) {
      return fail(store_failure("resetting the client's failure counter", reset.error()));
    }
    client_failures_.forget(watch_key);
  }
  client.app = app;
  return client;
}

EndpointResult TokenEndpoint::token(const EndpointRequest& req) {
  const Params& p = *req.params;
  const auto snap = tenant_.snapshot();
  const auto grant_type = p.get("grant_type");
  if (!grant_type) {
    return failed(oauth_error(Code::kInvalidRequest,
                              "grant_type is required: client_credentials, password or "
                              "refresh_token"));
  }
  std::optional<store::GrantType> grant;
  if (*grant_type == "client_credentials") {
    grant = store::GrantType::kClientCredentials;
  } else if (*grant_type == "password") {
    grant = store::GrantType::kPassword;
  } else if (*grant_type == "refresh_token") {
    grant = store::GrantType::kRefreshToken;
  } else {
    return failed(oauth_error(Code::kUnsupportedGrantType,
                              "grant_type '" + std::string(grant_type->substr(0, 64)) +
                                  "' is not supported: use client_credentials, password or "
                                  "refresh_token"));
  }
  auto client = authenticate(*snap, req);
  if (!client) {
    return failed(client.error());
  }
  if (!allows(*client->app, *grant)) {
    return failed(oauth_error(
        Code::kUnauthorizedClient,
        "Grant type '" + std::string(*grant_type) +
            "' not allowed for the client. Enable it: signet clients update " +
            client->app->client_id + " --grant-types " + [&] {
              std::string list;
              for (const auto g : client->app->grant_types) {
                list += std::string(store::to_string(g)) + ",";
              }
              return list + std::string(*grant_type);
            }()));
  }
  switch (*grant) {
    case store::GrantType::kClientCredentials:
      return client_credentials(*snap, *client, req);
    case store::GrantType::kPassword:
      return password(*snap, *client, req);
    default:
      return refresh(*snap, *client, req);
  }
}

EndpointResult TokenEndpoint::client_credentials(const TenantSnapshot& snap, const Client& client,
                                                 const EndpointRequest& req) {
  const Params& p = *req.params;
  auto audience = requested_audience(p);
  if (!audience) {
    return failed(audience.error());
  }
  auto api = find_api(snap, *audience);
  if (!api) {
    return failed(api.error());
  }
  const store::ClientGrant* grant = snap.find_grant(client.app->client_id, *audience);
  if (grant == nullptr) {
    return failed(
        oauth_error(Code::kAccessDenied,
                    "Client \"" + client.app->client_id + "\" is not authorized to access \"" +
                        *audience + "\". Create a client grant: signet grants create --client-id " +
                        client.app->client_id + " --audience '" + *audience + "' --scopes '...'"));
  }
  std::vector<std::string> scopes = grant->scopes;
  if (const auto requested = p.get("scope")) {
    std::vector<std::string> asked = split_scopes(*requested);
    for (const auto& s : asked) {
      if (!contains(grant->scopes, s)) {
        return failed(oauth_error(
            Code::kInvalidScope,
            "scope '" + s.substr(0, 128) + "' is not granted to client " + client.app->client_id +
                " for '" + *audience + "'; granted: " + quoted_list(grant->scopes) +
                ". Add it: signet grants update " + std::to_string(grant->id) + " --scopes '...'"));
      }
    }
    scopes = std::move(asked);
  }
  const jose::Jwk* key = snap.signing_key((*api)->signing_algorithm);
  if (key == nullptr) {
    return failed(internal_failure("no current signing key for " +
                                   std::string(jose::to_string((*api)->signing_algorithm))));
  }
  AccessTokenRequest at{config_.issuer,
                        *api,
                        client.app->client_id,
                        client.app->client_id + "@clients",
                        scopes,
                        GrantClaim::kClientCredentials,
                        false,
                        req.now};
  auto issued = issue_access_token(at, *key);
  if (!issued) {
    return failed(internal_failure(issued.error()));
  }
  counters_.issued_client_credentials.fetch_add(1, std::memory_order_relaxed);
  json::object body{{"access_token", std::move(issued->token)},
                    {"token_type", "Bearer"},
                    {"expires_in", (*api)->token_lifetime.count()}};
  if (!scopes.empty()) {
    body["scope"] = join_scopes(scopes);
  }
  return body;
}

namespace {

// The scopes a user gets: the requested API permissions the user holds (all of them when none
// was requested), plus the OpenID scopes asked for; offline_access only when a refresh token can
// actually be issued.
std::vector<std::string> user_scopes(const std::vector<std::string>& requested,
                                     const std::vector<std::string>& held, bool offline_allowed) {
  std::vector<std::string> out;
  bool asked_api_scope = false;
  for (const auto& s : requested) {
    if (is_oidc_scope(s)) {
      if (s != "offline_access" || offline_allowed) {
        out.push_back(s);
      }
    } else {
      asked_api_scope = true;
      if (contains(held, s)) {
        out.push_back(s);
      }
    }
  }
  if (!asked_api_scope) {
    for (const auto& s : held) {
      if (!contains(out, s)) {
        out.push_back(s);
      }
    }
  }
  return out;
}

}  // namespace

EndpointResult TokenEndpoint::password(const TenantSnapshot& snap, const Client& client,
                                       const EndpointRequest& req) {
  const Params& p = *req.params;
  const auto username = p.get("username");
  const auto password = p.get("password");
  if (!username || !password) {
    return failed(oauth_error(
        Code::kInvalidRequest,
        std::string(!username ? "username" : "password") + " is required for grant_type=password"));
  }
  if (username->size() > kMaxUsernameBytes) {
    // No account can have such a name, and the store would refuse it as a counter's subject.
    return failed(oauth_error(Code::kInvalidRequest, "username is longer than " +
                                                         std::to_string(kMaxUsernameBytes) +
                                                         " bytes; it cannot name a user"));
  }
  auto audience = requested_audience(p);
  if (!audience) {
    return failed(audience.error());
  }
  auto api = find_api(snap, *audience);
  if (!api) {
    return failed(api.error());
  }

  std::optional<store::User> user;
  auto found = store_.find_user_by_email(*username);
  if (found) {
    user = std::move(*found);
  } else if (found.error().code != store::StoreErrorCode::kNotFound) {
    return failed(store_failure("looking up a user", found.error()));
  }
  // A known user's failures are counted under its id (what 'signet users unblock' resets); an
  // unknown name under the name itself, so guessing at non-existent accounts is throttled too
  // and looks the same from outside.
  const store::FailedLoginKey key{store::FailedLoginSubject::kUser,
                                  user ? user->id : "unknown:" + lower_ascii(*username),
                                  std::string(req.peer_address)};
  auto counter = store_.get_failed_logins(key);
  if (!counter) {
    return failed(store_failure("reading the user's failure counter", counter.error()));
  }
  const auto blocked = [&](const store::FailedLoginCounter& c) {
    return OAuthError{Code::kTooManyAttempts,
                      "Too many failed logins for this user from your address. Retry after the "
                      "time in Retry-After, or ask an admin to run: signet users unblock EMAIL",
                      false, retry_after(c, req.now)};
  };
  if (counter->blocked_at(req.now)) {
    return failed(blocked(*counter));
  }
  // Both branches cost one argon2id verification, so response times do not reveal which
  // accounts exist.
  const bool ok =
      user ? passwords_.verify(*password, user->password_hash) : passwords_.verify_dummy(*password);
  if (!ok) {
    auto after = store_.record_failed_login(key, req.now, config_.user_lockout);
    if (!after) {
      return failed(store_failure("recording a failed login", after.error()));
    }
    if (after->blocked_at(req.now)) {
      spdlog::warn("token endpoint: user {} blocked for {} s from {} after {} failed logins",
                   key.subject, retry_after(*after, req.now).count(), req.peer_address,
                   after->count);
      return failed(blocked(*after));
    }
    return failed(oauth_error(Code::kInvalidGrant, "Wrong email or password."));
  }
  if (counter->count > 0) {
    if (auto reset = store_.reset_failed_logins(key); !reset) {
      return failed(store_failure("resetting the user's failure counter", reset.error()));
    }
  }
  if (user->blocked) {
    return failed(
        oauth_error(Code::kInvalidGrant,
                    "The user is blocked; an admin can run: signet users unblock " + user->email));
  }

  auto held = store_.list_user_permissions(user->id, std::string_view(*audience));
  if (!held) {
    return failed(store_failure("listing the user's permissions", held.error()));
  }
  std::vector<std::string> held_scopes;
  for (auto& up : *held) {
    held_scopes.push_back(std::move(up.permission));
  }
  const bool offline_allowed =
      (*api)->allow_offline_access && allows(*client.app, store::GrantType::kRefreshToken);
  const auto requested = split_scopes(p.get("scope").value_or(""));
  const auto scopes = user_scopes(requested, held_scopes, offline_allowed);

  std::optional<std::string> refresh_token;
  if (contains(scopes, "offline_access")) {
    refresh_token = generate_secret();
    store::RefreshToken stored;
    stored.id = random_id(kRefreshIdRandomBytes);
    stored.token_hash = secrets_.hash(*refresh_token);
    stored.family_id = random_id(kRefreshIdRandomBytes);
    stored.client_id = client.app->client_id;
    stored.user_id = user->id;
    stored.audience = (*api)->identifier;
    stored.scopes = scopes;
    stored.created_at = req.now;
    stored.expires_at = req.now + config_.refresh_token_lifetime;
    if (auto inserted = store_.insert_refresh_token(stored); !inserted) {
      return failed(store_failure("storing a refresh token", inserted.error()));
    }
  }
  auto body = user_tokens(snap, client, *user, **api, scopes, GrantClaim::kPassword, req);
  if (!body) {
    return failed(body.error());
  }
  if (refresh_token) {
    (*body)["refresh_token"] = std::move(*refresh_token);
  }
  counters_.issued_password.fetch_add(1, std::memory_order_relaxed);
  return body;
}

Result<json::object, OAuthError> TokenEndpoint::user_tokens(
    const TenantSnapshot& snap, const Client& client, const store::User& user,
    const store::Api& api, const std::vector<std::string>& scopes, GrantClaim grant,
    const EndpointRequest& req) {
  const jose::Jwk* key = snap.signing_key(api.signing_algorithm);
  if (key == nullptr) {
    return fail(internal_failure("no current signing key for " +
                                 std::string(jose::to_string(api.signing_algorithm))));
  }
  const bool openid = contains(scopes, "openid");
  AccessTokenRequest at{config_.issuer, &api,   client.app->client_id, user.id, scopes, grant,
                        openid,         req.now};
  auto issued = issue_access_token(at, *key);
  if (!issued) {
    return fail(internal_failure(issued.error()));
  }
  json::object body{{"access_token", issued->token},
                    {"token_type", "Bearer"},
                    {"expires_in", api.token_lifetime.count()}};
  if (!scopes.empty()) {
    body["scope"] = join_scopes(scopes);
  }
  if (openid) {
    const jose::Jwk* id_key = snap.signing_key(kIdTokenAlgorithm);
    if (id_key == nullptr) {
      return fail(internal_failure("no current RS256 key for ID tokens"));
    }
    IdTokenRequest it{config_.issuer, client.app->client_id,     &user,  contains(scopes, "email"),
                      issued->token,  config_.id_token_lifetime, req.now};
    auto id_token = issue_id_token(it, *id_key);
    if (!id_token) {
      return fail(internal_failure(id_token.error()));
    }
    body["id_token"] = std::move(*id_token);
  }
  return body;
}

EndpointResult TokenEndpoint::refresh(const TenantSnapshot& snap, const Client& client,
                                      const EndpointRequest& req) {
  const Params& p = *req.params;
  const auto presented = p.get("refresh_token");
  if (!presented) {
    return failed(oauth_error(Code::kInvalidRequest,
                              "refresh_token is required for grant_type=refresh_token"));
  }
  const auto unknown = [] {
    return oauth_error(Code::kInvalidGrant,
                       "Unknown or invalid refresh token. Sign in again to get a new one.");
  };
  auto found = find_refresh_token(*presented);
  if (!found) {
    return failed(found.error());
  }
  if (!*found) {
    return failed(unknown());
  }
  store::RefreshToken& old = **found;
  // RFC 6749 §6: a refresh token is bound to the client it was issued to.
  if (old.client_id != client.app->client_id) {
    return failed(unknown());
  }
  if (old.revoked) {
    return failed(oauth_error(Code::kInvalidGrant,
                              "The refresh token was revoked. Sign in again to get a new one."));
  }
  if (req.now >= old.expires_at) {
    return failed(oauth_error(Code::kInvalidGrant,
                              "The refresh token expired. Sign in again to get a new one."));
  }
  const auto reuse_detected = [&]() -> EndpointResult {
    // Someone holds a token that was already exchanged: either the client or an attacker has a
    // stolen copy. Revoking the whole family ends both sessions; the user signs in again.
    auto revoked = store_.revoke_refresh_token_family(old.family_id);
    if (!revoked) {
      return failed(store_failure("revoking a refresh token family", revoked.error()));
    }
    counters_.refresh_reuse_detected.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn(
        "token endpoint: reuse of a rotated refresh token by client {} for user {}; revoked its "
        "family ({} tokens)",
        old.client_id, old.user_id, *revoked);
    return failed(oauth_error(Code::kInvalidGrant,
                              "The refresh token was already used. For safety every refresh token "
                              "of this sign-in is now revoked; sign in again."));
  };
  const auto within_grace = [&](const store::RefreshToken& t) {
    return t.rotated_at && req.now - *t.rotated_at <= config_.refresh_reuse_grace;
  };
  if (old.rotated_at && !within_grace(old)) {
    return reuse_detected();
  }

  const store::Api* api = snap.find_api(old.audience);
  if (api == nullptr) {
    return failed(unknown());  // the API was deleted (its tokens too, normally)
  }
  auto user = store_.get_user(old.user_id);
  if (!user) {
    if (user.error().code == store::StoreErrorCode::kNotFound) {
      return failed(unknown());
    }
    return failed(store_failure("looking up a user", user.error()));
  }
  if (user->blocked) {
    return failed(
        oauth_error(Code::kInvalidGrant,
                    "The user is blocked; an admin can run: signet users unblock " + user->email));
  }

  // RFC 6749 §6: the scope may be narrowed, never widened beyond what the token was issued with.
  std::vector<std::string> scopes = old.scopes;
  if (const auto requested = p.get("scope")) {
    std::vector<std::string> asked = split_scopes(*requested);
    for (const auto& s : asked) {
      if (!contains(old.scopes, s)) {
        return failed(oauth_error(
            Code::kInvalidScope,
            "scope '" + s.substr(0, 128) +
                "' was not granted with this refresh token; granted: " + quoted_list(old.scopes)));
      }
    }
    scopes = std::move(asked);
  }
  // Permissions removed from the user since sign-in are not carried forward.
  auto held = store_.list_user_permissions(user->id, std::string_view(old.audience));
  if (!held) {
    return failed(store_failure("listing the user's permissions", held.error()));
  }
  std::erase_if(scopes, [&](const std::string& s) {
    return !is_oidc_scope(s) && std::none_of(held->begin(), held->end(),
                                             [&](const auto& up) { return up.permission == s; });
  });

  std::string next_token = generate_secret();
  store::RefreshToken next;
  next.id = random_id(kRefreshIdRandomBytes);
  next.token_hash = secrets_.hash(next_token);
  next.family_id = old.family_id;
  next.client_id = old.client_id;
  next.user_id = old.user_id;
  next.audience = old.audience;
  next.scopes = old.scopes;  // RFC 6749 §6: the new refresh token keeps the original scope
  next.created_at = req.now;
  next.expires_at = old.expires_at;  // the family's absolute lifetime does not restart
  auto rotated = store_.rotate_refresh_token(old.id, next, req.now);
  if (!rotated) {
    if (rotated.error().code != store::StoreErrorCode::kConflict) {
      return failed(store_failure("rotating a refresh token", rotated.error()));
    }
    // Another request rotated it first. Within the grace period that is the same client racing
    // itself, and it gets a sibling token of the same family; otherwise it is reuse.
    auto again = store_.find_refresh_token(old.token_hash);
    if (!again) {
      return failed(store_failure("re-reading a refresh token", again.error()));
    }
    if (again->revoked || !within_grace(*again)) {
      return reuse_detected();
    }
    if (auto inserted = store_.insert_refresh_token(next); !inserted) {
      return failed(store_failure("storing a refresh token", inserted.error()));
    }
  }
  auto body = user_tokens(snap, client, *user, *api, scopes, GrantClaim::kRefreshToken, req);
  if (!body) {
    return failed(body.error());
  }
  (*body)["refresh_token"] = std::move(next_token);
  counters_.issued_refresh_token.fetch_add(1, std::memory_order_relaxed);
  return body;
}

Result<TokenEndpoint::Presented, OAuthError> TokenEndpoint::presented_token(
    const EndpointRequest& req, std::string_view purpose) {
  Presented out;
  out.snap = tenant_.snapshot();
  auto client = authenticate(*out.snap, req);
  if (!client) {
    return fail(client.error());
  }
  out.client = *client;
  const auto token = req.params->get("token");
  if (!token) {
    return fail(oauth_error(Code::kInvalidRequest,
                            "token is required: the token to " + std::string(purpose)));
  }
  out.token = *token;
  return out;
}

Result<std::optional<store::RefreshToken>, OAuthError> TokenEndpoint::find_refresh_token(
    std::string_view presented) {
  // Longer than anything we issue: not one of ours, and not worth hashing.
  if (presented.size() > kMaxPresentedSecretLength) {
    return std::optional<store::RefreshToken>{};
  }
  auto found = store_.find_refresh_token(secrets_.hash(presented));
  if (!found) {
    if (found.error().code == store::StoreErrorCode::kNotFound) {
      return std::optional<store::RefreshToken>{};
    }
    return fail(store_failure("looking up a refresh token", found.error()));
  }
  return std::optional<store::RefreshToken>(std::move(*found));
}

EndpointResult TokenEndpoint::revoke(const EndpointRequest& req) {
  auto presented = presented_token(req, "revoke");
  if (!presented) {
    return failed(presented.error());
  }
  const std::string_view token = presented->token;
  if (token.size() > kMaxPresentedTokenBytes) {
    return json::object{};  // not a token of ours: RFC 7009 §2.2 answers 200 all the same
  }
  if (looks_like_jwt(token)) {
    if (verify_own_token(*presented->snap, config_.issuer, token, req.now)) {
      return failed(oauth_error(Code::kUnsupportedTokenType,
                                "access tokens are self-contained JWTs and cannot be revoked; "
                                "they expire at their exp. Revoke the refresh token instead."));
    }
    return json::object{};
  }
  auto found = find_refresh_token(token);
  if (!found) {
    return failed(found.error());
  }
  if (!*found) {
    return json::object{};
  }
  if ((*found)->client_id != presented->client.app->client_id) {
    // RFC 7009 §2.1: a client may revoke only its own tokens.
    return failed(oauth_error(Code::kUnauthorizedClient, "the token was issued to another client"));
  }
  auto revoked = store_.revoke_refresh_token_family((*found)->family_id);
  if (!revoked) {
    return failed(store_failure("revoking a refresh token family", revoked.error()));
  }
  counters_.revocations.fetch_add(1, std::memory_order_relaxed);
  return json::object{};
}

EndpointResult TokenEndpoint::introspect(const EndpointRequest& req) {
  auto presented = presented_token(req, "inspect");
  if (!presented) {
    return failed(presented.error());
  }
  const std::string_view token = presented->token;
  counters_.introspections.fetch_add(1, std::memory_order_relaxed);
  const json::object inactive{{"active", false}};
  if (token.size() > kMaxPresentedTokenBytes) {
    return inactive;
  }
  if (looks_like_jwt(token)) {
    auto claims = verify_own_token(*presented->snap, config_.issuer, token, req.now);
    // Access tokens carry "gty"; an ID token (also ours, also a JWT) is not an access token and
    // RFC 7662 describes only those and refresh tokens.
    if (!claims || !claims->contains("gty")) {
      return inactive;
    }
    json::object out{{"active", true}, {"token_type", "Bearer"}};
    for (const std::string_view name :
         {"scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "gty"}) {
      if (const auto* v = claims->if_contains(name)) {
        out[name] = *v;
      }
    }
    if (!out.contains("client_id")) {
      if (const auto* azp = claims->if_contains("azp")) {
        out["client_id"] = *azp;
      }
    }
    return out;
  }
  auto lookup = find_refresh_token(token);
  if (!lookup) {
    return failed(lookup.error());
  }
  const std::optional<store::RefreshToken>& found = *lookup;
  // A refresh token is described only to the client that holds it, so introspection cannot be
  // used to learn about other clients' sessions. A rotated token is no longer usable.
  if (!found || found->client_id != presented->client.app->client_id || found->revoked ||
      found->rotated_at || req.now >= found->expires_at) {
    return inactive;
  }
  return json::object{{"active", true},
                      {"token_type", "refresh_token"},
                      {"client_id", found->client_id},
                      {"sub", found->user_id},
                      {"aud", found->audience},
                      {"iss", config_.issuer},
                      {"scope", join_scopes(found->scopes)},
                      {"iat", found->created_at.time_since_epoch().count()},
                      {"exp", found->expires_at.time_since_epoch().count()}};
}

}  // namespace signet::server
