#include "signet/client/token_client.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "signet/guard/issuer_metadata.h"
#include "signet/http/url.h"
#include "signet/jose/dpop.h"
#include "signet/jose/json.h"

namespace signet::client {
namespace {

constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";

// Text from a server, made safe to print on a terminal (guard::printable).
std::string printable(std::string_view text, std::size_t max = kMaxQuotedBodyBytes) {
  return guard::printable(text, max);
}

void add_param(std::string& form, std::string_view name, std::string_view value) {
  if (!form.empty()) {
    form.push_back('&');
  }
  form += form_encode(name);
  form.push_back('=');
  form += form_encode(value);
}

// The OAuth error code of an answer's body; empty when it has none.
std::string error_code(const http::FetchResponse& response) {
  auto body = jose::parse_json_object(response.body);
  if (!body) {
    return {};
  }
  auto error = jose::get_string(*body, "error");
  return error ? std::string(*error) : std::string{};
}

// RFC 9449 §8: nonce = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E (printable ASCII but space,
// quote and backslash); bounded like the ones a server checks.
bool valid_nonce(std::string_view nonce) {
  return !nonce.empty() && nonce.size() <= jose::dpop::kMaxNonceBytes &&
         std::all_of(nonce.begin(), nonce.end(),
                     [](char c) { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\'; });
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

Result<http::FetchResponse, http::FetchFailure> HttpTransport::post_form(
    std::string_view url, std::string_view body, std::optional<std::string_view> dpop) {
  http::ApiRequest request;
  request.method = "POST";
  request.content_type = kFormContentType;
  request.body = body;
  request.dpop = dpop;
  return http::send_request(url, request, options_);
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

Result<guard::IssuerMetadata, std::string> TokenClient::metadata(const std::string& issuer) {
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
  return std::move(found->token_endpoint).value();
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
  // A JWKS that still lists a withdrawn key keeps its tokens in use: for an HTTPS issuer, nobody
  // on the path may answer in the issuer's place (read_issuer_metadata checks the URL for that).
  const auto& jwks_uri = metadata_->value().jwks_uri;
  if (!jwks_uri) {
    return fail("the metadata of " + issuer + " " + jwks_uri.error());
  }
  const std::string& uri = *jwks_uri;
  const std::string shown = printable(uri);  // from the server: may hold anything
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

Result<guard::IssuerMetadata, std::string> TokenClient::discover(const std::string& issuer) {
  if (auto url = http::parse_url(issuer); !url) {
    return fail("the issuer must be an http(s) URL such as https://auth.example.com/ (" +
                url.error() + ")");
  }
  const guard::MetadataGet get = [this](std::string_view url) { return transport_->get(url); };
  std::string message = "cannot find the token endpoint of " + issuer + ": ";
  for (const std::string_view suffix :
       {guard::kOpenIdConfiguration, guard::kOAuthAuthorizationServer}) {
    // The client secret travels to the token endpoint: it must be the issuer's own, and HTTPS
    // for an HTTPS issuer.
    auto found =
        guard::read_issuer_metadata(get, issuer, suffix, {guard::MetadataField::kTokenEndpoint});
    if (found) {
      return std::move(found).value();
    }
    if (found.error().code == guard::MetadataErrorCode::kUnreachable) {
      return fail("cannot reach the issuer " + issuer + ": " + found.error().detail);
    }
    message += (suffix == guard::kOpenIdConfiguration ? "" : "; ") + found.error().message();
  }
  return fail(message);
}

Result<http::FetchResponse, std::string> TokenClient::post(const std::string& endpoint,
                                                           const std::string& form,
                                                           const TokenRequest& request,
                                                           std::optional<std::string_view> nonce,
                                                           std::chrono::sys_seconds now) {
  std::optional<std::string> proof;
  if (request.dpop) {
    jose::dpop::ProofRequest proof_request;
    proof_request.method = "POST";
    proof_request.url = endpoint;  // RFC 9449 §4.2: htu names the endpoint the proof is for
    proof_request.nonce = nonce;
    proof_request.now = now.time_since_epoch().count();
    auto made = jose::dpop::make_proof(request.dpop->key, proof_request);
    if (!made) {
      return fail("cannot make a DPoP proof with the key: " +
                  std::string(jose::to_string(made.error())));
    }
    proof = std::move(made).value();
  }
  auto response = transport_->post_form(endpoint, form, proof);
  if (!response) {
    return fail("no answer from the token endpoint " + endpoint + ": " + response.error().detail);
  }
  return std::move(response).value();
}

Result<TokenResponse, std::string> TokenClient::request(const TokenRequest& request,
                                                        std::chrono::sys_seconds now) {
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

  auto response = post(*endpoint, form, request, std::nullopt, now);
  // RFC 9449 §8: once, with the nonce the server gave. A server that wants another one after that
  // is not converging, and its refusal is shown.
  if (response && request.dpop && response->status == 400 &&
      error_code(*response) == "use_dpop_nonce") {
    // The nonce goes into a signed proof and back to the server: one that breaks RFC 9449's
    // syntax is not ours to forward.
    if (!valid_nonce(response->dpop_nonce)) {
      return fail(refusal(*response) + " (and its DPoP-Nonce header is " +
                  (response->dpop_nonce.empty()
                       ? std::string("missing")
                       : "not a valid nonce: \"" + printable(response->dpop_nonce, 64) + "\"") +
                  ", so the request cannot be retried with it)");
    }
    const std::string nonce = response->dpop_nonce;
    response = post(*endpoint, form, request, nonce, now);
  }
  if (!response) {
    return fail(response.error());
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
