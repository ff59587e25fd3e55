// The grant logic without HTTP: every grant, every error, and every time boundary (one second on
// each side) of lockouts, refresh-token grace and expiry.

#include "signet/server/token_endpoint.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/json.h"
#include "signet/jose/jws.h"
#include "signet/keys/key_manager.h"
#include "signet/server/own_tokens.h"
#include "signet/store/sqlite_store.h"
#include "tests/store/store_test_support.h"

namespace signet::server {
namespace {

namespace json = boost::json;
using std::chrono::seconds;
using store::testing::TempDir;

constexpr store::Timestamp kT0{seconds{1'800'000'000}};
constexpr std::string_view kIssuer = "http://localhost:4000/";
constexpr std::string_view kApi = "https://quickstarts/api";
constexpr std::string_view kPassword = "correct horse battery";
constexpr std::string_view kPeer = "192.0.2.7";

// Base64 (standard alphabet, padded) for HTTP Basic headers.
std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
            kAlphabet[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

struct Client {
  std::string id;
  std::string secret;
};

keys::MasterKey fixed_master_key() {
  std::array<std::uint8_t, keys::kMasterKeyBytes> bytes{};
  bytes.fill(0x5A);
  return keys::MasterKey::from_bytes(bytes);
}

class TokenEndpointTest : public ::testing::Test {
 protected:
  // RSA key generation dominates a fresh tenant's cost, so the signing keys are made once and
  // every test starts from a copy of that database.
  static void SetUpTestSuite() {
    template_dir_ = new TempDir();
    auto st = store::SqliteStore::open(template_dir_->file("signet.db")).value();
    keys::KeyManager km(*st, fixed_master_key());
    ASSERT_TRUE(km.ensure_keys(jose::Algorithm::kRS256, kT0).ok());
    ASSERT_TRUE(km.ensure_keys(jose::Algorithm::kES256, kT0).ok());
  }
  static void TearDownTestSuite() {
    delete template_dir_;
    template_dir_ = nullptr;
  }

  void SetUp() override {
    std::filesystem::copy_file(template_dir_->file("signet.db"), dir_.file("signet.db"));
    store_ = store::SqliteStore::open(dir_.file("signet.db")).value();
    keys_ = std::make_unique<keys::KeyManager>(*store_, fixed_master_key());
    secrets_ = std::make_unique<SecretHasher>(keys::MasterKey::generate());
    passwords_ = std::make_unique<PasswordHasher>(ArgonParams{8192, 1, 1});
    store::Api api;
    api.identifier = std::string(kApi);
    api.name = "Quickstart API";
    api.allow_offline_access = true;
    api.permissions = {{"read:messages", ""}, {"write:messages", ""}};
    ASSERT_TRUE(store_->create_api(api).ok());
    tenant_ = std::make_unique<Tenant>(*store_, *keys_);
    config_.issuer = std::string(kIssuer);
    config_.user_lockout = {3, seconds{60}};
    config_.client_lockout = {3, seconds{60}};
    config_.refresh_reuse_grace = seconds{10};
    config_.refresh_token_lifetime = seconds{1000};
    reload();
  }

  void reload() {
    ASSERT_TRUE(tenant_->load(kT0).ok());
    endpoint_ = std::make_unique<TokenEndpoint>(config_, *tenant_, *store_, *secrets_, *passwords_);
  }

  Client client(
      std::vector<store::GrantType> grants,
      store::TokenEndpointAuthMethod method = store::TokenEndpointAuthMethod::kClientSecretPost) {
    Client c{"client-" + std::to_string(++clients_), generate_secret()};
    store::Application app;
    app.client_id = c.id;
    app.name = c.id;
    app.grant_types = std::move(grants);
    app.token_endpoint_auth_method = method;
    app.client_secret_hash = secrets_->hash(c.secret);
    EXPECT_TRUE(store_->create_application(app).ok());
    return c;
  }

  Client m2m(std::vector<std::string> scopes = {"read:messages", "write:messages"}) {
    Client c = client({store::GrantType::kClientCredentials});
    store::ClientGrant g;
    g.client_id = c.id;
    g.audience = std::string(kApi);
    g.scopes = std::move(scopes);
    EXPECT_TRUE(store_->create_client_grant(g).ok());
    return c;
  }

  Client web() { return client({store::GrantType::kPassword, store::GrantType::kRefreshToken}); }

  std::string user(std::vector<std::string> permissions = {"read:messages"}) {
    store::User u;
    u.id = "signet|user" + std::to_string(++users_);
    u.email = "user" + std::to_string(users_) + "@example.com";
    u.password_hash = passwords_->hash(kPassword);
    EXPECT_TRUE(store_->create_user(u).ok());
    if (!permissions.empty()) {
      EXPECT_TRUE(store_->add_user_permissions(u.id, kApi, permissions).ok());
    }
    return u.id;
  }

  static std::string email_of(const std::string& user_id) {
    return "user" + user_id.substr(user_id.find("user") + 4) + "@example.com";
  }

  EndpointResult call(EndpointResult (TokenEndpoint::*method)(const EndpointRequest&),
                      std::initializer_list<std::pair<std::string, std::string>> params,
                      store::Timestamp now = kT0,
                      std::optional<std::string> authorization = std::nullopt,
                      std::string_view peer = kPeer) {
    Params p;
    for (const auto& [k, v] : params) {
      p.add(k, v);
    }
    EndpointRequest req{&p, std::nullopt, peer, now};
    if (authorization) {
      req.authorization = *authorization;
    }
    return (endpoint_.get()->*method)(req);
  }

  EndpointResult token(std::initializer_list<std::pair<std::string, std::string>> params,
                       store::Timestamp now = kT0,
                       std::optional<std::string> authorization = std::nullopt,
                       std::string_view peer = kPeer) {
    return call(&TokenEndpoint::token, params, now, std::move(authorization), peer);
  }

  EndpointResult cc(const Client& c, std::string scope = "", store::Timestamp now = kT0) {
    if (scope.empty()) {
      return token({{"grant_type", "client_credentials"},
                    {"client_id", c.id},
                    {"client_secret", c.secret},
                    {"audience", std::string(kApi)}},
                   now);
    }
    return token({{"grant_type", "client_credentials"},
                  {"client_id", c.id},
                  {"client_secret", c.secret},
                  {"audience", std::string(kApi)},
                  {"scope", scope}},
                 now);
  }

  EndpointResult login(const Client& c, const std::string& username, std::string_view password,
                       std::string scope = "", store::Timestamp now = kT0,
                       std::string_view peer = kPeer) {
    return token({{"grant_type", "password"},
                  {"client_id", c.id},
                  {"client_secret", c.secret},
                  {"audience", std::string(kApi)},
                  {"username", username},
                  {"password", std::string(password)},
                  {"scope", scope}},
                 now, std::nullopt, peer);
  }

  EndpointResult refresh(const Client& c, const std::string& refresh_token,
                         store::Timestamp now = kT0, std::string scope = "") {
    return token({{"grant_type", "refresh_token"},
                  {"client_id", c.id},
                  {"client_secret", c.secret},
                  {"refresh_token", refresh_token},
                  {"scope", scope}},
                 now);
  }

  json::object claims(const EndpointResult& r, std::string_view member = "access_token") {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().description);
    if (!r.ok()) {
      return {};
    }
    const std::string token(r->at(member).as_string());
    // Checked an hour after kT0: every token issued in these tests is alive then.
    auto verified = verify_own_token(*tenant_->snapshot(), kIssuer, token, kT0 + seconds{3600});
    EXPECT_TRUE(verified.ok()) << (verified.ok() ? "" : verified.error());
    return verified.ok() ? *verified : json::object{};
  }

  static std::string str(const json::object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string("<absent>");
  }

  static void expect_error(const EndpointResult& r, OAuthErrorCode code,
                           std::string_view in_description = "") {
    ASSERT_FALSE(r.ok()) << json::serialize(*r);
    EXPECT_EQ(to_string(r.error().code), to_string(code)) << r.error().description;
    EXPECT_NE(r.error().description.find(in_description), std::string::npos)
        << r.error().description;
  }

  static inline TempDir* template_dir_ = nullptr;
  TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<keys::KeyManager> keys_;
  std::unique_ptr<SecretHasher> secrets_;
  std::unique_ptr<PasswordHasher> passwords_;
  std::unique_ptr<Tenant> tenant_;
  EndpointConfig config_;
  std::unique_ptr<TokenEndpoint> endpoint_;
  int clients_ = 0;
  int users_ = 0;
};

// --- client credentials

TEST_F(TokenEndpointTest, ClientCredentialsTokenHasDesignsClaims) {
  const Client c = m2m();
  reload();
  auto r = cc(c);
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(r->at("token_type").as_string(), "Bearer");
  EXPECT_EQ(r->at("expires_in").as_int64(), 86400);
  EXPECT_EQ(r->at("scope").as_string(), "read:messages write:messages");
  const auto c1 = claims(r);
  EXPECT_EQ(str(c1, "iss"), kIssuer);
  EXPECT_EQ(str(c1, "sub"), c.id + "@clients");
  EXPECT_EQ(str(c1, "aud"), kApi);
  EXPECT_EQ(str(c1, "azp"), c.id);
  EXPECT_EQ(str(c1, "gty"), "client-credentials");
  EXPECT_EQ(c1.at("iat").as_int64(), kT0.time_since_epoch().count());
  EXPECT_EQ(c1.at("exp").as_int64() - c1.at("iat").as_int64(), 86400);
  EXPECT_FALSE(c1.contains("client_id"));
  EXPECT_NE(str(c1, "jti"), str(claims(cc(c)), "jti"));
  auto jws = jose::parse_compact(std::string_view(r->at("access_token").as_string()));
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->typ, "JWT");
  EXPECT_EQ(jws->alg, jose::Algorithm::kRS256);
  EXPECT_EQ(endpoint_->counters().issued_client_credentials.load(), 2u);
}

TEST_F(TokenEndpointTest, Rfc9068ProfileSaysAtJwtAndCarriesClientId) {
  auto api = store_->get_api(kApi).value();
  api.token_profile = store::TokenProfile::kRfc9068;
  api.signing_algorithm = jose::Algorithm::kES256;
  ASSERT_TRUE(store_->update_api(api).ok());
  const Client c = m2m();
  reload();
  auto r = cc(c);
  const auto c1 = claims(r);
  EXPECT_EQ(str(c1, "client_id"), c.id);
  auto jws = jose::parse_compact(std::string_view(r->at("access_token").as_string()));
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->typ, "at+jwt");
  EXPECT_EQ(jws->alg, jose::Algorithm::kES256);
}

TEST_F(TokenEndpointTest, PermissionsClaimListsTheApiScopesWhenTheApiAsksForIt) {
  const Client c = m2m();
  const Client w = web();
  const std::string u = user({"read:messages"});
  reload();
  EXPECT_FALSE(claims(cc(c)).contains("permissions"));
  auto api = store_->get_api(kApi).value();
  api.permissions_claim = true;
  ASSERT_TRUE(store_->update_api(api).ok());
  reload();
  const auto m2m_claims = claims(cc(c, "write:messages"));
  ASSERT_TRUE(m2m_claims.contains("permissions"));
  EXPECT_EQ(json::serialize(m2m_claims.at("permissions")), R"(["write:messages"])");
  // OpenID scopes are not permissions.
  const auto user_claims = claims(login(w, email_of(u), kPassword, "openid read:messages"));
  EXPECT_EQ(json::serialize(user_claims.at("permissions")), R"(["read:messages"])");
  EXPECT_EQ(str(user_claims, "scope"), "openid read:messages");
}

TEST_F(TokenEndpointTest, RequestedSubsetOfTheGrantIsIssuedAndMoreIsInvalidScope) {
  const Client c = m2m({"read:messages"});
  reload();
  EXPECT_EQ(str(claims(cc(c, "read:messages")), "scope"), "read:messages");
  expect_error(cc(c, "read:messages write:messages"), OAuthErrorCode::kInvalidScope,
               "scope 'write:messages' is not granted");
}

TEST_F(TokenEndpointTest, GrantWithoutScopesGivesATokenWithoutScope) {
  const Client c = m2m({});
  reload();
  auto r = cc(c);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->contains("scope"));
  EXPECT_FALSE(claims(r).contains("scope"));
}

TEST_F(TokenEndpointTest, AudienceErrors) {
  const Client c = m2m();
  const Client ungranted = client({store::GrantType::kClientCredentials});
  reload();
  expect_error(
      token(
          {{"grant_type", "client_credentials"}, {"client_id", c.id}, {"client_secret", c.secret}}),
      OAuthErrorCode::kInvalidRequest, "audience is required");
  expect_error(token({{"grant_type", "client_credentials"},
                      {"client_id", c.id},
                      {"client_secret", c.secret},
                      {"audience", "https://nope/"}}),
               OAuthErrorCode::kInvalidTarget, "signet apis create");
  expect_error(token({{"grant_type", "client_credentials"},
                      {"client_id", c.id},
                      {"client_secret", c.secret},
                      {"audience", std::string(kApi)},
                      {"resource", "https://other/"}}),
               OAuthErrorCode::kInvalidTarget, "different APIs");
  EXPECT_TRUE(token({{"grant_type", "client_credentials"},
                     {"client_id", c.id},
                     {"client_secret", c.secret},
                     {"resource", std::string(kApi)}})
                  .ok());
  auto denied = cc(ungranted);
  expect_error(denied, OAuthErrorCode::kAccessDenied,
               "signet grants create --client-id " + ungranted.id);
  EXPECT_EQ(http_status(denied.error().code), 403);
}

TEST_F(TokenEndpointTest, GrantTypeErrors) {
  const Client c = m2m();
  reload();
  expect_error(token({{"client_id", c.id}, {"client_secret", c.secret}}),
               OAuthErrorCode::kInvalidRequest, "grant_type is required");
  expect_error(
      token(
          {{"grant_type", "authorization_code"}, {"client_id", c.id}, {"client_secret", c.secret}}),
      OAuthErrorCode::kUnsupportedGrantType);
  expect_error(login(c, "x@example.com", "y"), OAuthErrorCode::kUnauthorizedClient,
               "Grant type 'password' not allowed for the client.");
}

// --- client authentication

TEST_F(TokenEndpointTest, ClientAuthenticationErrors) {
  const Client c = m2m();
  reload();
  auto wrong = cc(Client{c.id, "wrong"});
  expect_error(wrong, OAuthErrorCode::kInvalidClient, "Unknown client or wrong client secret.");
  EXPECT_FALSE(wrong.error().basic_challenge);
  EXPECT_EQ(http_status(wrong.error().code), 401);
  expect_error(cc(Client{"nobody", c.secret}), OAuthErrorCode::kInvalidClient);
  expect_error(token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}),
               OAuthErrorCode::kInvalidClient, "client authentication is required");
  expect_error(token({{"grant_type", "client_credentials"}, {"client_id", c.id}}),
               OAuthErrorCode::kInvalidClient, "client_secret is required");
}

