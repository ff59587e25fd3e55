#include "signet/client/token_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json.hpp>

#include "signet/jose/crypto.h"
#include "tests/test_common/temp_dir.h"

namespace signet::client {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// 2026-11-29T00:00:00Z: a fixed "now", so every time in these tests is exact.
constexpr sys_seconds kT0{seconds{1795910400}};

using signet::testing::TempDir;

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return 0;
  }
  return st.st_mode & 07777;
}

ino_t inode_of(const fs::path& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st.st_ino;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `text` as a file with `mode`, as another program (or an older signet) might have.
void write_file(const fs::path& path, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ::chmod(path.c_str(), mode);
}

CachedToken token(std::string access_token, sys_seconds obtained_at, seconds lifetime,
                  std::string scope = "read:messages") {
  return CachedToken{std::move(access_token), "Bearer",   std::move(scope), obtained_at,
                     obtained_at + lifetime,  EntryTags{}};
}

// The keys of the entries in a cache file.
std::vector<std::string> stored_keys(const fs::path& path) {
  std::vector<std::string> keys;
  const auto doc = json::parse(read_all(path));
  for (const auto& [key, value] : doc.at("tokens").as_object()) {
    keys.emplace_back(key);
  }
  return keys;
}

class TokenCacheTest : public ::testing::Test {
 protected:
  fs::path file() const { return dir_.path() / "signet" / "tokens.json"; }
  TokenCache cache() const { return TokenCache(file()); }

  std::optional<CachedToken> hit(std::string_view key, sys_seconds now) const {
    auto found = cache().lookup(key, now);
    EXPECT_TRUE(found.ok()) << found.error();
    return found.ok() ? *found : std::nullopt;
  }

  void store(std::string_view key, const CachedToken& t, sys_seconds now) const {
    auto stored = cache().store(key, t, now);
    ASSERT_TRUE(stored.ok()) << stored.error();
  }

  TempDir dir_;
};

// --- keys ---------------------------------------------------------------------------------------

const CacheKeyParts kParts{"http://localhost:4000/", "client-a",
                           "Zq3mV8xw1bN0pR7sT4uY6iO2eA9dF5gH1jK3lC8vB0n", "https://quickstarts/api",
                           "read:messages"};

TEST(CacheKey, IsHexSha256AndStable) {
  const std::string key = cache_key(kParts);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos) << key;
  EXPECT_EQ(cache_key(kParts), key);
}

TEST(CacheKey, EveryPartChangesTheKey) {
  const std::string base = cache_key(kParts);
  CacheKeyParts p = kParts;
  p.issuer = "http://localhost:4000";  // the trailing slash is part of the issuer
  EXPECT_NE(cache_key(p), base);
  p = kParts;
  p.client_id = "client-b";
  EXPECT_NE(cache_key(p), base);
  p = kParts;
  p.audience = "https://quickstarts/api/";
  EXPECT_NE(cache_key(p), base);
  p = kParts;
  p.scope = "read:messages write:messages";
  EXPECT_NE(cache_key(p), base);
  p = kParts;
  p.scope = "";
  EXPECT_NE(cache_key(p), base);
  p = kParts;
  p.client_secret = "another-secret";
  EXPECT_NE(cache_key(p), base);
}

TEST(CacheKey, TheSameSecretGivesTheSameKeyAndAnotherSecretAnother) {
  CacheKeyParts a = kParts;
  CacheKeyParts b = kParts;
  const std::string same(kParts.client_secret);  // equal bytes, another buffer
  b.client_secret = same;
  EXPECT_EQ(cache_key(a), cache_key(b));
  for (const std::string_view wrong : {"", "x", "Zq3mV8xw1bN0pR7sT4uY6iO2eA9dF5gH1jK3lC8vB0m",
                                       "Zq3mV8xw1bN0pR7sT4uY6iO2eA9dF5gH1jK3lC8vB0n "}) {
    b.client_secret = wrong;
    EXPECT_NE(cache_key(a), cache_key(b)) << wrong;
  }
  // The secret is a part of its own: moving bytes between it and its neighbours changes the key.
  a.client_secret = "ab";
  a.audience = "c";
  b.client_secret = "a";
  b.audience = "bc";
  EXPECT_NE(cache_key(a), cache_key(b));
}

TEST(CacheKey, KeysOfOlderVersionsAreNotMadeAnyMore) {
  // v1 keys hashed issuer, client, audience, scope and username, without the secret: an entry
  // stored under one must never be found again (its token was served to any secret).
  std::string v1 = "signet token cache v1";
  for (const std::string_view part :
       {kParts.issuer, kParts.client_id, kParts.audience, kParts.scope, std::string_view{}}) {
    v1 += "\n" + std::to_string(part.size()) + ":" + std::string(part);
  }
  const std::string old_key = jose::to_hex(jose::sha256(v1));
  EXPECT_NE(cache_key(kParts), old_key);
  CacheKeyParts no_secret = kParts;
  no_secret.client_secret = "";
  EXPECT_NE(cache_key(no_secret), old_key);
}

