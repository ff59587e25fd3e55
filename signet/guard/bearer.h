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
  // What a DPoP proof is checked against (RFC 9449 §4.3, §7): every DPoP header value, the
  // request's method as sent ("GET"), and the URL the request was sent to as the API is reached
  // at, scheme://host[:port]/path (a query is ignored). A host that leaves them empty has every
  // DPoP request refused (the proof cannot match), and accepts unbound Bearer tokens as before.
  std::span<const std::string_view> dpop{};
  std::string_view method{};
  std::string_view url{};
};

// The Authorization scheme a token came with.
enum class Scheme {
  kBearer,  // RFC 6750: whoever holds the token may use it
  kDpop,    // RFC 9449 §7: the token and a DPoP proof signed by the key it is bound to
};

// An access token and the scheme it was presented with.
struct PresentedToken {
  Scheme scheme = Scheme::kBearer;
  std::string_view token;
};

// Extracts the one access token of a request: one Authorization header, "Bearer" (RFC 6750 §2.1)
// or "DPoP" (RFC 9449 §7.1), the scheme in any letter case, one or more spaces, a b64token (the
// token68 of RFC 9449 is the same set). No Authorization header with either scheme and no query
// token is kNoCredentials; several Authorization headers, or a header and a query token, are
// kMultipleTokens; a query token alone is kQueryToken (RFC 6750 §2.3 is refused: URLs end up in
// logs and browser history); a header that is not exactly one b64token is kMalformedHeader.
Result<PresentedToken, Error> extract_token(const Credentials& credentials);

// extract_token without the b64token character check: what the guard uses, so that a token it
// has verified before is found in its cache before the token is scanned byte by byte (a cached
// token was valid base64url when it was verified). Never returns an empty token.
Result<PresentedToken, Error> locate_token(const Credentials& credentials);

// extract_token for hosts that know only Bearer tokens (RFC 6750): a DPoP header is another
// scheme, kNoCredentials.
Result<std::string_view, Error> extract_bearer(const Credentials& credentials);

// RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
bool is_b64token(std::string_view s);

// True if the query string has an access_token parameter.
bool query_has_access_token(std::string_view query);

}  // namespace signet::guard
