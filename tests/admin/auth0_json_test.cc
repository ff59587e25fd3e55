#include "signet/admin/auth0_json.h"

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace signet::admin {

// Failing expectations name the code ("not_found"), not its number.
inline void PrintTo(AdminErrorCode code, std::ostream* os) {
  *os << to_string(code);
}

namespace {

namespace json = boost::json;
using std::chrono::seconds;

// 2023-11-14T22:13:20Z, as in test_common/fake_clock.h.
const store::Timestamp kT{seconds{1'700'000'000}};

json::object parse_object(std::string_view text) {
  return json::parse(text).as_object();
}

// The result failed with kInvalid, and its message holds `needle`.
template <typename T>
void expect_invalid(const AdminResult<T>& r, std::string_view needle) {
  ASSERT_FALSE(r.ok()) << "expected kInvalid containing '" << needle << "'";
  EXPECT_EQ(r.error().code, AdminErrorCode::kInvalid) << r.error().message;
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "'" << r.error().message << "' does not name '" << needle << "'";
}

store::Api full_api() {
  store::Api api;
  api.identifier = "https://api.example.com/";
  api.name = "Messages";
  api.signing_algorithm = jose::Algorithm::kES256;
  api.token_lifetime = seconds{3600};
  api.allow_offline_access = true;
  api.token_profile = store::TokenProfile::kRfc9068;
  api.permissions_claim = true;
  api.require_dpop = true;
  api.permissions = {{"read:messages", "Read messages"}, {"write:messages", ""}};
  api.created_at = kT;
  return api;
}

store::Application full_application() {
  store::Application app;
  app.client_id = "abc123";
  app.name = "Backend";
  app.type = store::ApplicationType::kRegularWeb;
  app.grant_types = {store::GrantType::kPassword, store::GrantType::kRefreshToken};
  app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretBasic;
  app.callbacks = {"https://app.example.com/callback", "http://localhost:3000/callback"};
  app.allowed_logout_urls = {"https://app.example.com/"};
  app.web_origins = {"https://app.example.com"};
  app.dpop_bound_access_tokens = true;
  app.created_at = kT;
  return app;
}

// A JWK Set as the codec writes it (serialized without spaces).
constexpr std::string_view kJwksText =
    R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"eA","y":"eQ"}]})";

// --- dates

