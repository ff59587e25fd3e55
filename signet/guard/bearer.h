#pragma once

#include <span>
#include <string_view>

#include "signet/common/result.h"
#include "signet/guard/error.h"

namespace signet::guard {

// What a request offers as credentials, independent of the HTTP library that received it.
struct Credentials {
  std::span<const std::string_view> authorization;  // every Authorization header value
  std::string_view query;                           // the raw query string, without '?'
};

// Extracts the one bearer token of a request (RFC 6750 §2.1): "Bearer" (any letter case),
// one or more spaces, a b64token. No Authorization header with the Bearer scheme and no query
// token is kNoCredentials; several Authorization headers, or a header and a query token, are
// kMultipleTokens; a query token alone is kQueryToken (RFC 6750 §2.3 is refused: URLs end up in
// logs and browser history); a Bearer header that is not exactly one b64token is kMalformedHeader.
Result<std::string_view, Error> extract_bearer(const Credentials& credentials);

// extract_bearer without the b64token character check: what the guard uses, so that a token it
// has verified before is found in its cache before the token is scanned byte by byte (a cached
// token was valid base64url when it was verified). Never returns an empty token.
Result<std::string_view, Error> locate_bearer(const Credentials& credentials);

// RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
bool is_b64token(std::string_view s);

// True if the query string has an access_token parameter.
bool query_has_access_token(std::string_view query);

}  // namespace signet::guard
