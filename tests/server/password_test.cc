#include "signet/server/password.h"

#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include <argon2.h>
#include <gtest/gtest.h>

namespace signet::server {
namespace {

// The smallest parameters validate_argon_params accepts: fast enough for many tests.
constexpr ArgonParams kFast{8192, 1, 1};
constexpr std::string_view kPassword = "correct horse battery staple";

const PasswordHasher& fast_hasher() {
  static const PasswordHasher hasher(kFast);
  return hasher;
}

TEST(PasswordHasherTest, HashIsAnArgon2idPhcStringWithItsParameters) {
  const std::string encoded = fast_hasher().hash(kPassword);
  EXPECT_TRUE(encoded.starts_with("$argon2id$v=19$m=8192,t=1,p=1$")) << encoded;
  EXPECT_TRUE(std::regex_match(
      encoded, std::regex(R"(\$argon2id\$v=19\$m=8192,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+)")))
      << encoded;
  EXPECT_EQ(encoded.find(kPassword), std::string::npos);
}

TEST(PasswordHasherTest, DefaultsAreOwaspsAndVerify) {
  const PasswordHasher hasher;
  EXPECT_EQ(hasher.params().memory_kib, 19u * 1024);
  EXPECT_EQ(hasher.params().iterations, 2u);
  EXPECT_EQ(hasher.params().parallelism, 1u);
  const std::string encoded = hasher.hash(kPassword);
  EXPECT_TRUE(encoded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << encoded;
  EXPECT_TRUE(hasher.verify(kPassword, encoded));
  EXPECT_FALSE(hasher.verify("wrong password", encoded));
}

TEST(PasswordHasherTest, VerifiesTheRightPasswordOnly) {
  const std::string encoded = fast_hasher().hash(kPassword);
  EXPECT_TRUE(fast_hasher().verify(kPassword, encoded));
  EXPECT_FALSE(fast_hasher().verify("correct horse battery stapler", encoded));
  EXPECT_FALSE(fast_hasher().verify("Correct horse battery staple", encoded));
  EXPECT_FALSE(fast_hasher().verify("", encoded));
}

// The hash carries its parameters, so one made under other settings still verifies.
TEST(PasswordHasherTest, VerifiesHashesMadeWithOtherParameters) {
  const PasswordHasher other(ArgonParams{16384, 2, 2});
  const std::string encoded = other.hash(kPassword);
  EXPECT_TRUE(fast_hasher().verify(kPassword, encoded));
}

TEST(PasswordHasherTest, SaltsDiffer) {
  const std::string a = fast_hasher().hash(kPassword);
  const std::string b = fast_hasher().hash(kPassword);
  EXPECT_NE(a, b);
  EXPECT_TRUE(fast_hasher().verify(kPassword, a));
  EXPECT_TRUE(fast_hasher().verify(kPassword, b));
}

TEST(PasswordHasherTest, RefusesAnythingButArgon2id) {
  const std::string encoded = fast_hasher().hash(kPassword);
  std::string argon2i = encoded;
  argon2i.replace(0, std::string_view("$argon2id$").size(), "$argon2i$");
  std::string argon2d = encoded;
  argon2d.replace(0, std::string_view("$argon2id$").size(), "$argon2d$");
  for (const std::string& stored :
       {argon2i, argon2d, std::string(), std::string("garbage"), std::string("$argon2id$"),
        std::string("$argon2id$v=19$m=8192,t=1,p=1$"), encoded.substr(0, encoded.size() - 4),
        std::string(kPassword), std::string("hs256:00")}) {
    EXPECT_FALSE(fast_hasher().verify(kPassword, stored)) << stored;
  }
}

// The PHC string is written and read by signet (so that argon2id's memory can come from mmap),
// and must stay what libargon2 writes and reads: hashes stored before, or made elsewhere, verify.
TEST(PasswordHasherTest, HashesAreInterchangeableWithLibargon2s) {
  const std::string ours = fast_hasher().hash(kPassword);
  EXPECT_EQ(argon2id_verify(ours.c_str(), kPassword.data(), kPassword.size()), ARGON2_OK);

  const std::string salt = "sixteen byte slt";
  for (const std::uint32_t version : {ARGON2_VERSION_13, ARGON2_VERSION_10}) {
    std::string theirs(argon2_encodedlen(1, 8192, 2, salt.size(), 24, Argon2_id), '\0');
    ASSERT_EQ(argon2_hash(1, 8192, 2, kPassword.data(), kPassword.size(), salt.data(), salt.size(),
                          nullptr, 24, theirs.data(), theirs.size(), Argon2_id, version),
              ARGON2_OK);
    theirs.resize(theirs.find('\0'));
    EXPECT_TRUE(fast_hasher().verify(kPassword, theirs)) << theirs;
    EXPECT_FALSE(fast_hasher().verify("correct horse battery stapler", theirs)) << theirs;
    // libargon2 writes v=16 too; without v= it reads version 16, and so does signet.
    if (version == ARGON2_VERSION_10) {
      std::string bare = theirs;
      bare.erase(bare.find("v=16$"), 5);
      EXPECT_TRUE(fast_hasher().verify(kPassword, bare)) << bare;
    }
  }
}

TEST(PasswordHasherTest, RefusesMalformedPhcStringsWithoutHashing) {
  const std::string good = fast_hasher().hash(kPassword);
  ASSERT_TRUE(fast_hasher().verify(kPassword, good));
  const std::size_t salt_at = good.rfind('$', good.rfind('$') - 1) + 1;
  const std::string head = good.substr(0, salt_at);  // ...$m=8192,t=1,p=1$
  const std::string tail = good.substr(salt_at);     // salt$hash
  const std::string salt = tail.substr(0, tail.find('$'));
  const std::string hash = tail.substr(tail.find('$') + 1);
  const std::string params = "$argon2id$v=19$";
  const std::vector<std::string> cases = {
      params + "m=8192,t=1,p=1$" + salt,                            // no hash
      params + "m=8192,t=1,p=1$" + salt + "$" + hash + "$",         // a part too many
      params + "m=8192,t=1,p=1$" + salt + "$" + hash + "=",         // padding
      params + "m=8192,t=1,p=1$" + salt + "$" + hash + "AA",        // 4n+1 characters
      params + "m=8192,t=1,p=1$" + salt + "$" + hash.substr(0, 4),  // 3-byte hash
      params + "m=8192,t=1,p=1$" + salt + "$-" + hash.substr(1),    // base64url, not base64
      params + "m=8192,t=1,p=1$c2FsdA$" + hash,                     // 4-byte salt
      params + "m=8192,t=1,p=1$$" + hash,                           // empty salt
      "$argon2id$v=20$m=8192,t=1,p=1$" + tail,                      // unknown version
      "$argon2id$v=019$m=8192,t=1,p=1$" + tail,                     // leading zero
      "$argon2id$v=+19$m=8192,t=1,p=1$" + tail,                     // sign
      "$argon2id$V=19$m=8192,t=1,p=1$" + tail,                      // case
      params + "t=1,m=8192,p=1$" + tail,                            // order
      params + "m=8192,t=1$" + tail,                                // no p
      params + "m=8192,t=1,p=1,k=0$" + tail,                        // extra parameter
      params + "m=4294967296,t=1,p=1$" + tail,                      // overflows 32 bits
      params + "m=1048577,t=1,p=1$" + tail,                         // more than 1 GiB
      params + "m=8192,t=65,p=1$" + tail,                           // more than 64 passes
      params + "m=8192,t=0,p=1$" + tail,                            // no pass
      params + "m=8192,t=1,p=17$" + tail,                           // more than 16 lanes
      params + "m=8192,t=1,p=0$" + tail,                            // no lane
      params + "m=7,t=1,p=1$" + tail,                               // under 8 KiB per lane
      params + "m= 8192,t=1,p=1$" + tail,                           // space
      " " + good,                                                   // leading space
      good + "\n",                                                  // trailing newline
  };
  for (const std::string& stored : cases) {
    const auto before = fast_hasher().verifications();
    EXPECT_FALSE(fast_hasher().verify(kPassword, stored)) << stored;
    EXPECT_EQ(fast_hasher().verifications(), before) << "hashed for " << stored;
  }
  // The same string with the right parts still verifies: the cases above fail on their fault.
  EXPECT_TRUE(fast_hasher().verify(kPassword, head + salt + "$" + hash));
}

TEST(PasswordHasherTest, RefusesAnOverlongPasswordWithoutHashingIt) {
  const std::string longest(kMaxPasswordLength, 'p');
  const std::string too_long(kMaxPasswordLength + 1, 'p');
  EXPECT_TRUE(fast_hasher().verify(longest, fast_hasher().hash(longest)));
  EXPECT_FALSE(fast_hasher().verify(too_long, fast_hasher().hash(too_long)));
}

// verify_dummy stands in for verify on unknown users, so it must do the same work for the same
// input: none for an over-long password (it used to hash a truncated copy, so a long password
// took 25 ms for an unknown user and 0.6 ms for a known one).
TEST(PasswordHasherTest, VerifyDummyDoesTheWorkVerifyDoes) {
  const PasswordHasher hasher = PasswordHasher(ArgonParams{8192, 1, 1});
  const std::string stored = hasher.hash(kPassword);
  for (const std::size_t length : {std::size_t{0}, std::size_t{8}, kMaxPasswordLength,
                                   kMaxPasswordLength + 1, std::size_t{2000}}) {
    const std::string password(length, 'p');
    const auto before = hasher.verifications();
    EXPECT_FALSE(hasher.verify(password, stored));
    const auto by_verify = hasher.verifications() - before;
    EXPECT_FALSE(hasher.verify_dummy(password));
    const auto by_dummy = hasher.verifications() - before - by_verify;
    EXPECT_EQ(by_verify, by_dummy) << "length " << length;
    EXPECT_EQ(by_verify, length > kMaxPasswordLength ? 0u : 1u) << "length " << length;
  }
}

TEST(PasswordHasherTest, VerifyDummyIsAlwaysFalse) {
  EXPECT_FALSE(fast_hasher().verify_dummy(kPassword));
  EXPECT_FALSE(fast_hasher().verify_dummy(""));
  EXPECT_FALSE(fast_hasher().verify_dummy("signet: a password nobody has"));
  EXPECT_FALSE(fast_hasher().verify_dummy(std::string(kMaxPasswordLength + 100, 'x')));
}

TEST(PasswordHasherTest, ConstructorRefusesInvalidParameters) {
  EXPECT_THROW(PasswordHasher(ArgonParams{1024, 1, 1}), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(ArgonParams{8192, 0, 1}), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(ArgonParams{8192, 1, 0}), std::invalid_argument);
}

struct ParamsCase {
  ArgonParams params;
  bool valid;
};

class ArgonParamsTest : public ::testing::TestWithParam<ParamsCase> {};

TEST_P(ArgonParamsTest, Bounds) {
  const auto& c = GetParam();
  const auto result = validate_argon_params(c.params);
  EXPECT_EQ(result.ok(), c.valid) << c.params.memory_kib << " " << c.params.iterations << " "
                                  << c.params.parallelism;
  if (!result.ok()) {
    EXPECT_NE(result.error().find("argon2id"), std::string::npos) << result.error();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ArgonParamsTest,
    ::testing::Values(
        ParamsCase{{kDefaultArgonMemoryKiB, kDefaultArgonIterations, kDefaultArgonParallelism},
                   true},
        // memory: 8 MiB to 1 GiB, one KiB on each side of each bound
        ParamsCase{{8 * 1024 - 1, 1, 1}, false}, ParamsCase{{8 * 1024, 1, 1}, true},
        ParamsCase{{1024 * 1024, 1, 1}, true}, ParamsCase{{1024 * 1024 + 1, 1, 1}, false},
        // iterations: 1 to 64
        ParamsCase{{8192, 0, 1}, false}, ParamsCase{{8192, 1, 1}, true},
        ParamsCase{{8192, 64, 1}, true}, ParamsCase{{8192, 65, 1}, false},
        // parallelism: 1 to 16
        ParamsCase{{8192, 1, 0}, false}, ParamsCase{{8192, 1, 16}, true},
        ParamsCase{{8192, 1, 17}, false}));

struct PasswordCase {
  std::string name;
  std::string password;
  bool valid;
};

class NewPasswordTest : public ::testing::TestWithParam<PasswordCase> {};

TEST_P(NewPasswordTest, Rules) {
  const auto& c = GetParam();
  EXPECT_EQ(validate_new_password(c.password).ok(), c.valid) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, NewPasswordTest,
    ::testing::Values(
        PasswordCase{"Empty", "", false},
        PasswordCase{"OneShorterThanMinimum", std::string(kMinPasswordLength - 1, 'a'), false},
        PasswordCase{"Minimum", std::string(kMinPasswordLength, 'a'), true},
        PasswordCase{"Maximum", std::string(kMaxPasswordLength, 'a'), true},
        PasswordCase{"OneLongerThanMaximum", std::string(kMaxPasswordLength + 1, 'a'), false},
        PasswordCase{"Nul", std::string("abcd\0efgh", 9), false},
        PasswordCase{"TrailingNul", std::string("abcdefgh\0", 9), false},
        PasswordCase{"Spaces", "correct horse battery staple", true},
        PasswordCase{"Utf8", "pässwörd-ünïcödé", true}),
    [](const auto& info) { return info.param.name; });

TEST(PasswordRulesTest, MessagesSayTheLimit) {
  EXPECT_NE(validate_new_password("short").error().find("at least 8"), std::string::npos);
  EXPECT_NE(validate_new_password(std::string(kMaxPasswordLength + 1, 'a'))
                .error()
                .find("at most " + std::to_string(kMaxPasswordLength)),
            std::string::npos);
  EXPECT_NE(validate_new_password(std::string("abcd\0efgh", 9)).error().find("NUL"),
            std::string::npos);
}

}  // namespace
}  // namespace signet::server
