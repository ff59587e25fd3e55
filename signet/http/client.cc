#include "signet/http/client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <type_traits>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "signet/common/ascii.h"
#include "signet/http/url.h"

namespace signet::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

// bytes; real servers send well under 4 KiB of headers, and an unbounded header is a memory attack.
constexpr std::size_t kMaxResponseHeaderBytes = 16 * 1024;
// bytes; the read buffer only ever holds the header plus one read's worth of body.
constexpr std::size_t kReadBufferBytes = kMaxResponseHeaderBytes + 16 * 1024;
constexpr std::string_view kUserAgent = "signet/0.1";

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

using FetchResult = Result<FetchResponse, FetchFailure>;

Unexpected<FetchFailure> failure(FetchError code, std::string detail) {
  return fail(FetchFailure{code, std::move(detail)});
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string host_header(const Url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  const bool default_port = url.port == (url.tls() ? "443" : "80");
  if (!default_port) {
    host += ":" + url.port;
  }
  return host;
}

// What one exchange sends: a GET, or a POST with a body. Views into the caller's arguments.
struct Outgoing {
  bhttp::verb method = bhttp::verb::get;
  std::string_view content_type;  // with a body only
  std::string_view body;
  std::optional<std::string_view> authorization;
  std::optional<std::string_view> if_match;
  std::optional<std::string_view> dpop;
};

// One request from resolve to the parsed response. Runs on a single-threaded io_context; a
// watchdog timer closes the socket at the deadline, which ends whatever operation is pending.
class Exchange {
 public:
  Exchange(asio::io_context& ioc, const Url& url, const FetchOptions& options,
           const Outgoing& outgoing)
      : ioc_(ioc),
        url_(url),
        options_(options),
        outgoing_(outgoing),
        resolver_(ioc),
        watchdog_(ioc) {}

  FetchResult run() {
    std::optional<ssl::context> tls_context;
    if (url_.tls()) {
      auto made = make_tls_context();
      if (!made.ok()) {
        return fail(made.error());
      }
      tls_context.emplace(std::move(made.value()));
    }
    std::optional<FetchResult> result;
    watchdog_.expires_after(options_.timeout);
    watchdog_.async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        timed_out_ = true;
        resolver_.cancel();
        if (socket_ != nullptr) {
          boost::system::error_code ignored;
          socket_->close(ignored);
        }
      }
    });
    asio::co_spawn(ioc_, exchange(tls_context ? &*tls_context : nullptr),
                   [&](std::exception_ptr e, FetchOutcome outcome) {
                     watchdog_.cancel();
                     if (e) {
                       result = failure(FetchError::kBadResponse, "internal error during fetch");
                     } else {
                       result = std::move(outcome.result);
                     }
                   });
    ioc_.run();
    if (!result) {
      return failure(FetchError::kBadResponse, "fetch did not complete");
    }
    return std::move(*result);
  }

 private:
  // co_spawn hands a default-constructed value to the handler when the coroutine throws.
  struct FetchOutcome {
    FetchResult result = failure(FetchError::kBadResponse, "no result");
  };

  Result<ssl::context, FetchFailure> make_tls_context() {
    ssl::context ctx{ssl::context::tls_client};
    if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
      ERR_clear_error();
      return failure(FetchError::kTls, "cannot require TLS 1.2");
    }
    ctx.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (options_.ca_file.empty()) {
      ctx.set_default_verify_paths(ec);
    } else {
      ctx.load_verify_file(options_.ca_file, ec);
    }
    if (ec) {
      ERR_clear_error();
      return failure(FetchError::kTls, "cannot load CA certificates from '" +
                                           (options_.ca_file.empty() ? std::string("system default")
                                                                     : options_.ca_file) +
                                           "': " + ec.message());
    }
    return ctx;
  }

  // Maps an error to a failure, preferring kTimeout: after the watchdog fires, every pending
  // operation fails with "operation aborted" or "bad descriptor", which would hide the real cause.
  FetchFailure classify(FetchError code, std::string_view what, boost::system::error_code ec) {
    if (timed_out_) {
      return FetchFailure{FetchError::kTimeout, "no complete response within " +
                                                    std::to_string(options_.timeout.count()) +
                                                    " ms (while " + std::string(what) + ")"};
    }
    return FetchFailure{code, std::string(what) + " failed: " + ec.message()};
  }

  asio::awaitable<FetchOutcome> exchange(ssl::context* tls_context) {
    const auto flags =
        is_ip_literal(url_.host) ? tcp::resolver::numeric_host : tcp::resolver::flags{};
    auto [resolve_ec, endpoints] =
        co_await resolver_.async_resolve(url_.host, url_.port, flags, use_nothrow);
    if (resolve_ec || timed_out_) {
      co_return FetchOutcome{
          fail(classify(FetchError::kResolve, "resolving " + url_.host, resolve_ec))};
    }

    if (tls_context == nullptr) {
      tcp::socket socket{ioc_};
      socket_ = &socket;
      auto outcome = co_await connect_and_send(socket, socket, endpoints);
      socket_ = nullptr;
      co_return outcome;
    }
    ssl::stream<tcp::socket> stream{ioc_, *tls_context};
    socket_ = &stream.next_layer();
    auto outcome = co_await connect_and_send(stream, stream.next_layer(), endpoints);
    socket_ = nullptr;
    co_return outcome;
  }

  template <typename Stream>
  asio::awaitable<FetchOutcome> connect_and_send(Stream& stream, tcp::socket& socket,
                                                 const tcp::resolver::results_type& endpoints) {
    auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, use_nothrow);
    if (connect_ec || timed_out_) {
      co_return FetchOutcome{fail(classify(
          FetchError::kConnect, "connecting to " + url_.host + ":" + url_.port, connect_ec))};
    }
    if constexpr (std::is_same_v<Stream, ssl::stream<tcp::socket>>) {
      if (auto tls_failure = co_await handshake(stream)) {
        co_return FetchOutcome{fail(std::move(*tls_failure))};
      }
    }

    bhttp::request<bhttp::string_body> req{outgoing_.method, url_.target, 11};
    req.set(bhttp::field::host, host_header(url_));
    req.set(bhttp::field::accept, "application/json");
    req.set(bhttp::field::user_agent, kUserAgent);
    req.set(bhttp::field::connection, "close");
    if (outgoing_.authorization) {
      req.set(bhttp::field::authorization, *outgoing_.authorization);
    }
    if (outgoing_.if_match) {
      req.set(bhttp::field::if_match, *outgoing_.if_match);
    }
    if (outgoing_.dpop) {
      req.set("DPoP", *outgoing_.dpop);
    }
    if (outgoing_.method == bhttp::verb::post || !outgoing_.content_type.empty()) {
      if (!outgoing_.content_type.empty()) {
        req.set(bhttp::field::content_type, outgoing_.content_type);
      }
      req.body() = std::string(outgoing_.body);
      req.prepare_payload();  // Content-Length, even for an empty body
    }
    auto [write_ec, written] = co_await bhttp::async_write(stream, req, use_nothrow);
    if (write_ec || timed_out_) {
      co_return FetchOutcome{
          fail(classify(FetchError::kBadResponse, "sending the request", write_ec))};
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kMaxResponseHeaderBytes));
    parser.body_limit(options_.max_body_bytes);
    beast::flat_buffer buffer{kReadBufferBytes};
    auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
    if (read_ec || timed_out_) {
      if (!timed_out_ && (read_ec == bhttp::error::body_limit)) {
        co_return FetchOutcome{failure(
            FetchError::kTooLarge,
            "response body is larger than " + std::to_string(options_.max_body_bytes) + " bytes")};
      }
      if (!timed_out_ &&
          (read_ec == bhttp::error::header_limit || read_ec == bhttp::error::buffer_overflow)) {
        co_return FetchOutcome{
            failure(FetchError::kTooLarge, "response header is larger than " +
                                               std::to_string(kMaxResponseHeaderBytes) + " bytes")};
      }
      co_return FetchOutcome{
          fail(classify(FetchError::kBadResponse, "reading the response", read_ec))};
    }

    auto res = parser.release();
    FetchResponse response;
    response.status = res.result_int();
    response.content_type = std::string(res[bhttp::field::content_type]);
    response.cache_control = std::string(res[bhttp::field::cache_control]);
    response.etag = std::string(res[bhttp::field::etag]);
    response.www_authenticate = std::string(res[bhttp::field::www_authenticate]);
    response.retry_after = std::string(res[bhttp::field::retry_after]);
    response.dpop_nonce = std::string(res["DPoP-Nonce"]);
    response.body = std::move(res.body());
    co_return FetchOutcome{std::move(response)};
  }

  asio::awaitable<std::optional<FetchFailure>> handshake(ssl::stream<tcp::socket>& stream) {
    // SNI carries a host name only; RFC 6066 forbids IP literals in it.
    if (!is_ip_literal(url_.host) &&
        SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str()) != 1) {
      ERR_clear_error();
      co_return FetchFailure{FetchError::kTls, "cannot set SNI host name " + url_.host};
    }
    // Without this, any certificate from any trusted CA would do: the name must be ours.
    stream.set_verify_callback(ssl::host_name_verification(url_.host));
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, use_nothrow);
    if (!ec && !timed_out_) {
      co_return std::nullopt;
    }
    FetchFailure failed = classify(FetchError::kTls, "TLS handshake with " + url_.host, ec);
    const long verify = SSL_get_verify_result(stream.native_handle());
    if (!timed_out_ && verify != X509_V_OK) {
      failed.detail += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
    }
    ERR_clear_error();
    co_return failed;
  }

  asio::io_context& ioc_;
  const Url& url_;
  const FetchOptions& options_;
  const Outgoing& outgoing_;
  tcp::resolver resolver_;
  asio::steady_timer watchdog_;
  tcp::socket* socket_ = nullptr;  // the connection in use, for the watchdog to close
  bool timed_out_ = false;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits a Cache-Control value on commas that are not inside a quoted string.
