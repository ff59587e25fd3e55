// The grant table of the token endpoint: which grant_type values exist and who may use them.

#include "tests/server/token_endpoint_test_support.h"
#include "tests/test_common/test_keys.h"

namespace signet::server::testing {
namespace {

TEST_F(TokenEndpointTest, GrantTypeErrors) {
  const Client c = m2m();
  reload();
  expect_error(token({{"client_id", c.id}, {"client_secret", c.secret}}),
               OAuthErrorCode::kInvalidRequest, "grant_type is required");
  expect_error(token({{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                      {"client_id", c.id},
                      {"client_secret", c.secret}}),
               OAuthErrorCode::kUnsupportedGrantType,
               "use client_credentials, password, refresh_token or authorization_code");
  expect_error(
      token(
          {{"grant_type", "authorization_code"}, {"client_id", c.id}, {"client_secret", c.secret}}),
      OAuthErrorCode::kUnauthorizedClient,
      "Grant type 'authorization_code' not allowed for the client.");
  expect_error(login(c, "x@example.com", "y"), OAuthErrorCode::kUnauthorizedClient,
               "Grant type 'password' not allowed for the client.");
}

}  // namespace
}  // namespace signet::server::testing

// --- DPoP (RFC 9449): a proof on any grant binds the access token to its key

namespace signet::server::testing {
namespace {

using signet::testing::other_key;
using signet::testing::test_key;

const jose::Jwk& dpop_key() {
  return test_key(jose::Algorithm::kES256);
}

TEST_F(TokenEndpointTest, AProofBindsTheAccessTokenToItsKey) {
  const Client c = m2m();
  reload();
  for (const auto alg : kDpopAlgorithms) {
    dpop_ = {dpop_proof(test_key(alg))};
    auto r = cc(c);
    ASSERT_TRUE(r.ok()) << jose::to_string(alg) << ": " << r.error().description;
    EXPECT_EQ(r->at("token_type").as_string(), "DPoP");
    EXPECT_EQ(bound_to(r), jose::thumbprint(test_key(alg))) << jose::to_string(alg);
  }
  EXPECT_EQ(endpoint_->dpop().counters().accepted.load(), kDpopAlgorithms.size());
}

TEST_F(TokenEndpointTest, WithoutAProofTheTokenIsABearerTokenAsBefore) {
  const Client c = m2m();
  reload();
  auto r = cc(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("token_type").as_string(), "Bearer");
  EXPECT_EQ(bound_to(r), "<absent>");
  EXPECT_EQ(endpoint_->dpop().counters().accepted.load(), 0u);
}

TEST_F(TokenEndpointTest, ABadProofIsInvalidDpopProofAndSaysWhichRule) {
  const Client c = m2m();
  reload();
  dpop_ = {dpop_proof(dpop_key(), kT0, std::nullopt, "http://localhost:4000/oauth/revoke")};
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof,
               "htu does not match the request URL: sign htm POST and htu "
               "http://localhost:4000/oauth/token");
  dpop_ = {dpop_proof(dpop_key(), kT0 - seconds{66})};
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof, "too old");
  dpop_ = {dpop_proof(dpop_key(), kT0 + seconds{6})};
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof, "iat");
  dpop_ = {dpop_proof(dpop_key()), dpop_proof(dpop_key())};
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof, "exactly one DPoP header");
  dpop_ = {"not.a.proof"};
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof);
  // One second inside each side of the iat window is fine.
  dpop_ = {dpop_proof(dpop_key(), kT0 - seconds{65})};
  EXPECT_TRUE(cc(c).ok());
  dpop_ = {dpop_proof(dpop_key(), kT0 + seconds{5})};
  EXPECT_TRUE(cc(c).ok());
  EXPECT_EQ(endpoint_->counters()
                .errors[static_cast<std::size_t>(OAuthErrorCode::kInvalidDpopProof)]
                .load(),
            5u);
}

TEST_F(TokenEndpointTest, AReplayedProofIsRefusedOnAnyGrant) {
  const Client c = m2m();
  const Client w = web();
  const std::string u = user();
  reload();
  dpop_ = {dpop_proof(dpop_key())};
  ASSERT_TRUE(cc(c).ok());
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof, "already used");
  // The cache is the server's, not the grant's or the client's.
  expect_error(login(w, email_of(u), kPassword), OAuthErrorCode::kInvalidDpopProof, "already used");
}

