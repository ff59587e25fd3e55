#include "signet/http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "tests/http/test_support.h"

namespace signet::http {
namespace {

namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using namespace std::string_literals;
using testing::RawClient;
using testing::RunningServer;
using testing::test_options;

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" +
         std::string(extra_headers) + "\r\n";
}

std::string error_of(const Response& res) {
  return std::string(boost::json::parse(res.body()).as_object().at("error").as_string());
}

Router echo_router() {
  Router router;
  router.add(bhttp::verb::get, "/echo", [](const Request& req) {
    return json_response(req, bhttp::status::ok,
                         boost::json::serialize(boost::json::string(path_of(req.target()))));
  });
  router.add(bhttp::verb::post, "/echo",
             [](const Request& req) { return json_response(req, bhttp::status::ok, req.body()); });
  router.add(bhttp::verb::get, "/slow", [](const Request& req) {
    std::this_thread::sleep_for(50ms);
    return json_response(req, bhttp::status::ok, "\"slow\"");
  });
  router.add(bhttp::verb::get, "/throw",
             [](const Request&) -> Response { throw std::runtime_error("handler bug"); });
  // The number of Host and Authorization fields the handler sees, "hosts authorizations".
  router.add(bhttp::verb::post, "/fields", [](const Request& req) {
    return json_response(req, bhttp::status::ok,
                         boost::json::serialize(boost::json::string(
                             std::to_string(req.count(bhttp::field::host)) + " " +
                             std::to_string(req.count(bhttp::field::authorization)))));
  });
  // The target and Host the handler sees, "target host".
  router.add(bhttp::verb::get, "/seen", [](const Request& req) {
    return json_response(
        req, bhttp::status::ok,
        boost::json::serialize(boost::json::string(std::string(req.target()) + " " +
                                                   std::string(req[bhttp::field::host]))));
  });
  return router;
}

Router peer_router() {
  Router router;
  router.add(bhttp::verb::get, "/peer", [](const Request& req) {
    return json_response(req, bhttp::status::ok,
                         boost::json::serialize(boost::json::string(peer_address(req))));
  });
  return router;
}

TEST(Server, Healthz) {
  RunningServer server(test_options(), Router{});
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/healthz")));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
  EXPECT_EQ(res->body(), R"({"status":"ok"})");
  EXPECT_EQ((*res)[bhttp::field::content_type], "application/json");
  EXPECT_EQ((*res)[bhttp::field::server], "signet");
}

TEST(Server, RouterHealthzIsNotReplaced) {
  Router router;
  router.add(bhttp::verb::get, "/healthz", [](const Request& req) {
    return json_response(req, bhttp::status::ok, R"({"status":"custom"})");
  });
  RunningServer server(test_options(), std::move(router));
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/healthz")));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), R"({"status":"custom"})");
}

// Brute-force counters are kept per address, so a client must not be able to choose its own by
// sending the header the server uses to pass the address on.
TEST(Server, HandlersSeeThePeerAddressAndClientsCannotForgeIt) {
  RunningServer server(test_options(), peer_router());
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("GET /peer HTTP/1.1\r\nHost: x\r\nSignet-Peer-Address: 203.0.113.9\r\n"
                  "signet-peer-address: 203.0.113.10\r\n\r\n"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "\"127.0.0.1\"");
}

// Behind a reverse proxy every client would share the proxy's address (and its lockouts): a
// trusted proxy's X-Forwarded-For names the client, anyone else's is ignored.
TEST(Server, HandlersSeeTheClientNamedByATrustedProxyOnly) {
  ServerOptions options = test_options();
  options.trusted_proxies = {"127.0.0.1"};
  RunningServer server(options, peer_router());
  const std::string request = get("/peer", "X-Forwarded-For: 1.2.3.4, 203.0.113.5\r\n");
  RawClient proxy(server.port());
  for (const char* expected : {"\"203.0.113.5\"", "\"203.0.113.5\""}) {  // per request
    ASSERT_TRUE(proxy.send(request));
    const auto res = proxy.read_response();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->body(), expected);
  }
  ASSERT_TRUE(proxy.send(get("/peer", "Forwarded: for=\"[2001:db8::5]:80\"\r\n")));
  auto res = proxy.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "\"2001:db8::5\"");
  ASSERT_TRUE(proxy.send(get("/peer", "X-Forwarded-For: not an address\r\n")));
  res = proxy.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "\"127.0.0.1\"");

  RawClient direct(server.port(), "127.0.0.2");
  ASSERT_TRUE(direct.send(request));
  res = direct.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "\"127.0.0.2\"");
}

TEST(Server, ForwardingHeadersAreIgnoredWithoutTrustedProxies) {
  RunningServer server(test_options(), peer_router());
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send(get("/peer", "X-Forwarded-For: 203.0.113.5\r\nForwarded: for=1.2.3.4\r\n")));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "\"127.0.0.1\"");
}

