#include "signet/metrics/process.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace signet::metrics {

namespace {

// proc(5) field numbers (1-based) of /proc/self/stat; field 2 is the command in parentheses.
constexpr std::size_t kUtimeField = 14;
constexpr std::size_t kStimeField = 15;
constexpr std::size_t kStartTimeField = 22;
constexpr std::size_t kVsizeField = 23;
constexpr std::size_t kRssField = 24;

std::optional<std::string> read_text(const char* path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<ProcessStat> self_stat() {
  const auto text = read_text("/proc/self/stat");
  if (!text) {
    return std::nullopt;
  }
  return parse_proc_stat(*text, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE));
}

// The boot time in seconds since the epoch: "btime" in /proc/stat.
std::optional<double> boot_time() {
  const auto text = read_text("/proc/stat");
  if (!text) {
    return std::nullopt;
  }
  std::istringstream lines(*text);
  std::string key;
  double value = 0;
  while (lines >> key) {
    if (key == "btime" && (lines >> value)) {
      return value;
    }
    lines.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return ec ? 0 : n - 1;  // less the descriptor the iteration itself holds open
}

}  // namespace

std::optional<ProcessStat> parse_proc_stat(std::string_view text, long ticks_per_second,
                                           long page_size) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0 || page_size <= 0) {
    return std::nullopt;
  }
  // Fields 3.. after the command; fields[i] is field i + 3.
  std::vector<std::string_view> fields;
  std::string_view rest = text.substr(close + 1);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  const auto number = [&](std::size_t field) -> std::optional<double> {
    if (field < 3 || field - 3 >= fields.size()) {
      return std::nullopt;
    }
    const std::string_view f = fields[field - 3];
    long long v = 0;
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec != std::errc{} || end != f.data() + f.size()) {
      return std::nullopt;
    }
    return static_cast<double>(v);
  };
  const auto utime = number(kUtimeField);
  const auto stime = number(kStimeField);
  const auto start = number(kStartTimeField);
  const auto vsize = number(kVsizeField);
  const auto rss = number(kRssField);
  if (!utime || !stime || !start || !vsize || !rss) {
    return std::nullopt;
  }
  const auto ticks = static_cast<double>(ticks_per_second);
  return ProcessStat{(*utime + *stime) / ticks, *vsize, *rss * static_cast<double>(page_size),
                     *start};
}

void register_process_metrics(Registry& registry) {
  registry.counter_callback("process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.", {}, [] {
                              const auto s = self_stat();
                              return s ? s->cpu_seconds : 0;
                            });
  registry.gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                          [] {
                            const auto s = self_stat();
                            return s ? s->resident_bytes : 0;
                          });
  registry.gauge_callback("process_virtual_memory_bytes", "Virtual memory size in bytes.", {}, [] {
    const auto s = self_stat();
    return s ? s->virtual_bytes : 0;
  });
  registry.gauge_callback("process_open_fds", "Number of open file descriptors.", {}, open_fds);
  registry.gauge_callback("process_max_fds", "Maximum number of open file descriptors.", {}, [] {
    rlimit limit{};
    return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
               ? static_cast<double>(limit.rlim_cur)
               : 0;
  });
  // Fixed for the life of the process: computed once.
  const auto s = self_stat();
  const auto boot = boot_time();
  const double start =
      s && boot ? *boot + s->start_time_ticks / static_cast<double>(::sysconf(_SC_CLK_TCK)) : 0;
  registry.gauge_callback("process_start_time_seconds",
                          "Start time of the process since unix epoch in seconds.", {},
                          [start] { return start; });
}

}  // namespace signet::metrics
