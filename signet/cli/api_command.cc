#include "signet/cli/api_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "signet/api/messages_api.h"
#include "signet/api/protect.h"
#include "signet/cli/admin_support.h"
#include "signet/cli/log.h"
#include "signet/cli/server_settings.h"
#include "signet/guard/counters.h"
#include "signet/guard/guard.h"
#include "signet/guard/http_key_source.h"
#include "signet/http/operations_routes.h"
#include "signet/http/server.h"
#include "signet/jose/dpop.h"
#include "signet/metrics/process.h"
#include "signet/metrics/registry.h"

namespace signet::cli {
namespace {

struct ApiOptions {
  std::string issuer;
  std::vector<std::string> audiences;
  std::string listen = "127.0.0.1:3010";
  std::string jwks_uri;
  std::string ca_file;
  std::vector<std::string> cors_origins{"http://localhost:3000"};
  std::string tls_cert;
  std::string tls_key;
  std::vector<std::string> algorithms{"RS256", "PS256", "ES256", "EdDSA"};
  std::string required_scope{api::kMessagesScope};
  int leeway = static_cast<int>(guard::kDefaultLeeway.count());
  bool strict_typ = false;
  bool no_token_cache = false;
  bool no_access_log = false;
  unsigned threads = 0;
  std::size_t max_connections = http::kDefaultMaxConnections;
  std::size_t max_connections_per_address = http::kDefaultMaxConnectionsPerAddress;
  std::vector<std::string> trusted_proxies;
  ServerSettings settings;       // --config, --check-config, --log-*, --shutdown-grace
  std::string metrics_listen;    // empty: no metrics listener
  bool metrics_on_main = false;  // GET /metrics on the public listener too
  std::string dpop = "allow";    // allow: Bearer and DPoP; require: DPoP only
  DpopSettings dpop_proofs;
  std::string public_url;  // empty: the listener's scheme and the request's Host
};

// The DPoP part of the guard's configuration, from the options.
guard::DpopConfig dpop_config(const ApiOptions& o) {
  guard::DpopConfig dpop;
  dpop.policy = o.dpop == "require" ? guard::DpopPolicy::kRequired : guard::DpopPolicy::kAllowed;
  dpop.proof_lifetime = std::chrono::seconds{o.dpop_proofs.proof_lifetime};
  if (o.dpop_proofs.nonce) {
    dpop.nonces = std::make_shared<const jose::dpop::NonceSource>(
        std::chrono::seconds{o.dpop_proofs.nonce_window});
  }
  return dpop;
}

// --public-url as the base of the URLs DPoP proofs must name: an absolute http(s) URL without a
// query or fragment (a proof's htu never has them).
api::PublicUrl public_url(const ApiOptions& o) {
  api::PublicUrl url;
  url.scheme = o.tls_cert.empty() ? "http" : "https";
  if (o.public_url.empty()) {
    return url;
  }
  if (!jose::dpop::normalize_htu(o.public_url) ||
      o.public_url.find_first_of("?#") != std::string::npos) {
    throw CLI::ValidationError("--public-url",
                               "'" + o.public_url +
                                   "' is not an absolute http(s) URL without query or fragment: "
                                   "give the URL clients reach the API at, such as "
                                   "https://api.example.com");
  }
  url.base = o.public_url;
  return url;
}

// While the issuer's keys are missing, /health/ready asks for them at most this often, so that
// the API turns ready soon after its issuer does, and probes cannot become a flood of fetches.
constexpr auto kKeysProbeInterval = std::chrono::seconds{1};

// Ready when the guard holds the issuer's keys. While it does not, a probe starts a fetch on
// `fetches` (at most once per kKeysProbeInterval; the guard coalesces it with any in flight).
http::ReadinessCheck keys_loaded(guard::Guard& guard, boost::asio::any_io_executor fetches) {
  struct State {
    std::mutex mutex;
    std::optional<std::chrono::steady_clock::time_point> asked;
  };
  auto state = std::make_shared<State>();
  return [&guard, fetches, state]() -> std::vector<std::string> {
    if (guard.jwks().current()) {
      return {};
    }
    {
      const std::lock_guard lock(state->mutex);
      const auto now = std::chrono::steady_clock::now();
      if (!state->asked || now - *state->asked >= kKeysProbeInterval) {
        state->asked = now;
        boost::asio::post(fetches, [&guard] { guard.jwks().refresh(); });
      }
    }
    const std::string error = guard.last_jwks_error();
    return {"the issuer's signing keys are not loaded" +
            (error.empty() ? std::string() : " (" + error + ")") + ": check that " +
            guard.config().issuer + " is up and reachable; they are fetched again shortly"};
  };
}

// Tokens carry the issuer their server names in its metadata, so an --issuer that differs from it
// (most often by the trailing slash) makes every token fail the iss check. Said once at start,
// with the value to use; not fatal, since the metadata may be down or the operator may know
// better. `named` is what the guard's own discovery read (nothing with --jwks-uri, which skips
// discovery).
void check_issuer_metadata(const guard::GuardConfig& config,
                           const std::optional<Result<std::string, std::string>>& named) {
  if (!named) {
    return;
  }
  const std::string url = guard::well_known_url(config.issuer, "openid-configuration");
  if (!*named) {
    log(Level::kWarn,
        "could not read the issuer's metadata to check --issuer; tokens must carry exactly this "
        "iss",
        {{"issuer", config.issuer}, {"metadata_url", url}, {"reason", named->error()}});
    return;
  }
  const std::string& metadata_issuer = named->value();
  if (metadata_issuer == config.issuer) {
    return;
  }
  const bool slash_only =
      metadata_issuer == config.issuer + "/" || metadata_issuer + "/" == config.issuer;
  log(Level::kWarn,
      "--issuer '" + config.issuer + "' differs from the issuer's own metadata, which names '" +
          metadata_issuer + "'" + (slash_only ? " (note the trailing slash)" : "") +
          ": its tokens carry that iss and will be refused; set --issuer '" + metadata_issuer + "'",
      {{"issuer", config.issuer}, {"metadata_issuer", metadata_issuer}, {"metadata_url", url}});
}

int run_api(ApiOptions& o) {
  apply_log_settings(o.settings);
  guard::GuardConfig config;
  config.issuer = o.issuer;
  config.audiences = o.audiences;
  config.jwks_uri = o.jwks_uri;
  config.ca_file = o.ca_file;
  config.leeway = std::chrono::seconds{o.leeway};
  config.typ = o.strict_typ ? guard::TypPolicy::kStrict : guard::TypPolicy::kLenient;
  config.token_cache = !o.no_token_cache;
  config.dpop = dpop_config(o);
  config.algorithms.clear();
  for (const auto& name : o.algorithms) {
    auto alg = jose::parse_algorithm(name);
    if (!alg) {
      throw CLI::ValidationError(
          "--alg", "unsupported algorithm '" + name + "': use RS256, PS256, ES256 or EdDSA");
    }
    config.algorithms.push_back(*alg);
  }
  if (!api::is_scope_token(o.required_scope)) {
    throw CLI::ValidationError("--required-scope",
                               "'" + o.required_scope +
                                   "' is not one scope: give a single scope name such as "
                                   "read:messages, without spaces or quotes");
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    throw CLI::ValidationError("--tls-cert/--tls-key",
                               "give both a certificate and its key, or neither");
  }
  const api::PublicUrl url = public_url(o);

  const auto metrics_options =
      metrics_listener_options(o.metrics_listen, o.listen, !o.no_access_log);

  // Before the guard and the servers, which count into it until they are gone.
  metrics::Registry registry;
  metrics::register_process_metrics(registry);
  auto key_source = std::make_shared<guard::HttpKeySource>(config);
  guard::Guard guard(config, key_source);
  guard::register_counters(registry, guard.counters());
  http::ServerOptions server_options;
  server_options.listen = o.listen;
  server_options.threads = o.threads;
  server_options.cors.allowed_origins = o.cors_origins;
  server_options.cors.allowed_headers.emplace_back(guard::kDpopHeader);  // a browser app's proofs
  server_options.access_log = !o.no_access_log;
  server_options.max_connections = o.max_connections;
  server_options.max_connections_per_address = o.max_connections_per_address;
  server_options.trusted_proxies = o.trusted_proxies;
  server_options.shutdown_grace = std::chrono::seconds{o.settings.shutdown_grace};
  server_options.metrics = &registry;
  if (!o.tls_cert.empty()) {
    server_options.tls = http::TlsOptions{o.tls_cert, o.tls_key};
  }
  if (o.settings.check_config) {
    http::Server::check(server_options);  // the address, proxies, TLS files and their match
    print_configuration_valid();          // nothing bound, no key fetched
    return 0;
  }
  boost::asio::thread_pool key_fetches(api::kKeyFetchThreads);
  const http::ReadinessCheck ready = keys_loaded(guard, key_fetches.get_executor());
  auto router = api::messages_router(guard, key_fetches.get_executor(), o.required_scope, url);
  http::add_health_routes(router, ready);
  if (o.metrics_on_main) {
    http::add_metrics_route(router, registry);
  }
  http::Server server(server_options, std::move(router));
  server.start();
  const auto metrics_server = start_metrics_listener(metrics_options, registry, ready);

  if (guard.start()) {
    const auto keys = guard.jwks().current();
    log(Level::kInfo, "signing keys loaded",
        {{"issuer", config.issuer}, {"keys", keys ? keys->jwks.keys.size() : 0}});
  } else {
    // Not fatal: the issuer may start after us; requests retry the fetch (once per cooldown).
    log(Level::kWarn, "could not fetch the issuer's signing keys yet; will retry",
        {{"issuer", config.issuer}, {"reason", guard.last_jwks_error()}});
  }
  check_issuer_metadata(config, key_source->metadata_issuer());
  const std::string scheme = o.tls_cert.empty() ? "http" : "https";
  log(Level::kInfo, "messages API listening",
      {{"url", listener_url(scheme, o.listen, server.port()) + "api/public"},
       {"port", server.port()},
       {"metrics_url",
        metrics_server ? listener_url("http", o.metrics_listen, metrics_server->port()) + "metrics"
                       : "off"},
       {"issuer", config.issuer},
       {"audience", boost::json::value_from(config.audiences)},
       {"required_scope", o.required_scope},
       {"dpop", o.dpop + (o.dpop_proofs.nonce ? ", with nonces" : "")},
       {"public_url", url.base.empty() ? "from the Host header" : url.base}});
  SideListener metrics_listener(metrics_server.get(), server);
  server.run_until_signal(reload_on_hangup(o.settings, server));
  metrics_listener.stop();
  log(Level::kInfo, "messages API stopped",
      {{"counters", boost::json::parse(guard.counters().to_json())}});
  return 0;
}

}  // namespace

void add_api_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ApiOptions>();
  CLI::App* cmd = app.add_subcommand(
      "api",
      "Run the quickstart's messages API (GET /api/public, /api/private, /api/private-scoped),\n"
      "accepting access tokens signed by ISSUER for AUDIENCE.");
  cmd->add_option("--issuer", options->issuer,
                  "Issuer URL, exactly as in the tokens' iss claim (trailing slash matters),\n"
                  "e.g. http://localhost:4000/ or https://YOUR_DOMAIN/")
      ->envname("SIGNET_ISSUER")
      ->required();
  cmd->add_option("--audience", options->audiences,
                  "API identifier the tokens must carry in aud (repeat for several),\n"
                  "e.g. https://quickstarts/api")
      ->envname("SIGNET_AUDIENCE")
      ->delimiter(',')
      ->required();
  cmd->add_option("--listen", options->listen, "Address and port to listen on")
      ->envname("SIGNET_LISTEN")
      ->capture_default_str();
  cmd->add_option("--jwks-uri", options->jwks_uri,
                  "Where the issuer publishes its keys (default: jwks_uri from\n"
                  "{issuer}.well-known/openid-configuration, else {issuer}.well-known/jwks.json)")
      ->envname("SIGNET_JWKS_URI");
  cmd->add_option("--ca-file", options->ca_file,
                  "PEM file of CA certificates to trust for an HTTPS issuer\n"
                  "(default: the system's trust store)")
      ->envname("SIGNET_CA_FILE")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cors-origin", options->cors_origins,
                  "Browser origin allowed to call the API (repeat for several; '*' for any)")
      ->envname("SIGNET_CORS_ORIGIN")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--tls-cert", options->tls_cert,
                  "PEM certificate chain: serve HTTPS instead of HTTP")
      ->envname("SIGNET_TLS_CERT")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", options->tls_key, "PEM private key of --tls-cert")
      ->envname("SIGNET_TLS_KEY")
      ->check(CLI::ExistingFile);
  // --alg as in every signet command; --algorithm, its name before, still works.
  add_hidden_alias(cmd,
                   cmd->add_option("--alg", options->algorithms,
                                   "Signing algorithms to accept (repeat, or separate by commas; "
                                   "RS256, PS256, ES256, EdDSA)")
                       ->envname("SIGNET_ALGORITHMS")
                       ->delimiter(',')
                       ->capture_default_str(),
                   "--algorithm");
  cmd->add_option("--required-scope", options->required_scope,
                  "Scope a token needs for /api/private-scoped (in its scope or permissions claim)")
      ->envname("SIGNET_REQUIRED_SCOPE")
      ->capture_default_str();
  cmd->add_option("--leeway", options->leeway,
                  "Seconds of clock skew tolerated on exp, nbf and iat")
      ->envname("SIGNET_LEEWAY")
      ->check(CLI::Range(0, 300))
      ->capture_default_str();
  cmd->add_flag("--strict-typ", options->strict_typ,
                "Accept only tokens with typ at+jwt (RFC 9068 access tokens)")
      ->envname("SIGNET_STRICT_TYP");
  cmd->add_flag("--no-token-cache", options->no_token_cache,
                "Verify every token's signature, even one seen before")
      ->envname("SIGNET_NO_TOKEN_CACHE");
  cmd->add_flag("--no-access-log", options->no_access_log, "Do not log one JSON line per request")
      ->envname("SIGNET_NO_ACCESS_LOG");
  cmd->add_option("--threads", options->threads, "Worker threads (default: one per core)")
      ->envname("SIGNET_THREADS");
  cmd->add_option("--max-connections", options->max_connections,
                  "Open connections at most; when full, the one idle the longest is closed for a\n"
                  "new one, and only when none is idle is the new one refused (503)")
      ->envname("SIGNET_MAX_CONNECTIONS")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  cmd->add_option("--max-connections-per-address", options->max_connections_per_address,
                  "Open connections at most from one IPv4 address or IPv6 /64 (trusted proxies\n"
                  "excepted); beyond it new ones get 503")
      ->envname("SIGNET_MAX_CONNECTIONS_PER_ADDRESS")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  cmd->add_option("--trusted-proxy", options->trusted_proxies,
                  "Reverse proxy (CIDR, e.g. 10.0.0.0/8, or one address) whose Forwarded or\n"
                  "X-Forwarded-For header names the client, for lockouts, limits and the access\n"
                  "log; repeat for several. Without it those headers are ignored")
      ->envname("SIGNET_TRUSTED_PROXY")
      ->delimiter(',');
  cmd->add_option("--metrics-listen", options->metrics_listen,
                  "Address and port of a second, plain-HTTP listener for GET /metrics\n"
                  "(Prometheus) and /health/alive, /health/ready; bind it to loopback or a\n"
                  "private network (the metrics are live feedback for an attacker)")
      ->envname("SIGNET_METRICS_LISTEN");
  cmd->add_flag("--metrics-on-main", options->metrics_on_main,
                "Serve GET /metrics on --listen too (only behind a proxy that keeps it private)")
      ->envname("SIGNET_METRICS_ON_MAIN");
  cmd->add_option(
         "--dpop", options->dpop,
         "DPoP (RFC 9449): allow accepts Bearer tokens and DPoP-bound tokens with their\n"
         "proofs; require refuses every Bearer request. A DPoP-bound token sent as Bearer\n"
         "is refused either way")
      ->envname("SIGNET_DPOP")
      ->check(CLI::IsMember({"allow", "require"}))
      ->capture_default_str();
  add_dpop_settings(
      cmd, options->dpop_proofs,
      "Require a server nonce in every DPoP proof (RFC 9449 §9): a proof without a\n"
      "current one gets 401 use_dpop_nonce and the nonce to use in a DPoP-Nonce header");
  cmd->add_option("--public-url", options->public_url,
                  "The URL clients reach the API at (e.g. https://api.example.com behind a\n"
                  "proxy), which DPoP proofs must name in htu with the request's path (default:\n"
                  "the listener's scheme and the request's Host header)")
      ->envname("SIGNET_PUBLIC_URL");
  add_server_settings(cmd, options->settings);  // --config may set every option of the command
  cmd->callback([options, &exit_code] { exit_code = run_api(*options); });
}

}  // namespace signet::cli
