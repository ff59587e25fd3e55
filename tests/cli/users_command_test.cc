#include "signet/cli/users_command.h"

#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tests/cli/cli_fixture.h"

namespace signet::cli::users {
namespace {

namespace json = boost::json;
using testing::CliTest;

constexpr const char* kPassword = "correct horse battery staple";

class UsersCommandTest : public CliTest {
 protected:
  void create_user(const std::string& id, const std::string& email) {
    CreateOptions o;
    o.email = email;
    o.id = id;
    o.password_stdin = true;
    ASSERT_EQ(run(run_create, o, std::string(kPassword) + "\n"), 0) << err();
  }
};

TEST_F(UsersCommandTest, CreateReadsThePasswordFromInputAndNeverPrintsIt) {
  CreateOptions o;
  o.email = "ada@example.com";
  o.id = "signet|ada";
  o.password_stdin = true;
  ASSERT_EQ(run(run_create, o, std::string(kPassword) + "\n"), 0) << err();
  EXPECT_EQ(out(),
            "created user signet|ada\n\n"
            "id       signet|ada\n"
            "email    ada@example.com\n"
            "blocked  false\n"
            "created  2023-11-14T22:13:20Z\n");
  EXPECT_EQ(err(), "");
  EXPECT_EQ(out().find("argon2"), std::string::npos);
}

TEST_F(UsersCommandTest, APasswordIsOnlyReadFromInput) {
  CreateOptions o;
  o.email = "ada@example.com";
  EXPECT_EQ(run(run_create, o, std::string(kPassword) + "\n"), 1);
  EXPECT_EQ(err(),
            "signet: a password is needed and is only read from stdin: add --password-stdin (e.g. "
            "printf '%s\\n' \"$PASSWORD\" | signet users create --email ada@example.com "
            "--password-stdin)\n");
  o.password_stdin = true;
  EXPECT_EQ(run(run_create, o, ""), 1);
  EXPECT_NE(err().find("signet: no password on stdin"), std::string::npos) << err();
  EXPECT_EQ(run(run_create, o, "short\n"), 1);
  EXPECT_NE(err().find("; nothing was changed\n"), std::string::npos) << err();
  ASSERT_EQ(run(run_list, ListOptions{true}), 0);
  EXPECT_EQ(out(), "[]\n");
}

TEST_F(UsersCommandTest, OnATerminalThePasswordIsAskedTwice) {
  CreateOptions o;
  o.email = "ada@example.com";
  o.password_stdin = true;
  EXPECT_EQ(run(run_create, o, std::string(kPassword) + "\nsomething else\n", /*terminal=*/true),
            1);
  EXPECT_EQ(err(),
            "Password: Repeat the password: signet: the two passwords differ; nothing was "
            "changed\n");
  ASSERT_EQ(run(run_create, o, std::string(kPassword) + "\n" + kPassword + "\n", true), 0) << err();
  EXPECT_EQ(err(), "Password: Repeat the password: ");
}

TEST_F(UsersCommandTest, ConflictsNameTheUserThatHasTheIdOrEmail) {
  create_user("u1", "ada@example.com");
  CreateOptions o;
  o.email = "ADA@example.com";
  o.password_stdin = true;
  EXPECT_EQ(run(run_create, o, std::string(kPassword) + "\n"), 1);
  EXPECT_EQ(err(), "signet: a user with email ADA@example.com already exists (u1)\n");
  o.email = "other@example.com";
  o.id = "u1";
  EXPECT_EQ(run(run_create, o, std::string(kPassword) + "\n"), 1);
  EXPECT_EQ(err(), "signet: a user with id u1 already exists\n");
}

TEST_F(UsersCommandTest, TheServiceMakesAuth0StyleIds) {
  CreateOptions o;
  o.email = "ada@example.com";
  o.password_stdin = true;
  o.json = true;
  ASSERT_EQ(run(run_create, o, std::string(kPassword) + "\n"), 0) << err();
  const std::string id(json::parse(out()).as_object().at("id").as_string());
  EXPECT_EQ(id.rfind("auth0|", 0), 0u) << id;
  EXPECT_EQ(id.size(), 6u + 24u) << id;
}

TEST_F(UsersCommandTest, AnEmailNeedsSomethingOnEachSideOfTheAt) {
  create_user("u1", "ada@example.com");
  for (const std::string email : {"ada", "@example.com", "ada@", "a da@example.com"}) {
    EXPECT_EQ(run(run_update, UpdateOptions{"u1", email, false}), 1) << email;
    EXPECT_EQ(err(),
              "signet: '" + email + "' is not an email address (expected name@example.com)\n");
  }
}

TEST_F(UsersCommandTest, ShowFindsAUserByIdOrEmail) {
  create_user("u1", "ada@example.com");
  ASSERT_EQ(run(run_show, ShowOptions{"ada@example.com", true}), 0) << err();
  const auto j = json::parse(out()).as_object();
  EXPECT_EQ(j.at("id"), "u1");
  EXPECT_EQ(j.at("locked_out"), false);
  EXPECT_TRUE(j.at("permissions").as_object().empty());
  EXPECT_EQ(run(run_show, ShowOptions{"nobody", false}), 1);
  EXPECT_EQ(err(), "signet: no user with id or email nobody (see 'signet users list')\n");
}

TEST_F(UsersCommandTest, BlockAndUnblock) {
  create_user("u1", "ada@example.com");
  ASSERT_EQ(run(run_block, BlockOptions{"u1", false}), 0) << err();
  EXPECT_EQ(out(),
            "blocked user u1: the token endpoint refuses them until 'signet users unblock u1'\n");
  ASSERT_EQ(run(run_list, ListOptions{}), 0);
  EXPECT_EQ(out(),
            "ID  EMAIL            BLOCKED  LOCKED_OUT  CREATED\n"
            "u1  ada@example.com  true     -           2023-11-14T22:13:20Z\n");
  ASSERT_EQ(run(run_unblock, UnblockOptions{"u1", true}), 0) << err();
  const auto j = json::parse(out()).as_object();
  EXPECT_EQ(j.at("blocked"), false);
  EXPECT_EQ(j.at("cleared_failed_login_counters"), 0);
}

TEST_F(UsersCommandTest, SetPasswordEndsTheSessions) {
  create_user("u1", "ada@example.com");
  SetPasswordOptions o{"ada@example.com", true, false};
  ASSERT_EQ(run(run_set_password, o, "another long password\n"), 0) << err();
  EXPECT_EQ(out(),
            "set a new password for user u1 and ended their sessions: revoked 0 refresh "
            "token(s); access tokens already issued stay valid until they expire (the API's "
            "token lifetime)\n");
  ASSERT_EQ(run(run_revoke_sessions, RevokeSessionsOptions{"u1", true}), 0) << err();
  EXPECT_EQ(out(), R"({"id":"u1","email":"ada@example.com","revoked_refresh_tokens":0})"
                   "\n");
}

TEST_F(UsersCommandTest, PermissionsMustBeDefinedByTheApi) {
  create_api("urn:a", {"read", "write"});
  create_user("u1", "ada@example.com");
  EXPECT_EQ(run(run_permissions_add, PermissionsAddOptions{"u1", "urn:a", {"read nope"}, false}),
            1);
  EXPECT_EQ(err(),
            "signet: permission nope is not defined by API urn:a: add it to the API's permissions "
            "first (define it with 'signet apis permissions add urn:a nope')\n");
  ASSERT_EQ(run(run_permissions_add, PermissionsAddOptions{"u1", "urn:a", {"read,write"}, false}),
            0)
      << err();
  EXPECT_EQ(out(), "added; user u1 now has on API urn:a: read write\n");
  ASSERT_EQ(run(run_permissions_remove,
                PermissionsRemoveOptions{"u1", "urn:a", {"write", "never-had"}, true}),
            0)
      << err();
  EXPECT_EQ(out(), R"({"user_id":"u1","api":"urn:a","permissions":["read"]})"
                   "\n");
  ASSERT_EQ(run(run_permissions_list, PermissionsListOptions{"u1", std::nullopt, false}), 0);
  EXPECT_EQ(out(), "API    PERMISSION\nurn:a  read\n");
  EXPECT_EQ(run(run_permissions_list, PermissionsListOptions{"u1", "urn:b", false}), 1);
  EXPECT_EQ(err(), "signet: no API with identifier urn:b (see 'signet apis list')\n");
}

TEST_F(UsersCommandTest, DeleteAsksOnATerminal) {
  create_user("u1", "ada@example.com");
  EXPECT_EQ(run(run_delete, DeleteOptions{"u1", false, false}, "no\n", /*terminal=*/true), 1);
  EXPECT_EQ(err(),
            "Delete user 'u1' (ada@example.com) and their permissions and refresh tokens? [y/N] "
            "signet: nothing was deleted (answer y to delete, or add --yes)\n");
  ASSERT_EQ(run(run_delete, DeleteOptions{"u1", false, false}, "y\n", true), 0) << err();
  EXPECT_EQ(out(),
            "deleted user u1 (ada@example.com), with their permissions and refresh tokens\n");
}

}  // namespace
}  // namespace signet::cli::users
