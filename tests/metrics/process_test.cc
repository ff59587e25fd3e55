#include "signet/metrics/process.h"

#include <gtest/gtest.h>

namespace signet::metrics {
namespace {

// proc(5)'s layout, with a command name that holds a space and a parenthesis.
constexpr std::string_view kStat =
    "4242 (sig net) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 5 0 "
    "123400 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessStat, ReadsCpuMemoryAndStartFromProcStat) {
  const auto s = parse_proc_stat(kStat, 100, 4096);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);  // (250 + 150) ticks / 100
  EXPECT_DOUBLE_EQ(s->virtual_bytes, 104857600);
  EXPECT_DOUBLE_EQ(s->resident_bytes, 2560.0 * 4096);
  EXPECT_DOUBLE_EQ(s->start_time_ticks, 123400);
}

TEST(ProcessStat, RefusesWhatIsNotProcStat) {
  EXPECT_FALSE(parse_proc_stat("", 100, 4096));
  EXPECT_FALSE(parse_proc_stat("4242 (signet) S 1 2 3", 100, 4096));  // too few fields
  EXPECT_FALSE(parse_proc_stat("4242 signet S 1", 100, 4096));        // no command
  EXPECT_FALSE(parse_proc_stat(kStat, 0, 4096));
}

TEST(ProcessMetrics, RegistersTheStandardSeriesWithLiveValues) {
  Registry r;
  register_process_metrics(r);
  const std::string text = r.expose();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
  }
  // This process has stdin, stdout and stderr open, and some memory.
  const auto value_of = [&](std::string_view name) {
    const auto at = text.find("\n" + std::string(name) + " ");
    EXPECT_NE(at, std::string::npos) << name;
    return std::stod(text.substr(at + name.size() + 2));
  };
  EXPECT_GE(value_of("process_open_fds"), 3);
  EXPECT_GT(value_of("process_resident_memory_bytes"), 0);
  EXPECT_GT(value_of("process_start_time_seconds"), 1e9);
}

}  // namespace
}  // namespace signet::metrics
