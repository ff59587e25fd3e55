// SqlStore over a database that refuses the first COMMIT of every transaction, as PostgreSQL
// refuses a SERIALIZABLE transaction that met another (sql_store_internal.h in_transaction). Every
// operation then runs its whole body a second time, on a fresh transaction, and must give what it
// gives on a database that took the first COMMIT: a body that moved out of its inputs, or counted
// into a variable from outside, would differ the second time.

#include "signet/store/sql_store.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/sqlite_db.h"
#include "signet/store/sqlite_store.h"
#include "tests/store/store_test_support.h"

namespace signet::store::testing {
namespace {

using std::chrono::seconds;

// Forwards to a connection of the database it wraps, except that it refuses every other
// COMMIT as retryable: the first of each transaction, since the retry then commits.
class RefusingConnection final : public sql::Connection {
 public:
  void attach(sql::Connection* inner) { inner_ = inner; }

  sql::Dialect dialect() const override { return inner_->dialect(); }
  Result<Ok, StoreError> exec(std::string_view sql) override { return inner_->exec(sql); }
  Result<sql::Statement, StoreError> prepare(std::string_view sql) override {
    return inner_->prepare(sql);
  }
  std::int64_t changes() const override { return inner_->changes(); }
  Result<Ok, StoreError> begin(sql::TransactionMode mode) override {
    refused_last_ = false;
    return inner_->begin(mode);
  }
  Result<Ok, StoreError> commit() override {
    if (!refuse_next_) {
      refuse_next_ = true;
      ++commits_;
      return inner_->commit();
    }
    refuse_next_ = false;
    refused_last_ = true;
    ++refusals_;
    // Left open: the caller rolls back, as it does after PostgreSQL's refusal.
    return fail(StoreError{StoreErrorCode::kBusy, "refused for the test"});
  }
  void rollback() override { inner_->rollback(); }
  bool last_error_is_retryable() const override { return refused_last_; }

  int commits() const { return commits_; }
  int refusals() const { return refusals_; }

 private:
  sql::Connection* inner_ = nullptr;
  bool refuse_next_ = true;
  bool refused_last_ = false;
  int commits_ = 0;
  int refusals_ = 0;
};

class RefusingDatabase final : public sql::Database {
 public:
  explicit RefusingDatabase(std::unique_ptr<sql::Database> inner) : inner_(std::move(inner)) {}

  sql::Dialect dialect() const override { return inner_->dialect(); }
  Result<sql::Lease, StoreError> acquire() override {
    auto lease = inner_->acquire();
    if (!lease) {
      return fail(lease.error());
    }
    inner_lease_ = std::move(lease).value();
    connection_.attach(inner_lease_.get());
    return sql::Lease{&connection_, sql::GiveBack{this}};
  }

  const RefusingConnection& connection() const { return connection_; }

 protected:
  void give_back(sql::Connection* /*connection*/) noexcept override { inner_lease_.reset(); }

 private:
  std::unique_ptr<sql::Database> inner_;
  sql::Lease inner_lease_{nullptr, sql::GiveBack{nullptr}};
  RefusingConnection connection_;
};

template <typename T>
bool same_value(const T& a, const T& b) {
  return a == b;
}
bool same_value(const Ok& /*a*/, const Ok& /*b*/) {
  return true;
}
template <typename T>
bool same_value(const Page<T>& a, const Page<T>& b) {
  return a.items == b.items && a.total == b.total;
}

class SqlStoreRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto plain = SqliteStore::open(plain_dir_.file("signet.db"));
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    plain_ = std::move(plain).value();

    // A file with the schema, then a connection of our own to it behind the refusing database.
    const std::string path = refused_dir_.file("signet.db");
    ASSERT_TRUE(SqliteStore::open(path).ok());
    auto connection = sqlite::Connection::open(path);
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    ASSERT_TRUE((*connection)->exec("PRAGMA foreign_keys = ON").ok());  // the cascades
    auto database = std::make_unique<RefusingDatabase>(
        std::make_unique<sqlite::Database>(std::move(connection).value()));
    refusing_ = database.get();
    refused_ = std::make_unique<SqlStore>(std::move(database));
  }

