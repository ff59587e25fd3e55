#include "signet/http/http_metrics.h"

#include <algorithm>

namespace signet::http::internal {

namespace bhttp = boost::beast::http;

HttpMetrics::HttpMetrics(metrics::Registry& registry,
                         const std::vector<std::string>& route_labels) {
  status_slot_.fill(static_cast<std::uint8_t>(kStatuses.size()));
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    status_slot_[kStatuses[i]] = static_cast<std::uint8_t>(i);
  }
  std::vector<std::string> labels = route_labels;
  labels.push_back("unmatched");
  for (const auto& label : labels) {
    const auto same = std::find_if(routes_.begin(), routes_.end(),
                                   [&](const auto& r) { return r->label == label; });
    if (same != routes_.end()) {
      by_slot_.push_back(same->get());
      continue;
    }
    routes_.push_back(std::make_unique<Route>());
    routes_.back()->label = label;
    routes_.back()->duration =
        &registry.histogram("signet_http_request_duration_seconds",
                            "Time from a request's first byte to its response written, by route.",
                            metrics::kLatencyBuckets, {{"route", label}});
    by_slot_.push_back(routes_.back().get());
  }
}

std::shared_ptr<HttpMetrics> HttpMetrics::create(metrics::Registry& registry,
                                                 const std::vector<std::string>& route_labels,
                                                 std::shared_ptr<const ConnectionTracker> tracker) {
  std::shared_ptr<HttpMetrics> self(new HttpMetrics(registry, route_labels));
  registry.collector("signet_http_requests_total",
                     "HTTP responses by route (the registered path, or unmatched), method and "
                     "status.",
                     metrics::Type::kCounter, [self] { return self->collect(); });
  registry.gauge_callback("signet_http_open_connections", "Connections open now.", {},
                          [tracker] { return static_cast<double>(tracker->approximate_size()); });
  using Admission = ConnectionTracker::Admission;
  for (const auto& [admission, reason] :
       {std::pair{Admission::kFull, "full"}, std::pair{Admission::kAddressFull, "address_full"},
        std::pair{Admission::kStopping, "stopping"}}) {
    registry.counter_callback(
        "signet_http_refused_connections_total",
        "Connections closed on arrival: full (max-connections, none idle), address_full "
        "(max-connections-per-address), stopping (the server is shutting down).",
        {{"reason", reason}},
        [tracker, a = admission] { return static_cast<double>(tracker->refused(a)); });
  }
  registry.counter_callback(
      "signet_http_evicted_connections_total",
      "Idle keep-alive connections closed to make room for a new one at max-connections.", {},
      [tracker] { return static_cast<double>(tracker->evicted()); });
  return self;
}

void HttpMetrics::record(std::size_t slot, bhttp::verb method, unsigned status,
                         std::chrono::steady_clock::duration elapsed) {
  Route& route = *by_slot_[std::min(slot, by_slot_.size() - 1)];
  const auto m = static_cast<std::size_t>(std::find(kMethods.begin(), kMethods.end(), method) -
                                          kMethods.begin());
  const std::size_t s = status < kMaxStatus ? status_slot_[status] : kStatuses.size();
  route.requests[m][s].fetch_add(1, std::memory_order_relaxed);
  route.duration->observe(elapsed);
}

std::vector<metrics::Sample> HttpMetrics::collect() const {
  std::vector<metrics::Sample> out;
  for (const auto& route : routes_) {
    for (std::size_t m = 0; m < kMethodSlots; ++m) {
      for (std::size_t s = 0; s < kStatusSlots; ++s) {
        const auto n = route->requests[m][s].load(std::memory_order_relaxed);
        if (n == 0) {
          continue;  // the series appears with its first request
        }
        const std::string method =
            m < kMethods.size() ? std::string(bhttp::to_string(kMethods[m])) : "other";
        const std::string status = s < kStatuses.size() ? std::to_string(kStatuses[s]) : "other";
        out.push_back({{{"route", route->label}, {"method", method}, {"status", status}},
                       static_cast<double>(n)});
      }
    }
  }
  return out;
}

}  // namespace signet::http::internal
