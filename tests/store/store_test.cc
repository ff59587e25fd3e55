#include "signet/store/sqlite_store.h"

#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/store/store_test_support.h"

namespace signet::store::testing {
namespace {

using std::chrono::seconds;

// --- APIs

TEST_P(StoreTest, ApiRoundTripsEveryField) {
  Api api = make_api();
  api.signing_algorithm = jose::Algorithm::kEdDSA;
  api.token_lifetime = seconds{3600};
  api.allow_offline_access = true;
  api.token_profile = TokenProfile::kRfc9068;
  api.require_dpop = true;
  auto created = store_->create_api(api);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_GT(created->revision, 0u);  // set by the store
  api.revision = created->revision;
  EXPECT_EQ(*created, api);
  auto got = store_->get_api(api.identifier);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, api);

  api.require_dpop = false;
  auto updated = store_->update_api(api);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_FALSE(updated->require_dpop);
  EXPECT_FALSE(store_->get_api(api.identifier)->require_dpop);
  EXPECT_FALSE(store_->list_apis()->front().require_dpop);
}

TEST_P(StoreTest, ApiDefaultsAreAuth0s) {
  Api api;
  api.identifier = "urn:x";
  api.name = "x";
  auto created = store_->create_api(api);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->signing_algorithm, jose::Algorithm::kRS256);
  EXPECT_EQ(created->token_lifetime, seconds{86400});
  EXPECT_EQ(created->token_profile, TokenProfile::kAuth0);
  EXPECT_FALSE(created->allow_offline_access);
  EXPECT_FALSE(created->require_dpop);
}

TEST_P(StoreTest, ApiIdentifierIsExactTrailingSlashIncluded) {
  ASSERT_TRUE(store_->create_api(make_api("https://api.example.com/")).ok());
  ASSERT_TRUE(store_->create_api(make_api("https://api.example.com")).ok());
  EXPECT_EQ(store_->list_apis()->size(), 2u);
}

TEST_P(StoreTest, DuplicateApiIdentifierIsConflict) {
  ASSERT_TRUE(store_->create_api(make_api()).ok());
  auto again = store_->create_api(make_api());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StoreErrorCode::kConflict);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
}

TEST_P(StoreTest, TokenLifetimeBoundsAreChecked) {
  const struct {
    seconds lifetime;
    bool ok;
  } cases[] = {{seconds{0}, false},
               {seconds{1}, true},
               {seconds{2'592'000}, true},
               {seconds{2'592'001}, false},
               {seconds{-1}, false}};
  int n = 0;
  for (const auto& c : cases) {
    Api api = make_api("urn:api:" + std::to_string(n++));
    api.token_lifetime = c.lifetime;
    auto r = store_->create_api(api);
    EXPECT_EQ(r.ok(), c.ok) << c.lifetime.count();
    if (!c.ok) {
      EXPECT_EQ(r.error().code, StoreErrorCode::kInvalid);
      api.token_lifetime = seconds{60};
      ASSERT_TRUE(store_->create_api(api).ok());
      api.token_lifetime = c.lifetime;
      auto u = store_->update_api(api);
      ASSERT_FALSE(u.ok());
      EXPECT_EQ(u.error().code, StoreErrorCode::kInvalid);
    }
  }
}

TEST_P(StoreTest, ApiInputRulesAreInvalid) {
  Api empty_name = make_api();
  empty_name.name.clear();
  Api spaced = make_api();
  spaced.permissions = {{"read messages", ""}};
  Api repeated = make_api();
  repeated.permissions = {{"a", ""}, {"a", ""}};
  Api no_id = make_api("");
  for (const Api& api : {empty_name, spaced, repeated, no_id}) {
    auto r = store_->create_api(api);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, StoreErrorCode::kInvalid) << r.error().message;
  }
  EXPECT_TRUE(store_->list_apis()->empty());
}

TEST_P(StoreTest, MissingApiIsNotFound) {
  EXPECT_EQ(store_->get_api("nope").error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->update_api(make_api("nope")).error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->delete_api("nope").error().code, StoreErrorCode::kNotFound);
}

TEST_P(StoreTest, UpdateApiKeepsGrantsOfKeptPermissionsAndDropsRemovedOnes) {
  seed();
  ClientGrant g{
      0, "client-1", "https://api.example.com/", {"read:messages", "write:messages"}, kNow};
  auto grant = store_->create_client_grant(g);
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  ASSERT_TRUE(store_
                  ->add_user_permissions("auth0|1", "https://api.example.com/",
                                         {"read:messages", "write:messages"})
                  .ok());

  Api api = make_api();
  api.name = "Renamed";
  api.permissions = {{"admin", "Administer"}, {"read:messages", "Read them all"}};
  api.created_at = kNow + seconds{999};  // ignored: created_at never changes
  auto updated = store_->update_api(api);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->name, "Renamed");
  EXPECT_EQ(updated->permissions, api.permissions);
  EXPECT_EQ(updated->created_at, kNow);

  EXPECT_EQ(store_->get_client_grant(grant->id)->scopes, std::vector<std::string>{"read:messages"});
  auto perms = store_->list_user_permissions("auth0|1", std::nullopt);
  ASSERT_TRUE(perms.ok());
  ASSERT_EQ(perms->size(), 1u);
  EXPECT_EQ((*perms)[0].permission, "read:messages");
}

