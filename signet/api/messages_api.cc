#include "signet/api/messages_api.h"

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
constexpr std::string_view kScopedMessage =
    "Hello from a private endpoint! You need to be authenticated and have a scope of "
    "read:messages to see this.";

http::Response message(const http::Request& req, std::string_view text) {
  return http::json_response(req, beast_http::status::ok,
                             boost::json::serialize(boost::json::object{{"message", text}}));
}

}  // namespace

http::Router messages_router(guard::Guard& guard, boost::asio::any_io_executor blocking) {
  http::Router router;
  router.add(beast_http::verb::get, "/api/public",
             [](const http::Request& req) { return message(req, kPublicMessage); });
  const auto add_protected = [&](std::string path, std::vector<std::string> scopes,
                                 std::string_view text) {
    auto route = protect(guard, blocking, std::move(scopes),
                         [text](const http::Request& req, const guard::VerifiedToken&) {
                           return message(req, text);
                         });
    router.add_async(beast_http::verb::get, std::move(path), std::move(route.async),
                     std::move(route.immediate));
  };
  add_protected("/api/private", {}, kPrivateMessage);
  add_protected("/api/private-scoped", {std::string(kMessagesScope)}, kScopedMessage);
  return router;
}

}  // namespace signet::api
