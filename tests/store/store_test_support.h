#pragma once

// Shared pieces of the store tests: a store on a fresh database of each backend, and small
// builders for valid records that each test then bends to its case.

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/postgres_store.h"
#include "signet/store/sqlite_db.h"
#include "signet/store/sqlite_store.h"
#include "signet/store/store.h"
#include "tests/test_common/postgres_test_server.h"
#include "tests/test_common/temp_dir.h"

namespace signet::store {

// Failing expectations name the code ("not found"), not its number.
inline void PrintTo(StoreErrorCode code, std::ostream* os) {
  *os << to_string(code);
}

}  // namespace signet::store

namespace signet::store::testing {

// 2023-11-14T22:13:20Z, as in test_common/fake_clock.h.
inline const Timestamp kNow{std::chrono::seconds{1'700'000'000}};

using signet::testing::TempDir;

// A DPoP key's thumbprint (RFC 7638 §3.1's example), and another: what bound tokens carry.
inline const std::string kJkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
inline const std::string kOtherJkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

inline Api make_api(std::string identifier = "https://api.example.com/") {
  Api api;
  api.identifier = std::move(identifier);
  api.name = "Messages";
  api.permissions = {{"read:messages", "Read messages"}, {"write:messages", "Write messages"}};
  api.created_at = kNow;
  return api;
}

inline Application make_app(std::string client_id = "client-1") {
  Application app;
  app.client_id = std::move(client_id);
  app.name = "Backend";
  app.type = ApplicationType::kM2m;
  app.grant_types = {GrantType::kClientCredentials};
  app.token_endpoint_auth_method = TokenEndpointAuthMethod::kClientSecretPost;
  app.client_secret_hash = std::string("\x00\x01hash\xff", 7);  // binary on purpose
  app.created_at = kNow;
  return app;
}

inline User make_user(std::string id = "auth0|1", std::string email = "alice@example.com") {
  User u;
  u.id = std::move(id);
  u.email = std::move(email);
  u.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
  u.created_at = kNow;
  return u;
}

inline SigningKey make_key(std::string kid, SigningKeyState state,
                           jose::Algorithm alg = jose::Algorithm::kES256) {
  SigningKey k;
  k.kid = std::move(kid);
  k.algorithm = alg;
  k.state = state;
  k.encrypted_private_key = std::string("\x00sealed\x01", 8);
  k.public_jwk = R"({"kty":"EC","crv":"P-256","x":"...","y":"...","kid":")" + k.kid + R"("})";
  k.created_at = kNow;
  return k;
}

inline RefreshToken make_refresh(std::string id, std::string family = "fam-1") {
  RefreshToken t;
  t.id = id;
  t.token_hash = "hash-of-" + id;
  t.family_id = std::move(family);
  t.client_id = "client-1";
  t.user_id = "auth0|1";
  t.audience = "https://api.example.com/";
  t.scopes = {"read:messages", "offline_access"};
  t.created_at = kNow;
  t.expires_at = kNow + std::chrono::hours{24 * 30};
  return t;
}

// Runs fixed SQL on the PostgreSQL database of `url` through a connection of its own, outside any
// store: set-up that would take one store call per row, or that no store call makes.
inline void exec_postgres(const std::string& url, std::string_view sql) {
  auto db = postgres::open({.url = url});
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto lease = (*db)->acquire();
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  auto r = (*lease)->exec(sql);
  ASSERT_TRUE(r.ok()) << r.error().message;
}

// The databases the store runs on; every contract test runs on each (TEST_P with
// SIGNET_ON_EVERY_BACKEND).
enum class Backend { kSqlite, kPostgres };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// A tenant as signet wrote it at schema version 7 (before DPoP), in `backend`'s SQL: an API, an
// application, a user, a refresh token and an authorization code. The migration tests upgrade it
// and read it back through the store.
inline std::string version7_tenant(Backend backend) {
  // A blob literal: SQLite's STRICT tables take no text for a BLOB, PostgreSQL spells bytea so.
  const auto blob = [&](std::string_view hex) {
    return backend == Backend::kSqlite ? "X'" + std::string{hex} + "'"
                                       : "'\\x" + std::string{hex} + "'::bytea";
  };
  return "INSERT INTO apis (identifier, name, signing_algorithm, token_lifetime, "
         "allow_offline_access, token_profile, created_at, permissions_claim, revision) "
         "VALUES ('https://api.example.com/', 'A', 'ES256', 3600, 1, 'rfc9068', 1800000000, 1, 1);"
         "INSERT INTO applications (client_id, name, app_type, grant_types, "
         "token_endpoint_auth_method, client_secret_hash, created_at, revision, auth_method, "
         "callbacks) VALUES ('spa-1', 'S', 'spa', 'authorization_code refresh_token', 'none', " +
         blob("") +
         ", 1800000000, 2, 'none', 'https://app.example.com/callback');"
         "INSERT INTO users (id, email, password_hash, blocked, created_at, revision) "
         "VALUES ('auth0|1', 'a@example.com', '$argon2id$x', 0, 1800000000, 3);"
         "INSERT INTO refresh_tokens (id, token_hash, family_id, client_id, user_id, audience, "
         "scopes, created_at, expires_at, rotated_at, revoked) VALUES ('rt1', " +
         blob("6831") +
         ", 'f', 'spa-1', 'auth0|1', 'https://api.example.com/', 'offline_access', "
         "1800000000, 1800086400, NULL, 0);"
         "INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, "
         "code_challenge, audience, scopes, nonce, refresh_family_id, auth_time, created_at, "
         "expires_at) VALUES (" +
         blob("6331") +
         ", 'spa-1', 'auth0|1', 'https://app.example.com/callback', '', "
         "'https://api.example.com/', 'openid', '', 'f2', 1800000000, 1800000000, 1800000060);"
         "UPDATE meta SET value = 3 WHERE key = 'revision'";
}

// What version 8 (DPoP) adds to kVersion7Tenant: every setting off, nothing bound, and every other
// field as it was; and the new settings can then be turned on and bindings written.
inline void expect_version7_tenant_upgraded(Store& store) {
  auto api = store.get_api("https://api.example.com/");
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_FALSE(api->require_dpop);
  EXPECT_EQ(api->signing_algorithm, jose::Algorithm::kES256);
  EXPECT_EQ(api->token_lifetime, std::chrono::seconds{3600});
  EXPECT_TRUE(api->permissions_claim);
  auto app = store.get_application("spa-1");
  ASSERT_TRUE(app.ok()) << app.error().message;
  EXPECT_FALSE(app->dpop_bound_access_tokens);
  EXPECT_EQ(app->token_endpoint_auth_method, TokenEndpointAuthMethod::kNone);
  EXPECT_EQ(app->callbacks, std::vector<std::string>{"https://app.example.com/callback"});
  auto token = store.find_refresh_token("h1");
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->jkt, "");
  EXPECT_EQ(token->scopes, std::vector<std::string>{"offline_access"});
  auto code = store.redeem_authorization_code("c1", Timestamp{std::chrono::seconds{1800000001}});
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(code->dpop_jkt, "");
  EXPECT_EQ(code->refresh_family_id, "f2");

  api->require_dpop = true;
  auto updated_api = store.update_api(*api, api->revision);
  ASSERT_TRUE(updated_api.ok()) << updated_api.error().message;
  EXPECT_TRUE(updated_api->require_dpop);
  EXPECT_GT(updated_api->revision, 3u);  // after every revision the old rows had
  app->dpop_bound_access_tokens = true;
  auto updated_app = store.update_application(*app, app->revision);
  ASSERT_TRUE(updated_app.ok()) << updated_app.error().message;
  EXPECT_TRUE(updated_app->dpop_bound_access_tokens);
  // The pre-DPoP token may be rotated into a bound one.
  RefreshToken successor = *token;
  successor.id = "rt2";
  successor.token_hash = "h2";
  successor.jkt = kJkt;
  ASSERT_TRUE(store
                  .rotate_refresh_token("rt1", successor, "",
                                        PreciseTimestamp{std::chrono::seconds{1800000002}})
                  .ok());
  EXPECT_EQ(store.find_refresh_token("h2")->jkt, kJkt);
}

// Each test gets its own database: a file in its own directory, or a new PostgreSQL database on
// the test server (test_common/postgres_test_server.h), migrated as `signet migrate` would.
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      database_.emplace();
    }
    store_ = open_another();
    ASSERT_NE(store_, nullptr);
  }

  // Another store on the same database, as another process (the admin CLI, another replica)
  // opens it.
  std::unique_ptr<SqlStore> open_another() {
    auto opened = GetParam() == Backend::kSqlite
                      ? SqliteStore::open(dir_.file("signet.db"))
                      : PostgresStore::open({{.url = database_->url()}, /*migrate=*/true});
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // An API, an application and a user that refresh tokens and grants can refer to.
  void seed() {
    ASSERT_TRUE(store_->create_api(make_api()).ok());
    ASSERT_TRUE(store_->create_application(make_app()).ok());
    ASSERT_TRUE(store_->create_user(make_user()).ok());
  }

  // Runs fixed SQL, in the backend's dialect, through a connection of its own outside the store:
  // bulk set-up that would take one store call per row.
  void exec_sql(std::string_view sqlite, std::string_view postgres) {
    if (GetParam() == Backend::kSqlite) {
      auto db = sqlite::Connection::open(dir_.file("signet.db"));
      ASSERT_TRUE(db.ok()) << db.error().message;
      auto r = (*db)->exec(sqlite);
      ASSERT_TRUE(r.ok()) << r.error().message;
    } else {
      exec_postgres(database_->url(), postgres);
    }
  }

  TempDir dir_;
  std::optional<signet::testing::TestDatabase> database_;
  std::unique_ptr<SqlStore> store_;
};

#define SIGNET_ON_EVERY_BACKEND(suite)      \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, \
                           ::testing::Values(Backend::kSqlite, Backend::kPostgres), backend_name)

// Tests of what only the SQLite file has (its mode, its pragmas, another process on the file).
class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::open(path());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }

  std::string path() const { return dir_.file("signet.db"); }

  void seed() {
    ASSERT_TRUE(store_->create_api(make_api()).ok());
    ASSERT_TRUE(store_->create_application(make_app()).ok());
    ASSERT_TRUE(store_->create_user(make_user()).ok());
  }

  TempDir dir_;
  std::unique_ptr<SqlStore> store_;
};

}  // namespace signet::store::testing
