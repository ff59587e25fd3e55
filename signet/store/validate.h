#pragma once

// The model's rules for input, checked by every Store implementation before it writes, so that
// SQLite and PostgreSQL refuse the same things with the same kInvalid messages.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/store/error.h"
#include "signet/store/types.h"

namespace signet::store {

// Identifiers, names, emails, ids: bounded so a runaway script cannot bloat every list and cache.
constexpr std::size_t kMaxTextLength = 2048;
// Permissions per API and scopes per grant or token: all of them travel in tokens and tables.
constexpr std::size_t kMaxScopes = 1000;
// Opaque blobs (hashes, encrypted keys, JWK text): an RSA-8192 key in JWK form fits easily.
constexpr std::size_t kMaxBlobLength = 64 * 1024;

// An event's details (a JSON object): room for an admin change's list of fields, bounded so a
// flood of events cannot fill the disk faster than retention empties it.
constexpr std::size_t kMaxEventDetailsLength = 16 * 1024;

// A scope token as RFC 6749 §3.3 defines it: printable ASCII without space, '"' and '\'.
bool is_scope_token(std::string_view s);

Result<Ok, StoreError> validate_api(const Api& api);
Result<Ok, StoreError> validate_application(const Application& app);
// Scopes of a grant or token: each a scope token, none repeated.
Result<Ok, StoreError> validate_scopes(const std::vector<std::string>& scopes);
Result<Ok, StoreError> validate_user(const User& user);
Result<Ok, StoreError> validate_signing_key(const SigningKey& key);
Result<Ok, StoreError> validate_refresh_token(const RefreshToken& token);
Result<Ok, StoreError> validate_authorization_code(const AuthorizationCode& code);
Result<Ok, StoreError> validate_browser_session(const BrowserSession& session);
// An event: a type, and every text bounded and free of NUL (the optional ones may be empty).
Result<Ok, StoreError> validate_event(const Event& event);
Result<Ok, StoreError> validate_failed_login(const FailedLoginKey& key,
                                             const LockoutPolicy& policy);
// A lookup key (identifier, client_id, user id, kid, ...): non-empty and bounded.
Result<Ok, StoreError> validate_key(std::string_view what, std::string_view value);
// A window of a list: neither offset nor limit negative.
Result<Ok, StoreError> validate_page(const PageRequest& page);
// How many of the most recent records to return: not negative.
Result<Ok, StoreError> validate_limit(std::int64_t limit);
// Text to search for: may be empty (it matches everything), bounded like the text it searches.
Result<Ok, StoreError> validate_search(std::string_view search);

}  // namespace signet::store
