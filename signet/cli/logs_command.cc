#include "signet/cli/logs_command.h"

#include <algorithm>
#include <charconv>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "signet/admin/auth0_json.h"
#include "signet/cli/printers.h"
#include "signet/http/access_log.h"
#include "signet/server/event_log.h"

namespace signet::cli::logs {

namespace {

admin::LogFilter filter_of(const Options& o, store::Timestamp now) {
  admin::LogFilter f;
  f.type = o.type;
  f.client_id = o.client;
  f.user_id = o.user;
  if (o.since) {
    f.since = parse_since(*o.since, now);
  }
  return f;
}

// One event as a table row: when, what, for whom, from where, and why it failed.
std::vector<std::string> row(const store::Event& e) {
  std::string what =
      e.description.empty() ? std::string(server::describe_event_type(e.type)) : e.description;
  if (!e.error.empty()) {
    what = e.error + ": " + what;
  }
  const auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  return {
      http::format_rfc3339(e.date), e.type, dash(e.client_id), dash(e.user_id), dash(e.ip), what};
}

void print(CommandContext& ctx, const Options& o, const std::vector<store::Event>& events,
           bool header) {
  if (o.json) {
    for (const auto& e : events) {
      ctx.out() << boost::json::serialize(server::event_to_json(e)) << '\n';
    }
  } else {
    TableRows rows;
    if (header) {
      rows.push_back({"DATE", "TYPE", "CLIENT", "USER", "IP", "DESCRIPTION"});
    }
    for (const auto& e : events) {
      rows.push_back(row(e));
    }
    if (!rows.empty()) {
      print_table(ctx.out(), rows);
    }
  }
  ctx.out().flush();
}

}  // namespace

store::PreciseTimestamp parse_since(const std::string& text, store::Timestamp now) {
  if (auto at = admin::parse_precise_date(text)) {
    return *at;
  }
  // A number and one unit letter, the number at most a century of that unit: far more than any
  // retention keeps, and small enough that `now - back` cannot wrap.
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  const auto [unit, ec] = std::from_chars(text.data(), end, n);
  if (ec == std::errc{} && unit != text.data() && unit + 1 == end && n >= 0) {
    constexpr std::pair<char, std::chrono::seconds> kUnits[] = {
        {'s', std::chrono::seconds{1}},
        {'m', std::chrono::minutes{1}},
        {'h', std::chrono::hours{1}},
        {'d', std::chrono::days{1}},
    };
    for (const auto& [letter, length] : kUnits) {
      if (*unit == letter && n <= kMaxSinceDays.count() * (std::chrono::days{1} / length)) {
        return std::chrono::time_point_cast<std::chrono::milliseconds>(now - n * length);
      }
    }
  }
  throw CommandError{"--since '" + text +
                     "' is neither a duration (30s, 15m, 2h, 7d) nor an RFC 3339 UTC time "
                     "(2026-12-06T10:00:00Z)"};
}

void run(CommandContext& ctx, const Options& o) {
  if (o.limit < 1 || o.limit > kMaxLimit) {
    throw CommandError{"--limit must be between 1 and " + std::to_string(kMaxLimit)};
  }
  const admin::LogFilter filter = filter_of(o, ctx.now());
  admin::Admin& admin = ctx.admin(Access::kRead);
  // The newest `limit` events, in pages the interface allows, then shown oldest first.
  std::vector<store::Event> newest;
  for (std::int64_t page = 0; static_cast<std::int64_t>(newest.size()) < o.limit; ++page) {
    const std::int64_t per_page = std::min<std::int64_t>(
        admin::kMaxPerPage, o.limit - static_cast<std::int64_t>(newest.size()));
    auto listed = value_or_throw(admin.list_logs({page, per_page}, filter));
    newest.insert(newest.end(), listed.items.begin(), listed.items.end());
    if (static_cast<std::int64_t>(listed.items.size()) < per_page) {
      break;
    }
  }
  std::reverse(newest.begin(), newest.end());
  if (newest.empty() && !o.follow && !o.json) {
    ctx.err() << "No events match. Events appear as the server issues tokens and people sign in;"
                 " see 'signet logs --help' for the filters.\n";
  }
  if (!o.follow) {
    print(ctx, o, newest, true);
    return;
  }
  // Following: the header once, above the first events shown.
  bool header = true;
  const auto show = [&](const std::vector<store::Event>& events) {
    if (!events.empty()) {
      print(ctx, o, events, header);
      header = false;
    }
  };
  show(newest);
  std::int64_t last = newest.empty() ? 0 : newest.back().id;
  if (newest.empty()) {
    // Nothing matched yet: start after the newest event of any kind, so that only new ones show.
    auto any = value_or_throw(admin.list_logs({0, 1}, {}));
    if (!any.items.empty()) {
      last = any.items.front().id;
    }
  }
  for (;;) {
    std::this_thread::sleep_for(kFollowInterval);
    // Everything that came since, in batches the interface allows.
    for (;;) {
      auto next = value_or_throw(admin.logs_after(last, admin::kMaxLogsTaken, filter));
      if (next.empty()) {
        break;
      }
      last = next.back().id;
      show(next);
      if (static_cast<std::int64_t>(next.size()) < admin::kMaxLogsTaken) {
        break;
      }
    }
  }
}

void add_command(CLI::App& app, VerbRegistrar& verbs) {
  auto v = verbs.add(
      &app, "logs",
      "Show the event log: tokens issued and refused, sign-ins, lockouts, refresh-token reuse,\n"
      "key rotations and admin changes, with Auth0's type codes (seccft, fepft, limit_wc, ...;\n"
      "docs/operations.md lists them). The most recent events, oldest first; --follow keeps\n"
      "printing new ones. Reads the local tenant, or a server's with --server.",
      run);
  v.command->add_option("--type", v.options.type, "Only events of this type (e.g. feccft)");
  v.command->add_option("--client", v.options.client, "Only events of this client_id");
  v.command->add_option("--user", v.options.user, "Only events of this user id");
  v.command->add_option("--since", v.options.since,
                        "Only events at or after: a duration back from now (30s, 15m, 2h, 7d) or "
                        "an RFC 3339 UTC time");
  v.command->add_option("--limit", v.options.limit, "How many of the most recent events")
      ->capture_default_str();
  v.command->add_flag("--follow,-f", v.options.follow,
                      "Keep printing new events as they are recorded (Ctrl-C to stop)");
}

}  // namespace signet::cli::logs
