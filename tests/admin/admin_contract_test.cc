// The contract of admin.h, run against both implementations: AdminService on a SQLite store, and
// RemoteAdmin talking over 127.0.0.1 to a real server whose Management API runs an AdminService
// on another store, with a Management API token that server issued at /oauth/token. A scenario
// must give the same records and the same error codes on both ("a caller cannot tell them
// apart"). Where the HTTP API legitimately says less, the test asserts the difference:
// - counts it does not return (sessions ended by a password change or a revoke, lockout
//   counters cleared) are -1 from RemoteAdmin;
// - records in a page carry no ETag, so their revision is 0 from RemoteAdmin (a single read
//   gives the revision to write with);
// - user_lockouts lists only the counters that block now, without the account-wide throttle.

#include <algorithm>
#include <array>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "signet/admin/admin_service.h"
#include "signet/admin/remote_admin.h"
#include "signet/http/client.h"
#include "signet/jose/json.h"
#include "signet/jose/jwk.h"
#include "signet/keys/key_manager.h"
#include "signet/keys/master_key.h"
#include "signet/management/management_api.h"
#include "signet/server/authorization_server.h"
#include "signet/server/credentials.h"
#include "signet/server/event_log.h"
#include "signet/server/password.h"
#include "signet/server/tenant.h"
#include "signet/server/token_endpoint.h"
#include "signet/store/sqlite_store.h"
#include "tests/http/test_support.h"
#include "tests/test_common/temp_dir.h"

