#include "signet/console/console_routes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "signet/console/assets.h"

namespace signet::console {
namespace {

namespace bhttp = boost::beast::http;

http::Request make_request(bhttp::verb method, std::string target) {
  http::Request req{method, target, 11};
  req.set(bhttp::field::host, "localhost");
  return req;
}

http::Router console_router(std::string_view base = "/console/") {
  http::Router router;
  add_console_routes(router, base);
  return router;
}

const Asset& asset(std::string_view path) {
  const auto all = assets();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const Asset& a) { return a.path == path; });
  if (it == all.end()) {
    throw std::logic_error("no asset " + std::string(path));
  }
  return *it;
}

void expect_security_headers(const http::Response& res) {
  EXPECT_EQ(res["Content-Security-Policy"],
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
}

TEST(ConsoleAssets, HoldTheConsolesFilesWithTheirTypes) {
  EXPECT_EQ(asset("index.html").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(asset("app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(asset("style.css").content_type, "text/css; charset=utf-8");
  EXPECT_NE(asset("index.html").body.find("<!doctype html>"), std::string_view::npos);
  for (const Asset& a : assets()) {
    EXPECT_FALSE(a.body.empty()) << a.path;
    // A quoted SHA-256 prefix: 32 hex digits.
    ASSERT_EQ(a.etag.size(), 34u) << a.path;
    EXPECT_EQ(a.etag.front(), '"');
    EXPECT_EQ(a.etag.back(), '"');
  }
}

TEST(ConsoleAssets, EachHasItsOwnEtag) {
  const auto all = assets();
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = i + 1; j < all.size(); ++j) {
      EXPECT_NE(all[i].etag, all[j].etag) << all[i].path << " and " << all[j].path;
    }
  }
}

TEST(ConsoleRoutes, ServeEveryAssetExactlyWithItsHeaders) {
  const auto router = console_router();
  for (const Asset& a : assets()) {
    const auto res =
        router.route(make_request(bhttp::verb::get, "/console/" + std::string(a.path)));
    ASSERT_EQ(res.result(), bhttp::status::ok) << a.path;
    EXPECT_EQ(res.body(), a.body) << a.path;
    EXPECT_EQ(res[bhttp::field::content_type], a.content_type);
    EXPECT_EQ(res[bhttp::field::content_length], std::to_string(a.body.size()));
    EXPECT_EQ(res[bhttp::field::etag], a.etag);
    expect_security_headers(res);
  }
}

TEST(ConsoleRoutes, IndexAtTheBasePathIsRevalidatedEveryTime) {
  const auto router = console_router();
  for (const char* target : {"/console/", "/console/index.html", "/console/?x=1"}) {
    const auto res = router.route(make_request(bhttp::verb::get, target));
    ASSERT_EQ(res.result(), bhttp::status::ok) << target;
    EXPECT_EQ(res.body(), asset("index.html").body);
    EXPECT_EQ(res[bhttp::field::content_type], "text/html; charset=utf-8");
    EXPECT_EQ(res[bhttp::field::cache_control], "no-cache");
    expect_security_headers(res);
  }
}

TEST(ConsoleRoutes, ScriptsAndStylesMayBeCachedBriefly) {
  const auto router = console_router();
  for (const char* target : {"/console/app.js", "/console/style.css"}) {
    const auto res = router.route(make_request(bhttp::verb::get, target));
    EXPECT_EQ(res[bhttp::field::cache_control], "max-age=300") << target;
  }
}

TEST(ConsoleRoutes, MatchingIfNoneMatchIs304WithoutABody) {
  const auto router = console_router();
  const std::string etag(asset("app.js").etag);
  for (const std::string& header :
       {etag, "W/" + etag, "\"other\", " + etag, "\"other\" ,\t" + etag + " ", std::string("*")}) {
    auto req = make_request(bhttp::verb::get, "/console/app.js");
    req.set(bhttp::field::if_none_match, header);
    const auto res = router.route(req);
    EXPECT_EQ(res.result(), bhttp::status::not_modified) << header;
    EXPECT_TRUE(res.body().empty());
    EXPECT_EQ(res[bhttp::field::etag], etag);
    EXPECT_EQ(res[bhttp::field::cache_control], "max-age=300");
    EXPECT_EQ(res.count(bhttp::field::content_type), 0u);
    expect_security_headers(res);
  }
}

TEST(ConsoleRoutes, OtherIfNoneMatchGetsTheWholeAsset) {
  const auto router = console_router();
  const std::string etag(asset("app.js").etag);
  // A tag of another asset, an unquoted or truncated one, and an empty header.
  for (const std::string& header :
       {std::string(asset("style.css").etag), etag.substr(1, etag.size() - 2), etag.substr(0, 10),
        std::string()}) {
    auto req = make_request(bhttp::verb::get, "/console/app.js");
    req.set(bhttp::field::if_none_match, header);
    const auto res = router.route(req);
    EXPECT_EQ(res.result(), bhttp::status::ok) << header;
    EXPECT_EQ(res.body(), asset("app.js").body);
  }
}

TEST(ConsoleRoutes, IndexIs304ToItsOwnEtag) {
  const auto router = console_router();
  auto req = make_request(bhttp::verb::get, "/console/");
  req.set(bhttp::field::if_none_match, asset("index.html").etag);
  const auto res = router.route(req);
  EXPECT_EQ(res.result(), bhttp::status::not_modified);
  EXPECT_EQ(res[bhttp::field::cache_control], "no-cache");
}

TEST(ConsoleRoutes, HeadHasTheHeadersAndNoBody) {
  const auto router = console_router();
  const auto res = router.route(make_request(bhttp::verb::head, "/console/app.js"));
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_TRUE(res.body().empty());
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(asset("app.js").body.size()));
  EXPECT_EQ(res[bhttp::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(res[bhttp::field::etag], asset("app.js").etag);
  expect_security_headers(res);
}

TEST(ConsoleRoutes, BasePathWithoutItsSlashRedirectsPermanently) {
  const auto router = console_router();
  for (auto method : {bhttp::verb::get, bhttp::verb::head}) {
    const auto res = router.route(make_request(method, "/console"));
    EXPECT_EQ(res.result(), bhttp::status::permanent_redirect);
    EXPECT_EQ(res[bhttp::field::location], "/console/");
    EXPECT_TRUE(res.body().empty());
    expect_security_headers(res);
  }
}

TEST(ConsoleRoutes, UnknownAssetsAre404) {
  const auto router = console_router();
  for (const char* target :
       {"/console/nope.js", "/console/APP.JS", "/console/app.js/", "/console//app.js",
        "/console/../console/app.js", "/app.js", "/console/pages/", "/consoleapp.js"}) {
    const auto res = router.route(make_request(bhttp::verb::get, target));
    EXPECT_EQ(res.result(), bhttp::status::not_found) << target;
  }
}

TEST(ConsoleRoutes, OnlyGetAndHead) {
  const auto router = console_router();
  for (auto method : {bhttp::verb::post, bhttp::verb::put, bhttp::verb::delete_}) {
    const auto res = router.route(make_request(method, "/console/"));
    EXPECT_EQ(res.result(), bhttp::status::method_not_allowed);
  }
}

TEST(ConsoleRoutes, LiveUnderAnIssuersPathPrefix) {
  const auto router = console_router("/tenant/console/");
  EXPECT_EQ(router.route(make_request(bhttp::verb::get, "/tenant/console/")).result(),
            bhttp::status::ok);
  EXPECT_EQ(router.route(make_request(bhttp::verb::get, "/tenant/console/app.js")).result(),
            bhttp::status::ok);
  EXPECT_EQ(router.route(make_request(bhttp::verb::get, "/tenant/console"))[bhttp::field::location],
            "/tenant/console/");
  EXPECT_EQ(router.route(make_request(bhttp::verb::get, "/console/")).result(),
            bhttp::status::not_found);
}

TEST(ConsoleRoutes, RefuseABasePathThatIsNotADirectory) {
  for (const char* base : {"", "/", "console/", "/console", "console"}) {
    http::Router router;
    EXPECT_THROW(add_console_routes(router, base), std::invalid_argument) << base;
  }
}

TEST(ConsoleRoutes, RefuseToBeAddedTwice) {
  http::Router router;
  add_console_routes(router, "/console/");
  EXPECT_THROW(add_console_routes(router, "/console/"), std::invalid_argument);
}

TEST(ConsoleBasePath, IsTheIssuersPathAndConsole) {
  EXPECT_EQ(base_path_for_issuer("http://localhost:4000/"), "/console/");
  EXPECT_EQ(base_path_for_issuer("https://auth.example.com/tenant/"), "/tenant/console/");
  EXPECT_EQ(base_path_for_issuer("http://127.0.0.1:8080/a/b/"), "/a/b/console/");
}

TEST(ConsoleBasePath, RefusesWhatIsNotAnIssuer) {
  for (const char* issuer : {"", "localhost:4000/", "ftp://h/", "http://h/tenant"}) {
    EXPECT_THROW(base_path_for_issuer(issuer), std::invalid_argument) << issuer;
  }
}

}  // namespace
}  // namespace signet::console
