#pragma once

// The quickstart's sample API: /api/public for anyone, /api/private for any valid token,
// /api/private-scoped for a token with read:messages.

#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "signet/guard/guard.h"
#include "signet/http/router.h"

namespace signet::api {

constexpr std::string_view kMessagesScope = "read:messages";  // what /api/private-scoped requires

// Threads that may block on the issuer: key fetches for protected routes run there, never on the
// server's workers. Two, so one slow fetch does not queue the next rotation behind it.
constexpr unsigned kKeyFetchThreads = 2;

// The routes of the messages API, protected by `guard` (which must outlive the router); key
// fetches that a request must wait for run on `blocking` (see protect()).
http::Router messages_router(guard::Guard& guard, boost::asio::any_io_executor blocking);

}  // namespace signet::api