TEST(Auth0Dates, FormatWritesRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(format_date(store::Timestamp{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_date(kT), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(format_date(kT - seconds{1}), "2023-11-14T22:13:19.000Z");
  // The last second of a year and the first of the next.
  const auto new_year = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};
  EXPECT_EQ(format_date(store::Timestamp{new_year - seconds{1}}), "2023-12-31T23:59:59.000Z");
  EXPECT_EQ(format_date(store::Timestamp{new_year}), "2024-01-01T00:00:00.000Z");
  const auto leap_day = std::chrono::sys_days{std::chrono::year{2024} / 2 / 29};
  EXPECT_EQ(format_date(store::Timestamp{leap_day} + seconds{12 * 3600}),
            "2024-02-29T12:00:00.000Z");
}

TEST(Auth0Dates, ParseReadsWhatFormatWrites) {
  for (const auto t :
       {store::Timestamp{}, kT, kT - seconds{1}, kT + seconds{1},
        store::Timestamp{std::chrono::sys_days{std::chrono::year{2024} / 2 / 29}},
        store::Timestamp{std::chrono::sys_days{std::chrono::year{2000} / 2 / 29} + seconds{86399}},
        store::Timestamp{std::chrono::sys_days{std::chrono::year{9999} / 12 / 31} +
                         seconds{86399}}}) {
    const std::string text = format_date(t);
    EXPECT_EQ(parse_date(text), t) << text;
  }
  // Without milliseconds too; milliseconds are dropped (the store keeps whole seconds).
  EXPECT_EQ(parse_date("2023-11-14T22:13:20Z"), kT);
  EXPECT_EQ(parse_date("2023-11-14T22:13:20.999Z"), kT);
}

TEST(Auth0Dates, ParseRefusesAnythingElse) {
  for (const char* text : {
           "", "2023-11-14",
           "2023-11-14T22:13:20",            // no zone
           "2023-11-14T22:13:20+00:00",      // an offset, not Z
           "2023-11-14T22:13:20.000+00:00",  //
           "2023-11-14 22:13:20.000Z",       // space for T
           "2023-11-14t22:13:20.000z",       // lower case
           "2023-11-14T22:13:20.00Z",        // two digits of milliseconds
           "2023-11-14T22:13:20.0000Z",      // four
           "2023-11-14T22:13:20.000Zjunk",   //
           "2023-02-29T00:00:00.000Z",       // not a leap year
           "2100-02-29T00:00:00.000Z",       // nor is a century not divisible by 400
           "2023-04-31T00:00:00.000Z",       // April has 30 days
           "2023-13-01T00:00:00.000Z",       //
           "2023-00-01T00:00:00.000Z",       //
           "2023-01-00T00:00:00.000Z",       //
           "2023-11-14T24:00:00.000Z",       //
           "2023-11-14T23:60:00.000Z",       //
           "2023-11-14T23:59:61.000Z",       //
           "2023-11-14T-1:00:00.000Z",       //
           // Same length as a real date, but not digits where digits belong: sscanf's %d would
           // skip the space and read the sign.
           "2023-11- 4T22:13:20.000Z",   //
           "2023-11-14T 2:13:20.000Z",   //
           "+023-11-14T22:13:20.000Z",   //
           "2023-11-14T+2:13:20.000Z",   //
           "2023-11-14T22:13:20.-00Z",   //
           "2023-11-14T22:13: 0Z",       //
           "20231114T221320.000Z-----",  //
       }) {
    EXPECT_EQ(parse_date(text), std::nullopt) << text;
  }
}

// --- names

TEST(Auth0Names, TokenDialectMapsEachProfileAndClaimBothWays) {
  struct Case {
    store::TokenProfile profile;
    bool claim;
    const char* dialect;
  };
  for (const Case c : {Case{store::TokenProfile::kAuth0, false, "access_token"},
                       Case{store::TokenProfile::kAuth0, true, "access_token_authz"},
                       Case{store::TokenProfile::kRfc9068, false, "rfc9068_profile"},
                       Case{store::TokenProfile::kRfc9068, true, "rfc9068_profile_authz"}}) {
    EXPECT_EQ(token_dialect(c.profile, c.claim), c.dialect);
    auto patch = api_patch_from_json(json::object{{"token_dialect", c.dialect}});
    ASSERT_TRUE(patch.ok()) << patch.error().message;
    EXPECT_EQ(patch->token_profile, c.profile) << c.dialect;
    EXPECT_EQ(patch->permissions_claim, c.claim) << c.dialect;
    store::Api api = full_api();
    api.token_profile = c.profile;
    api.permissions_claim = c.claim;
    EXPECT_EQ(api_to_json(api, false).at("token_dialect").as_string(), c.dialect);
  }
  expect_invalid(api_patch_from_json(json::object{{"token_dialect", "ACCESS_TOKEN"}}),
                 "token_dialect");
  expect_invalid(api_patch_from_json(json::object{{"token_dialect", "rfc9068"}}), "token_dialect");
}

TEST(Auth0Names, AppTypeNonInteractiveIsM2m) {
  EXPECT_EQ(app_type_name(store::ApplicationType::kM2m), "non_interactive");
  EXPECT_EQ(parse_app_type("non_interactive"), store::ApplicationType::kM2m);
  EXPECT_EQ(parse_app_type("m2m"), store::ApplicationType::kM2m);  // signet's own name
  for (const auto type : {store::ApplicationType::kRegularWeb, store::ApplicationType::kNative,
                          store::ApplicationType::kSpa}) {
    EXPECT_EQ(app_type_name(type), store::to_string(type));
    EXPECT_EQ(parse_app_type(app_type_name(type)), type);
  }
  for (const char* text : {"", "NON_INTERACTIVE", "machine", "non-interactive", "m2m "}) {
    EXPECT_EQ(parse_app_type(text), std::nullopt) << text;
  }
}

// --- records both ways

TEST(Auth0Records, ApiRoundTripsWithoutItsRevision) {
  store::Api api = full_api();
  api.revision = 7;  // travels as the ETag, not in the body
  const auto out = api_to_json(api, true);
  EXPECT_EQ(out.at("id"), out.at("identifier"));
  EXPECT_EQ(out.at("is_system"), true);
  EXPECT_EQ(out.at("token_dialect"), "rfc9068_profile_authz");
  EXPECT_EQ(out.at("created_at"), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(out.at("proof_of_possession"),
            (json::object{{"mechanism", "dpop"}, {"required", true}}));
  EXPECT_FALSE(out.contains("revision"));
  auto back = api_from_json(json::parse(json::serialize(out)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  api.revision = 0;
  EXPECT_EQ(*back, api);

  // The defaults, and an API without permissions.
  store::Api plain;
  plain.identifier = "urn:plain";
  plain.name = "Plain";
  plain.created_at = kT;
  // DPoP not required is null, Auth0's answer for a resource server without the setting.
  EXPECT_TRUE(api_to_json(plain, false).at("proof_of_possession").is_null());
  auto plain_back = api_from_json(api_to_json(plain, false));
  ASSERT_TRUE(plain_back.ok()) << plain_back.error().message;
  EXPECT_EQ(*plain_back, plain);
  // A record from an older server, without the member, reads as not required.
  auto older = api_to_json(api, false);
  older.erase("proof_of_possession");
  EXPECT_FALSE(api_from_json(older)->require_dpop);
}

TEST(Auth0Records, ApplicationRoundTripsWithoutItsSecretHash) {
  store::Application app = full_application();
  app.client_secret_hash = "hash bytes";
  const auto out = application_to_json(app);
  EXPECT_FALSE(out.contains("client_secret"));
  EXPECT_FALSE(out.contains("client_secret_hash"));
  auto back = application_from_json(out);
  ASSERT_TRUE(back.ok()) << back.error().message;
  app.client_secret_hash.clear();
  EXPECT_EQ(*back, app);

  EXPECT_EQ(out.at("callbacks"),
            (json::array{"https://app.example.com/callback", "http://localhost:3000/callback"}));
  EXPECT_EQ(out.at("web_origins"), json::array{"https://app.example.com"});
  EXPECT_EQ(out.at("dpop_bound_access_tokens"), true);
  EXPECT_FALSE(out.contains("jwks"));
  EXPECT_FALSE(out.contains("jwks_uri"));

  // The keys of private_key_jwt: jwks as a JSON object (RFC 7591 §2), jwks_uri as a string.
  store::Application keyed = full_application();
  keyed.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kPrivateKeyJwt;
  keyed.jwks = std::string(kJwksText);
  const auto keyed_json = application_to_json(keyed);
  EXPECT_TRUE(keyed_json.at("jwks").is_object());
  EXPECT_EQ(application_from_json(keyed_json).value(), keyed);
  keyed.jwks.clear();
  keyed.jwks_uri = "https://client.example/jwks.json";
  EXPECT_EQ(application_to_json(keyed).at("jwks_uri"), "https://client.example/jwks.json");
  EXPECT_EQ(application_from_json(application_to_json(keyed)).value(), keyed);
  // A record from an older server, without the sign-in members, reads with empty lists.
  auto older = application_to_json(app);
  older.erase("callbacks");
  older.erase("allowed_logout_urls");
  older.erase("web_origins");
  older.erase("dpop_bound_access_tokens");
  EXPECT_TRUE(application_from_json(older)->callbacks.empty());
  EXPECT_FALSE(application_from_json(older)->dpop_bound_access_tokens);

  for (const auto method :
       {store::TokenEndpointAuthMethod::kClientSecretPost, store::TokenEndpointAuthMethod::kNone,
        store::TokenEndpointAuthMethod::kClientSecretBasicOrPost,
        store::TokenEndpointAuthMethod::kPrivateKeyJwt}) {
    store::Application m2m = full_application();
    m2m.type = store::ApplicationType::kM2m;
    m2m.grant_types = {store::GrantType::kClientCredentials};
    m2m.token_endpoint_auth_method = method;
    const auto m2m_json = application_to_json(m2m);
    EXPECT_EQ(m2m_json.at("app_type"), "non_interactive");
    auto m2m_back = application_from_json(m2m_json);
    ASSERT_TRUE(m2m_back.ok()) << m2m_back.error().message;
    EXPECT_EQ(*m2m_back, m2m);
  }
}

TEST(Auth0Records, ApplicationWithSecretRoundTrips) {
  const ApplicationWithSecret app{full_application(), "the-secret"};
  const auto out = application_to_json(app);
  EXPECT_EQ(out.at("client_secret"), "the-secret");
  auto back = application_with_secret_from_json(out);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->application, app.application);
  EXPECT_EQ(back->client_secret, "the-secret");
  // A client without a secret (none, private_key_jwt) is answered without the member.
  const ApplicationWithSecret public_app{full_application(), ""};
  EXPECT_FALSE(application_to_json(public_app).contains("client_secret"));
  auto without = application_with_secret_from_json(application_to_json(public_app));
  ASSERT_TRUE(without.ok()) << without.error().message;
  EXPECT_TRUE(without->client_secret.empty());
  auto wrong = application_to_json(app);
  wrong["client_secret"] = 7;
  expect_invalid(application_with_secret_from_json(wrong), "client_secret");
}

TEST(Auth0Records, ClientGrantRoundTripsWithItsIdAsText) {
  store::ClientGrant grant;
  grant.id = 42;
  grant.client_id = "abc123";
  grant.audience = "https://api.example.com/";
  grant.scopes = {"read:messages", "write:messages"};
  grant.created_at = kT;
  const auto out = client_grant_to_json(grant);
  EXPECT_EQ(out.at("id"), "42");
  auto back = client_grant_from_json(out);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, grant);

  grant.scopes.clear();
  auto empty = client_grant_from_json(client_grant_to_json(grant));
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(*empty, grant);

  for (const char* id : {"", "x", "12x", "99999999999999999999", " 12", "+12", "-5", "0"}) {
    auto bad = client_grant_to_json(grant);
    bad["id"] = id;
    expect_invalid(client_grant_from_json(bad), "id");
  }
}

TEST(Auth0Records, UserRoundTripsWithoutItsPasswordHash) {
  store::User user;
  user.id = "auth0|0123456789abcdef01234567";
  user.email = "alice@example.com";
  user.password_hash = "$argon2id$...";
  user.blocked = true;
  user.created_at = kT;
  const auto out = user_to_json(user);
  EXPECT_FALSE(out.contains("password"));
  EXPECT_FALSE(out.contains("password_hash"));
  EXPECT_EQ(out.at("connection"), json::value(kDatabaseConnection));
  EXPECT_EQ(out.at("identities").as_array().at(0).as_object().at("user_id"),
            "0123456789abcdef01234567");
  auto back = user_from_json(out);
  ASSERT_TRUE(back.ok()) << back.error().message;
  user.password_hash.clear();
  EXPECT_EQ(*back, user);

  // An id without a provider prefix is its own identity id.
  user.id = "plain";
  EXPECT_EQ(user_to_json(user).at("identities").as_array().at(0).as_object().at("user_id"),
            "plain");
}

TEST(Auth0Records, SigningKeyRoundTripsWithoutItsPrivateHalf) {
  store::SigningKey key;
  key.kid = "kid-1";
  key.algorithm = jose::Algorithm::kEdDSA;
  key.encrypted_private_key = "sealed";
  key.public_jwk = json::serialize(
      json::object{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "abc"}, {"kid", "kid-1"}});
  key.created_at = kT;
  for (const auto state : {store::SigningKeyState::kNext, store::SigningKeyState::kCurrent,
                           store::SigningKeyState::kPrevious, store::SigningKeyState::kRevoked}) {
    key.state = state;
    key.rotated_at = state == store::SigningKeyState::kNext
                         ? std::nullopt
                         : std::optional<store::Timestamp>(kT + seconds{60});
    const auto out = signing_key_to_json(key);
    EXPECT_FALSE(out.contains("encrypted_private_key"));
    EXPECT_EQ(out.at("state"), json::value(store::to_string(state)));
    EXPECT_EQ(out.at("current"), state == store::SigningKeyState::kCurrent);
    EXPECT_EQ(out.at("revoked"), state == store::SigningKeyState::kRevoked);
    auto back = signing_key_from_json(json::parse(json::serialize(out)));
    ASSERT_TRUE(back.ok()) << back.error().message;
    store::SigningKey expected = key;
    expected.encrypted_private_key.clear();
    EXPECT_EQ(*back, expected) << store::to_string(state);
  }
  auto bad = signing_key_to_json(key);
  bad["state"] = "retired";
  expect_invalid(signing_key_from_json(bad), "retired");
  bad = signing_key_to_json(key);
  bad["rotated_at"] = "yesterday";
  expect_invalid(signing_key_from_json(bad), "rotated_at");
}

TEST(Auth0Records, LogEventRoundTripsWithEveryField) {
  LogEvent e;
  e.id = 1234;
  e.type = "fepft";
  e.description = "Wrong email or password.";
  e.date =
      std::chrono::time_point_cast<std::chrono::milliseconds>(kT) + std::chrono::milliseconds{789};
  e.user_id = "auth0|1";
  e.client_id = "abc123";
  e.audience = "https://api.example.com/";
  e.scope = "read:messages offline_access";
  e.error = "invalid_grant";
  e.ip = "192.0.2.7";
  e.user_agent = "curl/8.0";
  e.details = R"({"grant_type":"password"})";
  const auto o = log_event_to_json(e);
  EXPECT_EQ(o.at("log_id"), "1234");
  EXPECT_EQ(o.at("date"), "2023-11-14T22:13:20.789Z");
  auto back = log_event_from_json(o);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, e);
}

TEST(Auth0Records, LogEventReadersRefuseBadIdsAndDates) {
  LogEvent e;
  e.id = 1;
  e.type = "s";
  auto good = log_event_to_json(e);
  for (const char* id : {"abc", "-1", "", "1x"}) {
    auto bad = good;
    bad["log_id"] = id;
    expect_invalid(log_event_from_json(bad), "log_id");
  }
  auto bad = good;
  bad["date"] = "yesterday";
  expect_invalid(log_event_from_json(bad), "date");
  bad = good;
  bad.erase("date");
  expect_invalid(log_event_from_json(bad), "date");
}

TEST(Auth0Records, ReadersRefuseWrongShapes) {
  expect_invalid(api_from_json(json::array{}), "JSON object");
  expect_invalid(application_from_json(json::value("x")), "JSON object");
  expect_invalid(client_grant_from_json(json::value(1)), "JSON object");
  expect_invalid(user_from_json(json::value(nullptr)), "JSON object");
  expect_invalid(signing_key_from_json(json::value(true)), "JSON object");
  expect_invalid(log_event_from_json(json::array{}), "JSON object");

  auto api = api_to_json(full_api(), false);
  api.erase("identifier");
  expect_invalid(api_from_json(api), "identifier");
  api = api_to_json(full_api(), false);
  api["signing_alg"] = "HS256";
  expect_invalid(api_from_json(api), "HS256");
  api = api_to_json(full_api(), false);
  api["token_lifetime"] = "3600";
  expect_invalid(api_from_json(api), "token_lifetime");
  api = api_to_json(full_api(), false);
  api["created_at"] = "2023-11-14";
  expect_invalid(api_from_json(api), "created_at");

  auto app = application_to_json(full_application());
  app["grant_types"] = json::array{"implicit"};
  expect_invalid(application_from_json(app), "implicit");
  app = application_to_json(full_application());
  app["app_type"] = "machine";
  expect_invalid(application_from_json(app), "machine");
  app = application_to_json(full_application());
  app["token_endpoint_auth_method"] = "client_secret_jwt";
  expect_invalid(application_from_json(app), "client_secret_jwt");
  app = application_to_json(full_application());
  app["callbacks"] = "https://app.example.com/callback";
  expect_invalid(application_from_json(app), "callbacks");
  app = application_to_json(full_application());
  app["jwks"] = json::array{};
  expect_invalid(application_from_json(app), "jwks");
}

// --- drafts and patches both ways

TEST(Auth0Drafts, ApiDraftRoundTrips) {
  ApiDraft full;
  full.identifier = "https://api.example.com/";
  full.name = "Messages";
  full.signing_algorithm = jose::Algorithm::kPS256;
  full.token_lifetime = seconds{7200};
  full.allow_offline_access = true;
  full.token_profile = store::TokenProfile::kRfc9068;
  full.permissions_claim = false;
  full.require_dpop = true;
  full.permissions = {{"read:messages", "Read"}, {"write:messages", ""}};
  ApiDraft not_required = full;
  not_required.require_dpop = false;  // travels as null
  ApiDraft minimal;
  minimal.identifier = "urn:x";
  minimal.name = "X";
  for (const ApiDraft& draft : {full, not_required, minimal}) {
    auto back = api_draft_from_json(parse_object(json::serialize(api_draft_to_json(draft))));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->identifier, draft.identifier);
    EXPECT_EQ(back->name, draft.name);
    EXPECT_EQ(back->signing_algorithm, draft.signing_algorithm);
    EXPECT_EQ(back->token_lifetime, draft.token_lifetime);
    EXPECT_EQ(back->allow_offline_access, draft.allow_offline_access);
    EXPECT_EQ(back->token_profile, draft.token_profile);
    EXPECT_EQ(back->permissions_claim, draft.permissions_claim);
    EXPECT_EQ(back->require_dpop, draft.require_dpop);
    EXPECT_EQ(back->permissions, draft.permissions);
  }
  EXPECT_TRUE(api_draft_to_json(not_required).at("proof_of_possession").is_null());
  EXPECT_FALSE(api_draft_to_json(minimal).contains("proof_of_possession"));
  EXPECT_FALSE(api_draft_to_json(minimal).contains("token_dialect"));
  EXPECT_FALSE(api_draft_to_json(minimal).contains("scopes"));
}