TEST(Server, KeepAliveServesTwoRequestsOnOneConnection) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  for (const char* path : {"/echo?a=1", "/healthz"}) {
    ASSERT_TRUE(client.send(get(path)));
    const auto res = client.read_response();
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->result(), bhttp::status::ok);
    EXPECT_TRUE(res->keep_alive());
  }
}

TEST(Server, PipelinedRequestsAreAnsweredInOrder) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/slow") + get("/echo?x") +
                          "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 8\r\n\r\n\"posted\"" +
                          get("/healthz")));
  for (const char* expected : {"\"slow\"", "\"/echo\"", "\"posted\"", R"({"status":"ok"})"}) {
    const auto res = client.read_response();
    ASSERT_TRUE(res) << expected;
    EXPECT_EQ(res->body().substr(0, std::string_view(expected).size()), expected);
  }
}

TEST(Server, ConnectionCloseIsHonoured) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/healthz", "Connection: close\r\n")));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(client.closed_within(1s));
}

TEST(Server, Http10ClosesUnlessKeepAliveIsAsked) {
  RunningServer server(test_options(), echo_router());
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.send("GET /healthz HTTP/1.0\r\n\r\n"));
    const auto res = client.read_response();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->version(), 10);
    EXPECT_TRUE(client.closed_within(1s));
  }
  {
    RawClient client(server.port());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(client.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
      const auto res = client.read_response();
      ASSERT_TRUE(res) << i;
      EXPECT_TRUE(res->keep_alive());
    }
  }
}

TEST(Server, HeadReturnsHeadersOnly) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("HEAD /healthz HTTP/1.1\r\nHost: l\r\n\r\n"));
  const auto res = client.read_response(3s, /*head=*/true);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
  EXPECT_EQ((*res)[bhttp::field::content_length], "15");
  // The connection is still in sync: no body bytes were sent.
  ASSERT_TRUE(client.send(get("/healthz")));
  const auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body(), R"({"status":"ok"})");
}

TEST(Server, NotFoundAndMethodNotAllowed) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/missing")));
  auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::not_found);
  EXPECT_EQ(error_of(*res), "not_found");

  ASSERT_TRUE(client.send("DELETE /echo HTTP/1.1\r\nHost: l\r\n\r\n"));
  res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::method_not_allowed);
  EXPECT_EQ((*res)[bhttp::field::allow], "GET, POST, HEAD, OPTIONS");
}

TEST(Server, EightKibBearerTokenFits) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send(get("/echo", "Authorization: Bearer " + std::string(8 * 1024, 'a') + "\r\n")));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
}

TEST(Server, HeaderTooLargeIs431) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/echo", "X-Big: " + std::string(40 * 1024, 'a') + "\r\n")));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::request_header_fields_too_large);
  EXPECT_EQ(error_of(*res), "invalid_request");
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(client.closed_within(2s));
}

// RFC 9112 §3: a target too long to parse gets 414, which tells the client what is too long.
TEST(Server, RequestLineTooLargeIs414) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/echo?a=" + std::string(40 * 1024, 'a'))));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::uri_too_long);
  EXPECT_EQ(error_of(*res), "invalid_request");
  EXPECT_TRUE(client.closed_within(2s));
}

TEST(Server, BodyTooLargeIs413) {
  RunningServer server(test_options(), echo_router());
  {
    // Announced by Content-Length: refused before the body is read.
    RawClient client(server.port());
    ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 100000\r\n\r\n" +
                            std::string(1000, 'a')));
    const auto res = client.read_response();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result(), bhttp::status::payload_too_large);
    EXPECT_TRUE(client.closed_within(2s));
  }
  {
    // Chunked: refused once the chunks pass the limit.
    RawClient client(server.port());
    std::string request = "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i) {
      request += "1000\r\n" + std::string(0x1000, 'b') + "\r\n";
    }
    request += "0\r\n\r\n";
    ASSERT_TRUE(client.send(request));
    const auto res = client.read_response();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result(), bhttp::status::payload_too_large);
  }
}

TEST(Server, ChunkedBodyWithinTheLimitIsRead) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\n{\"a\r\n5\r\n\":1}\n\r\n0\r\n\r\n"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "{\"a\":1}\n");
}

