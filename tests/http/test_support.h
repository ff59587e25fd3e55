#pragma once

// Helpers for the HTTP tests: a server on its own thread, a raw-socket client that can send
// anything (including garbage) and read responses with a deadline, and a throwaway TLS certificate.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "signet/http/server.h"

namespace signet::http::testing {

using namespace std::chrono_literals;

// Options for a test server: an ephemeral port on loopback, two threads, and no access log noise.
inline ServerOptions test_options() {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  options.access_log = false;
  options.shutdown_grace = 2s;
  return options;
}

// A started server whose run() executes on a background thread until stop() or destruction.
class RunningServer {
 public:
  RunningServer(ServerOptions options, Router router)
      : server_(std::move(options), std::move(router)) {
    server_.start();
    thread_ = std::thread([this] { server_.run(); });
  }
  ~RunningServer() { stop(); }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  // Stops the server and waits for run() to return.
  void stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  bool running() const { return thread_.joinable(); }
  Server& server() { return server_; }
  unsigned short port() const { return server_.port(); }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }

 private:
  Server server_;
  std::thread thread_;
};

// A blocking TCP client on 127.0.0.1 whose every wait is bounded. It connects from
// `source_address`, any of 127.0.0.0/8 (all of it is loopback on Linux), so that a test can be
// several clients.
class RawClient {
 public:
  explicit RawClient(unsigned short port, const char* source_address = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) {
      throw std::runtime_error("socket() failed");
    }
    sockaddr_in source{};
    source.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source_address, &source.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0) {
      ::close(fd_);
      fd_ = -1;
      throw std::runtime_error(std::string("cannot bind to source address ") + source_address);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
      throw std::runtime_error("connect() failed");
    }
  }
  ~RawClient() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends all of `data`; false when the connection is gone.
  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response; nullopt when the connection closed or failed first, or on timeout.
  std::optional<Response> read_response(std::chrono::milliseconds timeout = 3000ms,
                                        bool head = false) {
    namespace bhttp = boost::beast::http;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.skip(head);
    parser.body_limit(16 * 1024 * 1024);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (!pending_.empty()) {
        boost::beast::error_code ec;
        const std::size_t used = parser.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec && ec != bhttp::error::need_more) {
          return std::nullopt;
        }
        if (parser.is_done()) {
          return parser.release();
        }
        if (!ec && used > 0) {
          continue;
        }
      }
      const int got = receive(deadline);
      if (got <= 0) {
        if (got == 0 && parser.got_some()) {  // a response that ends with the connection
          boost::beast::error_code ec;
          parser.put_eof(ec);
          if (!ec && parser.is_done()) {
            return parser.release();
          }
        }
        return std::nullopt;
      }
    }
  }

  // True when the server closes the connection (end of stream or reset) within `timeout`; any
  // bytes that arrive first are discarded.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const int got = receive(deadline);
      if (got == 0 || got == -1) {
        return true;
      }
      if (got == -2) {
        return false;
      }
      pending_.clear();
    }
  }

 private:
  // > 0: bytes appended to pending_; 0: end of stream; -1: error or reset; -2: timeout.
  int receive(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return -2;
    }
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready == 0) {
      return -2;
    }
    if (ready < 0) {
      return -1;
    }
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      return -1;
    }
    pending_.append(buf, static_cast<std::size_t>(n));
    return static_cast<int>(n);
  }

  int fd_ = -1;
  std::string pending_;
};

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/signet-http-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace signet::http::testing