TEST(Auth0Drafts, ApiPatchRoundTripsTheWholeListForm) {
  ApiPatch patch;
  patch.name = "Renamed";
  patch.signing_algorithm = jose::Algorithm::kEdDSA;
  patch.token_lifetime = seconds{60};
  patch.allow_offline_access = false;
  patch.token_profile = store::TokenProfile::kAuth0;
  patch.permissions_claim = true;
  patch.require_dpop = true;
  patch.permissions = std::vector<store::Permission>{{"a", "A"}};
  auto body = api_patch_to_json(patch);
  ASSERT_TRUE(body.ok()) << body.error().message;
  auto back = api_patch_from_json(*body);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->name, patch.name);
  EXPECT_EQ(back->signing_algorithm, patch.signing_algorithm);
  EXPECT_EQ(back->token_lifetime, patch.token_lifetime);
  EXPECT_EQ(back->allow_offline_access, patch.allow_offline_access);
  EXPECT_EQ(back->token_profile, patch.token_profile);
  EXPECT_EQ(back->permissions_claim, patch.permissions_claim);
  EXPECT_EQ(back->require_dpop, patch.require_dpop);
  EXPECT_EQ(back->permissions, patch.permissions);
  EXPECT_TRUE(back->add_permissions.empty());
  EXPECT_TRUE(back->remove_permissions.empty());

  // An empty list is a list: it clears the permissions.
  ApiPatch clear;
  clear.permissions = std::vector<store::Permission>{};
  auto clear_body = api_patch_to_json(clear);
  ASSERT_TRUE(clear_body.ok());
  auto clear_back = api_patch_from_json(*clear_body);
  ASSERT_TRUE(clear_back.ok());
  ASSERT_TRUE(clear_back->permissions.has_value());
  EXPECT_TRUE(clear_back->permissions->empty());

  auto empty = api_patch_to_json(ApiPatch{});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  // null clears the requirement, as does an explicit "required": false.
  ApiPatch off;
  off.require_dpop = false;
  auto off_body = api_patch_to_json(off);
  ASSERT_TRUE(off_body.ok());
  EXPECT_TRUE(off_body->at("proof_of_possession").is_null());
  EXPECT_EQ(api_patch_from_json(*off_body)->require_dpop, std::optional<bool>{false});
  EXPECT_EQ(api_patch_from_json(
                parse_object(R"({"proof_of_possession":{"mechanism":"dpop","required":false}})"))
                ->require_dpop,
            std::optional<bool>{false});

  // Additions and removals are resolved against the record first (RemoteAdmin does).
  ApiPatch add;
  add.add_permissions = {{"b", ""}};
  expect_invalid(api_patch_to_json(add), "scopes");
  ApiPatch remove;
  remove.remove_permissions = {"a"};
  expect_invalid(api_patch_to_json(remove), "scopes");
}

