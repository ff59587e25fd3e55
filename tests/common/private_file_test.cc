#include "signet/common/private_file.h"
#include "tests/test_common/temp_dir.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace signet {
namespace {

namespace fs = std::filesystem;

using signet::testing::TempDir;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Sets the umask for one test and restores it.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

TEST(PrivateFileTest, ModeIsExactWhateverTheUmask) {
  TempDir tmp;
  for (const mode_t umask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    const ScopedUmask scoped(umask);
    for (const mode_t mode : {mode_t{0600}, mode_t{0644}, mode_t{0400}}) {
      const fs::path replaced = tmp.path() / ("r" + std::to_string(umask) + std::to_string(mode));
      ASSERT_TRUE(replace_file(replaced, "x", mode).ok());
      EXPECT_EQ(mode_of(replaced), mode) << std::oct << "umask " << umask;
      const fs::path created = tmp.path() / ("c" + std::to_string(umask) + std::to_string(mode));
      ASSERT_TRUE(create_file_exclusively(created, "x", mode).ok());
      EXPECT_EQ(mode_of(created), mode) << std::oct << "umask " << umask;
    }
  }
}

TEST(PrivateFileTest, ReplaceWritesTheContentAndLeavesNoTemporaryFile) {
  TempDir tmp;
  const fs::path path = tmp.path() / "tokens.json";
  ASSERT_TRUE(replace_file(path, "first", 0600).ok());
  EXPECT_EQ(read(path), "first");
  ASSERT_TRUE(replace_file(path, "second, longer", 0600).ok());
  EXPECT_EQ(read(path), "second, longer");
  ASSERT_TRUE(replace_file(path, "", 0600).ok());
  EXPECT_EQ(read(path), "");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"tokens.json"});
}

TEST(PrivateFileTest, ReplaceChangesTheModeOfAnExistingFile) {
  TempDir tmp;
  const fs::path path = tmp.path() / "key.pem";
  ASSERT_TRUE(replace_file(path, "old", 0644).ok());
  ASSERT_TRUE(replace_file(path, "new", 0600).ok());
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST(PrivateFileTest, ReplaceThatFailsKeepsWhatWasThereAndRemovesTheTemporaryFile) {
  TempDir tmp;
  // A non-empty directory at the name: rename() cannot put a file there.
  const fs::path path = tmp.path() / "cert.pem";
  fs::create_directory(path);
  std::ofstream(path / "inside") << "old";
  auto r = replace_file(path, "new", 0644);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().step, FileWriteStep::kRename);
  EXPECT_EQ(r.error().err, EISDIR);
  EXPECT_FALSE(r.error().already_exists());
  EXPECT_EQ(r.error().message(), "rename failed: Is a directory");
  EXPECT_EQ(read(path / "inside"), "old");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"cert.pem"});
}

TEST(PrivateFileTest, ReplaceReplacesASymbolicLinkNotTheFileItPointsTo) {
  TempDir tmp;
  const fs::path elsewhere = tmp.path() / "elsewhere";
  std::ofstream(elsewhere) << "someone else's";
  const fs::path path = tmp.path() / "master.key";
  fs::create_symlink(elsewhere, path);
  ASSERT_TRUE(replace_file(path, "ours", 0600).ok());
  EXPECT_FALSE(fs::is_symlink(path));
  EXPECT_EQ(read(path), "ours");
  EXPECT_EQ(read(elsewhere), "someone else's");
}

TEST(PrivateFileTest, MissingDirectoryFailsAtCreate) {
  TempDir tmp;
  for (auto* write : {&replace_file, &create_file_exclusively}) {
    auto r = write(tmp.path() / "missing" / "file", "x", 0600);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().step, FileWriteStep::kCreate);
    EXPECT_EQ(r.error().err, ENOENT);
    EXPECT_EQ(r.error().message(), "create failed: No such file or directory");
  }
}

TEST(PrivateFileTest, CreateExclusivelyWritesANewFile) {
  TempDir tmp;
  const fs::path path = tmp.path() / "master.key";
  ASSERT_TRUE(create_file_exclusively(path, "secret\n", 0600).ok());
  EXPECT_EQ(read(path), "secret\n");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"master.key"});
}

TEST(PrivateFileTest, CreateExclusivelyRefusesAnExistingFileAndLeavesIt) {
  TempDir tmp;
  const fs::path path = tmp.path() / "master.key";
  ASSERT_TRUE(create_file_exclusively(path, "first", 0600).ok());
  auto r = create_file_exclusively(path, "second", 0644);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().already_exists());
  EXPECT_EQ(r.error().step, FileWriteStep::kLink);
  EXPECT_EQ(read(path), "first");
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"master.key"});
}

TEST(PrivateFileTest, CreateExclusivelyRefusesADanglingSymbolicLink) {
  // A link planted at the name must not make us create the file it points to.
  TempDir tmp;
  const fs::path target = tmp.path() / "target";
  const fs::path path = tmp.path() / "master.key";
  fs::create_symlink(target, path);
  auto r = create_file_exclusively(path, "secret", 0600);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().already_exists());
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::is_symlink(path));
}

TEST(PrivateFileTest, CreateExclusivelyReportsAnExistingFileInADirectoryItCannotWrite) {
  // An existing database in a read-only directory must open; as root, write permission is moot.
  TempDir tmp;
  const fs::path dir = tmp.path() / "ro";
  fs::create_directory(dir);
  const fs::path path = dir / "signet.db";
  std::ofstream(path) << "data";
  ASSERT_EQ(::chmod(dir.c_str(), 0500), 0);
  auto r = create_file_exclusively(path, "", 0600);
  ::chmod(dir.c_str(), 0700);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().already_exists());
  EXPECT_EQ(read(path), "data");
}

TEST(PrivateFileTest, StepNamesAreTheSystemCalls) {
  EXPECT_EQ(to_string(FileWriteStep::kCreate), "create");
  EXPECT_EQ(to_string(FileWriteStep::kChmod), "chmod");
  EXPECT_EQ(to_string(FileWriteStep::kWrite), "write");
  EXPECT_EQ(to_string(FileWriteStep::kSync), "fsync");
  EXPECT_EQ(to_string(FileWriteStep::kClose), "close");
  EXPECT_EQ(to_string(FileWriteStep::kRename), "rename");
  EXPECT_EQ(to_string(FileWriteStep::kLink), "link");
  EXPECT_EQ((FileWriteError{FileWriteStep::kLink, EEXIST}.already_exists()), true);
  EXPECT_EQ((FileWriteError{FileWriteStep::kRename, EEXIST}.already_exists()), false);
}

}  // namespace
}  // namespace signet
