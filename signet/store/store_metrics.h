#pragma once

// What the SQL store counts when it is given a registry (SqlStore::count_into): the time of every
// operation (signet_store_operation_duration_seconds{operation="read"|"write"}) and the errors
// by code (signet_store_errors_total{code}). Recorded in the one place every operation goes
// through: read(), write() and single() in sql_store_internal.h.

#include <array>
#include <chrono>
#include <cstddef>

#include "signet/metrics/registry.h"
#include "signet/store/error.h"

namespace signet::store {

enum class StoreOperation { kRead, kWrite };

class StoreMetrics {
 public:
  // Registers the series; throws std::invalid_argument when they exist (start-up only).
  explicit StoreMetrics(metrics::Registry& registry);

  // One operation done: no lock, no allocation. `error` is null when it succeeded.
  void record(StoreOperation op, std::chrono::steady_clock::duration elapsed,
              const StoreError* error) const;

 private:
  static constexpr std::size_t kCodes = static_cast<std::size_t>(StoreErrorCode::kInternal) + 1;
  metrics::Histogram* read_;
  metrics::Histogram* write_;
  std::array<metrics::Counter*, kCodes> errors_{};
};

}  // namespace signet::store
