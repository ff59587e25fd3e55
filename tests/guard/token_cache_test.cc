#include "signet/guard/token_cache.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "signet/jose/base64url.h"
#include "tests/guard/guard_test_support.h"

namespace signet::guard {
namespace {

using namespace testing;  // NOLINT: the guard test helpers
using jose::Algorithm;
using std::chrono::seconds;

std::uint64_t hits(const GuardHarness& h) {
  return h.guard->counters().token_cache_hits.load();
}
std::uint64_t misses(const GuardHarness& h) {
  return h.guard->counters().token_cache_misses.load();
}

std::string token_with_jti(const GuardHarness& h, const std::string& jti) {
  auto claims = h.claims();
  claims["jti"] = jti;
  return mint(signing_key(), claims);
}

// Clients cycling through more distinct tokens than the cache holds, round after round: the
// guard-level test and the seed sweep of TokenCache alone present the same traffic. Under LRU
// alone nothing would ever hit; with admission, every round after the first hits each entry kept.
constexpr std::size_t kCycledTokens = 14;
constexpr std::size_t kCycledEntries = 10;
constexpr std::size_t kCycleRounds = 5;
constexpr std::size_t kCycleHits = kCycledEntries * (kCycleRounds - 1);

// --- through the Guard ---------------------------------------------------------------------------

TEST(TokenCache, SecondVerificationIsAHit) {
  GuardHarness h;
  const std::string token = h.token();
  auto first = h.guard->verify(token);
  ASSERT_TRUE(first) << first.error().description();
  EXPECT_EQ(hits(h), 0u);
  EXPECT_EQ(misses(h), 1u);
  EXPECT_EQ(h.guard->token_cache_size(), 1u);

  auto second = h.guard->verify(token);
  ASSERT_TRUE(second);
  EXPECT_EQ(hits(h), 1u);
  EXPECT_EQ(misses(h), 1u);
  EXPECT_EQ(second->get(), first->get());  // the remembered verification, not a new one
  EXPECT_EQ(h.source->fetches(), 1);
  EXPECT_EQ(h.guard->counters().verified_ok.load(), 2u);
}

// The cache is keyed by the whole token: the cached token's signature on another payload, or one
// changed character anywhere, is verified afresh and refused, never served from the cache.
TEST(TokenCache, ATokenThatDiffersFromACachedOneIsVerifiedAfresh) {
  GuardHarness h;
  const std::string token = h.token();
  ASSERT_TRUE(h.guard->verify(token));
  ASSERT_TRUE(h.guard->verify(token));
  ASSERT_EQ(hits(h), 1u);

  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.find('.', dot1 + 1);
  auto claims = h.claims();
  claims["sub"] = "someone-else";
  const std::string other_payload = token.substr(0, dot1 + 1) +
                                    jose::base64url_encode(boost::json::serialize(claims)) +
                                    token.substr(dot2);
  EXPECT_EQ(failure_of(*h.guard, other_payload), token_error(jose::Error::kSignatureInvalid));

  for (const std::size_t at : {std::size_t{0}, dot1 + 5, token.size() - 1}) {
    std::string changed = token;
    changed[at] = changed[at] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(h.guard->verify(changed)) << "changed at " << at;
  }
  EXPECT_EQ(hits(h), 1u);
  EXPECT_EQ(h.guard->counters().verified_ok.load(), 2u);
}

TEST(TokenCache, AHitNeedsNoKeySource) {
  GuardHarness h;
  const std::string token = h.token();
  ASSERT_TRUE(h.guard->verify(token));
  h.source->fail_with("down");
  ASSERT_TRUE(h.guard->jwks().current());
  EXPECT_TRUE(h.guard->verify(token));
  EXPECT_EQ(hits(h), 1u);
  EXPECT_EQ(h.source->fetches(), 1);
}

TEST(TokenCache, EntryIsNotServedAfterExp) {
  GuardHarness h;
  auto claims = h.claims();
  const std::int64_t exp = h.now() + 10;
  claims["exp"] = exp;
  const std::string token = mint(signing_key(), claims);
  ASSERT_TRUE(h.guard->verify(token));
  h.clock->set(exp - 1);
  ASSERT_TRUE(h.guard->verify(token));
  EXPECT_EQ(hits(h), 1u);

  h.clock->set(exp);
  EXPECT_EQ(failure_of(*h.guard, token), token_error(jose::Error::kExpired));
  EXPECT_EQ(hits(h), 1u);
  EXPECT_EQ(misses(h), 2u);
  EXPECT_EQ(h.guard->token_cache_size(), 0u);
}

TEST(TokenCache, EntryIsDroppedOnceItsKeyLeavesTheJwks) {
  GuardHarness h;
  const std::string token = h.token();
  ASSERT_TRUE(h.guard->verify(token));
  // The issuer withdraws the key that signed the token.
  h.source->serve({public_half(other_key(kAlg))});
  ASSERT_TRUE(h.guard->jwks().refresh());
  EXPECT_EQ(failure_of(*h.guard, token), Failure{Error::kKidUnknown});
  EXPECT_EQ(hits(h), 0u);
  EXPECT_EQ(h.guard->token_cache_size(), 0u);
}

TEST(TokenCache, EntryIsNotServedWhenItsKidNowNamesAnotherKey) {
  GuardHarness h;
  const std::string token = h.token();
  ASSERT_TRUE(h.guard->verify(token));
  // Same kid, different key material.
  h.source->serve({with_kid(public_half(other_key(kAlg)), kKid())});
  ASSERT_TRUE(h.guard->jwks().refresh());
  EXPECT_EQ(failure_of(*h.guard, token), token_error(jose::Error::kSignatureInvalid));
  EXPECT_EQ(hits(h), 0u);
}

TEST(TokenCache, EntrySurvivesARefreshThatKeepsItsKey) {
  GuardHarness h;
  const std::string token = h.token();
  ASSERT_TRUE(h.guard->verify(token));
  h.source->serve({public_half(other_key(kAlg)), public_half(signing_key())});
  ASSERT_TRUE(h.guard->jwks().refresh());
  EXPECT_TRUE(h.guard->verify(token));
  EXPECT_EQ(hits(h), 1u);
  EXPECT_EQ(h.guard->jwks().current()->generation, 2u);
}

TEST(TokenCache, BoundedInEntriesANewTokenDisplacingTheLeastRecentlyUsedOnceSeenMoreOften) {
  GuardConfig c = test_config();
  c.token_cache_entries = 3;
  GuardHarness h(c);
  const std::string t1 = token_with_jti(h, "1");
  const std::string t2 = token_with_jti(h, "2");
  const std::string t3 = token_with_jti(h, "3");
  const std::string t4 = token_with_jti(h, "4");
  ASSERT_TRUE(h.guard->verify(t1));
  ASSERT_TRUE(h.guard->verify(t2));
  ASSERT_TRUE(h.guard->verify(t3));
  EXPECT_EQ(h.guard->token_cache_size(), 3u);
  ASSERT_TRUE(h.guard->verify(t1));  // t1 is now the most recent; t2 the least
  EXPECT_EQ(hits(h), 1u);
  // Seen once, like t2: verified, not admitted.
  ASSERT_TRUE(h.guard->verify(t4));
  EXPECT_EQ(hits(h), 1u);
  ASSERT_TRUE(h.guard->verify(t2));
  EXPECT_EQ(hits(h), 2u);
  // t2 is now the most recent and t3 (seen once) the least; t4's second presentation beats it.
  ASSERT_TRUE(h.guard->verify(t4));
  EXPECT_EQ(hits(h), 2u);
  EXPECT_EQ(h.guard->token_cache_size(), 3u);

  ASSERT_TRUE(h.guard->verify(t4));
  ASSERT_TRUE(h.guard->verify(t1));
  ASSERT_TRUE(h.guard->verify(t2));
  EXPECT_EQ(hits(h), 5u);
  ASSERT_TRUE(h.guard->verify(t3));  // displaced: verified again
  EXPECT_EQ(hits(h), 5u);
  EXPECT_EQ(h.guard->token_cache_size(), 3u);
}

TEST(TokenCache, MoreDistinctTokensThanEntriesStillHitForAStableShare) {
  // Clients cycling through more tokens than the cache holds: under LRU alone every entry is
  // evicted before its next use and nothing ever hits. The tokens are signed afresh in every run
  // and the cache's seed is random, so the counts below are exact except in a run where shared
  // sketch counters change admission's decisions: about one in three million (the unit test
  // CyclingMoreTokensThanEntriesKeepsTheSameShareUnderEverySeed sweeps seeds).
  GuardConfig c = test_config();
  c.token_cache_entries = kCycledEntries;
  GuardHarness h(c);
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < kCycledTokens; ++i) {
    tokens.push_back(token_with_jti(h, std::to_string(i)));
  }
  for (std::size_t round = 0; round < kCycleRounds; ++round) {
    for (const auto& t : tokens) {
      ASSERT_TRUE(h.guard->verify(t));
    }
  }
  EXPECT_EQ(h.guard->token_cache_size(), kCycledEntries);
  EXPECT_EQ(hits(h), kCycleHits);
  EXPECT_EQ(misses(h), kCycledTokens * kCycleRounds - kCycleHits);
}

TEST(TokenCache, DisabledNeverHits) {
  GuardConfig c = test_config();
  c.token_cache = false;
  GuardHarness h(c);
  const std::string token = h.token();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(h.guard->verify(token));
  }
  EXPECT_EQ(hits(h), 0u);
  EXPECT_EQ(h.guard->token_cache_size(), 0u);
  EXPECT_EQ(h.guard->counters().verified_ok.load(), 3u);
}

