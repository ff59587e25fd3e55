#pragma once

// A Store that hands every call to a real one, with two ways for a test to step in: a hook run
// after each read of a record that a patch reads (API, application, client grant, user), where a
// test writes behind the caller's back or makes two threads meet; and failures injected by
// operation name, for the store errors a healthy SQLite file never gives.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/store/store.h"

namespace signet::store::testing {

class ForwardingStore final : public Store {
 public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}

  // Runs after get_api, get_application, get_client_grant and get_user return, with what was
  // asked for. Set before the calls that use it; not changed while they run.
  std::function<void(std::string_view what)> after_read;
  // An operation named here (its method name, e.g. "revoke_user_refresh_tokens") fails with the
  // error, and the real store is not called.
  std::map<std::string, StoreError, std::less<>> failures;

  StoreResult<std::uint64_t> generation() override {
    return call("generation", [&] { return inner_.generation(); });
  }

  StoreResult<Api> create_api(const Api& api) override {
    return call("create_api", [&] { return inner_.create_api(api); });
  }
  StoreResult<Api> get_api(std::string_view identifier) override {
    return read(call("get_api",
                     [&] { return call("get_api", [&] { return inner_.get_api(identifier); }); }),
                identifier);
  }
  StoreResult<std::vector<Api>> list_apis() override {
    return call("list_apis", [&] { return inner_.list_apis(); });
  }
  StoreResult<Page<Api>> page_apis(const PageRequest& page) override {
    return call("page_apis", [&] { return inner_.page_apis(page); });
  }
  StoreResult<Api> update_api(const Api& api, std::optional<Revision> if_revision) override {
    return call("update_api", [&] { return inner_.update_api(api, if_revision); });
  }
  StoreResult<Ok> delete_api(std::string_view identifier) override {
    return call("delete_api", [&] { return inner_.delete_api(identifier); });
  }

  StoreResult<Application> create_application(const Application& app) override {
    return call("create_application", [&] { return inner_.create_application(app); });
  }
  StoreResult<Application> get_application(std::string_view client_id) override {
    return read(call("get_application",
                     [&] {
                       return call("get_application",
                                   [&] { return inner_.get_application(client_id); });
                     }),
                client_id);
  }
  StoreResult<std::vector<Application>> list_applications() override {
    return call("list_applications", [&] { return inner_.list_applications(); });
  }
  StoreResult<Page<Application>> page_applications(const PageRequest& page) override {
    return call("page_applications", [&] { return inner_.page_applications(page); });
  }
  StoreResult<Application> update_application(const Application& app,
                                              std::optional<Revision> if_revision) override {
    return call("update_application", [&] { return inner_.update_application(app, if_revision); });
  }
  StoreResult<Ok> delete_application(std::string_view client_id) override {
    return call("delete_application", [&] { return inner_.delete_application(client_id); });
  }

  StoreResult<ClientGrant> create_client_grant(const ClientGrant& grant) override {
    return call("create_client_grant", [&] { return inner_.create_client_grant(grant); });
  }
  StoreResult<ClientGrant> get_client_grant(std::int64_t id) override {
    return read(
        call("get_client_grant",
             [&] { return call("get_client_grant", [&] { return inner_.get_client_grant(id); }); }),
        std::to_string(id));
  }
  StoreResult<ClientGrant> find_client_grant(std::string_view client_id,
                                             std::string_view audience) override {
    return call("find_client_grant", [&] { return inner_.find_client_grant(client_id, audience); });
  }
  StoreResult<std::vector<ClientGrant>> list_client_grants(
      std::optional<std::string_view> client_id) override {
    return call("list_client_grants", [&] { return inner_.list_client_grants(client_id); });
  }
  StoreResult<Page<ClientGrant>> page_client_grants(
      const PageRequest& page, std::optional<std::string_view> client_id,
      std::optional<std::string_view> audience) override {
    return call("page_client_grants",
                [&] { return inner_.page_client_grants(page, client_id, audience); });
  }
  StoreResult<ClientGrant> update_client_grant_scopes(
      std::int64_t id, const std::vector<std::string>& scopes,
      std::optional<Revision> if_revision) override {
    return call("update_client_grant_scopes",
                [&] { return inner_.update_client_grant_scopes(id, scopes, if_revision); });
  }
  StoreResult<Ok> delete_client_grant(std::int64_t id) override {
    return call("delete_client_grant", [&] { return inner_.delete_client_grant(id); });
  }

