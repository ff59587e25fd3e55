#include "signet/keys/key_manager.h"

#include <algorithm>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <boost/json/serialize.hpp>

#include "signet/jose/jws.h"
#include "signet/jose/pem.h"
#include "tests/store/store_test_support.h"

namespace signet::keys {
namespace {

using jose::Algorithm;
using store::SigningKey;
using store::SigningKeyState;
using store::testing::kNow;
using store::testing::TempDir;

constexpr Algorithm kAllAlgorithms[] = {Algorithm::kRS256, Algorithm::kPS256, Algorithm::kES256,
                                        Algorithm::kEdDSA};

MasterKey fixed_master_key() {
  std::array<std::uint8_t, kMasterKeyBytes> bytes{};
  bytes.fill(0x42);
  return MasterKey::from_bytes(bytes);
}

class KeyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::SqliteStore::open(dir_.file("signet.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    manager_ = std::make_unique<KeyManager>(*store_, fixed_master_key());
  }

  std::vector<SigningKey> keys() {
    auto listed = store_->list_signing_keys();
    EXPECT_TRUE(listed.ok());
    return listed.ok() ? *listed : std::vector<SigningKey>{};
  }

  std::size_t count(Algorithm alg, SigningKeyState state) {
    std::size_t n = 0;
    for (const auto& k : keys()) {
      n += k.algorithm == alg && k.state == state ? 1 : 0;
    }
    return n;
  }

  std::string kid_in(Algorithm alg, SigningKeyState state) {
    for (const auto& k : keys()) {
      if (k.algorithm == alg && k.state == state) {
        return k.kid;
      }
    }
    return {};
  }

  // Verifies `token` as a validator would: with the key from the published JWKS named by its kid.
  Result<Ok, jose::Error> verify_with_jwks(const std::string& token) {
    auto jwks_json = manager_->published_jwks();
    EXPECT_TRUE(jwks_json.ok());
    auto jwks = jose::parse_jwks(boost::json::serialize(*jwks_json));
    EXPECT_TRUE(jwks.ok());
    EXPECT_TRUE(jwks->skipped.empty());
    auto parsed = jose::parse_compact(token);
    if (!parsed) {
      return fail(parsed.error());
    }
    const jose::Jwk* key = jwks->find(parsed->kid.value_or(""));
    if (key == nullptr) {
      return fail(jose::Error::kSignatureInvalid);
    }
    return jose::verify_signature(*parsed, *key);
  }

  std::string sign(Algorithm alg) {
    auto key = manager_->current_signing_key(alg);
    EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message);
    auto token = jose::sign_compact(*key, {}, R"({"sub":"client-1"})");
    EXPECT_TRUE(token.ok());
    return *token;
  }

  std::vector<std::string> published_kids() {
    std::vector<std::string> kids;
    auto jwks = manager_->published_jwks();
    EXPECT_TRUE(jwks.ok());
    for (const auto& k : jwks->at("keys").as_array()) {
      kids.emplace_back(k.as_object().at("kid").as_string());
    }
    return kids;
  }

  TempDir dir_;
  std::unique_ptr<store::SqlStore> store_;
  std::unique_ptr<KeyManager> manager_;
};

TEST_F(KeyManagerTest, EnsureKeysCreatesOneCurrentAndOneNextAndIsIdempotent) {
  for (const Algorithm alg : kAllAlgorithms) {
    ASSERT_TRUE(manager_->ensure_keys(alg, kNow).ok()) << jose::to_string(alg);
    ASSERT_TRUE(manager_->ensure_keys(alg, kNow).ok());
    EXPECT_EQ(count(alg, SigningKeyState::kCurrent), 1u);
    EXPECT_EQ(count(alg, SigningKeyState::kNext), 1u);
  }
  EXPECT_EQ(keys().size(), 8u);
  EXPECT_EQ(published_kids().size(), 8u);
}

// A kid is typed on command lines (`signet keys revoke KID`): one starting with '-' would read
// as an option, so kids are lowercase hex.
TEST_F(KeyManagerTest, KidsAreLowercaseHexSafeToTypeOnACommandLine) {
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(manager_->rotate(Algorithm::kEdDSA, kNow).ok() ||
                manager_->ensure_keys(Algorithm::kEdDSA, kNow).ok());
  }
  ASSERT_FALSE(keys().empty());
  for (const auto& k : keys()) {
    EXPECT_EQ(k.kid.size(), 2 * kKidRandomBytes) << k.kid;
    EXPECT_EQ(k.kid.find_first_not_of("0123456789abcdef"), std::string::npos) << k.kid;
  }
}

