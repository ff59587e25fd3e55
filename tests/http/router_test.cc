#include "signet/http/router.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace signet::http {
namespace {

namespace bhttp = boost::beast::http;

Request make_request(bhttp::verb method, std::string target) {
  Request req{method, target, 11};
  req.set(bhttp::field::host, "localhost");
  return req;
}

std::string error_of(const Response& res) {
  return std::string(boost::json::parse(res.body()).as_object().at("error").as_string());
}

Router make_router() {
  Router router;
  router.add(bhttp::verb::get, "/api/public", [](const Request& req) {
    return json_response(req, bhttp::status::ok, R"({"message":"public"})");
  });
  router.add(bhttp::verb::post, "/oauth/token", [](const Request& req) {
    return json_response(req, bhttp::status::ok, R"({"access_token":"t"})");
  });
  return router;
}

TEST(Router, CallsTheHandlerForMethodAndPath) {
  const Router router = make_router();
  const Response res = router.route(make_request(bhttp::verb::get, "/api/public"));
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res.body(), R"({"message":"public"})");
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
}

TEST(Router, IgnoresTheQueryStringWhenMatching) {
  const Router router = make_router();
  const Response res = router.route(make_request(bhttp::verb::get, "/api/public?x=1&y=2"));
  EXPECT_EQ(res.result(), bhttp::status::ok);
}

TEST(Router, UnknownPathIs404Json) {
  const Router router = make_router();
  for (const char* target : {"/nope", "/api/public/", "/API/public", "/api", ""}) {
    const Response res = router.route(make_request(bhttp::verb::get, target));
    EXPECT_EQ(res.result(), bhttp::status::not_found) << target;
    EXPECT_EQ(error_of(res), "not_found");
  }
}

TEST(Router, WrongMethodIs405WithAllow) {
  const Router router = make_router();
  Response res = router.route(make_request(bhttp::verb::delete_, "/api/public"));
  EXPECT_EQ(res.result(), bhttp::status::method_not_allowed);
  EXPECT_EQ(error_of(res), "method_not_allowed");
  EXPECT_EQ(res[bhttp::field::allow], "GET, HEAD, OPTIONS");

  res = router.route(make_request(bhttp::verb::get, "/oauth/token?grant_type=x"));
  EXPECT_EQ(res.result(), bhttp::status::method_not_allowed);
  EXPECT_EQ(res[bhttp::field::allow], "POST, OPTIONS");
}

TEST(Router, HeadRunsGetAndDropsTheBody) {
  const Router router = make_router();
  const Response res = router.route(make_request(bhttp::verb::head, "/api/public"));
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_TRUE(res.body().empty());
  EXPECT_EQ(res[bhttp::field::content_length],
            std::to_string(std::string_view(R"({"message":"public"})").size()));
}

TEST(Router, MethodsFor) {
  Router router = make_router();
  router.add(bhttp::verb::delete_, "/api/public",
             [](const Request& req) { return json_response(req, bhttp::status::no_content, ""); });
  EXPECT_EQ(router.methods_for("/api/public"),
            (std::vector<bhttp::verb>{bhttp::verb::get, bhttp::verb::delete_}));
  EXPECT_EQ(router.methods_for("/api/public?q"),
            (std::vector<bhttp::verb>{bhttp::verb::get, bhttp::verb::delete_}));
  EXPECT_TRUE(router.methods_for("/missing").empty());
  EXPECT_EQ(router.allow_header("/api/public"), "GET, DELETE, HEAD, OPTIONS");
  EXPECT_EQ(router.allow_header("/missing"), "");
}

TEST(Router, RegisteringTwiceIsAnError) {
  Router router = make_router();
  EXPECT_THROW(router.add(bhttp::verb::get, "/api/public", nullptr), std::invalid_argument);
}

