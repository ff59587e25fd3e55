#pragma once

// Prometheus metrics without a network library: counters, gauges and histograms registered once
// at start-up, updated on the request path with relaxed atomics, and written out in the text
// exposition format 0.0.4 (text_format.h) when /metrics is scraped.
//
// The contract:
// - A series' name and label values are fixed when it is registered; the caller keeps the
//   returned reference and updates it with no allocation, no lock and no lookup.
// - Values kept elsewhere (another library's atomics, /proc) are exported by callbacks read at
//   scrape time, so nothing is counted twice.
// - Registration checks names, labels and duplicates and throws std::invalid_argument (a
//   programming error, at start-up only); the request path never throws.
// - Families and their series are written in registration order, so the output is stable.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signet::metrics {

// One label of a series: `name` matches [a-zA-Z_][a-zA-Z0-9_]* and does not start with "__";
// `value` is any UTF-8 text of a bounded set (never a client id, user, token or raw path).
struct Label {
  std::string name;
  std::string value;
};
using Labels = std::vector<Label>;

// A monotonic count.
class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Observations counted into buckets by upper bound (le), with their sum and count.
class Histogram {
 public:
  // `upper_bounds`: strictly increasing and finite; +Inf is implicit.
  explicit Histogram(std::span<const double> upper_bounds);

  void observe(double value);
  void observe(std::chrono::steady_clock::duration d) {
    observe(std::chrono::duration<double>(d).count());
  }

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per upper bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  // Read at scrape time; cumulative counts are consistent with count (both come from the same
  // loads of the buckets), sum may include an observation that count does not yet.
  Snapshot snapshot() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket, not cumulative; +Inf last
  std::atomic<double> sum_{0};
};

// Bucket bounds in seconds for request and store latency: 0.5 ms to 10 s, about three per
// decade, enough to tell a memory answer from an argon2id hash and a database round trip.
inline constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};

enum class Type { kCounter, kGauge, kHistogram };

// One sample a collector reports at scrape time.
struct Sample {
  Labels labels;
  double value = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers a series and returns it; the reference stays valid as long as the registry. A name
  // registered again must have the same type and help; the same labels twice throw.
  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  Histogram& histogram(std::string_view name, std::string_view help,
                       std::span<const double> upper_bounds, Labels labels = {});

  // A series whose value `read` gives at scrape time (called under the registry's lock, possibly
  // from any thread; it must be cheap and thread-safe, and what it reads must outlive the
  // registry or be owned by the callback).
  void counter_callback(std::string_view name, std::string_view help, Labels labels,
                        std::function<double()> read);
  void gauge_callback(std::string_view name, std::string_view help, Labels labels,
                      std::function<double()> read);

  // A whole family whose series `collect` reports at scrape time, for label values that are only
  // known then or too many to register one by one (zero series may be left out). Counter or
  // gauge only.
  void collector(std::string_view name, std::string_view help, Type type,
                 std::function<std::vector<Sample>()> collect);

  // Every family in the text exposition format 0.0.4.
  std::string expose() const;

 private:
  struct Family;
  struct Series;
  Family& family(std::string_view name, std::string_view help, Type type);
  Series& add_series(Family& family, Labels labels);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
};

// The Content-Type of expose()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace signet::metrics
