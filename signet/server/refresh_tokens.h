#pragma once

// The refresh-token storage that the grants, revocation and introspection share: refresh tokens
// are opaque, stored only as a keyed hash (credentials.h), and found by hashing what is presented.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "signet/common/result.h"
#include "signet/server/credentials.h"
#include "signet/server/oauth_error.h"
#include "signet/store/store.h"

namespace signet::server {

// bytes of a refresh token's id and family id (hex in the store).
constexpr std::size_t kRefreshIdRandomBytes = 16;

// Issues the first refresh token of a family: `first` as the grant fills it (family, client,
// user, audience, scopes, created_at, expires_at); its id and token are made here, only the
// token's hash is stored, and the plaintext is returned to be shown once. The password grant
// starts a new family; the code exchange uses the family chosen with the code, so that a second
// use of the code can revoke it.
Result<std::string, OAuthError> insert_new_refresh_token(store::Store& store,
                                                         const SecretHasher& secrets,
                                                         store::RefreshToken first);

// The stored refresh token a presented one hashes to; nullopt when there is none (also for
// anything longer than a secret we issue, which is not hashed at all).
Result<std::optional<store::RefreshToken>, OAuthError> find_refresh_token(
    store::Store& store, const SecretHasher& secrets, std::string_view presented);

// A rotated token keeps its successor so that a retry within the grace period (two tabs, a lost
// response) is answered with the successor already issued, not with a new token: the store holds
// the successor sealed (AES-256-GCM, keys/sealed_box.h) under a key derived from the presented
// token's plaintext and the master key. The store never holds that plaintext, so a copy of the
// database cannot open it; only whoever presents the rotated token can.
Result<std::string, OAuthError> seal_successor(const SecretHasher& secrets,
                                               std::string_view presented,
                                               std::string_view successor,
                                               std::string_view rotated_id);
// The successor sealed by seal_successor for the same presented token and id; nullopt when the
// blob does not open (another token, another id, a tampered or empty blob).
std::optional<std::string> open_successor(const SecretHasher& secrets, std::string_view presented,
                                          std::string_view sealed, std::string_view rotated_id);

}  // namespace signet::server
