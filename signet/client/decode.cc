#include "signet/client/decode.h"

#include <algorithm>
#include <array>
#include <ctime>

#include <boost/json/serialize.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/json.h"

namespace signet::client {
namespace {

namespace json = boost::json;

constexpr std::string_view kIndent = "  ";

void append_pretty(std::string& out, const json::value& value, std::size_t depth) {
  auto indent = [&](std::size_t level) {
    for (std::size_t i = 0; i < level; ++i) {
      out += kIndent;
    }
  };
  if (value.is_object() && !value.get_object().empty()) {
    out += "{\n";
    const auto& object = value.get_object();
    std::size_t i = 0;
    for (const auto& member : object) {
      indent(depth + 1);
      out += json::serialize(json::string(member.key()));
      out += ": ";
      append_pretty(out, member.value(), depth + 1);
      out += ++i < object.size() ? ",\n" : "\n";
    }
    indent(depth);
    out += "}";
    return;
  }
  if (value.is_array() && !value.get_array().empty()) {
    out += "[\n";
    const auto& array = value.get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      indent(depth + 1);
      append_pretty(out, array[i], depth + 1);
      out += i + 1 < array.size() ? ",\n" : "\n";
    }
    indent(depth);
    out += "]";
    return;
  }
  out += json::serialize(value);  // scalars, {} and []
}

Result<json::object, std::string> decode_part(std::string_view part, std::string_view name) {
  auto bytes = jose::base64url_decode(part);
  if (!bytes) {
    return fail("the " + std::string(name) + " is not base64url (" +
                std::string(jose::to_string(bytes.error())) + ")");
  }
  auto object = jose::parse_json_object(*bytes);
  if (!object) {
    return fail("the " + std::string(name) + " is not a JSON object (" +
                std::string(jose::to_string(object.error())) + ")");
  }
  return std::move(object).value();
}

}  // namespace

Result<DecodedJwt, std::string> decode_jwt(std::string_view token) {
  if (token.empty()) {
    return fail(std::string("the token is empty"));
  }
  if (token.size() > kMaxDecodeBytes) {
    return fail("the token is longer than " + std::to_string(kMaxDecodeBytes) + " bytes");
  }
  const auto dots = std::count(token.begin(), token.end(), '.');
  if (dots == 4) {
    return fail(std::string(
        "this is an encrypted token (JWE, 5 segments): only its issuer's key can read it"));
  }
  if (dots != 2) {
    return fail("a JWT has 3 segments separated by '.'; this has " + std::to_string(dots + 1) +
                " (an opaque token, such as a refresh token, cannot be decoded)");
  }
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  auto header = decode_part(token.substr(0, first), "header");
  if (!header) {
    return fail(header.error());
  }
  auto claims = decode_part(token.substr(first + 1, second - first - 1), "payload");
  if (!claims) {
    return fail(claims.error());
  }
  return DecodedJwt{std::move(header).value(), std::move(claims).value()};
}

std::string pretty_json(const json::value& value) {
  std::string out;
  append_pretty(out, value, 0);
  return out;
}

std::string duration_words(std::chrono::seconds duration) {
  const std::int64_t s = std::max<std::int64_t>(0, duration.count());
  if (s < 60) {
    return std::to_string(s) + " s";
  }
  if (s < 3600) {
    return std::to_string(s / 60) + " min";
  }
  if (s < 86400) {
    const std::int64_t minutes = (s % 3600) / 60;
    return std::to_string(s / 3600) + " h" +
           (minutes == 0 ? "" : " " + std::to_string(minutes) + " min");
  }
  const std::int64_t hours = (s % 86400) / 3600;
  return std::to_string(s / 86400) + " d" + (hours == 0 ? "" : " " + std::to_string(hours) + " h");
}

std::string utc_time(std::int64_t seconds_since_epoch) {
  const auto secs = static_cast<std::time_t>(seconds_since_epoch);
  std::tm utc{};
  if (::gmtime_r(&secs, &utc) == nullptr) {
    return std::to_string(seconds_since_epoch);
  }
  std::array<char, 32> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buf.data(), n);
}

std::string time_claim_words(std::string_view claim, std::int64_t time,
                             std::chrono::sys_seconds now) {
  const std::int64_t now_s = now.time_since_epoch().count();
  const std::string when = " (" + utc_time(time) + ")";
  const std::string distance =
      duration_words(std::chrono::seconds{time > now_s ? time - now_s : now_s - time});
  if (claim == "exp") {
    if (time > now_s) {
      return "expires in " + distance + when;
    }
    return (time == now_s ? "expired just now" : "expired " + distance + " ago") + when;
  }
  if (claim == "nbf") {
    if (time > now_s) {
      return "not valid yet: in " + distance + when;
    }
    return (time == now_s ? "valid since just now" : "valid since " + distance + " ago") + when;
  }
  if (time > now_s) {
    return "issued in " + distance + when + ", in the future";
  }
  return (time == now_s ? "issued just now" : "issued " + distance + " ago") + when;
}

std::string describe_jwt(const DecodedJwt& jwt, std::chrono::sys_seconds now) {
  std::string out =
      "Header:\n" + pretty_json(jwt.header) + "\nClaims:\n" + pretty_json(jwt.claims) + "\n";
  for (const std::string_view claim : {"iat", "nbf", "exp"}) {
    if (auto time = jose::get_numeric_date(jwt.claims, claim)) {
      out += std::string(claim) + ": " + time_claim_words(claim, *time, now) + "\n";
    }
  }
  return out;
}

}  // namespace signet::client