namespace signet::admin {

// Failing expectations name the code ("not_found"), not its number.
inline void PrintTo(AdminErrorCode code, std::ostream* os) {
  *os << to_string(code);
}

namespace {

namespace json = boost::json;
using Code = AdminErrorCode;
using std::chrono::seconds;

constexpr std::string_view kIssuer = "http://localhost:4000/";
constexpr std::string_view kApi = "https://api.example.com/";
constexpr std::string_view kPassword = "correct horse battery";
constexpr std::string_view kAdminClientId = "contract-admin";
constexpr std::array<std::uint8_t, keys::kMasterKeyBytes> kMasterKey = {
    9,  8,  7,  6,  5,  4,  3,  2,  1,  10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
// The smallest argon2id cost the hasher accepts: the tests check what is hashed, not its cost.
constexpr server::ArgonParams kCheapArgon{8192, 1, 1};
// 2023-11-14T22:13:20Z, as in test_common/fake_clock.h: every record is created "now".
const store::Timestamp kStart{seconds{1'700'000'000}};
// Permissions each of two racing admins adds. Fewer than kMaxPatchAttempts (and
// kMaxRemotePatchAttempts): each lost race is a write the other admin won, so neither can lose
// more races than the other has writes, and the test cannot fail by bad luck.
constexpr int kRacingPermissions = 5;
static_assert(kRacingPermissions < kMaxPatchAttempts);
static_assert(kRacingPermissions < kMaxRemotePatchAttempts);

enum class Backend { kLocal, kRemote };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kLocal ? "AdminService" : "RemoteAdmin";
}

std::string audience() {
  return management::management_audience(kIssuer);
}

keys::MasterKey master_key() {
  return keys::MasterKey::from_bytes(kMasterKey);
}

template <typename T>
void expect_code(const AdminResult<T>& r, Code code) {
  ASSERT_FALSE(r.ok()) << "expected " << to_string(code);
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
}

store::Permission perm(std::string value, std::string description = "") {
  return store::Permission{std::move(value), std::move(description)};
}

std::vector<std::string> values_of(const store::Api& api) {
  std::vector<std::string> out;
  for (const auto& p : api.permissions) {
    out.push_back(p.value);
  }
  return out;
}

ApiDraft api_draft(std::string identifier = std::string(kApi)) {
  ApiDraft d;
  d.identifier = std::move(identifier);
  d.name = "Messages";
  d.token_lifetime = seconds{3600};
  d.permissions = {perm("read:messages", "Read messages"), perm("write:messages", "Write them")};
  return d;
}

ApplicationDraft app_draft(std::string name, std::optional<std::string> client_id = std::nullopt) {
  ApplicationDraft d;
  d.name = std::move(name);
  d.client_id = std::move(client_id);
  return d;
}

UserDraft user_draft(std::string email, std::optional<std::string> id = std::nullopt) {
  UserDraft d;
  d.email = std::move(email);
  d.password = std::string(kPassword);
  d.id = std::move(id);
  return d;
}

ApiPatch add_patch(std::vector<store::Permission> add) {
  ApiPatch p;
  p.add_permissions = std::move(add);
  return p;
}

ApiPatch name_patch(std::string name) {
  ApiPatch p;
  p.name = std::move(name);
  return p;
}

template <typename T>
T without_revision(T record) {
  record.revision = 0;
  return record;
}

// One tenant's files and its admin service: the suite's template database copied, so that the
// RSA and EC keys are made once.
class Side {
 public:
  explicit Side(const std::filesystem::path& template_db)
      : secrets_(server::SecretHasher::from_key(kMasterKey)), passwords_(kCheapArgon) {
    std::filesystem::copy_file(template_db, dir_.file("signet.db"));
    store_ = store::SqliteStore::open(dir_.file("signet.db")).value();
    keys_ = std::make_unique<keys::KeyManager>(*store_, master_key());
    service_ = std::make_unique<AdminService>(
        *store_, *keys_, secrets_, passwords_, [] { return kStart; }, audience());
  }

  store::SqlStore& store() { return *store_; }
  keys::KeyManager& keys() { return *keys_; }
  AdminService& service() { return *service_; }
  const server::SecretHasher& secrets() const { return secrets_; }
  const server::PasswordHasher& passwords() const { return passwords_; }

 private:
  signet::testing::TempDir dir_;
  server::SecretHasher secrets_;
  server::PasswordHasher passwords_;
  std::unique_ptr<store::SqlStore> store_;
  std::unique_ptr<keys::KeyManager> keys_;
  std::unique_ptr<AdminService> service_;
};

// `signet serve` in this process, as signet/cli/serve_command.cc wires it: the authorization
// routes and the Management API over the side's service, on an ephemeral loopback port.
class Serving {
 public:
  explicit Serving(Side& side) : tenant_(side.store(), side.keys()), blocking_(2) {
    const auto now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
    if (auto loaded = tenant_.load(now); !loaded) {
      throw std::runtime_error(loaded.error());
    }
    server::EndpointConfig config;
    config.issuer = std::string(kIssuer);
    endpoint_ = std::make_unique<server::TokenEndpoint>(config, tenant_, side.store(),
                                                        side.secrets(), side.passwords());
    auto router = server::authorization_router(*endpoint_, tenant_, blocking_.get_executor());
    management::add_management_routes(router, management::ManagementOptions{std::string(kIssuer)},
                                      side.service(), tenant_, blocking_.get_executor());
    server_.emplace(http::testing::test_options(), std::move(router));
  }
  ~Serving() {
    server_.reset();
    blocking_.join();
  }

  std::string url(std::string_view path) const { return server_->url(path); }

 private:
  server::Tenant tenant_;
  boost::asio::thread_pool blocking_;
  std::unique_ptr<server::TokenEndpoint> endpoint_;
  std::optional<http::testing::RunningServer> server_;
};

class AdminContract : public ::testing::TestWithParam<Backend> {
 protected:
  static void SetUpTestSuite() {
    template_dir_ = new signet::testing::TempDir();
    auto st = store::SqliteStore::open(template_dir_->file("signet.db")).value();
    ASSERT_TRUE(management::ensure_management_api(*st, kIssuer, kStart).ok());
    keys::KeyManager km(*st, master_key());
    ASSERT_TRUE(km.ensure_keys(jose::Algorithm::kRS256, kStart).ok());
    ASSERT_TRUE(km.ensure_keys(jose::Algorithm::kES256, kStart).ok());
  }
  static void TearDownTestSuite() {
    delete template_dir_;
    template_dir_ = nullptr;
  }

  void SetUp() override {
    side_ = std::make_unique<Side>(template_dir_->path() / "signet.db");
    // Both tenants hold the application that opens the Management API, so that both list the
    // same records.
    auto admin_app = side_->service().create_application(
        app_draft("contract admin", std::string(kAdminClientId)));
    ASSERT_TRUE(admin_app.ok()) << admin_app.error().message;
    std::vector<std::string> all;
    for (const auto& p : management::management_permissions()) {
      all.push_back(p.value);
    }
    auto grant = side_->service().create_client_grant(kAdminClientId, audience(), all);
    ASSERT_TRUE(grant.ok()) << grant.error().message;
    if (GetParam() == Backend::kRemote) {
      serving_ = std::make_unique<Serving>(*side_);
      RemoteOptions options;
      options.server = serving_->url("/");
      options.token = management_token(admin_app->client_secret);
      ASSERT_FALSE(options.token.empty());
      remote_ = std::make_unique<RemoteAdmin>(std::move(options));
    }
  }

  void TearDown() override {
    remote_.reset();
    serving_.reset();
    side_.reset();
  }

  // A Management API access token, asked of the server's own /oauth/token.
  std::string management_token(const std::string& secret) {
    const std::string form =
        "grant_type=client_credentials&client_id=" + std::string(kAdminClientId) +
        "&client_secret=" + url_encode(secret) + "&audience=" + url_encode(audience());
    auto res = http::post(serving_->url("/oauth/token"), "application/x-www-form-urlencoded", form,
                          http::FetchOptions{});
    if (!res) {
      ADD_FAILURE() << res.error().detail;
      return {};
    }
    EXPECT_EQ(res->status, 200u) << res->body;
    auto body = jose::parse_json_object(res->body);
    if (!body) {
      return {};
    }
    auto token = jose::get_string(*body, "access_token");
    return token ? std::string(*token) : std::string();
  }

  bool remote() const { return GetParam() == Backend::kRemote; }
  // What is tested.
  Admin& admin() { return remote_ ? static_cast<Admin&>(*remote_) : side_->service(); }
  // The service on the store behind admin(): what the records really are. For the local backend
  // it is admin() itself.
  AdminService& truth() { return side_->service(); }

  store::Api make_api() {
    auto api = admin().create_api(api_draft());
    EXPECT_TRUE(api.ok()) << api.error().message;
    return api.ok() ? *api : store::Api{};
  }

  static signet::testing::TempDir* template_dir_;
  std::unique_ptr<Side> side_;
  std::unique_ptr<Serving> serving_;
  std::unique_ptr<RemoteAdmin> remote_;
};

signet::testing::TempDir* AdminContract::template_dir_ = nullptr;

INSTANTIATE_TEST_SUITE_P(Backends, AdminContract,
                         ::testing::Values(Backend::kLocal, Backend::kRemote), backend_name);

// --- APIs

TEST_P(AdminContract, ApiCreateGetListPatchDelete) {
  const store::Api created = make_api();
  store::Api expected;
  expected.identifier = std::string(kApi);
  expected.name = "Messages";
  expected.token_lifetime = seconds{3600};
  expected.permissions = api_draft().permissions;
  expected.created_at = kStart;
  expected.revision = created.revision;
  EXPECT_EQ(created, expected);
  EXPECT_GT(created.revision, 0u);
  EXPECT_EQ(admin().get_api(kApi).value(), created);
  EXPECT_EQ(truth().get_api(kApi).value(), created);

  const auto page = admin().list_apis(PageRequest{});
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->total, 2);  // the Management API, and this one
  EXPECT_EQ(page->start, 0);
  EXPECT_EQ(page->limit, kDefaultPerPage);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].identifier, audience());
  EXPECT_EQ(without_revision(page->items[1]), without_revision(created));

  auto renamed = admin().update_api(kApi, name_patch("Renamed"), std::nullopt);
  ASSERT_TRUE(renamed.ok()) << renamed.error().message;
  EXPECT_EQ(renamed->name, "Renamed");
  EXPECT_GT(renamed->revision, created.revision);
  EXPECT_EQ(truth().get_api(kApi).value(), *renamed);