TEST(TokenCache, ZeroEntriesNeverHits) {
  GuardConfig c = test_config();
  c.token_cache_entries = 0;
  GuardHarness h(c);
  const std::string token = h.token();
  ASSERT_TRUE(h.guard->verify(token));
  ASSERT_TRUE(h.guard->verify(token));
  EXPECT_EQ(hits(h), 0u);
  EXPECT_EQ(h.guard->token_cache_size(), 0u);
}

TEST(TokenCache, RefusedTokensAreNotRemembered) {
  GuardHarness h;
  auto claims = h.claims();
  claims["aud"] = "https://api.test/other";
  const std::string token = mint(signing_key(), claims);
  EXPECT_EQ(failure_of(*h.guard, token), Failure{Error::kAudMismatch});
  EXPECT_EQ(failure_of(*h.guard, token), Failure{Error::kAudMismatch});
  EXPECT_EQ(hits(h), 0u);
  EXPECT_EQ(h.guard->token_cache_size(), 0u);
}

// Regression (fixed in a9c9e97): the cache was consulted with jwks_.current() whatever its age,
// so once the issuer had been unreachable past expires_at + jwks_max_stale, new tokens got 503
// while a token verified earlier kept being served from the cache.
TEST(TokenCache, CachedTokenIsNotServedOnceTheKeysAreTooStale) {
  GuardHarness h;
  ASSERT_TRUE(h.guard->start());
  const auto expires_at = h.guard->jwks().current()->expires_at;
  auto long_lived = h.claims();
  long_lived["exp"] = h.now() + 86400;  // outlives expires_at + jwks_max_stale
  const std::string token = mint(signing_key(), long_lived);
  ASSERT_TRUE(h.guard->verify(token));
  h.source->fail_with("connection refused");
  h.clock->set(std::chrono::duration_cast<seconds>(expires_at.time_since_epoch()).count() +
               std::chrono::duration_cast<seconds>(h.guard->config().jwks_max_stale).count());
  // A token the guard has not seen is refused: the keys are no longer trusted...
  auto claims = h.claims();
  claims["jti"] = "unseen";
  ASSERT_EQ(failure_of(*h.guard, mint(signing_key(), claims)), Failure{Error::kKeysUnavailable});
  // ...and so must be one that was verified with them earlier.
  const auto r = h.guard->verify(token);
  EXPECT_FALSE(r) << "a cached token was accepted with keys past jwks_max_stale";
  if (!r) {
    EXPECT_EQ(r.error(), Failure{Error::kKeysUnavailable});
  }
}

