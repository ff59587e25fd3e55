#pragma once

// The standard process metrics of Prometheus' client libraries, read from /proc/self at scrape
// time: process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds and process_start_time_seconds.

#include <optional>
#include <string_view>

#include "signet/metrics/registry.h"

namespace signet::metrics {

// What /proc/self/stat says about the process (proc(5)), in the units of the metrics.
struct ProcessStat {
  double cpu_seconds = 0;       // utime + stime
  double virtual_bytes = 0;     // vsize
  double resident_bytes = 0;    // rss pages * page size
  double start_time_ticks = 0;  // starttime: clock ticks after boot
};

// Parses the text of /proc/self/stat; nullopt when it is not in proc(5)'s form. The command name
// is in parentheses and may itself hold spaces and parentheses, so fields are counted from the
// last ')'.
std::optional<ProcessStat> parse_proc_stat(std::string_view text, long ticks_per_second,
                                           long page_size);

// Registers the six process_* series; a value that cannot be read is reported as 0 (and the
// scrape goes on).
void register_process_metrics(Registry& registry);

}  // namespace signet::metrics
