#include "signet/server/client_authentication.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>

#include "signet/common/ascii.h"
#include "signet/http/client_address.h"
#include "signet/jose/crypto.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/event_log.h"

namespace signet::server {
namespace {

using Code = OAuthErrorCode;

// Standard base64 with padding (RFC 4648 §4), as HTTP Basic uses. Strict: the length is a
// multiple of four and only the alphabet and trailing '=' appear.
std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > kMaxBasicCredentialsBytes) {
    return std::nullopt;
  }
  std::size_t pad = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < in.size()) {
        return std::nullopt;
      }
      ++pad;
    } else if (!alpha || pad > 0) {
      return std::nullopt;
    }
  }
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) {
    jose::clear_openssl_errors();
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

OAuthError throttled(const store::FailedLoginCounter& counter, store::Timestamp now) {
  return OAuthError{Code::kTooManyAttempts,
                    "Too many wrong secrets for this client from your address; retry after the "
                    "time in Retry-After with the right secret (which is never throttled)",
                    false, retry_after(counter, now)};
}

// Checked only once the secret is right, so the registered method is not told to strangers.
std::optional<OAuthError> wrong_method(const store::Application& app, bool used_basic) {
  const auto method = app.token_endpoint_auth_method;
  if (used_basic && method == store::TokenEndpointAuthMethod::kClientSecretPost) {
    return OAuthError{Code::kInvalidClient,
                      "client " + app.client_id +
                          " authenticates with client_secret_post: send client_id and "
                          "client_secret in the body, or change it: signet clients update " +
                          command_word(app.client_id, "CLIENT_ID") +
                          " --auth-method client_secret_basic_or_post",
                      true, std::nullopt};
  }
  if (!used_basic && method == store::TokenEndpointAuthMethod::kClientSecretBasic) {
    return oauth_error(Code::kInvalidClient,
                       "client " + app.client_id +
                           " authenticates with client_secret_basic: send HTTP Basic "
                           "credentials, or change it: signet clients update " +
                           command_word(app.client_id, "CLIENT_ID") +
                           " --auth-method client_secret_basic_or_post");
  }
  return std::nullopt;
}

// A client whose method involves no secret, told what to send instead of one.
std::optional<OAuthError> has_no_secret(const store::Application& app, bool used_basic) {
  switch (app.token_endpoint_auth_method) {
    case store::TokenEndpointAuthMethod::kNone:
      return OAuthError{
          Code::kInvalidClient,
          "client " + app.client_id + " is public and has no secret: send only its client_id",
          used_basic, std::nullopt};
    case store::TokenEndpointAuthMethod::kPrivateKeyJwt:
      return OAuthError{Code::kInvalidClient,
                        "client " + app.client_id +
                            " authenticates with private_key_jwt and has no secret: send "
                            "client_assertion_type=" +
                            std::string(kJwtBearerAssertionType) +
                            " and client_assertion=<a JWT signed with its private key>",
                        used_basic, std::nullopt};
    default:
      return std::nullopt;
  }
}

}  // namespace

ClientAuthenticator::ClientAuthenticator(store::Store& store, const SecretHasher& secrets,
                                         store::LockoutPolicy lockout, std::string issuer,
                                         ClientKeysOptions keys)
    : store_(store),
      secrets_(secrets),
      lockout_(lockout),
      assertions_(store, std::move(issuer), std::move(keys)) {}

