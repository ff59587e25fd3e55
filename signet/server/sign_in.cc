#include "signet/server/sign_in.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include "signet/common/ascii.h"
#include "signet/http/client_address.h"
#include "signet/http/message.h"
#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"
#include "signet/jose/json.h"
#include "signet/server/authorization_request.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/event_log.h"
#include "signet/server/own_tokens.h"
#include "signet/server/password_check.h"
#include "signet/server/refresh_tokens.h"

namespace signet::server {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
namespace json = boost::json;
using Fields = std::vector<std::pair<std::string, std::string>>;

store::Timestamp wall_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

struct Shared {
  TokenEndpoint& endpoint;
  asio::any_io_executor blocking;
  SignInConfig config;
  std::string issuer;
  bool secure = false;  // the issuer is https: __Host- cookies with Secure
  std::string session_cookie;
  std::string login_cookie;

  std::string url(std::string_view path) const { return issuer + std::string(path); }
};

// --- events

// Records a sign-in event (event_log.h) when the endpoint has an event log.
void record_event(const Shared& s, const http::Request& req, std::string_view type,
                  std::string client_id, std::string user_id, std::string details = {}) {
  EventLog* events = s.endpoint.event_log();
  if (events == nullptr) {
    return;
  }
  store::Event e;
  e.date =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  e.type = type;
  e.client_id = std::move(client_id);
  e.user_id = std::move(user_id);
  e.ip = http::peer_address(req);
  e.user_agent = std::string(req[beast_http::field::user_agent]);
  e.details = std::move(details);
  events->record(std::move(e));
}

// --- responses

http::Response html_page(const http::Request& req, beast_http::status status, std::string body,
                         std::string_view form_targets = {}) {
  http::Response res{status, req.version()};
  res.set(beast_http::field::content_type, "text/html; charset=utf-8");
  // No script at all; forms may post only here, and be redirected on to the application's
  // callback (Chromium applies form-action to the redirect after a post too).
  std::string csp =
      "default-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; "
      "frame-ancestors 'none'; form-action 'self'";
  if (!form_targets.empty()) {
    csp += ' ';
    csp += form_targets;
  }
  res.set("Content-Security-Policy", csp);
  res.set("X-Frame-Options", "DENY");  // older browsers without frame-ancestors
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  http::set_no_store(res);
  return res;
}

http::Response message_page(const Shared& s, const http::Request& req, beast_http::status status,
                            std::string_view title, std::string_view message) {
  return html_page(
      req, status,
      render_message_page(s.config.branding, s.url(kLoginStylesheetPath), title, message));
}

http::Response redirect(const http::Request& req, beast_http::status status,
                        const std::string& location) {
  http::Response res{status, req.version()};
  res.set(beast_http::field::location, location);
  res.set("Referrer-Policy", "no-referrer");
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  http::set_no_store(res);
  return res;
}

// --- cookies (RFC 6265)

// The value of the cookie `name`, from any of the request's Cookie headers.
std::optional<std::string_view> cookie(const http::Request& req, std::string_view name) {
  const auto range = req.equal_range(beast_http::field::cookie);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view rest(it->value().data(), it->value().size());
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') {
        pair.remove_prefix(1);
      }
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        return pair.substr(eq + 1);
      }
    }
  }
  return std::nullopt;
}

void set_cookie(const Shared& s, http::Response& res, std::string_view name, std::string_view value,
                std::optional<std::chrono::seconds> max_age, std::string_view same_site) {
  std::string c = std::string(name) + "=" + std::string(value) + "; Path=/; HttpOnly; SameSite=";
  c += same_site;
  if (s.secure) {
    c += "; Secure";
  }
  if (max_age) {
    c += "; Max-Age=" + std::to_string(std::max<std::int64_t>(0, max_age->count()));
  }
  res.insert(beast_http::field::set_cookie, c);
}

void clear_cookie(const Shared& s, http::Response& res, std::string_view name) {
  set_cookie(s, res, name, "", std::chrono::seconds{0}, "Lax");
}

// --- the login form's CSRF token: "<issued at>.<MAC of the form cookie and that time>"

std::string form_mac(const Shared& s, std::string_view form_cookie, std::int64_t issued_at) {
  const auto key = s.endpoint.secrets().derive_key(
      "signet login form", std::string(form_cookie) + "." + std::to_string(issued_at));
  return jose::base64url_encode(std::span<const std::uint8_t>(key.data(), key.size()));
}

