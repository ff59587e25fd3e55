#include "signet/server/user_tokens.h"

#include "signet/server/endpoint_support.h"

namespace signet::server {

namespace json = boost::json;

Result<json::object, OAuthError> user_tokens(
    const EndpointConfig& config, const TenantSnapshot& snap, const store::Application& client,
    const store::User& user, const store::Api& api, const std::vector<std::string>& scopes,
    GrantClaim grant, store::Timestamp now, const SignInClaims& sign_in,
    std::string_view dpop_jkt) {
  const jose::Jwk* key = snap.signing_key(api.signing_algorithm);
  if (key == nullptr) {
    return fail(internal_failure("no current signing key for " +
                                 std::string(jose::to_string(api.signing_algorithm))));
  }
  const bool openid = contains(scopes, "openid");
  AccessTokenRequest at{config.issuer, &api, client.client_id, user.id, scopes, grant,
                        openid,        now,  dpop_jkt};
  auto issued = issue_access_token(at, *key);
  if (!issued) {
    return fail(internal_failure(issued.error()));
  }
  json::object body{{"access_token", issued->token},
                    {"token_type", token_type(dpop_jkt)},
                    {"expires_in", api.token_lifetime.count()}};
  if (!scopes.empty()) {
    body["scope"] = join_scopes(scopes);
  }
  if (openid) {
    const jose::Jwk* id_key = snap.signing_key(kIdTokenAlgorithm);
    if (id_key == nullptr) {
      return fail(internal_failure("no current RS256 key for ID tokens"));
    }
    const IdTokenRequest it{.issuer = config.issuer,
                            .client_id = client.client_id,
                            .user = &user,
                            .email_scope = contains(scopes, "email"),
                            .access_token = issued->token,
                            .lifetime = config.id_token_lifetime,
                            .now = now,
                            .nonce = sign_in.nonce,
                            .auth_time = sign_in.auth_time};
    auto id_token = issue_id_token(it, *id_key);
    if (!id_token) {
      return fail(internal_failure(id_token.error()));
    }
    body["id_token"] = std::move(*id_token);
  }
  return body;
}

}  // namespace signet::server
