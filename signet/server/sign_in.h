#pragma once

// Browser sign-in (docs/sign-in.md): GET /authorize (the authorization code flow with PKCE), the
// login page at /u/login, the session cookie that lets a second /authorize skip the form, and
// logout (Auth0's /v2/logout, OpenID RP-Initiated Logout at /oidc/logout).
//
// Sessions live in the store (only a hash of the cookie's value), so they can be ended from the
// admin CLI and are shared by replicas. The login form is protected against cross-site posts by
// a cookie and a token derived from it under the server's key, and against framing by its CSP.

#include <chrono>

#include <boost/asio/any_io_executor.hpp>

#include "signet/http/router.h"
#include "signet/server/login_page.h"
#include "signet/server/token_endpoint.h"

namespace signet::server {

// RFC 6749 §4.1.2 recommends at most 10 minutes; a code is exchanged within a second of the
// redirect, so 60 s covers slow networks and nothing more.
constexpr auto kAuthorizationCodeLifetime = std::chrono::seconds{60};
// Codes are kept this long after they expire, so that a late second use is still recognised as
// reuse (and revokes what the first use issued) rather than as an unknown code.
constexpr auto kUsedCodeRetention = std::chrono::hours{1};
// Auth0's defaults: a session ends after 3 days without use, and 30 days after sign-in at most.
constexpr auto kDefaultSessionIdleTimeout = std::chrono::seconds{3 * 86'400};
constexpr auto kDefaultSessionLifetime = std::chrono::seconds{30 * 86'400};
// A login form older than this is refused (its CSRF token is stale) and shown again.
constexpr auto kDefaultLoginFormLifetime = std::chrono::seconds{3'600};
// How long browsers may cache the login page's stylesheet: it changes only with signet itself.
constexpr auto kLoginStylesheetMaxAge = std::chrono::seconds{3'600};
// bytes of a session id and of the login form's cookie: 256 bits, never guessed.
constexpr std::size_t kSessionIdRandomBytes = 32;

// The paths, relative to the issuer.
inline constexpr std::string_view kAuthorizePath = "authorize";
inline constexpr std::string_view kLoginPath = "u/login";
inline constexpr std::string_view kLoginStylesheetPath = "u/login.css";
inline constexpr std::string_view kLogoutPath = "v2/logout";
inline constexpr std::string_view kOidcLogoutPath = "oidc/logout";

struct SignInConfig {
  std::chrono::seconds session_idle_timeout = kDefaultSessionIdleTimeout;
  std::chrono::seconds session_lifetime = kDefaultSessionLifetime;
  std::chrono::seconds login_form_lifetime = kDefaultLoginFormLifetime;
  bool require_pkce = true;  // also for confidential clients (public ones always)
  Branding branding;
};

// Adds the sign-in routes to `router`. Everything that reads the store or checks a password runs
// on `blocking`. `endpoint` must outlive the router.
void add_sign_in_routes(http::Router& router, TokenEndpoint& endpoint,
                        boost::asio::any_io_executor blocking, SignInConfig config);

}  // namespace signet::server
