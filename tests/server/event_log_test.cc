// The event log (signet/server/event_log.h): queueing, flushing to the store and to JSON lines,
// bounds, store failures; and the events the token endpoint records for each grant.

#include "signet/server/event_log.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "signet/store/sqlite_store.h"
#include "tests/admin/forwarding_store.h"
#include "tests/server/token_endpoint_test_support.h"
#include "tests/test_common/test_keys.h"

namespace signet::server::testing {
namespace {

using std::chrono::milliseconds;

store::Event event(std::string type, std::string client_id = "client-1") {
  store::Event e;
  e.date = store::PreciseTimestamp{milliseconds{1'800'000'000'123}};
  e.type = std::move(type);
  e.client_id = std::move(client_id);
  e.ip = "192.0.2.7";
  return e;
}

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::SqliteStore::open(dir_.file("signet.db")).value();
    forwarding_ = std::make_unique<store::testing::ForwardingStore>(*store_);
  }

  std::vector<store::Event> stored() {
    auto page = store_->page_events({}, {0, 1000});
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items : std::vector<store::Event>{};
  }

  TempDir dir_;
  std::unique_ptr<store::SqlStore> store_;
  std::unique_ptr<store::testing::ForwardingStore> forwarding_;
  std::vector<std::string> lines_;
};

TEST_F(EventLogTest, RecordedEventsReachTheStoreAndTheLinesAtFlushInOrder) {
  EventLog log(*store_, [&](std::string_view line) { lines_.emplace_back(line); });
  log.record(event("seccft"));
  log.record(event("feccft", "client-2"));
  EXPECT_TRUE(stored().empty()) << "record() does not write";
  EXPECT_EQ(log.queued(), 2u);
  EXPECT_EQ(log.flush(), 2u);
  const auto events = stored();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "feccft");  // newest first
  EXPECT_EQ(events[1].type, "seccft");
  ASSERT_EQ(lines_.size(), 2u);
  const auto first = boost::json::parse(lines_[0]).as_object();
  EXPECT_EQ(first.at("type"), "seccft");
  EXPECT_EQ(first.at("date"), "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(first.at("client_id"), "client-1");
  EXPECT_EQ(log.stats().recorded, 2u);
  EXPECT_EQ(log.stats().written, 2u);
  EXPECT_EQ(log.queued(), 0u);
  EXPECT_EQ(log.flush(), 0u) << "nothing twice";
  EXPECT_EQ(lines_.size(), 2u);
}

TEST_F(EventLogTest, OverlongAndNulTextIsCutAtRecordSoTheStoreTakesIt) {
  EventLog log(*store_);
  auto e = event("seccft");
  e.user_agent = std::string(kMaxEventUserAgentBytes + 100, 'a');
  e.description = std::string(kMaxEventTextBytes - 1, 'd') + "\xC3\xA9";  // é across the limit
  e.scope = std::string("read\0write", 10);
  log.record(e);
  ASSERT_EQ(log.flush(), 1u);
  const auto events = stored();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].user_agent.size(), kMaxEventUserAgentBytes);
  EXPECT_EQ(events[0].description, std::string(kMaxEventTextBytes - 1, 'd'))
      << "a UTF-8 sequence is never split";
  EXPECT_EQ(events[0].scope, "readwrite");
}

TEST_F(EventLogTest, AStoreFailureKeepsTheEventsForTheNextFlushAndWritesEachLineOnce) {
  EventLog log(*forwarding_, [&](std::string_view line) { lines_.emplace_back(line); });
  forwarding_->failures.emplace("append_events",
                                store::StoreError{store::StoreErrorCode::kUnavailable, "down"});
  log.record(event("a"));
  log.record(event("b"));
  EXPECT_EQ(log.flush(), 0u);
  EXPECT_EQ(log.stats().write_failures, 1u);
  EXPECT_EQ(log.queued(), 2u);
  EXPECT_EQ(lines_.size(), 2u) << "the lines do not wait for the store";
  log.record(event("c"));
  forwarding_->failures.clear();
  EXPECT_EQ(log.flush(), 3u);
  const auto events = stored();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "c");
  EXPECT_EQ(events[2].type, "a") << "kept events go first, in their order";
  EXPECT_EQ(lines_.size(), 3u);
  EXPECT_EQ(log.stats().dropped, 0u);
}

