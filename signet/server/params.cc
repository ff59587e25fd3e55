#include "signet/server/params.h"

#include <cstdint>

#include <boost/json.hpp>

#include "signet/common/ascii.h"
#include "signet/jose/json.h"

namespace signet::server {
namespace {

// JSON bodies of token requests are flat objects of strings.
constexpr jose::JsonLimits kParamsJsonLimits{
    .max_depth = 2, .max_members = kMaxParams, .max_string_bytes = 16 * 1024};

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + extra >= s.size()) {
      return false;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<std::uint8_t>(s[i + k]);
      if ((cc & 0xC0u) != 0x80u) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// C0 controls and DEL. Tab is refused too: no token parameter legitimately holds one, and
// values end up in logs and JSON.
bool has_control(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      return true;
    }
  }
  return false;
}

Result<std::string, ParamsFailure> percent_decode(std::string_view in, std::string_view name) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) {
        return fail(ParamsFailure{ParamsError::kBadPercentEncoding, std::string(name)});
      }
      const int hi = hex_digit_value(in[i + 1]);
      const int lo = hex_digit_value(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return fail(ParamsFailure{ParamsError::kBadPercentEncoding, std::string(name)});
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<Ok, ParamsFailure> check_text(std::string_view name, std::string_view value) {
  if (name.size() > kMaxParamNameBytes) {
    return fail(ParamsFailure{ParamsError::kNameTooLong, std::string(name.substr(0, 32)) + "..."});
  }
  if (!is_valid_utf8(name) || !is_valid_utf8(value)) {
    return fail(ParamsFailure{ParamsError::kBadUtf8, is_valid_utf8(name) ? std::string(name) : ""});
  }
  if (has_control(name) || has_control(value)) {
    return fail(
        ParamsFailure{ParamsError::kControlCharacter, has_control(name) ? "" : std::string(name)});
  }
  return Ok{};
}

Result<Params, ParamsFailure> parse_json_params(std::string_view body) {
  auto parsed = jose::parse_json_object(body, kParamsJsonLimits);
  if (!parsed) {
    const bool duplicate = parsed.error() == jose::Error::kJsonDuplicateMember;
    return fail(ParamsFailure{duplicate ? ParamsError::kRepeated : ParamsError::kMalformedJson,
                              std::string(jose::to_string(parsed.error()))});
  }
  if (parsed->size() > kMaxParams) {
    return fail(ParamsFailure{ParamsError::kTooMany, ""});
  }
  Params params;
  for (const auto& member : *parsed) {
    const std::string_view name(member.key());
    if (!member.value().is_string()) {
      if (name.size() > kMaxParamNameBytes) {
        return fail(ParamsFailure{ParamsError::kNameTooLong, std::string(name.substr(0, 32))});
      }
      return fail(ParamsFailure{ParamsError::kNotAString, std::string(name)});
    }
    const std::string_view value(member.value().get_string());
    if (auto ok = check_text(name, value); !ok) {
      return fail(ok.error());
    }
    params.add(std::string(name), std::string(value));
  }
  return params;
}

// A JSON object or array where a form was announced. No form parameter of any OAuth request
// starts with '{' or '[', so such a body is the quickstart's JSON sent without its
// `content-type: application/json` header (curl's --data then says form-urlencoded); decoded as a
// form it would be one long, meaningless parameter name.
bool looks_like_json(std::string_view body) {
  const std::size_t first = body.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (body[first] == '{' || body[first] == '[');
}

}  // namespace

Result<std::string, ParamsFailure> form_decode(std::string_view text) {
  return percent_decode(text, "");
}

std::string_view to_string(ParamsError e) {
  switch (e) {
    case ParamsError::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ParamsError::kUnsupportedCharset:
      return "unsupported_charset";
    case ParamsError::kBadPercentEncoding:
      return "bad_percent_encoding";
    case ParamsError::kBadUtf8:
      return "bad_utf8";
    case ParamsError::kControlCharacter:
      return "control_character";
    case ParamsError::kRepeated:
      return "repeated_parameter";
    case ParamsError::kTooMany:
      return "too_many_parameters";
    case ParamsError::kNameTooLong:
      return "parameter_name_too_long";
    case ParamsError::kMalformedJson:
      return "malformed_json";
    case ParamsError::kNotAString:
      return "parameter_not_a_string";
    case ParamsError::kJsonAsForm:
      return "json_sent_as_form";
  }
  return "unknown";
}

std::optional<std::string_view> Params::get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) {
    return std::nullopt;
  }
  return std::string_view(it->second);
}

bool Params::add(std::string name, std::string value) {
  if (values_.contains(name)) {
    return false;
  }
  if (!value.empty()) {
    values_.emplace(std::move(name), std::move(value));
  }
  return true;
}

