#include "signet/admin/admin_service.h"

#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "signet/jose/jwk.h"
#include "signet/keys/key_manager.h"
#include "signet/keys/master_key.h"
#include "signet/server/credentials.h"
#include "signet/server/password.h"
#include "signet/store/sqlite_store.h"
#include "tests/admin/forwarding_store.h"
#include "tests/test_common/temp_dir.h"

namespace signet::admin {

// Failing expectations name the code ("not_found"), not its number.
inline void PrintTo(AdminErrorCode code, std::ostream* os) {
  *os << to_string(code);
}

namespace {

using store::testing::ForwardingStore;
using Code = AdminErrorCode;

constexpr std::string_view kApi = "https://api.example.com/";
constexpr std::string_view kOtherApi = "urn:other";
constexpr std::string_view kManagementApi = "http://localhost:4000/api/v2/";
constexpr std::string_view kPassword = "correct horse battery";
constexpr std::array<std::uint8_t, keys::kMasterKeyBytes> kMasterKey = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
// The smallest argon2id cost the hasher accepts: the tests check what is hashed, not its cost.
constexpr server::ArgonParams kCheapArgon{8192, 1, 1};
// 2023-11-14T22:13:20Z, as in test_common/fake_clock.h.
const store::Timestamp kStart{std::chrono::seconds{1'700'000'000}};

store::Permission perm(std::string value, std::string description = "") {
  return store::Permission{std::move(value), std::move(description)};
}

std::vector<std::string> values_of(const store::Api& api) {
  std::vector<std::string> out;
  for (const auto& p : api.permissions) {
    out.push_back(p.value);
  }
  return out;
}

// Drafts, patches and filters that name only some fields (designated initializers would leave
// the others to -Wmissing-field-initializers).
ApplicationDraft app_draft(std::string name, std::optional<std::string> client_id = std::nullopt) {
  ApplicationDraft d;
  d.name = std::move(name);
  d.client_id = std::move(client_id);
  return d;
}

UserDraft user_draft(std::string email, std::string password = std::string(kPassword),
                     std::optional<std::string> id = std::nullopt) {
  UserDraft d;
  d.email = std::move(email);
  d.password = std::move(password);
  d.id = std::move(id);
  return d;
}

UserPatch email_patch(std::string email) {
  UserPatch p;
  p.email = std::move(email);
  return p;
}

UserPatch password_patch(std::string password) {
  UserPatch p;
  p.password = std::move(password);
  return p;
}

UserPatch blocked_patch(bool blocked) {
  UserPatch p;
  p.blocked = blocked;
  return p;
}

ClientGrantFilter grants_of(std::optional<std::string> client_id,
                            std::optional<std::string> audience = std::nullopt) {
  ClientGrantFilter f;
  f.client_id = std::move(client_id);
  f.audience = std::move(audience);
  return f;
}

LogFilter logs_of(std::optional<std::string> type,
                  std::optional<std::string> user_id = std::nullopt,
                  std::optional<std::string> client_id = std::nullopt) {
  LogFilter f;
  f.type = std::move(type);
  f.user_id = std::move(user_id);
  f.client_id = std::move(client_id);
  return f;
}

// The result failed with `code`, and its message holds `needle`.
template <typename T>
void expect_error(const AdminResult<T>& r, Code code, std::string_view needle) {
  ASSERT_FALSE(r.ok()) << "expected " << to_string(code) << " containing '" << needle << "'";
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "'" << r.error().message << "' lacks '" << needle << "'";
}

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::SqliteStore::open(dir_.file("signet.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    sqlite_ = std::move(opened).value();
    store_ = std::make_unique<ForwardingStore>(*sqlite_);
    keys_ = std::make_unique<keys::KeyManager>(*store_, keys::MasterKey::from_bytes(kMasterKey));
    service_ = std::make_unique<AdminService>(
        *store_, *keys_, hasher(), passwords_, [this] { return now_; },
        std::string(kManagementApi));
  }

  static server::SecretHasher hasher() {
    return server::SecretHasher(keys::MasterKey::from_bytes(kMasterKey));
  }

  store::Api create_api(std::string_view identifier = kApi) {
    ApiDraft draft;
    draft.identifier = identifier;
    draft.name = "Messages";
    draft.permissions = {perm("read:messages", "Read messages"), perm("write:messages")};
    auto api = service_->create_api(draft);
    EXPECT_TRUE(api.ok()) << api.error().message;
    return api.ok() ? *api : store::Api{};
  }

  ApplicationWithSecret create_app(std::string name = "Backend") {
    ApplicationDraft draft;
    draft.name = std::move(name);
    auto app = service_->create_application(draft);
    EXPECT_TRUE(app.ok()) << app.error().message;
    return app.ok() ? *app : ApplicationWithSecret{};
  }

  store::User create_user(std::string email = "ada@example.com") {
    UserDraft draft;
    draft.email = std::move(email);
    draft.password = kPassword;
    auto user = service_->create_user(draft);
    EXPECT_TRUE(user.ok()) << user.error().message;
    return user.ok() ? *user : store::User{};
  }

  // A live refresh token of `user` for `client_id` at kApi.
  void insert_refresh_token(const store::User& user, const std::string& client_id,
                            const std::string& id) {
    store::RefreshToken t;
    t.id = id;
    t.token_hash = "hash-of-" + id;
    t.family_id = "family-" + id;
    t.client_id = client_id;
    t.user_id = user.id;
    t.audience = kApi;
    t.created_at = now_;
    t.expires_at = now_ + std::chrono::hours{24};
    ASSERT_TRUE(sqlite_->insert_refresh_token(t).ok());
  }

  signet::testing::TempDir dir_;
  std::unique_ptr<store::SqlStore> sqlite_;  // the real store, for writes behind the service
  std::unique_ptr<ForwardingStore> store_;   // what the service uses
  std::unique_ptr<keys::KeyManager> keys_;
  const server::PasswordHasher passwords_{kCheapArgon};
  store::Timestamp now_ = kStart;
  std::unique_ptr<AdminService> service_;
};

// --- paging

TEST_F(AdminServiceTest, PagingRefusesPerPageOutsideOneToMax) {
  for (const std::int64_t per_page : {std::int64_t{0}, std::int64_t{-1}, kMaxPerPage + 1}) {
    expect_error(service_->list_apis({0, per_page}), Code::kInvalid,
                 "per_page must be between 1 and 100, not " + std::to_string(per_page));
  }
  EXPECT_TRUE(service_->list_apis({0, 1}).ok());
  EXPECT_TRUE(service_->list_apis({0, kMaxPerPage}).ok());
}

TEST_F(AdminServiceTest, PagingRefusesNegativePagesAndOffsetsThatWouldOverflow) {
  expect_error(service_->list_apis({-1, 10}), Code::kInvalid, "page must be 0 or more");
  const std::int64_t last = std::numeric_limits<std::int64_t>::max() / kMaxPerPage;
  expect_error(service_->list_applications({last + 1, kMaxPerPage}), Code::kInvalid,
               "past the end");
  // The largest page that still fits is a valid, empty page.
  auto far = service_->list_applications({last, kMaxPerPage});
  ASSERT_TRUE(far.ok()) << far.error().message;
  EXPECT_TRUE(far->items.empty());
  EXPECT_EQ(far->start, last * kMaxPerPage);
}

TEST_F(AdminServiceTest, PagesAreWindowsWithTheTotal) {
  for (int i = 0; i < 5; ++i) {
    create_api("urn:api:" + std::to_string(i));
  }
  auto first = service_->list_apis({0, 2});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->total, 5);
  EXPECT_EQ(first->start, 0);
  EXPECT_EQ(first->limit, 2);
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].identifier, "urn:api:0");
  auto last = service_->list_apis({2, 2});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->start, 4);
  ASSERT_EQ(last->items.size(), 1u);
  EXPECT_EQ(last->items[0].identifier, "urn:api:4");
  auto past = service_->list_apis({3, 2});
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->items.empty());
  EXPECT_EQ(past->total, 5);
  EXPECT_EQ(past->start, 6);
}

TEST_F(AdminServiceTest, StoreFailuresBecomeUnavailableAndSayNothingChanged) {
  store_->failures["page_apis"] = {store::StoreErrorCode::kBusy, "database is locked"};
  expect_error(service_->list_apis({}), Code::kUnavailable,
               "cannot list APIs: the database is busy");
  store_->failures["get_api"] = {store::StoreErrorCode::kIo, "disk I/O error"};
  expect_error(service_->get_api(kApi), Code::kUnavailable, "disk I/O error");
  store_->failures["get_api"] = {store::StoreErrorCode::kInternal, "misuse"};
  expect_error(service_->get_api(kApi), Code::kInternal, "misuse");
}

// --- APIs

TEST_F(AdminServiceTest, CreateApiFillsInTheDefaults) {
  ApiDraft draft;
  draft.identifier = kApi;
  draft.name = "Messages";
  auto api = service_->create_api(draft);
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(api->signing_algorithm, jose::Algorithm::kRS256);
  EXPECT_EQ(api->token_lifetime, store::kDefaultTokenLifetime);
  EXPECT_FALSE(api->allow_offline_access);
  EXPECT_EQ(api->token_profile, store::TokenProfile::kAuth0);
  EXPECT_FALSE(api->permissions_claim);
  EXPECT_FALSE(api->require_dpop);
  EXPECT_TRUE(api->permissions.empty());
  EXPECT_EQ(api->created_at, kStart);
  EXPECT_GT(api->revision, 0u);
  EXPECT_EQ(*service_->get_api(kApi), *api);
}

TEST_F(AdminServiceTest, CreateApiTakesEverySetting) {
  ApiDraft draft;
  draft.identifier = kApi;
  draft.name = "Messages";
  draft.signing_algorithm = jose::Algorithm::kEdDSA;
  draft.token_lifetime = std::chrono::seconds{60};
  draft.allow_offline_access = true;
  draft.token_profile = store::TokenProfile::kRfc9068;
  draft.permissions_claim = true;
  draft.require_dpop = true;
  draft.permissions = {perm("read:messages", "Read")};
  auto api = service_->create_api(draft);
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_TRUE(api->require_dpop);
  EXPECT_EQ(api->signing_algorithm, jose::Algorithm::kEdDSA);
  EXPECT_EQ(api->token_lifetime, std::chrono::seconds{60});
  EXPECT_TRUE(api->allow_offline_access);
  EXPECT_EQ(api->token_profile, store::TokenProfile::kRfc9068);
  EXPECT_TRUE(api->permissions_claim);
  EXPECT_EQ(api->permissions, (std::vector<store::Permission>{perm("read:messages", "Read")}));
}