TEST_F(TokenEndpointTest, BasicAuthenticationWorksForBasicClientsOnly) {
  Client basic = client({store::GrantType::kClientCredentials},
                        store::TokenEndpointAuthMethod::kClientSecretBasic);
  store::ClientGrant g{0, basic.id, std::string(kApi), {"read:messages"}, {}};
  ASSERT_TRUE(store_->create_client_grant(g).ok());
  const Client post = m2m();
  reload();
  const auto with_basic = [&](const Client& c, std::string secret) {
    return token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0,
                 "Basic " + base64(c.id + ":" + secret));
  };
  EXPECT_TRUE(with_basic(basic, basic.secret).ok());
  auto wrong = with_basic(basic, "nope");
  expect_error(wrong, OAuthErrorCode::kInvalidClient);
  EXPECT_TRUE(wrong.error().basic_challenge);
  auto mismatch = with_basic(post, post.secret);
  expect_error(mismatch, OAuthErrorCode::kInvalidClient, "client_secret_post");
  EXPECT_TRUE(mismatch.error().basic_challenge);
  expect_error(cc(basic), OAuthErrorCode::kInvalidClient, "client_secret_basic");
  expect_error(token({{"grant_type", "client_credentials"},
                      {"audience", std::string(kApi)},
                      {"client_secret", basic.secret}},
                     kT0, "Basic " + base64(basic.id + ":" + basic.secret)),
               OAuthErrorCode::kInvalidRequest, "exactly one client authentication method");
  for (const std::string& header :
       std::vector<std::string>{"Basic !!!!", "Basic " + base64("no-colon"), "Bearer abc",
                                "Basic " + base64(basic.id + ":%zz")}) {
    auto r =
        token({{"grant_type", "client_credentials"}, {"audience", std::string(kApi)}}, kT0, header);
    expect_error(r, OAuthErrorCode::kInvalidClient);
    EXPECT_TRUE(r.error().basic_challenge) << header;
  }
}

