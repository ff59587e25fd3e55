#include "signet/cli/log.h"

#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace signet::cli {
namespace {

// What log() writes on stderr, captured.
std::string logged(Level level, std::string_view msg, boost::json::object fields = {}) {
  ::testing::internal::CaptureStderr();
  log(level, msg, std::move(fields));
  return ::testing::internal::GetCapturedStderr();
}

class LogTest : public ::testing::Test {
 protected:
  ~LogTest() override {
    set_level(Level::kInfo);
    set_format(Format::kJson);
  }
};

TEST_F(LogTest, NamesAreParsed) {
  EXPECT_EQ(parse_level("debug"), Level::kDebug);
  EXPECT_EQ(parse_level("info"), Level::kInfo);
  EXPECT_EQ(parse_level("warn"), Level::kWarn);
  EXPECT_EQ(parse_level("error"), Level::kError);
  EXPECT_EQ(parse_level("warning"), std::nullopt);
  EXPECT_EQ(parse_level("INFO"), std::nullopt);
  EXPECT_EQ(parse_format("json"), Format::kJson);
  EXPECT_EQ(parse_format("text"), Format::kText);
  EXPECT_EQ(parse_format("logfmt"), std::nullopt);
}

TEST_F(LogTest, JsonIsTheDefault) {
  const std::string line = logged(Level::kInfo, "started", {{"port", 4000}});
  EXPECT_TRUE(std::regex_match(
      line, std::regex(R"(\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"info",)"
                       R"("msg":"started","port":4000\}\n)")))
      << line;
}

TEST_F(LogTest, LinesBelowTheLevelAreDropped) {
  set_level(Level::kWarn);
  EXPECT_EQ(logged(Level::kInfo, "quiet"), "");
  EXPECT_EQ(logged(Level::kDebug, "quiet"), "");
  EXPECT_NE(logged(Level::kWarn, "shown").find("\"level\":\"warn\""), std::string::npos);
  EXPECT_NE(logged(Level::kError, "shown").find("\"level\":\"error\""), std::string::npos);
  set_level(Level::kDebug);
  EXPECT_NE(logged(Level::kDebug, "shown").find("\"level\":\"debug\""), std::string::npos);
}

TEST_F(LogTest, TextIsOneLineWithValuesQuotedWhenNeeded) {
  set_format(Format::kText);
  const std::string line = logged(Level::kWarn, "cannot reload",
                                  {{"reason", "store down: \"x\""},
                                   {"url", "http://a/"},
                                   {"count", 3},
                                   {"list", boost::json::array{"a", "b"}},
                                   {"empty", ""}});
  EXPECT_TRUE(std::regex_match(
      line, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warn  cannot reload )"
                       R"(reason="store down: \\"x\\"" url=http://a/ count=3 list=\["a","b"\] )"
                       R"(empty=""\n)")))
      << line;
}

TEST_F(LogTest, TextNeverLetsAMessageBreakTheLine) {
  set_format(Format::kText);
  const std::string line = logged(Level::kError, "two\nlines");
  EXPECT_NE(line.find(R"(error "two\nlines")"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

}  // namespace
}  // namespace signet::cli
