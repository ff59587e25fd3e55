#include "signet/store/schema.h"

#include <sqlite3.h>

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/sqlite_db.h"
#include "signet/store/sqlite_store.h"
#include "tests/store/store_test_support.h"

namespace signet::store::testing {
namespace {

// Runs SQL on the file through a connection of its own, as the sqlite3 shell would.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << text;
}

int raw_user_version(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const int v = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return v;
}

std::unique_ptr<sqlite::Connection> connect(const std::string& path) {
  raw_exec(path, "");  // creates the file
  auto db = sqlite::Connection::open(path);
  EXPECT_TRUE(db.ok());
  return std::move(db).value();
}

TEST(SqliteSchemaTest, MigrationsAreNumberedFromOneWithoutGaps) {
  const auto list = schema::migrations();
  ASSERT_FALSE(list.empty());
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(list[i].description.empty());
  }
}

TEST(SqliteSchemaTest, AFreshDatabaseGetsTheLatestVersion) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  ASSERT_TRUE(SqliteStore::open(path).ok());
  EXPECT_EQ(raw_user_version(path), schema::migrations().back().version);
}

TEST(SqliteSchemaTest, ReopeningIsIdempotentAndKeepsData) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  {
    auto store = SqliteStore::open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->create_api(make_api()).ok());
  }
  for (int i = 0; i < 3; ++i) {
    auto store = SqliteStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ((*store)->list_apis()->size(), 1u);
  }
  EXPECT_EQ(raw_user_version(path), schema::migrations().back().version);
}

// A version-1 database (signet before the permissions claim) opens, keeps its APIs, and they
// have the claim off.
TEST(SqliteSchemaTest, AVersionOneDatabaseIsUpgradedInPlace) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  {
    auto db = connect(path);
    ASSERT_TRUE(schema::migrate(*db, schema::migrations().first(1)).ok());
  }
  raw_exec(path,
           "INSERT INTO apis (identifier, name, signing_algorithm, token_lifetime, "
           "allow_offline_access, token_profile, created_at) "
           "VALUES ('https://old/', 'Old', 'RS256', 86400, 0, 'auth0', 1800000000)");
  EXPECT_EQ(raw_user_version(path), 1);
  auto store = SqliteStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(raw_user_version(path), schema::migrations().back().version);
  auto api = (*store)->get_api("https://old/");
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_FALSE(api->permissions_claim);
  api->permissions_claim = true;
  ASSERT_TRUE((*store)->update_api(*api).ok());
  EXPECT_TRUE((*store)->get_api("https://old/")->permissions_claim);
}

// A version-2 database's refresh tokens keep working: rotation times in seconds become
// milliseconds, and tokens rotated before the upgrade have no sealed successor (a retry of one is
// then treated as reuse, never answered with a new token).
TEST(SqliteSchemaTest, AVersionTwoDatabaseKeepsItsRefreshTokens) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  {
    auto db = connect(path);
    ASSERT_TRUE(schema::migrate(*db, schema::migrations().first(2)).ok());
  }
  raw_exec(path,
           "INSERT INTO apis (identifier, name, signing_algorithm, token_lifetime, "
           "allow_offline_access, token_profile, created_at) "
           "VALUES ('https://api.example.com/', 'A', 'RS256', 86400, 1, 'auth0', 1800000000);"
           "INSERT INTO applications (client_id, name, app_type, grant_types, "
           "token_endpoint_auth_method, client_secret_hash, created_at) VALUES ('client-1', 'C', "
           "'regular_web', 'password refresh_token', 'client_secret_post', X'00', 1800000000);"
           "INSERT INTO users (id, email, password_hash, blocked, created_at) "
           "VALUES ('auth0|1', 'a@example.com', '$argon2id$x', 0, 1800000000);"
           "INSERT INTO refresh_tokens (id, token_hash, family_id, client_id, user_id, audience, "
           "scopes, created_at, expires_at, rotated_at, revoked) VALUES "
           "('old', X'01', 'f', 'client-1', 'auth0|1', 'https://api.example.com/', 'a', "
           "1800000000, 1800086400, 1800000005, 0), "
           "('new', X'02', 'f', 'client-1', 'auth0|1', 'https://api.example.com/', 'a', "
           "1800000005, 1800086400, NULL, 0)");
  auto store = SqliteStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto rotated = (*store)->find_refresh_token(std::string("\x01", 1));
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_EQ(rotated->rotated_at, PreciseTimestamp{std::chrono::milliseconds{1'800'000'005'000}});
  EXPECT_TRUE(rotated->successor_sealed.empty());
  auto live = (*store)->find_refresh_token(std::string("\x02", 1));
  ASSERT_TRUE(live.ok());
  EXPECT_FALSE(live->rotated_at);
}