Result<Params, ParamsFailure> parse_form(std::string_view body) {
  Params params;
  // Names already seen, empty values included: "a=&a=x" is a repeat too.
  std::map<std::string, bool, std::less<>> seen;
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t end = body.find('&', pos);
    if (end == std::string_view::npos) {
      end = body.size();
    }
    const std::string_view pair = body.substr(pos, end - pos);
    pos = end + 1;
    if (pair.empty()) {
      if (end == body.size()) {
        break;
      }
      continue;
    }
    if (++count > kMaxParams) {
      return fail(ParamsFailure{ParamsError::kTooMany, ""});
    }
    const std::size_t eq = pair.find('=');
    const std::string_view raw_name = pair.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    auto name = percent_decode(raw_name, "");
    if (!name) {
      return fail(name.error());
    }
    auto value = percent_decode(raw_value, *name);
    if (!value) {
      return fail(value.error());
    }
    if (auto ok = check_text(*name, *value); !ok) {
      return fail(ok.error());
    }
    if (!seen.emplace(*name, true).second) {
      return fail(ParamsFailure{ParamsError::kRepeated, *name});
    }
    params.add(std::move(*name), std::move(*value));
    if (end == body.size()) {
      break;
    }
  }
  return params;
}

Result<Params, ParamsFailure> parse_params(std::string_view content_type, std::string_view body) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  std::string_view rest = content_type.size() > media.size() ? content_type.substr(media.size() + 1)
                                                             : std::string_view{};
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
      s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
      s.remove_suffix(1);
    }
    return s;
  };
  media = trim(media);
  // Parameters of the media type: only charset is understood, and only UTF-8 (or its US-ASCII
  // subset) is accepted; anything else would be decoded wrongly.
  while (!rest.empty()) {
    const std::size_t semi = rest.find(';');
    const std::string_view param = trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    if (param.empty()) {
      continue;
    }
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "charset")) {
      continue;
    }
    std::string_view charset = trim(param.substr(eq + 1));
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (!iequals(charset, "utf-8") && !iequals(charset, "us-ascii")) {
      return fail(ParamsFailure{ParamsError::kUnsupportedCharset, std::string(charset)});
    }
  }
  if (iequals(media, "application/x-www-form-urlencoded")) {
    if (looks_like_json(body)) {
      return fail(ParamsFailure{ParamsError::kJsonAsForm, ""});
    }
    return parse_form(body);
  }
  if (iequals(media, "application/json")) {
    return parse_json_params(body);
  }
  return fail(ParamsFailure{ParamsError::kUnsupportedMediaType, std::string(media)});
}

std::string describe(const ParamsFailure& f) {
  switch (f.code) {
    case ParamsError::kUnsupportedMediaType:
      return f.detail.empty()
                 ? "the request needs a body with Content-Type application/x-www-form-urlencoded "
                   "or application/json"
                 : "Content-Type '" + f.detail.substr(0, 64) +
                       "' is not supported: send application/x-www-form-urlencoded or "
                       "application/json";
    case ParamsError::kUnsupportedCharset:
      return "charset '" + f.detail.substr(0, 32) + "' is not supported: send UTF-8";
    case ParamsError::kBadPercentEncoding:
      return "malformed percent-encoding in the form body" +
             (f.detail.empty() ? std::string() : " (parameter '" + f.detail + "')");
    case ParamsError::kBadUtf8:
      return "the request body is not valid UTF-8" +
             (f.detail.empty() ? std::string() : " (parameter '" + f.detail + "')");
    case ParamsError::kControlCharacter:
      return "control characters are not allowed in parameters" +
             (f.detail.empty() ? std::string() : " (parameter '" + f.detail + "')");
    case ParamsError::kRepeated:
      return f.detail.find(' ') == std::string::npos && !f.detail.empty()
                 ? "parameter '" + f.detail + "' is repeated; send each parameter once"
                 : "a parameter is repeated; send each parameter once";
    case ParamsError::kTooMany:
      return "too many parameters (at most " + std::to_string(kMaxParams) + ")";
    case ParamsError::kNameTooLong:
      return "a parameter name is too long (at most " + std::to_string(kMaxParamNameBytes) +
             " bytes)";
    case ParamsError::kMalformedJson:
      return "the JSON body is malformed (" + f.detail + "); send one JSON object of strings";
    case ParamsError::kNotAString:
      return "parameter '" + f.detail + "' must be a JSON string";
    case ParamsError::kJsonAsForm:
      return "the body is JSON but Content-Type is application/x-www-form-urlencoded: add "
             "--header 'content-type: application/json' (or send a form)";
  }
  return "malformed request";
}

}  // namespace signet::server
