#pragma once

// A JWT made readable for a person: its header and claims as indented JSON, and its times in
// words ("expires in 23 h 59 min (2026-11-30T01:02:03Z)"). Nothing here checks a signature or a
// claim; `signet token decode --verify` asks the guard for that.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "signet/common/result.h"

namespace signet::client {

// bytes; far above any access or ID token, and bounds what a pasted blob can make us parse.
constexpr std::size_t kMaxDecodeBytes = 64 * 1024;

struct DecodedJwt {
  boost::json::object header;
  boost::json::object claims;
};

// Splits a compact JWS (three base64url segments) and parses its header and payload as JSON
// objects, strictly (canonical base64url, no duplicate members). Unverified. The error says what
// is wrong with the token, e.g. that it has 5 segments (an encrypted JWE) or is not base64url.
Result<DecodedJwt, std::string> decode_jwt(std::string_view token);

// JSON with members on their own lines, indented by two spaces per level; members in their
// original order; strings escaped as JSON does (control characters included). No final newline.
std::string pretty_json(const boost::json::value& value);

// A duration in words, rounded down: "42 s", "5 min", "23 h 59 min", "3 d 4 h".
std::string duration_words(std::chrono::seconds duration);

// RFC 3339 in UTC: 2026-11-30T01:02:03Z.
std::string utc_time(std::int64_t seconds_since_epoch);

// One time claim in words, relative to `now`:
//   exp: "expires in 23 h 59 min (<time>)" / "expired 5 min ago (<time>)"
//   iat: "issued 3 min ago (<time>)" / "issued in 2 min (<time>): in the future"
//   nbf: "valid since 3 min ago (<time>)" / "not valid for another 2 min (<time>)"
// A time exactly at `now` is "just now" (an exp at now has expired: now must be before exp).
std::string time_claim_words(std::string_view claim, std::int64_t time,
                             std::chrono::sys_seconds now);

// The whole readable form: "Header:", its JSON, "Claims:", their JSON, then one line per iat, nbf
// and exp claim that is a NumericDate ("exp: expires in ..."). Ends with a newline.
std::string describe_jwt(const DecodedJwt& jwt, std::chrono::sys_seconds now);

}  // namespace signet::client
