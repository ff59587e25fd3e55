#include "signet/jose/base64url.h"

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_common/jose_printers.h"

namespace signet::jose {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// A fixed seed keeps the "random" bytes identical on every run, so a failure reproduces.
std::string random_string(std::mt19937& rng, std::size_t n) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string out(n, '\0');
  for (auto& c : out) {
    c = static_cast<char>(byte(rng));
  }
  return out;
}

TEST(Base64urlTest, Rfc4648Section10VectorsWithoutPadding) {
  struct Case {
    std::string_view bytes;
    std::string_view text;
  };
  const Case cases[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(base64url_encode(c.bytes), c.text);
    auto decoded = base64url_decode(c.text);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, c.bytes);
  }
}

TEST(Base64urlTest, UsesTheUrlSafeAlphabetForTheLastTwoDigits) {
  // 0xfb 0xff encodes to "+/8" in standard base64; base64url uses '-' and '_'.
  EXPECT_EQ(base64url_encode(std::string_view("\xfb\xff", 2)), "-_8");
  auto decoded = base64url_decode("-_8");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, std::string_view("\xfb\xff", 2));
}

TEST(Base64urlTest, SpanAndStringOverloadsAgree) {
  const std::vector<std::uint8_t> bytes = {0x00, 0x10, 0x83, 0xff, 0x7f};
  const std::string as_string(bytes.begin(), bytes.end());
  EXPECT_EQ(base64url_encode(std::span<const std::uint8_t>(bytes)), base64url_encode(as_string));
}

TEST(Base64urlTest, RoundTripsRandomBytesOfEveryLengthUpTo64) {
  std::mt19937 rng(20240515);
  for (std::size_t n = 0; n <= 64; ++n) {
    for (int trial = 0; trial < 8; ++trial) {
      const std::string bytes = random_string(rng, n);
      const std::string text = base64url_encode(bytes);
      SCOPED_TRACE(text);
      // No padding: exactly ceil(4n/3) characters, all from the URL-safe alphabet.
      EXPECT_EQ(text.size(), (4 * n + 2) / 3);
      EXPECT_EQ(text.find_first_not_of(kAlphabet), std::string::npos);
      auto decoded = base64url_decode(text);
      ASSERT_TRUE(decoded.ok()) << to_string(decoded.error());
      EXPECT_EQ(*decoded, bytes);
    }
  }
}

TEST(Base64urlTest, RoundTripsEveryByteValue) {
  std::string all(256, '\0');
  for (int i = 0; i < 256; ++i) {
    all[static_cast<std::size_t>(i)] = static_cast<char>(i);
  }
  auto decoded = base64url_decode(base64url_encode(all));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, all);
}

struct Refusal {
  std::string_view name;
  std::string_view text;
  Error error;
};
void PrintTo(const Refusal& r, std::ostream* os) {
  *os << r.name;
}

class Base64urlRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(Base64urlRefusalTest, RefusedWithTheExactError) {
  auto decoded = base64url_decode(GetParam().text);
  ASSERT_FALSE(decoded.ok()) << "accepted: " << GetParam().text;
  EXPECT_EQ(decoded.error(), GetParam().error) << to_string(decoded.error());
}

using namespace std::string_view_literals;

