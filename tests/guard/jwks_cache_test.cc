#include "signet/guard/jwks_cache.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "signet/jose/base64url.h"
#include "tests/guard/guard_test_support.h"

namespace signet::guard {
namespace {

using namespace testing;  // NOLINT: the guard test helpers
using namespace std::chrono_literals;
using jose::Algorithm;
using std::chrono::seconds;

// A JwksCache alone over a FakeKeySource and a FakeClock.
class CacheHarness {
 public:
  explicit CacheHarness(GuardConfig c = test_config(),
                        std::vector<jose::Jwk> keys = {public_half(signing_key())})
      : config(std::move(c)),
        clock(std::make_shared<FakeClock>()),
        source(std::make_shared<FakeKeySource>(std::move(keys))),
        cache(std::make_unique<JwksCache>(source, clock, config, counters)) {}

  Result<JwksCache::Found, Error> find(const std::string& kid) { return cache->find(kid, kAlg); }
  seconds ttl() const {
    const auto set = cache->current();
    return std::chrono::duration_cast<seconds>(set->expires_at - set->fetched_at);
  }

  GuardConfig config;
  std::shared_ptr<FakeClock> clock;
  std::shared_ptr<FakeKeySource> source;
  Counters counters;
  std::unique_ptr<JwksCache> cache;
};

// A token valid at the harness's current time, unique (jti) so the token cache cannot answer.
std::string fresh_token(GuardHarness& h, const jose::Jwk& key) {
  static std::atomic<int> serial{0};
  auto claims = h.claims();
  claims["jti"] = "t-" + std::to_string(serial++);
  return mint(key, claims);
}
std::string fresh_token(GuardHarness& h) {
  return fresh_token(h, signing_key());
}

GuardConfig without_token_cache() {
  GuardConfig c = test_config();
  c.token_cache = false;
  return c;
}

// --- fetch counting ------------------------------------------------------------------------------

TEST(JwksCache, TenVerificationsOneFetch) {
  GuardHarness h(without_token_cache());
  for (int i = 0; i < 10; ++i) {
    auto r = h.guard->verify(fresh_token(h));
    ASSERT_TRUE(r) << r.error().description();
  }
  EXPECT_EQ(h.source->fetches(), 1);
  EXPECT_EQ(h.guard->counters().jwks_fetches.load(), 1u);
  EXPECT_EQ(h.guard->counters().verified_ok.load(), 10u);
}

TEST(JwksCache, FirstFindFetchesAndPublishesAGeneration) {
  CacheHarness h;
  EXPECT_EQ(h.cache->current(), nullptr);
  auto found = h.find(kKid());
  ASSERT_TRUE(found);
  EXPECT_EQ(found->key->kid, kKid());
  ASSERT_NE(h.cache->current(), nullptr);
  EXPECT_EQ(h.cache->current()->generation, 1u);
  EXPECT_EQ(h.cache->current()->fetched_at, h.clock->now());
  EXPECT_EQ(h.source->fetches(), 1);
  EXPECT_EQ(h.counters.jwks_fetches.load(), 1u);
}

TEST(JwksCache, RefreshReportsSuccessAndFailure) {
  CacheHarness h;
  EXPECT_TRUE(h.cache->refresh());
  EXPECT_TRUE(h.cache->refresh());
  EXPECT_EQ(h.cache->current()->generation, 2u);
  h.source->fail_with("HTTP status 500");
  EXPECT_FALSE(h.cache->refresh());
  EXPECT_EQ(h.cache->last_error(), "HTTP status 500");
  EXPECT_EQ(h.cache->current()->generation, 2u);  // the last good set stays
  EXPECT_EQ(h.counters.jwks_fetches.load(), 3u);
  EXPECT_EQ(h.counters.jwks_fetch_failures.load(), 1u);
  h.source->recover();
  EXPECT_TRUE(h.cache->refresh());
  EXPECT_EQ(h.cache->last_error(), "");
}

// --- unknown kid and cooldown --------------------------------------------------------------------

TEST(JwksCache, UnknownKidTriggersOneRefetchThenKidUnknown) {
  GuardHarness h(without_token_cache());
  ASSERT_TRUE(h.guard->verify(fresh_token(h)));
  ASSERT_EQ(h.source->fetches(), 1);
  const std::string stranger = fresh_token(h, with_kid(signing_key(), "stranger"));
  EXPECT_EQ(failure_of(*h.guard, stranger), Failure{Error::kKidUnknown});
  EXPECT_EQ(h.source->fetches(), 2);
  // Within the cooldown the same kid costs no further fetch.
  EXPECT_EQ(failure_of(*h.guard, stranger), Failure{Error::kKidUnknown});
  EXPECT_EQ(h.source->fetches(), 2);
  // Known kids keep working without fetching.
  EXPECT_TRUE(h.guard->verify(fresh_token(h)));
  EXPECT_EQ(h.source->fetches(), 2);
}

TEST(JwksCache, FloodOfRandomKidsWithinTheCooldownCostsAtMostOneFetch) {
  CacheHarness h;
  ASSERT_TRUE(h.find(kKid()));
  ASSERT_EQ(h.source->fetches(), 1);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 1000; ++i) {
    const auto found = h.find("random-" + std::to_string(rng()));
    ASSERT_FALSE(found);
    ASSERT_EQ(found.error(), Error::kKidUnknown);
    if (i % 100 == 0) {
      h.clock->advance(seconds{1});  // the flood spans 10 s, within the 30 s cooldown
    }
  }
  EXPECT_EQ(h.source->fetches(), 2);
  EXPECT_EQ(h.counters.jwks_fetches.load(), 2u);
}

TEST(JwksCache, FloodOfRandomKidsThroughTheGuardCostsAtMostOneFetch) {
  GuardHarness h;
  ASSERT_TRUE(h.guard->verify(h.token()));
  // One signed token; its kid is rewritten in the (unverified) header for every request.
  const std::string payload_and_sig = h.token().substr(h.token().find('.'));
  for (int i = 0; i < 200; ++i) {
    const std::string header =
        jose::base64url_encode(R"({"alg":"EdDSA","kid":"r)" + std::to_string(i) + R"("})");
    EXPECT_EQ(failure_of(*h.guard, header + payload_and_sig), Failure{Error::kKidUnknown});
  }
  EXPECT_EQ(h.source->fetches(), 2);
  EXPECT_EQ(h.guard->counters().failures(Error::kKidUnknown), 200u);
}

TEST(JwksCache, AnotherRefetchOnlyOnceTheCooldownHasPassed) {
  CacheHarness h;
  ASSERT_TRUE(h.find(kKid()));
  EXPECT_FALSE(h.find("a"));
  EXPECT_EQ(h.source->fetches(), 2);
  h.clock->advance(h.config.jwks_cooldown - seconds{1});
  EXPECT_FALSE(h.find("b"));
  EXPECT_EQ(h.source->fetches(), 2);
  h.clock->advance(seconds{1});
  EXPECT_FALSE(h.find("c"));
  EXPECT_EQ(h.source->fetches(), 3);
}

TEST(JwksCache, KeyRotationIsPickedUpWithOneRefetch) {
  GuardHarness h(without_token_cache());
  ASSERT_TRUE(h.guard->verify(fresh_token(h)));
  // The issuer starts signing with a new key (kid "next") and publishes it.
  const jose::Jwk next = with_kid(other_key(kAlg), "next");
  h.source->serve({public_half(signing_key()), public_half(next)});
  auto r = h.guard->verify(fresh_token(h, next));
  ASSERT_TRUE(r) << r.error().description();
  EXPECT_EQ((*r)->kid, "next");
  EXPECT_EQ(h.source->fetches(), 2);
  EXPECT_EQ(h.guard->jwks().current()->generation, 2u);
  // Both keys verify without further fetching.
  EXPECT_TRUE(h.guard->verify(fresh_token(h)));
  EXPECT_TRUE(h.guard->verify(fresh_token(h, next)));
  EXPECT_EQ(h.source->fetches(), 2);
}

TEST(JwksCache, NoKidAmbiguityDoesNotRefetch) {
  CacheHarness h(test_config(), {public_half(signing_key()), public_half(other_key(kAlg))});
  const auto found = h.cache->find(std::nullopt, kAlg);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error(), Error::kKidMissing);
  EXPECT_EQ(h.source->fetches(), 1);
}