// --- TokenCache alone ----------------------------------------------------------------------------

std::shared_ptr<const KeySet> key_set(std::vector<jose::Jwk> keys, std::uint64_t generation = 1) {
  auto set = std::make_shared<KeySet>();
  set->jwks.keys = std::move(keys);
  set->generation = generation;
  return set;
}

std::shared_ptr<const VerifiedToken> verified(std::int64_t exp, std::string kid = kKid(),
                                              std::size_t claim_bytes = 0) {
  auto t = std::make_shared<VerifiedToken>();
  t->kid = std::move(kid);
  t->expires_at = exp;
  t->subject = "s";
  t->claims["sub"] = "s";
  if (claim_bytes > 0) {
    t->claims["pad"] = std::string(claim_bytes, 'p');
  }
  return t;
}

constexpr std::int64_t kNow = 1'000'000;
// Admission's decisions depend on which names share sketch counters, so the tests that expect
// exact decisions fix the seed: every run then takes the same path.
constexpr std::uint64_t kSeed = 0x5167'4e74'0001;

// What the guard does with a token: look it up, and on a miss insert it once verified. True
// for a hit.
bool present(TokenCache& cache, std::string_view name, const std::shared_ptr<const KeySet>& keys,
             std::shared_ptr<const VerifiedToken> token) {
  if (cache.find(cache.key_of(name), kNow, keys) != nullptr) {
    return true;
  }
  cache.insert(cache.key_of(name), std::move(token), keys, kNow);
  return false;
}

