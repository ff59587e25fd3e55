#include "signet/metrics/registry.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "signet/metrics/text_format.h"

namespace signet::metrics {
namespace {

TEST(TextFormat, EscapesLabelValuesBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("/oauth/token"), "/oauth/token");
}

TEST(TextFormat, EscapesHelpBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escape_help("say \"hi\"\\\nthen"), R"(say "hi"\\\nthen)");
}

TEST(TextFormat, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(0.0005), "0.0005");
  EXPECT_EQ(format_value(2.5), "2.5");
  EXPECT_EQ(format_value(1e-6), "1e-06");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(TextFormat, ChecksNames) {
  EXPECT_TRUE(valid_metric_name("signet_http_requests_total"));
  EXPECT_TRUE(valid_metric_name("a:b"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("1abc"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_TRUE(valid_label_name("route"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("9a"));
}

TEST(Registry, WritesCountersAndGaugesWithHelpAndType) {
  Registry r;
  Counter& ok = r.counter("signet_things_total", "Things done.", {{"result", "ok"}});
  Counter& bad = r.counter("signet_things_total", "Things done.", {{"result", "bad"}});
  Gauge& open = r.gauge("signet_open", "Open now.\nSecond line \\ here.");
  ok.inc();
  ok.inc(2);
  bad.inc();
  open.set(5);
  open.add(-2);
  EXPECT_EQ(r.expose(),
            "# HELP signet_things_total Things done.\n"
            "# TYPE signet_things_total counter\n"
            "signet_things_total{result=\"ok\"} 3\n"
            "signet_things_total{result=\"bad\"} 1\n"
            "# HELP signet_open Open now.\\nSecond line \\\\ here.\n"
            "# TYPE signet_open gauge\n"
            "signet_open 3\n");
}

TEST(Registry, EscapesLabelValuesInTheOutput) {
  Registry r;
  r.counter("c_total", "c", {{"v", "a\"b\\c\nd"}}).inc();
  EXPECT_EQ(r.expose(),
            "# HELP c_total c\n"
            "# TYPE c_total counter\n"
            "c_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Registry, WritesHistogramBucketsCumulativeWithInfSumAndCount) {
  Registry r;
  const double bounds[] = {0.1, 1, 2.5};
  Histogram& h = r.histogram("signet_wait_seconds", "Waits.", bounds, {{"route", "/x"}});
  h.observe(0.05);
  h.observe(0.1);  // on the bound: le is inclusive
  h.observe(0.5);
  h.observe(3);
  EXPECT_EQ(r.expose(),
            "# HELP signet_wait_seconds Waits.\n"
            "# TYPE signet_wait_seconds histogram\n"
            "signet_wait_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
            "signet_wait_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "signet_wait_seconds_bucket{route=\"/x\",le=\"2.5\"} 3\n"
            "signet_wait_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "signet_wait_seconds_sum{route=\"/x\"} 3.65\n"
            "signet_wait_seconds_count{route=\"/x\"} 4\n");
}

TEST(Registry, HistogramWithoutLabelsAndDurations) {
  Registry r;
  const double bounds[] = {0.001};
  Histogram& h = r.histogram("d_seconds", "d", bounds);
  h.observe(std::chrono::microseconds{500});
  h.observe(std::chrono::milliseconds{2});
  const auto snap = h.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(snap.count, 2u);
  EXPECT_DOUBLE_EQ(snap.sum, 0.0025);
  EXPECT_NE(r.expose().find("d_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
}

TEST(Registry, CallbacksAreReadAtScrapeTime) {
  Registry r;
  double value = 1;
  r.counter_callback("cb_total", "cb", {{"k", "v"}}, [&] { return value; });
  r.gauge_callback("g", "g", {}, [&] { return value * 2; });
  value = 7;
  EXPECT_EQ(r.expose(),
            "# HELP cb_total cb\n# TYPE cb_total counter\ncb_total{k=\"v\"} 7\n"
            "# HELP g g\n# TYPE g gauge\ng 14\n");
}

TEST(Registry, CollectorsReportTheirSamples) {
  Registry r;
  r.collector("col_total", "col", Type::kCounter, [] {
    return std::vector<Sample>{{{{"a", "1"}, {"b", "x"}}, 2}, {{{"a", "2"}, {"b", "y"}}, 0.5}};
  });
  EXPECT_EQ(r.expose(),
            "# HELP col_total col\n# TYPE col_total counter\n"
            "col_total{a=\"1\",b=\"x\"} 2\ncol_total{a=\"2\",b=\"y\"} 0.5\n");
}

TEST(Registry, RefusesProgrammingErrorsAtRegistration) {
  Registry r;
  r.counter("x_total", "x", {{"a", "1"}, {"b", "2"}});
  // The same series again, its labels in another order.
  EXPECT_THROW(r.counter("x_total", "x", {{"b", "2"}, {"a", "1"}}), std::invalid_argument);
  EXPECT_THROW(r.gauge("x_total", "x"), std::invalid_argument);  // another type
  EXPECT_THROW(r.counter("x_total", "other help"), std::invalid_argument);
  EXPECT_THROW(r.counter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("y_total", "y", {{"__reserved", "1"}}), std::invalid_argument);
  const double bounds[] = {1};
  EXPECT_THROW(r.histogram("h", "h", bounds, {{"le", "1"}}), std::invalid_argument);
  const double unordered[] = {1, 0.5};
  EXPECT_THROW(r.histogram("h2", "h", unordered), std::invalid_argument);
  EXPECT_THROW(r.collector("x_total", "x", Type::kCounter, [] { return std::vector<Sample>{}; }),
               std::invalid_argument);
  r.collector("z_total", "z", Type::kCounter, [] { return std::vector<Sample>{}; });
  EXPECT_THROW(r.counter("z_total", "z"), std::invalid_argument);
}

TEST(Registry, ConcurrentIncrementsSumExactly) {
  Registry r;
  Counter& c = r.counter("n_total", "n");
  const double bounds[] = {0.5};
  Histogram& h = r.histogram("h", "h", bounds);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.inc();
        h.observe(t % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(c.value(), std::uint64_t{kThreads} * kPerThread);
  const auto snap = h.snapshot();
  EXPECT_EQ(snap.count, std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(snap.cumulative[0], std::uint64_t{kThreads / 2} * kPerThread);
  // Quarters and ones add exactly in binary floating point.
  EXPECT_EQ(snap.sum, (kThreads / 2) * kPerThread * 0.25 + (kThreads / 2) * kPerThread * 1.0);
}

}  // namespace
}  // namespace signet::metrics
