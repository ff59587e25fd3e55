#pragma once

// `signet logs`: reads the event log (docs/operations.md "Event log") of a local tenant or, with
// --server, of a running server through its Management API: the most recent events oldest first,
// filtered by type, client, user and age, as a table or JSON lines; --follow keeps printing new
// events as they are recorded.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <CLI/App.hpp>

#include "signet/cli/command_context.h"
#include "signet/store/types.h"

namespace signet::cli::logs {

// How often --follow asks for new events: an operator watching sees an event within a second.
constexpr auto kFollowInterval = std::chrono::seconds{1};
// The most events one listing shows (--limit): a screenful or a script's batch, not the log.
constexpr std::int64_t kMaxLimit = 1000;
// The furthest back --since reaches as a duration: far beyond any retention.
constexpr std::chrono::days kMaxSinceDays{36'600};

struct Options {
  std::optional<std::string> type;
  std::optional<std::string> client;
  std::optional<std::string> user;
  std::optional<std::string> since;  // a duration back from now (30s, 15m, 2h, 7d) or RFC 3339
  std::int64_t limit = 50;
  bool follow = false;
  bool json = false;
};

// --since as a time: `now` minus a duration, or an RFC 3339 UTC time. CommandError otherwise.
store::PreciseTimestamp parse_since(const std::string& text, store::Timestamp now);

// Prints the most recent events; with --follow, then polls for new ones until the process is
// stopped.
void run(CommandContext& ctx, const Options& o);

void add_command(CLI::App& app, VerbRegistrar& verbs);

}  // namespace signet::cli::logs
