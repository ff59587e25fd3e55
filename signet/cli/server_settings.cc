#include "signet/cli/server_settings.h"

#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>

#include "signet/cli/log.h"

namespace signet::cli {

void add_server_settings(CLI::App* cmd, ServerSettings& settings) {
  add_log_options(cmd, settings.log_level, settings.log_format);
  cmd->add_option("--shutdown-grace", settings.shutdown_grace,
                  "Seconds a stop (SIGTERM, Ctrl-C) waits for requests in flight while refusing\n"
                  "new connections; whatever is still open then is closed, and the exit is 0")
      ->envname("SIGNET_SHUTDOWN_GRACE")
      ->check(CLI::Range(std::int64_t{0}, kMaxShutdownGraceSeconds))
      ->capture_default_str();
  config_file::add_config_options(cmd, settings.config, settings.check_config);
}

void add_dpop_settings(CLI::App* cmd, DpopSettings& settings, const std::string& nonce_help) {
  cmd->add_flag("--dpop-nonce", settings.nonce, nonce_help)->envname("SIGNET_DPOP_NONCE");
  cmd->add_option("--dpop-nonce-window", settings.nonce_window,
                  "Seconds a DPoP nonce stays current (it is accepted for up to twice this)")
      ->envname("SIGNET_DPOP_NONCE_WINDOW")
      ->check(CLI::Range(jose::dpop::kMinConfigurableSeconds, jose::dpop::kMaxConfigurableSeconds))
      ->capture_default_str();
  cmd->add_option("--dpop-proof-lifetime", settings.proof_lifetime,
                  "Seconds after its iat that a DPoP proof is accepted (plus 5 s of clock skew);\n"
                  "its jti is remembered that long, so it cannot be replayed")
      ->envname("SIGNET_DPOP_PROOF_LIFETIME")
      ->check(CLI::Range(jose::dpop::kMinConfigurableSeconds, jose::dpop::kMaxConfigurableSeconds))
      ->capture_default_str();
}

void apply_log_settings(const ServerSettings& settings) {
  // Both were checked by their options' validators (flag, variable or file alike).
  set_level(parse_level(settings.log_level).value_or(Level::kInfo));
  set_format(parse_format(settings.log_format).value_or(Format::kJson));
}

void print_configuration_valid() {
  std::cout << "configuration is valid" << std::endl;
}

std::function<void()> reload_on_hangup(ServerSettings& settings, http::Server& server) {
  return [&settings, &server] {
    boost::json::array reloaded;
    if (auto tls = server.reload_tls(); !tls) {
      log(Level::kError,
          "TLS certificate and key not reloaded: the previous pair stays in use; fix the files "
          "and send SIGHUP again",
          {{"reason", tls.error()}});
    } else if (*tls) {
      reloaded.emplace_back("tls");
    }
    const std::map<std::string, config_file::Reloadable> reloadable{
        {"log-level",
         {[](const std::string& value) -> std::optional<std::string> {
            if (parse_level(value)) {
              return std::nullopt;
            }
            return "'" + value + "' is not a level: use debug, info, warn or error";
          },
          [](const std::string& value) { set_level(*parse_level(value)); }}},
        {"log-format",
         {[](const std::string& value) -> std::optional<std::string> {
            if (parse_format(value)) {
              return std::nullopt;
            }
            return "'" + value + "' is not a format: use json or text";
          },
          [](const std::string& value) { set_format(*parse_format(value)); }}},
    };
    auto report = config_file::reload(settings.config, reloadable);
    if (!report) {
      log(Level::kError,
          "configuration file not reloaded: the running settings stay in force; fix the file "
          "and send SIGHUP again",
          {{"reason", report.error()}});
    } else {
      for (const auto& key : report->at_restart) {
        log(Level::kWarn, "takes effect at restart: " + key, {{"file", settings.config.path}});
      }
      for (const auto& key : report->applied) {
        reloaded.emplace_back(boost::json::string_view(key));
      }
    }
    log(Level::kInfo, "reloaded on SIGHUP", {{"reloaded", std::move(reloaded)}});
  };
}

std::optional<http::ServerOptions> metrics_listener_options(const std::string& metrics_listen,
                                                            const std::string& main_listen,
                                                            bool access_log) {
  if (metrics_listen.empty()) {
    return std::nullopt;
  }
  if (metrics_listen == main_listen) {
    throw CLI::ValidationError("--metrics-listen " + metrics_listen +
                               " is the address of --listen: give the metrics listener its own "
                               "port (e.g. 127.0.0.1:9464), on loopback or a private network");
  }
  http::ServerOptions options;
  options.listen = metrics_listen;
  options.threads = kMetricsThreads;
  options.access_log = access_log;
  options.max_connections = kMetricsMaxConnections;
  options.max_connections_per_address = kMetricsMaxConnections;
  try {
    http::Server::check(options);
  } catch (const std::exception& e) {
    throw CLI::ValidationError("--metrics-listen", e.what());
  }
  return options;
}

std::unique_ptr<http::Server> start_metrics_listener(
    const std::optional<http::ServerOptions>& options, const metrics::Registry& registry,
    const http::ReadinessCheck& ready) {
  if (!options) {
    return nullptr;
  }
  http::Router router;
  http::add_metrics_route(router, registry);
  http::add_health_routes(router, ready);
  try {
    auto server = std::make_unique<http::Server>(*options, std::move(router));
    server->start();
    return server;
  } catch (const std::exception& e) {
    throw CLI::ValidationError("--metrics-listen", e.what());
  }
}

std::string listener_url(std::string_view scheme, const std::string& listen, unsigned short port) {
  return std::string(scheme) + "://" + listen.substr(0, listen.rfind(':') + 1) +
         std::to_string(port) + "/";
}

SideListener::SideListener(http::Server* side, http::Server& main) : side_(side) {
  if (side_ == nullptr) {
    return;
  }
  thread_ = std::thread([this, &main] {
    try {
      side_->run();
    } catch (const std::exception& e) {
      log(Level::kError, "the metrics listener failed; stopping", {{"reason", e.what()}});
      main.stop();
    }
  });
}

SideListener::~SideListener() {
  stop();
}

void SideListener::stop() {
  if (thread_.joinable()) {
    side_->stop();
    thread_.join();
  }
}

}  // namespace signet::cli
