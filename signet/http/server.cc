#include "signet/http/server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/status.hpp>

#include "signet/http/session.h"

namespace signet::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// After a failed accept (e.g. out of file descriptors), wait this long so the loop does not spin.
constexpr auto kAcceptBackoff = std::chrono::milliseconds{50};
// During a stop, how often to look whether every connection has closed.
constexpr auto kStopPollInterval = std::chrono::milliseconds{10};
// The smallest header limit that still fits a request line and a few headers.
constexpr std::size_t kMinHeaderBytes = 1024;  // bytes

struct ListenAddress {
  std::string host;
  std::string port;
};

ListenAddress parse_listen(const std::string& listen) {
  std::string host;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      throw std::invalid_argument("listen address '" + listen + "' must look like [::1]:3010");
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
      throw std::invalid_argument("listen address '" + listen + "' must look like 127.0.0.1:3010");
    }
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  if (host.empty()) {
    throw std::invalid_argument("listen address '" + listen + "' has no host");
  }
  const bool digits =
      !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      });
  if (!digits || std::stoul(port) > 65535) {
    throw std::invalid_argument("listen address '" + listen + "' has a bad port '" + port +
                                "' (expected 0 to 65535)");
  }
  return ListenAddress{host, port};
}

void validate(const ServerOptions& options) {
  const auto positive = [](std::chrono::milliseconds d, const char* name) {
    if (d.count() <= 0) {
      throw std::invalid_argument(std::string("server option ") + name + " must be positive");
    }
  };
  positive(options.read_timeout, "read_timeout");
  positive(options.idle_timeout, "idle_timeout");
  positive(options.write_timeout, "write_timeout");
  positive(options.pressure_idle_timeout, "pressure_idle_timeout");
  if (options.shutdown_grace.count() < 0) {
    throw std::invalid_argument("server option shutdown_grace must not be negative");
  }
  if (options.max_header_bytes < kMinHeaderBytes) {
    throw std::invalid_argument("server option max_header_bytes must be at least " +
                                std::to_string(kMinHeaderBytes));
  }
  if (options.max_header_bytes > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument("server option max_header_bytes is too large");
  }
  if (options.max_connections == 0) {
    throw std::invalid_argument("server option max_connections must be positive");
  }
  if (options.max_connections_per_address == 0) {
    throw std::invalid_argument("server option max_connections_per_address must be positive");
  }
  parse_listen(options.listen);
}

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

std::shared_ptr<asio::ssl::context> make_tls_context(const TlsOptions& tls) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  asio::ssl::context& ctx = *context;
  // TLS 1.0 and 1.1 are deprecated (RFC 8996).
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("cannot require TLS 1.2: " + openssl_error());
  }
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                  asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(tls.cert_file, ec);
  if (ec) {
    ERR_clear_error();
    throw std::runtime_error("cannot load TLS certificate chain from '" + tls.cert_file +
                             "': " + ec.message());
  }
  ctx.use_private_key_file(tls.key_file, asio::ssl::context::pem, ec);
  if (ec) {
    ERR_clear_error();
    throw std::runtime_error("cannot load TLS private key from '" + tls.key_file +
                             "': " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    throw std::runtime_error("TLS private key '" + tls.key_file +
                             "' does not match the certificate '" + tls.cert_file +
                             "': " + openssl_error());
  }
  return context;
}

