#pragma once

// Start-up and operational log lines on stderr, never a secret, a password or a whole token.
// One JSON object a line by default (DESIGN.md), or one line of text for a person at a terminal
// (--log-format text); lines below --log-level are dropped. Both can change while the servers run
// (SIGHUP with a --config file). The access log (signet/http/access_log.h) stays JSON lines,
// whatever the format: it is read by machines, and --no-access-log turns it off.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace CLI {
class App;
}  // namespace CLI

namespace signet::cli {

enum class Level { kDebug, kInfo, kWarn, kError };

enum class Format {
  kJson,  // {"ts": "...Z", "level": "info", "msg": msg, ...fields}
  kText,  // ...Z info  msg key=value key="a value with spaces"
};

// "debug", "info", "warn", "error" / "json", "text"; nullopt for anything else.
std::optional<Level> parse_level(std::string_view name);
std::optional<Format> parse_format(std::string_view name);

// Take effect at once, for every thread, here and in the libraries' spdlog lines.
void set_level(Level level);
void set_format(Format format);

// One line, when `level` is at or above the current level.
void log(Level level, std::string_view msg, boost::json::object fields = {});

// Makes spdlog's default logger (used by the libraries) write the same lines to stderr.
void install_json_logging();

// Adds --log-level (SIGNET_LOG_LEVEL) and --log-format (SIGNET_LOG_FORMAT) to `cmd`, bound to
// `level` and `format`, which must hold their defaults ("info", "json").
void add_log_options(CLI::App* cmd, std::string& level, std::string& format);

}  // namespace signet::cli
