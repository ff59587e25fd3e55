#include "signet/cli/serve_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "signet/admin/admin_service.h"
#include "signet/cli/admin_support.h"
#include "signet/cli/log.h"
#include "signet/cli/server_settings.h"
#include "signet/common/periodic_task.h"
#include "signet/console/console_routes.h"
#include "signet/http/operations_routes.h"
#include "signet/http/server.h"
#include "signet/http/url.h"
#include "signet/jose/dpop.h"
#include "signet/keys/key_manager.h"
#include "signet/management/management_api.h"
#include "signet/metrics/process.h"
#include "signet/metrics/registry.h"
#include "signet/server/authorization_server.h"
#include "signet/server/credentials.h"
#include "signet/server/event_log.h"
#include "signet/server/housekeeping.h"
#include "signet/server/password.h"
#include "signet/server/server_metrics.h"
#include "signet/server/sign_in.h"
#include "signet/server/tenant.h"
#include "signet/server/token_endpoint.h"
#include "signet/store/postgres_store.h"

namespace signet::cli {
namespace {

struct ServeOptions {
  std::string listen = "127.0.0.1:4000";
  std::string metrics_listen;    // empty: no metrics listener
  bool metrics_on_main = false;  // GET /metrics on the public listener too
  std::string issuer = "http://localhost:4000/";
  std::string data_dir{kDefaultDataDir};
  std::string store;  // a postgresql:// URL; empty: <data_dir>/signet.db
  int store_pool_size = store::postgres::kDefaultPoolSize;
  bool migrate = false;
  std::string tls_cert;
  std::string tls_key;
  unsigned threads = 0;
  unsigned blocking_threads = 0;
  bool no_access_log = false;
  std::size_t max_connections = http::kDefaultMaxConnections;
  std::size_t max_connections_per_address = http::kDefaultMaxConnectionsPerAddress;
  std::vector<std::string> trusted_proxies;
  std::int64_t jwks_max_age = server::kDefaultJwksMaxAge.count();
  std::int64_t refresh_token_lifetime = server::kDefaultRefreshTokenLifetime.count();
  std::int64_t refresh_reuse_grace = server::kDefaultRefreshReuseGrace.count();
  std::int64_t store_outage_grace = server::kDefaultStoreOutageGrace.count();
  int lockout_max_failures = store::LockoutPolicy{}.max_failures;
  std::int64_t lockout_seconds = store::LockoutPolicy{}.block_for.count();
  std::int64_t session_idle_timeout = server::kDefaultSessionIdleTimeout.count();
  std::string event_log{server::kEventLinesToStdout};
  std::int64_t event_retention_days = server::kDefaultEventRetention.count();
  std::int64_t event_retention_count = server::kDefaultEventRetentionCount;
  std::int64_t session_lifetime = server::kDefaultSessionLifetime.count();
  std::int64_t login_form_lifetime = server::kDefaultLoginFormLifetime.count();
  bool allow_code_without_pkce = false;
  DpopSettings dpop;
  std::string tenant_name = server::Branding{}.tenant_name;
  std::string logo_url;
  std::uint32_t argon2_memory_kib = server::kDefaultArgonMemoryKiB;
  std::uint32_t argon2_iterations = server::kDefaultArgonIterations;
  std::uint32_t argon2_parallelism = server::kDefaultArgonParallelism;
  ServerSettings settings;  // --config, --check-config, --log-*, --shutdown-grace
};

void check_issuer(const std::string& issuer) {
  auto url = http::parse_url(issuer);
  if (!url) {
    throw CommandError{"--issuer '" + issuer +
                       "' is not an http(s) URL; use e.g. http://localhost:4000/"};
  }
  if (issuer.back() != '/') {
    throw CommandError{
        "--issuer must end with '/' (tokens carry it exactly, and validators "
        "compare it byte for byte): use '" +
        issuer + "/'"};
  }
}

// How long the listener waits for a notification before looking whether the server is stopping.
constexpr auto kNotificationWait = std::chrono::milliseconds{500};
// How long it waits before trying again after the database could not be reached.
constexpr auto kListenerRetry = std::chrono::seconds{1};

// Wakes the tenant's watcher at every notification on the configuration channel of `store_url`.
std::jthread listen_for_changes(const std::string& store_url, server::Tenant& tenant) {
  return std::jthread([store_url, &tenant](std::stop_token stop) {
    std::unique_ptr<store::postgres::Listener> listener;
    bool reported = false;  // one warning per outage, not one per retry
    while (!stop.stop_requested()) {
      if (!listener) {
        auto opened = store::postgres::Listener::open({.url = store_url},
                                                      std::string(store::kConfigurationChannel));
        if (!opened) {
          if (!reported) {
            log(Level::kWarn, "cannot listen for configuration changes; polling meanwhile",
                {{"reason", opened.error().message}});
            reported = true;
          }
          std::this_thread::sleep_for(kListenerRetry);
          continue;
        }
        listener = std::move(opened).value();
        tenant.changed();  // anything may have changed while nobody listened
        continue;
      }
      auto woken = listener->wait(kNotificationWait);
      if (!woken) {
        if (!reported) {
          log(Level::kWarn, "lost the configuration-change listener; polling meanwhile",
              {{"reason", woken.error().message}});
          reported = true;
        }
        std::this_thread::sleep_for(kListenerRetry);
        continue;  // the next wait() reconnects
      }
      reported = false;  // listening again: the next outage is worth a warning of its own
      if (*woken) {
        tenant.changed();
      }
    }
  });
}

// The public listener's options; CORS, which needs the tenant, is added by the caller.
http::ServerOptions listener_options(const ServeOptions& o) {
  http::ServerOptions server_options;
  server_options.listen = o.listen;
  server_options.threads = o.threads;
  server_options.access_log = !o.no_access_log;
  server_options.max_connections = o.max_connections;
  server_options.max_connections_per_address = o.max_connections_per_address;
  server_options.trusted_proxies = o.trusted_proxies;
  server_options.shutdown_grace = std::chrono::seconds{o.settings.shutdown_grace};
  if (!o.tls_cert.empty()) {
    server_options.tls = http::TlsOptions{o.tls_cert, o.tls_key};
  }
  return server_options;
}

int run_serve(ServeOptions& o) {
  apply_log_settings(o.settings);
  check_issuer(o.issuer);
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    throw CommandError{"give both --tls-cert and --tls-key, or neither"};
  }
  server::ArgonParams argon{o.argon2_memory_kib, o.argon2_iterations, o.argon2_parallelism};
  if (auto valid = server::validate_argon_params(argon); !valid) {
    throw CommandError{valid.error()};
  }
  check_store_url(o.store);
  http::Server::check(listener_options(o));  // the address, proxies, TLS files and their match
  const auto metrics_options =
      metrics_listener_options(o.metrics_listen, o.listen, !o.no_access_log);
  if (o.settings.check_config) {
    print_configuration_valid();  // nothing bound, nothing written: not even the data directory
    return 0;
  }

