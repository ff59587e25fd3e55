#include "signet/jose/json.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_common/jose_printers.h"

namespace signet::jose {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

boost::json::object object_of(std::string_view text) {
  auto parsed = parse_json_object(text);
  if (!parsed) {
    ADD_FAILURE() << "test input does not parse: " << text << ": " << to_string(parsed.error());
    return {};
  }
  return std::move(parsed).value();
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += s;
  }
  return out;
}

// --- parse_json: what is accepted ---------------------------------------------------------

TEST(ParseJsonTest, AcceptsAWellFormedObject) {
  auto v = parse_json(R"({"iss":"joe","exp":1300819380,"aud":["a","b"],"x":{"y":null}})");
  ASSERT_TRUE(v.ok()) << to_string(v.error());
  ASSERT_TRUE(v->is_object());
  EXPECT_EQ(v->as_object().at("iss").as_string(), "joe");
  EXPECT_EQ(v->as_object().at("exp").as_int64(), 1300819380);
}

TEST(ParseJsonTest, AcceptsSurroundingWhitespaceAndCrLfInside) {
  // RFC 7515 A.1's payload has CRLF line breaks between members.
  auto v = parse_json("  {\"iss\":\"joe\",\r\n \"exp\":1300819380}\r\n ");
  ASSERT_TRUE(v.ok()) << to_string(v.error());
}

TEST(ParseJsonTest, AcceptsScalarsAndArraysAtTopLevel) {
  for (std::string_view text : {"1", "\"s\"", "null", "true", "[]", "[1,[2]]"}) {
    EXPECT_TRUE(parse_json(text).ok()) << text;
  }
}

TEST(ParseJsonTest, AcceptsValidMultiByteUtf8) {
  auto v = parse_json_object("{\"s\":\"It\xe2\x80\x99s \xf0\x9f\x94\x91\"}");
  ASSERT_TRUE(v.ok()) << to_string(v.error());
  EXPECT_EQ(v->at("s").as_string(), "It\xe2\x80\x99s \xf0\x9f\x94\x91");
}

TEST(ParseJsonTest, SameNameInDifferentObjectsIsNotADuplicate) {
  EXPECT_TRUE(parse_json(R"({"a":{"a":1},"b":{"a":2}})").ok());
  EXPECT_TRUE(parse_json(R"([{"a":1},{"a":2}])").ok());
}

TEST(ParseJsonTest, NamesThatShareAPrefixAreNotDuplicates) {
  EXPECT_TRUE(parse_json(R"({"ab":1,"a":2,"abc":3,"":4,"b":5})").ok());
  EXPECT_TRUE(parse_json(R"({"\u0061b":1,"a":2,"ab\u0063":3})").ok());  // names in parts
  EXPECT_TRUE(parse_json(R"({"a":{"b":{"c":1}},"b":{"c":2},"c":3})").ok());
}

// The duplicate check keeps names without allocating up to a token's usual size; beyond it, the
// same rules hold.
TEST(ParseJsonTest, DuplicatesAreFoundAmongManyLongNames) {
  std::string text = "{";
  for (int i = 0; i < 200; ++i) {
    text += "\"member-with-a-long-name-" + std::to_string(i) +
            "\":{\"inner\":" + std::to_string(i) + "},";
  }
  EXPECT_TRUE(parse_json(text + R"("last":0})").ok());
  auto dup = parse_json(text + R"("member-with-a-long-name-7":0})");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error(), Error::kJsonDuplicateMember);
  auto inner_dup = parse_json(text + R"("last":{"x":1,"y":2,"x":3}})");
  ASSERT_FALSE(inner_dup.ok());
  EXPECT_EQ(inner_dup.error(), Error::kJsonDuplicateMember);
}

// An object of `members` members named "m0", "m1", ..., with `extra` (already a `"name":value`
// pair) after them when it is not empty.
std::string wide_object(int members, const std::string& extra = "") {
  std::string text = "{";
  for (int i = 0; i < members; ++i) {
    text += (i == 0 ? "\"m" : ",\"m") + std::to_string(i) + "\":" + std::to_string(i);
  }
  if (!extra.empty()) {
    text += (members == 0 ? "" : ",") + extra;
  }
  return text + "}";
}

