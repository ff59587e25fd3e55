// store/copy.h: a tenant written through the Store API into an SQLite file, copied into a real
// PostgreSQL database (test_common/postgres_test_server.h), reads back the same through the
// PostgreSQL store; a target that holds a tenant, a copy that does not verify and a target that
// needs migrating.

#include "signet/store/copy.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/postgres_db.h"
#include "signet/store/schema.h"
#include "signet/store/sqlite_db.h"
#include "tests/store/store_test_support.h"

namespace signet::store::testing {
namespace {

using std::chrono::seconds;

const std::string kApi = "https://api.example.com/";

AuthorizationCode make_code() {
  AuthorizationCode c;
  c.code_hash = "hs256:code\xff";
  c.client_id = "client-1";
  c.user_id = "auth0|1";
  c.redirect_uri = "https://app.example.com/callback";
  c.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  c.audience = kApi;
  c.scopes = {"openid", "read:messages"};
  c.nonce = "n-0S6_WzA2Mj";
  c.refresh_family_id = "fam-code";
  c.dpop_jkt = kJkt;
  c.auth_time = kNow - seconds{30};
  c.created_at = kNow;
  c.expires_at = kNow + seconds{60};
  return c;
}

BrowserSession make_session() {
  BrowserSession s;
  s.id_hash = "hs256:session\x01\xff";
  s.user_id = "auth0|1";
  s.auth_time = kNow;
  s.last_seen_at = kNow + seconds{5};
  s.expires_at = kNow + seconds{86'400};
  return s;
}

// Copies between two stores' databases, as `signet store copy` does.
Result<copy::CopyReport, copy::CopyError> copy_between(sql::Database& from, sql::Database& to,
                                                       copy::CopyOptions options = {}) {
  auto source = from.acquire();
  auto target = to.acquire();
  if (!source.ok() || !target.ok()) {
    return fail(copy::CopyError{copy::CopyErrorCode::kSource, StoreErrorCode::kUnavailable,
                                "no connection"});
  }
  return copy::copy_tenant(**source, **target, options);
}

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::open(dir_.file("signet.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    source_ = std::move(opened).value();
  }

  // Every kind of record the store keeps, several of some so that order shows.
  void fill_source() {
    Api api = make_api();
    api.permissions.push_back({"admin", "Administer"});
    api.require_dpop = true;
    ASSERT_TRUE(source_->create_api(api).ok());
    ASSERT_TRUE(source_->create_api(make_api("https://b.example.com/")).ok());
    ASSERT_TRUE(source_->create_api(make_api("https://a.example.com/")).ok());
    Application app = make_app();
    app.callbacks = {"https://app.example.com/callback"};
    app.dpop_bound_access_tokens = true;
    ASSERT_TRUE(source_->create_application(app).ok());
    ASSERT_TRUE(source_->create_application(make_app("client-0")).ok());
    ClientGrant grant;
    grant.client_id = "client-1";
    grant.audience = kApi;
    grant.scopes = {"write:messages", "read:messages"};
    grant.created_at = kNow;
    ASSERT_TRUE(source_->create_client_grant(grant).ok());
    grant.client_id = "client-0";
    grant.scopes = {"admin"};
    ASSERT_TRUE(source_->create_client_grant(grant).ok());
    grant.audience = "https://a.example.com/";
    grant.scopes = {};
    auto third = source_->create_client_grant(grant);
    ASSERT_TRUE(third.ok());
    // The largest grant id ever given is one no grant holds now: never given again, on either end.
    ASSERT_TRUE(source_->delete_client_grant(third->id).ok());
    ASSERT_TRUE(source_->create_user(make_user()).ok());
    ASSERT_TRUE(source_->create_user(make_user("auth0|0", "Bob@Example.com")).ok());
    ASSERT_TRUE(source_->add_user_permissions("auth0|1", kApi, {"read:messages", "admin"}).ok());
    SigningKey previous = make_key("k-prev", SigningKeyState::kPrevious);
    previous.rotated_at = kNow + seconds{1};
    ASSERT_TRUE(source_
                    ->insert_signing_keys({make_key("k-cur", SigningKeyState::kCurrent), previous,
                                           make_key("k-next", SigningKeyState::kNext)})
                    .ok());
    RefreshToken first = make_refresh("rt1");
    first.token_hash = std::string("\x00rt1\xff", 5);
    first.jkt = kJkt;
    ASSERT_TRUE(source_->insert_refresh_token(first).ok());
    RefreshToken second = make_refresh("rt2");
    second.jkt = kJkt;
    ASSERT_TRUE(
        source_
            ->rotate_refresh_token("rt1", second, std::string("\x00sealed", 7),
                                   PreciseTimestamp{std::chrono::milliseconds{1'700'000'001'234}})
            .ok());
    const LockoutPolicy policy;
    ASSERT_TRUE(
        source_
            ->record_failed_login({FailedLoginSubject::kUser, "alice", "192.0.2.1"}, kNow, policy)
            .ok());
    ASSERT_TRUE(source_
                    ->record_failed_login({FailedLoginSubject::kClient, "client-1", "192.0.2.2"},
                                          kNow + seconds{1}, policy)
                    .ok());
    ASSERT_TRUE(source_->record_sign_in_address("auth0|1", "192.0.2.0/24", kNow).ok());
    Event event;
    event.date = PreciseTimestamp{std::chrono::milliseconds{1'700'000'000'456}};
    event.type = "fepft";
    event.client_id = "client-1";
    event.user_id = "auth0|1";
    event.error = "invalid_grant";
    event.ip = "192.0.2.9";
    event.details = R"({"grant_type":"password"})";
    ASSERT_TRUE(source_->append_events({event, event}).ok());
    ASSERT_TRUE(source_->insert_authorization_code(make_code()).ok());
    ASSERT_TRUE(source_->create_browser_session(make_session()).ok());
    auto fresh = source_->record_client_assertion("client-1", "jti-1", kNow + seconds{60}, kNow);
    ASSERT_TRUE(fresh.ok());
    ASSERT_TRUE(source_->record_dpop_proof("hs256:aa", kNow + seconds{60}, kNow).ok());
  }

  Result<copy::CopyReport, copy::CopyError> run_copy(const std::string& url,
                                                     copy::CopyOptions options = {}) {
    auto target = postgres::open({.url = url});
    if (!target.ok()) {
      return fail(copy::CopyError{copy::CopyErrorCode::kTarget, target.error().code,
                                  target.error().message});
    }
    return copy_between(source_->database(), **target, options);
  }

  std::unique_ptr<SqlStore> open_target(const std::string& url) {
    auto opened = PostgresStore::open({{.url = url}, /*migrate=*/false});
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  signet::testing::TempDir dir_;
  signet::testing::TestDatabase target_;
  std::unique_ptr<SqlStore> source_;
};

// The value of `r`, or a failure naming `what` and a default value.
template <typename T>
T got(StoreResult<T> r, std::string_view what) {
  if (!r.ok()) {
    ADD_FAILURE() << what << ": " << r.error().message;
    return T{};
  }
  return std::move(r).value();
}

// `call` on both stores gives equal values.
#define SIGNET_EXPECT_SAME(call) EXPECT_EQ(got(a.call, "a." #call), got(b.call, "b." #call))

// Every getter and list of both stores returns the same records.
void expect_same_tenant(Store& a, Store& b) {
  SIGNET_EXPECT_SAME(list_apis());
  SIGNET_EXPECT_SAME(get_api(kApi));
  SIGNET_EXPECT_SAME(list_applications());
  SIGNET_EXPECT_SAME(get_application("client-1"));
  SIGNET_EXPECT_SAME(list_client_grants(std::nullopt));
  SIGNET_EXPECT_SAME(find_client_grant("client-1", kApi));
  SIGNET_EXPECT_SAME(list_users());
  SIGNET_EXPECT_SAME(find_user_by_email("bob@example.com"));
  SIGNET_EXPECT_SAME(list_user_permissions("auth0|1", std::nullopt));
  SIGNET_EXPECT_SAME(list_signing_keys());
  SIGNET_EXPECT_SAME(get_signing_key("k-prev"));
  SIGNET_EXPECT_SAME(find_refresh_token(std::string("\x00rt1\xff", 5)));
  SIGNET_EXPECT_SAME(find_refresh_token("hash-of-rt2"));
  const FailedLoginKey user{FailedLoginSubject::kUser, "alice", "192.0.2.1"};
  SIGNET_EXPECT_SAME(get_failed_logins(user));
  SIGNET_EXPECT_SAME(list_failed_logins(FailedLoginSubject::kClient, "client-1"));
  SIGNET_EXPECT_SAME(events_after(0, {}, 10));
  EXPECT_TRUE(got(b.signed_in_from("auth0|1", "192.0.2.0/24", kNow), "signed_in_from"));
  SIGNET_EXPECT_SAME(get_browser_session(make_session().id_hash));
  SIGNET_EXPECT_SAME(list_user_browser_sessions("auth0|1"));
  // Pages come in creation order on both.
  const PageRequest page{1, 1};
  EXPECT_EQ(got(a.page_apis(page), "a.page_apis").items,
            got(b.page_apis(page), "b.page_apis").items);
  EXPECT_EQ(got(a.page_applications(page), "a.page_applications").items,
            got(b.page_applications(page), "b.page_applications").items);
  EXPECT_EQ(got(a.page_users(page, std::nullopt), "a.page_users").items,
            got(b.page_users(page, std::nullopt), "b.page_users").items);
  EXPECT_EQ(got(a.page_client_grants(page, std::nullopt, std::nullopt), "a.page_grants").items,
            got(b.page_client_grants(page, std::nullopt, std::nullopt), "b.page_grants").items);
}

TEST_F(CopyTest, CopiesEveryRecordAndTheTargetStoreReadsThemAlike) {
  fill_source();
  auto report = run_copy(target_.url());
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->tables.size(), copy::tables().size());
  auto rows = [&](std::string_view table) {
    for (const auto& t : report->tables) {
      if (t.table == table) {
        return t.rows;
      }
    }
    return std::int64_t{-1};
  };
  EXPECT_EQ(rows("apis"), 3);
  EXPECT_EQ(rows("api_permissions"), 7);
  EXPECT_EQ(rows("client_grants"), 2);
  EXPECT_EQ(rows("client_grant_scopes"), 3);
  EXPECT_EQ(rows("signing_keys"), 3);
  EXPECT_EQ(rows("refresh_tokens"), 2);
  EXPECT_EQ(rows("failed_logins"), 2);
  for (std::string_view one : {"sign_in_addresses", "authorization_codes", "browser_sessions",
                               "client_assertions", "dpop_proofs"}) {
    EXPECT_EQ(rows(one), 1) << one;
  }

  auto target = open_target(target_.url());
  ASSERT_NE(target, nullptr);
  expect_same_tenant(*source_, *target);
  // The replay record came along: the same assertion is a replay on the target.
  EXPECT_EQ(target->record_client_assertion("client-1", "jti-1", kNow + seconds{60}, kNow).value(),
            false);
  EXPECT_EQ(target->record_dpop_proof("hs256:aa", kNow + seconds{60}, kNow).value(), false);
  // The authorization code too, with its DPoP key: redeemed once on the target.
  auto code = target->redeem_authorization_code(make_code().code_hash, kNow);
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(code->dpop_jkt, kJkt);
  // The DPoP settings and bindings (schema version 8) came along, not their defaults.
  EXPECT_TRUE(target->get_api(kApi)->require_dpop);
  EXPECT_TRUE(target->get_application("client-1")->dpop_bound_access_tokens);
  EXPECT_EQ(target->find_refresh_token("hash-of-rt2")->jkt, kJkt);
}

TEST_F(CopyTest, RevisionsAndIdsContinueAboveTheCopiedOnes) {
  fill_source();
  ASSERT_TRUE(run_copy(target_.url()).ok());
  auto target = open_target(target_.url());
  ASSERT_NE(target, nullptr);
  Revision highest = 0;
  const auto apis = target->list_apis().value();
  for (const auto& api : apis) {
    highest = std::max(highest, api.revision);
  }
  std::int64_t highest_grant = 0;
  const auto grants = target->list_client_grants(std::nullopt).value();
  for (const auto& g : grants) {
    highest = std::max(highest, g.revision);
    highest_grant = std::max(highest_grant, g.id);
  }
  const auto users = target->list_users().value();
  for (const auto& u : users) {
    highest = std::max(highest, u.revision);
  }

  auto api = target->create_api(make_api("https://new.example.com/"));
  ASSERT_TRUE(api.ok()) << api.error().message;
  EXPECT_GT(api->revision, highest);
  ClientGrant grant;
  grant.client_id = "client-0";
  grant.audience = "https://new.example.com/";
  grant.created_at = kNow;
  auto created = target->create_client_grant(grant);
  ASSERT_TRUE(created.ok()) << created.error().message;
  // Above the copied ones and above the deleted grant's id (3), as the source would give it.
  EXPECT_GT(created->id, highest_grant);
  ASSERT_TRUE(source_->create_api(make_api("https://new.example.com/")).ok());
  auto source_next = source_->create_client_grant(grant);
  ASSERT_TRUE(source_next.ok());
  EXPECT_EQ(created->id, 4);
  EXPECT_EQ(source_next->id, 4);
  // New records sort after the copied ones.
  auto user = target->create_user(make_user("auth0|new", "new@example.com"));
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(target->list_users().value().back().id, "auth0|new");
  EXPECT_EQ(target->list_apis().value().back().identifier, "https://new.example.com/");
}

TEST_F(CopyTest, RefusesATargetThatHoldsATenantUnlessToldToReplaceIt) {
  fill_source();
  {
    auto target = PostgresStore::open({{.url = target_.url()}, /*migrate=*/true});
    ASSERT_TRUE(target.ok());
    ASSERT_TRUE((*target)->create_api(make_api("https://trial.example.com/")).ok());
    ASSERT_TRUE(
        (*target)->insert_signing_keys({make_key("trial", SigningKeyState::kCurrent)}).ok());
  }
  auto refused = run_copy(target_.url());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, copy::CopyErrorCode::kTargetNotEmpty);
  EXPECT_EQ(refused.error().message,
            "the target already holds a tenant: 1 API, 0 applications, 0 users, 1 signing key");
  auto target = open_target(target_.url());
  EXPECT_TRUE(target->get_api("https://trial.example.com/").ok());
  EXPECT_EQ(target->get_api(kApi).error().code, StoreErrorCode::kNotFound);

  auto replaced = run_copy(target_.url(), {.replace = true});
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ(target->get_api("https://trial.example.com/").error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(target->get_signing_key("trial").error().code, StoreErrorCode::kNotFound);
  expect_same_tenant(*source_, *target);
}

TEST_F(CopyTest, ACopyThatDoesNotReadBackAlikeIsRolledBack) {
  fill_source();
  ASSERT_EQ(PostgresStore::migrate({.url = target_.url()}).value(), schema::latest_version());
  // Something between signet and the table (here a trigger) changes what is written.
  exec_postgres(target_.url(), R"sql(
CREATE FUNCTION alter_email() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.email := NEW.email || '.invalid'; RETURN NEW; END $$;
CREATE TRIGGER alter_email BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION alter_email();
)sql");
  auto copied = run_copy(target_.url());
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, copy::CopyErrorCode::kMismatch);
  EXPECT_NE(copied.error().message.find("table users"), std::string::npos)
      << copied.error().message;
  auto target = open_target(target_.url());
  EXPECT_TRUE(target->list_apis().value().empty());
  EXPECT_TRUE(target->list_users().value().empty());
}

TEST_F(CopyTest, ANewTargetIsMigratedFirst) {
  ASSERT_TRUE(source_->create_api(make_api()).ok());
  {
    auto db = postgres::open({.url = target_.url()});
    ASSERT_TRUE(db.ok());
    auto lease = (*db)->acquire();
    ASSERT_TRUE(lease.ok());
    EXPECT_EQ(schema::schema_version(**lease).value(), 0);
  }
  auto copied = run_copy(target_.url());
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  auto target = open_target(target_.url());  // refused unless at the latest version
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(target->get_api(kApi).value(), source_->get_api(kApi).value());
}

TEST_F(CopyTest, AnEmptySourceCopiesNothingButItsRevision) {
  auto copied = run_copy(target_.url());
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  for (const auto& t : copied->tables) {
    EXPECT_EQ(t.rows, 0) << t.table;
  }
  EXPECT_EQ(copied->revision, 0);
}

TEST_F(CopyTest, TheWayBackIntoAnSqliteFileGivesTheSameTenant) {
  fill_source();
  ASSERT_TRUE(run_copy(target_.url()).ok());
  auto middle = open_target(target_.url());
  ASSERT_NE(middle, nullptr);
  auto back = SqliteStore::open(dir_.file("back.db"));
  ASSERT_TRUE(back.ok());
  auto copied = copy_between(middle->database(), (*back)->database());
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  expect_same_tenant(*source_, **back);
}

// Each table's description names every column both databases have, so a migration that adds a
// column without adding it to copy.cc fails here rather than losing the column's values.
TEST_F(CopyTest, TheTableDescriptionNamesEveryColumnOfBothSchemas) {
  ASSERT_EQ(PostgresStore::migrate({.url = target_.url()}).value(), schema::latest_version());
  auto pg = postgres::open({.url = target_.url()});
  ASSERT_TRUE(pg.ok());
  auto pg_lease = (*pg)->acquire();
  ASSERT_TRUE(pg_lease.ok());
  auto sqlite = sqlite::Connection::open(dir_.file("signet.db"));
  ASSERT_TRUE(sqlite.ok());

  std::set<std::string> described_tables;
  for (const copy::Table& table : copy::tables()) {
    described_tables.insert(std::string{table.name});
    std::set<std::string> described;
    for (const auto& c : table.columns) {
      if (c.name != "rowid" || table.identity == "rowid") {
        described.insert(std::string{c.name});
      }
    }
    std::set<std::string> in_postgres;
    auto cols = (*pg_lease)->prepare(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ?1");
    ASSERT_TRUE(cols.ok());
    cols->text(1, table.name);
    while (cols->step().value()) {
      in_postgres.insert(cols->column_text(0));
    }
    EXPECT_EQ(described, in_postgres) << table.name;

    std::set<std::string> in_sqlite;
    auto info = (*sqlite)->prepare("SELECT name FROM pragma_table_info(?1)");
    ASSERT_TRUE(info.ok());
    info->text(1, table.name);
    while (info->step().value()) {
      in_sqlite.insert(info->column_text(0));
    }
    if (!table.identity.empty() && table.identity == "rowid") {
      in_sqlite.insert("rowid");  // SQLite's implicit one
    }
    EXPECT_EQ(described, in_sqlite) << table.name;
  }
  // And every table but the schema's own bookkeeping is described.
  std::set<std::string> in_postgres;
  auto names = (*pg_lease)->prepare(
      "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()");
  ASSERT_TRUE(names.ok());
  while (names->step().value()) {
    in_postgres.insert(names->column_text(0));
  }
  in_postgres.erase("meta");
  in_postgres.erase("schema_version");
  EXPECT_EQ(described_tables, in_postgres);
}

}  // namespace
}  // namespace signet::store::testing
