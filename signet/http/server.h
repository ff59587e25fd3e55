#pragma once

// The HTTP(S) server under signet's endpoints: keep-alive, bounded requests, deadlines against slow
// clients, CORS, an access log, and a graceful stop. Handlers run on the server's worker threads.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signet/common/result.h"
#include "signet/http/cors.h"
#include "signet/http/message.h"
#include "signet/http/router.h"

namespace spdlog {
class logger;
}

namespace signet::metrics {
class Registry;
}

namespace signet::http {

// bytes; an 8 KiB bearer token plus the usual browser headers must fit.
constexpr std::size_t kDefaultMaxHeaderBytes = 32 * 1024;
// bytes; token and management requests are small forms or JSON documents.
constexpr std::size_t kDefaultMaxBodyBytes = 64 * 1024;
// a whole request (header and body) must arrive within this, so a slowloris client cannot hold a
// connection by trickling bytes.
constexpr auto kDefaultReadTimeout = std::chrono::milliseconds{10'000};
// an idle keep-alive connection is closed after this; browsers reuse well within it.
constexpr auto kDefaultIdleTimeout = std::chrono::milliseconds{30'000};
// a client that does not read its response within this loses the connection.
constexpr auto kDefaultWriteTimeout = std::chrono::milliseconds{10'000};
// on stop, in-flight requests get this long to finish before their connections are closed.
constexpr auto kDefaultShutdownGrace = std::chrono::milliseconds{10'000};
// connections; beyond this new ones get 503 and are closed, so a flood cannot exhaust descriptors
// (it stays under the usual soft limit of 1024, leaving room for the store, logs and fetches).
constexpr std::size_t kDefaultMaxConnections = 512;
// connections from one address group (an IPv4 address, an IPv6 /64; see address_group() in
// client_address.h); beyond this its new ones get 503, so that one host cannot take the
// connections every other client needs. A browser opens at most 6 per origin, so this leaves
// room for a NAT of several users or a client's connection pool, and it takes 8 groups to fill
// the default total. Connections from trusted proxies are not counted per group.
constexpr std::size_t kDefaultMaxConnectionsPerAddress = 64;
// percent of max_connections; above it the server is under pressure and idle keep-alive
// connections wait pressure_idle_timeout instead of idle_timeout for their next request, so that
// idle sockets give way sooner to clients with work.
constexpr std::size_t kPressurePercent = 75;
// an idle keep-alive connection under pressure is closed after this; long enough for a client
// that sends its requests in a burst.
constexpr auto kDefaultPressureIdleTimeout = std::chrono::milliseconds{2'000};

struct TlsOptions {
  std::string cert_file;  // PEM certificate chain, leaf first
  std::string key_file;   // PEM private key matching the leaf
};

struct ServerOptions {
  std::string listen = "127.0.0.1:3010";  // host:port or [v6]:port; port 0 = ephemeral (tests)
  unsigned threads = 0;                   // 0 = std::thread::hardware_concurrency()
  std::size_t max_header_bytes = kDefaultMaxHeaderBytes;
  std::size_t max_body_bytes = kDefaultMaxBodyBytes;
  std::chrono::milliseconds read_timeout = kDefaultReadTimeout;  // also bounds the TLS handshake
  std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout;
  std::chrono::milliseconds write_timeout = kDefaultWriteTimeout;
  std::chrono::milliseconds shutdown_grace = kDefaultShutdownGrace;
  // When max_connections are open, a new connection closes the one idle the longest between
  // keep-alive requests; it is refused with 503 only when none is idle.
  std::size_t max_connections = kDefaultMaxConnections;
  std::size_t max_connections_per_address = kDefaultMaxConnectionsPerAddress;
  std::chrono::milliseconds pressure_idle_timeout = kDefaultPressureIdleTimeout;
  // Reverse proxies (CIDR networks or single addresses, IPv4 or IPv6) whose Forwarded or
  // X-Forwarded-For header names the client: see client_address() in client_address.h. Empty:
  // forwarding headers are ignored and the client is the connection's peer.
  std::vector<std::string> trusted_proxies;
  std::optional<TlsOptions> tls;
  CorsOptions cors;
  bool access_log = true;
  std::shared_ptr<spdlog::logger> access_logger;  // null = stderr, one JSON object a line
  std::string server_name = "signet";             // the Server header
  // Where the server counts its requests (signet_http_requests_total{route,method,status}, their
  // duration by route) and connections (open, refused, evicted); null = not counted. Must outlive
  // the server; it shares ownership of what its callbacks read.
  metrics::Registry* metrics = nullptr;
};

// A Server runs once: after run() has returned it cannot be started again. Destroy it only when
// run() is not executing (call stop() and wait for run() to return).
class Server {
 public:
  // Validates the options (trusted_proxies included) and loads the TLS certificate and key; throws
  // std::invalid_argument or std::runtime_error with a message that names the bad option, value or
  // file (start-up only). Adds GET /healthz -> 200 {"status":"ok"} unless the router already has
  // that path.
  Server(ServerOptions options, Router router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; afterwards port() is valid. Throws std::runtime_error, e.g.
  // "cannot listen on 127.0.0.1:3010: Address already in use".
  void start();

  // The bound port (the real one when the options asked for port 0); 0 before start().
  unsigned short port() const;

  // Serves on the worker threads (the calling thread is one of them) until stop() has completed.
  // Calls start() first if it has not been called.
  void run();

  // start() and run(), with a graceful stop on SIGINT or SIGTERM. On SIGHUP, `on_hangup` runs
  // (on the server's control strand, one call at a time); without one, SIGHUP reloads the TLS
  // certificate and key (reload_tls()) and logs the outcome.
  void run_until_signal(std::function<void()> on_hangup = {});

  // Reads the TLS certificate and key files again (the same paths: a renewal replaces the files
  // in place) into a new context that connections accepted from now on use; open connections
  // keep theirs. Returns false without TLS. A pair that does not load or match is refused: the
  // error names the file, and the previous pair stays in use. Thread-safe.
  Result<bool, std::string> reload_tls();

  // The checks of the constructor (options, trusted proxies, TLS files and their match) without
  // building a server: for a start-up check that binds nothing. Throws as the constructor does.
  static void check(const ServerOptions& options);

  // Graceful stop: stops accepting, lets in-flight requests finish (their responses carry
  // Connection: close), closes idle connections, and force-closes whatever is left after
  // shutdown_grace. Returns at once; run() returns when the stop is complete. Thread-safe and
  // callable from a handler; later calls do nothing.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace signet::http