// Deleting an API cascades: a grant or permission for a vanished audience would be a trap.
TEST_P(StoreTest, DeletingAnApiDeletesItsGrantsPermissionsAndRefreshTokens) {
  seed();
  ASSERT_TRUE(store_->create_api(make_api("urn:other")).ok());
  auto grant = store_->create_client_grant(
      {0, "client-1", "https://api.example.com/", {"read:messages"}, kNow});
  ASSERT_TRUE(grant.ok());
  auto other = store_->create_client_grant({0, "client-1", "urn:other", {"read:messages"}, kNow});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(
      store_->add_user_permissions("auth0|1", "https://api.example.com/", {"read:messages"}).ok());
  ASSERT_TRUE(store_->add_user_permissions("auth0|1", "urn:other", {"read:messages"}).ok());
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("rt1")).ok());

  ASSERT_TRUE(store_->delete_api("https://api.example.com/").ok());
  EXPECT_EQ(store_->get_client_grant(grant->id).error().code, StoreErrorCode::kNotFound);
  EXPECT_TRUE(store_->get_client_grant(other->id).ok());
  auto perms = store_->list_user_permissions("auth0|1", std::nullopt);
  ASSERT_TRUE(perms.ok());
  ASSERT_EQ(perms->size(), 1u);
  EXPECT_EQ((*perms)[0].api, "urn:other");
  EXPECT_EQ(store_->find_refresh_token("hash-of-rt1").error().code, StoreErrorCode::kNotFound);
  EXPECT_TRUE(store_->get_application("client-1").ok());
  EXPECT_TRUE(store_->get_user("auth0|1").ok());
}

TEST_P(StoreTest, SqlInjectionInNamesIsStoredVerbatim) {
  const std::string evil = "'; DROP TABLE apis; --";
  Api api = make_api(evil);
  api.name = evil;
  api.permissions = {{"read:x", evil}};
  ASSERT_TRUE(store_->create_api(api).ok());
  Application app = make_app(evil);
  app.name = "\"); DELETE FROM applications; --";
  ASSERT_TRUE(store_->create_application(app).ok());
  ASSERT_TRUE(store_->create_user(make_user(evil, "x' OR '1'='1")).ok());

  auto got = store_->get_api(evil);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, evil);
  EXPECT_EQ(got->permissions[0].description, evil);
  EXPECT_EQ(store_->get_application(evil)->name, app.name);
  EXPECT_EQ(store_->find_user_by_email("x' OR '1'='1")->id, evil);
  EXPECT_EQ(store_->find_user_by_email("' OR 1=1 --").error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->list_apis()->size(), 1u);
}

TEST_P(StoreTest, NonAsciiTextRoundTripsAndANulByteIsInvalid) {
  Api api = make_api("urn:ünïcødé");
  api.name = "Üñíçødé ✓";
  ASSERT_TRUE(store_->create_api(api).ok());
  auto got = store_->get_api(api.identifier);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->identifier, api.identifier);
  EXPECT_EQ(got->name, api.name);
  // PostgreSQL's text cannot hold NUL; every backend refuses it the same way.
  Api nul = make_api(std::string("urn:nul\0byte", 12));
  EXPECT_EQ(store_->create_api(nul).error().code, StoreErrorCode::kInvalid);
  User user = make_user("auth0|nul", std::string("a\0b@example.com", 15));
  EXPECT_EQ(store_->create_user(user).error().code, StoreErrorCode::kInvalid);
}

// --- applications

TEST_P(StoreTest, ApplicationRoundTripsEveryField) {
  Application app = make_app();
  app.type = ApplicationType::kRegularWeb;
  app.grant_types = {GrantType::kPassword, GrantType::kRefreshToken, GrantType::kClientCredentials};
  app.token_endpoint_auth_method = TokenEndpointAuthMethod::kClientSecretBasic;
  app.dpop_bound_access_tokens = true;
  auto created = store_->create_application(app);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_GT(created->revision, 0u);
  app.revision = created->revision;
  EXPECT_EQ(*created, app);
  EXPECT_EQ(*store_->get_application("client-1"), app);

  app.name = "Renamed";
  app.client_secret_hash = "new-hash";
  app.grant_types = {};
  app.dpop_bound_access_tokens = false;
  app.created_at = kNow + seconds{5};  // ignored
  auto updated = store_->update_application(app);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->name, "Renamed");
  EXPECT_FALSE(updated->dpop_bound_access_tokens);
  EXPECT_EQ(updated->client_secret_hash, "new-hash");
  EXPECT_TRUE(updated->grant_types.empty());
  EXPECT_EQ(updated->created_at, kNow);

  ASSERT_TRUE(store_->create_application(make_app("client-2")).ok());
  auto all = store_->list_applications();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].client_id, "client-1");

  ASSERT_TRUE(store_->delete_application("client-1").ok());
  EXPECT_EQ(store_->get_application("client-1").error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->delete_application("client-1").error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->update_application(make_app("client-9")).error().code,
            StoreErrorCode::kNotFound);
}

TEST_P(StoreTest, ApplicationRules) {
  ASSERT_TRUE(store_->create_application(make_app()).ok());
  EXPECT_EQ(store_->create_application(make_app()).error().code, StoreErrorCode::kConflict);

  Application no_secret = make_app("c2");
  no_secret.client_secret_hash.clear();
  EXPECT_EQ(store_->create_application(no_secret).error().code, StoreErrorCode::kInvalid);
  no_secret.token_endpoint_auth_method = TokenEndpointAuthMethod::kNone;  // a public client
  no_secret.type = ApplicationType::kSpa;
  auto spa = store_->create_application(no_secret);
  ASSERT_TRUE(spa.ok()) << spa.error().message;
  EXPECT_TRUE(spa->client_secret_hash.empty());

  Application twice = make_app("c3");
  twice.grant_types = {GrantType::kPassword, GrantType::kPassword};
  EXPECT_EQ(store_->create_application(twice).error().code, StoreErrorCode::kInvalid);
}

// --- client grants

