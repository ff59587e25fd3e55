#include "signet/http/request_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/beast/http/parser.hpp>

namespace signet::http::internal {
namespace {

namespace bhttp = boost::beast::http;

// The header Beast parses from `head`, and whether it read the framing as chunked; the test
// fails when Beast itself refuses the head (those cases belong to server_test.cc).
struct Parsed {
  Request header;
  bool chunked = false;
};

Parsed parse(const std::string& head) {
  bhttp::request_parser<bhttp::string_body> parser;
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(head), ec);
  EXPECT_FALSE(ec) << head << ": " << ec.message();
  EXPECT_TRUE(parser.is_header_done()) << head;
  Parsed parsed{parser.get(), parser.chunked()};
  return parsed;
}

std::optional<Refusal> problem_of(const std::string& head) {
  Parsed parsed = parse(head);
  return request_problem(parsed.header, parsed.chunked);
}

struct RefusedCase {
  const char* rule;
  std::string head;
  bhttp::status status;
};

TEST(RequestRules, HeadersThatBeastAcceptsAreRefused) {
  const std::vector<RefusedCase> cases = {
      // RFC 9112 §6.3 / RFC 9110 §8.6: one Content-Length with one value.
      {"two equal Content-Lengths",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n",
       bhttp::status::bad_request},
      {"a Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\n",
       bhttp::status::bad_request},
      // §6.1 / §6.3: framing.
      {"a coding beside Content-Length",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n",
       bhttp::status::bad_request},
      {"chunked on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
       bhttp::status::bad_request},
      {"chunked not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       bhttp::status::bad_request},
      {"no chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
       bhttp::status::bad_request},
      {"identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
       bhttp::status::bad_request},
      {"an empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n",
       bhttp::status::bad_request},
      {"chunked twice, one field",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
       bhttp::status::bad_request},
      {"chunked with a parameter",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n",
       bhttp::status::bad_request},
      {"a coding before chunked",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       bhttp::status::not_implemented},
      {"a coding before chunked, two fields",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: "
       "chunked\r\n\r\n",
       bhttp::status::not_implemented},
      // §3.2: Host.
      {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", bhttp::status::bad_request},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", bhttp::status::bad_request},
      {"two Hosts in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
       bhttp::status::bad_request},
      {"a Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", bhttp::status::bad_request},
      {"a Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", bhttp::status::bad_request},
      // §3.2: target forms by method.
      {"the asterisk form with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      {"the authority form with GET", "GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      {"CONNECT", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
       bhttp::status::not_implemented},
      {"CONNECT to an IPv6 literal", "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
       bhttp::status::not_implemented},
      {"CONNECT with a path", "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", bhttp::status::bad_request},
      {"CONNECT without a port", "CONNECT a.example HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      {"CONNECT with a named port", "CONNECT a.example:https HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      {"an absolute form of another scheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      {"an absolute form with a fragment", "GET http://a/#f HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      // §3.2 with RFC 3986: characters no URI carries as they are.
      {"a quote in the target", "GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      {"a fragment in the target", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      {"angle brackets in the target", "GET /<script> HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      {"UTF-8 in the target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
       bhttp::status::bad_request},
      {"a lone percent", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", bhttp::status::bad_request},
      {"a truncated percent", "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n", bhttp::status::bad_request},
      {"a bad character in an absolute form's query",
       "GET http://a/x?<y> HTTP/1.1\r\nHost: a\r\n\r\n", bhttp::status::bad_request},
      // RFC 9110 §10.1.1: Expect.
      {"an unknown expectation", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n",
       bhttp::status::expectation_failed},
      {"100-continue with another", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\n\r\n",
       bhttp::status::expectation_failed},
      {"100-continue with a parameter",
       "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue;a=b\r\n\r\n",
       bhttp::status::expectation_failed},
      {"an unknown expectation in HTTP/1.0", "POST / HTTP/1.0\r\nExpect: x\r\n\r\n",
       bhttp::status::expectation_failed},
  };
  for (const auto& c : cases) {
    const auto refusal = problem_of(c.head);
    ASSERT_TRUE(refusal) << c.rule;
    EXPECT_EQ(refusal->status, c.status) << c.rule;
    EXPECT_FALSE(refusal->description.empty()) << c.rule;
  }
}

TEST(RequestRules, ConformingHeadersPass) {
  for (const char* head : {
           "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.0\r\n\r\n",
           "GET /seen HTTP/1.1\r\nHost:\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n",
           "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
           "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
           // Unreserved, sub-delims, ':' '@' '/' '?', percent-encoding of either case.
           "GET /a-b._~!$&'()*+,;=:@/c?d=e%2F%2f HTTP/1.1\r\nHost: a\r\n\r\n",
           // What browsers leave unencoded in a query (WHATWG URL Standard).
           "GET /q?a={b}|[c]^`\\ HTTP/1.1\r\nHost: a\r\n\r\n",
       }) {
    const auto refusal = problem_of(head);
    EXPECT_FALSE(refusal) << head << ": " << refusal->description;
  }
}

TEST(RequestRules, AnAbsoluteFormBecomesItsOriginFormWithItsAuthorityAsHost) {
  struct Case {
    const char* head;
    const char* target;
    const char* host;
  };
  for (const Case& c : {
           Case{"GET http://api.example:3010/seen?x=1 HTTP/1.1\r\nHost: o\r\n\r\n", "/seen?x=1",
                "api.example:3010"},
           Case{"GET HTTPS://[::1]/seen HTTP/1.1\r\nHost: [::1]\r\n\r\n", "/seen", "[::1]"},
           Case{"GET http://a HTTP/1.0\r\n\r\n", "/", "a"},
           Case{"GET https://a:443/x HTTP/1.1\r\nHost: a\r\n\r\n", "/x", "a"},
       }) {
    Parsed parsed = parse(c.head);
    EXPECT_FALSE(request_problem(parsed.header, parsed.chunked)) << c.head;
    EXPECT_EQ(parsed.header.target(), c.target) << c.head;
    EXPECT_EQ(parsed.header[bhttp::field::host], c.host) << c.head;
  }
}

// Beast would join a folded line to the field before it (RFC 9112 §5.2 allows it); a proxy in
// front may not, so the raw head is refused before Beast sees it.
TEST(RequestRules, ObsoleteLineFoldingIsRefused) {
  for (const char* head : {
           "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n",
           "GET / HTTP/1.1\r\n Host: a\r\n\r\n",  // whitespace before the first field (§2.2)
       }) {
    const auto refusal = raw_head_problem(head);
    ASSERT_TRUE(refusal) << head;
    EXPECT_EQ(refusal->status, bhttp::status::bad_request) << head;
  }
  EXPECT_FALSE(raw_head_problem("GET / HTTP/1.1\r\nHost: a\r\nX-A: b c\t d\r\n\r\n"));
}

TEST(RequestRules, AnotherMajorVersionIs505AndALaterMinorVersionIsReadAsHttp11) {
  for (const char* head : {"GET / HTTP/2.0\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                           "GET / HTTP/0.9\r\n\r\n", "GET / HTTP/3.1\r\nHost: a\r\n\r\n"}) {
    const auto refusal = raw_head_problem(head);
    ASSERT_TRUE(refusal) << head;
    EXPECT_EQ(refusal->status, bhttp::status::http_version_not_supported) << head;
  }
  // Not a version at all: left to Beast, which answers 400.
  for (const char* head :
       {"GET / HTTP/2\r\n\r\n", "GET / http/2.0\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n", "HTTP/2.0\r\n\r\n"}) {
    EXPECT_FALSE(raw_head_problem(head)) << head;
  }

  std::string later = "GET / HTTP/1.7\r\nHost: a\r\n\r\n";
  read_later_minor_as_http11(later);
  EXPECT_EQ(later, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  for (std::string unchanged : {"GET / HTTP/1.0\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
                                "GET /HTTP/1.7\r\n\r\n", "GET / HTTP/1.7x\r\n\r\n"}) {
    const std::string before = unchanged;
    read_later_minor_as_http11(unchanged);
    EXPECT_EQ(unchanged, before);
  }
}

TEST(RequestRules, OnlyHttp11Expects100Continue) {
  EXPECT_TRUE(expects_continue(parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                                     "Content-Length: 1\r\n\r\n")
                                   .header));
  EXPECT_TRUE(expects_continue(
      parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: , 100-CONTINUE\r\n\r\n").header));
  // RFC 9110 §10.1.1: a server must ignore 100-continue from an HTTP/1.0 client.
  EXPECT_FALSE(expects_continue(
      parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n").header));
  EXPECT_FALSE(expects_continue(parse("POST / HTTP/1.1\r\nHost: a\r\n\r\n").header));
}

TEST(RequestRules, TheServerAnswersOptionsAsteriskAndUnknownMethods) {
  Router router;
  router.add(bhttp::verb::post, "/token",
             [](const Request& req) { return json_response(req, bhttp::status::ok, "{}"); });
  router.add(bhttp::verb::get, "/keys",
             [](const Request& req) { return json_response(req, bhttp::status::ok, "{}"); });
  router.add(bhttp::verb::delete_, "/keys",
             [](const Request& req) { return json_response(req, bhttp::status::ok, "{}"); });

  Request options{bhttp::verb::options, "*", 11};
  auto res = server_answer(options, router);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::no_content);
  EXPECT_EQ((*res)[bhttp::field::allow], "DELETE, GET, HEAD, POST, OPTIONS");

  Request lower_case_get{bhttp::verb::get, "/keys", 11};
  lower_case_get.method_string("get");
  ASSERT_EQ(lower_case_get.method(), bhttp::verb::unknown);
  res = server_answer(lower_case_get, router);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), bhttp::status::not_implemented);

  // Everything else goes to the router: an OPTIONS on a path, a known method on "*" (refused
  // earlier by request_problem), a method known to HTTP but not routed here (405 or 404).
  EXPECT_FALSE(server_answer(Request{bhttp::verb::options, "/keys", 11}, router));
  EXPECT_FALSE(server_answer(Request{bhttp::verb::get, "/keys", 11}, router));
  EXPECT_FALSE(server_answer(Request{bhttp::verb::propfind, "/keys", 11}, router));
}

}  // namespace
}  // namespace signet::http::internal