std::string csrf_token(const Shared& s, std::string_view form_cookie, store::Timestamp now) {
  const std::int64_t t = now.time_since_epoch().count();
  return std::to_string(t) + "." + form_mac(s, form_cookie, t);
}

enum class CsrfCheck { kOk, kMissing, kStale };

CsrfCheck check_csrf(const Shared& s, std::optional<std::string_view> form_cookie,
                     std::optional<std::string_view> token, store::Timestamp now) {
  if (!form_cookie || form_cookie->empty() || !token) {
    return CsrfCheck::kMissing;
  }
  const auto dot = token->find('.');
  if (dot == std::string_view::npos) {
    return CsrfCheck::kMissing;
  }
  std::int64_t t = 0;
  const auto [end, ec] = std::from_chars(token->data(), token->data() + dot, t);
  if (ec != std::errc{} || end != token->data() + dot) {
    return CsrfCheck::kMissing;
  }
  const std::string expected = form_mac(s, *form_cookie, t);
  if (!jose::constant_time_equal(expected, token->substr(dot + 1))) {
    return CsrfCheck::kMissing;
  }
  const auto age = now.time_since_epoch().count() - t;
  if (age < 0 || age > s.config.login_form_lifetime.count()) {
    return CsrfCheck::kStale;
  }
  return CsrfCheck::kOk;
}

// --- sessions

struct LiveSession {
  store::BrowserSession session;
  store::User user;
};

// The session the request's cookie names, when it is live and its user may sign in.
Result<std::optional<LiveSession>, std::string> current_session(const Shared& s,
                                                                const http::Request& req,
                                                                store::Timestamp now) {
  const auto value = cookie(req, s.session_cookie);
  if (!value || value->empty() || value->size() > kMaxPresentedSecretLength) {
    return std::optional<LiveSession>{};
  }
  store::Store& store = s.endpoint.store();
  auto session = store.get_browser_session(s.endpoint.secrets().hash(*value));
  if (!session) {
    if (session.error().code == store::StoreErrorCode::kNotFound) {
      return std::optional<LiveSession>{};
    }
    return fail(describe(session.error()));
  }
  if (now >= session->expires_at || now >= session->last_seen_at + s.config.session_idle_timeout) {
    return std::optional<LiveSession>{};
  }
  auto user = store.get_user(session->user_id);
  if (!user) {
    if (user.error().code == store::StoreErrorCode::kNotFound) {
      return std::optional<LiveSession>{};
    }
    return fail(describe(user.error()));
  }
  if (user->blocked) {
    return std::optional<LiveSession>{};
  }
  return std::optional<LiveSession>{LiveSession{std::move(*session), std::move(*user)}};
}

// --- the authorization response

// The query parameters every response to the application carries: `state` when one was sent,
// and `iss` (RFC 9207), so that a client talking to several servers can tell whose answer it is.
void add_state_and_iss(const Shared& s, Fields& fields, std::string_view state) {
  if (!state.empty()) {
    fields.emplace_back("state", std::string(state));
  }
  fields.emplace_back("iss", s.issuer);
}

http::Response error_response(const Shared& s, const http::Request& req,
                              const AuthorizationError& e) {
  if (e.redirect_uri.empty()) {
    return message_page(s, req, beast_http::status::bad_request,
                        "Something is wrong with this "
                        "sign-in link",
                        e.description);
  }
  Fields fields{{"error", e.error}, {"error_description", e.description}};
  add_state_and_iss(s, fields, e.state);
  return redirect(req, beast_http::status::found, with_query(e.redirect_uri, fields));
}

// Issues a code for the request and the user, and the redirect that delivers it.
Result<std::string, std::string> issue_code(const Shared& s, const AuthorizationRequest& ar,
                                            const store::User& user, store::Timestamp auth_time,
                                            store::Timestamp now) {
  store::Store& store = s.endpoint.store();
  auto held = store.list_user_permissions(user.id, std::string_view(ar.api->identifier));
  if (!held) {
    return fail(describe(held.error()));
  }
  std::vector<std::string> held_scopes;
  for (auto& up : *held) {
    held_scopes.push_back(std::move(up.permission));
  }
  const bool offline_allowed =
      ar.api->allow_offline_access && allows(*ar.client, store::GrantType::kRefreshToken);

  const std::string code = generate_secret();
  store::AuthorizationCode stored;
  stored.code_hash = s.endpoint.secrets().hash(code);
  stored.client_id = ar.client->client_id;
  stored.user_id = user.id;
  stored.redirect_uri = ar.redirect_uri;
  stored.code_challenge = ar.code_challenge;
  stored.dpop_jkt = ar.dpop_jkt;
  stored.audience = ar.api->identifier;
  stored.scopes = user_scopes(ar.scopes, held_scopes, offline_allowed);
  stored.nonce = ar.nonce;
  stored.refresh_family_id = random_id(kRefreshIdRandomBytes);
  stored.auth_time = auth_time;
  stored.created_at = now;
  stored.expires_at = now + kAuthorizationCodeLifetime;
  if (auto inserted = store.insert_authorization_code(stored); !inserted) {
    return fail(describe(inserted.error()));
  }
  Fields fields{{"code", code}};
  add_state_and_iss(s, fields, ar.state);
  return with_query(ar.redirect_uri, fields);
}