// A version-4 database's records get revisions: distinct, from the one counter, so that the
// first write after the upgrade comes after them all and no two records share one.
TEST(SqliteSchemaTest, AVersionFourDatabaseGivesEveryRecordItsOwnRevision) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  {
    auto db = connect(path);
    ASSERT_TRUE(schema::migrate(*db, schema::migrations().first(4)).ok());
  }
  raw_exec(path,
           "INSERT INTO apis (identifier, name, signing_algorithm, token_lifetime, "
           "allow_offline_access, token_profile, created_at) VALUES "
           "('urn:a', 'A', 'RS256', 86400, 0, 'auth0', 1800000000), "
           "('urn:b', 'B', 'RS256', 86400, 0, 'auth0', 1700000000);"
           "INSERT INTO api_permissions (api, value, description, position) "
           "VALUES ('urn:a', 'read', '', 0);"
           "INSERT INTO applications (client_id, name, app_type, grant_types, "
           "token_endpoint_auth_method, client_secret_hash, created_at) VALUES "
           "('client-1', 'C', 'm2m', 'client_credentials', 'client_secret_post', X'00', 1), "
           "('client-2', 'D', 'm2m', 'client_credentials', 'client_secret_post', X'00', 1);"
           "INSERT INTO client_grants (client_id, audience, created_at) VALUES "
           "('client-1', 'urn:a', 1), ('client-2', 'urn:a', 1), ('client-2', 'urn:b', 1);"
           "INSERT INTO client_grant_scopes (grant_id, api, scope, position) "
           "VALUES (1, 'urn:a', 'read', 0);"
           "INSERT INTO users (id, email, password_hash, blocked, created_at) VALUES "
           "('auth0|1', 'a@example.com', '$argon2id$x', 0, 1), "
           "('auth0|2', 'b@example.com', '$argon2id$x', 1, 1)");
  auto store = SqliteStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(raw_user_version(path), schema::migrations().back().version);

  // Each list held in a variable: a range-for over a temporary Result's value would dangle.
  std::set<Revision> revisions;
  const auto apis = (*store)->list_apis();
  const auto apps = (*store)->list_applications();
  const auto grants = (*store)->list_client_grants(std::nullopt);
  const auto users = (*store)->list_users();
  ASSERT_TRUE(apis.ok() && apps.ok() && grants.ok() && users.ok());
  for (const Api& api : *apis) {
    revisions.insert(api.revision);
  }
  for (const Application& app : *apps) {
    revisions.insert(app.revision);
  }
  for (const ClientGrant& grant : *grants) {
    revisions.insert(grant.revision);
  }
  for (const User& user : *users) {
    revisions.insert(user.revision);
  }
  EXPECT_EQ(revisions, (std::set<Revision>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // In creation order within a table, whatever created_at says.
  EXPECT_LT((*store)->get_api("urn:a")->revision, (*store)->get_api("urn:b")->revision);
  EXPECT_EQ((*store)->get_client_grant(1)->scopes, std::vector<std::string>{"read"});

  auto next = (*store)->create_user(make_user("auth0|3", "c@example.com"));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->revision, 10u);
  // The old records take part in if_revision like new ones.
  const User old = *(*store)->get_user("auth0|1");
  User edit = old;
  edit.blocked = true;
  EXPECT_EQ((*store)->update_user(edit, old.revision + 1).error().code, StoreErrorCode::kStale);
  EXPECT_TRUE((*store)->update_user(edit, old.revision).ok());
}

