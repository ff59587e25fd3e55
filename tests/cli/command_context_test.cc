#include "signet/cli/command_context.h"

#include <sys/stat.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/cli/cli_fixture.h"

namespace signet::cli {
namespace {

using testing::CliTest;

class CommandContextTest : public CliTest {};

TEST_F(CommandContextTest, ReadLineDropsTheLineEndAndStopsPastTheLimit) {
  reset_streams("first\r\nsecond\n" + std::string(100, 'x') + "\nlast");
  EXPECT_EQ(ctx().read_line(16), "first");
  EXPECT_EQ(ctx().read_line(16), "second");
  // 17 bytes: one past the limit, so the caller sees the line is too long; the rest is not read.
  EXPECT_EQ(ctx().read_line(16), std::string(17, 'x'));
  reset_streams("last");
  EXPECT_EQ(ctx().read_line(16), "last");  // no newline at the end of input
  EXPECT_EQ(ctx().read_line(16), std::nullopt);
}

TEST_F(CommandContextTest, ReadSecretPromptsOnlyOnATerminal) {
  reset_streams("hunter22\n", /*terminal=*/false);
  EXPECT_EQ(ctx().read_secret("Password: ", 64), "hunter22");
  EXPECT_EQ(err(), "");
  reset_streams("hunter22\n", /*terminal=*/true);
  EXPECT_EQ(ctx().read_secret("Password: ", 64), "hunter22");
  EXPECT_EQ(err(), "Password: ");
}

TEST_F(CommandContextTest, ConfirmationWithYesAsksNothing) {
  reset_streams("", /*terminal=*/false);
  EXPECT_NO_THROW(confirm_deletion(ctx(), /*yes=*/true, "Delete it?"));
  EXPECT_EQ(err(), "");
}

TEST_F(CommandContextTest, ConfirmationOffATerminalIsRefused) {
  // Even a "y" piped in does not count: a script must say --yes.
  reset_streams("y\n", /*terminal=*/false);
  try {
    confirm_deletion(ctx(), false, "Delete it?");
    FAIL() << "no confirmation was needed";
  } catch (const CommandError& e) {
    EXPECT_EQ(e.message, "refusing to delete without confirmation: add --yes");
  }
  EXPECT_EQ(err(), "");  // no question asked of nobody
}

TEST_F(CommandContextTest, ConfirmationOnATerminalTakesYOrYes) {
  for (const std::string answer : {"y\n", "Y\n", "yes\n", "YES\r\n"}) {
    reset_streams(answer, /*terminal=*/true);
    EXPECT_NO_THROW(confirm_deletion(ctx(), false, "Delete it?")) << answer;
    EXPECT_EQ(err(), "Delete it? [y/N] ");
  }
}

TEST_F(CommandContextTest, ConfirmationOnATerminalRefusesAnythingElse) {
  for (const std::string& answer :
       std::vector<std::string>{"n\n", "\n", "", "yess\n", std::string(40, 'y') + "\n"}) {
    reset_streams(answer, /*terminal=*/true);
    try {
      confirm_deletion(ctx(), false, "Delete it?");
      FAIL() << "agreed on '" << answer << "'";
    } catch (const CommandError& e) {
      EXPECT_EQ(e.message, "nothing was deleted (answer y to delete, or add --yes)");
    }
  }
}

TEST_F(CommandContextTest, ReadingAMissingTenantCreatesNothing) {
  try {
    ctx().tenant(Access::kRead);
    FAIL() << "a missing data directory was opened";
  } catch (const CommandError& e) {
    EXPECT_NE(e.message.find("no data directory " + data_dir().string()), std::string::npos)
        << e.message;
  }
  EXPECT_FALSE(std::filesystem::exists(data_dir()));
}

TEST_F(CommandContextTest, WritingCreatesAPrivateDataDirectoryOnce) {
  Tenant& first = ctx().tenant(Access::kWrite);
  EXPECT_EQ(first.data_dir, data_dir());
  struct stat st {};
  ASSERT_EQ(::stat(data_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::exists(data_dir() / "signet.db"));
  EXPECT_EQ(&ctx().tenant(Access::kRead), &first);  // opened once for the command
}

TEST_F(CommandContextTest, ANewLocationClosesTheOldTenant) {
  ctx().tenant(Access::kWrite);
  ctx().set_location(TenantLocation{(data_dir().parent_path() / "other").string()});
  EXPECT_THROW(ctx().tenant(Access::kRead), CommandError);
}

TEST_F(CommandContextTest, RunInContextTurnsAFailureIntoOneLineAndStatusOne) {
  EXPECT_EQ(run_in_context(ctx(), [](CommandContext&) { throw CommandError{"it broke"}; }), 1);
  EXPECT_EQ(err(), "signet: it broke\n");
  EXPECT_EQ(run_in_context(ctx(), [](CommandContext& c) { c.out() << "fine\n"; }), 0);
  EXPECT_EQ(out(), "fine\n");
}

TEST_F(CommandContextTest, TheRegistrarHandsEachVerbItsFlagsAndTheDataDirectory) {
  // Through the real command line: --data-dir reaches the context, --json the verb's options.
  EXPECT_EQ(run_args({"apis", "create", "--identifier", "urn:a", "--name", "A", "--json"}), 0)
      << err();
  EXPECT_TRUE(std::filesystem::exists(data_dir() / "signet.db"));
  EXPECT_EQ(out().front(), '{');
  EXPECT_EQ(run_args({"apis", "show", "urn:nope"}), 1);
  EXPECT_EQ(err(), "signet: no API with identifier urn:nope (see 'signet apis list')\n");
  EXPECT_EQ(out(), "");
}

}  // namespace
}  // namespace signet::cli