TEST_F(AdminServiceTest, CreateApiChecksTheLifetimeOnEachSideOfItsBounds) {
  ApiDraft draft;
  draft.name = "x";
  int n = 0;
  for (const std::int64_t seconds : {std::int64_t{0}, std::int64_t{-5}, std::int64_t{2'592'001}}) {
    draft.identifier = "urn:bad:" + std::to_string(++n);
    draft.token_lifetime = std::chrono::seconds{seconds};
    expect_error(service_->create_api(draft), Code::kInvalid,
                 "between 1 and 2592000 seconds (30 days), not " + std::to_string(seconds));
  }
  for (const std::int64_t seconds : {std::int64_t{1}, std::int64_t{2'592'000}}) {
    draft.identifier = "urn:good:" + std::to_string(seconds);
    draft.token_lifetime = std::chrono::seconds{seconds};
    EXPECT_TRUE(service_->create_api(draft).ok()) << seconds;
  }
  EXPECT_EQ(service_->list_apis({})->total, 2);
}

TEST_F(AdminServiceTest, CreateApiRefusesPermissionNamesThatListsWouldSplit) {
  ApiDraft draft;
  draft.identifier = kApi;
  draft.name = "x";
  for (const char* name : {"read,write", "read write", "read\twrite"}) {
    draft.permissions = {perm(name)};
    expect_error(service_->create_api(draft), Code::kInvalid, "cannot hold a comma or white space");
  }
  EXPECT_EQ(service_->list_apis({})->total, 0);
}

TEST_F(AdminServiceTest, CreateApiPassesTheStoresRulesOn) {
  ApiDraft draft;
  draft.identifier = kApi;
  draft.name = "";
  expect_error(service_->create_api(draft), Code::kInvalid, "name must not be empty");
  draft.name = "x";
  draft.permissions = {perm("read\"messages")};
  expect_error(service_->create_api(draft), Code::kInvalid, "read\"messages");
  draft.permissions = {perm("a"), perm("a")};
  expect_error(service_->create_api(draft), Code::kInvalid, "repeated");
  create_api();
  draft.permissions = {};
  expect_error(service_->create_api(draft), Code::kConflict, "already exists");
}

TEST_F(AdminServiceTest, GetApiUnknownSaysWhichIdentifier) {
  expect_error(service_->get_api("https://nope/"), Code::kNotFound,
               "no API with identifier https://nope/");
}

TEST_F(AdminServiceTest, UpdateApiChangesOnlyWhatThePatchNames) {
  const auto before = create_api();
  ApiPatch patch;
  patch.name = "Renamed";
  auto renamed = service_->update_api(kApi, patch, std::nullopt);
  ASSERT_TRUE(renamed.ok()) << renamed.error().message;
  auto expected = before;
  expected.name = "Renamed";
  expected.revision = renamed->revision;
  EXPECT_EQ(*renamed, expected);
  EXPECT_GT(renamed->revision, before.revision);

  ApiPatch more;
  more.signing_algorithm = jose::Algorithm::kES256;
  more.token_lifetime = std::chrono::seconds{60};
  more.allow_offline_access = true;
  more.token_profile = store::TokenProfile::kRfc9068;
  more.permissions_claim = true;
  more.require_dpop = true;
  auto updated = service_->update_api(kApi, more, std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->name, "Renamed");
  EXPECT_EQ(updated->signing_algorithm, jose::Algorithm::kES256);
  EXPECT_EQ(updated->token_lifetime, std::chrono::seconds{60});
  EXPECT_TRUE(updated->allow_offline_access);
  EXPECT_EQ(updated->token_profile, store::TokenProfile::kRfc9068);
  EXPECT_TRUE(updated->permissions_claim);
  EXPECT_TRUE(updated->require_dpop);
  EXPECT_EQ(updated->permissions, before.permissions);
  EXPECT_EQ(updated->created_at, before.created_at);

  // A patch that names only the requirement changes only it: the one way to turn it off.
  ApiPatch off;
  off.require_dpop = false;
  auto cleared = service_->update_api(kApi, off, std::nullopt);
  ASSERT_TRUE(cleared.ok()) << cleared.error().message;
  auto expected_off = *updated;
  expected_off.require_dpop = false;
  expected_off.revision = cleared->revision;
  EXPECT_EQ(*cleared, expected_off);
}

TEST_F(AdminServiceTest, UpdateApiRefusesBadInputAndWritesNothing) {
  const auto before = create_api();
  expect_error(service_->update_api(kApi, ApiPatch{}, std::nullopt), Code::kInvalid,
               "nothing to update for API");
  ApiPatch lifetime;
  lifetime.token_lifetime = std::chrono::seconds{2'592'001};
  expect_error(service_->update_api(kApi, lifetime, std::nullopt), Code::kInvalid, "2592000");
  ApiPatch add;
  add.add_permissions = {perm("two words")};
  expect_error(service_->update_api(kApi, add, std::nullopt), Code::kInvalid,
               "add one permission at a time");
  ApiPatch replace;
  replace.permissions = std::vector<store::Permission>{perm("a,b")};
  expect_error(service_->update_api(kApi, replace, std::nullopt), Code::kInvalid, "comma");
  ApiPatch empty_name;
  empty_name.name = "";
  expect_error(service_->update_api(kApi, empty_name, std::nullopt), Code::kInvalid,
               "name must not be empty");
  EXPECT_EQ(*service_->get_api(kApi), before);
  ApiPatch name;
  name.name = "x";
  expect_error(service_->update_api("https://nope/", name, std::nullopt), Code::kNotFound,
               "no API with identifier https://nope/");
}

TEST_F(AdminServiceTest, AddPermissionsAddsNewOnesAndDescribesExistingOnes) {
  auto app = create_app();
  create_api();
  ASSERT_TRUE(service_->create_client_grant(app.application.client_id, kApi, {"write:messages"}));
  ApiPatch add;
  add.add_permissions = {perm("delete:messages", "Delete"), perm("write:messages", "Write")};
  auto api = service_->update_api(kApi, add, std::nullopt);
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(api->permissions,
            (std::vector<store::Permission>{perm("read:messages", "Read messages"),
                                            perm("write:messages", "Write"),
                                            perm("delete:messages", "Delete")}));
  // Described in place: the grant that holds it keeps it.
  auto grants = service_->list_client_grants({}, {});
  ASSERT_EQ(grants->items.size(), 1u);
  EXPECT_EQ(grants->items[0].scopes, std::vector<std::string>{"write:messages"});
}

TEST_F(AdminServiceTest, AddingWhatExistsWithoutADescriptionWritesNothing) {
  const auto before = create_api();
  ApiPatch add;
  add.add_permissions = {perm("read:messages")};
  auto api = service_->update_api(kApi, add, std::nullopt);
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(*api, before);  // the description stays, and so does the revision
}

TEST_F(AdminServiceTest, RemovePermissionsIsAllOrNothingAndReachesGrantsAndUsers) {
  auto app = create_app();
  create_api();
  auto user = create_user();
  ASSERT_TRUE(service_->create_client_grant(app.application.client_id, kApi,
                                            {"read:messages", "write:messages"}));
  ASSERT_TRUE(service_->add_user_permissions(user.id, kApi, {"read:messages", "write:messages"}));
  ApiPatch typo;
  typo.remove_permissions = {"write:messages", "typo:messages"};
  expect_error(service_->update_api(kApi, typo, std::nullopt), Code::kInvalid,
               "API https://api.example.com/ has no permission typo:messages");
  EXPECT_EQ(values_of(*service_->get_api(kApi)),
            (std::vector<std::string>{"read:messages", "write:messages"}));

  ApiPatch remove;
  remove.remove_permissions = {"write:messages"};
  auto api = service_->update_api(kApi, remove, std::nullopt);
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(values_of(*api), std::vector<std::string>{"read:messages"});
  EXPECT_EQ(service_->list_client_grants({}, {})->items[0].scopes,
            std::vector<std::string>{"read:messages"});
  EXPECT_EQ(service_->list_user_permissions(user.id, std::nullopt)->size(), 1u);
}

TEST_F(AdminServiceTest, PermissionsReplaceThenAddThenRemove) {
  create_api();
  ApiPatch patch;
  patch.permissions = std::vector<store::Permission>{perm("a", "A"), perm("b")};
  patch.add_permissions = {perm("c")};
  patch.remove_permissions = {"a", "c"};  // "c" exists once the additions are applied
  auto api = service_->update_api(kApi, patch, std::nullopt);
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(api->permissions, std::vector<store::Permission>{perm("b")});
}

TEST_F(AdminServiceTest, UpdateApiWithTheRevisionReadWrites) {
  const auto before = create_api();
  ApiPatch patch;
  patch.name = "Renamed";
  auto updated = service_->update_api(kApi, patch, before.revision);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->name, "Renamed");
}

TEST_F(AdminServiceTest, UpdateApiWithAnOldRevisionIsStaleAndWritesNothing) {
  const auto before = create_api();
  ApiPatch first;
  first.name = "First";
  const auto after_first = service_->update_api(kApi, first, std::nullopt);
  ASSERT_TRUE(after_first.ok());
  ApiPatch second;
  second.token_lifetime = std::chrono::seconds{60};
  expect_error(service_->update_api(kApi, second, before.revision), Code::kStale,
               "is at revision " + std::to_string(after_first->revision) + ", not " +
                   std::to_string(before.revision));
  EXPECT_EQ(*service_->get_api(kApi), *after_first);
}

TEST_F(AdminServiceTest, APatchThatLostARaceIsAppliedAgainToTheWinnersRecord) {
  create_api();
  int reads = 0;
  store_->after_read = [&](std::string_view) {
    if (++reads == 1) {  // another admin renames the API between this patch's read and write
      auto api = *sqlite_->get_api(kApi);
      api.name = "Renamed elsewhere";
      ASSERT_TRUE(sqlite_->update_api(api).ok());
    }
  };
  ApiPatch add;
  add.add_permissions = {perm("delete:messages")};
  auto api = service_->update_api(kApi, add, std::nullopt);
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(api->name, "Renamed elsewhere");
  EXPECT_EQ(values_of(*api),
            (std::vector<std::string>{"read:messages", "write:messages", "delete:messages"}));
}

TEST_F(AdminServiceTest, APatchNamingARevisionIsNotAppliedAgainAfterALostRace) {
  const auto before = create_api();
  int reads = 0;
  store_->after_read = [&](std::string_view) {
    if (++reads == 1) {
      auto api = *sqlite_->get_api(kApi);
      api.name = "Renamed elsewhere";
      ASSERT_TRUE(sqlite_->update_api(api).ok());
    }
  };
  ApiPatch add;
  add.add_permissions = {perm("delete:messages")};
  expect_error(service_->update_api(kApi, add, before.revision), Code::kStale,
               "read it again and repeat the change");
  EXPECT_EQ(reads, 1);
  store_->after_read = nullptr;
  EXPECT_EQ(values_of(*service_->get_api(kApi)),
            (std::vector<std::string>{"read:messages", "write:messages"}));
}

