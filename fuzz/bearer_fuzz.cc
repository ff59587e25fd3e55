// libFuzzer: arbitrary Authorization values and query strings through bearer extraction. The
// input is split at the first two NUL bytes: first header value, second header value, query.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "signet/guard/bearer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  for (int i = 0; i < 2; ++i) {
    const std::size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) {
      break;
    }
    parts.push_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  const std::string_view query = rest;
  auto token = signet::guard::extract_bearer({parts, query});
  if (token && token->empty()) {
    __builtin_trap();  // a successful extraction never yields an empty token
  }
  return 0;
}
