// libFuzzer: arbitrary bytes as a DPoP proof through verify_proof (the request is the one of
// RFC 9449 §4.1's example, at its iat, so the seed proof passes every check and mutations reach
// each rule), as an htu through normalize_htu, and as a nonce through NonceSource::check.
// Nothing may crash, leak or read out of bounds.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "signet/jose/dpop.h"

namespace {

namespace dpop = signet::jose::dpop;
using signet::jose::Algorithm;

constexpr Algorithm kAlgorithms[] = {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                                     Algorithm::kEdDSA};
constexpr std::int64_t kNow = 1562262616;  // RFC 9449 §4.1's iat

const dpop::NonceSource& nonces() {
  static const dpop::NonceSource source(std::chrono::seconds{300}, std::string(32, 'k'));
  return source;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  dpop::ProofCheck check;
  check.method = "POST";
  check.url = "https://server.example.com/token";
  check.algorithms = kAlgorithms;
  check.now = kNow;
  if (auto verified = dpop::verify_proof(input, check)) {
    (void)nonces().check(verified->nonce, kNow);
  } else {
    (void)verified.error().description();
  }
  check.access_token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";  // RFC 9449 §7.1
  (void)dpop::verify_proof(input, check);
  (void)dpop::normalize_htu(input);
  (void)nonces().check(std::string(input), kNow);
  return 0;
}