// An empty version-4 database starts its counter at zero, and the first record gets revision 1.
TEST(SqliteSchemaTest, AnEmptyVersionFourDatabaseStartsTheRevisionCounter) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  {
    auto db = connect(path);
    ASSERT_TRUE(schema::migrate(*db, schema::migrations().first(4)).ok());
  }
  auto store = SqliteStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto api = (*store)->create_api(make_api());
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(api->revision, 1u);
}

// A version-5 database's clients keep working: the old default (client_secret_post, which a
// pinned client_secret_post was stored as too) becomes the new default that also accepts HTTP
// Basic; a pinned client_secret_basic and a public client keep their method; nobody gains URLs.
TEST(SqliteSchemaTest, AVersionFiveDatabaseMovesItsClientsToTheNewAuthMethods) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  {
    auto db = connect(path);
    ASSERT_TRUE(schema::migrate(*db, schema::migrations().first(5)).ok());
  }
  raw_exec(path,
           "INSERT INTO applications (client_id, name, app_type, grant_types, "
           "token_endpoint_auth_method, client_secret_hash, created_at, revision) VALUES "
           "('post', 'P', 'm2m', 'client_credentials', 'client_secret_post', X'00', 1, 1), "
           "('basic', 'B', 'regular_web', 'password refresh_token', 'client_secret_basic', X'01', "
           "1, 2), "
           "('public', 'S', 'spa', 'password refresh_token', 'none', X'', 1, 3);"
           "UPDATE meta SET value = 3 WHERE key = 'revision'");
  auto store = SqliteStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(raw_user_version(path), schema::latest_version());

  const std::pair<std::string, TokenEndpointAuthMethod> expected[] = {
      {"post", TokenEndpointAuthMethod::kClientSecretBasicOrPost},
      {"basic", TokenEndpointAuthMethod::kClientSecretBasic},
      {"public", TokenEndpointAuthMethod::kNone},
  };
  for (const auto& [client_id, method] : expected) {
    auto app = (*store)->get_application(client_id);
    ASSERT_TRUE(app.ok()) << client_id << ": " << app.error().message;
    EXPECT_EQ(app->token_endpoint_auth_method, method) << client_id;
    EXPECT_TRUE(app->callbacks.empty()) << client_id;
    EXPECT_TRUE(app->allowed_logout_urls.empty()) << client_id;
    EXPECT_TRUE(app->web_origins.empty()) << client_id;
    EXPECT_TRUE(app->jwks.empty() && app->jwks_uri.empty()) << client_id;
  }
  // The migrated clients are written back like new ones, with the methods the old column lacks.
  auto migrated = (*store)->get_application("post");
  ASSERT_TRUE(migrated.ok());
  Application edit = *migrated;
  edit.callbacks = {"https://app.example.com/callback"};
  auto updated = (*store)->update_application(edit, migrated->revision);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->callbacks, edit.callbacks);
  EXPECT_EQ(updated->token_endpoint_auth_method, TokenEndpointAuthMethod::kClientSecretBasicOrPost);
}

// A version-7 database (before DPoP) keeps its records, with DPoP off and nothing bound.
TEST(SqliteSchemaTest, AVersionSevenDatabaseGainsDpopSettingsOffAndUnboundTokens) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  {
    auto db = connect(path);
    ASSERT_TRUE(schema::migrate(*db, schema::migrations().first(7)).ok());
  }
  raw_exec(path, version7_tenant(Backend::kSqlite));
  EXPECT_EQ(raw_user_version(path), 7);
  auto store = SqliteStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(raw_user_version(path), schema::latest_version());
  expect_version7_tenant_upgraded(**store);
}

// A newer signet's database may hold tables or values this version would misread or damage.
TEST(SqliteSchemaTest, ADatabaseFromANewerSignetIsRefused) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  ASSERT_TRUE(SqliteStore::open(path).ok());
  const int future = schema::migrations().back().version + 1;
  raw_exec(path, "PRAGMA user_version = " + std::to_string(future));
  auto store = SqliteStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, StoreErrorCode::kSchemaTooNew);
  EXPECT_NE(store.error().message.find(std::to_string(future)), std::string::npos)
      << store.error().message;
  EXPECT_EQ(raw_user_version(path), future);  // untouched
}

