#include "signet/server/authorization_request.h"

#include <algorithm>
#include <charconv>

#include "signet/server/endpoint_support.h"
#include "signet/server/tokens.h"

namespace signet::server {
namespace {

// The parameters of an authorization request that the login form carries along (everything the
// checks below read, and nothing else). prompt and max_age are left out: the form exists because
// they asked for a fresh sign-in, and the sign-in it leads to satisfies them.
constexpr std::string_view kCarriedParams[] = {
    "response_type", "client_id",  "redirect_uri", "state",          "nonce",
    "scope",         "audience",   "resource",     "code_challenge", "code_challenge_method",
    "response_mode", "login_hint", "dpop_jkt"};

// bytes of a login_hint: it pre-fills the email field.
constexpr std::size_t kMaxLoginHintBytes = 320;

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

struct UrlParts {
  std::string_view scheme;  // lower-case not enforced: compared as sent
  std::string_view host;    // without brackets for IPv6
  std::string_view port;
  std::string_view rest;  // path, query and fragment
};

// Splits "scheme://authority/rest"; nullopt when `url` has no authority.
std::optional<UrlParts> split_url(std::string_view url) {
  const auto colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  UrlParts p;
  p.scheme = url.substr(0, colon);
  std::string_view rest = url.substr(colon + 3);
  const auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  p.rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return std::nullopt;  // userinfo: never part of a registered redirect
  }
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    p.host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return std::nullopt;
      }
      p.port = after.substr(1);
    }
  } else {
    const auto c = authority.rfind(':');
    p.host = authority.substr(0, c);
    if (c != std::string_view::npos) {
      p.port = authority.substr(c + 1);
    }
  }
  return p;
}

bool is_loopback_ip(std::string_view host) {
  return host == "127.0.0.1" || host == "::1";
}

AuthorizationError page_error(std::string description) {
  return AuthorizationError{"invalid_request", std::move(description), "", ""};
}

}  // namespace

bool redirect_uri_registered(const store::Application& client, std::string_view sent) {
  if (std::find(client.callbacks.begin(), client.callbacks.end(), sent) != client.callbacks.end()) {
    return true;
  }
  if (client.type != store::ApplicationType::kNative) {
    return false;
  }
  const auto s = split_url(sent);
  if (!s || s->scheme != "http" || !is_loopback_ip(s->host)) {
    return false;
  }
  for (const auto& registered : client.callbacks) {
    const auto r = split_url(registered);
    if (r && r->scheme == "http" && r->host == s->host && r->rest == s->rest) {
      return true;
    }
  }
  return false;
}

std::string with_query(std::string_view uri,
                       const std::vector<std::pair<std::string, std::string>>& params) {
  const auto hash = uri.find('#');
  std::string out(uri.substr(0, hash));  // registered URIs have no fragment; never keep one
  char sep = out.find('?') == std::string::npos ? '?' : '&';
  if (sep == '&' && !out.empty() && (out.back() == '?' || out.back() == '&')) {
    sep = '\0';
  }
  for (const auto& [name, value] : params) {
    if (sep != '\0') {
      out += sep;
    }
    sep = '&';
    out += percent_encode(name);
    out += '=';
    out += percent_encode(value);
  }
  return out;
}

std::string csp_source_of(std::string_view url) {
  std::string out;
  if (const auto p = split_url(url)) {
    const bool ipv6 = p->host.find(':') != std::string_view::npos;
    out.append(p->scheme).append("://");
    out.append(ipv6 ? "[" : "").append(p->host).append(ipv6 ? "]" : "");
    if (!p->port.empty()) {
      out.append(":").append(p->port);
    }
    return out;
  }
  const auto colon = url.find(':');
  if (colon != std::string_view::npos) {
    out.append(url.substr(0, colon + 1));
  }
  return out;
}

