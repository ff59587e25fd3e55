#include "signet/jose/base64url.h"

#include <array>

namespace signet::jose {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) {
    v = kInvalid;
  }
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr auto kDecode = make_decode_table();

// The error for the first character outside the alphabet (only called on failure).
Error first_invalid(std::string_view text) {
  for (const char c : text) {
    if (kDecode[static_cast<unsigned char>(c)] == kInvalid) {
      return c == '=' ? Error::kBase64Padding : Error::kBase64Alphabet;
    }
  }
  return Error::kBase64Alphabet;
}

}  // namespace

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = bytes[i] << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  return base64url_encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

Result<std::string, Error> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) {
    // A lone '=' would be caught here too, so look for padding first for a clearer error.
    if (text.find('=') != std::string_view::npos) {
      return fail(Error::kBase64Padding);
    }
    return fail(Error::kBase64Length);
  }
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t full = text.size() / 4;
  const std::size_t rest = text.size() % 4;  // 0, 2 or 3 characters: 0, 1 or 2 bytes
  std::string out(full * 3 + (rest == 0 ? 0 : rest - 1), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  // Four characters at a time: any invalid one sets the table's top bit, checked once per group.
  for (std::size_t g = 0; g < full; ++g, in += 4, o += 3) {
    const std::uint32_t a = kDecode[in[0]], b = kDecode[in[1]], c = kDecode[in[2]],
                        d = kDecode[in[3]];
    if (((a | b | c | d) & 0x80) != 0) {
      return fail(first_invalid(text));
    }
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<unsigned char>(v >> 16);
    o[1] = static_cast<unsigned char>(v >> 8);
    o[2] = static_cast<unsigned char>(v);
  }
  if (rest != 0) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < rest; ++i) {
      const std::uint32_t d = kDecode[in[i]];
      if ((d & 0x80) != 0) {
        return fail(first_invalid(text));
      }
      v = (v << 6) | d;
    }
    // The leftover bits (4 for 2 characters, 2 for 3) are padding inside the last character:
    // they must be zero, so that each byte string has exactly one encoding.
    const unsigned unused = rest == 2 ? 4 : 2;
    if ((v & ((1u << unused) - 1)) != 0) {
      return fail(Error::kBase64NonCanonical);
    }
    v >>= unused;
    if (rest == 2) {
      o[0] = static_cast<unsigned char>(v);
    } else {
      o[0] = static_cast<unsigned char>(v >> 8);
      o[1] = static_cast<unsigned char>(v);
    }
  }
  return out;
}

}  // namespace signet::jose
