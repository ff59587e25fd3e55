#include "signet/api/protect.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

namespace signet::api {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;

// Every Authorization header value of the request (there must be exactly one bearer token, so
// the guard needs to see them all).
std::vector<std::string_view> authorization_values(const http::Request& req) {
  std::vector<std::string_view> values;
  auto range = req.equal_range(beast_http::field::authorization);
  for (auto it = range.first; it != range.second; ++it) {
    values.emplace_back(it->value().data(), it->value().size());
  }
  return values;
}

std::string_view query_of(std::string_view target) {
  const std::size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

}  // namespace

http::Response refusal(const http::Request& req, const guard::Decision& decision) {
  auto res =
      http::json_response(req, static_cast<beast_http::status>(decision.status), decision.body);
  if (!decision.www_authenticate.empty()) {
    res.set(beast_http::field::www_authenticate, decision.www_authenticate);
  }
  if (decision.status == 503) {
    res.set(beast_http::field::retry_after, "5");
  }
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

http::AsyncHandler protect(guard::Guard& guard, boost::asio::any_io_executor blocking,
                           std::vector<std::string> scopes, ProtectedHandler handler) {
  return [&guard, blocking, scopes = std::move(scopes), handler = std::move(handler)](
             const http::Request& req) -> asio::awaitable<http::Response> {
    const auto values = authorization_values(req);
    const std::string_view target(req.target().data(), req.target().size());
    const guard::Credentials credentials{values, query_of(target)};
    guard::Decision decision = guard.authorize(credentials, scopes, guard::KeyWait::kNever);
    if (decision.failure && decision.failure->code == guard::Error::kKeysPending) {
      // Runs on `blocking`; the coroutine resumes on this connection's executor afterwards.
      decision = co_await asio::co_spawn(
          blocking,
          [&]() -> asio::awaitable<guard::Decision> {
            co_return guard.authorize(credentials, scopes, guard::KeyWait::kMayBlock);
          },
          asio::use_awaitable);
    }
    if (!decision.allowed()) {
      co_return refusal(req, decision);
    }
    auto res = handler(req, *decision.token);
    res.set(beast_http::field::cache_control, "no-store");
    co_return res;
  };
}

}  // namespace signet::api
