#pragma once

// Checking a user's email and password, as the password grant and the login page both do: the
// same argon2id verification, the same throttle (login_throttle.h) and the same answers, so that
// neither door is an easier way in than the other. One instance serves both, so the in-memory
// counters of made-up names are shared too.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/server/login_throttle.h"
#include "signet/server/oauth_error.h"
#include "signet/server/password.h"
#include "signet/store/store.h"

namespace signet::server {

// bytes; an email address is at most 254 (RFC 5321 §4.5.3.1), so a longer username names nobody.
constexpr std::size_t kMaxUsernameBytes = 320;

// The message of every wrong email or password, whichever was wrong.
inline constexpr std::string_view kWrongEmailOrPassword = "Wrong email or password.";

// What a check found out, for the event log: whose account it was and how it failed.
struct PasswordCheckNotes {
  std::string user_id;          // the account the email names, when it names one
  bool wrong_password = false;  // a known user, a wrong password
  bool unknown_user = false;    // no user has this email
  bool block_started = false;   // this failure started a block (the 429 answered)
};

class PasswordCheck {
 public:
  // Everything referenced must outlive the check.
  PasswordCheck(store::Store& store, const PasswordHasher& passwords, ThrottlePolicy policy);

  // The user whose email and password these are, or: invalid_request (over-long input),
  // invalid_grant kWrongEmailOrPassword, too_many_attempts (with Retry-After) from the throttle,
  // invalid_grant for a blocked user (only once the password was right), or a store failure.
  // `address` is the client's address group (http/client_address.h). `notes`, when given, learns
  // what happened.
  Result<store::User, OAuthError> check(std::string_view email, std::string_view password,
                                        std::string_view address, store::Timestamp now,
                                        PasswordCheckNotes* notes = nullptr);

  const LoginThrottle& throttle() const { return throttle_; }

 private:
  store::Store& store_;
  const PasswordHasher& passwords_;
  LoginThrottle throttle_;
};

// The scopes a user gets for an API: the requested API permissions the user holds (all of them
// when none was requested), plus the OpenID scopes asked for; offline_access only when a refresh
// token can actually be issued.
std::vector<std::string> user_scopes(const std::vector<std::string>& requested,
                                     const std::vector<std::string>& held, bool offline_allowed);

}  // namespace signet::server
