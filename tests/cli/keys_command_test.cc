#include "signet/cli/keys_command.h"

#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tests/cli/cli_fixture.h"

namespace signet::cli::keys {
namespace {

namespace json = boost::json;
using testing::CliTest;

class KeysCommandTest : public CliTest {
 protected:
  // The kid of ES256's key in `state`, from `keys list --json`.
  std::string kid_in(const std::string& state) {
    EXPECT_EQ(run(run_list, ListOptions{true}), 0) << err();
    const auto keys = json::parse(out());
    for (const auto& k : keys.as_array()) {
      if (k.at("alg") == "ES256" && k.at("state").as_string() == state) {
        return std::string(k.at("kid").as_string());
      }
    }
    return "";
  }
};

TEST_F(KeysCommandTest, CreateMakesACurrentAndANextKey) {
  ASSERT_EQ(run(run_create, CreateOptions{"ES256", true}), 0) << err();
  const auto created = json::parse(out()).as_object();
  EXPECT_EQ(created.at("alg"), "ES256");
  EXPECT_EQ(created.at("current").as_string(), kid_in("current"));
  EXPECT_EQ(created.at("next").as_string(), kid_in("next"));
  ASSERT_EQ(run(run_list, ListOptions{}), 0);
  EXPECT_EQ(out().rfind("KID ", 0), 0u) << out();
  EXPECT_EQ(out().find("\"d\""), std::string::npos);  // no private member of any key
}

TEST_F(KeysCommandTest, AnEmptyStoreSaysHowToCreateKeys) {
  create_api("urn:a");  // a tenant without keys
  ASSERT_EQ(run(run_list, ListOptions{}), 0) << err();
  EXPECT_EQ(out(), "no signing keys yet: run 'signet keys create --alg RS256'\n");
  EXPECT_EQ(run(run_rotate, RotateOptions{"ES256", false}), 1);
  EXPECT_NE(err().find("(run 'signet keys create --alg ES256' first)"), std::string::npos) << err();
}

TEST_F(KeysCommandTest, OnlyAPreviousKeyCanBeRevoked) {
  ASSERT_EQ(run(run_create, CreateOptions{"ES256", false}), 0) << err();
  const auto current = kid_in("current");
  EXPECT_EQ(run(run_revoke, RevokeOptions{current, false}), 1);
  EXPECT_EQ(err(), "signet: signing key " + current +
                       " is current: only a previous key can be revoked; rotate the ES256 keys "
                       "first, until this one is previous ('signet keys rotate --alg ES256')\n");
  ASSERT_EQ(run(run_rotate, RotateOptions{"ES256", false}), 0) << err();
  const auto rotated_to = out();
  EXPECT_EQ(rotated_to, kid_in("current") + "\n");
  ASSERT_EQ(run(run_revoke, RevokeOptions{current, true}), 0) << err();
  EXPECT_EQ(out(), "{\"revoked\":\"" + current + "\",\"alg\":\"ES256\"}\n");
  EXPECT_EQ(run(run_revoke, RevokeOptions{current, false}), 1);
  EXPECT_EQ(err(), "signet: signing key " + current + " is already revoked\n");
  EXPECT_EQ(run(run_revoke, RevokeOptions{"nope", false}), 1);
  EXPECT_EQ(err(), "signet: no signing key with kid nope (see 'signet keys list')\n");
}

TEST_F(KeysCommandTest, TheJwksHoldsPublicKeysOnly) {
  ASSERT_EQ(run(run_create, CreateOptions{"ES256", false}), 0) << err();
  ASSERT_EQ(run(run_jwks, JwksOptions{}), 0) << err();
  const auto jwks = json::parse(out()).as_object();
  ASSERT_EQ(jwks.at("keys").as_array().size(), 2u);
  for (const auto& k : jwks.at("keys").as_array()) {
    EXPECT_FALSE(k.as_object().contains("d"));
  }
}

TEST_F(KeysCommandTest, AnUnknownAlgorithmIsRefusedBeforeAnythingIsCreated) {
  EXPECT_EQ(run(run_create, CreateOptions{"HS256", false}), 1);
  EXPECT_EQ(err(), "signet: unsupported algorithm 'HS256': use RS256, PS256, ES256 or EdDSA\n");
  EXPECT_FALSE(std::filesystem::exists(data_dir()));
}

}  // namespace
}  // namespace signet::cli::keys