  // Before the store and the servers, which count into it until they are gone.
  metrics::Registry registry;
  metrics::register_process_metrics(registry);

  const auto data_dir = prepare_data_dir(o.data_dir);
  auto store =
      open_store(data_dir, {.url = o.store, .pool_size = o.store_pool_size, .migrate = o.migrate});
  store->count_into(registry);
  const auto master_key = load_master_key(data_dir);
  const server::SecretHasher secrets(master_key);
  keys::KeyManager key_manager(*store, load_master_key(data_dir));
  const server::PasswordHasher passwords(argon);

  // The Management API and the console's application exist from the first start (as in Auth0,
  // where every tenant has its Management API), so that a client grant can open it.
  if (auto ensured = management::ensure_management_api(*store, o.issuer, now()); !ensured) {
    throw CommandError{ensured.error()};
  }
  admin::AdminService admin(*store, key_manager, secrets, passwords, &now,
                            management::management_audience(o.issuer));

  server::Tenant tenant(*store, key_manager);
  if (auto loaded = tenant.load(now()); !loaded) {
    throw CommandError{loaded.error()};
  }

  server::EndpointConfig config;
  config.issuer = o.issuer;
  config.refresh_token_lifetime = std::chrono::seconds{o.refresh_token_lifetime};
  config.refresh_reuse_grace = std::chrono::seconds{o.refresh_reuse_grace};
  config.store_outage_grace = std::chrono::seconds{o.store_outage_grace};
  config.user_lockout.max_failures = o.lockout_max_failures;
  config.user_lockout.block_for = std::chrono::seconds{o.lockout_seconds};
  config.dpop.nonce = o.dpop.nonce;
  config.dpop.nonce_window = std::chrono::seconds{o.dpop.nonce_window};
  config.dpop.proof_lifetime = std::chrono::seconds{o.dpop.proof_lifetime};
  config.dpop.shared_record = !o.store.empty();  // replicas on PostgreSQL share the record
  server::TokenEndpoint endpoint(config, tenant, *store, secrets, passwords);
  server::register_endpoint_metrics(registry, endpoint);
  server::Readiness readiness(*store, tenant);
  const http::ReadinessCheck ready = [&readiness] { return readiness.reasons(); };
  // The event log: recorded on the request path into memory, written here in batches, and kept
  // within its retention (server/event_log.h).
  auto event_lines = server::open_event_lines(o.event_log);
  if (!event_lines) {
    throw CommandError{"--event-log: " + event_lines.error() +
                       " (give a writable file, '-' for stdout or 'off')"};
  }
  server::EventLog events(*store, std::move(*event_lines));
  endpoint.set_event_log(&events);
  server::register_event_log_metrics(registry, events);

