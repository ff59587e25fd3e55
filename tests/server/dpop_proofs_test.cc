// The DPoP proofs of the token endpoint (dpop_proofs.h): one header or none or several, the
// replay cache with its expiry and its bound, server nonces, the answer each refusal gets, and
// the counters. The proof rules themselves are jose::dpop's (tests/jose/dpop_test.cc); here each
// is reached once through the endpoint's own URL and method.

#include "signet/server/dpop_proofs.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "signet/jose/jwk.h"
#include "signet/server/endpoint_support.h"
#include "signet/store/sqlite_store.h"
#include "tests/admin/forwarding_store.h"
#include "tests/test_common/temp_dir.h"
#include "tests/test_common/test_keys.h"

namespace signet::server {
namespace {

namespace dpop = jose::dpop;
using signet::testing::other_key;
using signet::testing::test_key;

constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::string_view kEndpoint = "http://localhost:4000/oauth/token";

std::string proof(const jose::Jwk& key, std::int64_t iat = kNow,
                  std::optional<std::string_view> nonce = std::nullopt,
                  std::string_view url = kEndpoint, std::string_view method = "POST") {
  auto made = dpop::make_proof(
      key,
      dpop::ProofRequest{
          .method = method, .url = url, .access_token = std::nullopt, .nonce = nonce, .now = iat});
  EXPECT_TRUE(made.ok());
  return made.ok() ? *made : std::string();
}

// The result of checking `values` as the DPoP header values of one request.
Result<std::optional<dpop::VerifiedProof>, dpop::ProofFailure> check(
    DpopProofs& proofs, const std::vector<std::string>& values, std::int64_t now = kNow) {
  std::vector<std::string_view> views(values.begin(), values.end());
  return proofs.check(views, now);
}

dpop::ProofError error_of(const Result<std::optional<dpop::VerifiedProof>, dpop::ProofFailure>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? dpop::ProofError::kMissing : r.error().code;
}

std::uint64_t refused(const DpopProofs& p, dpop::ProofError e) {
  return p.counters().refused[static_cast<std::size_t>(e)].load();
}

TEST(DpopProofsTest, NoHeaderIsNoProofAndNothingIsCounted) {
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  auto r = check(proofs, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(proofs.counters().accepted.load(), 0u);
  EXPECT_EQ(proofs.remembered(), 0u);
}

TEST(DpopProofsTest, AProofForTheTokenEndpointGivesItsKeysThumbprint) {
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  for (const auto alg : kDpopAlgorithms) {
    auto r = check(proofs, {proof(test_key(alg))});
    ASSERT_TRUE(r.ok()) << jose::to_string(alg) << ": " << r.error().description();
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->jkt, jose::thumbprint(test_key(alg))) << jose::to_string(alg);
  }
  EXPECT_EQ(proofs.counters().accepted.load(), kDpopAlgorithms.size());
  EXPECT_EQ(proofs.remembered(), kDpopAlgorithms.size());
}

TEST(DpopProofsTest, TwoHeadersAreRefusedEvenWhenBothAreGood) {
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  const auto key = test_key(jose::Algorithm::kES256);
  EXPECT_EQ(error_of(check(proofs, {proof(key), proof(key)})), dpop::ProofError::kMultiple);
  EXPECT_EQ(refused(proofs, dpop::ProofError::kMultiple), 1u);
  EXPECT_EQ(proofs.remembered(), 0u) << "neither proof was looked at";
}

TEST(DpopProofsTest, AProofForAnotherUrlOrMethodIsRefused) {
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  const auto& key = test_key(jose::Algorithm::kES256);
  EXPECT_EQ(error_of(check(proofs,
                           {proof(key, kNow, std::nullopt, "http://localhost:4000/oauth/revoke")})),
            dpop::ProofError::kHtu);
  EXPECT_EQ(error_of(check(proofs, {proof(key, kNow, std::nullopt, kEndpoint, "GET")})),
            dpop::ProofError::kHtm);
  EXPECT_EQ(refused(proofs, dpop::ProofError::kHtu), 1u);
  EXPECT_EQ(refused(proofs, dpop::ProofError::kHtm), 1u);
  EXPECT_EQ(proofs.counters().accepted.load(), 0u);
}

TEST(DpopProofsTest, TheProofLifetimeIsThePolicys) {
  DpopPolicy policy;
  policy.proof_lifetime = std::chrono::seconds{30};
  DpopProofs proofs(std::string(kEndpoint), policy);
  const auto& key = test_key(jose::Algorithm::kES256);
  // Fresh until iat + 30 s + 5 s of leeway, to the second.
  EXPECT_TRUE(check(proofs, {proof(key, kNow - 35)}).ok());
  EXPECT_EQ(error_of(check(proofs, {proof(key, kNow - 36)})), dpop::ProofError::kIatTooOld);
}

TEST(DpopProofsTest, AReplayedProofIsRefusedUntilItIsStale) {
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  const std::string p = proof(test_key(jose::Algorithm::kES256));
  ASSERT_TRUE(check(proofs, {p}).ok());
  EXPECT_EQ(error_of(check(proofs, {p})), dpop::ProofError::kReplayed);
  // Still a replay on the last second it is fresh (iat + 60 + 5)...
  EXPECT_EQ(error_of(check(proofs, {p}, kNow + 65)), dpop::ProofError::kReplayed);
  // ...and then the iat check refuses it, whatever the cache has forgotten.
  EXPECT_EQ(error_of(check(proofs, {p}, kNow + 66)), dpop::ProofError::kIatTooOld);
  EXPECT_EQ(refused(proofs, dpop::ProofError::kReplayed), 2u);
  EXPECT_EQ(proofs.counters().accepted.load(), 1u);
}

TEST(DpopProofsTest, TheSameJtiUnderAnotherKeyIsNotAReplay) {
  // Proof ids are namespaced by key: one client cannot spend another's jti values. make_proof
  // picks random jti values, so this checks the cache key through two keys' proofs at once.
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  ASSERT_TRUE(check(proofs, {proof(test_key(jose::Algorithm::kES256))}).ok());
  ASSERT_TRUE(check(proofs, {proof(other_key(jose::Algorithm::kES256))}).ok());
  EXPECT_EQ(proofs.remembered(), 2u);
}

TEST(DpopProofsTest, AFullReplayCacheRefusesRatherThanForget) {
  DpopPolicy policy;
  policy.replay_entries = 1;
  DpopProofs proofs(std::string(kEndpoint), policy);
  const auto& key = test_key(jose::Algorithm::kES256);
  ASSERT_TRUE(check(proofs, {proof(key)}).ok());
  const auto r = check(proofs, {proof(key)});
  EXPECT_EQ(error_of(r), dpop::ProofError::kReplayCacheFull);
  EXPECT_EQ(refused(proofs, dpop::ProofError::kReplayCacheFull), 1u);
  // Once the first proof is stale, there is room again.
  EXPECT_TRUE(check(proofs, {proof(key, kNow + 66)}, kNow + 66).ok());
}

TEST(DpopProofsTest, NoncesAreOffByDefault) {
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  EXPECT_FALSE(proofs.nonce(kNow).has_value());
}

TEST(DpopProofsTest, WithNoncesOnAProofNeedsACurrentOne) {
  DpopPolicy policy;
  policy.nonce = true;
  policy.nonce_window = std::chrono::seconds{300};
  DpopProofs proofs(std::string(kEndpoint), policy);
  const auto& key = test_key(jose::Algorithm::kES256);
  const auto nonce = proofs.nonce(kNow);
  ASSERT_TRUE(nonce.has_value());

  auto missing = check(proofs, {proof(key)});
  EXPECT_EQ(error_of(missing), dpop::ProofError::kNonceMissing);
  EXPECT_TRUE(missing.error().wants_nonce());
  EXPECT_EQ(error_of(check(proofs, {proof(key, kNow, "not-a-nonce-of-ours")})),
            dpop::ProofError::kNonceInvalid);
  EXPECT_TRUE(check(proofs, {proof(key, kNow, *nonce)}).ok());
  // Two windows later the nonce is stale.
  EXPECT_EQ(error_of(check(proofs, {proof(key, kNow + 600, *nonce)}, kNow + 600)),
            dpop::ProofError::kNonceInvalid);
  EXPECT_EQ(refused(proofs, dpop::ProofError::kNonceMissing), 1u);
  EXPECT_EQ(refused(proofs, dpop::ProofError::kNonceInvalid), 2u);
}

TEST(DpopProofsTest, NoncesOfAnotherServerKeyAreNotAccepted) {
  DpopPolicy policy;
  policy.nonce = true;
  DpopProofs ours(std::string(kEndpoint), policy);
  DpopProofs theirs(std::string(kEndpoint), policy);  // another random key
  const auto nonce = theirs.nonce(kNow);
  ASSERT_TRUE(nonce.has_value());
  EXPECT_EQ(error_of(check(ours, {proof(test_key(jose::Algorithm::kES256), kNow, *nonce)})),
            dpop::ProofError::kNonceInvalid);
}

TEST(DpopProofsTest, ServersGivenTheSameNonceKeyShareNonces) {
  DpopPolicy policy;
  policy.nonce = true;
  const std::string key(32, 'k');
  DpopProofs one(std::string(kEndpoint), policy, key);
  DpopProofs two(std::string(kEndpoint), policy, key);
  const auto nonce = one.nonce(kNow);
  ASSERT_TRUE(nonce.has_value());
  EXPECT_EQ(two.nonce(kNow), nonce);
  EXPECT_TRUE(check(two, {proof(test_key(jose::Algorithm::kES256), kNow, *nonce)}).ok());
}

// --- /userinfo: check_bound and remember ---------------------------------------------------------

constexpr std::string_view kUserinfo = "http://localhost:4000/userinfo";
constexpr std::string_view kToken = "eyJ.a-bound-access-token.sig";

std::string bound_proof(const jose::Jwk& key, std::string_view method = "GET",
                        std::string_view url = kUserinfo,
                        std::optional<std::string_view> nonce = std::nullopt) {
  auto made = dpop::make_proof(
      key, dpop::ProofRequest{
               .method = method, .url = url, .access_token = kToken, .nonce = nonce, .now = kNow});
  EXPECT_TRUE(made.ok());
  return made.ok() ? *made : std::string();
}

Result<dpop::VerifiedProof, dpop::ProofFailure> check_bound(const DpopProofs& proofs,
                                                            const std::vector<std::string>& values,
                                                            std::string_view jkt,
                                                            std::string_view method = "GET") {
  std::vector<std::string_view> views(values.begin(), values.end());
  return proofs.check_bound(views, method, kUserinfo, kToken, jkt, kNow);
}

TEST(DpopProofsTest, ABoundProofIsCheckedAgainstTheRequestTheTokenAndItsKey) {
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  const auto& key = test_key(jose::Algorithm::kES256);
  const std::string jkt = jose::thumbprint(key);
  auto ok = check_bound(proofs, {bound_proof(key)}, jkt);
  ASSERT_TRUE(ok.ok()) << ok.error().description();
  EXPECT_EQ(ok->jkt, jkt);
  EXPECT_TRUE(check_bound(proofs, {bound_proof(key, "POST")}, jkt, "POST").ok());
  const auto code = [](const Result<dpop::VerifiedProof, dpop::ProofFailure>& r) {
    EXPECT_FALSE(r.ok());
    return r.ok() ? dpop::ProofError::kMissing : r.error().code;
  };
  EXPECT_EQ(code(check_bound(proofs, {}, jkt)), dpop::ProofError::kMissing);
  EXPECT_EQ(code(check_bound(proofs, {bound_proof(key), bound_proof(key)}, jkt)),
            dpop::ProofError::kMultiple);
  EXPECT_EQ(code(check_bound(proofs, {bound_proof(key, "POST")}, jkt)), dpop::ProofError::kHtm);
  EXPECT_EQ(code(check_bound(proofs, {bound_proof(key, "GET", kEndpoint)}, jkt)),
            dpop::ProofError::kHtu);
  EXPECT_EQ(code(check_bound(proofs, {bound_proof(other_key(jose::Algorithm::kES256))}, jkt)),
            dpop::ProofError::kKeyMismatch);
  // Nothing was recorded or counted: the caller decides when the proof is used.
  EXPECT_EQ(proofs.remembered(), 0u);
  EXPECT_EQ(proofs.counters().accepted.load(), 0u);
}

TEST(DpopProofsTest, ABoundProofIsUsedOnceInTheServersReplayCache) {
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  const auto& key = test_key(jose::Algorithm::kES256);
  const std::string proof = bound_proof(key);
  auto first = check_bound(proofs, {proof}, jose::thumbprint(key));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(proofs.remember(*first, kNow).ok());
  EXPECT_EQ(proofs.remembered(), 1u);
  // The same proof checks again (it is still good), but cannot be used twice.
  auto second = check_bound(proofs, {proof}, jose::thumbprint(key));
  ASSERT_TRUE(second.ok());
  auto replay = proofs.remember(*second, kNow);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().code, dpop::ProofError::kReplayed);
  // One cache for the server: the token endpoint sees what /userinfo remembered.
  EXPECT_EQ(proofs.replay_cache()->size(), 1u);
}

TEST(DpopProofsTest, ABoundProofNeedsTheServersNonceWhenNoncesAreOn) {
  DpopPolicy policy;
  policy.nonce = true;
  DpopProofs proofs(std::string(kEndpoint), policy);
  ASSERT_NE(proofs.nonce_source(), nullptr);
  const auto& key = test_key(jose::Algorithm::kES256);
  const std::string jkt = jose::thumbprint(key);
  auto missing = check_bound(proofs, {bound_proof(key)}, jkt);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().wants_nonce());
  const auto nonce = proofs.nonce(kNow);
  ASSERT_TRUE(nonce.has_value());
  EXPECT_TRUE(check_bound(proofs, {bound_proof(key, "GET", kUserinfo, *nonce)}, jkt).ok());
}