TEST(TokenCacheUnit, FindsWhatWasInserted) {
  TokenCache cache(10, 1 << 20);
  const auto keys = key_set({public_half(signing_key())});
  const auto token = verified(kNow + 60);
  EXPECT_EQ(cache.find(cache.key_of("a"), kNow, keys), nullptr);
  cache.insert(cache.key_of("a"), token, keys, kNow);
  EXPECT_EQ(cache.find(cache.key_of("a"), kNow, keys), token);
  EXPECT_EQ(cache.find(cache.key_of("b"), kNow, keys), nullptr);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(TokenCacheUnit, ASameHashWithOtherTextIsNoHit) {
  TokenCache cache(10, 1 << 20);
  const auto keys = key_set({public_half(signing_key())});
  cache.insert(cache.key_of("a"), verified(kNow + 60), keys, kNow);
  const TokenCache::Key same_hash{"b", cache.key_of("a").hash};
  EXPECT_EQ(cache.find(same_hash, kNow, keys), nullptr);
  EXPECT_NE(cache.find(cache.key_of("a"), kNow, keys), nullptr);
}

TEST(TokenCacheUnit, KeepsItsOwnCopyOfTheText) {
  TokenCache cache(10, 1 << 20);
  const auto keys = key_set({public_half(signing_key())});
  {
    std::string presented(700, 'x');
    cache.insert(cache.key_of(presented), verified(kNow + 60), keys, kNow);
    presented.assign(700, 'y');  // the request's buffer is reused
  }
  EXPECT_NE(cache.find(cache.key_of(std::string(700, 'x')), kNow, keys), nullptr);
  EXPECT_EQ(cache.find(cache.key_of(std::string(700, 'y')), kNow, keys), nullptr);
  EXPECT_GE(cache.bytes(), 700u);  // the text counts toward the memory bound
}

// The hash picks buckets and sketch counters: tokens that differ in one character must spread,
// and two caches (two processes) must not share a seed.
TEST(TokenCacheUnit, HashesSpreadAndAreSeededPerCache) {
  TokenCache cache(10, 1 << 20);
  TokenCache other(10, 1 << 20);
  std::string token(700, 'e');
  constexpr std::size_t kTokens = 4096;
  constexpr std::size_t kBuckets = 256;
  std::vector<std::size_t> per_bucket(kBuckets, 0);
  std::set<std::uint64_t> seen;
  std::size_t same_in_other = 0;
  for (std::size_t i = 0; i < kTokens; ++i) {
    const std::string n = std::to_string(i);
    token.replace(300, n.size(), n);  // a few characters in the middle differ
    const auto hash = cache.key_of(token).hash;
    seen.insert(hash);
    ++per_bucket[hash % kBuckets];
    same_in_other += other.key_of(token).hash == hash;
  }
  EXPECT_EQ(seen.size(), kTokens);
  // 16 per bucket on average; a uniform hash puts more than 48 in one with odds below 1e-9.
  EXPECT_LT(*std::max_element(per_bucket.begin(), per_bucket.end()), 48u);
  EXPECT_EQ(same_in_other, 0u);
  // Every length, including the tails shorter than a word, goes into the hash.
  EXPECT_NE(cache.key_of("abcdefghi").hash, cache.key_of("abcdefgh").hash);
  EXPECT_NE(cache.key_of("").hash, cache.key_of(std::string_view("\0", 1)).hash);
}

TEST(TokenCacheUnit, ExpiryBoundaryIsExact) {
  TokenCache cache(10, 1 << 20);
  const auto keys = key_set({public_half(signing_key())});
  cache.insert(cache.key_of("a"), verified(kNow + 60), keys, kNow);
  EXPECT_NE(cache.find(cache.key_of("a"), kNow + 59, keys), nullptr);
  EXPECT_EQ(cache.find(cache.key_of("a"), kNow + 60, keys), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(TokenCacheUnit, NoKeySetMeansNoHit) {
  TokenCache cache(10, 1 << 20);
  const auto keys = key_set({public_half(signing_key())});
  cache.insert(cache.key_of("a"), verified(kNow + 60), keys, kNow);
  EXPECT_EQ(cache.find(cache.key_of("a"), kNow, nullptr), nullptr);
}

TEST(TokenCacheUnit, NewerKeySetMustStillPublishTheSameKeyUnderTheKid) {
  const auto keys = key_set({public_half(signing_key())});
  const auto same = key_set({public_half(other_key(kAlg)), public_half(signing_key())}, 2);
  const auto without = key_set({public_half(other_key(kAlg))}, 2);
  const auto reused = key_set({with_kid(public_half(other_key(kAlg)), kKid())}, 2);
  {
    TokenCache cache(10, 1 << 20);
    cache.insert(cache.key_of("a"), verified(kNow + 60), keys, kNow);
    EXPECT_NE(cache.find(cache.key_of("a"), kNow, same), nullptr);
    EXPECT_NE(cache.find(cache.key_of("a"), kNow, same), nullptr);
  }
  {
    TokenCache cache(10, 1 << 20);
    cache.insert(cache.key_of("a"), verified(kNow + 60), keys, kNow);
    EXPECT_EQ(cache.find(cache.key_of("a"), kNow, without), nullptr);
    EXPECT_EQ(cache.size(), 0u);
    // Dropped for good: the old set does not bring it back.
    EXPECT_EQ(cache.find(cache.key_of("a"), kNow, keys), nullptr);
  }
  {
    TokenCache cache(10, 1 << 20);
    cache.insert(cache.key_of("a"), verified(kNow + 60), keys, kNow);
    EXPECT_EQ(cache.find(cache.key_of("a"), kNow, reused), nullptr);
    EXPECT_EQ(cache.size(), 0u);
  }
}

TEST(TokenCacheUnit, AdmittedWhenFullDisplacesTheLeastRecentlyUsedEntry) {
  TokenCache cache(3, 1 << 20, kSeed);
  const auto keys = key_set({public_half(signing_key())});
  for (const char* name : {"a", "b", "c"}) {
    present(cache, name, keys, verified(kNow + 60));
  }
  ASSERT_NE(cache.find(cache.key_of("a"), kNow, keys), nullptr);  // order now: a, c, b
  present(cache, "d", keys, verified(kNow + 60));
  EXPECT_EQ(cache.find(cache.key_of("d"), kNow, keys), nullptr);  // seen once, as often as b
  EXPECT_EQ(cache.refused(), 1u);
  present(cache, "d", keys, verified(kNow + 60));  // seen twice (and once more above)
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find(cache.key_of("b"), kNow, keys), nullptr);
  EXPECT_NE(cache.find(cache.key_of("a"), kNow, keys), nullptr);
  EXPECT_NE(cache.find(cache.key_of("c"), kNow, keys), nullptr);
  EXPECT_NE(cache.find(cache.key_of("d"), kNow, keys), nullptr);
}

TEST(TokenCacheUnit, ReinsertingReplacesTheEntry) {
  TokenCache cache(3, 1 << 20);
  const auto keys = key_set({public_half(signing_key())});
  cache.insert(cache.key_of("a"), verified(kNow + 60), keys, kNow);
  const std::size_t one = cache.bytes();
  const auto newer = verified(kNow + 120);
  cache.insert(cache.key_of("a"), newer, keys, kNow);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.bytes(), one);
  EXPECT_EQ(cache.find(cache.key_of("a"), kNow, keys), newer);
}

TEST(TokenCacheUnit, BoundedInBytes) {
  const auto keys = key_set({public_half(signing_key())});
  // Measure one entry (its text as long as the others), then allow room for two and a half.
  std::size_t one = 0;
  {
    TokenCache probe(100, 1 << 20, kSeed);
    probe.insert(probe.key_of("p"), verified(kNow + 60, kKid(), 1000), keys, kNow);
    one = probe.bytes();
  }
  ASSERT_GT(one, 1000u);
  const std::size_t max_bytes = one * 5 / 2;
  TokenCache cache(100, max_bytes, kSeed);
  for (const char* name : {"a", "b", "c", "d"}) {
    // Presented until admitted: once seen more often than the entry it displaces.
    for (int seen = 0; seen < 10 && cache.find(cache.key_of(name), kNow, keys) == nullptr; ++seen) {
      cache.insert(cache.key_of(name), verified(kNow + 60, kKid(), 1000), keys, kNow);
      EXPECT_LE(cache.bytes(), max_bytes);
    }
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.bytes(), 2 * one);
  EXPECT_NE(cache.find(cache.key_of("c"), kNow, keys), nullptr);
  EXPECT_NE(cache.find(cache.key_of("d"), kNow, keys), nullptr);
  EXPECT_EQ(cache.find(cache.key_of("a"), kNow, keys), nullptr);
}

TEST(TokenCacheUnit, AnEntryLargerThanTheWholeBoundIsNotStored) {
  const auto keys = key_set({public_half(signing_key())});
  TokenCache cache(100, 2048);
  cache.insert(cache.key_of("small"), verified(kNow + 60), keys, kNow);
  ASSERT_EQ(cache.size(), 1u);
  cache.insert(cache.key_of("huge"), verified(kNow + 60, kKid(), 4096), keys, kNow);
  EXPECT_EQ(cache.find(cache.key_of("huge"), kNow, keys), nullptr);
  // ...and did not evict what was there.
  EXPECT_NE(cache.find(cache.key_of("small"), kNow, keys), nullptr);
}

TEST(TokenCacheUnit, AnExpiredLeastRecentlyUsedEntryIsDisplacedHoweverPopular) {
  TokenCache cache(1, 1 << 20, kSeed);
  const auto keys = key_set({public_half(signing_key())});
  cache.insert(cache.key_of("old"), verified(kNow + 1), keys, kNow);
  for (int i = 0; i < 20; ++i) {
    ASSERT_NE(cache.find(cache.key_of("old"), kNow, keys), nullptr);
  }
  // At kNow + 1 "old" has expired; nobody has looked it up since, so it is still held.
  const auto fresh = verified(kNow + 60);
  cache.insert(cache.key_of("new"), fresh, keys, kNow + 1);
  EXPECT_EQ(cache.find(cache.key_of("new"), kNow + 1, keys), fresh);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.refused(), 0u);
}

