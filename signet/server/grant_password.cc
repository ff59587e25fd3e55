#include "signet/server/grant_password.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/json.hpp>

#include "signet/common/ascii.h"
#include "signet/http/client_address.h"
#include "signet/server/endpoint_support.h"
#include "signet/server/refresh_tokens.h"
#include "signet/server/user_tokens.h"

namespace signet::server {

namespace json = boost::json;
using Code = OAuthErrorCode;

namespace {

// bytes; an email address is at most 254 (RFC 5321 §4.5.3.1), so a longer username names nobody.
constexpr std::size_t kMaxUsernameBytes = 320;

// The scopes a user gets: the requested API permissions the user holds (all of them when none
// was requested), plus the OpenID scopes asked for; offline_access only when a refresh token can
// actually be issued.
std::vector<std::string> user_scopes(const std::vector<std::string>& requested,
                                     const std::vector<std::string>& held, bool offline_allowed) {
  std::vector<std::string> out;
  bool asked_api_scope = false;
  for (const auto& s : requested) {
    if (is_oidc_scope(s)) {
      if (s != "offline_access" || offline_allowed) {
        out.push_back(s);
      }
    } else {
      asked_api_scope = true;
      if (contains(held, s)) {
        out.push_back(s);
      }
    }
  }
  if (!asked_api_scope) {
    for (const auto& s : held) {
      if (!contains(out, s)) {
        out.push_back(s);
      }
    }
  }
  return out;
}

}  // namespace

EndpointResult PasswordGrant::issue(const GrantRequest& g) {
  const TenantSnapshot& snap = g.snap;
  const AuthenticatedClient& client = g.client;
  const EndpointRequest& req = g.req;
  const Params& p = *req.params;
  const auto username = p.get("username");
  const auto password = p.get("password");
  if (!username || !password) {
    return fail(oauth_error(
        Code::kInvalidRequest,
        std::string(!username ? "username" : "password") + " is required for grant_type=password"));
  }
  if (username->size() > kMaxUsernameBytes) {
    // No account can have such a name, and the store would refuse it as a counter's subject.
    return fail(oauth_error(Code::kInvalidRequest, "username is longer than " +
                                                       std::to_string(kMaxUsernameBytes) +
                                                       " bytes; it cannot name a user"));
  }
  // Decided before the user is looked up, and the same for every username: no account has such
  // a password, and answering "too long" only for some accounts (or hashing for others) would
  // tell from the outside which accounts exist.
  if (password->size() > kMaxPasswordLength) {
    return fail(oauth_error(Code::kInvalidRequest, "password is longer than " +
                                                       std::to_string(kMaxPasswordLength) +
                                                       " bytes; no account has such a password"));
  }
  auto audience = requested_audience(p);
  if (!audience) {
    return fail(audience.error());
  }
  auto api = find_api(snap, *audience);
  if (!api) {
    return fail(api.error());
  }
  std::optional<store::User> user;
  auto found = svc_.store.find_user_by_email(*username);
  if (found) {
    user = std::move(*found);
  } else if (found.error().code != store::StoreErrorCode::kNotFound) {
    return fail(store_failure("looking up a user", found.error()));
  }
  // A known user's failures are counted under its id (what 'signet users unblock' resets); an
  // unknown name under the name itself, so guessing at non-existent accounts is throttled too
  // and looks the same from outside.
  const LoginAttempt attempt{user ? user->id : "unknown:" + ascii_lower(*username),
                             user.has_value(), http::address_group(req.peer_address), req.now()};
  auto admitted = throttle_.admit(attempt);
  if (!admitted) {
    return fail(admitted.error());
  }
  if (admitted->refusal) {
    return fail(*admitted->refusal);
  }
  // Both branches cost one argon2id verification, so response times do not reveal which
  // accounts exist.
  const bool ok = user ? svc_.passwords.verify(*password, user->password_hash)
                       : svc_.passwords.verify_dummy(*password);
  if (!ok) {
    auto blocked = throttle_.failed(attempt);
    if (!blocked) {
      return fail(blocked.error());
    }
    if (*blocked) {
      return fail(**blocked);
    }
    return fail(oauth_error(Code::kInvalidGrant, "Wrong email or password."));
  }
  if (auto done = throttle_.succeeded(attempt, *admitted); !done) {
    return fail(done.error());
  }
  if (user->blocked) {
    return fail(oauth_error(Code::kInvalidGrant,
                            "The user is blocked; an admin can run: signet users unblock " +
                                command_word(user->email, "EMAIL")));
  }

  auto held = svc_.store.list_user_permissions(user->id, std::string_view(*audience));
  if (!held) {
    return fail(store_failure("listing the user's permissions", held.error()));
  }
  std::vector<std::string> held_scopes;
  for (auto& up : *held) {
    held_scopes.push_back(std::move(up.permission));
  }
  const bool offline_allowed =
      (*api)->allow_offline_access && allows(*client.app, store::GrantType::kRefreshToken);
  const auto requested = split_scopes(p.get("scope").value_or(""));
  const auto scopes = user_scopes(requested, held_scopes, offline_allowed);

  std::optional<std::string> refresh_token;
  if (contains(scopes, "offline_access")) {
    refresh_token = generate_secret();
    store::RefreshToken stored;
    stored.id = random_id(kRefreshIdRandomBytes);
    stored.token_hash = svc_.secrets.hash(*refresh_token);
    stored.family_id = random_id(kRefreshIdRandomBytes);
    stored.client_id = client.app->client_id;
    stored.user_id = user->id;
    stored.audience = (*api)->identifier;
    stored.scopes = scopes;
    stored.created_at = req.now();
    stored.expires_at = req.now() + svc_.config.refresh_token_lifetime;
    if (auto inserted = svc_.store.insert_refresh_token(stored); !inserted) {
      return fail(store_failure("storing a refresh token", inserted.error()));
    }
  }
  auto body = user_tokens(svc_.config, snap, *client.app, *user, **api, scopes,
                          GrantClaim::kPassword, req.now());
  if (!body) {
    return fail(body.error());
  }
  if (refresh_token) {
    (*body)["refresh_token"] = std::move(*refresh_token);
  }
  return body;
}

}  // namespace signet::server