TEST(Auth0Drafts, ApplicationDraftAndPatchRoundTrip) {
  ApplicationDraft draft;
  draft.name = "Backend";
  draft.type = store::ApplicationType::kM2m;
  draft.grant_types = {store::GrantType::kClientCredentials};
  draft.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretBasic;
  draft.client_id = "chosen-id";
  draft.callbacks = {"https://app.example.com/callback"};
  draft.allowed_logout_urls = {"https://app.example.com/"};
  draft.web_origins = {"https://app.example.com"};
  draft.jwks = std::string(kJwksText);
  draft.jwks_uri = "https://client.example/jwks.json";
  draft.dpop_bound_access_tokens = true;
  ApplicationDraft minimal;
  minimal.name = "Web";
  minimal.type = store::ApplicationType::kSpa;
  for (const ApplicationDraft& d : {draft, minimal}) {
    auto back = application_draft_from_json(application_draft_to_json(d));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->name, d.name);
    EXPECT_EQ(back->type, d.type);
    EXPECT_EQ(back->grant_types, d.grant_types);
    EXPECT_EQ(back->token_endpoint_auth_method, d.token_endpoint_auth_method);
    EXPECT_EQ(back->client_id, d.client_id);
    EXPECT_EQ(back->callbacks, d.callbacks);
    EXPECT_EQ(back->allowed_logout_urls, d.allowed_logout_urls);
    EXPECT_EQ(back->web_origins, d.web_origins);
    EXPECT_EQ(back->jwks, d.jwks);
    EXPECT_EQ(back->jwks_uri, d.jwks_uri);
    EXPECT_EQ(back->dpop_bound_access_tokens, d.dpop_bound_access_tokens);
  }
  EXPECT_TRUE(application_draft_to_json(draft).at("jwks").is_object());
  EXPECT_FALSE(application_draft_to_json(minimal).contains("dpop_bound_access_tokens"));
  EXPECT_FALSE(application_draft_to_json(minimal).contains("callbacks"));
  EXPECT_EQ(application_draft_to_json(draft).at("app_type"), "non_interactive");

  ApplicationPatch patch;
  patch.name = "Renamed";
  patch.type = store::ApplicationType::kNative;
  patch.grant_types = std::vector<store::GrantType>{store::GrantType::kPassword};
  patch.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretBasicOrPost;
  patch.callbacks = std::vector<std::string>{"com.example.app:/callback"};
  patch.allowed_logout_urls = std::vector<std::string>{};  // empties the list
  patch.web_origins = std::vector<std::string>{"http://localhost:3000"};
  patch.jwks = std::string(kJwksText);
  patch.jwks_uri = "";  // clears it
  patch.dpop_bound_access_tokens = false;
  ApplicationPatch clears_jwks;
  clears_jwks.jwks = "";
  EXPECT_TRUE(application_patch_to_json(clears_jwks).at("jwks").is_null());
  for (const ApplicationPatch& p : {patch, clears_jwks, ApplicationPatch{}}) {
    auto back = application_patch_from_json(application_patch_to_json(p));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->name, p.name);
    EXPECT_EQ(back->type, p.type);
    EXPECT_EQ(back->grant_types, p.grant_types);
    EXPECT_EQ(back->token_endpoint_auth_method, p.token_endpoint_auth_method);
    EXPECT_EQ(back->callbacks, p.callbacks);
    EXPECT_EQ(back->allowed_logout_urls, p.allowed_logout_urls);
    EXPECT_EQ(back->web_origins, p.web_origins);
    EXPECT_EQ(back->jwks, p.jwks);
    EXPECT_EQ(back->jwks_uri, p.jwks_uri);
    EXPECT_EQ(back->dpop_bound_access_tokens, p.dpop_bound_access_tokens);
  }
}