  http::ServerOptions server_options = listener_options(o);
  server_options.metrics = &registry;
  server_options.cors.allow = server::web_origin_cors(tenant);
  server_options.cors.allowed_headers.emplace_back("DPoP");  // single-page apps send proofs
  // argon2id and store writes run here, so they never hold a worker that JWKS and
  // client-credentials requests need.
  const unsigned blocking_threads = o.blocking_threads != 0
                                        ? o.blocking_threads
                                        : std::max(2u, std::thread::hardware_concurrency());
  boost::asio::thread_pool blocking(blocking_threads);
  server::RouterOptions router_options;
  router_options.jwks_max_age = std::chrono::seconds{o.jwks_max_age};
  auto router =
      server::authorization_router(endpoint, tenant, blocking.get_executor(), router_options);
  server::SignInConfig sign_in;
  sign_in.session_idle_timeout = std::chrono::seconds{o.session_idle_timeout};
  sign_in.session_lifetime = std::chrono::seconds{o.session_lifetime};
  sign_in.login_form_lifetime = std::chrono::seconds{o.login_form_lifetime};
  sign_in.require_pkce = !o.allow_code_without_pkce;
  sign_in.branding = server::Branding{o.tenant_name, o.logo_url};
  server::add_sign_in_routes(router, endpoint, blocking.get_executor(), sign_in);
  management::add_management_routes(
      router, management::ManagementOptions{o.issuer, &events, &endpoint.dpop()}, admin, tenant,
      blocking.get_executor());
  console::add_console_routes(router, console::base_path_for_issuer(o.issuer));
  http::add_health_routes(router, ready);
  if (o.metrics_on_main) {
    http::add_metrics_route(router, registry);
  }
  http::Server server(server_options, std::move(router));
  server.start();
  const auto metrics = start_metrics_listener(metrics_options, registry, ready);
  tenant.start_watching(
      server::kConfigPollInterval,
      {.failing =
           [grace = o.store_outage_grace](const std::string& error) {
             log(Level::kWarn,
                 "cannot reload the configuration; serving the last good one (client "
                 "credentials for --store-outage-grace, other grants get 503 until the store "
                 "answers)",
                 {{"reason", error}, {"store_outage_grace_seconds", grace}});
           },
       .recovered =
           [](std::chrono::milliseconds failed_for) {
             log(Level::kInfo, "the configuration reloads again",
                 {{"failed_for_ms", failed_for.count()}});
           }});
  // On a shared database, another replica's change is announced at its commit: the watcher looks
  // at once, and polling only covers a notification lost while the listener reconnected.
  std::jthread notifications;
  if (!o.store.empty()) {
    notifications = listen_for_changes(o.store, tenant);
  }