  // A patch that names the profile alone keeps the permissions claim (RemoteAdmin resolves
  // token_dialect against the record), and the other way round.
  ApiPatch claim;
  claim.permissions_claim = true;
  ASSERT_TRUE(admin().update_api(kApi, claim, std::nullopt).ok());
  ApiPatch profile;
  profile.token_profile = store::TokenProfile::kRfc9068;
  auto both = admin().update_api(kApi, profile, std::nullopt);
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(both->token_profile, store::TokenProfile::kRfc9068);
  EXPECT_TRUE(both->permissions_claim);
  EXPECT_EQ(both->permissions, expected.permissions);
  EXPECT_EQ(truth().get_api(kApi).value(), *both);

  ApiPatch replace;
  replace.permissions = std::vector<store::Permission>{perm("a", "A")};
  replace.add_permissions = {perm("b")};
  replace.remove_permissions = {"a"};
  auto replaced = admin().update_api(kApi, replace, std::nullopt);
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ(values_of(*replaced), (std::vector<std::string>{"b"}));
  EXPECT_EQ(truth().get_api(kApi).value(), *replaced);

  auto app = admin().create_application(app_draft("m2m"));
  ASSERT_TRUE(app.ok()) << app.error().message;
  ASSERT_TRUE(admin().create_client_grant(app->application.client_id, kApi, {"b"}).ok());
  auto deleted = admin().delete_api(kApi);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(deleted->api, *replaced);
  EXPECT_EQ(deleted->client_grants, 1);
  expect_code(admin().get_api(kApi), Code::kNotFound);
  expect_code(admin().delete_api(kApi), Code::kNotFound);
  expect_code(truth().get_api(kApi), Code::kNotFound);
}

TEST_P(AdminContract, ApiErrors) {
  make_api();
  expect_code(admin().create_api(api_draft()), Code::kConflict);
  auto zero = api_draft("urn:zero");
  zero.token_lifetime = seconds{0};
  expect_code(admin().create_api(zero), Code::kInvalid);
  auto spaced = api_draft("urn:spaced");
  spaced.permissions = {perm("read messages")};
  expect_code(admin().create_api(spaced), Code::kInvalid);
  expect_code(admin().get_api("urn:missing"), Code::kNotFound);
  expect_code(admin().update_api("urn:missing", name_patch("x"), std::nullopt), Code::kNotFound);
  expect_code(admin().update_api(kApi, ApiPatch{}, std::nullopt), Code::kInvalid);
  ApiPatch remove;
  remove.remove_permissions = {"read:messages", "no:such"};
  expect_code(admin().update_api(kApi, remove, std::nullopt), Code::kInvalid);
  EXPECT_EQ(values_of(truth().get_api(kApi).value()),
            (std::vector<std::string>{"read:messages", "write:messages"}));
  expect_code(admin().list_apis(PageRequest{0, 0}), Code::kInvalid);
}

TEST_P(AdminContract, TheManagementApiCannotBeDeletedOrRenamed) {
  expect_code(admin().delete_api(audience()), Code::kForbidden);
  expect_code(admin().update_api(audience(), name_patch("mine now"), std::nullopt),
              Code::kForbidden);
  ApiPatch remove;
  remove.remove_permissions = {"read:users"};
  expect_code(admin().update_api(audience(), remove, std::nullopt), Code::kForbidden);
  EXPECT_TRUE(truth().get_api(audience()).ok());
  // Its other settings are the operator's.
  ApiPatch lifetime;
  lifetime.token_lifetime = seconds{600};
  auto shorter = admin().update_api(audience(), lifetime, std::nullopt);
  ASSERT_TRUE(shorter.ok()) << shorter.error().message;
  EXPECT_EQ(shorter->token_lifetime, seconds{600});
}

// The console and `signet --server` present bearer tokens to the Management API: requiring DPoP of
// all its tokens would lock them out. Applications can still require it each for itself.
TEST_P(AdminContract, TheManagementApiCannotRequireDpopButItsApplicationsCan) {
  ApiPatch require;
  require.require_dpop = true;
  auto refused = admin().update_api(audience(), require, std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Code::kForbidden);
  EXPECT_NE(refused.error().message.find("would lock out the console"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("--require-dpop"), std::string::npos);
  EXPECT_FALSE(truth().get_api(audience())->require_dpop);
  // An ordinary API may require it.
  make_api();
  ASSERT_TRUE(admin().update_api(kApi, require, std::nullopt).ok());
  EXPECT_TRUE(truth().get_api(kApi)->require_dpop);
}

// --- applications

TEST_P(AdminContract, ApplicationSecretsAppearOnlyInCreateAndRotate) {
  auto created = admin().create_application(app_draft("Backend"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  const store::Application& app = created->application;
  EXPECT_FALSE(created->client_secret.empty());
  EXPECT_FALSE(app.client_id.empty());
  EXPECT_EQ(app.name, "Backend");
  EXPECT_EQ(app.type, store::ApplicationType::kM2m);
  EXPECT_EQ(app.grant_types, (std::vector<store::GrantType>{store::GrantType::kClientCredentials}));
  EXPECT_EQ(app.token_endpoint_auth_method,
            store::TokenEndpointAuthMethod::kClientSecretBasicOrPost);
  EXPECT_EQ(app.created_at, kStart);
  EXPECT_TRUE(app.client_secret_hash.empty());
  EXPECT_GT(app.revision, 0u);

  EXPECT_EQ(admin().get_application(app.client_id).value(), app);
  EXPECT_EQ(truth().get_application(app.client_id).value(), app);
  const auto page = admin().list_applications(PageRequest{});
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->total, 3);  // the console's, the contract's admin, and this one
  EXPECT_EQ(without_revision(page->items.back()), without_revision(app));
  for (const auto& listed : page->items) {
    EXPECT_TRUE(listed.client_secret_hash.empty()) << listed.client_id;
  }

  ApplicationPatch patch;
  patch.name = "Renamed";
  patch.type = store::ApplicationType::kRegularWeb;
  patch.grant_types =
      std::vector<store::GrantType>{store::GrantType::kPassword, store::GrantType::kRefreshToken};
  auto updated = admin().update_application(app.client_id, patch, std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->name, "Renamed");
  EXPECT_EQ(updated->type, store::ApplicationType::kRegularWeb);
  EXPECT_GT(updated->revision, app.revision);
  EXPECT_TRUE(updated->client_secret_hash.empty());
  EXPECT_EQ(truth().get_application(app.client_id).value(), *updated);

  auto rotated = admin().rotate_secret(app.client_id);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_FALSE(rotated->client_secret.empty());
  EXPECT_NE(rotated->client_secret, created->client_secret);
  EXPECT_GT(rotated->application.revision, updated->revision);
  EXPECT_TRUE(rotated->application.client_secret_hash.empty());
  EXPECT_EQ(truth().get_application(app.client_id).value(), rotated->application);
  // The new secret is the one the store checks.
  const auto stored = side_->store().get_application(app.client_id).value();
  EXPECT_TRUE(side_->secrets().matches(rotated->client_secret, stored.client_secret_hash));
  EXPECT_FALSE(side_->secrets().matches(created->client_secret, stored.client_secret_hash));

  make_api();
  ASSERT_TRUE(admin().create_client_grant(app.client_id, kApi, {"read:messages"}).ok());
  auto deleted = admin().delete_application(app.client_id);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(deleted->application, rotated->application);
  EXPECT_EQ(deleted->client_grants, 1);
  expect_code(admin().get_application(app.client_id), Code::kNotFound);
  expect_code(admin().rotate_secret(app.client_id), Code::kNotFound);
  expect_code(admin().delete_application(app.client_id), Code::kNotFound);
}

TEST_P(AdminContract, ApplicationErrors) {
  expect_code(admin().create_application(app_draft("again", std::string(kAdminClientId))),
              Code::kConflict);
  auto public_client = app_draft("public");
  public_client.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  expect_code(admin().create_application(public_client), Code::kInvalid);
  expect_code(admin().create_application(app_draft("spaced", std::string("a b"))), Code::kInvalid);
  ApplicationPatch patch;
  patch.name = "x";
  expect_code(admin().update_application("missing", patch, std::nullopt), Code::kNotFound);
  expect_code(admin().update_application(kAdminClientId, ApplicationPatch{}, std::nullopt),
              Code::kInvalid);
}

TEST_P(AdminContract, SignInUrlsAndKeysTravelBothWays) {
  auto spa = app_draft("SPA");
  spa.type = store::ApplicationType::kSpa;
  spa.callbacks = {"http://localhost:3000/callback", "https://app.example.com/callback"};
  spa.allowed_logout_urls = {"http://localhost:3000/"};
  spa.web_origins = {"http://localhost:3000"};
  auto made = admin().create_application(spa);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_TRUE(made->client_secret.empty());  // public: no secret
  EXPECT_EQ(made->application.token_endpoint_auth_method, store::TokenEndpointAuthMethod::kNone);
  EXPECT_EQ(made->application.callbacks, spa.callbacks);
  EXPECT_EQ(truth().get_application(made->application.client_id).value(), made->application);
  ApplicationPatch patch;
  patch.callbacks = std::vector<std::string>{"com.example.app:/callback"};
  patch.web_origins = std::vector<std::string>{};
  auto updated = admin().update_application(made->application.client_id, patch, std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->callbacks, *patch.callbacks);
  EXPECT_TRUE(updated->web_origins.empty());
  EXPECT_EQ(updated->allowed_logout_urls, spa.allowed_logout_urls);
  auto bad = patch;
  bad.web_origins = std::vector<std::string>{"http://localhost:3000/"};
  expect_code(admin().update_application(made->application.client_id, bad, std::nullopt),
              Code::kInvalid);

  // Written compactly, as the Management API serializes a jwks object.
  const auto key = jose::generate_jwk(jose::Algorithm::kES256, "k1").value();
  auto keyed = app_draft("Signed");
  keyed.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kPrivateKeyJwt;
  keyed.jwks = json::serialize(jose::to_public_jwks({key}));
  auto signed_app = admin().create_application(keyed);
  ASSERT_TRUE(signed_app.ok()) << signed_app.error().message;
  EXPECT_TRUE(signed_app->client_secret.empty());
  EXPECT_EQ(signed_app->application.jwks, keyed.jwks);
  EXPECT_EQ(truth().get_application(signed_app->application.client_id).value(),
            signed_app->application);
  ApplicationPatch to_uri;
  to_uri.jwks_uri = "https://client.example/jwks.json";
  auto moved = admin().update_application(signed_app->application.client_id, to_uri, std::nullopt);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_TRUE(moved->jwks.empty());
  EXPECT_EQ(moved->jwks_uri, "https://client.example/jwks.json");
  EXPECT_EQ(truth().get_application(signed_app->application.client_id).value(), *moved);
}

// RFC 9449: an application's dpop_bound_access_tokens and an API's DPoP requirement (Auth0's
// proof_of_possession over HTTP) are set at creation, changed by a patch, and left alone by a patch
// that does not name them.
TEST_P(AdminContract, DpopSettingsTravelBothWays) {
  auto draft = app_draft("Bound");
  draft.dpop_bound_access_tokens = true;
  auto made = admin().create_application(draft);
  ASSERT_TRUE(made.ok()) << made.error().message;
  const std::string client_id = made->application.client_id;
  EXPECT_TRUE(made->application.dpop_bound_access_tokens);
  EXPECT_TRUE(truth().get_application(client_id)->dpop_bound_access_tokens);
  ApplicationPatch rename;
  rename.name = "Still bound";
  auto renamed = admin().update_application(client_id, rename, std::nullopt);
  ASSERT_TRUE(renamed.ok()) << renamed.error().message;
  EXPECT_TRUE(renamed->dpop_bound_access_tokens);
  ApplicationPatch off;
  off.dpop_bound_access_tokens = false;
  auto unbound = admin().update_application(client_id, off, std::nullopt);
  ASSERT_TRUE(unbound.ok()) << unbound.error().message;
  EXPECT_FALSE(unbound->dpop_bound_access_tokens);
  EXPECT_EQ(truth().get_application(client_id).value(), *unbound);
  EXPECT_FALSE(
      admin().create_application(app_draft("Plain"))->application.dpop_bound_access_tokens);

  auto api = api_draft();
  api.require_dpop = true;
  auto created = admin().create_api(api);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(created->require_dpop);
  EXPECT_TRUE(truth().get_api(kApi)->require_dpop);
  auto kept = admin().update_api(kApi, name_patch("Renamed"), std::nullopt);
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_TRUE(kept->require_dpop);
  // Resolved against the record by RemoteAdmin (the profile alone), the requirement stays too.
  ApiPatch profile;
  profile.token_profile = store::TokenProfile::kRfc9068;
  EXPECT_TRUE(admin().update_api(kApi, profile, std::nullopt)->require_dpop);
  ApiPatch clear;
  clear.require_dpop = false;
  auto cleared = admin().update_api(kApi, clear, std::nullopt);
  ASSERT_TRUE(cleared.ok()) << cleared.error().message;
  EXPECT_FALSE(cleared->require_dpop);
  EXPECT_EQ(truth().get_api(kApi).value(), *cleared);
  ApiPatch on;
  on.require_dpop = true;
  on.add_permissions = {perm("c")};  // resolved against the record too
  auto again = admin().update_api(kApi, on, std::nullopt);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->require_dpop);
  EXPECT_EQ(truth().get_api(kApi).value(), *again);
}

// --- client grants

TEST_P(AdminContract, ClientGrants) {
  make_api();
  auto app = admin().create_application(app_draft("m2m"));
  ASSERT_TRUE(app.ok()) << app.error().message;
  const std::string client_id = app->application.client_id;
  auto grant = admin().create_client_grant(client_id, kApi, {"read:messages"});
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  EXPECT_GT(grant->id, 0);
  EXPECT_EQ(grant->client_id, client_id);
  EXPECT_EQ(grant->audience, kApi);
  EXPECT_EQ(grant->scopes, (std::vector<std::string>{"read:messages"}));
  EXPECT_EQ(grant->created_at, kStart);
  EXPECT_EQ(admin().get_client_grant(grant->id).value(), *grant);
  EXPECT_EQ(truth().get_client_grant(grant->id).value(), *grant);

  ClientGrantFilter by_client;
  by_client.client_id = client_id;
  auto mine = admin().list_client_grants(PageRequest{}, by_client);
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  ASSERT_EQ(mine->total, 1);
  EXPECT_EQ(without_revision(mine->items[0]), without_revision(*grant));
  ClientGrantFilter by_audience;
  by_audience.audience = audience();
  auto admins = admin().list_client_grants(PageRequest{}, by_audience);
  ASSERT_TRUE(admins.ok()) << admins.error().message;
  ASSERT_EQ(admins->total, 1);
  EXPECT_EQ(admins->items[0].client_id, kAdminClientId);
  EXPECT_EQ(admin().list_client_grants(PageRequest{}, ClientGrantFilter{})->total, 2);

  auto widened =
      admin().update_client_grant(grant->id, {"read:messages", "write:messages"}, std::nullopt);
  ASSERT_TRUE(widened.ok()) << widened.error().message;
  EXPECT_EQ(widened->scopes, (std::vector<std::string>{"read:messages", "write:messages"}));
  EXPECT_GT(widened->revision, grant->revision);
  EXPECT_EQ(truth().get_client_grant(grant->id).value(), *widened);

  expect_code(admin().update_client_grant(grant->id, {"delete:messages"}, std::nullopt),
              Code::kInvalid);
  expect_code(admin().create_client_grant(client_id, kApi, {}), Code::kConflict);
  expect_code(admin().create_client_grant("missing", kApi, {}), Code::kNotFound);
  expect_code(admin().create_client_grant(client_id, "urn:missing", {}), Code::kNotFound);
  expect_code(admin().create_client_grant(kAdminClientId, kApi, {"no:such"}), Code::kInvalid);
  ClientGrantFilter unknown;
  unknown.client_id = "missing";
  expect_code(admin().list_client_grants(PageRequest{}, unknown), Code::kNotFound);

  auto deleted = admin().delete_client_grant(grant->id);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*deleted, *widened);
  expect_code(admin().get_client_grant(grant->id), Code::kNotFound);
  expect_code(admin().delete_client_grant(grant->id), Code::kNotFound);
  expect_code(admin().update_client_grant(grant->id, {}, std::nullopt), Code::kNotFound);
}

// --- users

TEST_P(AdminContract, Users) {
  auto created = admin().create_user(user_draft("Alice@example.com", "auth0|contract1"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->id, "auth0|contract1");
  EXPECT_EQ(created->email, "Alice@example.com");
  EXPECT_FALSE(created->blocked);
  EXPECT_EQ(created->created_at, kStart);
  EXPECT_TRUE(created->password_hash.empty());
  EXPECT_GT(created->revision, 0u);
  EXPECT_EQ(admin().get_user("auth0|contract1").value(), *created);
  EXPECT_EQ(truth().get_user("auth0|contract1").value(), *created);
  EXPECT_EQ(admin().find_user("auth0|contract1").value(), *created);
  EXPECT_EQ(admin().find_user("alice@EXAMPLE.com").value(), *created);
  expect_code(admin().find_user("bob@example.com"), Code::kNotFound);

  auto generated = admin().create_user(user_draft("bob@example.com"));
  ASSERT_TRUE(generated.ok()) << generated.error().message;
  EXPECT_TRUE(generated->id.starts_with("auth0|")) << generated->id;
  EXPECT_EQ(generated->id.size(), 6u + 24u) << generated->id;

  auto all = admin().list_users(PageRequest{}, std::nullopt);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->total, 2);
  auto found = admin().list_users(PageRequest{}, std::string_view("bob"));
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->total, 1);
  EXPECT_EQ(without_revision(found->items[0]), without_revision(*generated));