TEST(CacheKey, ADpopKeyIsAPartAndBearerKeysStayAsTheyWere) {
  // The v2 key of a bearer token, as it was before DPoP: its entries are still found.
  std::string v2 = "signet token cache v2";
  for (const std::string_view part :
       {kParts.issuer, kParts.client_id, kParts.client_secret, kParts.audience, kParts.scope}) {
    v2 += "\n" + std::to_string(part.size()) + ":" + std::string(part);
  }
  EXPECT_EQ(cache_key(kParts), jose::to_hex(jose::sha256(v2)));

  CacheKeyParts bound_a = kParts;
  bound_a.jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
  CacheKeyParts bound_b = kParts;
  bound_b.jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
  EXPECT_NE(cache_key(bound_a), cache_key(kParts));
  EXPECT_NE(cache_key(bound_a), cache_key(bound_b));
  // The thumbprint is a part of its own: moving the scope's bytes into it changes the key.
  CacheKeyParts moved = bound_a;
  moved.scope = "read:";
  const std::string moved_jkt = "messages" + std::string(bound_a.jkt);  // the parts are views
  moved.jkt = moved_jkt;
  EXPECT_NE(cache_key(moved), cache_key(bound_a));
}

TEST(EntryTags, NameIssuerClientAndAudienceByHashOnly) {
  const EntryTags tags = entry_tags(kParts);
  for (const std::string* tag : {&tags.issuer, &tags.client, &tags.audience}) {
    EXPECT_EQ(tag->size(), 64u);
    EXPECT_EQ(tag->find_first_not_of("0123456789abcdef"), std::string::npos) << *tag;
  }
  EXPECT_NE(tags.issuer, tags.client);
  EXPECT_NE(tags.client, tags.audience);
  // Neither the secret nor the scope is in them; the issuer is in all of them.
  CacheKeyParts p = kParts;
  p.client_secret = "another";
  p.scope = "another";
  const EntryTags same = entry_tags(p);
  EXPECT_EQ(same.issuer, tags.issuer);
  EXPECT_EQ(same.client, tags.client);
  EXPECT_EQ(same.audience, tags.audience);
  p.issuer = "http://127.0.0.1:4000/";
  const EntryTags other = entry_tags(p);
  EXPECT_NE(other.issuer, tags.issuer);
  EXPECT_NE(other.client, tags.client);
  EXPECT_NE(other.audience, tags.audience);
}

TEST(CacheKey, ScopeIsASetOfWords) {
  CacheKeyParts a = kParts;
  CacheKeyParts b = kParts;
  a.scope = "read:messages write:messages";
  b.scope = " write:messages  read:messages read:messages";
  EXPECT_EQ(cache_key(a), cache_key(b));
}

TEST(CacheKey, PartBoundariesAreUnambiguous) {
  CacheKeyParts a = kParts;
  CacheKeyParts b = kParts;
  a.client_id = "ab";
  a.audience = "c";
  b.client_id = "a";
  b.audience = "bc";
  EXPECT_NE(cache_key(a), cache_key(b));
}

// --- margin -------------------------------------------------------------------------------------

struct MarginCase {
  long lifetime;  // s
  long margin;    // s
};

class Margin : public ::testing::TestWithParam<MarginCase> {};

TEST_P(Margin, IsTheLargerOf30SecondsAndATenthOfTheLifetime) {
  const auto& c = GetParam();
  const CachedToken t = token("t", kT0, seconds{c.lifetime});
  EXPECT_EQ(refresh_margin(t), seconds{c.margin});
  // One second on each side of the boundary.
  EXPECT_TRUE(usable(t, t.expires_at - seconds{c.margin} - seconds{1}));
  EXPECT_FALSE(usable(t, t.expires_at - seconds{c.margin}));
  EXPECT_FALSE(usable(t, t.expires_at - seconds{c.margin} + seconds{1}));
}

INSTANTIATE_TEST_SUITE_P(Lifetimes, Margin,
                         ::testing::Values(MarginCase{60, 30}, MarginCase{299, 30},
                                           MarginCase{300, 30}, MarginCase{310, 31},
                                           MarginCase{3600, 360}, MarginCase{86400, 8640}));

TEST(Margin, ATokenShorterThanTheMarginIsNeverUsable) {
  const CachedToken t = token("t", kT0, seconds{20});
  EXPECT_FALSE(usable(t, kT0));
}

TEST_F(TokenCacheTest, LookupHonoursTheMarginToTheSecond) {
  const std::string key = cache_key(kParts);
  store(key, token("tok", kT0, seconds{86400}), kT0);
  const sys_seconds boundary = kT0 + seconds{86400 - 8640};
  EXPECT_TRUE(hit(key, boundary - seconds{1}));
  EXPECT_FALSE(hit(key, boundary));
  EXPECT_FALSE(hit(key, boundary + seconds{1}));
}

// --- hits and misses ----------------------------------------------------------------------------

TEST_F(TokenCacheTest, MissingFileAndDirectoryAreMisses) {
  EXPECT_FALSE(hit(cache_key(kParts), kT0));
  EXPECT_FALSE(fs::exists(file().parent_path()));  // looking creates nothing
}