http::Response server_error(const Shared& s, const http::Request& req, std::string_view what,
                            std::string_view reason) {
  spdlog::error("sign-in: {} failed: {}", what, reason);
  return message_page(s, req, beast_http::status::internal_server_error, "Something went wrong",
                      "The sign-in could not be completed. Try again in a moment.");
}

http::Response code_redirect(const Shared& s, const http::Request& req,
                             const AuthorizationRequest& ar, const store::User& user,
                             store::Timestamp auth_time, store::Timestamp now,
                             beast_http::status status) {
  auto location = issue_code(s, ar, user, auth_time, now);
  if (!location) {
    return server_error(s, req, "issuing an authorization code", location.error());
  }
  return redirect(req, status, *location);
}

// --- the login page

http::Response login_page(const Shared& s, const http::Request& req, const AuthorizationRequest& ar,
                          std::string email, std::string error, beast_http::status status,
                          store::Timestamp now) {
  // The form's cookie is kept while it lasts, so two tabs opened on the login page both work.
  std::string form_cookie;
  bool new_cookie = false;
  if (const auto c = cookie(req, s.login_cookie); c && c->size() == kSecretTextLength) {
    form_cookie = std::string(*c);
  } else {
    form_cookie = generate_secret();
    new_cookie = true;
  }
  LoginPage page;
  page.action = s.url(kLoginPath);
  page.stylesheet = s.url(kLoginStylesheetPath);
  page.application_name = ar.client->name;
  page.email = email.empty() ? ar.login_hint : std::move(email);
  page.error = std::move(error);
  page.csrf = csrf_token(s, form_cookie, now);
  page.hidden = ar.form_fields;
  auto res = html_page(req, status, render_login_page(s.config.branding, page),
                       csp_source_of(ar.redirect_uri));
  if (new_cookie) {
    // Strict: the form is posted from this origin only, so the cookie never needs to travel
    // with a request another site started.
    set_cookie(s, res, s.login_cookie, form_cookie, std::nullopt, "Strict");
  }
  return res;
}

// The request's parameters: the query of a GET, the form body of a POST (the authorization
// endpoint and RP-Initiated Logout take both: OIDC Core §3.1.2.1, RP-Initiated Logout §2).
// Repeated or malformed parameters are refused.
Result<Params, std::string> request_params(const http::Request& req) {
  if (req.method() == beast_http::verb::post) {
    const auto ct = req.find(beast_http::field::content_type);
    auto parsed =
        parse_params(ct == req.end() ? std::string_view{}
                                     : std::string_view(ct->value().data(), ct->value().size()),
                     req.body());
    if (!parsed) {
      return fail(describe(parsed.error()));
    }
    return std::move(*parsed);
  }
  const std::string_view target(req.target().data(), req.target().size());
  const auto q = target.find('?');
  auto params = parse_form(q == std::string_view::npos ? std::string_view{} : target.substr(q + 1));
  if (!params) {
    return fail(describe(params.error()));
  }
  return std::move(*params);
}

AuthorizationPolicy policy_of(const Shared& s) {
  return AuthorizationPolicy{s.config.require_pkce};
}