  // Runs `op` on both stores; the results must be alike, value or error. `in_transaction`:
  // false for the single-statement lookups, which run outside any (sql_store_internal.h single()).
  template <typename Op>
  void same(const std::string& what, Op op, bool in_transaction = true) {
    SCOPED_TRACE(what);
    auto once = op(*plain_);
    const int commits = refusing_->connection().commits();
    const int refusals = refusing_->connection().refusals();
    auto twice = op(*refused_);
    ASSERT_EQ(once.ok(), twice.ok()) << (once.ok() ? twice.error().message : once.error().message);
    // A transaction that succeeds was refused once and then committed; one that fails (or an
    // input refused before any transaction) commits nothing and is not run again.
    const int ran = twice.ok() && in_transaction ? 1 : 0;
    EXPECT_EQ(refusing_->connection().commits() - commits, ran);
    EXPECT_EQ(refusing_->connection().refusals() - refusals, ran);
    if (once.ok()) {
      EXPECT_TRUE(same_value(*once, *twice));
    } else {
      EXPECT_EQ(once.error().code, twice.error().code);
      EXPECT_EQ(once.error().message, twice.error().message);
    }
  }

  TempDir plain_dir_;
  TempDir refused_dir_;
  std::unique_ptr<SqlStore> plain_;
  std::unique_ptr<SqlStore> refused_;
  RefusingDatabase* refusing_ = nullptr;
};

