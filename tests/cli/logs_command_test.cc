// `signet logs`'s --since: durations back from now and RFC 3339 times, and everything else refused.

#include "signet/cli/logs_command.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace signet::cli::logs {
namespace {

using std::chrono::milliseconds;

// 2026-12-06T10:00:00Z
const store::Timestamp kNow{std::chrono::seconds{1'796'551'200}};

store::PreciseTimestamp ms(store::Timestamp t) {
  return std::chrono::time_point_cast<milliseconds>(t);
}

TEST(LogsSinceTest, DurationsCountBackFromNow) {
  EXPECT_EQ(parse_since("30s", kNow), ms(kNow - std::chrono::seconds{30}));
  EXPECT_EQ(parse_since("15m", kNow), ms(kNow - std::chrono::minutes{15}));
  EXPECT_EQ(parse_since("2h", kNow), ms(kNow - std::chrono::hours{2}));
  EXPECT_EQ(parse_since("7d", kNow), ms(kNow - std::chrono::days{7}));
  EXPECT_EQ(parse_since("0s", kNow), ms(kNow));
  EXPECT_EQ(parse_since("36600d", kNow), ms(kNow - kMaxSinceDays)) << "the limit itself";
}

TEST(LogsSinceTest, RfcTimesAreTakenAsTheyAre) {
  EXPECT_EQ(parse_since("2026-12-06T09:00:00Z", kNow), ms(kNow - std::chrono::hours{1}));
  EXPECT_EQ(parse_since("2026-12-06T09:00:00.250Z", kNow),
            ms(kNow - std::chrono::hours{1}) + milliseconds{250});
}

TEST(LogsSinceTest, AnythingElseIsRefusedWithTheFormsThatWork) {
  for (const char* bad : {"", "s", "10", "10x", "0x", "-5m", "1.5h", "2h ", " 2h", "2hh", "36601d",
                          "99999999999999999999d", "yesterday", "2026-12-06"}) {
    try {
      parse_since(bad, kNow);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const CommandError& e) {
      EXPECT_NE(e.message.find("30s, 15m, 2h, 7d"), std::string::npos) << e.message;
    }
  }
}

}  // namespace
}  // namespace signet::cli::logs
