#include "signet/common/file_safety.h"
#include "tests/test_common/temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace signet {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;  // Debian's "nobody": another user for the ownership tests

using signet::testing::TempDir;

fs::path make_dir(const fs::path& path, mode_t mode) {
  fs::create_directory(path);
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

fs::path make_file(const fs::path& path, mode_t mode) {
  std::ofstream(path) << "x";
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Refused with `code`, naming the path.
void expect_refused(const Result<Ok, UnsafeFile>& r, UnsafeFileCode code, const fs::path& path) {
  ASSERT_FALSE(r.ok()) << path;
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, path.string())) << r.error().message;
}

TEST(FileSafetyTest, OwnDirectoryNobodyElseCanWriteIsAccepted) {
  TempDir tmp;
  for (const mode_t mode : {0700, 0750, 0755, 0711, 0500}) {
    const fs::path dir = make_dir(tmp.path() / ("d" + std::to_string(mode)), mode);
    const auto r = check_path(dir, Trust::kDirectory, "the data directory");
    EXPECT_TRUE(r.ok()) << std::oct << mode << " " << r.error().message;
  }
}

TEST(FileSafetyTest, DirectoryWritableByGroupOrOthersIsRefusedWithTheChmodThatFixesIt) {
  TempDir tmp;
  for (const mode_t mode : {0770, 0720, 0702, 0777, 01777, 0730}) {
    const fs::path dir = make_dir(tmp.path() / ("d" + std::to_string(mode)), mode);
    const auto r = check_path(dir, Trust::kDirectory, "the data directory");
    expect_refused(r, UnsafeFileCode::kWritableByOthers, dir);
    if (!r.ok()) {
      EXPECT_TRUE(contains(r.error().message, "the data directory " + dir.string()))
          << r.error().message;
      EXPECT_TRUE(contains(r.error().message, "run 'chmod 700 " + dir.string() + "'"))
          << r.error().message;
      EXPECT_TRUE(contains(r.error().message, "writable by group or others")) << r.error().message;
    }
  }
}

TEST(FileSafetyTest, SecretFileOwnerOnlyIsAccepted) {
  TempDir tmp;
  for (const mode_t mode : {0600, 0400, 0700, 0200}) {
    const fs::path file = make_file(tmp.path() / ("f" + std::to_string(mode)), mode);
    EXPECT_TRUE(check_path(file, Trust::kSecretFile, "the key").ok()) << std::oct << mode;
  }
}

TEST(FileSafetyTest, SecretFileAnyoneElseCanReadIsRefused) {
  TempDir tmp;
  for (const mode_t mode : {0640, 0604, 0644, 0610, 0601, 0440}) {
    const fs::path file = make_file(tmp.path() / ("f" + std::to_string(mode)), mode);
    const auto r = check_path(file, Trust::kSecretFile, "the master key file");
    expect_refused(r, UnsafeFileCode::kReadableByOthers, file);
    if (!r.ok()) {
      EXPECT_TRUE(contains(r.error().message, "run 'chmod 600 " + file.string() + "'"))
          << r.error().message;
    }
  }
}

TEST(FileSafetyTest, FileAnyoneElseCanWriteIsRefusedAsWritableFirst) {
  TempDir tmp;
  for (const mode_t mode : {0620, 0602, 0666, 0622}) {
    const fs::path file = make_file(tmp.path() / ("f" + std::to_string(mode)), mode);
    expect_refused(check_path(file, Trust::kSecretFile, "the key"),
                   UnsafeFileCode::kWritableByOthers, file);
    const auto r = check_path(file, Trust::kPublicFile, "the certificate");
    expect_refused(r, UnsafeFileCode::kWritableByOthers, file);
    if (!r.ok()) {
      EXPECT_TRUE(contains(r.error().message, "run 'chmod 644 " + file.string() + "'"))
          << r.error().message;
    }
  }
}

TEST(FileSafetyTest, PublicFileOthersMayRead) {
  TempDir tmp;
  for (const mode_t mode : {0644, 0444, 0600, 0755}) {
    const fs::path file = make_file(tmp.path() / ("f" + std::to_string(mode)), mode);
    EXPECT_TRUE(check_path(file, Trust::kPublicFile, "the certificate").ok()) << std::oct << mode;
  }
}

TEST(FileSafetyTest, SymbolicLinkToAFileIsRefusedEvenToASafeTarget) {
  TempDir tmp;
  const fs::path target = make_file(tmp.path() / "real.key", 0600);
  const fs::path link = tmp.path() / "master.key";
  fs::create_symlink(target, link);
  for (const Trust trust : {Trust::kSecretFile, Trust::kPublicFile}) {
    const auto r = check_path(link, trust, "the master key file");
    expect_refused(r, UnsafeFileCode::kSymlink, link);
    if (!r.ok()) {
      EXPECT_TRUE(contains(r.error().message, "symbolic link")) << r.error().message;
    }
  }
  // A dangling link too: it is the link that is refused, not its target.
  fs::create_symlink(tmp.path() / "nowhere", tmp.path() / "dangling");
  expect_refused(check_path(tmp.path() / "dangling", Trust::kSecretFile, "the key"),
                 UnsafeFileCode::kSymlink, tmp.path() / "dangling");
}

