// The cost of counting on the request path (issue 11: "counting must not move the per-request
// cost measurably"): one counter increment and one histogram observation, on one thread and on
// two at once (the same series, so the cache line bounces between cores as under load).
// bench/RESULTS.md puts these beside the cost of a request.

#include <chrono>

#include <benchmark/benchmark.h>

#include "signet/metrics/registry.h"

namespace {

namespace metrics = signet::metrics;

metrics::Registry& registry() {
  static metrics::Registry r;
  return r;
}

void BM_CounterInc(benchmark::State& state) {
  static metrics::Counter& counter = registry().counter("bench_counter_total", "bench");
  for (auto _ : state) {
    counter.inc();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CounterInc)->Threads(1)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  static metrics::Histogram& histogram =
      registry().histogram("bench_seconds", "bench", metrics::kLatencyBuckets);
  // A typical request: between 50 and 100 microseconds, so the scan passes two buckets.
  const auto d = std::chrono::microseconds{70};
  for (auto _ : state) {
    histogram.observe(std::chrono::steady_clock::duration(d));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

}  // namespace