TEST(TokenCacheUnit, PopularityFadesSoANewlyBusyTokenGetsIn) {
  TokenCache cache(1, 1 << 20, kSeed);
  const auto keys = key_set({public_half(signing_key())});
  present(cache, "once-busy", keys, verified(kNow + 600));
  for (int i = 0; i < 20; ++i) {
    ASSERT_NE(cache.find(cache.key_of("once-busy"), kNow, keys), nullptr);
  }
  int presentations = 0;
  while (presentations < 10'000 && cache.find(cache.key_of("busy"), kNow, keys) == nullptr) {
    cache.insert(cache.key_of("busy"), verified(kNow + 600), keys, kNow);
    ++presentations;
  }
  // Refused while "once-busy" counted as often, then admitted once the counts were halved.
  EXPECT_GT(presentations, 20);
  EXPECT_LT(presentations, 10'000);
  EXPECT_EQ(cache.find(cache.key_of("once-busy"), kNow, keys), nullptr);
}

// The guard's cycling traffic under 10,000 seeds: admission keeps the same share under every one
// of them. With a sketch 64 counters wide, one seed in 45 kept fewer (as few as 22 hits of 40 in
// three million seeds): shared counters had made some token count more often than it was seen.
TEST(TokenCacheUnit, CyclingMoreTokensThanEntriesKeepsTheSameShareUnderEverySeed) {
  constexpr std::uint64_t kSeeds = 10'000;
  const auto keys = key_set({public_half(signing_key())});
  const auto token = verified(kNow + 60);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kCycledTokens; ++i) {
    names.push_back("token-" + std::to_string(i));
  }
  std::size_t seeds_with_fewer = 0;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    TokenCache cache(kCycledEntries, 1 << 20, seed);
    std::size_t hits = 0;
    for (std::size_t round = 0; round < kCycleRounds; ++round) {
      for (const auto& name : names) {
        hits += present(cache, name, keys, token);
      }
    }
    seeds_with_fewer += hits != kCycleHits;
  }
  EXPECT_EQ(seeds_with_fewer, 0u);
}

}  // namespace
}  // namespace signet::guard