TEST_F(TokenCacheTest, StoredTokenComesBackWithItsFields) {
  const std::string key = cache_key(kParts);
  store(key, token("eyJ.a.b", kT0, seconds{3600}, "read:messages write:messages"), kT0);
  const auto found = hit(key, kT0 + seconds{60});
  ASSERT_TRUE(found);
  EXPECT_EQ(found->access_token, "eyJ.a.b");
  EXPECT_EQ(found->token_type, "Bearer");
  EXPECT_EQ(found->scope, "read:messages write:messages");
  EXPECT_EQ(found->obtained_at, kT0);
  EXPECT_EQ(found->expires_at, kT0 + seconds{3600});
}

TEST_F(TokenCacheTest, EachKeyPartHasItsOwnEntry) {
  store(cache_key(kParts), token("base", kT0, seconds{3600}), kT0);
  std::vector<CacheKeyParts> others(5, kParts);
  others[0].issuer = "http://127.0.0.1:4000/";
  others[1].client_id = "client-b";
  others[2].audience = "https://other/api";
  others[3].scope = "write:messages";
  others[4].client_secret = "a-wrong-secret";
  for (const auto& parts : others) {
    EXPECT_FALSE(hit(cache_key(parts), kT0)) << parts.issuer << " " << parts.client_id;
  }
  for (std::size_t i = 0; i < others.size(); ++i) {
    store(cache_key(others[i]), token("t" + std::to_string(i), kT0, seconds{3600}), kT0);
  }
  EXPECT_EQ(hit(cache_key(kParts), kT0)->access_token, "base");
  for (std::size_t i = 0; i < others.size(); ++i) {
    EXPECT_EQ(hit(cache_key(others[i]), kT0)->access_token, "t" + std::to_string(i));
  }
}

TEST_F(TokenCacheTest, StoringAgainReplacesTheEntry) {
  const std::string key = cache_key(kParts);
  store(key, token("old", kT0, seconds{3600}), kT0);
  store(key, token("new", kT0 + seconds{10}, seconds{3600}), kT0 + seconds{10});
  EXPECT_EQ(hit(key, kT0 + seconds{20})->access_token, "new");
  EXPECT_EQ(stored_keys(file()).size(), 1u);
}

TEST_F(TokenCacheTest, NoSecretOrNameInTheFile) {
  // Only what the key and the tags were hashed from is known to the cache: the file has hashes,
  // not names, and never the secret.
  CachedToken t = token("tok", kT0, seconds{3600});
  t.tags = entry_tags(kParts);
  store(cache_key(kParts), t, kT0);
  const std::string text = read_all(file());
  EXPECT_EQ(text.find(kParts.client_secret), std::string::npos) << text;
  EXPECT_EQ(text.find("client-a"), std::string::npos) << text;
  EXPECT_EQ(text.find("localhost"), std::string::npos) << text;
  EXPECT_EQ(text.find("quickstarts"), std::string::npos) << text;
}

TEST_F(TokenCacheTest, TagsComeBackAndEntriesWithoutTagsAreRead) {
  CachedToken t = token("tagged", kT0, seconds{3600});
  t.tags = entry_tags(kParts);
  store("tagged", t, kT0);
  store("untagged", token("untagged", kT0, seconds{3600}), kT0);
  const auto tagged = hit("tagged", kT0);
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->tags.issuer, t.tags.issuer);
  EXPECT_EQ(tagged->tags.client, t.tags.client);
  EXPECT_EQ(tagged->tags.audience, t.tags.audience);
  const auto untagged = hit("untagged", kT0);
  ASSERT_TRUE(untagged);
  EXPECT_EQ(untagged->tags.issuer, "");
  const auto doc = json::parse(read_all(file()));
  EXPECT_FALSE(doc.at("tokens").at("untagged").as_object().contains("issuer_tag"));
}

// --- expiry -------------------------------------------------------------------------------------

TEST_F(TokenCacheTest, StoreDropsEntriesNoLongerUsable) {
  CacheKeyParts short_lived = kParts;
  short_lived.scope = "short";
  store(cache_key(short_lived), token("short", kT0, seconds{100}), kT0);  // usable until T0+70
  store(cache_key(kParts), token("long", kT0, seconds{3600}), kT0);
  EXPECT_EQ(stored_keys(file()).size(), 2u);

  CacheKeyParts other = kParts;
  other.scope = "other";
  store(cache_key(other), token("other", kT0 + seconds{69}, seconds{3600}), kT0 + seconds{69});
  EXPECT_EQ(stored_keys(file()).size(), 3u);  // one second before its margin: kept

  store(cache_key(other), token("other", kT0 + seconds{70}, seconds{3600}), kT0 + seconds{70});
  const auto keys = stored_keys(file());
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), cache_key(short_lived)), 0);
  EXPECT_EQ(read_all(file()).find("\"short\""), std::string::npos);
}

TEST_F(TokenCacheTest, ExpiredTokenIsAMissNotAnError) {
  const std::string key = cache_key(kParts);
  store(key, token("tok", kT0, seconds{3600}), kT0);
  const auto found = cache().lookup(key, kT0 + seconds{7200});
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_FALSE(*found);
}

