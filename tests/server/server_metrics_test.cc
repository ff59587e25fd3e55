#include "signet/server/server_metrics.h"

#include "signet/metrics/registry.h"
#include "tests/server/token_endpoint_test_support.h"
#include "tests/test_common/test_keys.h"

namespace signet::server::testing {
namespace {

// The value of one sample line of `text`, or -1 when it is missing.
double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
}

constexpr auto kIssuedRs256 =
    R"(signet_tokens_issued_total{grant="client_credentials",alg="RS256"})";

TEST_F(TokenEndpointTest, MetricsCountTokensByGrantAndAlgorithmAndErrorsByCode) {
  const Client c = m2m();
  reload();
  metrics::Registry registry;
  register_endpoint_metrics(registry, *endpoint_);
  EXPECT_EQ(sample(registry.expose(), kIssuedRs256), 0);
  ASSERT_TRUE(cc(c).ok());
  EXPECT_FALSE(cc(c, "delete:everything").ok());  // invalid_scope
  const std::string text = registry.expose();
  EXPECT_EQ(sample(text, kIssuedRs256), 1) << text;
  EXPECT_EQ(sample(text, R"(signet_tokens_issued_total{grant="client_credentials",alg="ES256"})"),
            0);
  EXPECT_EQ(sample(text, R"(signet_token_endpoint_errors_total{error="invalid_scope"})"), 1);
  EXPECT_EQ(sample(text, R"(signet_token_endpoint_errors_total{error="invalid_grant"})"), 0);
  EXPECT_EQ(sample(text, "signet_login_lockouts_total"), 0);
  EXPECT_EQ(sample(text, "signet_client_keys_jwks_fetches_total"), 0);
  // Registering the same series twice is a programming error, caught at start-up.
  EXPECT_THROW(register_endpoint_metrics(registry, *endpoint_), std::invalid_argument);
}

TEST_F(TokenEndpointTest, MetricsCountDpopProofsAcceptedAndRefusedByRule) {
  const Client c = m2m();
  reload();
  metrics::Registry registry;
  register_endpoint_metrics(registry, *endpoint_);
  const jose::Jwk& key = signet::testing::test_key(jose::Algorithm::kES256);
  dpop_ = {dpop_proof(key)};
  ASSERT_TRUE(cc(c).ok());
  EXPECT_FALSE(cc(c).ok());  // the same proof again
  dpop_ = {dpop_proof(key, kT0, std::nullopt, "http://localhost:4000/oauth/revoke")};
  EXPECT_FALSE(cc(c).ok());
  const std::string text = registry.expose();
  EXPECT_EQ(sample(text, R"(signet_dpop_proofs_accepted_total{endpoint="token"})"), 1) << text;
  EXPECT_EQ(sample(text, R"(signet_dpop_proofs_refused_total{endpoint="token",rule="replayed"})"),
            1);
  EXPECT_EQ(sample(text, R"(signet_dpop_proofs_refused_total{endpoint="token",rule="htu"})"), 1);
  EXPECT_EQ(
      sample(text, R"(signet_dpop_proofs_refused_total{endpoint="token",rule="nonce_missing"})"),
      0);
  EXPECT_EQ(sample(text, "signet_dpop_replay_cache_entries"), 1);
  EXPECT_EQ(sample(text, R"(signet_token_endpoint_errors_total{error="invalid_dpop_proof"})"), 2);
  EXPECT_EQ(sample(text, R"(signet_token_endpoint_errors_total{error="use_dpop_nonce"})"), 0);
}

TEST_F(TokenEndpointTest, ReadyWhenTheStoreAnswersAndAKeyIsLoadedAskingTheStoreOncePerSecond) {
  metrics::Registry registry;
  store_->count_into(registry);
  auto now = std::chrono::steady_clock::time_point{};
  Readiness readiness(*store_, *tenant_, [&] { return now; });
  const std::string reads = R"(signet_store_operation_duration_seconds_count{operation="read"})";
  EXPECT_TRUE(readiness.reasons().empty());
  EXPECT_EQ(sample(registry.expose(), reads), 1);
  now += kStoreProbeInterval - std::chrono::milliseconds{1};
  EXPECT_TRUE(readiness.reasons().empty());
  EXPECT_EQ(sample(registry.expose(), reads), 1);  // the cached answer
  now += std::chrono::milliseconds{1};
  EXPECT_TRUE(readiness.reasons().empty());
  EXPECT_EQ(sample(registry.expose(), reads), 2);
}

// A tenant loads its keys (creating them on first use); before that, nothing can be signed.
TEST(Readiness, NotReadyWithoutASigningKey) {
  TempDir dir;
  auto store = store::SqliteStore::open(dir.file("signet.db")).value();
  keys::KeyManager keys(*store, fixed_master_key());
  Tenant tenant(*store, keys);
  Readiness readiness(*store, tenant);
  const auto reasons = readiness.reasons();
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("no signing key is loaded"), std::string::npos) << reasons[0];
  ASSERT_TRUE(tenant.load(kT0).ok());
  EXPECT_TRUE(readiness.reasons().empty());
}

}  // namespace
}  // namespace signet::server::testing
