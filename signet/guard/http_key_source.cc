#include "signet/guard/http_key_source.h"

#include <boost/json/object.hpp>

#include "signet/common/ascii.h"
#include "signet/http/client.h"
#include "signet/jose/json.h"

namespace signet::guard {
namespace {

http::FetchOptions fetch_options(const std::string& ca_file) {
  http::FetchOptions options;
  options.timeout = kJwksFetchTimeout;
  options.max_body_bytes = kMaxJwksBytes;
  options.ca_file = ca_file;
  return options;
}

// GET that only succeeds with a 200 answer; the error says what happened, for logs.
Result<http::FetchResponse, std::string> get_ok(const std::string& url,
                                                const std::string& ca_file) {
  auto response = http::fetch(url, fetch_options(ca_file));
  if (!response) {
    return fail(url + ": " + std::string(http::to_string(response.error().code)) + " (" +
                response.error().detail + ")");
  }
  if (response->status != 200) {
    return fail(url + ": HTTP status " + std::to_string(response->status) +
                (response->status / 100 == 3 ? " (redirects are not followed)" : ""));
  }
  return std::move(response).value();
}

}  // namespace

std::string well_known_url(const std::string& issuer, std::string_view suffix) {
  std::string url = issuer;
  if (url.empty() || url.back() != '/') {
    url.push_back('/');
  }
  url += ".well-known/";
  url += suffix;
  return url;
}

HttpKeySource::HttpKeySource(const GuardConfig& config)
    : issuer_(config.issuer), ca_file_(config.ca_file), jwks_uri_(config.jwks_uri) {}

std::string HttpKeySource::jwks_uri() const {
  std::lock_guard lock(mu_);
  return jwks_uri_;
}

std::optional<Result<std::string, std::string>> HttpKeySource::metadata_issuer() const {
  std::lock_guard lock(mu_);
  return metadata_issuer_;
}

Result<std::string, std::string> HttpKeySource::discover() {
  const std::string url = well_known_url(issuer_, "openid-configuration");
  auto document = [&]() -> Result<boost::json::object, std::string> {
    auto response = get_ok(url, ca_file_);
    if (!response) {
      return fail(response.error());
    }
    auto doc = jose::parse_json_object(response->body);
    if (!doc) {
      return fail(url + ": " + std::string(jose::to_string(doc.error())));
    }
    return std::move(doc).value();
  }();
  auto named = [&]() -> Result<std::string, std::string> {
    if (!document) {
      return fail(document.error());
    }
    auto issuer = jose::get_string(*document, "issuer");
    if (!issuer) {
      return fail(url + ": the document has no issuer string");
    }
    return std::string(*issuer);
  }();
  {
    std::lock_guard lock(mu_);
    metadata_issuer_ = named;
  }
  if (!named) {
    return fail(named.error());
  }
  const auto& doc = *document;
  // OpenID Connect Discovery §4.3: the document's issuer must be exactly the one we trust,
  // or a compromised or confused metadata host could point us at someone else's keys.
  if (*named != issuer_) {
    return fail(url + ": the document's issuer does not match the configured issuer " + issuer_);
  }
  auto jwks_uri = jose::get_string(doc, "jwks_uri");
  if (!jwks_uri) {
    return fail(url + ": the document has no jwks_uri");
  }
  // Keys for an HTTPS issuer must come over HTTPS too: a plain-HTTP jwks_uri would let anyone on
  // the path substitute their own keys.
  if (istarts_with(issuer_, "https://") && !istarts_with(*jwks_uri, "https://")) {
    return fail(url + ": the jwks_uri of an HTTPS issuer must use HTTPS");
  }
  return std::string(*jwks_uri);
}

Result<FetchedKeys, std::string> HttpKeySource::fetch() {
  std::string uri = jwks_uri();
  std::string discovery_error;
  if (uri.empty()) {
    auto discovered = discover();
    if (discovered) {
      uri = discovered.value();
    } else {
      discovery_error = "discovery failed (" + discovered.error() + "), then ";
      uri = well_known_url(issuer_, "jwks.json");
    }
  }
  auto response = get_ok(uri, ca_file_);
  if (!response) {
    return fail(discovery_error + response.error());
  }
  auto jwks = jose::parse_jwks(response->body);
  if (!jwks) {
    return fail(uri + ": " + std::string(jose::to_string(jwks.error())));
  }
  {
    std::lock_guard lock(mu_);
    jwks_uri_ = uri;  // remembered only once it has produced a key set
  }
  FetchedKeys out{std::move(jwks).value(), std::nullopt};
  if (auto max_age = http::cache_max_age(response->cache_control)) {
    out.max_age = *max_age;
  }
  return out;
}

}  // namespace signet::guard