TEST_F(KeyManagerTest, StoredBlobHoldsNeitherThePemNorTheRawPrivateKey) {
  ASSERT_TRUE(manager_->ensure_keys(Algorithm::kEdDSA, kNow).ok());
  auto current = manager_->current_signing_key(Algorithm::kEdDSA);
  ASSERT_TRUE(current.ok());
  auto pem = jose::private_key_pem(*current);
  ASSERT_TRUE(pem.ok());
  std::array<unsigned char, 32> raw{};
  std::size_t len = raw.size();
  ASSERT_EQ(EVP_PKEY_get_raw_private_key(current->pkey.get(), raw.data(), &len), 1);
  const std::string raw_key(reinterpret_cast<const char*>(raw.data()), len);
  for (const auto& k : keys()) {
    EXPECT_EQ(k.encrypted_private_key.find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(k.encrypted_private_key.find(*pem), std::string::npos);
    EXPECT_EQ(k.encrypted_private_key.find(raw_key), std::string::npos);
    EXPECT_EQ(k.public_jwk.find("\"d\""), std::string::npos);
  }
}

TEST_F(KeyManagerTest, CurrentKeySignsTokensThePublishedJwksVerifies) {
  for (const Algorithm alg : kAllAlgorithms) {
    ASSERT_TRUE(manager_->ensure_keys(alg, kNow).ok());
    const std::string token = sign(alg);
    EXPECT_TRUE(verify_with_jwks(token).ok()) << jose::to_string(alg);
    auto key = manager_->current_signing_key(alg);
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->kid, kid_in(alg, SigningKeyState::kCurrent));
    EXPECT_EQ(key->alg, alg);
  }
}

TEST_F(KeyManagerTest, PublishedKeysHaveTheRequiredMembers) {
  ASSERT_TRUE(manager_->ensure_keys(Algorithm::kRS256, kNow).ok());
  ASSERT_TRUE(manager_->ensure_keys(Algorithm::kES256, kNow).ok());
  auto jwks = manager_->published_jwks();
  ASSERT_TRUE(jwks.ok());
  for (const auto& v : jwks->at("keys").as_array()) {
    const auto& k = v.as_object();
    EXPECT_EQ(k.at("use").as_string(), "sig");
    EXPECT_TRUE(k.contains("kid") && k.contains("kty") && k.contains("alg"));
    if (k.at("kty").as_string() == "RSA") {
      EXPECT_TRUE(k.contains("n") && k.contains("e"));
    } else {
      EXPECT_TRUE(k.contains("crv") && k.contains("x") && k.contains("y"));
    }
    EXPECT_FALSE(k.contains("d"));
  }
}

TEST_F(KeyManagerTest, RotateMovesStatesAndOldTokensStillVerify) {
  const Algorithm alg = Algorithm::kES256;
  ASSERT_TRUE(manager_->ensure_keys(alg, kNow).ok());
  const std::string old_current = kid_in(alg, SigningKeyState::kCurrent);
  const std::string old_next = kid_in(alg, SigningKeyState::kNext);
  const std::string old_token = sign(alg);

  auto rotated = manager_->rotate(alg, kNow + std::chrono::hours{1});
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_EQ(*rotated, old_next);
  EXPECT_EQ(kid_in(alg, SigningKeyState::kPrevious), old_current);
  EXPECT_EQ(kid_in(alg, SigningKeyState::kCurrent), old_next);
  const std::string new_next = kid_in(alg, SigningKeyState::kNext);
  EXPECT_FALSE(new_next.empty());
  EXPECT_NE(new_next, old_current);
  EXPECT_NE(new_next, old_next);

  // The cache follows the rotation: new tokens carry the new kid.
  auto current = manager_->current_signing_key(alg);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->kid, old_next);
  EXPECT_TRUE(verify_with_jwks(sign(alg)).ok());
  // The previous key is still published, so tokens it signed keep verifying.
  EXPECT_TRUE(verify_with_jwks(old_token).ok());
  EXPECT_EQ(published_kids().size(), 3u);
}

