#include "signet/guard/http_key_source.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/serialize.hpp>

#include "signet/http/message.h"
#include "signet/http/router.h"
#include "signet/http/server.h"
#include "tests/guard/guard_test_support.h"

namespace signet::guard {
namespace {

namespace beast_http = boost::beast::http;
namespace json = boost::json;
using namespace testing;  // NOLINT: the guard test helpers
using namespace std::chrono_literals;
using jose::Algorithm;

TEST(WellKnownUrl, AppendsToAnIssuerWithTrailingSlash) {
  EXPECT_EQ(well_known_url("https://a/", "jwks.json"), "https://a/.well-known/jwks.json");
  EXPECT_EQ(well_known_url("https://a/", "openid-configuration"),
            "https://a/.well-known/openid-configuration");
}

TEST(WellKnownUrl, InsertsTheSlashAnIssuerLacks) {
  EXPECT_EQ(well_known_url("https://a", "jwks.json"), "https://a/.well-known/jwks.json");
}

TEST(WellKnownUrl, KeepsTheIssuerPath) {
  EXPECT_EQ(well_known_url("https://a/tenant/", "jwks.json"),
            "https://a/tenant/.well-known/jwks.json");
  EXPECT_EQ(well_known_url("https://a/tenant", "jwks.json"),
            "https://a/tenant/.well-known/jwks.json");
}

// What the fake issuer answers on one path.
struct Route {
  unsigned status = 200;
  std::string body;
  std::string cache_control = {};
  std::string location = {};
};

// An issuer on 127.0.0.1 with an ephemeral port whose routes the test sets, counting requests.
class FakeIssuer {
 public:
  static constexpr std::string_view kPaths[] = {"/.well-known/openid-configuration",
                                                "/.well-known/jwks.json", "/keys", "/evil-keys"};

  FakeIssuer() : server_(options(), make_router()) {
    server_.start();
    base_ = "http://127.0.0.1:" + std::to_string(server_.port());
    thread_ = std::thread([this] { server_.run(); });
  }
  ~FakeIssuer() {
    server_.stop();
    thread_.join();
  }
  FakeIssuer(const FakeIssuer&) = delete;
  FakeIssuer& operator=(const FakeIssuer&) = delete;

  std::string issuer() const { return base_ + "/"; }
  std::string url(std::string_view path) const { return base_ + std::string(path); }

  void set(std::string_view path, Route route) {
    std::lock_guard lock(mu_);
    routes_[std::string(path)] = std::move(route);
  }
  int requests(std::string_view path) const {
    std::lock_guard lock(mu_);
    auto it = counts_.find(std::string(path));
    return it == counts_.end() ? 0 : it->second;
  }

  // Serves a discovery document naming `issuer` and `jwks_path` on this server.
  void serve_discovery(const std::string& issuer, std::string_view jwks_path) {
    set(kPaths[0], Route{200, json::serialize(
                                  json::object{{"issuer", issuer}, {"jwks_uri", url(jwks_path)}})});
  }
  void serve_jwks(std::string_view path, const jose::Jwk& key, std::string cache_control = {}) {
    set(path, Route{200, json::serialize(jose::to_public_jwks({key})), std::move(cache_control)});
  }

 private:
  static http::ServerOptions options() {
    http::ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    o.access_log = false;
    o.shutdown_grace = 1s;
    return o;
  }

  http::Router make_router() {
    http::Router router;
    for (const std::string_view path : kPaths) {
      router.add(beast_http::verb::get, std::string(path),
                 [this, path](const http::Request& req) { return answer(req, path); });
    }
    return router;
  }

  http::Response answer(const http::Request& req, std::string_view path) {
    std::lock_guard lock(mu_);
    ++counts_[std::string(path)];
    auto it = routes_.find(std::string(path));
    if (it == routes_.end()) {
      return http::json_error(req, beast_http::status::not_found, "not_found", "no such route");
    }
    const Route& r = it->second;
    http::Response res =
        http::json_response(req, static_cast<beast_http::status>(r.status), r.body);
    if (!r.cache_control.empty()) {
      res.set(beast_http::field::cache_control, r.cache_control);
    }
    if (!r.location.empty()) {
      res.set(beast_http::field::location, r.location);
    }
    return res;
  }

