#include "signet/http/client_address.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace signet::http {
namespace {

namespace bhttp = boost::beast::http;

IpAddress ip(std::string_view text) {
  const auto address = IpAddress::parse(text);
  if (!address) {
    throw std::invalid_argument("test address " + std::string(text));
  }
  return *address;
}

// --- addresses

struct ParseCase {
  const char* text;
  const char* canonical;  // nullptr: refused
};

TEST(IpAddress, ParsesStrictlyAndPrintsCanonically) {
  const std::vector<ParseCase> cases = {
      {"192.0.2.1", "192.0.2.1"},
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
      {"2001:db8::1", "2001:db8::1"},
      {"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},       // RFC 5952: the longest run of zeros
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // and never a single zero field
      {"::1", "::1"},
      {"::", "::"},
      {"::ffff:192.0.2.1", "192.0.2.1"},  // IPv4-mapped: the IPv4 address
      {"::ffff:c000:0201", "192.0.2.1"},
      {"", nullptr},
      {"192.0.2", nullptr},
      {"192.0.2.1.5", nullptr},
      {"192.0.2.256", nullptr},
      {"192.0.2.01", nullptr},  // a leading zero reads as octal elsewhere
      {"0x7f.0.0.1", nullptr},
      {" 192.0.2.1", nullptr},
      {"192.0.2.1 ", nullptr},
      {"192.0.2.1:80", nullptr},
      {"[2001:db8::1]", nullptr},
      {"fe80::1%eth0", nullptr},
      {"2001:db8::1::2", nullptr},
      {"2001:db8:::1", nullptr},
      {"12345::1", nullptr},
      {"unknown", nullptr},
      {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255x", nullptr},  // too long
  };
  for (const auto& c : cases) {
    const auto address = IpAddress::parse(c.text);
    if (c.canonical == nullptr) {
      EXPECT_FALSE(address) << c.text;
    } else {
      ASSERT_TRUE(address) << c.text;
      EXPECT_EQ(address->to_string(), c.canonical) << c.text;
    }
  }
}

TEST(IpAddress, MappedAddressEqualsItsIpv4Address) {
  EXPECT_EQ(ip("::ffff:10.1.2.3"), ip("10.1.2.3"));
  EXPECT_TRUE(ip("::ffff:10.1.2.3").is_v4());
  EXPECT_EQ(IpAddress::v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}),
            IpAddress::v4({127, 0, 0, 1}));
  EXPECT_NE(ip("::10.1.2.3"), ip("10.1.2.3"));  // the deprecated IPv4-compatible form is IPv6
}

// --- address groups

TEST(AddressGroup, Ipv4IsItselfAndIpv6IsItsSlash64) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"192.0.2.1", "192.0.2.1"},
      {"127.0.0.1", "127.0.0.1"},
      {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
      {"2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
      {"2001:db8:1:2::", "2001:db8:1:2::/64"},
      {"2001:db8::1", "2001:db8::/64"},
      {"2001:db8:0:0:1::", "2001:db8::/64"},
      {"::1", "::/64"},
      {"::ffff:192.0.2.1", "192.0.2.1"},
      {"fe80::1%eth0", "fe80::/64"},  // a zone does not change who it is
      {"fe80::1%", "fe80::/64"},
      // Not addresses: unchanged, so that different inputs never share a group.
      {"", ""},
      {"garbage", "garbage"},
      {"192.0.2.1%eth0", "192.0.2.1%eth0"},
      {"2001:db8::zz", "2001:db8::zz"},
  };
  for (const auto& [input, group] : cases) {
    EXPECT_EQ(address_group(input), group) << input;
  }
}

TEST(AddressGroup, AddressesOfOneSlash64ShareAGroupAndNeighboursDoNot) {
  EXPECT_EQ(address_group("2001:db8:a:b::1"), address_group("2001:db8:a:b:ffff::2"));
  EXPECT_NE(address_group("2001:db8:a:b::1"), address_group("2001:db8:a:c::1"));
  EXPECT_NE(address_group("192.0.2.1"), address_group("192.0.2.2"));
}

// --- networks

struct NetworkCase {
  const char* network;
  const char* address;
  bool contains;
};

TEST(IpNetwork, Contains) {
  const std::vector<NetworkCase> cases = {
      {"10.0.0.0/8", "10.255.1.2", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"192.0.2.128/25", "192.0.2.128", true},
      {"192.0.2.128/25", "192.0.2.127", false},
      {"192.0.2.7", "192.0.2.7", true},
      {"192.0.2.7", "192.0.2.8", false},
      {"192.0.2.7/32", "192.0.2.7", true},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"0.0.0.0/0", "2001:db8::1", false},  // one family at a time
      {"::/0", "203.0.113.9", false},
      {"::/0", "2001:db8::1", true},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"2001:db8:0:100::/57", "2001:db8:0:17f::1", true},
      {"2001:db8:0:100::/57", "2001:db8:0:180::1", false},
      {"::1", "::1", true},
      {"::1/128", "::2", false},
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},  // a dual-stack listener's view of 10.1.2.3
      {"::ffff:10.0.0.0/104", "10.9.9.9", true},
      {"::ffff:10.0.0.0/104", "11.0.0.0", false},
  };
  for (const auto& c : cases) {
    const auto network = IpNetwork::parse(c.network);
    ASSERT_TRUE(network) << c.network;
    EXPECT_EQ(network->contains(ip(c.address)), c.contains) << c.network << " " << c.address;
  }
}

