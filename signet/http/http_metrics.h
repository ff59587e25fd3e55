#pragma once

// Internal to signet_http: what a server counts into its metrics registry (ServerOptions::metrics)
// — requests by route, method and status, their duration by route, open connections, and
// connections refused or evicted by the limits.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "signet/http/connections.h"
#include "signet/metrics/registry.h"

namespace signet::http::internal {

class HttpMetrics : public std::enable_shared_from_this<HttpMetrics> {
 public:
  // Registers the series of a server whose router has `route_labels` (Router::route_labels()),
  // reading connections from `tracker`. The registry's callbacks share ownership of both, so a
  // scrape after the server is gone reads its last values.
  static std::shared_ptr<HttpMetrics> create(metrics::Registry& registry,
                                             const std::vector<std::string>& route_labels,
                                             std::shared_ptr<const ConnectionTracker> tracker);

  // Counts one response: no lock, no allocation. `slot` is Router::route_slot() (route_labels'
  // size for an unmatched request).
  void record(std::size_t slot, boost::beast::http::verb method, unsigned status,
              std::chrono::steady_clock::duration elapsed);

  // The method label values; anything else is counted as "other".
  static constexpr std::array<boost::beast::http::verb, 7> kMethods = {
      boost::beast::http::verb::get,    boost::beast::http::verb::head,
      boost::beast::http::verb::post,   boost::beast::http::verb::put,
      boost::beast::http::verb::patch,  boost::beast::http::verb::delete_,
      boost::beast::http::verb::options};
  // The status label values: every status signet's servers answer with, and those a handler
  // could plausibly set; anything else is counted as "other".
  static constexpr std::array<unsigned, 33> kStatuses = {
      100, 101, 200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404,
      405, 406, 408, 409, 410, 411, 412, 413, 415, 422, 429, 431, 500, 501, 503, 504};

 private:
  static constexpr std::size_t kMethodSlots = kMethods.size() + 1;   // + other
  static constexpr std::size_t kStatusSlots = kStatuses.size() + 1;  // + other
  static constexpr unsigned kMaxStatus = 600;                        // exclusive

  struct Route {
    std::string label;
    metrics::Histogram* duration = nullptr;
    std::array<std::array<std::atomic<std::uint64_t>, kStatusSlots>, kMethodSlots> requests{};
  };

  HttpMetrics(metrics::Registry& registry, const std::vector<std::string>& route_labels);
  std::vector<metrics::Sample> collect() const;

  std::vector<std::unique_ptr<Route>> routes_;  // stable addresses; the last is "unmatched"
  std::vector<Route*> by_slot_;                 // Router slot -> its route (labels may repeat)
  std::array<std::uint8_t, kMaxStatus> status_slot_{};
};

}  // namespace signet::http::internal
