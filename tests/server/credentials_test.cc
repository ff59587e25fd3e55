#include "signet/server/credentials.h"

#include <array>
#include <cstdint>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "signet/jose/base64url.h"
#include "signet/keys/master_key.h"

namespace signet::server {
namespace {

constexpr std::array<std::uint8_t, 32> kKeyA{1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                             12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                             23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
constexpr std::array<std::uint8_t, 32> kKeyB{32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22,
                                             21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
                                             10, 9,  8,  7,  6,  5,  4,  3,  2,  1};
constexpr std::string_view kSecret = "vFHWyiYZxfYAvwKzEBOQw6YGnXPeRsBeECKVxtQbKZo";

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

TEST(GenerateSecretTest, Is43Base64urlCharactersOf32Bytes) {
  const std::string secret = generate_secret();
  EXPECT_EQ(secret.size(), kSecretTextLength);
  EXPECT_EQ(secret.size(), 43u);
  for (const char c : secret) {
    EXPECT_TRUE(is_base64url_char(c)) << secret;
  }
  auto bytes = jose::base64url_decode(secret);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), kSecretRandomBytes);
}

TEST(GenerateSecretTest, EverySecretIsDifferent) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(seen.insert(generate_secret()).second);
  }
}

// A client_id is typed as a positional argument ('signet clients show ID'); one starting with '-'
// would read as an option. 1 in 64 random ids would, so enough tries make the test meaningful.
TEST(GenerateClientIdTest, NeverStartsWithDashAndIsUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    const std::string id = generate_client_id();
    ASSERT_FALSE(id.empty());
    EXPECT_NE(id.front(), '-') << id;
    EXPECT_EQ(id.size(), 22u) << id;
    for (const char c : id) {
      EXPECT_TRUE(is_base64url_char(c)) << id;
    }
    EXPECT_TRUE(seen.insert(id).second) << id;
  }
}

TEST(SecretHasherTest, MatchesTheRightSecret) {
  const auto hasher = SecretHasher::from_key(kKeyA);
  const std::string stored = hasher.hash(kSecret);
  EXPECT_TRUE(hasher.matches(kSecret, stored));
}

TEST(SecretHasherTest, RejectsAWrongSecret) {
  const auto hasher = SecretHasher::from_key(kKeyA);
  const std::string stored = hasher.hash(kSecret);
  EXPECT_FALSE(hasher.matches(generate_secret(), stored));
}

// Mutation test: every one-character change of the secret must fail.
TEST(SecretHasherTest, RejectsEveryOneCharacterChange) {
  const auto hasher = SecretHasher::from_key(kKeyA);
  const std::string stored = hasher.hash(kSecret);
  for (std::size_t i = 0; i < kSecret.size(); ++i) {
    std::string changed(kSecret);
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(hasher.matches(changed, stored)) << "position " << i;
  }
  EXPECT_FALSE(hasher.matches(kSecret.substr(0, kSecret.size() - 1), stored));
  EXPECT_FALSE(hasher.matches(std::string(kSecret) + "A", stored));
}

TEST(SecretHasherTest, RejectsAnEmptySecretEvenAgainstItsHash) {
  const auto hasher = SecretHasher::from_key(kKeyA);
  EXPECT_FALSE(hasher.matches("", hasher.hash("")));
  EXPECT_FALSE(hasher.matches("", hasher.hash(kSecret)));
}

TEST(SecretHasherTest, RejectsAnOverlongSecretUnhashed) {
  const auto hasher = SecretHasher::from_key(kKeyA);
  const std::string longest(kMaxPresentedSecretLength, 'x');
  const std::string too_long(kMaxPresentedSecretLength + 1, 'x');
  EXPECT_TRUE(hasher.matches(longest, hasher.hash(longest)));
  EXPECT_FALSE(hasher.matches(too_long, hasher.hash(too_long)));
}

TEST(SecretHasherTest, RejectsAStoredValueOfAnotherForm) {
  const auto hasher = SecretHasher::from_key(kKeyA);
  const std::string stored = hasher.hash(kSecret);
  const std::string hex = stored.substr(std::string_view("hs256:").size());
  EXPECT_FALSE(hasher.matches(kSecret, hex));
  EXPECT_FALSE(hasher.matches(kSecret, "hs512:" + hex));
  EXPECT_FALSE(hasher.matches(kSecret, "HS256:" + hex));
  EXPECT_FALSE(hasher.matches(kSecret, "$argon2id$v=19$m=19456,t=2,p=1$" + hex));
  EXPECT_FALSE(hasher.matches(kSecret, ""));
  EXPECT_FALSE(hasher.matches(kSecret, std::string(kSecret)));  // a plaintext "hash"
}

TEST(SecretHasherTest, HashIsPrefixedLowercaseHexAndDeterministic) {
  const auto hasher = SecretHasher::from_key(kKeyA);
  const std::string stored = hasher.hash(kSecret);
  ASSERT_TRUE(stored.starts_with("hs256:")) << stored;
  const std::string hex = stored.substr(6);
  EXPECT_EQ(hex.size(), 64u);
  for (const char c : hex) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << stored;
  }
  EXPECT_EQ(hasher.hash(kSecret), stored);
  EXPECT_EQ(SecretHasher::from_key(kKeyA).hash(kSecret), stored);
  EXPECT_NE(hasher.hash("another secret"), stored);
}

// The hash is keyed: a database copied without the master key cannot even confirm a guess.
TEST(SecretHasherTest, DifferentMasterKeysGiveDifferentHashes) {
  const SecretHasher a(keys::MasterKey::from_bytes(kKeyA));
  const SecretHasher b(keys::MasterKey::from_bytes(kKeyB));
  EXPECT_NE(a.hash(kSecret), b.hash(kSecret));
  EXPECT_FALSE(b.matches(kSecret, a.hash(kSecret)));
  EXPECT_TRUE(a.matches(kSecret, a.hash(kSecret)));
  // The same master key always derives the same hashing key (a restart keeps secrets valid).
  EXPECT_EQ(SecretHasher(keys::MasterKey::from_bytes(kKeyA)).hash(kSecret), a.hash(kSecret));
}

// The hashing key is derived from the master key, never the master key itself.
TEST(SecretHasherTest, DerivedKeyIsNotTheMasterKey) {
  const SecretHasher derived(keys::MasterKey::from_bytes(kKeyA));
  EXPECT_NE(derived.hash(kSecret), SecretHasher::from_key(kKeyA).hash(kSecret));
}

}  // namespace
}  // namespace signet::server
