#pragma once

// One JSON object per request on stderr (DESIGN.md: logs are one JSON object a line). Only what an
// operator needs to see traffic; never headers, bodies or query strings, which carry tokens.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace signet::http {

struct AccessLogEntry {
  std::chrono::system_clock::time_point time;  // when the request started
  std::string_view remote;                     // the connection's peer address and port
  std::string_view method;                     // "-" when the request could not be parsed
  std::string_view target;                     // the request target; the query is dropped
  unsigned status = 0;
  std::size_t bytes = 0;  // bytes written to the connection for this response, headers included
  std::chrono::microseconds duration{0};
  // The client's address after trusted-proxy resolution (see client_address.h): the peer's
  // address unless a trusted proxy named another client. "" when unknown.
  std::string_view client;
};

// {"ts":"2024-05-01T12:00:00.123Z","remote":...,"client":...,"method":...,"path":...,
//  "status":...,"bytes":...,"duration_us":...}: ts in RFC 3339 UTC, client "-" when unknown, path
//  without its query string.
std::string format_access_log(const AccessLogEntry& entry);

// RFC 3339 UTC with milliseconds, e.g. "2024-05-01T12:00:00.123Z".
std::string format_rfc3339(std::chrono::system_clock::time_point time);

class AccessLog {
 public:
  // Writes through `logger`; null means a logger on stderr with the pattern "%v".
  explicit AccessLog(std::shared_ptr<spdlog::logger> logger = nullptr);
  void write(const AccessLogEntry& entry) const;

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace signet::http