TEST_F(EventLogTest, TheQueueIsBoundedAndWhatFallsOutIsCounted) {
  EventLog log(*forwarding_, {}, /*max_queued=*/3);
  for (const char* t : {"a", "b", "c", "d", "e"}) {
    log.record(event(t));
  }
  EXPECT_EQ(log.queued(), 3u);
  EXPECT_EQ(log.stats().dropped, 2u);
  // A long outage: the kept events and new ones share the bound, the oldest going first.
  forwarding_->failures.emplace("append_events",
                                store::StoreError{store::StoreErrorCode::kUnavailable, "down"});
  EXPECT_EQ(log.flush(), 0u);
  log.record(event("f"));
  EXPECT_EQ(log.stats().dropped, 3u) << "the queue is still full";
  forwarding_->failures.clear();
  EXPECT_EQ(log.flush(), 3u);
  std::vector<std::string> types;
  for (const auto& e : stored()) {
    types.push_back(e.type);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"c", "b", "a"}));
}

TEST_F(EventLogTest, AnEventTheStoreRefusesIsDroppedInsteadOfBlockingTheQueue) {
  EventLog log(*forwarding_);
  forwarding_->failures.emplace("append_events",
                                store::StoreError{store::StoreErrorCode::kInvalid, "bad"});
  log.record(event("a"));
  EXPECT_EQ(log.flush(), 0u);
  EXPECT_EQ(log.queued(), 0u);
  EXPECT_EQ(log.stats().dropped, 1u);
  forwarding_->failures.clear();
  log.record(event("b"));
  EXPECT_EQ(log.flush(), 1u);
}

TEST(EventJsonTest, FieldsFollowAuth0sLogFormatWithEmptyOnesLeftOut) {
  store::Event e = event("fepft");
  e.id = 42;
  e.error = "invalid_grant";
  e.details = R"({"grant_type":"password","username":"who@example.com"})";
  const auto o = event_to_json(e);
  EXPECT_EQ(o.at("log_id"), "42");
  EXPECT_EQ(o.at("type"), "fepft");
  EXPECT_EQ(o.at("description"), "Failed Exchange (Password for Access Token)")
      << "a type's description when the event has none";
  EXPECT_EQ(o.at("error"), "invalid_grant");
  EXPECT_EQ(o.at("details").at("username"), "who@example.com");
  EXPECT_FALSE(o.contains("user_id"));
  EXPECT_FALSE(o.contains("user_agent"));
  e.details = "not json";
  EXPECT_EQ(event_to_json(e).at("details"), "not json");
}

TEST(EventJsonTest, EveryTypeIsDescribedAndUnique) {
  std::set<std::string_view> seen;
  for (const auto type : event_types()) {
    EXPECT_FALSE(describe_event_type(type).empty()) << type;
    EXPECT_TRUE(seen.insert(type).second) << type << " twice";
  }
  EXPECT_GE(seen.size(), 20u);
  EXPECT_TRUE(describe_event_type("nonsense").empty());
}

// --- what the token endpoint records

class TokenEventsTest : public TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    events_ = std::make_unique<EventLog>(*store_);
  }

  // After the clients and users are made: a fresh snapshot, and the endpoint given the log.
  void ready() {
    reload();
    endpoint_->set_event_log(events_.get());
  }

  // The events recorded since the last call, oldest first.
  std::vector<store::Event> recorded() {
    events_->flush();
    auto after = store_->events_after(last_id_, {}, 1000);
    EXPECT_TRUE(after.ok());
    if (!after.ok() || after->empty()) {
      return {};
    }
    last_id_ = after->back().id;
    return *after;
  }

  std::unique_ptr<EventLog> events_;
  std::int64_t last_id_ = 0;
};