JsonLimits wide_limits() {
  JsonLimits limits;
  limits.max_members = 10'000;
  return limits;
}

// A wide object's names are checked together when it ends (sorted), not each against all before
// it: every pair of positions is still caught, on either side of where the names stop being
// compared one by one.
TEST(ParseJsonTest, DuplicatesAreFoundAnywhereInAWideObject) {
  const auto limits = wide_limits();
  auto clean = parse_json_object(wide_object(9'999, R"("last":0)"), limits);
  ASSERT_TRUE(clean.ok()) << to_string(clean.error());
  EXPECT_EQ(clean->size(), 10'000u);
  for (const int repeated : {0, 1, 30, 31, 32, 33, 5'000, 9'998}) {
    auto v = parse_json(wide_object(9'999, "\"m" + std::to_string(repeated) + "\":0"), limits);
    ASSERT_FALSE(v.ok()) << repeated;
    EXPECT_EQ(v.error(), Error::kJsonDuplicateMember) << repeated;
  }
  // The duplicate as the last of 32, 33 and 34 members, and two names repeated late.
  for (const int members : {31, 32, 33}) {
    auto v = parse_json(wide_object(members, R"("m0":0)"), limits);
    ASSERT_FALSE(v.ok()) << members;
    EXPECT_EQ(v.error(), Error::kJsonDuplicateMember) << members;
    EXPECT_TRUE(parse_json(wide_object(members, R"("other":0)"), limits).ok()) << members;
  }
  auto late = parse_json(wide_object(100, R"("x":1,"y":2,"x":3)"), limits);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error(), Error::kJsonDuplicateMember);
}

TEST(ParseJsonTest, WideObjectsAreCheckedEachOnTheirOwn) {
  const auto limits = wide_limits();
  // The same wide object twice, side by side and nested in a wide one: no duplicates.
  const std::string inner = wide_object(500);
  auto side_by_side = parse_json("[" + inner + "," + inner + "]", limits);
  EXPECT_TRUE(side_by_side.ok()) << to_string(side_by_side.error());
  auto nested = parse_json_object(wide_object(500, "\"inner\":" + inner), limits);
  ASSERT_TRUE(nested.ok()) << to_string(nested.error());
  EXPECT_EQ(nested->at("inner").as_object().size(), 500u);
  // A duplicate in the inner one only, and in the outer one only (after the inner one ended).
  auto inner_dup =
      parse_json(wide_object(500, "\"inner\":" + wide_object(500, R"("m7":0)")), limits);
  ASSERT_FALSE(inner_dup.ok());
  EXPECT_EQ(inner_dup.error(), Error::kJsonDuplicateMember);
  auto outer_dup = parse_json(wide_object(500, "\"inner\":" + inner + R"(,"m400":0)"), limits);
  ASSERT_FALSE(outer_dup.ok());
  EXPECT_EQ(outer_dup.error(), Error::kJsonDuplicateMember);
}

// --- parse_json: what is refused, with the exact error --------------------------------------

struct Refusal {
  std::string_view name;
  std::string text;
  Error error;
};
void PrintTo(const Refusal& r, std::ostream* os) {
  *os << r.name;
}

class ParseJsonRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(ParseJsonRefusalTest, RefusedWithTheExactError) {
  auto v = parse_json(GetParam().text);
  ASSERT_FALSE(v.ok()) << "accepted: " << GetParam().text;
  EXPECT_EQ(v.error(), GetParam().error) << to_string(v.error());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ParseJsonRefusalTest,
    ::testing::Values(
        // Duplicate member names, at any depth: a second "alg" or "aud" must not slip past.
        Refusal{"DuplicateTopLevel", R"({"alg":"RS256","alg":"none"})",
                Error::kJsonDuplicateMember},
        Refusal{"DuplicateSameValue", R"({"a":1,"a":1})", Error::kJsonDuplicateMember},
        Refusal{"DuplicateNested", R"({"x":{"a":1,"b":2,"a":3}})", Error::kJsonDuplicateMember},
        Refusal{"DuplicateInArray", R"([{"a":1},{"a":1,"a":2}])", Error::kJsonDuplicateMember},
        Refusal{"DuplicateAfterNestedObject", R"({"a":{"b":1},"c":2,"a":3})",
                Error::kJsonDuplicateMember},
        Refusal{"DuplicateSpelledWithEscape", R"({"alg":"RS256","\u0061lg":"none"})",
                Error::kJsonDuplicateMember},
        Refusal{"DuplicateEmptyName", R"({"":1,"":2})", Error::kJsonDuplicateMember},
        // Nesting beyond the limit (16 by default).
        Refusal{"ThousandArrays", repeat("[", 1000), Error::kJsonTooDeep},
        Refusal{"ThousandArraysClosed", repeat("[", 1000) + repeat("]", 1000), Error::kJsonTooDeep},
        Refusal{"ThousandObjects", repeat(R"({"a":)", 1000), Error::kJsonTooDeep},
        Refusal{"SeventeenLevels", repeat("[", 17) + repeat("]", 17), Error::kJsonTooDeep},
        // Invalid UTF-8, in values and in names.
        Refusal{"Utf8InvalidByte", "{\"s\":\"\xff\"}", Error::kJsonSyntax},
        Refusal{"Utf8Overlong", "{\"s\":\"\xc0\xaf\"}", Error::kJsonSyntax},
        Refusal{"Utf8EncodedSurrogate", "{\"s\":\"\xed\xa0\x80\"}", Error::kJsonSyntax},
        Refusal{"Utf8Truncated", "{\"s\":\"\xe2\x82\"}", Error::kJsonSyntax},
        Refusal{"Utf8LoneContinuation", "{\"s\":\"\x80\"}", Error::kJsonSyntax},
        Refusal{"Utf8AboveU10FFFF", "{\"s\":\"\xf4\x90\x80\x80\"}", Error::kJsonSyntax},
        Refusal{"Utf8InvalidInName", "{\"\xfe\":1}", Error::kJsonSyntax},
        Refusal{"LoneHighSurrogateEscape", R"({"s":"\ud800"})", Error::kJsonSyntax},
        Refusal{"LoneLowSurrogateEscape", R"({"s":"\udc00x"})", Error::kJsonSyntax},
        // Trailing garbage after a complete value.
        Refusal{"TrailingLetter", "{}x", Error::kJsonSyntax},
        Refusal{"TrailingBrace", "{}}", Error::kJsonSyntax},
        Refusal{"TwoDocuments", "{} {}", Error::kJsonSyntax},
        Refusal{"TrailingNul", "{}\0"s, Error::kJsonSyntax},
        // Comments, in every position.
        Refusal{"BlockComment", "{/* c */}", Error::kJsonSyntax},
        Refusal{"LineCommentAfter", "{} // c", Error::kJsonSyntax},
        Refusal{"LineCommentBefore", "// c\n{}", Error::kJsonSyntax},
        Refusal{"CommentBetweenMembers", "{\"a\":1,/**/\"b\":2}", Error::kJsonSyntax},
        // Other JSON5/JavaScript leniencies.
        Refusal{"TrailingCommaObject", R"({"a":1,})", Error::kJsonSyntax},
        Refusal{"TrailingCommaArray", "[1,]", Error::kJsonSyntax},
        Refusal{"SingleQuotes", "{'a':1}", Error::kJsonSyntax},
        Refusal{"UnquotedName", "{a:1}", Error::kJsonSyntax},
        Refusal{"NaN", R"({"exp":NaN})", Error::kJsonSyntax},
        Refusal{"Infinity", R"({"exp":Infinity})", Error::kJsonSyntax},
        Refusal{"LeadingZero", R"({"exp":01})", Error::kJsonSyntax},
        Refusal{"LeadingPlus", R"({"exp":+1})", Error::kJsonSyntax},
        Refusal{"Hex", R"({"exp":0x10})", Error::kJsonSyntax},
        Refusal{"RawControlCharInString", "{\"s\":\"a\nb\"}", Error::kJsonSyntax},
        Refusal{"BadEscape", R"({"s":"\x41"})", Error::kJsonSyntax},
        Refusal{"Empty", "", Error::kJsonSyntax},
        Refusal{"WhitespaceOnly", " \r\n", Error::kJsonSyntax},
        Refusal{"Unterminated", R"({"a":1)", Error::kJsonSyntax},
        Refusal{"UnterminatedString", R"({"a":"1})", Error::kJsonSyntax}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ParseJsonTest, NestingAtTheLimitIsAccepted) {
  EXPECT_TRUE(parse_json(repeat("[", 16) + repeat("]", 16)).ok());
  JsonLimits limits;
  limits.max_depth = 2;
  EXPECT_TRUE(parse_json(R"({"a":{"b":1}})", limits).ok());
  auto v = parse_json(R"({"a":{"b":[1]}})", limits);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonTooDeep);
}

TEST(ParseJsonTest, DeepNestingFailsFastWithoutCrashing) {
  // A million brackets: refused at the depth limit, never a stack overflow.
  auto v = parse_json(repeat("[", 1'000'000));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonTooDeep);
}

TEST(ParseJsonTest, DuplicateDetectedInLongEscapedNames) {
  // A long name full of escapes may reach the handler in several parts; the duplicate check
  // must see the whole decoded name.
  const std::string plain = repeat("a", 3000);
  const std::string escaped = repeat(R"(\u0061)", 3000);
  auto v = parse_json("{\"" + plain + "\":1,\"" + escaped + "\":2}");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonDuplicateMember);
  // And two different long names are not confused with each other.
  EXPECT_TRUE(parse_json("{\"" + plain + "\":1,\"" + escaped + "b\":2}").ok());
}

// --- limits -----------------------------------------------------------------------------------

TEST(JsonLimitsTest, StringLengthBoundary) {
  JsonLimits limits;
  limits.max_string_bytes = 8;
  EXPECT_TRUE(parse_json(R"({"s":"12345678"})", limits).ok());
  auto v = parse_json(R"({"s":"123456789"})", limits);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonTooLarge);
}

