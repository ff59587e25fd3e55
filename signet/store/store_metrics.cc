#include "signet/store/store_metrics.h"

#include <string>

namespace signet::store {

namespace {

constexpr std::string_view kDurationName = "signet_store_operation_duration_seconds";
constexpr std::string_view kDurationHelp =
    "Time of store operations (a transaction with its retries, or a single statement), "
    "including the wait for a connection.";

}  // namespace

StoreMetrics::StoreMetrics(metrics::Registry& registry)
    : read_(&registry.histogram(kDurationName, kDurationHelp, metrics::kLatencyBuckets,
                                {{"operation", "read"}})),
      write_(&registry.histogram(kDurationName, kDurationHelp, metrics::kLatencyBuckets,
                                 {{"operation", "write"}})) {
  for (std::size_t i = 0; i < kCodes; ++i) {
    errors_[i] = &registry.counter(
        "signet_store_errors_total",
        "Store operations that failed, by error code (not_found and conflict are often the "
        "expected answer; unavailable, busy and io are not).",
        {{"code", std::string(label(static_cast<StoreErrorCode>(i)))}});
  }
}

void StoreMetrics::record(StoreOperation op, std::chrono::steady_clock::duration elapsed,
                          const StoreError* error) const {
  (op == StoreOperation::kWrite ? write_ : read_)->observe(elapsed);
  if (error != nullptr) {
    const auto i = static_cast<std::size_t>(error->code);
    if (i < kCodes) {
      errors_[i]->inc();
    }
  }
}

}  // namespace signet::store