Result<AuthorizationRequest, AuthorizationError> check_authorization_request(
    const TenantSnapshot& snap, const Params& params, const AuthorizationPolicy& policy) {
  AuthorizationRequest out;
  // Until the client and its redirect URI are known, errors are shown, never redirected: an
  // attacker's redirect_uri must not receive anything (RFC 6749 §4.1.2.1, §10.15).
  const auto client_id = params.get("client_id");
  if (!client_id) {
    return fail(
        page_error("client_id is required: the application's client id ('signet "
                   "clients list')"));
  }
  out.client = snap.find_application(*client_id);
  if (out.client == nullptr) {
    return fail(page_error("Unknown client: no application has the client_id '" +
                           echoed(*client_id) + "'. Check the application's settings."));
  }
  const auto redirect_uri = params.get("redirect_uri");
  if (!redirect_uri) {
    return fail(page_error("redirect_uri is required: one of the application's callback URLs"));
  }
  if (!redirect_uri_registered(*out.client, *redirect_uri)) {
    return fail(page_error(
        "The redirect_uri '" + echoed(*redirect_uri) +
        "' is not one of the application's callback URLs (compared exactly). Register it: "
        "signet clients update " +
        command_word(out.client->client_id, "CLIENT_ID") + " --callbacks URL[,URL...]"));
  }
  out.redirect_uri = std::string(*redirect_uri);
  const auto state = params.get("state");
  if (state && state->size() > kMaxStateBytes) {
    // Not echoed: a state this long is not something to send back.
    return fail(page_error("state is longer than " + std::to_string(kMaxStateBytes) + " bytes"));
  }
  out.state = std::string(state.value_or(""));

  // From here on, errors go back to the application.
  const auto back = [&](std::string error, std::string description) {
    return AuthorizationError{std::move(error), std::move(description), out.redirect_uri,
                              out.state};
  };
  if (params.has("request")) {
    return fail(back("request_not_supported", "request objects are not supported"));
  }
  if (params.has("request_uri")) {
    return fail(back("request_uri_not_supported", "request_uri is not supported"));
  }
  const auto response_type = params.get("response_type");
  if (!response_type) {
    return fail(back("invalid_request", "response_type is required: code"));
  }
  if (*response_type != "code") {
    return fail(back("unsupported_response_type",
                     "response_type must be code (the authorization code flow with PKCE)"));
  }
  if (const auto mode = params.get("response_mode"); mode && *mode != "query") {
    return fail(back("invalid_request", "response_mode must be query"));
  }
  if (!allows(*out.client, store::GrantType::kAuthorizationCode)) {
    return fail(back("unauthorized_client",
                     "the application may not use the authorization code flow. Enable it: "
                     "signet clients update " +
                         command_word(out.client->client_id, "CLIENT_ID") +
                         " --grant-types authorization_code,refresh_token"));
  }

  const auto method = params.get("code_challenge_method");
  const auto challenge = params.get("code_challenge");
  if (method && *method != "S256") {
    return fail(back("invalid_request",
                     "code_challenge_method must be S256 (plain is not accepted: it does not "
                     "protect the code if the authorization request is seen)"));
  }
  const bool public_client =
      out.client->token_endpoint_auth_method == store::TokenEndpointAuthMethod::kNone;
  if (!challenge) {
    if (public_client || policy.require_pkce) {
      return fail(back("invalid_request",
                       "code_challenge is required (PKCE, RFC 7636): send "
                       "code_challenge=BASE64URL(SHA256(code_verifier)) and "
                       "code_challenge_method=S256"));
    }
  } else {
    if (!method) {
      // RFC 7636 §4.3 defaults to plain, which is refused; say what to send instead.
      return fail(back("invalid_request",
                       "code_challenge_method=S256 is required with "
                       "code_challenge (plain is not accepted)"));
    }
    if (challenge->size() < kMinCodeChallengeBytes || challenge->size() > kMaxCodeChallengeBytes ||
        !std::all_of(challenge->begin(), challenge->end(), is_unreserved)) {
      return fail(back("invalid_request",
                       "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ "
                       "(an S256 challenge is 43)"));
    }
    out.code_challenge = std::string(*challenge);
  }

  if (const auto jkt = params.get("dpop_jkt")) {
    // A SHA-256 thumbprint is 32 bytes: anything else can never match a proof's key, and would
    // only surface at the token endpoint, after the user signed in.
    if (jkt->size() != store::kJktLength || !std::all_of(jkt->begin(), jkt->end(), is_base64url)) {
      return fail(back("invalid_request",
                       "dpop_jkt must be the base64url SHA-256 JWK thumbprint (RFC 7638, 43 "
                       "characters) of the DPoP key that will exchange the code"));
    }
    out.dpop_jkt = std::string(*jkt);
  }

  const auto audience = params.get("audience");
  const auto resource = params.get("resource");
  if (audience && resource && *audience != *resource) {
    return fail(back("invalid_target", "audience and resource name different APIs; send one"));
  }
  if (!audience && !resource) {
    return fail(back("invalid_request",
                     "audience is required: the identifier of the API the token is for"));
  }
  out.api = snap.find_api(audience ? *audience : *resource);
  if (out.api == nullptr) {
    return fail(back("invalid_target", "no API has the identifier '" +
                                           echoed(audience ? *audience : *resource) + "'"));
  }
  out.scopes = split_scopes(params.get("scope").value_or(""));

  const auto nonce = params.get("nonce");
  if (nonce && nonce->size() > kMaxNonceBytes) {
    return fail(back("invalid_request",
                     "nonce is longer than " + std::to_string(kMaxNonceBytes) + " bytes"));
  }
  out.nonce = std::string(nonce.value_or(""));

  if (const auto prompt = params.get("prompt")) {
    bool none = false;
    bool login = false;
    for (const auto& v : split_scopes(*prompt)) {
      if (v == "none") {
        none = true;
      } else if (v == "login") {
        login = true;
      } else if (v != "consent" && v != "select_account") {
        // consent and select_account need nothing here: applications are first party, and a
        // browser has one session.
        return fail(back("invalid_request",
                         "prompt must be none, login, consent or "
                         "select_account"));
      }
    }
    if (none && login) {
      return fail(back("invalid_request", "prompt=none cannot be combined with another value"));
    }
    out.prompt = none ? Prompt::kNone : login ? Prompt::kLogin : Prompt::kDefault;
  }
  if (const auto max_age = params.get("max_age")) {
    std::int64_t seconds = -1;
    const auto [end, ec] =
        std::from_chars(max_age->data(), max_age->data() + max_age->size(), seconds);
    if (ec != std::errc{} || end != max_age->data() + max_age->size() || seconds < 0) {
      return fail(back("invalid_request", "max_age must be a whole number of seconds"));
    }
    out.max_age = std::chrono::seconds{seconds};
  }
  const auto hint = params.get("login_hint");
  if (hint && hint->size() <= kMaxLoginHintBytes) {
    out.login_hint = std::string(*hint);  // a longer one names nobody: ignored
  }

  for (const auto name : kCarriedParams) {
    if (const auto v = params.get(name)) {
      out.form_fields.emplace_back(std::string(name), std::string(*v));
    }
  }
  return out;
}

}  // namespace signet::server
