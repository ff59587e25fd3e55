#include "signet/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "signet/metrics/text_format.h"

namespace signet::metrics {

namespace {

// Integers below this are written as digits; doubles hold every integer up to 2^53 exactly.
constexpr double kLargestExactInteger = 9007199254740992.0;

bool name_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return alpha || (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon)) {
      return false;
    }
  }
  return true;
}

const char* type_name(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

Labels sorted(Labels labels) {
  std::sort(labels.begin(), labels.end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
  return labels;
}

bool same_labels(const Labels& a, const Labels& b) {
  if (a.size() != b.size()) {
    return false;
  }
  const Labels sa = sorted(a);
  const Labels sb = sorted(b);
  for (std::size_t i = 0; i < sa.size(); ++i) {
    if (sa[i].name != sb[i].name || sa[i].value != sb[i].value) {
      return false;
    }
  }
  return true;
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const Labels& labels, double value) {
  out.append(name).append(suffix).append(format_labels(labels));
  out += ' ';
  out += format_value(value);
  out += '\n';
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  return valid_name(name, true);
}

bool valid_label_name(std::string_view name) {
  return valid_name(name, false) && !name.starts_with("__");
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (std::fabs(value) < kLargestExactInteger && value == std::trunc(value)) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general);
  return std::string(buf, end);
}

std::string format_labels(const Labels& labels) {
  if (labels.empty()) {
    return {};
  }
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    out += labels[i].name;
    out += "=\"";
    out += escape_label_value(labels[i].value);
    out += '"';
  }
  out += '}';
  return out;
}

// --- Histogram

Histogram::Histogram(std::span<const double> upper_bounds)
    : bounds_(upper_bounds.begin(), upper_bounds.end()),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds.size() + 1)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      throw std::invalid_argument("histogram bucket bounds must be finite and strictly increasing");
    }
  }
}

void Histogram::observe(double value) {
  // A linear scan: a dozen buckets fit a cache line or two, and most observations land early.
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// --- Registry

struct Registry::Series {
  Labels labels;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::function<double()> read;
};

struct Registry::Family {
  std::string name;
  std::string help;
  Type type;
  std::vector<std::unique_ptr<Series>> series;
  std::function<std::vector<Sample>()> collect;  // a collector's family has no series
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, Type type) {
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name '" + std::string(name) + "'");
  }
  for (auto& f : families_) {
    if (f->name != name) {
      continue;
    }
    if (f->type != type || f->help != help || f->collect) {
      throw std::invalid_argument("metric " + std::string(name) +
                                  " registered again with another type, help or as a collector");
    }
    return *f;
  }
  families_.push_back(
      std::make_unique<Family>(Family{std::string(name), std::string(help), type, {}, nullptr}));
  return *families_.back();
}

Registry::Series& Registry::add_series(Family& family, Labels labels) {
  for (const auto& label : labels) {
    if (!valid_label_name(label.name) || (family.type == Type::kHistogram && label.name == "le")) {
      throw std::invalid_argument("invalid label name '" + label.name + "' on " + family.name);
    }
  }
  for (const auto& s : family.series) {
    if (same_labels(s->labels, labels)) {
      throw std::invalid_argument("series registered twice: " + family.name +
                                  format_labels(labels));
    }
  }
  family.series.push_back(std::make_unique<Series>());
  family.series.back()->labels = std::move(labels);
  return *family.series.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mutex_);
  Series& s = add_series(family(name, help, Type::kCounter), std::move(labels));
  s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mutex_);
  Series& s = add_series(family(name, help, Type::kGauge), std::move(labels));
  s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::span<const double> upper_bounds, Labels labels) {
  auto histogram = std::make_unique<Histogram>(upper_bounds);  // checks the bounds
  std::lock_guard lock(mutex_);
  Series& s = add_series(family(name, help, Type::kHistogram), std::move(labels));
  s.histogram = std::move(histogram);
  return *s.histogram;
}

void Registry::counter_callback(std::string_view name, std::string_view help, Labels labels,
                                std::function<double()> read) {
  std::lock_guard lock(mutex_);
  add_series(family(name, help, Type::kCounter), std::move(labels)).read = std::move(read);
}

void Registry::gauge_callback(std::string_view name, std::string_view help, Labels labels,
                              std::function<double()> read) {
  std::lock_guard lock(mutex_);
  add_series(family(name, help, Type::kGauge), std::move(labels)).read = std::move(read);
}

void Registry::collector(std::string_view name, std::string_view help, Type type,
                         std::function<std::vector<Sample>()> collect) {
  if (type == Type::kHistogram) {
    throw std::invalid_argument("a collector reports counters or gauges, not histograms");
  }
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, type);
  if (!f.series.empty()) {
    throw std::invalid_argument("metric " + std::string(name) + " already has series");
  }
  f.collect = std::move(collect);
}

std::string Registry::expose() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f->name + " " + escape_help(f->help) + "\n";
    out += "# TYPE " + f->name + " " + type_name(f->type) + "\n";
    if (f->collect) {
      for (const auto& sample : f->collect()) {
        append_sample(out, f->name, "", sample.labels, sample.value);
      }
      continue;
    }
    for (const auto& s : f->series) {
      if (s->counter) {
        append_sample(out, f->name, "", s->labels, static_cast<double>(s->counter->value()));
      } else if (s->gauge) {
        append_sample(out, f->name, "", s->labels, static_cast<double>(s->gauge->value()));
      } else if (s->read) {
        append_sample(out, f->name, "", s->labels, s->read());
      } else if (s->histogram) {
        const auto snap = s->histogram->snapshot();
        const auto& bounds = s->histogram->upper_bounds();
        Labels with_le = s->labels;
        with_le.push_back({"le", ""});
        for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
          with_le.back().value = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
          append_sample(out, f->name, "_bucket", with_le, static_cast<double>(snap.cumulative[i]));
        }
        append_sample(out, f->name, "_sum", s->labels, snap.sum);
        append_sample(out, f->name, "_count", s->labels, static_cast<double>(snap.count));
      }
    }
  }
  return out;
}

}  // namespace signet::metrics
