#include "signet/http/router.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace signet::http {

namespace beast_http = boost::beast::http;

void Router::add(beast_http::verb method, std::string path, Handler handler) {
  add_route(method, std::move(path), Route{method, std::move(handler), nullptr, nullptr});
}

void Router::add_async(beast_http::verb method, std::string path, AsyncHandler handler,
                       ImmediateHandler immediate) {
  add_route(method, std::move(path),
            Route{method, nullptr, std::move(handler), std::move(immediate)});
}

void Router::add_route(beast_http::verb method, std::string path, Route route) {
  auto& routes = routes_[path];
  if (routes.empty()) {
    route_labels_.push_back(path);
  }
  route.slot = routes.empty() ? route_labels_.size() - 1 : routes.front().slot;
  for (const auto& existing : routes) {
    if (existing.method == method) {
      throw std::invalid_argument(
          "route registered twice: " + std::string(beast_http::to_string(method)) + " " + path);
    }
  }
  routes.push_back(std::move(route));
}

void Router::add_subtree(std::string prefix, AsyncHandler handler) {
  for (const auto& [existing, route] : subtrees_) {
    if (existing == prefix) {
      throw std::invalid_argument("subtree registered twice: " + prefix);
    }
  }
  // The subtree's handler sees every method; HEAD is its to answer too.
  route_labels_.push_back(prefix);
  subtrees_.emplace_back(std::move(prefix),
                         Route{beast_http::verb::unknown, nullptr, std::move(handler), nullptr,
                               route_labels_.size() - 1});
  std::stable_sort(subtrees_.begin(), subtrees_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

const Router::Route* Router::target_route(const Request& req) const {
  const std::string_view path = path_of(req.target());
  if (const Route* route = find(path, req.method())) {
    return route;
  }
  if (req.method() == beast_http::verb::head) {
    if (const Route* route = find(path, beast_http::verb::get)) {
      return route;
    }
  }
  if (routes_.contains(path)) {
    return nullptr;  // a known path with another method: 405 below, not the subtree
  }
  for (const auto& [prefix, route] : subtrees_) {
    if (path.starts_with(prefix)) {
      return &route;
    }
  }
  return nullptr;
}

std::size_t Router::route_slot(const Request& req) const {
  if (const Route* route = target_route(req)) {
    return route->slot;
  }
  const auto it = routes_.find(path_of(req.target()));
  return it != routes_.end() ? it->second.front().slot : route_labels_.size();
}

bool Router::is_async(const Request& req) const {
  const Route* route = target_route(req);
  return route != nullptr && route->async_handler != nullptr;
}

const Router::Route* Router::find(std::string_view path, beast_http::verb method) const {
  const auto it = routes_.find(path);
  if (it == routes_.end()) {
    return nullptr;
  }
  for (const auto& route : it->second) {
    if (route.method == method) {
      return &route;
    }
  }
  return nullptr;
}

std::vector<beast_http::verb> Router::methods_for(std::string_view path) const {
  std::vector<beast_http::verb> methods;
  const auto it = routes_.find(path_of(path));
  if (it != routes_.end()) {
    for (const auto& route : it->second) {
      methods.push_back(route.method);
    }
  }
  return methods;
}

std::vector<beast_http::verb> Router::methods() const {
  std::vector<beast_http::verb> methods;
  for (const auto& [path, routes] : routes_) {
    for (const auto& route : routes) {
      if (std::find(methods.begin(), methods.end(), route.method) == methods.end()) {
        methods.push_back(route.method);
      }
    }
  }
  return methods;
}

std::string Router::allow_header(std::string_view path) const {
  const auto methods = methods_for(path);
  if (methods.empty()) {
    return {};
  }
  const auto has = [&](beast_http::verb v) {
    return std::find(methods.begin(), methods.end(), v) != methods.end();
  };
  std::string allow;
  const auto append = [&](beast_http::verb v) {
    if (!allow.empty()) {
      allow += ", ";
    }
    allow += beast_http::to_string(v);
  };
  for (const auto method : methods) {
    append(method);
  }
  if (has(beast_http::verb::get) && !has(beast_http::verb::head)) {
    append(beast_http::verb::head);
  }
  if (!has(beast_http::verb::options)) {
    append(beast_http::verb::options);
  }
  return allow;
}

namespace {

// A coroutine handler run to completion here, for synchronous callers.
Response run_to_completion(const AsyncHandler& handler, const Request& req) {
  boost::asio::io_context context;
  std::optional<Response> res;
  std::exception_ptr error;
  boost::asio::co_spawn(context, handler(req), [&](std::exception_ptr e, Response r) {
    error = e;
    res = std::move(r);
  });
  context.run();
  if (error) {
    std::rethrow_exception(error);
  }
  return std::move(*res);
}

// A HEAD response carries the headers a GET would, including its Content-Length.
void strip_for_head(Response& res) {
  if (!res.has_content_length() && !res.chunked()) {
    res.content_length(res.body().size());
  }
  res.body().clear();
}

}  // namespace

boost::asio::awaitable<Response> Router::route_async(const Request& req) const {
  const Route* route = target_route(req);
  if (route == nullptr || route->async_handler == nullptr) {
    co_return this->route(req);
  }
  Response res = co_await route->async_handler(req);
  if (req.method() == beast_http::verb::head && route->method != beast_http::verb::head &&
      route->method != beast_http::verb::unknown) {
    strip_for_head(res);
  }
  co_return res;
}

std::optional<Response> Router::route_immediate(const Request& req) const {
  const Route* route = target_route(req);
  if (route == nullptr || !route->immediate) {
    return std::nullopt;
  }
  auto res = route->immediate(req);
  if (res && req.method() == beast_http::verb::head && route->method != beast_http::verb::head) {
    strip_for_head(*res);
  }
  return res;
}

Response Router::route(const Request& req) const {
  const std::string_view path = path_of(req.target());
  if (const Route* route = target_route(req)) {
    Response res =
        route->handler ? route->handler(req) : run_to_completion(route->async_handler, req);
    if (req.method() == beast_http::verb::head && route->method != beast_http::verb::head &&
        route->method != beast_http::verb::unknown) {
      strip_for_head(res);
    }
    return res;
  }
  const std::string allow = allow_header(path);
  if (allow.empty()) {
    Response res = json_error(req, beast_http::status::not_found, "not_found",
                              "no resource at this path; check the URL");
    set_no_store(res);
    return res;
  }
  Response res =
      json_error(req, beast_http::status::method_not_allowed, "method_not_allowed",
                 std::string(req.method_string()) + " is not allowed here; use one of: " + allow);
  res.set(beast_http::field::allow, allow);
  set_no_store(res);
  return res;
}

}  // namespace signet::http