INSTANTIATE_TEST_SUITE_P(Rules, Base64urlRefusalTest,
                         ::testing::Values(
                             // '=' padding, whether or not the length would otherwise be valid.
                             Refusal{"PaddingTwo", "QQ==", Error::kBase64Padding},
                             Refusal{"PaddingOne", "QUI=", Error::kBase64Padding},
                             Refusal{"PaddingShort", "QQ=", Error::kBase64Padding},
                             Refusal{"PaddingAlone", "=", Error::kBase64Padding},
                             Refusal{"PaddingInside", "QQ==QQ", Error::kBase64Padding},
                             Refusal{"PaddingFiveChars", "QUJD=", Error::kBase64Padding},
                             // The standard alphabet's '+' and '/'.
                             Refusal{"Plus", "-_+8", Error::kBase64Alphabet},
                             Refusal{"Slash", "-_/8", Error::kBase64Alphabet},
                             Refusal{"StandardAlphabetPair", "+/8", Error::kBase64Alphabet},
                             // Whitespace anywhere.
                             Refusal{"Space", "Zm9v Yg", Error::kBase64Alphabet},
                             Refusal{"LeadingSpace", " Zm9vYg", Error::kBase64Alphabet},
                             Refusal{"TrailingNewline", "Zm9vYg\n", Error::kBase64Alphabet},
                             Refusal{"Tab", "Zm\t9vYg", Error::kBase64Alphabet},
                             Refusal{"CrLf", "Zm9v\r\nYg", Error::kBase64Alphabet},
                             // Other bytes outside the alphabet.
                             Refusal{"Nul", "Zm\0v"sv, Error::kBase64Alphabet},
                             Refusal{"TrailingNulAtFifthChar", "Zm9v\0"sv,
                                     Error::kBase64Length},  // 4n+1 is checked first
                             Refusal{"NulInsideValidLength", "Zm9vY\0"sv, Error::kBase64Alphabet},
                             Refusal{"HighBit", "Zm9\x80", Error::kBase64Alphabet},
                             Refusal{"Dot", "Zm9.", Error::kBase64Alphabet},
                             Refusal{"Percent", "Zm%3", Error::kBase64Alphabet},
                             // 4n+1 characters cannot encode whole bytes.
                             Refusal{"LengthOne", "A", Error::kBase64Length},
                             Refusal{"LengthFive", "AAAAA", Error::kBase64Length},
                             Refusal{"LengthNine", "Zm9vYmFyQ", Error::kBase64Length},
                             // Unused trailing bits must be zero: "QQ" is the only encoding of "A".
                             Refusal{"NonCanonicalTwoChars", "QR", Error::kBase64NonCanonical},
                             Refusal{"NonCanonicalTwoCharsHigh", "QX", Error::kBase64NonCanonical},
                             Refusal{"NonCanonicalThreeChars", "QUJ", Error::kBase64NonCanonical},
                             Refusal{"NonCanonicalAfterBlock", "Zm9vZh",
                                     Error::kBase64NonCanonical}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Base64urlTest, CanonicalFormsOfNonCanonicalExamplesAreAccepted) {
  // The refusals above are about the trailing bits only: these are their canonical twins.
  for (std::string_view text : {"QQ", "QUI", "Zm9vZg"}) {
    auto decoded = base64url_decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(base64url_encode(*decoded), text);
  }
}

// Every accepted string is the one encoding of its bytes: a token cannot be altered into a
// different string that decodes to the same bytes. Checked exhaustively for 2- and 3-character
// strings, where the unused trailing bits live.
TEST(Base64urlTest, EveryAcceptedShortStringIsCanonical) {
  std::size_t accepted2 = 0;
  std::string text(2, 'A');
  for (char a : kAlphabet) {
    for (char b : kAlphabet) {
      text[0] = a;
      text[1] = b;
      auto decoded = base64url_decode(text);
      if (decoded.ok()) {
        ++accepted2;
        ASSERT_EQ(base64url_encode(*decoded), text);
      } else {
        ASSERT_EQ(decoded.error(), Error::kBase64NonCanonical) << text;
      }
    }
  }
  EXPECT_EQ(accepted2, 256u);  // one string per byte value

  std::size_t accepted3 = 0;
  text.assign(3, 'A');
  for (char a : kAlphabet) {
    for (char b : kAlphabet) {
      for (char c : kAlphabet) {
        text[0] = a;
        text[1] = b;
        text[2] = c;
        auto decoded = base64url_decode(text);
        if (decoded.ok()) {
          ++accepted3;
          ASSERT_EQ(base64url_encode(*decoded), text);
        } else {
          ASSERT_EQ(decoded.error(), Error::kBase64NonCanonical) << text;
        }
      }
    }
  }
  EXPECT_EQ(accepted3, 65536u);  // one string per pair of bytes
}

}  // namespace
}  // namespace signet::jose
