#include "signet/http/session.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "signet/http/cors.h"
#include "signet/http/request_rules.h"

namespace signet::http::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// bytes; the first read of a request, enough for a typical request in one go.
constexpr std::size_t kFirstReadBytes = 4096;
// After an error response the client may still be sending; we read and discard its input for at
// most this long and this much, so that closing does not reset the connection (a reset can destroy
// the error response before the client reads it).
constexpr auto kLingerTime = std::chrono::milliseconds{1000};
constexpr std::size_t kLingerBytes = 256 * 1024;  // bytes
// Sent, without waiting for anything, to a connection beyond the limits.
constexpr std::string_view kBusyBody =
    R"({"error":"temporarily_unavailable","error_description":"too many connections; retry"})";
constexpr std::string_view kAddressBusyBody =
    R"({"error":"temporarily_unavailable","error_description":)"
    R"("too many connections from your address; close idle ones or retry later"})";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kEndOfHead = "\r\n\r\n";  // the blank line after the header

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::string format_remote(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

IpAddress ip_address_of(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v4() ? IpAddress::v4(address.to_v4().to_bytes())
                         : IpAddress::v6(address.to_v6().to_bytes());
}

// Error responses for requests that never reached a handler; the connection closes after them.
Response error_response(bhttp::status status, std::string_view error, std::string description) {
  Request stand_in{bhttp::verb::get, "/", 11};
  Response res = json_error(stand_in, status, error, description);
  res.keep_alive(false);
  set_no_store(res);
  return res;
}

Response refusal_response(const Refusal& refusal) {
  return error_response(refusal.status, refusal.error, refusal.description);
}

template <typename Stream>
class Session final : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<ServerCore> core, const tcp::endpoint& remote)
      : stream_(std::move(stream)),
        core_(std::move(core)),
        options_(core_->options),
        remote_(format_remote(remote)),
        peer_(ip_address_of(remote)),
        peer_address_(peer_.to_string()),
        peer_is_proxy_(core_->trusted_proxies.contains(peer_)),
        id_(core_->tracker.next_id()),
        buffer_(options_.max_header_bytes + options_.max_body_bytes) {}

  ~Session() override { core_->tracker.remove(id_); }

  std::uint64_t id() const { return id_; }
  // Where the connection limits count this connection: its address group, or "" (not counted per
  // group) for a trusted proxy, whose connections carry many clients.
  std::string address_group() const {
    return peer_is_proxy_ ? std::string() : http::address_group(peer_);
  }
  tcp::socket& socket() { return beast::get_lowest_layer(stream_).socket(); }

  void begin_stop() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->stop_requested_ = true;
      if (self->state_ == State::kIdle) {
        beast::get_lowest_layer(self->stream_).cancel();
      }
    });
  }

  void evict() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->state_ == State::kIdle) {
        beast::get_lowest_layer(self->stream_).cancel();
      }
    });
  }

  void force_close() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      beast::get_lowest_layer(self->stream_).close();
    });
  }

  // Runs the connection: TLS handshake, then requests in order, one at a time, until close.
  static asio::awaitable<void> run(std::shared_ptr<Session> self) { co_await self->serve(); }

 private:
  enum class State { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing };

  // The outcome of reading one request.
  struct ReadOutcome {
    std::optional<Request> request;   // set on success
    std::optional<Response> refusal;  // set when the request is answered with an error and closed
  };

  auto& lowest() { return beast::get_lowest_layer(stream_); }

  asio::awaitable<void> serve() {
    // A new connection must complete its handshake and first request within one read timeout.
    auto deadline = Clock::now() + options_.read_timeout;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      state_ = State::kHandshake;
      lowest().expires_at(deadline);
      auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, use_nothrow);
      if (ec) {
        lowest().close();
        co_return;
      }
    }
    bool first = true;
    bool linger = false;
    while (true) {
      if (stop_requested_ || core_->tracker.stopping()) {
        break;  // idle between requests while the server stops: nothing is lost by closing
      }
      if (buffer_.size() == 0) {
        // Idle until the next request starts.
        state_ = State::kIdle;
        if (first) {
          // Not evictable: a new connection has the read timeout to send its first request.
          lowest().expires_at(deadline);
        } else {
          const auto now = Clock::now();
          lowest().expires_at(now + idle_timeout());
          mark_idle(now);
        }
        const std::size_t want = std::min(kFirstReadBytes, buffer_.max_size());
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(want), use_nothrow);
        if (!first && !mark_busy()) {
          break;  // evicted to make room for a new connection: what arrived meanwhile is dropped
        }
        if (ec) {
          break;  // closed by the client, idle timeout, stop, or eviction
        }
        buffer_.commit(n);
      }
      if (!first) {
        // From its first byte, a request must arrive whole within the read timeout.
        deadline = Clock::now() + options_.read_timeout;
      }
      first = false;

      const auto started = Clock::now();
      const auto started_wall = core_->access_log ? std::chrono::system_clock::now()
                                                  : std::chrono::system_clock::time_point{};
      state_ = State::kReading;
      ReadOutcome outcome = co_await read_request(deadline);
      if (!outcome.request && !outcome.refusal) {
        break;  // the client went away or was too slow: there is no one to answer
      }
      Response res;
      // For the access log: views of the request (or of the parser, for a refusal), both alive
      // until the next read.
      std::string_view method = "-";
      std::string_view target = "-";
      std::string proxied_client;  // set only behind a trusted proxy
      std::string_view client = peer_address_;
      if (outcome.request) {
        state_ = State::kHandling;
        if (peer_is_proxy_) {
          // A proxy carries many clients on one connection: each request names its own.
          proxied_client =
              client_address(peer_, core_->trusted_proxies, *outcome.request).to_string();
          client = proxied_client;
        }
        outcome.request->set(kPeerAddressField, client);
        method = outcome.request->method_string();
        target = outcome.request->target();
        if (auto answer = server_answer(*outcome.request, core_->router)) {
          res = std::move(*answer);
          finish(*outcome.request, res);
        } else if (core_->router.is_async(*outcome.request)) {
          if (auto now = handle_immediate(*outcome.request)) {
            res = std::move(*now);
          } else {
            res = co_await handle_async(*outcome.request);
          }
        } else {
          res = handle(*outcome.request);
        }
      } else {
        res = std::move(*outcome.refusal);
        if (parser_ && parser_->is_header_done()) {
          method = parser_->get().method_string();
          target = parser_->get().target();
        }
        linger = true;
      }

      state_ = State::kWriting;
      // Requests of other connections that are ready now are handled before this answer goes
      // out, and their answers follow it at once: a client waiting on another core is then woken
      // once for several responses rather than once for each, and on a VM such a cross-core
      // wake-up costs as much as an ECDSA signature (bench/RESULTS.md).
      co_await asio::post(stream_.get_executor(), use_nothrow);
      lowest().expires_after(options_.write_timeout);
      write_head(res, head_);
      const std::array<asio::const_buffer, 2> response{asio::buffer(head_),
                                                       asio::buffer(res.body())};
      auto [write_ec, written] = co_await asio::async_write(stream_, response, use_nothrow);
      if (core_->metrics) {
        // Once per response, refusals included (route "unmatched": no handler saw them).
        core_->metrics->record(outcome.request ? core_->router.route_slot(*outcome.request)
                                               : core_->router.route_labels().size(),
                               outcome.request ? outcome.request->method() : bhttp::verb::unknown,
                               res.result_int(), Clock::now() - started);
      }
      if (core_->access_log) {
        core_->access_log->write(AccessLogEntry{
            started_wall, remote_, method, target, res.result_int(), written,
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started), client});
      }
      if (write_ec) {
        lowest().close();
        co_return;
      }
      if (!res.keep_alive()) {
        // Unread pipelined requests would turn our close into a reset.
        linger = linger || buffer_.size() > 0;
        break;
      }
    }
    co_await close(linger);
  }

  // How long an idle keep-alive connection waits for its next request: less when the server is
  // under pressure, so that idle sockets give way to clients with work.
  std::chrono::milliseconds idle_timeout() const {
    const bool pressure =
        core_->tracker.approximate_size() * 100 > options_.max_connections * kPressurePercent;
    return pressure ? std::min(options_.idle_timeout, options_.pressure_idle_timeout)
                    : options_.idle_timeout;
  }

  // Reads one whole request under the read deadline, or decides how to refuse it.
  asio::awaitable<ReadOutcome> read_request(Clock::time_point deadline) {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(options_.max_body_bytes));
    // One deadline for the whole request, however the client spreads its bytes.
    lowest().expires_at(deadline);
    {
      auto [ec, head_size] = co_await read_head();
      if (ec) {
        co_return refusal_for(ec);
      }
      // The head is checked as it came, before Beast's parser joins folded lines.
      const std::span<char> head(static_cast<char*>(buffer_.data().data()), head_size);
      if (auto refusal = raw_head_problem(std::string_view(head.data(), head.size()))) {
        co_return ReadOutcome{std::nullopt, refusal_response(*refusal)};
      }
      read_later_minor_as_http11(head);
      // Not eager: the parser stops at the end of the head, which is whole in the buffer.
      boost::system::error_code parse_ec;
      const std::size_t used = parser_->put(buffer_.data(), parse_ec);
      buffer_.consume(used);
      if (parse_ec) {
        co_return refusal_for(parse_ec);
      }
    }
    if (auto refusal = request_problem(parser_->get(), parser_->chunked())) {
      co_return ReadOutcome{std::nullopt, refusal_response(*refusal)};
    }
    // RFC 9110 §6.5.1: trailer fields must not be merged into the header, as Beast's parser does
    // with a chunked body's; a Host or Authorization there would reach the handler without the
    // checks above, or a proxy in front, ever seeing it. The header as checked is put back.
    std::optional<Request::header_type> checked_header;
    if (parser_->chunked()) {
      checked_header = parser_->get().base();
    }
    if (!parser_->is_done()) {
      // A small body usually arrived with its header: parse what is buffered before starting
      // another asynchronous read, which costs a timer and a trip through the scheduler.
      boost::system::error_code ec;
      while (!parser_->is_done() && buffer_.size() > 0) {
        const std::size_t used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == bhttp::error::need_more) {
          ec = {};
          break;
        }
        if (ec) {
          co_return refusal_for(ec);
        }
        if (used == 0) {
          break;
        }
      }
    }
    if (!parser_->is_done()) {
      // A body that is already known to be too large was refused above, without a 100.
      if (expects_continue(parser_->get())) {
        lowest().expires_after(options_.write_timeout);
        auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(kContinue), use_nothrow);
        if (ec) {
          co_return ReadOutcome{};
        }
        lowest().expires_at(deadline);
      }
      auto [ec, n] = co_await bhttp::async_read(stream_, buffer_, *parser_, use_nothrow);
      if (ec) {
        co_return refusal_for(ec);
      }
    }
    if (checked_header) {
      parser_->get().base() = std::move(*checked_header);
    }
    co_return ReadOutcome{parser_->release(), std::nullopt};
  }

  // Reads until the buffer holds a whole request head, request line through the blank line that
  // ends the header, and returns its size; an error when the head is too large or the read
  // fails. Empty lines before the request line are dropped (RFC 9112 §2.2).
  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_head() {
    std::size_t searched = 0;  // bytes already known to hold no end of head
    while (true) {
      std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      while (data.starts_with(kCrlf)) {
        buffer_.consume(kCrlf.size());
        data.remove_prefix(kCrlf.size());
        searched = 0;
      }
      if (const std::size_t end = data.find(kEndOfHead, searched); end != std::string_view::npos) {
        const std::size_t size = end + kEndOfHead.size();
        if (size > options_.max_header_bytes) {
          co_return std::tuple{make_error_code(bhttp::error::header_limit), std::size_t{0}};
        }
        co_return std::tuple{boost::system::error_code{}, size};
      }
      if (data.size() >= options_.max_header_bytes) {
        co_return std::tuple{make_error_code(bhttp::error::header_limit), std::size_t{0}};
      }
      searched = data.size() < kEndOfHead.size() ? 0 : data.size() - (kEndOfHead.size() - 1);
      const std::size_t want = std::min(kFirstReadBytes, options_.max_header_bytes - data.size());
      auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(want), use_nothrow);
      if (ec) {
        co_return std::tuple{ec, std::size_t{0}};
      }
      buffer_.commit(n);
    }
  }

  ReadOutcome refusal_for(const boost::system::error_code& ec) {
    const bool header_done = parser_->is_header_done();
    if (ec == bhttp::error::header_limit && !header_done) {
      // RFC 9112 §3: a target longer than the server will parse gets 414, not 431. The head is
      // still in the buffer: the request line is too long when it has no end within the limit.
      const std::string_view head(static_cast<const char*>(buffer_.data().data()),
                                  std::min(buffer_.size(), options_.max_header_bytes));
      if (head.find(kCrlf) == std::string_view::npos) {
        return ReadOutcome{std::nullopt,
                           error_response(bhttp::status::uri_too_long, "invalid_request",
                                          "the request line is longer than " +
                                              std::to_string(options_.max_header_bytes) +
                                              " bytes; send large parameters in a POST body")};
      }
    }
    if (ec == bhttp::error::header_limit || (ec == bhttp::error::buffer_overflow && !header_done)) {
      return ReadOutcome{
          std::nullopt,
          error_response(bhttp::status::request_header_fields_too_large, "invalid_request",
                         "request header is larger than " +
                             std::to_string(options_.max_header_bytes) + " bytes")};
    }
    if (ec == bhttp::error::body_limit || ec == bhttp::error::buffer_overflow) {
      return ReadOutcome{std::nullopt,
                         error_response(bhttp::status::payload_too_large, "invalid_request",
                                        "request body is larger than " +
                                            std::to_string(options_.max_body_bytes) + " bytes")};
    }
    // Anything else the HTTP parser rejects is a malformed request; transport errors, a timeout
    // or a truncated request leave no one to answer.
    const bool parse_error =
        ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (parse_error) {
      return ReadOutcome{std::nullopt, error_response(bhttp::status::bad_request, "invalid_request",
                                                      "malformed HTTP request: " + ec.message())};
    }
    return ReadOutcome{};
  }

  Response handle(const Request& req) {
    Response res;
    try {
      res = dispatch(req, options_.cors, core_->router);
    } catch (const std::exception& e) {
      res = handler_failed(req, e.what());
    } catch (...) {
      res = handler_failed(req, "a non-exception was thrown");
    }
    finish(req, res);
    return res;
  }

  // A coroutine route's fast path, without coroutine frames; nullopt when it must wait.
  std::optional<Response> handle_immediate(const Request& req) {
    std::optional<Response> res;
    try {
      res = dispatch_immediate(req, options_.cors, core_->router);
    } catch (const std::exception& e) {
      res = handler_failed(req, e.what());
    } catch (...) {
      res = handler_failed(req, "a non-exception was thrown");
    }
    if (res) {
      finish(req, *res);
    }
    return res;
  }

  // The same for a coroutine handler, which may wait without holding this worker thread.
  asio::awaitable<Response> handle_async(const Request& req) {
    Response res;
    std::optional<std::string> failure;
    try {
      res = co_await dispatch_async(req, options_.cors, core_->router);
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "a non-exception was thrown";
    }
    if (failure) {
      res = handler_failed(req, *failure);
    }
    finish(req, res);
    co_return res;
  }

  static Response handler_failed(const Request& req, std::string_view what) {
    spdlog::error("handler for {} {} threw: {}", req.method_string(), path_of(req.target()), what);
    return json_error(req, bhttp::status::internal_server_error, "server_error",
                      "the server could not handle this request; see its log");
  }

  // Makes the response safe to put on this connection, whatever the handler set.
  void finish(const Request& req, Response& res) const {
    res.version(req.version());
    if (res.find(bhttp::field::server) == res.end()) {
      res.set(bhttp::field::server, options_.server_name);
    }
    const unsigned status = res.result_int();
    if (status / 100 == 1 || status == 204 || status == 304) {
      // These never have a body; a body here would be read as the start of the next response.
      res.body().clear();
      res.erase(bhttp::field::content_length);
      res.erase(bhttp::field::transfer_encoding);
    } else if (req.method() == bhttp::verb::head) {
      if (!res.has_content_length()) {
        res.content_length(res.body().size());
      }
      res.body().clear();
    } else {
      // The framing must match the body exactly, or the connection desynchronizes.
      res.content_length(res.body().size());
    }
    // On stop, answer in-flight requests but tell clients to go elsewhere for the next one.
    res.keep_alive(req.keep_alive() && res.keep_alive() && !stop_requested_ &&
                   !core_->tracker.stopping());
  }

  asio::awaitable<void> close(bool linger) {
    state_ = State::kClosing;
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (linger && !stop_requested_) {
      lowest().expires_after(kLingerTime);
      std::array<char, 4096> scratch;
      std::size_t drained = 0;
      while (drained < kLingerBytes) {
        auto [ec, n] = co_await lowest().async_read_some(asio::buffer(scratch), use_nothrow);
        if (ec) {
          break;
        }
        drained += n;
      }
    }
    lowest().close();
  }

  Stream stream_;
  std::shared_ptr<ServerCore> core_;
  const ServerOptions& options_;
  std::string remote_;        // the peer's address and port, for the access log
  IpAddress peer_;            // the peer's address
  std::string peer_address_;  // peer_ as text
  bool peer_is_proxy_;        // peer_ is a trusted proxy: requests name their client
  std::uint64_t id_;
  beast::flat_buffer buffer_;  // bounded: one request's header and body, pipelined bytes included
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_;  // the head of the response being written (write_head)
  State state_ = State::kHandshake;
  bool stop_requested_ = false;  // touched only on the strand
};

