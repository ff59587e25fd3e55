#include "signet/api/messages_api.h"

#include <algorithm>
#include <string>

#include <boost/json/serialize.hpp>

#include "signet/api/protect.h"

namespace signet::api {
namespace {

namespace beast_http = boost::beast::http;

// The exact texts of the quickstart's sample API.
constexpr std::string_view kPublicMessage =
    "Hello from a public endpoint! You don't need to be authenticated to see this.";
constexpr std::string_view kPrivateMessage =
    "Hello from a private endpoint! You need to be authenticated to see this.";
// With the default scope, the quickstart's text exactly.
std::string scoped_message(std::string_view scope) {
  return "Hello from a private endpoint! You need to be authenticated and have a scope of " +
         std::string(scope) + " to see this.";
}

// {"message": text}, serialized once per route rather than once per request.
std::string message_body(std::string_view text) {
  return boost::json::serialize(boost::json::object{{"message", text}});
}

}  // namespace

bool is_scope_token(std::string_view scope) {
  return !scope.empty() && std::all_of(scope.begin(), scope.end(), [](char c) {
    return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
  });
}

http::Router messages_router(guard::Guard& guard, boost::asio::any_io_executor blocking,
                             std::string_view required_scope, const PublicUrl& url) {
  http::Router router;
  router.add(beast_http::verb::get, "/api/public",
             [body = message_body(kPublicMessage)](const http::Request& req) {
               return http::json_response(req, beast_http::status::ok, body);
             });
  const auto add_protected = [&](std::string path, std::vector<std::string> scopes,
                                 std::string text) {
    auto route = protect(
        guard, blocking, std::move(scopes),
        [body = message_body(text)](const http::Request& req, const guard::VerifiedToken&) {
          return http::json_response(req, beast_http::status::ok, body);
        },
        url);
    router.add_async(beast_http::verb::get, std::move(path), std::move(route.async),
                     std::move(route.immediate));
  };
  add_protected("/api/private", {}, std::string(kPrivateMessage));
  add_protected("/api/private-scoped", {std::string(required_scope)},
                scoped_message(required_scope));
  return router;
}

}  // namespace signet::api
