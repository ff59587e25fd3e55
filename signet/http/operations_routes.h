#pragma once

// The operations endpoints of both servers (docs/operations.md, "Metrics and health"):
// GET /health/alive, GET /health/ready and GET /metrics.

#include <functional>
#include <string>
#include <vector>

#include "signet/http/router.h"

namespace signet::metrics {
class Registry;
}

namespace signet::http {

// What keeps the server from being ready, each reason saying what to fix; empty when ready.
// Called for every /health/ready request on a worker thread: it must be cheap (cache what costs).
using ReadinessCheck = std::function<std::vector<std::string>()>;

// GET /health/alive -> 200 {"status":"alive"} (the process answers), and GET /health/ready ->
// 200 {"status":"ready"} or 503 {"status":"not_ready","reasons":[...]}; Cache-Control: no-store.
void add_health_routes(Router& router, ReadinessCheck ready);

// GET /metrics -> `registry` in Prometheus' text format 0.0.4, Cache-Control: no-store.
// `registry` must outlive the router. Business volume and live feedback for an attacker: add it
// to a listener the operator keeps private (--metrics-listen), or to the public one only when
// asked to (--metrics-on-main).
void add_metrics_route(Router& router, const metrics::Registry& registry);

}  // namespace signet::http
