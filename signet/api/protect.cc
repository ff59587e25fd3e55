#include "signet/api/protect.h"

#include <array>
#include <memory>
#include <span>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

namespace signet::api {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;

// The request's Authorization header values. Two are enough to tell: a request must carry
// exactly one bearer token, so any second value makes it invalid whatever it says.
struct AuthorizationValues {
  std::array<std::string_view, 2> values{};
  std::size_t count = 0;
  std::span<const std::string_view> span() const { return {values.data(), count}; }
};

AuthorizationValues authorization_values(const http::Request& req) {
  AuthorizationValues out;
  auto range = req.equal_range(beast_http::field::authorization);
  for (auto it = range.first; it != range.second && out.count < out.values.size(); ++it) {
    out.values[out.count++] = std::string_view(it->value().data(), it->value().size());
  }
  return out;
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

ProtectedRoute protect(guard::Guard& guard, boost::asio::any_io_executor blocking,
                       std::vector<std::string> scopes, ProtectedHandler handler) {
  auto shared = std::make_shared<const ProtectedState>(
      ProtectedState{guard, std::move(blocking), std::move(scopes), std::move(handler)});
  ProtectedRoute route;
  route.immediate = [shared](const http::Request& req) -> std::optional<http::Response> {
    const auto values = authorization_values(req);
    const guard::Decision decision = shared->guard.authorize(
        {values.span(), query_of(req.target())}, shared->scopes, guard::KeyWait::kNever);
    if (decision.failure && decision.failure->code == guard::Error::kKeysPending) {
      return std::nullopt;  // the keys must be fetched: the coroutine path takes over
    }
    return shared->respond(req, decision);
  };
  // Only reached when `immediate` declined: the whole check moves to the blocking executor, and
  // this coroutine resumes on the connection's executor with its result.
  route.async = [shared](const http::Request& req) -> asio::awaitable<http::Response> {
    const auto values = authorization_values(req);
    const guard::Credentials credentials{values.span(), query_of(req.target())};
    const guard::Decision decision = co_await asio::co_spawn(
        shared->blocking,
        [&]() -> asio::awaitable<guard::Decision> {
          co_return shared->guard.authorize(credentials, shared->scopes, guard::KeyWait::kMayBlock);
        },
        asio::use_awaitable);
    co_return shared->respond(req, decision);
  };
  return route;
}

http::Response ProtectedState::respond(const http::Request& req,
                                       const guard::Decision& decision) const {
  if (!decision.allowed()) {
    return refusal(req, decision);
  }
  auto res = handler(req, *decision.token);
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

}  // namespace signet::api