TEST_F(TokenCacheTest, BeyondTheEntryLimitTheSoonestToExpireGo) {
  fs::create_directories(file().parent_path());
  json::object tokens;
  for (std::size_t i = 0; i < kMaxCacheEntries; ++i) {
    tokens["k" + std::to_string(i)] = json::object{
        {"access_token", "t" + std::to_string(i)},
        {"token_type", "Bearer"},
        {"scope", ""},
        {"obtained_at", kT0.time_since_epoch().count()},
        {"expires_at", (kT0 + seconds{3600 + static_cast<long>(i)}).time_since_epoch().count()}};
  }
  write_file(file(), json::serialize(json::object{{"version", 1}, {"tokens", tokens}}));
  EXPECT_EQ(hit("k0", kT0)->access_token, "t0");

  store("new", token("new", kT0, seconds{7200}), kT0);
  const auto keys = stored_keys(file());
  EXPECT_EQ(keys.size(), kMaxCacheEntries);
  EXPECT_FALSE(hit("k0", kT0));  // expired soonest
  EXPECT_TRUE(hit("k1", kT0));
  EXPECT_EQ(hit("new", kT0)->access_token, "new");
}

// --- file and directory modes -------------------------------------------------------------------

TEST_F(TokenCacheTest, FileIs0600AndNewDirectories0700) {
  const fs::path deep = dir_.path() / "cache" / "signet" / "tokens.json";
  const mode_t old_umask = ::umask(0);  // even with a permissive umask
  auto stored = TokenCache(deep).store("k", token("tok", kT0, seconds{3600}), kT0);
  ::umask(old_umask);
  ASSERT_TRUE(stored.ok()) << stored.error();
  EXPECT_EQ(mode_of(deep), 0600u);
  EXPECT_EQ(mode_of(deep.parent_path()), 0700u);
  EXPECT_EQ(mode_of(deep.parent_path().parent_path()), 0700u);
}

TEST_F(TokenCacheTest, ExistingDirectoryIsLeftAsItIs) {
  fs::create_directories(file().parent_path());
  ::chmod(file().parent_path().c_str(), 0755);
  store("k", token("tok", kT0, seconds{3600}), kT0);
  EXPECT_EQ(mode_of(file().parent_path()), 0755u);
  EXPECT_EQ(mode_of(file()), 0600u);
}

TEST_F(TokenCacheTest, FileReadableByGroupOrOthersIsRefused) {
  store("k", token("tok", kT0, seconds{3600}), kT0);
  for (const mode_t mode : {0640, 0604, 0660, 0606, 0602, 0620}) {
    ::chmod(file().c_str(), mode);
    const std::string before = read_all(file());
    auto found = cache().lookup("k", kT0);
    ASSERT_FALSE(found.ok()) << std::oct << mode;
    EXPECT_NE(found.error().find("chmod 600"), std::string::npos) << found.error();
    EXPECT_NE(found.error().find(file().string()), std::string::npos) << found.error();
    auto stored = cache().store("k2", token("tok2", kT0, seconds{3600}), kT0);
    ASSERT_FALSE(stored.ok()) << std::oct << mode;
    EXPECT_EQ(read_all(file()), before);  // refused means untouched
    EXPECT_EQ(mode_of(file()), mode);
  }
  ::chmod(file().c_str(), 0600);
  EXPECT_EQ(hit("k", kT0)->access_token, "tok");
  ::chmod(file().c_str(), 0400);  // read-only for the owner is fine
  EXPECT_EQ(hit("k", kT0)->access_token, "tok");
}

TEST_F(TokenCacheTest, DirectoryWritableByOthersIsRefused) {
  store("k", token("tok", kT0, seconds{3600}), kT0);
  ::chmod(file().parent_path().c_str(), 0777);
  auto found = cache().lookup("k", kT0);
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.error().find("chmod 700"), std::string::npos) << found.error();
  EXPECT_FALSE(cache().store("k", token("tok", kT0, seconds{3600}), kT0).ok());
}

TEST_F(TokenCacheTest, SymbolicLinkIsRefused) {
  fs::create_directories(file().parent_path());
  const fs::path target = dir_.path() / "elsewhere.json";
  write_file(target, "{}");
  fs::create_symlink(target, file());
  auto found = cache().lookup("k", kT0);
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.error().find("symbolic link"), std::string::npos) << found.error();
  EXPECT_FALSE(cache().store("k", token("tok", kT0, seconds{3600}), kT0).ok());
  EXPECT_EQ(read_all(target), "{}");
}

TEST_F(TokenCacheTest, DirectoryInsteadOfTheFileIsRefused) {
  fs::create_directories(file());
  EXPECT_FALSE(cache().lookup("k", kT0).ok());
  EXPECT_FALSE(cache().store("k", token("tok", kT0, seconds{3600}), kT0).ok());
}

// --- corrupt files ------------------------------------------------------------------------------

class CorruptFile : public TokenCacheTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(CorruptFile, IsAMissAndIsReplacedOnStore) {
  fs::create_directories(file().parent_path());
  write_file(file(), GetParam());
  auto found = cache().lookup("k", kT0);
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_FALSE(*found);
  store("k", token("tok", kT0, seconds{3600}), kT0);
  EXPECT_EQ(hit("k", kT0)->access_token, "tok");
  EXPECT_EQ(mode_of(file()), 0600u);
}

