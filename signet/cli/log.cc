#include "signet/cli/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

namespace signet::cli {
namespace {

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto l = std::make_shared<spdlog::logger>("signet",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    return l;
  }();
  return *instance;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

// RFC 3339 UTC with milliseconds.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

// Formats any spdlog message as one JSON line, escaping the message text.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    boost::json::object line;
    line["ts"] = timestamp();
    line["level"] = level_name(msg.level);
    line["msg"] = std::string_view(msg.payload.data(), msg.payload.size());
    const std::string text = boost::json::serialize(line) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  static std::string_view level_name(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::warn:
        return "warn";
      case spdlog::level::err:
      case spdlog::level::critical:
        return "error";
      case spdlog::level::debug:
      case spdlog::level::trace:
        return "debug";
      default:
        return "info";
    }
  }
};

}  // namespace

void install_json_logging() {
  auto logger = std::make_shared<spdlog::logger>("default",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(std::make_unique<JsonFormatter>());
  spdlog::set_default_logger(std::move(logger));
}

void log(Level level, std::string_view msg, boost::json::object fields) {
  boost::json::object line;
  line["ts"] = timestamp();
  line["level"] = level_name(level);
  line["msg"] = msg;
  for (auto& f : fields) {
    line[f.key()] = std::move(f.value());
  }
  logger().info("{}", boost::json::serialize(line));
}

}  // namespace signet::cli
