#include "signet/keys/sealed_box.h"

#include <string>

#include <gtest/gtest.h>

namespace signet::keys {
namespace {

constexpr std::string_view kSecret = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI...\n";
constexpr std::string_view kAad = "ES256/kid-1";

TEST(SealedBoxTest, RoundTrip) {
  const MasterKey key = MasterKey::generate();
  const SealedBox box(key);
  auto sealed = box.seal(kSecret, kAad);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kSecret.size() + kSealedOverheadBytes);
  EXPECT_EQ(static_cast<std::uint8_t>((*sealed)[0]), kSealedBoxVersion);
  EXPECT_EQ(sealed->find(kSecret), std::string::npos);
  auto opened = box.open(*sealed, kAad);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, kSecret);
}

TEST(SealedBoxTest, EmptyPlaintextRoundTrips) {
  const MasterKey key = MasterKey::generate();
  const SealedBox box(key);
  auto sealed = box.seal("", kAad);
  ASSERT_TRUE(sealed.ok());
  auto opened = box.open(*sealed, kAad);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "");
}

TEST(SealedBoxTest, EverySealUsesAFreshNonce) {
  const MasterKey key = MasterKey::generate();
  const SealedBox box(key);
  auto a = box.seal(kSecret, kAad);
  auto b = box.seal(kSecret, kAad);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  const std::size_t nonce_at = 1 + kSealedKeyCheckBytes;
  EXPECT_NE(a->substr(nonce_at, kSealedNonceBytes), b->substr(nonce_at, kSealedNonceBytes));
}

// Mutation test: every bit of every byte flipped must fail to open.
TEST(SealedBoxTest, EveryFlippedBitIsRefused) {
  const MasterKey key = MasterKey::generate();
  const SealedBox box(key);
  auto sealed = box.seal(kSecret, kAad);
  ASSERT_TRUE(sealed.ok());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string tampered = *sealed;
      tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
      auto opened = box.open(tampered, kAad);
      ASSERT_FALSE(opened.ok()) << "byte " << i << " bit " << bit;
      const KeyErrorCode expected = i == 0 ? KeyErrorCode::kSealedVersion
                                    : i <= kSealedKeyCheckBytes
                                        ? KeyErrorCode::kSealedWrongMasterKey
                                        : KeyErrorCode::kSealedAuthentication;
      EXPECT_EQ(opened.error().code, expected) << "byte " << i;
    }
  }
}

TEST(SealedBoxTest, EveryTruncationIsRefused) {
  const MasterKey key = MasterKey::generate();
  const SealedBox box(key);
  auto sealed = box.seal(kSecret, kAad);
  ASSERT_TRUE(sealed.ok());
  for (std::size_t len = 0; len < sealed->size(); ++len) {
    auto opened = box.open(sealed->substr(0, len), kAad);
    ASSERT_FALSE(opened.ok()) << len;
    EXPECT_EQ(opened.error().code, len < kSealedOverheadBytes ? KeyErrorCode::kSealedTruncated
                                                              : KeyErrorCode::kSealedAuthentication)
        << len;
  }
  // Appending is tampering too.
  EXPECT_FALSE(box.open(*sealed + "x", kAad).ok());
}

TEST(SealedBoxTest, WrongAssociatedDataIsRefused) {
  const MasterKey key = MasterKey::generate();
  const SealedBox box(key);
  auto sealed = box.seal(kSecret, kAad);
  ASSERT_TRUE(sealed.ok());
  for (const std::string_view aad : {"", "ES256/kid-2", "RS256/kid-1", "ES256/kid-1 "}) {
    auto opened = box.open(*sealed, aad);
    ASSERT_FALSE(opened.ok()) << aad;
    EXPECT_EQ(opened.error().code, KeyErrorCode::kSealedAuthentication);
  }
}

TEST(SealedBoxTest, WrongMasterKeyIsRefused) {
  const MasterKey key = MasterKey::generate();
  const MasterKey other = MasterKey::generate();
  auto sealed = SealedBox(key).seal(kSecret, kAad);
  ASSERT_TRUE(sealed.ok());
  auto opened = SealedBox(other).open(*sealed, kAad);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, KeyErrorCode::kSealedWrongMasterKey);
}

TEST(SealedBoxTest, OversizedPlaintextIsRefused) {
  const MasterKey key = MasterKey::generate();
  auto sealed = SealedBox(key).seal(std::string(kMaxSealedPlaintextBytes + 1, 'x'), kAad);
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.error().code, KeyErrorCode::kCrypto);
}

}  // namespace
}  // namespace signet::keys
