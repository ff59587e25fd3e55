#include "signet/http/router.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
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

// --- add_subtree

// A subtree handler that answers with its name and the method and target it saw.
AsyncHandler subtree(std::string name) {
  return [name](const Request& req) -> boost::asio::awaitable<Response> {
    co_return json_response(
        req, bhttp::status::ok,
        boost::json::serialize(boost::json::object{{"handler", name},
                                                   {"method", std::string(req.method_string())},
                                                   {"target", std::string(req.target())}}));
  };
}

std::string handler_of(const Response& res) {
  return std::string(boost::json::parse(res.body()).as_object().at("handler").as_string());
}

TEST(RouterSubtree, LongestPrefixWinsWhateverTheOrder) {
  Router router;
  router.add_subtree("/api/v2/", subtree("long"));
  router.add_subtree("/api/", subtree("short"));
  router.add_subtree("/api/v2/keys/", subtree("longest"));
  EXPECT_EQ(handler_of(router.route(make_request(bhttp::verb::get, "/api/v2/clients"))), "long");
  EXPECT_EQ(handler_of(router.route(make_request(bhttp::verb::get, "/api/v2/keys/signing"))),
            "longest");
  EXPECT_EQ(handler_of(router.route(make_request(bhttp::verb::get, "/api/v2/"))), "long");
  // "/api/v2" is not under "/api/v2/": the shorter prefix takes it.
  EXPECT_EQ(handler_of(router.route(make_request(bhttp::verb::get, "/api/v2"))), "short");
  EXPECT_EQ(handler_of(router.route(make_request(bhttp::verb::delete_, "/api/x?q=/api/v2/"))),
            "short");
  const Response outside = router.route(make_request(bhttp::verb::get, "/apix"));
  EXPECT_EQ(outside.result(), bhttp::status::not_found);
  EXPECT_EQ(error_of(outside), "not_found");
}

TEST(RouterSubtree, SeesEveryMethodAndTheWholeTarget) {
  Router router;
  router.add_subtree("/api/v2/", subtree("api"));
  for (const auto method : {bhttp::verb::get, bhttp::verb::post, bhttp::verb::put,
                            bhttp::verb::patch, bhttp::verb::delete_, bhttp::verb::options}) {
    const Request req = make_request(method, "/api/v2/users/a%7Cb?page=1");
    EXPECT_TRUE(router.is_async(req));
    const auto body = boost::json::parse(router.route(req).body()).as_object();
    EXPECT_EQ(body.at("method").as_string(), bhttp::to_string(method));
    EXPECT_EQ(body.at("target").as_string(), "/api/v2/users/a%7Cb?page=1");
  }
}

TEST(RouterSubtree, ExactRoutesWinOverTheSubtree) {
  Router router = make_router();
  router.add_subtree("/api/", subtree("api"));
  const Response exact = router.route(make_request(bhttp::verb::get, "/api/public"));
  EXPECT_EQ(exact.body(), R"({"message":"public"})");
  EXPECT_FALSE(router.is_async(make_request(bhttp::verb::get, "/api/public")));
  // HEAD on an exact GET route is that route's, stripped as usual.
  const Response head = router.route(make_request(bhttp::verb::head, "/api/public"));
  EXPECT_EQ(head.result(), bhttp::status::ok);
  EXPECT_TRUE(head.body().empty());
  // A path the exact routes do not know goes to the subtree.
  EXPECT_EQ(handler_of(router.route(make_request(bhttp::verb::get, "/api/public/x"))), "api");
}

TEST(RouterSubtree, AKnownPathWithAnotherMethodIs405NotTheSubtree) {
  Router router = make_router();
  router.add_subtree("/api/", subtree("api"));
  const Request req = make_request(bhttp::verb::post, "/api/public");
  EXPECT_FALSE(router.is_async(req));
  const Response res = router.route(req);
  EXPECT_EQ(res.result(), bhttp::status::method_not_allowed);
  EXPECT_EQ(error_of(res), "method_not_allowed");
  EXPECT_EQ(res[bhttp::field::allow], "GET, HEAD, OPTIONS");
  // And the same through the coroutine path the server takes.
  boost::asio::io_context context;
  std::optional<Response> awaited;
  boost::asio::co_spawn(context, router.route_async(req),
                        [&](std::exception_ptr, Response r) { awaited = std::move(r); });
  context.run();
  ASSERT_TRUE(awaited);
  EXPECT_EQ(awaited->result(), bhttp::status::method_not_allowed);
}

TEST(RouterSubtree, RegisteringAPrefixTwiceIsAnError) {
  Router router;
  router.add_subtree("/api/v2/", subtree("first"));
  EXPECT_THROW(router.add_subtree("/api/v2/", subtree("second")), std::invalid_argument);
  router.add_subtree("/api/v2", subtree("other"));  // another prefix, however close
  EXPECT_EQ(handler_of(router.route(make_request(bhttp::verb::get, "/api/v2/x"))), "first");
}

TEST(RouterSubtree, HeadGoesToTheSubtreeHandlerUnstripped) {
  Router router;
  router.add_subtree("/api/v2/", subtree("api"));
  const Request req = make_request(bhttp::verb::head, "/api/v2/clients");
  EXPECT_TRUE(router.is_async(req));
  // The subtree answers HEAD itself: the router neither turns it into GET nor drops its body.
  for (const Response& res : {router.route(req), [&] {
                                boost::asio::io_context context;
                                std::optional<Response> out;
                                boost::asio::co_spawn(
                                    context, router.route_async(req),
                                    [&](std::exception_ptr, Response r) { out = std::move(r); });
                                context.run();
                                return std::move(*out);
                              }()}) {
    ASSERT_FALSE(res.body().empty());
    const auto body = boost::json::parse(res.body()).as_object();
    EXPECT_EQ(body.at("handler").as_string(), "api");
    EXPECT_EQ(body.at("method").as_string(), "HEAD");
  }
}

// Metrics label a request with the path it was registered under, never with the path the client
// sent, so a label's values are bounded by the routes.
TEST(Router, RouteSlotsNameTheRegisteredPathOrUnmatched) {
  Router router = make_router();
  router.add(bhttp::verb::head, "/api/public",
             [](const Request& req) { return json_response(req, bhttp::status::ok, "{}"); });
  router.add_subtree("/api/v2/", [](const Request& req) -> boost::asio::awaitable<Response> {
    co_return json_response(req, bhttp::status::ok, "{}");
  });
  const auto& labels = router.route_labels();
  const auto label_of = [&](bhttp::verb method, std::string target) {
    const std::size_t slot = router.route_slot(make_request(method, std::move(target)));
    return slot < labels.size() ? labels[slot] : std::string("unmatched");
  };
  EXPECT_EQ(label_of(bhttp::verb::get, "/api/public?x=1"), "/api/public");
  EXPECT_EQ(label_of(bhttp::verb::head, "/api/public"), "/api/public");
  EXPECT_EQ(label_of(bhttp::verb::delete_, "/api/public"), "/api/public");  // a 405
  EXPECT_EQ(label_of(bhttp::verb::post, "/oauth/token"), "/oauth/token");
  EXPECT_EQ(label_of(bhttp::verb::get, "/api/v2/users/abc"), "/api/v2/");
  EXPECT_EQ(label_of(bhttp::verb::get, "/secret-looking-path"), "unmatched");
  // One label per path, however many methods it has.
  EXPECT_EQ(std::count(labels.begin(), labels.end(), "/api/public"), 1);
}

}  // namespace
}  // namespace signet::http
