#include "signet/server/grant_authorization_code.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>

#include <boost/json.hpp>

#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"
#include "signet/server/dpop_proofs.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/refresh_tokens.h"
#include "signet/server/user_tokens.h"

namespace signet::server {

using Code = OAuthErrorCode;

namespace {

// RFC 7636 §4.1: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

OAuthError invalid_grant(std::string description) {
  return oauth_error(Code::kInvalidGrant, std::move(description));
}

// The one answer for every code the store does not hold, so that an answer never tells which
// codes exist; the code itself is never echoed (it is a credential).
OAuthError unknown_code() {
  return invalid_grant(
      "The authorization code is unknown, expired or already used. Start the sign-in again at "
      "/authorize and exchange the new code once, within a minute.");
}

}  // namespace

bool valid_code_verifier(std::string_view verifier) {
  return verifier.size() >= kMinCodeVerifierLength && verifier.size() <= kMaxCodeVerifierLength &&
         std::all_of(verifier.begin(), verifier.end(), is_unreserved);
}

bool s256_matches(std::string_view verifier, std::string_view challenge) {
  const auto digest = jose::sha256(verifier);
  return jose::constant_time_equal(jose::base64url_encode(digest), challenge);
}

EndpointResult AuthorizationCodeGrant::issue(const GrantRequest& g) {
  const TenantSnapshot& snap = g.snap;
  const store::Application& client = *g.client.app;
  const EndpointRequest& req = g.req;
  const Params& p = *req.params;
  const auto presented = p.get("code");
  if (!presented) {
    return fail(oauth_error(Code::kInvalidRequest,
                            "code is required for grant_type=authorization_code: the code "
                            "parameter of the redirect from /authorize"));
  }
  // Longer than any code we issue: not one of ours, and not worth hashing.
  if (presented->size() > kMaxPresentedSecretLength) {
    return fail(unknown_code());
  }

  auto redeemed = svc_.store.redeem_authorization_code(svc_.secrets.hash(*presented), req.now());
  if (!redeemed) {
    if (redeemed.error().code == store::StoreErrorCode::kNotFound) {
      return fail(unknown_code());
    }
    return fail(store_failure("redeeming an authorization code", redeemed.error()));
  }
  const store::AuthorizationCode& code = *redeemed;
  if (req.notes != nullptr && code.client_id == client.client_id) {
    req.notes->user_id = code.user_id;
    req.notes->audience = code.audience;
  }
  if (code.used_at) {
    if (req.notes != nullptr) {
      req.notes->reuse_detected = true;
    }
    // RFC 6749 §4.1.2: a code used twice was seen by someone else, the client or an attacker;
    // whoever got the first tokens is not to be trusted, so the refresh tokens of that exchange
    // (and their rotated successors: one family) are revoked. Checked before expiry, so a late
    // second use still counts as one. A second use that lands in the milliseconds between the
    // first one's redemption and its refresh-token insert finds nothing to revoke yet; it is
    // still refused.
    auto revoked = svc_.store.revoke_refresh_token_family(code.refresh_family_id);
    if (!revoked) {
      return fail(store_failure("revoking the refresh tokens of a reused code", revoked.error()));
    }
    svc_.counters.code_reuse_detected.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn(
        "token endpoint: second use of an authorization code of client {} for user {} (by "
        "client {}); revoked the refresh tokens of its first exchange ({} tokens)",
        code.client_id, code.user_id, client.client_id, *revoked);
    return fail(invalid_grant(
        "The authorization code was already used. For safety the refresh tokens issued with it "
        "are revoked; start the sign-in again at /authorize."));
  }
  if (req.now() >= code.expires_at) {
    return fail(invalid_grant(
        "The authorization code expired. Exchange a code as soon as the browser comes back from "
        "/authorize; start the sign-in again."));
  }
  // RFC 6749 §4.1.3: the code is bound to the client it was issued to. Whose it is stays unsaid.
  if (code.client_id != client.client_id) {
    return fail(
        invalid_grant("The authorization code was issued to another client. Exchange it "
                      "with the client_id that was sent to /authorize."));
  }
  const auto redirect_uri = p.get("redirect_uri");
  if (!redirect_uri) {
    return fail(oauth_error(Code::kInvalidRequest,
                            "redirect_uri is required for grant_type=authorization_code: send "
                            "the redirect_uri of the authorization request, exactly as sent"));
  }
  // Byte for byte (RFC 6749 §4.1.3): no normalisation of case, slashes, ports or query, which
  // would let a look-alike URL pass.
  if (*redirect_uri != code.redirect_uri) {
    return fail(
        invalid_grant("redirect_uri does not match the one of the authorization request; "
                      "send it byte for byte as it was sent to /authorize"));
  }

  const auto verifier = p.get("code_verifier");
  if (!code.code_challenge.empty()) {
    if (!verifier) {
      return fail(
          invalid_grant("code_verifier is required: this code was issued with a PKCE "
                        "code_challenge; send the verifier it was computed from"));
    }
    if (!valid_code_verifier(*verifier)) {
      return fail(invalid_grant(
          "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)"));
    }
    if (!s256_matches(*verifier, code.code_challenge)) {
      return fail(
          invalid_grant("code_verifier does not match the code_challenge of the "
                        "authorization request (S256: BASE64URL(SHA-256(verifier)))"));
    }
  } else if (verifier) {
    // RFC 9700 §2.1.1: a verifier for a code issued without a challenge means the challenge was
    // stripped on the way to /authorize (a PKCE downgrade), so the code is not the client's.
    return fail(
        invalid_grant("code_verifier was sent but the authorization request had no "
                      "code_challenge; start the sign-in again with PKCE (S256)"));
  } else if (client.token_endpoint_auth_method == store::TokenEndpointAuthMethod::kNone) {
    // A public client proves nothing else about itself: its code must be bound to a verifier.
    // /authorize already requires one; this holds even if a code got in some other way.
    return fail(
        invalid_grant("a public client's code must be issued with a PKCE code_challenge "
                      "(S256); start the sign-in again with one"));
  }

  // RFC 9449 §10: a code requested with dpop_jkt is bound to that key; a proof by any other
  // key (or none) means whoever exchanges it is not who asked for it.
  if (!code.dpop_jkt.empty() && code.dpop_jkt != g.dpop_jkt) {
    if (req.notes != nullptr) {
      req.notes->dpop_error = rule_name(g.dpop_jkt.empty() ? jose::dpop::ProofError::kMissing
                                                           : jose::dpop::ProofError::kKeyMismatch);
    }
    return fail(invalid_grant(
        g.dpop_jkt.empty()
            ? "The authorization code is bound to a DPoP key (dpop_jkt, RFC 9449 §10): send a "
              "DPoP proof signed with that key"
            : "The DPoP proof's key is not the one of the authorization request's dpop_jkt: sign "
              "the proof with that key"));
  }
  const store::Api* api = snap.find_api(code.audience);
  if (api == nullptr) {
    return fail(
        invalid_grant("The API this code was issued for no longer exists; start the "
                      "sign-in again with the audience of an existing API."));
  }
  if (auto allowed = dpop_allowed(*api, g.dpop_jkt, req.notes); !allowed) {
    return fail(allowed.error());
  }
  auto user = svc_.store.get_user(code.user_id);
  if (!user) {
    if (user.error().code == store::StoreErrorCode::kNotFound) {
      return fail(unknown_code());  // deleted since sign-in (its codes normally go with it)
    }
    return fail(store_failure("looking up a user", user.error()));
  }
  if (user->blocked) {
    return fail(invalid_grant("The user is blocked; an admin can run: signet users unblock " +
                              command_word(user->email, "EMAIL")));
  }

  // What changed since sign-in counts: API scopes the user lost are dropped, and refresh tokens
  // need both the API and the client to still allow them. OpenID scopes are about the user.
  auto held = svc_.store.list_user_permissions(user->id, std::string_view(code.audience));
  if (!held) {
    return fail(store_failure("listing the user's permissions", held.error()));
  }
  const bool offline_allowed =
      api->allow_offline_access && allows(client, store::GrantType::kRefreshToken);
  std::vector<std::string> scopes = code.scopes;
  std::erase_if(scopes, [&](const std::string& s) {
    if (is_oidc_scope(s)) {
      return s == "offline_access" && !offline_allowed;
    }
    return std::none_of(held->begin(), held->end(),
                        [&](const store::UserPermission& up) { return up.permission == s; });
  });

  std::optional<std::string> refresh_token;
  if (contains(scopes, "offline_access")) {
    store::RefreshToken first;
    // The family chosen with the code: a second use of the code revokes it.
    first.family_id = code.refresh_family_id;
    first.client_id = client.client_id;
    first.user_id = user->id;
    first.audience = api->identifier;
    first.scopes = scopes;
    first.created_at = req.now();
    first.expires_at = req.now() + svc_.config.refresh_token_lifetime;
    // RFC 9449 §5: a public client has no credential to bind its refresh token to, so it is
    // bound to the DPoP key instead; a confidential client's is bound to its authentication.
    if (client.token_endpoint_auth_method == store::TokenEndpointAuthMethod::kNone) {
      first.jkt = std::string(g.dpop_jkt);
    }
    auto issued = insert_new_refresh_token(svc_.store, svc_.secrets, std::move(first));
    if (!issued) {
      return fail(issued.error());
    }
    refresh_token = std::move(*issued);
  }
  auto body = user_tokens(
      svc_.config, snap, client, *user, *api, scopes, GrantClaim::kAuthorizationCode, req.now(),
      SignInClaims{.nonce = code.nonce, .auth_time = code.auth_time}, g.dpop_jkt);
  if (!body) {
    return fail(body.error());
  }
  if (refresh_token) {
    (*body)["refresh_token"] = std::move(*refresh_token);
  }
  return body;
}

}  // namespace signet::server
