// The client-credentials grant: claims, profiles, scopes and audience errors, and how long it
// answers from the snapshot once the store stops answering.

#include "signet/server/endpoint_support.h"
#include "tests/admin/forwarding_store.h"
#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

TEST_F(TokenEndpointTest, ClientCredentialsTokenHasDesignsClaims) {
  const Client c = m2m();
  reload();
  auto r = cc(c);
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(r->at("token_type").as_string(), "Bearer");
  EXPECT_EQ(r->at("expires_in").as_int64(), 86400);
  EXPECT_EQ(r->at("scope").as_string(), "read:messages write:messages");
  const auto c1 = claims(r);
  EXPECT_EQ(str(c1, "iss"), kIssuer);
  EXPECT_EQ(str(c1, "sub"), c.id + "@clients");
  EXPECT_EQ(str(c1, "aud"), kApi);
  EXPECT_EQ(str(c1, "azp"), c.id);
  EXPECT_EQ(str(c1, "gty"), "client-credentials");
  EXPECT_EQ(c1.at("iat").as_int64(), kT0.time_since_epoch().count());
  EXPECT_EQ(c1.at("exp").as_int64() - c1.at("iat").as_int64(), 86400);
  EXPECT_FALSE(c1.contains("client_id"));
  EXPECT_NE(str(c1, "jti"), str(claims(cc(c)), "jti"));
  auto jws = jose::parse_compact(std::string_view(r->at("access_token").as_string()));
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->typ, "JWT");
  EXPECT_EQ(jws->alg, jose::Algorithm::kRS256);
  EXPECT_EQ(EndpointCounters::total(endpoint_->counters().issued_client_credentials), 2u);
  // Counted under the algorithm that signed them, for signet_tokens_issued_total{grant,alg}.
  const auto& by_alg = endpoint_->counters().issued_client_credentials;
  EXPECT_EQ(by_alg[static_cast<std::size_t>(jose::Algorithm::kRS256)].load(), 2u);
  EXPECT_EQ(by_alg[static_cast<std::size_t>(jose::Algorithm::kES256)].load(), 0u);
}

TEST_F(TokenEndpointTest, Rfc9068ProfileSaysAtJwtAndCarriesClientId) {
  auto api = store_->get_api(kApi).value();
  api.token_profile = store::TokenProfile::kRfc9068;
  api.signing_algorithm = jose::Algorithm::kES256;
  ASSERT_TRUE(store_->update_api(api).ok());
  const Client c = m2m();
  reload();
  auto r = cc(c);
  const auto c1 = claims(r);
  EXPECT_EQ(str(c1, "client_id"), c.id);
  auto jws = jose::parse_compact(std::string_view(r->at("access_token").as_string()));
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->typ, "at+jwt");
  EXPECT_EQ(jws->alg, jose::Algorithm::kES256);
  const auto& by_alg = endpoint_->counters().issued_client_credentials;
  EXPECT_EQ(by_alg[static_cast<std::size_t>(jose::Algorithm::kES256)].load(), 1u);
  EXPECT_EQ(by_alg[static_cast<std::size_t>(jose::Algorithm::kRS256)].load(), 0u);
}

TEST_F(TokenEndpointTest, PermissionsClaimListsTheApiScopesWhenTheApiAsksForIt) {
  const Client c = m2m();
  const Client w = web();
  const std::string u = user({"read:messages"});
  reload();
  EXPECT_FALSE(claims(cc(c)).contains("permissions"));
  auto api = store_->get_api(kApi).value();
  api.permissions_claim = true;
  ASSERT_TRUE(store_->update_api(api).ok());
  reload();
  const auto m2m_claims = claims(cc(c, "write:messages"));
  ASSERT_TRUE(m2m_claims.contains("permissions"));
  EXPECT_EQ(json::serialize(m2m_claims.at("permissions")), R"(["write:messages"])");
  // OpenID scopes are not permissions.
  const auto user_claims = claims(login(w, email_of(u), kPassword, "openid read:messages"));
  EXPECT_EQ(json::serialize(user_claims.at("permissions")), R"(["read:messages"])");
  EXPECT_EQ(str(user_claims, "scope"), "openid read:messages");
}

TEST_F(TokenEndpointTest, RequestedSubsetOfTheGrantIsIssuedAndMoreIsInvalidScope) {
  const Client c = m2m({"read:messages"});
  reload();
  EXPECT_EQ(str(claims(cc(c, "read:messages")), "scope"), "read:messages");
  expect_error(cc(c, "read:messages write:messages"), OAuthErrorCode::kInvalidScope,
               "scope 'write:messages' is not granted");
}

TEST_F(TokenEndpointTest, GrantWithoutScopesGivesATokenWithoutScope) {
  const Client c = m2m({});
  reload();
  auto r = cc(c);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->contains("scope"));
  EXPECT_FALSE(claims(r).contains("scope"));
}

TEST_F(TokenEndpointTest, AudienceErrors) {
  const Client c = m2m();
  const Client ungranted = client({store::GrantType::kClientCredentials});
  reload();
  expect_error(
      token(
          {{"grant_type", "client_credentials"}, {"client_id", c.id}, {"client_secret", c.secret}}),
      OAuthErrorCode::kInvalidRequest, "audience is required");
  expect_error(token({{"grant_type", "client_credentials"},
                      {"client_id", c.id},
                      {"client_secret", c.secret},
                      {"audience", "https://nope/"}}),
               OAuthErrorCode::kInvalidTarget, "signet apis create");
  expect_error(token({{"grant_type", "client_credentials"},
                      {"client_id", c.id},
                      {"client_secret", c.secret},
                      {"audience", std::string(kApi)},
                      {"resource", "https://other/"}}),
               OAuthErrorCode::kInvalidTarget, "different APIs");
  EXPECT_TRUE(token({{"grant_type", "client_credentials"},
                     {"client_id", c.id},
                     {"client_secret", c.secret},
                     {"resource", std::string(kApi)}})
                  .ok());
  auto denied = cc(ungranted);
  expect_error(denied, OAuthErrorCode::kAccessDenied,
               "signet grants create --client-id " + ungranted.id);
  EXPECT_EQ(http_status(denied.error().code), 403);
}