  StoreResult<User> create_user(const User& user) override {
    return call("create_user", [&] { return inner_.create_user(user); });
  }
  StoreResult<User> get_user(std::string_view id) override {
    return read(
        call("get_user", [&] { return call("get_user", [&] { return inner_.get_user(id); }); }),
        id);
  }
  StoreResult<User> find_user_by_email(std::string_view email) override {
    return call("find_user_by_email", [&] { return inner_.find_user_by_email(email); });
  }
  StoreResult<std::vector<User>> list_users() override {
    return call("list_users", [&] { return inner_.list_users(); });
  }
  StoreResult<Page<User>> page_users(const PageRequest& page,
                                     std::optional<std::string_view> search) override {
    return call("page_users", [&] { return inner_.page_users(page, search); });
  }
  StoreResult<User> update_user(const User& user, std::optional<Revision> if_revision) override {
    return call("update_user", [&] { return inner_.update_user(user, if_revision); });
  }
  StoreResult<Ok> delete_user(std::string_view id) override {
    return call("delete_user", [&] { return inner_.delete_user(id); });
  }
  StoreResult<Ok> add_user_permissions(std::string_view user_id, std::string_view api,
                                       const std::vector<std::string>& permissions) override {
    return call("add_user_permissions",
                [&] { return inner_.add_user_permissions(user_id, api, permissions); });
  }
  StoreResult<Ok> remove_user_permissions(std::string_view user_id, std::string_view api,
                                          const std::vector<std::string>& permissions) override {
    return call("remove_user_permissions",
                [&] { return inner_.remove_user_permissions(user_id, api, permissions); });
  }
  StoreResult<std::vector<UserPermission>> list_user_permissions(
      std::string_view user_id, std::optional<std::string_view> api) override {
    return call("list_user_permissions",
                [&] { return inner_.list_user_permissions(user_id, api); });
  }

  StoreResult<Ok> insert_signing_keys(const std::vector<SigningKey>& keys) override {
    return call("insert_signing_keys", [&] { return inner_.insert_signing_keys(keys); });
  }
  StoreResult<SigningKey> get_signing_key(std::string_view kid) override {
    return call("get_signing_key", [&] { return inner_.get_signing_key(kid); });
  }
  StoreResult<std::vector<SigningKey>> list_signing_keys() override {
    return call("list_signing_keys", [&] { return inner_.list_signing_keys(); });
  }
  StoreResult<Ok> rotate_signing_keys(jose::Algorithm algorithm, const SigningKey& new_next,
                                      Timestamp now) override {
    return call("rotate_signing_keys",
                [&] { return inner_.rotate_signing_keys(algorithm, new_next, now); });
  }
  StoreResult<Ok> revoke_signing_key(std::string_view kid, Timestamp now) override {
    return call("revoke_signing_key", [&] { return inner_.revoke_signing_key(kid, now); });
  }

  StoreResult<Ok> insert_refresh_token(const RefreshToken& token) override {
    return call("insert_refresh_token", [&] { return inner_.insert_refresh_token(token); });
  }
  StoreResult<RefreshToken> find_refresh_token(std::string_view token_hash) override {
    return call("find_refresh_token", [&] { return inner_.find_refresh_token(token_hash); });
  }
  StoreResult<Ok> rotate_refresh_token(std::string_view old_id, const RefreshToken& replacement,
                                       std::string_view successor_sealed,
                                       PreciseTimestamp now) override {
    return call("rotate_refresh_token", [&] {
      return inner_.rotate_refresh_token(old_id, replacement, successor_sealed, now);
    });
  }
  StoreResult<std::int64_t> revoke_refresh_token_family(std::string_view family_id) override {
    return call("revoke_refresh_token_family",
                [&] { return inner_.revoke_refresh_token_family(family_id); });
  }
  StoreResult<std::int64_t> revoke_user_refresh_tokens(std::string_view user_id) override {
    return call("revoke_user_refresh_tokens",
                [&] { return inner_.revoke_user_refresh_tokens(user_id); });
  }
  StoreResult<std::int64_t> delete_expired_refresh_tokens(Timestamp now) override {
    return call("delete_expired_refresh_tokens",
                [&] { return inner_.delete_expired_refresh_tokens(now); });
  }

  StoreResult<FailedLoginCounter> record_failed_login(const FailedLoginKey& key, Timestamp now,
                                                      const LockoutPolicy& policy) override {
    return call("record_failed_login",
                [&] { return inner_.record_failed_login(key, now, policy); });
  }
  StoreResult<FailedLoginCounter> get_failed_logins(const FailedLoginKey& key) override {
    return call("get_failed_logins", [&] { return inner_.get_failed_logins(key); });
  }
  StoreResult<std::vector<AddressFailedLogins>> list_failed_logins(
      FailedLoginSubject kind, std::string_view subject) override {
    return call("list_failed_logins", [&] { return inner_.list_failed_logins(kind, subject); });
  }
  StoreResult<FailedLoginCounter> record_account_failure(
      FailedLoginSubject kind, std::string_view subject, Timestamp now,
      const AccountDelayPolicy& policy) override {
    return call("record_account_failure",
                [&] { return inner_.record_account_failure(kind, subject, now, policy); });
  }
  StoreResult<std::int64_t> count_failed_login_subjects(FailedLoginSubject kind,
                                                        std::string_view address) override {
    return call("count_failed_login_subjects",
                [&] { return inner_.count_failed_login_subjects(kind, address); });
  }
  StoreResult<Ok> reset_failed_logins(const FailedLoginKey& key) override {
    return call("reset_failed_logins", [&] { return inner_.reset_failed_logins(key); });
  }
  StoreResult<std::int64_t> reset_all_failed_logins(FailedLoginSubject kind,
                                                    std::string_view subject) override {
    return call("reset_all_failed_logins",
                [&] { return inner_.reset_all_failed_logins(kind, subject); });
  }