TEST_F(TokenEndpointTest, WrongSecretsThrottleTheClientFromThatAddressForTheBlockPeriod) {
  const Client c = m2m();
  reload();
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  auto third = cc(Client{c.id, "x"});
  expect_error(third, OAuthErrorCode::kTooManyAttempts);
  EXPECT_EQ(third.error().retry_after, seconds{60});
  // Even the right secret is refused until the block runs out, one second on each side.
  auto blocked = cc(c, "", kT0 + seconds{59});
  expect_error(blocked, OAuthErrorCode::kTooManyAttempts);
  EXPECT_EQ(blocked.error().retry_after, seconds{1});
  EXPECT_TRUE(cc(c, "", kT0 + seconds{60}).ok());
  // Another address was never blocked.
  EXPECT_TRUE(token({{"grant_type", "client_credentials"},
                     {"client_id", c.id},
                     {"client_secret", c.secret},
                     {"audience", std::string(kApi)}},
                    kT0 + seconds{1}, std::nullopt, "198.51.100.1")
                  .ok());
}

TEST_F(TokenEndpointTest, ASuccessResetsTheClientsFailureCount) {
  const Client c = m2m();
  reload();
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  EXPECT_TRUE(cc(c).ok());
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  expect_error(cc(Client{c.id, "x"}), OAuthErrorCode::kInvalidClient);
  EXPECT_TRUE(cc(c).ok());
}

