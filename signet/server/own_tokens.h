#pragma once

// Verifies access tokens this server issued, against its own published keys, for the endpoints
// that are handed one back: /userinfo, introspection and revocation. No JWKS fetch is involved:
// the keys come from the tenant snapshot.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/server/tenant.h"

namespace signet::server {

// The verified claims, or why the token is not one of ours and valid now: signature by a
// published key, "iss" equal to `issuer`, "exp" in the future (no leeway: we issued it and share
// our own clock), "nbf"/"iat" not in the future.
Result<boost::json::object, std::string> verify_own_token(const TenantSnapshot& snapshot,
                                                          std::string_view issuer,
                                                          std::string_view token,
                                                          store::Timestamp now);

// As verify_own_token, but without the time checks: for an ID token presented as a logout hint,
// which OpenID RP-Initiated Logout §2 says to accept after it expired.
Result<boost::json::object, std::string> verify_own_token_ignoring_time(
    const TenantSnapshot& snapshot, std::string_view issuer, std::string_view token);

// True when `token` has the shape of a JWS (three dot-separated segments): refresh tokens never
// contain a dot, so the two kinds are told apart without a lookup.
bool looks_like_jwt(std::string_view token);

}  // namespace signet::server
