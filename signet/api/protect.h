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

// Wraps `handler` so it runs only for requests the guard allows with `scopes`. The wrapped
// handler receives the verified token. The check runs on the connection's worker thread without
// ever blocking it; when the issuer's keys must be fetched first (an unknown kid after a
// rotation, expired keys), the check is repeated on `blocking`, an executor whose threads may
// wait for the fetch, so a slow issuer holds none of the server's workers.
using ProtectedHandler =
    std::function<http::Response(const http::Request&, const guard::VerifiedToken&)>;
http::AsyncHandler protect(guard::Guard& guard, boost::asio::any_io_executor blocking,
                           std::vector<std::string> scopes, ProtectedHandler handler);

}  // namespace signet::api