TEST_F(TokenEndpointTest, AConfigurationChangeIsSeenAfterTheTenantReloads) {
  const Client c = client({store::GrantType::kClientCredentials});
  reload();
  expect_error(cc(c), OAuthErrorCode::kAccessDenied);
  store::ClientGrant g{0, c.id, std::string(kApi), {"read:messages"}, {}};
  ASSERT_TRUE(store_->create_client_grant(g).ok());
  auto changed = tenant_->refresh_if_changed(kT0);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_TRUE(cc(c).ok());
  EXPECT_FALSE(*tenant_->refresh_if_changed(kT0));
}

// --- password grant

TEST_F(TokenEndpointTest, PasswordGrantIntersectsRequestedScopesWithThePermissionsHeld) {
  const Client c = web();
  const std::string u = user({"read:messages"});
  reload();
  auto all = login(c, email_of(u), kPassword);
  EXPECT_EQ(str(claims(all), "scope"), "read:messages");
  EXPECT_EQ(str(claims(all), "sub"), u);
  EXPECT_EQ(str(claims(all), "gty"), "password");
  auto asked = login(c, email_of(u), kPassword, "read:messages write:messages");
  EXPECT_EQ(str(claims(asked), "scope"), "read:messages");
  auto none = login(c, email_of(u), kPassword, "write:messages");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->contains("scope"));
  EXPECT_FALSE(none->contains("refresh_token"));
  EXPECT_FALSE(none->contains("id_token"));
}