http::Response authorize(const Shared& s, const http::Request& req) {
  const auto now = wall_now();
  auto params = request_params(req);
  if (!params) {
    return message_page(s, req, beast_http::status::bad_request,
                        "Something is wrong with this sign-in link", params.error());
  }
  const auto snap = s.endpoint.tenant().snapshot();
  auto ar = check_authorization_request(*snap, *params, policy_of(s));
  if (!ar) {
    return error_response(s, req, ar.error());
  }
  auto live = current_session(s, req, now);
  if (!live) {
    return server_error(s, req, "reading the browser session", live.error());
  }
  bool need_login = !*live || ar->prompt == Prompt::kLogin;
  // max_age=0 always asks again (OIDC Core §3.1.2.1: like prompt=login), even within the second
  // of the last sign-in.
  if (*live && ar->max_age &&
      (ar->max_age->count() == 0 || now - (*live)->session.auth_time > *ar->max_age)) {
    need_login = true;
  }
  if (need_login) {
    if (ar->prompt == Prompt::kNone) {
      return error_response(
          s, req,
          AuthorizationError{"login_required",
                             *live ? "the session is older than max_age allows: sign in again"
                                   : "the user is not signed in: send the user to the login page "
                                     "without prompt=none",
                             ar->redirect_uri, ar->state});
    }
    return login_page(s, req, *ar, "", "", beast_http::status::ok, now);
  }
  const LiveSession& session = **live;
  if (auto touched = s.endpoint.store().touch_browser_session(session.session.id_hash, now);
      !touched) {
    return server_error(s, req, "touching the browser session", describe(touched.error()));
  }
  return code_redirect(s, req, *ar, session.user, session.session.auth_time, now,
                       beast_http::status::found);
}

http::Response login(const Shared& s, const http::Request& req) {
  const auto now = wall_now();
  auto params = request_params(req);
  if (!params) {
    return message_page(s, req, beast_http::status::bad_request,
                        "The sign-in form was not sent correctly", params.error());
  }
  const auto snap = s.endpoint.tenant().snapshot();
  auto ar = check_authorization_request(*snap, *params, policy_of(s));
  if (!ar) {
    return error_response(s, req, ar.error());
  }
  const std::string email(params->get("email").value_or(""));
  switch (check_csrf(s, cookie(req, s.login_cookie), params->get("csrf"), now)) {
    case CsrfCheck::kOk:
      break;
    case CsrfCheck::kMissing:
      return login_page(s, req, *ar, email,
                        "This sign-in form was not opened from this browser, or its cookies are "
                        "off. Enter your email and password again.",
                        beast_http::status::forbidden, now);
    case CsrfCheck::kStale:
      return login_page(s, req, *ar, email,
                        "This sign-in form expired. Enter your email and password again.",
                        beast_http::status::forbidden, now);
  }
  const auto password = params->get("password");
  if (email.empty() || !password) {
    return login_page(s, req, *ar, email, std::string(kWrongEmailOrPassword),
                      beast_http::status::unauthorized, now);
  }
  PasswordCheckNotes checked;
  auto user = s.endpoint.password_check().check(
      email, *password, http::address_group(http::peer_address(req)), now, &checked);
  const std::string client_id = ar->client->client_id;
  if (!user) {
    // The email as typed only when it names nobody: a known user is named by id.
    const std::string details =
        checked.unknown_user
            ? json::serialize(json::object{{"username", email.substr(0, kMaxUsernameBytes)}})
            : std::string{};
    record_event(s, req,
                 checked.wrong_password ? event_type::kLoginWrongPassword
                 : checked.unknown_user ? event_type::kLoginUnknownUser
                                        : event_type::kLoginFailed,
                 client_id, checked.user_id, details);
    if (checked.block_started) {
      record_event(s, req, event_type::kAccountBlocked, client_id, checked.user_id, details);
    }
    const OAuthError& e = user.error();
    switch (e.code) {
      case OAuthErrorCode::kTooManyAttempts: {
        auto res = login_page(s, req, *ar, email,
                              "Too many failed attempts. Wait a while and try again, or ask an "
                              "administrator to unblock the account.",
                              beast_http::status::too_many_requests, now);
        if (e.retry_after) {
          res.set(beast_http::field::retry_after, std::to_string(e.retry_after->count()));
        }
        return res;
      }
      case OAuthErrorCode::kServerError:
      case OAuthErrorCode::kTemporarilyUnavailable:
        return server_error(s, req, "checking a password", e.description);
      default:
        // Every other failure reads the same, so the form does not tell which accounts exist
        // or which are blocked.
        return login_page(s, req, *ar, email, std::string(kWrongEmailOrPassword),
                          beast_http::status::unauthorized, now);
    }
  }

  store::Store& store = s.endpoint.store();
  // A new session id at every sign-in, whatever cookie came in (session fixation): an id planted
  // in this browser before the sign-in is never the one that carries it.
  if (const auto old = cookie(req, s.session_cookie);
      old && !old->empty() && old->size() <= kMaxPresentedSecretLength) {
    if (auto ended = store.delete_browser_session(s.endpoint.secrets().hash(*old)); !ended) {
      return server_error(s, req, "ending the previous browser session", describe(ended.error()));
    }
  }
  const std::string session_id = generate_secret();
  store::BrowserSession session;
  session.id_hash = s.endpoint.secrets().hash(session_id);
  session.user_id = user->id;
  session.auth_time = now;
  session.last_seen_at = now;
  session.expires_at = now + s.config.session_lifetime;
  if (auto created = store.create_browser_session(session); !created) {
    return server_error(s, req, "creating a browser session", describe(created.error()));
  }
  record_event(s, req, event_type::kLogin, client_id, user->id);
  // 303: the browser follows with a GET, never re-posting the password.
  auto res = code_redirect(s, req, *ar, *user, now, now, beast_http::status::see_other);
  set_cookie(s, res, s.session_cookie, session_id, s.config.session_lifetime, "Lax");
  clear_cookie(s, res, s.login_cookie);
  return res;
}

