#include "signet/http/cors.h"

#include <algorithm>

namespace signet::http {

namespace beast_http = boost::beast::http;

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += ", ";
    }
    out += item;
  }
  return out;
}

}  // namespace

bool origin_allowed(const CorsOptions& options, std::string_view origin, std::string_view path) {
  if (origin.empty()) {
    return false;
  }
  if (options.allow) {
    return options.allow(origin, path);
  }
  return std::any_of(
      options.allowed_origins.begin(), options.allowed_origins.end(),
      [&](const std::string& allowed) { return allowed == "*" || allowed == origin; });
}

bool is_preflight(const Request& req) {
  return req.method() == beast_http::verb::options && req.count(beast_http::field::origin) > 0 &&
         req.count(beast_http::field::access_control_request_method) > 0;
}

Response options_response(const Request& req, const CorsOptions& options, const Router& router) {
  Response res{beast_http::status::no_content, req.version()};
  res.keep_alive(req.keep_alive());
  res.set(beast_http::field::allow, router.allow_header(req.target()));
  if (!is_preflight(req) ||
      !origin_allowed(options, req[beast_http::field::origin], path_of(req.target()))) {
    return res;
  }
  res.set(beast_http::field::access_control_allow_methods, router.allow_header(req.target()));
  if (!options.allowed_headers.empty()) {
    res.set(beast_http::field::access_control_allow_headers, join(options.allowed_headers));
  }
  res.set(beast_http::field::access_control_max_age, std::to_string(options.max_age.count()));
  add_cors_headers(req, options, res);
  return res;
}

void add_cors_headers(const Request& req, const CorsOptions& options, Response& res) {
  if (!options.enabled()) {
    return;
  }
  // Caches must not serve one origin's answer to another, allowed or not.
  const auto vary = res[beast_http::field::vary];
  if (vary.empty()) {
    res.set(beast_http::field::vary, "Origin");
  } else if (vary.find("Origin") == std::string_view::npos) {
    res.set(beast_http::field::vary, std::string(vary) + ", Origin");
  }
  const auto origin = req[beast_http::field::origin];
  if (origin_allowed(options, origin, path_of(req.target()))) {
    // The request's own origin rather than "*", so that the same code serves credentialed requests.
    res.set(beast_http::field::access_control_allow_origin, origin);
  }
}

namespace {

// True for an OPTIONS request the server answers itself (a known path without an OPTIONS route).
bool server_answers_options(const Request& req, const Router& router) {
  if (req.method() != beast_http::verb::options) {
    return false;
  }
  const auto methods = router.methods_for(path_of(req.target()));
  return !methods.empty() &&
         std::find(methods.begin(), methods.end(), beast_http::verb::options) == methods.end();
}

}  // namespace

Response dispatch(const Request& req, const CorsOptions& options, const Router& router) {
  Response res = server_answers_options(req, router) ? options_response(req, options, router)
                                                     : router.route(req);
  add_cors_headers(req, options, res);
  return res;
}

std::optional<Response> dispatch_immediate(const Request& req, const CorsOptions& options,
                                           const Router& router) {
  if (server_answers_options(req, router)) {
    return std::nullopt;
  }
  auto res = router.route_immediate(req);
  if (res) {
    add_cors_headers(req, options, *res);
  }
  return res;
}

boost::asio::awaitable<Response> dispatch_async(const Request& req, const CorsOptions& options,
                                                const Router& router) {
  if (server_answers_options(req, router) || !router.is_async(req)) {
    co_return dispatch(req, options, router);
  }
  Response res = co_await router.route_async(req);
  add_cors_headers(req, options, res);
  co_return res;
}

}  // namespace signet::http
