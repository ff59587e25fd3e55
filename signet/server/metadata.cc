#include "signet/server/metadata.h"

#include <set>

#include <boost/json.hpp>

#include "signet/server/dpop_proofs.h"

namespace signet::server {

namespace json = boost::json;

std::string metadata_json(std::string_view issuer, const TenantSnapshot& snapshot) {
  const std::string base(issuer);
  json::array scopes{"openid", "profile", "email", "offline_access"};
  std::set<std::string> seen{"openid", "profile", "email", "offline_access"};
  std::set<std::string> algs;
  for (const auto& [id, api] : snapshot.apis) {
    algs.insert(std::string(jose::to_string(api.signing_algorithm)));
    for (const auto& p : api.permissions) {
      if (seen.insert(p.value).second) {
        scopes.emplace_back(p.value);
      }
    }
  }
  json::array access_token_algs;
  for (const auto& a : algs) {
    access_token_algs.emplace_back(a);
  }
  // A public client (none) only ever calls the token endpoint (a code with its PKCE verifier).
  const json::array token_auth_methods{"client_secret_basic", "client_secret_post",
                                       "private_key_jwt", "none"};
  const json::array auth_methods{"client_secret_basic", "client_secret_post", "private_key_jwt"};
  // What a private_key_jwt assertion may be signed with: every asymmetric algorithm signet's JOSE
  // verifies (never HMAC, never none).
  const json::array assertion_algs{"RS256", "PS256", "ES256", "EdDSA"};
  json::array dpop_algs;
  for (const auto a : kDpopAlgorithms) {
    dpop_algs.emplace_back(jose::to_string(a));
  }
  json::object doc{
      {"issuer", base},
      {"token_endpoint", base + std::string(kTokenPath)},
      {"jwks_uri", base + std::string(kJwksPath)},
      {"userinfo_endpoint", base + std::string(kUserinfoPath)},
      {"revocation_endpoint", base + std::string(kRevocationPath)},
      {"authorization_endpoint", base + "authorize"},
      {"end_session_endpoint", base + "oidc/logout"},
      {"introspection_endpoint", base + std::string(kIntrospectionPath)},
      {"grant_types_supported",
       json::array{"authorization_code", "client_credentials", "password", "refresh_token"}},
      {"token_endpoint_auth_methods_supported", token_auth_methods},
      {"token_endpoint_auth_signing_alg_values_supported", assertion_algs},
      {"revocation_endpoint_auth_methods_supported", auth_methods},
      {"revocation_endpoint_auth_signing_alg_values_supported", assertion_algs},
      {"introspection_endpoint_auth_methods_supported", auth_methods},
      {"introspection_endpoint_auth_signing_alg_values_supported", assertion_algs},
      {"scopes_supported", std::move(scopes)},
      {"response_types_supported", json::array{"code"}},
      {"response_modes_supported", json::array{"query"}},
      {"code_challenge_methods_supported", json::array{"S256"}},
      // RFC 9207: every authorization response names its issuer.
      {"authorization_response_iss_parameter_supported", true},
      {"prompt_values_supported", json::array{"none", "login", "consent", "select_account"}},
      {"subject_types_supported", json::array{"public"}},
      {"id_token_signing_alg_values_supported",
       json::array{json::string(jose::to_string(kIdTokenAlgorithm))}},
      // Not a registered name, but what the tokens on this server are signed with, per API.
      {"access_token_signing_alg_values_supported", std::move(access_token_algs)},
      // RFC 9449 §5.1: the algorithms a DPoP proof may be signed with (never none or HMAC).
      {"dpop_signing_alg_values_supported", dpop_algs},
      {"claims_supported", json::array{"iss", "sub", "aud", "exp", "iat", "azp", "scope", "email",
                                       "email_verified", "nonce", "auth_time", "at_hash"}},
  };
  return json::serialize(doc);
}

}  // namespace signet::server
