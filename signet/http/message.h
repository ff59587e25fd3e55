#pragma once

// The request and response types every signet HTTP handler sees, and the JSON responses that all
// of signet's endpoints answer with.

#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

namespace signet::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Handlers are synchronous and must not throw; the server turns an exception into a 500 anyway.
using Handler = std::function<Response(const Request&)>;

// A response with `json_body` as its body, Content-Type application/json, the request's HTTP
// version and keep-alive, and Content-Length set.
Response json_response(const Request& req, boost::beast::http::status status,
                       std::string_view json_body);

// An RFC 6749-style error response: {"error": error, "error_description": description}.
Response json_error(const Request& req, boost::beast::http::status status, std::string_view error,
                    std::string_view description);

// Cache-Control: no-store and Pragma: no-cache (for HTTP/1.0 caches): for token responses
// (RFC 6749 §5.1) and for every error the server produces itself, so that a refusal is never
// served from a cache either.
void set_no_store(Response& res);

// The header field in which the server hands handlers the client's IP address (no port): the
// connection's peer, or, when the peer is a trusted proxy (ServerOptions::trusted_proxies), the
// client its Forwarded or X-Forwarded-For header names (client_address() in client_address.h).
// The server sets it on every request, replacing whatever a client sent under that name, so
// handlers can trust it (brute-force counters are kept per address; count them by
// address_group() so that one IPv6 host cannot use a fresh address for every guess).
constexpr std::string_view kPeerAddressField = "Signet-Peer-Address";
// The client's IP address after trusted-proxy resolution, as the server recorded it: IPv4 dotted
// or RFC 5952 IPv6 text, an IPv4-mapped address as IPv4. "" when unknown (a request built in a
// test).
std::string_view peer_address(const Request& req);

// The head of `res` into `out` (cleared first; a caller reuses it, so that no response allocates
// for it), byte for byte what Beast's serializer writes: the status line, the fields in their
// order, the blank line. The server writes it and the body as one gather write: Beast's
// serializer, which walks a variant of buffer sequences per byte range, cost about a tenth of
// /api/public (bench/RESULTS.md "Where /api/public's time goes").
void write_head(const Response& res, std::string& out);

// The request target's path, without the query string (which may carry secrets or vary freely).
std::string_view path_of(std::string_view target);

}  // namespace signet::http