  UserPatch block;
  block.blocked = true;
  auto blocked = admin().update_user(created->id, block, std::nullopt);
  ASSERT_TRUE(blocked.ok()) << blocked.error().message;
  EXPECT_TRUE(blocked->user.blocked);
  EXPECT_GT(blocked->user.revision, created->revision);
  EXPECT_EQ(blocked->sessions_ended, 0);
  EXPECT_EQ(truth().get_user(created->id).value(), blocked->user);

  UserPatch password;
  password.password = "another good password";
  auto reset = admin().update_user(created->id, password, std::nullopt);
  ASSERT_TRUE(reset.ok()) << reset.error().message;
  const auto stored = side_->store().get_user(created->id).value();
  EXPECT_TRUE(side_->passwords().verify("another good password", stored.password_hash));
  // The Management API does not say how many sessions a password change or a revoke ended, nor
  // how many lockout counters were cleared: RemoteAdmin says -1, "not known".
  EXPECT_EQ(reset->sessions_ended, remote() ? -1 : 0);
  EXPECT_EQ(admin().revoke_sessions(created->id).value(), remote() ? -1 : 0);
  EXPECT_EQ(admin().clear_user_lockouts(created->id).value(), remote() ? -1 : 0);
  auto lockouts = admin().user_lockouts(created->id);
  ASSERT_TRUE(lockouts.ok()) << lockouts.error().message;
  EXPECT_TRUE(lockouts->counters.empty());
  EXPECT_FALSE(lockouts->blocked_now);

