#include "signet/common/no_dump.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

namespace signet {
namespace {

// PR_GET_DUMPABLE can only be asked by the process itself, so the test calls the function in its
// own process (CTest runs each test in a process of its own). The limits are raised first, so the
// test fails if forbid_core_dumps leaves them alone whatever the environment set.
TEST(NoDumpTest, ProcessBecomesNonDumpableWithNoCoreFiles) {
  struct rlimit before {};
  ASSERT_EQ(::getrlimit(RLIMIT_CORE, &before), 0);
  if (before.rlim_max != 0) {
    const struct rlimit raised { before.rlim_max, before.rlim_max };
    ASSERT_EQ(::setrlimit(RLIMIT_CORE, &raised), 0);
  }
  ASSERT_EQ(::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
  ASSERT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);

  const auto result = forbid_core_dumps();
  ASSERT_TRUE(result.ok()) << result.error();

  EXPECT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  struct rlimit after {};
  ASSERT_EQ(::getrlimit(RLIMIT_CORE, &after), 0);
  EXPECT_EQ(after.rlim_cur, 0u);
  EXPECT_EQ(after.rlim_max, 0u);  // so that (short of CAP_SYS_RESOURCE) it cannot be raised again
}

TEST(NoDumpTest, CallingTwiceIsFine) {
  ASSERT_TRUE(forbid_core_dumps().ok());
  EXPECT_TRUE(forbid_core_dumps().ok());
  EXPECT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

}  // namespace
}  // namespace signet