TEST(Server, ExpectContinueIsAnswered) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(
      "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = client.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->result(), bhttp::status::continue_);
  ASSERT_TRUE(client.send("{}"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
  EXPECT_EQ(res->body(), "{}");
}

struct BadRequestCase {
  const char* name;
  std::string bytes;
};

TEST(Server, MalformedRequestsGet400AndClose) {
  RunningServer server(test_options(), echo_router());
  const std::vector<BadRequestCase> cases = {
      {"binary junk", std::string("\x00\x01\x02\xff\xfe garbage\r\n\r\n", 17)},
      {"no version", "GET /\r\n\r\n"},
      {"bad version", "GET / HTTP/1.x\r\nHost: l\r\n\r\n"},
      {"lower-case version", "GET / http/1.1\r\nHost: l\r\n\r\n"},
      {"version without a minor", "GET / HTTP/2\r\nHost: l\r\n\r\n"},
      {"space after the version", "GET / HTTP/1.1 \r\nHost: l\r\n\r\n"},
      {"two spaces before the target", "GET  / HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"tab as a separator", "GET\t/ HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"method not a token", "GE(T / HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"space in target", "GET /a b HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"bad header name", "GET / HTTP/1.1\r\nHo st: l\r\n\r\n"},
      // RFC 9112 §5.1: no whitespace between a field name and its colon.
      {"space before the colon", "GET / HTTP/1.1\r\nHost : l\r\n\r\n"},
      {"tab before the colon", "GET / HTTP/1.1\r\nHost: l\r\nX-A\t: b\r\n\r\n"},
      {"field name not a token", "GET / HTTP/1.1\r\nHost: l\r\nX(a): b\r\n\r\n"},
      {"empty field name", "GET / HTTP/1.1\r\nHost: l\r\n: b\r\n\r\n"},
      // RFC 9110 §5.5: no control characters but HTAB in a field value; RFC 9112 §2.2: no
      // bare CR anywhere.
      {"NUL in a value", "GET / HTTP/1.1\r\nHost: l\r\nX-A: a\0b\r\n\r\n"s},
      {"bare CR in a value", "GET / HTTP/1.1\r\nHost: l\r\nX-A: a\rb\r\n\r\n"},
      {"bare LF in a value", "GET / HTTP/1.1\r\nHost: l\r\nX-A: a\nb\r\n\r\n"},
      {"DEL in a value", "GET / HTTP/1.1\r\nHost: l\r\nX-A: a\x7f\r\n\r\n"},
      {"bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"bare LF ending the request line", "GET / HTTP/1.1\nHost: l\r\n\r\n"},
      {"bare CR ending a field", "GET / HTTP/1.1\r\nHost: l\rX-A: b\r\n\r\n"},
      // §5.2: obsolete line folding is refused, not joined.
      {"folded field", "GET / HTTP/1.1\r\nHost: l\r\nX-A: b\r\n c\r\n\r\n"},
      {"folded Transfer-Encoding",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"},
      // §2.2: whitespace between the request line and the first field.
      {"whitespace before the first field", "GET / HTTP/1.1\r\n Host: l\r\n\r\n"},
      // §3.2: targets.
      {"asterisk with GET", "GET * HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"quote in the target", "GET /echo?a=\"b\" HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"fragment in the target", "GET /echo#top HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"UTF-8 in the target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"malformed percent in the target", "GET /echo%zz HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"CONNECT with a path", "CONNECT /echo HTTP/1.1\r\nHost: l\r\n\r\n"},
      {"bad content length", "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 12x\r\n\r\n"},
      {"negative content length", "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: -1\r\n\r\n"},
      {"signed content length", "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: +1\r\n\r\na"},
      {"empty content length", "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length:\r\n\r\n"},
      {"two equal content lengths",
       "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab"},
      {"a content length list", "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 2, 2\r\n\r\nab"},
      {"two content lengths",
       "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"},
      {"unsupported transfer encoding",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: gzip\r\n\r\nabc"},
      {"chunked not last",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"},
      {"transfer encoding and content length",
       "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 3\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n"},
      {"content length and transfer encoding",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\nContent-Length: "
       "3\r\n\r\n0\r\n\r\n"},
      {"another coding and content length",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: gzip\r\nContent-Length: "
       "3\r\n\r\nabc"},
      {"chunked twice",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"},
      {"chunked in two fields",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n"},
      {"content length in the trailer",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\nContent-Length: 5\r\n\r\n"},
      {"bad chunk size",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
      // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host, and to
      // any request with two or with an invalid one.
      {"HTTP/1.1 without Host", "GET /echo HTTP/1.1\r\n\r\n"},
      {"two Hosts", "GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
      {"two Hosts in HTTP/1.0", "GET /echo HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"},
      {"Host with a path", "GET /echo HTTP/1.1\r\nHost: a/b\r\n\r\n"},
      {"Host with a user", "GET /echo HTTP/1.1\r\nHost: user@a\r\n\r\n"},
      {"Host with a space", "GET /echo HTTP/1.1\r\nHost: a b\r\n\r\n"},
      // §6.1: HTTP/1.0 has no chunked framing; a Transfer-Encoding there is faulty framing.
      {"chunked HTTP/1.0",
       "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
      {"chunked HTTP/1.0 beside Content-Length",
       "POST /echo HTTP/1.0\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc"},
      {"absolute form of another scheme", "GET ftp://a/echo HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"absolute form without a host", "GET http:///echo HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"authority form outside CONNECT", "GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n"},
  };
  for (const auto& c : cases) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(c.bytes)) << c.name;
    const auto res = client.read_response();
    ASSERT_TRUE(res) << c.name;
    EXPECT_EQ(res->result(), bhttp::status::bad_request) << c.name;
    EXPECT_EQ(error_of(*res), "invalid_request") << c.name;
    EXPECT_TRUE(client.closed_within(2s)) << c.name;
  }
}

struct RefusedCase {
  const char* name;
  std::string bytes;
  bhttp::status status;
  const char* error;
};

// Refusals other than 400, each closing the connection: the rest of the request (a body, a
// tunnel's first bytes, an HTTP/2 preface) is not a request this server can read.
TEST(Server, UnsupportedVersionsCodingsMethodsAndExpectationsAreRefusedAndClosed) {
  RunningServer server(test_options(), echo_router());
  const std::vector<RefusedCase> cases = {
      // RFC 9110 §15.6.6: another major version.
      {"HTTP/2.0", "GET /echo HTTP/2.0\r\nHost: l\r\n\r\n",
       bhttp::status::http_version_not_supported, "http_version_not_supported"},
      {"HTTP/2 prior-knowledge preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
       bhttp::status::http_version_not_supported, "http_version_not_supported"},
      {"HTTP/9.9", "GET / HTTP/9.9\r\nHost: l\r\n\r\n", bhttp::status::http_version_not_supported,
       "http_version_not_supported"},
      // RFC 9112 §6.1: a transfer coding the server does not implement.
      {"gzip then chunked",
       "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       bhttp::status::not_implemented, "not_implemented"},
      // RFC 9110 §9.3.6: signet is not a proxy.
      {"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
       bhttp::status::not_implemented, "not_implemented"},
      // RFC 9110 §10.1.1: an expectation other than 100-continue.
      {"unknown expectation",
       "POST /echo HTTP/1.1\r\nHost: l\r\nExpect: 100-continue, x\r\nContent-Length: 2\r\n\r\n",
       bhttp::status::expectation_failed, "expectation_failed"},
  };
  for (const auto& c : cases) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(c.bytes)) << c.name;
    const auto res = client.read_response();
    ASSERT_TRUE(res) << c.name;
    EXPECT_EQ(res->result(), c.status) << c.name;
    EXPECT_EQ(error_of(*res), c.error) << c.name;
    EXPECT_FALSE(res->keep_alive()) << c.name;
    EXPECT_TRUE(client.closed_within(2s)) << c.name;
  }
}

// RFC 9110 §2.5: HTTP/1.2 to 1.9 would be later revisions of HTTP/1, read as 1.1.
TEST(Server, ALaterMinorVersionIsServedAsHttp11) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.send("GET /echo HTTP/1.5\r\nHost: l\r\n\r\n"));
    const auto res = client.read_response();
    ASSERT_TRUE(res) << i;
    EXPECT_EQ(res->result(), bhttp::status::ok);
    EXPECT_EQ(res->version(), 11);
    EXPECT_TRUE(res->keep_alive());
  }
}

// RFC 9112 §2.2: empty lines before a request line (some clients send one after a body) are
// ignored.
TEST(Server, EmptyLinesBeforeARequestAreIgnored) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("\r\n\r\n" + get("/echo")));
  auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 2\r\n\r\n{}\r\n" +
                          get("/echo")));
  for (const char* expected : {"{}", "\"/echo\""}) {
    res = client.read_response();
    ASSERT_TRUE(res) << expected;
    EXPECT_EQ(res->body(), expected);
  }
}

// RFC 9110 §9.3.7: OPTIONS * asks about the server as a whole.
TEST(Server, OptionsAsteriskAnswersForTheServer) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("OPTIONS * HTTP/1.1\r\nHost: l\r\n\r\n"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::no_content);
  EXPECT_EQ((*res)[bhttp::field::allow], "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ((*res)[bhttp::field::server], "signet");
  EXPECT_TRUE(res->keep_alive());
  ASSERT_TRUE(client.send(get("/echo")));  // still in sync: a 204 has no body
  const auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->result(), bhttp::status::ok);
}

// RFC 9110 §9.1: a method the server does not know is not implemented (501); one it knows but a
// resource does not allow stays 405. Either way the request was well framed: the connection stays.
TEST(Server, AnUnknownMethodIs501AndTheConnectionStays) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  for (const char* request :
       {"get /echo HTTP/1.1\r\nHost: l\r\n\r\n", "BREW /missing HTTP/1.1\r\nHost: l\r\n\r\n"}) {
    ASSERT_TRUE(client.send(request));
    const auto res = client.read_response();
    ASSERT_TRUE(res) << request;
    EXPECT_EQ(res->result(), bhttp::status::not_implemented) << request;
    EXPECT_EQ(error_of(*res), "not_implemented") << request;
    EXPECT_TRUE(res->keep_alive()) << request;
  }
  ASSERT_TRUE(client.send("PATCH /echo HTTP/1.1\r\nHost: l\r\n\r\n"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::method_not_allowed);
}

// RFC 9110 §6.5.1: trailer fields are not merged into the header, where a Host or an
// Authorization in the trailer would reach the handler unchecked.
TEST(Server, TrailerFieldsNeverReachTheHandler) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("POST /fields HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "2\r\nhi\r\n0\r\nHost: evil\r\nAuthorization: Bearer x\r\n\r\n"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
  EXPECT_EQ(res->body(), "\"1 0\"");
  // The same request without a trailer shows what the route counts.
  ASSERT_TRUE(client.send(
      "POST /fields HTTP/1.1\r\nHost: l\r\nAuthorization: Bearer x\r\nContent-Length: 0\r\n\r\n"));
  const auto plain = client.read_response();
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body(), "\"1 1\"");
}

// RFC 9112 §9.3.2 and §9.6: pipelined requests are answered in order until one closes the
// connection; what follows it is never answered.
TEST(Server, NothingAfterConnectionCloseOrABadRequestIsAnswered) {
  RunningServer server(test_options(), echo_router());
  struct Case {
    const char* name;
    std::string last;  // the request that ends the connection
    bhttp::status status;
  };
  for (const Case& c : {
           Case{"Connection: close", get("/echo", "Connection: close\r\n"), bhttp::status::ok},
           Case{"a bad request", "GET /a b HTTP/1.1\r\nHost: l\r\n\r\n",
                bhttp::status::bad_request},
           Case{"HTTP/1.0 without keep-alive", "GET /echo HTTP/1.0\r\n\r\n", bhttp::status::ok},
       }) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(get("/echo?1") + c.last + get("/echo?3")));
    auto res = client.read_response();
    ASSERT_TRUE(res) << c.name;
    EXPECT_EQ(res->result(), bhttp::status::ok) << c.name;
    EXPECT_TRUE(res->keep_alive()) << c.name;
    res = client.read_response();
    ASSERT_TRUE(res) << c.name;
    EXPECT_EQ(res->result(), c.status) << c.name;
    EXPECT_FALSE(res->keep_alive()) << c.name;
    EXPECT_FALSE(client.read_response()) << c.name;  // closed, with no third answer
  }
}

