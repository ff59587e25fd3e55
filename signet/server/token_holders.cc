#include "signet/server/token_holders.h"

#include "signet/jose/json.h"
#include "signet/server/tokens.h"

namespace signet::server {

std::string_view describe(HolderStatus s) {
  switch (s) {
    case HolderStatus::kActive:
      return "the token is active";
    case HolderStatus::kClientDeleted:
      return "the application the token was issued to no longer exists; sign in again with an "
             "existing one";
    case HolderStatus::kUserDeleted:
      return "the token's user no longer exists";
    case HolderStatus::kUserBlocked:
      return "the user is blocked: their tokens are refused until an admin runs signet users "
             "unblock";
  }
  return "the token is not active";
}

Result<TokenHolders, store::StoreError> check_user_holder(store::Store& store,
                                                          std::string_view user_id) {
  auto user = store.get_user(user_id);
  if (!user) {
    if (user.error().code == store::StoreErrorCode::kNotFound) {
      return TokenHolders{HolderStatus::kUserDeleted, std::nullopt};
    }
    return fail(user.error());
  }
  const HolderStatus status = user->blocked ? HolderStatus::kUserBlocked : HolderStatus::kActive;
  return TokenHolders{status, std::move(*user)};
}

Result<TokenHolders, store::StoreError> check_token_holders(const TenantSnapshot& snap,
                                                            store::Store& store,
                                                            const boost::json::object& claims) {
  // The rfc9068 profile names the client in client_id, the auth0 profile in azp.
  auto client_id = jose::get_string(claims, "client_id");
  if (!client_id) {
    client_id = jose::get_string(claims, "azp");
  }
  if (!client_id || snap.find_application(*client_id) == nullptr) {
    return TokenHolders{HolderStatus::kClientDeleted, std::nullopt};
  }
  const auto gty = jose::get_string(claims, "gty");
  if (gty && *gty == to_string(GrantClaim::kClientCredentials)) {
    return TokenHolders{};  // the client's own token: no user behind it
  }
  const auto sub = jose::get_string(claims, "sub");
  if (!sub) {
    return TokenHolders{HolderStatus::kUserDeleted, std::nullopt};
  }
  return check_user_holder(store, *sub);
}

}  // namespace signet::server
