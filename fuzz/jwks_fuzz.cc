// libFuzzer: arbitrary bytes as a JWKS document (what an issuer, or someone impersonating one,
// serves), then every accepted key published again.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "signet/jose/jwk.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto jwks = signet::jose::parse_jwks(std::string_view(reinterpret_cast<const char*>(data), size));
  if (jwks) {
    (void)signet::jose::to_public_jwks(jwks->keys);
  }
  return 0;
}
