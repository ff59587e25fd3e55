// Revisions (types.h Revision): every create and update of an API, application, grant or user
// takes a new one from one counter, and an update that names the revision it read (if_revision)
// is refused with kStale, writing nothing, when the record moved on.

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/sqlite_store.h"
#include "tests/store/store_test_support.h"

namespace signet::store::testing {
namespace {

constexpr std::string_view kApi = "https://api.example.com/";

// The grant seed() makes possible, with both of make_api()'s permissions.
ClientGrant make_grant(std::string client_id = "client-1") {
  return ClientGrant{
      0, std::move(client_id), std::string{kApi}, {"read:messages", "write:messages"}, kNow};
}

TEST_P(StoreTest, EveryCreateAndUpdateTakesAHigherRevisionThanAnyBefore) {
  std::vector<Revision> seen;
  auto api = store_->create_api(make_api());
  ASSERT_TRUE(api.ok());
  seen.push_back(api->revision);
  auto app = store_->create_application(make_app());
  ASSERT_TRUE(app.ok());
  seen.push_back(app->revision);
  auto user = store_->create_user(make_user());
  ASSERT_TRUE(user.ok());
  seen.push_back(user->revision);
  auto grant = store_->create_client_grant(make_grant());
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  seen.push_back(grant->revision);

  api->name = "Renamed";
  auto api2 = store_->update_api(*api);
  ASSERT_TRUE(api2.ok());
  seen.push_back(api2->revision);
  app->name = "Renamed";
  auto app2 = store_->update_application(*app);
  ASSERT_TRUE(app2.ok());
  seen.push_back(app2->revision);
  user->blocked = true;
  auto user2 = store_->update_user(*user);
  ASSERT_TRUE(user2.ok());
  seen.push_back(user2->revision);
  auto grant2 = store_->update_client_grant_scopes(grant->id, {"read:messages"});
  ASSERT_TRUE(grant2.ok());
  seen.push_back(grant2->revision);
  // An update that changes nothing is still a write.
  auto api3 = store_->update_api(*api2);
  ASSERT_TRUE(api3.ok());
  seen.push_back(api3->revision);

  ASSERT_EQ(seen.size(), 9u);
  EXPECT_GT(seen.front(), 0u);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GT(seen[i], seen[i - 1]) << "write " << i;
  }

  // Readers see the revision of the last write.
  EXPECT_EQ(store_->get_api(kApi)->revision, api3->revision);
  EXPECT_EQ(store_->list_apis()->front().revision, api3->revision);
  EXPECT_EQ(store_->get_application("client-1")->revision, app2->revision);
  EXPECT_EQ(store_->list_applications()->front().revision, app2->revision);
  EXPECT_EQ(store_->get_user("auth0|1")->revision, user2->revision);
  EXPECT_EQ(store_->find_user_by_email("alice@example.com")->revision, user2->revision);
  EXPECT_EQ(store_->list_users()->front().revision, user2->revision);
  EXPECT_EQ(store_->get_client_grant(grant->id)->revision, grant2->revision);
  EXPECT_EQ(store_->find_client_grant("client-1", kApi)->revision, grant2->revision);
  EXPECT_EQ(store_->list_client_grants(std::nullopt)->front().revision, grant2->revision);
}

// A stale If-Match must not match a record that was deleted and created again, even after the
// store was closed and opened again.
TEST_P(StoreTest, ARecreatedRecordNeverGetsAnOldRevision) {
  auto first = store_->create_user(make_user());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store_->delete_user("auth0|1").ok());
  auto second = store_->create_user(make_user());
  ASSERT_TRUE(second.ok());
  EXPECT_GT(second->revision, first->revision);
  ASSERT_TRUE(store_->delete_user("auth0|1").ok());

  store_.reset();
  auto reopened = open_another();
  ASSERT_NE(reopened, nullptr);
  auto third = reopened->create_user(make_user());
  ASSERT_TRUE(third.ok());
  EXPECT_GT(third->revision, second->revision);
  // One counter serves every kind of record.
  auto api = reopened->create_api(make_api());
  ASSERT_TRUE(api.ok());
  EXPECT_GT(api->revision, third->revision);
}

