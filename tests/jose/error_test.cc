#include "signet/jose/error.h"

#include <set>
#include <string_view>

#include <gtest/gtest.h>

namespace signet::jose {
namespace {

// The strings reach logs, metrics and error_description: every error has its own.
TEST(ErrorTest, EveryErrorHasADistinctStableString) {
  std::set<std::string_view> seen;
  const int last = static_cast<int>(Error::kIatInFuture);
  for (int i = 0; i <= last; ++i) {
    const std::string_view text = to_string(static_cast<Error>(i));
    EXPECT_NE(text, "unknown error") << "error " << i;
    EXPECT_FALSE(text.empty()) << "error " << i;
    EXPECT_TRUE(seen.insert(text).second) << "error " << i << " repeats \"" << text << "\"";
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(last + 1));
}

TEST(ErrorTest, SomeStringsAreExactlyAsDocumented) {
  EXPECT_EQ(to_string(Error::kExpired), "the token has expired");
  EXPECT_EQ(to_string(Error::kAlgNone), "unsigned tokens (alg none) are not accepted");
  EXPECT_EQ(to_string(Error::kSignatureInvalid), "signature verification failed");
}

}  // namespace
}  // namespace signet::jose