TEST_F(SqlStoreRetryTest, EveryOperationRefusedOnceAtCommitGivesWhatItGivesWhenRunOnce) {
  const Api api = make_api();
  Api narrower = api;
  narrower.permissions = {{"read:messages", "Read them all"}};
  same("create_api", [&](Store& s) { return s.create_api(api); });
  same("create_api again", [&](Store& s) { return s.create_api(api); });
  same("get_api", [&](Store& s) { return s.get_api(api.identifier); });
  same("list_apis", [&](Store& s) { return s.list_apis(); });
  same("page_apis", [&](Store& s) { return s.page_apis(PageRequest{}); });

  Application app = make_app();
  same("create_application", [&](Store& s) { return s.create_application(app); });
  same("create_application again", [&](Store& s) { return s.create_application(app); });
  app.name = "Renamed";
  same("update_application", [&](Store& s) { return s.update_application(app); });
  same("get_application", [&](Store& s) { return s.get_application(app.client_id); });
  same("list_applications", [&](Store& s) { return s.list_applications(); });
  same("page_applications", [&](Store& s) { return s.page_applications(PageRequest{}); });

  ClientGrant grant;
  grant.client_id = app.client_id;
  grant.audience = api.identifier;
  grant.scopes = {"read:messages", "write:messages"};
  grant.created_at = kNow;
  same("create_client_grant", [&](Store& s) { return s.create_client_grant(grant); });
  same("create_client_grant again", [&](Store& s) { return s.create_client_grant(grant); });
  same("find_client_grant",
       [&](Store& s) { return s.find_client_grant(grant.client_id, grant.audience); });
  const std::int64_t grant_id = plain_->find_client_grant(app.client_id, api.identifier)->id;
  same("update_client_grant_scopes",
       [&](Store& s) { return s.update_client_grant_scopes(grant_id, {"write:messages"}); });
  same("update_api, dropping a granted permission",
       [&](Store& s) { return s.update_api(narrower); });
  same("get_client_grant", [&](Store& s) { return s.get_client_grant(grant_id); });
  same("list_client_grants", [&](Store& s) { return s.list_client_grants(std::nullopt); });
  same("page_client_grants",
       [&](Store& s) { return s.page_client_grants(PageRequest{}, app.client_id, std::nullopt); });

  User user = make_user();
  same("create_user", [&](Store& s) { return s.create_user(user); });
  same("create_user again", [&](Store& s) { return s.create_user(user); });
  user.blocked = true;
  same("update_user", [&](Store& s) { return s.update_user(user, std::nullopt); });
  same("update_user, stale", [&](Store& s) { return s.update_user(user, Revision{1}); });
  same(
      "get_user", [&](Store& s) { return s.get_user(user.id); }, false);
  same(
      "find_user_by_email", [&](Store& s) { return s.find_user_by_email("ALICE@example.com"); },
      false);
  same("list_users", [&](Store& s) { return s.list_users(); });
  same("page_users", [&](Store& s) { return s.page_users(PageRequest{}, "Alice"); });
  same("add_user_permissions", [&](Store& s) {
    return s.add_user_permissions(user.id, api.identifier, {"read:messages"});
  });
  same("add_user_permissions, undefined", [&](Store& s) {
    return s.add_user_permissions(user.id, api.identifier, {"write:messages"});
  });
  same("list_user_permissions",
       [&](Store& s) { return s.list_user_permissions(user.id, std::nullopt); });
  same("remove_user_permissions", [&](Store& s) {
    return s.remove_user_permissions(user.id, api.identifier, {"read:messages"});
  });

  same("insert_signing_keys", [&](Store& s) {
    return s.insert_signing_keys(
        {make_key("k1", SigningKeyState::kCurrent), make_key("k2", SigningKeyState::kNext)});
  });
  same("rotate_signing_keys", [&](Store& s) {
    return s.rotate_signing_keys(jose::Algorithm::kES256, make_key("k3", SigningKeyState::kNext),
                                 kNow + seconds{10});
  });
  same("revoke_signing_key", [&](Store& s) { return s.revoke_signing_key("k1", kNow); });
  same("revoke_signing_key, current", [&](Store& s) { return s.revoke_signing_key("k2", kNow); });
  same("get_signing_key", [&](Store& s) { return s.get_signing_key("k3"); });
  same("list_signing_keys", [&](Store& s) { return s.list_signing_keys(); });

  const PreciseTimestamp precise_now{std::chrono::milliseconds{1'700'000'000'250}};
  same("insert_refresh_token",
       [&](Store& s) { return s.insert_refresh_token(make_refresh("r1")); });
  same("rotate_refresh_token", [&](Store& s) {
    return s.rotate_refresh_token("r1", make_refresh("r2"), "sealed", precise_now);
  });
  same("rotate_refresh_token again", [&](Store& s) {
    return s.rotate_refresh_token("r1", make_refresh("r3"), "sealed", precise_now);
  });
  same(
      "find_refresh_token", [&](Store& s) { return s.find_refresh_token("hash-of-r1"); }, false);
  same("revoke_refresh_token_family",
       [&](Store& s) { return s.revoke_refresh_token_family("fam-1"); });
  same("insert_refresh_token, other family",
       [&](Store& s) { return s.insert_refresh_token(make_refresh("r4", "fam-2")); });
  same("revoke_user_refresh_tokens",
       [&](Store& s) { return s.revoke_user_refresh_tokens(user.id); });
  same("delete_expired_refresh_tokens", [&](Store& s) {
    return s.delete_expired_refresh_tokens(kNow + std::chrono::hours{24 * 31});
  });

  const FailedLoginKey key{FailedLoginSubject::kUser, user.id, "192.0.2.1"};
  const LockoutPolicy lockout{2, seconds{60}};
  for (int i = 0; i < 3; ++i) {
    same("record_failed_login",
         [&](Store& s) { return s.record_failed_login(key, kNow + seconds{i}, lockout); });
  }
  AccountDelayPolicy delays;
  delays.free_failures = 1;
  for (int i = 0; i < 2; ++i) {
    same("record_account_failure", [&](Store& s) {
      return s.record_account_failure(FailedLoginSubject::kUser, user.id, kNow, delays);
    });
  }
  same(
      "get_failed_logins", [&](Store& s) { return s.get_failed_logins(key); }, false);
  same("list_failed_logins",
       [&](Store& s) { return s.list_failed_logins(FailedLoginSubject::kUser, user.id); });
  same("count_failed_login_subjects", [&](Store& s) {
    return s.count_failed_login_subjects(FailedLoginSubject::kUser, key.address);
  });
  same("reset_failed_logins", [&](Store& s) { return s.reset_failed_logins(key); });
  same("reset_all_failed_logins",
       [&](Store& s) { return s.reset_all_failed_logins(FailedLoginSubject::kUser, user.id); });
  same("delete_stale_failed_logins",
       [&](Store& s) { return s.delete_stale_failed_logins(kNow, kNow); });

  same("record_sign_in_address",
       [&](Store& s) { return s.record_sign_in_address(user.id, "192.0.2.1", kNow); });
  same("record_sign_in_address, no user",
       [&](Store& s) { return s.record_sign_in_address("nobody", "192.0.2.1", kNow); });
  same("signed_in_from", [&](Store& s) { return s.signed_in_from(user.id, "192.0.2.1", kNow); });
  same("page_events", [&](Store& s) { return s.page_events({}, {}); });

  AuthorizationCode code;
  code.code_hash = "hs256:code-1";
  code.client_id = app.client_id;
  code.user_id = user.id;
  code.redirect_uri = "https://app.example.com/callback";
  code.audience = api.identifier;
  code.refresh_family_id = "fam-code-1";
  code.auth_time = kNow;
  code.created_at = kNow;
  code.expires_at = kNow + seconds{60};
  same("insert_authorization_code", [&](Store& s) { return s.insert_authorization_code(code); });
  same("insert_authorization_code again",
       [&](Store& s) { return s.insert_authorization_code(code); });
  for (int i = 0; i < 2; ++i) {
    same("redeem_authorization_code", [&](Store& s) {
      return s.redeem_authorization_code(code.code_hash, kNow + seconds{5 + i});
    });
  }
  same("delete_expired_authorization_codes",
       [&](Store& s) { return s.delete_expired_authorization_codes(kNow + seconds{61}); });

  BrowserSession session;
  session.id_hash = "hs256:session-1";
  session.user_id = user.id;
  session.auth_time = kNow;
  session.last_seen_at = kNow;
  session.expires_at = kNow + seconds{3600};
  same("create_browser_session", [&](Store& s) { return s.create_browser_session(session); });
  same("create_browser_session again", [&](Store& s) { return s.create_browser_session(session); });
  same("touch_browser_session",
       [&](Store& s) { return s.touch_browser_session(session.id_hash, kNow + seconds{9}); });
  same(
      "get_browser_session", [&](Store& s) { return s.get_browser_session(session.id_hash); },
      false);
  same("list_user_browser_sessions",
       [&](Store& s) { return s.list_user_browser_sessions(user.id); });
  same("delete_browser_session",
       [&](Store& s) { return s.delete_browser_session(session.id_hash); });
  same("delete_user_browser_sessions",
       [&](Store& s) { return s.delete_user_browser_sessions(user.id); });
  same("delete_expired_browser_sessions",
       [&](Store& s) { return s.delete_expired_browser_sessions(kNow, kNow); });

  // The second run of the first call must not see the first run's insert as a replay.
  for (int i = 0; i < 2; ++i) {
    same("record_client_assertion", [&](Store& s) {
      return s.record_client_assertion(app.client_id, "jti-1", kNow + seconds{60}, kNow);
    });
    same(
        "record_dpop_proof",
        [&](Store& s) { return s.record_dpop_proof("hs256:aa", kNow + seconds{60}, kNow); }, false);
  }

  same(
      "generation", [&](Store& s) { return s.generation(); }, false);
  same("delete_client_grant", [&](Store& s) { return s.delete_client_grant(grant_id); });
  same("delete_client_grant again", [&](Store& s) { return s.delete_client_grant(grant_id); });
  same("delete_application", [&](Store& s) { return s.delete_application(app.client_id); });
  same("delete_user", [&](Store& s) { return s.delete_user(user.id); });
  same("delete_api", [&](Store& s) { return s.delete_api(api.identifier); });
  same(
      "generation at the end", [&](Store& s) { return s.generation(); }, false);
}

