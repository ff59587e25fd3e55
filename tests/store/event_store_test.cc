// The store's event log (store.h EventStore) on each backend: order, filters, paging, following,
// retention, and the rules for what an event may hold.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/validate.h"
#include "tests/store/store_test_support.h"

namespace signet::store::testing {
namespace {

using std::chrono::milliseconds;

const PreciseTimestamp kAt{std::chrono::duration_cast<milliseconds>(kNow.time_since_epoch())};

Event make_event(std::string type, std::string client_id = "client-1",
                 PreciseTimestamp date = kAt) {
  Event e;
  e.date = date;
  e.type = std::move(type);
  e.description = "Success Exchange";
  e.client_id = std::move(client_id);
  e.audience = "https://api.example.com/";
  e.scope = "read:messages";
  e.ip = "203.0.113.7";
  e.user_agent = "curl/7.88.1";
  e.details = R"({"grant_type":"client_credentials"})";
  return e;
}

std::vector<std::string> types_of(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(e.type);
  }
  return out;
}

class EventStoreTest : public StoreTest {
 protected:
  void append(std::vector<Event> events) {
    auto r = store_->append_events(events);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  Page<Event> page(const EventFilter& filter, PageRequest request = {}) {
    auto r = store_->page_events(filter, request);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Page<Event>{};
  }
};

TEST_P(EventStoreTest, EventsRoundTripNewestFirstWithEveryField) {
  Event first = make_event("seccft");
  first.user_id = "auth0|1";
  first.error = "";
  Event second = make_event("feccft");
  second.error = "invalid_client";
  second.date = kAt + milliseconds{1};
  append({first, second});

  const auto listed = page({});
  ASSERT_EQ(listed.items.size(), 2u);
  EXPECT_EQ(listed.total, 2);
  EXPECT_EQ(types_of(listed.items), (std::vector<std::string>{"feccft", "seccft"}));
  EXPECT_GT(listed.items[0].id, listed.items[1].id);
  Event read_back = listed.items[1];
  EXPECT_GT(read_back.id, 0);
  first.id = read_back.id;
  EXPECT_EQ(read_back, first);
  EXPECT_EQ(listed.items[0].error, "invalid_client");
  EXPECT_EQ(listed.items[0].date, kAt + milliseconds{1});
}

TEST_P(EventStoreTest, FiltersMatchExactlyAndCombine) {
  Event by_user = make_event("sepft", "client-2");
  by_user.user_id = "auth0|1";
  append({make_event("seccft"), make_event("feccft"), by_user,
          make_event("seccft", "client-2", kAt + milliseconds{5'000})});

  EXPECT_EQ(page({.type = "seccft"}).total, 2);
  EXPECT_EQ(page({.client_id = "client-2"}).total, 2);
  EXPECT_EQ(page({.user_id = "auth0|1"}).total, 1);
  EXPECT_EQ(page({.type = "seccft", .client_id = "client-2"}).total, 1);
  EXPECT_EQ(page({.since = kAt + milliseconds{1}}).total, 1);
  EXPECT_EQ(page({.since = kAt}).total, 4);
  EXPECT_EQ(page({.type = "SECCFT"}).total, 0) << "types are compared exactly";
  EXPECT_EQ(page({.client_id = "client-%"}).total, 0) << "no pattern matching";
}

TEST_P(EventStoreTest, PagesAreWindowsOfTheNewestFirstList) {
  std::vector<Event> events;
  for (int i = 0; i < 7; ++i) {
    events.push_back(make_event("t" + std::to_string(i)));
  }
  append(events);
  const auto second = page({}, {.offset = 3, .limit = 3});
  EXPECT_EQ(second.total, 7);
  EXPECT_EQ(types_of(second.items), (std::vector<std::string>{"t3", "t2", "t1"}));
  EXPECT_TRUE(page({}, {.offset = 7, .limit = 3}).items.empty());
  EXPECT_FALSE(store_->page_events({}, {.offset = -1, .limit = 3}).ok());
}

TEST_P(EventStoreTest, AFollowerReadsWhatCameAfterTheLastIdItSaw) {
  append({make_event("a"), make_event("b")});
  auto all = store_->events_after(0, {}, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(types_of(*all), (std::vector<std::string>{"a", "b"}));
  append({make_event("c"), make_event("d", "client-2"), make_event("e")});

  auto next = store_->events_after(all->back().id, {}, 2);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(types_of(*next), (std::vector<std::string>{"c", "d"})) << "oldest first, limited";
  auto filtered = store_->events_after(all->back().id, {.client_id = "client-2"}, 10);
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(types_of(*filtered), (std::vector<std::string>{"d"}));
  EXPECT_FALSE(store_->events_after(0, {}, -1).ok());
}

TEST_P(EventStoreTest, RetentionKeepsTheNewestAndDropsTheOld) {
  std::vector<Event> events;
  for (int i = 0; i < 6; ++i) {
    events.push_back(make_event("t" + std::to_string(i), "client-1", kAt + milliseconds{i * 1000}));
  }
  append(events);
  // By count: the newest four stay.
  auto by_count = store_->delete_old_events(kAt - milliseconds{1}, 4);
  ASSERT_TRUE(by_count.ok()) << by_count.error().message;
  EXPECT_EQ(*by_count, 2);
  EXPECT_EQ(types_of(page({}).items), (std::vector<std::string>{"t5", "t4", "t3", "t2"}));
  // By age: older than t4's date goes, even under the count.
  auto by_age = store_->delete_old_events(kAt + milliseconds{4000}, 100);
  ASSERT_TRUE(by_age.ok());
  EXPECT_EQ(*by_age, 2);
  EXPECT_EQ(types_of(page({}).items), (std::vector<std::string>{"t5", "t4"}));
  // Nothing to delete is not an error.
  EXPECT_EQ(store_->delete_old_events(kAt, 100).value(), 0);
}

TEST_P(EventStoreTest, IdsAreNeverReusedAfterRetentionEmptiedTheLog) {
  append({make_event("a"), make_event("b")});
  const std::int64_t last = page({}).items.front().id;
  ASSERT_EQ(store_->delete_old_events(kAt + milliseconds{1}, 0).value(), 2);
  append({make_event("c")});
  auto after = store_->events_after(last, {}, 10);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(types_of(*after), (std::vector<std::string>{"c"}))
      << "a follower that saw id " << last << " must see the next event";
}

TEST_P(EventStoreTest, AnInvalidEventIsRefusedAndNothingOfItsBatchIsWritten) {
  Event no_type = make_event("");
  Event nul = make_event("seccft");
  nul.user_agent = std::string("curl\0evil", 9);
  Event huge = make_event("seccft");
  huge.details = std::string(kMaxEventDetailsLength + 1, 'x');
  Event long_text = make_event("seccft");
  long_text.scope = std::string(kMaxTextLength + 1, 's');
  for (const auto& bad : {no_type, nul, huge, long_text}) {
    auto r = store_->append_events({make_event("ok"), bad});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, StoreErrorCode::kInvalid) << r.error().message;
  }
  EXPECT_EQ(page({}).total, 0);
  EXPECT_TRUE(store_->append_events({}).ok());
}

SIGNET_ON_EVERY_BACKEND(EventStoreTest);

}  // namespace
}  // namespace signet::store::testing