TEST(SqliteSchemaTest, MigrationsApplyInOrderAndOnlyOnce) {
  TempDir dir;
  auto db = connect(dir.file("m.db"));
  const schema::Migration first[] = {
      {1, "create t", "CREATE TABLE t (x INTEGER) STRICT; INSERT INTO t VALUES (1);", {}},
  };
  auto v1 = schema::migrate(*db, first);
  ASSERT_TRUE(v1.ok()) << v1.error().message;
  EXPECT_EQ(*v1, 1);
  const schema::Migration both[] = {
      first[0],
      {2, "add y", "ALTER TABLE t ADD COLUMN y TEXT; INSERT INTO t VALUES (2, 'b');", {}},
  };
  auto v2 = schema::migrate(*db, both);
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  EXPECT_EQ(*v2, 2);
  auto again = schema::migrate(*db, both);
  ASSERT_TRUE(again.ok());
  auto count = db->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->step());
  EXPECT_EQ(count->column_integer(0), 2);  // each migration's insert ran once
}

// A migration that fails halfway leaves the database at the previous whole version.
TEST(SqliteSchemaTest, AFailingMigrationRollsBackEntirely) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  auto db = connect(path);
  const schema::Migration list[] = {
      {1, "create t", "CREATE TABLE t (x INTEGER) STRICT;", {}},
      {2, "half good", "CREATE TABLE u (y INTEGER); INSERT INTO nowhere VALUES (1);", {}},
  };
  auto r = schema::migrate(*db, list);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("migration 2 (half good)"), std::string::npos)
      << r.error().message;
  auto version = schema::schema_version(*db);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 1);
  auto u = db->prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'u'");
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE(*u->step());
  EXPECT_EQ(u->column_integer(0), 0);
}

TEST(SqliteSchemaTest, TheSchemaIsTheSecondLineOfDefence) {
  TempDir dir;
  const std::string path = dir.file("signet.db");
  ASSERT_TRUE(SqliteStore::open(path).ok());
  // What validate.h refuses, the CHECK constraints refuse too, for hand edits with the shell.
  const std::string insert =
      "INSERT INTO apis (identifier, name, signing_algorithm, token_lifetime, "
      "allow_offline_access, token_profile, created_at) VALUES ";

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, (insert + "('a', 'n', 'HS256', 60, 0, 'auth0', 0)").c_str(), nullptr,
                         nullptr, nullptr),
            SQLITE_CONSTRAINT);
  EXPECT_EQ(sqlite3_exec(db, (insert + "('a', 'n', 'RS256', 2592001, 0, 'auth0', 0)").c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_CONSTRAINT);
  EXPECT_EQ(sqlite3_exec(db, (insert + "('a', 'n', 'RS256', 'soon', 0, 'auth0', 0)").c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_CONSTRAINT);  // STRICT: no silent type conversion
  sqlite3_close(db);
}

TEST(SqliteSchemaTest, ErrorCodesMapFromSqlite) {
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_CONSTRAINT_UNIQUE, "x").code,
            StoreErrorCode::kConflict);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_CONSTRAINT_PRIMARYKEY, "x").code,
            StoreErrorCode::kConflict);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_CONSTRAINT_FOREIGNKEY, "x").code,
            StoreErrorCode::kInvalid);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_CONSTRAINT_CHECK, "x").code,
            StoreErrorCode::kInvalid);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_BUSY, "x").code, StoreErrorCode::kBusy);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_BUSY_SNAPSHOT, "x").code, StoreErrorCode::kBusy);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_CORRUPT, "x").code, StoreErrorCode::kCorrupt);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_NOTADB, "x").code, StoreErrorCode::kCorrupt);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_IOERR_FSYNC, "x").code, StoreErrorCode::kIo);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_FULL, "x").code, StoreErrorCode::kIo);
  EXPECT_EQ(sqlite::error_from(nullptr, SQLITE_MISUSE, "x").code, StoreErrorCode::kInternal);
}

}  // namespace
}  // namespace signet::store::testing