// --- logout

Result<Ok, std::string> end_session(const Shared& s, const http::Request& req,
                                    http::Response& res) {
  if (const auto value = cookie(req, s.session_cookie);
      value && !value->empty() && value->size() <= kMaxPresentedSecretLength) {
    const std::string hash = s.endpoint.secrets().hash(*value);
    // Whose session it was, for the event; a cookie that names no session is no sign-out.
    auto session = s.endpoint.store().get_browser_session(hash);
    if (!session && session.error().code != store::StoreErrorCode::kNotFound) {
      return fail(describe(session.error()));
    }
    if (auto ended = s.endpoint.store().delete_browser_session(hash); !ended) {
      return fail(describe(ended.error()));
    }
    if (session) {
      const auto params = request_params(req);
      record_event(s, req, event_type::kLogout,
                   params ? std::string(params->get("client_id").value_or("")) : std::string{},
                   session->user_id);
    }
  }
  clear_cookie(s, res, s.session_cookie);
  return Ok{};
}

// Why logout may not send the browser to `target` for the client `client_id`, or nullopt when it
// may: only to one of that client's allowed logout URLs, compared exactly. Anything else would
// make logout an open redirector.
std::optional<std::string> refuse_logout_target(const TenantSnapshot& snap,
                                                std::string_view client_id,
                                                std::string_view parameter,
                                                std::string_view target) {
  const store::Application* client = snap.find_application(client_id);
  if (client == nullptr) {
    return "no application has the client_id '" + echoed(client_id) + "'";
  }
  const auto& allowed = client->allowed_logout_urls;
  if (std::find(allowed.begin(), allowed.end(), target) != allowed.end()) {
    return std::nullopt;
  }
  return std::string(parameter) + " '" + echoed(target) +
         "' is not one of the application's Allowed Logout URLs. Register it: signet clients "
         "update " +
         command_word(client->client_id, "CLIENT_ID") + " --logout-urls URL[,URL...]";
}

http::Response signed_out(const Shared& s, const http::Request& req,
                          const std::optional<std::string>& location) {
  http::Response res = location ? redirect(req, beast_http::status::found, *location)
                                : message_page(s, req, beast_http::status::ok, "You are signed out",
                                               "You can close this window.");
  if (auto ended = end_session(s, req, res); !ended) {
    return server_error(s, req, "ending a browser session", ended.error());
  }
  return res;
}

http::Response logout_error(const Shared& s, const http::Request& req, std::string message) {
  return message_page(s, req, beast_http::status::bad_request, "Cannot sign out here", message);
}

// Auth0's logout: /v2/logout?client_id=...&returnTo=...
http::Response auth0_logout(const Shared& s, const http::Request& req) {
  auto params = request_params(req);
  if (!params) {
    return logout_error(s, req, params.error());
  }
  const auto return_to = params->get("returnTo");
  if (!return_to) {
    return signed_out(s, req, std::nullopt);
  }
  const auto client_id = params->get("client_id");
  if (!client_id) {
    return logout_error(s, req,
                        "returnTo needs client_id: the application whose Allowed Logout "
                        "URLs list it");
  }
  const auto snap = s.endpoint.tenant().snapshot();
  if (auto refused = refuse_logout_target(*snap, *client_id, "returnTo", *return_to)) {
    return logout_error(s, req, std::move(*refused));
  }
  return signed_out(s, req, std::string(*return_to));
}