TEST(JsonLimitsTest, NameLengthBoundary) {
  JsonLimits limits;
  limits.max_string_bytes = 8;
  EXPECT_TRUE(parse_json(R"({"12345678":1})", limits).ok());
  auto v = parse_json(R"({"123456789":1})", limits);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonTooLarge);
}

TEST(JsonLimitsTest, DefaultStringLimitCountsDecodedBytesAcrossParts) {
  // 70,000 escaped characters arrive in parts; the total is over the default 64 KiB.
  auto v = parse_json("{\"s\":\"" + repeat(R"(\u0041)", 70'000) + "\"}");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonTooLarge);
  EXPECT_TRUE(parse_json("{\"s\":\"" + repeat("A", 64 * 1024) + "\"}").ok());
}

std::string object_with_members(std::size_t n) {
  std::string text = "{";
  for (std::size_t i = 0; i < n; ++i) {
    text += (i ? ",\"m" : "\"m") + std::to_string(i) + "\":0";
  }
  return text + "}";
}

std::string array_with_elements(std::size_t n) {
  std::string text = "[";
  for (std::size_t i = 0; i < n; ++i) {
    text += i ? ",0" : "0";
  }
  return text + "]";
}

TEST(JsonLimitsTest, ObjectMemberCountBoundary) {
  EXPECT_TRUE(parse_json(object_with_members(512)).ok());
  auto v = parse_json(object_with_members(513));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonTooLarge);
}

TEST(JsonLimitsTest, ArrayElementCountBoundary) {
  EXPECT_TRUE(parse_json(array_with_elements(512)).ok());
  auto v = parse_json(array_with_elements(513));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonTooLarge);
}

