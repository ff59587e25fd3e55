#include "signet/cli/printers.h"

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace signet::cli {
namespace {

namespace json = boost::json;

// 2023-11-14T22:13:20Z
const store::Timestamp kCreated{std::chrono::seconds{1'700'000'000}};

std::string printed(const auto& print) {
  std::ostringstream out;
  print(out);
  return out.str();
}

store::Application application() {
  store::Application app;
  app.client_id = "client-1";
  app.name = "Messages client";
  app.grant_types = {store::GrantType::kPassword, store::GrantType::kRefreshToken};
  app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretPost;
  app.client_secret_hash = "hs256:stored-hash";
  app.created_at = kCreated;
  return app;
}

store::User user() {
  store::User u;
  u.id = "signet|1";
  u.email = "ada@example.com";
  u.password_hash = "$argon2id$stored";
  u.created_at = kCreated;
  return u;
}

store::AddressFailedLogins lockout(std::string address, int count, std::int64_t until) {
  store::AddressFailedLogins l;
  l.address = std::move(address);
  l.counter.count = count;
  l.counter.blocked_until = store::Timestamp{std::chrono::seconds{until}};
  return l;
}

TEST(PrintTable, AlignsColumnsTwoSpacesApartWithoutTrailingBlanks) {
  EXPECT_EQ(printed([](auto& out) {
              print_table(out, {{"A", "LONG"}, {"wide", "x"}});
            }),
            "A     LONG\n"
            "wide  x\n");
  EXPECT_EQ(printed([](auto& out) { print_table(out, {}); }), "");
}

// An event's client_id is what a client sent: an escape sequence must reach the terminal as text.
TEST(PrintTable, ControlCharactersAreShownEscapedAndColumnsStayAligned) {
  EXPECT_EQ(printed([](auto& out) {
              print_table(out, {{"TYPE", "CLIENT"}, {"feccft", "a\x1b[2Jb\r\n\x7f"}, {"s", "-"}});
            }),
            "TYPE    CLIENT\n"
            "feccft  a\\x1b[2Jb\\x0d\\x0a\\x7f\n"
            "s       -\n");
  EXPECT_EQ(printable("tab\there"), "tab\\x09here");
  EXPECT_EQ(printable("caf\xc3\xa9 ok"), "caf\xc3\xa9 ok") << "UTF-8 passes through";
}

TEST(PrintList, JsonIsAnArrayEvenWhenEmptyAndTextGivesTheHint) {
  const std::vector<store::Api> none;
  EXPECT_EQ(printed([&](auto& out) { print_list(out, true, none, "no APIs yet"); }), "[]\n");
  EXPECT_EQ(printed([&](auto& out) { print_list(out, false, none, "no APIs yet"); }),
            "no APIs yet\n");
}

TEST(ApiPrinter, DetailsEndWithPermissionsOrHowToAddOne) {
  store::Api api;
  api.identifier = "https://api.example.com/ x";
  api.name = "Example";
  api.created_at = kCreated;
  const auto without = printed([&](auto& out) { print_details(out, api); });
  EXPECT_NE(without.find("created               2023-11-14T22:13:20Z\n\n"), std::string::npos)
      << without;
  // The identifier is quoted for the shell in the suggested command.
  EXPECT_NE(
      without.find(R"('signet apis permissions add "https://api.example.com/ x" read:messages)"),
      std::string::npos)
      << without;
  api.permissions = {{"read:messages", "Read messages"}, {"write:messages", ""}};
  const auto with = printed([&](auto& out) { print_details(out, api); });
  EXPECT_NE(with.find("PERMISSION      DESCRIPTION\n"
                      "read:messages   Read messages\n"
                      "write:messages  -\n"),
            std::string::npos)
      << with;
  const auto j = to_json(api);
  EXPECT_EQ(j.at("permissions").as_array().size(), 2u);
  EXPECT_EQ(j.at("created_at"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(j.at("signing_alg"), "RS256");
}

TEST(ApplicationPrinter, NeverShowsTheSecretHash) {
  const auto app = application();
  const auto text = printed([&](auto& out) {
    print_details(out, app);
    print_rows(out, std::vector{app});
  });
  const auto j = json::serialize(to_json(app));
  for (const auto& shown : {text, j}) {
    EXPECT_EQ(shown.find("hs256:"), std::string::npos) << shown;
    EXPECT_EQ(shown.find("client_secret "), std::string::npos) << shown;
    EXPECT_EQ(shown.find("\"client_secret\""), std::string::npos) << shown;
  }
  EXPECT_NE(text.find("grant types  password, refresh_token"), std::string::npos) << text;
  EXPECT_NE(text.find("password,refresh_token"), std::string::npos) << text;  // the list's cell
}

TEST(ApplicationPrinter, WithItsNewSecretShowsItOnceWithTheWarning) {
  const admin::ApplicationWithSecret created{application(), "the-new-secret"};
  const auto text = printed([&](auto& out) { print_details(out, created); });
  EXPECT_EQ(text.rfind("client_id      client-1\nclient_secret  the-new-secret\n", 0), 0u) << text;
  EXPECT_NE(text.find("\nStore the client secret now: it cannot be shown again"),
            std::string::npos);
  EXPECT_NE(text.find("run 'signet clients rotate-secret client-1'."), std::string::npos);
  EXPECT_EQ(text.find("hs256:"), std::string::npos);
  const auto j = to_json(created);
  EXPECT_EQ(j.at("client_secret"), "the-new-secret");
  EXPECT_EQ(j.at("client_id"), "client-1");
}

TEST(ApplicationPrinter, SignInUrlsAndKeysFollowTheFieldsTheyDoNotChange) {
  // A machine-to-machine application without URLs prints exactly what it printed before.
  auto m2m = application();
  m2m.type = store::ApplicationType::kM2m;
  EXPECT_EQ(printed([&](auto& out) { print_details(out, m2m); }),
            "client_id    client-1\n"
            "name         Messages client\n"
            "type         m2m\n"
            "grant types  password, refresh_token\n"
            "auth method  client_secret_post\n"
            "created      2023-11-14T22:13:20Z\n");
  const auto m2m_json = to_json(m2m);
  EXPECT_EQ(m2m_json.at("callbacks"), json::array{});
  EXPECT_FALSE(m2m_json.contains("jwks"));
  EXPECT_FALSE(m2m_json.contains("jwks_uri"));

  auto spa = application();
  spa.type = store::ApplicationType::kSpa;
  spa.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  spa.callbacks = {"http://localhost:3000/", "http://localhost:3000/cb"};
  spa.web_origins = {"http://localhost:3000"};
  EXPECT_EQ(printed([&](auto& out) { print_details(out, spa); }),
            "client_id    client-1\n"
            "name         Messages client\n"
            "type         spa\n"
            "grant types  password, refresh_token\n"
            "auth method  none\n"
            "created      2023-11-14T22:13:20Z\n"
            "callbacks    http://localhost:3000/ http://localhost:3000/cb\n"
            "logout URLs  -\n"
            "web origins  http://localhost:3000\n");
  const auto spa_json = to_json(spa);
  EXPECT_EQ(spa_json.at("callbacks"),
            (json::array{"http://localhost:3000/", "http://localhost:3000/cb"}));
  EXPECT_EQ(spa_json.at("allowed_logout_urls"), json::array{});
  EXPECT_EQ(spa_json.at("web_origins"), json::array{"http://localhost:3000"});

  auto keyed = m2m;
  keyed.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kPrivateKeyJwt;
  keyed.jwks = R"({"keys":[{"kty":"EC","kid":"a"},{"kty":"EC"}]})";
  const auto text = printed([&](auto& out) { print_details(out, keyed); });
  EXPECT_NE(text.find("jwks         2 keys: a, (no kid)\n"), std::string::npos) << text;
  EXPECT_EQ(to_json(keyed).at("jwks").at("keys").as_array().size(), 2u);
  keyed.jwks = "not json";
  EXPECT_NE(printed([&](auto& out) { print_details(out, keyed); }).find("register it again"),
            std::string::npos);
  EXPECT_EQ(to_json(keyed).at("jwks"), "not json");
  keyed.jwks.clear();
  keyed.jwks_uri = "https://client.example/jwks.json";
  EXPECT_NE(printed([&](auto& out) {
              print_details(out, keyed);
            }).find("jwks_uri     https://client.example/jwks.json\n"),
            std::string::npos);
  EXPECT_EQ(to_json(keyed).at("jwks_uri"), "https://client.example/jwks.json");
}

TEST(ApplicationPrinter, WithoutASecretSaysHowItAuthenticates) {
  auto app = application();
  app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kPrivateKeyJwt;
  const admin::ApplicationWithSecret keyed{app, ""};
  const auto text = printed([&](auto& out) { print_details(out, keyed); });
  EXPECT_EQ(text.find("client_secret"), std::string::npos) << text;
  EXPECT_NE(text.find("private_key_jwt).\n"), std::string::npos) << text;
  EXPECT_FALSE(to_json(keyed).contains("client_secret"));
  app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  const admin::ApplicationWithSecret pub{app, ""};
  EXPECT_NE(printed([&](auto& out) { print_details(out, pub); }).find("authorization code flow"),
            std::string::npos);
}

TEST(GrantPrinter, ScopesSeparatedBySpacesOrADash) {
  store::ClientGrant g;
  g.id = 7;
  g.client_id = "client-1";
  g.audience = "urn:a";
  g.created_at = kCreated;
  EXPECT_EQ(printed([&](auto& out) { print_details(out, g); }),
            "id         7\n"
            "client_id  client-1\n"
            "audience   urn:a\n"
            "scopes     -\n"
            "created    2023-11-14T22:13:20Z\n");
  g.scopes = {"a", "b"};
  EXPECT_EQ(json::serialize(to_json(g)),
            R"({"id":7,"client_id":"client-1","audience":"urn:a","scopes":["a","b"],)"
            R"("created_at":"2023-11-14T22:13:20Z"})");
}

TEST(UserPrinter, NeverShowsThePasswordHash) {
  const auto u = user();
  const auto text = printed([&](auto& out) {
    print_details(out, u);
    print_rows(out, std::vector{UserWithLockouts{u, {}}});
    print_details(out, UserProfile{u, {}, {}});
  });
  const auto j = json::serialize(to_json(UserProfile{u, {}, {}}));
  for (const auto& shown : {text, j}) {
    EXPECT_EQ(shown.find("argon2"), std::string::npos) << shown;
  }
}

TEST(UserPrinter, AProfileGroupsPermissionsByApiAndSaysHowToLiftALockout) {
  const auto profile = UserProfile{
      user(),
      {lockout("192.0.2.0/24", 5, 1'700'000'600),
       lockout(std::string(store::kAnyAddress), 20, 1'700'000'900)},
      {{"signet|1", "urn:a", "read"}, {"signet|1", "urn:a", "write"}, {"signet|1", "urn:b", "x"}}};
  const auto text = printed([&](auto& out) { print_details(out, profile); });
  EXPECT_NE(text.find("locked out  yes (2 addresses, until 2023-11-14T22:28:20Z)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("API    PERMISSIONS\nurn:a  read write\nurn:b  x\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("any new address (slowed down)  20"), std::string::npos) << text;
  EXPECT_NE(text.find("lift it now with 'signet users unblock ada@example.com'\n"),
            std::string::npos)
      << text;
  const auto j = to_json(profile);
  EXPECT_EQ(j.at("locked_out"), true);
  EXPECT_EQ(j.at("lockouts").as_array().size(), 2u);
  EXPECT_EQ(json::serialize(j.at("permissions")), R"({"urn:a":["read","write"],"urn:b":["x"]})");
}

TEST(UserPrinter, WithoutPermissionsSaysHowToGiveSome) {
  const auto text = printed([&](auto& out) { print_details(out, UserProfile{user(), {}, {}}); });
  EXPECT_NE(text.find("locked out  -\n"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(no permissions: give some with 'signet users permissions add )"
                      R"("signet|1" --audience API SCOPE...')"
                      "\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("lift it now"), std::string::npos);
}

TEST(SigningKeyPrinter, NotYetRotatedIsNullOrADash) {
  store::SigningKey k;
  k.kid = "kid-1";
  k.state = store::SigningKeyState::kCurrent;
  k.created_at = kCreated;
  k.encrypted_private_key = "sealed";
  EXPECT_EQ(json::serialize(to_json(k)),
            R"({"kid":"kid-1","alg":"RS256","state":"current",)"
            R"("created_at":"2023-11-14T22:13:20Z","rotated_at":null})");
  EXPECT_EQ(printed([&](auto& out) { print_rows(out, std::vector{k}); }),
            "KID    ALG    STATE    CREATED               ROTATED\n"
            "kid-1  RS256  current  2023-11-14T22:13:20Z  -\n");
}

}  // namespace
}  // namespace signet::cli
