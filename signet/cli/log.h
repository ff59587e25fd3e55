#pragma once

// Start-up and operational log lines: one JSON object a line on stderr (DESIGN.md), never a
// secret, a password or a whole token.

#include <string_view>

#include <boost/json/object.hpp>

namespace signet::cli {

enum class Level { kInfo, kWarn, kError };

// {"ts": "...Z", "level": "info", "msg": msg, ...fields}
void log(Level level, std::string_view msg, boost::json::object fields = {});

// Makes spdlog's default logger (used by the libraries) write the same JSON lines to stderr.
void install_json_logging();

}  // namespace signet::cli
