#pragma once

// The authorization server's HTTP surface: the routes of `signet serve`, on top of the
// HTTP-free TokenEndpoint. Adds what belongs to HTTP: body parsing, Cache-Control and Pragma on
// every token response, WWW-Authenticate and Retry-After, the JWKS and metadata documents, and
// /userinfo.

#include <chrono>
#include <functional>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "signet/http/router.h"
#include "signet/server/tenant.h"
#include "signet/server/token_endpoint.h"

namespace signet::server {

// How long validators may cache the JWKS. Rotation publishes the next key ahead of use, so a
// long cache is safe for rotation; revocation takes effect after at most this long.
constexpr auto kDefaultJwksMaxAge = std::chrono::seconds{300};
// How long clients may cache the metadata documents (they change when APIs or scopes change).
constexpr auto kMetadataMaxAge = std::chrono::seconds{60};

struct RouterOptions {
  std::chrono::seconds jwks_max_age = kDefaultJwksMaxAge;
};

// The routes of the public listener. Requests that may block (argon2id, store writes) run on
// `blocking`, never on the server's workers; client-credentials tokens are answered on the worker
// from memory. `endpoint` and `tenant` must outlive the router.
http::Router authorization_router(TokenEndpoint& endpoint, Tenant& tenant,
                                  boost::asio::any_io_executor blocking,
                                  RouterOptions options = {});

// Which browser origins may call which paths of the public listener (CorsOptions::allow): an
// origin some application lists in its web_origins, on the endpoints a single-page app calls
// (token, revocation, userinfo, discovery and JWKS). Read from the tenant at each request, so
// a new web origin works as soon as the configuration reloads. `tenant` must outlive it.
std::function<bool(std::string_view origin, std::string_view path)> web_origin_cors(
    const Tenant& tenant);

}  // namespace signet::server
