#include "signet/store/error.h"

#include <set>
#include <string_view>

#include <gtest/gtest.h>

namespace signet::store {
namespace {

// The strings reach logs and the admin CLI: every code has its own.
TEST(StoreErrorTest, EveryCodeHasADistinctStableString) {
  std::set<std::string_view> seen;
  const int last = static_cast<int>(StoreErrorCode::kInternal);
  for (int i = 0; i <= last; ++i) {
    const std::string_view text = to_string(static_cast<StoreErrorCode>(i));
    EXPECT_NE(text, "unknown error") << i;
    EXPECT_TRUE(seen.insert(text).second) << text;
  }
  EXPECT_EQ(to_string(StoreErrorCode::kNotFound), "not found");
  EXPECT_EQ(to_string(StoreErrorCode::kConflict), "conflict");
  EXPECT_EQ(to_string(StoreErrorCode::kStale), "stale");
}

// Labels reach metrics and must stay one snake_case word each.
TEST(StoreErrorTest, EveryCodeHasADistinctSnakeCaseLabel) {
  std::set<std::string_view> seen;
  const int last = static_cast<int>(StoreErrorCode::kInternal);
  for (int i = 0; i <= last; ++i) {
    const std::string_view l = label(static_cast<StoreErrorCode>(i));
    EXPECT_TRUE(seen.insert(l).second) << l;
    EXPECT_EQ(l.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos) << l;
  }
  EXPECT_EQ(label(StoreErrorCode::kNotFound), "not_found");
  EXPECT_EQ(label(StoreErrorCode::kIo), "io");
}

}  // namespace
}  // namespace signet::store