std::vector<std::string_view> split_directives(std::string_view value) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(trim(value.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(value.substr(start)));
  return out;
}

// seconds; RFC 9111 §1.2.2: a delta-seconds too large to represent means 2^31.
constexpr std::int64_t kMaxDeltaSeconds = 2147483648;

// A header value must not be able to end its line and start another header (request splitting).
bool header_safe(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

FetchResult send(std::string_view url_text, const FetchOptions& options, const Outgoing& outgoing) {
  auto url = parse_url(url_text);
  if (!url.ok()) {
    return failure(FetchError::kBadUrl, url.error());
  }
  if (!header_safe(outgoing.content_type) ||
      (outgoing.authorization && !header_safe(*outgoing.authorization)) ||
      (outgoing.if_match && !header_safe(*outgoing.if_match)) ||
      (outgoing.dpop && !header_safe(*outgoing.dpop))) {
    return failure(FetchError::kBadResponse,
                   "a request header value contains a line break or NUL; nothing was sent");
  }
  asio::io_context ioc{1};
  Exchange exchange{ioc, url.value(), options, outgoing};
  return exchange.run();
}

}  // namespace

std::string_view to_string(FetchError error) {
  switch (error) {
    case FetchError::kBadUrl:
      return "bad_url";
    case FetchError::kResolve:
      return "resolve";
    case FetchError::kConnect:
      return "connect";
    case FetchError::kTls:
      return "tls";
    case FetchError::kTimeout:
      return "timeout";
    case FetchError::kTooLarge:
      return "too_large";
    case FetchError::kBadResponse:
      return "bad_response";
  }
  return "unknown";
}