TEST_F(KeyManagerTest, RevokeRemovesAPreviousKeyFromTheJwks) {
  const Algorithm alg = Algorithm::kRS256;
  ASSERT_TRUE(manager_->ensure_keys(alg, kNow).ok());
  const std::string old_token = sign(alg);
  const std::string old_current = kid_in(alg, SigningKeyState::kCurrent);
  ASSERT_TRUE(manager_->rotate(alg, kNow).ok());
  ASSERT_TRUE(manager_->revoke(old_current, kNow).ok());
  const auto kids = published_kids();
  EXPECT_EQ(kids.size(), 2u);
  EXPECT_EQ(std::find(kids.begin(), kids.end(), old_current), kids.end());
  EXPECT_FALSE(verify_with_jwks(old_token).ok());
  EXPECT_EQ(count(alg, SigningKeyState::kRevoked), 1u);
}

TEST_F(KeyManagerTest, RevokingACurrentNextOrRevokedKeyIsRefused) {
  const Algorithm alg = Algorithm::kEdDSA;
  ASSERT_TRUE(manager_->ensure_keys(alg, kNow).ok());
  for (const auto state : {SigningKeyState::kCurrent, SigningKeyState::kNext}) {
    auto revoked = manager_->revoke(kid_in(alg, state), kNow);
    ASSERT_FALSE(revoked.ok());
    EXPECT_EQ(revoked.error().code, KeyErrorCode::kNotPrevious);
  }
  const std::string old_current = kid_in(alg, SigningKeyState::kCurrent);
  ASSERT_TRUE(manager_->rotate(alg, kNow).ok());
  ASSERT_TRUE(manager_->revoke(old_current, kNow).ok());
  auto again = manager_->revoke(old_current, kNow);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, KeyErrorCode::kNotPrevious);
  auto unknown = manager_->revoke("no-such-kid", kNow);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, KeyErrorCode::kStore);
  EXPECT_EQ(published_kids().size(), 2u);
}

TEST_F(KeyManagerTest, NoKeysBeforeEnsureKeys) {
  auto key = manager_->current_signing_key(Algorithm::kRS256);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, KeyErrorCode::kNoSigningKey);
  auto rotated = manager_->rotate(Algorithm::kRS256, kNow);
  ASSERT_FALSE(rotated.ok());
  EXPECT_EQ(rotated.error().code, KeyErrorCode::kNoSigningKey);
}

TEST_F(KeyManagerTest, SecondManagerOverTheSameFileSeesTheKeys) {
  ASSERT_TRUE(manager_->ensure_keys(Algorithm::kES256, kNow).ok());
  const std::string token = sign(Algorithm::kES256);
  const auto before = keys();

  auto opened = store::SqliteStore::open(dir_.file("signet.db"));
  ASSERT_TRUE(opened.ok());
  KeyManager second(**opened, fixed_master_key());
  ASSERT_TRUE(second.ensure_keys(Algorithm::kES256, kNow).ok());
  EXPECT_EQ(keys(), before) << "ensure_keys must not create keys that already exist";
  auto key = second.current_signing_key(Algorithm::kES256);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->kid, kid_in(Algorithm::kES256, SigningKeyState::kCurrent));

  // A rotation by the second process (the admin CLI) reaches the first one's cache.
  ASSERT_TRUE(second.rotate(Algorithm::kES256, kNow).ok());
  auto after = manager_->current_signing_key(Algorithm::kES256);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->kid, kid_in(Algorithm::kES256, SigningKeyState::kCurrent));
  EXPECT_TRUE(verify_with_jwks(token).ok());
}