// A refused write takes no revision that a record keeps.
TEST_P(StoreTest, ARefusedWriteLeavesTheRevisionAlone) {
  seed();
  ASSERT_TRUE(store_->create_user(make_user("auth0|2", "bob@example.com")).ok());
  const User before = *store_->get_user("auth0|1");
  User taken = before;
  taken.email = "BOB@example.com";
  EXPECT_EQ(store_->update_user(taken).error().code, StoreErrorCode::kConflict);
  EXPECT_EQ(*store_->get_user("auth0|1"), before);

  auto grant = store_->create_client_grant(make_grant());
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(store_->update_client_grant_scopes(grant->id, {"read:typo"}).error().code,
            StoreErrorCode::kInvalid);
  EXPECT_EQ(*store_->get_client_grant(grant->id), *grant);
}

// One case per update: how to make the record, and how to update it.
struct UpdateCase {
  std::string name;
  // Creates the record and returns its revision.
  std::function<Revision(Store&)> create;
  // Updates it with a change that shows (`mark`), and returns the result's revision or error.
  std::function<StoreResult<Revision>(Store&, std::optional<Revision>)> update;
  // Whether the record carries the change of a successful update.
  std::function<bool(Store&)> changed;
};

template <typename T>
StoreResult<Revision> revision_of(const StoreResult<T>& r) {
  if (!r) {
    return fail(r.error());
  }
  return r->revision;
}

std::vector<UpdateCase> update_cases() {
  return {
      {"update_api", [](Store& s) { return s.create_api(make_api())->revision; },
       [](Store& s, std::optional<Revision> if_revision) {
         Api api = make_api();
         api.name = "Changed";
         return revision_of(s.update_api(api, if_revision));
       },
       [](Store& s) { return s.get_api(kApi)->name == "Changed"; }},
      {"update_application", [](Store& s) { return s.create_application(make_app())->revision; },
       [](Store& s, std::optional<Revision> if_revision) {
         Application app = make_app();
         app.name = "Changed";
         return revision_of(s.update_application(app, if_revision));
       },
       [](Store& s) { return s.get_application("client-1")->name == "Changed"; }},
      {"update_client_grant_scopes",
       [](Store& s) {
         EXPECT_TRUE(s.create_api(make_api()).ok());
         EXPECT_TRUE(s.create_application(make_app()).ok());
         return s.create_client_grant(make_grant())->revision;
       },
       [](Store& s, std::optional<Revision> if_revision) {
         const std::int64_t id = s.find_client_grant("client-1", kApi)->id;
         return revision_of(s.update_client_grant_scopes(id, {"read:messages"}, if_revision));
       },
       [](Store& s) { return s.find_client_grant("client-1", kApi)->scopes.size() == 1; }},
      {"update_user", [](Store& s) { return s.create_user(make_user())->revision; },
       [](Store& s, std::optional<Revision> if_revision) {
         User user = make_user();
         user.blocked = true;
         return revision_of(s.update_user(user, if_revision));
       },
       [](Store& s) { return s.get_user("auth0|1")->blocked; }},
  };
}

class SqliteStoreStaleTest : public SqliteStoreTest,
                             public ::testing::WithParamInterface<std::size_t> {};

TEST_P(SqliteStoreStaleTest, AnUpdateOfAnOlderRevisionIsStaleAndWritesNothing) {
  const UpdateCase c = update_cases()[GetParam()];
  const Revision created = c.create(*store_);
  ASSERT_GT(created, 0u);
  const std::uint64_t generation = *store_->generation();

  auto stale = c.update(*store_, created - 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, StoreErrorCode::kStale);
  // The message names the record and both revisions, so whoever reads it knows what moved.
  const std::string& message = stale.error().message;
  EXPECT_NE(message.find(std::to_string(created)), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(created - 1)), std::string::npos) << message;
  EXPECT_NE(message.find("read it again"), std::string::npos) << message;
  EXPECT_FALSE(c.changed(*store_));
  EXPECT_EQ(*store_->generation(), generation) << "a stale update must write nothing";

  auto current = c.update(*store_, created);
  ASSERT_TRUE(current.ok()) << current.error().message;
  EXPECT_GT(*current, created);
  EXPECT_TRUE(c.changed(*store_));
  // The revision just replaced is now the stale one.
  auto again = c.update(*store_, created);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StoreErrorCode::kStale);
  // Without if_revision the last writer wins, as before revisions existed.
  EXPECT_TRUE(c.update(*store_, std::nullopt).ok());
}

