#pragma once

// Maps a method and an exact path to a handler, and answers 404, 405 and HEAD itself.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "signet/http/message.h"

namespace signet::http {

class Router {
 public:
  // Registers `handler` for `method` on `path` (exact match, no query string). Registering the same
  // method and path twice is a programming error and throws std::invalid_argument (start-up only).
  void add(boost::beast::http::verb method, std::string path, Handler handler);

  // Calls the handler for the request's method and path (the query string is ignored for
  // matching). HEAD on a path with GET but no HEAD handler runs the GET handler and drops the body,
  // keeping its Content-Length. Unknown path: 404 {"error":"not_found"}. Known path, other method:
  // 405 {"error":"method_not_allowed"} with an Allow header. Exceptions from handlers propagate.
  Response route(const Request& req) const;

  // The methods registered for `path` (a query string is ignored), in registration order; empty
  // when the path is unknown.
  std::vector<boost::beast::http::verb> methods_for(std::string_view path) const;

  // The value of an Allow header for `path`: its methods, plus HEAD when it has GET, plus OPTIONS
  // (which the server answers). Empty when the path is unknown.
  std::string allow_header(std::string_view path) const;

 private:
  struct Route {
    boost::beast::http::verb method;
    Handler handler;
  };
  const Route* find(std::string_view path, boost::beast::http::verb method) const;

  std::map<std::string, std::vector<Route>, std::less<>> routes_;
};

}  // namespace signet::http
