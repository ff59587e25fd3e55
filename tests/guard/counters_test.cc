#include "signet/guard/counters.h"

#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "signet/metrics/registry.h"
#include "tests/guard/guard_test_support.h"

namespace signet::guard {
namespace {

namespace json = boost::json;
using namespace testing;  // NOLINT: the guard test helpers

json::object parsed(const Counters& c) {
  return json::parse(c.to_json()).as_object();
}

TEST(Counters, StartAtZeroWithNoFailureNames) {
  Counters c;
  const json::object o = parsed(c);
  EXPECT_EQ(o.at("verified_ok").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(o.at("jwks_fetches").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(o.at("jwks_fetch_failures").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(o.at("token_cache_hits").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(o.at("token_cache_misses").to_number<std::uint64_t>(), 0u);
  EXPECT_TRUE(o.at("failures").as_object().empty());
  EXPECT_EQ(c.total_failures(), 0u);
}

TEST(Counters, CountGuardAndJoseFailuresSeparately) {
  Counters c;
  c.count_failure(Failure{Error::kKidUnknown});
  c.count_failure(Failure{Error::kKidUnknown});
  c.count_failure(Failure{Error::kAudMismatch});
  c.count_failure(Failure{Error::kToken, jose::Error::kExpired});
  EXPECT_EQ(c.failures(Error::kKidUnknown), 2u);
  EXPECT_EQ(c.failures(Error::kAudMismatch), 1u);
  EXPECT_EQ(c.failures(Error::kIssMismatch), 0u);
  EXPECT_EQ(c.failures(jose::Error::kExpired), 1u);
  EXPECT_EQ(c.failures(jose::Error::kSignatureInvalid), 0u);
  // A kToken failure is counted under its JOSE rule, not under kToken.
  EXPECT_EQ(c.failures(Error::kToken), 0u);
  EXPECT_EQ(c.total_failures(), 4u);
}

TEST(Counters, FirstAndLastRulesOfEachEnumAreCounted) {
  Counters c;
  c.count_failure(Failure{Error::kNoCredentials});
  c.count_failure(Failure{Error::kInsufficientScope});
  c.count_failure(Failure{Error::kToken, jose::Error::kBase64Alphabet});
  c.count_failure(Failure{Error::kToken, jose::Error::kIatInFuture});
  EXPECT_EQ(c.failures(Error::kNoCredentials), 1u);
  EXPECT_EQ(c.failures(Error::kInsufficientScope), 1u);
  EXPECT_EQ(c.failures(jose::Error::kBase64Alphabet), 1u);
  EXPECT_EQ(c.failures(jose::Error::kIatInFuture), 1u);
  const json::object failures = parsed(c).at("failures").as_object();
  EXPECT_EQ(failures.size(), 4u);
  EXPECT_EQ(failures.at(to_string(Error::kInsufficientScope)).to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(failures.at(jose::to_string(jose::Error::kIatInFuture)).to_number<std::uint64_t>(), 1u);
}

TEST(Counters, DpopProofFailuresAreCountedByTheirRule) {
  Counters c;
  const auto proof = [](jose::dpop::ProofError e) {
    return Failure{Error::kDpopProof, {}, {}, jose::dpop::ProofFailure{e, std::nullopt, {}}};
  };
  c.count_failure(proof(jose::dpop::ProofError::kMissing));      // the first rule
  c.count_failure(proof(jose::dpop::ProofError::kKeyMismatch));  // the last
  c.count_failure(proof(jose::dpop::ProofError::kReplayed));
  c.count_failure(proof(jose::dpop::ProofError::kReplayed));
  EXPECT_EQ(c.failures(jose::dpop::ProofError::kMissing), 1u);
  EXPECT_EQ(c.failures(jose::dpop::ProofError::kKeyMismatch), 1u);
  EXPECT_EQ(c.dpop_replays(), 2u);
  EXPECT_EQ(c.failures(Error::kDpopProof), 0u);  // under its DPoP rule, as kToken under JOSE's
  EXPECT_EQ(c.total_failures(), 4u);
  const json::object failures = parsed(c).at("failures").as_object();
  EXPECT_EQ(failures.at(jose::dpop::to_string(jose::dpop::ProofError::kReplayed))
                .to_number<std::uint64_t>(),
            2u);
}

TEST(Counters, RegisteredSeriesIncludeDpopProofsAndReplays) {
  Counters c;
  c.dpop_proofs_verified = 3;
  c.count_failure(
      Failure{Error::kDpopProof,
              {},
              {},
              jose::dpop::ProofFailure{jose::dpop::ProofError::kReplayed, std::nullopt, {}}});
  metrics::Registry registry;
  register_counters(registry, c);
  const std::string text = registry.expose();
  EXPECT_NE(text.find("signet_guard_dpop_proofs_verified_total 3"), std::string::npos) << text;
  EXPECT_NE(text.find("signet_guard_dpop_replays_total 1"), std::string::npos) << text;
  const std::string replayed(jose::dpop::to_string(jose::dpop::ProofError::kReplayed));
  EXPECT_NE(text.find("signet_guard_refused_total{rule=\"" + replayed + "\"} 1"), std::string::npos)
      << text;
}

TEST(Counters, ToJsonNamesEachFailureWithItsCount) {
  Counters c;
  c.verified_ok = 7;
  c.jwks_fetches = 3;
  c.jwks_fetch_failures = 1;
  c.token_cache_hits = 5;
  c.token_cache_misses = 2;
  c.count_failure(Failure{Error::kKidUnknown});
  c.count_failure(Failure{Error::kKidUnknown});
  c.count_failure(Failure{Error::kToken, jose::Error::kExpired});

  const std::string text = c.to_json();
  EXPECT_NE(text.find(std::string(to_string(Error::kKidUnknown))), std::string::npos) << text;
  EXPECT_NE(text.find(std::string(jose::to_string(jose::Error::kExpired))), std::string::npos)
      << text;

  const json::object o = parsed(c);
  EXPECT_EQ(o.at("verified_ok").to_number<std::uint64_t>(), 7u);
  EXPECT_EQ(o.at("jwks_fetches").to_number<std::uint64_t>(), 3u);
  EXPECT_EQ(o.at("jwks_fetch_failures").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(o.at("token_cache_hits").to_number<std::uint64_t>(), 5u);
  EXPECT_EQ(o.at("token_cache_misses").to_number<std::uint64_t>(), 2u);
  const json::object failures = o.at("failures").as_object();
  EXPECT_EQ(failures.size(), 2u);  // rules never hit are left out
  EXPECT_EQ(failures.at(to_string(Error::kKidUnknown)).to_number<std::uint64_t>(), 2u);
  EXPECT_EQ(failures.at(jose::to_string(jose::Error::kExpired)).to_number<std::uint64_t>(), 1u);
}

TEST(Counters, GuardCountsWhatItDecides) {
  GuardHarness h;
  const std::string good = h.token();
  ASSERT_TRUE(h.guard->verify(good));
  auto expired_claims = h.claims();
  expired_claims["exp"] = h.now() - 1;
  ASSERT_FALSE(h.guard->verify(mint(signing_key(), expired_claims)));
  auto foreign = h.claims();
  foreign["aud"] = "https://other.test/";
  ASSERT_FALSE(h.guard->verify(mint(signing_key(), foreign)));

  const Counters& c = h.guard->counters();
  EXPECT_EQ(c.verified_ok.load(), 1u);
  EXPECT_EQ(c.failures(jose::Error::kExpired), 1u);
  EXPECT_EQ(c.failures(Error::kAudMismatch), 1u);
  EXPECT_EQ(c.total_failures(), 2u);
  EXPECT_EQ(c.jwks_fetches.load(), 1u);
  EXPECT_EQ(c.token_cache_misses.load(), 3u);
  const json::object failures = parsed(c).at("failures").as_object();
  EXPECT_EQ(failures.at(to_string(Error::kAudMismatch)).to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(failures.at(jose::to_string(jose::Error::kExpired)).to_number<std::uint64_t>(), 1u);
}

TEST(Counters, AuthorizeDoesNotCountRequestsWithoutCredentials) {
  GuardHarness h;
  const std::vector<std::string> scopes{std::string(testing::kScope)};
  const std::vector<std::string_view> none;
  EXPECT_EQ(h.guard->authorize(Credentials{none, {}}, scopes).status, 401u);
  EXPECT_EQ(h.guard->counters().total_failures(), 0u);
  const std::vector<std::string_view> malformed{"Bearer a b"};
  EXPECT_EQ(h.guard->authorize(Credentials{malformed, {}}, scopes).status, 400u);
  EXPECT_EQ(h.guard->counters().failures(Error::kMalformedHeader), 1u);
  EXPECT_EQ(h.guard->counters().total_failures(), 1u);
}

}  // namespace
}  // namespace signet::guard
