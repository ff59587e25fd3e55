#pragma once

// The web console on `signet serve` (issue 8): the page and its scripts, compiled into the binary
// (signet/console/assets.h), served under `{issuer}console/` with headers that keep the page from
// being framed, sniffed, or made to run anything but its own scripts.

#include <chrono>
#include <string>
#include <string_view>

#include "signet/http/router.h"

namespace signet::console {

// How long a browser may reuse a script or style sheet before it revalidates. Short, so that the
// scripts of an upgraded server reach browsers within minutes; revalidating costs one 304 thanks
// to the ETag. index.html is always revalidated (no-cache): it is the page a user reloads.
constexpr auto kAssetMaxAge = std::chrono::seconds{300};

// Everything comes from the console's own origin, nothing runs inline, and the page may not be
// framed (clickjacking a "rotate key" button) nor submit forms anywhere (all requests are fetch()
// from its own scripts). connect-src 'self' covers the Management API, /oauth/token and the JWKS.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

// The console's base path for an issuer URL: the issuer's path followed by "console/"
// ("http://localhost:4000/" gives "/console/", "https://h/tenant/" gives "/tenant/console/").
// The issuer must be an absolute http(s) URL whose path ends with '/' (signet serve checks both
// before); otherwise throws std::invalid_argument (start-up only).
std::string base_path_for_issuer(std::string_view issuer);

// Registers, on `router`, GET (and so HEAD) for every asset at `base_path` + its path and for
// index.html at `base_path` itself, and a 308 redirect from `base_path` without its trailing slash
// to `base_path`. Every answer carries Content-Security-Policy (kContentSecurityPolicy),
// X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer; assets also their
// Content-Type, an ETag, and Cache-Control (no-cache for index.html, kAssetMaxAge for the rest);
// a matching If-None-Match gets 304 without a body. `base_path` must start and end with '/';
// otherwise, or when a path is taken already, throws std::invalid_argument (start-up only).
void add_console_routes(http::Router& router, std::string_view base_path);

}  // namespace signet::console