  const auto snap = tenant.snapshot();
  const std::string scheme = o.tls_cert.empty() ? "http" : "https";
  log(Level::kInfo, "authorization server listening",
      {{"url", listener_url(scheme, o.listen, server.port())},
       {"port", server.port()},
       {"metrics_url",
        metrics ? listener_url("http", o.metrics_listen, metrics->port()) + "metrics" : "off"},
       {"issuer", o.issuer},
       {"data_dir", data_dir.string()},
       {"apis", snap->apis.size()},
       {"applications", snap->applications.size()}});
  SideListener metrics_listener(metrics.get(), server);
  const server::EventRetention retention{std::chrono::days{o.event_retention_days},
                                         o.event_retention_count};
  auto retained_at = std::chrono::steady_clock::now() - server::kEventRetentionInterval;
  PeriodicTask event_writer(
      "event log", server::kEventFlushInterval, PeriodicTask::Start::kAfterInterval,
      [&] {
        events.flush();
        if (std::chrono::steady_clock::now() - retained_at >= server::kEventRetentionInterval) {
          retained_at = std::chrono::steady_clock::now();
          events.apply_retention(retention, std::chrono::time_point_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now()));
        }
      },
      [](const std::string& what) {
        log(Level::kError, "writing the event log failed", {{"reason", what}});
      });

  // Rows that can never be used again are swept now and then, off the request path
  // (server/housekeeping.h says which).
  PeriodicTask housekeeping(
      "housekeeping", server::kHousekeepingInterval, PeriodicTask::Start::kNow,
      [&] {
        for (const auto& swept : server::sweep_stale_rows(
                 *store, now(), std::chrono::seconds{o.session_idle_timeout})) {
          if (!swept.deleted) {
            log(Level::kWarn, "could not delete " + std::string(swept.what),
                {{"reason", describe(swept.deleted.error())}});
          } else if (*swept.deleted > 0) {
            log(Level::kInfo, "deleted " + std::string(swept.what), {{"count", *swept.deleted}});
          }
        }
      },
      [](const std::string& what) {
        log(Level::kError, "housekeeping failed", {{"reason", what}});
      });