// RFC 9110 §10.1.1: a server that already knows its final answer sends it instead of 100.
TEST(Server, ExpectContinueWithABodyTooLargeGets413WithoutA100) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(
      "POST /echo HTTP/1.1\r\nHost: l\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::payload_too_large);
  EXPECT_TRUE(client.closed_within(2s));
}

// RFC 9110 §10.1.1: a server MUST ignore 100-continue from an HTTP/1.0 client, which would take
// the interim response for the final one.
TEST(Server, ExpectContinueFromHttp10IsIgnored) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("POST /echo HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  // A correct server sends nothing until the body comes; a wrong one would send its 100 now.
  EXPECT_FALSE(client.read_response(300ms));
  ASSERT_TRUE(client.send("{}"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
  EXPECT_EQ(res->body(), "{}");
}

// RFC 9112 §3.2.2: a server MUST accept the absolute form, and use its authority instead of the
// Host header.
TEST(Server, AbsoluteFormTargetsAreServedWithTheirAuthorityAsHost) {
  RunningServer server(test_options(), echo_router());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"GET http://api.example:3010/seen?x=1 HTTP/1.1\r\nHost: other\r\n\r\n",
       "\"/seen?x=1 api.example:3010\""},
      {"GET HTTPS://[::1]/seen HTTP/1.1\r\nHost: [::1]\r\n\r\n", "\"/seen [::1]\""},
  };
  for (const auto& [request, seen] : cases) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(request));
    const auto res = client.read_response();
    ASSERT_TRUE(res) << request;
    EXPECT_EQ(res->result(), bhttp::status::ok) << request;
    EXPECT_EQ(res->body(), seen) << request;
  }
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET http://a HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::not_found);  // "/": no such route, but understood
}

