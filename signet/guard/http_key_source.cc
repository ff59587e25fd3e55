#include "signet/guard/http_key_source.h"

#include <boost/json/object.hpp>

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
  const MetadataGet get = [this](std::string_view url) {
    return http::fetch(url, fetch_options(ca_file_));
  };
  auto metadata =
      read_issuer_metadata(get, issuer_, kOpenIdConfiguration, {MetadataField::kJwksUri});
  {
    std::lock_guard lock(mu_);
    if (metadata) {
      metadata_issuer_ = metadata->issuer;
    } else if (metadata.error().named_issuer) {
      metadata_issuer_ = *metadata.error().named_issuer;
    } else {
      metadata_issuer_ = fail(metadata.error().message());
    }
  }
  if (!metadata) {
    return fail(metadata.error().message());
  }
  return metadata->jwks_uri.value();
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
