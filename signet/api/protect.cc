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

// Up to values.size() values of the header `field` (a beast_http::field or a name), and how many
// were kept.
template <typename Field>
std::size_t header_values(const http::Request& req, Field field,
                          std::array<std::string_view, 2>& values) {
  std::size_t count = 0;
  auto range = req.equal_range(field);
  for (auto it = range.first; it != range.second && count < values.size(); ++it) {
    values[count++] = std::string_view(it->value().data(), it->value().size());
  }
  return count;
}

std::string_view query_of(std::string_view target) {
  const std::size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

// The decision's own headers (DPoP-Nonce), exposed to a browser app's script, which must read the
// nonce to put it in its next proof.
void add_headers(http::Response& res, const guard::Decision& decision) {
  for (const auto& [name, value] : decision.headers) {
    res.set(name, value);
  }
  if (!decision.headers.empty()) {
    res.set(beast_http::field::access_control_expose_headers, guard::kDpopNonceHeader);
  }
}

}  // namespace

RequestCredentials::RequestCredentials(const http::Request& req, const PublicUrl& url) {
  const std::string_view target(req.target().data(), req.target().size());
  credentials_.authorization = std::span<const std::string_view>(
      authorization_.data(), header_values(req, beast_http::field::authorization, authorization_));
  credentials_.query = query_of(target);
  const std::size_t proofs = header_values(req, guard::kDpopHeader, dpop_);
  if (proofs == 0) {
    return;  // Bearer: neither the method nor the URL is looked at
  }
  credentials_.dpop = std::span<const std::string_view>(dpop_.data(), proofs);
  credentials_.method = std::string_view(req.method_string().data(), req.method_string().size());
  const std::string_view path = http::path_of(target);
  if (!url.base.empty()) {
    std::string_view base = url.base;
    if (!base.empty() && base.back() == '/') {
      base.remove_suffix(1);
    }
    url_.reserve(base.size() + path.size());
    url_.append(base).append(path);
  } else {
    const auto host = req[beast_http::field::host];
    if (host.empty()) {
      return;  // no URL to check htu against: the proof is refused
    }
    url_.reserve(url.scheme.size() + 3 + host.size() + path.size());
    url_.append(url.scheme).append("://").append(host.data(), host.size()).append(path);
  }
  credentials_.url = url_;
}

http::Response refusal(const http::Request& req, const guard::Decision& decision) {
  auto res =
      http::json_response(req, static_cast<beast_http::status>(decision.status), decision.body);
  if (!decision.www_authenticate.empty()) {
    res.set(beast_http::field::www_authenticate, decision.www_authenticate);
  }
  add_headers(res, decision);
  if (decision.status == 503) {
    res.set(beast_http::field::retry_after, "5");
  }
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

ProtectedRoute protect(guard::Guard& guard, boost::asio::any_io_executor blocking,
                       std::vector<std::string> scopes, ProtectedHandler handler, PublicUrl url) {
  auto shared = std::make_shared<const ProtectedState>(ProtectedState{
      guard, std::move(blocking), std::move(scopes), std::move(handler), std::move(url)});
  ProtectedRoute route;
  route.immediate = [shared](const http::Request& req) -> std::optional<http::Response> {
    const RequestCredentials offered(req, shared->url);
    const guard::Decision decision =
        shared->guard.authorize(offered.credentials(), shared->scopes, guard::KeyWait::kNever);
    if (decision.failure && decision.failure->code == guard::Error::kKeysPending) {
      return std::nullopt;  // the keys must be fetched: the coroutine path takes over
    }
    return shared->respond(req, decision);
  };
  // Only reached when `immediate` declined: the whole check moves to the blocking executor, and
  // this coroutine resumes on the connection's executor with its result.
  route.async = [shared](const http::Request& req) -> asio::awaitable<http::Response> {
    const RequestCredentials offered(req, shared->url);
    const guard::Decision decision = co_await asio::co_spawn(
        shared->blocking,
        [&]() -> asio::awaitable<guard::Decision> {
          co_return shared->guard.authorize(offered.credentials(), shared->scopes,
                                            guard::KeyWait::kMayBlock);
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
  add_headers(res, decision);
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

}  // namespace signet::api