// HTTP/1.0 needs no Host, and an empty Host is valid (a target without an authority).
TEST(Server, HostRulesAdmitHttp10WithoutOneAndAnEmptyOne) {
  RunningServer server(test_options(), echo_router());
  for (const char* request : {"GET /seen HTTP/1.0\r\n\r\n", "GET /seen HTTP/1.1\r\nHost:\r\n\r\n",
                              "GET /seen HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"}) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(request));
    const auto res = client.read_response();
    ASSERT_TRUE(res) << request;
    EXPECT_EQ(res->result(), bhttp::status::ok) << request;
  }
}

TEST(Server, RandomGarbageNeverCrashes) {
  RunningServer server(test_options(), echo_router());
  std::mt19937 rng(20240501);  // fixed seed: a failure must be reproducible
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(1, 3000);
  for (int i = 0; i < 40; ++i) {
    RawClient client(server.port());
    std::string junk(static_cast<std::size_t>(length(rng)), '\0');
    for (auto& c : junk) {
      c = static_cast<char>(byte(rng));
    }
    // Half of them start like a real request, to reach deeper into the parser.
    if (i % 2 == 0) {
      junk = "POST /echo HTTP/1.1\r\n" + junk;
    }
    client.send(junk + "\r\n\r\n");
    // Either an error response or a close; never a hang beyond the read deadline.
    if (const auto res = client.read_response(2s)) {
      EXPECT_GE(res->result_int(), 400u) << i;
    }
  }
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/healthz")));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
}