// --- parse_json_object -------------------------------------------------------------------------

TEST(ParseJsonObjectTest, RefusesEveryNonObjectTopLevel) {
  for (std::string_view text : {"[]", "[{}]", "\"{}\"", "1", "1.5", "null", "true", "false"}) {
    auto v = parse_json_object(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.error(), Error::kJsonNotObject) << text;
  }
}

TEST(ParseJsonObjectTest, PassesParseErrorsThrough) {
  auto v = parse_json_object(R"({"a":1,"a":2})");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonDuplicateMember);
  v = parse_json_object("[");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Error::kJsonSyntax);
}

// --- typed accessors ---------------------------------------------------------------------------

TEST(GetStringTest, MissingWrongTypeAndPresent) {
  const auto o = object_of(R"({"s":"v","n":1,"z":null,"a":["v"],"e":""})");
  ASSERT_TRUE(get_string(o, "s").ok());
  EXPECT_EQ(*get_string(o, "s"), "v");
  ASSERT_TRUE(get_string(o, "e").ok());
  EXPECT_EQ(*get_string(o, "e"), "");
  EXPECT_EQ(get_string(o, "missing").error(), Access::kMissing);
  EXPECT_EQ(get_string(o, "n").error(), Access::kWrongType);
  EXPECT_EQ(get_string(o, "z").error(), Access::kWrongType);
  EXPECT_EQ(get_string(o, "a").error(), Access::kWrongType);
}