  auto deleted = admin().delete_user(created->id);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*deleted, reset->user);
  expect_code(admin().get_user(created->id), Code::kNotFound);
  expect_code(admin().delete_user(created->id), Code::kNotFound);
  expect_code(admin().revoke_sessions(created->id), Code::kNotFound);
  expect_code(admin().user_lockouts(created->id), Code::kNotFound);
  expect_code(admin().clear_user_lockouts(created->id), Code::kNotFound);
  expect_code(admin().update_user(created->id, block, std::nullopt), Code::kNotFound);
}

TEST_P(AdminContract, UserErrors) {
  ASSERT_TRUE(admin().create_user(user_draft("alice@example.com", "auth0|a")).ok());
  expect_code(admin().create_user(user_draft("ALICE@example.com")), Code::kConflict);
  expect_code(admin().create_user(user_draft("other@example.com", "auth0|a")), Code::kConflict);
  expect_code(admin().create_user(user_draft("not an email")), Code::kInvalid);
  auto weak = user_draft("weak@example.com");
  weak.password = "short";
  expect_code(admin().create_user(weak), Code::kInvalid);
  ASSERT_TRUE(admin().create_user(user_draft("bob@example.com", "auth0|b")).ok());
  UserPatch taken;
  taken.email = "alice@example.com";
  expect_code(admin().update_user("auth0|b", taken, std::nullopt), Code::kConflict);
  expect_code(admin().update_user("auth0|b", UserPatch{}, std::nullopt), Code::kInvalid);
}

