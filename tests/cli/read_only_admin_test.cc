#include "signet/cli/read_only_admin.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/cli/cli_fixture.h"

namespace signet::cli {
namespace {

using testing::CliTest;

class ReadOnlyAdminTest : public CliTest {};

TEST_F(ReadOnlyAdminTest, ReadsGoThrough) {
  create_api("urn:a", {"read"});
  auto& admin = ctx().admin(Access::kRead);
  const auto api = admin.get_api("urn:a");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->permissions.size(), 1u);
  const auto page = admin.list_apis(admin::PageRequest{});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 1);
}

// Every write: refused, nothing written. The context behind a read-only command holds a throwaway
// master key, so a write let through would seal a key or hash a secret that nothing can use.
TEST_F(ReadOnlyAdminTest, EveryWriteIsRefusedAndNothingIsWritten) {
  create_api("urn:a", {"read"});
  auto& admin = ctx().admin(Access::kRead);
  const auto refused = [](const auto& result) {
    return !result && result.error().code == admin::AdminErrorCode::kInternal &&
           result.error().message.starts_with("a read-only command tried to ");
  };
  admin::ApiPatch rename;
  rename.name = "renamed";
  admin::ApiDraft api_b;
  api_b.identifier = "urn:b";
  api_b.name = "B";
  admin::ApplicationDraft app;
  app.name = "App";
  admin::ApplicationPatch app_rename;
  app_rename.name = "n";
  admin::UserDraft user;
  user.email = "a@example.com";
  admin::UserPatch block;
  block.blocked = true;
  EXPECT_TRUE(refused(admin.create_api(api_b)));
  EXPECT_TRUE(refused(admin.update_api("urn:a", rename, {})));
  EXPECT_TRUE(refused(admin.delete_api("urn:a")));
  EXPECT_TRUE(refused(admin.create_application(app)));
  EXPECT_TRUE(refused(admin.update_application("x", app_rename, {})));
  EXPECT_TRUE(refused(admin.rotate_secret("x")));
  EXPECT_TRUE(refused(admin.delete_application("x")));
  EXPECT_TRUE(refused(admin.create_client_grant("x", "urn:a", {})));
  EXPECT_TRUE(refused(admin.update_client_grant(1, {}, {})));
  EXPECT_TRUE(refused(admin.delete_client_grant(1)));
  EXPECT_TRUE(refused(admin.create_user(user)));
  EXPECT_TRUE(refused(admin.update_user("u", block, {})));
  EXPECT_TRUE(refused(admin.delete_user("u")));
  EXPECT_TRUE(refused(admin.revoke_sessions("u")));
  EXPECT_TRUE(refused(admin.clear_user_lockouts("u")));
  EXPECT_TRUE(refused(admin.add_user_permissions("u", "urn:a", {"read"})));
  EXPECT_TRUE(refused(admin.remove_user_permissions("u", "urn:a", {"read"})));
  EXPECT_TRUE(refused(admin.rotate_signing_keys(jose::Algorithm::kRS256)));
  EXPECT_TRUE(refused(admin.revoke_signing_key("kid")));
  const auto api = admin.get_api("urn:a");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->name, "Test API");
  const auto apps = admin.list_applications(admin::PageRequest{});
  ASSERT_TRUE(apps);
  EXPECT_EQ(apps->total, 0);
}

TEST_F(ReadOnlyAdminTest, ReadingNeedsNoMasterKeyAndCreatesNone) {
  create_api("urn:a");
  std::filesystem::remove(data_dir() / "master.key");
  reset_streams();  // a new command, a new context
  EXPECT_TRUE(ctx().admin(Access::kRead).list_apis(admin::PageRequest{}));
  EXPECT_FALSE(std::filesystem::exists(data_dir() / "master.key"));
  ctx().admin(Access::kWrite);  // a command that writes loads it, creating it on first use
  EXPECT_TRUE(std::filesystem::exists(data_dir() / "master.key"));
}

TEST_F(ReadOnlyAdminTest, AMissingTenantIsRefusedAndNotCreated) {
  EXPECT_THROW(ctx().admin(Access::kRead), CommandError);
  EXPECT_FALSE(std::filesystem::exists(data_dir()));
}

}  // namespace
}  // namespace signet::cli