TEST_F(KeyManagerTest, RaceLoserAdoptsTheWinnersKeys) {
  // Two managers (as two processes would) both find no keys; one insert wins, the other
  // gets kConflict from the store and re-reads.
  auto opened = store::SqliteStore::open(dir_.file("signet.db"));
  ASSERT_TRUE(opened.ok());
  KeyManager second(**opened, fixed_master_key());
  std::thread t([&] { EXPECT_TRUE(second.ensure_keys(Algorithm::kES256, kNow).ok()); });
  EXPECT_TRUE(manager_->ensure_keys(Algorithm::kES256, kNow).ok());
  t.join();
  EXPECT_EQ(count(Algorithm::kES256, SigningKeyState::kCurrent), 1u);
  EXPECT_EQ(count(Algorithm::kES256, SigningKeyState::kNext), 1u);
  EXPECT_TRUE(second.current_signing_key(Algorithm::kES256).ok());
}

TEST_F(KeyManagerTest, WrongMasterKeyCannotOpenStoredKeys) {
  ASSERT_TRUE(manager_->ensure_keys(Algorithm::kES256, kNow).ok());
  KeyManager other(*store_, MasterKey::generate());
  auto key = other.current_signing_key(Algorithm::kES256);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, KeyErrorCode::kSealedWrongMasterKey);
}

TEST_F(KeyManagerTest, BlobMovedToAnotherKidIsRefused) {
  // An attacker with write access to the database copies a key's sealed blob into another row.
  // The kid is part of the associated data, so the blob no longer opens.
  ASSERT_TRUE(manager_->ensure_keys(Algorithm::kES256, kNow).ok());
  const auto original = keys();
  ASSERT_EQ(original.size(), 2u);

  TempDir other_dir;
  auto other = store::SqliteStore::open(other_dir.file("signet.db"));
  ASSERT_TRUE(other.ok());
  std::vector<SigningKey> forged = original;
  std::swap(forged[0].encrypted_private_key, forged[1].encrypted_private_key);
  ASSERT_TRUE((*other)->insert_signing_keys(forged).ok());
  KeyManager victim(**other, fixed_master_key());
  auto key = victim.current_signing_key(Algorithm::kES256);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, KeyErrorCode::kSealedAuthentication);
}

TEST_F(KeyManagerTest, PrivateKeyNotMatchingThePublishedJwkIsRefused) {
  // A row whose sealed private key is valid for its kid but whose public JWK is another key's:
  // signing with it would produce tokens no validator accepts, so it is refused up front.
  const MasterKey master = fixed_master_key();
  const SealedBox box(master);
  auto signing = jose::generate_jwk(Algorithm::kES256, "kid-a");
  auto published = jose::generate_jwk(Algorithm::kES256, "kid-a");
  ASSERT_TRUE(signing.ok() && published.ok());
  auto pem = jose::private_key_pem(*signing);
  ASSERT_TRUE(pem.ok());
  auto sealed = box.seal(*pem, sealed_key_aad(Algorithm::kES256, "kid-a"));
  ASSERT_TRUE(sealed.ok());
  SigningKey row;
  row.kid = "kid-a";
  row.algorithm = Algorithm::kES256;
  row.state = SigningKeyState::kCurrent;
  row.encrypted_private_key = *sealed;
  row.public_jwk = boost::json::serialize(jose::to_public_json(*published));
  row.created_at = kNow;
  ASSERT_TRUE(store_->insert_signing_keys({row}).ok());
  auto key = manager_->current_signing_key(Algorithm::kES256);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, KeyErrorCode::kKeyMismatch);
}

TEST_F(KeyManagerTest, EnsureKeysAddsAMissingNextKey) {
  // A database holding only a current key (an import, or an older version) gets its next key.
  ASSERT_TRUE(manager_->ensure_keys(Algorithm::kEdDSA, kNow).ok());
  auto all = keys();
  TempDir other_dir;
  auto other = store::SqliteStore::open(other_dir.file("signet.db"));
  ASSERT_TRUE(other.ok());
  for (const auto& k : all) {
    if (k.state == SigningKeyState::kCurrent) {
      ASSERT_TRUE((*other)->insert_signing_keys({k}).ok());
    }
  }
  KeyManager m(**other, fixed_master_key());
  ASSERT_TRUE(m.ensure_keys(Algorithm::kEdDSA, kNow).ok());
  auto listed = (*other)->list_signing_keys();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_TRUE(m.current_signing_key(Algorithm::kEdDSA).ok());
  EXPECT_TRUE(m.rotate(Algorithm::kEdDSA, kNow).ok());
}

}  // namespace
}  // namespace signet::keys