TEST_F(TokenEndpointTest, WrongPasswordAndUnknownUserGiveTheSameAnswer) {
  const Client c = web();
  const std::string u = user();
  reload();
  auto wrong = login(c, email_of(u), "wrong password");
  auto unknown = login(c, "nobody@example.com", kPassword);
  expect_error(wrong, OAuthErrorCode::kInvalidGrant, "Wrong email or password.");
  expect_error(unknown, OAuthErrorCode::kInvalidGrant, "Wrong email or password.");
  EXPECT_EQ(wrong.error().description, unknown.error().description);
  expect_error(token({{"grant_type", "password"},
                      {"client_id", c.id},
                      {"client_secret", c.secret},
                      {"audience", std::string(kApi)},
                      {"username", email_of(u)}}),
               OAuthErrorCode::kInvalidRequest, "password is required");
}

// A hostile username must get a clear 400, not a store error (500) from a counter subject the
// store refuses.
TEST_F(TokenEndpointTest, AnOverlongUsernameIsInvalidRequestNotAServerError) {
  const Client c = web();
  reload();
  expect_error(login(c, std::string(321, 'a'), kPassword), OAuthErrorCode::kInvalidRequest,
               "username is longer than 320 bytes");
  expect_error(login(c, std::string(320, 'a'), kPassword), OAuthErrorCode::kInvalidGrant,
               "Wrong email or password.");
}

