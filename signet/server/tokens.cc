#include "signet/server/tokens.h"

#include <algorithm>
#include <array>
#include <atomic>

#include <boost/json.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"
#include "signet/jose/jws.h"

namespace signet::server {
namespace {

namespace json = boost::json;

std::int64_t seconds_of(store::Timestamp t) {
  return t.time_since_epoch().count();
}

// Unique, not secret (RFC 7519 §4.1.7): a random per-process prefix and a counter, so issuing a
// token does not cost a call into the CSPRNG (which asks the kernel for the pid every time).
std::string new_jti() {
  static const std::array<std::uint8_t, kJtiRandomBytes / 2> prefix = [] {
    std::array<std::uint8_t, kJtiRandomBytes / 2> p{};
    jose::random_bytes(p);
    return p;
  }();
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  std::array<std::uint8_t, kJtiRandomBytes> bytes{};
  std::copy(prefix.begin(), prefix.end(), bytes.begin());
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[prefix.size() + i] = static_cast<std::uint8_t>(n >> (56 - 8 * i));
  }
  return jose::base64url_encode(bytes);
}

// OpenID Connect Core §3.1.3.6: the left half of the SHA-256 of the access token (the ID token
// is RS256), base64url.
std::string at_hash(std::string_view access_token) {
  const auto digest = jose::sha256(access_token);
  return jose::base64url_encode(std::span<const std::uint8_t>(digest.data(), digest.size() / 2));
}

}  // namespace

std::string_view to_string(GrantClaim g) {
  switch (g) {
    case GrantClaim::kClientCredentials:
      return "client-credentials";
    case GrantClaim::kPassword:
      return "password";
    case GrantClaim::kRefreshToken:
      return "refresh_token";
    case GrantClaim::kAuthorizationCode:
      return "authorization_code";
  }
  return "client-credentials";
}

std::string_view token_type(std::string_view dpop_jkt) {
  return dpop_jkt.empty() ? "Bearer" : "DPoP";
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) {
      out += ' ';
    }
    out += s;
  }
  return out;
}

std::vector<std::string> split_scopes(std::string_view scope) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < scope.size()) {
    const std::size_t end = std::min(scope.find(' ', pos), scope.size());
    if (end > pos) {
      std::string s(scope.substr(pos, end - pos));
      if (std::find(out.begin(), out.end(), s) == out.end()) {
        out.push_back(std::move(s));
      }
    }
    pos = end + 1;
  }
  return out;
}

Result<IssuedToken, std::string> issue_access_token(const AccessTokenRequest& req,
                                                    const jose::Jwk& key) {
  const store::Api& api = *req.api;
  const bool rfc9068 = api.token_profile == store::TokenProfile::kRfc9068;
  IssuedToken issued{std::string(), new_jti()};

  json::object claims;
  claims["iss"] = req.issuer;
  claims["sub"] = req.subject;
  if (req.userinfo_audience) {
    claims["aud"] = json::array{json::string(api.identifier),
                                json::string(std::string(req.issuer) + "userinfo")};
  } else {
    claims["aud"] = api.identifier;
  }
  claims["iat"] = seconds_of(req.now);
  claims["exp"] = seconds_of(req.now) + api.token_lifetime.count();
  claims["azp"] = req.client_id;
  if (rfc9068) {
    claims["client_id"] = req.client_id;  // RFC 9068 §2.2 requires it
  }
  if (!req.scopes.empty()) {
    claims["scope"] = join_scopes(req.scopes);
  }
  if (api.permissions_claim) {
    // The API's permissions among the granted scopes (OpenID scopes are not permissions).
    json::array permissions;
    for (const auto& scope : req.scopes) {
      if (std::any_of(api.permissions.begin(), api.permissions.end(),
                      [&](const store::Permission& p) { return p.value == scope; })) {
        permissions.emplace_back(scope);
      }
    }
    claims["permissions"] = std::move(permissions);
  }
  claims["gty"] = to_string(req.grant);
  claims["jti"] = issued.jti;
  if (!req.dpop_jkt.empty()) {
    claims["cnf"] = json::object{{"jkt", req.dpop_jkt}};
  }

  // RFC 9068 §2.1: "at+jwt" marks the token as an access token, so it can never be confused
  // with an ID token; Auth0's profile says "JWT".
  json::object header{{"typ", rfc9068 ? "at+jwt" : "JWT"}};
  auto signed_token = jose::sign_compact(key, std::move(header), json::serialize(claims));
  if (!signed_token) {
    return fail("cannot sign the access token: " +
                std::string(jose::to_string(signed_token.error())));
  }
  issued.token = std::move(*signed_token);
  return issued;
}

Result<std::string, std::string> issue_id_token(const IdTokenRequest& req, const jose::Jwk& key) {
  json::object claims;
  claims["iss"] = req.issuer;
  claims["sub"] = req.user->id;
  claims["aud"] = req.client_id;
  claims["iat"] = seconds_of(req.now);
  claims["exp"] = seconds_of(req.now) + req.lifetime.count();
  claims["azp"] = req.client_id;
  if (req.auth_time) {
    claims["auth_time"] = seconds_of(*req.auth_time);
  }
  if (!req.nonce.empty()) {
    claims["nonce"] = req.nonce;
  }
  if (req.email_scope) {
    claims["email"] = req.user->email;
    // signet never sends mail, so it cannot claim an address was verified.
    claims["email_verified"] = false;
  }
  if (!req.access_token.empty()) {
    claims["at_hash"] = at_hash(req.access_token);
  }
  auto signed_token =
      jose::sign_compact(key, json::object{{"typ", "JWT"}}, json::serialize(claims));
  if (!signed_token) {
    return fail("cannot sign the ID token: " + std::string(jose::to_string(signed_token.error())));
  }
  return std::move(*signed_token);
}

}  // namespace signet::server
