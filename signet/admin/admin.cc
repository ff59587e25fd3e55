#include "signet/admin/admin.h"

namespace signet::admin {

bool ApiPatch::empty() const {
  return !name && !signing_algorithm && !token_lifetime && !allow_offline_access &&
         !token_profile && !permissions_claim && !require_dpop && !permissions &&
         add_permissions.empty() && remove_permissions.empty();
}

bool ApplicationPatch::empty() const {
  return !name && !type && !grant_types && !token_endpoint_auth_method && !callbacks &&
         !allowed_logout_urls && !web_origins && !jwks && !jwks_uri && !dpop_bound_access_tokens;
}

bool UserPatch::empty() const {
  return !email && !password && !blocked;
}

}  // namespace signet::admin
