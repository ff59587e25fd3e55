#include "signet/jose/json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

namespace signet::jose {
namespace {

namespace json = boost::json;

// An object's first names are each compared with the names before them as they arrive, so a
// duplicate in a token's header or claims is refused at once without sorting anything. The
// names of a wider object are checked together when it ends, sorted: n log n comparisons, where
// comparing each with all before it let one hostile body cost n^2 (a 64 KiB Management API
// body holds an object of 8,191 members: 152 ms of CPU that way, under 2 ms sorted).
constexpr std::size_t kScannedMembers = 32;

// A SAX handler that builds the value like boost::json::parser does, and additionally rejects
// duplicate member names and enforces our limits. The first limit breached is remembered so the
// caller gets a precise error rather than a generic syntax error.
class StrictHandler {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit StrictHandler(const JsonLimits& limits) : limits_(limits) {}

  json::value_stack stack;
  Error error = Error::kJsonSyntax;

  bool on_document_begin(json::error_code&) {
    stack.reset();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }

  bool on_array_begin(json::error_code& ec) { return open(ec, false); }
  bool on_array_end(std::size_t n, json::error_code& ec) {
    if (!within(n, limits_.max_members, ec)) {
      return false;
    }
    --depth_;
    stack.push_array(n);
    return true;
  }
  bool on_object_begin(json::error_code& ec) { return open(ec, true); }
  bool on_object_end(std::size_t n, json::error_code& ec) {
    if (!within(n, limits_.max_members, ec)) {
      return false;
    }
    --depth_;
    const std::size_t first = object_starts_.back();
    if (name_ends_.size() - first > kScannedMembers && has_duplicate_name(first)) {
      error = Error::kJsonDuplicateMember;
      ec = json::error::syntax;
      return false;
    }
    // The object's member names are no longer needed: the enclosing object's are before them.
    name_ends_.resize(first);
    names_.resize(name_ends_.empty() ? 0 : name_ends_.back());
    object_starts_.pop_back();
    stack.push_object(n);
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t n, json::error_code& ec) {
    if (!within(n, limits_.max_string_bytes, ec)) {
      return false;
    }
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t n, json::error_code& ec) {
    if (!within(n, limits_.max_string_bytes, ec)) {
      return false;
    }
    stack.push_string(s);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t n, json::error_code& ec) {
    if (!within(n, limits_.max_string_bytes, ec)) {
      return false;
    }
    names_.insert(names_.end(), s.begin(), s.end());
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t n, json::error_code& ec) {
    if (!within(n, limits_.max_string_bytes, ec)) {
      return false;
    }
    // The name so far (its parts) is already at the end of names_; the rest joins it there.
    const std::size_t begin = name_ends_.empty() ? 0 : name_ends_.back();
    names_.insert(names_.end(), s.begin(), s.end());
    const std::string_view name(names_.data() + begin, names_.size() - begin);
    const std::size_t first = object_starts_.back();
    if (name_ends_.size() - first >= limits_.max_members) {
      error = Error::kJsonTooLarge;
      ec = json::error::syntax;
      return false;
    }
    if (name_ends_.size() - first < kScannedMembers) {
      for (std::size_t i = first; i < name_ends_.size(); ++i) {
        if (name_at(i) == name) {
          error = Error::kJsonDuplicateMember;
          ec = json::error::syntax;
          return false;
        }
      }
    }
    name_ends_.push_back(names_.size());
    stack.push_key(s);
    return true;
  }

  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, json::error_code&) {
    stack.push_int64(v);
    return true;
  }
  bool on_uint64(std::uint64_t v, json::string_view, json::error_code&) {
    stack.push_uint64(v);
    return true;
  }
  bool on_double(double v, json::string_view, json::error_code&) {
    stack.push_double(v);
    return true;
  }
  bool on_bool(bool v, json::error_code&) {
    stack.push_bool(v);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return false; }
  bool on_comment(json::string_view, json::error_code&) { return false; }

 private:
  bool open(json::error_code& ec, bool object) {
    if (++depth_ > limits_.max_depth) {
      error = Error::kJsonTooDeep;
      ec = json::error::syntax;
      return false;
    }
    if (object) {
      object_starts_.push_back(name_ends_.size());
    }
    return true;
  }
  // The i-th name in name_ends_.
  std::string_view name_at(std::size_t i) const {
    const std::size_t start = i == 0 ? 0 : name_ends_[i - 1];
    return {names_.data() + start, name_ends_[i] - start};
  }
  // Whether two names of the open object whose first name is the first-th repeat each other.
  bool has_duplicate_name(std::size_t first) const {
    std::vector<std::string_view> sorted;
    sorted.reserve(name_ends_.size() - first);
    for (std::size_t i = first; i < name_ends_.size(); ++i) {
      sorted.push_back(name_at(i));
    }
    std::sort(sorted.begin(), sorted.end());
    return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
  }
  bool within(std::size_t n, std::size_t limit, json::error_code& ec) {
    if (n > limit) {
      error = Error::kJsonTooLarge;
      ec = json::error::syntax;
      return false;
    }
    return true;
  }

