#pragma once

// Whether a verified access token still stands for someone: the application it was issued to and,
// for a user's token, the user. An access token is self-contained and outlives admin changes, so
// the endpoints that are handed one back (introspection, /userinfo) ask this before answering for
// it: a blocked or deleted user, or a deleted application, no longer has an active token here.
//
// Cost: the application is looked up in the tenant snapshot (memory), so a client-credentials
// token costs no store call; a user's token costs one user lookup.

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/server/tenant.h"
#include "signet/store/error.h"
#include "signet/store/store.h"
#include "signet/store/types.h"

namespace signet::server {

enum class HolderStatus {
  kActive,         // the application exists and, for a user's token, the user exists unblocked
  kClientDeleted,  // no application has the token's client_id (or azp) any more
  kUserDeleted,    // no user has the token's sub any more
  kUserBlocked,    // the token's user is blocked
};

// A sentence for an error_description (RFC 6750) that says what happened and what to do next.
std::string_view describe(HolderStatus s);

struct TokenHolders {
  HolderStatus status = HolderStatus::kActive;
  std::optional<store::User> user;  // the token's user when it has one and it exists
};

// Checks the verified `claims` of an access token (verify_own_token()). A token is a client's own
// (no user) when its gty is "client-credentials"; every other grant's sub is a user id. Fails only
// when the store cannot answer (anything but kNotFound).
Result<TokenHolders, store::StoreError> check_token_holders(const TenantSnapshot& snap,
                                                            store::Store& store,
                                                            const boost::json::object& claims);

// The same for the user behind a refresh token (or any user id): kUserDeleted, kUserBlocked or
// kActive with the user.
Result<TokenHolders, store::StoreError> check_user_holder(store::Store& store,
                                                          std::string_view user_id);

}  // namespace signet::server