INSTANTIATE_TEST_SUITE_P(
    Contents, CorruptFile,
    ::testing::Values(
        "", "{", "[]", "null", "\xff\xfe garbage", R"({"version":2,"tokens":{}})",
        R"({"version":"1","tokens":{}})", R"({"version":1,"tokens":[]})", R"({"version":1})",
        R"({"version":1,"version":1,"tokens":{}})",
        R"({"version":1,"tokens":{"k":{"access_token":"","token_type":"Bearer","scope":"","obtained_at":1,"expires_at":99999999999}}})",
        R"({"version":1,"tokens":{"k":{"access_token":"x","token_type":"Bearer","scope":"","obtained_at":"1","expires_at":99999999999}}})",
        R"({"version":1,"tokens":{"k":{"access_token":"x","token_type":"Bearer","scope":"","obtained_at":99999999999,"expires_at":1}}})",
        R"({"version":1,"tokens":{"k":"x"}})",
        R"({"version":1,"tokens":{"k":{"access_token":"x","token_type":"Bearer","scope":"","obtained_at":1,"expires_at":99999999999,"issuer_tag":7}}})",
        std::string(kMaxCacheFileBytes + 1, ' ')));

TEST_F(TokenCacheTest, BadEntriesAreSkippedAndGoodOnesKept) {
  fs::create_directories(file().parent_path());
  const auto exp = (kT0 + seconds{3600}).time_since_epoch().count();
  const auto iat = kT0.time_since_epoch().count();
  write_file(
      file(),
      R"({"version":1,"tokens":{"bad":{"access_token":7},"good":{"access_token":"g","token_type":"Bearer","scope":"","obtained_at":)" +
          std::to_string(iat) + R"(,"expires_at":)" + std::to_string(exp) + "}}}");
  EXPECT_FALSE(hit("bad", kT0));
  EXPECT_EQ(hit("good", kT0)->access_token, "g");
}

// --- atomic replacement -------------------------------------------------------------------------

TEST_F(TokenCacheTest, StoreRenamesANewFileOverTheOld) {
  store("k1", token("first", kT0, seconds{3600}), kT0);
  const ino_t before = inode_of(file());
  // A reader that opened the old file keeps reading the whole old file.
  const int reader = ::open(file().c_str(), O_RDONLY);
  ASSERT_GE(reader, 0);
  store("k2", token("second", kT0, seconds{3600}), kT0);
  EXPECT_NE(inode_of(file()), before);
  std::string old_text(65536, '\0');
  const ssize_t n = ::read(reader, old_text.data(), old_text.size());
  ::close(reader);
  ASSERT_GT(n, 0);
  old_text.resize(static_cast<std::size_t>(n));
  EXPECT_NE(old_text.find("first"), std::string::npos);
  EXPECT_EQ(old_text.find("second"), std::string::npos);
  EXPECT_NO_THROW(json::parse(old_text));

  // Nothing but the cache file is left in the directory: no temporary files.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(file().parent_path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"tokens.json"});
  EXPECT_EQ(hit("k1", kT0)->access_token, "first");
  EXPECT_EQ(hit("k2", kT0)->access_token, "second");
}

TEST_F(TokenCacheTest, UnwritableDirectoryIsAnErrorAndLeavesTheOldFile) {
  store("k1", token("first", kT0, seconds{3600}), kT0);
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root writes anywhere";
  }
  ::chmod(file().parent_path().c_str(), 0500);
  auto stored = cache().store("k2", token("second", kT0, seconds{3600}), kT0);
  ::chmod(file().parent_path().c_str(), 0700);
  ASSERT_FALSE(stored.ok());
  EXPECT_NE(stored.error().find("cannot write"), std::string::npos) << stored.error();
  EXPECT_EQ(hit("k1", kT0)->access_token, "first");
}

// --- erase and clear ----------------------------------------------------------------------------

TEST_F(TokenCacheTest, EraseRemovesOneEntry) {
  store("k1", token("one", kT0, seconds{3600}), kT0);
  store("k2", token("two", kT0, seconds{3600}), kT0);
  ASSERT_TRUE(cache().erase("k1").ok());
  EXPECT_FALSE(hit("k1", kT0));
  EXPECT_EQ(hit("k2", kT0)->access_token, "two");
  EXPECT_EQ(mode_of(file()), 0600u);
  // Nothing to erase: the file is not rewritten.
  const ino_t before = inode_of(file());
  ASSERT_TRUE(cache().erase("k1").ok());
  EXPECT_EQ(inode_of(file()), before);
}

TEST_F(TokenCacheTest, EraseWithoutAFileCreatesNothing) {
  ASSERT_TRUE(cache().erase("k").ok());
  EXPECT_FALSE(fs::exists(file().parent_path()));
}

TEST_F(TokenCacheTest, EraseRefusesWhatLookupRefuses) {
  store("k", token("tok", kT0, seconds{3600}), kT0);
  ::chmod(file().c_str(), 0644);
  const std::string before = read_all(file());
  auto erased = cache().erase("k");
  ASSERT_FALSE(erased.ok());
  EXPECT_NE(erased.error().find("chmod 600"), std::string::npos) << erased.error();
  EXPECT_EQ(read_all(file()), before);
}

// Entries of two issuers, two clients and two audiences; their keys name them.
class ClearTest : public TokenCacheTest {
 protected:
  static constexpr std::string_view kIssuerA = "http://localhost:4000/";
  static constexpr std::string_view kIssuerB = "https://auth.example.com/";

