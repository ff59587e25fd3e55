#pragma once

// Internal to signet_http: RFC 9110/9112's request rules that Boost.Beast's parser does not enforce
// itself, without sockets so that each is unit-tested. The session applies them in this order:
// raw_head_problem() and read_later_minor_as_http11() on the head as received, before Beast parses
// it; request_problem() on the parsed header, before the body is read; server_answer() before the
// router. docs/http.md lists every rule, its RFC clause, and which of the two enforces it.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>

#include "signet/http/message.h"
#include "signet/http/router.h"

namespace signet::http::internal {

// Why a request is answered with an error before it reaches a handler. The connection closes after
// the answer: what follows on it can no longer be trusted to start a request.
struct Refusal {
  boost::beast::http::status status;
  std::string error;        // the JSON body's "error": the status's reason phrase, snake_case
  std::string description;  // says what to send instead
};

// The head as received (request line through the blank line that ends the header), before it is
// parsed. Refuses, as Beast would accept them:
// - obsolete line folding, a header line that starts with whitespace: 400 (RFC 9112 §5.2);
// - a well-formed HTTP version of another major version than 1 (HTTP/2.0, HTTP/0.9): 505
//   (RFC 9110 §15.6.6), where Beast would answer every unknown version alike.
std::optional<Refusal> raw_head_problem(std::string_view head);

// A later minor version of HTTP/1 (HTTP/1.2 to 1.9) is read as HTTP/1.1, the highest this server
// implements (RFC 9110 §2.5), by rewriting its digit in `head`'s request line; Beast parses only
// 1.0 and 1.1. Any other head is left as it is.
void read_later_minor_as_http11(std::span<char> head);

// The parsed header, before its body is read; `chunked` is the parser's own reading of the
// framing. May rewrite an absolute-form target to the origin form it names, with its authority
// as the Host (RFC 9112 §3.2.2). Refuses:
// - framing two servers in a chain could read differently (request smuggling): Content-Length
//   repeated or a list, Transfer-Encoding on HTTP/1.0, chunked not the last coding or applied
//   twice (400, RFC 9112 §6.1, §6.3, §7), a coding other than chunked (501, §6.1);
// - a Host header missing from HTTP/1.1, repeated or malformed (400, §3.2);
// - a target that is not in a form its method allows, or has characters no URI has (400, §3.2):
//   the asterisk form with another method than OPTIONS, the authority form outside CONNECT;
// - CONNECT, since signet is not a proxy (501, RFC 9110 §9.3.6);
// - an expectation other than 100-continue (417, RFC 9110 §10.1.1).
std::optional<Refusal> request_problem(Request& header, bool chunked);

// True when the request asks for an interim 100 (Continue) before it sends its body: an
// HTTP/1.1 request with the 100-continue expectation (RFC 9110 §10.1.1: an HTTP/1.0 client would
// not understand the interim response, and its expectation is ignored).
bool expects_continue(const Request& header);

// What the server answers itself, for a request no route can serve: `OPTIONS *` asks about the
// server as a whole (204 with the Allow header of every method it routes, RFC 9110 §9.3.7), and a
// method that Beast does not know (lower-case "get" included: methods are case-sensitive) is not
// implemented anywhere (501, RFC 9110 §9.1). nullopt for every other request.
std::optional<Response> server_answer(const Request& req, const Router& router);

}  // namespace signet::http::internal