TEST(DpopProofsTest, NoNonceSourceWhenNoncesAreOff) {
  DpopProofs proofs(std::string(kEndpoint), DpopPolicy{});
  EXPECT_EQ(proofs.nonce_source(), nullptr);
  EXPECT_NE(proofs.replay_cache(), nullptr);
}

TEST(DpopProofsTest, EachRefusalGetsItsOAuthError) {
  const auto answer = [](dpop::ProofError e) {
    return proof_refused(dpop::ProofFailure{e, std::nullopt, {}}, kEndpoint);
  };
  EXPECT_EQ(answer(dpop::ProofError::kNonceMissing).code, OAuthErrorCode::kUseDpopNonce);
  EXPECT_EQ(answer(dpop::ProofError::kNonceInvalid).code, OAuthErrorCode::kUseDpopNonce);
  EXPECT_NE(answer(dpop::ProofError::kNonceMissing).description.find("DPoP-Nonce"),
            std::string::npos);
  for (std::size_t i = 0; i < kProofErrors; ++i) {
    const auto e = static_cast<dpop::ProofError>(i);
    if (e == dpop::ProofError::kNonceMissing || e == dpop::ProofError::kNonceInvalid ||
        e == dpop::ProofError::kReplayUnrecorded) {
      continue;  // use_dpop_nonce above; 503 in DpopLedgerTest.AtAResourceAnUnreachableStoreIsA503
    }
    const OAuthError err = answer(e);
    EXPECT_EQ(err.code, OAuthErrorCode::kInvalidDpopProof) << rule_name(e);
    // The rule's own sentence leads, so the client learns which rule failed.
    const std::string rule = dpop::ProofFailure{e, std::nullopt, {}}.description();
    EXPECT_EQ(err.description.rfind(rule, 0), 0u) << err.description;
    EXPECT_EQ(http_status(err.code), 400);
  }
  EXPECT_NE(answer(dpop::ProofError::kMultiple).description.find("exactly one DPoP header"),
            std::string::npos);
  // A proof for the wrong URL is told the right one.
  EXPECT_NE(
      answer(dpop::ProofError::kHtu).description.find(std::string("htu ") + std::string(kEndpoint)),
      std::string::npos)
      << answer(dpop::ProofError::kHtu).description;
}

