// The sealed successor of a rotated refresh token: only the rotated token's own plaintext, under
// the same master key, with the same row id, opens it.

#include "signet/server/refresh_tokens.h"

#include <array>
#include <string>

#include <gtest/gtest.h>

namespace signet::server {
namespace {

SecretHasher hasher(std::uint8_t fill) {
  std::array<std::uint8_t, 32> key{};
  key.fill(fill);
  return SecretHasher::from_key(key);
}

TEST(RefreshTokenSuccessorTest, OpensWithTheRotatedTokenAndIdOnly) {
  const SecretHasher secrets = hasher(1);
  const std::string presented = generate_secret();
  const std::string successor = generate_secret();
  auto sealed = seal_successor(secrets, presented, successor, "id-1");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find(successor), std::string::npos);  // never in the clear
  EXPECT_EQ(open_successor(secrets, presented, *sealed, "id-1"), successor);

  EXPECT_FALSE(open_successor(secrets, generate_secret(), *sealed, "id-1"));  // another token
  EXPECT_FALSE(open_successor(secrets, presented, *sealed, "id-2"));          // moved to a row
  EXPECT_FALSE(open_successor(hasher(2), presented, *sealed, "id-1"));        // another master key
  EXPECT_FALSE(open_successor(secrets, presented, "", "id-1"));  // rotated before version 3
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    std::string tampered = *sealed;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_FALSE(open_successor(secrets, presented, tampered, "id-1")) << "byte " << i;
  }
  EXPECT_FALSE(open_successor(secrets, presented, sealed->substr(0, sealed->size() - 1), "id-1"));
}

TEST(RefreshTokenSuccessorTest, DerivedKeysDifferByLabelAndSecretAndNeverEqualAHash) {
  const SecretHasher secrets = hasher(1);
  EXPECT_NE(secrets.derive_key("a", "secret"), secrets.derive_key("b", "secret"));
  EXPECT_NE(secrets.derive_key("a", "secret"), secrets.derive_key("a", "secreT"));
  // ("a", "\0b") and ("a\0", "b") would collide without the separator's rule: labels hold no NUL.
  EXPECT_NE(secrets.derive_key("ab", "c"), secrets.derive_key("a", "bc"));
}

}  // namespace
}  // namespace signet::server
