#pragma once

// Reading an issuer's metadata document: {issuer}.well-known/openid-configuration (OpenID Connect
// Discovery 1.0 §4) or {issuer}.well-known/oauth-authorization-server (RFC 8414 §3). The guard
// reads it for the jwks_uri, the token client for the token_endpoint; both through this one
// reader, so that both refuse the same documents:
//
// - only an HTTP 200 answer counts; redirects are never followed (the fetcher does not);
// - the body is at most kMaxIssuerMetadataBytes and a JSON object;
// - its `issuer` is exactly the configured issuer (RFC 8414 §3.3, OIDC Discovery §4.3): otherwise
//   a compromised or confused metadata host could send us to someone else's keys, or our client
//   secret to someone else's token endpoint;
// - each endpoint it names is an http(s) URL, and HTTPS when the issuer is: whoever answers a
//   plain-HTTP request could substitute keys or read the secrets sent there.

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "signet/common/result.h"
#include "signet/http/client.h"

namespace signet::guard {

// bytes; published documents are a few KiB (Keycloak's, among the largest, about 6 KiB).
constexpr std::size_t kMaxIssuerMetadataBytes = 64 * 1024;

// The document locations (the part after ".well-known/").
constexpr std::string_view kOpenIdConfiguration = "openid-configuration";
constexpr std::string_view kOAuthAuthorizationServer = "oauth-authorization-server";

// GET `url`: the network, injected so that tests answer in its place and count requests.
using MetadataGet =
    std::function<Result<http::FetchResponse, http::FetchFailure>(std::string_view url)>;

// The endpoints a caller may need from the document.
enum class MetadataField {
  kJwksUri,        // "jwks_uri"
  kTokenEndpoint,  // "token_endpoint"
};

// "jwks_uri", "token_endpoint": the member's name.
std::string_view to_string(MetadataField field);

// One endpoint as the document gives it: the URL, or why it cannot be used, said so that it reads
// after "the document " or "the metadata of ISSUER " ("names no jwks_uri", "names a jwks_uri that
// is not a URL: ...", "names the token_endpoint http://..., which must use HTTPS as the issuer
// does"). Server text in it has its control characters replaced (printable()).
using MetadataEndpoint = Result<std::string, std::string>;

struct IssuerMetadata {
  std::string url;     // where it was read
  std::string issuer;  // exactly the configured issuer
  MetadataEndpoint jwks_uri;
  MetadataEndpoint token_endpoint;

  const MetadataEndpoint& endpoint(MetadataField field) const;
};

enum class MetadataErrorCode {
  kUnreachable,     // the host could not be reached (resolve, connect, TLS, timeout)
  kFetchFailed,     // the exchange failed otherwise (a bad URL, too large, not HTTP)
  kNotOk,           // the answer was not HTTP 200
  kTooLarge,        // the body exceeds kMaxIssuerMetadataBytes
  kNotJsonObject,   // the body is not a JSON object
  kNoIssuer,        // the document has no issuer string
  kIssuerMismatch,  // its issuer is not exactly the configured one
  kBadEndpoint,     // a required endpoint is missing or unusable (see MetadataEndpoint)
};

struct MetadataError {
  MetadataErrorCode code;
  std::string url;     // the document's URL
  std::string detail;  // what went wrong: "HTTP status 404", "the document has no issuer string"
  // The issuer the document names, whenever it got that far (a mismatch included), so that a
  // caller can tell an operator which issuer the server believes it is.
  std::optional<std::string> named_issuer;

  // "<url>: <detail>"
  std::string message() const;
};

// {issuer}.well-known/<suffix>, inserting the '/' an issuer without trailing slash lacks.
std::string well_known_url(std::string_view issuer, std::string_view suffix);

// Reads and checks the document at well_known_url(issuer, suffix), with one GET. Fails when any of
// `required` is not a usable endpoint; the others are returned with their own errors for the
// caller to report when it needs them.
Result<IssuerMetadata, MetadataError> read_issuer_metadata(
    const MetadataGet& get, std::string_view issuer, std::string_view suffix,
    std::initializer_list<MetadataField> required);

// Server text made safe to print on a terminal or in a log line read by one: control characters
// (escape sequences could rewrite what the user sees) become '?', and it is cut at `max` bytes
// with "..." after.
std::string printable(std::string_view text, std::size_t max);

}  // namespace signet::guard
