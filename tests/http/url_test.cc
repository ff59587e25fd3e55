#include "signet/http/url.h"

#include <gtest/gtest.h>

namespace signet::http {
namespace {

struct GoodUrl {
  const char* text;
  const char* scheme;
  const char* host;
  const char* port;
  const char* target;
};

class ParseUrlGood : public ::testing::TestWithParam<GoodUrl> {};

TEST_P(ParseUrlGood, Parses) {
  const GoodUrl& c = GetParam();
  const auto url = parse_url(c.text);
  ASSERT_TRUE(url.ok()) << c.text << ": " << url.error();
  EXPECT_EQ(url->scheme, c.scheme);
  EXPECT_EQ(url->host, c.host);
  EXPECT_EQ(url->port, c.port);
  EXPECT_EQ(url->target, c.target);
  EXPECT_EQ(url->tls(), std::string_view(c.scheme) == "https");
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseUrlGood,
    ::testing::Values(
        GoodUrl{"http://example.com", "http", "example.com", "80", "/"},
        GoodUrl{"https://example.com", "https", "example.com", "443", "/"},
        GoodUrl{"HTTPS://Auth.Example.COM/.well-known/jwks.json", "https", "auth.example.com",
                "443", "/.well-known/jwks.json"},
        GoodUrl{"http://127.0.0.1:4000/", "http", "127.0.0.1", "4000", "/"},
        GoodUrl{"http://localhost:4000/a/b?c=d&e=f", "http", "localhost", "4000", "/a/b?c=d&e=f"},
        GoodUrl{"http://host?x=1", "http", "host", "80", "/?x=1"},
        GoodUrl{"http://[::1]:8080/jwks", "http", "::1", "8080", "/jwks"},
        GoodUrl{"https://[2001:db8::1]", "https", "2001:db8::1", "443", "/"},
        GoodUrl{"http://host:65535/", "http", "host", "65535", "/"},
        GoodUrl{"http://host:1/", "http", "host", "1", "/"},
        GoodUrl{"http://my_host.internal-1/", "http", "my_host.internal-1", "80", "/"}));

struct BadUrl {
  const char* text;
  const char* message_part;  // the error must say what was wrong
};

class ParseUrlBad : public ::testing::TestWithParam<BadUrl> {};

TEST_P(ParseUrlBad, IsRefusedWithAReason) {
  const BadUrl& c = GetParam();
  const auto url = parse_url(c.text);
  ASSERT_FALSE(url.ok()) << c.text << " parsed as host " << url->host;
  EXPECT_NE(url.error().find(c.message_part), std::string::npos) << c.text << ": " << url.error();
}

INSTANTIATE_TEST_SUITE_P(Table, ParseUrlBad,
                         ::testing::Values(BadUrl{"", "empty"},                                  //
                                           BadUrl{"example.com/jwks", "no scheme"},              //
                                           BadUrl{"//example.com/", "no scheme"},                //
                                           BadUrl{"ftp://example.com/", "not supported"},        //
                                           BadUrl{"file:///etc/passwd", "not supported"},        //
                                           BadUrl{"http:/example.com", "no scheme"},             //
                                           BadUrl{"http://", "no host"},                         //
                                           BadUrl{"http:///path", "no host"},                    //
                                           BadUrl{"http://:80/", "no host"},                     //
                                           BadUrl{"http://user@example.com/", "userinfo"},       //
                                           BadUrl{"http://user:pw@example.com/", "userinfo"},    //
                                           BadUrl{"http://evil.com@good.com/", "userinfo"},      //
                                           BadUrl{"http://example.com:0/", "port"},              //
                                           BadUrl{"http://example.com:65536/", "port"},          //
                                           BadUrl{"http://example.com:99999999/", "port"},       //
                                           BadUrl{"http://example.com:8o/", "port"},             //
                                           BadUrl{"http://example.com:-1/", "port"},             //
                                           BadUrl{"http://example.com:/", "empty port"},         //
                                           BadUrl{"http://example.com/a b", "whitespace"},       //
                                           BadUrl{" http://example.com/", "whitespace"},         //
                                           BadUrl{"http://example.com/\t", "whitespace"},        //
                                           BadUrl{"http://example.com/\r\nX: y", "whitespace"},  //
                                           BadUrl{"http://example.com/\x7f", "control"},         //
                                           BadUrl{"http://ex\xc3\xa4mple.com/", "non-ASCII"},    //
                                           BadUrl{"http://example.com/#top", "fragment"},        //
                                           BadUrl{"http://example.com#", "fragment"},            //
                                           BadUrl{"http://[::1/", "closing"},                    //
                                           BadUrl{"http://[nothex]/", "IPv6"},                   //
                                           BadUrl{"http://[]/", "IPv6"},                         //
                                           BadUrl{"http://[::1]x/", "not a port"},               //
                                           BadUrl{"http://exa%6dple.com/", "not allowed"},       //
                                           BadUrl{"http://a:b:c/", "not allowed"}));

TEST(ParseUrl, RefusesOverlongUrls) {
  const std::string url = "http://example.com/" + std::string(9000, 'a');
  EXPECT_FALSE(parse_url(url).ok());
}

}  // namespace
}  // namespace signet::http