TEST(DpopProofsTest, RuleNamesAreDistinctLabels) {
  std::vector<std::string_view> seen;
  for (std::size_t i = 0; i < kProofErrors; ++i) {
    const auto name = rule_name(static_cast<dpop::ProofError>(i));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(std::count(seen.begin(), seen.end(), name), 0) << name;
    seen.push_back(name);
  }
}

TEST(DpopProofsTest, AnApiThatRequiresDpopRefusesARequestWithoutAProof) {
  store::Api api;
  api.identifier = "https://quickstarts/api";
  RequestNotes notes;
  EXPECT_TRUE(dpop_allowed(api, "", &notes).ok());
  api.require_dpop = true;
  EXPECT_TRUE(dpop_allowed(api, "some-thumbprint", &notes).ok());
  EXPECT_TRUE(notes.dpop_error.empty());
  auto refused = dpop_allowed(api, "", &notes);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, OAuthErrorCode::kInvalidDpopProof);
  EXPECT_NE(refused.error().description.find("the API 'https://quickstarts/api' requires DPoP"),
            std::string::npos)
      << refused.error().description;
  EXPECT_EQ(notes.dpop_error, "missing");
}

// --- the ledger: proofs used on any replica, in the store they share ---------------------------

// Two "replicas": DpopProofs of their own (each its own replay cache), recording in one SQLite
// store through StoreReplayLedger, as serve replicas do in one PostgreSQL database. The store is
// reached through a ForwardingStore, so that a test can make it stop answering.
class DpopLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::SqliteStore::open(dir_.file("signet.db")).value();
    flaky_ = std::make_unique<store::testing::ForwardingStore>(*store_);
  }
  std::unique_ptr<DpopProofs> replica() {
    return std::make_unique<DpopProofs>(std::string(kEndpoint), DpopPolicy{}, std::string(),
                                        std::make_shared<StoreReplayLedger>(*flaky_, secrets_));
  }
  void stop_answering() {
    flaky_->failures["record_dpop_proof"] =
        store::StoreError{store::StoreErrorCode::kUnavailable, "connection refused"};
  }

  signet::testing::TempDir dir_;
  std::unique_ptr<store::SqlStore> store_;
  std::unique_ptr<store::testing::ForwardingStore> flaky_;
  SecretHasher secrets_ = SecretHasher::from_key(std::array<std::uint8_t, 32>{7});
};

