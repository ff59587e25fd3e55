#include "signet/cli/clients_command.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "signet/jose/jwk.h"
#include "signet/store/validate.h"
#include "tests/cli/cli_fixture.h"
#include "tests/test_common/temp_dir.h"

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
            (std::vector<std::string>{"authorization_code", "password", "refresh_token"}));
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
            "signet: nothing to update: give --name, --type, --grant-types, --auth-method, "
            "--callbacks, --logout-urls, --web-origins, --jwks, --jwks-uri or "
            "--require-dpop/--no-require-dpop\n");
  o.grant_types = std::vector<std::string>{""};
  EXPECT_EQ(run(run_update, o), 1);
  EXPECT_EQ(err(),
            "signet: --grant-types needs at least one of authorization_code, client_credentials, "
            "password, refresh_token\n");
  o.grant_types = std::vector<std::string>{"implicit"};
  EXPECT_EQ(run(run_update, o), 1);
  EXPECT_EQ(err(),
            "signet: unsupported grant type 'implicit': use authorization_code, "
            "client_credentials, password or refresh_token\n");
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

// RFC 9449 §5.2: --require-dpop sets dpop_bound_access_tokens, --no-require-dpop clears it, and
// an update without either leaves it.
TEST_F(ClientsCommandTest, RequireDpopIsOnOffOrUnchanged) {
  ASSERT_EQ(run_args({"clients", "create", "--name", "Bound", "--require-dpop", "--json"}), 0)
      << err();
  const auto created = json::parse(out()).as_object();
  EXPECT_EQ(created.at("dpop_bound_access_tokens"), true);
  const std::string id(created.at("client_id").as_string());
  ASSERT_EQ(run_args({"clients", "show", id}), 0) << err();
  EXPECT_NE(out().find("\nrequire DPoP  true\n"), std::string::npos) << out();
  ASSERT_EQ(run_args({"clients", "list"}), 0) << err();
  EXPECT_NE(out().find(" DPOP "), std::string::npos) << out();
  EXPECT_NE(out().find("  true  "), std::string::npos) << out();
  ASSERT_EQ(run_args({"clients", "update", id, "--name", "Renamed", "--json"}), 0) << err();
  EXPECT_EQ(json::parse(out()).as_object().at("dpop_bound_access_tokens"), true);
  ASSERT_EQ(run_args({"clients", "update", id, "--no-require-dpop", "--json"}), 0) << err();
  EXPECT_EQ(json::parse(out()).as_object().at("dpop_bound_access_tokens"), false);
  ASSERT_EQ(run_args({"clients", "show", id}), 0) << err();
  EXPECT_EQ(out().find("require DPoP"), std::string::npos) << out();  // shown when on
  EXPECT_THROW(
      run_args({"clients", "create", "--name", "X", "--no-require-dpop", "--require-dpop"}),
      CLI::ExcludesError);
  EXPECT_EQ(create("Plain").at("dpop_bound_access_tokens"), false);
}

TEST_F(ClientsCommandTest, ANewClientTakesBasicOrPostAndAPublicOneHasNoSecret) {
  const auto m2m = create("Backend");
  EXPECT_EQ(m2m.at("token_endpoint_auth_method"), "client_secret_basic_or_post");
  EXPECT_TRUE(m2m.contains("client_secret"));
  const auto spa = create("SPA", "spa");
  EXPECT_EQ(spa.at("token_endpoint_auth_method"), "none");
  EXPECT_FALSE(spa.contains("client_secret"));
  CreateOptions o;
  o.name = "Native";
  o.type = "native";
  ASSERT_EQ(run(run_create, o), 0) << err();
  EXPECT_EQ(out().find("client_secret"), std::string::npos) << out();
  EXPECT_NE(out().find("is public and has no client secret"), std::string::npos) << out();
  EXPECT_NE(out().find("\ncallbacks    -\n"), std::string::npos) << out();
  EXPECT_EQ(run(run_rotate_secret,
                RotateSecretOptions{std::string(spa.at("client_id").as_string()), false}),
            1);
  EXPECT_NE(err().find("cannot keep a secret"), std::string::npos) << err();
}

