#include "signet/client/dpop_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "signet/jose/json.h"
#include "signet/jose/private_jwk.h"
#include "tests/test_common/rfc_vectors.h"
#include "tests/test_common/temp_dir.h"
#include "tests/test_common/test_keys.h"

namespace signet::client {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using signet::testing::TempDir;

constexpr jose::Algorithm kAllAlgorithms[] = {jose::Algorithm::kES256, jose::Algorithm::kEdDSA,
                                              jose::Algorithm::kRS256, jose::Algorithm::kPS256};

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return 0;
  }
  return st.st_mode & 07777;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ::chmod(path.c_str(), mode);
}

// A private JWK of `key` with its alg, as the file holds it.
std::string key_file_text(const jose::Jwk& key) {
  return json::serialize(jose::to_private_json(key).value());
}

class DpopKeyTest : public ::testing::Test {
 protected:
  // Two levels that do not exist yet, as on a first run (~/.cache/signet/).
  fs::path file() const { return dir_.path() / "cache" / "signet" / "dpop-key.json"; }

  // Writes a key file in place, as a user who brings their own key would.
  void place(const std::string& text, mode_t mode = 0600) const {
    fs::create_directories(file().parent_path());
    write_file(file(), text, mode);
  }

  std::string load_error() const {
    auto loaded = load_dpop_key(file());
    EXPECT_FALSE(loaded.ok());
    return loaded.ok() ? "" : loaded.error();
  }

  TempDir dir_;
};

TEST(DpopKeyPath, IsBesideTheTokenCache) {
  EXPECT_EQ(default_dpop_key_path("/home/u/.cache/signet/tokens.json"),
            fs::path("/home/u/.cache/signet/dpop-key.json"));
  EXPECT_EQ(default_dpop_key_path("/tmp/my-tokens"), fs::path("/tmp/dpop-key.json"));
  EXPECT_EQ(default_dpop_key_path("tokens.json"), fs::path("./dpop-key.json"));
}

TEST_F(DpopKeyTest, WithoutAFileThereIsNoKeyAndNothingIsCreated) {
  auto loaded = load_dpop_key(file());
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_FALSE(loaded->has_value());
  EXPECT_FALSE(fs::exists(file().parent_path()));
}

TEST_F(DpopKeyTest, FirstUseMakesAnEs256KeyOwnerOnlyInOwnerOnlyDirectories) {
  auto made = load_or_create_dpop_key(file(), std::nullopt);
  ASSERT_TRUE(made.ok()) << made.error();
  EXPECT_TRUE(made->created);
  EXPECT_EQ(made->key.alg, jose::Algorithm::kES256);
  EXPECT_TRUE(made->key.has_private);
  EXPECT_EQ(made->jkt, jose::thumbprint(made->key));
  EXPECT_EQ(mode_of(file()), 0600u);
  EXPECT_EQ(mode_of(file().parent_path()), 0700u);
  EXPECT_EQ(mode_of(file().parent_path().parent_path()), 0700u);

  // The documented format: one private JWK with its alg.
  const json::object on_disk = json::parse(read_all(file())).as_object();
  EXPECT_EQ(on_disk.at("kty"), "EC");
  EXPECT_EQ(on_disk.at("crv"), "P-256");
  EXPECT_EQ(on_disk.at("alg"), "ES256");
  EXPECT_TRUE(on_disk.contains("d"));
}

TEST_F(DpopKeyTest, LaterUsesLoadTheSameKey) {
  auto made = load_or_create_dpop_key(file(), std::nullopt);
  ASSERT_TRUE(made.ok()) << made.error();
  const std::string text = read_all(file());
  auto again = load_or_create_dpop_key(file(), std::nullopt);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->jkt, made->jkt);
  EXPECT_EQ(jose::to_public_json(again->key), jose::to_public_json(made->key));
  auto loaded = load_dpop_key(file());
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->jkt, made->jkt);
  EXPECT_EQ(read_all(file()), text);  // never rewritten
}

class DpopKeyAlgorithm : public DpopKeyTest,
                         public ::testing::WithParamInterface<jose::Algorithm> {};

TEST_P(DpopKeyAlgorithm, IsMadeAsAskedAndKeptOnReload) {
  auto made = load_or_create_dpop_key(file(), GetParam());
  ASSERT_TRUE(made.ok()) << made.error();
  EXPECT_EQ(made->key.alg, GetParam());
  auto loaded = load_dpop_key(file());
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->key.alg, GetParam());
  EXPECT_EQ((*loaded)->jkt, made->jkt);
  // The same algorithm asked for again is the same key.
  auto again = load_or_create_dpop_key(file(), GetParam());
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->jkt, made->jkt);
}

INSTANTIATE_TEST_SUITE_P(EveryProofAlgorithm, DpopKeyAlgorithm, ::testing::ValuesIn(kAllAlgorithms),
                         [](const auto& info) { return std::string(jose::to_string(info.param)); });

TEST_F(DpopKeyTest, AnExistingKeyIsNeverReplacedByAnotherAlgorithm) {
  auto made = load_or_create_dpop_key(file(), jose::Algorithm::kES256);
  ASSERT_TRUE(made.ok()) << made.error();
  const std::string text = read_all(file());
  auto other = load_or_create_dpop_key(file(), jose::Algorithm::kPS256);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().find("is ES256, not PS256"), std::string::npos) << other.error();
  EXPECT_NE(other.error().find("another --dpop-key FILE"), std::string::npos) << other.error();
  EXPECT_EQ(read_all(file()), text);
}

