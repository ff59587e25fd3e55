// libFuzzer: arbitrary bytes as a compact JWS, through the whole verification path with the
// RFC 7515 and RFC 8037 example keys. Nothing may crash, leak or read out of bounds.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "signet/jose/jws.h"
#include "signet/jose/jwt.h"
#include "tests/test_common/rfc_vectors.h"

namespace {

const std::vector<signet::jose::Jwk>& keys() {
  static const std::vector<signet::jose::Jwk> parsed = [] {
    std::vector<signet::jose::Jwk> out;
    for (auto jwk : {signet::testing::kRfc7515A2PublicJwk, signet::testing::kRfc7515A3PublicJwk,
                     signet::testing::kRfc8037A2PublicJwk}) {
      out.push_back(signet::jose::parse_jwk(jwk).value());
    }
    return out;
  }();
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  auto jws = signet::jose::parse_compact(token);
  if (!jws) {
    return 0;
  }
  for (const auto& key : keys()) {
    if (signet::jose::verify_signature(*jws, key)) {
      // Only reachable with a real signature; exercise the claim path on whatever it carries.
      if (auto claims = signet::jose::decode_payload(*jws)) {
        (void)signet::jose::check_times(
            *claims, {std::chrono::sys_seconds{std::chrono::seconds{1'700'000'000}},
                      std::chrono::seconds{5}});
      }
    }
  }
  (void)signet::jose::decode_payload(*jws);  // parsing untrusted JSON must be safe too
  return 0;
}
