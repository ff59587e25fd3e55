// The Management API in process, through the Router as `signet serve` builds it (Router::route
// runs the coroutine handlers to completion): what the end-to-end tests cannot easily reach, such
// as path bytes a client library would normalise, If-Match forms, and issuers with a path.

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "signet/admin/admin_service.h"
#include "signet/admin/remote_admin.h"
#include "signet/jose/dpop.h"
#include "signet/keys/key_manager.h"
#include "signet/keys/master_key.h"
#include "signet/management/management_api.h"
#include "signet/server/authorization_server.h"
#include "signet/server/credentials.h"
#include "signet/server/password.h"
#include "signet/server/tenant.h"
#include "signet/server/token_endpoint.h"
#include "signet/store/sqlite_store.h"
#include "tests/admin/forwarding_store.h"
#include "tests/test_common/temp_dir.h"
#include "tests/test_common/test_keys.h"

namespace signet::management {
namespace {

namespace bhttp = boost::beast::http;
namespace json = boost::json;
using std::chrono::seconds;

constexpr std::string_view kIssuer = "http://localhost:4000/";
constexpr std::string_view kApi = "https://api.example.com/";
constexpr std::string_view kAdminClientId = "routes-admin";
// 2023-11-14T22:13:20Z, as in test_common/fake_clock.h.
const store::Timestamp kStart{seconds{1'700'000'000}};

store::Timestamp wall_now() {
  return std::chrono::floor<seconds>(std::chrono::system_clock::now());
}

std::vector<std::string> all_permissions() {
  std::vector<std::string> out;
  for (const auto& p : management_permissions()) {
    out.push_back(p.value);
  }
  return out;
}

// A tenant with its Management API, the routes of `signet serve` over it, and a Management API
// token that the same router's /oauth/token issued. The token endpoint reaches the store through
// a ForwardingStore (flaky()), and shares its DPoP proofs with the Management API, as in `signet
// serve`.
class InProcess {
 public:
  explicit InProcess(std::string issuer)
      : issuer_(std::move(issuer)),
        secrets_(server::SecretHasher::from_key(std::array<std::uint8_t, 32>{7})),
        passwords_(server::ArgonParams{8192, 1, 1}),
        store_(store::SqliteStore::open(dir_.file("signet.db")).value()),
        keys_(*store_, keys::MasterKey::generate()),
        service_(
            *store_, keys_, secrets_, passwords_, [] { return kStart; },
            management_audience(issuer_)),
        tenant_(*store_, keys_),
        flaky_(*store_),
        blocking_(1) {
    EXPECT_TRUE(ensure_management_api(*store_, issuer_, kStart).ok());
    EXPECT_TRUE(keys_.ensure_keys(jose::Algorithm::kRS256, kStart).ok());
    admin::ApplicationDraft draft;
    draft.name = "routes admin";
    draft.client_id = std::string(kAdminClientId);
    auto app = service_.create_application(draft);
    EXPECT_TRUE(app.ok()) << app.error().message;
    EXPECT_TRUE(
        service_
            .create_client_grant(kAdminClientId, management_audience(issuer_), all_permissions())
            .ok());
    admin::ApiDraft api;
    api.identifier = std::string(kApi);
    api.name = "Messages";
    api.permissions = {{"read:messages", ""}};
    EXPECT_TRUE(service_.create_api(api).ok());
    EXPECT_TRUE(tenant_.load(wall_now()).ok());
    server::EndpointConfig config;
    config.issuer = issuer_;
    config.dpop.shared_record = true;  // as serve on PostgreSQL
    endpoint_ =
        std::make_unique<server::TokenEndpoint>(config, tenant_, flaky_, secrets_, passwords_);
    router_ = server::authorization_router(*endpoint_, tenant_, blocking_.get_executor());
    add_management_routes(router_, ManagementOptions{.issuer = issuer_, .dpop = &endpoint_->dpop()},
                          service_, tenant_, blocking_.get_executor());
    secret_ = app.ok() ? app->client_secret : "";
    token_ = issue_token();
  }
  ~InProcess() { blocking_.join(); }

  // A request to the Management API: `path` is below its base path.
  http::Response call(bhttp::verb method, std::string_view path, std::string_view body = {},
                      std::optional<std::string_view> if_match = std::nullopt) {
    return raw(method, management_base_path(issuer_) + std::string(path), body, if_match);
  }

  // A request to any target of the server.
  http::Response raw(bhttp::verb method, std::string target, std::string_view body = {},
                     std::optional<std::string_view> if_match = std::nullopt) {
    http::Request req{method, target, 11};
    req.set(bhttp::field::host, "localhost");
    req.set(bhttp::field::authorization, "Bearer " + token_);
    if (!body.empty()) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = std::string(body);
      req.prepare_payload();
    }
    if (if_match) {
      req.set(bhttp::field::if_match, *if_match);
    }
    return router_.route(req);
  }

  // GET `path` below the Management API's base path with a DPoP-bound `token` and a proof of
  // `key` for it.
  http::Response get_with_proof(std::string_view path, const std::string& token,
                                const jose::Jwk& key) {
    const std::string target = management_base_path(issuer_) + std::string(path);
    const std::string url = management_audience(issuer_) + std::string(path);
    http::Request req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "localhost");
    req.set(bhttp::field::authorization, "DPoP " + token);
    req.set("DPoP", proof(key, "GET", url, token));
    return router_.route(req);
  }
  // A Management API token bound to `key`.
  std::string issue_dpop_token(const jose::Jwk& key) {
    return issue_token(proof(key, "POST", issuer_ + "oauth/token", std::nullopt));
  }

  admin::AdminService& service() { return service_; }
  store::testing::ForwardingStore& flaky() { return flaky_; }
  store::SqlStore& store() { return *store_; }
  const std::string& token() const { return token_; }

 private:
  static std::string proof(const jose::Jwk& key, std::string_view method, std::string_view url,
                           std::optional<std::string_view> token) {
    auto made = jose::dpop::make_proof(key, {.method = method,
                                             .url = url,
                                             .access_token = token,
                                             .now = wall_now().time_since_epoch().count()});
    EXPECT_TRUE(made.ok());
    return made.ok() ? *made : std::string();
  }

  std::string issue_token(std::optional<std::string> dpop = std::nullopt) {
    // The authorization routes sit at the root whatever the issuer's path (as in `signet serve`).
    http::Request req{bhttp::verb::post, "/oauth/token", 11};
    req.set(bhttp::field::host, "localhost");
    if (dpop) {
      req.set("DPoP", *dpop);
    }
    req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
    req.body() = "grant_type=client_credentials&client_id=" + std::string(kAdminClientId) +
                 "&client_secret=" + admin::url_encode(secret_) +
                 "&audience=" + admin::url_encode(management_audience(issuer_));
    req.prepare_payload();
    const auto res = router_.route(req);
    EXPECT_EQ(res.result(), bhttp::status::ok) << res.body();
    const auto body = json::parse(res.body()).as_object();
    const auto* token = body.if_contains("access_token");
    return token != nullptr && token->is_string() ? std::string(token->get_string()) : "";
  }

  const std::string issuer_;
  signet::testing::TempDir dir_;
  server::SecretHasher secrets_;
  server::PasswordHasher passwords_;
  std::unique_ptr<store::SqlStore> store_;
  keys::KeyManager keys_;
  admin::AdminService service_;
  server::Tenant tenant_;
  store::testing::ForwardingStore flaky_;
  boost::asio::thread_pool blocking_;
  std::unique_ptr<server::TokenEndpoint> endpoint_;
  http::Router router_;
  std::string secret_;
  std::string token_;
};

json::object body_of(const http::Response& res) {
  return json::parse(res.body()).as_object();
}

std::string error_code_of(const http::Response& res) {
  return std::string(body_of(res).at("errorCode").as_string());
}

class ManagementRoutes : public ::testing::Test {
 protected:
  InProcess server_{std::string(kIssuer)};
};

// --- DPoP

// The Management API's proofs are recorded where the token endpoint's are, in the store replicas
// share. A proof the store cannot record is refused with a 503 the client may retry, not a 401
// that would blame the token: taking it could let its replay through on another replica.
TEST_F(ManagementRoutes, ADpopProofTheStoreCannotRecordIsA503WithRetryAfter) {
  const jose::Jwk& key = signet::testing::test_key(jose::Algorithm::kES256);
  const std::string token = server_.issue_dpop_token(key);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(server_.get_with_proof("clients", token, key).result(), bhttp::status::ok);
  server_.flaky().failures["record_dpop_proof"] =
      store::StoreError{store::StoreErrorCode::kUnavailable, "connection refused"};
  const auto res = server_.get_with_proof("clients", token, key);
  EXPECT_EQ(res.result_int(), 503u) << res.body();
  EXPECT_EQ(error_code_of(res), "temporarily_unavailable");
  EXPECT_EQ(res[bhttp::field::retry_after], "1");
  server_.flaky().failures.clear();
  EXPECT_EQ(server_.get_with_proof("clients", token, key).result(), bhttp::status::ok);
}

// --- paths

TEST_F(ManagementRoutes, PercentEscapesInAnIdAreDecodedOnce) {
  // %2F inside a segment is a byte of the id, not a separator.
  const auto res =
      server_.call(bhttp::verb::get, "resource-servers/https%3A%2F%2Fapi.example.com%2F");
  ASSERT_EQ(res.result(), bhttp::status::ok) << res.body();
  EXPECT_EQ(body_of(res).at("identifier"), json::value(kApi));
  // Lower-case hex is hex too.
  EXPECT_EQ(
      server_.call(bhttp::verb::get, "resource-servers/https%3a%2f%2fapi.example.com%2f").result(),
      bhttp::status::ok);
  // Decoded once: %252F is "%2F", an id no API has.
  const auto twice = server_.call(bhttp::verb::get, "resource-servers/https%253A%252F%252Fapi");
  EXPECT_EQ(twice.result(), bhttp::status::not_found);
  EXPECT_EQ(error_code_of(twice), "inexistent_resource_server");
}

TEST_F(ManagementRoutes, PlusIsItselfInAPath) {
  admin::ApiDraft api;
  api.identifier = "urn:a+b";
  api.name = "Plus";
  ASSERT_TRUE(server_.service().create_api(api).ok());
  EXPECT_EQ(server_.call(bhttp::verb::get, "resource-servers/urn:a+b").result(), bhttp::status::ok);
  EXPECT_EQ(server_.call(bhttp::verb::get, "resource-servers/urn:a%2Bb").result(),
            bhttp::status::ok);
  EXPECT_EQ(server_.call(bhttp::verb::get, "resource-servers/urn:a%20b").result(),
            bhttp::status::not_found);
}

TEST_F(ManagementRoutes, BadEscapesAndControlBytesAre400) {
  for (const char* id : {"abc%", "abc%2", "%zz", "%G1", "%+1", "%-1", "a%2", "%00", "a%00b", "%0A",
                         "%0d", "%1F", "%7F", "%7f"}) {
    for (const auto method : {bhttp::verb::get, bhttp::verb::delete_}) {
      const auto res = server_.call(method, std::string("resource-servers/") + id);
      EXPECT_EQ(res.result(), bhttp::status::bad_request) << id;
      EXPECT_EQ(error_code_of(res), "invalid_uri") << id;
    }
  }
  // Nothing was deleted on the way.
  EXPECT_TRUE(server_.service().get_api(kApi).ok());
  // Bytes above 0x7F pass as they are (ids are opaque bytes); this one names no API.
  EXPECT_EQ(server_.call(bhttp::verb::get, "resource-servers/%C3%A9").result(),
            bhttp::status::not_found);
}

TEST_F(ManagementRoutes, EmptySegmentsAndTrailingSlashesNameNothing) {
  for (const char* path : {"resource-servers/", "resource-servers//x", "/resource-servers",
                           "clients/abc/", "keys/signing/a/revoke/extra"}) {
    const auto res = server_.call(bhttp::verb::get, path);
    EXPECT_EQ(res.result(), bhttp::status::not_found) << path;
    EXPECT_EQ(error_code_of(res), "invalid_uri") << path;
  }
}

// --- If-Match

TEST_F(ManagementRoutes, IfMatchNamesOneStrongTagOrStar) {
  const std::string path = "resource-servers/" + admin::url_encode(kApi);
  const auto got = server_.call(bhttp::verb::get, path);
  ASSERT_EQ(got.result(), bhttp::status::ok);
  const std::string etag(got[bhttp::field::etag]);
  ASSERT_FALSE(etag.empty());
  const std::string revision = etag.substr(1, etag.size() - 2);

  // Never matches, so nothing is written: weak tags (RFC 9110 §13.1.1 compares If-Match
  // strongly), unquoted or foreign tags, lists, revision 0 (revisions start at 1), overflow.
  for (const std::string& value : std::vector<std::string>{
           "W/" + etag, revision, "\"" + revision + "x\"", "\"\"", "", "\"0\"",
           "\"18446744073709551616\"", "\"-" + revision + "\"", etag + ", " + etag, "\"" + revision,
           revision + "\"", "'" + revision + "'"}) {
    const auto res = server_.call(bhttp::verb::patch, path, R"({"name":"stale"})", value);
    EXPECT_EQ(res.result(), bhttp::status::precondition_failed) << "If-Match: " << value;
    EXPECT_EQ(error_code_of(res), "precondition_failed") << value;
  }
  EXPECT_EQ(server_.service().get_api(kApi)->name, "Messages");

  // The tag as sent, with spaces around it: matches once, then it is stale.
  const auto spaced =
      server_.call(bhttp::verb::patch, path, R"({"name":"first"})", "  " + etag + "  ");
  ASSERT_EQ(spaced.result(), bhttp::status::ok) << spaced.body();
  const std::string next(spaced[bhttp::field::etag]);
  EXPECT_NE(next, etag);
  EXPECT_EQ(server_.call(bhttp::verb::patch, path, R"({"name":"second"})", etag).result(),
            bhttp::status::precondition_failed);
  // "*": whatever the record's revision is now.
  const auto star = server_.call(bhttp::verb::patch, path, R"({"name":"any"})", "*");
  ASSERT_EQ(star.result(), bhttp::status::ok) << star.body();
  EXPECT_EQ(server_.call(bhttp::verb::patch, path, R"({"name":"again"})", " * ").result(),
            bhttp::status::ok);
  EXPECT_EQ(server_.service().get_api(kApi)->name, "again");
}

// --- the Management API's definition

TEST(ManagementDefinition, BasePathFollowsTheIssuersPath) {
  EXPECT_EQ(management_base_path("http://localhost:4000/"), "/api/v2/");
  EXPECT_EQ(management_base_path("https://auth.example.com/"), "/api/v2/");
  EXPECT_EQ(management_base_path("https://h/tenant/"), "/tenant/api/v2/");
  EXPECT_EQ(management_base_path("https://h:8443/a/b/"), "/a/b/api/v2/");
  EXPECT_EQ(management_base_path("http://[::1]:4000/"), "/api/v2/");
  EXPECT_EQ(management_audience("https://h/tenant/"), "https://h/tenant/api/v2/");
  EXPECT_EQ(management_audience("http://localhost:4000/"), "http://localhost:4000/api/v2/");
}

TEST(ManagementDefinition, PermissionsAreUniqueAndDescribed) {
  const auto& permissions = management_permissions();
  std::set<std::string> seen;
  for (const auto& p : permissions) {
    EXPECT_TRUE(seen.insert(p.value).second) << p.value << " twice";
    EXPECT_FALSE(p.description.empty()) << p.value;
    EXPECT_EQ(p.value.find(' '), std::string::npos) << p.value;
  }
  for (const char* scope : {"read:clients",
                            "create:clients",
                            "update:clients",
                            "delete:clients",
                            "read:resource_servers",
                            "create:resource_servers",
                            "update:resource_servers",
                            "delete:resource_servers",
                            "read:client_grants",
                            "create:client_grants",
                            "update:client_grants",
                            "delete:client_grants",
                            "read:users",
                            "create:users",
                            "update:users",
                            "delete:users",
                            "update:client_keys",
                            "delete:sessions",
                            "read:logs",
                            "read:signing_keys",
                            "create:signing_keys",
                            "update:signing_keys"}) {
    EXPECT_TRUE(seen.contains(scope)) << scope;
  }
  EXPECT_EQ(seen.size(), 22u);
}

TEST(ManagementIssuerWithAPath, RoutesLiveUnderTheIssuersPath) {
  InProcess server("https://h/tenant/");
  const auto listed = server.call(bhttp::verb::get, "clients");
  ASSERT_EQ(listed.result(), bhttp::status::ok) << listed.body();
  EXPECT_EQ(listed.body().front(), '[');
  // Not at the root: the Management API of this issuer has no routes there.
  EXPECT_EQ(server.raw(bhttp::verb::get, "/api/v2/clients").result(), bhttp::status::not_found);
  // A token for this audience opens it; the path inside is the same.
  const auto api = server.call(bhttp::verb::get,
                               "resource-servers/" + admin::url_encode("https://h/tenant/api/v2/"));
  ASSERT_EQ(api.result(), bhttp::status::ok) << api.body();
  EXPECT_EQ(body_of(api).at("is_system"), true);
}

// --- first start

TEST(EnsureManagementApi, IsIdempotent) {
  signet::testing::TempDir dir;
  auto st = store::SqliteStore::open(dir.file("signet.db")).value();
  ASSERT_TRUE(ensure_management_api(*st, kIssuer, kStart).ok());
  const auto api = st->get_api(management_audience(kIssuer)).value();
  EXPECT_EQ(api.name, kManagementApiName);
  EXPECT_EQ(api.token_lifetime, kManagementTokenLifetime);
  EXPECT_EQ(api.permissions, management_permissions());
  const auto console = st->get_application(kConsoleClientId).value();
  EXPECT_EQ(console.type, store::ApplicationType::kSpa);
  EXPECT_EQ(console.grant_types,
            (std::vector<store::GrantType>{store::GrantType::kAuthorizationCode,
                                           store::GrantType::kRefreshToken}));
  EXPECT_EQ(console.callbacks, std::vector<std::string>{"http://localhost:4000/console/"});
  EXPECT_EQ(console.token_endpoint_auth_method, store::TokenEndpointAuthMethod::kNone);
  EXPECT_TRUE(console.client_secret_hash.empty());

  ASSERT_TRUE(ensure_management_api(*st, kIssuer, kStart + seconds{60}).ok());
  EXPECT_EQ(st->get_api(management_audience(kIssuer)).value(), api);  // not even rewritten
  EXPECT_EQ(st->get_application(kConsoleClientId).value(), console);
  EXPECT_EQ(st->page_applications(store::PageRequest{0, 10})->total, 1);
}

TEST(EnsureManagementApi, AddsWhatANewerSignetDefinesAndKeepsTheRest) {
  signet::testing::TempDir dir;
  auto st = store::SqliteStore::open(dir.file("signet.db")).value();
  // A Management API an older signet made, renamed by its operator and given one more scope.
  store::Api old;
  old.identifier = management_audience(kIssuer);
  old.name = "Our admin API";
  old.token_lifetime = seconds{600};
  old.permissions = {{"read:clients", "Read them"}, {"custom:thing", "Ours"}};
  old.created_at = kStart;
  const auto created = st->create_api(old).value();

  ASSERT_TRUE(ensure_management_api(*st, kIssuer, kStart).ok());
  const auto updated = st->get_api(old.identifier).value();
  EXPECT_EQ(updated.name, "Our admin API");
  EXPECT_EQ(updated.token_lifetime, seconds{600});
  EXPECT_GT(updated.revision, created.revision);
  ASSERT_EQ(updated.permissions.size(), management_permissions().size() + 1);
  EXPECT_EQ(updated.permissions[0], (store::Permission{"read:clients", "Read them"}));
  EXPECT_EQ(updated.permissions[1], (store::Permission{"custom:thing", "Ours"}));
  for (const auto& p : management_permissions()) {
    EXPECT_EQ(std::count_if(updated.permissions.begin(), updated.permissions.end(),
                            [&](const auto& q) { return q.value == p.value; }),
              1)
        << p.value;
  }
  ASSERT_TRUE(ensure_management_api(*st, kIssuer, kStart).ok());
  EXPECT_EQ(st->get_api(old.identifier).value(), updated);
}

TEST(MakeAdministrator, GivesEveryManagementPermission) {
  signet::testing::TempDir dir;
  auto st = store::SqliteStore::open(dir.file("signet.db")).value();
  store::User user;
  user.id = "auth0|admin";
  user.email = "admin@example.com";
  user.password_hash = "x";
  user.created_at = kStart;
  ASSERT_TRUE(st->create_user(user).ok());
  // On a store no server has started on yet: the Management API is made first.
  ASSERT_TRUE(make_administrator(*st, kIssuer, user.id, kStart).ok());
  const auto held = st->list_user_permissions(user.id, management_audience(kIssuer)).value();
  std::set<std::string> names;
  for (const auto& p : held) {
    names.insert(p.permission);
  }
  const auto all = all_permissions();
  EXPECT_EQ(names, std::set<std::string>(all.begin(), all.end()));
  // Again: nothing doubles.
  ASSERT_TRUE(make_administrator(*st, kIssuer, user.id, kStart).ok());
  EXPECT_EQ(st->list_user_permissions(user.id, management_audience(kIssuer))->size(), held.size());

  const auto missing = make_administrator(*st, kIssuer, "auth0|nobody", kStart);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("Management API"), std::string::npos) << missing.error();
}

}  // namespace
}  // namespace signet::management