// --- issuer outage -------------------------------------------------------------------------------

TEST(JwksCache, CachedKeysOutliveAnIssuerOutageUntilMaxStale) {
  GuardHarness h(without_token_cache());
  ASSERT_TRUE(h.guard->start());
  const auto expires_at = h.guard->jwks().current()->expires_at;
  h.source->fail_with("connection refused");

  // Past expiry the refresh fails, and the keys keep serving.
  h.clock->set(std::chrono::duration_cast<seconds>(expires_at.time_since_epoch()).count());
  h.guard->jwks().refresh_if_due();
  EXPECT_EQ(h.source->fetches(), 2);
  EXPECT_TRUE(h.guard->verify(fresh_token(h)));

  // One second before expires_at + max_stale: still serving.
  h.clock->advance(h.guard->config().jwks_max_stale - seconds{1});
  auto r = h.guard->verify(fresh_token(h));
  EXPECT_TRUE(r) << r.error().description();

  // At expires_at + max_stale the keys are no longer trusted.
  h.clock->advance(seconds{1});
  EXPECT_EQ(failure_of(*h.guard, fresh_token(h)), Failure{Error::kKeysUnavailable});
  EXPECT_EQ(h.guard->last_jwks_error(), "connection refused");

  // The issuer comes back: after the failure cooldown the next request fetches again.
  h.source->recover();
  EXPECT_EQ(failure_of(*h.guard, fresh_token(h)), Failure{Error::kKeysUnavailable});
  h.clock->advance(h.guard->config().jwks_cooldown);
  r = h.guard->verify(fresh_token(h));
  EXPECT_TRUE(r) << r.error().description();
}

