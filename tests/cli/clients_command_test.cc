#include "signet/cli/clients_command.h"

#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tests/cli/cli_fixture.h"

namespace signet::cli::clients {
namespace {

namespace json = boost::json;
using testing::CliTest;

class ClientsCommandTest : public CliTest {
 protected:
  // Creates an application and returns its --json answer (with the secret).
  json::object create(const std::string& name, const std::string& type = "m2m") {
    CreateOptions o;
    o.name = name;
    o.type = type;
    o.json = true;
    EXPECT_EQ(run(run_create, o), 0) << err();
    return json::parse(out()).as_object();
  }
};

TEST_F(ClientsCommandTest, CreatePrintsTheSecretOnceWithTheWarning) {
  CreateOptions o;
  o.name = "Messages client";
  ASSERT_EQ(run(run_create, o), 0) << err();
  const std::string text = out();
  EXPECT_EQ(text.rfind("created application Messages client with client_id ", 0), 0u) << text;
  EXPECT_NE(text.find("\nclient_secret  "), std::string::npos) << text;
  EXPECT_NE(text.find("grant types    client_credentials\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Store the client secret now: it cannot be shown again"), std::string::npos);
  EXPECT_EQ(text.find("hs256:"), std::string::npos);
}

TEST_F(ClientsCommandTest, ListAndShowNeverPrintTheSecret) {
  const auto created = create("App", "regular_web");
  const std::string secret(created.at("client_secret").as_string());
  const std::string id(created.at("client_id").as_string());
  EXPECT_EQ(json::value_to<std::vector<std::string>>(created.at("grant_types")),
            (std::vector<std::string>{"password", "refresh_token"}));
  ASSERT_EQ(run(run_list, ListOptions{}), 0);
  EXPECT_NE(out().find(id), std::string::npos);
  EXPECT_EQ(out().find(secret), std::string::npos);
  ASSERT_EQ(run(run_show, ShowOptions{id, true}), 0);
  EXPECT_FALSE(json::parse(out()).as_object().contains("client_secret"));
  ASSERT_EQ(run(run_show, ShowOptions{id, false}), 0);
  EXPECT_EQ(out().find(secret), std::string::npos);
  EXPECT_EQ(out().find("client_secret "), std::string::npos);
}

TEST_F(ClientsCommandTest, RotateSecretGivesANewOne) {
  const auto created = create("App");
  const std::string id(created.at("client_id").as_string());
  ASSERT_EQ(run(run_rotate_secret, RotateSecretOptions{id, true}), 0) << err();
  const auto rotated = json::parse(out()).as_object();
  EXPECT_NE(rotated.at("client_secret"), created.at("client_secret"));
  EXPECT_EQ(run(run_rotate_secret, RotateSecretOptions{"nope", false}), 1);
  EXPECT_EQ(err(), "signet: no application with client_id nope (see 'signet clients list')\n");
}

TEST_F(ClientsCommandTest, UpdateRefusesAnEmptyGrantTypeListAndChangesNothing) {
  const auto created = create("App");
  const std::string id(created.at("client_id").as_string());
  UpdateOptions o;
  o.client_id = id;
  EXPECT_EQ(run(run_update, o), 1);
  EXPECT_EQ(err(),
            "signet: nothing to update: give --name, --type, --grant-types or --auth-method\n");
  o.grant_types = std::vector<std::string>{""};
  EXPECT_EQ(run(run_update, o), 1);
  EXPECT_EQ(err(),
            "signet: --grant-types needs at least one of client_credentials, password, "
            "refresh_token\n");
  o.grant_types = std::vector<std::string>{"authorization_code"};
  EXPECT_EQ(run(run_update, o), 1);
  EXPECT_EQ(err(),
            "signet: grant type authorization_code is not supported yet (it arrives with the "
            "sign-in pages): use client_credentials, password or refresh_token\n");
  o.grant_types = std::vector<std::string>{"implicit"};
  EXPECT_EQ(run(run_update, o), 1);
  EXPECT_EQ(err(),
            "signet: unsupported grant type 'implicit': use client_credentials, password or "
            "refresh_token\n");
  o.grant_types = std::vector<std::string>{"password", "refresh_token"};
  o.auth_method = "client_secret_basic";
  o.json = true;
  ASSERT_EQ(run(run_update, o), 0) << err();
  const auto j = json::parse(out()).as_object();
  EXPECT_EQ(j.at("token_endpoint_auth_method"), "client_secret_basic");
  EXPECT_EQ(j.at("grant_types").as_array().size(), 2u);
  EXPECT_EQ(j.at("name"), "App");
}

TEST_F(ClientsCommandTest, GrantTypesFromTheCommandLineCountEvenWhenEmpty) {
  const auto created = create("App");
  const std::string id(created.at("client_id").as_string());
  EXPECT_EQ(run_args({"clients", "update", id, "--grant-types", ""}), 1);
  EXPECT_NE(err().find("--grant-types needs at least one"), std::string::npos) << err();
  ASSERT_EQ(run_args({"clients", "update", id, "--grant-types", "password", "--grant-types",
                      "refresh_token", "--json"}),
            0)
      << err();
  EXPECT_EQ(json::parse(out()).as_object().at("grant_types").as_array().size(), 2u);
}

TEST_F(ClientsCommandTest, DeleteNeedsConfirmationOffATerminal) {
  const auto created = create("App");
  const std::string id(created.at("client_id").as_string());
  EXPECT_EQ(run(run_delete, DeleteOptions{id, false, false}), 1);
  EXPECT_EQ(err(), "signet: refusing to delete without confirmation: add --yes\n");
  ASSERT_EQ(run(run_delete, DeleteOptions{id, true, false}), 0) << err();
  EXPECT_EQ(out(), "deleted application " + id +
                       " (App) and its 0 client grant(s); its secret and refresh tokens no "
                       "longer work\n");
}

}  // namespace
}  // namespace signet::cli::clients