TEST(GetBoolTest, MissingWrongTypeAndPresent) {
  const auto o = object_of(R"({"t":true,"f":false,"s":"true","n":1})");
  EXPECT_TRUE(*get_bool(o, "t"));
  EXPECT_FALSE(*get_bool(o, "f"));
  EXPECT_EQ(get_bool(o, "missing").error(), Access::kMissing);
  EXPECT_EQ(get_bool(o, "s").error(), Access::kWrongType);
  EXPECT_EQ(get_bool(o, "n").error(), Access::kWrongType);
}

TEST(GetIntTest, RangeBoundariesAndTypes) {
  const auto o =
      object_of(R"({"lo":10,"hi":20,"below":9,"above":21,"neg":-5,"huge":18446744073709551615,)"
                R"("float":1.0,"frac":1.5,"exp":1e3,"str":"15","bool":true,"null":null})");
  EXPECT_EQ(*get_int(o, "lo", 10, 20), 10);
  EXPECT_EQ(*get_int(o, "hi", 10, 20), 20);
  EXPECT_EQ(get_int(o, "below", 10, 20).error(), Access::kOutOfRange);
  EXPECT_EQ(get_int(o, "above", 10, 20).error(), Access::kOutOfRange);
  EXPECT_EQ(get_int(o, "neg", 0, 20).error(), Access::kOutOfRange);
  EXPECT_EQ(*get_int(o, "neg", -5, 0), -5);
  // Above INT64_MAX: the right type, out of any int64 range.
  EXPECT_EQ(get_int(o, "huge", INT64_MIN, INT64_MAX).error(), Access::kOutOfRange);
  // A number written with a fraction or exponent is not an integer.
  EXPECT_EQ(get_int(o, "float", 0, 20).error(), Access::kWrongType);
  EXPECT_EQ(get_int(o, "frac", 0, 20).error(), Access::kWrongType);
  EXPECT_EQ(get_int(o, "exp", 0, 2000).error(), Access::kWrongType);
  EXPECT_EQ(get_int(o, "str", 0, 20).error(), Access::kWrongType);
  EXPECT_EQ(get_int(o, "bool", 0, 20).error(), Access::kWrongType);
  EXPECT_EQ(get_int(o, "null", 0, 20).error(), Access::kWrongType);
  EXPECT_EQ(get_int(o, "missing", 0, 20).error(), Access::kMissing);
}

struct DateCase {
  std::string_view name;
  std::string_view json_value;  // the text after "d":
  bool ok;
  std::int64_t value;  // when ok
  Access error;        // when not ok
};
void PrintTo(const DateCase& c, std::ostream* os) {
  *os << c.name;
}

class NumericDateTest : public ::testing::TestWithParam<DateCase> {};

TEST_P(NumericDateTest, Rule) {
  const auto& c = GetParam();
  const auto o = object_of("{\"d\":" + std::string(c.json_value) + "}");
  auto d = get_numeric_date(o, "d");
  if (c.ok) {
    ASSERT_TRUE(d.ok()) << c.json_value;
    EXPECT_EQ(*d, c.value);
  } else {
    ASSERT_FALSE(d.ok()) << c.json_value << " gave " << *d;
    EXPECT_EQ(d.error(), c.error);
  }
}

constexpr auto kOut = Access::kOutOfRange;
constexpr auto kType = Access::kWrongType;