TEST(IpNetwork, RefusesWhatIsNotStrictlyANetwork) {
  for (const char* bad : {
           "",
           "/8",
           "10.0.0.0/",
           "10.0.0.0/33",
           "10.0.0.0/08",
           "10.0.0.0/-1",
           "10.0.0.0/+8",
           "10.0.0.0/8/8",
           "10.0.0.0 /8",
           "10.0.0.1/8",  // bits beyond the prefix: 10.0.0.1/32 or 10.0.0.0/8?
           "10.0.0/8",
           "2001:db8::/129",
           "2001:db8::1/32",
           "[2001:db8::]/32",
           "fe80::%eth0/64",
           "::ffff:10.0.0.0/95",  // mixes the families
           "localhost",
           "10.0.0.0/8,192.168.0.0/16",
       }) {
    EXPECT_FALSE(IpNetwork::parse(bad)) << bad;
  }
}

TEST(TrustedProxies, NamesTheBadValue) {
  EXPECT_TRUE(TrustedProxies(std::vector<std::string>{}).empty());
  const TrustedProxies good({"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"});
  EXPECT_TRUE(good.contains(ip("10.1.1.1")));
  EXPECT_TRUE(good.contains(ip("2001:db8::5")));
  EXPECT_TRUE(good.contains(ip("192.0.2.7")));
  EXPECT_FALSE(good.contains(ip("192.0.2.8")));
  try {
    TrustedProxies({"10.0.0.0/8", "10.0.0.1/8"});
    FAIL() << "accepted 10.0.0.1/8";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'10.0.0.1/8'"), std::string::npos) << e.what();
  }
}

// --- the client behind trusted proxies

struct ResolveCase {
  const char* name;
  const char* peer;
  const char* forwarded;
  const char* x_forwarded_for;
  const char* client;
};

