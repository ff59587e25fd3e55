#include "signet/http/access_log.h"

#include <cstdio>
#include <ctime>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "signet/http/message.h"

namespace signet::http {
namespace {

// Escapes for a JSON string. Bytes outside printable ASCII become \u00XX so that the line stays
// valid JSON (and a single line) whatever a client put in its request line.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::shared_ptr<spdlog::logger> default_logger() {
  auto logger = std::make_shared<spdlog::logger>("signet.access",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::info);
  return logger;
}

}  // namespace

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                              tm.tm_sec, static_cast<int>(millis.count()));
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::string format_access_log(const AccessLogEntry& entry) {
  std::string line;
  line.reserve(160 + entry.target.size());
  line += "{\"ts\":";
  append_json_string(line, format_rfc3339(entry.time));
  line += ",\"remote\":";
  append_json_string(line, entry.remote);
  line += ",\"client\":";
  append_json_string(line, entry.client.empty() ? std::string_view("-") : entry.client);
  line += ",\"method\":";
  append_json_string(line, entry.method);
  line += ",\"path\":";
  append_json_string(line, path_of(entry.target));
  line += ",\"status\":";
  line += std::to_string(entry.status);
  line += ",\"bytes\":";
  line += std::to_string(entry.bytes);
  line += ",\"duration_us\":";
  line += std::to_string(entry.duration.count());
  line += '}';
  return line;
}

AccessLog::AccessLog(std::shared_ptr<spdlog::logger> logger)
    : logger_(logger ? std::move(logger) : default_logger()) {}

void AccessLog::write(const AccessLogEntry& entry) const {
  logger_->info("{}", format_access_log(entry));
}

}  // namespace signet::http