  void SetUp() override {
    for (const auto issuer : {kIssuerA, kIssuerB}) {
      for (const std::string_view client : {"c1", "c2"}) {
        for (const std::string_view audience : {"https://a/api", "https://b/api"}) {
          const CacheKeyParts parts{issuer, client, "secret", audience, "read:messages"};
          CachedToken t = token("tok", kT0, seconds{3600});
          t.tags = entry_tags(parts);
          store(name(issuer, client, audience), t, kT0);
        }
      }
    }
  }

  static std::string name(std::string_view issuer, std::string_view client,
                          std::string_view audience) {
    return std::string(issuer == kIssuerA ? "A" : "B") + "/" + std::string(client) + "/" +
           std::string(audience.substr(8, 1));
  }

  std::size_t cleared(const CacheSelector& selector) const {
    auto removed = cache().clear(selector);
    EXPECT_TRUE(removed.ok()) << removed.error();
    return removed.ok() ? *removed : 0;
  }

  std::vector<std::string> left() const {
    auto keys = stored_keys(file());
    std::sort(keys.begin(), keys.end());
    return keys;
  }
};

TEST_F(ClearTest, EverythingRemovesTheFile) {
  EXPECT_EQ(cleared({}), 8u);
  EXPECT_FALSE(fs::exists(file()));
  EXPECT_TRUE(fs::exists(file().parent_path()));
  EXPECT_FALSE(hit("A/c1/a", kT0));
  EXPECT_EQ(cleared({}), 0u);
}

TEST_F(ClearTest, EverythingAlsoRemovesEntriesWithoutTagsAndUnreadableFiles) {
  store("untagged", token("old", kT0, seconds{3600}), kT0);
  EXPECT_EQ(cleared({}), 9u);
  EXPECT_FALSE(fs::exists(file()));
  write_file(file(), "{not json");
  EXPECT_EQ(cleared({}), 0u);
  EXPECT_FALSE(fs::exists(file()));
}

TEST_F(ClearTest, OneIssuer) {
  EXPECT_EQ(cleared({std::string(kIssuerA), "", ""}), 4u);
  EXPECT_EQ(left(), (std::vector<std::string>{"B/c1/a", "B/c1/b", "B/c2/a", "B/c2/b"}));
  EXPECT_EQ(mode_of(file()), 0600u);
}

TEST_F(ClearTest, OneIssuersClient) {
  EXPECT_EQ(cleared({std::string(kIssuerA), "c1", ""}), 2u);
  EXPECT_EQ(left(),
            (std::vector<std::string>{"A/c2/a", "A/c2/b", "B/c1/a", "B/c1/b", "B/c2/a", "B/c2/b"}));
}

TEST_F(ClearTest, OneIssuersAudience) {
  EXPECT_EQ(cleared({std::string(kIssuerB), "", "https://b/api"}), 2u);
  EXPECT_EQ(left(),
            (std::vector<std::string>{"A/c1/a", "A/c1/b", "A/c2/a", "A/c2/b", "B/c1/a", "B/c2/a"}));
}

TEST_F(ClearTest, OneIssuersClientAndAudience) {
  EXPECT_EQ(cleared({std::string(kIssuerB), "c2", "https://a/api"}), 1u);
  EXPECT_EQ(left().size(), 7u);
  EXPECT_FALSE(hit("B/c2/a", kT0));
}

TEST_F(ClearTest, TheIssuerIsMatchedExactly) {
  // The trailing slash is part of the issuer, as everywhere else.
  const ino_t before = inode_of(file());
  EXPECT_EQ(cleared({"http://localhost:4000", "", ""}), 0u);
  EXPECT_EQ(cleared({"http://localhost:4001/", "", ""}), 0u);
  EXPECT_EQ(cleared({std::string(kIssuerA), "c3", ""}), 0u);
  EXPECT_EQ(inode_of(file()), before);  // nothing removed: not rewritten
  EXPECT_EQ(left().size(), 8u);
}

TEST_F(ClearTest, EntriesWithoutTagsStayUnlessEverythingGoes) {
  store("untagged", token("old", kT0, seconds{3600}), kT0);
  EXPECT_EQ(cleared({std::string(kIssuerA), "", ""}), 4u);
  EXPECT_EQ(hit("untagged", kT0)->access_token, "old");
}

TEST_F(ClearTest, AClientOrAudienceWithoutTheIssuerIsRefused) {
  for (const CacheSelector& selector :
       {CacheSelector{"", "c1", ""}, CacheSelector{"", "", "https://a/api"}}) {
    auto removed = cache().clear(selector);
    ASSERT_FALSE(removed.ok());
    EXPECT_NE(removed.error().find("give the issuer too"), std::string::npos) << removed.error();
  }
  EXPECT_EQ(left().size(), 8u);
}

TEST_F(TokenCacheTest, ClearWithoutAFileRemovesNothingAndCreatesNothing) {
  for (const CacheSelector& selector : {CacheSelector{}, CacheSelector{"http://x/", "c", "a"}}) {
    auto removed = cache().clear(selector);
    ASSERT_TRUE(removed.ok()) << removed.error();
    EXPECT_EQ(*removed, 0u);
  }
  EXPECT_FALSE(fs::exists(file().parent_path()));
  fs::create_directories(file().parent_path());
  EXPECT_EQ(*cache().clear({}), 0u);
  EXPECT_FALSE(fs::exists(file()));
}

