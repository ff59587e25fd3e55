#include "signet/http/operations_routes.h"

#include <boost/json.hpp>

#include "signet/http/message.h"
#include "signet/metrics/registry.h"

namespace signet::http {

namespace bhttp = boost::beast::http;

void add_health_routes(Router& router, ReadinessCheck ready) {
  router.add(bhttp::verb::get, "/health/alive", [](const Request& req) {
    auto res = json_response(req, bhttp::status::ok, R"({"status":"alive"})");
    set_no_store(res);
    return res;
  });
  router.add(bhttp::verb::get, "/health/ready", [ready = std::move(ready)](const Request& req) {
    const std::vector<std::string> reasons = ready();
    Response res;
    if (reasons.empty()) {
      res = json_response(req, bhttp::status::ok, R"({"status":"ready"})");
    } else {
      boost::json::array list(reasons.begin(), reasons.end());
      res = json_response(
          req, bhttp::status::service_unavailable,
          boost::json::serialize(boost::json::object{{"status", "not_ready"}, {"reasons", list}}));
    }
    set_no_store(res);
    return res;
  });
}

void add_metrics_route(Router& router, const metrics::Registry& registry) {
  router.add(bhttp::verb::get, "/metrics", [&registry](const Request& req) {
    Response res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, metrics::kContentType);
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    res.body() = registry.expose();
    res.prepare_payload();
    return res;
  });
}

}  // namespace signet::http
