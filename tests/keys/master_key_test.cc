#include "signet/keys/master_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "signet/jose/base64url.h"
#include "tests/store/store_test_support.h"

namespace signet::keys {
namespace {

using store::testing::TempDir;

std::string hex_key() {
  std::string s;
  for (int i = 0; i < 32; ++i) {
    s += "0123456789abcdef"[i % 16];
    s += "fedcba9876543210"[i % 16];
  }
  return s;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 0777;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(MasterKeyTest, FromEnvironmentHex) {
  TempDir dir;
  auto key = MasterKey::load(hex_key(), dir.path());
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->bytes()[0], 0x0f);
  EXPECT_EQ(key->bytes()[1], 0x1e);
  // Upper-case hex is the same key.
  std::string upper = hex_key();
  for (auto& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  auto same = MasterKey::load(upper, dir.path());
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(std::equal(key->bytes().begin(), key->bytes().end(), same->bytes().begin()));
  // The environment wins: no key file is created.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "master.key"));
}

TEST(MasterKeyTest, FromEnvironmentBase64url) {
  TempDir dir;
  std::array<std::uint8_t, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(0xf0 + i);
  }
  auto key = MasterKey::load(jose::base64url_encode(bytes), dir.path());
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), key->bytes().begin()));
}

TEST(MasterKeyTest, BadEnvironmentValuesAreRefusedNamingTheVariable) {
  TempDir dir;
  const std::string b64_31 = jose::base64url_encode(std::string(31, 'x'));
  const std::string b64_33 = jose::base64url_encode(std::string(33, 'x'));
  const std::string cases[] = {
      "",
      "short",
      hex_key().substr(2),        // 31 bytes of hex
      hex_key() + "00",           // 33 bytes of hex
      "g" + hex_key().substr(1),  // not hex
      b64_31,
      b64_33,
      jose::base64url_encode(std::string(32, 'x')) + "=",  // padded
      " " + hex_key(),
      std::string(43, '+'),  // base64, not base64url
  };
  for (const auto& value : cases) {
    auto key = MasterKey::load(value, dir.path());
    ASSERT_FALSE(key.ok()) << value;
    EXPECT_EQ(key.error().code, KeyErrorCode::kMasterKeyMalformed);
    EXPECT_NE(key.error().message.find("SIGNET_MASTER_KEY"), std::string::npos);
    if (!value.empty()) {
      EXPECT_EQ(key.error().message.find(value), std::string::npos) << "must not echo the value";
    }
  }
}

TEST(MasterKeyTest, KeyFileIsCreated0600AndReused) {
  TempDir dir;
  const std::string path = dir.file("master.key");
  auto first = MasterKey::load(std::nullopt, dir.path());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(mode_of(path), 0600u);
  const std::string text = read_file(path);
  EXPECT_EQ(text.size(), 44u);  // 43 base64url characters and a newline
  auto second = MasterKey::load(std::nullopt, dir.path());
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(std::equal(first->bytes().begin(), first->bytes().end(), second->bytes().begin()));
  EXPECT_EQ(read_file(path), text);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(MasterKeyTest, KeysFromTwoDataDirectoriesDiffer) {
  TempDir a;
  TempDir b;
  auto ka = MasterKey::load(std::nullopt, a.path());
  auto kb = MasterKey::load(std::nullopt, b.path());
  ASSERT_TRUE(ka.ok() && kb.ok());
  EXPECT_FALSE(std::equal(ka->bytes().begin(), ka->bytes().end(), kb->bytes().begin()));
}

TEST(MasterKeyTest, GroupOrOtherReadableKeyFileIsRefused) {
  for (const mode_t mode : {0640, 0604, 0660, 0644, 0610}) {
    TempDir dir;
    const std::string path = dir.file("master.key");
    ASSERT_TRUE(MasterKey::load(std::nullopt, dir.path()).ok());
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto key = MasterKey::load(std::nullopt, dir.path());
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_EQ(key.error().code, KeyErrorCode::kMasterKeyFileInsecure);
    EXPECT_NE(key.error().message.find("chmod 600 " + path), std::string::npos)
        << key.error().message;
  }
}

TEST(MasterKeyTest, MalformedKeyFileIsRefused) {
  for (const std::string& content : {std::string(""), std::string("abc\n"), hex_key() + "\n",
                                     std::string(43, '*') + "\n", std::string(300, 'A')}) {
    TempDir dir;
    const std::string path = dir.file("master.key");
    {
      std::ofstream out(path);
      out << content;
    }
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    auto key = MasterKey::load(std::nullopt, dir.path());
    ASSERT_FALSE(key.ok()) << content;
    EXPECT_EQ(key.error().code, KeyErrorCode::kMasterKeyFileMalformed);
    EXPECT_NE(key.error().message.find(path), std::string::npos);
  }
}

TEST(MasterKeyTest, SymlinkedKeyFileIsRefused) {
  TempDir dir;
  TempDir other;
  ASSERT_TRUE(MasterKey::load(std::nullopt, other.path()).ok());
  std::filesystem::create_symlink(other.path() / "master.key", dir.path() / "master.key");
  auto key = MasterKey::load(std::nullopt, dir.path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, KeyErrorCode::kMasterKeyFileInsecure);
  EXPECT_NE(key.error().message.find("symbolic link"), std::string::npos) << key.error().message;
  EXPECT_NE(key.error().message.find((dir.path() / "master.key").string()), std::string::npos);
}

TEST(MasterKeyTest, KeyFileOthersCanWriteIsRefused) {
  // Whoever can write it could make signet seal new signing keys under a key they know.
  for (const mode_t mode : {0620, 0602, 0622}) {
    TempDir dir;
    const std::string path = dir.file("master.key");
    ASSERT_TRUE(MasterKey::load(std::nullopt, dir.path()).ok());
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto key = MasterKey::load(std::nullopt, dir.path());
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_EQ(key.error().code, KeyErrorCode::kMasterKeyFileInsecure);
    EXPECT_NE(key.error().message.find("writable by group or others"), std::string::npos)
        << key.error().message;
  }
}

TEST(MasterKeyTest, AnotherUsersKeyFileIsRefused) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to give the key file to another user";
  }
  constexpr uid_t kNobody = 65534;
  TempDir dir;
  const std::string path = dir.file("master.key");
  ASSERT_TRUE(MasterKey::load(std::nullopt, dir.path()).ok());
  ASSERT_EQ(::chown(path.c_str(), kNobody, kNobody), 0);
  auto key = MasterKey::load(std::nullopt, dir.path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, KeyErrorCode::kMasterKeyFileInsecure);
  EXPECT_NE(key.error().message.find("sudo chown root " + path), std::string::npos)
      << key.error().message;
}

TEST(MasterKeyTest, KeyFileThatIsNoRegularFileIsRefusedWithoutHanging) {
  TempDir dir;
  const std::string path = dir.file("master.key");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);  // opened without O_NONBLOCK, this would block
  auto key = MasterKey::load(std::nullopt, dir.path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, KeyErrorCode::kMasterKeyFileInsecure);
  EXPECT_NE(key.error().message.find("not a regular file"), std::string::npos)
      << key.error().message;
}

TEST(MasterKeyTest, MovedFromKeyIsZeroed) {
  MasterKey a = MasterKey::generate();
  MasterKey b = std::move(a);
  for (const auto byte : a.bytes()) {  // NOLINT(bugprone-use-after-move): checking the wipe
    EXPECT_EQ(byte, 0);
  }
}

}  // namespace
}  // namespace signet::keys