// RFC 6749 §2.3.1: HTTP Basic (client_secret_basic) or client_id and client_secret in the body
// (client_secret_post); RFC 7523 §2.2: a client assertion (private_key_jwt). Never two at once:
// a request that carries two methods is ambiguous about which one the server relied on.
Result<AuthenticatedClient, OAuthError> ClientAuthenticator::authenticate(
    const TenantSnapshot& snap, const EndpointRequest& req) {
  const Params& p = *req.params;
  AuthenticatedClient client;
  if (p.has("client_assertion") || p.has("client_assertion_type")) {
    if (req.authorization || p.has("client_secret")) {
      return fail(oauth_error(Code::kInvalidRequest,
                              "use exactly one client authentication method: a client assertion "
                              "(private_key_jwt), HTTP Basic or client_secret in the body, not "
                              "several"));
    }
    auto app = assertions_.verify(snap, p, req.now());
    if (!app) {
      return fail(app.error());
    }
    client.app = *app;
    return client;
  }
  std::string client_id;
  std::string secret;
  if (req.authorization) {
    std::string_view h = *req.authorization;
    if (!istarts_with(h, "Basic ")) {
      return fail(OAuthError{Code::kInvalidClient,
                             "the Authorization header must use the Basic scheme "
                             "(client_secret_basic), or send client_id and client_secret in the "
                             "body instead",
                             true, std::nullopt});
    }
    h.remove_prefix(6);
    while (!h.empty() && h.front() == ' ') {
      h.remove_prefix(1);
    }
    const auto decoded = base64_decode(h);
    const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return fail(OAuthError{Code::kInvalidClient,
                             "malformed Basic credentials: send base64(client_id:client_secret)",
                             true, std::nullopt});
    }
    auto id = form_decode(std::string_view(*decoded).substr(0, colon));
    auto sec = form_decode(std::string_view(*decoded).substr(colon + 1));
    if (!id || !sec) {
      return fail(OAuthError{Code::kInvalidClient,
                             "malformed Basic credentials: client_id and client_secret are "
                             "form-urlencoded (RFC 6749 §2.3.1)",
                             true, std::nullopt});
    }
    if (p.has("client_secret")) {
      return fail(oauth_error(Code::kInvalidRequest,
                              "use exactly one client authentication method: HTTP Basic or "
                              "client_secret in the body, not both"));
    }
    if (auto body_id = p.get("client_id"); body_id && *body_id != *id) {
      return fail(oauth_error(Code::kInvalidRequest,
                              "client_id in the body differs from the one in the Authorization "
                              "header"));
    }
    client_id = std::move(*id);
    secret = std::move(*sec);
    client.used_basic = true;
  } else {
    const auto id = p.get("client_id");
    const auto sec = p.get("client_secret");
    if (!id) {
      return fail(oauth_error(Code::kInvalidClient,
                              "client authentication is required: send client_id and "
                              "client_secret in the body, HTTP Basic credentials, or a client "
                              "assertion (private_key_jwt)"));
    }
    if (!sec) {
      // A public client (token_endpoint_auth_method none, such as the console's page) has no
      // secret to send: its client_id alone names it, and its grant types bound what it can do.
      const store::Application* app = snap.find_application(*id);
      if (app != nullptr &&
          app->token_endpoint_auth_method == store::TokenEndpointAuthMethod::kNone) {
        client.app = app;
        return client;
      }
      if (app != nullptr) {
        if (auto no_secret = has_no_secret(*app, false)) {
          return fail(std::move(*no_secret));
        }
      }
      return fail(oauth_error(Code::kInvalidClient,
                              "client_secret is required for a confidential client; the "
                              "secret was shown by 'signet clients create' or 'signet clients "
                              "rotate-secret'"));
    }
    client_id = std::string(*id);
    secret = std::string(*sec);
  }
  // The client as presented, Basic or body: the event log names it even when authentication
  // fails, since failed attempts against a client are what an operator looks for.
  if (req.notes != nullptr) {
    req.notes->client_id = client_id;
  }

  const auto bad_credentials = [&] {
    return OAuthError{Code::kInvalidClient, "Unknown client or wrong client secret.",
                      client.used_basic, std::nullopt};
  };
  const store::Application* app = snap.find_application(client_id);
  if (app == nullptr) {
    // Unknown clients are not counted (there is no secret to guess), but take the time of a
    // hash so that existence does not show in the timing.
    (void)secrets_.matches(secret, "hs256:");
    return fail(bad_credentials());
  }

  if (auto no_secret = has_no_secret(*app, client.used_basic)) {
    return fail(std::move(*no_secret));
  }
  // Counted per address group (an IPv6 /64 is one client: http/client_address.h).
  const store::FailedLoginKey key{store::FailedLoginSubject::kClient, app->client_id,
                                  http::address_group(req.peer_address)};
  const std::string watch_key = app->client_id + '\n' + key.address;
  if (secrets_.matches(secret, app->client_secret_hash)) {
    // The right secret is accepted even while wrong ones from this address are throttled: client
    // ids are public (every token's azp), so a throttle that refused the right secret would let
    // anyone lock any client out with ten bad requests; and 256 random bits are not guessed.
    if (auto method_error = wrong_method(*app, client.used_basic)) {
      return fail(std::move(*method_error));
    }
    if (failures_.suspect(watch_key, req.now())) {
      if (auto reset = store_.reset_failed_logins(key); !reset) {
        return fail(store_failure("resetting the client's failure counter", reset.error()));
      }
      failures_.forget(watch_key);
    }
    client.app = app;
    return client;
  }

  store::FailedLoginCounter counter;  // zero unless this process has seen the pair fail
  if (failures_.suspect(watch_key, req.now())) {
    auto stored = store_.get_failed_logins(key);
    if (!stored) {
      return fail(store_failure("reading the client's failure counter", stored.error()));
    }
    counter = *stored;
  }
  if (counter.blocked_at(req.now())) {
    return fail(throttled(counter, req.now()));
  }
  auto after = store_.record_failed_login(key, req.now(), lockout_);
  if (!after) {
    return fail(store_failure("recording a failed client authentication", after.error()));
  }
  // Watched while the block lasts and a day beyond. Stored counts are consecutive failures and
  // never age, so once a pair is forgotten here a later success does not reset its old count:
  // that errs towards blocking earlier, never later.
  failures_.note_failure(
      watch_key, req.now(),
      std::max(after->blocked_until.value_or(req.now()), req.now()) +
          std::max(lockout_.block_for,
                   std::chrono::duration_cast<std::chrono::seconds>(kFailureWatchHorizon)));
  spdlog::warn("token endpoint: wrong secret for client {} from {} ({} in a row)", app->client_id,
               req.peer_address, after->count);
  if (after->blocked_at(req.now())) {
    // A blocked pair is refused before its secret is checked, so this failure started the block.
    if (req.notes != nullptr) {
      req.notes->started_block = event_type::kClientBlocked;
    }
    return fail(throttled(*after, req.now()));
  }
  return fail(bad_credentials());
}

}  // namespace signet::server
