#include "signet/cli/apis_command.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tests/cli/cli_fixture.h"

namespace signet::cli::apis {
namespace {

namespace json = boost::json;
using testing::CliTest;

class ApisCommandTest : public CliTest {};

TEST_F(ApisCommandTest, CreatePrintsTheApiWithItsDefaults) {
  CreateOptions o;
  o.identifier = "https://api.example.com/";
  o.name = "Example API";
  o.scopes = {"read:messages, write:messages", "read:messages"};
  ASSERT_EQ(run(run_create, o), 0) << err();
  EXPECT_EQ(err(), "");
  EXPECT_EQ(out(),
            "created API https://api.example.com/\n"
            "\n"
            "identifier            https://api.example.com/\n"
            "name                  Example API\n"
            "signing algorithm     RS256\n"
            "token lifetime        86400 s\n"
            "allow offline access  false\n"
            "token profile         auth0\n"
            "permissions claim     false\n"
            "require DPoP          false\n"
            "created               2023-11-14T22:13:20Z\n"
            "\n"
            "PERMISSION      DESCRIPTION\n"
            "read:messages   -\n"
            "write:messages  -\n");
}

TEST_F(ApisCommandTest, CreateJsonIsTheRecordAlone) {
  CreateOptions o;
  o.identifier = "urn:a";
  o.name = "A";
  o.alg = "ES256";
  o.allow_offline_access = "true";
  o.json = true;
  ASSERT_EQ(run(run_create, o), 0) << err();
  const auto j = json::parse(out()).as_object();
  EXPECT_EQ(j.at("identifier"), "urn:a");
  EXPECT_EQ(j.at("signing_alg"), "ES256");
  EXPECT_EQ(j.at("allow_offline_access"), true);
}

TEST_F(ApisCommandTest, BadInputFailsBeforeAnythingIsCreated) {
  CreateOptions o;
  o.identifier = "urn:a";
  o.name = "A";
  o.alg = "HS256";
  EXPECT_EQ(run(run_create, o), 1);
  EXPECT_EQ(err(),
            "signet: unsupported signing algorithm 'HS256': use RS256, PS256, ES256 or EdDSA\n");
  o.alg = "RS256";
  o.token_lifetime = 0;
  EXPECT_EQ(run(run_create, o), 1);
  EXPECT_EQ(err(),
            "signet: --token-lifetime must be between 1 and 2592000 seconds (30 days), not 0\n");
  o.token_lifetime = 60;
  o.permissions_claim = "yes";
  EXPECT_EQ(run(run_create, o), 1);
  EXPECT_EQ(err(), "signet: --permissions-claim takes true or false, not 'yes'\n");
  EXPECT_EQ(out(), "");
  EXPECT_FALSE(std::filesystem::exists(data_dir()));
}

TEST_F(ApisCommandTest, CreatingAnExistingIdentifierIsAConflict) {
  create_api("urn:a");
  CreateOptions o;
  o.identifier = "urn:a";
  o.name = "Again";
  EXPECT_EQ(run(run_create, o), 1);
  EXPECT_EQ(err(), "signet: an API with identifier 'urn:a' already exists\n");
}

TEST_F(ApisCommandTest, ListOfNothingSaysHowToCreateOne) {
  create_api("urn:a");
  ASSERT_EQ(run(run_delete, DeleteOptions{"urn:a", true, false}), 0) << err();
  EXPECT_EQ(run(run_list, ListOptions{}), 0);
  EXPECT_EQ(out(),
            "no APIs yet: create one with 'signet apis create --identifier "
            "https://api.example.com/ --name \"Example API\"'\n");
  EXPECT_EQ(run(run_list, ListOptions{.json = true}), 0);
  EXPECT_EQ(out(), "[]\n");
}

TEST_F(ApisCommandTest, ListingAMissingDataDirectoryCreatesNothing) {
  EXPECT_EQ(run(run_list, ListOptions{}), 1);
  EXPECT_NE(err().find("signet: no data directory "), std::string::npos) << err();
  EXPECT_FALSE(std::filesystem::exists(data_dir()));
}

TEST_F(ApisCommandTest, ListShowsOneRowEach) {
  create_api("urn:a", {"read"});
  create_api("urn:bb");
  ASSERT_EQ(run(run_list, ListOptions{}), 0) << err();
  EXPECT_EQ(out(),
            "IDENTIFIER  NAME      ALG    LIFETIME  OFFLINE  PROFILE  DPOP   PERMISSIONS\n"
            "urn:a       Test API  RS256  86400     false    auth0    false  read\n"
            "urn:bb      Test API  RS256  86400     false    auth0    false  -\n");
}

TEST_F(ApisCommandTest, ListShowsEveryPage) {
  // One more than the service's largest page, so that the list takes two.
  auto& admin = ctx().admin(Access::kWrite);
  for (std::int64_t i = 0; i <= admin::kMaxPerPage; ++i) {
    admin::ApiDraft draft;
    draft.identifier = "urn:api:" + std::to_string(i);
    draft.name = "API";
    ASSERT_TRUE(admin.create_api(draft));
  }
  ASSERT_EQ(run(run_list, ListOptions{.json = true}), 0) << err();
  const auto listed = json::parse(out()).as_array();
  ASSERT_EQ(listed.size(), static_cast<std::size_t>(admin::kMaxPerPage + 1));
  EXPECT_EQ(listed.back().at("identifier"), "urn:api:100");
}

TEST_F(ApisCommandTest, ShowUnknownSaysWhereToLook) {
  create_api("urn:a");
  EXPECT_EQ(run(run_show, ShowOptions{"urn:b", false}), 1);
  EXPECT_EQ(err(), "signet: no API with identifier urn:b (see 'signet apis list')\n");
  EXPECT_EQ(out(), "");
}

TEST_F(ApisCommandTest, UpdateChangesOnlyWhatIsGiven) {
  create_api("urn:a", {"read"});
  UpdateOptions o;
  o.identifier = "urn:a";
  EXPECT_EQ(run(run_update, o), 1);
  EXPECT_EQ(err(),
            "signet: nothing to update: give --name, --alg, --token-lifetime, "
            "--allow-offline-access, --token-profile, --permissions-claim or "
            "--require-dpop/--no-require-dpop\n");
  o.token_lifetime = 600;
  o.token_profile = "rfc9068";
  o.json = true;
  ASSERT_EQ(run(run_update, o), 0) << err();
  const auto j = json::parse(out()).as_object();
  EXPECT_EQ(j.at("token_lifetime"), 600);
  EXPECT_EQ(j.at("token_profile"), "rfc9068");
  EXPECT_EQ(j.at("name"), "Test API");
  EXPECT_EQ(j.at("permissions").as_array().size(), 1u);
}

// RFC 9449: --require-dpop turns the requirement on, --no-require-dpop off; giving neither to
// update leaves it, and giving both is refused before anything is read.
TEST_F(ApisCommandTest, RequireDpopIsOnOffOrUnchanged) {
  ASSERT_EQ(run_args({"apis", "create", "--identifier", "urn:d", "--name", "D", "--require-dpop",
                      "--json"}),
            0)
      << err();
  EXPECT_EQ(json::parse(out()).as_object().at("require_dpop"), true);
  ASSERT_EQ(run_args({"apis", "show", "urn:d"}), 0) << err();
  EXPECT_NE(out().find("require DPoP          true\n"), std::string::npos) << out();
  ASSERT_EQ(run_args({"apis", "list"}), 0) << err();
  EXPECT_NE(out().find("auth0    true  -\n"), std::string::npos) << out();
  ASSERT_EQ(run_args({"apis", "update", "urn:d", "--name", "Renamed", "--json"}), 0) << err();
  EXPECT_EQ(json::parse(out()).as_object().at("require_dpop"), true);
  ASSERT_EQ(run_args({"apis", "update", "urn:d", "--no-require-dpop", "--json"}), 0) << err();
  EXPECT_EQ(json::parse(out()).as_object().at("require_dpop"), false);
  EXPECT_THROW(run_args({"apis", "update", "urn:d", "--require-dpop", "--no-require-dpop"}),
               CLI::ExcludesError);
  ASSERT_EQ(run_args({"apis", "create", "--identifier", "urn:e", "--name", "E", "--json"}), 0)
      << err();
  EXPECT_EQ(json::parse(out()).as_object().at("require_dpop"), false);
}

TEST_F(ApisCommandTest, DeleteOffATerminalNeedsYesAndKeepsTheApi) {
  create_api("urn:a");
  EXPECT_EQ(run(run_delete, DeleteOptions{"urn:a", false, false}, "y\n"), 1);
  EXPECT_EQ(err(), "signet: refusing to delete without confirmation: add --yes\n");
  EXPECT_EQ(run(run_show, ShowOptions{"urn:a", false}), 0) << err();
}

TEST_F(ApisCommandTest, DeleteOnATerminalAsksAndCountsTheGrantsThatGoWithIt) {
  create_api("urn:a");
  EXPECT_EQ(run(run_delete, DeleteOptions{"urn:a", false, false}, "n\n", /*terminal=*/true), 1);
  EXPECT_EQ(err(),
            "Delete API 'urn:a' and its permissions, client grants (0), user permissions and "
            "refresh tokens? [y/N] signet: nothing was deleted (answer y to delete, or add "
            "--yes)\n");
  EXPECT_EQ(run(run_delete, DeleteOptions{"urn:a", false, false}, "y\n", /*terminal=*/true), 0);
  EXPECT_EQ(out(), "deleted API urn:a, its permissions and 0 client grant(s) for it\n");
  EXPECT_EQ(run(run_show, ShowOptions{"urn:a", false}), 1);
}

TEST_F(ApisCommandTest, DeleteJson) {
  create_api("urn:a");
  ASSERT_EQ(run(run_delete, DeleteOptions{"urn:a", true, true}), 0) << err();
  EXPECT_EQ(out(), R"({"identifier":"urn:a","deleted":true,"deleted_client_grants":0})"
                   "\n");
}

TEST_F(ApisCommandTest, PermissionsAddIsIdempotentAndUpdatesDescriptions) {
  create_api("urn:a");
  PermissionsAddOptions o{"urn:a", "read:messages", std::nullopt, false};
  ASSERT_EQ(run(run_permissions_add, o), 0) << err();
  EXPECT_EQ(out(), "added permission read:messages to API urn:a\n");
  ASSERT_EQ(run(run_permissions_add, o), 0) << err();
  EXPECT_EQ(out(), "API urn:a already has permission read:messages; nothing changed\n");
  o.description = "Read messages";
  ASSERT_EQ(run(run_permissions_add, o), 0) << err();
  EXPECT_EQ(out(), "updated the description of permission read:messages of API urn:a\n");
  ASSERT_EQ(run(run_permissions_list, PermissionsListOptions{"urn:a", false}), 0);
  EXPECT_EQ(out(), "PERMISSION     DESCRIPTION\nread:messages  Read messages\n");
}

TEST_F(ApisCommandTest, APermissionNameCannotHoldASeparator) {
  create_api("urn:a");
  EXPECT_EQ(run(run_permissions_add, PermissionsAddOptions{"urn:a", "a b", std::nullopt, false}),
            1);
  EXPECT_EQ(err(),
            "signet: a permission's name cannot hold a comma or white space ('a b'): lists of "
            "scopes are split there; add one permission at a time\n");
}

TEST_F(ApisCommandTest, PermissionsRemoveIsAllOrNothing) {
  create_api("urn:a", {"read", "write"});
  EXPECT_EQ(run(run_permissions_remove, PermissionsRemoveOptions{"urn:a", {"read nope"}, false}),
            1);
  // The service's sentence, and where to see the API's permissions.
  EXPECT_EQ(err(), "signet: API urn:a has no permission nope (see 'signet apis show urn:a')\n");
  ASSERT_EQ(run(run_permissions_list, PermissionsListOptions{"urn:a", true}), 0);
  EXPECT_EQ(json::parse(out()).as_array().size(), 2u);
  ASSERT_EQ(run(run_permissions_remove, PermissionsRemoveOptions{"urn:a", {"read,write"}, false}),
            0)
      << err();
  EXPECT_EQ(out(),
            "removed permission(s) read, write from API urn:a; client grants and users that held "
            "them no longer do\n");
  ASSERT_EQ(run(run_permissions_list, PermissionsListOptions{"urn:a", false}), 0);
  EXPECT_EQ(out(), "API urn:a has no permissions yet\n");
}

TEST_F(ApisCommandTest, TheCommandLineFillsTheOptions) {
  ASSERT_EQ(run_args({"apis", "create", "--identifier", "urn:a", "--name", "A", "--scope", "x",
                      "--scopes", "y,z", "--signing-alg", "PS256", "--permissions-claim"}),
            0)
      << err();
  ASSERT_EQ(run_args({"apis", "update", "urn:a", "--permissions-claim=false", "--json"}), 0)
      << err();
  const auto j = json::parse(out()).as_object();
  EXPECT_EQ(j.at("signing_alg"), "PS256");
  EXPECT_EQ(j.at("permissions_claim"), false);
  EXPECT_EQ(j.at("permissions").as_array().size(), 3u);
}

}  // namespace
}  // namespace signet::cli::apis
