#pragma once

// The glue between the guard and signet's HTTP server: a handler wrapper that lets a request
// through only with a valid access token carrying the required scopes.

#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include "signet/guard/guard.h"

#include "signet/http/message.h"
#include "signet/http/router.h"

namespace signet::api {

// The guard's refusal as an HTTP response: status, WWW-Authenticate, JSON body,
// Cache-Control: no-store.
http::Response refusal(const http::Request& req, const guard::Decision& decision);

using ProtectedHandler =
    std::function<http::Response(const http::Request&, const guard::VerifiedToken&)>;

// What protect() shares between the two paths of a route.
struct ProtectedState {
  guard::Guard& guard;
  boost::asio::any_io_executor blocking;
  std::vector<std::string> scopes;
  ProtectedHandler handler;

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
// receives the verified token.
ProtectedRoute protect(guard::Guard& guard, boost::asio::any_io_executor blocking,
                       std::vector<std::string> scopes, ProtectedHandler handler);

}  // namespace signet::api
