#include "signet/admin/application_checks.h"

#include <algorithm>
#include <array>

#include <boost/json.hpp>

#include "signet/common/ascii.h"
#include "signet/http/url.h"
#include "signet/jose/json.h"
#include "signet/jose/jwk.h"

namespace signet::admin {
namespace {

namespace json = boost::json;

// Schemes whose URL a browser runs or reads locally instead of leaving for: a redirect to one
// would run the attacker's script in the login page's origin, or read local files.
constexpr std::array<std::string_view, 7> kForbiddenSchemes = {
    "javascript", "data", "vbscript", "file", "blob", "about", "filesystem"};

// JWK members that hold private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC
// 8037 §2): a client registers only its public keys, or anyone who reads the tenant could sign
// as the client.
constexpr std::array<std::string_view, 8> kPrivateMembers = {"d",  "p",  "q",   "dp",
                                                             "dq", "qi", "oth", "k"};

// http without TLS is fine for keys served by this very machine (a developer's client).
constexpr std::array<std::string_view, 3> kLoopbackHosts = {"localhost", "127.0.0.1", "::1"};

// RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
bool is_scheme(std::string_view s) {
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  return !s.empty() && alpha(s.front()) && std::all_of(s.begin(), s.end(), [&](char c) {
    return alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
  });
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string key_name(const json::object& key, std::size_t index) {
  if (const auto* kid = key.if_contains("kid"); kid != nullptr && kid->is_string()) {
    return "key '" + std::string(kid->as_string()) + "'";
  }
  return "key " + std::to_string(index + 1);
}

}  // namespace

Result<Ok, std::string> check_redirect_url(std::string_view what, std::string_view url) {
  const std::string name = std::string(what) + " " + quoted(url);
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || !is_scheme(url.substr(0, colon))) {
    return fail(name +
                " is not an absolute URL: write it with its scheme, e.g. "
                "https://app.example.com/callback (or com.example.app:/callback for a "
                "native app)");
  }
  const std::string scheme = ascii_lower(url.substr(0, colon));
  if (scheme == "http" || scheme == "https") {
    // The fetcher's parser refuses userinfo, fragments, whitespace and non-ASCII bytes too.
    auto parsed = http::parse_url(url);
    if (!parsed) {
      return fail(name + ": " + parsed.error());
    }
    return Ok{};
  }
  if (std::find(kForbiddenSchemes.begin(), kForbiddenSchemes.end(), scheme) !=
      kForbiddenSchemes.end()) {
    return fail(name + ": the " + scheme +
                ": scheme is never a place to send a browser back to; use https (or a "
                "private-use scheme such as com.example.app:/callback for a native app)");
  }
  const std::string_view rest = url.substr(colon + 1);
  if (rest.empty() || !printable_ascii(url)) {
    return fail(name +
                " needs a path after the scheme, in printable ASCII without spaces "
                "(percent-encode the rest), e.g. com.example.app:/callback");
  }
  if (url.find('#') != std::string_view::npos) {
    return fail(name + " must not have a fragment (#...): the code is sent in the query");
  }
  if (rest.starts_with("//")) {
    const std::string_view authority = rest.substr(2, rest.find_first_of("/?", 2) - 2);
    if (authority.find('@') != std::string_view::npos) {
      return fail(name + " must not hold userinfo (user@host): remove it");
    }
  }
  return Ok{};
}

Result<Ok, std::string> check_web_origin(std::string_view origin) {
  const std::string name = "web origin " + quoted(origin);
  auto parsed = http::parse_url(origin);
  if (!parsed) {
    return fail(name + ": " + parsed.error() + "; write it as scheme://host[:port]");
  }
  const bool default_port = (parsed->scheme == "https" && parsed->port == "443") ||
                            (parsed->scheme == "http" && parsed->port == "80");
  const std::string host =
      parsed->host.find(':') != std::string::npos ? "[" + parsed->host + "]" : parsed->host;
  const std::string canonical =
      parsed->scheme + "://" + host + (default_port ? "" : ":" + parsed->port);
  if (origin != canonical) {
    // Browsers send Origin in exactly this form, and origins are compared as strings.
    return fail(name +
                " must be exactly scheme://host[:port], as browsers send it (no path, "
                "query or trailing slash, lower case, no default port): write " +
                canonical);
  }
  return Ok{};
}

Result<Ok, std::string> check_jwks(std::string_view jwks) {
  auto doc = jose::parse_json_object(jwks);
  if (!doc) {
    return fail("the JWKS is not a JSON object (" + std::string(jose::to_string(doc.error())) +
                "): give a JWK Set, {\"keys\": [...]}, with the client's public keys");
  }
  const auto* keys = doc->if_contains("keys");
  if (keys == nullptr || !keys->is_array() || keys->as_array().empty()) {
    return fail(std::string(
        "the JWKS has no \"keys\" array of keys: give a JWK Set, {\"keys\": [...]}, with the "
        "client's public keys"));
  }
  const auto& list = keys->as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) {
      return fail("key " + std::to_string(i + 1) + " of the JWKS is not a JSON object");
    }
    const auto& key = list[i].as_object();
    for (const auto member : kPrivateMembers) {
      if (key.contains(member)) {
        return fail(key_name(key, i) + " of the JWKS holds the private member \"" +
                    std::string(member) +
                    "\": register only the public keys (the private key stays with the client)");
      }
    }
  }
  auto parsed = jose::parse_jwks(jwks);
  if (!parsed) {
    return fail("the JWKS cannot be used: " + std::string(jose::to_string(parsed.error())));
  }
  if (!parsed->skipped.empty()) {
    const auto& skipped = parsed->skipped.front();
    return fail((skipped.kid.empty() ? std::string("a key") : "key " + quoted(skipped.kid)) +
                " of the JWKS cannot be used: " + std::string(jose::to_string(skipped.reason)) +
                " (signet verifies RS256, PS256, ES256 and EdDSA signing keys)");
  }
  return Ok{};
}

Result<Ok, std::string> check_jwks_uri(std::string_view uri) {
  const std::string name = "jwks_uri " + quoted(uri);
  auto parsed = http::parse_url(uri);
  if (!parsed) {
    return fail(name + ": " + parsed.error());
  }
  if (!parsed->tls() && std::find(kLoopbackHosts.begin(), kLoopbackHosts.end(), parsed->host) ==
                            kLoopbackHosts.end()) {
    // Keys fetched over plain HTTP could be swapped by anyone on the path, who could then sign
    // as the client.
    return fail(name + " must use https (http only for localhost, 127.0.0.1 or [::1])");
  }
  return Ok{};
}

}  // namespace signet::admin
