#include "signet/cli/grants_command.h"

#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tests/cli/cli_fixture.h"

namespace signet::cli::grants {
namespace {

namespace json = boost::json;
using testing::CliTest;

class GrantsCommandTest : public CliTest {
 protected:
  void SetUp() override {
    create_api("urn:a", {"read", "write"});
    clients::CreateOptions o;
    o.name = "App";
    o.json = true;
    ASSERT_EQ(run(clients::run_create, o), 0) << err();
    client_id_ = json::parse(out()).as_object().at("client_id").as_string();
  }

  std::string client_id_;
};

TEST_F(GrantsCommandTest, CreatePrintsTheGrant) {
  ASSERT_EQ(run(run_create, CreateOptions{client_id_, "urn:a", {"read write"}, false}), 0) << err();
  EXPECT_EQ(out(),
            "created client grant 1\n\n"
            "id         1\n"
            "client_id  " +
                client_id_ +
                "\n"
                "audience   urn:a\n"
                "scopes     read write\n"
                "created    2023-11-14T22:13:20Z\n");
}

TEST_F(GrantsCommandTest, AScopeMustBeAPermissionOfTheApi) {
  EXPECT_EQ(run(run_create, CreateOptions{client_id_, "urn:a", {"read", "delete"}, false}), 1);
  EXPECT_EQ(err(),
            "signet: scope delete is not a permission of API urn:a: add it to the API's "
            "permissions first (define it with 'signet apis permissions add urn:a delete', or "
            "see 'signet apis show urn:a')\n");
  ASSERT_EQ(run(run_list, ListOptions{std::nullopt, true}), 0);
  EXPECT_EQ(out(), "[]\n");
}

TEST_F(GrantsCommandTest, ASecondGrantForTheSameApiNamesTheFirst) {
  ASSERT_EQ(run(run_create, CreateOptions{client_id_, "urn:a", {}, false}), 0) << err();
  EXPECT_EQ(run(run_create, CreateOptions{client_id_, "urn:a", {"read"}, false}), 1);
  EXPECT_EQ(err(), "signet: application " + client_id_ +
                       " already has a grant for API urn:a: it is grant 1; change that grant's "
                       "scopes instead ('signet grants update 1 --scopes ...')\n");
}

TEST_F(GrantsCommandTest, ListByAnUnknownApplicationIsATypo) {
  EXPECT_EQ(run(run_list, ListOptions{"nope", false}), 1);
  EXPECT_EQ(err(), "signet: no application with client_id nope (see 'signet clients list')\n");
  ASSERT_EQ(run(run_list, ListOptions{}), 0);
  EXPECT_EQ(out(),
            "no client grants yet: create one with 'signet grants create --client-id ID "
            "--audience API --scopes \"read:messages\"'\n");
}

TEST_F(GrantsCommandTest, AGrantIdIsAPositiveNumber) {
  for (const std::string id : {"x", "0", "-1", "1x", ""}) {
    EXPECT_EQ(run(run_show, ShowOptions{id, false}), 1) << id;
    EXPECT_EQ(err(), "signet: '" + id +
                         "' is not a grant id: grant ids are positive numbers (see 'signet "
                         "grants list')\n");
  }
  EXPECT_EQ(run(run_show, ShowOptions{"9", false}), 1);
  EXPECT_EQ(err(), "signet: no client grant with id 9 (see 'signet grants list')\n");
}

TEST_F(GrantsCommandTest, UpdateReplacesTheScopesAndDeleteNeedsYes) {
  ASSERT_EQ(run(run_create, CreateOptions{client_id_, "urn:a", {"read"}, false}), 0) << err();
  ASSERT_EQ(run(run_update, UpdateOptions{"1", {"write"}, true}), 0) << err();
  EXPECT_EQ(json::serialize(json::parse(out()).as_object().at("scopes")), R"(["write"])");
  EXPECT_EQ(run(run_delete, DeleteOptions{"1", false, false}), 1);
  EXPECT_EQ(err(), "signet: refusing to delete without confirmation: add --yes\n");
  ASSERT_EQ(run(run_delete, DeleteOptions{"1", true, true}), 0) << err();
  EXPECT_EQ(out(), "{\"id\":1,\"deleted\":true}\n");
}

}  // namespace
}  // namespace signet::cli::grants
