#pragma once

// A small synchronous HTTP(S) client for the documents signet fetches from other servers (JWKS,
// OpenID discovery) and the token requests `signet token` sends. Calls are rare and cached, so
// each has its own I/O context.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "signet/common/result.h"

namespace signet::http {

struct FetchOptions {
  std::chrono::milliseconds timeout{5000};  // the whole exchange: resolve+connect+TLS+write+read
  std::size_t max_body_bytes = 512 * 1024;  // a JWKS with dozens of RSA keys is a few tens of KiB
  std::string ca_file;                      // PEM bundle to verify against; empty = system default
};

enum class FetchError {
  kBadUrl,       // the URL did not parse (see parse_url)
  kResolve,      // the host name did not resolve
  kConnect,      // no address of the host accepted a TCP connection
  kTls,          // TLS setup, handshake or certificate/host name verification failed
  kTimeout,      // the whole exchange did not finish within FetchOptions::timeout
  kTooLarge,     // the response's header or body exceeded its limit
  kBadResponse,  // the request could not be sent or the response was not valid HTTP/1.x
};

struct FetchFailure {
  FetchError code;
  std::string detail;  // human-readable: what failed and why, for logs
};

// A stable name for logs and metrics ("bad_url", "timeout", ...).
std::string_view to_string(FetchError error);

struct FetchResponse {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string cache_control;
  std::string etag{};              // the ETag header, as sent
  std::string www_authenticate{};  // a 401's or 403's challenge
  std::string retry_after{};       // a 429's or 503's Retry-After
  std::string dpop_nonce{};        // a DPoP-Nonce (RFC 9449 §8) for the client's next proof
};

// One request of any method, for clients of JSON APIs (the admin CLI's --server).
struct ApiRequest {
  std::string_view method = "GET";  // GET, POST, PUT, PATCH or DELETE
  std::string_view content_type;    // with a body only; empty: no body is sent
  std::string_view body;
  std::optional<std::string_view> authorization;
  std::optional<std::string_view> if_match;  // sent as If-Match
  std::optional<std::string_view> dpop;      // a DPoP proof (RFC 9449 §4.1), sent as DPoP
};

// GETs `url` with Accept: application/json. Never follows redirects: a 3xx comes back as it is.
// HTTPS verifies the peer against `ca_file` (or the system store), checks the host name and sends
// SNI, with TLS 1.2 or later. Any status is a success here; the caller decides what it accepts.
Result<FetchResponse, FetchFailure> fetch(std::string_view url, const FetchOptions& options);

// POSTs `body` as `content_type` to `url` with Accept: application/json and, when given, the
// Authorization header `authorization`. The same connection, TLS, deadline and size rules as
// fetch(): no redirects followed, the peer and its host name verified, the response bounded.
// Any status is a success. A content type or authorization value containing CR, LF or NUL is
// refused (kBadResponse) before anything is sent.
Result<FetchResponse, FetchFailure> post(
    std::string_view url, std::string_view content_type, std::string_view body,
    const FetchOptions& options, std::optional<std::string_view> authorization = std::nullopt);

// Sends `request` to `url` with the same connection, TLS, deadline and size rules as fetch(). An
// unknown method, or a header value containing CR, LF or NUL, is refused (kBadResponse) before
// anything is sent. Any status is a success.
Result<FetchResponse, FetchFailure> send_request(std::string_view url, const ApiRequest& request,
                                                 const FetchOptions& options);

// The freshness lifetime from a Cache-Control value: max-age=N (directive names are
// case-insensitive, other directives are ignored); 0 when no-store or no-cache is present.
// nullopt when there is no max-age or the value is malformed.
std::optional<std::chrono::seconds> cache_max_age(std::string_view cache_control);

}  // namespace signet::http