TEST_F(AdminServiceTest, APatchThatKeepsLosingGivesUpAfterTheNamedNumberOfAttempts) {
  create_api();
  int reads = 0;
  store_->after_read = [&](std::string_view) {
    ++reads;
    auto api = *sqlite_->get_api(kApi);
    api.name = "Renamed " + std::to_string(reads);
    ASSERT_TRUE(sqlite_->update_api(api).ok());
  };
  ApiPatch add;
  add.add_permissions = {perm("delete:messages")};
  expect_error(service_->update_api(kApi, add, std::nullopt), Code::kUnavailable,
               "nothing was changed, try again");
  EXPECT_EQ(reads, kMaxPatchAttempts);
  store_->after_read = nullptr;
  EXPECT_EQ(service_->get_api(kApi)->permissions.size(), 2u);
}

// Two threads read the same revision before either writes (the barrier makes sure of it): one
// write wins, the other is stale, re-reads and re-applies, and both permissions survive.
TEST_F(AdminServiceTest, TwoConcurrentAddPermissionsBothWin) {
  create_api();
  std::barrier both_read(2);
  std::atomic<int> reads{0};
  store_->after_read = [&](std::string_view) {
    if (reads.fetch_add(1) < 2) {
      both_read.arrive_and_wait();
    }
  };
  std::array<AdminResult<store::Api>, 2> results{fail(AdminError::invalid("not run")),
                                                 fail(AdminError::invalid("not run"))};
  std::array<std::thread, 2> threads;
  for (int i = 0; i < 2; ++i) {
    threads[i] = std::thread([&, i] {
      ApiPatch add;
      add.add_permissions = {perm("added:" + std::to_string(i))};
      results[i] = service_->update_api(kApi, add, std::nullopt);
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_EQ(reads.load(), 3);  // both first reads, and one re-read by the loser
  const auto values = values_of(*service_->get_api(kApi));
  EXPECT_EQ(std::set<std::string>(values.begin(), values.end()),
            (std::set<std::string>{"read:messages", "write:messages", "added:0", "added:1"}));
}

TEST_F(AdminServiceTest, ManyConcurrentAddPermissionsAllSurvive) {
  create_api();
  // Fewer than kMaxPatchAttempts each, as in admin_contract_test.cc: every race a thread loses is
  // a write the other thread won, so neither can lose more races than the other has writes, and
  // the test cannot fail by bad luck. (With 20 each it did, once, under ASan: one thread lost 8 in
  // a row while the other kept writing.)
  constexpr int kPerThread = kMaxPatchAttempts - 1;
  std::array<std::thread, 2> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 2; ++t) {
    threads[t] = std::thread([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ApiPatch add;
        // Built piecewise: gcc 12 warns (-Wstringop-overflow, a false positive) on "p" + ...
        std::string name = std::to_string(t);
        name.insert(0, 1, 'p');
        name += ':';
        name += std::to_string(i);
        add.add_permissions = {perm(name)};
        if (auto updated = service_->update_api(kApi, add, std::nullopt); !updated.ok()) {
          failures.fetch_add(1);
          ADD_FAILURE() << updated.error().message;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(service_->get_api(kApi)->permissions.size(), 2u + 2 * kPerThread);
}

TEST_F(AdminServiceTest, TheManagementApiCannotBeDeletedRenamedOrHaveItsPermissionsChanged) {
  // Creating it is allowed: signet serve does so at its first start.
  const auto before = create_api(kManagementApi);
  expect_error(service_->delete_api(kManagementApi), Code::kForbidden, "cannot be deleted");
  ApiPatch rename;
  rename.name = "Mine now";
  expect_error(service_->update_api(kManagementApi, rename, std::nullopt), Code::kForbidden,
               "is the Management API");
  ApiPatch add;
  add.add_permissions = {perm("everything")};
  expect_error(service_->update_api(kManagementApi, add, std::nullopt), Code::kForbidden,
               "permissions cannot be changed");
  ApiPatch remove;
  remove.remove_permissions = {"read:messages"};
  expect_error(service_->update_api(kManagementApi, remove, std::nullopt), Code::kForbidden,
               "permissions cannot be changed");
  ApiPatch replace;
  replace.permissions = std::vector<store::Permission>{};
  expect_error(service_->update_api(kManagementApi, replace, std::nullopt), Code::kForbidden,
               "permissions cannot be changed");
  EXPECT_EQ(*service_->get_api(kManagementApi), before);

  // Its other settings are the operator's; a patch that repeats its name and permissions is
  // no change to them.
  ApiPatch tune;
  tune.token_lifetime = std::chrono::seconds{600};
  tune.name = before.name;
  tune.permissions = before.permissions;
  auto tuned = service_->update_api(kManagementApi, tune, std::nullopt);
  ASSERT_TRUE(tuned.ok()) << tuned.error().message;
  EXPECT_EQ(tuned->token_lifetime, std::chrono::seconds{600});
  // Applications get in with client grants, as in Auth0.
  auto app = create_app();
  EXPECT_TRUE(
      service_->create_client_grant(app.application.client_id, kManagementApi, {"read:messages"}));
}

TEST_F(AdminServiceTest, WithoutAProtectedApiEveryApiCanBeDeleted) {
  AdminService plain(*store_, *keys_, hasher(), passwords_, [this] { return now_; });
  create_api(kManagementApi);
  EXPECT_TRUE(plain.delete_api(kManagementApi).ok());
}

TEST_F(AdminServiceTest, DeleteApiCountsTheGrantsThatWentWithIt) {
  auto app = create_app();
  auto other_app = create_app("Other");
  create_api();
  create_api(kOtherApi);
  ASSERT_TRUE(service_->create_client_grant(app.application.client_id, kApi, {}));
  ASSERT_TRUE(service_->create_client_grant(other_app.application.client_id, kApi, {}));
  ASSERT_TRUE(service_->create_client_grant(app.application.client_id, kOtherApi, {}));
  auto deleted = service_->delete_api(kApi);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(deleted->api.identifier, kApi);
  EXPECT_EQ(deleted->client_grants, 2);
  EXPECT_EQ(service_->list_client_grants({}, {})->total, 1);
  expect_error(service_->get_api(kApi), Code::kNotFound, "no API");
  expect_error(service_->delete_api(kApi), Code::kNotFound, "no API with identifier");
}

// --- applications

TEST_F(AdminServiceTest, CreateApplicationMakesAClientIdAndASecretShownOnce) {
  auto made = service_->create_application(app_draft("Backend"));
  ASSERT_TRUE(made.ok()) << made.error().message;
  const auto& app = made->application;
  EXPECT_EQ(app.client_id.size(), 22u);
  EXPECT_EQ(made->client_secret.size(), server::kSecretTextLength);
  EXPECT_EQ(app.type, store::ApplicationType::kM2m);
  EXPECT_EQ(app.grant_types, std::vector<store::GrantType>{store::GrantType::kClientCredentials});
  EXPECT_EQ(app.token_endpoint_auth_method,
            store::TokenEndpointAuthMethod::kClientSecretBasicOrPost);
  EXPECT_EQ(app.created_at, kStart);
  EXPECT_TRUE(app.client_secret_hash.empty());
  // The store keeps the hash the token endpoint checks.
  const auto stored = *sqlite_->get_application(app.client_id);
  EXPECT_TRUE(hasher().matches(made->client_secret, stored.client_secret_hash));
}

TEST_F(AdminServiceTest, ApplicationsThatActForUsersDefaultToTheCodeFlow) {
  auto web = app_draft("web");
  web.type = store::ApplicationType::kRegularWeb;
  auto made = service_->create_application(web);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made->application.grant_types,
            (std::vector<store::GrantType>{store::GrantType::kAuthorizationCode,
                                           store::GrantType::kPassword,
                                           store::GrantType::kRefreshToken}));
  EXPECT_EQ(made->application.token_endpoint_auth_method,
            store::TokenEndpointAuthMethod::kClientSecretBasicOrPost);
  EXPECT_EQ(made->client_secret.size(), server::kSecretTextLength);
  // Single-page and native apps are public: no secret, and no grant that trusts a client_id.
  for (const auto type : {store::ApplicationType::kNative, store::ApplicationType::kSpa}) {
    auto draft = app_draft("x");
    draft.type = type;
    auto pub = service_->create_application(draft);
    ASSERT_TRUE(pub.ok()) << pub.error().message;
    EXPECT_EQ(pub->application.grant_types,
              (std::vector<store::GrantType>{store::GrantType::kAuthorizationCode,
                                             store::GrantType::kRefreshToken}));
    EXPECT_EQ(pub->application.token_endpoint_auth_method, store::TokenEndpointAuthMethod::kNone);
    EXPECT_TRUE(pub->client_secret.empty());
    EXPECT_TRUE(sqlite_->get_application(pub->application.client_id)->client_secret_hash.empty());
    expect_error(service_->rotate_secret(pub->application.client_id), Code::kInvalid,
                 "cannot keep a secret");
  }
  auto draft = app_draft("x");
  draft.grant_types = {store::GrantType::kRefreshToken};
  draft.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretBasic;
  auto chosen = service_->create_application(draft);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->application.grant_types,
            std::vector<store::GrantType>{store::GrantType::kRefreshToken});
  EXPECT_EQ(chosen->application.token_endpoint_auth_method,
            store::TokenEndpointAuthMethod::kClientSecretBasic);
}

TEST_F(AdminServiceTest, CreateApplicationTakesAChosenClientIdOnce) {
  auto made = service_->create_application(app_draft("x", "my-app"));
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made->application.client_id, "my-app");
  expect_error(service_->create_application(app_draft("y", "my-app")), Code::kConflict,
               "already exists");
  expect_error(service_->create_application(app_draft("y", "two words")), Code::kInvalid,
               "client_id 'two words' must be printable ASCII");
  expect_error(service_->create_application(app_draft("y", "")), Code::kInvalid,
               "client_id '' must be printable ASCII");
}

TEST_F(AdminServiceTest, CreateApplicationRefusesWhatCouldNeverWork) {
  auto public_m2m = app_draft("x");
  public_m2m.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  expect_error(service_->create_application(public_m2m), Code::kInvalid,
               "machine-to-machine application must authenticate itself");
  auto spa_secret = app_draft("x");
  spa_secret.type = store::ApplicationType::kSpa;
  spa_secret.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretPost;
  expect_error(service_->create_application(spa_secret), Code::kInvalid,
               "cannot keep a secret or a private key");
  auto native_password = app_draft("x");
  native_password.type = store::ApplicationType::kNative;
  native_password.grant_types = {store::GrantType::kAuthorizationCode, store::GrantType::kPassword};
  expect_error(service_->create_application(native_password), Code::kInvalid,
               "cannot use the password grant");
  auto web_none_cc = app_draft("x");
  web_none_cc.type = store::ApplicationType::kRegularWeb;
  web_none_cc.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  web_none_cc.grant_types = {store::GrantType::kClientCredentials};
  expect_error(service_->create_application(web_none_cc), Code::kInvalid,
               "cannot use the client_credentials grant");
  auto repeated = app_draft("x");
  repeated.grant_types = {store::GrantType::kPassword, store::GrantType::kPassword};
  expect_error(service_->create_application(repeated), Code::kInvalid, "repeated");
  expect_error(service_->create_application(app_draft("")), Code::kInvalid,
               "name must not be empty");
  EXPECT_EQ(service_->list_applications({})->total, 0);
}

TEST_F(AdminServiceTest, ApplicationUrlsAreCheckedThenStoredAsGiven) {
  auto draft = app_draft("spa");
  draft.type = store::ApplicationType::kSpa;
  draft.callbacks = {"http://localhost:3000/callback", "https://app.example.com/cb?x=1"};
  draft.allowed_logout_urls = {"http://localhost:3000/"};
  draft.web_origins = {"http://localhost:3000", "https://app.example.com"};
  auto made = service_->create_application(draft);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made->application.callbacks, draft.callbacks);
  EXPECT_EQ(made->application.allowed_logout_urls, draft.allowed_logout_urls);
  EXPECT_EQ(made->application.web_origins, draft.web_origins);
  auto native = app_draft("native");
  native.type = store::ApplicationType::kNative;
  native.callbacks = {"com.example.app:/callback"};
  EXPECT_TRUE(service_->create_application(native).ok());

  struct Case {
    std::string name;
    std::vector<std::string> callbacks, logout_urls, origins;
    std::string expected;
  };
  const std::vector<Case> cases{
      {"relative callback", {"/callback"}, {}, {}, "is not an absolute URL"},
      {"fragment", {"https://app.example.com/cb#x"}, {}, {}, "fragment"},
      {"userinfo", {"https://user@app.example.com/cb"}, {}, {}, "userinfo"},
      {"javascript", {"javascript:alert(1)"}, {}, {}, "never a place to send a browser"},
      {"repeated", {"https://a.example/cb", "https://a.example/cb"}, {}, {}, "is repeated"},
      {"logout URL", {}, {"data:text/html,x"}, {}, "allowed logout URL 'data:text/html,x'"},
      {"origin with a path", {}, {}, {"http://localhost:3000/"}, "write http://localhost:3000"},
      {"origin with a default port",
       {},
       {},
       {"https://app.example.com:443"},
       "write https://app.example.com"},
      {"origin not http", {}, {}, {"ftp://app.example.com"}, "web origin 'ftp://app.example.com'"},
  };
  const std::string id = made->application.client_id;
  const auto before = *service_->get_application(id);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bad = app_draft("bad");
    bad.type = store::ApplicationType::kSpa;
    bad.callbacks = c.callbacks;
    bad.allowed_logout_urls = c.logout_urls;
    bad.web_origins = c.origins;
    expect_error(service_->create_application(bad), Code::kInvalid, c.expected);
    ApplicationPatch patch;
    patch.callbacks = c.callbacks;
    patch.allowed_logout_urls = c.logout_urls;
    patch.web_origins = c.origins;
    expect_error(service_->update_application(id, patch, std::nullopt), Code::kInvalid, c.expected);
  }
  EXPECT_EQ(*service_->get_application(id), before);
  // A patch replaces a whole list, and an empty one clears it.
  ApplicationPatch clear;
  clear.callbacks = std::vector<std::string>{};
  clear.web_origins = std::vector<std::string>{"https://other.example"};
  auto cleared = service_->update_application(id, clear, std::nullopt);
  ASSERT_TRUE(cleared.ok()) << cleared.error().message;
  EXPECT_TRUE(cleared->callbacks.empty());
  EXPECT_EQ(cleared->allowed_logout_urls, draft.allowed_logout_urls);
  EXPECT_EQ(cleared->web_origins, std::vector<std::string>{"https://other.example"});
}

// A public JWK Set of one fresh key.
std::string public_jwks(std::string kid = "k1") {
  auto key = jose::generate_jwk(jose::Algorithm::kES256, std::move(kid)).value();
  return boost::json::serialize(jose::to_public_jwks({key}));
}

TEST_F(AdminServiceTest, PrivateKeyJwtNeedsExactlyOnePlaceForItsPublicKeys) {
  auto draft = app_draft("signed");
  draft.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kPrivateKeyJwt;
  expect_error(service_->create_application(draft), Code::kInvalid,
               "needs its public keys: give exactly one of jwks");
  draft.jwks = public_jwks();
  draft.jwks_uri = "https://client.example/jwks.json";
  expect_error(service_->create_application(draft), Code::kInvalid, "exactly one of jwks");
  draft.jwks_uri.clear();
  auto made = service_->create_application(draft);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_TRUE(made->client_secret.empty());
  EXPECT_TRUE(sqlite_->get_application(made->application.client_id)->client_secret_hash.empty());
  EXPECT_EQ(made->application.jwks, draft.jwks);

  auto uri = app_draft("fetched");
  uri.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kPrivateKeyJwt;
  for (const std::string ok : {"https://client.example/jwks.json", "http://localhost:8080/jwks",
                               "http://127.0.0.1:9/k", "http://[::1]:9/k"}) {
    uri.jwks_uri = ok;
    uri.name = "fetched " + ok;
    EXPECT_TRUE(service_->create_application(uri).ok()) << ok;
  }
  uri.jwks_uri = "http://client.example/jwks.json";
  expect_error(service_->create_application(uri), Code::kInvalid, "must use https");
  uri.jwks_uri = "jwks.json";
  expect_error(service_->create_application(uri), Code::kInvalid, "jwks_uri 'jwks.json'");

  // Keys for a client that does not use them are most likely a forgotten auth method.
  auto unused = app_draft("unused");
  unused.jwks = public_jwks();
  expect_error(service_->create_application(unused), Code::kInvalid,
               "also set the auth method private_key_jwt");
}

TEST_F(AdminServiceTest, AJwksMustBeASetOfUsablePublicKeys) {
  auto key = jose::generate_jwk(jose::Algorithm::kES256, "k1").value();
  auto pub = jose::to_public_jwks({key});
  auto with_private = pub;
  with_private["keys"].as_array()[0].as_object()["d"] = "c2VjcmV0";
  auto hmac = boost::json::object{
      {"keys", boost::json::array{boost::json::object{{"kty", "oct"}, {"k", "c2VjcmV0"}}}}};
  auto other_curve = pub;
  other_curve["keys"].as_array()[0].as_object()["crv"] = "P-384";
  const std::vector<std::pair<std::string, std::string>> cases{
      {boost::json::serialize(with_private), "holds the private member \"d\""},
      {boost::json::serialize(hmac), "holds the private member \"k\""},
      {"not json", "is not a JSON object"},
      {"[]", "is not a JSON object"},
      {R"({"keys": []})", "no \"keys\" array"},
      {R"({"keys": [7]})", "key 1 of the JWKS is not a JSON object"},
      {boost::json::serialize(other_curve), "key 'k1' of the JWKS cannot be used"},
  };
  for (const auto& [jwks, expected] : cases) {
    SCOPED_TRACE(jwks);
    auto draft = app_draft("signed");
    draft.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kPrivateKeyJwt;
    draft.jwks = jwks;
    expect_error(service_->create_application(draft), Code::kInvalid, expected);
  }
  EXPECT_EQ(service_->list_applications({})->total, 0);
}

TEST_F(AdminServiceTest, SwitchingToKeysDropsTheSecretAndSwitchingBackNeedsANewOne) {
  auto made = create_app();
  const auto id = made.application.client_id;
  ApplicationPatch to_keys;
  to_keys.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kPrivateKeyJwt;
  expect_error(service_->update_application(id, to_keys, std::nullopt), Code::kInvalid,
               "needs its public keys");
  to_keys.jwks = public_jwks();
  auto keyed = service_->update_application(id, to_keys, std::nullopt);
  ASSERT_TRUE(keyed.ok()) << keyed.error().message;
  EXPECT_TRUE(sqlite_->get_application(id)->client_secret_hash.empty());
  // Another place for the keys replaces the first.
  ApplicationPatch to_uri;
  to_uri.jwks_uri = "https://client.example/jwks.json";
  auto moved = service_->update_application(id, to_uri, std::nullopt);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_TRUE(moved->jwks.empty());
  EXPECT_EQ(moved->jwks_uri, "https://client.example/jwks.json");
  ApplicationPatch both;
  both.jwks = public_jwks();
  both.jwks_uri = "https://client.example/jwks.json";
  expect_error(service_->update_application(id, both, std::nullopt), Code::kInvalid, "not both");
  ApplicationPatch no_keys;
  no_keys.jwks_uri = "";
  expect_error(service_->update_application(id, no_keys, std::nullopt), Code::kInvalid,
               "needs its public keys");

  ApplicationPatch back;
  back.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretBasicOrPost;
  expect_error(service_->update_application(id, back, std::nullopt), Code::kInvalid,
               "signet clients rotate-secret " + id);
  auto rotated = service_->rotate_secret(id);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  // Still private_key_jwt until the method changes; the new secret waits for it.
  EXPECT_EQ(rotated->application.token_endpoint_auth_method,
            store::TokenEndpointAuthMethod::kPrivateKeyJwt);
  auto secret_again = service_->update_application(id, back, std::nullopt);
  ASSERT_TRUE(secret_again.ok()) << secret_again.error().message;
  EXPECT_TRUE(
      hasher().matches(rotated->client_secret, sqlite_->get_application(id)->client_secret_hash));
  EXPECT_FALSE(
      hasher().matches(made.client_secret, sqlite_->get_application(id)->client_secret_hash));
}

TEST_F(AdminServiceTest, NoAnswerButCreateAndRotateCarriesTheSecretOrItsHash) {
  auto made = create_app();
  const auto id = made.application.client_id;
  EXPECT_TRUE(service_->get_application(id)->client_secret_hash.empty());
  EXPECT_TRUE(service_->list_applications({})->items.at(0).client_secret_hash.empty());
  ApplicationPatch patch;
  patch.name = "Renamed";
  EXPECT_TRUE(service_->update_application(id, patch, std::nullopt)->client_secret_hash.empty());
  EXPECT_TRUE(service_->rotate_secret(id)->application.client_secret_hash.empty());
  EXPECT_TRUE(service_->delete_application(id)->application.client_secret_hash.empty());
}

TEST_F(AdminServiceTest, UpdateApplicationChangesOnlyWhatThePatchNamesAndKeepsTheSecret) {
  auto made = create_app();
  const auto id = made.application.client_id;
  ApplicationPatch patch;
  patch.name = "Renamed";
  patch.type = store::ApplicationType::kRegularWeb;
  auto app = service_->update_application(id, patch, std::nullopt);
  ASSERT_TRUE(app.ok()) << app.error().message;
  EXPECT_EQ(app->name, "Renamed");
  EXPECT_EQ(app->type, store::ApplicationType::kRegularWeb);
  EXPECT_EQ(app->grant_types, made.application.grant_types);  // a type change keeps them
  ApplicationPatch more;
  more.grant_types = std::vector<store::GrantType>{store::GrantType::kPassword};
  more.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretBasic;
  app = service_->update_application(id, more, app->revision);
  ASSERT_TRUE(app.ok()) << app.error().message;
  EXPECT_EQ(app->grant_types, std::vector<store::GrantType>{store::GrantType::kPassword});
  EXPECT_EQ(app->token_endpoint_auth_method, store::TokenEndpointAuthMethod::kClientSecretBasic);
  EXPECT_EQ(app->name, "Renamed");
  EXPECT_TRUE(
      hasher().matches(made.client_secret, sqlite_->get_application(id)->client_secret_hash));

  // RFC 9449 §5.2: off by default, and a patch naming it alone is a patch (on, then off again).
  EXPECT_FALSE(app->dpop_bound_access_tokens);
  for (const bool bound : {true, false}) {
    ApplicationPatch dpop;
    dpop.dpop_bound_access_tokens = bound;
    auto changed = service_->update_application(id, dpop, std::nullopt);
    ASSERT_TRUE(changed.ok()) << changed.error().message;
    EXPECT_EQ(changed->dpop_bound_access_tokens, bound);
    EXPECT_EQ(changed->name, "Renamed");
    EXPECT_EQ(sqlite_->get_application(id)->dpop_bound_access_tokens, bound);
  }
}

TEST_F(AdminServiceTest, UpdateApplicationRefusesBadInputAndWritesNothing) {
  auto made = create_app();
  const auto id = made.application.client_id;
  const auto before = *service_->get_application(id);
  expect_error(service_->update_application(id, ApplicationPatch{}, std::nullopt), Code::kInvalid,
               "nothing to update for application");
  ApplicationPatch none_granted;
  none_granted.grant_types = std::vector<store::GrantType>{};
  expect_error(service_->update_application(id, none_granted, std::nullopt), Code::kInvalid,
               "at least one grant type");
  ApplicationPatch public_client;
  public_client.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kNone;
  expect_error(service_->update_application(id, public_client, std::nullopt), Code::kInvalid,
               "must authenticate itself");
  ApplicationPatch spa;
  spa.type = store::ApplicationType::kSpa;
  expect_error(service_->update_application(id, spa, std::nullopt), Code::kInvalid,
               "cannot keep a secret");
  ApplicationPatch unused_keys;
  unused_keys.jwks_uri = "https://client.example/jwks.json";
  expect_error(service_->update_application(id, unused_keys, std::nullopt), Code::kInvalid,
               "also set the auth method private_key_jwt");
  ApplicationPatch name;
  name.name = "Renamed";
  expect_error(service_->update_application(id, name, before.revision + 1000), Code::kStale,
               "is at revision");
  expect_error(service_->update_application("nope", name, std::nullopt), Code::kNotFound,
               "no application with client_id nope");
  EXPECT_EQ(*service_->get_application(id), before);
}

TEST_F(AdminServiceTest, RotateSecretReplacesTheSecretAtOnce) {
  auto made = create_app();
  const auto id = made.application.client_id;
  auto rotated = service_->rotate_secret(id);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_NE(rotated->client_secret, made.client_secret);
  EXPECT_EQ(rotated->client_secret.size(), server::kSecretTextLength);
  EXPECT_GT(rotated->application.revision, made.application.revision);
  const auto stored = sqlite_->get_application(id)->client_secret_hash;
  EXPECT_TRUE(hasher().matches(rotated->client_secret, stored));
  EXPECT_FALSE(hasher().matches(made.client_secret, stored));
  expect_error(service_->rotate_secret("nope"), Code::kNotFound, "no application with client_id");
}

TEST_F(AdminServiceTest, RotateSecretAfterALostRaceStoresTheSecretItReturns) {
  auto made = create_app();
  const auto id = made.application.client_id;
  int reads = 0;
  store_->after_read = [&](std::string_view) {
    if (++reads == 1) {
      auto app = *sqlite_->get_application(id);
      app.name = "Renamed elsewhere";
      ASSERT_TRUE(sqlite_->update_application(app).ok());
    }
  };
  auto rotated = service_->rotate_secret(id);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(rotated->application.name, "Renamed elsewhere");
  EXPECT_TRUE(
      hasher().matches(rotated->client_secret, sqlite_->get_application(id)->client_secret_hash));
}

TEST_F(AdminServiceTest, DeleteApplicationCountsItsGrants) {
  auto made = create_app();
  const auto id = made.application.client_id;
  create_api();
  create_api(kOtherApi);
  ASSERT_TRUE(service_->create_client_grant(id, kApi, {}));
  ASSERT_TRUE(service_->create_client_grant(id, kOtherApi, {}));
  auto deleted = service_->delete_application(id);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(deleted->client_grants, 2);
  EXPECT_EQ(deleted->application.client_id, id);
  EXPECT_EQ(service_->list_client_grants({}, {})->total, 0);
  expect_error(service_->delete_application(id), Code::kNotFound, "no application with client_id");
}

TEST_F(AdminServiceTest, CountingGrantsBeforeADeletionCanFailAndDeletesNothing) {
  create_api();
  store_->failures["page_client_grants"] = {store::StoreErrorCode::kBusy, "locked"};
  expect_error(service_->delete_api(kApi), Code::kUnavailable, "busy");
  EXPECT_TRUE(service_->get_api(kApi).ok());
}

// --- client grants

TEST_F(AdminServiceTest, CreateClientGrant) {
  auto app = create_app();
  create_api();
  auto grant = service_->create_client_grant(app.application.client_id, kApi, {"read:messages"});
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  EXPECT_GT(grant->id, 0);
  EXPECT_EQ(grant->client_id, app.application.client_id);
  EXPECT_EQ(grant->audience, kApi);
  EXPECT_EQ(grant->scopes, std::vector<std::string>{"read:messages"});
  EXPECT_EQ(grant->created_at, kStart);
  EXPECT_EQ(*service_->get_client_grant(grant->id), *grant);
}

TEST_F(AdminServiceTest, CreateClientGrantErrors) {
  auto app = create_app();
  const auto id = app.application.client_id;
  create_api();
  expect_error(service_->create_client_grant("nope", kApi, {}), Code::kNotFound,
               "no application with client_id nope");
  expect_error(service_->create_client_grant(id, "https://nope/", {}), Code::kNotFound,
               "no API with identifier https://nope/");
  expect_error(service_->create_client_grant(id, kApi, {"read:messages", "delete:messages"}),
               Code::kInvalid,
               "scope delete:messages is not a permission of API https://api.example.com/");
  EXPECT_EQ(service_->list_client_grants({}, {})->total, 0);
  auto grant = service_->create_client_grant(id, kApi, {});
  ASSERT_TRUE(grant.ok());
  expect_error(service_->create_client_grant(id, kApi, {"read:messages"}), Code::kConflict,
               "already has a grant for API https://api.example.com/: it is grant " +
                   std::to_string(grant->id));
}

TEST_F(AdminServiceTest, ListClientGrantsFiltersByApplicationAndApi) {
  const auto a = create_app("A").application.client_id;
  const auto b = create_app("B").application.client_id;
  create_api();
  create_api(kOtherApi);
  ASSERT_TRUE(service_->create_client_grant(a, kApi, {}));
  ASSERT_TRUE(service_->create_client_grant(a, kOtherApi, {}));
  ASSERT_TRUE(service_->create_client_grant(b, kApi, {}));
  EXPECT_EQ(service_->list_client_grants({}, {})->total, 3);
  EXPECT_EQ(service_->list_client_grants({}, grants_of(a))->total, 2);
  EXPECT_EQ(service_->list_client_grants({}, grants_of(std::nullopt, std::string(kApi)))->total, 2);
  auto one = service_->list_client_grants({}, grants_of(b, std::string(kApi)));
  ASSERT_EQ(one->items.size(), 1u);
  EXPECT_EQ(one->items[0].client_id, b);
  auto paged = service_->list_client_grants({1, 2}, {});
  EXPECT_EQ(paged->items.size(), 1u);
  EXPECT_EQ(paged->start, 2);
  expect_error(service_->list_client_grants({}, grants_of("nope")), Code::kNotFound,
               "no application with client_id nope");
  expect_error(service_->list_client_grants({}, grants_of(std::nullopt, "https://nope/")),
               Code::kNotFound, "no API with identifier https://nope/");
  expect_error(service_->list_client_grants({0, 0}, {}), Code::kInvalid, "per_page");
}

TEST_F(AdminServiceTest, UpdateClientGrantReplacesItsScopes) {
  const auto id = create_app().application.client_id;
  create_api();
  auto grant = service_->create_client_grant(id, kApi, {"read:messages"});
  ASSERT_TRUE(grant.ok());
  auto updated = service_->update_client_grant(grant->id, {"write:messages"}, std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->scopes, std::vector<std::string>{"write:messages"});
  updated = service_->update_client_grant(grant->id, {}, updated->revision);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_TRUE(updated->scopes.empty());
}

TEST_F(AdminServiceTest, UpdateClientGrantErrors) {
  const auto id = create_app().application.client_id;
  create_api();
  auto grant = service_->create_client_grant(id, kApi, {"read:messages"});
  ASSERT_TRUE(grant.ok());
  expect_error(service_->update_client_grant(grant->id, {"nope:x"}, std::nullopt), Code::kInvalid,
               "scope nope:x is not a permission of API");
  expect_error(service_->update_client_grant(4242, {}, std::nullopt), Code::kNotFound,
               "no client grant with id 4242");
  ASSERT_TRUE(service_->update_client_grant(grant->id, {"write:messages"}, std::nullopt));
  expect_error(service_->update_client_grant(grant->id, {}, grant->revision), Code::kStale,
               "client grant " + std::to_string(grant->id) + " is at revision");
  EXPECT_EQ(service_->get_client_grant(grant->id)->scopes,
            std::vector<std::string>{"write:messages"});
}

TEST_F(AdminServiceTest, DeleteClientGrant) {
  const auto id = create_app().application.client_id;
  create_api();
  auto grant = service_->create_client_grant(id, kApi, {});
  ASSERT_TRUE(grant.ok());
  auto deleted = service_->delete_client_grant(grant->id);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, *grant);
  expect_error(service_->get_client_grant(grant->id), Code::kNotFound, "no client grant with id");
  expect_error(service_->delete_client_grant(grant->id), Code::kNotFound,
               "no client grant with id");
  // The application and the API stay.
  EXPECT_TRUE(service_->get_application(id).ok());
  EXPECT_TRUE(service_->get_api(kApi).ok());
}

