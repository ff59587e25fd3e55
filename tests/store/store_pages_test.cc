// Pages of APIs, applications, grants and users (creation order, with the total), and the most
// recent failed logins and sign-ins, as the Management API and the console list them.

#include <sqlite3.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/sqlite_store.h"
#include "signet/store/validate.h"
#include "tests/store/store_test_support.h"

namespace signet::store::testing {
namespace {

using std::chrono::seconds;

constexpr std::string_view kApi = "https://api.example.com/";

template <typename T, typename Key>
std::vector<std::string> keys_of(const Page<T>& page, Key key) {
  std::vector<std::string> out;
  for (const auto& item : page.items) {
    out.push_back(key(item));
  }
  return out;
}

std::vector<std::string> client_ids(const Page<Application>& page) {
  return keys_of(page, [](const Application& a) { return a.client_id; });
}
std::vector<std::string> user_ids(const Page<User>& page) {
  return keys_of(page, [](const User& u) { return u.id; });
}

// Creation order is the order of the calls, not of created_at or of the keys: records created in
// the same second, or with a clock that stepped back, still page in the order they were made.
TEST_P(StoreTest, ApplicationsPageInCreationOrderAtEveryBoundary) {
  const std::vector<std::string> ids = {"zulu", "alpha", "mike", "bravo", "yankee"};
  std::vector<Application> created;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    Application app = make_app(ids[i]);
    app.created_at = kNow - seconds{static_cast<int>(i)};
    auto r = store_->create_application(app);
    ASSERT_TRUE(r.ok()) << r.error().message;
    created.push_back(*r);
  }

  auto first = store_->page_applications({.offset = 0, .limit = 2});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->total, 5);
  EXPECT_EQ(client_ids(*first), (std::vector<std::string>{"zulu", "alpha"}));
  EXPECT_EQ(first->items[0], created[0]);  // whole records, revision included

  auto middle = store_->page_applications({.offset = 2, .limit = 2});
  ASSERT_TRUE(middle.ok());
  EXPECT_EQ(client_ids(*middle), (std::vector<std::string>{"mike", "bravo"}));

  auto last = store_->page_applications({.offset = 4, .limit = 2});  // partial
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(client_ids(*last), (std::vector<std::string>{"yankee"}));
  EXPECT_EQ(last->total, 5);

  for (const std::int64_t offset : {5, 6, 1'000'000}) {
    auto beyond = store_->page_applications({.offset = offset, .limit = 2});
    ASSERT_TRUE(beyond.ok());
    EXPECT_TRUE(beyond->items.empty()) << offset;
    EXPECT_EQ(beyond->total, 5) << offset;
  }

  auto count_only = store_->page_applications({.offset = 0, .limit = 0});
  ASSERT_TRUE(count_only.ok());
  EXPECT_TRUE(count_only->items.empty());
  EXPECT_EQ(count_only->total, 5);

  auto all = store_->page_applications({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items, created);

  // Deleting one shifts the later ones down; a new one comes last.
  ASSERT_TRUE(store_->delete_application("alpha").ok());
  ASSERT_TRUE(store_->create_application(make_app("alpha")).ok());
  auto after = store_->page_applications({.offset = 3, .limit = 10});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(client_ids(*after), (std::vector<std::string>{"yankee", "alpha"}));
  EXPECT_EQ(after->total, 5);
}

TEST_P(StoreTest, AnEmptyListHasEmptyPages) {
  auto apis = store_->page_apis({});
  ASSERT_TRUE(apis.ok());
  EXPECT_TRUE(apis->items.empty());
  EXPECT_EQ(apis->total, 0);
  EXPECT_EQ(store_->page_applications({})->total, 0);
  EXPECT_EQ(store_->page_client_grants({}, std::nullopt, std::nullopt)->total, 0);
  EXPECT_EQ(store_->page_users({}, std::nullopt)->total, 0);
}

TEST_P(StoreTest, ApiPagesCarryTheirPermissions) {
  auto a = store_->create_api(make_api("urn:b"));
  ASSERT_TRUE(a.ok());
  Api bare = make_api("urn:a");
  bare.permissions.clear();
  auto b = store_->create_api(bare);
  ASSERT_TRUE(b.ok());
  Api one = make_api("urn:c");
  one.permissions = {{"x", "X"}};
  auto c = store_->create_api(one);
  ASSERT_TRUE(c.ok());

  auto page = store_->page_apis({.offset = 0, .limit = 10});
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->total, 3);
  EXPECT_EQ(page->items, (std::vector<Api>{*a, *b, *c}));
  auto second = store_->page_apis({.offset = 1, .limit = 1});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->items, std::vector<Api>{*b});
}