// Nothing to be stale against: the caller learns the record is gone, which it can act on.
TEST_P(SqliteStoreStaleTest, AMissingRecordIsNotFoundRatherThanStale) {
  const UpdateCase c = update_cases()[GetParam()];
  if (c.name == "update_client_grant_scopes") {
    EXPECT_EQ(store_->update_client_grant_scopes(12345, {}, Revision{7}).error().code,
              StoreErrorCode::kNotFound);
    return;
  }
  auto r = c.update(*store_, Revision{7});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kNotFound) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(EveryUpdate, SqliteStoreStaleTest, ::testing::Range<std::size_t>(0, 4),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return update_cases()[info.param].name;
                         });

// Dropping a permission rewrites the scopes of the grants that held it: they are updated too, so
// an editor holding such a grant's old revision cannot write the dropped scope back.
TEST_P(StoreTest, DroppingAPermissionBumpsTheApiAndOnlyTheGrantsThatHeldIt) {
  seed();
  ASSERT_TRUE(store_->create_application(make_app("client-2")).ok());
  auto holder = store_->create_client_grant(make_grant("client-1"));
  ASSERT_TRUE(holder.ok());
  ClientGrant reader = make_grant("client-2");
  reader.scopes = {"read:messages"};
  auto bystander = store_->create_client_grant(reader);
  ASSERT_TRUE(bystander.ok());
  ASSERT_TRUE(store_->add_user_permissions("auth0|1", kApi, {"write:messages"}).ok());
  const User user = *store_->get_user("auth0|1");
  const Api api = *store_->get_api(kApi);

  // Only a description changes: no grant loses a scope.
  Api described = api;
  described.permissions[1].description = "Write them";
  auto updated = store_->update_api(described, api.revision);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_GT(updated->revision, api.revision);
  EXPECT_EQ(*store_->get_client_grant(holder->id), *holder);

  Api dropped = described;
  dropped.permissions.pop_back();  // write:messages
  auto after = store_->update_api(dropped, updated->revision);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_GT(after->revision, updated->revision);

  auto held = store_->get_client_grant(holder->id);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->scopes, std::vector<std::string>{"read:messages"});
  EXPECT_GT(held->revision, updated->revision);
  EXPECT_NE(held->revision, after->revision);
  EXPECT_EQ(store_->update_client_grant_scopes(holder->id, {"read:messages"}, holder->revision)
                .error()
                .code,
            StoreErrorCode::kStale);
  EXPECT_EQ(*store_->get_client_grant(bystander->id), *bystander);
  // The user lost the permission too, but permissions are not part of the user record.
  EXPECT_TRUE(store_->list_user_permissions("auth0|1", std::nullopt)->empty());
  EXPECT_EQ(*store_->get_user("auth0|1"), user);
}

TEST_P(StoreTest, UserPermissionsAreNotPartOfTheUsersRevision) {
  seed();
  const Revision before = store_->get_user("auth0|1")->revision;
  ASSERT_TRUE(store_->add_user_permissions("auth0|1", kApi, {"read:messages"}).ok());
  ASSERT_TRUE(store_->remove_user_permissions("auth0|1", kApi, {"read:messages"}).ok());
  EXPECT_EQ(store_->get_user("auth0|1")->revision, before);
  User user = make_user();
  user.blocked = true;
  EXPECT_TRUE(store_->update_user(user, before).ok());
}

}  // namespace
}  // namespace signet::store::testing