TEST_P(StoreTest, ClientGrantRoundTripAndLookup) {
  seed();
  auto created = store_->create_client_grant(
      {0, "client-1", "https://api.example.com/", {"write:messages", "read:messages"}, kNow});
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->scopes, (std::vector<std::string>{"write:messages", "read:messages"}));

  auto found = store_->find_client_grant("client-1", "https://api.example.com/");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, *created);
  EXPECT_EQ(store_->find_client_grant("client-1", "https://api.example.com").error().code,
            StoreErrorCode::kNotFound);

  auto updated = store_->update_client_grant_scopes(created->id, {"read:messages"});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->scopes, std::vector<std::string>{"read:messages"});
  auto emptied = store_->update_client_grant_scopes(created->id, {});
  ASSERT_TRUE(emptied.ok());
  EXPECT_TRUE(emptied->scopes.empty());

  ASSERT_TRUE(store_->create_application(make_app("client-2")).ok());
  ASSERT_TRUE(
      store_->create_client_grant({0, "client-2", "https://api.example.com/", {}, kNow}).ok());
  EXPECT_EQ(store_->list_client_grants(std::nullopt)->size(), 2u);
  auto mine = store_->list_client_grants("client-2");
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].client_id, "client-2");

  ASSERT_TRUE(store_->delete_client_grant(created->id).ok());
  EXPECT_EQ(store_->delete_client_grant(created->id).error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->update_client_grant_scopes(created->id, {}).error().code,
            StoreErrorCode::kNotFound);
}

TEST_P(StoreTest, ClientGrantRules) {
  seed();
  const std::string aud = "https://api.example.com/";
  ASSERT_TRUE(store_->create_client_grant({0, "client-1", aud, {}, kNow}).ok());
  EXPECT_EQ(store_->create_client_grant({0, "client-1", aud, {}, kNow}).error().code,
            StoreErrorCode::kConflict);  // one per (client, API)
  EXPECT_EQ(store_->create_client_grant({0, "ghost", aud, {}, kNow}).error().code,
            StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->create_client_grant({0, "client-1", "urn:ghost", {}, kNow}).error().code,
            StoreErrorCode::kNotFound);
  ASSERT_TRUE(store_->create_application(make_app("client-2")).ok());
  auto typo = store_->create_client_grant({0, "client-2", aud, {"read:mesages"}, kNow});
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code, StoreErrorCode::kInvalid);
  EXPECT_NE(typo.error().message.find("read:mesages"), std::string::npos);
  // The failed create left nothing behind.
  EXPECT_EQ(store_->list_client_grants("client-2")->size(), 0u);
}

TEST_P(StoreTest, GrantIdsAreNeverReused) {
  seed();
  const std::string aud = "https://api.example.com/";
  auto first = store_->create_client_grant({0, "client-1", aud, {}, kNow});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store_->delete_client_grant(first->id).ok());
  auto second = store_->create_client_grant({0, "client-1", aud, {}, kNow});
  ASSERT_TRUE(second.ok());
  EXPECT_GT(second->id, first->id);
}

TEST_P(StoreTest, DeletingAnApplicationDeletesItsGrantsAndRefreshTokens) {
  seed();
  auto grant = store_->create_client_grant({0, "client-1", "https://api.example.com/", {}, kNow});
  ASSERT_TRUE(grant.ok());
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("rt1")).ok());
  ASSERT_TRUE(store_->delete_application("client-1").ok());
  EXPECT_EQ(store_->get_client_grant(grant->id).error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->find_refresh_token("hash-of-rt1").error().code, StoreErrorCode::kNotFound);
}

// --- users

TEST_P(StoreTest, UserRoundTripAndCaseInsensitiveEmail) {
  User u = make_user();
  u.blocked = true;
  auto created = store_->create_user(u);
  ASSERT_TRUE(created.ok());
  EXPECT_GT(created->revision, 0u);
  u.revision = created->revision;
  EXPECT_EQ(*created, u);
  EXPECT_EQ(*store_->get_user("auth0|1"), u);
  EXPECT_EQ(store_->find_user_by_email("ALICE@example.COM")->id, "auth0|1");
  EXPECT_EQ(store_->create_user(make_user("auth0|2", "Alice@Example.com")).error().code,
            StoreErrorCode::kConflict);
  EXPECT_EQ(store_->create_user(make_user("auth0|1", "bob@example.com")).error().code,
            StoreErrorCode::kConflict);

  ASSERT_TRUE(store_->create_user(make_user("auth0|2", "bob@example.com")).ok());
  User changed = u;
  changed.email = "BOB@example.com";
  EXPECT_EQ(store_->update_user(changed).error().code, StoreErrorCode::kConflict);
  changed.email = "alice2@example.com";
  changed.blocked = false;
  changed.password_hash = "$argon2id$new";
  auto updated = store_->update_user(changed);
  ASSERT_TRUE(updated.ok());
  EXPECT_GT(updated->revision, changed.revision);
  changed.revision = updated->revision;
  EXPECT_EQ(*updated, changed);
  EXPECT_EQ(store_->list_users()->size(), 2u);

  EXPECT_EQ(store_->update_user(make_user("ghost", "g@example.com")).error().code,
            StoreErrorCode::kNotFound);
  ASSERT_TRUE(store_->delete_user("auth0|1").ok());
  EXPECT_EQ(store_->get_user("auth0|1").error().code, StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->find_user_by_email("alice2@example.com").error().code,
            StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->delete_user("auth0|1").error().code, StoreErrorCode::kNotFound);
}