TEST_P(AdminContract, UserPermissions) {
  make_api();
  ASSERT_TRUE(admin().create_user(user_draft("alice@example.com", "auth0|a")).ok());
  ASSERT_TRUE(admin().add_user_permissions("auth0|a", kApi, {"read:messages"}).ok());
  ASSERT_TRUE(admin().add_user_permissions("auth0|a", kApi, {"read:messages"}).ok());  // again
  const std::vector<store::UserPermission> held{{"auth0|a", std::string(kApi), "read:messages"}};
  EXPECT_EQ(admin().list_user_permissions("auth0|a", std::nullopt).value(), held);
  EXPECT_EQ(admin().list_user_permissions("auth0|a", kApi).value(), held);
  EXPECT_EQ(truth().list_user_permissions("auth0|a", std::nullopt).value(), held);
  EXPECT_TRUE(admin().list_user_permissions("auth0|a", audience())->empty());

  expect_code(admin().add_user_permissions("auth0|a", kApi, {"no:such"}), Code::kInvalid);
  expect_code(admin().add_user_permissions("auth0|a", kApi, {}), Code::kInvalid);
  expect_code(admin().add_user_permissions("auth0|a", "urn:missing", {"x"}), Code::kNotFound);
  expect_code(admin().add_user_permissions("auth0|missing", kApi, {"read:messages"}),
              Code::kNotFound);
  expect_code(admin().list_user_permissions("auth0|missing", std::nullopt), Code::kNotFound);
  expect_code(admin().list_user_permissions("auth0|a", "urn:missing"), Code::kNotFound);

  ASSERT_TRUE(admin().remove_user_permissions("auth0|a", kApi, {"read:messages"}).ok());
  EXPECT_TRUE(admin().list_user_permissions("auth0|a", std::nullopt)->empty());
  EXPECT_TRUE(truth().list_user_permissions("auth0|a", std::nullopt)->empty());
  expect_code(admin().remove_user_permissions("auth0|a", kApi, {}), Code::kInvalid);
  expect_code(admin().remove_user_permissions("auth0|a", "urn:missing", {"x"}), Code::kNotFound);
}

