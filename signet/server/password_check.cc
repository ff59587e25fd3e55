#include "signet/server/password_check.h"

#include <optional>

#include "signet/common/ascii.h"
#include "signet/server/endpoint_support.h"

namespace signet::server {

using Code = OAuthErrorCode;

PasswordCheck::PasswordCheck(store::Store& store, const PasswordHasher& passwords,
                             ThrottlePolicy policy)
    : store_(store), passwords_(passwords), throttle_(store, policy) {}

Result<store::User, OAuthError> PasswordCheck::check(std::string_view email,
                                                     std::string_view password,
                                                     std::string_view address, store::Timestamp now,
                                                     PasswordCheckNotes* notes) {
  PasswordCheckNotes ignored;
  PasswordCheckNotes& noted = notes != nullptr ? *notes : ignored;
  if (email.size() > kMaxUsernameBytes) {
    // No account can have such a name, and the store would refuse it as a counter's subject.
    return fail(oauth_error(Code::kInvalidRequest, "username is longer than " +
                                                       std::to_string(kMaxUsernameBytes) +
                                                       " bytes; it cannot name a user"));
  }
  // Decided before the user is looked up, and the same for every username: no account has such
  // a password, and answering "too long" only for some accounts (or hashing for others) would
  // tell from the outside which accounts exist.
  if (password.size() > kMaxPasswordLength) {
    return fail(oauth_error(Code::kInvalidRequest, "password is longer than " +
                                                       std::to_string(kMaxPasswordLength) +
                                                       " bytes; no account has such a password"));
  }
  std::optional<store::User> user;
  auto found = store_.find_user_by_email(email);
  if (found) {
    user = std::move(*found);
  } else if (found.error().code != store::StoreErrorCode::kNotFound) {
    return fail(store_failure("looking up a user", found.error()));
  }
  if (user) {
    noted.user_id = user->id;
  }
  // A known user's failures are counted under its id (what 'signet users unblock' resets); an
  // unknown name under the name itself, so guessing at non-existent accounts is throttled too
  // and looks the same from outside.
  const LoginAttempt attempt{user ? user->id : "unknown:" + ascii_lower(email), user.has_value(),
                             std::string(address), now};
  auto admitted = throttle_.admit(attempt);
  if (!admitted) {
    return fail(admitted.error());
  }
  if (admitted->refusal) {
    return fail(*admitted->refusal);
  }
  // Both branches cost one argon2id verification, so response times do not reveal which
  // accounts exist.
  const bool ok =
      user ? passwords_.verify(password, user->password_hash) : passwords_.verify_dummy(password);
  if (!ok) {
    noted.wrong_password = user.has_value();
    noted.unknown_user = !user.has_value();
    auto blocked = throttle_.failed(attempt);
    if (!blocked) {
      return fail(blocked.error());
    }
    if (*blocked) {
      noted.block_started = true;
      return fail(**blocked);
    }
    return fail(oauth_error(Code::kInvalidGrant, std::string(kWrongEmailOrPassword)));
  }
  if (auto done = throttle_.succeeded(attempt, *admitted); !done) {
    return fail(done.error());
  }
  if (user->blocked) {
    return fail(oauth_error(Code::kInvalidGrant,
                            "The user is blocked; an admin can run: signet users unblock " +
                                command_word(user->email, "EMAIL")));
  }
  return std::move(*user);
}

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

}  // namespace signet::server