TEST_P(StoreTest, UserPermissionsPerApi) {
  seed();
  ASSERT_TRUE(store_->create_api(make_api("urn:b")).ok());
  const std::string a = "https://api.example.com/";
  ASSERT_TRUE(store_->add_user_permissions("auth0|1", a, {"write:messages", "read:messages"}).ok());
  ASSERT_TRUE(store_->add_user_permissions("auth0|1", a, {"read:messages"}).ok());  // idempotent
  ASSERT_TRUE(store_->add_user_permissions("auth0|1", "urn:b", {"read:messages"}).ok());

  auto on_a = store_->list_user_permissions("auth0|1", a);
  ASSERT_TRUE(on_a.ok());
  // In the order the API defines them.
  EXPECT_EQ(*on_a, (std::vector<UserPermission>{{"auth0|1", a, "read:messages"},
                                                {"auth0|1", a, "write:messages"}}));
  EXPECT_EQ(store_->list_user_permissions("auth0|1", std::nullopt)->size(), 3u);

  ASSERT_TRUE(store_->remove_user_permissions("auth0|1", a, {"read:messages", "never:had"}).ok());
  EXPECT_EQ(store_->list_user_permissions("auth0|1", a)->size(), 1u);

  EXPECT_EQ(store_->add_user_permissions("auth0|1", a, {"admin"}).error().code,
            StoreErrorCode::kInvalid);
  EXPECT_EQ(store_->add_user_permissions("ghost", a, {"read:messages"}).error().code,
            StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->add_user_permissions("auth0|1", "urn:ghost", {"read:messages"}).error().code,
            StoreErrorCode::kNotFound);
  EXPECT_EQ(store_->list_user_permissions("ghost", std::nullopt).error().code,
            StoreErrorCode::kNotFound);

  ASSERT_TRUE(store_->delete_user("auth0|1").ok());
  ASSERT_TRUE(store_->create_user(make_user()).ok());
  EXPECT_TRUE(store_->list_user_permissions("auth0|1", std::nullopt)->empty());
}

// --- signing keys

TEST_P(StoreTest, SigningKeysInsertAllOrNothing) {
  ASSERT_TRUE(store_
                  ->insert_signing_keys({make_key("c1", SigningKeyState::kCurrent),
                                         make_key("n1", SigningKeyState::kNext)})
                  .ok());
  auto c1 = store_->get_signing_key("c1");
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(*c1, make_key("c1", SigningKeyState::kCurrent));

  // A second first-start (another replica) would make two current keys: refused as a whole.
  auto again = store_->insert_signing_keys(
      {make_key("c2", SigningKeyState::kCurrent), make_key("n2", SigningKeyState::kNext)});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StoreErrorCode::kConflict);
  EXPECT_EQ(store_->list_signing_keys()->size(), 2u);
  EXPECT_EQ(store_->get_signing_key("c2").error().code, StoreErrorCode::kNotFound);

  // Another algorithm has its own current and next.
  ASSERT_TRUE(
      store_
          ->insert_signing_keys({make_key("rc", SigningKeyState::kCurrent, jose::Algorithm::kRS256),
                                 make_key("rn", SigningKeyState::kNext, jose::Algorithm::kRS256)})
          .ok());
  EXPECT_EQ(store_->insert_signing_keys({make_key("c1", SigningKeyState::kPrevious)}).error().code,
            StoreErrorCode::kConflict);  // duplicate kid
}

std::map<std::string, SigningKeyState> states(Store& store) {
  std::map<std::string, SigningKeyState> out;
  const auto keys = store.list_signing_keys();  // a named result: `*temporary` would dangle
  for (const auto& k : *keys) {
    out[k.kid] = k.state;
  }
  return out;
}

TEST_P(StoreTest, RotationMovesEveryKeyOneStepAtOnce) {
  ASSERT_TRUE(store_
                  ->insert_signing_keys({make_key("k1", SigningKeyState::kCurrent),
                                         make_key("k2", SigningKeyState::kNext)})
                  .ok());
  const Timestamp later = kNow + seconds{100};
  ASSERT_TRUE(store_
                  ->rotate_signing_keys(jose::Algorithm::kES256,
                                        make_key("k3", SigningKeyState::kRevoked), later)
                  .ok());
  using S = SigningKeyState;
  EXPECT_EQ(states(*store_), (std::map<std::string, S>{
                                 {"k1", S::kPrevious}, {"k2", S::kCurrent}, {"k3", S::kNext}}));
  EXPECT_EQ(store_->get_signing_key("k1")->rotated_at, later);
  EXPECT_EQ(store_->get_signing_key("k2")->rotated_at, later);
  EXPECT_EQ(store_->get_signing_key("k3")->rotated_at, std::nullopt);

  ASSERT_TRUE(store_
                  ->rotate_signing_keys(jose::Algorithm::kES256,
                                        make_key("k4", SigningKeyState::kNext), later)
                  .ok());
  int current = 0;
  int next = 0;
  for (const auto& [kid, s] : states(*store_)) {
    current += s == S::kCurrent;
    next += s == S::kNext;
  }
  EXPECT_EQ(current, 1);
  EXPECT_EQ(next, 1);
  EXPECT_EQ(states(*store_)["k1"], S::kPrevious);  // previous keys stay published
  EXPECT_EQ(states(*store_)["k2"], S::kPrevious);
}

