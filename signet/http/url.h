#pragma once

// Parsing of the absolute http(s) URLs signet fetches from (JWKS, discovery documents).

#include <string>
#include <string_view>

#include "signet/common/result.h"

namespace signet::http {

struct Url {
  std::string scheme;  // "http" or "https", always lowercase
  std::string host;    // lowercase; IPv6 literals without their brackets
  std::string port;    // decimal, 1..65535; the scheme's default when the URL has none
  std::string target;  // path and query, never empty ("/" when the URL has no path)

  bool tls() const { return scheme == "https"; }
};

// Parses an absolute http or https URL. Refuses what a fetcher should never follow: other schemes,
// userinfo ("user@host"), fragments, whitespace or control characters, non-ASCII bytes, bad ports.
// On failure returns a message that says what was wrong.
Result<Url, std::string> parse_url(std::string_view text);

}  // namespace signet::http