  mutable std::mutex mu_;
  std::map<std::string, Route> routes_;
  std::map<std::string, int> counts_;
  http::Server server_;
  std::string base_;
  std::thread thread_;
};

constexpr std::string_view kDiscovery = FakeIssuer::kPaths[0];
constexpr std::string_view kWellKnownJwks = FakeIssuer::kPaths[1];
constexpr std::string_view kKeys = FakeIssuer::kPaths[2];
constexpr std::string_view kEvilKeys = FakeIssuer::kPaths[3];

GuardConfig config_for(const FakeIssuer& issuer) {
  GuardConfig c = test_config();
  c.issuer = issuer.issuer();
  return c;
}

TEST(HttpKeySource, UsesTheJwksUriFromDiscovery) {
  FakeIssuer issuer;
  issuer.serve_discovery(issuer.issuer(), kKeys);
  issuer.serve_jwks(kKeys, signing_key());
  HttpKeySource source(config_for(issuer));
  EXPECT_EQ(source.jwks_uri(), "");
  auto fetched = source.fetch();
  ASSERT_TRUE(fetched) << fetched.error();
  ASSERT_EQ(fetched->jwks.keys.size(), 1u);
  EXPECT_EQ(fetched->jwks.keys[0].kid, signing_key().kid);
  EXPECT_FALSE(fetched->max_age);
  EXPECT_EQ(source.jwks_uri(), issuer.url(kKeys));
  EXPECT_EQ(issuer.requests(kDiscovery), 1);
  EXPECT_EQ(issuer.requests(kKeys), 1);
  EXPECT_EQ(issuer.requests(kWellKnownJwks), 0);

  // The discovered URI is remembered: the next fetch skips discovery.
  ASSERT_TRUE(source.fetch());
  EXPECT_EQ(issuer.requests(kDiscovery), 1);
  EXPECT_EQ(issuer.requests(kKeys), 2);
}

TEST(HttpKeySource, ReportsCacheControlMaxAge) {
  FakeIssuer issuer;
  issuer.serve_discovery(issuer.issuer(), kKeys);
  issuer.serve_jwks(kKeys, signing_key(), "public, max-age=300");
  HttpKeySource source(config_for(issuer));
  auto fetched = source.fetch();
  ASSERT_TRUE(fetched) << fetched.error();
  ASSERT_TRUE(fetched->max_age);
  EXPECT_EQ(*fetched->max_age, std::chrono::seconds{300});
}

TEST(HttpKeySource, ConfiguredJwksUriSkipsDiscovery) {
  FakeIssuer issuer;
  issuer.serve_discovery(issuer.issuer(), kEvilKeys);
  issuer.serve_jwks(kKeys, signing_key());
  GuardConfig c = config_for(issuer);
  c.jwks_uri = issuer.url(kKeys);
  HttpKeySource source(c);
  EXPECT_EQ(source.jwks_uri(), issuer.url(kKeys));
  ASSERT_TRUE(source.fetch());
  EXPECT_EQ(issuer.requests(kDiscovery), 0);
  EXPECT_EQ(issuer.requests(kKeys), 1);
}

TEST(HttpKeySource, DiscoveryNamingAnotherIssuerIsNotFollowed) {
  FakeIssuer issuer;
  // The document points at other keys and names another issuer: neither may be trusted.
  issuer.serve_discovery("http://evil.test/", kEvilKeys);
  issuer.serve_jwks(kEvilKeys, other_key(kAlg));
  HttpKeySource source(config_for(issuer));
  auto fetched = source.fetch();
  ASSERT_FALSE(fetched);
  EXPECT_EQ(issuer.requests(kDiscovery), 1);
  EXPECT_EQ(issuer.requests(kEvilKeys), 0);
  // Only the issuer's own well-known location was tried instead.
  EXPECT_EQ(issuer.requests(kWellKnownJwks), 1);
  EXPECT_NE(fetched.error().find("404"), std::string::npos) << fetched.error();
}

TEST(HttpKeySource, DiscoveryWithTheIssuerMissingItsSlashIsNotFollowed) {
  FakeIssuer issuer;
  std::string unslashed = issuer.issuer();
  unslashed.pop_back();
  issuer.serve_discovery(unslashed, kEvilKeys);
  issuer.serve_jwks(kEvilKeys, signing_key());
  issuer.serve_jwks(kWellKnownJwks, signing_key());
  HttpKeySource source(config_for(issuer));
  auto fetched = source.fetch();
  ASSERT_TRUE(fetched) << fetched.error();
  EXPECT_EQ(issuer.requests(kEvilKeys), 0);
  EXPECT_EQ(source.jwks_uri(), issuer.url(kWellKnownJwks));
}

// --- metadata_issuer(): what signet api checks --issuer against at start
// --------------------------

TEST(HttpKeySource, MetadataIssuerIsUnknownBeforeDiscoveryAndWithAConfiguredJwksUri) {
  FakeIssuer issuer;
  issuer.serve_discovery(issuer.issuer(), kKeys);
  issuer.serve_jwks(kKeys, signing_key());
  HttpKeySource source(config_for(issuer));
  EXPECT_FALSE(source.metadata_issuer());
  GuardConfig c = config_for(issuer);
  c.jwks_uri = issuer.url(kKeys);
  HttpKeySource configured(c);
  ASSERT_TRUE(configured.fetch());
  EXPECT_FALSE(configured.metadata_issuer());
}

TEST(HttpKeySource, MetadataIssuerIsTheDocumentsEvenWhenItDiffers) {
  FakeIssuer issuer;
  std::string unslashed = issuer.issuer();
  unslashed.pop_back();
  issuer.serve_discovery(issuer.issuer(), kKeys);
  issuer.serve_jwks(kKeys, signing_key());
  issuer.serve_jwks(kWellKnownJwks, signing_key());
  GuardConfig c = config_for(issuer);
  c.issuer = unslashed;  // the operator's slip: the document names the issuer with its slash
  HttpKeySource source(c);
  ASSERT_TRUE(source.fetch());
  const auto named = source.metadata_issuer();
  ASSERT_TRUE(named);
  ASSERT_TRUE(*named) << named->error();
  EXPECT_EQ(named->value(), issuer.issuer());
  EXPECT_EQ(issuer.requests(kDiscovery), 1);  // read once, by the key fetch itself
  EXPECT_EQ(issuer.requests(kKeys), 0);       // and still not followed
}

TEST(HttpKeySource, MetadataIssuerSaysWhyTheDocumentCouldNotBeRead) {
  FakeIssuer issuer;
  issuer.serve_jwks(kWellKnownJwks, signing_key());
  HttpKeySource source(config_for(issuer));
  ASSERT_TRUE(source.fetch());  // discovery 404, then the well-known JWKS
  auto named = source.metadata_issuer();
  ASSERT_TRUE(named);
  ASSERT_FALSE(*named);
  EXPECT_NE(named->error().find(issuer.url(kDiscovery) + ": HTTP status 404"), std::string::npos)
      << named->error();

  FakeIssuer without_issuer;
  without_issuer.set(kDiscovery, Route{200, R"({"jwks_uri":"x"})"});
  HttpKeySource source2(config_for(without_issuer));
  EXPECT_FALSE(source2.fetch());
  named = source2.metadata_issuer();
  ASSERT_TRUE(named && !*named);
  EXPECT_NE(named->error().find("the document has no issuer string"), std::string::npos);
}

TEST(HttpKeySource, FallsBackToWellKnownJwksWhenDiscoveryIs404) {
  FakeIssuer issuer;
  issuer.serve_jwks(kWellKnownJwks, signing_key());
  HttpKeySource source(config_for(issuer));
  auto fetched = source.fetch();
  ASSERT_TRUE(fetched) << fetched.error();
  ASSERT_EQ(fetched->jwks.keys.size(), 1u);
  EXPECT_EQ(issuer.requests(kDiscovery), 1);
  EXPECT_EQ(issuer.requests(kWellKnownJwks), 1);
  EXPECT_EQ(source.jwks_uri(), issuer.url(kWellKnownJwks));
}

TEST(HttpKeySource, FallsBackWhenTheDiscoveryDocumentIsNotJson) {
  FakeIssuer issuer;
  issuer.set(kDiscovery, Route{200, "<html>hello</html>"});
  issuer.serve_jwks(kWellKnownJwks, signing_key());
  HttpKeySource source(config_for(issuer));
  auto fetched = source.fetch();
  ASSERT_TRUE(fetched) << fetched.error();
  EXPECT_EQ(issuer.requests(kWellKnownJwks), 1);
}

TEST(HttpKeySource, RedirectsAreNotFollowed) {
  FakeIssuer issuer;
  issuer.set(kDiscovery, Route{302, "{}", "", issuer.url(kKeys)});
  issuer.set(kWellKnownJwks, Route{302, "{}", "", issuer.url(kKeys)});
  issuer.serve_jwks(kKeys, signing_key());
  HttpKeySource source(config_for(issuer));
  auto fetched = source.fetch();
  ASSERT_FALSE(fetched);
  EXPECT_EQ(issuer.requests(kKeys), 0);
  EXPECT_EQ(issuer.requests(kWellKnownJwks), 1);
  EXPECT_NE(fetched.error().find("HTTP status 302"), std::string::npos) << fetched.error();
  EXPECT_NE(fetched.error().find("redirects are not followed"), std::string::npos)
      << fetched.error();
  EXPECT_EQ(source.jwks_uri(), "");  // a failed URI is not remembered
}

TEST(HttpKeySource, ServerErrorIsReported) {
  FakeIssuer issuer;
  issuer.serve_discovery(issuer.issuer(), kKeys);
  issuer.set(kKeys, Route{500, "{}"});
  HttpKeySource source(config_for(issuer));
  auto fetched = source.fetch();
  ASSERT_FALSE(fetched);
  EXPECT_NE(fetched.error().find(issuer.url(kKeys)), std::string::npos) << fetched.error();
  EXPECT_NE(fetched.error().find("HTTP status 500"), std::string::npos) << fetched.error();
}

TEST(HttpKeySource, MalformedJwksIsReported) {
  FakeIssuer issuer;
  issuer.serve_discovery(issuer.issuer(), kKeys);
  issuer.set(kKeys, Route{200, R"({"keys": "nope"})"});
  HttpKeySource source(config_for(issuer));
  auto fetched = source.fetch();
  ASSERT_FALSE(fetched);
  EXPECT_NE(fetched.error().find(issuer.url(kKeys)), std::string::npos) << fetched.error();
  EXPECT_EQ(source.jwks_uri(), "");
}

TEST(HttpKeySource, UnreachableIssuerIsReported) {
  unsigned short port = 0;
  {
    FakeIssuer gone;  // a port that was just ours and is now closed
    port = static_cast<unsigned short>(std::stoi(gone.issuer().substr(17)));
  }
  GuardConfig c = test_config();
  c.issuer = "http://127.0.0.1:" + std::to_string(port) + "/";
  HttpKeySource source(c);
  auto fetched = source.fetch();
  ASSERT_FALSE(fetched);
  EXPECT_NE(fetched.error().find("connect"), std::string::npos) << fetched.error();
}

TEST(HttpKeySource, GuardWithoutAnInjectedSourceFetchesOverHttp) {
  FakeIssuer issuer;
  issuer.serve_discovery(issuer.issuer(), kKeys);
  issuer.serve_jwks(kKeys, signing_key(), "max-age=600");
  GuardConfig c = config_for(issuer);
  Guard guard(c);
  ASSERT_TRUE(guard.start()) << guard.last_jwks_error();
  auto claims = good_claims(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  claims["iss"] = issuer.issuer();
  const std::string token = mint(signing_key(), claims);
  auto verified = guard.verify(token);
  ASSERT_TRUE(verified) << verified.error().description();
  ASSERT_TRUE(guard.verify(token));
  EXPECT_EQ(issuer.requests(kKeys), 1);
  EXPECT_EQ(guard.counters().jwks_fetches.load(), 1u);
  EXPECT_EQ(guard.jwks().current()->expires_at - guard.jwks().current()->fetched_at,
            std::chrono::seconds{600});
}

}  // namespace
}  // namespace signet::guard