TEST_F(TokenEndpointTest, OpenidAddsAnIdTokenAndTheUserinfoAudience) {
  const Client c = web();
  const std::string u = user();
  reload();
  auto r = login(c, email_of(u), kPassword, "openid email read:messages");
  const auto at = claims(r);
  ASSERT_TRUE(at.at("aud").is_array());
  EXPECT_EQ(at.at("aud").as_array().size(), 2u);
  EXPECT_EQ(at.at("aud").as_array()[1].as_string(), std::string(kIssuer) + "userinfo");
  const auto id = claims(r, "id_token");
  EXPECT_EQ(str(id, "aud"), c.id);
  EXPECT_EQ(str(id, "sub"), u);
  EXPECT_EQ(str(id, "email"), email_of(u));
  EXPECT_NE(str(id, "at_hash"), "<absent>");
}

TEST_F(TokenEndpointTest, UserLockoutBlocksEvenTheRightPasswordUntilItRunsOut) {
  const Client c = web();
  const std::string u = user();
  reload();
  expect_error(login(c, email_of(u), "bad"), OAuthErrorCode::kInvalidGrant);
  expect_error(login(c, email_of(u), "bad"), OAuthErrorCode::kInvalidGrant);
  auto third = login(c, email_of(u), "bad");
  expect_error(third, OAuthErrorCode::kTooManyAttempts, "signet users unblock");
  EXPECT_EQ(third.error().retry_after, seconds{60});
  expect_error(login(c, email_of(u), kPassword, "", kT0 + seconds{59}),
               OAuthErrorCode::kTooManyAttempts);
  EXPECT_TRUE(login(c, email_of(u), kPassword, "", kT0 + seconds{1}, "198.51.100.1").ok());
  EXPECT_TRUE(login(c, email_of(u), kPassword, "", kT0 + seconds{60}).ok());
}

TEST_F(TokenEndpointTest, UnblockingResetsTheCounters) {
  const Client c = web();
  const std::string u = user();
  reload();
  for (int i = 0; i < 3; ++i) {
    (void)login(c, email_of(u), "bad");
  }
  expect_error(login(c, email_of(u), kPassword), OAuthErrorCode::kTooManyAttempts);
  ASSERT_TRUE(store_->reset_all_failed_logins(store::FailedLoginSubject::kUser, u).ok());
  EXPECT_TRUE(login(c, email_of(u), kPassword).ok());
}

TEST_F(TokenEndpointTest, GuessingAtUnknownUsersIsThrottledToo) {
  const Client c = web();
  reload();
  (void)login(c, "ghost@example.com", "a");
  (void)login(c, "GHOST@example.com", "b");
  expect_error(login(c, "ghost@example.com", "c"), OAuthErrorCode::kTooManyAttempts);
}

TEST_F(TokenEndpointTest, ABlockedUserGetsNoToken) {
  const Client c = web();
  const std::string u = user();
  auto stored = store_->get_user(u).value();
  stored.blocked = true;
  ASSERT_TRUE(store_->update_user(stored).ok());
  reload();
  expect_error(login(c, email_of(u), kPassword), OAuthErrorCode::kInvalidGrant, "blocked");
}

// --- refresh tokens

TEST_F(TokenEndpointTest, OfflineAccessNeedsTheApiAndTheClientToAllowIt) {
  const Client with = web();
  const Client without = client({store::GrantType::kPassword});
  const std::string u = user();
  reload();
  auto r = login(with, email_of(u), kPassword, "offline_access read:messages");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->contains("refresh_token"));
  EXPECT_EQ(r->at("scope").as_string(), "offline_access read:messages");
  auto no = login(without, email_of(u), kPassword, "offline_access read:messages");
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(no->contains("refresh_token"));
  EXPECT_EQ(no->at("scope").as_string(), "read:messages");
  auto api = store_->get_api(kApi).value();
  api.allow_offline_access = false;
  ASSERT_TRUE(store_->update_api(api).ok());
  reload();
  auto off = login(with, email_of(u), kPassword, "offline_access read:messages");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->contains("refresh_token"));
}