// --- users

TEST_F(AdminServiceTest, CreateUserMakesAnAuth0StyleIdAndKeepsOnlyTheHash) {
  auto user = service_->create_user(user_draft("ada@example.com"));
  ASSERT_TRUE(user.ok()) << user.error().message;
  ASSERT_EQ(user->id.size(), 6u + 24u);
  EXPECT_EQ(user->id.substr(0, 6), "auth0|");
  EXPECT_EQ(user->id.find_first_not_of("0123456789abcdef", 6), std::string::npos) << user->id;
  EXPECT_EQ(user->email, "ada@example.com");
  EXPECT_FALSE(user->blocked);
  EXPECT_EQ(user->created_at, kStart);
  EXPECT_TRUE(user->password_hash.empty());
  const auto stored = *sqlite_->get_user(user->id);
  EXPECT_TRUE(passwords_.verify(kPassword, stored.password_hash));
  EXPECT_EQ(stored.password_hash.find(kPassword), std::string::npos);
}

TEST_F(AdminServiceTest, CreateUserRefusesATakenIdOrEmail) {
  auto first =
      service_->create_user(user_draft("ada@example.com", std::string(kPassword), "auth0|ada"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->id, "auth0|ada");
  expect_error(
      service_->create_user(user_draft("other@example.com", std::string(kPassword), "auth0|ada")),
      Code::kConflict, "a user with id auth0|ada already exists");
  expect_error(service_->create_user(user_draft("ADA@example.com")), Code::kConflict,
               "a user with email ADA@example.com already exists (auth0|ada)");
  EXPECT_EQ(service_->list_users({}, std::nullopt)->total, 1);
}

TEST_F(AdminServiceTest, CreateUserRefusesWhatIsNotAnEmailAddress) {
  for (const char* email :
       {"not-an-email", "@example.com", "ada@", "ada @example.com", "", "ada\x7f@example.com"}) {
    expect_error(service_->create_user(user_draft(email)), Code::kInvalid,
                 "is not an email address (expected name@example.com)");
  }
  EXPECT_EQ(service_->list_users({}, std::nullopt)->total, 0);
}

TEST_F(AdminServiceTest, CreateUserAppliesThePasswordRulesWithoutEchoingThePassword) {
  const std::string too_long(server::kMaxPasswordLength + 1, 'x');
  const std::string with_nul("secret\0password", 15);
  for (const auto& [password, needle] : std::vector<std::pair<std::string, std::string>>{
           {"seven77", "at least 8"}, {too_long, "at most 1024"}, {with_nul, "NUL"}}) {
    auto r = service_->create_user(user_draft("ada@example.com", password));
    expect_error(r, Code::kInvalid, needle);
    EXPECT_EQ(r.error().message.find(password), std::string::npos);
  }
  EXPECT_EQ(service_->list_users({}, std::nullopt)->total, 0);
  EXPECT_TRUE(service_->create_user(user_draft("a@example.com", "12345678")));
  EXPECT_TRUE(service_->create_user(
      user_draft("b@example.com", std::string(server::kMaxPasswordLength, 'x'))));
}

TEST_F(AdminServiceTest, GetAndFindUser) {
  const auto user = create_user("Ada@Example.com");
  EXPECT_EQ(*service_->get_user(user.id), user);
  EXPECT_EQ(*service_->find_user(user.id), user);
  EXPECT_EQ(*service_->find_user("ada@example.COM"), user);
  expect_error(service_->get_user("ghost"), Code::kNotFound, "no user with id ghost");
  expect_error(service_->get_user("ada@example.com"), Code::kNotFound, "no user with id");
  expect_error(service_->find_user("nobody@example.com"), Code::kNotFound,
               "no user with id or email nobody@example.com");
}

TEST_F(AdminServiceTest, ListUsersSearchesEmailsAndIds) {
  const auto ada = create_user("ada@example.com");
  create_user("bob@example.org");
  auto all = service_->list_users({}, std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total, 2);
  for (const auto& u : all->items) {
    EXPECT_TRUE(u.password_hash.empty());
  }
  auto found = service_->list_users({}, "EXAMPLE.org");
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].email, "bob@example.org");
  EXPECT_EQ(service_->list_users({}, ada.id.substr(6, 10))->items.at(0).id, ada.id);
  EXPECT_EQ(service_->list_users({0, 1}, std::nullopt)->items.size(), 1u);
  expect_error(service_->list_users({-1, 1}, std::nullopt), Code::kInvalid, "page");
}