void log_session_exception(std::exception_ptr e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("connection ended by an exception: {}", ex.what());
  } catch (...) {
    spdlog::error("connection ended by an unknown exception");
  }
}

std::string busy_response(std::string_view body) {
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
         "Cache-Control: no-store\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

// Tells a connection beyond the limits why, without waiting on it (plain HTTP only: a TLS client
// would need a handshake first, which is exactly the work a flood should not get).
void refuse(tcp::socket& socket, ConnectionTracker::Admission admission, bool can_answer) {
  static const std::string busy = busy_response(kBusyBody);
  static const std::string address_busy = busy_response(kAddressBusyBody);
  boost::system::error_code ignored;
  if (can_answer && admission != ConnectionTracker::Admission::kStopping) {
    socket.non_blocking(true, ignored);
    socket.write_some(
        asio::buffer(admission == ConnectionTracker::Admission::kAddressFull ? address_busy : busy),
        ignored);
  }
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

template <typename Stream>
void launch(std::shared_ptr<Session<Stream>> session, const std::shared_ptr<ServerCore>& core,
            bool can_answer) {
  using Admission = ConnectionTracker::Admission;
  const ConnectionTracker::Limits limits{core->options.max_connections,
                                         core->options.max_connections_per_address};
  const auto admission =
      core->tracker.add(session->id(), session, session->address_group(), limits);
  if (admission != Admission::kAdmitted) {
    refuse(session->socket(), admission, can_answer);
    return;
  }
  auto executor = session->socket().get_executor();
  asio::co_spawn(executor, Session<Stream>::run(std::move(session)), log_session_exception);
}

}  // namespace

void start_session(tcp::socket socket, const std::shared_ptr<ServerCore>& core) {
  boost::system::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) {
    socket.close(ec);  // the client is already gone: there is no one to serve
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  if (const auto tls = core->tls_context()) {
    launch(std::make_shared<Session<TlsStream>>(TlsStream(std::move(socket), *tls), core, remote),
           core, false);
  } else {
    launch(std::make_shared<Session<PlainStream>>(PlainStream(std::move(socket)), core, remote),
           core, true);
  }
}

}  // namespace signet::http::internal