TEST_P(AdminContract, UserLockoutsSayLessOverHttp) {
  auto user = admin().create_user(user_draft("alice@example.com")).value();
  // Counters as the token endpoint leaves them: one address blocked (for an hour from the real
  // clock, which the Management API reads), another counting, and the account-wide throttle.
  const auto now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  const auto key = [&](std::string address) {
    return store::FailedLoginKey{store::FailedLoginSubject::kUser, user.id, std::move(address)};
  };
  const auto blocked = side_->store()
                           .record_failed_login(key("192.0.2.0/24"), now,
                                                store::LockoutPolicy{1, std::chrono::hours{1}})
                           .value();
  ASSERT_TRUE(blocked.blocked_until.has_value());
  ASSERT_TRUE(side_->store().record_failed_login(key("198.51.100.0/24"), now, {}).ok());
  ASSERT_TRUE(side_->store()
                  .record_account_failure(store::FailedLoginSubject::kUser, user.id, now, {})
                  .ok());

  auto lockouts = admin().user_lockouts(user.id);
  ASSERT_TRUE(lockouts.ok()) << lockouts.error().message;
  EXPECT_TRUE(lockouts->blocked_now);
  if (remote()) {
    // user-blocks lists only what blocks now, without the account-wide throttle (a delay of
    // seconds, not a block): one counter.
    ASSERT_EQ(lockouts->counters.size(), 1u);
    EXPECT_EQ(lockouts->counters[0].address, "192.0.2.0/24");
    EXPECT_EQ(lockouts->counters[0].counter.count, 1);
    EXPECT_EQ(lockouts->counters[0].counter.blocked_until, blocked.blocked_until);
  } else {
    ASSERT_EQ(lockouts->counters.size(), 3u);
    EXPECT_EQ(lockouts->counters, truth().user_lockouts(user.id)->counters);
  }

  // The log is the same either way, every field through the Management API and back.
  const auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  store::Event failed;
  failed.date = ms + std::chrono::milliseconds{7};
  failed.type = "fepft";
  failed.description = "Wrong email or password.";
  failed.client_id = "client-x";
  failed.user_id = user.id;
  failed.audience = "https://api.example.com/";
  failed.scope = "read:messages";
  failed.error = "invalid_grant";
  failed.ip = "192.0.2.1";
  failed.user_agent = "curl/8";
  failed.details = R"({"grant_type":"password"})";
  store::Event blocked_event;
  blocked_event.date = ms;
  blocked_event.type = "limit_wc";
  blocked_event.user_id = user.id;
  ASSERT_TRUE(side_->store().append_events({blocked_event, failed}).ok());
  const auto logs = admin().list_logs(PageRequest{}, LogFilter{});
  const auto truth_logs = truth().list_logs(PageRequest{}, LogFilter{});
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  ASSERT_EQ(logs->total, truth_logs->total);
  ASSERT_EQ(logs->items.size(), truth_logs->items.size());
  EXPECT_FALSE(logs->items.empty());
  for (std::size_t i = 0; i < logs->items.size(); ++i) {
    const auto& a = logs->items[i];
    const auto& b = truth_logs->items[i];
    if (remote() && b.description.empty()) {
      // The Management API shows the type's description where the event has none.
      EXPECT_EQ(a.description, server::describe_event_type(b.type));
      auto same = a;
      same.description.clear();
      EXPECT_EQ(same, b);
    } else {
      EXPECT_EQ(a, b);
    }
  }
  auto after = admin().logs_after(logs->items.back().id, 10, LogFilter{});
  ASSERT_TRUE(after.ok()) << after.error().message;
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ(after->front().type, "fepft");

  // How many counters were forgotten is not in the HTTP answer: -1 remotely.
  EXPECT_EQ(admin().clear_user_lockouts(user.id).value(), remote() ? -1 : 3);
  EXPECT_TRUE(admin().user_lockouts(user.id)->counters.empty());
  EXPECT_TRUE(truth().user_lockouts(user.id)->counters.empty());
}

// --- signing keys

TEST_P(AdminContract, SigningKeysRotateAndRevoke) {
  auto keys = admin().list_signing_keys();
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  const auto truth_keys = truth().list_signing_keys().value();
  ASSERT_EQ(keys->size(), truth_keys.size());
  ASSERT_EQ(keys->size(), 4u);  // RS256 and ES256, each current and next
  const auto same_key = [](const store::SigningKey& a, const store::SigningKey& b) {
    EXPECT_EQ(a.kid, b.kid);
    EXPECT_EQ(a.algorithm, b.algorithm);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.created_at, b.created_at);
    EXPECT_EQ(a.rotated_at, b.rotated_at);
    EXPECT_TRUE(a.encrypted_private_key.empty());
    EXPECT_TRUE(b.encrypted_private_key.empty());
    EXPECT_EQ(json::parse(a.public_jwk), json::parse(b.public_jwk)) << a.kid;
  };
  std::string es_next;
  std::string es_current;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    same_key((*keys)[i], truth_keys[i]);
    if ((*keys)[i].algorithm == jose::Algorithm::kES256) {
      ((*keys)[i].state == store::SigningKeyState::kNext ? es_next : es_current) = (*keys)[i].kid;
    }
  }
  ASSERT_FALSE(es_next.empty());
  ASSERT_FALSE(es_current.empty());
  same_key(admin().get_signing_key(es_current).value(),
           truth().get_signing_key(es_current).value());

  // ES256: the Management API token in use is signed with RS256, which stays as it is.
  auto rotated = admin().rotate_signing_keys(jose::Algorithm::kES256);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_EQ(rotated->algorithm, jose::Algorithm::kES256);
  EXPECT_EQ(rotated->current_kid, es_next);
  EXPECT_EQ(truth().get_signing_key(es_current)->state, store::SigningKeyState::kPrevious);
  EXPECT_EQ(truth().get_signing_key(es_current)->rotated_at, kStart);
  EXPECT_EQ(admin().list_signing_keys()->size(), 5u);

  expect_code(admin().revoke_signing_key(es_next), Code::kInvalid);  // current now
  auto revoked = admin().revoke_signing_key(es_current);
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  EXPECT_EQ(revoked->state, store::SigningKeyState::kRevoked);
  same_key(*revoked, truth().get_signing_key(es_current).value());
  expect_code(admin().revoke_signing_key(es_current), Code::kInvalid);  // already revoked
  expect_code(admin().revoke_signing_key("no-such-kid"), Code::kNotFound);
  expect_code(admin().get_signing_key("no-such-kid"), Code::kNotFound);
  expect_code(admin().rotate_signing_keys(jose::Algorithm::kEdDSA), Code::kNotFound);
}

// --- lists