TEST_F(AdminServiceTest, UpdateUserEmail) {
  const auto ada = create_user("ada@example.com");
  const auto bob = create_user("bob@example.com");
  const auto hash_before = sqlite_->get_user(ada.id)->password_hash;
  auto updated = service_->update_user(ada.id, email_patch("ada@new.example"), std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->user.email, "ada@new.example");
  EXPECT_EQ(updated->sessions_ended, 0);
  EXPECT_TRUE(updated->user.password_hash.empty());
  EXPECT_EQ(sqlite_->get_user(ada.id)->password_hash, hash_before);
  // Their own email in another case is no clash.
  EXPECT_TRUE(service_->update_user(ada.id, email_patch("ADA@new.example"), std::nullopt));
  expect_error(service_->update_user(ada.id, email_patch("BOB@example.com"), std::nullopt),
               Code::kConflict, "a user with email BOB@example.com already exists (" + bob.id);
  expect_error(service_->update_user(ada.id, email_patch("nope"), std::nullopt), Code::kInvalid,
               "not an email address");
  expect_error(service_->update_user(ada.id, UserPatch{}, std::nullopt), Code::kInvalid,
               "nothing to update for user");
  expect_error(service_->update_user("ghost", email_patch("g@example.com"), std::nullopt),
               Code::kNotFound, "no user with id ghost");
  // A missing user is not found even when the email is someone else's.
  expect_error(service_->update_user("ghost", email_patch("bob@example.com"), std::nullopt),
               Code::kNotFound, "no user with id ghost");
  EXPECT_EQ(service_->get_user(ada.id)->email, "ADA@new.example");
}