  server.run_until_signal(reload_on_hangup(o.settings, server));
  metrics_listener.stop();
  housekeeping.stop();
  event_writer.stop();
  events.flush();  // what the last requests recorded
  if (const auto stats = events.stats(); stats.dropped > 0 || stats.write_failures > 0) {
    log(Level::kWarn, "some events were not stored",
        {{"dropped", stats.dropped}, {"store_write_failures", stats.write_failures}});
  }
  tenant.stop_watching();
  blocking.join();
  log(Level::kInfo, "authorization server stopped", {{"counters", endpoint.counters().to_json()}});
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the authorization server: POST /oauth/token (client_credentials, password,\n"
      "refresh_token, authorization_code), /oauth/revoke, /oauth/introspect, /userinfo,\n"
      "/.well-known/jwks.json and the discovery documents. Tenant state lives in --data-dir;\n"
      "manage it with 'signet apis', 'signet clients', 'signet grants', 'signet users' and\n"
      "'signet keys' while it runs. A token request with a DPoP header (RFC 9449) gets a token\n"
      "bound to the proof's key (token_type DPoP); see --dpop-nonce and --dpop-proof-lifetime.");
  cmd->add_option("--listen", o->listen, "Address and port to listen on")
      ->envname("SIGNET_LISTEN")
      ->capture_default_str();
  cmd->add_option("--metrics-listen", o->metrics_listen,
                  "Address and port of a second, plain-HTTP listener for GET /metrics\n"
                  "(Prometheus) and /health/alive, /health/ready; bind it to loopback or a\n"
                  "private network (the metrics are live feedback for an attacker)")
      ->envname("SIGNET_METRICS_LISTEN");
  cmd->add_flag("--metrics-on-main", o->metrics_on_main,
                "Serve GET /metrics on --listen too (only behind a proxy that keeps it private)")
      ->envname("SIGNET_METRICS_ON_MAIN");
  cmd->add_option("--issuer", o->issuer,
                  "Issuer URL put in every token's iss claim; must end with '/'.\n"
                  "Use the URL clients reach this server at, e.g. https://auth.example.com/")
      ->envname("SIGNET_ISSUER")
      ->capture_default_str();
  add_data_dir_option(cmd, o->data_dir);
  add_store_option(cmd, o->store);
  cmd->add_option("--store-pool-size", o->store_pool_size,
                  "Connections to the --store database this server keeps (PostgreSQL's\n"
                  "max_connections is shared by every replica and the CLI)")
      ->envname("SIGNET_STORE_POOL_SIZE")
      ->check(CLI::Range(1, store::postgres::kMaxPoolSize))
      ->capture_default_str();
  cmd->add_option("--store-outage-grace", o->store_outage_grace,
                  "Seconds during which client-credentials tokens are still issued from the\n"
                  "configuration in memory after the store stopped answering (0 = never);\n"
                  "after that they get 503 too, so that a client revoked meanwhile is refused")
      ->envname("SIGNET_STORE_OUTAGE_GRACE")
      ->check(CLI::Range(std::int64_t{0}, server::kMaxStoreOutageGrace.count()))
      ->capture_default_str();
  cmd->add_flag("--migrate", o->migrate,
                "Bring the --store database's schema up to date before serving (as 'signet\n"
                "migrate' does); without it a database at an older version is refused. The\n"
                "SQLite file is always brought up to date")
      ->envname("SIGNET_MIGRATE");
  cmd->add_option("--tls-cert", o->tls_cert, "PEM certificate chain: serve HTTPS instead of HTTP")
      ->envname("SIGNET_TLS_CERT")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", o->tls_key, "PEM private key of --tls-cert")
      ->envname("SIGNET_TLS_KEY")
      ->check(CLI::ExistingFile);
  cmd->add_option("--threads", o->threads, "Worker threads (default: one per core)")
      ->envname("SIGNET_THREADS");
  cmd->add_option("--blocking-threads", o->blocking_threads,
                  "Threads for password hashing and store writes (default: one per core, at\n"
                  "least 2)")
      ->envname("SIGNET_BLOCKING_THREADS");
  cmd->add_flag("--no-access-log", o->no_access_log, "Do not log one JSON line per request")
      ->envname("SIGNET_NO_ACCESS_LOG");
  cmd->add_option("--max-connections", o->max_connections,
                  "Open connections at most; when full, the one idle the longest is closed for a\n"
                  "new one, and only when none is idle is the new one refused (503)")
      ->envname("SIGNET_MAX_CONNECTIONS")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  cmd->add_option("--max-connections-per-address", o->max_connections_per_address,
                  "Open connections at most from one IPv4 address or IPv6 /64 (trusted proxies\n"
                  "excepted); beyond it new ones get 503")
      ->envname("SIGNET_MAX_CONNECTIONS_PER_ADDRESS")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  cmd->add_option("--trusted-proxy", o->trusted_proxies,
                  "Reverse proxy (CIDR, e.g. 10.0.0.0/8, or one address) whose Forwarded or\n"
                  "X-Forwarded-For header names the client, for lockouts, limits and the access\n"
                  "log; repeat for several. Without it those headers are ignored")
      ->envname("SIGNET_TRUSTED_PROXY")
      ->delimiter(',');
  cmd->add_option("--jwks-max-age", o->jwks_max_age,
                  "Seconds validators may cache /.well-known/jwks.json; a revoked key stops\n"
                  "verifying within this")
      ->envname("SIGNET_JWKS_MAX_AGE")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{86'400}))
      ->capture_default_str();
  cmd->add_option("--refresh-token-lifetime", o->refresh_token_lifetime,
                  "Seconds a refresh token family lives from sign-in (rotation does not extend it)")
      ->envname("SIGNET_REFRESH_TOKEN_LIFETIME")
      ->check(CLI::Range(std::int64_t{60}, std::int64_t{31'536'000}))
      ->capture_default_str();
  cmd->add_option("--refresh-reuse-grace", o->refresh_reuse_grace,
                  "Seconds during which a just-rotated refresh token is answered with the\n"
                  "successor already issued (concurrent requests of one client; 0 = never);\n"
                  "later reuse revokes the whole family")
      ->envname("SIGNET_REFRESH_REUSE_GRACE")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{300}))
      ->capture_default_str();
  cmd->add_option("--lockout-max-failures", o->lockout_max_failures,
                  "Consecutive wrong passwords for one user from one address before it is\n"
                  "blocked (429 too_many_attempts)")
      ->envname("SIGNET_LOCKOUT_MAX_FAILURES")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--lockout-seconds", o->lockout_seconds,
                  "How long such a block lasts, unless 'signet users unblock' lifts it sooner")
      ->envname("SIGNET_LOCKOUT_SECONDS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{31'536'000}))
      ->capture_default_str();
  cmd->add_option("--event-log", o->event_log,
                  "Where the event log's JSON lines go besides the store (signet logs reads the\n"
                  "store): '-' for stdout, 'off', or a file to append to (created mode 0600)")
      ->envname("SIGNET_EVENT_LOG")
      ->capture_default_str();
  cmd->add_option("--event-retention-days", o->event_retention_days, "Days the store keeps events")
      ->envname("SIGNET_EVENT_RETENTION_DAYS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{3650}))
      ->capture_default_str();
  cmd->add_option("--event-retention-count", o->event_retention_count,
                  "Events the store keeps at most (the oldest go first)")
      ->envname("SIGNET_EVENT_RETENTION_COUNT")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}))
      ->capture_default_str();
  cmd->add_option("--session-idle-timeout", o->session_idle_timeout,
                  "Seconds a browser session (the login page's cookie) lasts without use")
      ->envname("SIGNET_SESSION_IDLE_TIMEOUT")
      ->check(CLI::Range(std::int64_t{60}, std::int64_t{31'536'000}))
      ->capture_default_str();
  cmd->add_option("--session-lifetime", o->session_lifetime,
                  "Seconds after sign-in when a browser session ends, however much it is used")
      ->envname("SIGNET_SESSION_LIFETIME")
      ->check(CLI::Range(std::int64_t{60}, std::int64_t{31'536'000}))
      ->capture_default_str();
  cmd->add_option("--login-form-lifetime", o->login_form_lifetime,
                  "Seconds a login page stays usable; an older form is shown again")
      ->envname("SIGNET_LOGIN_FORM_LIFETIME")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400}))
      ->capture_default_str();
  cmd->add_flag("--allow-code-without-pkce", o->allow_code_without_pkce,
                "Let confidential clients use the authorization code flow without PKCE\n"
                "(public clients always need it; RFC 9700 recommends it for all)")
      ->envname("SIGNET_ALLOW_CODE_WITHOUT_PKCE");
  add_dpop_settings(
      cmd, o->dpop,
      "Require a server nonce in every DPoP proof at /oauth/token (RFC 9449 §8): a\n"
      "proof without a current one gets 400 use_dpop_nonce and the nonce to use in a\n"
      "DPoP-Nonce header. Limits proofs made ahead of time by a client's stolen key");
  cmd->add_option("--tenant-name", o->tenant_name, "The name the login page shows")
      ->envname("SIGNET_TENANT_NAME")
      ->capture_default_str();
  cmd->add_option("--logo-url", o->logo_url, "An https URL of a logo for the login page")
      ->envname("SIGNET_LOGO_URL");
  cmd->add_option(
         "--argon2-memory-kib", o->argon2_memory_kib,
         "argon2id memory, KiB (OWASP: 19456), of the decoy hash that passwords of unknown\n"
         "users are checked against, so they take as long as known ones: keep it equal to\n"
         "the parameters the users' hashes were made with")
      ->envname("SIGNET_ARGON2_MEMORY_KIB")
      ->capture_default_str();
  cmd->add_option("--argon2-iterations", o->argon2_iterations, "argon2id iterations (OWASP: 2)")
      ->envname("SIGNET_ARGON2_ITERATIONS")
      ->capture_default_str();
  cmd->add_option("--argon2-parallelism", o->argon2_parallelism, "argon2id lanes (OWASP: 1)")
      ->envname("SIGNET_ARGON2_PARALLELISM")
      ->capture_default_str();
  add_server_settings(cmd, o->settings);  // --config may set every option of the command
  cmd->callback([o, &exit_code] {
    run_command(
        [&] {
          try {
            exit_code = run_serve(*o);
          } catch (const std::invalid_argument& e) {
            throw CommandError{e.what()};
          } catch (const std::runtime_error& e) {
            throw CommandError{e.what()};
          }
        },
        exit_code);
  });
}

}  // namespace signet::cli