TEST_F(TokenEventsTest, ClientCredentialsSuccessAndFailureAreRecordedWithWhoAndWhat) {
  const Client c = m2m({"read:messages"});
  ready();
  ASSERT_TRUE(cc(c).ok());
  auto events = recorded();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "seccft");
  EXPECT_EQ(events[0].client_id, c.id);
  EXPECT_EQ(events[0].audience, kApi);
  EXPECT_EQ(events[0].scope, "read:messages");
  EXPECT_EQ(events[0].ip, kPeer);
  EXPECT_EQ(events[0].user_agent, "signet-tests/1.0");
  EXPECT_EQ(events[0].error, "");
  EXPECT_EQ(events[0].date, kT0);

  expect_error(token({{"grant_type", "client_credentials"},
                      {"client_id", c.id},
                      {"client_secret", "guessed-Zq9"},
                      {"audience", std::string(kApi)}}),
               OAuthErrorCode::kInvalidClient);
  events = recorded();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "feccft");
  EXPECT_EQ(events[0].client_id, c.id) << "the client as presented";
  EXPECT_EQ(events[0].error, "invalid_client");
  EXPECT_FALSE(events[0].description.empty());
  for (const auto& e : events) {
    EXPECT_EQ(e.details.find("guessed-Zq9"), std::string::npos) << "never the secret";
    EXPECT_EQ(e.description.find("guessed-Zq9"), std::string::npos) << "never the secret";
  }
}

TEST_F(TokenEventsTest, AClientBlockIsRecordedOnceWhenItStarts) {
  const Client c = m2m();
  ready();
  std::vector<std::string> types;
  for (int i = 0; i < 4; ++i) {
    (void)token({{"grant_type", "client_credentials"},
                 {"client_id", c.id},
                 {"client_secret", "wrong-" + std::to_string(i)},
                 {"audience", std::string(kApi)}});
  }
  for (const auto& e : recorded()) {
    types.push_back(e.type);
  }
  // config_.client_lockout is three failures: the third starts the block, the fourth is refused.
  EXPECT_EQ(types,
            (std::vector<std::string>{"feccft", "feccft", "feccft", "client_blocked", "feccft"}));
}

TEST_F(TokenEventsTest, PasswordEventsNameTheUserOrTheUnknownNameAndTheAccountBlock) {
  const Client c = web();
  const std::string id = user();
  ready();
  ASSERT_TRUE(login(c, email_of(id), kPassword).ok());
  auto events = recorded();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "sepft");
  EXPECT_EQ(events[0].user_id, id);

  (void)login(c, "nobody@example.com", "guess");
  events = recorded();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "fepft");
  EXPECT_EQ(events[0].user_id, "");
  EXPECT_NE(events[0].details.find("nobody@example.com"), std::string::npos);
  EXPECT_EQ(events[0].details.find("guess"), std::string::npos) << "never the password";

  for (int i = 0; i < 3; ++i) {
    (void)login(c, email_of(id), "wrong password");
  }
  std::vector<std::string> types;
  for (const auto& e : recorded()) {
    types.push_back(e.type);
    EXPECT_EQ(e.user_id, id);
    EXPECT_EQ(e.details.find("username"), std::string::npos) << "a known user goes by id";
  }
  EXPECT_EQ(types, (std::vector<std::string>{"fepft", "fepft", "fepft", "limit_wc"}));
}

TEST_F(TokenEventsTest, RefreshReuseIsItsOwnEventAndUnknownGrantsAreRecorded) {
  const Client c = web();
  const std::string id = user();
  ready();
  auto first = login(c, email_of(id), kPassword, "offline_access");
  ASSERT_TRUE(first.ok());
  const std::string rt(first->at("refresh_token").as_string());
  ASSERT_TRUE(refresh(c, rt).ok());
  // Past the reuse grace: theft.
  (void)refresh(c, rt, kT0 + seconds{60});
  (void)token({{"grant_type", "urn:example:nonsense"}, {"client_id", c.id}});
  std::vector<std::string> types;
  for (const auto& e : recorded()) {
    types.push_back(e.type);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"sepft", "sertft", "ferrt", "unsupported_grant"}));
  EXPECT_EQ(recorded().size(), 0u);
}

