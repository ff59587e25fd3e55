#include "signet/console/console_routes.h"

#include <stdexcept>

#include "signet/console/assets.h"
#include "signet/http/url.h"

namespace signet::console {
namespace {

namespace beast_http = boost::beast::http;

constexpr std::string_view kIndex = "index.html";

void set_security_headers(http::Response& res) {
  res.set("Content-Security-Policy", kContentSecurityPolicy);
  res.set("X-Content-Type-Options", "nosniff");
  // The console's URLs carry API identifiers and user ids in the fragment only, but a link it
  // shows (an API's URL) should not learn where the administrator came from either.
  res.set("Referrer-Policy", "no-referrer");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 9110 §13.1.2: If-None-Match is "*" or a list of entity tags, compared weakly (a W/ prefix
// is ignored). Our tags are quoted hex digests, which never contain a comma.
bool none_match(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (tag.starts_with("W/")) {
      tag.remove_prefix(2);
    }
    if (tag == "*" || tag == etag) {
      return true;
    }
  }
  return false;
}

http::Response asset_response(const http::Request& req, const Asset& asset) {
  const bool not_modified = none_match(req[beast_http::field::if_none_match], asset.etag);
  http::Response res{not_modified ? beast_http::status::not_modified : beast_http::status::ok,
                     req.version()};
  res.keep_alive(req.keep_alive());
  set_security_headers(res);
  res.set(beast_http::field::etag, asset.etag);
  res.set(beast_http::field::cache_control,
          asset.path == kIndex ? std::string("no-cache")
                               : "max-age=" + std::to_string(kAssetMaxAge.count()));
  if (!not_modified) {
    res.set(beast_http::field::content_type, asset.content_type);
    res.body() = asset.body;
  }
  res.prepare_payload();
  return res;
}

}  // namespace

std::string base_path_for_issuer(std::string_view issuer) {
  auto url = http::parse_url(issuer);
  if (!url) {
    throw std::invalid_argument("the issuer '" + std::string(issuer) +
                                "' is not a URL: " + url.error());
  }
  std::string path = url->target.substr(0, url->target.find('?'));
  if (path.empty() || path.back() != '/') {
    throw std::invalid_argument("the issuer's path must end with '/': " + std::string(issuer));
  }
  return path + "console/";
}

void add_console_routes(http::Router& router, std::string_view base_path) {
  if (base_path.size() < 2 || base_path.front() != '/' || base_path.back() != '/') {
    throw std::invalid_argument("the console's base path must start and end with '/', got '" +
                                std::string(base_path) + "'");
  }
  const std::string base(base_path);
  for (const Asset& asset : assets()) {
    const auto handler = [&asset](const http::Request& req) { return asset_response(req, asset); };
    router.add(beast_http::verb::get, base + std::string(asset.path), handler);
    if (asset.path == kIndex) {
      router.add(beast_http::verb::get, base, handler);
    }
  }
  // "/console" is what people type; relative URLs in the page only resolve under "/console/".
  router.add(beast_http::verb::get, base.substr(0, base.size() - 1),
             [base](const http::Request& req) {
               http::Response res{beast_http::status::permanent_redirect, req.version()};
               res.keep_alive(req.keep_alive());
               set_security_headers(res);
               res.set(beast_http::field::location, base);
               res.prepare_payload();
               return res;
             });
}

}  // namespace signet::console
