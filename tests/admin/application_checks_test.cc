// The rules for an application's callbacks, logout URLs, web origins and keys.

#include "signet/admin/application_checks.h"

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "signet/jose/jwk.h"

namespace signet::admin {
namespace {

namespace json = boost::json;

struct Case {
  std::string input;
  std::string expected;  // empty: accepted; else a part of the refusal
};

void check_table(const std::vector<Case>& cases,
                 const std::function<Result<Ok, std::string>(std::string_view)>& check) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    const auto r = check(c.input);
    if (c.expected.empty()) {
      EXPECT_TRUE(r.ok()) << r.error();
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.error().find(c.expected), std::string::npos) << r.error();
    }
  }
}

TEST(ApplicationChecks, RedirectUrls) {
  check_table(
      {
          {"https://app.example.com/callback", ""},
          {"http://localhost:3000/callback?from=login", ""},
          {"http://127.0.0.1:8080/", ""},
          {"HTTPS://app.example.com/cb", ""},
          {"com.example.app:/callback", ""},
          {"com.example.app://callback/path", ""},
          {"/callback", "is not an absolute URL"},
          {"app.example.com/callback", "is not an absolute URL"},
          {"", "is not an absolute URL"},
          {"1app:/cb", "is not an absolute URL"},
          {"https://app.example.com/cb#frag", "fragment"},
          {"https://user:pw@app.example.com/cb", "userinfo"},
          {"https:///cb", "callback 'https:///cb'"},
          {"https://app.example.com/a b", "callback"},
          {"javascript:alert(1)", "never a place to send a browser"},
          {"JavaScript:alert(1)", "never a place to send a browser"},
          {"data:text/html,<script>", "never a place"},
          {"file:///etc/passwd", "never a place"},
          {"vbscript:x", "never a place"},
          {"com.example.app:", "needs a path after the scheme"},
          {"com.example.app:/a b", "printable ASCII"},
          {"com.example.app:/cb#x", "fragment"},
          {"com.example.app://user@host/cb", "userinfo"},
      },
      [](std::string_view url) { return check_redirect_url("callback", url); });
  const auto named = check_redirect_url("allowed logout URL", "/x");
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().rfind("allowed logout URL '/x'", 0), 0u) << named.error();
}

TEST(ApplicationChecks, WebOriginsAreExactlyWhatBrowsersSend) {
  check_table(
      {
          {"http://localhost:3000", ""},
          {"https://app.example.com", ""},
          {"https://app.example.com:8443", ""},
          {"http://[::1]:3000", ""},
          {"http://localhost:3000/", "write http://localhost:3000"},
          {"https://app.example.com/path", "write https://app.example.com"},
          {"https://app.example.com?q", "write https://app.example.com"},
          {"https://APP.example.com", "write https://app.example.com"},
          {"https://app.example.com:443", "write https://app.example.com"},
          {"http://app.example.com:80", "write http://app.example.com"},
          {"https://app.example.com#x", "web origin"},
          {"https://u@app.example.com", "web origin"},
          {"com.example.app:/cb", "web origin"},
          {"app.example.com", "write it as scheme://host[:port]"},
      },
      check_web_origin);
}

TEST(ApplicationChecks, JwksUriIsHttpsOrLocal) {
  check_table(
      {
          {"https://client.example/.well-known/jwks.json", ""},
          {"http://localhost:8000/jwks.json", ""},
          {"http://127.0.0.1:8000/jwks.json", ""},
          {"http://[::1]:8000/jwks.json", ""},
          {"http://client.example/jwks.json", "must use https"},
          {"http://127.0.0.2/jwks.json", "must use https"},
          {"https://u@client.example/jwks.json", "jwks_uri"},
          {"ftp://client.example/jwks.json", "jwks_uri"},
          {"jwks.json", "jwks_uri 'jwks.json'"},
      },
      check_jwks_uri);
}

TEST(ApplicationChecks, AJwksHoldsUsablePublicKeysOnly) {
  const auto es = jose::generate_jwk(jose::Algorithm::kES256, "es").value();
  const auto ed = jose::generate_jwk(jose::Algorithm::kEdDSA, "ed").value();
  const json::object good = jose::to_public_jwks({es, ed});
  EXPECT_TRUE(check_jwks(json::serialize(good)).ok());
  std::vector<Case> cases;
  for (const std::string member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    json::object with = good;
    with["keys"].as_array()[1].as_object()[member] = "AAAA";
    cases.push_back({json::serialize(with),
                     "key 'ed' of the JWKS holds the private member \"" + member + "\""});
  }
  json::object no_kid = good;
  no_kid["keys"].as_array()[0].as_object().erase("kid");
  no_kid["keys"].as_array()[0].as_object()["d"] = "AAAA";
  cases.push_back({json::serialize(no_kid), "key 1 of the JWKS holds the private member"});
  json::object encryption = good;
  encryption["keys"].as_array()[0].as_object()["use"] = "enc";
  cases.push_back({json::serialize(encryption), "key 'es' of the JWKS cannot be used"});
  cases.push_back({R"({"keys":[{"kty":"oct"}]})", "a key of the JWKS cannot be used"});
  cases.push_back({"", "is not a JSON object"});
  cases.push_back({R"({"keys":{}})", "no \"keys\" array"});
  cases.push_back({R"({"key":[]})", "no \"keys\" array"});
  cases.push_back({R"({"keys":["x"]})", "key 1 of the JWKS is not a JSON object"});
  cases.push_back({R"({"keys":[],"keys":[]})", "is not a JSON object"});
  check_table(cases, check_jwks);
}

}  // namespace
}  // namespace signet::admin