TEST_F(AdminServiceTest, AChangedPasswordEndsTheUsersSessions) {
  const auto client = create_app().application.client_id;
  create_api();
  const auto ada = create_user();
  const auto bob = create_user("bob@example.com");
  insert_refresh_token(ada, client, "t1");
  insert_refresh_token(ada, client, "t2");
  insert_refresh_token(bob, client, "t3");
  auto updated =
      service_->update_user(ada.id, password_patch("a brand new password"), std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->sessions_ended, 2);
  const auto stored = *sqlite_->get_user(ada.id);
  EXPECT_TRUE(passwords_.verify("a brand new password", stored.password_hash));
  EXPECT_FALSE(passwords_.verify(kPassword, stored.password_hash));
  EXPECT_TRUE(sqlite_->find_refresh_token("hash-of-t1")->revoked);
  EXPECT_FALSE(sqlite_->find_refresh_token("hash-of-t3")->revoked);
  EXPECT_EQ(*service_->revoke_sessions(ada.id), 0);
  expect_error(service_->update_user(ada.id, password_patch("short"), std::nullopt), Code::kInvalid,
               "at least 8");
}

TEST_F(AdminServiceTest, APasswordSetWhoseSessionsCannotBeEndedSaysSo) {
  const auto ada = create_user();
  const auto hash_before = sqlite_->get_user(ada.id)->password_hash;
  store_->failures["revoke_user_refresh_tokens"] = {store::StoreErrorCode::kBusy, "locked"};
  expect_error(service_->update_user(ada.id, password_patch("a brand new password"), std::nullopt),
               Code::kUnavailable, "the new password is set; revoke the user's sessions");
  EXPECT_NE(sqlite_->get_user(ada.id)->password_hash, hash_before);
}

TEST_F(AdminServiceTest, UpdateUserBlockedAndRevisions) {
  const auto ada = create_user();
  auto blocked = service_->update_user(ada.id, blocked_patch(true), ada.revision);
  ASSERT_TRUE(blocked.ok()) << blocked.error().message;
  EXPECT_TRUE(blocked->user.blocked);
  expect_error(service_->update_user(ada.id, blocked_patch(false), ada.revision), Code::kStale,
               "user " + ada.id + " is at revision");
  EXPECT_TRUE(service_->get_user(ada.id)->blocked);
  // A stale password change hashes nothing into the store and ends no session.
  expect_error(service_->update_user(ada.id, password_patch("another password"), ada.revision),
               Code::kStale, "is at revision");
  EXPECT_TRUE(passwords_.verify(kPassword, sqlite_->get_user(ada.id)->password_hash));
}

TEST_F(AdminServiceTest, DeleteUserAndRevokeSessions) {
  const auto client = create_app().application.client_id;
  create_api();
  const auto ada = create_user();
  insert_refresh_token(ada, client, "t1");
  EXPECT_EQ(*service_->revoke_sessions(ada.id), 1);
  EXPECT_FALSE(service_->get_user(ada.id)->blocked);  // ending sessions is not a block
  expect_error(service_->revoke_sessions("ghost"), Code::kNotFound, "no user with id ghost");
  auto deleted = service_->delete_user(ada.id);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, ada);
  expect_error(service_->get_user(ada.id), Code::kNotFound, "no user with id");
  expect_error(service_->delete_user(ada.id), Code::kNotFound, "no user with id");
}

