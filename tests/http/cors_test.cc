#include "signet/http/cors.h"

#include <gtest/gtest.h>

namespace signet::http {
namespace {

namespace bhttp = boost::beast::http;

constexpr const char* kApp = "https://app.example.com";

Router make_router() {
  Router router;
  router.add(bhttp::verb::get, "/api/private", [](const Request& req) {
    return json_response(req, bhttp::status::ok, R"({"message":"private"})");
  });
  router.add(bhttp::verb::post, "/api/private",
             [](const Request& req) { return json_response(req, bhttp::status::created, "{}"); });
  return router;
}

CorsOptions app_only() {
  CorsOptions options;
  options.allowed_origins = {kApp};
  return options;
}

Request make_request(bhttp::verb method, const char* target, const char* origin = nullptr) {
  Request req{method, target, 11};
  req.set(bhttp::field::host, "localhost");
  if (origin != nullptr) {
    req.set(bhttp::field::origin, origin);
  }
  return req;
}

Request preflight(const char* origin, const char* target = "/api/private") {
  Request req = make_request(bhttp::verb::options, target, origin);
  req.set(bhttp::field::access_control_request_method, "GET");
  req.set(bhttp::field::access_control_request_headers, "authorization");
  return req;
}

TEST(Cors, OriginMatchingIsExact) {
  const CorsOptions options = app_only();
  EXPECT_TRUE(origin_allowed(options, kApp));
  EXPECT_FALSE(origin_allowed(options, "https://app.example.com/"));
  EXPECT_FALSE(origin_allowed(options, "https://APP.example.com"));
  EXPECT_FALSE(origin_allowed(options, "http://app.example.com"));
  EXPECT_FALSE(origin_allowed(options, "https://app.example.com.evil.com"));
  EXPECT_FALSE(origin_allowed(options, ""));
  EXPECT_FALSE(origin_allowed(CorsOptions{}, kApp));

  CorsOptions any;
  any.allowed_origins = {"*"};
  EXPECT_TRUE(origin_allowed(any, "https://whoever.example"));
  EXPECT_FALSE(origin_allowed(any, ""));
}

TEST(Cors, AllowedOriginGetsItsOwnOriginBack) {
  const Response res =
      dispatch(make_request(bhttp::verb::get, "/api/private", kApp), app_only(), make_router());
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], kApp);
  EXPECT_EQ(res[bhttp::field::vary], "Origin");
}

TEST(Cors, WildcardEchoesTheOrigin) {
  CorsOptions options;
  options.allowed_origins = {"*"};
  const Response res =
      dispatch(make_request(bhttp::verb::get, "/api/private", "https://other.example"), options,
               make_router());
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "https://other.example");
}

TEST(Cors, OtherOriginGetsNoAllowOrigin) {
  const Response res =
      dispatch(make_request(bhttp::verb::get, "/api/private", "https://evil.example"), app_only(),
               make_router());
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res.count(bhttp::field::access_control_allow_origin), 0u);
  EXPECT_EQ(res[bhttp::field::vary], "Origin");  // a cache must still keep the answers apart
}

TEST(Cors, DisabledAddsNothing) {
  const Response res =
      dispatch(make_request(bhttp::verb::get, "/api/private", kApp), CorsOptions{}, make_router());
  EXPECT_EQ(res.count(bhttp::field::access_control_allow_origin), 0u);
  EXPECT_EQ(res.count(bhttp::field::vary), 0u);
}

TEST(Cors, ErrorResponsesCarryTheHeadersToo) {
  // Without them a browser hides the error body from the page.
  const Response res =
      dispatch(make_request(bhttp::verb::get, "/missing", kApp), app_only(), make_router());
  EXPECT_EQ(res.result(), bhttp::status::not_found);
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], kApp);
}

TEST(Cors, PreflightFromAllowedOrigin) {
  const Response res = dispatch(preflight(kApp), app_only(), make_router());
  EXPECT_EQ(res.result(), bhttp::status::no_content);
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], kApp);
  EXPECT_EQ(res[bhttp::field::access_control_allow_methods], "GET, POST, HEAD, OPTIONS");
  EXPECT_EQ(res[bhttp::field::access_control_allow_headers], "Authorization, Content-Type");
  EXPECT_EQ(res[bhttp::field::access_control_max_age], "600");
  EXPECT_EQ(res[bhttp::field::vary], "Origin");
  EXPECT_TRUE(res.body().empty());
}