TEST(FileSafetyTest, SymbolicLinkToADirectoryIsFollowedAndItsTargetChecked) {
  TempDir tmp;
  const fs::path good = make_dir(tmp.path() / "good", 0700);
  const fs::path bad = make_dir(tmp.path() / "bad", 0777);
  fs::create_symlink(good, tmp.path() / "to-good");
  fs::create_symlink(bad, tmp.path() / "to-bad");
  EXPECT_TRUE(check_path(tmp.path() / "to-good", Trust::kDirectory, "the data directory").ok());
  expect_refused(check_path(tmp.path() / "to-bad", Trust::kDirectory, "the data directory"),
                 UnsafeFileCode::kWritableByOthers, tmp.path() / "to-bad");
}

TEST(FileSafetyTest, WrongTypeIsRefused) {
  TempDir tmp;
  const fs::path file = make_file(tmp.path() / "file", 0600);
  const fs::path dir = make_dir(tmp.path() / "dir", 0700);
  const fs::path fifo = tmp.path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);

  auto r = check_path(file, Trust::kDirectory, "the data directory");
  expect_refused(r, UnsafeFileCode::kWrongType, file);
  EXPECT_TRUE(!r.ok() && contains(r.error().message, "is not a directory"));
  // A path under a file is no directory either (stat fails with ENOTDIR).
  expect_refused(check_path(file / "sub", Trust::kDirectory, "the data directory"),
                 UnsafeFileCode::kWrongType, file / "sub");
  for (const fs::path& path : {dir, fifo}) {
    for (const Trust trust : {Trust::kSecretFile, Trust::kPublicFile}) {
      r = check_path(path, trust, "the key");
      expect_refused(r, UnsafeFileCode::kWrongType, path);
      EXPECT_TRUE(!r.ok() && contains(r.error().message, "is not a regular file"));
    }
  }
}

TEST(FileSafetyTest, MissingPathIsReportedAsMissing) {
  TempDir tmp;
  for (const Trust trust : {Trust::kDirectory, Trust::kSecretFile, Trust::kPublicFile}) {
    expect_refused(check_path(tmp.path() / "absent", trust, "the data directory"),
                   UnsafeFileCode::kMissing, tmp.path() / "absent");
  }
}

TEST(FileSafetyTest, PathThatCannotBeLookedUpIsAnIoError) {
  TempDir tmp;
  const fs::path too_long = tmp.path() / std::string(NAME_MAX + 1, 'x');  // ENAMETOOLONG
  for (const Trust trust : {Trust::kDirectory, Trust::kSecretFile}) {
    const auto r = check_path(too_long, trust, "the data directory");
    expect_refused(r, UnsafeFileCode::kIo, too_long);
    EXPECT_TRUE(!r.ok() && contains(r.error().message, "cannot be checked"));
  }
}

TEST(FileSafetyTest, AnotherUsersFileOrDirectoryIsRefusedWithTheChownThatFixesIt) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to give a file to another user (uid " << kNobody << ")";
  }
  TempDir tmp;
  const fs::path dir = make_dir(tmp.path() / "theirs", 0700);
  const fs::path file = make_file(tmp.path() / "theirs.key", 0600);
  ASSERT_EQ(::chown(dir.c_str(), kNobody, kNobody), 0);
  ASSERT_EQ(::chown(file.c_str(), kNobody, kNobody), 0);

  auto r = check_path(dir, Trust::kDirectory, "the data directory");
  expect_refused(r, UnsafeFileCode::kWrongOwner, dir);
  EXPECT_TRUE(!r.ok() && contains(r.error().message, "sudo chown -R root " + dir.string()))
      << r.error().message;
  EXPECT_TRUE(!r.ok() && contains(r.error().message, "not to root")) << r.error().message;
  for (const Trust trust : {Trust::kSecretFile, Trust::kPublicFile}) {
    r = check_path(file, trust, "the master key file");
    expect_refused(r, UnsafeFileCode::kWrongOwner, file);
    EXPECT_TRUE(!r.ok() && contains(r.error().message, "sudo chown root " + file.string()))
        << r.error().message;
  }
}

TEST(FileSafetyTest, RootOwnedIsAcceptedForEveryone) {
  // Root can read and replace anything anyway: its files are trusted by every user. As another
  // user the only root-owned directory at hand is "/", which checks out.
  EXPECT_TRUE(check_path("/", Trust::kDirectory, "the data directory").ok());
}

TEST(FileSafetyTest, StatusOfAnOpenDescriptorIsCheckedAsThePath) {
  TempDir tmp;
  const fs::path file = make_file(tmp.path() / "cache.json", 0644);
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  ::close(fd);
  EXPECT_TRUE(check_file_status(file, st, Trust::kPublicFile, "the certificate").ok());
  expect_refused(check_file_status(file, st, Trust::kSecretFile, "the token cache"),
                 UnsafeFileCode::kReadableByOthers, file);
}

TEST(FileSafetyTest, FixCommandsQuoteThePath) {
  TempDir tmp;
  const fs::path dir = make_dir(tmp.path() / "my data", 0777);
  const auto r = check_path(dir, Trust::kDirectory, "the data directory");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message, "run 'chmod 700 \"" + dir.string() + "\"'"))
      << r.error().message;
}

TEST(FileSafetyTest, EveryCodeHasADistinctName) {
  std::set<std::string_view> names;
  for (const UnsafeFileCode code :
       {UnsafeFileCode::kMissing, UnsafeFileCode::kWrongType, UnsafeFileCode::kSymlink,
        UnsafeFileCode::kWrongOwner, UnsafeFileCode::kWritableByOthers,
        UnsafeFileCode::kReadableByOthers, UnsafeFileCode::kIo}) {
    EXPECT_TRUE(names.insert(to_string(code)).second) << to_string(code);
  }
}

}  // namespace
}  // namespace signet