TEST_F(TokenEndpointTest, AConfigurationChangeIsSeenAfterTheTenantReloads) {
  const Client c = client({store::GrantType::kClientCredentials});
  reload();
  expect_error(cc(c), OAuthErrorCode::kAccessDenied);
  store::ClientGrant g{0, c.id, std::string(kApi), {"read:messages"}, {}};
  ASSERT_TRUE(store_->create_client_grant(g).ok());
  auto changed = tenant_->refresh_if_changed(kT0);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_TRUE(cc(c).ok());
  EXPECT_FALSE(*tenant_->refresh_if_changed(kT0));
}

// The tenant reads the store through a ForwardingStore, so that a test can make the store stop
// answering; times are given, never read from a clock.
class StoreOutageTest : public TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    flaky_ = std::make_unique<store::testing::ForwardingStore>(*store_);
    tenant_ = std::make_unique<Tenant>(*flaky_, *keys_);
  }
  void TearDown() override {
    endpoint_.reset();
    tenant_.reset();
  }

  void stop_answering() {
    flaky_->failures["generation"] =
        store::StoreError{store::StoreErrorCode::kUnavailable, "connection refused"};
  }
  void answer_again() { flaky_->failures.clear(); }

  static void expect_unavailable(const EndpointResult& r) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, OAuthErrorCode::kTemporarilyUnavailable) << r.error().description;
    EXPECT_EQ(http_status(r.error().code), 503);
    EXPECT_EQ(r.error().retry_after, kStoreUnavailableRetryAfter);
    EXPECT_NE(r.error().description.find("--store-outage-grace"), std::string::npos);
  }

  std::unique_ptr<store::testing::ForwardingStore> flaky_;
};

TEST_F(StoreOutageTest, TokensComeFromTheSnapshotForTheGraceAfterTheLastPollThatWorked) {
  config_.store_outage_grace = seconds{60};
  const Client c = m2m();
  reload();  // confirmed at kT0
  const auto polled = kT0 + seconds{10};
  ASSERT_TRUE(tenant_->refresh_if_changed(polled).ok());
  stop_answering();
  EXPECT_FALSE(tenant_->refresh_if_changed(polled + seconds{5}).ok());
  // The grace runs from the last poll that worked, not from the first that failed.
  EXPECT_TRUE(cc(c, "", polled + seconds{59}).ok());
  expect_unavailable(cc(c, "", polled + seconds{60}));
  expect_unavailable(cc(c, "", polled + seconds{61}));
  EXPECT_EQ(EndpointCounters::total(endpoint_->counters().issued_client_credentials), 1u);

  // Back: tokens again at once, however long the outage lasted.
  answer_again();
  const auto back = polled + seconds{3600};
  ASSERT_TRUE(tenant_->refresh_if_changed(back).ok());
  EXPECT_TRUE(cc(c, "", back).ok());
  EXPECT_TRUE(cc(c, "", back + seconds{61}).ok()) << "no poll failed since";
}

TEST_F(StoreOutageTest, AFailedReloadThatReadTheGenerationStillConfirmsTheSnapshot) {
  config_.store_outage_grace = seconds{60};
  const Client c = m2m();
  reload();
  // A change, then the store answers the generation but not the reload's reads.
  store::Api other;
  other.identifier = "https://other/";
  other.name = "Other";
  ASSERT_TRUE(store_->create_api(other).ok());
  flaky_->failures["list_apis"] = store::StoreError{store::StoreErrorCode::kBusy, "busy"};
  EXPECT_FALSE(tenant_->refresh_if_changed(kT0 + seconds{100}).ok());
  EXPECT_TRUE(cc(c, "", kT0 + seconds{159}).ok())
      << "the store answered at kT0 + 100 s: it is there, the snapshot stands";
}

TEST_F(StoreOutageTest, ZeroGraceIssuesNothingTheStoreCannotConfirm) {
  config_.store_outage_grace = seconds{0};
  const Client c = m2m();
  reload();
  ASSERT_TRUE(tenant_->refresh_if_changed(kT0 + seconds{1}).ok());
  EXPECT_TRUE(cc(c, "", kT0 + seconds{2}).ok()) << "polls work: the snapshot is confirmed";
  stop_answering();
  EXPECT_FALSE(tenant_->refresh_if_changed(kT0 + seconds{1}).ok());
  expect_unavailable(cc(c, "", kT0 + seconds{1}));
}

TEST_F(StoreOutageTest, ALoadThatCannotReadTheGenerationCountsAsAFailedPoll) {
  config_.store_outage_grace = seconds{60};
  const Client c = m2m();
  reload();
  EXPECT_TRUE(tenant_->confirmed_within(seconds{0}, kT0 + seconds{86400}));
  stop_answering();
  ASSERT_FALSE(tenant_->load(kT0 + seconds{10}).ok());
  EXPECT_TRUE(tenant_->confirmed_within(seconds{60}, kT0 + seconds{59}));
  EXPECT_FALSE(tenant_->confirmed_within(seconds{60}, kT0 + seconds{60}));
}

}  // namespace
}  // namespace signet::server::testing