void log_exception(std::exception_ptr e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("server task ended by an exception: {}", ex.what());
  } catch (...) {
    spdlog::error("server task ended by an unknown exception");
  }
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, Router router)
      : core(std::make_shared<internal::ServerCore>()),
        contexts(make_contexts(thread_count(options))),
        control(asio::make_strand(*contexts.front())),
        acceptor(control),
        backoff_timer(control),
        timer(control) {
    for (const auto& context : contexts) {
      // A context with no connection yet must not return from run(): held until the stop ends.
      work.emplace_back(context->get_executor());
    }
    validate(options);
    core->trusted_proxies = TrustedProxies(options.trusted_proxies);
    if (options.tls) {
      core->set_tls_context(make_tls_context(*options.tls));
    }
    if (router.methods_for("/healthz").empty()) {
      router.add(bhttp::verb::get, "/healthz", [](const Request& req) {
        return json_response(req, bhttp::status::ok, R"({"status":"ok"})");
      });
    }
    if (options.access_log) {
      core->access_log.emplace(options.access_logger);
    }
    core->options = std::move(options);
    core->router = std::move(router);
    if (core->options.metrics != nullptr) {
      core->metrics = internal::HttpMetrics::create(
          *core->options.metrics, core->router.route_labels(),
          std::shared_ptr<const internal::ConnectionTracker>(core, &core->tracker));
    }
  }

  // One io_context per worker thread, each run by that thread alone, and every connection on one
  // of them from accept to close: a request never waits for a lock another worker holds or moves
  // between cores. A single io_context run by every worker, with a strand per connection, made
  // each handler pass its scheduler's mutex and the strand's queue, and two workers on two cores
  // did 1.5 times what one did (bench/RESULTS.md "Two workers").
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(unsigned n) {
    std::vector<std::unique_ptr<asio::io_context>> made;
    made.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      made.push_back(std::make_unique<asio::io_context>(1));
    }
    return made;
  }

  static unsigned thread_count(const ServerOptions& options) {
    if (options.threads > 0) {
      return options.threads;
    }
    return std::max(1u, std::thread::hardware_concurrency());
  }

  void start() {
    const std::lock_guard lock(start_mutex);
    if (started) {
      return;
    }
    const auto& listen = core->options.listen;
    const ListenAddress address = parse_listen(listen);
    boost::system::error_code ec;
    tcp::resolver resolver{*contexts.front()};
    const auto endpoints = resolver.resolve(address.host, address.port, tcp::resolver::passive, ec);
    if (ec || endpoints.empty()) {
      throw std::runtime_error("cannot listen on " + listen + ": cannot resolve host '" +
                               address.host + "': " + ec.message());
    }
    const tcp::endpoint endpoint = endpoints.begin()->endpoint();
    const auto check = [&](const char* step) {
      if (ec) {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        throw std::runtime_error("cannot listen on " + listen + ": " + ec.message() + " (" + step +
                                 ")");
      }
    };
    acceptor.open(endpoint.protocol(), ec);
    check("socket");
    // Restarting must not wait for the old connections' TIME_WAIT; a live listener still conflicts.
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    check("SO_REUSEADDR");
    acceptor.bind(endpoint, ec);
    check("bind");
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    check("listen");
    bound_port = acceptor.local_endpoint().port();
    started = true;
    asio::co_spawn(control, accept_loop(), log_exception);
  }

  asio::awaitable<void> accept_loop() {
    std::size_t next = 0;
    while (true) {
      // The workers take the connections in turn. A context is run by one thread, so a
      // connection's coroutine and its stop notices never run at once without a strand.
      asio::io_context& context = *contexts[next++ % contexts.size()];
      auto [ec, socket] = co_await acceptor.async_accept(context.get_executor(), use_nothrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
          co_return;
        }
        spdlog::warn("accept failed: {}", ec.message());
        backoff_timer.expires_after(kAcceptBackoff);
        co_await backoff_timer.async_wait(use_nothrow);
        continue;
      }
      internal::start_session(std::move(socket), core);
    }
  }

  void run() {
    start();
    std::vector<std::thread> workers;
    workers.reserve(contexts.size() - 1);
    for (std::size_t i = 1; i < contexts.size(); ++i) {
      workers.emplace_back([context = contexts[i].get()] { context->run(); });
    }
    contexts.front()->run();
    for (auto& worker : workers) {
      worker.join();
    }
  }

  void run_until_signal(std::function<void()> on_hangup) {
    start();
    if (!on_hangup) {
      on_hangup = [this] {
        if (auto reloaded = reload_tls(); !reloaded) {
          spdlog::error("TLS certificate and key not reloaded, the previous pair stays in use: {}",
                        reloaded.error());
        } else if (*reloaded) {
          spdlog::info("TLS certificate and key reloaded");
        }
      };
    }
    hangup_handler = std::move(on_hangup);
    signals.emplace(control, SIGINT, SIGTERM, SIGHUP);
    wait_for_signal();
    run();
  }

  void wait_for_signal() {
    signals->async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) {
        return;  // cancelled by the stop
      }
      if (signal == SIGHUP) {
        hangup_handler();
        wait_for_signal();
        return;
      }
      spdlog::info("signal {} received, stopping", signal);
      stop();
    });
  }

  Result<bool, std::string> reload_tls() {
    if (!core->options.tls) {
      return false;
    }
    try {
      core->set_tls_context(make_tls_context(*core->options.tls));
    } catch (const std::exception& e) {
      return fail(std::string(e.what()));
    }
    return true;
  }

  void stop() {
    if (stop_requested.exchange(true)) {
      return;
    }
    // Marked here rather than on the control strand, so that a handler that calls stop() already
    // answers its own request with Connection: close, whatever the number of threads.
    for (const auto& connection : core->tracker.begin_stop()) {
      connection->begin_stop();
    }
    asio::co_spawn(control, shutdown(), log_exception);
  }

  asio::awaitable<void> shutdown() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    if (signals) {
      signals->cancel(ignored);
    }
    const auto deadline = std::chrono::steady_clock::now() + core->options.shutdown_grace;
    while (core->tracker.size() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::min<std::chrono::steady_clock::duration>(
          kStopPollInterval, deadline - std::chrono::steady_clock::now()));
      co_await timer.async_wait(use_nothrow);
    }
    const auto left = core->tracker.snapshot();
    if (!left.empty()) {
      spdlog::warn("closing {} connection(s) still open after the shutdown grace period",
                   left.size());
    }
    for (const auto& connection : left) {
      connection->force_close();
    }
    // Each worker now returns from run() once its last connection has closed.
    for (auto& guard : work) {
      guard.reset();
    }
  }

  // Declaration order is destruction order in reverse: the I/O objects go before their context,
  // and the context (with any connection it still holds) before nothing else that they use.
  std::shared_ptr<internal::ServerCore> core;
  std::vector<std::unique_ptr<asio::io_context>> contexts;  // one per worker (make_contexts)
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;  // until stopped
  asio::strand<asio::io_context::executor_type> control;  // acceptor, stop sequence, signals
  tcp::acceptor acceptor;
  asio::steady_timer backoff_timer;  // accept loop
  asio::steady_timer timer;          // stop sequence
  std::optional<asio::signal_set> signals;
  std::function<void()> hangup_handler;  // SIGHUP, on the control strand
  std::mutex start_mutex;
  bool started = false;
  std::atomic<bool> stop_requested{false};
  std::atomic<unsigned short> bound_port{0};
};

Server::Server(ServerOptions options, Router router)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router))) {}

Server::~Server() = default;

void Server::start() {
  impl_->start();
}

unsigned short Server::port() const {
  return impl_->bound_port.load();
}

void Server::run() {
  impl_->run();
}

void Server::run_until_signal(std::function<void()> on_hangup) {
  impl_->run_until_signal(std::move(on_hangup));
}

Result<bool, std::string> Server::reload_tls() {
  return impl_->reload_tls();
}

void Server::check(const ServerOptions& options) {
  validate(options);
  [[maybe_unused]] const TrustedProxies proxies(options.trusted_proxies);
  if (options.tls) {
    make_tls_context(*options.tls);
  }
}

void Server::stop() {
  impl_->stop();
}

}  // namespace signet::http