  const JsonLimits& limits_;
  std::size_t depth_ = 0;
  // The member names of every open object, for the duplicate check, kept without allocating
  // for a token's usual size: names_ holds them back to back (and a name still arriving in
  // parts at its end), name_ends_ where each ends, and object_starts_ the index in name_ends_
  // of each open object's first name, innermost last.
  // The inline sizes hold a token's header and claims with room to spare (an Auth0-like
  // access token has about ten names, under 100 bytes, and objects two deep at most).
  static constexpr std::size_t kInlineNameBytes = 512;
  static constexpr std::size_t kInlineNames = 32;
  static constexpr std::size_t kInlineObjects = 8;
  boost::container::small_vector<char, kInlineNameBytes> names_;
  boost::container::small_vector<std::size_t, kInlineNames> name_ends_;
  boost::container::small_vector<std::size_t, kInlineObjects> object_starts_;
};

}  // namespace

Result<json::value, Error> parse_json(std::string_view text, const JsonLimits& limits) {
  json::parse_options options;
  // Our handler enforces depth itself (with its own error); keep the parser's limit above it.
  options.max_depth = limits.max_depth + 1;
  json::basic_parser<StrictHandler> parser(options, limits);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    return fail(parser.handler().error);
  }
  if (used != text.size()) {
    return fail(Error::kJsonSyntax);
  }
  return parser.handler().stack.release();
}

Result<json::object, Error> parse_json_object(std::string_view text, const JsonLimits& limits) {
  auto v = parse_json(text, limits);
  if (!v) {
    return fail(v.error());
  }
  if (!v->is_object()) {
    return fail(Error::kJsonNotObject);
  }
  return std::move(v->as_object());
}

Result<std::string_view, Access> get_string(const json::object& obj, std::string_view name) {
  const json::value* v = obj.if_contains(name);
  if (v == nullptr) {
    return fail(Access::kMissing);
  }
  if (!v->is_string()) {
    return fail(Access::kWrongType);
  }
  const auto& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

Result<bool, Access> get_bool(const json::object& obj, std::string_view name) {
  const json::value* v = obj.if_contains(name);
  if (v == nullptr) {
    return fail(Access::kMissing);
  }
  if (!v->is_bool()) {
    return fail(Access::kWrongType);
  }
  return v->get_bool();
}

Result<std::int64_t, Access> get_int(const json::object& obj, std::string_view name,
                                     std::int64_t min, std::int64_t max) {
  const json::value* v = obj.if_contains(name);
  if (v == nullptr) {
    return fail(Access::kMissing);
  }
  std::int64_t i = 0;
  if (v->is_int64()) {
    i = v->get_int64();
  } else if (v->is_uint64()) {
    return fail(Access::kOutOfRange);  // above INT64_MAX
  } else {
    return fail(Access::kWrongType);
  }
  if (i < min || i > max) {
    return fail(Access::kOutOfRange);
  }
  return i;
}

Result<std::int64_t, Access> get_numeric_date(const json::object& obj, std::string_view name) {
  const json::value* v = obj.if_contains(name);
  if (v == nullptr) {
    return fail(Access::kMissing);
  }
  if (v->is_int64()) {
    const std::int64_t i = v->get_int64();
    if (i < 0 || i > kMaxNumericDate) {
      return fail(Access::kOutOfRange);
    }
    return i;
  }
  if (v->is_uint64()) {
    return fail(Access::kOutOfRange);
  }
  if (v->is_double()) {
    const double d = v->get_double();
    if (!std::isfinite(d) || d < 0 || d > static_cast<double>(kMaxNumericDate)) {
      return fail(Access::kOutOfRange);
    }
    return static_cast<std::int64_t>(d);
  }
  return fail(Access::kWrongType);
}

Result<std::vector<std::string_view>, Access> get_string_array(const json::object& obj,
                                                               std::string_view name) {
  const json::value* v = obj.if_contains(name);
  if (v == nullptr) {
    return fail(Access::kMissing);
  }
  if (!v->is_array()) {
    return fail(Access::kWrongType);
  }
  std::vector<std::string_view> out;
  out.reserve(v->get_array().size());
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) {
      return fail(Access::kWrongType);
    }
    out.emplace_back(e.get_string().data(), e.get_string().size());
  }
  return out;
}

Result<std::vector<std::string_view>, Access> get_string_or_array(const json::object& obj,
                                                                  std::string_view name) {
  const json::value* v = obj.if_contains(name);
  if (v != nullptr && v->is_string()) {
    return std::vector<std::string_view>{
        std::string_view(v->get_string().data(), v->get_string().size())};
  }
  return get_string_array(obj, name);
}

}  // namespace signet::jose