TEST_F(DpopLedgerTest, AProofOneReplicaTookIsAReplayOnAnother) {
  auto one = replica();
  auto two = replica();
  const std::string p = proof(test_key(jose::Algorithm::kES256));
  ASSERT_TRUE(check(*one, {p}).ok());
  const auto r = check(*two, {p});
  EXPECT_EQ(error_of(r), dpop::ProofError::kReplayed);
  EXPECT_EQ(refused(*two, dpop::ProofError::kReplayed), 1u);
  // The first replica answers from its own cache, without the store.
  stop_answering();
  EXPECT_EQ(error_of(check(*one, {p})), dpop::ProofError::kReplayed);
  // Another proof of the same key, and the same jti under another key, are new.
  flaky_->failures.clear();
  EXPECT_TRUE(check(*two, {proof(test_key(jose::Algorithm::kES256))}).ok());
}

TEST_F(DpopLedgerTest, TheStoreHoldsAKeyedHashOfTheProofNotItsJti) {
  auto one = replica();
  auto r = check(*one, {proof(test_key(jose::Algorithm::kES256))});
  ASSERT_TRUE(r.ok() && r->has_value());
  const std::string id = (*r)->jkt + "." + (*r)->jti;
  // What the ledger wrote, under the hash it computes, is there (a replay), and expires when the
  // proof goes stale: iat + lifetime + leeway, and a second more.
  const auto stale = store::Timestamp{std::chrono::seconds{kNow + 65 + 1}};
  EXPECT_FALSE(store_
                   ->record_dpop_proof(secrets_.hash(id), stale,
                                       store::Timestamp{std::chrono::seconds{kNow}})
                   .value());
  EXPECT_TRUE(store_->record_dpop_proof(secrets_.hash(id), stale + std::chrono::seconds{65}, stale)
                  .value());
}

