#pragma once

// The pieces of Prometheus' text exposition format 0.0.4 that registry.cc writes with, public so
// that tests pin each rule.

#include <string>
#include <string_view>

#include "signet/metrics/registry.h"

namespace signet::metrics {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus itself).
bool valid_label_name(std::string_view name);

// A label value between its double quotes: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);
// A # HELP text: backslash and newline escaped (quotes stay as they are).
std::string escape_help(std::string_view help);

// A sample value: an integer as digits ("42"), anything else in the shortest form that reads
// back exactly ("0.25", "1e-06"), and "+Inf", "-Inf", "NaN".
std::string format_value(double value);

// {a="x",b="y"} for `labels`, or "" when there are none.
std::string format_labels(const Labels& labels);

}  // namespace signet::metrics
