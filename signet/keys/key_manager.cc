#include "signet/keys/key_manager.h"

#include <array>

#include <openssl/crypto.h>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"
#include "signet/jose/json.h"
#include "signet/jose/pem.h"

namespace signet::keys {
namespace {

namespace json = boost::json;
using store::SigningKey;
using store::SigningKeyState;

KeyError store_error(const store::StoreError& e) {
  return KeyError{KeyErrorCode::kStore, std::string(store::to_string(e.code)) + ": " + e.message};
}

KeyError jose_error(std::string_view what, jose::Error e) {
  return KeyError{KeyErrorCode::kCrypto,
                  std::string(what) + ": " + std::string(jose::to_string(e))};
}

// Hex, not base64url: a kid is typed on command lines (`signet keys revoke KID`), and a
// base64url kid starting with '-' reads as an option there.
std::string new_kid() {
  std::array<std::uint8_t, kKidRandomBytes> bytes{};
  jose::random_bytes(bytes);
  return jose::to_hex(bytes);
}

// Wipes a secret string on every way out of a scope.
struct Wipe {
  std::string& s;
  ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
};

struct AlgorithmKeys {
  const SigningKey* current = nullptr;
  const SigningKey* next = nullptr;
};

AlgorithmKeys find_keys(const std::vector<SigningKey>& keys, jose::Algorithm alg) {
  AlgorithmKeys found;
  for (const auto& k : keys) {
    if (k.algorithm != alg) {
      continue;
    }
    if (k.state == SigningKeyState::kCurrent) {
      found.current = &k;
    } else if (k.state == SigningKeyState::kNext) {
      found.next = &k;
    }
  }
  return found;
}

}  // namespace

std::string sealed_key_aad(jose::Algorithm alg, std::string_view kid) {
  const std::string_view name = jose::to_string(alg);
  std::string out = "signet signing key\n";
  out += std::to_string(name.size()) + ":" + std::string(name) + "\n";
  out += std::to_string(kid.size()) + ":" + std::string(kid);
  return out;
}

KeyManager::KeyManager(store::Store& store, MasterKey master_key)
    : store_(store), master_key_(std::move(master_key)), box_(master_key_) {}

KeyResult<SigningKey> KeyManager::new_key(jose::Algorithm alg, SigningKeyState state,
                                          store::Timestamp now) const {
  auto jwk = jose::generate_jwk(alg, new_kid());
  if (!jwk) {
    return fail(jose_error("generating a signing key", jwk.error()));
  }
  auto pem = jose::private_key_pem(*jwk);
  if (!pem) {
    return fail(jose_error("encoding a signing key", pem.error()));
  }
  Wipe wipe{*pem};
  auto sealed = box_.seal(*pem, sealed_key_aad(alg, jwk->kid));
  if (!sealed) {
    return fail(sealed.error());
  }
  SigningKey key;
  key.kid = jwk->kid;
  key.algorithm = alg;
  key.state = state;
  key.encrypted_private_key = std::move(sealed).value();
  key.public_jwk = json::serialize(jose::to_public_json(*jwk));
  key.created_at = now;
  return key;
}

KeyResult<jose::Jwk> KeyManager::decrypt(const SigningKey& key) const {
  auto pem = box_.open(key.encrypted_private_key, sealed_key_aad(key.algorithm, key.kid));
  if (!pem) {
    return fail(KeyError{pem.error().code, "key " + key.kid + ": " + pem.error().message});
  }
  Wipe wipe{*pem};
  auto jwk = jose::parse_private_key_pem(*pem, key.algorithm, key.kid);
  if (!jwk) {
    return fail(jose_error("key " + key.kid, jwk.error()));
  }
  // The private key must be the one validators know under this kid, or every token it signs
  // would fail to verify; a mismatch means the row was tampered with or damaged.
  auto published = jose::parse_json_object(key.public_jwk);
  if (!published || *published != jose::to_public_json(*jwk)) {
    return fail(KeyError{KeyErrorCode::kKeyMismatch,
                         "key " + key.kid + ": private key does not match the published JWK"});
  }
  return std::move(jwk).value();
}

KeyResult<Ok> KeyManager::ensure_keys(jose::Algorithm alg, store::Timestamp now) {
  auto keys = store_.list_signing_keys();
  if (!keys) {
    return fail(store_error(keys.error()));
  }
  AlgorithmKeys found = find_keys(*keys, alg);
  if (found.current != nullptr && found.next != nullptr) {
    return Ok{};
  }
  std::vector<SigningKey> missing;
  for (const auto& [have, state] : {std::pair{found.current != nullptr, SigningKeyState::kCurrent},
                                    std::pair{found.next != nullptr, SigningKeyState::kNext}}) {
    if (!have) {
      auto key = new_key(alg, state, now);
      if (!key) {
        return fail(key.error());
      }
      missing.push_back(std::move(key).value());
    }
  }
  auto inserted = store_.insert_signing_keys(missing);
  if (inserted) {
    return Ok{};
  }
  if (inserted.error().code != store::StoreErrorCode::kConflict) {
    return fail(store_error(inserted.error()));
  }
  // Another process created the keys between our read and our insert: use its keys.
  auto again = store_.list_signing_keys();
  if (!again) {
    return fail(store_error(again.error()));
  }
  found = find_keys(*again, alg);
  if (found.current == nullptr || found.next == nullptr) {
    return fail(store_error(inserted.error()));
  }
  return Ok{};
}

KeyResult<jose::Jwk> KeyManager::current_signing_key(jose::Algorithm alg) {
  std::lock_guard lock(mu_);
  // Read the generation before the keys: a change in between leaves a stale generation cached,
  // which only causes one extra refresh, never a stale key.
  auto generation = store_.generation();
  if (!generation) {
    return fail(store_error(generation.error()));
  }
  if (cached_generation_ != *generation) {
    current_.clear();
    cached_generation_ = *generation;
  }
  if (auto it = current_.find(alg); it != current_.end()) {
    return it->second;
  }
  auto keys = store_.list_signing_keys();
  if (!keys) {
    return fail(store_error(keys.error()));
  }
  const SigningKey* current = find_keys(*keys, alg).current;
  if (current == nullptr) {
    return fail(KeyError{KeyErrorCode::kNoSigningKey,
                         "no current " + std::string(jose::to_string(alg)) + " signing key"});
  }
  auto jwk = decrypt(*current);
  if (!jwk) {
    return fail(jwk.error());
  }
  current_.emplace(alg, *jwk);
  return jwk;
}

KeyResult<std::string> KeyManager::rotate(jose::Algorithm alg, store::Timestamp now) {
  auto keys = store_.list_signing_keys();
  if (!keys) {
    return fail(store_error(keys.error()));
  }
  const SigningKey* next = find_keys(*keys, alg).next;
  if (next == nullptr) {
    return fail(KeyError{KeyErrorCode::kNoSigningKey,
                         "no next " + std::string(jose::to_string(alg)) + " key to rotate in"});
  }
  // Refuse to promote a key we could not sign with: better to find out now than after rotation.
  auto usable = decrypt(*next);
  if (!usable) {
    return fail(usable.error());
  }
  auto new_next = new_key(alg, SigningKeyState::kNext, now);
  if (!new_next) {
    return fail(new_next.error());
  }
  auto rotated = store_.rotate_signing_keys(alg, *new_next, now);
  if (!rotated) {
    return fail(store_error(rotated.error()));
  }
  return next->kid;
}

KeyResult<Ok> KeyManager::revoke(std::string_view kid, store::Timestamp now) {
  auto key = store_.get_signing_key(kid);
  if (!key) {
    return fail(store_error(key.error()));
  }
  if (key->state != SigningKeyState::kPrevious) {
    return fail(KeyError{KeyErrorCode::kNotPrevious,
                         "key " + key->kid + " is " + std::string(store::to_string(key->state)) +
                             "; only a previous key can be revoked (rotate first)"});
  }
  auto revoked = store_.revoke_signing_key(kid, now);
  if (!revoked) {
    if (revoked.error().code == store::StoreErrorCode::kInvalid) {
      return fail(KeyError{KeyErrorCode::kNotPrevious, revoked.error().message});
    }
    return fail(store_error(revoked.error()));
  }
  return Ok{};
}

KeyResult<json::object> KeyManager::published_jwks() {
  auto keys = store_.list_signing_keys();
  if (!keys) {
    return fail(store_error(keys.error()));
  }
  json::array published;
  for (const auto& k : *keys) {
    if (k.state == SigningKeyState::kRevoked) {
      continue;
    }
    auto jwk = jose::parse_json_object(k.public_jwk);
    if (!jwk) {
      return fail(
          KeyError{KeyErrorCode::kStore, "key " + k.kid + ": stored public JWK is invalid"});
    }
    published.push_back(std::move(jwk).value());
  }
  json::object jwks;
  jwks["keys"] = std::move(published);
  return jwks;
}

}  // namespace signet::keys
