#include "signet/guard/issuer_metadata.h"

#include <algorithm>
#include <utility>

#include <boost/json/object.hpp>

#include "signet/common/ascii.h"
#include "signet/http/url.h"
#include "signet/jose/json.h"

namespace signet::guard {
namespace {

// bytes of a server-given value quoted in a message: a URL is rarely longer.
constexpr std::size_t kMaxQuotedValueBytes = 200;

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

MetadataEndpoint read_endpoint(const boost::json::object& doc, MetadataField field,
                               std::string_view issuer) {
  const std::string name(to_string(field));
  const auto* member = doc.if_contains(name);
  if (member == nullptr) {
    return fail("names no " + name);
  }
  if (!member->is_string()) {
    return fail("names a " + name + " that is not a string");
  }
  const std::string_view value = member->get_string();
  const std::string shown = printable(value, kMaxQuotedValueBytes);
  if (!http::parse_url(value)) {
    return fail("names a " + name + " that is not a URL: " + shown);
  }
  if (istarts_with(issuer, "https://") && !istarts_with(value, "https://")) {
    return fail("names the " + name + " " + shown + ", which must use HTTPS as the issuer does");
  }
  return std::string(value);
}

}  // namespace

std::string_view to_string(MetadataField field) {
  switch (field) {
    case MetadataField::kJwksUri:
      return "jwks_uri";
    case MetadataField::kTokenEndpoint:
      return "token_endpoint";
  }
  return "jwks_uri";
}

const MetadataEndpoint& IssuerMetadata::endpoint(MetadataField field) const {
  return field == MetadataField::kTokenEndpoint ? token_endpoint : jwks_uri;
}

std::string MetadataError::message() const {
  return url + ": " + detail;
}

std::string well_known_url(std::string_view issuer, std::string_view suffix) {
  std::string url(issuer);
  if (url.empty() || url.back() != '/') {
    url.push_back('/');
  }
  url += ".well-known/";
  url += suffix;
  return url;
}

std::string printable(std::string_view text, std::size_t max) {
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

Result<IssuerMetadata, MetadataError> read_issuer_metadata(
    const MetadataGet& get, std::string_view issuer, std::string_view suffix,
    std::initializer_list<MetadataField> required) {
  const std::string url = well_known_url(issuer, suffix);
  auto error = [&](MetadataErrorCode code, std::string detail) {
    return fail(MetadataError{code, url, std::move(detail), std::nullopt});
  };
  auto response = get(url);
  if (!response) {
    const auto& failure = response.error();
    return error(unreachable(failure.code) ? MetadataErrorCode::kUnreachable
                                           : MetadataErrorCode::kFetchFailed,
                 failure.detail);
  }
  if (response->status != 200) {
    return error(MetadataErrorCode::kNotOk,
                 "HTTP status " + std::to_string(response->status) +
                     (response->status / 100 == 3 ? " (redirects are not followed)" : ""));
  }
  if (response->body.size() > kMaxIssuerMetadataBytes) {
    return error(
        MetadataErrorCode::kTooLarge,
        "the document is larger than " + std::to_string(kMaxIssuerMetadataBytes) + " bytes");
  }
  auto doc = jose::parse_json_object(response->body);
  if (!doc) {
    return error(MetadataErrorCode::kNotJsonObject,
                 "not a JSON object (" + std::string(jose::to_string(doc.error())) + ")");
  }
  auto named = jose::get_string(*doc, "issuer");
  if (!named) {
    return error(MetadataErrorCode::kNoIssuer, "the document has no issuer string");
  }
  if (*named != issuer) {
    std::string detail = "the document names the issuer " +
                         printable(*named, kMaxQuotedValueBytes) + ", not " + std::string(issuer);
    if (std::string(*named) == std::string(issuer) + "/" || std::string(*named) + "/" == issuer) {
      detail += " (the trailing slash matters: give the issuer exactly as the server names itself)";
    }
    return fail(MetadataError{MetadataErrorCode::kIssuerMismatch, url, std::move(detail),
                              std::string(*named)});
  }
  IssuerMetadata found{url, std::string(issuer),
                       read_endpoint(*doc, MetadataField::kJwksUri, issuer),
                       read_endpoint(*doc, MetadataField::kTokenEndpoint, issuer)};
  for (const MetadataField field : required) {
    if (const auto& endpoint = found.endpoint(field); !endpoint) {
      return fail(MetadataError{MetadataErrorCode::kBadEndpoint, url,
                                "the document " + endpoint.error(), found.issuer});
    }
  }
  return found;
}

}  // namespace signet::guard