TEST(JwksCache, FailedFetchIsRetriedOnTheRequestPathOnlyAfterTheCooldown) {
  GuardHarness h(without_token_cache());
  h.source->fail_with("timeout");
  EXPECT_EQ(failure_of(*h.guard, fresh_token(h)), Failure{Error::kKeysUnavailable});
  EXPECT_EQ(h.source->fetches(), 1);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(failure_of(*h.guard, fresh_token(h)), Failure{Error::kKeysUnavailable});
  }
  EXPECT_EQ(h.source->fetches(), 1);  // a dead issuer does not cost every request a timeout
  h.source->recover();
  h.clock->advance(h.guard->config().jwks_cooldown - seconds{1});
  EXPECT_EQ(failure_of(*h.guard, fresh_token(h)), Failure{Error::kKeysUnavailable});
  EXPECT_EQ(h.source->fetches(), 1);
  h.clock->advance(seconds{1});
  EXPECT_TRUE(h.guard->verify(fresh_token(h)));
  EXPECT_EQ(h.source->fetches(), 2);
  EXPECT_EQ(h.guard->counters().jwks_fetch_failures.load(), 1u);
}

// Regression (fixed in a9c9e97): keys past expires_at but within jwks_max_stale were served
// without any refetch; only the background refresher refreshed them, so with background_refresh
// off (or before start()) a reachable issuer's withdrawn key kept verifying for up to
// jwks_max_stale past the TTL.
TEST(JwksCache, ExpiredKeysAreRefetchedOnTheRequestPathWithoutBackgroundRefresh) {
  GuardHarness h(without_token_cache());
  ASSERT_TRUE(h.guard->verify(fresh_token(h)));
  const auto expires_at = h.guard->jwks().current()->expires_at;
  // The issuer withdraws the key.
  h.source->serve({public_half(other_key(kAlg))});
  h.clock->set(std::chrono::duration_cast<seconds>(expires_at.time_since_epoch()).count() + 1);
  const auto r = h.guard->verify(fresh_token(h));
  EXPECT_EQ(h.source->fetches(), 2) << "expired keys were used without asking the issuer";
  ASSERT_FALSE(r) << "a withdrawn key verified a token after its key set expired";
  EXPECT_EQ(r.error(), Failure{Error::kKidUnknown});
}

