#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "signet/common/result.h"
#include "signet/jose/error.h"

namespace signet::jose {

// Limits for untrusted JSON (token headers and payloads, JWKS and discovery documents).
struct JsonLimits {
  std::size_t max_depth = 16;                // levels of nesting; JOSE objects are flat
  std::size_t max_members = 512;             // members in one object or elements in one array
  std::size_t max_string_bytes = 64 * 1024;  // one string or key
};

// Parses strictly: valid UTF-8, no comments, no trailing commas, no duplicate member names at
// any level (an attacker must not be able to smuggle a second "alg" or "aud" past a parser that
// keeps the other one), nesting and sizes bounded.
Result<boost::json::value, Error> parse_json(std::string_view text, const JsonLimits& limits = {});

// Like parse_json, and the top-level value must be an object.
Result<boost::json::object, Error> parse_json_object(std::string_view text,
                                                     const JsonLimits& limits = {});

// Typed access to a member, reporting missing, wrong type and out of range separately, so each
// claim rule is a two-line check with its own error.
enum class Access {
  kMissing,     // the member is absent
  kWrongType,   // present with another JSON type
  kOutOfRange,  // right type, value outside what the rule allows
};

Result<std::string_view, Access> get_string(const boost::json::object& obj, std::string_view name);
Result<bool, Access> get_bool(const boost::json::object& obj, std::string_view name);
// An integer in [min, max]; a JSON number with a fraction is the wrong type.
Result<std::int64_t, Access> get_int(const boost::json::object& obj, std::string_view name,
                                     std::int64_t min, std::int64_t max);
// A NumericDate (RFC 7519 §2): seconds since the epoch, integer or not, in [0, year 9999].
// Fractions are truncated toward zero.
Result<std::int64_t, Access> get_numeric_date(const boost::json::object& obj,
                                              std::string_view name);
// An array whose elements are all strings.
Result<std::vector<std::string_view>, Access> get_string_array(const boost::json::object& obj,
                                                               std::string_view name);
// A string, or an array of strings (the shape of "aud").
Result<std::vector<std::string_view>, Access> get_string_or_array(const boost::json::object& obj,
                                                                  std::string_view name);

// The latest NumericDate accepted: 9999-12-31T23:59:59Z.
constexpr std::int64_t kMaxNumericDate = 253402300799;

}  // namespace signet::jose
