#pragma once

// The authorization request of GET /authorize (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect
// Core §3.1.2.1, RFC 8707), checked against the tenant. HTTP-free: parameters in, a request or an
// error out. Which errors may travel back to the client's redirect URI, and which must never
// (an unknown client, an unregistered redirect URI: RFC 6749 §4.1.2.1), is decided here.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/server/params.h"
#include "signet/server/tenant.h"

namespace signet::server {

// bytes of `state` and `nonce`: both are echoed back (in the redirect, in the ID token), so
// they are bounded; real ones are tens of bytes.
constexpr std::size_t kMaxStateBytes = 2048;
constexpr std::size_t kMaxNonceBytes = 512;
// RFC 7636 §4.1: a code_verifier (and so an S256 challenge of one) is 43 to 128 characters.
constexpr std::size_t kMinCodeChallengeBytes = 43;
constexpr std::size_t kMaxCodeChallengeBytes = 128;

enum class Prompt { kDefault, kNone, kLogin };

struct AuthorizationRequest {
  const store::Application* client = nullptr;  // points into the snapshot it was checked against
  const store::Api* api = nullptr;
  std::string redirect_uri;  // as sent, which is how a code is bound to it
  std::string state;         // empty when none was sent
  std::string nonce;
  std::vector<std::string> scopes;  // as requested, duplicates removed
  std::string code_challenge;       // empty only for a confidential client allowed to skip PKCE
  // RFC 9449 §10: the thumbprint of the DPoP key the code is bound to; empty when none was sent.
  std::string dpop_jkt;
  Prompt prompt = Prompt::kDefault;
  std::optional<std::chrono::seconds> max_age;
  std::string login_hint;

  // The parameters that carry this request through the login form and back to the checks: the
  // form posts them again, and they are checked again, so nothing in it is trusted.
  std::vector<std::pair<std::string, std::string>> form_fields;
};

struct AuthorizationError {
  std::string error;        // RFC 6749 §4.1.2.1 / OIDC Core §3.1.2.6, e.g. "invalid_request"
  std::string description;  // what went wrong and what to do; never a secret
  // Empty: show an error page and never redirect. Otherwise where the error goes, with `state`.
  std::string redirect_uri;
  std::string state;
};

struct AuthorizationPolicy {
  // Confidential clients must also send a PKCE challenge (RFC 9700 §2.1.1 recommends it for
  // all); public clients always must.
  bool require_pkce = true;
};

// Checks every parameter against the snapshot.
Result<AuthorizationRequest, AuthorizationError> check_authorization_request(
    const TenantSnapshot& snap, const Params& params, const AuthorizationPolicy& policy);

// True when `sent` matches one of the client's registered callbacks: byte for byte, except that
// a native app's loopback redirect (http://127.0.0.1 or http://[::1]) may use any port
// (RFC 8252 §7.3: the app listens on whichever port the system gives it).
bool redirect_uri_registered(const store::Application& client, std::string_view sent);

// `uri` with the parameters appended to its query (RFC 6749 §4.1.2: the existing query is kept),
// form-urlencoded.
std::string with_query(std::string_view uri,
                       const std::vector<std::pair<std::string, std::string>>& params);

// The part of an absolute URL a CSP source names: "https://app.example.com:8443" for web URLs,
// "com.example.app:" for a custom scheme.
std::string csp_source_of(std::string_view url);

}  // namespace signet::server
