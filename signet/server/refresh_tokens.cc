#include "signet/server/refresh_tokens.h"

#include <openssl/crypto.h>

#include "signet/keys/sealed_box.h"
#include "signet/server/endpoint_support.h"

namespace signet::server {
namespace {

constexpr std::string_view kSuccessorKeyLabel = "signet refresh-token successor key v1";

keys::MasterKey successor_key(const SecretHasher& secrets, std::string_view presented) {
  auto derived = secrets.derive_key(kSuccessorKeyLabel, presented);
  auto key = keys::MasterKey::from_bytes(derived);
  OPENSSL_cleanse(derived.data(), derived.size());
  return key;
}

}  // namespace

Result<std::string, OAuthError> seal_successor(const SecretHasher& secrets,
                                               std::string_view presented,
                                               std::string_view successor,
                                               std::string_view rotated_id) {
  const auto key = successor_key(secrets, presented);
  auto sealed = keys::SealedBox(key).seal(successor, rotated_id);
  if (!sealed) {
    return fail(internal_failure("sealing a refresh token's successor failed"));
  }
  return std::move(*sealed);
}

std::optional<std::string> open_successor(const SecretHasher& secrets, std::string_view presented,
                                          std::string_view sealed, std::string_view rotated_id) {
  if (sealed.empty()) {
    return std::nullopt;
  }
  const auto key = successor_key(secrets, presented);
  auto opened = keys::SealedBox(key).open(sealed, rotated_id);
  if (!opened) {
    return std::nullopt;
  }
  return std::move(*opened);
}

Result<std::string, OAuthError> insert_new_refresh_token(store::Store& store,
                                                         const SecretHasher& secrets,
                                                         store::RefreshToken first) {
  std::string token = generate_secret();
  first.id = random_id(kRefreshIdRandomBytes);
  first.token_hash = secrets.hash(token);
  if (auto inserted = store.insert_refresh_token(first); !inserted) {
    return fail(store_failure("storing a refresh token", inserted.error()));
  }
  return token;
}

Result<std::optional<store::RefreshToken>, OAuthError> find_refresh_token(
    store::Store& store, const SecretHasher& secrets, std::string_view presented) {
  // Longer than anything we issue: not one of ours, and not worth hashing.
  if (presented.size() > kMaxPresentedSecretLength) {
    return std::optional<store::RefreshToken>{};
  }
  auto found = store.find_refresh_token(secrets.hash(presented));
  if (!found) {
    if (found.error().code == store::StoreErrorCode::kNotFound) {
      return std::optional<store::RefreshToken>{};
    }
    return fail(store_failure("looking up a refresh token", found.error()));
  }
  return std::optional<store::RefreshToken>(std::move(*found));
}

}  // namespace signet::server
