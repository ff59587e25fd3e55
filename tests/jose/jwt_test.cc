#include "signet/jose/jwt.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "signet/jose/json.h"
#include "tests/test_common/jose_printers.h"

namespace signet::jose {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

// Round numbers far from each other, so a failing case names its boundary at a glance.
constexpr std::int64_t kExp = 1'700'001'000;
constexpr std::int64_t kNbf = 1'700'000'000;
constexpr std::int64_t kIat = 1'699'999'000;

struct TimeCase {
  std::string_view name;
  std::string claims;  // JSON object text
  std::int64_t now;
  std::int64_t leeway;
  std::optional<Error> error;  // nullopt: the claims are valid at `now`
};
void PrintTo(const TimeCase& c, std::ostream* os) {
  *os << c.name;
}

std::string exp_only() {
  return R"({"exp":)" + std::to_string(kExp) + "}";
}
std::string nbf_and_exp() {
  return R"({"nbf":)" + std::to_string(kNbf) + R"(,"exp":)" + std::to_string(kExp) + "}";
}
std::string iat_and_exp() {
  return R"({"iat":)" + std::to_string(kIat) + R"(,"exp":)" + std::to_string(kExp) + "}";
}
std::string with_exp(std::string_view member_json) {
  std::string out = "{";
  out += member_json;
  out += R"(,"exp":)" + std::to_string(kExp) + "}";
  return out;
}

class CheckTimesTest : public ::testing::TestWithParam<TimeCase> {};

TEST_P(CheckTimesTest, Rule) {
  const TimeCase& c = GetParam();
  auto claims = parse_json_object(c.claims);
  ASSERT_TRUE(claims.ok()) << c.claims;
  const TimeCheck check{sys_seconds{seconds{c.now}}, seconds{c.leeway}};
  auto result = check_times(*claims, check);
  if (!c.error) {
    EXPECT_TRUE(result.ok()) << c.claims << " at " << c.now
                             << " refused: " << to_string(result.error());
  } else {
    ASSERT_FALSE(result.ok()) << c.claims << " accepted at " << c.now;
    EXPECT_EQ(result.error(), *c.error);
  }
}

constexpr std::nullopt_t kValid = std::nullopt;

INSTANTIATE_TEST_SUITE_P(
    Exp, CheckTimesTest,
    ::testing::Values(
        // exp: valid strictly before exp (RFC 7519 §4.1.4), plus leeway.
        TimeCase{"OneSecondBeforeExp", exp_only(), kExp - 1, 0, kValid},
        TimeCase{"AtExp", exp_only(), kExp, 0, Error::kExpired},
        TimeCase{"OneSecondAfterExp", exp_only(), kExp + 1, 0, Error::kExpired},
        TimeCase{"LongBeforeExp", exp_only(), 0, 0, kValid},
        TimeCase{"Leeway5AtExpPlus4", exp_only(), kExp + 4, 5, kValid},
        TimeCase{"Leeway5AtExpPlus5", exp_only(), kExp + 5, 5, Error::kExpired},
        TimeCase{"Leeway60AtExpPlus59", exp_only(), kExp + 59, 60, kValid},
        TimeCase{"Leeway60AtExpPlus60", exp_only(), kExp + 60, 60, Error::kExpired},
        TimeCase{"ExpZeroAtEpoch", R"({"exp":0})", 0, 0, Error::kExpired},
        TimeCase{"ExpLastSecondOfYear9999", R"({"exp":253402300799})", kExp, 0, kValid},
        // A fractional exp is truncated: 1000.9 behaves as 1000.
        TimeCase{"FractionalExpBefore", R"({"exp":1000.9})", 999, 0, kValid},
        TimeCase{"FractionalExpAt", R"({"exp":1000.9})", 1000, 0, Error::kExpired},
        // exp is required and must be a NumericDate.
        TimeCase{"ExpMissing", R"({"sub":"alice"})", kExp - 1, 0, Error::kExpMissing},
        TimeCase{"ExpMissingEmptyClaims", "{}", 0, 0, Error::kExpMissing},
        TimeCase{"ExpString", R"({"exp":"123"})", 0, 0, Error::kExpNotNumber},
        TimeCase{"ExpNull", R"({"exp":null})", 0, 0, Error::kExpNotNumber},
        TimeCase{"ExpBool", R"({"exp":true})", 0, 0, Error::kExpNotNumber},
        TimeCase{"ExpArray", R"({"exp":[1700001000]})", 0, 0, Error::kExpNotNumber},
        TimeCase{"ExpObject", R"({"exp":{}})", 0, 0, Error::kExpNotNumber},
        TimeCase{"ExpMinusOne", R"({"exp":-1})", 0, 0, Error::kExpOutOfRange},
        TimeCase{"Exp1e20", R"({"exp":1e20})", 0, 0, Error::kExpOutOfRange},
        TimeCase{"ExpYear10000", R"({"exp":253402300800})", 0, 0, Error::kExpOutOfRange},
        TimeCase{"ExpAboveInt64", R"({"exp":18446744073709551615})", 0, 0, Error::kExpOutOfRange}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Nbf, CheckTimesTest,
    ::testing::Values(
        // nbf: valid from nbf on (RFC 7519 §4.1.5), minus leeway.
        TimeCase{"AtNbf", nbf_and_exp(), kNbf, 0, kValid},
        TimeCase{"OneSecondBeforeNbf", nbf_and_exp(), kNbf - 1, 0, Error::kNotYetValid},
        TimeCase{"OneSecondAfterNbf", nbf_and_exp(), kNbf + 1, 0, kValid},
        TimeCase{"Leeway5AtNbfMinus5", nbf_and_exp(), kNbf - 5, 5, kValid},
        TimeCase{"Leeway5AtNbfMinus6", nbf_and_exp(), kNbf - 6, 5, Error::kNotYetValid},
        TimeCase{"NbfString", with_exp(R"("nbf":"1700000000")"), kNbf, 0, Error::kNbfNotNumber},
        TimeCase{"NbfNull", with_exp(R"("nbf":null)"), kNbf, 0, Error::kNbfNotNumber},
        TimeCase{"NbfBool", with_exp(R"("nbf":false)"), kNbf, 0, Error::kNbfNotNumber},
        TimeCase{"NbfMinusOne", with_exp(R"("nbf":-1)"), kNbf, 0, Error::kNbfOutOfRange},
        TimeCase{"Nbf1e20", with_exp(R"("nbf":1e20)"), kNbf, 0, Error::kNbfOutOfRange},
        TimeCase{"NbfAbsentIsFine", exp_only(), 0, 0, kValid},
        // Expiry is checked first: a token both expired and not yet valid reports expiry.
        TimeCase{"ExpiredAndNotYetValid", R"({"nbf":2000,"exp":1000})", 1500, 0, Error::kExpired}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Iat, CheckTimesTest,
    ::testing::Values(
        // iat: must not be in the future, beyond leeway.
        TimeCase{"IatInThePast", iat_and_exp(), kIat + 100, 0, kValid},
        TimeCase{"IatNow", iat_and_exp(), kIat, 0, kValid},
        TimeCase{"IatOneSecondInFuture", iat_and_exp(), kIat - 1, 0, Error::kIatInFuture},
        TimeCase{"Leeway5IatAtNowPlus5", iat_and_exp(), kIat - 5, 5, kValid},
        TimeCase{"Leeway5IatAtNowPlus6", iat_and_exp(), kIat - 6, 5, Error::kIatInFuture},
        TimeCase{"IatString", with_exp(R"("iat":"now")"), kIat, 0, Error::kIatNotNumber},
        TimeCase{"IatNull", with_exp(R"("iat":null)"), kIat, 0, Error::kIatNotNumber},
        TimeCase{"IatArray", with_exp(R"("iat":[])"), kIat, 0, Error::kIatNotNumber},
        TimeCase{"IatMinusOne", with_exp(R"("iat":-1)"), kIat, 0, Error::kIatOutOfRange},
        TimeCase{"Iat1e300", with_exp(R"("iat":1e300)"), kIat, 0, Error::kIatOutOfRange},
        TimeCase{"IatAbsentIsFine", exp_only(), kIat, 0, kValid},
        TimeCase{"AllThreeValid", R"({"iat":1699999000,"nbf":1700000000,"exp":1700001000})", kNbf,
                 0, kValid}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CheckTimesTest, LeewayDefaultsToZero) {
  auto claims = parse_json_object(exp_only());
  ASSERT_TRUE(claims.ok());
  TimeCheck check{sys_seconds{seconds{kExp}}};
  EXPECT_EQ(check.leeway, seconds{0});
  EXPECT_EQ(check_times(*claims, check).error(), Error::kExpired);
}

}  // namespace
}  // namespace signet::jose