TEST(Auth0Drafts, UserDraftAndPatchRoundTrip) {
  UserDraft draft;
  draft.email = "alice@example.com";
  draft.password = "correct horse battery";
  draft.id = "auth0|1";
  UserDraft no_id = draft;
  no_id.id.reset();
  for (const UserDraft& d : {draft, no_id}) {
    auto back = user_draft_from_json(user_draft_to_json(d));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->email, d.email);
    EXPECT_EQ(back->password, d.password);
    EXPECT_EQ(back->id, d.id);
  }

  UserPatch patch;
  patch.email = "bob@example.com";
  patch.password = "another good password";
  patch.blocked = false;
  for (const UserPatch& p : {patch, UserPatch{}}) {
    auto back = user_patch_from_json(user_patch_to_json(p));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->email, p.email);
    EXPECT_EQ(back->password, p.password);
    EXPECT_EQ(back->blocked, p.blocked);
  }
}

TEST(Auth0Drafts, GrantScopeIsAnArrayOfStrings) {
  auto scope = grant_scope_from_json(parse_object(R"({"scope":["a","b"]})"), true);
  ASSERT_TRUE(scope.ok());
  EXPECT_EQ(*scope, (std::vector<std::string>{"a", "b"}));
  auto empty = grant_scope_from_json(parse_object(R"({"scope":[]})"), true);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto absent = grant_scope_from_json(json::object{}, false);
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(absent->empty());
  expect_invalid(grant_scope_from_json(json::object{}, true), "'scope' is required");
  expect_invalid(grant_scope_from_json(parse_object(R"({"scope":"a b"})"), true), "scope");
  expect_invalid(grant_scope_from_json(parse_object(R"({"scope":["a",1]})"), true), "scope");
}

