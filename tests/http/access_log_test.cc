#include "signet/http/access_log.h"

#include <gtest/gtest.h>

#include <mutex>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "tests/http/test_support.h"

namespace signet::http {
namespace {

using namespace std::chrono_literals;

TEST(AccessLog, FormatsOneJsonObjectWithoutTheQuery) {
  const AccessLogEntry entry{std::chrono::system_clock::time_point{1714564800123ms},
                             "127.0.0.1:5000",
                             "GET",
                             "/api/private?access_token=eyJsecret",
                             200,
                             1234,
                             56us,
                             "203.0.113.5"};
  const std::string line = format_access_log(entry);
  EXPECT_EQ(line, R"({"ts":"2024-05-01T12:00:00.123Z","remote":"127.0.0.1:5000",)"
                  R"("client":"203.0.113.5","method":"GET","path":"/api/private","status":200,)"
                  R"("bytes":1234,"duration_us":56})");
  EXPECT_EQ(line.find("secret"), std::string::npos);
}

TEST(AccessLog, EscapesWhateverTheClientSent) {
  const AccessLogEntry entry{
      std::chrono::system_clock::time_point{}, "-", "-", "/a\"b\\c\n\x01\xff", 400, 0, 0us, ""};
  const std::string line = format_access_log(entry);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = boost::json::parse(line).as_object();
  EXPECT_EQ(parsed.at("path").as_string(), "/a\"b\\c\n\x01\xc3\xbf");
  EXPECT_EQ(parsed.at("ts").as_string(), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(parsed.at("client").as_string(), "-");  // unknown
}

TEST(AccessLog, Rfc3339) {
  EXPECT_EQ(format_rfc3339(std::chrono::system_clock::time_point{951782400000ms}),
            "2000-02-29T00:00:00.000Z");
}

TEST(AccessLog, ServerLogsEachRequestWithoutQueryOrHeaders) {
  auto stream = std::make_shared<std::ostringstream>();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*stream);
  auto logger = std::make_shared<spdlog::logger>("test.access", sink);
  logger->set_pattern("%v");

  ServerOptions options = testing::test_options();
  options.access_log = true;
  options.access_logger = logger;
  {
    testing::RunningServer server(options, Router{});
    testing::RawClient client(server.port());
    ASSERT_TRUE(
        client.send("GET /healthz?client_secret=hunter2 HTTP/1.1\r\nHost: x\r\n"
                    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig\r\n\r\n"));
    const auto res = client.read_response();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->result_int(), 200u);
    server.stop();  // the line is written after the response; stopping waits for it
  }
  const std::string log = stream->str();
  ASSERT_FALSE(log.empty());
  const std::string first_line = log.substr(0, log.find('\n'));
  const auto entry = boost::json::parse(first_line).as_object();
  EXPECT_EQ(entry.at("method").as_string(), "GET");
  EXPECT_EQ(entry.at("path").as_string(), "/healthz");
  EXPECT_EQ(entry.at("status").as_int64(), 200);
  EXPECT_GT(entry.at("bytes").as_int64(), 0);
  EXPECT_TRUE(entry.at("duration_us").is_int64());
  EXPECT_EQ(std::string(entry.at("remote").as_string()).rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(entry.at("client").as_string(), "127.0.0.1");
  EXPECT_EQ(log.find("hunter2"), std::string::npos);
  EXPECT_EQ(log.find("eyJ"), std::string::npos);
  EXPECT_EQ(log.find("Bearer"), std::string::npos);
}

}  // namespace
}  // namespace signet::http
