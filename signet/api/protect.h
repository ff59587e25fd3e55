#pragma once

// The glue between the guard and signet's HTTP server: a handler wrapper that lets a request
// through only with a valid access token carrying the required scopes.

#include <string>
#include <vector>

#include "signet/guard/guard.h"
#include "signet/http/message.h"

namespace signet::api {

// The guard's refusal as an HTTP response: status, WWW-Authenticate, JSON body,
// Cache-Control: no-store.
http::Response refusal(const http::Request& req, const guard::Decision& decision);

// Wraps `handler` so it runs only for requests the guard allows with `scopes`.
// The wrapped handler receives the verified token.
using ProtectedHandler =
    std::function<http::Response(const http::Request&, const guard::VerifiedToken&)>;
http::Handler protect(guard::Guard& guard, std::vector<std::string> scopes,
                      ProtectedHandler handler);

}  // namespace signet::api
