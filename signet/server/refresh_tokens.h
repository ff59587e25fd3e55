#pragma once

// The refresh-token storage that the grants, revocation and introspection share: refresh tokens
// are opaque, stored only as a keyed hash (credentials.h), and found by hashing what is presented.

#include <cstddef>
#include <optional>
#include <string_view>

#include "signet/common/result.h"
#include "signet/server/credentials.h"
#include "signet/server/oauth_error.h"
#include "signet/store/store.h"

namespace signet::server {

// bytes of a refresh token's id and family id (hex in the store).
constexpr std::size_t kRefreshIdRandomBytes = 16;

// The stored refresh token a presented one hashes to; nullopt when there is none (also for
// anything longer than a secret we issue, which is not hashed at all).
Result<std::optional<store::RefreshToken>, OAuthError> find_refresh_token(
    store::Store& store, const SecretHasher& secrets, std::string_view presented);

}  // namespace signet::server