TEST_F(AdminServiceTest, UserLockoutsAreTheThrottlesCountersUnderTheUserId) {
  const auto ada = create_user();
  const store::LockoutPolicy policy{2, std::chrono::seconds{600}};
  const auto key = [&](std::string address) {
    return store::FailedLoginKey{store::FailedLoginSubject::kUser, ada.id, std::move(address)};
  };
  ASSERT_TRUE(sqlite_->record_failed_login(key("192.0.2.1"), now_, policy).ok());
  ASSERT_TRUE(sqlite_->record_failed_login(key("192.0.2.1"), now_, policy).ok());  // blocks
  ASSERT_TRUE(sqlite_->record_failed_login(key("198.51.100.7"), now_, policy).ok());
  // Another subject's counters are not the user's.
  ASSERT_TRUE(sqlite_->record_failed_login(
      {store::FailedLoginSubject::kUser, "auth0|other", "192.0.2.1"}, now_, policy));

  auto lockouts = service_->user_lockouts(ada.id);
  ASSERT_TRUE(lockouts.ok()) << lockouts.error().message;
  ASSERT_EQ(lockouts->counters.size(), 2u);
  EXPECT_EQ(lockouts->counters[0].address, "192.0.2.1");
  EXPECT_EQ(lockouts->counters[0].counter.count, 2);
  EXPECT_TRUE(lockouts->blocked_now);
  // One second before the block ends it still blocks; at its end it does not.
  now_ = kStart + std::chrono::seconds{599};
  EXPECT_TRUE(service_->user_lockouts(ada.id)->blocked_now);
  now_ = kStart + std::chrono::seconds{600};
  EXPECT_FALSE(service_->user_lockouts(ada.id)->blocked_now);

  EXPECT_EQ(*service_->clear_user_lockouts(ada.id), 2);
  EXPECT_TRUE(service_->user_lockouts(ada.id)->counters.empty());
  EXPECT_EQ(*service_->clear_user_lockouts(ada.id), 0);
  expect_error(service_->user_lockouts("ghost"), Code::kNotFound, "no user with id ghost");
  expect_error(service_->clear_user_lockouts("ghost"), Code::kNotFound, "no user with id ghost");
}

TEST_F(AdminServiceTest, UserPermissions) {
  const auto ada = create_user();
  create_api();
  create_api(kOtherApi);
  ASSERT_TRUE(service_->add_user_permissions(ada.id, kApi, {"read:messages", "write:messages"}));
  ASSERT_TRUE(service_->add_user_permissions(ada.id, kApi, {"read:messages"}));  // kept as is
  ASSERT_TRUE(service_->add_user_permissions(ada.id, kOtherApi, {"read:messages"}));
  EXPECT_EQ(service_->list_user_permissions(ada.id, std::nullopt)->size(), 3u);
  auto on_api = service_->list_user_permissions(ada.id, kApi);
  ASSERT_TRUE(on_api.ok());
  EXPECT_EQ(*on_api,
            (std::vector<store::UserPermission>{{ada.id, std::string(kApi), "read:messages"},
                                                {ada.id, std::string(kApi), "write:messages"}}));
  ASSERT_TRUE(service_->remove_user_permissions(ada.id, kApi, {"write:messages", "never:had"}));
  EXPECT_EQ(service_->list_user_permissions(ada.id, kApi)->size(), 1u);
}

TEST_F(AdminServiceTest, UserPermissionErrors) {
  const auto ada = create_user();
  create_api();
  expect_error(service_->add_user_permissions(ada.id, kApi, {"read:messages", "delete:messages"}),
               Code::kInvalid,
               "permission delete:messages is not defined by API https://api.example.com/");
  EXPECT_TRUE(service_->list_user_permissions(ada.id, std::nullopt)->empty());
  expect_error(service_->add_user_permissions(ada.id, kApi, {}), Code::kInvalid,
               "at least one permission");
  expect_error(service_->remove_user_permissions(ada.id, kApi, {}), Code::kInvalid,
               "at least one permission");
  expect_error(service_->add_user_permissions("ghost", kApi, {"read:messages"}), Code::kNotFound,
               "no user with id ghost");
  expect_error(service_->add_user_permissions(ada.id, "https://nope/", {"x"}), Code::kNotFound,
               "no API with identifier https://nope/");
  expect_error(service_->remove_user_permissions("ghost", kApi, {"read:messages"}), Code::kNotFound,
               "no user with id ghost");
  expect_error(service_->remove_user_permissions(ada.id, "https://nope/", {"x"}), Code::kNotFound,
               "no API with identifier");
  expect_error(service_->list_user_permissions("ghost", std::nullopt), Code::kNotFound,
               "no user with id ghost");
  expect_error(service_->list_user_permissions(ada.id, "https://nope/"), Code::kNotFound,
               "no API with identifier https://nope/");
}

// --- signing keys

TEST_F(AdminServiceTest, SigningKeysAreListedWithoutTheirPrivateHalves) {
  ASSERT_TRUE(keys_->ensure_keys(jose::Algorithm::kES256, now_).ok());
  auto keys = service_->list_signing_keys();
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);
  for (const auto& k : *keys) {
    EXPECT_TRUE(k.encrypted_private_key.empty());
    EXPECT_FALSE(k.public_jwk.empty());
    EXPECT_FALSE(sqlite_->get_signing_key(k.kid)->encrypted_private_key.empty());
    auto one = service_->get_signing_key(k.kid);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(*one, k);
  }
  expect_error(service_->get_signing_key("nope"), Code::kNotFound, "no signing key with kid nope");
  store_->failures["list_signing_keys"] = {store::StoreErrorCode::kBusy, "locked"};
  expect_error(service_->list_signing_keys(), Code::kUnavailable, "busy");
}

TEST_F(AdminServiceTest, RotateSigningKeysPromotesTheNextKey) {
  ASSERT_TRUE(keys_->ensure_keys(jose::Algorithm::kES256, now_).ok());
  std::string next;
  const auto keys = service_->list_signing_keys();
  ASSERT_TRUE(keys.ok());
  for (const auto& k : *keys) {
    if (k.state == store::SigningKeyState::kNext) {
      next = k.kid;
    }
  }
  now_ += std::chrono::hours{1};
  auto rotated = service_->rotate_signing_keys(jose::Algorithm::kES256);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_EQ(rotated->algorithm, jose::Algorithm::kES256);
  EXPECT_EQ(rotated->current_kid, next);
  auto current = service_->get_signing_key(next);
  EXPECT_EQ(current->state, store::SigningKeyState::kCurrent);
  EXPECT_EQ(current->rotated_at, now_);
  EXPECT_EQ(service_->list_signing_keys()->size(), 3u);
}

TEST_F(AdminServiceTest, RotateSigningKeysErrors) {
  expect_error(service_->rotate_signing_keys(jose::Algorithm::kEdDSA), Code::kNotFound,
               "no EdDSA signing keys to rotate yet");
  ASSERT_TRUE(keys_->ensure_keys(jose::Algorithm::kES256, now_).ok());
  store_->failures["list_signing_keys"] = {store::StoreErrorCode::kIo, "disk I/O error"};
  expect_error(service_->rotate_signing_keys(jose::Algorithm::kES256), Code::kUnavailable,
               "cannot rotate the ES256 signing keys");
}

TEST_F(AdminServiceTest, OnlyAPreviousKeyCanBeRevoked) {
  ASSERT_TRUE(keys_->ensure_keys(jose::Algorithm::kES256, now_).ok());
  std::string current;
  std::string next;
  const auto keys = service_->list_signing_keys();
  ASSERT_TRUE(keys.ok());
  for (const auto& k : *keys) {
    (k.state == store::SigningKeyState::kCurrent ? current : next) = k.kid;
  }
  expect_error(service_->revoke_signing_key(current), Code::kInvalid,
               "is current: only a previous key can be revoked; rotate the ES256 keys first");
  expect_error(service_->revoke_signing_key(next), Code::kInvalid, "is next");
  expect_error(service_->revoke_signing_key("nope"), Code::kNotFound, "no signing key with kid");
  ASSERT_TRUE(service_->rotate_signing_keys(jose::Algorithm::kES256).ok());
  now_ += std::chrono::hours{1};
  auto revoked = service_->revoke_signing_key(current);
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  EXPECT_EQ(revoked->state, store::SigningKeyState::kRevoked);
  EXPECT_EQ(revoked->rotated_at, now_);
  EXPECT_TRUE(revoked->encrypted_private_key.empty());
  expect_error(service_->revoke_signing_key(current), Code::kInvalid, "already revoked");
}

TEST_F(AdminServiceTest, KeysTheMasterKeyCannotOpenAreAnInternalErrorAndNothingRotates) {
  ASSERT_TRUE(keys_->ensure_keys(jose::Algorithm::kES256, now_).ok());
  auto other_master = kMasterKey;
  other_master[0] ^= 1;
  keys::KeyManager wrong(*store_, keys::MasterKey::from_bytes(other_master));
  AdminService service(*store_, wrong, hasher(), passwords_, [this] { return now_; });
  const auto before = *service_->list_signing_keys();
  auto rotated = service.rotate_signing_keys(jose::Algorithm::kES256);
  expect_error(rotated, Code::kInternal, "cannot rotate the ES256 signing keys");
  EXPECT_NE(rotated.error().message.find("nothing was changed"), std::string::npos);
  EXPECT_EQ(*service_->list_signing_keys(), before);
}