TEST(Server, SlowClientIsDisconnected) {
  ServerOptions options = test_options();
  options.read_timeout = 300ms;
  RunningServer server(options, echo_router());
  RawClient client(server.port());
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send("GET /echo HTTP/1.1\r\nHost: l\r\n"));
  // Slowloris: a header line every 50 ms keeps every single read short, but the request as a
  // whole is late.
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    if (!client.send("X-Slow-" + std::to_string(i) + ": 1\r\n")) {
      closed = true;
      break;
    }
    closed = client.closed_within(50ms);
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(closed);
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 1500ms);
}

TEST(Server, SilentConnectionIsClosedAfterTheReadTimeout) {
  ServerOptions options = test_options();
  options.read_timeout = 200ms;
  RunningServer server(options, echo_router());
  RawClient client(server.port());
  EXPECT_TRUE(client.closed_within(1500ms));
}

TEST(Server, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options = test_options();
  options.idle_timeout = 200ms;
  RunningServer server(options, echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/healthz")));
  ASSERT_TRUE(client.read_response());
  EXPECT_TRUE(client.closed_within(1500ms));
}

TEST(Server, ThrowingHandlerGets500AndTheConnectionStaysUsable) {
  RunningServer server(test_options(), echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/throw")));
  auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::internal_server_error);
  EXPECT_EQ(error_of(*res), "server_error");
  EXPECT_EQ(res->body().find("handler bug"), std::string::npos);  // internals stay in the log
  ASSERT_TRUE(client.send(get("/healthz")));
  res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
}

// Only connections in the middle of a request: nothing can give way, so the newcomer is refused.
TEST(Server, FullOfBusyConnectionsRefusesANewOne) {
  ServerOptions options = test_options();
  options.max_connections = 2;
  RunningServer server(options, echo_router());
  // One connection has sent part of its first request, the other a whole request and part of a
  // second one in the same packet (so it never waits idle in between).
  RawClient first(server.port());
  ASSERT_TRUE(first.send("GET /echo HTTP/1.1\r\nHost: l\r\n"));
  RawClient second(server.port());
  ASSERT_TRUE(second.send(get("/healthz") + "GET /echo HTTP/1.1\r\nHost: l\r\n"));
  ASSERT_TRUE(second.read_response());

  RawClient third(server.port());
  const auto res = third.read_response(2s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::service_unavailable);
  EXPECT_EQ(error_of(*res), "temporarily_unavailable");
  EXPECT_EQ((*res)[bhttp::field::cache_control], "no-store");
  EXPECT_TRUE(third.closed_within(1s));
  // The two admitted connections still work.
  ASSERT_TRUE(first.send("\r\n"));
  EXPECT_TRUE(first.read_response());
  ASSERT_TRUE(second.send("\r\n"));
  EXPECT_TRUE(second.read_response());
}

// 515 idle keep-alive sockets must not get every other client a 503: when the server is full, the
// connection idle the longest makes room.
TEST(Server, FullServerClosesTheOldestIdleConnectionForANewOne) {
  ServerOptions options = test_options();
  options.max_connections = 2;
  // One worker: the oldest connection has surely gone idle before the second one is answered.
  options.threads = 1;
  RunningServer server(options, echo_router());
  RawClient oldest(server.port());
  ASSERT_TRUE(oldest.send(get("/healthz")));
  ASSERT_TRUE(oldest.read_response());
  RawClient newer(server.port());
  ASSERT_TRUE(newer.send(get("/healthz")));
  ASSERT_TRUE(newer.read_response());

  RawClient newcomer(server.port());
  ASSERT_TRUE(newcomer.send(get("/echo")));
  const auto res = newcomer.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
  EXPECT_TRUE(oldest.closed_within(2s));
  ASSERT_TRUE(newer.send(get("/healthz")));  // the other idle connection is untouched
  const auto again = newer.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result(), bhttp::status::ok);
}

TEST(Server, ConnectionsBeyondThePerAddressLimitAreRefused) {
  ServerOptions options = test_options();
  options.max_connections = 10;
  options.max_connections_per_address = 2;
  RunningServer server(options, echo_router());
  RawClient first(server.port());
  RawClient second(server.port());
  for (RawClient* client : {&first, &second}) {
    ASSERT_TRUE(client->send(get("/healthz")));
    ASSERT_TRUE(client->read_response());
  }
  RawClient third(server.port());
  const auto res = third.read_response(2s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::service_unavailable);
  EXPECT_NE(res->body().find("from your address"), std::string::npos) << res->body();
  EXPECT_TRUE(third.closed_within(1s));

  // Another address is not affected (the server listens on 127.0.0.1; all of 127/8 is local).
  RawClient elsewhere(server.port(), "127.0.0.2");
  ASSERT_TRUE(elsewhere.send(get("/healthz")));
  const auto ok = elsewhere.read_response();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->result(), bhttp::status::ok);
  ASSERT_TRUE(first.send(get("/healthz")));
  EXPECT_TRUE(first.read_response());
}