TEST(Cors, PreflightUsesConfiguredHeadersAndMaxAge) {
  CorsOptions options = app_only();
  options.allowed_headers = {"Authorization", "DPoP"};
  options.max_age = std::chrono::seconds{60};
  const Response res = dispatch(preflight(kApp), options, make_router());
  EXPECT_EQ(res[bhttp::field::access_control_allow_headers], "Authorization, DPoP");
  EXPECT_EQ(res[bhttp::field::access_control_max_age], "60");
}

TEST(Cors, PreflightFromOtherOriginIsABare204) {
  const Response res = dispatch(preflight("https://evil.example"), app_only(), make_router());
  EXPECT_EQ(res.result(), bhttp::status::no_content);
  for (const auto field :
       {bhttp::field::access_control_allow_origin, bhttp::field::access_control_allow_methods,
        bhttp::field::access_control_allow_headers, bhttp::field::access_control_max_age}) {
    EXPECT_EQ(res.count(field), 0u) << bhttp::to_string(field);
  }
}

TEST(Cors, PreflightOnUnknownPathIs404) {
  const Response res = dispatch(preflight(kApp, "/missing"), app_only(), make_router());
  EXPECT_EQ(res.result(), bhttp::status::not_found);
}

TEST(Cors, PlainOptionsListsTheMethods) {
  const Response res =
      dispatch(make_request(bhttp::verb::options, "/api/private?x=1"), app_only(), make_router());
  EXPECT_EQ(res.result(), bhttp::status::no_content);
  EXPECT_EQ(res[bhttp::field::allow], "GET, POST, HEAD, OPTIONS");
  EXPECT_EQ(res.count(bhttp::field::access_control_allow_methods), 0u);
  EXPECT_FALSE(is_preflight(make_request(bhttp::verb::options, "/api/private", kApp)));
  EXPECT_TRUE(is_preflight(preflight(kApp)));
}

TEST(Cors, AnExplicitOptionsHandlerWins) {
  Router router = make_router();
  router.add(bhttp::verb::options, "/custom", [](const Request& req) {
    return json_response(req, bhttp::status::ok, R"({"custom":true})");
  });
  const Response res = dispatch(preflight(kApp, "/custom"), app_only(), router);
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res.body(), R"({"custom":true})");
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], kApp);
}

TEST(Cors, VaryIsMergedNotReplaced) {
  Router router;
  router.add(bhttp::verb::get, "/v", [](const Request& req) {
    Response res = json_response(req, bhttp::status::ok, "{}");
    res.set(bhttp::field::vary, "Accept-Encoding");
    return res;
  });
  const Response res = dispatch(make_request(bhttp::verb::get, "/v", kApp), app_only(), router);
  EXPECT_EQ(res[bhttp::field::vary], "Accept-Encoding, Origin");
}

}  // namespace
}  // namespace signet::http

namespace signet::http {
namespace {

// The authorization server's origins change with its applications: a predicate decides, per
// origin and path, and the answer follows it.
TEST(Cors, APredicateDecidesPerOriginAndPath) {
  CorsOptions options;
  options.allow = [](std::string_view origin, std::string_view path) {
    return origin == kApp && path == "/api/private";
  };
  EXPECT_TRUE(options.enabled());
  EXPECT_TRUE(origin_allowed(options, kApp, "/api/private"));
  EXPECT_FALSE(origin_allowed(options, kApp, "/elsewhere"));
  EXPECT_FALSE(origin_allowed(options, "https://evil.example", "/api/private"));

  const Router router = make_router();
  const Response allowed =
      dispatch(make_request(bhttp::verb::get, "/api/private", kApp), options, router);
  EXPECT_EQ(allowed[bhttp::field::access_control_allow_origin], kApp);
  EXPECT_EQ(allowed[bhttp::field::vary], "Origin");
  const Response pre = dispatch(preflight(kApp), options, router);
  EXPECT_EQ(pre[bhttp::field::access_control_allow_origin], kApp);
  const Response other = dispatch(
      make_request(bhttp::verb::get, "/api/private", "https://evil.example"), options, router);
  EXPECT_TRUE(other[bhttp::field::access_control_allow_origin].empty());
  EXPECT_EQ(other[bhttp::field::vary], "Origin");
}

}  // namespace
}  // namespace signet::http