TEST(ClientAddress, Rules) {
  const TrustedProxies trusted({"10.0.0.0/8", "2001:db8:ffff::/48"});
  const std::vector<ResolveCase> cases = {
      // Untrusted peers: headers ignored, whatever they say.
      {"untrusted peer, XFF", "203.0.113.1", "", "198.51.100.7", "203.0.113.1"},
      {"untrusted peer, Forwarded", "203.0.113.1", "for=198.51.100.7", "", "203.0.113.1"},
      {"trusted peer, no header", "10.0.0.1", "", "", "10.0.0.1"},
      // X-Forwarded-For, right to left.
      {"one proxy", "10.0.0.1", "", "198.51.100.7", "198.51.100.7"},
      {"client prepends a fake", "10.0.0.1", "", "1.2.3.4, 198.51.100.7", "198.51.100.7"},
      {"chain of trusted proxies", "10.0.0.1", "", "198.51.100.7, 10.0.0.3,10.0.0.2",
       "198.51.100.7"},
      {"every hop trusted", "10.0.0.1", "", "10.0.0.9, 10.0.0.3", "10.0.0.9"},
      {"IPv6 hop", "10.0.0.1", "", "2001:db8::7", "2001:db8::7"},
      {"IPv6 hop, bracketed with port", "10.0.0.1", "", "[2001:db8::7]:4711", "2001:db8::7"},
      {"IPv4 hop with port", "10.0.0.1", "", "198.51.100.7:4711", "198.51.100.7"},
      {"mapped hop", "10.0.0.1", "", "::ffff:198.51.100.7", "198.51.100.7"},
      {"trusted IPv6 proxy", "2001:db8:ffff::1", "", "198.51.100.7, 2001:db8:ffff:1::2",
       "198.51.100.7"},
      {"empty elements are ignored", "10.0.0.1", "", " , 198.51.100.7,, ", "198.51.100.7"},
      {"garbage in the hop taken", "10.0.0.1", "", "198.51.100.7, garbage", "10.0.0.1"},
      {"unknown", "10.0.0.1", "", "unknown", "10.0.0.1"},
      {"garbage left of the client is never read", "10.0.0.1", "", "<script>, 198.51.100.7",
       "198.51.100.7"},
      {"garbage behind a trusted hop", "10.0.0.1", "", "garbage, 10.0.0.2", "10.0.0.1"},
      {"IPv6 with a port, unbracketed", "10.0.0.1", "", "2001:db8::7:4711x", "10.0.0.1"},
      {"only separators", "10.0.0.1", "", " , ,", "10.0.0.1"},
      // Forwarded (RFC 7239), preferred over X-Forwarded-For.
      {"Forwarded for", "10.0.0.1", "for=198.51.100.7", "203.0.113.99", "198.51.100.7"},
      {"Forwarded, case and spaces", "10.0.0.1", "For=198.51.100.7 ;Proto=https", "",
       "198.51.100.7"},
      {"Forwarded, quoted v6 and port", "10.0.0.1", R"(for="[2001:db8:cafe::17]:4711")", "",
       "2001:db8:cafe::17"},
      {"Forwarded, quoted v4 and port", "10.0.0.1", R"(for="198.51.100.7:47011")", "",
       "198.51.100.7"},
      {"Forwarded, obfuscated port", "10.0.0.1", R"(for="198.51.100.7:_abc")", "", "198.51.100.7"},
      {"Forwarded, right to left", "10.0.0.1",
       R"(for=1.2.3.4, for=198.51.100.7;by=10.0.0.1;proto=http, for="10.0.0.2")", "",
       "198.51.100.7"},
      {"Forwarded, a quoted comma", "10.0.0.1", R"(for=198.51.100.7;x="a,b", for=10.0.0.2)", "",
       "198.51.100.7"},
      {"Forwarded, a quoted escape", "10.0.0.1", R"(x="a\"b";for=198.51.100.7)", "",
       "198.51.100.7"},
      {"Forwarded, unknown", "10.0.0.1", "for=unknown", "198.51.100.7", "10.0.0.1"},
      {"Forwarded, obfuscated", "10.0.0.1", "for=_hidden", "", "10.0.0.1"},
      {"Forwarded, no for", "10.0.0.1", "proto=https", "", "10.0.0.1"},
      {"Forwarded, unquoted v6", "10.0.0.1", "for=[2001:db8::1]", "", "10.0.0.1"},
      {"Forwarded, v6 without brackets", "10.0.0.1", R"(for="2001:db8::1")", "", "2001:db8::1"},
      {"Forwarded, v4 in brackets", "10.0.0.1", R"(for="[198.51.100.7]")", "", "10.0.0.1"},
      {"Forwarded, unterminated quote", "10.0.0.1", R"(for="198.51.100.7)", "", "10.0.0.1"},
      {"Forwarded, a client's open quote swallows the proxy's hop", "10.0.0.1",
       R"(for="1.2.3.4, for=198.51.100.7)", "", "10.0.0.1"},
      {"Forwarded, twice for in one element", "10.0.0.1", "for=1.2.3.4;for=198.51.100.7", "",
       "10.0.0.1"},
      {"Forwarded, no value", "10.0.0.1", "for=", "", "10.0.0.1"},
      {"Forwarded, no name", "10.0.0.1", "=1.2.3.4", "", "10.0.0.1"},
      {"Forwarded, junk after a value", "10.0.0.1", "for=198.51.100.7 junk", "", "10.0.0.1"},
      {"Forwarded, control character", "10.0.0.1", "for=\"198.51.100.7\x01\"", "", "10.0.0.1"},
      {"Forwarded, empty elements", "10.0.0.1", ", for=198.51.100.7 ,", "", "198.51.100.7"},
      {"Forwarded, port too large", "10.0.0.1", R"(for="198.51.100.7:65536")", "", "10.0.0.1"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(client_address(ip(c.peer), trusted, c.forwarded, c.x_forwarded_for).to_string(),
              c.client)
        << c.name;
  }
}

TEST(ClientAddress, NoTrustedProxiesMeansThePeer) {
  EXPECT_EQ(client_address(ip("10.0.0.1"), TrustedProxies{}, "for=1.2.3.4", "5.6.7.8"),
            ip("10.0.0.1"));
}

TEST(ClientAddress, HeaderLinesOfARequestAreJoinedInOrder) {
  const TrustedProxies trusted({"10.0.0.0/8"});
  Request req{bhttp::verb::get, "/", 11};
  req.insert("X-Forwarded-For", "1.2.3.4, 198.51.100.7");
  req.insert("X-Forwarded-For", "10.0.0.5");
  EXPECT_EQ(client_address(ip("10.0.0.1"), trusted, req), ip("198.51.100.7"));
  req.insert("x-forwarded-for", "198.51.100.8");  // names are case-insensitive
  EXPECT_EQ(client_address(ip("10.0.0.1"), trusted, req), ip("198.51.100.8"));
  req.insert("Forwarded", "for=198.51.100.9");
  req.insert("Forwarded", "for=10.0.0.4");
  EXPECT_EQ(client_address(ip("10.0.0.1"), trusted, req), ip("198.51.100.9"));
  EXPECT_EQ(client_address(ip("203.0.113.1"), trusted, req), ip("203.0.113.1"));
}

}  // namespace
}  // namespace signet::http