TEST_F(TokenEventsTest, DpopEventsNameTheKeyOrTheRuleTheProofBroke) {
  const Client c = m2m({"read:messages"});
  ready();
  const jose::Jwk& key = signet::testing::test_key(jose::Algorithm::kES256);
  dpop_ = {dpop_proof(key)};
  ASSERT_TRUE(cc(c).ok());
  auto events = recorded();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "seccft");
  auto details = json::parse(events[0].details).as_object();
  EXPECT_EQ(details.at("dpop_jkt").as_string(), jose::thumbprint(key));

  // A refused proof is a failure of the grant's own type, with the rule in its details.
  dpop_ = {dpop_proof(key, kT0, std::nullopt, "http://localhost:4000/oauth/revoke")};
  expect_error(cc(c), OAuthErrorCode::kInvalidDpopProof);
  events = recorded();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "feccft");
  EXPECT_EQ(events[0].error, "invalid_dpop_proof");
  details = json::parse(events[0].details).as_object();
  EXPECT_EQ(details.at("dpop_error").as_string(), "htu");
  EXPECT_FALSE(details.contains("dpop_jkt"));
  for (const auto& proof : dpop_) {
    EXPECT_EQ(events[0].details.find(proof), std::string::npos) << "never the proof itself";
  }
}

TEST_F(TokenEventsTest, RevocationsAreRecorded) {
  const Client c = web();
  const std::string id = user();
  ready();
  auto first = login(c, email_of(id), kPassword, "offline_access");
  ASSERT_TRUE(first.ok());
  (void)recorded();
  ASSERT_TRUE(
      call(&TokenEndpoint::revoke, {{"client_id", c.id},
                                    {"client_secret", c.secret},
                                    {"token", std::string(first->at("refresh_token").as_string())}})
          .ok());
  (void)call(&TokenEndpoint::revoke,
             {{"client_id", c.id}, {"client_secret", "wrong"}, {"token", "x"}});
  std::vector<std::string> types;
  for (const auto& e : recorded()) {
    types.push_back(e.type);
    EXPECT_EQ(e.client_id, c.id);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"srrt", "revocation_failed"}));
}

TEST_F(TokenEventsTest, WithoutAnEventLogNothingIsRecorded) {
  const Client c = m2m();
  reload();
  ASSERT_TRUE(cc(c).ok());
  EXPECT_TRUE(recorded().empty());
}

}  // namespace
}  // namespace signet::server::testing

namespace signet::server::testing {
namespace {

TEST(AdminChangeTypeTest, KeysAndUnblocksHaveTheirOwnTypesAndFailuresAreFapi) {
  EXPECT_EQ(admin_change_type("clients update", true), "sapi");
  EXPECT_EQ(admin_change_type("PATCH clients/abc", true), "sapi");
  EXPECT_EQ(admin_change_type("keys rotate", true), "key_rotated");
  EXPECT_EQ(admin_change_type("POST keys/signing/rotate", true), "key_rotated");
  EXPECT_EQ(admin_change_type("keys revoke", true), "key_revoked");
  EXPECT_EQ(admin_change_type("PUT keys/signing/kid-1/revoke", true), "key_revoked");
  EXPECT_EQ(admin_change_type("users unblock", true), "ublkdu");
  EXPECT_EQ(admin_change_type("DELETE user-blocks/auth0%7C1", true), "ublkdu");
  EXPECT_EQ(admin_change_type("keys rotate", false), "fapi");
  EXPECT_EQ(admin_change_type("PUT keys/signing/revoke-me", true), "sapi")
      << "only the revoke route itself";
}

}  // namespace
}  // namespace signet::server::testing
