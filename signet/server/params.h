#pragma once

// The parameters of a token, revocation or introspection request, read from the body as
// `application/x-www-form-urlencoded` (RFC 6749 §4) or `application/json` (what Auth0's SDKs
// send). Both forms give the same map, so the grant logic never sees which one arrived.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "signet/common/result.h"

namespace signet::server {

constexpr std::size_t kMaxParams = 64;  // a token request has fewer than 10; more is an attack
constexpr std::size_t kMaxParamNameBytes = 128;

enum class ParamsError {
  kUnsupportedMediaType,  // Content-Type is neither form-urlencoded nor JSON (or no body type)
  kUnsupportedCharset,    // a charset parameter other than UTF-8
  kBadPercentEncoding,    // '%' not followed by two hex digits
  kBadUtf8,               // a decoded name or value is not valid UTF-8
  kControlCharacter,      // a decoded name or value holds a control character (NUL, CR, LF...)
  kRepeated,              // the same parameter appears twice (RFC 6749 §3.1, §3.2)
  kTooMany,               // more than kMaxParams parameters
  kNameTooLong,           // a parameter name longer than kMaxParamNameBytes
  kMalformedJson,         // the JSON body does not parse, or is not an object
  kNotAString,            // a JSON member whose value is not a string
  kJsonAsForm,  // a form-urlencoded body that is JSON: curl's --data without a JSON Content-Type
};

std::string_view to_string(ParamsError e);

struct ParamsFailure {
  ParamsError code;
  std::string detail;  // the parameter involved, when there is one
};

class Params {
 public:
  // The value, or nullopt when absent. RFC 6749 §3.1: a parameter sent without a value is
  // treated as omitted, so empty values are never stored.
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  std::size_t size() const { return values_.size(); }
  // Every parameter, by name.
  const std::map<std::string, std::string, std::less<>>& entries() const { return values_; }

  // For building requests in tests and in the parser. Returns false when `name` is present.
  bool add(std::string name, std::string value);

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// Parses `body` according to `content_type` (the Content-Type header's value, media type matched
// case-insensitively, `charset=utf-8` allowed).
Result<Params, ParamsFailure> parse_params(std::string_view content_type, std::string_view body);

// The form-urlencoded decoder alone: '+' is a space, %XX a byte.
Result<Params, ParamsFailure> parse_form(std::string_view body);

// Decodes one application/x-www-form-urlencoded component ('+' is a space, %XX a byte), as HTTP
// Basic client credentials are encoded (RFC 6749 §2.3.1).
Result<std::string, ParamsFailure> form_decode(std::string_view text);

// A human sentence for the error_description of the 400 invalid_request the failure becomes.
std::string describe(const ParamsFailure& f);

}  // namespace signet::server