// Every store failure an operation can meet says what could not be done; a busy database is
// worth a retry (503), not a bug.
TEST_F(AdminServiceTest, EveryStoreFailureSaysWhatCouldNotBeDone) {
  const auto client = create_app().application.client_id;
  create_api();
  create_api(kOtherApi);
  const auto user = create_user();
  auto grant = service_->create_client_grant(client, kApi, {});
  ASSERT_TRUE(grant.ok());
  ASSERT_TRUE(keys_->ensure_keys(jose::Algorithm::kES256, now_).ok());
  const auto previous = *sqlite_->list_signing_keys();  // both become or stay published
  ASSERT_TRUE(keys_->rotate(jose::Algorithm::kES256, now_).ok());
  std::string previous_kid;
  const auto rotated = *sqlite_->list_signing_keys();
  for (const auto& k : rotated) {
    if (k.state == store::SigningKeyState::kPrevious) {
      previous_kid = k.kid;
    }
  }
  ASSERT_FALSE(previous_kid.empty());
  ApiPatch rename;
  rename.name = "Renamed";
  ApplicationPatch rename_app;
  rename_app.name = "Renamed";
  ApiDraft new_api;
  new_api.identifier = "urn:new";
  new_api.name = "New";

  struct Case {
    std::string operation;  // the store method that fails
    std::function<AdminError()> run;
    std::string needle;
  };
  const auto error_of = [](const auto& result) {
    return result.ok() ? AdminError{Code::kInternal, "succeeded"} : result.error();
  };
  const std::vector<Case> cases = {
      {"page_apis", [&] { return error_of(service_->list_apis({})); }, "cannot list APIs"},
      {"get_api", [&] { return error_of(service_->get_api(kApi)); }, "cannot read API"},
      {"create_api", [&] { return error_of(service_->create_api(new_api)); },
       "cannot create API urn:new"},
      {"update_api", [&] { return error_of(service_->update_api(kApi, rename, std::nullopt)); },
       "cannot update API"},
      {"delete_api", [&] { return error_of(service_->delete_api(kApi)); }, "cannot delete API"},
      {"page_applications", [&] { return error_of(service_->list_applications({})); },
       "cannot list applications"},
      {"get_application", [&] { return error_of(service_->get_application(client)); },
       "cannot read application"},
      {"create_application", [&] { return error_of(service_->create_application(app_draft("x"))); },
       "cannot create application x"},
      {"update_application",
       [&] { return error_of(service_->update_application(client, rename_app, std::nullopt)); },
       "cannot update application"},
      {"update_application", [&] { return error_of(service_->rotate_secret(client)); },
       "cannot rotate the secret of application"},
      {"delete_application", [&] { return error_of(service_->delete_application(client)); },
       "cannot delete application"},
      {"page_client_grants", [&] { return error_of(service_->list_client_grants({}, {})); },
       "cannot list client grants"},
      {"page_client_grants", [&] { return error_of(service_->delete_application(client)); },
       "cannot count client grants"},
      {"get_client_grant", [&] { return error_of(service_->get_client_grant(grant->id)); },
       "cannot read client grant"},
      {"find_client_grant",
       [&] { return error_of(service_->create_client_grant(client, kOtherApi, {})); },
       "cannot read the grants of application"},
      {"create_client_grant",
       [&] { return error_of(service_->create_client_grant(client, kOtherApi, {})); },
       "cannot create a client grant"},
      {"update_client_grant_scopes",
       [&] { return error_of(service_->update_client_grant(grant->id, {}, std::nullopt)); },
       "cannot update client grant"},
      {"delete_client_grant", [&] { return error_of(service_->delete_client_grant(grant->id)); },
       "cannot delete client grant"},
      {"page_users", [&] { return error_of(service_->list_users({}, std::nullopt)); },
       "cannot list users"},
      {"get_user", [&] { return error_of(service_->get_user(user.id)); }, "cannot read user"},
      {"get_user", [&] { return error_of(service_->find_user(user.email)); }, "cannot read user"},
      {"get_user", [&] { return error_of(service_->create_user(user_draft("new@example.com"))); },
       "cannot read user"},
      {"find_user_by_email", [&] { return error_of(service_->find_user(user.email)); },
       "cannot read user"},
      {"find_user_by_email",
       [&] { return error_of(service_->create_user(user_draft("new@example.com"))); },
       "cannot look up the email new@example.com"},
      {"find_user_by_email",
       [&] {
         return error_of(
             service_->update_user(user.id, email_patch("new@example.com"), std::nullopt));
       },
       "cannot look up the email"},
      {"create_user",
       [&] { return error_of(service_->create_user(user_draft("new@example.com"))); },
       "cannot create user"},
      {"update_user",
       [&] { return error_of(service_->update_user(user.id, blocked_patch(true), std::nullopt)); },
       "cannot update user"},
      {"delete_user", [&] { return error_of(service_->delete_user(user.id)); },
       "cannot delete user"},
      {"revoke_user_refresh_tokens", [&] { return error_of(service_->revoke_sessions(user.id)); },
       "cannot revoke the refresh tokens of user"},
      {"list_failed_logins", [&] { return error_of(service_->user_lockouts(user.id)); },
       "cannot list the failed logins of user"},
      {"reset_all_failed_logins", [&] { return error_of(service_->clear_user_lockouts(user.id)); },
       "cannot clear the failed logins of user"},
      {"list_user_permissions",
       [&] { return error_of(service_->list_user_permissions(user.id, std::nullopt)); },
       "cannot list the permissions of user"},
      {"add_user_permissions",
       [&] { return error_of(service_->add_user_permissions(user.id, kApi, {"read:messages"})); },
       "cannot add permissions to user"},
      {"remove_user_permissions",
       [&] {
         return error_of(service_->remove_user_permissions(user.id, kApi, {"read:messages"}));
       },
       "cannot remove permissions from user"},
      {"list_signing_keys", [&] { return error_of(service_->list_signing_keys()); },
       "cannot list signing keys"},
      {"get_signing_key", [&] { return error_of(service_->get_signing_key(previous_kid)); },
       "cannot read signing key"},
      {"revoke_signing_key", [&] { return error_of(service_->revoke_signing_key(previous_kid)); },
       "cannot revoke signing key"},
      {"page_events", [&] { return error_of(service_->list_logs({}, {})); },
       "cannot read the event log"},
      {"events_after", [&] { return error_of(service_->logs_after(0, 10, {})); },
       "cannot read the event log"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.operation + " -> " + c.needle);
    store_->failures = {{c.operation, {store::StoreErrorCode::kBusy, "database is locked"}}};
    const AdminError e = c.run();
    EXPECT_EQ(e.code, Code::kUnavailable) << e.message;
    EXPECT_NE(e.message.find(c.needle), std::string::npos) << e.message;
  }
  // Nothing was written by any of them.
  store_->failures.clear();
  EXPECT_EQ(service_->get_api(kApi)->name, "Messages");
  EXPECT_TRUE(service_->get_application(client).ok());
  EXPECT_TRUE(service_->get_user(user.id).ok());
  EXPECT_EQ(service_->list_apis({})->total, 2);
  EXPECT_EQ(service_->list_users({}, std::nullopt)->total, 1);
  EXPECT_EQ(sqlite_->list_signing_keys()->size(), previous.size() + 1);
}

// --- logs

class AdminServiceLogsTest : public AdminServiceTest {
 protected:
  void SetUp() override {
    AdminServiceTest::SetUp();
    ada_ = create_user("ada@example.com").id;
    bob_ = create_user("bob@example.com").id;
    client_ = create_app().application.client_id;
    // Oldest first: Ada signs in, Bob gets blocked, a client fails, Ada mistypes.
    const auto at = [](int s) {
      return std::chrono::time_point_cast<std::chrono::milliseconds>(kStart) +
             std::chrono::seconds{s};
    };
    const auto event = [&](int s, std::string type, std::string client_id, std::string user_id,
                           std::string ip, std::string error) {
      store::Event e;
      e.date = at(s);
      e.type = std::move(type);
      e.client_id = std::move(client_id);
      e.user_id = std::move(user_id);
      e.ip = std::move(ip);
      e.error = std::move(error);
      return e;
    };
    const std::vector<store::Event> events = {
        event(0, "s", client_, ada_, "", ""),
        event(10, "limit_wc", "", bob_, "203.0.113.9", ""),
        event(20, "feccft", client_, "", "", "invalid_client"),
        event(30, "fp", "", ada_, "192.0.2.7", ""),
    };
    ASSERT_TRUE(sqlite_->append_events(events).ok());
  }

  std::string ada_;
  std::string bob_;
  std::string client_;
};

TEST_F(AdminServiceLogsTest, LogsListTheEventLogNewestFirst) {
  auto logs = service_->list_logs({}, {});
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  ASSERT_EQ(logs->items.size(), 4u);
  EXPECT_EQ(logs->total, 4);
  const auto& e = logs->items;
  EXPECT_EQ(e[0].type, "fp");
  EXPECT_EQ(e[0].user_id, ada_);
  EXPECT_EQ(e[0].ip, "192.0.2.7");
  EXPECT_EQ(e[1].type, "feccft");
  EXPECT_EQ(e[1].error, "invalid_client");
  EXPECT_EQ(e[3].type, "s");
  EXPECT_GT(e[0].id, e[3].id);
  auto second = service_->list_logs({1, 2}, {});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 2u);
  EXPECT_EQ(second->items[0].type, "limit_wc");
}

TEST_F(AdminServiceLogsTest, LogsFilterByTypeUserClientAndTime) {
  EXPECT_EQ(service_->list_logs({}, logs_of("s"))->total, 1);
  EXPECT_EQ(service_->list_logs({}, logs_of("limit_wc"))->items.at(0).user_id, bob_);
  EXPECT_EQ(service_->list_logs({}, logs_of(std::nullopt, ada_))->total, 2);
  EXPECT_EQ(service_->list_logs({}, logs_of(std::nullopt, std::nullopt, client_))->total, 2);
  EXPECT_EQ(service_->list_logs({}, logs_of("feccft", ada_))->total, 0);
  LogFilter recent;
  recent.since =
      std::chrono::time_point_cast<std::chrono::milliseconds>(kStart) + std::chrono::seconds{15};
  EXPECT_EQ(service_->list_logs({}, recent)->total, 2);
  expect_error(service_->list_logs({}, logs_of("fcc")), Code::kInvalid,
               "unknown log type 'fcc': use one of seccft, feccft");
}

TEST_F(AdminServiceLogsTest, LogsAfterAnIdComeOldestFirstWithinTake) {
  const auto all = service_->list_logs({}, {}).value().items;
  auto after = service_->logs_after(all[3].id, 2, {});
  ASSERT_TRUE(after.ok()) << after.error().message;
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].type, "limit_wc");
  EXPECT_EQ((*after)[1].type, "feccft");
  EXPECT_TRUE(service_->logs_after(all[0].id, 10, {})->empty());
  expect_error(service_->logs_after(-1, 10, {}), Code::kInvalid, "from must be a log_id");
  expect_error(service_->logs_after(0, 0, {}), Code::kInvalid, "take must be between 1 and 100");
  expect_error(service_->logs_after(0, kMaxLogsTaken + 1, {}), Code::kInvalid, "take must be");
  expect_error(service_->logs_after(0, 5, logs_of("nonsense")), Code::kInvalid, "unknown log type");
}

TEST_F(AdminServiceLogsTest, LogsArePagedByTheStore) {
  auto page = service_->list_logs({1, 3}, {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 4);
  EXPECT_EQ(page->start, 3);
  EXPECT_EQ(page->limit, 3);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].type, "s");
  EXPECT_TRUE(service_->list_logs({2, 3}, {})->items.empty());
  expect_error(service_->list_logs({0, kMaxPerPage + 1}, {}), Code::kInvalid, "per_page");
}

TEST(AdminPatchTest, EmptyMeansNothingNamed) {
  EXPECT_TRUE(ApiPatch{}.empty());
  ApiPatch remove;
  remove.remove_permissions = {"x"};
  EXPECT_FALSE(remove.empty());
  ApiPatch claim;
  claim.permissions_claim = false;
  EXPECT_FALSE(claim.empty());
  EXPECT_TRUE(ApplicationPatch{}.empty());
  ApplicationPatch none_granted;
  none_granted.grant_types = std::vector<store::GrantType>{};
  EXPECT_FALSE(none_granted.empty());
  EXPECT_TRUE(UserPatch{}.empty());
  EXPECT_FALSE(blocked_patch(false).empty());
}

}  // namespace
}  // namespace signet::admin