TEST_F(DpopKeyTest, AKeyTheUserBroughtIsUsed) {
  // RFC 7515 A.3's P-256 key, with the alg a DPoP key needs.
  json::object jwk = json::parse(testing::kRfc7515A3PrivateJwk).as_object();
  jwk["alg"] = "ES256";
  place(json::serialize(jwk));
  auto loaded = load_dpop_key(file());
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->key.alg, jose::Algorithm::kES256);
  EXPECT_EQ((*loaded)->jkt, jose::thumbprint((*loaded)->key));
}

TEST_F(DpopKeyTest, AFileOthersCanReadOrWriteIsRefusedAndLeftAlone) {
  place(key_file_text(testing::test_key(jose::Algorithm::kES256)));
  const std::string text = read_all(file());
  for (const mode_t mode : {0640, 0604, 0660, 0606, 0602, 0620}) {
    ::chmod(file().c_str(), mode);
    const std::string error = load_error();
    EXPECT_NE(error.find("chmod 600"), std::string::npos) << std::oct << mode << ": " << error;
    EXPECT_NE(error.find(file().string()), std::string::npos) << error;
    auto created = load_or_create_dpop_key(file(), std::nullopt);
    EXPECT_FALSE(created.ok()) << std::oct << mode;
    EXPECT_EQ(read_all(file()), text);
    EXPECT_EQ(mode_of(file()), mode);
  }
  ::chmod(file().c_str(), 0400);  // read-only for the owner is fine
  EXPECT_TRUE(load_dpop_key(file()).ok());
}

TEST_F(DpopKeyTest, ADirectoryOthersCanWriteIsRefused) {
  place(key_file_text(testing::test_key(jose::Algorithm::kES256)));
  ::chmod(file().parent_path().c_str(), 0777);
  EXPECT_NE(load_error().find("chmod 700"), std::string::npos) << load_error();
  EXPECT_FALSE(load_or_create_dpop_key(file(), std::nullopt).ok());
}

TEST_F(DpopKeyTest, ASymbolicLinkIsRefusedEvenToAGoodKey) {
  const fs::path target = dir_.path() / "elsewhere.json";
  write_file(target, key_file_text(testing::test_key(jose::Algorithm::kES256)));
  fs::create_directories(file().parent_path());
  fs::create_symlink(target, file());
  EXPECT_NE(load_error().find("symbolic link"), std::string::npos) << load_error();
  EXPECT_FALSE(load_or_create_dpop_key(file(), std::nullopt).ok());
  EXPECT_TRUE(fs::is_symlink(file()));
}

TEST_F(DpopKeyTest, WhatIsNotARegularFileIsRefusedWithoutHanging) {
  fs::create_directories(file());
  EXPECT_FALSE(load_error().empty());
  EXPECT_FALSE(load_or_create_dpop_key(file(), std::nullopt).ok());
  fs::remove(file());
  ASSERT_EQ(::mkfifo(file().c_str(), 0600), 0);
  EXPECT_NE(load_error().find("regular file"), std::string::npos) << load_error();
}

TEST_F(DpopKeyTest, WhatIsNotAPrivateDpopKeyIsRefusedAndNeverReplaced) {
  json::object no_alg = jose::to_private_json(testing::test_key(jose::Algorithm::kES256)).value();
  no_alg.erase("alg");
  json::object public_only =
      jose::to_public_json(testing::public_half(testing::test_key(jose::Algorithm::kES256)));
  const std::pair<std::string, std::string> cases[] = {
      {"", "not a JSON private JWK"},
      {"-----BEGIN PRIVATE KEY-----\n", "not a JSON private JWK"},
      {R"({"kty":"oct","k":"c2VjcmV0","alg":"HS256"})", "not a usable JWK"},
      {json::serialize(public_only), "not a private key"},
      {json::serialize(no_alg), "has no \"alg\""},
      {std::string(kMaxDpopKeyFileBytes + 1, ' '), "larger than"},
  };
  for (const auto& [text, why] : cases) {
    place(text);
    const std::string error = load_error();
    EXPECT_NE(error.find(why), std::string::npos) << why << ": " << error;
    EXPECT_NE(error.find("remove it to make a new key"), std::string::npos) << error;
    EXPECT_FALSE(load_or_create_dpop_key(file(), std::nullopt).ok()) << why;
    EXPECT_EQ(read_all(file()), text);
  }
}

TEST_F(DpopKeyTest, NowhereToWriteIsAnErrorThatNamesThePlace) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root writes anywhere";
  }
  fs::create_directories(file().parent_path());
  ::chmod(file().parent_path().c_str(), 0500);
  auto made = load_or_create_dpop_key(file(), std::nullopt);
  ::chmod(file().parent_path().c_str(), 0700);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().find("cannot write the DPoP key file"), std::string::npos) << made.error();
}

TEST_F(DpopKeyTest, ADirectoryThatCannotBeMadeIsAnErrorThatNamesIt) {
  // A regular file where a directory must go: mkdir fails whoever runs the test, root included.
  write_file(dir_.path() / "cache", "not a directory");
  auto made = load_or_create_dpop_key(file(), std::nullopt);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().find("the DPoP key directory"), std::string::npos) << made.error();
}

}  // namespace
}  // namespace signet::client