TEST_P(AdminContract, Paging) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(admin().create_application(app_draft("app " + std::to_string(i))).ok());
  }
  // Seven in all: the console's, the contract's admin, and these five.
  const auto all = truth().list_applications(PageRequest{0, 100}).value();
  ASSERT_EQ(all.total, 7);
  struct Case {
    std::int64_t page;
    std::int64_t per_page;
    std::size_t first;
    std::size_t count;
  };
  for (const Case c : {Case{0, 3, 0, 3}, Case{1, 3, 3, 3}, Case{2, 3, 6, 1}, Case{3, 3, 9, 0},
                       Case{0, 7, 0, 7}, Case{1, 7, 7, 0}, Case{6, 1, 6, 1}, Case{0, 100, 0, 7}}) {
    auto page = admin().list_applications(PageRequest{c.page, c.per_page});
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_EQ(page->total, 7);
    EXPECT_EQ(page->start, c.page * c.per_page);
    EXPECT_EQ(page->limit, c.per_page);
    ASSERT_EQ(page->items.size(), c.count) << c.page << "/" << c.per_page;
    for (std::size_t i = 0; i < c.count; ++i) {
      EXPECT_EQ(without_revision(page->items[i]), without_revision(all.items[c.first + i]));
      // Records in a page carry no ETag of their own over HTTP: RemoteAdmin gives revision 0;
      // get_application gives the revision to write with.
      if (remote()) {
        EXPECT_EQ(page->items[i].revision, 0u);
      } else {
        EXPECT_EQ(page->items[i].revision, all.items[c.first + i].revision);
      }
    }
  }
  for (const auto& bad : {PageRequest{0, 0}, PageRequest{0, kMaxPerPage + 1}, PageRequest{-1, 10},
                          PageRequest{std::numeric_limits<std::int64_t>::max() / 2, 100}}) {
    expect_code(admin().list_applications(bad), Code::kInvalid);
    expect_code(admin().list_users(bad, std::nullopt), Code::kInvalid);
    expect_code(admin().list_client_grants(bad, ClientGrantFilter{}), Code::kInvalid);
    expect_code(admin().list_logs(bad, LogFilter{}), Code::kInvalid);
  }
}

TEST_P(AdminContract, LogsListAndRefuseUnknownTypes) {
  auto logs = admin().list_logs(PageRequest{}, LogFilter{});
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  EXPECT_EQ(logs->total, truth().list_logs(PageRequest{}, LogFilter{})->total);
  LogFilter typo;
  typo.type = "success";
  expect_code(admin().list_logs(PageRequest{}, typo), Code::kInvalid);
}

// --- revisions and races

TEST_P(AdminContract, IfRevisionNamesTheRevisionReadOrNothingIsWritten) {
  const store::Api api = make_api();
  auto first = admin().update_api(kApi, name_patch("First"), api.revision);
  ASSERT_TRUE(first.ok()) << first.error().message;
  expect_code(admin().update_api(kApi, name_patch("Second"), api.revision), Code::kStale);
  // The add/remove form is read, applied and written by RemoteAdmin itself: the same answer.
  expect_code(admin().update_api(kApi, add_patch({perm("x")}), api.revision), Code::kStale);
  EXPECT_EQ(truth().get_api(kApi).value(), *first);
  auto added = admin().update_api(kApi, add_patch({perm("x")}), first->revision);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(values_of(*added), (std::vector<std::string>{"read:messages", "write:messages", "x"}));

  auto app = admin().create_application(app_draft("app")).value().application;
  ApplicationPatch rename;
  rename.name = "Renamed";
  ASSERT_TRUE(admin().update_application(app.client_id, rename, app.revision).ok());
  rename.name = "Lost";
  expect_code(admin().update_application(app.client_id, rename, app.revision), Code::kStale);
  EXPECT_EQ(truth().get_application(app.client_id)->name, "Renamed");

  auto user = admin().create_user(user_draft("alice@example.com")).value();
  UserPatch block;
  block.blocked = true;
  ASSERT_TRUE(admin().update_user(user.id, block, user.revision).ok());
  block.blocked = false;
  expect_code(admin().update_user(user.id, block, user.revision), Code::kStale);
  EXPECT_TRUE(truth().get_user(user.id)->blocked);

  auto grant = admin().create_client_grant(app.client_id, kApi, {"x"}).value();
  ASSERT_TRUE(admin().update_client_grant(grant.id, {"read:messages"}, grant.revision).ok());
  expect_code(admin().update_client_grant(grant.id, {"x"}, grant.revision), Code::kStale);
  EXPECT_EQ(truth().get_client_grant(grant.id)->scopes,
            (std::vector<std::string>{"read:messages"}));
}

TEST_P(AdminContract, ConcurrentPermissionAdditionsBothSurvive) {
  make_api();
  std::barrier start(2);
  std::vector<std::string> failures[2];
  const auto add_all = [&](int who) {
    start.arrive_and_wait();
    for (int i = 0; i < kRacingPermissions; ++i) {
      const std::string name = "admin" + std::to_string(who) + ":" + std::to_string(i);
      auto added = admin().update_api(kApi, add_patch({perm(name)}), std::nullopt);
      if (!added) {
        failures[who].push_back(name + ": " + added.error().message);
      }
    }
  };
  std::thread a(add_all, 0);
  std::thread b(add_all, 1);
  a.join();
  b.join();
  EXPECT_TRUE(failures[0].empty()) << failures[0].front();
  EXPECT_TRUE(failures[1].empty()) << failures[1].front();
  const auto held = values_of(truth().get_api(kApi).value());
  EXPECT_EQ(held.size(), 2u + 2 * kRacingPermissions);
  for (int who = 0; who < 2; ++who) {
    for (int i = 0; i < kRacingPermissions; ++i) {
      const std::string name = "admin" + std::to_string(who) + ":" + std::to_string(i);
      EXPECT_NE(std::find(held.begin(), held.end(), name), held.end()) << name << " was lost";
    }
  }
}

}  // namespace
}  // namespace signet::admin
