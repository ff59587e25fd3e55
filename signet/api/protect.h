#pragma once

// The glue between the guard and signet's HTTP server: a handler wrapper that lets a request
// through only with a valid access token carrying the required scopes.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include "signet/guard/guard.h"

#include "signet/http/message.h"
#include "signet/http/router.h"

namespace signet::api {

// Where clients reach the API, for the URL a DPoP proof's htu must name (RFC 9449 §4.3).
struct PublicUrl {
  // scheme://host[:port][/prefix] as clients reach the API (e.g. https://api.example.com behind
  // a proxy); the request's path is appended. Empty: `scheme`, the request's Host header and its
  // path. Set it in production: the Host header is the client's to choose.
  std::string base;
  std::string scheme = "http";  // the listener's
};

// What a request offers the guard: its Authorization and DPoP header values, its query, method
// and URL. Holds views into `req`, which must outlive it; not copyable (credentials() points
// into it).
class RequestCredentials {
 public:
  RequestCredentials(const http::Request& req, const PublicUrl& url);
  RequestCredentials(const RequestCredentials&) = delete;
  RequestCredentials& operator=(const RequestCredentials&) = delete;

  const guard::Credentials& credentials() const { return credentials_; }

 private:
  // Two values of a header are enough to tell: a request must carry exactly one token and at
  // most one proof, so any second value makes it invalid whatever it says.
  std::array<std::string_view, 2> authorization_{};
  std::array<std::string_view, 2> dpop_{};
  std::string url_;  // built only for a request with a DPoP header
  guard::Credentials credentials_;
};

// The guard's refusal as an HTTP response: status, WWW-Authenticate, the decision's headers
// (DPoP-Nonce), JSON body, Cache-Control: no-store.
http::Response refusal(const http::Request& req, const guard::Decision& decision);

using ProtectedHandler =
    std::function<http::Response(const http::Request&, const guard::VerifiedToken&)>;

// What protect() shares between the two paths of a route.
struct ProtectedState {
  guard::Guard& guard;
  boost::asio::any_io_executor blocking;
  std::vector<std::string> scopes;
  ProtectedHandler handler;
  PublicUrl url;

  // The handler's answer when allowed, else the refusal; Cache-Control: no-store either way.
  http::Response respond(const http::Request& req, const guard::Decision& decision) const;
};

// A route for Router::add_async: `immediate` answers on the worker thread whenever the keys at
// hand decide the request (nearly always); `async` is used only when the issuer's keys must be
// fetched first (an unknown kid after a rotation, expired keys) and repeats the check on
// `blocking`, an executor whose threads may wait for the fetch, so a slow issuer holds none of
// the server's workers.
struct ProtectedRoute {
  http::AsyncHandler async;
  http::ImmediateHandler immediate;
};

// Wraps `handler` so it runs only for requests the guard allows with `scopes`; the handler
// receives the verified token. DPoP proofs are checked against the request's method and its URL
// as `url` says clients reach it.
ProtectedRoute protect(guard::Guard& guard, boost::asio::any_io_executor blocking,
                       std::vector<std::string> scopes, ProtectedHandler handler,
                       PublicUrl url = {});

}  // namespace signet::api