TEST(JwksCache, ExpiredKeysServeStaleWhenTheRefetchFails) {
  GuardHarness h(without_token_cache());
  ASSERT_TRUE(h.guard->verify(fresh_token(h)));
  const auto expires_at = h.guard->jwks().current()->expires_at;
  h.source->fail_with("connection refused");
  h.clock->set(std::chrono::duration_cast<seconds>(expires_at.time_since_epoch()).count() + 1);
  auto r = h.guard->verify(fresh_token(h));
  EXPECT_TRUE(r) << r.error().description();
  EXPECT_EQ(h.source->fetches(), 2);  // asked, failed, fell back to the stale keys
  r = h.guard->verify(fresh_token(h));
  EXPECT_TRUE(r) << r.error().description();
  EXPECT_EQ(h.source->fetches(), 2);  // and does not ask again within the cooldown
}

// Regression (fixed in a9c9e97): a request whose kid was already being refetched (a rotation
// seen by two requests at once) got kKidUnknown at once instead of the fetch's answer.
TEST(JwksCache, UnknownKidWaitsForTheRefetchAlreadyUnderWay) {
  CacheHarness h;
  ASSERT_TRUE(h.find(kKid()));
  const jose::Jwk next = with_kid(other_key(kAlg), "next");
  h.source->serve({public_half(signing_key()), public_half(next)});
  h.source->block();
  std::optional<Result<JwksCache::Found, Error>> first;
  std::thread t([&] { first.emplace(h.find("next")); });
  if (!h.source->wait_for_fetches(2, 5s)) {
    h.source->unblock();
    t.join();
    FAIL() << "the unknown kid did not trigger a refetch";
  }
  std::thread unblocker([&] {
    std::this_thread::sleep_for(200ms);
    h.source->unblock();
  });
  const auto second = h.find("next");  // within the cooldown, while the fetch runs
  t.join();
  unblocker.join();
  ASSERT_TRUE(first && *first);
  ASSERT_TRUE(second) << "refused while the fetch that answers it was under way";
  EXPECT_EQ(second->key->kid, "next");
  EXPECT_EQ(h.source->fetches(), 2);
}

// --- TTL -----------------------------------------------------------------------------------------

TEST(JwksCache, TtlWithoutMaxAgeIsTheConfiguredDefault) {
  CacheHarness h;
  ASSERT_TRUE(h.cache->refresh());
  EXPECT_EQ(h.ttl(), kJwksDefaultTtl);
  GuardConfig c = test_config();
  c.jwks_default_ttl = seconds{120};
  CacheHarness custom(c);
  ASSERT_TRUE(custom.cache->refresh());
  EXPECT_EQ(custom.ttl(), seconds{120});
}

TEST(JwksCache, MaxAgeIsUsedWithinBounds) {
  CacheHarness h;
  h.source->set_max_age(seconds{300});
  ASSERT_TRUE(h.cache->refresh());
  EXPECT_EQ(h.ttl(), seconds{300});
}

TEST(JwksCache, TinyMaxAgeIsRaisedToTheMinimum) {
  CacheHarness h;
  h.source->set_max_age(seconds{1});
  ASSERT_TRUE(h.cache->refresh());
  EXPECT_EQ(h.ttl(), kJwksMinTtl);
  h.source->set_max_age(seconds{0});  // no-store / no-cache
  ASSERT_TRUE(h.cache->refresh());
  EXPECT_EQ(h.ttl(), kJwksMinTtl);
  h.source->set_max_age(kJwksMinTtl - seconds{1});
  ASSERT_TRUE(h.cache->refresh());
  EXPECT_EQ(h.ttl(), kJwksMinTtl);
}