// On PostgreSQL (shared_record) every proof is also a row of the store that replicas share; on the
// SQLite file, which one server serves, the replay cache is the whole record.
TEST_F(TokenEndpointTest, ProofsAreRecordedInTheStoreOnlyWhenReplicasShareIt) {
  const Client c = m2m();
  reload();
  EXPECT_EQ(endpoint_->dpop().replay_ledger(), nullptr);
  const std::string first = dpop_proof(dpop_key());
  dpop_ = {first};
  ASSERT_TRUE(cc(c).ok());
  config_.dpop.shared_record = true;
  reload();  // another replica: a replay cache of its own
  ASSERT_NE(endpoint_->dpop().replay_ledger(), nullptr);
  dpop_ = {first};
  ASSERT_TRUE(cc(c).ok()) << "the first server recorded nothing in the store";
  reload();
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof, "already used");
}

TEST_F(TokenEndpointTest, TheProofIsCheckedAfterTheClientIsAuthenticated) {
  const Client c = m2m();
  reload();
  dpop_ = {dpop_proof(dpop_key())};
  expect_error(token({{"grant_type", "client_credentials"},
                      {"client_id", c.id},
                      {"client_secret", "wrong"},
                      {"audience", std::string(kApi)}}),
               OAuthErrorCode::kInvalidClient);
  // So an unauthenticated request did not spend the proof's jti.
  EXPECT_TRUE(cc(c).ok());
}

TEST_F(TokenEndpointTest, AClientRegisteredForDpopGetsNoBearerToken) {
  const Client c = m2m();
  auto app = store_->get_application(c.id).value();
  app.dpop_bound_access_tokens = true;
  ASSERT_TRUE(store_->update_application(app).ok());
  reload();
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof,
               "this client (" + c.id + ") requires DPoP: send a DPoP proof");
  dpop_ = {dpop_proof(dpop_key())};
  auto r = cc(c);
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(r->at("token_type").as_string(), "DPoP");
}

TEST_F(TokenEndpointTest, AnApiThatRequiresDpopGetsNoBearerTokenByAnyGrant) {
  auto api = store_->get_api(kApi).value();
  api.require_dpop = true;
  ASSERT_TRUE(store_->update_api(api).ok());
  const Client c = m2m();
  const Client w = web();
  const std::string u = user();
  reload();
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof, "the API '" + std::string(kApi) + "'");
  expect_error(login(w, email_of(u), kPassword), OAuthErrorCode::kInvalidDpopProof,
               "requires DPoP");
  dpop_ = {dpop_proof(dpop_key())};
  EXPECT_EQ(bound_to(cc(c)), jose::thumbprint(dpop_key()));
  dpop_ = {dpop_proof(dpop_key())};
  auto r = login(w, email_of(u), kPassword, "offline_access read:messages");
  EXPECT_EQ(bound_to(r), jose::thumbprint(dpop_key()));
  // A refresh for that API needs a proof too, although a confidential client's refresh token
  // is not bound to a key.
  dpop_.clear();
  expect_error(refresh(w, std::string(r->at("refresh_token").as_string())),
               OAuthErrorCode::kInvalidDpopProof, "requires DPoP");
}

TEST_F(TokenEndpointTest, WithNoncesOnAProofWithoutOneIsAskedForIt) {
  config_.dpop.nonce = true;
  const Client c = m2m();
  reload();
  dpop_ = {dpop_proof(dpop_key())};
  expect_error(cc(c), OAuthErrorCode::kUseDpopNonce, "DPoP-Nonce");
  const auto nonce = endpoint_->dpop().nonce(kT0.time_since_epoch().count());
  ASSERT_TRUE(nonce.has_value());
  dpop_ = {dpop_proof(dpop_key(), kT0, *nonce)};
  EXPECT_EQ(bound_to(cc(c)), jose::thumbprint(dpop_key()));
  // Without a proof there is no nonce to ask for: a bearer request goes on as before.
  dpop_.clear();
  EXPECT_TRUE(cc(c).ok());
}

TEST_F(RefreshTest, AConfidentialClientsRefreshIsBoundOnlyForItsAccessToken) {
  dpop_ = {dpop_proof(dpop_key())};
  auto r = refresh(c_, rt_);
  ASSERT_TRUE(r.ok()) << r.error().description;
  EXPECT_EQ(r->at("token_type").as_string(), "DPoP");
  EXPECT_EQ(bound_to(r), jose::thumbprint(dpop_key()));
  // Its refresh token is bound to the client's secret, not to a key: it works without a proof.
  dpop_.clear();
  auto again = refresh(c_, next(r));
  ASSERT_TRUE(again.ok()) << again.error().description;
  EXPECT_EQ(again->at("token_type").as_string(), "Bearer");
}

}  // namespace
}  // namespace signet::server::testing
