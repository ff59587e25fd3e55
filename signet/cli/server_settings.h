#pragma once

// What `signet serve` and `signet api` share around the server they run: the --config file and
// --check-config, the log options, the shutdown grace, what SIGHUP does, and the metrics
// listener beside the server.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "signet/cli/config_file.h"
#include "signet/http/operations_routes.h"
#include "signet/http/server.h"
#include "signet/jose/dpop.h"
#include "signet/metrics/registry.h"

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

// The DPoP proof options (RFC 9449) both servers take alike.
struct DpopSettings {
  bool nonce = false;
  std::int64_t nonce_window = jose::dpop::kDefaultNonceWindow.count();
  std::int64_t proof_lifetime = jose::dpop::kDefaultProofLifetime.count();
};

// Adds --dpop-nonce, --dpop-nonce-window and --dpop-proof-lifetime (and their SIGNET_*
// variables) to `cmd`, bound to `settings`. `nonce_help` is --dpop-nonce's help: what a proof
// without a current nonce gets differs between the token endpoint (400) and an API (401).
void add_dpop_settings(CLI::App* cmd, DpopSettings& settings, const std::string& nonce_help);

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

// The metrics listener serves a scraper or two and an operator's curl, on loopback or a private
// network: a few connections are plenty, and a bounded number cannot starve the public listener.
constexpr std::size_t kMetricsMaxConnections = 16;
// One worker: /metrics is a few hundred atomic loads and a text document.
constexpr unsigned kMetricsThreads = 1;

// The options of the --metrics-listen listener, or nullopt without one. Checked as the server
// would check them, binding nothing (so --check-config sees a bad value too); throws
// CLI::ValidationError naming --metrics-listen, also when it is the main listener's address.
std::optional<http::ServerOptions> metrics_listener_options(const std::string& metrics_listen,
                                                            const std::string& main_listen,
                                                            bool access_log);

// The metrics listener for `options` (from metrics_listener_options), bound and serving /metrics
// and the health checks once run; null without options. Throws CLI::ValidationError naming
// --metrics-listen when it cannot bind.
std::unique_ptr<http::Server> start_metrics_listener(
    const std::optional<http::ServerOptions>& options, const metrics::Registry& registry,
    const http::ReadinessCheck& ready);

// "http://127.0.0.1:4000/": `listen` with the port actually bound (port 0 picks one).
std::string listener_url(std::string_view scheme, const std::string& listen, unsigned short port);

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
