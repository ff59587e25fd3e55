#include "signet/http/operations_routes.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "signet/metrics/registry.h"
#include "tests/http/test_support.h"

namespace signet::http {
namespace {

namespace bhttp = boost::beast::http;
using testing::RawClient;
using testing::RunningServer;
using testing::test_options;

Request get(std::string target) {
  Request req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "localhost");
  return req;
}

TEST(HealthRoutes, AliveAndReadyWithNoStore) {
  Router router;
  add_health_routes(router, [] { return std::vector<std::string>{}; });
  const Response alive = router.route(get("/health/alive"));
  EXPECT_EQ(alive.result(), bhttp::status::ok);
  EXPECT_EQ(alive.body(), R"({"status":"alive"})");
  EXPECT_EQ(alive[bhttp::field::cache_control], "no-store");
  const Response ready = router.route(get("/health/ready"));
  EXPECT_EQ(ready.result(), bhttp::status::ok);
  EXPECT_EQ(ready.body(), R"({"status":"ready"})");
  EXPECT_EQ(ready[bhttp::field::cache_control], "no-store");
}

TEST(HealthRoutes, NotReadyIs503WithTheReasons) {
  Router router;
  bool store_down = true;
  add_health_routes(router, [&] {
    return store_down ? std::vector<std::string>{"the store does not answer", "no signing key"}
                      : std::vector<std::string>{};
  });
  Response res = router.route(get("/health/ready"));
  EXPECT_EQ(res.result(), bhttp::status::service_unavailable);
  EXPECT_EQ(res.body(),
            R"({"status":"not_ready","reasons":["the store does not answer","no signing key"]})");
  EXPECT_EQ(res[bhttp::field::cache_control], "no-store");
  store_down = false;
  EXPECT_EQ(router.route(get("/health/ready")).result(), bhttp::status::ok);
  // Alive whatever readiness says.
  store_down = true;
  EXPECT_EQ(router.route(get("/health/alive")).result(), bhttp::status::ok);
}

TEST(MetricsRoute, ServesTheRegistryInTextFormat) {
  metrics::Registry registry;
  registry.counter("signet_things_total", "Things.").inc(3);
  Router router;
  add_metrics_route(router, registry);
  const Response res = router.route(get("/metrics"));
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res[bhttp::field::cache_control], "no-store");
  EXPECT_EQ(res.body(),
            "# HELP signet_things_total Things.\n# TYPE signet_things_total counter\n"
            "signet_things_total 3\n");
}

// A server given a registry counts each response once, by registered route, method and status,
// refusals that reached no handler as "unmatched".
TEST(ServerMetrics, CountsResponsesByRouteMethodAndStatus) {
  metrics::Registry registry;
  ServerOptions options = test_options();
  options.metrics = &registry;
  Router router;
  router.add(bhttp::verb::get, "/hello",
             [](const Request& req) { return json_response(req, bhttp::status::ok, "{}"); });
  RunningServer server(options, std::move(router));
  {
    RawClient client(server.port());
    for (const char* target : {"/hello", "/hello?x=1", "/nope"}) {
      ASSERT_TRUE(client.send("GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
      ASSERT_TRUE(client.read_response());
    }
    ASSERT_TRUE(client.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
    ASSERT_TRUE(client.read_response());
  }
  {
    RawClient bad(server.port());
    ASSERT_TRUE(bad.send("GET /hello HTTP/1.1\r\n\r\n"));  // no Host: refused before routing
    ASSERT_TRUE(bad.read_response());
  }
  server.stop();  // every connection closed: each response has been counted
  const std::string text = registry.expose();
  const auto has = [&](const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has(R"(signet_http_requests_total{route="/hello",method="GET",status="200"} 2)"))
      << text;
  EXPECT_TRUE(has(R"(signet_http_requests_total{route="/hello",method="POST",status="405"} 1)"))
      << text;
  EXPECT_TRUE(has(R"(signet_http_requests_total{route="unmatched",method="GET",status="404"} 1)"))
      << text;
  EXPECT_TRUE(has(R"(signet_http_requests_total{route="unmatched",method="other",status="400"} 1)"))
      << text;
  EXPECT_TRUE(has(R"(signet_http_request_duration_seconds_count{route="/hello"} 3)")) << text;
  EXPECT_TRUE(has(R"(signet_http_refused_connections_total{reason="full"} 0)")) << text;
  EXPECT_NE(text.find("# TYPE signet_http_open_connections gauge\n"), std::string::npos);
}

}  // namespace
}  // namespace signet::http