// A reverse proxy carries many clients on its connections: the per-address limit is not its.
TEST(Server, TrustedProxiesAreExemptFromThePerAddressLimit) {
  ServerOptions options = test_options();
  options.max_connections_per_address = 1;
  options.trusted_proxies = {"127.0.0.1/32"};
  RunningServer server(options, echo_router());
  RawClient first(server.port());
  RawClient second(server.port());
  for (RawClient* client : {&first, &second}) {
    ASSERT_TRUE(client->send(get("/healthz")));
    const auto res = client->read_response();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result(), bhttp::status::ok);
  }
  RawClient untrusted(server.port(), "127.0.0.2");
  RawClient untrusted_again(server.port(), "127.0.0.2");
  const auto res = untrusted_again.read_response(2s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::service_unavailable);
}

TEST(Server, UnderPressureIdleConnectionsWaitLess) {
  ServerOptions options = test_options();
  options.max_connections = 4;  // pressure: more than 3 open
  options.idle_timeout = 60s;
  options.pressure_idle_timeout = 100ms;
  RunningServer server(options, echo_router());
  // Three open: no pressure, an idle connection waits its full idle timeout.
  RawClient a(server.port());
  RawClient b(server.port());
  RawClient c(server.port());
  ASSERT_TRUE(c.send(get("/healthz")));
  ASSERT_TRUE(c.read_response());
  EXPECT_FALSE(c.closed_within(1s));
  // A fourth: the next idle wait is the short one.
  RawClient d(server.port());
  ASSERT_TRUE(d.send(get("/healthz")));
  ASSERT_TRUE(d.read_response());
  EXPECT_TRUE(d.closed_within(5s));
}

TEST(Server, CorsOverTheWire) {
  ServerOptions options = test_options();
  options.cors.allowed_origins = {"https://app.example.com"};
  RunningServer server(options, echo_router());
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("OPTIONS /echo HTTP/1.1\r\nHost: l\r\nOrigin: https://app.example.com\r\n"
                  "Access-Control-Request-Method: POST\r\n\r\n"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::no_content);
  EXPECT_EQ((*res)[bhttp::field::access_control_allow_origin], "https://app.example.com");
  EXPECT_EQ((*res)[bhttp::field::access_control_allow_methods], "GET, POST, HEAD, OPTIONS");
  EXPECT_EQ(res->count(bhttp::field::content_length), 0u);
  ASSERT_TRUE(client.send(get("/healthz")));  // still in sync after a bodiless 204
  EXPECT_TRUE(client.read_response());
}

TEST(Server, GracefulStopFinishesInFlightAndClosesIdle) {
  std::promise<void> entered;
  auto entered_future = entered.get_future();
  Router router;
  router.add(bhttp::verb::get, "/work", [&entered](const Request& req) {
    entered.set_value();
    std::this_thread::sleep_for(300ms);
    return json_response(req, bhttp::status::ok, R"({"done":true})");
  });
  RunningServer server(test_options(), std::move(router));

  RawClient idle(server.port());
  ASSERT_TRUE(idle.send(get("/healthz")));
  ASSERT_TRUE(idle.read_response());

  RawClient busy(server.port());
  ASSERT_TRUE(busy.send(get("/work")));
  ASSERT_EQ(entered_future.wait_for(2s), std::future_status::ready);

  const auto started = std::chrono::steady_clock::now();
  server.server().stop();
  EXPECT_TRUE(idle.closed_within(1s));
  const auto res = busy.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::ok);
  EXPECT_EQ(res->body(), R"({"done":true})");
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(busy.closed_within(1s));

  server.stop();  // joins the thread in run(): it must have returned
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);

  EXPECT_THROW(RawClient{server.port()}, std::runtime_error);  // no longer listening
}

TEST(Server, StopFromAHandler) {
  Server* self = nullptr;
  Router router;
  router.add(bhttp::verb::post, "/shutdown", [&self](const Request& req) {
    self->stop();
    return json_response(req, bhttp::status::accepted, "{}");
  });
  RunningServer server(test_options(), std::move(router));
  self = &server.server();
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /shutdown HTTP/1.1\r\nHost: l\r\nContent-Length: 0\r\n\r\n"));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::accepted);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(client.closed_within(1s));
}

