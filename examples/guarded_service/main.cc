// A minimal service protected by signet's guard: GET /orders needs a valid access token with the
// scope read:orders. signet::api::protect() (signet/api/protect.h, installed with the library)
// does what `signet api` does for its own routes: it reads the Authorization header and the query,
// asks the guard, answers a refusal with the right status, challenge and body, and waits for a key
// fetch (after the issuer rotates its keys) on threads of its own rather than the server's.
//
//   guarded_service ISSUER AUDIENCE [PORT]
//   guarded_service http://localhost:4000/ https://orders.example/api 8080

#include <iostream>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "signet/api/protect.h"
#include "signet/guard/guard.h"
#include "signet/http/server.h"

namespace http = signet::http;
namespace beast_http = boost::beast::http;

// Threads that may wait for the issuer's keys; one is enough for a sample.
constexpr unsigned kKeyFetchThreads = 1;

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
  boost::asio::thread_pool blocking(kKeyFetchThreads);

  http::Router router;
  auto orders = signet::api::protect(
      guard, blocking.get_executor(), {"read:orders"},
      [](const http::Request& req, const signet::guard::VerifiedToken& token) {
        const boost::json::object body{{"orders", boost::json::array{}}, {"for", token.subject}};
        return http::json_response(req, beast_http::status::ok, boost::json::serialize(body));
      });
  router.add_async(beast_http::verb::get, "/orders", std::move(orders.async),
                   std::move(orders.immediate));

  http::ServerOptions options;
  options.listen = "127.0.0.1:" + std::string(argc > 3 ? argv[3] : "8080");
  http::Server server(options, std::move(router));
  std::cerr << "guarded_service on http://" << options.listen << "/orders\n";
  server.run_until_signal();
  blocking.join();
  return 0;
}
