// POST /oauth/revoke (RFC 7009), one of TokenEndpoint's units.

#include "signet/server/token_endpoint.h"

#include <boost/json.hpp>

#include "signet/server/endpoint_support.h"
#include "signet/server/own_tokens.h"
#include "signet/server/refresh_tokens.h"

namespace signet::server {

namespace json = boost::json;
using Code = OAuthErrorCode;

EndpointResult TokenEndpoint::run_revoke(const EndpointRequest& req) {
  auto presented = presented_token(req, "revoke");
  if (!presented) {
    return fail(presented.error());
  }
  const std::string_view token = presented->token;
  if (token.size() > kMaxPresentedTokenBytes) {
    return json::object{};  // not a token of ours: RFC 7009 §2.2 answers 200 all the same
  }
  if (looks_like_jwt(token)) {
    if (verify_own_token(*presented->snap, config_.issuer, token, req.now())) {
      return fail(oauth_error(Code::kUnsupportedTokenType,
                              "access tokens are self-contained JWTs and cannot be revoked; "
                              "they expire at their exp. Revoke the refresh token instead."));
    }
    return json::object{};
  }
  auto found = find_refresh_token(store_, secrets_, token);
  if (!found) {
    return fail(found.error());
  }
  if (!*found) {
    return json::object{};
  }
  if ((*found)->client_id != presented->client.app->client_id) {
    // RFC 7009 §2.1: a client may revoke only its own tokens.
    return fail(oauth_error(Code::kUnauthorizedClient, "the token was issued to another client"));
  }
  auto revoked = store_.revoke_refresh_token_family((*found)->family_id);
  if (!revoked) {
    return fail(store_failure("revoking a refresh token family", revoked.error()));
  }
  counters_.revocations.fetch_add(1, std::memory_order_relaxed);
  return json::object{};
}

}  // namespace signet::server