TEST_F(ClearTest, AnUnsafeFileIsRefusedAndLeftAsItIs) {
  const std::string before = read_all(file());
  for (const mode_t mode : {0640, 0604}) {
    ::chmod(file().c_str(), mode);
    for (const CacheSelector& selector :
         {CacheSelector{}, CacheSelector{std::string(kIssuerA), "", ""}}) {
      auto removed = cache().clear(selector);
      ASSERT_FALSE(removed.ok()) << std::oct << mode;
      EXPECT_NE(removed.error().find("chmod 600"), std::string::npos) << removed.error();
      EXPECT_EQ(read_all(file()), before);
      EXPECT_EQ(mode_of(file()), mode);
    }
  }
  ::chmod(file().c_str(), 0600);
  ::chmod(file().parent_path().c_str(), 0777);
  auto removed = cache().clear({});
  ::chmod(file().parent_path().c_str(), 0700);
  ASSERT_FALSE(removed.ok());
  EXPECT_NE(removed.error().find("chmod 700"), std::string::npos) << removed.error();
  EXPECT_TRUE(fs::exists(file()));
}

TEST_F(TokenCacheTest, ClearRefusesASymbolicLinkAndLeavesItsTarget) {
  fs::create_directories(file().parent_path());
  const fs::path target = dir_.path() / "elsewhere.json";
  write_file(target, "{}");
  fs::create_symlink(target, file());
  auto removed = cache().clear({});
  ASSERT_FALSE(removed.ok());
  EXPECT_NE(removed.error().find("symbolic link"), std::string::npos) << removed.error();
  EXPECT_TRUE(fs::is_symlink(file()));
  EXPECT_EQ(read_all(target), "{}");
}

// --- where the cache lives ----------------------------------------------------------------------

TEST(CachePath, EnvironmentRules) {
  EXPECT_EQ(*cache_path("/x/t.json", "/xdg", "/home/u"), fs::path("/x/t.json"));
  EXPECT_EQ(*cache_path(std::nullopt, "/xdg", "/home/u"), fs::path("/xdg/signet/tokens.json"));
  EXPECT_EQ(*cache_path("", "/xdg", "/home/u"), fs::path("/xdg/signet/tokens.json"));
  EXPECT_EQ(*cache_path(std::nullopt, std::nullopt, "/home/u"),
            fs::path("/home/u/.cache/signet/tokens.json"));
  EXPECT_EQ(*cache_path(std::nullopt, "", "/home/u"),
            fs::path("/home/u/.cache/signet/tokens.json"));
  // XDG: a relative path is invalid and ignored.
  EXPECT_EQ(*cache_path(std::nullopt, "relative/dir", "/home/u"),
            fs::path("/home/u/.cache/signet/tokens.json"));
  const auto none = cache_path(std::nullopt, std::nullopt, std::nullopt);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("--no-cache"), std::string::npos) << none.error();
  EXPECT_FALSE(cache_path(std::nullopt, "rel", "also-relative").ok());
}

// The admin CLI's --server finds a Management API token by issuer and audience, from any client.
TEST_F(TokenCacheTest, FindForAudienceTakesTheLongestUsableTokenOfThatAudienceOnly) {
  const CacheKeyParts mgmt_a{"http://localhost:4000/", "client-a", "s1",
                             "http://localhost:4000/api/v2/", ""};
  const CacheKeyParts mgmt_b{"http://localhost:4000/", "client-b", "s2",
                             "http://localhost:4000/api/v2/", ""};
  const CacheKeyParts other_api{"http://localhost:4000/", "client-a", "s1", "https://api.example/",
                                ""};
  const CacheKeyParts other_issuer{"http://localhost:4001/", "client-a", "s1",
                                   "http://localhost:4000/api/v2/", ""};
  const auto put = [&](const CacheKeyParts& parts, const std::string& name, seconds lifetime) {
    CachedToken t = token(name, kT0, lifetime);
    t.tags = entry_tags(parts);
    store(cache_key(parts), t, kT0);
  };
  auto none =
      cache().find_for_audience("http://localhost:4000/", "http://localhost:4000/api/v2/", kT0);
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_FALSE(*none);  // no file yet

  put(mgmt_a, "short", seconds{3600});
  put(mgmt_b, "long", seconds{7200});
  put(other_api, "other-api", seconds{86400});
  put(other_issuer, "other-issuer", seconds{86400});
  auto found =
      cache().find_for_audience("http://localhost:4000/", "http://localhost:4000/api/v2/", kT0);
  ASSERT_TRUE(found.ok()) << found.error();
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->access_token, "long");

  // Past the usable margin of both (7200 s lifetime: 720 s margin), nothing is served.
  const auto late = kT0 + seconds{7200 - 720};
  auto expired =
      cache().find_for_audience("http://localhost:4000/", "http://localhost:4000/api/v2/", late);
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(*expired);
  auto just_before = cache().find_for_audience("http://localhost:4000/",
                                               "http://localhost:4000/api/v2/", late - seconds{1});
  ASSERT_TRUE(just_before.ok());
  ASSERT_TRUE(*just_before);
  EXPECT_EQ((*just_before)->access_token, "long");
}