// Statement text built at run time (the event log's filters) is cached under a copy: the text a
// caller built may be gone when the statement is asked for again (ASan saw the first version of
// this cache read freed text).
TEST(SqliteConnectionTest, AStatementBuiltAtRunTimeIsCachedUnderItsOwnCopyOfTheText) {
  signet::testing::TempDir dir;
  ASSERT_TRUE(SqliteStore::open(dir.file("cache.db")).ok());  // creates the file
  auto db = sqlite::Connection::open(dir.file("cache.db"));
  ASSERT_TRUE(db.ok()) << db.error().message;
  const auto select = [&](int n) {
    std::string text = "SELECT ?1 + " + std::to_string(n);
    auto stmt = (*db)->prepare(text);
    EXPECT_TRUE(stmt.ok());
    if (!stmt.ok()) {
      return std::int64_t{-1};
    }
    stmt->integer(1, 1);
    auto row = stmt->step();
    EXPECT_TRUE(row.ok() && *row);
    const std::int64_t value = stmt->column_integer(0);
    text.assign(text.size(), 'x');  // the caller's buffer changes before it is freed
    return value;
  };
  EXPECT_EQ(select(1), 2);
  EXPECT_EQ(select(2), 3);
  EXPECT_EQ(select(1), 2) << "the cached statement, found by a fresh copy of its text";
}

}  // namespace
}  // namespace signet::store::testing