TEST(Router, ExceptionsFromHandlersPropagate) {
  Router router;
  router.add(bhttp::verb::get, "/boom",
             [](const Request&) -> Response { throw std::runtime_error("boom"); });
  EXPECT_THROW(router.route(make_request(bhttp::verb::get, "/boom")), std::runtime_error);
}

TEST(JsonResponses, ErrorBodyIsEscapedJson) {
  const Request req = make_request(bhttp::verb::get, "/");
  const Response res =
      json_error(req, bhttp::status::bad_request, "invalid_request", "say \"hi\"\n\\ now");
  const auto body = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(body.at("error").as_string(), "invalid_request");
  EXPECT_EQ(body.at("error_description").as_string(), "say \"hi\"\n\\ now");
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(res.body().size()));
}

TEST(JsonResponses, FollowRequestVersionAndKeepAlive) {
  Request req = make_request(bhttp::verb::get, "/");
  req.version(10);
  Response res = json_response(req, bhttp::status::ok, "{}");
  EXPECT_EQ(res.version(), 10);
  EXPECT_FALSE(res.keep_alive());

  req.version(11);
  req.keep_alive(false);
  res = json_response(req, bhttp::status::ok, "{}");
  EXPECT_FALSE(res.keep_alive());
}

TEST(JsonResponses, PathOfDropsTheQuery) {
  EXPECT_EQ(path_of("/a/b?token=secret"), "/a/b");
  EXPECT_EQ(path_of("/a/b"), "/a/b");
  EXPECT_EQ(path_of("?x"), "");
}

TEST(Router, ImmediateHandlerAnswersOrDefersToTheCoroutine) {
  Router router;
  router.add_async(
      bhttp::verb::get, "/maybe",
      [](const Request& req) -> boost::asio::awaitable<Response> {
        co_return json_response(req, bhttp::status::ok, R"({"waited":true})");
      },
      [](const Request& req) -> std::optional<Response> {
        if (req.target() == "/maybe?wait=1") {
          return std::nullopt;
        }
        return json_response(req, bhttp::status::ok, R"({"waited":false})");
      });
  const auto now = router.route_immediate(Request{bhttp::verb::get, "/maybe", 11});
  ASSERT_TRUE(now);
  EXPECT_EQ(now->body(), R"({"waited":false})");
  EXPECT_FALSE(router.route_immediate(Request{bhttp::verb::get, "/maybe?wait=1", 11}));
  EXPECT_EQ(router.route(Request{bhttp::verb::get, "/maybe?wait=1", 11}).body(),
            R"({"waited":true})");
  const auto head = router.route_immediate(Request{bhttp::verb::head, "/maybe", 11});
  ASSERT_TRUE(head);
  EXPECT_TRUE(head->body().empty());
}

TEST(Router, AsyncRoutesAreAwaitedOrRunToCompletion) {
  Router router;
  router.add_async(bhttp::verb::get, "/co",
                   [](const Request& req) -> boost::asio::awaitable<Response> {
                     co_return json_response(req, bhttp::status::ok, R"({"co":1})");
                   });
  router.add(bhttp::verb::get, "/plain", [](const Request& req) {
    return json_response(req, bhttp::status::ok, R"({"plain":1})");
  });
  Request co{bhttp::verb::get, "/co?x=1", 11};
  Request plain{bhttp::verb::get, "/plain", 11};
  Request head{bhttp::verb::head, "/co", 11};
  EXPECT_TRUE(router.is_async(co));
  EXPECT_TRUE(router.is_async(head));  // HEAD goes to the GET coroutine
  EXPECT_FALSE(router.is_async(plain));
  EXPECT_FALSE(router.is_async(Request{bhttp::verb::get, "/nowhere", 11}));
  EXPECT_EQ(router.route(co).body(), R"({"co":1})");  // synchronous callers still get an answer
  const Response head_res = router.route(head);
  EXPECT_TRUE(head_res.body().empty());
  EXPECT_EQ(head_res[bhttp::field::content_length], "8");
  EXPECT_THROW(router.add_async(bhttp::verb::get, "/co", nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace signet::http