TEST_P(StoreTest, FailedRotationChangesNothing) {
  ASSERT_TRUE(store_
                  ->insert_signing_keys({make_key("k1", SigningKeyState::kCurrent),
                                         make_key("k2", SigningKeyState::kNext)})
                  .ok());
  const auto before = *store_->list_signing_keys();
  const auto gen = *store_->generation();
  // The new next reuses a kid: the insert fails after both updates ran; all must roll back.
  auto r = store_->rotate_signing_keys(jose::Algorithm::kES256,
                                       make_key("k1", SigningKeyState::kNext), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kConflict);
  EXPECT_EQ(*store_->list_signing_keys(), before);
  EXPECT_EQ(*store_->generation(), gen);

  EXPECT_EQ(store_
                ->rotate_signing_keys(jose::Algorithm::kRS256,
                                      make_key("r", SigningKeyState::kNext), kNow)
                .error()
                .code,
            StoreErrorCode::kInvalid);  // the new key is ES256
  EXPECT_EQ(store_
                ->rotate_signing_keys(
                    jose::Algorithm::kRS256,
                    make_key("r", SigningKeyState::kNext, jose::Algorithm::kRS256), kNow)
                .error()
                .code,
            StoreErrorCode::kNotFound);  // no RS256 keys at all
  EXPECT_EQ(*store_->list_signing_keys(), before);
}

TEST_P(StoreTest, OnlyAPreviousKeyCanBeRevoked) {
  ASSERT_TRUE(store_
                  ->insert_signing_keys({make_key("k1", SigningKeyState::kCurrent),
                                         make_key("k2", SigningKeyState::kNext)})
                  .ok());
  EXPECT_EQ(store_->revoke_signing_key("k1", kNow).error().code, StoreErrorCode::kInvalid);
  EXPECT_EQ(store_->revoke_signing_key("k2", kNow).error().code, StoreErrorCode::kInvalid);
  EXPECT_EQ(store_->revoke_signing_key("ghost", kNow).error().code, StoreErrorCode::kNotFound);
  ASSERT_TRUE(store_
                  ->rotate_signing_keys(jose::Algorithm::kES256,
                                        make_key("k3", SigningKeyState::kNext), kNow)
                  .ok());
  const Timestamp later = kNow + seconds{7};
  ASSERT_TRUE(store_->revoke_signing_key("k1", later).ok());
  auto k1 = store_->get_signing_key("k1");
  EXPECT_EQ(k1->state, SigningKeyState::kRevoked);
  EXPECT_EQ(k1->rotated_at, later);
  EXPECT_EQ(store_->revoke_signing_key("k1", later).error().code, StoreErrorCode::kInvalid);
  EXPECT_EQ(store_->list_signing_keys()->size(), 3u);  // kept, for the audit trail
}

// --- refresh tokens

TEST_P(StoreTest, RefreshTokenRoundTripAndRotation) {
  seed();
  const RefreshToken t1 = make_refresh("rt1");
  ASSERT_TRUE(store_->insert_refresh_token(t1).ok());
  EXPECT_EQ(*store_->find_refresh_token("hash-of-rt1"), t1);
  EXPECT_EQ(store_->insert_refresh_token(t1).error().code, StoreErrorCode::kConflict);

  // Rotation times keep their milliseconds (grace periods are compared to the millisecond).
  const PreciseTimestamp later = kNow + std::chrono::milliseconds{60'123};
  RefreshToken t2 = make_refresh("rt2");
  t2.scopes = {"read:messages"};  // narrowed
  ASSERT_TRUE(store_->rotate_refresh_token("rt1", t2, "sealed successor", later).ok());
  EXPECT_EQ(store_->find_refresh_token("hash-of-rt1")->rotated_at, later);
  EXPECT_EQ(store_->find_refresh_token("hash-of-rt1")->successor_sealed, "sealed successor");
  EXPECT_EQ(*store_->find_refresh_token("hash-of-rt2"), t2);

  // The second rotation of rt1 loses, and leaves its replacement out.
  auto again = store_->rotate_refresh_token("rt1", make_refresh("rt3"), "", later + seconds{1});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StoreErrorCode::kConflict);
  EXPECT_EQ(store_->find_refresh_token("hash-of-rt1")->rotated_at, later);
  EXPECT_EQ(store_->find_refresh_token("hash-of-rt3").error().code, StoreErrorCode::kNotFound);

  EXPECT_EQ(store_->rotate_refresh_token("rt2", make_refresh("rt4", "other-family"), "", later)
                .error()
                .code,
            StoreErrorCode::kInvalid);
  EXPECT_EQ(store_->rotate_refresh_token("ghost", make_refresh("rt5"), "", later).error().code,
            StoreErrorCode::kNotFound);
}

// RFC 9449 §5: a bound refresh token's binding is read back, and only tightens at rotation.
TEST_P(StoreTest, ADpopBoundRefreshTokenStaysBoundToItsKeyThroughRotation) {
  seed();
  RefreshToken bound = make_refresh("b1", "fam-b");
  bound.jkt = kJkt;
  ASSERT_TRUE(store_->insert_refresh_token(bound).ok());
  EXPECT_EQ(*store_->find_refresh_token("hash-of-b1"), bound);

  for (const std::string& other : {std::string{}, kOtherJkt}) {
    RefreshToken loose = make_refresh("b2", "fam-b");
    loose.jkt = other;
    auto r = store_->rotate_refresh_token("b1", loose, "", kNow);
    ASSERT_FALSE(r.ok()) << "jkt '" << other << "'";
    EXPECT_EQ(r.error().code, StoreErrorCode::kInvalid);
    EXPECT_NE(r.error().message.find("bound"), std::string::npos) << r.error().message;
    // Refused whole: b1 is still usable and nothing was inserted.
    EXPECT_FALSE(store_->find_refresh_token("hash-of-b1")->rotated_at);
    EXPECT_EQ(store_->find_refresh_token("hash-of-b2").error().code, StoreErrorCode::kNotFound);
  }
  RefreshToken kept = make_refresh("b2", "fam-b");
  kept.jkt = kJkt;
  ASSERT_TRUE(store_->rotate_refresh_token("b1", kept, "", kNow).ok());
  EXPECT_EQ(store_->find_refresh_token("hash-of-b2")->jkt, kJkt);

  // An unbound token (issued before DPoP, or to a confidential client) may gain a binding.
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("u1", "fam-u")).ok());
  EXPECT_EQ(store_->find_refresh_token("hash-of-u1")->jkt, "");
  RefreshToken gains = make_refresh("u2", "fam-u");
  gains.jkt = kOtherJkt;
  ASSERT_TRUE(store_->rotate_refresh_token("u1", gains, "", kNow).ok());
  EXPECT_EQ(store_->find_refresh_token("hash-of-u2")->jkt, kOtherJkt);
}

