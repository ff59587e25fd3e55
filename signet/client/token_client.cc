#include "signet/client/token_client.h"

#include <utility>
#include <vector>

#include "signet/common/ascii.h"
#include "signet/guard/http_key_source.h"
#include "signet/http/url.h"
#include "signet/jose/json.h"

namespace signet::client {
namespace {

constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";

// Text from a server, made safe to print on a terminal: control characters (escape sequences
// could rewrite what the user sees) become '?', and it is cut at `max` bytes.
std::string printable(std::string_view text, std::size_t max = kMaxQuotedBodyBytes) {
  std::string out;
  for (const char c : text.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  if (text.size() > max) {
    out += "...";
  }
  return out;
}

// Failures that mean the host itself cannot be reached: asking it for another document is futile.
bool unreachable(http::FetchError code) {
  switch (code) {
    case http::FetchError::kResolve:
    case http::FetchError::kConnect:
    case http::FetchError::kTls:
    case http::FetchError::kTimeout:
      return true;
    case http::FetchError::kBadUrl:
    case http::FetchError::kTooLarge:
    case http::FetchError::kBadResponse:
      return false;
  }
  return false;
}

void add_param(std::string& form, std::string_view name, std::string_view value) {
  if (!form.empty()) {
    form.push_back('&');
  }
  form += form_encode(name);
  form.push_back('=');
  form += form_encode(value);
}

// The message for a token endpoint's non-200 answer.
std::string refusal(const http::FetchResponse& response) {
  auto body = jose::parse_json_object(response.body);
  if (body) {
    auto error = jose::get_string(*body, "error");
    if (error && !error->empty()) {
      std::string message = "the server refused: " + printable(*error);
      auto description = jose::get_string(*body, "error_description");
      if (description && !description->empty()) {
        message += ": " + printable(*description, 1000);
      }
      return message;
    }
  }
  std::string message =
      "the token endpoint answered HTTP " + std::to_string(response.status) + " without an error";
  if (!response.body.empty()) {
    message += ": " + printable(response.body);
  }
  return message;
}

}  // namespace

HttpTransport::HttpTransport(http::FetchOptions options) : options_(std::move(options)) {}

Result<http::FetchResponse, http::FetchFailure> HttpTransport::get(std::string_view url) {
  return http::fetch(url, options_);
}

Result<http::FetchResponse, http::FetchFailure> HttpTransport::post_form(std::string_view url,
                                                                         std::string_view body) {
  return http::post(url, kFormContentType, body, options_);
}

http::FetchOptions token_fetch_options(std::string ca_file) {
  http::FetchOptions options;
  options.timeout = kTokenRequestTimeout;
  options.max_body_bytes = kMaxTokenResponseBytes;
  options.ca_file = std::move(ca_file);
  return options;
}

std::string form_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' ||
        c == '-' || c == '.' || c == '_') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0f]);
    }
  }
  return out;
}

TokenClient::TokenClient(std::shared_ptr<Transport> transport) : transport_(std::move(transport)) {}

Result<IssuerMetadata, std::string> TokenClient::metadata(const std::string& issuer) {
  if (issuer_ != issuer) {
    issuer_ = issuer;
    metadata_.reset();
    keys_.reset();
  }
  if (!metadata_) {
    metadata_ = discover(issuer);
  }
  return *metadata_;
}

Result<std::string, std::string> TokenClient::token_endpoint(const std::string& issuer) {
  auto found = metadata(issuer);
  if (!found) {
    return fail(found.error());
  }
  return std::move(found->token_endpoint);
}

Result<bool, std::string> TokenClient::publishes_key(const std::string& issuer,
                                                     std::string_view kid) {
  if (issuer_ != issuer || !keys_) {
    if (auto found = metadata(issuer); found) {  // forgets the keys of another issuer
      keys_ = fetch_keys(issuer);
    } else {
      keys_ = fail(found.error());
    }
  }
  if (!*keys_) {
    return fail(keys_->error());
  }
  return (*keys_)->find(kid) != nullptr;
}

Result<jose::Jwks, std::string> TokenClient::fetch_keys(const std::string& issuer) {
  const std::string& uri = metadata_->value().jwks_uri;
  if (uri.empty()) {
    return fail("the metadata of " + issuer + " names no jwks_uri");
  }
  const std::string shown = printable(uri);  // from the server: may hold anything
  if (auto url = http::parse_url(uri); !url) {
    return fail("the jwks_uri of " + issuer + " is not a URL: " + shown);
  }
  // A JWKS that still lists a withdrawn key keeps its tokens in use: for an HTTPS issuer, nobody
  // on the path may answer in the issuer's place.
  if (istarts_with(issuer, "https://") && !istarts_with(uri, "https://")) {
    return fail("the jwks_uri of the HTTPS issuer " + issuer + " must use HTTPS, not " + shown);
  }
  auto response = transport_->get(uri);
  if (!response) {
    return fail("cannot fetch the keys of " + issuer + " from " + shown + ": " +
                response.error().detail);
  }
  if (response->status != 200) {
    return fail("cannot fetch the keys of " + issuer + " from " + shown + ": HTTP " +
                std::to_string(response->status));
  }
  auto jwks = jose::parse_jwks(response->body);
  if (!jwks) {
    return fail("the keys of " + issuer + " at " + shown + " are not a JWKS (" +
                std::string(jose::to_string(jwks.error())) + ")");
  }
  return std::move(jwks).value();
}

