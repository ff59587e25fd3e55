// Opening a PostgreSQL database: migrated only when asked, refused at any other version than
// this signet's, and migrations that run twice or at once from several processes harmless.

#include "signet/store/postgres_store.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/postgres_db.h"
#include "signet/store/schema.h"
#include "tests/store/store_test_support.h"
#include "tests/test_common/postgres_test_server.h"

namespace signet::store::testing {
namespace {

TEST(PostgresStoreTest, ANewDatabaseIsRefusedUntilMigratedAndSaysHow) {
  signet::testing::TestDatabase database;
  auto refused = PostgresStore::open({{.url = database.url()}, /*migrate=*/false});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, StoreErrorCode::kSchemaTooOld);
  EXPECT_NE(refused.error().message.find("signet migrate"), std::string::npos)
      << refused.error().message;

  auto version = PostgresStore::migrate({.url = database.url()});
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, schema::latest_version());
  auto opened = PostgresStore::open({{.url = database.url()}, /*migrate=*/false});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_TRUE((*opened)->create_api(make_api()).ok());
}

TEST(PostgresStoreTest, MigratingAgainChangesNothing) {
  signet::testing::TestDatabase database;
  ASSERT_TRUE(PostgresStore::migrate({.url = database.url()}).ok());
  {
    auto store = PostgresStore::open({{.url = database.url()}, false});
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->create_api(make_api()).ok());
  }
  auto again = PostgresStore::migrate({.url = database.url()});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, schema::latest_version());
  auto store = PostgresStore::open({{.url = database.url()}, false});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->list_apis()->size(), 1u);
}

TEST(PostgresStoreTest, SeveralProcessesMigratingAtOnceEachSucceed) {
  signet::testing::TestDatabase database;
  constexpr int kMigrators = 4;
  std::vector<StoreResult<int>> results(kMigrators,
                                        fail(StoreError{StoreErrorCode::kInternal, ""}));
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] { results[i] = PostgresStore::migrate({.url = database.url()}); });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, schema::latest_version());
  }
}

// A version-7 database (before DPoP) keeps its records, with DPoP off and nothing bound.
TEST(PostgresStoreTest, AVersionSevenDatabaseGainsDpopSettingsOffAndUnboundTokens) {
  signet::testing::TestDatabase database;
  {
    auto db = postgres::open({.url = database.url()});
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto lease = (*db)->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    auto version = schema::migrate(**lease, schema::migrations().first(7));
    ASSERT_TRUE(version.ok()) << version.error().message;
    ASSERT_EQ(*version, 7);
  }
  exec_postgres(database.url(), version7_tenant(Backend::kPostgres));
  auto store = PostgresStore::open({{.url = database.url()}, /*migrate=*/true});
  ASSERT_TRUE(store.ok()) << store.error().message;
  expect_version7_tenant_upgraded(**store);
}

TEST(PostgresStoreTest, ADatabaseFromANewerSignetIsRefusedEvenWithMigrate) {
  signet::testing::TestDatabase database;
  ASSERT_TRUE(PostgresStore::migrate({.url = database.url()}).ok());
  exec_postgres(database.url(), "UPDATE schema_version SET version = version + 1");
  for (const bool migrate : {false, true}) {
    auto refused = PostgresStore::open({{.url = database.url()}, migrate});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, StoreErrorCode::kSchemaTooNew) << refused.error().message;
    EXPECT_NE(refused.error().message.find("upgrade signet"), std::string::npos)
        << refused.error().message;
  }
}

TEST(PostgresStoreTest, AnUnreachableDatabaseIsUnavailable) {
  auto refused =
      PostgresStore::open({{.url = "postgresql://signet:hunter2@127.0.0.1:1/signet"}, true});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, StoreErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace signet::store::testing
