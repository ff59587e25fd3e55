#include "signet/http/connections.h"

#include <gtest/gtest.h>

#include <vector>

namespace signet::http::internal {
namespace {

using namespace std::chrono_literals;
using Admission = ConnectionTracker::Admission;

struct FakeConnection final : Connection {
  void begin_stop() override { ++stops; }
  void force_close() override {}
  void evict() override { ++evictions; }
  int stops = 0;
  int evictions = 0;
};

// Connections registered with a tracker, removed (as a real one does from its destructor) when
// the test ends.
class Registry {
 public:
  explicit Registry(ConnectionTracker::Limits limits) : limits_(limits) {}
  ~Registry() {
    for (const auto id : ids_) {
      tracker.remove(id);
    }
  }

  // Adds a new connection from `group`; sets `out` to it.
  Admission add(const std::string& group, std::shared_ptr<FakeConnection>* out = nullptr) {
    auto connection = std::make_shared<FakeConnection>();
    const auto id = tracker.next_id();
    const auto admission = tracker.add(id, connection, group, limits_);
    if (admission == Admission::kAdmitted) {
      ids_.push_back(id);
      connections_.push_back(connection);
    }
    if (out != nullptr) {
      *out = connection;
    }
    return admission;
  }
  void remove_last() {
    tracker.remove(ids_.back());
    ids_.pop_back();
  }

  ConnectionTracker tracker;

 private:
  ConnectionTracker::Limits limits_;
  std::vector<std::uint64_t> ids_;
  std::vector<std::shared_ptr<FakeConnection>> connections_;
};

const auto t0 = Connection::Clock::now();

TEST(ConnectionTracker, PerAddressLimit) {
  Registry r({10, 2});
  EXPECT_EQ(r.add("192.0.2.1"), Admission::kAdmitted);
  EXPECT_EQ(r.add("192.0.2.1"), Admission::kAdmitted);
  EXPECT_EQ(r.add("192.0.2.1"), Admission::kAddressFull);
  EXPECT_EQ(r.add("192.0.2.2"), Admission::kAdmitted);  // other addresses are not affected
  EXPECT_EQ(r.add("2001:db8::/64"), Admission::kAdmitted);
  EXPECT_EQ(r.tracker.size(), 4u);
  r.remove_last();                                      // 2001:db8::/64
  r.remove_last();                                      // 192.0.2.2
  r.remove_last();                                      // one of 192.0.2.1's
  EXPECT_EQ(r.add("192.0.2.1"), Admission::kAdmitted);  // a closed connection frees its place
  EXPECT_EQ(r.add("192.0.2.1"), Admission::kAddressFull);
}

TEST(ConnectionTracker, TrustedProxiesAreNotCountedPerAddress) {
  Registry r({10, 1});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.add(""), Admission::kAdmitted);
  }
  EXPECT_EQ(r.add("192.0.2.1"), Admission::kAdmitted);
}

TEST(ConnectionTracker, FullWithNothingIdleRefuses) {
  Registry r({2, 10});
  EXPECT_EQ(r.add("a"), Admission::kAdmitted);
  EXPECT_EQ(r.add("b"), Admission::kAdmitted);
  EXPECT_EQ(r.add("c"), Admission::kFull);
  EXPECT_EQ(r.tracker.size(), 2u);
}

TEST(ConnectionTracker, FullEvictsTheConnectionIdleTheLongest) {
  Registry r({3, 10});
  std::shared_ptr<FakeConnection> newer, older, busy;
  ASSERT_EQ(r.add("a", &newer), Admission::kAdmitted);
  ASSERT_EQ(r.add("a", &older), Admission::kAdmitted);
  ASSERT_EQ(r.add("b", &busy), Admission::kAdmitted);
  newer->mark_idle(t0 + 2s);
  older->mark_idle(t0 + 1s);

  EXPECT_EQ(r.add("c"), Admission::kAdmitted);
  EXPECT_EQ(older->evictions, 1);
  EXPECT_EQ(newer->evictions, 0);
  EXPECT_FALSE(older->mark_busy());  // claimed: a request that arrives now is not read
  EXPECT_EQ(r.tracker.size(), 4u);   // one over the limit until the evicted one is gone

  // A claimed connection is not picked twice: the next newcomer takes the next idle one.
  EXPECT_EQ(r.add("d"), Admission::kAdmitted);
  EXPECT_EQ(older->evictions, 1);
  EXPECT_EQ(newer->evictions, 1);
  EXPECT_EQ(r.add("e"), Admission::kFull);
  EXPECT_EQ(busy->evictions, 0);
}

TEST(ConnectionTracker, AConnectionThatStartedARequestIsNotEvicted) {
  Registry r({1, 10});
  std::shared_ptr<FakeConnection> first;
  ASSERT_EQ(r.add("a", &first), Admission::kAdmitted);
  first->mark_idle(t0);
  EXPECT_TRUE(first->mark_busy());  // bytes arrived before any newcomer
  EXPECT_EQ(r.add("b"), Admission::kFull);
  EXPECT_EQ(first->evictions, 0);
  first->mark_idle(t0 + 1s);  // idle again after answering
  EXPECT_EQ(r.add("b"), Admission::kAdmitted);
  EXPECT_EQ(first->evictions, 1);
}

TEST(ConnectionTracker, StoppingRefusesEverything) {
  Registry r({2, 2});
  std::shared_ptr<FakeConnection> open;
  ASSERT_EQ(r.add("a", &open), Admission::kAdmitted);
  const auto live = r.tracker.begin_stop();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live.front().get(), open.get());
  EXPECT_EQ(r.add("b"), Admission::kStopping);
}

TEST(ConnectionTracker, ApproximateSizeFollowsAddAndRemove) {
  Registry r({5, 5});
  EXPECT_EQ(r.tracker.approximate_size(), 0u);
  r.add("a");
  r.add("b");
  EXPECT_EQ(r.tracker.approximate_size(), 2u);
  r.remove_last();
  EXPECT_EQ(r.tracker.approximate_size(), 1u);
}

}  // namespace
}  // namespace signet::http::internal