TEST_P(StoreTest, RevokingAFamilyRevokesEveryMemberAndNoOtherFamily) {
  seed();
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("a1", "fam-a")).ok());
  ASSERT_TRUE(store_->rotate_refresh_token("a1", make_refresh("a2", "fam-a"), "", kNow).ok());
  ASSERT_TRUE(store_->rotate_refresh_token("a2", make_refresh("a3", "fam-a"), "", kNow).ok());
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("b1", "fam-b")).ok());

  auto n = store_->revoke_refresh_token_family("fam-a");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  for (const char* id : {"a1", "a2", "a3"}) {
    EXPECT_TRUE(store_->find_refresh_token(std::string("hash-of-") + id)->revoked) << id;
  }
  EXPECT_FALSE(store_->find_refresh_token("hash-of-b1")->revoked);
  EXPECT_EQ(*store_->revoke_refresh_token_family("fam-a"), 0);
  // A revoked token cannot be rotated.
  EXPECT_EQ(store_->rotate_refresh_token("a3", make_refresh("a4", "fam-a"), "", kNow).error().code,
            StoreErrorCode::kConflict);
}

// A family refreshed every few minutes for 30 days would keep thousands of rotated rows; it keeps
// the newest kMaxRotatedRefreshTokensPerFamily, and other families lose nothing.
TEST_P(StoreTest, AFamilyKeepsABoundedNumberOfRotatedTokens) {
  seed();
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("other", "fam-other")).ok());
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("t0")).ok());
  const int rotations = static_cast<int>(kMaxRotatedRefreshTokensPerFamily) + 8;
  for (int i = 0; i < rotations; ++i) {
    const PreciseTimestamp at = kNow + std::chrono::milliseconds{i};
    ASSERT_TRUE(store_
                    ->rotate_refresh_token("t" + std::to_string(i),
                                           make_refresh("t" + std::to_string(i + 1)), "", at)
                    .ok())
        << i;
  }
  // The oldest rotated tokens are gone; the newest rotated ones and the live one remain.
  for (int i = 0; i < rotations - kMaxRotatedRefreshTokensPerFamily; ++i) {
    EXPECT_EQ(store_->find_refresh_token("hash-of-t" + std::to_string(i)).error().code,
              StoreErrorCode::kNotFound)
        << i;
  }
  for (int i = rotations - kMaxRotatedRefreshTokensPerFamily; i < rotations; ++i) {
    EXPECT_TRUE(store_->find_refresh_token("hash-of-t" + std::to_string(i))->rotated_at) << i;
  }
  EXPECT_FALSE(store_->find_refresh_token("hash-of-t" + std::to_string(rotations))->rotated_at);
  EXPECT_TRUE(store_->find_refresh_token("hash-of-other").ok());
}

// A password reset ends every session of the user, and only of that user.
TEST_P(StoreTest, RevokingAUsersRefreshTokensLeavesOtherUsersAlone) {
  seed();
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("a1", "fam-a")).ok());
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("a2", "fam-b")).ok());
  User other;
  other.id = "auth0|2";
  other.email = "other@example.com";
  other.password_hash = "$argon2id$x";
  ASSERT_TRUE(store_->create_user(other).ok());
  RefreshToken theirs = make_refresh("o1", "fam-o");
  theirs.user_id = other.id;
  ASSERT_TRUE(store_->insert_refresh_token(theirs).ok());
  EXPECT_EQ(*store_->revoke_user_refresh_tokens("auth0|1"), 2);
  EXPECT_TRUE(store_->find_refresh_token("hash-of-a1")->revoked);
  EXPECT_TRUE(store_->find_refresh_token("hash-of-a2")->revoked);
  EXPECT_FALSE(store_->find_refresh_token("hash-of-o1")->revoked);
  EXPECT_EQ(*store_->revoke_user_refresh_tokens("auth0|1"), 0);
  EXPECT_EQ(store_->revoke_user_refresh_tokens("auth0|ghost").error().code,
            StoreErrorCode::kNotFound);
}

// The account-wide counter behind the password grant's delay (server/login_throttle.h).
TEST_P(StoreTest, AccountFailuresCountFromAnyAddressAndDelayTheNextAttempt) {
  const AccountDelayPolicy policy{2, seconds{1}, seconds{4}};
  const std::vector<std::optional<Timestamp>> expected = {
      std::nullopt, kNow + seconds{1}, kNow + seconds{2}, kNow + seconds{4}, kNow + seconds{4}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto c = store_->record_account_failure(FailedLoginSubject::kUser, "u", kNow, policy);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->count, static_cast<int>(i) + 1);
    EXPECT_EQ(c->blocked_until, expected[i]) << i;
  }
  const FailedLoginKey any{FailedLoginSubject::kUser, "u", std::string(kAnyAddress)};
  EXPECT_EQ(store_->get_failed_logins(any)->count, 5);
  ASSERT_TRUE(store_->reset_failed_logins(any).ok());
  EXPECT_EQ(store_->get_failed_logins(any)->count, 0);
}

