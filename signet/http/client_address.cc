#include "signet/http/client_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "signet/common/ascii.h"

namespace signet::http {
namespace {

// characters; the longest IPv6 text, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
constexpr std::size_t kMaxAddressText = INET6_ADDRSTRLEN - 1;
constexpr unsigned kV4Bits = 32;
constexpr unsigned kV6Bits = 128;
// bits of an IPv4-mapped IPv6 address before the IPv4 part (::ffff:0:0/96).
constexpr unsigned kMappedPrefixBits = 96;
// bytes of an IPv6 address that make its /64 group.
constexpr std::size_t kGroupBytes = 8;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c) {
  return is_digit(c) || is_alpha(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Not allowed in a quoted string (RFC 9110 §5.6.4): controls other than HTAB, and DEL.
bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_ows(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_mapped_v4(const std::array<std::uint8_t, 16>& b) {
  return std::all_of(b.begin(), b.begin() + 10, [](std::uint8_t x) { return x == 0; }) &&
         b[10] == 0xff && b[11] == 0xff;
}

std::string ntop(int family, const std::uint8_t* bytes) {
  char buf[INET6_ADDRSTRLEN];
  if (::inet_ntop(family, bytes, buf, sizeof buf) == nullptr) {
    return {};  // cannot happen with a large enough buffer
  }
  return buf;
}

// A decimal number of 1 to `max_digits` digits without a leading zero, or nullopt.
std::optional<unsigned> parse_decimal(std::string_view s, std::size_t max_digits) {
  if (s.empty() || s.size() > max_digits || !std::all_of(s.begin(), s.end(), is_digit) ||
      (s.size() > 1 && s.front() == '0')) {
    return std::nullopt;
  }
  unsigned value = 0;
  for (const char c : s) {
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

// RFC 7239 node-port: a port number or an obfuscated port ("_" followed by letters, digits, ".",
// "_" or "-"). Its value is never used: only the address identifies a client.
bool is_node_port(std::string_view s) {
  if (!s.empty() && s.front() == '_') {
    return s.size() > 1 && std::all_of(s.begin() + 1, s.end(), [](char c) {
             return is_digit(c) || is_alpha(c) || c == '.' || c == '_' || c == '-';
           });
  }
  const auto port = parse_decimal(s, 5);
  return port && *port <= 65535;
}

// "192.0.2.1", "192.0.2.1:80", "[2001:db8::1]" or "[2001:db8::1]:80" -> the address; anything
// else, including "unknown" and obfuscated identifiers, -> nullopt.
std::optional<IpAddress> parse_node(std::string_view node) {
  if (!node.empty() && node.front() == '[') {
    const auto close = node.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view rest = node.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !is_node_port(rest.substr(1)))) {
      return std::nullopt;
    }
    const std::string_view inside = node.substr(1, close - 1);
    if (inside.find(':') == std::string_view::npos) {
      return std::nullopt;  // brackets are for IPv6 only
    }
    return IpAddress::parse(inside);
  }
  if (auto address = IpAddress::parse(node)) {
    return address;  // a bare address, IPv6 included (X-Forwarded-For writes it so)
  }
  const auto colon = node.find(':');
  if (colon == std::string_view::npos || !is_node_port(node.substr(colon + 1))) {
    return std::nullopt;
  }
  auto address = IpAddress::parse(node.substr(0, colon));
  if (address && !address->is_v4()) {
    return std::nullopt;  // an IPv6 address with a port must be bracketed
  }
  return address;
}

// One hop of a forwarding header: its address, or nullopt when the hop did not give one.
using Hop = std::optional<IpAddress>;

// RFC 7239 §4: Forwarded = 1#forwarded-element; forwarded-element = [ forwarded-pair ]
// *( ";" [ forwarded-pair ] ); forwarded-pair = token "=" ( token / quoted-string ). Returns the
// `for` node of each element (nullopt when it has none, or it is no address), left to right; an
// empty vector when the field is malformed. The field is parsed whole, left to right, because a
// quoted string may hold commas: a client cannot hide a proxy's element inside a quote it opened,
// since the field then ends inside a quote, which is malformed.
std::vector<Hop> forwarded_hops(std::string_view field) {
  std::vector<Hop> hops;
  std::size_t i = 0;
  const auto at_end = [&] { return i >= field.size(); };
  const auto skip_ows = [&] {
    while (!at_end() && is_ows(field[i])) {
      ++i;
    }
  };
  while (true) {
    // One element.
    std::optional<std::string> for_value;
    bool for_seen = false;
    bool element_empty = true;
    while (true) {
      skip_ows();
      if (at_end() || field[i] == ',') {
        break;
      }
      if (field[i] == ';') {
        ++i;
        continue;
      }
      const std::size_t name_start = i;
      while (!at_end() && is_tchar(field[i])) {
        ++i;
      }
      const std::string_view name = field.substr(name_start, i - name_start);
      if (name.empty() || at_end() || field[i] != '=') {
        return {};
      }
      ++i;
      std::string value;
      if (!at_end() && field[i] == '"') {
        ++i;
        bool closed = false;
        while (!at_end()) {
          const char c = field[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (at_end()) {
              return {};
            }
            const char escaped = field[i++];
            if (is_control(escaped)) {
              return {};
            }
            value += escaped;
          } else if (is_control(c)) {
            return {};
          } else {
            value += c;
          }
        }
        if (!closed) {
          return {};
        }
      } else {
        const std::size_t value_start = i;
        while (!at_end() && is_tchar(field[i])) {
          ++i;
        }
        value = std::string(field.substr(value_start, i - value_start));
        if (value.empty()) {
          return {};
        }
      }
      element_empty = false;
      if (iequals(name, "for")) {
        if (for_seen) {
          return {};  // RFC 7239 §4: a parameter must not occur more than once per element
        }
        for_seen = true;
        for_value = std::move(value);
      }
      skip_ows();
      if (!at_end() && field[i] != ';' && field[i] != ',') {
        return {};
      }
    }
    // RFC 9110 §5.6.1: empty list elements are ignored.
    if (!element_empty) {
      hops.push_back(for_value ? parse_node(*for_value) : std::nullopt);
    }
    if (at_end()) {
      return hops;
    }
    ++i;  // the comma
  }
}

// X-Forwarded-For: a comma-separated list of addresses, client first. Elements are only parsed
// when the walk reaches them, so what a client put at the left cannot make the field malformed.
std::vector<std::string_view> x_forwarded_for_elements(std::string_view field) {
  std::vector<std::string_view> elements;
  while (true) {
    const auto comma = field.find(',');
    const std::string_view element = trim_ows(field.substr(0, comma));
    if (!element.empty()) {
      elements.push_back(element);  // RFC 9110 §5.6.1: empty list elements are ignored
    }
    if (comma == std::string_view::npos) {
      return elements;
    }
    field.remove_prefix(comma + 1);
  }
}

// The client among `hops` (client first, nearest proxy last), walked from the right.
template <typename Element, typename ToHop>
IpAddress walk(const IpAddress& peer, const TrustedProxies& trusted,
               const std::vector<Element>& hops, ToHop to_hop) {
  std::optional<IpAddress> last;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const Hop hop = to_hop(*it);
    if (!hop) {
      return peer;  // a trusted proxy did not know (or hid) who connected to it
    }
    if (!trusted.contains(*hop)) {
      return *hop;
    }
    last = hop;
  }
  return last ? *last : peer;  // every hop is one of our proxies: the leftmost sent it
}

std::string joined_lines(const Request& req, std::string_view name) {
  std::string out;
  const auto [begin, end] = req.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    if (!out.empty()) {
      out += ", ";
    }
    out += it->value();
  }
  return out;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressText) {
    return std::nullopt;
  }
  // inet_pton wants a C string; it is strict (no leading zeros, spaces, zones or short forms).
  char buf[kMaxAddressText + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    std::array<std::uint8_t, 4> v4_bytes{};
    if (::inet_pton(AF_INET, buf, v4_bytes.data()) != 1) {
      return std::nullopt;
    }
    return v4(v4_bytes);
  }
  std::array<std::uint8_t, 16> v6_bytes{};
  if (::inet_pton(AF_INET6, buf, v6_bytes.data()) != 1) {
    return std::nullopt;
  }
  return v6(v6_bytes);
}

IpAddress IpAddress::v4(const std::array<std::uint8_t, 4>& bytes) {
  std::array<std::uint8_t, 16> all{};
  std::copy(bytes.begin(), bytes.end(), all.begin());
  return IpAddress(all, true);
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
  if (is_mapped_v4(bytes)) {
    return v4({bytes[12], bytes[13], bytes[14], bytes[15]});
  }
  return IpAddress(bytes, false);
}

std::string IpAddress::to_string() const {
  return ntop(v4_ ? AF_INET : AF_INET6, bytes_.data());
}

std::string address_group(const IpAddress& address) {
  if (address.is_v4()) {
    return address.to_string();
  }
  std::array<std::uint8_t, 16> prefix{};
  std::copy_n(address.bytes().begin(), kGroupBytes, prefix.begin());
  return ntop(AF_INET6, prefix.data()) + "/64";
}

std::string address_group(std::string_view ip) {
  std::string_view without_zone = ip;
  if (const auto percent = ip.find('%');
      percent != std::string_view::npos && ip.find(':') != std::string_view::npos) {
    without_zone = ip.substr(0, percent);
  }
  const auto address = IpAddress::parse(without_zone);
  return address ? address_group(*address) : std::string(ip);
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  auto address = IpAddress::parse(address_text);
  if (!address) {
    return std::nullopt;
  }
  const bool written_as_v6 = address_text.find(':') != std::string_view::npos;
  const unsigned family_bits = written_as_v6 ? kV6Bits : kV4Bits;
  unsigned prefix = family_bits;
  if (slash != std::string_view::npos) {
    const auto parsed = parse_decimal(text.substr(slash + 1), 3);
    if (!parsed || *parsed > family_bits) {
      return std::nullopt;
    }
    prefix = *parsed;
  }
  if (written_as_v6 && address->is_v4()) {
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8; a shorter prefix would mix the families.
    if (prefix < kMappedPrefixBits) {
      return std::nullopt;
    }
    prefix -= kMappedPrefixBits;
  }
  const auto& bytes = address->bytes();
  for (unsigned bit = prefix; bit < kV6Bits; ++bit) {
    if ((bytes[bit / 8] >> (7 - bit % 8)) & 1u) {
      return std::nullopt;  // bits set beyond the prefix
    }
  }
  return IpNetwork(*address, prefix);
}

bool IpNetwork::contains(const IpAddress& address) const {
  if (address.is_v4() != base_.is_v4()) {
    return false;
  }
  const auto& a = address.bytes();
  const auto& b = base_.bytes();
  const unsigned whole = prefix_ / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) {
    return false;
  }
  const unsigned rest = prefix_ % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

TrustedProxies::TrustedProxies(const std::vector<std::string>& networks) {
  for (const auto& text : networks) {
    auto network = IpNetwork::parse(text);
    if (!network) {
      throw std::invalid_argument("trusted proxy '" + text +
                                  "' is not an address or network: write it like 10.0.0.0/8, "
                                  "192.0.2.7 or 2001:db8::/32, with no bits set after the prefix");
    }
    networks_.push_back(*network);
  }
}

bool TrustedProxies::contains(const IpAddress& address) const {
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const IpNetwork& network) { return network.contains(address); });
}

IpAddress client_address(const IpAddress& peer, const TrustedProxies& trusted,
                         std::string_view forwarded, std::string_view x_forwarded_for) {
  if (!trusted.contains(peer)) {
    return peer;  // anyone can send forwarding headers; only our own proxies are believed
  }
  if (!trim_ows(forwarded).empty()) {
    return walk(peer, trusted, forwarded_hops(forwarded), [](const Hop& hop) { return hop; });
  }
  return walk(peer, trusted, x_forwarded_for_elements(x_forwarded_for),
              [](std::string_view element) { return parse_node(element); });
}

IpAddress client_address(const IpAddress& peer, const TrustedProxies& trusted, const Request& req) {
  if (!trusted.contains(peer)) {
    return peer;
  }
  return client_address(peer, trusted, joined_lines(req, "Forwarded"),
                        joined_lines(req, "X-Forwarded-For"));
}

}  // namespace signet::http