TEST(Server, GraceExpiryForceClosesStuckRequests) {
  ServerOptions options = test_options();
  options.shutdown_grace = 100ms;
  RunningServer server(options, echo_router());
  RawClient partial(server.port());
  ASSERT_TRUE(partial.send("GET /echo HTTP/1.1\r\nHost: l\r\n"));  // never finished
  std::this_thread::sleep_for(50ms);
  const auto started = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST(Server, StartReportsAnAddressInUse) {
  RunningServer first(test_options(), Router{});
  ServerOptions options = test_options();
  options.listen = "127.0.0.1:" + std::to_string(first.port());
  Server second(options, Router{});
  try {
    second.start();
    FAIL() << "second listener on the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on " + options.listen), std::string::npos)
        << e.what();
  }
}

TEST(Server, BadOptionsThrowAtConstruction) {
  for (const char* listen :
       {"127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", ":80", "[::1]80", "127.0.0.1:http"}) {
    ServerOptions options = test_options();
    options.listen = listen;
    EXPECT_THROW(Server(options, Router{}), std::invalid_argument) << listen;
  }
  ServerOptions options = test_options();
  options.read_timeout = 0ms;
  EXPECT_THROW(Server(options, Router{}), std::invalid_argument);

  options = test_options();
  options.max_connections_per_address = 0;
  EXPECT_THROW(Server(options, Router{}), std::invalid_argument);

  options = test_options();
  options.trusted_proxies = {"10.0.0.0/8", "10.0.0.0/33"};
  try {
    Server server(options, Router{});
    FAIL() << "accepted a bad trusted proxy";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'10.0.0.0/33'"), std::string::npos) << e.what();
  }

  options = test_options();
  options.tls = TlsOptions{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  EXPECT_THROW(Server(options, Router{}), std::runtime_error);
}

TEST(Server, ListensOnIpv6Loopback) {
  ServerOptions options = test_options();
  options.listen = "[::1]:0";
  Server server(options, Router{});
  try {
    server.start();
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  EXPECT_NE(server.port(), 0);
}

}  // namespace
}  // namespace signet::http

// --- coroutine handlers --------------------------------------------------------------------------

namespace signet::http {
namespace {

// A coroutine handler that waits on another executor must not hold the server's only worker:
// a second request is answered while the first one waits.
TEST(Server, AsyncHandlerWaitingElsewhereDoesNotHoldTheWorker) {
  boost::asio::thread_pool elsewhere(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Router router;
  router.add_async(bhttp::verb::get, "/slow",
                   [&](const Request& req) -> boost::asio::awaitable<Response> {
                     co_await boost::asio::co_spawn(
                         elsewhere.get_executor(),
                         [released]() -> boost::asio::awaitable<void> {
                           released.wait();
                           co_return;
                         },
                         boost::asio::use_awaitable);
                     co_return json_response(req, bhttp::status::ok, R"({"slow":true})");
                   });
  router.add(bhttp::verb::get, "/fast", [](const Request& req) {
    return json_response(req, bhttp::status::ok, R"({"fast":true})");
  });
  ServerOptions options = test_options();
  options.threads = 1;
  RunningServer server(options, std::move(router));

  RawClient slow(server.port());
  ASSERT_TRUE(slow.send(get("/slow")));
  RawClient fast(server.port());
  ASSERT_TRUE(fast.send(get("/fast")));
  const auto fast_res = fast.read_response();
  ASSERT_TRUE(fast_res);
  EXPECT_EQ(fast_res->body(), R"({"fast":true})");

  release.set_value();
  const auto slow_res = slow.read_response();
  ASSERT_TRUE(slow_res);
  EXPECT_EQ(slow_res->result(), bhttp::status::ok);
  EXPECT_EQ(slow_res->body(), R"({"slow":true})");
  EXPECT_EQ((*slow_res)[bhttp::field::content_length], "13");
}

TEST(Server, ImmediateAnswerOrCoroutineFallbackOverTheWire) {
  std::atomic<int> awaited{0};
  Router router;
  router.add_async(
      bhttp::verb::get, "/maybe",
      [&](const Request& req) -> boost::asio::awaitable<Response> {
        ++awaited;
        co_return json_response(req, bhttp::status::ok, R"({"waited":true})");
      },
      [](const Request& req) -> std::optional<Response> {
        if (req.target() == "/maybe?wait=1") {
          return std::nullopt;
        }
        return json_response(req, bhttp::status::ok, R"({"waited":false})");
      });
  RunningServer server(test_options(), std::move(router));
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/maybe") + get("/maybe?wait=1")));
  const auto first = client.read_response();
  const auto second = client.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body(), R"({"waited":false})");
  EXPECT_EQ(second->body(), R"({"waited":true})");
  EXPECT_EQ(awaited.load(), 1);
}

TEST(Server, AsyncHandlerThatThrowsGetsA500) {
  Router router;
  router.add_async(bhttp::verb::get, "/boom",
                   [](const Request&) -> boost::asio::awaitable<Response> {
                     throw std::runtime_error("boom");
                     co_return Response{};
                   });
  RunningServer server(test_options(), std::move(router));
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/boom")));
  const auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::internal_server_error);
  EXPECT_NE(res->body().find("server_error"), std::string::npos);
}

}  // namespace
}  // namespace signet::http
