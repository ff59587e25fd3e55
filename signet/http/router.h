#pragma once

// Maps a method and an exact path to a handler, and answers 404, 405 and HEAD itself.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "signet/http/message.h"

namespace signet::http {

// A handler that may wait (for example for a key fetch) without holding a worker thread: it is a
// coroutine on the connection's executor and may hop to other executors and back.
using AsyncHandler = std::function<boost::asio::awaitable<Response>(const Request&)>;
// The fast path of a coroutine route: the answer when it can be given at once, nullopt when the
// request must wait (the server then awaits the AsyncHandler). Spares the common case the cost of
// coroutine frames.
using ImmediateHandler = std::function<std::optional<Response>(const Request&)>;

class Router {
 public:
  // Registers `handler` for `method` on `path` (exact match, no query string). Registering the same
  // method and path twice is a programming error and throws std::invalid_argument (start-up only).
  void add(boost::beast::http::verb method, std::string path, Handler handler);
  // The same for a coroutine handler.
  void add_async(boost::beast::http::verb method, std::string path, AsyncHandler handler,
                 ImmediateHandler immediate = nullptr);

  // Registers `handler` for every method on every path that starts with `prefix` and has no
  // route of its own: for an API that dispatches its own paths (path parameters, its own 404 and
  // 405 bodies). The longest matching prefix wins. Registering a prefix twice throws
  // std::invalid_argument (start-up only).
  void add_subtree(std::string prefix, AsyncHandler handler);

  // True when the request goes to a coroutine handler (the server then awaits route_async).
  bool is_async(const Request& req) const;
  // Like route(), awaiting a coroutine handler; for other requests it is route().
  boost::asio::awaitable<Response> route_async(const Request& req) const;
  // For a coroutine route with an immediate handler: its answer, if it gives one now.
  std::optional<Response> route_immediate(const Request& req) const;

  // Calls the handler for the request's method and path (the query string is ignored for
  // matching). HEAD on a path with GET but no HEAD handler runs the GET handler and drops the body,
  // keeping its Content-Length. Unknown path: 404 {"error":"not_found"}. Known path, other method:
  // 405 {"error":"method_not_allowed"} with an Allow header. Exceptions from handlers propagate.
  // A coroutine handler is run to completion on a private I/O context (blocking the caller): for
  // tests and synchronous callers; the server uses route_async.
  Response route(const Request& req) const;

  // The methods registered for `path` (a query string is ignored), in registration order; empty
  // when the path is unknown.
  std::vector<boost::beast::http::verb> methods_for(std::string_view path) const;

  // The value of an Allow header for `path`: its methods, plus HEAD when it has GET, plus OPTIONS
  // (which the server answers). Empty when the path is unknown.
  std::string allow_header(std::string_view path) const;

  // Every method registered on some path, each once, in no particular order. Subtrees, which
  // dispatch their own methods, add none.
  std::vector<boost::beast::http::verb> methods() const;
  // Where metrics count a request: the index in route_labels() of the registered path or subtree
  // prefix it went to (or would have, for a method the path lacks), or route_labels().size() when
  // no route matches. Bounded by what was registered, so a label never holds a client's path.
  std::size_t route_slot(const Request& req) const;
  // The registered paths and subtree prefixes, in registration order.
  const std::vector<std::string>& route_labels() const { return route_labels_; }

 private:
  struct Route {
    boost::beast::http::verb method;
    Handler handler;  // exactly one of these two is set
    AsyncHandler async_handler;
    ImmediateHandler immediate;  // optional, with async_handler only
    std::size_t slot = 0;        // its path's index in route_labels_
  };
  // The route that serves `req`: its method, or GET for a HEAD request. Null if none.
  const Route* target_route(const Request& req) const;
  void add_route(boost::beast::http::verb method, std::string path, Route route);
  const Route* find(std::string_view path, boost::beast::http::verb method) const;

  std::map<std::string, std::vector<Route>, std::less<>> routes_;
  std::vector<std::pair<std::string, Route>> subtrees_;  // longest prefix first
  std::vector<std::string> route_labels_;
};

}  // namespace signet::http
