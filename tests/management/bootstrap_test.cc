// The console's application as signet serve sets it up at every start (ensure_management_api):
// a public client that signs in through /authorize at {issuer}console/, whatever an older signet
// or an earlier issuer URL left in the store.

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "signet/management/management_api.h"
#include "signet/store/sqlite_store.h"
#include "tests/test_common/temp_dir.h"

namespace signet::management {
namespace {

using std::chrono::seconds;

// 2023-11-14T22:13:20Z, as in test_common/fake_clock.h.
const store::Timestamp kStart{seconds{1'700'000'000}};

store::Application console_of(store::Store& st) {
  return st.get_application(kConsoleClientId).value();
}

TEST(ConsoleClient, IsAPublicSpaThatSignsInAtTheConsole) {
  signet::testing::TempDir dir;
  auto st = store::SqliteStore::open(dir.file("signet.db")).value();
  ASSERT_TRUE(ensure_management_api(*st, "https://id.example.com/tenant/", kStart).ok());
  const auto console = console_of(*st);
  EXPECT_EQ(console.name, "signet console");
  EXPECT_EQ(console.type, store::ApplicationType::kSpa);
  EXPECT_EQ(console.token_endpoint_auth_method, store::TokenEndpointAuthMethod::kNone);
  EXPECT_TRUE(console.client_secret_hash.empty());
  EXPECT_EQ(console.grant_types,
            (std::vector<store::GrantType>{store::GrantType::kAuthorizationCode,
                                           store::GrantType::kRefreshToken}));
  const std::vector<std::string> url{"https://id.example.com/tenant/console/"};
  EXPECT_EQ(console.callbacks, url);
  EXPECT_EQ(console.allowed_logout_urls, url);
  EXPECT_EQ(console.web_origins, std::vector<std::string>{"https://id.example.com"});
  EXPECT_EQ(console.created_at, kStart);
}

TEST(ConsoleClient, TheOlderPasswordGrantClientIsUpdatedInPlace) {
  signet::testing::TempDir dir;
  auto st = store::SqliteStore::open(dir.file("signet.db")).value();
  // What signet made before the sign-in pages: the password grant, no URLs.
  store::Application old;
  old.client_id = std::string(kConsoleClientId);
  old.name = "signet console";
  old.type = store::ApplicationType::kSpa;
  old.grant_types = {store::GrantType::kPassword};
  old.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  old.created_at = kStart;
  const auto created = st->create_application(old).value();

  ASSERT_TRUE(ensure_management_api(*st, "http://localhost:4000/", kStart + seconds{60}).ok());
  const auto updated = console_of(*st);
  EXPECT_GT(updated.revision, created.revision);
  EXPECT_EQ(updated.created_at, kStart);  // the same application, not a new one
  EXPECT_EQ(updated.grant_types,
            (std::vector<store::GrantType>{store::GrantType::kAuthorizationCode,
                                           store::GrantType::kRefreshToken}));
  EXPECT_EQ(updated.callbacks, std::vector<std::string>{"http://localhost:4000/console/"});
  EXPECT_EQ(updated.web_origins, std::vector<std::string>{"http://localhost:4000"});
  EXPECT_EQ(st->list_applications()->size(), 1u);

  // Once it is right, a restart writes nothing.
  ASSERT_TRUE(ensure_management_api(*st, "http://localhost:4000/", kStart + seconds{120}).ok());
  EXPECT_EQ(console_of(*st), updated);
}

TEST(ConsoleClient, ItsUrlsFollowTheIssuerOfEachStart) {
  signet::testing::TempDir dir;
  auto st = store::SqliteStore::open(dir.file("signet.db")).value();
  ASSERT_TRUE(ensure_management_api(*st, "http://localhost:4000/", kStart).ok());
  // The same data directory served over HTTPS (make run HTTPS=1): the old URLs would no longer
  // match any page of the console.
  ASSERT_TRUE(ensure_management_api(*st, "https://localhost:4443/", kStart).ok());
  const auto console = console_of(*st);
  EXPECT_EQ(console.callbacks, std::vector<std::string>{"https://localhost:4443/console/"});
  EXPECT_EQ(console.allowed_logout_urls,
            std::vector<std::string>{"https://localhost:4443/console/"});
  EXPECT_EQ(console.web_origins, std::vector<std::string>{"https://localhost:4443"});
}

TEST(ConsoleClient, ItsWebOriginIsWhatABrowserSends) {
  // RFC 6454 §6.2: no path, and no port when it is the scheme's default.
  const struct {
    const char* issuer;
    const char* origin;
  } cases[] = {
      {"http://localhost:4000/", "http://localhost:4000"},
      {"http://127.0.0.1:4000/", "http://127.0.0.1:4000"},
      {"https://id.example.com/", "https://id.example.com"},
      {"https://id.example.com:443/", "https://id.example.com"},
      {"http://id.example.com:80/a/b/", "http://id.example.com"},
      {"http://id.example.com:443/", "http://id.example.com:443"},
      {"https://[::1]:4443/", "https://[::1]:4443"},
      {"https://ID.Example.COM/", "https://id.example.com"},
  };
  for (const auto& c : cases) {
    signet::testing::TempDir dir;
    auto st = store::SqliteStore::open(dir.file("signet.db")).value();
    ASSERT_TRUE(ensure_management_api(*st, c.issuer, kStart).ok()) << c.issuer;
    EXPECT_EQ(console_of(*st).web_origins, std::vector<std::string>{c.origin}) << c.issuer;
  }
}

TEST(ConsoleClient, AnAdministratorsChangesToItsUrlsAreUndoneAtStart) {
  signet::testing::TempDir dir;
  auto st = store::SqliteStore::open(dir.file("signet.db")).value();
  ASSERT_TRUE(ensure_management_api(*st, "http://localhost:4000/", kStart).ok());
  // The console is part of signet: a callback added to its client would let /authorize hand a
  // Management API code to another page.
  auto changed = console_of(*st);
  changed.callbacks.push_back("https://evil.example/");
  changed.grant_types.push_back(store::GrantType::kPassword);
  ASSERT_TRUE(st->update_application(changed).ok());
  ASSERT_TRUE(ensure_management_api(*st, "http://localhost:4000/", kStart).ok());
  const auto console = console_of(*st);
  EXPECT_EQ(console.callbacks, std::vector<std::string>{"http://localhost:4000/console/"});
  EXPECT_EQ(console.grant_types,
            (std::vector<store::GrantType>{store::GrantType::kAuthorizationCode,
                                           store::GrantType::kRefreshToken}));
}

// The console's page sends no DPoP proofs: a console client that required them could never get a
// token, and the console would lock every administrator out until the next start undid it.
TEST(ConsoleClient, RequiringDpopOfItIsUndoneAtStart) {
  signet::testing::TempDir dir;
  auto st = store::SqliteStore::open(dir.file("signet.db")).value();
  ASSERT_TRUE(ensure_management_api(*st, "http://localhost:4000/", kStart).ok());
  EXPECT_FALSE(console_of(*st).dpop_bound_access_tokens);
  auto changed = console_of(*st);
  changed.dpop_bound_access_tokens = true;
  ASSERT_TRUE(st->update_application(changed).ok());
  ASSERT_TRUE(ensure_management_api(*st, "http://localhost:4000/", kStart).ok());
  EXPECT_FALSE(console_of(*st).dpop_bound_access_tokens);
}

}  // namespace
}  // namespace signet::management
