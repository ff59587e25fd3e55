#include "signet/server/failure_watch.h"

#include <gtest/gtest.h>

namespace signet::server {
namespace {

using std::chrono::seconds;

constexpr store::Timestamp kNow{seconds{1'800'000'000}};

TEST(FailureWatchTest, OnlyPairsThatFailedAreSuspectUntilTheirTime) {
  FailureWatch watch;
  EXPECT_FALSE(watch.suspect("client\n1.2.3.4", kNow));
  watch.note_failure("client\n1.2.3.4", kNow, kNow + seconds{60});
  EXPECT_TRUE(watch.suspect("client\n1.2.3.4", kNow));
  EXPECT_TRUE(watch.suspect("client\n1.2.3.4", kNow + seconds{59}));
  EXPECT_FALSE(watch.suspect("client\n1.2.3.4", kNow + seconds{60}));
  EXPECT_FALSE(watch.suspect("client\n5.6.7.8", kNow));
}

TEST(FailureWatchTest, ALaterFailureExtendsAndForgetEnds) {
  FailureWatch watch;
  watch.note_failure("k", kNow, kNow + seconds{10});
  watch.note_failure("k", kNow, kNow + seconds{100});
  watch.note_failure("k", kNow, kNow + seconds{20});  // never shortens
  EXPECT_TRUE(watch.suspect("k", kNow + seconds{99}));
  watch.forget("k");
  EXPECT_FALSE(watch.suspect("k", kNow));
}

// A flood of distinct failing pairs must never make the watch forget a live one: when full, it
// makes every pair suspect (the slow, safe path) instead.
TEST(FailureWatchTest, WhenFullEveryPairIsSuspectUntilTheEntriesExpire) {
  FailureWatch watch(3);
  watch.note_failure("a", kNow, kNow + seconds{10});
  watch.note_failure("b", kNow, kNow + seconds{10});
  watch.note_failure("c", kNow, kNow + seconds{10});
  watch.note_failure("d", kNow, kNow + seconds{30});
  EXPECT_TRUE(watch.suspect("d", kNow));
  EXPECT_TRUE(watch.suspect("never-failed", kNow + seconds{29}));
  EXPECT_FALSE(watch.suspect("never-failed", kNow + seconds{30}));
  // Expired entries make room again.
  watch.note_failure("e", kNow + seconds{40}, kNow + seconds{50});
  EXPECT_TRUE(watch.suspect("e", kNow + seconds{41}));
  EXPECT_FALSE(watch.suspect("a", kNow + seconds{41}));
}

}  // namespace
}  // namespace signet::server
