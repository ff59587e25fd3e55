#pragma once

// What `signet serve` and `signet api` share around the server they run: the --config file and
// --check-config, the log options, the shutdown grace, and what SIGHUP does.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "signet/cli/config_file.h"
#include "signet/http/server.h"

namespace CLI {
class App;
}  // namespace CLI

namespace signet::cli {

// seconds; a stop (SIGTERM) waits at most this long for requests in flight. An hour is already
// longer than any request signet serves and than any service manager waits (systemd: 90 s).
constexpr std::int64_t kMaxShutdownGraceSeconds = 3600;

struct ServerSettings {
  config_file::Loaded config;
  bool check_config = false;
  std::string log_level = "info";
  std::string log_format = "json";
  std::int64_t shutdown_grace =
      std::chrono::duration_cast<std::chrono::seconds>(http::kDefaultShutdownGrace).count();
};

// Adds --log-level, --log-format, --shutdown-grace, --check-config and --config (SIGNET_CONFIG)
// to `cmd`, bound to `settings`.
void add_server_settings(CLI::App* cmd, ServerSettings& settings);

// Puts --log-level and --log-format in force: the first thing a server command does.
void apply_log_settings(const ServerSettings& settings);

// The answer of --check-config once every check has passed, on stdout.
void print_configuration_valid();

// What SIGHUP does, for http::Server::run_until_signal(): reloads `server`'s TLS certificate and
// key (a pair that does not load is refused and the old one kept), reads the --config file again
// and applies its settings that can change while running (log-level, log-format), logs every
// other changed key as "takes effect at restart: <key>", and logs one line of what was reloaded.
// A file with an error changes nothing (logged). `settings` and `server` must outlive the run.
std::function<void()> reload_on_hangup(ServerSettings& settings, http::Server& server);

// A second listener (--metrics-listen) served on its own thread beside the main server, which
// takes the signals. stop(), called once the main server's run has returned, stops and joins it.
// Should it fail while running, the main server stops too rather than serve on without what the
// operator asked for. With a null `side` nothing runs. Both servers must outlive this.
class SideListener {
 public:
  SideListener(http::Server* side, http::Server& main);
  ~SideListener();
  SideListener(const SideListener&) = delete;
  SideListener& operator=(const SideListener&) = delete;
  void stop();

 private:
  http::Server* side_;
  std::thread thread_;
};

}  // namespace signet::cli