TEST_P(StoreTest, FailedLoginSubjectsAreCountedPerAddress) {
  for (const char* subject : {"a", "b", "c"}) {
    ASSERT_TRUE(
        store_->record_failed_login({FailedLoginSubject::kUser, subject, "192.0.2.1"}, kNow, {})
            .ok());
  }
  ASSERT_TRUE(
      store_->record_failed_login({FailedLoginSubject::kClient, "x", "192.0.2.1"}, kNow, {}).ok());
  ASSERT_TRUE(
      store_->record_failed_login({FailedLoginSubject::kUser, "a", "192.0.2.2"}, kNow, {}).ok());
  EXPECT_EQ(*store_->count_failed_login_subjects(FailedLoginSubject::kUser, "192.0.2.1"), 3);
  EXPECT_EQ(*store_->count_failed_login_subjects(FailedLoginSubject::kClient, "192.0.2.1"), 1);
  EXPECT_EQ(*store_->count_failed_login_subjects(FailedLoginSubject::kUser, "192.0.2.9"), 0);
}

TEST_P(StoreTest, SignInAddressesAreRememberedBoundedAndGoWithTheUser) {
  seed();
  const std::string user = make_user().id;
  for (int i = 0; i < kMaxSignInAddressesPerUser + 4; ++i) {
    ASSERT_TRUE(
        store_->record_sign_in_address(user, "a" + std::to_string(i), kNow + seconds{i}).ok());
  }
  EXPECT_FALSE(*store_->signed_in_from(user, "a0", kNow));  // the oldest were forgotten
  EXPECT_TRUE(*store_->signed_in_from(user, "a19", kNow));
  EXPECT_FALSE(*store_->signed_in_from(user, "a19", kNow + seconds{20}));  // before `since`
  ASSERT_TRUE(store_->record_sign_in_address(user, "a19", kNow + seconds{30}).ok());
  EXPECT_TRUE(*store_->signed_in_from(user, "a19", kNow + seconds{20}));
  EXPECT_EQ(store_->record_sign_in_address("auth0|ghost", "a", kNow).error().code,
            StoreErrorCode::kNotFound);
  ASSERT_TRUE(store_->delete_user(user).ok());
  EXPECT_FALSE(*store_->signed_in_from(user, "a19", kNow));
}

TEST_P(StoreTest, RefreshTokenRules) {
  seed();
  RefreshToken unknown_client = make_refresh("x1");
  unknown_client.client_id = "ghost";
  EXPECT_EQ(store_->insert_refresh_token(unknown_client).error().code, StoreErrorCode::kNotFound);
  RefreshToken expired = make_refresh("x2");
  expired.expires_at = expired.created_at;
  EXPECT_EQ(store_->insert_refresh_token(expired).error().code, StoreErrorCode::kInvalid);
  RefreshToken no_hash = make_refresh("x3");
  no_hash.token_hash.clear();
  EXPECT_EQ(store_->insert_refresh_token(no_hash).error().code, StoreErrorCode::kInvalid);
  // A jkt is a base64url SHA-256 thumbprint or nothing: one no proof could match binds to no key.
  // The last one ends in a character whose unused low bits are set: not the canonical spelling.
  for (const std::string& jkt : {kJkt.substr(1), kJkt + "A", kJkt.substr(0, 42) + "=",
                                 "+" + kJkt.substr(1), kJkt.substr(0, 42) + "t"}) {
    RefreshToken bad = make_refresh("x4");
    bad.jkt = jkt;
    EXPECT_EQ(store_->insert_refresh_token(bad).error().code, StoreErrorCode::kInvalid) << jkt;
  }
}

TEST_P(StoreTest, ExpiredRefreshTokensAreDeleted) {
  seed();
  RefreshToken short_lived = make_refresh("s");
  short_lived.expires_at = kNow + seconds{10};
  ASSERT_TRUE(store_->insert_refresh_token(short_lived).ok());
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("l")).ok());
  EXPECT_EQ(*store_->delete_expired_refresh_tokens(kNow + seconds{10}), 0);  // not yet
  EXPECT_EQ(*store_->delete_expired_refresh_tokens(kNow + seconds{11}), 1);
  EXPECT_EQ(store_->find_refresh_token("hash-of-s").error().code, StoreErrorCode::kNotFound);
  EXPECT_TRUE(store_->find_refresh_token("hash-of-l").ok());
}

// --- failed-login counters

TEST_P(StoreTest, StaleFailedLoginsAreDeletedUnlessTheyStillBlock) {
  const LockoutPolicy policy{2, seconds{600}};
  const FailedLoginKey old_key{FailedLoginSubject::kUser, "unknown:a@example.com", "192.0.2.1"};
  const FailedLoginKey blocking{FailedLoginSubject::kUser, "bob", "192.0.2.1"};
  const FailedLoginKey recent{FailedLoginSubject::kClient, "client", "192.0.2.1"};
  ASSERT_TRUE(store_->record_failed_login(old_key, kNow, policy).ok());
  ASSERT_TRUE(store_->record_failed_login(blocking, kNow, policy).ok());
  ASSERT_TRUE(store_->record_failed_login(blocking, kNow, policy).ok());  // blocked until +600
  ASSERT_TRUE(store_->record_failed_login(recent, kNow + seconds{100}, policy).ok());
  // First failures before kNow + 100 s, at kNow + 599 s: the block still holds.
  EXPECT_EQ(*store_->delete_stale_failed_logins(kNow + seconds{100}, kNow + seconds{599}), 1);
  EXPECT_EQ(store_->get_failed_logins(old_key)->count, 0);
  EXPECT_EQ(store_->get_failed_logins(blocking)->count, 2);
  // One second later it has run out.
  EXPECT_EQ(*store_->delete_stale_failed_logins(kNow + seconds{100}, kNow + seconds{600}), 1);
  EXPECT_EQ(store_->get_failed_logins(blocking)->count, 0);
  EXPECT_EQ(store_->get_failed_logins(recent)->count, 1);
}