// --- DPoP-bound tokens --------------------------------------------------------------------------

constexpr std::string_view kJktA = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
constexpr std::string_view kJktB = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

CachedToken bound_token(std::string access_token, std::string_view jkt, const CacheKeyParts& parts,
                        seconds lifetime = seconds{3600}) {
  CachedToken t = token(std::move(access_token), kT0, lifetime);
  t.token_type = "DPoP";
  t.tags = entry_tags(parts);
  t.jkt = std::string(jkt);
  return t;
}

TEST_F(TokenCacheTest, ABoundTokenKeepsItsThumbprintAndABearerOneHasNone) {
  store("bound", bound_token("b", kJktA, kParts), kT0);
  store("bearer", token("t", kT0, seconds{3600}), kT0);
  EXPECT_EQ(hit("bound", kT0)->jkt, kJktA);
  EXPECT_EQ(hit("bound", kT0)->token_type, "DPoP");
  EXPECT_EQ(hit("bearer", kT0)->jkt, "");
  const auto doc = json::parse(read_all(file()));
  EXPECT_EQ(doc.at("tokens").at("bound").at("jkt").as_string(), kJktA);
  EXPECT_FALSE(doc.at("tokens").at("bearer").as_object().contains("jkt"));
}

TEST_F(TokenCacheTest, AnEntryWhoseThumbprintIsNotAStringIsSkipped) {
  fs::create_directories(file().parent_path());
  ::chmod(file().parent_path().c_str(), 0700);
  write_file(file(), R"({"version":1,"tokens":{"k":{"access_token":"a","token_type":"DPoP",)"
                     R"("scope":"","obtained_at":1795910400,"expires_at":1795914000,"jkt":5}}})");
  EXPECT_FALSE(hit("k", kT0));
}

// The admin CLI sends its token as Bearer: a bound token is no use to it.
TEST_F(TokenCacheTest, FindForAudiencePassesOverBoundTokens) {
  CacheKeyParts parts = kParts;
  store("bound", bound_token("bound", kJktA, parts, seconds{7200}), kT0);
  CachedToken bearer = token("bearer", kT0, seconds{3600});
  bearer.tags = entry_tags(parts);
  auto none = cache().find_for_audience(kParts.issuer, kParts.audience, kT0);
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_FALSE(*none);
  store("bearer", bearer, kT0);
  auto found = cache().find_for_audience(kParts.issuer, kParts.audience, kT0);
  ASSERT_TRUE(found.ok()) << found.error();
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->access_token, "bearer");
}

TEST_F(TokenCacheTest, FindBoundNarrowsByKeyIssuerAndAudience) {
  const CacheKeyParts issuer_1_api_1 = kParts;
  CacheKeyParts issuer_1_api_2 = kParts;
  issuer_1_api_2.audience = "https://other/api";
  CacheKeyParts issuer_2_api_1 = kParts;
  issuer_2_api_1.issuer = "http://127.0.0.1:4000/";
  auto none = cache().find_bound(kJktA, "", "", kT0);
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_TRUE(none->empty());  // no file yet

  store("a11", bound_token("a11", kJktA, issuer_1_api_1, seconds{3000}), kT0);
  store("a12", bound_token("a12", kJktA, issuer_1_api_2, seconds{2000}), kT0);
  store("a21", bound_token("a21", kJktA, issuer_2_api_1, seconds{1000}), kT0);
  store("b11", bound_token("b11", kJktB, issuer_1_api_1), kT0);
  CachedToken bearer = token("bearer", kT0, seconds{3600});
  bearer.tags = entry_tags(issuer_1_api_1);
  store("bearer", bearer, kT0);

  const auto names = [&](std::string_view jkt, std::string_view issuer, std::string_view audience,
                         sys_seconds now = kT0) {
    std::vector<std::string> out;
    auto found = cache().find_bound(jkt, issuer, audience, now);
    EXPECT_TRUE(found.ok()) << found.error();
    if (found.ok()) {
      for (const auto& t : *found) {
        out.push_back(t.access_token);
      }
    }
    return out;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names(kJktA, "", ""), (Names{"a21", "a12", "a11"}));  // soonest-expiring first
  EXPECT_EQ(names(kJktA, kParts.issuer, ""), (Names{"a12", "a11"}));
  EXPECT_EQ(names(kJktA, kParts.issuer, kParts.audience), (Names{"a11"}));
  EXPECT_EQ(names(kJktB, "", ""), (Names{"b11"}));
  EXPECT_EQ(names("", "", ""), Names{});  // a bearer token is bound to no key
  EXPECT_EQ(names("another-jkt", "", ""), Names{});
  // Only usable tokens: a21 (1000 s) stops being served 100 s before it expires.
  EXPECT_EQ(names(kJktA, "", "", kT0 + seconds{900}), (Names{"a12", "a11"}));
}

TEST_F(TokenCacheTest, FindBoundRefusesWhatLookupRefuses) {
  store("a", bound_token("a", kJktA, kParts), kT0);
  ::chmod(file().c_str(), 0644);
  auto found = cache().find_bound(kJktA, "", "", kT0);
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.error().find("chmod 600"), std::string::npos) << found.error();
}

}  // namespace
}  // namespace signet::client
