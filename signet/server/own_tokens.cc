#include "signet/server/own_tokens.h"

#include <algorithm>
#include <optional>

#include "signet/jose/json.h"
#include "signet/jose/jws.h"
#include "signet/jose/jwt.h"

namespace signet::server {

namespace {

Result<boost::json::object, std::string> verify(const TenantSnapshot& snapshot,
                                                std::string_view issuer, std::string_view token,
                                                std::optional<store::Timestamp> now) {
  auto jws = jose::parse_compact(token);
  if (!jws) {
    return fail(std::string(jose::to_string(jws.error())));
  }
  if (!jws->kid) {
    return fail(std::string("the token has no kid"));
  }
  const jose::Jwk* key = snapshot.published.find(*jws->kid);
  if (key == nullptr) {
    return fail(std::string("the token's kid is not a published key"));
  }
  if (auto verified = jose::verify_signature(*jws, *key); !verified) {
    return fail(std::string(jose::to_string(verified.error())));
  }
  auto claims = jose::decode_payload(*jws);
  if (!claims) {
    return fail(std::string(jose::to_string(claims.error())));
  }
  if (now) {
    if (auto times = jose::check_times(*claims, jose::TimeCheck{*now, std::chrono::seconds{0}});
        !times) {
      return fail(std::string(jose::to_string(times.error())));
    }
  }
  auto iss = jose::get_string(*claims, "iss");
  if (!iss || *iss != issuer) {
    return fail(std::string("the token was not issued by this server"));
  }
  return std::move(*claims);
}

}  // namespace

Result<boost::json::object, std::string> verify_own_token(const TenantSnapshot& snapshot,
                                                          std::string_view issuer,
                                                          std::string_view token,
                                                          store::Timestamp now) {
  return verify(snapshot, issuer, token, now);
}

Result<boost::json::object, std::string> verify_own_token_ignoring_time(
    const TenantSnapshot& snapshot, std::string_view issuer, std::string_view token) {
  return verify(snapshot, issuer, token, std::nullopt);
}

bool looks_like_jwt(std::string_view token) {
  return std::count(token.begin(), token.end(), '.') == 2;
}

}  // namespace signet::server