// --- strictness: every reader refuses what its shape does not have, naming it

struct StrictCase {
  const char* reader;  // which reader
  const char* body;
  const char* names;  // what the message must name
};

void PrintTo(const StrictCase& c, std::ostream* os) {
  *os << c.reader << " " << c.body;
}

AdminResult<Ok> read_with(std::string_view reader, const json::object& body) {
  const auto drop = [](const auto& r) -> AdminResult<Ok> {
    if (!r) {
      return fail(r.error());
    }
    return Ok{};
  };
  if (reader == "api_draft") {
    return drop(api_draft_from_json(body));
  }
  if (reader == "api_patch") {
    return drop(api_patch_from_json(body));
  }
  if (reader == "app_draft") {
    return drop(application_draft_from_json(body));
  }
  if (reader == "app_patch") {
    return drop(application_patch_from_json(body));
  }
  if (reader == "user_draft") {
    return drop(user_draft_from_json(body));
  }
  return drop(user_patch_from_json(body));
}

class Auth0Strictness : public ::testing::TestWithParam<StrictCase> {};

TEST_P(Auth0Strictness, RefusesNamingTheMember) {
  const auto& c = GetParam();
  expect_invalid(read_with(c.reader, parse_object(c.body)), c.names);
}

INSTANTIATE_TEST_SUITE_P(
    Table, Auth0Strictness,
    ::testing::Values(
        // resource servers
        StrictCase{"api_draft", R"({"name":"x"})", "'identifier' is required"},
        StrictCase{"api_draft", R"({"identifier":"urn:x"})", "'name' is required"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","nmae":"y"})", "nmae"},
        StrictCase{"api_draft", R"({"identifier":1,"name":"x"})", "'identifier' must be a string"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":["x"]})", "'name'"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","signing_alg":"HS256"})",
                   "HS256"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","signing_alg":"none"})",
                   "signing_alg"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","signing_alg":256})",
                   "signing_alg"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","token_lifetime":"60"})",
                   "'token_lifetime' must be an integer"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","token_lifetime":1.5})",
                   "token_lifetime"},
        StrictCase{"api_draft",
                   R"({"identifier":"urn:x","name":"x","token_lifetime":18446744073709551615})",
                   "'token_lifetime' is out of range"},
        StrictCase{"api_draft",
                   R"({"identifier":"urn:x","name":"x","allow_offline_access":"true"})",
                   "'allow_offline_access' must be true or false"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","token_dialect":"jwt"})",
                   "token_dialect"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","scopes":"read"})", "'scopes'"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","scopes":["read"]})",
                   "'scopes'"},
        StrictCase{"api_draft",
                   R"({"identifier":"urn:x","name":"x","scopes":[{"description":"d"}]})",
                   "'value' is required"},
        StrictCase{"api_draft",
                   R"({"identifier":"urn:x","name":"x","scopes":[{"value":"a","descr":"d"}]})",
                   "descr"},
        StrictCase{"api_draft",
                   R"({"identifier":"urn:x","name":"x","scopes":[{"value":"a","description":1}]})",
                   "'description' must be a string"},
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","is_system":false})",
                   "is_system"},
        StrictCase{"api_patch", R"({"identifier":"urn:y"})", "identifier cannot change"},
        StrictCase{"api_patch", R"({"id":"urn:y"})", "unknown field 'id'"},
        StrictCase{"api_patch", R"({"add_permissions":[]})", "add_permissions"},
        StrictCase{"api_patch", R"({"token_lifetime":null})", "token_lifetime"},
        StrictCase{"api_patch", R"({"name":null})", "'name' must be a string"},
        StrictCase{"api_patch", R"({"signing_alg":"RS512"})", "RS512"},
        // proof_of_possession: DPoP only (RFC 9449), as an object or null
        StrictCase{"api_draft", R"({"identifier":"urn:x","name":"x","proof_of_possession":true})",
                   "'proof_of_possession' must be an object"},
        StrictCase{"api_patch", R"({"proof_of_possession":"dpop"})",
                   "'proof_of_possession' must be an object"},
        StrictCase{"api_patch", R"({"proof_of_possession":{"mechanism":"mtls","required":true}})",
                   "mechanism 'mtls' is not supported"},
        StrictCase{"api_patch", R"({"proof_of_possession":{"mechanism":"DPoP","required":true}})",
                   "use \"mechanism\": \"dpop\""},
        StrictCase{"api_patch", R"({"proof_of_possession":{"required":true}})",
                   "'mechanism' is required in proof_of_possession"},
        StrictCase{"api_patch", R"({"proof_of_possession":{"mechanism":1,"required":true}})",
                   "'mechanism' must be a string"},
        StrictCase{"api_patch", R"({"proof_of_possession":{"mechanism":"dpop"}})",
                   "'required' is required in proof_of_possession"},
        StrictCase{"api_patch", R"({"proof_of_possession":{"mechanism":"dpop","required":"yes"}})",
                   "'required' must be true or false"},
        StrictCase{"api_patch",
                   R"({"proof_of_possession":{"mechanism":"dpop","required":true,"alg":"ES256"}})",
                   "unknown field 'alg' in proof_of_possession"},
        StrictCase{"api_patch", R"({"require_dpop":true})", "unknown field 'require_dpop'"},
        // clients
        StrictCase{"app_draft", R"({"app_type":"spa"})", "'name' is required"},
        StrictCase{"app_draft", R"({"name":"x","app_type":"machine"})", "machine"},
        StrictCase{"app_draft", R"({"name":"x","app_type":"NON_INTERACTIVE"})", "app_type"},
        StrictCase{"app_draft", R"({"name":"x","grant_types":["implicit"]})", "implicit"},
        StrictCase{"app_draft", R"({"name":"x","grant_types":"client_credentials"})",
                   "'grant_types' must be an array of strings"},
        StrictCase{"app_draft", R"({"name":"x","grant_types":[1]})", "grant_types"},
        StrictCase{"app_draft", R"({"name":"x","token_endpoint_auth_method":"client_secret_jwt"})",
                   "client_secret_jwt"},
        StrictCase{"app_draft", R"({"name":"x","callbacks":"https://a.example/cb"})",
                   "'callbacks' must be an array of strings"},
        StrictCase{"app_draft", R"({"name":"x","allowed_logout_urls":[1]})",
                   "'allowed_logout_urls' must be an array of strings"},
        StrictCase{"app_draft", R"({"name":"x","web_origins":{"a":1}})",
                   "'web_origins' must be an array of strings"},
        StrictCase{"app_draft", R"({"name":"x","jwks":"{\"keys\":[]}"})",
                   "'jwks' must be a JSON object"},
        StrictCase{"app_draft", R"({"name":"x","jwks":[]})", "'jwks' must be a JSON object"},
        StrictCase{"app_draft", R"({"name":"x","jwks_uri":["https://a.example/k"]})",
                   "'jwks_uri' must be a string"},
        StrictCase{"app_draft", R"({"name":"x","allowed_callback_urls":[]})",
                   "allowed_callback_urls"},
        StrictCase{"app_draft", R"({"name":"x","client_secret":"s"})", "client_secret"},
        StrictCase{"app_draft", R"({"name":"x","client_id":7})", "'client_id' must be a string"},
        StrictCase{"app_patch", R"({"client_id":"other"})", "client_id cannot change"},
        StrictCase{"app_patch", R"({"client_secret":"s"})", "rotate-secret"},
        StrictCase{"app_patch", R"({"callbacks":null})", "'callbacks' must be an array"},
        StrictCase{"app_patch", R"({"web_origins":"http://localhost:3000"})", "web_origins"},
        StrictCase{"app_patch", R"({"jwks":true})", "'jwks' must be a JSON object"},
        StrictCase{"app_patch", R"({"jwks_uri":null})", "'jwks_uri' must be a string"},
        StrictCase{"app_patch", R"({"allowed_origins":[]})", "allowed_origins"},
        StrictCase{"app_patch", R"({"app_type":"m2m2"})", "m2m2"},
        StrictCase{"app_patch", R"({"grant_types":["password","device_code"]})", "device_code"},
        StrictCase{"app_patch", R"({"token_endpoint_auth_method":"client_secret_jwt"})",
                   "client_secret_jwt"},
        StrictCase{"app_draft", R"({"name":"x","dpop_bound_access_tokens":"true"})",
                   "'dpop_bound_access_tokens' must be true or false"},
        StrictCase{"app_patch", R"({"dpop_bound_access_tokens":null})",
                   "'dpop_bound_access_tokens' must be true or false"},
        StrictCase{"app_patch", R"({"require_dpop":true})", "unknown field 'require_dpop'"},
        // users
        StrictCase{"user_draft", R"({"password":"p"})", "'email' is required"},
        StrictCase{"user_draft", R"({"email":"a@b"})", "'password' is required"},
        StrictCase{"user_draft", R"({"email":"a@b","password":"p","blocked":true})", "blocked"},
        StrictCase{"user_draft", R"({"email":"a@b","password":"p","connection":"google-oauth2"})",
                   "google-oauth2"},
        StrictCase{"user_draft", R"({"email":"a@b","password":"p","user_id":1})",
                   "'user_id' must be a string"},
        StrictCase{"user_patch", R"({"user_id":"auth0|2"})", "id cannot change"},
        StrictCase{"user_patch", R"({"blocked":"yes"})", "'blocked' must be true or false"},
        StrictCase{"user_patch", R"({"email":null})", "'email' must be a string"},
        StrictCase{"user_patch", R"({"connection":"other"})", "other"},
        StrictCase{"user_patch", R"({"username":"bob"})", "username"}));