class RefreshTest : public TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    c_ = web();
    u_ = user({"read:messages", "write:messages"});
    reload();
    auto r =
        login(c_, email_of(u_), kPassword, "openid offline_access read:messages write:messages");
    ASSERT_TRUE(r.ok());
    rt_ = std::string(r->at("refresh_token").as_string());
  }
  std::string next(const EndpointResult& r) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().description);
    return r.ok() ? std::string(r->at("refresh_token").as_string()) : std::string();
  }
  Client c_;
  std::string u_;
  std::string rt_;
};

TEST_F(RefreshTest, EveryUseRotatesAndKeepsTheScope) {
  auto r = refresh(c_, rt_, kT0 + seconds{5});
  const std::string rt2 = next(r);
  EXPECT_NE(rt2, rt_);
  EXPECT_EQ(str(claims(r), "scope"), "openid offline_access read:messages write:messages");
  EXPECT_EQ(str(claims(r), "gty"), "refresh_token");
  EXPECT_TRUE(r->contains("id_token"));
  EXPECT_TRUE(refresh(c_, rt2, kT0 + seconds{6}).ok());
}

TEST_F(RefreshTest, ScopeMayBeNarrowedNeverWidened) {
  auto narrow = refresh(c_, rt_, kT0, "read:messages");
  EXPECT_EQ(str(claims(narrow), "scope"), "read:messages");
  // The new refresh token keeps the original scope.
  auto again = refresh(c_, next(narrow), kT0, "write:messages");
  EXPECT_EQ(str(claims(again), "scope"), "write:messages");
  expect_error(refresh(c_, next(again), kT0, "read:messages admin"), OAuthErrorCode::kInvalidScope);
}

TEST_F(RefreshTest, ReuseWithinTheGraceGetsASiblingAndAfterItRevokesTheFamily) {
  const std::string rt2 = next(refresh(c_, rt_, kT0));
  // A concurrent request of the same client, 10 s later: still inside the grace period.
  const std::string sibling = next(refresh(c_, rt_, kT0 + seconds{10}));
  EXPECT_NE(sibling, rt2);
  // 11 s: reuse. Everything of the family dies, including the newest tokens.
  expect_error(refresh(c_, rt_, kT0 + seconds{11}), OAuthErrorCode::kInvalidGrant, "already used");
  EXPECT_EQ(endpoint_->counters().refresh_reuse_detected.load(), 1u);
  expect_error(refresh(c_, rt2, kT0 + seconds{12}), OAuthErrorCode::kInvalidGrant, "revoked");
  expect_error(refresh(c_, sibling, kT0 + seconds{12}), OAuthErrorCode::kInvalidGrant, "revoked");
}

// Rotation does not restart the clock: a family lives refresh_token_lifetime (1000 s here) from
// sign-in, whatever happens in between.
TEST_F(RefreshTest, TheFamilyExpiresAtItsAbsoluteLifetime) {
  const std::string rt2 = next(refresh(c_, rt_, kT0 + seconds{500}));
  const std::string rt3 = next(refresh(c_, rt2, kT0 + seconds{999}));
  expect_error(refresh(c_, rt3, kT0 + seconds{1000}), OAuthErrorCode::kInvalidGrant, "expired");
}

TEST_F(RefreshTest, AnotherClientOrAnUnknownTokenIsInvalidGrant) {
  const Client other = web();
  reload();
  expect_error(refresh(other, rt_), OAuthErrorCode::kInvalidGrant, "Unknown or invalid");
  expect_error(refresh(c_, "not-a-token"), OAuthErrorCode::kInvalidGrant, "Unknown or invalid");
  expect_error(refresh(c_, std::string(600, 'a')), OAuthErrorCode::kInvalidGrant);
  // The other client's attempt did not use the token up.
  EXPECT_TRUE(refresh(c_, rt_).ok());
}

