#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "signet/common/result.h"
#include "signet/jose/error.h"

namespace signet::jose {

// base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);

// Strict decoding: no padding, nothing outside the alphabet, no 4n+1 lengths, and the unused
// trailing bits must be zero, so every byte string has exactly one accepted encoding (a token
// cannot be altered into a different string that still verifies). Returns the bytes as a string.
Result<std::string, Error> base64url_decode(std::string_view text);

}  // namespace signet::jose
