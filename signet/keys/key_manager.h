#pragma once

// The authorization server's signing keys: created at first start, encrypted at rest, rotated,
// revoked and published.
//
// Per algorithm there is always a current key (signs tokens) and a next key (already published, so
// validators have it cached before it signs anything); rotation turns next into current and
// current into previous (still published, so tokens it signed keep verifying), and revoke takes a
// previous key out of the JWKS. Private halves are PKCS#8 PEM sealed with the master key
// (sealed_box.h); the associated data binds each blob to its kid and algorithm.
//
// Thread-safe. Decrypted keys are cached in memory and dropped when the store's generation()
// moves, so a rotation by the admin CLI in another process is picked up on the next call.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/jose/algorithm.h"
#include "signet/jose/jwk.h"
#include "signet/keys/error.h"
#include "signet/keys/master_key.h"
#include "signet/keys/sealed_box.h"
#include "signet/store/store.h"
#include "signet/store/types.h"

namespace signet::keys {

constexpr std::size_t kKidRandomBytes = 16;  // 128 bits: kids never collide by chance

template <typename T>
using KeyResult = Result<T, KeyError>;

class KeyManager {
 public:
  // `store` must outlive the manager.
  KeyManager(store::Store& store, MasterKey master_key);
  KeyManager(const KeyManager&) = delete;
  KeyManager& operator=(const KeyManager&) = delete;

  // Makes sure `alg` has a current and a next key, creating what is missing. Idempotent, and safe
  // when several processes start at once: the store refuses a second current or next key, and the
  // loser re-reads the winner's keys.
  KeyResult<Ok> ensure_keys(jose::Algorithm alg, store::Timestamp now);

  // The current key of `alg` with its private half, ready for jose::sign_compact. kNoSigningKey
  // when ensure_keys has not run; kSealed* when the blob cannot be opened; kKeyMismatch when the
  // decrypted key is not the one published under its kid.
  KeyResult<jose::Jwk> current_signing_key(jose::Algorithm alg);

  // Next becomes current, current becomes previous, and a fresh next is created. Returns the kid
  // of the new current key.
  KeyResult<std::string> rotate(jose::Algorithm alg, store::Timestamp now);

  // Revokes a previous key: it leaves the JWKS. kNotPrevious for a current, next or already
  // revoked key; kStore (store code kNotFound) for an unknown kid.
  KeyResult<Ok> revoke(std::string_view kid, store::Timestamp now);

  // {"keys": [...]}: the public JWKs of every next, current and previous key, as stored.
  KeyResult<boost::json::object> published_jwks();

 private:
  KeyResult<store::SigningKey> new_key(jose::Algorithm alg, store::SigningKeyState state,
                                       store::Timestamp now) const;
  KeyResult<jose::Jwk> decrypt(const store::SigningKey& key) const;

  store::Store& store_;
  MasterKey master_key_;
  SealedBox box_;

  std::mutex mu_;
  std::optional<std::uint64_t> cached_generation_;  // guarded by mu_
  std::map<jose::Algorithm, jose::Jwk> current_;    // guarded by mu_
};

// The associated data that binds a sealed private key to its row: algorithm and kid,
// length-prefixed so no two (alg, kid) pairs share an encoding.
std::string sealed_key_aad(jose::Algorithm alg, std::string_view kid);

}  // namespace signet::keys