Result<FetchResponse, FetchFailure> fetch(std::string_view url, const FetchOptions& options) {
  return send(url, options, Outgoing{});
}

Result<FetchResponse, FetchFailure> post(std::string_view url, std::string_view content_type,
                                         std::string_view body, const FetchOptions& options,
                                         std::optional<std::string_view> authorization) {
  return send(
      url, options,
      Outgoing{bhttp::verb::post, content_type, body, authorization, std::nullopt, std::nullopt});
}

Result<FetchResponse, FetchFailure> send_request(std::string_view url, const ApiRequest& request,
                                                 const FetchOptions& options) {
  const bhttp::verb method = bhttp::string_to_verb(request.method);
  if (method != bhttp::verb::get && method != bhttp::verb::post && method != bhttp::verb::put &&
      method != bhttp::verb::patch && method != bhttp::verb::delete_) {
    return failure(FetchError::kBadResponse,
                   "unsupported method '" + std::string(request.method) + "'; nothing was sent");
  }
  return send(url, options,
              Outgoing{method, request.content_type, request.body, request.authorization,
                       request.if_match, request.dpop});
}

std::optional<std::chrono::seconds> cache_max_age(std::string_view cache_control) {
  bool uncacheable = false;
  bool malformed = false;
  std::optional<std::int64_t> max_age;
  for (const std::string_view directive : split_directives(cache_control)) {
    if (directive.empty()) {
      continue;
    }
    const auto eq = directive.find('=');
    const std::string_view name = trim(directive.substr(0, eq));
    if (iequals(name, "no-store") || iequals(name, "no-cache")) {
      uncacheable = true;
      continue;
    }
    if (!iequals(name, "max-age") || max_age) {
      continue;  // RFC 9111 §4.2.1: with duplicates, the first occurrence is used
    }
    if (eq == std::string_view::npos) {
      malformed = true;
      continue;
    }
    std::string_view value = trim(directive.substr(eq + 1));
    // Senders must use the token form, but the quoted form is unambiguous; accept both.
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      malformed = true;
      continue;
    }
    std::int64_t seconds = 0;
    for (const char c : value) {
      seconds = std::min(seconds * 10 + (c - '0'), kMaxDeltaSeconds);
    }
    max_age = seconds;
  }
  if (uncacheable) {
    return std::chrono::seconds{0};
  }
  if (malformed || !max_age) {
    return std::nullopt;
  }
  return std::chrono::seconds{*max_age};
}

}  // namespace signet::http