// --- apply_api_patch

std::vector<std::string> values_of(const store::Api& api) {
  std::vector<std::string> out;
  for (const auto& p : api.permissions) {
    out.push_back(p.value);
  }
  return out;
}

TEST(ApplyApiPatch, AddsANewPermissionAtTheEnd) {
  store::Api api = full_api();
  ApiPatch patch;
  patch.add_permissions = {{"delete:messages", "Delete"}};
  ASSERT_TRUE(apply_api_patch(patch, api).ok());
  EXPECT_EQ(values_of(api),
            (std::vector<std::string>{"read:messages", "write:messages", "delete:messages"}));
  EXPECT_EQ(api.permissions.back().description, "Delete");
}

TEST(ApplyApiPatch, AddingAnExistingOneUpdatesOnlyAGivenDescription) {
  store::Api api = full_api();
  ApiPatch keep;
  keep.add_permissions = {{"read:messages", ""}};
  ASSERT_TRUE(apply_api_patch(keep, api).ok());
  EXPECT_EQ(api, full_api());  // nothing changed: the description stays

  ApiPatch describe;
  describe.add_permissions = {{"read:messages", "Read them all"}};
  ASSERT_TRUE(apply_api_patch(describe, api).ok());
  EXPECT_EQ(values_of(api), values_of(full_api()));  // in place, not appended
  EXPECT_EQ(api.permissions.front().description, "Read them all");
}