TEST_F(RefreshTest, PermissionsRemovedSinceSignInAreDropped) {
  ASSERT_TRUE(store_->remove_user_permissions(u_, kApi, {"write:messages"}).ok());
  auto r = refresh(c_, rt_);
  EXPECT_EQ(str(claims(r), "scope"), "openid offline_access read:messages");
}

TEST_F(RefreshTest, ABlockedOrDeletedUserCannotRefresh) {
  auto stored = store_->get_user(u_).value();
  stored.blocked = true;
  ASSERT_TRUE(store_->update_user(stored).ok());
  expect_error(refresh(c_, rt_), OAuthErrorCode::kInvalidGrant, "blocked");
  ASSERT_TRUE(store_->delete_user(u_).ok());
  expect_error(refresh(c_, rt_), OAuthErrorCode::kInvalidGrant);
}

// --- revocation and introspection

TEST_F(RefreshTest, RevocationEndsTheFamilyAndAnswersOkForUnknownTokens) {
  const auto revoke = [&](const Client& c, const std::string& t) {
    return call(&TokenEndpoint::revoke,
                {{"client_id", c.id}, {"client_secret", c.secret}, {"token", t}});
  };
  const std::string rt2 = next(refresh(c_, rt_));
  EXPECT_TRUE(revoke(c_, "unknown").ok());
  const Client other = web();
  reload();
  expect_error(revoke(other, rt2), OAuthErrorCode::kUnauthorizedClient);
  auto ok = revoke(c_, rt2);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->empty());
  expect_error(refresh(c_, rt2), OAuthErrorCode::kInvalidGrant, "revoked");
  expect_error(call(&TokenEndpoint::revoke, {{"client_id", c_.id}, {"client_secret", c_.secret}}),
               OAuthErrorCode::kInvalidRequest, "token is required");
  expect_error(call(&TokenEndpoint::revoke, {{"token", rt2}}), OAuthErrorCode::kInvalidClient);
  auto access = login(c_, email_of(u_), kPassword);
  expect_error(revoke(c_, std::string(access->at("access_token").as_string())),
               OAuthErrorCode::kUnsupportedTokenType);
}

TEST_F(RefreshTest, IntrospectionDescribesLiveTokensOnly) {
  const auto inspect = [&](const Client& c, const std::string& t, store::Timestamp now) {
    return call(&TokenEndpoint::introspect,
                {{"client_id", c.id}, {"client_secret", c.secret}, {"token", t}}, now);
  };
  auto access = login(c_, email_of(u_), kPassword, "read:messages");
  const std::string at(access->at("access_token").as_string());
  auto live = inspect(c_, at, kT0 + seconds{86'399});
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->at("active").as_bool(), true);
  EXPECT_EQ(live->at("scope").as_string(), "read:messages");
  EXPECT_EQ(live->at("client_id").as_string(), c_.id);
  EXPECT_EQ(live->at("sub").as_string(), u_);
  EXPECT_EQ(inspect(c_, at, kT0 + seconds{86'400})->at("active").as_bool(), false);
  EXPECT_EQ(inspect(c_, "garbage", kT0)->at("active").as_bool(), false);
  // An ID token is ours and verifies, but it is not an access token.
  auto with_id = login(c_, email_of(u_), kPassword, "openid read:messages");
  EXPECT_EQ(
      inspect(c_, std::string(with_id->at("id_token").as_string()), kT0)->at("active").as_bool(),
      false);
  EXPECT_EQ(inspect(c_, at.substr(0, at.size() - 2) + "AA", kT0)->at("active").as_bool(), false);

  auto rt_info = inspect(c_, rt_, kT0);
  EXPECT_EQ(rt_info->at("active").as_bool(), true);
  EXPECT_EQ(rt_info->at("token_type").as_string(), "refresh_token");
  const Client other = web();
  reload();
  EXPECT_EQ(inspect(other, rt_, kT0)->at("active").as_bool(), false);
  (void)refresh(c_, rt_);
  EXPECT_EQ(inspect(c_, rt_, kT0)->at("active").as_bool(), false);
  expect_error(call(&TokenEndpoint::introspect, {{"token", rt_}}), OAuthErrorCode::kInvalidClient);
}

}  // namespace
}  // namespace signet::server
