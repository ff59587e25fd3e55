#include "signet/http/url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "signet/common/ascii.h"

namespace signet::http {
namespace {

constexpr std::size_t kMaxUrlBytes = 8 * 1024;  // bytes; far beyond any real JWKS or discovery URL
constexpr std::size_t kMaxHostBytes = 253;      // bytes; the DNS limit for a full domain name
constexpr unsigned long kMaxPort = 65535;       // TCP ports are 16 bits

bool is_reg_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

Unexpected<std::string> error(std::string message) {
  return fail(std::move(message));
}

}  // namespace

Result<Url, std::string> parse_url(std::string_view text) {
  if (text.empty()) {
    return error("URL is empty");
  }
  if (text.size() > kMaxUrlBytes) {
    return error("URL is longer than " + std::to_string(kMaxUrlBytes) + " bytes");
  }
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return error("URL contains whitespace or a control character");
    }
    if (u >= 0x80) {
      return error("URL contains a non-ASCII byte (percent-encode it)");
    }
  }
  if (text.find('#') != std::string_view::npos) {
    return error("URL has a fragment ('#'), which has no meaning for a fetch");
  }

  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return error("URL has no scheme (expected http:// or https://)");
  }
  Url url;
  url.scheme = ascii_lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return error("URL scheme '" + url.scheme + "' is not supported (expected http or https)");
  }

  const std::string_view rest = text.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority_end != std::string_view::npos) {
    url.target = std::string(rest.substr(authority_end));
    if (url.target.front() == '?') {
      url.target.insert(url.target.begin(), '/');
    }
  } else {
    url.target = "/";
  }

  // Credentials in a URL end up in logs and are a classic way to disguise the real host.
  if (authority.find('@') != std::string_view::npos) {
    return error("URL has userinfo ('user@host'), which signet refuses");
  }

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return error("URL has an IPv6 host without its closing ']'");
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return error("URL has characters after the IPv6 host that are not a port");
      }
      has_port = true;
      port_text = after.substr(1);
    }
    std::array<unsigned char, 16> address{};
    const std::string host_z(host);
    if (host.empty() || inet_pton(AF_INET6, host_z.c_str(), address.data()) != 1) {
      return error("URL has an invalid IPv6 address '" + host_z + "'");
    }
  } else {
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) {
      return error("URL has no host");
    }
    if (host.size() > kMaxHostBytes) {
      return error("URL host is longer than " + std::to_string(kMaxHostBytes) + " bytes");
    }
    if (!std::all_of(host.begin(), host.end(), is_reg_name_char)) {
      return error("URL host '" + std::string(host) +
                   "' contains characters not allowed in a host");
    }
  }
  url.host = ascii_lower(host);

  if (has_port) {
    if (port_text.empty()) {
      return error("URL has an empty port after ':'");
    }
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      return error("URL port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    const unsigned long port = std::stoul(std::string(port_text));
    if (port == 0 || port > kMaxPort) {
      return error("URL port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    url.port = std::to_string(port);
  } else {
    url.port = url.tls() ? "443" : "80";
  }
  return url;
}

}  // namespace signet::http