  StoreResult<Ok> insert_authorization_code(const AuthorizationCode& code) override {
    return call("insert_authorization_code",
                [&] { return inner_.insert_authorization_code(code); });
  }
  StoreResult<AuthorizationCode> redeem_authorization_code(std::string_view code_hash,
                                                           Timestamp now) override {
    return call("redeem_authorization_code",
                [&] { return inner_.redeem_authorization_code(code_hash, now); });
  }
  StoreResult<std::int64_t> delete_expired_authorization_codes(Timestamp before) override {
    return call("delete_expired_authorization_codes",
                [&] { return inner_.delete_expired_authorization_codes(before); });
  }
  StoreResult<Ok> create_browser_session(const BrowserSession& session) override {
    return call("create_browser_session", [&] { return inner_.create_browser_session(session); });
  }
  StoreResult<BrowserSession> get_browser_session(std::string_view id_hash) override {
    return call("get_browser_session", [&] { return inner_.get_browser_session(id_hash); });
  }
  StoreResult<Ok> touch_browser_session(std::string_view id_hash, Timestamp now) override {
    return call("touch_browser_session",
                [&] { return inner_.touch_browser_session(id_hash, now); });
  }
  StoreResult<Ok> delete_browser_session(std::string_view id_hash) override {
    return call("delete_browser_session", [&] { return inner_.delete_browser_session(id_hash); });
  }
  StoreResult<std::int64_t> delete_user_browser_sessions(std::string_view user_id) override {
    return call("delete_user_browser_sessions",
                [&] { return inner_.delete_user_browser_sessions(user_id); });
  }
  StoreResult<std::vector<BrowserSession>> list_user_browser_sessions(
      std::string_view user_id) override {
    return call("list_user_browser_sessions",
                [&] { return inner_.list_user_browser_sessions(user_id); });
  }
  StoreResult<std::int64_t> delete_expired_browser_sessions(Timestamp now,
                                                            Timestamp idle_before) override {
    return call("delete_expired_browser_sessions",
                [&] { return inner_.delete_expired_browser_sessions(now, idle_before); });
  }
  StoreResult<bool> record_client_assertion(std::string_view client_id, std::string_view jti,
                                            Timestamp expires_at, Timestamp now) override {
    return call("record_client_assertion",
                [&] { return inner_.record_client_assertion(client_id, jti, expires_at, now); });
  }
  StoreResult<bool> record_dpop_proof(std::string_view id_hash, Timestamp expires_at,
                                      Timestamp now) override {
    return call("record_dpop_proof",
                [&] { return inner_.record_dpop_proof(id_hash, expires_at, now); });
  }
  StoreResult<Ok> record_sign_in_address(std::string_view user_id, std::string_view address,
                                         Timestamp now) override {
    return call("record_sign_in_address",
                [&] { return inner_.record_sign_in_address(user_id, address, now); });
  }
  StoreResult<bool> signed_in_from(std::string_view user_id, std::string_view address,
                                   Timestamp since) override {
    return call("signed_in_from", [&] { return inner_.signed_in_from(user_id, address, since); });
  }

  StoreResult<std::int64_t> delete_stale_failed_logins(Timestamp older_than,
                                                       Timestamp now) override {
    return call("delete_stale_failed_logins",
                [&] { return inner_.delete_stale_failed_logins(older_than, now); });
  }

  StoreResult<Ok> append_events(const std::vector<Event>& events) override {
    return call("append_events", [&] { return inner_.append_events(events); });
  }
  StoreResult<Page<Event>> page_events(const EventFilter& filter,
                                       const PageRequest& page) override {
    return call("page_events", [&] { return inner_.page_events(filter, page); });
  }
  StoreResult<std::vector<Event>> events_after(std::int64_t after_id, const EventFilter& filter,
                                               std::int64_t limit) override {
    return call("events_after", [&] { return inner_.events_after(after_id, filter, limit); });
  }
  StoreResult<std::int64_t> delete_old_events(PreciseTimestamp before,
                                              std::int64_t keep_at_most) override {
    return call("delete_old_events",
                [&] { return inner_.delete_old_events(before, keep_at_most); });
  }

 private:
  std::optional<StoreError> failure(std::string_view operation) const {
    if (auto it = failures.find(operation); it != failures.end()) {
      return it->second;
    }
    return std::nullopt;
  }

  template <typename F>
  auto call(std::string_view operation, F run) -> decltype(run()) {
    if (auto e = failure(operation)) {
      return fail(*e);
    }
    return run();
  }

  template <typename T>
  StoreResult<T> read(StoreResult<T> result, std::string_view what) {
    if (after_read) {
      after_read(what);
    }
    return result;
  }

  Store& inner_;
};

}  // namespace signet::store::testing
