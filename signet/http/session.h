#pragma once

// Internal to signet_http: what the server shares with its connections, and the entry point that
// runs one accepted connection (plain or TLS) until it closes.

#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "signet/http/access_log.h"
#include "signet/http/client_address.h"
#include "signet/http/connections.h"
#include "signet/http/http_metrics.h"
#include "signet/http/router.h"
#include "signet/http/server.h"

namespace signet::http::internal {

// Owned jointly by the server and every connection, so a connection never outlives what it reads.
struct ServerCore {
  ServerOptions options;
  Router router;
  std::optional<AccessLog> access_log;
  TrustedProxies trusted_proxies;  // options.trusted_proxies, parsed
  ConnectionTracker tracker;
  std::shared_ptr<HttpMetrics> metrics;  // set when options.metrics is

  // The TLS context new connections use (null without options.tls). Server::reload_tls() replaces
  // it while connections start, hence the lock. A connection keeps the context it started with:
  // its SSL object holds a reference to the SSL_CTX, and the asio context owns no callback data
  // the SSL object would need once it is gone.
  std::shared_ptr<boost::asio::ssl::context> tls_context() const {
    const std::lock_guard lock(tls_mutex);
    return tls;
  }
  void set_tls_context(std::shared_ptr<boost::asio::ssl::context> context) {
    const std::lock_guard lock(tls_mutex);
    tls = std::move(context);
  }

 private:
  mutable std::mutex tls_mutex;
  std::shared_ptr<boost::asio::ssl::context> tls;
};

// Takes over a freshly accepted socket (whose executor must be a strand): admits it against the
// connection limits and serves its requests on that strand until it closes.
void start_session(boost::asio::ip::tcp::socket socket, const std::shared_ptr<ServerCore>& core);

}  // namespace signet::http::internal