TEST(ApplyApiPatch, RemovalIsAllOrNothing) {
  store::Api api = full_api();
  ApiPatch patch;
  patch.name = "Renamed";
  patch.add_permissions = {{"delete:messages", ""}};
  patch.remove_permissions = {"read:messages", "no:such"};
  const auto applied = apply_api_patch(patch, api);
  expect_invalid(applied, "no:such");
  // Nothing of a refused patch is applied: a caller may still hold and use the record.
  EXPECT_EQ(api, full_api());

  patch.remove_permissions = {"read:messages", "write:messages"};
  ASSERT_TRUE(apply_api_patch(patch, api).ok());
  EXPECT_EQ(values_of(api), (std::vector<std::string>{"delete:messages"}));
  EXPECT_EQ(api.name, "Renamed");
}

TEST(ApplyApiPatch, ReplacesThenAddsThenRemoves) {
  store::Api api = full_api();
  ApiPatch patch;
  patch.permissions = std::vector<store::Permission>{{"a", "A"}, {"b", "B"}};
  patch.add_permissions = {{"c", "C"}, {"a", "new A"}};
  // "read:messages" was in the old list but not the replaced one: removing it is refused.
  patch.remove_permissions = {"read:messages"};
  expect_invalid(apply_api_patch(patch, api), "read:messages");

  // Removing one just added works: additions come before removals.
  patch.remove_permissions = {"b", "c"};
  ASSERT_TRUE(apply_api_patch(patch, api).ok());
  ASSERT_EQ(api.permissions.size(), 1u);
  EXPECT_EQ(api.permissions[0], (store::Permission{"a", "new A"}));
}

TEST(ApplyApiPatch, SetsEverySettingItNames) {
  store::Api api = full_api();
  ApiPatch patch;
  patch.signing_algorithm = jose::Algorithm::kRS256;
  patch.token_lifetime = seconds{60};
  patch.allow_offline_access = false;
  patch.token_profile = store::TokenProfile::kAuth0;
  patch.permissions_claim = false;
  patch.require_dpop = false;
  ASSERT_TRUE(apply_api_patch(patch, api).ok());
  EXPECT_EQ(api.signing_algorithm, jose::Algorithm::kRS256);
  EXPECT_EQ(api.token_lifetime, seconds{60});
  EXPECT_FALSE(api.allow_offline_access);
  EXPECT_EQ(api.token_profile, store::TokenProfile::kAuth0);
  EXPECT_FALSE(api.permissions_claim);
  EXPECT_FALSE(api.require_dpop);
  EXPECT_EQ(api.name, full_api().name);
  EXPECT_EQ(api.permissions, full_api().permissions);

  store::Api untouched = full_api();
  ASSERT_TRUE(apply_api_patch(ApiPatch{}, untouched).ok());
  EXPECT_EQ(untouched, full_api());
}

}  // namespace
}  // namespace signet::admin