Result<IssuerMetadata, std::string> TokenClient::discover(const std::string& issuer) {
  if (auto url = http::parse_url(issuer); !url) {
    return fail("the issuer must be an http(s) URL such as https://auth.example.com/ (" +
                url.error() + ")");
  }
  std::vector<std::string> tried;
  for (const std::string_view suffix : {"openid-configuration", "oauth-authorization-server"}) {
    const std::string url = guard::well_known_url(issuer, suffix);
    auto response = transport_->get(url);
    if (!response) {
      const auto& failure = response.error();
      if (unreachable(failure.code)) {
        return fail("cannot reach the issuer " + issuer + ": " + failure.detail);
      }
      tried.push_back(url + ": " + failure.detail);
      continue;
    }
    if (response->status != 200) {
      tried.push_back(url + ": HTTP " + std::to_string(response->status) +
                      (response->status / 100 == 3 ? " (redirects are not followed)" : ""));
      continue;
    }
    auto doc = jose::parse_json_object(response->body);
    if (!doc) {
      tried.push_back(url + ": not a JSON object (" + std::string(jose::to_string(doc.error())) +
                      ")");
      continue;
    }
    auto named = jose::get_string(*doc, "issuer");
    if (!named || *named != issuer) {
      std::string why = url + ": the document names ";
      why += named ? "the issuer " + printable(*named) : std::string("no issuer");
      why += ", not " + issuer;
      if (named && (std::string(*named) == issuer + "/" || std::string(*named) + "/" == issuer)) {
        why += " (give --issuer exactly as the server names itself: the trailing slash matters)";
      }
      tried.push_back(why);
      continue;
    }
    auto endpoint = jose::get_string(*doc, "token_endpoint");
    if (!endpoint || !http::parse_url(*endpoint)) {
      tried.push_back(url + ": the document has no usable token_endpoint");
      continue;
    }
    // The client secret travels to this URL: an HTTPS issuer must not send it over plain HTTP.
    if (istarts_with(issuer, "https://") && !istarts_with(*endpoint, "https://")) {
      tried.push_back(url + ": the token_endpoint of an HTTPS issuer must use HTTPS");
      continue;
    }
    IssuerMetadata found{std::string(*endpoint), ""};
    if (auto jwks_uri = jose::get_string(*doc, "jwks_uri")) {
      found.jwks_uri = std::string(*jwks_uri);
    }
    return found;
  }
  std::string message = "cannot find the token endpoint of " + issuer + ": ";
  for (std::size_t i = 0; i < tried.size(); ++i) {
    message += (i == 0 ? "" : "; ") + tried[i];
  }
  return fail(message);
}

Result<TokenResponse, std::string> TokenClient::request(const TokenRequest& request) {
  auto endpoint = token_endpoint(request.issuer);
  if (!endpoint) {
    return fail(endpoint.error());
  }
  std::string form;
  add_param(form, "grant_type", request.username ? "password" : "client_credentials");
  add_param(form, "client_id", request.client_id);
  add_param(form, "client_secret", request.client_secret);
  if (request.username) {
    add_param(form, "username", *request.username);
    add_param(form, "password", request.password);
  }
  if (!request.audience.empty()) {
    add_param(form, "audience", request.audience);
  }
  if (!request.scope.empty()) {
    add_param(form, "scope", request.scope);
  }

  auto response = transport_->post_form(*endpoint, form);
  if (!response) {
    return fail("no answer from the token endpoint " + *endpoint + ": " + response.error().detail);
  }
  if (response->status != 200) {
    return fail(refusal(*response));
  }
  auto body = jose::parse_json_object(response->body);
  if (!body) {
    return fail("the token endpoint's answer is not a JSON object (" +
                std::string(jose::to_string(body.error())) + ")");
  }
  auto access_token = jose::get_string(*body, "access_token");
  if (!access_token || access_token->empty()) {
    return fail(std::string("the token endpoint's answer has no access_token"));
  }
  auto token_type = jose::get_string(*body, "token_type");
  if (!token_type || token_type->empty()) {
    return fail(std::string("the token endpoint's answer has no token_type"));
  }
  TokenResponse out;
  out.access_token = std::string(*access_token);
  out.token_type = std::string(*token_type);
  if (auto scope = jose::get_string(*body, "scope")) {
    out.scope = std::string(*scope);
  }
  // A lifetime we cannot read is no lifetime: such a token is used once and not cached.
  if (auto expires_in = jose::get_int(*body, "expires_in", 0, jose::kMaxNumericDate)) {
    out.expires_in = *expires_in;
  }
  out.body = std::move(body).value();
  return out;
}

}  // namespace signet::client
