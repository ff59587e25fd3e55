#pragma once

// The store, written once over the SQL interface (sql_db.h), for SQLite (sqlite_store.h) and
// PostgreSQL (postgres_store.h) alike. The statements, the row mapping, the validation and the
// transactions are the same on both; a driver supplies connections, and Connection::pick the few
// statements whose text differs.
//
// Transactions: every operation runs in one (write() or read() in sql_store_internal.h). A write
// on PostgreSQL runs SERIALIZABLE and may be refused because it met another; it is then run
// again from the start, so callers see what SQLite's one-writer-at-a-time gives them.
//
// Change notification: generation() reads a counter that triggers bump inside every transaction
// that changes configuration, whichever process commits it (schema.cc,
// postgres_schema.cc). A counter, rather than SQLite's PRAGMA data_version, because data_version
// also moves with every refresh token and failed login written by another replica and does not
// move for this connection's own writes, and because PostgreSQL can keep the same counter.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "signet/store/sql_db.h"
#include "signet/store/store.h"
#include "signet/store/store_metrics.h"

namespace signet::store {

class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<sql::Database> db) : db_(std::move(db)) {}

  // The database under the store, for what works on whole tables rather than records (copy.h).
  sql::Database& database() { return *db_; }

  // Counts every operation's time and errors into `registry` (store_metrics.h), which must
  // outlive the store's use. Call once, before the store is used from other threads.
  void count_into(metrics::Registry& registry);

  StoreResult<std::uint64_t> generation() override;

  // The `if_revision` defaults repeat Store's: a call through SqliteStore takes them from here.
  StoreResult<Api> create_api(const Api& api) override;
  StoreResult<Api> get_api(std::string_view identifier) override;
  StoreResult<std::vector<Api>> list_apis() override;
  StoreResult<Page<Api>> page_apis(const PageRequest& page) override;
  StoreResult<Api> update_api(const Api& api,
                              std::optional<Revision> if_revision = std::nullopt) override;
  StoreResult<Ok> delete_api(std::string_view identifier) override;

  StoreResult<Application> create_application(const Application& app) override;
  StoreResult<Application> get_application(std::string_view client_id) override;
  StoreResult<std::vector<Application>> list_applications() override;
  StoreResult<Page<Application>> page_applications(const PageRequest& page) override;
  StoreResult<Application> update_application(
      const Application& app, std::optional<Revision> if_revision = std::nullopt) override;
  StoreResult<Ok> delete_application(std::string_view client_id) override;

  StoreResult<ClientGrant> create_client_grant(const ClientGrant& grant) override;
  StoreResult<ClientGrant> get_client_grant(std::int64_t id) override;
  StoreResult<ClientGrant> find_client_grant(std::string_view client_id,
                                             std::string_view audience) override;
  StoreResult<std::vector<ClientGrant>> list_client_grants(
      std::optional<std::string_view> client_id) override;
  StoreResult<Page<ClientGrant>> page_client_grants(
      const PageRequest& page, std::optional<std::string_view> client_id,
      std::optional<std::string_view> audience) override;
  StoreResult<ClientGrant> update_client_grant_scopes(
      std::int64_t id, const std::vector<std::string>& scopes,
      std::optional<Revision> if_revision = std::nullopt) override;
  StoreResult<Ok> delete_client_grant(std::int64_t id) override;

  StoreResult<User> create_user(const User& user) override;
  StoreResult<User> get_user(std::string_view id) override;
  StoreResult<User> find_user_by_email(std::string_view email) override;
  StoreResult<std::vector<User>> list_users() override;
  StoreResult<Page<User>> page_users(const PageRequest& page,
                                     std::optional<std::string_view> search) override;
  StoreResult<User> update_user(const User& user,
                                std::optional<Revision> if_revision = std::nullopt) override;
  StoreResult<Ok> delete_user(std::string_view id) override;
  StoreResult<Ok> add_user_permissions(std::string_view user_id, std::string_view api,
                                       const std::vector<std::string>& permissions) override;
  StoreResult<Ok> remove_user_permissions(std::string_view user_id, std::string_view api,
                                          const std::vector<std::string>& permissions) override;
  StoreResult<std::vector<UserPermission>> list_user_permissions(
      std::string_view user_id, std::optional<std::string_view> api) override;

  StoreResult<Ok> insert_signing_keys(const std::vector<SigningKey>& keys) override;
  StoreResult<SigningKey> get_signing_key(std::string_view kid) override;
  StoreResult<std::vector<SigningKey>> list_signing_keys() override;
  StoreResult<Ok> rotate_signing_keys(jose::Algorithm algorithm, const SigningKey& new_next,
                                      Timestamp now) override;
  StoreResult<Ok> revoke_signing_key(std::string_view kid, Timestamp now) override;

  StoreResult<Ok> insert_refresh_token(const RefreshToken& token) override;
  StoreResult<RefreshToken> find_refresh_token(std::string_view token_hash) override;
  StoreResult<Ok> rotate_refresh_token(std::string_view old_id, const RefreshToken& replacement,
                                       std::string_view successor_sealed,
                                       PreciseTimestamp now) override;
  StoreResult<std::int64_t> revoke_user_refresh_tokens(std::string_view user_id) override;
  StoreResult<FailedLoginCounter> record_account_failure(FailedLoginSubject kind,
                                                         std::string_view subject, Timestamp now,
                                                         const AccountDelayPolicy& policy) override;
  StoreResult<std::int64_t> count_failed_login_subjects(FailedLoginSubject kind,
                                                        std::string_view address) override;
  StoreResult<Ok> record_sign_in_address(std::string_view user_id, std::string_view address,
                                         Timestamp now) override;
  StoreResult<bool> signed_in_from(std::string_view user_id, std::string_view address,
                                   Timestamp since) override;

  StoreResult<std::int64_t> revoke_refresh_token_family(std::string_view family_id) override;
  StoreResult<std::int64_t> delete_expired_refresh_tokens(Timestamp now) override;

  StoreResult<Ok> insert_authorization_code(const AuthorizationCode& code) override;
  StoreResult<AuthorizationCode> redeem_authorization_code(std::string_view code_hash,
                                                           Timestamp now) override;
  StoreResult<std::int64_t> delete_expired_authorization_codes(Timestamp before) override;
  StoreResult<Ok> create_browser_session(const BrowserSession& session) override;
  StoreResult<BrowserSession> get_browser_session(std::string_view id_hash) override;
  StoreResult<Ok> touch_browser_session(std::string_view id_hash, Timestamp now) override;
  StoreResult<Ok> delete_browser_session(std::string_view id_hash) override;
  StoreResult<std::int64_t> delete_user_browser_sessions(std::string_view user_id) override;
  StoreResult<std::vector<BrowserSession>> list_user_browser_sessions(
      std::string_view user_id) override;
  StoreResult<std::int64_t> delete_expired_browser_sessions(Timestamp now,
                                                            Timestamp idle_before) override;
  StoreResult<bool> record_client_assertion(std::string_view client_id, std::string_view jti,
                                            Timestamp expires_at, Timestamp now) override;
  StoreResult<bool> record_dpop_proof(std::string_view id_hash, Timestamp expires_at,
                                      Timestamp now) override;
  StoreResult<FailedLoginCounter> record_failed_login(const FailedLoginKey& key, Timestamp now,
                                                      const LockoutPolicy& policy) override;
  StoreResult<FailedLoginCounter> get_failed_logins(const FailedLoginKey& key) override;
  StoreResult<std::vector<AddressFailedLogins>> list_failed_logins(
      FailedLoginSubject kind, std::string_view subject) override;
  StoreResult<Ok> reset_failed_logins(const FailedLoginKey& key) override;
  StoreResult<std::int64_t> reset_all_failed_logins(FailedLoginSubject kind,
                                                    std::string_view subject) override;
  StoreResult<std::int64_t> delete_stale_failed_logins(Timestamp older_than,
                                                       Timestamp now) override;

  // --- events (sql_events.cc)
  StoreResult<Ok> append_events(const std::vector<Event>& events) override;
  StoreResult<Page<Event>> page_events(const EventFilter& filter, const PageRequest& page) override;
  StoreResult<std::vector<Event>> events_after(std::int64_t after_id, const EventFilter& filter,
                                               std::int64_t limit) override;
  StoreResult<std::int64_t> delete_old_events(PreciseTimestamp before,
                                              std::int64_t keep_at_most) override;

 private:
  // record_dpop_proof deletes expired proofs at every this many records.
  static constexpr std::uint64_t kDpopProofSweepEvery = 256;

  // The database's connections; each operation leases one for its transaction.
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<StoreMetrics> metrics_;
  std::atomic<std::uint64_t> dpop_proofs_recorded_{0};
};

}  // namespace signet::store