TEST(JwksCache, HugeMaxAgeIsLoweredToTheMaximum) {
  CacheHarness h;
  h.source->set_max_age(std::chrono::days{10});
  ASSERT_TRUE(h.cache->refresh());
  EXPECT_EQ(h.ttl(), kJwksMaxTtl);
  h.source->set_max_age(kJwksMaxTtl + seconds{1});
  ASSERT_TRUE(h.cache->refresh());
  EXPECT_EQ(h.ttl(), kJwksMaxTtl);
}

TEST(JwksCache, RefreshIfDueFetchesAtEightyPercentOfTheTtl) {
  CacheHarness h;
  h.source->set_max_age(seconds{100});
  ASSERT_TRUE(h.cache->refresh());
  ASSERT_EQ(h.source->fetches(), 1);
  h.cache->refresh_if_due();
  EXPECT_EQ(h.source->fetches(), 1);
  h.clock->advance(seconds{79});
  h.cache->refresh_if_due();
  EXPECT_EQ(h.source->fetches(), 1);
  h.clock->advance(seconds{1});
  h.cache->refresh_if_due();
  EXPECT_EQ(h.source->fetches(), 2);
  // The new set starts a new period.
  h.cache->refresh_if_due();
  EXPECT_EQ(h.source->fetches(), 2);
}

TEST(JwksCache, RefreshIfDueFetchesWhenNothingIsCached) {
  CacheHarness h;
  h.cache->refresh_if_due();
  EXPECT_EQ(h.source->fetches(), 1);
  EXPECT_NE(h.cache->current(), nullptr);
}

TEST(JwksCache, RefreshIfDueRetriesFailuresAtTheCooldownPace) {
  CacheHarness h;
  h.source->fail_with("down");
  h.cache->refresh_if_due();
  EXPECT_EQ(h.source->fetches(), 1);
  h.clock->advance(h.config.jwks_cooldown - seconds{1});
  h.cache->refresh_if_due();
  EXPECT_EQ(h.source->fetches(), 1);
  h.clock->advance(seconds{1});
  h.cache->refresh_if_due();
  EXPECT_EQ(h.source->fetches(), 2);
}

// --- concurrency ---------------------------------------------------------------------------------

TEST(JwksCache, ConcurrentFindsOnAnEmptyCacheShareOneFetch) {
  CacheHarness h;
  h.source->block();
  constexpr int kThreads = 8;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      if (h.find(kKid())) {
        ++ok;
      }
    });
  }
  EXPECT_TRUE(h.source->wait_for_fetches(1, 5s));
  std::this_thread::sleep_for(300ms);  // let every other caller queue up behind that fetch
  h.source->unblock();
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(h.source->fetches(), 1);
  EXPECT_EQ(h.counters.jwks_fetches.load(), 1u);
}

TEST(JwksCache, BackgroundRefreshFetchesWhenDueAndStopsPromptly) {
  CacheHarness h;
  h.source->set_max_age(seconds{100});
  ASSERT_TRUE(h.cache->refresh());
  h.clock->advance(seconds{80});
  h.cache->start_background_refresh();
  EXPECT_TRUE(h.source->wait_for_fetches(2, 5s));
  const auto before = std::chrono::steady_clock::now();
  h.cache->stop_background_refresh();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
  EXPECT_EQ(h.cache->current()->generation, 2u);
}

TEST(JwksCache, BackgroundRefreshStartStopDoesNotHang) {
  CacheHarness h;
  const auto before = std::chrono::steady_clock::now();
  h.cache->start_background_refresh();
  h.cache->start_background_refresh();  // already running: no second thread
  h.cache->stop_background_refresh();
  h.cache->stop_background_refresh();   // already stopped
  h.cache->start_background_refresh();  // restartable
  h.cache->stop_background_refresh();
  h.cache->start_background_refresh();
  h.cache.reset();  // the destructor stops it
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);
}

