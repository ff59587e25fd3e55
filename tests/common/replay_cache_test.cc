#include "signet/common/replay_cache.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace signet {
namespace {

using Use = ReplayCache::Use;

constexpr std::int64_t kNow = 1'700'000'000;

TEST(ReplayCacheTest, FirstUseThenReplay) {
  ReplayCache cache;
  EXPECT_EQ(cache.use("jkt.jti-1", kNow + 65, kNow), Use::kFirst);
  EXPECT_EQ(cache.use("jkt.jti-1", kNow + 65, kNow), Use::kReplayed);
  EXPECT_EQ(cache.use("jkt.jti-1", kNow + 65, kNow + 30), Use::kReplayed);
  EXPECT_EQ(cache.use("jkt.jti-2", kNow + 65, kNow), Use::kFirst);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ReplayCacheTest, IdIsRememberedThroughItsExpirySecondThenReusable) {
  ReplayCache cache;
  EXPECT_EQ(cache.use("id", kNow + 65, kNow), Use::kFirst);
  EXPECT_EQ(cache.use("id", kNow + 65, kNow + 65), Use::kReplayed);  // still fresh then
  EXPECT_EQ(cache.use("id", kNow + 131, kNow + 66), Use::kFirst);
  EXPECT_EQ(cache.use("id", kNow + 131, kNow + 66), Use::kReplayed);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ReplayCacheTest, ExpiredIdsMakeRoomSoMemoryStaysBounded) {
  // Ten rounds of a full cache's worth of ids, each round's expired by the next: every id is
  // admitted, and the cache never holds more than its bound.
  ReplayCache cache(100);
  for (int round = 0; round < 10; ++round) {
    const std::int64_t now = kNow + round * 10;
    for (int i = 0; i < 100; ++i) {
      ASSERT_EQ(cache.use(std::to_string(round) + "." + std::to_string(i), now + 5, now),
                Use::kFirst)
          << round << "." << i;
      ASSERT_LE(cache.size(), 100u);
    }
  }
}

TEST(ReplayCacheTest, AlreadyExpiredIdIsNotStored) {
  ReplayCache cache;
  EXPECT_EQ(cache.use("old", kNow - 1, kNow), Use::kFirst);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ReplayCacheTest, IdsAreComparedByEveryByte) {
  ReplayCache cache;
  const std::string a("jkt\0a", 5);
  const std::string b("jkt\0b", 5);
  EXPECT_EQ(cache.use(a, kNow + 60, kNow), Use::kFirst);
  EXPECT_EQ(cache.use(b, kNow + 60, kNow), Use::kFirst);
  EXPECT_EQ(cache.use("jkt", kNow + 60, kNow), Use::kFirst);
  EXPECT_EQ(cache.use(a, kNow + 60, kNow), Use::kReplayed);
}

TEST(ReplayCacheTest, FullCacheRefusesNewIdsUntilSomeExpire) {
  ReplayCache cache(3);
  EXPECT_EQ(cache.use("a", kNow + 10, kNow), Use::kFirst);
  EXPECT_EQ(cache.use("b", kNow + 20, kNow), Use::kFirst);
  EXPECT_EQ(cache.use("c", kNow + 20, kNow), Use::kFirst);
  EXPECT_EQ(cache.use("d", kNow + 20, kNow), Use::kFull);
  EXPECT_EQ(cache.use("a", kNow + 10, kNow), Use::kReplayed);  // a replay is still a replay
  EXPECT_EQ(cache.size(), 3u);
  // "a" expires after kNow + 10, wherever its shard: room for exactly one more.
  EXPECT_EQ(cache.use("d", kNow + 30, kNow + 11), Use::kFirst);
  EXPECT_EQ(cache.use("e", kNow + 30, kNow + 11), Use::kFull);
  EXPECT_EQ(cache.use("e", kNow + 40, kNow + 21), Use::kFirst);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ReplayCacheTest, ConcurrentUsesOfOneIdAdmitExactlyOne) {
  ReplayCache cache;
  constexpr int kThreads = 8;
  constexpr int kIds = 2000;
  std::atomic<int> first{0};
  std::atomic<int> replayed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIds; ++i) {
        const Use use = cache.use("jkt.jti-" + std::to_string(i), kNow + 60, kNow);
        (use == Use::kFirst ? first : replayed).fetch_add(1);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(first.load(), kIds);
  EXPECT_EQ(replayed.load(), (kThreads - 1) * kIds);
  EXPECT_EQ(cache.size(), static_cast<std::size_t>(kIds));
}

TEST(ReplayCacheTest, ConcurrentUsesNeverExceedTheBound) {
  constexpr std::size_t kMax = 500;
  ReplayCache cache(kMax);
  constexpr int kThreads = 4;
  constexpr int kIdsPerThread = 250;
  std::atomic<int> first{0};
  std::atomic<int> full{0};
  std::atomic<int> replayed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIdsPerThread; ++i) {
        switch (cache.use(std::to_string(t) + "." + std::to_string(i), kNow + 60, kNow)) {
          case Use::kFirst:
            first.fetch_add(1);
            break;
          case Use::kFull:
            full.fetch_add(1);
            break;
          case Use::kReplayed:
            replayed.fetch_add(1);
            break;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(first.load(), static_cast<int>(kMax));
  EXPECT_EQ(full.load(), kThreads * kIdsPerThread - static_cast<int>(kMax));
  EXPECT_EQ(replayed.load(), 0);
  EXPECT_EQ(cache.size(), kMax);
}

}  // namespace
}  // namespace signet
