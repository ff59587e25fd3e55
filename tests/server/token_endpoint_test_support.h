#pragma once

// The token endpoint's test fixture: a tenant in a temporary SQLite file with signing keys made
// once per suite, clients and users made per test, and calls through TokenEndpoint as the HTTP
// layer makes them. Every test checks one second on each side of the time boundaries it touches.

#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/dpop.h"
#include "signet/jose/json.h"
#include "signet/jose/jws.h"
#include "signet/keys/key_manager.h"
#include "signet/server/own_tokens.h"
#include "signet/server/token_endpoint.h"
#include "signet/store/sqlite_store.h"
#include "tests/store/store_test_support.h"

namespace signet::server::testing {

using std::chrono::seconds;
using store::testing::TempDir;
namespace json = boost::json;

inline constexpr store::Timestamp kT0{seconds{1'800'000'000}};
inline constexpr std::string_view kIssuer = "http://localhost:4000/";
inline constexpr std::string_view kApi = "https://quickstarts/api";
inline constexpr std::string_view kPassword = "correct horse battery";
inline constexpr std::string_view kPeer = "192.0.2.7";

// Base64 (standard alphabet, padded) for HTTP Basic headers.
inline std::string base64(std::string_view in) {
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

inline keys::MasterKey fixed_master_key() {
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
    endpoint_ = std::make_unique<TokenEndpoint>(config_, *tenant_, *store_, *secrets_, *passwords_,
                                                client_keys_);
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
                      store::PreciseTimestamp now = kT0,
                      std::optional<std::string> authorization = std::nullopt,
                      std::string_view peer = kPeer) {
    Params p;
    for (const auto& [k, v] : params) {
      p.add(k, v);
    }
    EndpointRequest req{&p, std::nullopt, peer, now, user_agent_, nullptr};
    if (authorization) {
      req.authorization = *authorization;
    }
    const std::vector<std::string_view> proofs(dpop_.begin(), dpop_.end());
    req.dpop = proofs;
    return (endpoint_.get()->*method)(req);
  }

  EndpointResult token(std::initializer_list<std::pair<std::string, std::string>> params,
                       store::PreciseTimestamp now = kT0,
                       std::optional<std::string> authorization = std::nullopt,
                       std::string_view peer = kPeer) {
    return call(&TokenEndpoint::token, params, now, std::move(authorization), peer);
  }

  EndpointResult cc(const Client& c, std::string scope = "", store::PreciseTimestamp now = kT0) {
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
                       std::string scope = "", store::PreciseTimestamp now = kT0,
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
                         store::PreciseTimestamp now = kT0, std::string scope = "") {
    return token({{"grant_type", "refresh_token"},
                  {"client_id", c.id},
                  {"client_secret", c.secret},
                  {"refresh_token", refresh_token},
                  {"scope", scope}},
                 now);
  }

  // A DPoP proof (RFC 9449) for POST to this endpoint's token URL, signed by `key` at `iat`.
  static std::string dpop_proof(const jose::Jwk& key, store::PreciseTimestamp iat = kT0,
                                std::optional<std::string_view> nonce = std::nullopt,
                                std::string_view url = "http://localhost:4000/oauth/token") {
    auto made = jose::dpop::make_proof(
        key, jose::dpop::ProofRequest{
                 .method = "POST",
                 .url = url,
                 .access_token = std::nullopt,
                 .nonce = nonce,
                 .now = std::chrono::floor<seconds>(iat).time_since_epoch().count()});
    EXPECT_TRUE(made.ok());
    return made.ok() ? *made : std::string();
  }

  // The cnf.jkt of a token response's access token, or "<absent>".
  std::string bound_to(const EndpointResult& r) {
    const json::object c = claims(r);
    const auto* cnf = c.if_contains("cnf");
    return cnf != nullptr && cnf->is_object() ? str(cnf->as_object(), "jkt")
                                              : std::string("<absent>");
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
  std::unique_ptr<store::SqlStore> store_;
  std::unique_ptr<keys::KeyManager> keys_;
  std::unique_ptr<SecretHasher> secrets_;
  std::unique_ptr<PasswordHasher> passwords_;
  std::unique_ptr<Tenant> tenant_;
  EndpointConfig config_;
  ClientKeysOptions client_keys_;  // where private_key_jwt clients' jwks_uri keys come from
  std::unique_ptr<TokenEndpoint> endpoint_;
  int clients_ = 0;
  int users_ = 0;
  std::string user_agent_ = "signet-tests/1.0";
  std::vector<std::string> dpop_;  // the DPoP header values every call sends; none by default
};

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

}  // namespace signet::server::testing
