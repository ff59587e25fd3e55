#include "signet/server/refresh_tokens.h"

#include "signet/server/endpoint_support.h"

namespace signet::server {

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