TEST_P(StoreTest, GrantPagesFilterByClientAndAudience) {
  seed();
  ASSERT_TRUE(store_->create_api(make_api("urn:other")).ok());
  ASSERT_TRUE(store_->create_application(make_app("client-2")).ok());
  std::vector<ClientGrant> grants;
  for (const auto& [client, audience] :
       std::vector<std::pair<std::string, std::string>>{{"client-2", "urn:other"},
                                                        {"client-1", std::string{kApi}},
                                                        {"client-2", std::string{kApi}},
                                                        {"client-1", "urn:other"}}) {
    auto g = store_->create_client_grant({0, client, audience, {"read:messages"}, kNow});
    ASSERT_TRUE(g.ok()) << g.error().message;
    grants.push_back(*g);
  }

  auto all = store_->page_client_grants({}, std::nullopt, std::nullopt);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->items, grants);  // scopes and revisions included
  EXPECT_EQ(all->total, 4);

  auto of_client = store_->page_client_grants({.offset = 0, .limit = 1}, "client-2", std::nullopt);
  ASSERT_TRUE(of_client.ok());
  EXPECT_EQ(of_client->items, std::vector<ClientGrant>{grants[0]});
  EXPECT_EQ(of_client->total, 2);
  auto of_client_next =
      store_->page_client_grants({.offset = 1, .limit = 1}, "client-2", std::nullopt);
  ASSERT_TRUE(of_client_next.ok());
  EXPECT_EQ(of_client_next->items, std::vector<ClientGrant>{grants[2]});

  auto of_api = store_->page_client_grants({}, std::nullopt, "urn:other");
  ASSERT_TRUE(of_api.ok());
  EXPECT_EQ(of_api->items, (std::vector<ClientGrant>{grants[0], grants[3]}));
  EXPECT_EQ(of_api->total, 2);

  auto both = store_->page_client_grants({}, "client-1", "urn:other");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->items, std::vector<ClientGrant>{grants[3]});
  EXPECT_EQ(both->total, 1);

  auto none = store_->page_client_grants({}, "nobody", std::nullopt);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->items.empty());
  EXPECT_EQ(none->total, 0);
}

// The search text is plain text: '%', '_' and '\' match only themselves, as a user who types an
// email with an underscore expects.
TEST_P(StoreTest, UserSearchMatchesEmailOrIdLiterallyAndIgnoresAsciiCase) {
  for (const auto& [id, email] :
       std::vector<std::pair<std::string, std::string>>{{"auth0|1", "Alice@Example.com"},
                                                        {"auth0|2", "bob_smith@example.com"},
                                                        {"auth0|3", "bobxsmith@example.com"},
                                                        {"auth0|100%", "carol@example.org"},
                                                        {"auth0|4", "dave\\ops@example.org"},
                                                        {"auth0|5", "erin@EXAMPLE.net"}}) {
    ASSERT_TRUE(store_->create_user(make_user(id, email)).ok()) << id;
  }
  const struct {
    std::string search;
    std::vector<std::string> ids;
  } cases[] = {
      {"alice", {"auth0|1"}},
      {"ALICE@EXAMPLE", {"auth0|1"}},
      {"example.com", {"auth0|1", "auth0|2", "auth0|3"}},
      {"b_b", {}},            // '_' is not "any character"
      {"bob_", {"auth0|2"}},  // but matches itself
      {"%", {"auth0|100%"}},  // '%' is not "anything"
      {"0%", {"auth0|100%"}},
      {"\\", {"auth0|4"}},  // a lone backslash is not an escape
      {"e\\o", {"auth0|4"}},
      {"AUTH0|", {"auth0|1", "auth0|2", "auth0|3", "auth0|100%", "auth0|4", "auth0|5"}},
      {"|10", {"auth0|100%"}},  // the id matches too
      {"example.net", {"auth0|5"}},
      {"nobody", {}},
      {"", {"auth0|1", "auth0|2", "auth0|3", "auth0|100%", "auth0|4", "auth0|5"}},
  };
  for (const auto& c : cases) {
    auto page = store_->page_users({.offset = 0, .limit = 100}, c.search);
    ASSERT_TRUE(page.ok()) << c.search << ": " << page.error().message;
    EXPECT_EQ(user_ids(*page), c.ids) << c.search;
    EXPECT_EQ(page->total, static_cast<std::int64_t>(c.ids.size())) << c.search;
  }

  // The total counts the matches, not the page.
  auto window = store_->page_users({.offset = 1, .limit = 1}, "example.com");
  ASSERT_TRUE(window.ok());
  EXPECT_EQ(user_ids(*window), std::vector<std::string>{"auth0|2"});
  EXPECT_EQ(window->total, 3);

  auto unfiltered = store_->page_users({.offset = 4, .limit = 10}, std::nullopt);
  ASSERT_TRUE(unfiltered.ok());
  EXPECT_EQ(user_ids(*unfiltered), (std::vector<std::string>{"auth0|4", "auth0|5"}));
  EXPECT_EQ(unfiltered->total, 6);
  EXPECT_EQ(unfiltered->items[0], *store_->get_user("auth0|4"));
}

