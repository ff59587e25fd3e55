#pragma once

// Who a request comes from: IP addresses and networks, the address groups that per-client limits
// count by, and the client address of a request that came through trusted reverse proxies
// (RFC 7239 Forwarded, or X-Forwarded-For).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/http/message.h"

namespace signet::http {

// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4 address it
// maps: a dual-stack listener sees IPv4 clients that way, and they must count as themselves.
class IpAddress {
 public:
  // Strict: a dotted quad of four decimal octets without leading zeros, or RFC 4291 IPv6 text;
  // no brackets, port, zone ("%eth0") or surrounding spaces. nullopt otherwise.
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(const std::array<std::uint8_t, 4>& bytes);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);

  bool is_v4() const { return v4_; }
  // IPv4: the 4 bytes first, the rest zero. IPv6: all 16.
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }

  // Dotted quad, or RFC 5952 IPv6 text ("2001:db8::1").
  std::string to_string() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  IpAddress(const std::array<std::uint8_t, 16>& bytes, bool v4) : bytes_(bytes), v4_(v4) {}
  std::array<std::uint8_t, 16> bytes_{};
  bool v4_ = true;
};

// The key under which per-client limits count an address: an IPv4 address itself, an IPv6
// address its /64 prefix ("2001:db8:1:2::/64"), because one IPv6 subscriber usually gets a whole
// /64 and can pick a fresh address in it for every request. An IPv4-mapped address counts as the
// IPv4 address; a zone ("fe80::1%eth0") is ignored. Text that is no IP address is returned
// unchanged, so that two different inputs never share a group by accident.
std::string address_group(std::string_view ip);
std::string address_group(const IpAddress& address);

// An IP network in CIDR notation.
class IpNetwork {
 public:
  // "192.0.2.0/24", "2001:db8::/32", or a single address ("192.0.2.7" = /32, "::1" = /128).
  // Strict: the address as in IpAddress::parse, a decimal prefix length without leading zeros
  // within the family's bits, and no bits set beyond the prefix ("10.0.0.1/8" is refused: the
  // operator may have meant 10.0.0.1/32). nullopt otherwise.
  static std::optional<IpNetwork> parse(std::string_view text);

  // False for an address of the other family.
  bool contains(const IpAddress& address) const;

 private:
  IpNetwork(IpAddress base, unsigned prefix) : base_(base), prefix_(prefix) {}
  IpAddress base_;
  unsigned prefix_;
};

// The reverse proxies whose forwarding headers are believed.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Throws std::invalid_argument naming the first value that is not a network (start-up only).
  explicit TrustedProxies(const std::vector<std::string>& networks);

  bool empty() const { return networks_.empty(); }
  bool contains(const IpAddress& address) const;

 private:
  std::vector<IpNetwork> networks_;
};

// The address of the client behind `peer`, the end of the connection a request arrived on:
// - when `peer` is not a trusted proxy, `peer` itself: its forwarding headers are ignored, since
//   anyone can send them;
// - otherwise from `forwarded` (the RFC 7239 Forwarded field) when it is not empty, else from
//   `x_forwarded_for`: the hops are read from right to left, trusted proxies are skipped, and the
//   first untrusted hop is the client (the leftmost hops are whatever the client sent, so they are
//   never taken blindly); when every hop is a trusted proxy, the leftmost one;
// - `peer` when that header is malformed, or when the hop to take is "unknown", an obfuscated
//   identifier (RFC 7239 §6.3) or otherwise no IP address: a proxy we trust said it does not know.
// Several header lines of one field are passed joined with ", ", in order.
IpAddress client_address(const IpAddress& peer, const TrustedProxies& trusted,
                         std::string_view forwarded, std::string_view x_forwarded_for);

// The same for a request's Forwarded and X-Forwarded-For header lines.
IpAddress client_address(const IpAddress& peer, const TrustedProxies& trusted, const Request& req);

}  // namespace signet::http