TEST_F(ClientsCommandTest, UrlFlagsAreListsAndAnEmptyOneClearsTheList) {
  ASSERT_EQ(
      run_args({"clients", "create", "--name", "SPA", "--type", "spa", "--callbacks",
                "http://localhost:3000/callback,https://app.example.com/callback", "--logout-urls",
                "http://localhost:3000/", "--web-origins", "http://localhost:3000", "--json"}),
      0)
      << err();
  const auto created = json::parse(out()).as_object();
  const std::string id(created.at("client_id").as_string());
  EXPECT_EQ(created.at("callbacks"),
            (json::array{"http://localhost:3000/callback", "https://app.example.com/callback"}));
  EXPECT_EQ(created.at("allowed_logout_urls"), json::array{"http://localhost:3000/"});
  EXPECT_EQ(created.at("web_origins"), json::array{"http://localhost:3000"});
  ASSERT_EQ(run(run_show, ShowOptions{id, false}), 0);
  EXPECT_NE(out().find("callbacks    http://localhost:3000/callback "
                       "https://app.example.com/callback\n"),
            std::string::npos)
      << out();
  EXPECT_NE(out().find("web origins  http://localhost:3000\n"), std::string::npos) << out();
  ASSERT_EQ(run_args({"clients", "update", id, "--callbacks", "", "--web-origins",
                      "https://app.example.com", "--json"}),
            0)
      << err();
  const auto updated = json::parse(out()).as_object();
  EXPECT_EQ(updated.at("callbacks"), json::array{});
  EXPECT_EQ(updated.at("allowed_logout_urls"), json::array{"http://localhost:3000/"});
  EXPECT_EQ(updated.at("web_origins"), json::array{"https://app.example.com"});
  EXPECT_EQ(run_args({"clients", "update", id, "--web-origins", "https://app.example.com/"}), 1);
  EXPECT_NE(err().find("write https://app.example.com"), std::string::npos) << err();
  EXPECT_EQ(run_args({"clients", "update", id, "--callbacks", "javascript:alert(1)"}), 1);
  EXPECT_NE(err().find("never a place to send a browser"), std::string::npos) << err();
}

TEST_F(ClientsCommandTest, JwksComesFromAFileAndPrivateKeysAreRefused) {
  const signet::testing::TempDir files;
  const auto key = jose::generate_jwk(jose::Algorithm::kES256, "k1").value();
  auto pub = jose::to_public_jwks({key});
  const auto file = files.file("jwks.json");
  std::ofstream(file) << json::serialize(pub);
  ASSERT_EQ(run_args({"clients", "create", "--name", "Signed", "--auth-method", "private_key_jwt",
                      "--jwks", file, "--json"}),
            0)
      << err();
  const auto created = json::parse(out()).as_object();
  EXPECT_FALSE(created.contains("client_secret"));
  EXPECT_EQ(created.at("jwks"), pub);
  const std::string id(created.at("client_id").as_string());
  ASSERT_EQ(run(run_show, ShowOptions{id, false}), 0);
  EXPECT_NE(out().find("jwks         1 key: k1\n"), std::string::npos) << out();

  auto with_private = pub;
  with_private["keys"].as_array()[0].as_object()["d"] = "AAAA";
  const auto private_file = files.file("private.json");
  std::ofstream(private_file) << json::serialize(with_private);
  EXPECT_EQ(run_args({"clients", "create", "--name", "Leaky", "--auth-method", "private_key_jwt",
                      "--jwks", private_file}),
            1);
  EXPECT_NE(err().find("holds the private member \"d\""), std::string::npos) << err();
  EXPECT_EQ(run_args({"clients", "create", "--name", "Missing", "--auth-method", "private_key_jwt",
                      "--jwks", files.file("nope.json")}),
            1);
  EXPECT_NE(err().find("cannot read the JWK Set (--jwks) from"), std::string::npos) << err();
  const auto big = files.file("big.json");
  std::ofstream(big) << std::string(store::kMaxBlobLength + 1, ' ');
  EXPECT_EQ(run_args({"clients", "update", id, "--jwks", big}), 1);
  EXPECT_NE(err().find("is longer than"), std::string::npos) << err();

  // To a jwks_uri, then back to a secret: a new one first.
  ASSERT_EQ(run_args({"clients", "update", id, "--jwks-uri", "https://client.example/jwks.json",
                      "--json"}),
            0)
      << err();
  EXPECT_FALSE(json::parse(out()).as_object().contains("jwks"));
  EXPECT_EQ(run_args({"clients", "update", id, "--auth-method", "client_secret_basic_or_post"}), 1);
  EXPECT_NE(err().find("signet clients rotate-secret " + id), std::string::npos) << err();
  ASSERT_EQ(run(run_rotate_secret, RotateSecretOptions{id, false}), 0) << err();
  EXPECT_NE(out().find("--auth-method client_secret_basic_or_post"), std::string::npos) << out();
  EXPECT_EQ(run_args({"clients", "update", id, "--auth-method", "client_secret_basic_or_post"}), 0)
      << err();
  EXPECT_EQ(run_args({"clients", "update", id, "--auth-method", "client_secret_jwt"}), 1);
  EXPECT_NE(err().find("use client_secret_basic_or_post, client_secret_basic"), std::string::npos)
      << err();
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