// OpenID Connect RP-Initiated Logout 1.0 §2 (GET with a query, or POST with a form).
http::Response oidc_logout(const Shared& s, const http::Request& req) {
  auto params = request_params(req);
  if (!params) {
    return logout_error(s, req, params.error());
  }
  const auto snap = s.endpoint.tenant().snapshot();
  std::vector<std::string> hinted;  // the ID token's audiences
  if (const auto hint = params->get("id_token_hint")) {
    auto claims = verify_own_token_ignoring_time(*snap, s.issuer, *hint);
    if (!claims) {
      return logout_error(s, req,
                          "id_token_hint is not an ID token of this server: " + claims.error());
    }
    if (auto aud = jose::get_string_or_array(*claims, "aud")) {
      for (const auto a : *aud) {
        hinted.emplace_back(a);
      }
    }
  }
  const auto client_id = params->get("client_id");
  if (client_id && !hinted.empty() &&
      std::find(hinted.begin(), hinted.end(), *client_id) == hinted.end()) {
    return logout_error(s, req, "client_id differs from the audience of id_token_hint");
  }
  const auto target = params->get("post_logout_redirect_uri");
  if (!target) {
    return signed_out(s, req, std::nullopt);
  }
  std::string id = client_id ? std::string(*client_id) : hinted.empty() ? "" : hinted.front();
  if (id.empty()) {
    return logout_error(s, req,
                        "post_logout_redirect_uri needs id_token_hint or client_id, to "
                        "know which application registered it");
  }
  if (auto refused = refuse_logout_target(*snap, id, "post_logout_redirect_uri", *target)) {
    return logout_error(s, req, std::move(*refused));
  }
  Fields fields;
  if (const auto state = params->get("state")) {
    fields.emplace_back("state", std::string(*state));
  }
  return signed_out(s, req, fields.empty() ? std::string(*target) : with_query(*target, fields));
}

using Page = http::Response (*)(const Shared&, const http::Request&);

http::AsyncHandler on_blocking(std::shared_ptr<const Shared> s, Page page) {
  return [s, page](const http::Request& req) -> asio::awaitable<http::Response> {
    co_return co_await asio::co_spawn(
        s->blocking, [&]() -> asio::awaitable<http::Response> { co_return page(*s, req); },
        asio::use_awaitable);
  };
}

}  // namespace

void add_sign_in_routes(http::Router& router, TokenEndpoint& endpoint,
                        asio::any_io_executor blocking, SignInConfig config) {
  auto s = std::make_shared<Shared>(Shared{endpoint, std::move(blocking), std::move(config),
                                           endpoint.config().issuer, false, "", ""});
  s->secure = istarts_with(s->issuer, "https://");
  // __Host-: the browser accepts it only with Secure, Path=/ and no Domain, so a sibling
  // subdomain cannot plant or overwrite it (RFC 6265bis §4.1.3.2).
  s->session_cookie = s->secure ? "__Host-signet-session" : "signet-session";
  s->login_cookie = s->secure ? "__Host-signet-login" : "signet-login";
  std::shared_ptr<const Shared> shared = s;

  router.add_async(beast_http::verb::get, "/" + std::string(kAuthorizePath),
                   on_blocking(shared, &authorize));
  router.add_async(beast_http::verb::post, "/" + std::string(kAuthorizePath),
                   on_blocking(shared, &authorize));
  router.add_async(beast_http::verb::post, "/" + std::string(kLoginPath),
                   on_blocking(shared, &login));
  router.add(beast_http::verb::get, "/" + std::string(kLoginStylesheetPath),
             [](const http::Request& req) {
               http::Response res{beast_http::status::ok, req.version()};
               res.set(beast_http::field::content_type, "text/css; charset=utf-8");
               res.set(beast_http::field::cache_control,
                       "public, max-age=" + std::to_string(kLoginStylesheetMaxAge.count()));
               res.set("X-Content-Type-Options", "nosniff");
               res.keep_alive(req.keep_alive());
               res.body() = std::string(login_stylesheet());
               res.prepare_payload();
               return res;
             });
  router.add_async(beast_http::verb::get, "/" + std::string(kLogoutPath),
                   on_blocking(shared, &auth0_logout));
  router.add_async(beast_http::verb::get, "/" + std::string(kOidcLogoutPath),
                   on_blocking(shared, &oidc_logout));
  router.add_async(beast_http::verb::post, "/" + std::string(kOidcLogoutPath),
                   on_blocking(shared, &oidc_logout));
}

}  // namespace signet::server