TEST_P(StoreTest, NegativeOffsetsLimitsAndOverlongSearchesAreInvalid) {
  const PageRequest bad_pages[] = {{.offset = -1, .limit = 10}, {.offset = 0, .limit = -1}};
  for (const PageRequest& page : bad_pages) {
    EXPECT_EQ(store_->page_apis(page).error().code, StoreErrorCode::kInvalid);
    EXPECT_EQ(store_->page_applications(page).error().code, StoreErrorCode::kInvalid);
    EXPECT_EQ(store_->page_client_grants(page, std::nullopt, std::nullopt).error().code,
              StoreErrorCode::kInvalid);
    auto users = store_->page_users(page, std::nullopt);
    ASSERT_FALSE(users.ok());
    EXPECT_EQ(users.error().code, StoreErrorCode::kInvalid);
    EXPECT_NE(users.error().message.find("must not be negative"), std::string::npos)
        << users.error().message;
  }
  const std::string longest(kMaxTextLength, 'a');
  EXPECT_TRUE(store_->page_users({}, longest).ok());
  EXPECT_EQ(store_->page_users({}, longest + "a").error().code, StoreErrorCode::kInvalid);
}

// 10,000 applications page from the far end, with the right total. (Time is not asserted, machines
// are noisy: the store slices in SQL, in rowid order, which needs no sort.)
TEST_P(StoreTest, ALongListPagesFromTheFarEnd) {
  constexpr int kApplications = 10'000;
  {
    // Written in one statement through a connection of its own: the store would take one
    // commit each, and this test is about reading.
    const std::string n = std::to_string(kApplications);
    const std::string columns =
        "INSERT INTO applications (client_id, name, app_type, grant_types, "
        "token_endpoint_auth_method, client_secret_hash, created_at, revision) ";
    exec_sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + n +
                 ") " + columns +
                 "SELECT printf('app-%05d', i), 'A', 'm2m', 'client_credentials', "
                 "'client_secret_post', X'00', 1700000000, i FROM n",
             columns +
                 "SELECT 'app-' || lpad(i::text, 5, '0'), 'A', 'm2m', 'client_credentials', "
                 "'client_secret_post', '\\x00'::bytea, 1700000000, i "
                 "FROM generate_series(1, " +
                 n + ") AS i");
  }
  auto page = store_->page_applications({.offset = kApplications - 10, .limit = 50});
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->total, kApplications);
  ASSERT_EQ(page->items.size(), 10u);
  EXPECT_EQ(page->items.front().client_id, "app-09991");
  EXPECT_EQ(page->items.back().client_id, "app-10000");
}

// --- the console's logs

}  // namespace
}  // namespace signet::store::testing
