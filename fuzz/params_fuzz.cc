// libFuzzer: arbitrary token-endpoint bodies through the parameter parser, and HTTP Basic values
// through the form decoder. The first byte picks the Content-Type; the rest is the body.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "signet/server/params.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::array<std::string_view, 4> kTypes = {
      "application/x-www-form-urlencoded", "application/json", "application/json; charset=utf-8",
      "application/x-www-form-urlencoded; charset=latin1"};
  if (size == 0) {
    return 0;
  }
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto params = signet::server::parse_params(kTypes[data[0] % kTypes.size()], body);
  if (params) {
    // Empty values are never stored, and no parser output exceeds its limits.
    if (params->size() > signet::server::kMaxParams) {
      __builtin_trap();
    }
    for (const char* name : {"grant_type", "client_id", "scope", "audience"}) {
      if (auto v = params->get(name); v && v->empty()) {
        __builtin_trap();
      }
    }
  } else {
    (void)signet::server::describe(params.error());
  }
  (void)signet::server::form_decode(body);
  return 0;
}
