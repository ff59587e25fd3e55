// A minimal service protected by signet's guard: GET /orders needs a valid access token with the
// scope read:orders. The guard is HTTP-library neutral: hand it the Authorization header values
// and the query string, and it answers with the status, challenge and body to send.
//
//   guarded_service ISSUER AUDIENCE [PORT]
//   guarded_service http://localhost:4000/ https://orders.example/api 8080

#include <iostream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "signet/guard/guard.h"
#include "signet/http/server.h"

namespace http = signet::http;
namespace beast_http = boost::beast::http;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: guarded_service ISSUER AUDIENCE [PORT]\n";
    return 2;
  }
  signet::guard::GuardConfig config;
  config.issuer = argv[1];
  config.audiences = {argv[2]};
  signet::guard::Guard guard(config);  // keys: discovered from {issuer}.well-known/...
  guard.start();

  const std::vector<std::string> required{"read:orders"};
  http::Router router;
  router.add(beast_http::verb::get, "/orders", [&](const http::Request& req) {
    std::vector<std::string_view> authorization;
    const auto [first, last] = req.equal_range(beast_http::field::authorization);
    for (auto it = first; it != last; ++it) {
      authorization.emplace_back(it->value());
    }
    const std::string_view target = req.target();
    const auto q = target.find('?');
    const signet::guard::Credentials credentials{
        authorization, q == std::string_view::npos ? std::string_view{} : target.substr(q + 1)};

    const auto decision = guard.authorize(credentials, required);
    if (!decision.allowed()) {
      auto res =
          http::json_response(req, static_cast<beast_http::status>(decision.status), decision.body);
      if (!decision.www_authenticate.empty()) {
        res.set(beast_http::field::www_authenticate, decision.www_authenticate);
      }
      res.set(beast_http::field::cache_control, "no-store");
      return res;
    }
    const boost::json::object body{{"orders", boost::json::array{}},
                                   {"for", decision.token->subject}};
    return http::json_response(req, beast_http::status::ok, boost::json::serialize(body));
  });

  http::ServerOptions options;
  options.listen = "127.0.0.1:" + std::string(argc > 3 ? argv[3] : "8080");
  http::Server server(options, std::move(router));
  std::cerr << "guarded_service on http://" << options.listen << "/orders\n";
  server.run_until_signal();
  return 0;
}
