#pragma once

// CORS for browser clients (the dashboard, single-page apps), as a pure layer over the router:
// no sockets, so every rule is unit-testable.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/http/message.h"
#include "signet/http/router.h"

namespace signet::http {

struct CorsOptions {
  // Exact origins ("https://app.example.com", no trailing slash); "*" allows every origin. Empty
  // disables CORS: no Access-Control-* header is ever sent.
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_headers{"Authorization", "Content-Type"};
  std::chrono::seconds max_age{600};  // how long a browser may cache a preflight answer
  // When set, decides instead of allowed_origins, per origin and request path: for origins that
  // change at run time (the authorization server's applications register their web origins).
  std::function<bool(std::string_view origin, std::string_view path)> allow;

  bool enabled() const { return !allowed_origins.empty() || allow != nullptr; }
};

// True when `origin` is in the allowed list (exact, case-sensitive match) or the list has "*",
// or, with `allow` set, when it says so for `path`.
bool origin_allowed(const CorsOptions& options, std::string_view origin,
                    std::string_view path = {});

// True for a CORS preflight: OPTIONS with both Origin and Access-Control-Request-Method.
bool is_preflight(const Request& req);

// The answer to an OPTIONS request for a path the router knows: 204 with Allow, and for a preflight
// from an allowed origin Access-Control-Allow-{Origin,Methods,Headers} and Access-Control-Max-Age.
// A preflight from any other origin gets a bare 204, which the browser treats as a refusal.
Response options_response(const Request& req, const CorsOptions& options, const Router& router);

// Adds Access-Control-Allow-Origin (the request's own Origin) to `res` when that origin is allowed,
// and Vary: Origin whenever CORS is enabled, since the answer then depends on Origin.
void add_cors_headers(const Request& req, const CorsOptions& options, Response& res);

// The whole request path minus the network: OPTIONS on a known path without an OPTIONS handler is
// answered by options_response, everything else by the router; then CORS headers are added.
// Exceptions from handlers propagate.
Response dispatch(const Request& req, const CorsOptions& options, const Router& router);
// For a coroutine route: the answer if its immediate handler gives one now (CORS headers added).
std::optional<Response> dispatch_immediate(const Request& req, const CorsOptions& options,
                                           const Router& router);
// The same, awaiting the handler when it is a coroutine.
boost::asio::awaitable<Response> dispatch_async(const Request& req, const CorsOptions& options,
                                                const Router& router);

}  // namespace signet::http