TEST(JwksCache, GuardWithBackgroundRefreshStartsAndStops) {
  GuardConfig c = test_config();
  c.background_refresh = true;
  const auto before = std::chrono::steady_clock::now();
  {
    GuardHarness h(c);
    EXPECT_TRUE(h.guard->start());
    EXPECT_TRUE(h.guard->verify(h.token()));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);
}

}  // namespace
}  // namespace signet::guard

// --- KeyWait::kNever: callers on I/O threads are told to retry elsewhere, never blocked ------

namespace signet::guard {
namespace {

using namespace testing;  // NOLINT: the guard test helpers

TEST(JwksCacheKeyWait, NoKeysYetIsPendingWithoutFetching) {
  GuardHarness h(without_token_cache());
  auto r = h.guard->verify(h.token(), KeyWait::kNever);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Failure{Error::kKeysPending});
  EXPECT_EQ(h.source->fetches(), 0);
  EXPECT_EQ(h.guard->counters().total_failures(), 0u);  // a retry, not an outcome
  EXPECT_TRUE(h.guard->verify(h.token(), KeyWait::kMayBlock));
  EXPECT_EQ(h.source->fetches(), 1);
  EXPECT_TRUE(h.guard->verify(h.token(), KeyWait::kNever));  // cached keys never block
  EXPECT_EQ(h.source->fetches(), 1);
}

TEST(JwksCacheKeyWait, UnknownKidIsPendingAndLeavesTheCooldownToTheFetchingCall) {
  GuardHarness h(without_token_cache());
  ASSERT_TRUE(h.guard->start());
  const jose::Jwk& rotated = other_key(kAlg);
  h.source->serve({public_half(signing_key()), public_half(rotated)});
  const std::string token = mint(rotated, h.claims());
  auto r = h.guard->verify(token, KeyWait::kNever);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Failure{Error::kKeysPending});
  EXPECT_EQ(h.source->fetches(), 1);
  // The pending answer did not use up the refetch: the blocking retry still gets it.
  EXPECT_TRUE(h.guard->verify(token, KeyWait::kMayBlock));
  EXPECT_EQ(h.source->fetches(), 2);
}

TEST(JwksCacheKeyWait, UnknownKidWithinTheCooldownIsRefusedAtOnce) {
  GuardHarness h(without_token_cache());
  ASSERT_TRUE(h.guard->start());
  const std::string stranger = mint(other_key(kAlg), h.claims());
  EXPECT_EQ(failure_of(*h.guard, stranger), Failure{Error::kKidUnknown});  // uses the refetch
  auto r = h.guard->verify(stranger, KeyWait::kNever);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Failure{Error::kKidUnknown});  // nothing to wait for: a plain refusal
  EXPECT_EQ(h.source->fetches(), 2);
}

}  // namespace
}  // namespace signet::guard

namespace signet::guard {
namespace {

using namespace testing;  // NOLINT: the guard test helpers

// A token without kid whose alg no published key accepts may come from a key the issuer has
// just added: like an unknown kid, it is worth one refetch per cooldown.
TEST(JwksCacheNoKid, NoCandidateKeyRefetchesOncePerCooldown) {
  GuardHarness h(without_token_cache(), {public_half(test_key(Algorithm::kES256))});
  ASSERT_TRUE(h.guard->start());
  const std::string token = mint_without_kid(signing_key(), h.claims());  // EdDSA
  EXPECT_EQ(failure_of(*h.guard, token), Failure{Error::kKidUnknown});
  EXPECT_EQ(h.source->fetches(), 2);
  EXPECT_EQ(failure_of(*h.guard, token), Failure{Error::kKidUnknown});
  EXPECT_EQ(h.source->fetches(), 2);  // within the cooldown
  jose::Jwk added = public_half(signing_key());
  added.kid.clear();
  h.source->serve({public_half(test_key(Algorithm::kES256)), added});
  h.clock->advance(h.guard->config().jwks_cooldown);
  EXPECT_TRUE(h.guard->verify(token));
  EXPECT_EQ(h.source->fetches(), 3);
}

}  // namespace
}  // namespace signet::guard
