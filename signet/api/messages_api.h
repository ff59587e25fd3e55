#pragma once

// The quickstart's sample API: /api/public for anyone, /api/private for any valid token,
// /api/private-scoped for a token with the required scope (read:messages unless configured).

#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "signet/api/protect.h"
#include "signet/guard/guard.h"
#include "signet/http/router.h"

namespace signet::api {

constexpr std::string_view kMessagesScope = "read:messages";  // what /api/private-scoped requires

// A scope-token of RFC 6749 §3.3: one or more of %x21 / %x23-5B / %x5D-7E. A scope with a space
// would be two scopes, and one with a quote could not appear in the WWW-Authenticate challenge.
bool is_scope_token(std::string_view scope);

// Threads that may block on the issuer: key fetches for protected routes run there, never on the
// server's workers. Two, so one slow fetch does not queue the next rotation behind it.
constexpr unsigned kKeyFetchThreads = 2;

// The routes of the messages API, protected by `guard` (which must outlive the router); key
// fetches that a request must wait for run on `blocking` (see protect()). /api/private-scoped
// requires `required_scope` (a scope-token: check it with is_scope_token() first) and names it in
// its message. DPoP proofs must name the routes' URLs as `url` says clients reach them.
http::Router messages_router(guard::Guard& guard, boost::asio::any_io_executor blocking,
                             std::string_view required_scope = kMessagesScope,
                             const PublicUrl& url = {});

}  // namespace signet::api
