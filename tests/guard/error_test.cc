#include "signet/guard/error.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace signet::guard {
namespace {

TEST(GuardError, DescriptionIsTheDetailWhenThereIsOne) {
  EXPECT_EQ(Failure{Error::kAudMismatch}.description(), to_string(Error::kAudMismatch));
  EXPECT_EQ((Failure{Error::kToken, jose::Error::kExpired}.description()),
            jose::to_string(jose::Error::kExpired));
  EXPECT_EQ(
      (Failure{Error::kIssMismatch, {}, "token issuer 'a' is not the expected 'b'"}).description(),
      "token issuer 'a' is not the expected 'b'");
}

TEST(GuardError, EchoedClaimsKeepPrintableAsciiWithoutQuotes) {
  EXPECT_EQ(echo_claim("https://quickstarts/api"), "https://quickstarts/api");
  EXPECT_EQ(echo_claim("a\"b'c\\d"), "a?b?c?d");
  EXPECT_EQ(echo_claim("line\r\nSet-Cookie: x"), "line??Set-Cookie: x");
  EXPECT_EQ(echo_claim(std::string_view("nul\0tab\t\x7f", 9)), "nul?tab??");
  EXPECT_EQ(echo_claim("caf\xC3\xA9"), "caf??");
  EXPECT_EQ(echo_claim(""), "");
}

TEST(GuardError, EchoedClaimsAreCutOneByteAfterTheLimit) {
  const std::string at_limit(kMaxEchoedClaimBytes, 'a');
  EXPECT_EQ(echo_claim(at_limit), at_limit);
  EXPECT_EQ(echo_claim(at_limit + "b"), at_limit + "...");
  EXPECT_EQ(echo_claim(std::string(100'000, 'x')).size(), kMaxEchoedClaimBytes + 3);
}

TEST(GuardError, IssuerMismatchNotesATrailingSlashEitherWay) {
  EXPECT_EQ(issuer_mismatch("http://localhost:4000", "http://localhost:4000/"),
            "token issuer 'http://localhost:4000' is not the expected 'http://localhost:4000/' "
            "(note the trailing slash)");
  EXPECT_EQ(issuer_mismatch("https://a.test/", "https://a.test"),
            "token issuer 'https://a.test/' is not the expected 'https://a.test' (note the "
            "trailing slash)");
  EXPECT_EQ(issuer_mismatch("https://b.test/", "https://a.test/"),
            "token issuer 'https://b.test/' is not the expected 'https://a.test/'");
  EXPECT_EQ(issuer_mismatch("https://a.test//", "https://a.test"),
            "token issuer 'https://a.test//' is not the expected 'https://a.test'");
}

TEST(GuardError, AudienceMismatchListsBothSides) {
  const std::vector<std::string_view> one{"x"};
  const std::vector<std::string> expected{"https://quickstarts/api"};
  EXPECT_EQ(audience_mismatch(one, expected),
            "token audience ['x'] does not include the expected 'https://quickstarts/api'");
  const std::vector<std::string_view> none;
  const std::vector<std::string> two{"a", "b"};
  EXPECT_EQ(audience_mismatch(none, two),
            "token audience [] does not include any of the expected 'a', 'b'");
}

TEST(GuardError, AudienceMismatchShowsAtMostTheLimitOfValues) {
  std::vector<std::string_view> many(kMaxEchoedClaimValues + 3, "v");
  const std::vector<std::string> expected{"e"};
  std::string shown;
  for (std::size_t i = 0; i < kMaxEchoedClaimValues; ++i) {
    shown += i == 0 ? "'v'" : ", 'v'";
  }
  EXPECT_EQ(audience_mismatch(many, expected),
            "token audience [" + shown + ", and 3 more] does not include the expected 'e'");
  many.resize(kMaxEchoedClaimValues);
  EXPECT_EQ(audience_mismatch(many, expected),
            "token audience [" + shown + "] does not include the expected 'e'");
}

}  // namespace
}  // namespace signet::guard