INSTANTIATE_TEST_SUITE_P(
    Rules, NumericDateTest,
    ::testing::Values(
        DateCase{"Zero", "0", true, 0, {}}, DateCase{"One", "1", true, 1, {}},
        DateCase{"Typical", "1300819380", true, 1300819380, {}},
        DateCase{"LastSecondOfYear9999", "253402300799", true, kMaxNumericDate, {}},
        DateCase{"FirstSecondOfYear10000", "253402300800", false, 0, kOut},
        DateCase{"MinusOne", "-1", false, 0, kOut},
        DateCase{"Int64Min", "-9223372036854775808", false, 0, kOut},
        DateCase{"Int64Max", "9223372036854775807", false, 0, kOut},
        DateCase{"AboveInt64", "18446744073709551615", false, 0, kOut},
        DateCase{"AboveUint64", "18446744073709551616", false, 0, kOut},
        DateCase{"OneE20", "1e20", false, 0, kOut}, DateCase{"OneE300", "1e300", false, 0, kOut},
        DateCase{"MinusOneE300", "-1e300", false, 0, kOut},
        DateCase{"NegativeFraction", "-0.5", false, 0, kOut},
        DateCase{"FractionAboveMax", "253402300799.5", false, 0, kOut},
        // RFC 7519 §2: a NumericDate may have a fraction; it is truncated toward zero.
        DateCase{"FractionTruncated", "1300819380.999", true, 1300819380, {}},
        DateCase{"SmallFraction", "0.5", true, 0, {}},
        DateCase{"ExponentForm", "1.3e9", true, 1300000000, {}},
        DateCase{"NegativeZero", "-0.0", true, 0, {}},
        DateCase{"String", "\"1300819380\"", false, 0, kType},
        DateCase{"Null", "null", false, 0, kType}, DateCase{"Bool", "true", false, 0, kType},
        DateCase{"Array", "[1300819380]", false, 0, kType},
        DateCase{"Object", "{}", false, 0, kType}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(NumericDateTest, MissingIsReportedAsMissing) {
  EXPECT_EQ(get_numeric_date(object_of("{}"), "exp").error(), Access::kMissing);
}

TEST(NumericDateTest, NanAndInfinityCannotBeWrittenInJson) {
  // So get_numeric_date never sees them: the parser refuses first.
  for (std::string_view text : {R"({"d":NaN})", R"({"d":-Infinity})", R"({"d":Infinity})"}) {
    auto v = parse_json_object(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.error(), Error::kJsonSyntax) << text;
  }
}

TEST(NumericDateTest, ExponentOverflowNeverBecomesADate) {
  // 1e400 overflows a double: either the parser refuses it or the accessor calls it out of range.
  auto v = parse_json_object(R"({"d":1e400})");
  if (v.ok()) {
    EXPECT_EQ(get_numeric_date(*v, "d").error(), Access::kOutOfRange);
  } else {
    EXPECT_EQ(v.error(), Error::kJsonSyntax);
  }
}

TEST(GetStringArrayTest, MissingWrongTypeAndPresent) {
  const auto o = object_of(R"({"a":["x","y"],"e":[],"s":"x","mixed":["x",1],"nested":[["x"]]})");
  ASSERT_TRUE(get_string_array(o, "a").ok());
  EXPECT_EQ(*get_string_array(o, "a"), (std::vector<std::string_view>{"x", "y"}));
  ASSERT_TRUE(get_string_array(o, "e").ok());
  EXPECT_TRUE(get_string_array(o, "e")->empty());
  EXPECT_EQ(get_string_array(o, "missing").error(), Access::kMissing);
  EXPECT_EQ(get_string_array(o, "s").error(), Access::kWrongType);
  EXPECT_EQ(get_string_array(o, "mixed").error(), Access::kWrongType);
  EXPECT_EQ(get_string_array(o, "nested").error(), Access::kWrongType);
}

TEST(GetStringOrArrayTest, TheShapesOfAud) {
  const auto o = object_of(
      R"({"one":"https://api.example/","many":["a","b"],"num":1,"mixed":["a",null],"obj":{}})");
  ASSERT_TRUE(get_string_or_array(o, "one").ok());
  EXPECT_EQ(*get_string_or_array(o, "one"),
            (std::vector<std::string_view>{"https://api.example/"}));
  ASSERT_TRUE(get_string_or_array(o, "many").ok());
  EXPECT_EQ(*get_string_or_array(o, "many"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(get_string_or_array(o, "missing").error(), Access::kMissing);
  EXPECT_EQ(get_string_or_array(o, "num").error(), Access::kWrongType);
  EXPECT_EQ(get_string_or_array(o, "mixed").error(), Access::kWrongType);
  EXPECT_EQ(get_string_or_array(o, "obj").error(), Access::kWrongType);
}

}  // namespace
}  // namespace signet::jose