TEST_P(StoreTest, FailedLoginsBlockAtTheThresholdUntilTheBlockRunsOut) {
  const FailedLoginKey key{FailedLoginSubject::kUser, "alice@example.com", "192.0.2.1"};
  const LockoutPolicy policy{3, seconds{600}};
  EXPECT_EQ(*store_->get_failed_logins(key), FailedLoginCounter{});

  auto c1 = store_->record_failed_login(key, kNow, policy);
  ASSERT_TRUE(c1.ok()) << c1.error().message;
  EXPECT_EQ(c1->count, 1);
  EXPECT_EQ(c1->first_failure_at, kNow);
  EXPECT_EQ(c1->blocked_until, std::nullopt);
  EXPECT_FALSE(store_->record_failed_login(key, kNow + seconds{1}, policy)->blocked_until);
  auto c3 = store_->record_failed_login(key, kNow + seconds{2}, policy);
  EXPECT_EQ(c3->count, 3);
  EXPECT_EQ(c3->blocked_until, kNow + seconds{602});
  EXPECT_TRUE(c3->blocked_at(kNow + seconds{601}));
  EXPECT_FALSE(c3->blocked_at(kNow + seconds{602}));
  EXPECT_EQ(c3->first_failure_at, kNow);

  // Failing while blocked counts, but does not extend the block.
  auto c4 = store_->record_failed_login(key, kNow + seconds{100}, policy);
  EXPECT_EQ(c4->count, 4);
  EXPECT_EQ(c4->blocked_until, kNow + seconds{602});
  EXPECT_EQ(*store_->get_failed_logins(key), *c4);

  // After the block, a failure starts a fresh count.
  auto fresh = store_->record_failed_login(key, kNow + seconds{602}, policy);
  EXPECT_EQ(fresh->count, 1);
  EXPECT_EQ(fresh->first_failure_at, kNow + seconds{602});
  EXPECT_EQ(fresh->blocked_until, std::nullopt);

  // Other addresses and subjects have their own counters.
  EXPECT_EQ(store_
                ->record_failed_login({FailedLoginSubject::kUser, "alice@example.com", "192.0.2.2"},
                                      kNow, policy)
                ->count,
            1);
  EXPECT_EQ(store_
                ->record_failed_login(
                    {FailedLoginSubject::kClient, "alice@example.com", "192.0.2.1"}, kNow, policy)
                ->count,
            1);

  ASSERT_TRUE(store_->reset_failed_logins(key).ok());
  EXPECT_EQ(*store_->get_failed_logins(key), FailedLoginCounter{});
  EXPECT_EQ(*store_->reset_all_failed_logins(FailedLoginSubject::kUser, "alice@example.com"), 1);
  EXPECT_EQ(
      store_->get_failed_logins({FailedLoginSubject::kClient, "alice@example.com", "192.0.2.1"})
          ->count,
      1);
}

TEST_P(StoreTest, ListFailedLoginsGivesEachAddressOfOneSubject) {
  const LockoutPolicy policy{2, seconds{600}};
  EXPECT_EQ(*store_->list_failed_logins(FailedLoginSubject::kUser, "u1"),
            std::vector<AddressFailedLogins>{});
  for (const char* address : {"2001:db8::1", "192.0.2.9", "2001:db8::1"}) {
    ASSERT_TRUE(
        store_->record_failed_login({FailedLoginSubject::kUser, "u1", address}, kNow, policy).ok());
  }
  // Another subject, and a client of the same name, are not listed.
  ASSERT_TRUE(
      store_->record_failed_login({FailedLoginSubject::kUser, "u2", "192.0.2.9"}, kNow, policy)
          .ok());
  ASSERT_TRUE(
      store_->record_failed_login({FailedLoginSubject::kClient, "u1", "192.0.2.9"}, kNow, policy)
          .ok());

  const auto listed = store_->list_failed_logins(FailedLoginSubject::kUser, "u1");
  ASSERT_TRUE(listed.ok());
  const std::vector<AddressFailedLogins> expected{
      {"192.0.2.9", FailedLoginCounter{1, kNow, std::nullopt}},
      {"2001:db8::1", FailedLoginCounter{2, kNow, kNow + seconds{600}}},
  };
  EXPECT_EQ(*listed, expected);
}

TEST_P(StoreTest, ThresholdOfOneBlocksAtTheFirstFailure) {
  const FailedLoginKey key{FailedLoginSubject::kClient, "client-1", "::1"};
  auto c = store_->record_failed_login(key, kNow, {1, seconds{5}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->blocked_until, kNow + seconds{5});
  EXPECT_EQ(store_->record_failed_login(key, kNow, {0, seconds{5}}).error().code,
            StoreErrorCode::kInvalid);
}

// --- the file

TEST_F(SqliteStoreTest, DatabaseFileIsPrivate) {
  ASSERT_TRUE(store_->create_api(make_api()).ok());  // the WAL exists once something is written
  for (const std::string& f : {path(), path() + "-wal", path() + "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
}

TEST(SqliteStoreOpenTest, FileThatIsNotADatabaseIsCorrupt) {
  TempDir dir;
  const std::string path = dir.file("garbage.db");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string junk(8192, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto r = SqliteStore::open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kCorrupt) << r.error().message;
}

TEST(SqliteStoreOpenTest, MissingDirectoryIsIo) {
  TempDir dir;
  auto r = SqliteStore::open(dir.file("no/such/dir/signet.db"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kIo);
}

// Once for the suite: the TEST_Ps of store_pages_test.cc, store_revisions_test.cc and
// store_concurrency_test.cc are StoreTest's too.
SIGNET_ON_EVERY_BACKEND(StoreTest);

}  // namespace
}  // namespace signet::store::testing