TEST_F(DpopLedgerTest, AtTheTokenEndpointAnUnreachableStoreLeavesThisProcesssCache) {
  // Client credentials are issued through a store outage (--store-outage-grace); the proof is
  // then used once on this replica, as before the ledger.
  auto one = replica();
  stop_answering();
  const std::string p = proof(test_key(jose::Algorithm::kES256));
  ASSERT_TRUE(check(*one, {p}).ok());
  EXPECT_EQ(error_of(check(*one, {p})), dpop::ProofError::kReplayed);
  EXPECT_EQ(one->counters().accepted.load(), 1u);
}

TEST_F(DpopLedgerTest, AtAResourceAnUnreachableStoreIsA503) {
  auto one = replica();
  auto two = replica();
  const auto& key = test_key(jose::Algorithm::kES256);
  const std::string jkt = jose::thumbprint(key);
  const std::string p = bound_proof(key);
  auto first = check_bound(*one, {p}, jkt);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(one->remember(*first, kNow).ok());
  // Another replica refuses the proof as a replay.
  auto again = check_bound(*two, {p}, jkt);
  ASSERT_TRUE(again.ok());
  auto replay = two->remember(*again, kNow);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().code, dpop::ProofError::kReplayed);
  // With the store down, a new proof is refused: accepting it could let its replay through
  // elsewhere. Not the proof's fault: 503 with Retry-After, not invalid_dpop_proof.
  stop_answering();
  auto fresh = check_bound(*two, {bound_proof(key)}, jkt);
  ASSERT_TRUE(fresh.ok());
  auto unrecorded = two->remember(*fresh, kNow);
  ASSERT_FALSE(unrecorded.ok());
  EXPECT_EQ(unrecorded.error().code, dpop::ProofError::kReplayUnrecorded);
  EXPECT_TRUE(unrecorded.error().unavailable());
  EXPECT_EQ(two->resource_counters()
                .refused[static_cast<std::size_t>(dpop::ProofError::kReplayUnrecorded)]
                .load(),
            1u);
  const OAuthError answer = proof_refused(unrecorded.error(), kEndpoint);
  EXPECT_EQ(answer.code, OAuthErrorCode::kTemporarilyUnavailable);
  EXPECT_EQ(http_status(answer.code), 503);
  EXPECT_EQ(answer.retry_after, kStoreUnavailableRetryAfter);
  EXPECT_NE(answer.description.find("retry shortly"), std::string::npos) << answer.description;
}

}  // namespace
}  // namespace signet::server
