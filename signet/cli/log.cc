#include "signet/cli/log.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>

namespace signet::cli {
namespace {

std::atomic<Level> current_level{Level::kInfo};
std::atomic<Format> current_format{Format::kJson};

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
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

Level from_spdlog(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::warn:
      return Level::kWarn;
    case spdlog::level::err:
    case spdlog::level::critical:
      return Level::kError;
    case spdlog::level::debug:
    case spdlog::level::trace:
      return Level::kDebug;
    default:
      return Level::kInfo;
  }
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
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

// A field's value in a text line: a plain word as it is, anything else as JSON (quoted, escaped),
// so that a line stays one line and a value with spaces stays one value.
std::string text_value(const boost::json::value& value) {
  if (const auto* s = value.if_string()) {
    const bool plain = !s->empty() && std::all_of(s->begin(), s->end(), [](char c) {
      return c > ' ' && c != '"' && c != '=' && c != '\\' && c != 0x7f;
    });
    if (plain) {
      return std::string(*s);
    }
  }
  return boost::json::serialize(value);
}

// msg as JSON unless it is printable ASCII without quotes or backslashes: never a raw newline or
// control character from a library's message in the middle of a line.
std::string text_message(std::string_view msg) {
  const bool printable = std::all_of(msg.begin(), msg.end(), [](char c) {
    return c >= ' ' && c != 0x7f && c != '"' && c != '\\';
  });
  return printable ? std::string(msg) : boost::json::serialize(boost::json::string_view(msg));
}

std::string line(Level level, std::string_view msg, boost::json::object fields) {
  if (current_format.load() == Format::kText) {
    std::string out = timestamp();
    out += " ";
    out += level_name(level);
    out += std::string(6 - level_name(level).size(), ' ');
    out += text_message(msg);
    for (const auto& f : fields) {
      out += " ";
      out += f.key();
      out += "=";
      out += text_value(f.value());
    }
    return out;
  }
  boost::json::object object;
  object["ts"] = timestamp();
  object["level"] = level_name(level);
  object["msg"] = msg;
  for (auto& f : fields) {
    object[f.key()] = std::move(f.value());
  }
  return boost::json::serialize(object);
}

// Formats any spdlog message as one line of the current format.
class LineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string text =
        line(from_spdlog(msg.level), std::string_view(msg.payload.data(), msg.payload.size()), {}) +
        "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>();
  }
};

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
  for (const Level level : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (name == level_name(level)) {
      return level;
    }
  }
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view name) {
  if (name == "json") {
    return Format::kJson;
  }
  if (name == "text") {
    return Format::kText;
  }
  return std::nullopt;
}

void set_level(Level level) {
  current_level.store(level);
  spdlog::default_logger_raw()->set_level(to_spdlog(level));
}

void set_format(Format format) {
  current_format.store(format);
}

void install_json_logging() {
  auto logger = std::make_shared<spdlog::logger>("default",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(std::make_unique<LineFormatter>());
  logger->set_level(to_spdlog(current_level.load()));
  spdlog::set_default_logger(std::move(logger));
}

void log(Level level, std::string_view msg, boost::json::object fields) {
  if (level < current_level.load()) {
    return;
  }
  logger().info("{}", line(level, msg, std::move(fields)));
}

void add_log_options(CLI::App* cmd, std::string& level, std::string& format) {
  cmd->add_option("--log-level", level,
                  "Lowest level of the lines logged on stderr: debug, info, warn or error (the\n"
                  "access log is not affected: --no-access-log turns it off)")
      ->envname("SIGNET_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  cmd->add_option("--log-format", format,
                  "json (one JSON object a line, for log shippers) or text (for a terminal)")
      ->envname("SIGNET_LOG_FORMAT")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
}

}  // namespace signet::cli
