#pragma once

// The tenant's state as the store holds it (DESIGN.md "Concepts"). Plain values: no behaviour
// beyond naming, so every Store implementation and every caller shares one vocabulary.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/jose/algorithm.h"

namespace signet::store {

// Whole seconds since the Unix epoch; the store keeps no finer time except where a rule needs it
// (PreciseTimestamp). Callers pass `now` in.
using Timestamp = std::chrono::sys_seconds;
// Milliseconds since the Unix epoch: when a refresh token was rotated, so that a grace period of
// N seconds means N seconds and not up to N + 1 (and a grace of 0 admits nothing).
using PreciseTimestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// Which write of a record a reader saw (what an HTTP ETag names). The store sets it at every
// create and update from one counter that only grows and is never reused, so a record deleted and
// created again never gets a revision it had before, and a stale If-Match cannot match by chance.
using Revision = std::uint64_t;

// A window of a list: `offset` records skipped, at most `limit` returned, in a stable order
// (creation order for every record type).
struct PageRequest {
  std::int64_t offset = 0;
  std::int64_t limit = 50;
};

// One window of a list, and how many records the whole list holds.
template <typename T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;
};

// Auth0's default access-token lifetime for an API.
constexpr auto kDefaultTokenLifetime = std::chrono::seconds{86'400};
// Auth0's maximum (30 days): a longer-lived bearer token is a liability, not a convenience.
constexpr auto kMaxTokenLifetime = std::chrono::seconds{2'592'000};

// Which claims layout an API's tokens use (DESIGN.md "Tokens").
enum class TokenProfile { kAuth0, kRfc9068 };

// A scope an API defines, e.g. {"read:messages", "Read messages"}.
struct Permission {
  std::string value;
  std::string description;

  bool operator==(const Permission&) const = default;
};

// A resource server: what an access token's `aud` names.
struct Api {
  std::string identifier;  // the audience; opaque, compared byte for byte (trailing '/' counts)
  std::string name;
  jose::Algorithm signing_algorithm = jose::Algorithm::kRS256;
  std::chrono::seconds token_lifetime = kDefaultTokenLifetime;
  bool allow_offline_access = false;
  TokenProfile token_profile = TokenProfile::kAuth0;
  // Auth0's "Add Permissions in the Access Token": tokens also list their API scopes in a
  // "permissions" array.
  bool permissions_claim = false;
  // Tokens for this audience are issued only to a request with a DPoP proof (RFC 9449), so that
  // none of them is a bearer token a thief could replay.
  bool require_dpop = false;
  std::vector<Permission> permissions;  // in the order they were given
  Timestamp created_at{};
  // Set by the store at every write (see Revision); ignored in what callers pass in.
  Revision revision = 0;

  bool operator==(const Api&) const = default;
};

enum class ApplicationType { kM2m, kRegularWeb, kNative, kSpa };

enum class GrantType { kClientCredentials, kPassword, kRefreshToken, kAuthorizationCode };

// How a client proves who it is at the token endpoint (RFC 6749 §2.3, OIDC Core §9). A
// confidential client accepts both secret methods unless one is pinned (RFC 6749 §2.3.1 says a
// server MUST support HTTP Basic; libraries and `curl -u` use it, form posts use the body).
enum class TokenEndpointAuthMethod {
  kClientSecretBasic,        // pinned to HTTP Basic
  kClientSecretPost,         // pinned to client_id and client_secret in the body
  kNone,                     // public: spa and native apps, no secret
  kClientSecretBasicOrPost,  // the default: either secret method, one per request
  kPrivateKeyJwt,            // a JWT signed by a key in the client's JWKS (RFC 7523)
};

// Lists of an application's URLs (callbacks, logout URLs, web origins) hold at most this many.
constexpr std::size_t kMaxApplicationUrls = 100;

// An OAuth client. The secret itself is never stored, only its keyed hash.
struct Application {
  std::string client_id;
  std::string name;
  ApplicationType type = ApplicationType::kM2m;
  std::vector<GrantType> grant_types;
  TokenEndpointAuthMethod token_endpoint_auth_method =
      TokenEndpointAuthMethod::kClientSecretBasicOrPost;
  std::string
      client_secret_hash;  // opaque bytes; empty only for auth methods kNone and kPrivateKeyJwt
  // Where /authorize may send the browser back (Auth0's "Allowed Callback URLs"), compared exactly.
  std::vector<std::string> callbacks;
  // Where logout may send the browser back (Auth0's "Allowed Logout URLs"), compared exactly.
  std::vector<std::string> allowed_logout_urls;
  // Origins whose pages may call the token endpoint (CORS), e.g. "http://localhost:3000".
  std::vector<std::string> web_origins;
  // private_key_jwt: the client's public keys, a JWK Set as JSON text, or where to fetch it.
  std::string jwks;
  std::string jwks_uri;
  // RFC 9449 §5.2 client metadata: the token endpoint refuses this client's token requests that
  // carry no DPoP proof, so it is never issued a bearer token.
  bool dpop_bound_access_tokens = false;
  Timestamp created_at{};
  Revision revision = 0;

  bool operator==(const Application&) const = default;
};

// The length of a JWK SHA-256 thumbprint in base64url without padding (RFC 7638, RFC 9449 §6.1):
// 32 bytes are 43 characters.
constexpr std::size_t kJktLength = 43;

// An authorization code (RFC 6749 §4.1.2): single use, short-lived, bound to the client, the
// redirect URI and the PKCE challenge. Only its hash is stored.
struct AuthorizationCode {
  std::string code_hash;  // opaque bytes
  std::string client_id;
  std::string user_id;
  std::string redirect_uri;
  std::string code_challenge;  // the S256 challenge (RFC 7636 §4.2); empty when none was sent
  std::string audience;        // an Api::identifier
  std::vector<std::string> scopes;
  std::string nonce;  // echoed into the ID token; empty when none was sent
  // RFC 9449 §10: the thumbprint (as RefreshToken::jkt) of the DPoP key the authorization request
  // named with `dpop_jkt`, which the code's token request must prove; empty when none was named.
  std::string dpop_jkt;
  // The family the exchange's refresh token starts, chosen with the code, so that a second use of
  // the code can revoke what the first one issued (RFC 6749 §4.1.2).
  std::string refresh_family_id;
  Timestamp auth_time{};  // when the user last typed a password
  Timestamp created_at{};
  Timestamp expires_at{};
  std::optional<Timestamp> used_at;  // set by the first redemption

  bool operator==(const AuthorizationCode&) const = default;
};

// A signed-in browser (the login page's session cookie). Only the hash of the cookie's value is
// stored, so the table does not hold usable cookies.
struct BrowserSession {
  std::string id_hash;  // opaque bytes
  std::string user_id;
  Timestamp auth_time{};     // when the password was checked
  Timestamp last_seen_at{};  // moved by each /authorize that used the session
  Timestamp expires_at{};    // the absolute end, whatever the activity

  bool operator==(const BrowserSession&) const = default;
};

// What one application may get for one API by client credentials. One per (client, API).
struct ClientGrant {
  std::int64_t id = 0;  // assigned by the store on creation, never reused
  std::string client_id;
  std::string audience;             // an Api::identifier
  std::vector<std::string> scopes;  // each one a permission the API defines
  Timestamp created_at{};
  Revision revision = 0;

  bool operator==(const ClientGrant&) const = default;
};

struct User {
  std::string id;             // chosen by the caller, e.g. "auth0|65a1..."
  std::string email;          // unique, compared ASCII case-insensitively
  std::string password_hash;  // opaque: an argon2id encoded string
  bool blocked = false;
  Timestamp created_at{};
  Revision revision = 0;

  bool operator==(const User&) const = default;
};

// One permission of one API granted to one user.
struct UserPermission {
  std::string user_id;
  std::string api;  // an Api::identifier
  std::string permission;

  bool operator==(const UserPermission&) const = default;
};

// A key's life: published as next, signs as current, stays published as previous so tokens it
// signed keep verifying, and disappears from the JWKS once revoked.
enum class SigningKeyState { kNext, kCurrent, kPrevious, kRevoked };

struct SigningKey {
  std::string kid;
  jose::Algorithm algorithm = jose::Algorithm::kRS256;
  SigningKeyState state = SigningKeyState::kNext;
  std::string encrypted_private_key;  // opaque bytes, encrypted by the caller before it gets here
  std::string public_jwk;             // the public JWK as JSON text, published as is
  Timestamp created_at{};
  std::optional<Timestamp> rotated_at;  // when the key last changed state; empty while never

  bool operator==(const SigningKey&) const = default;
};

// An opaque refresh token, stored only as a hash. Tokens rotated from one another share a family,
// so that reuse of a rotated token can revoke them all.
struct RefreshToken {
  std::string id;
  std::string token_hash;  // opaque bytes
  std::string family_id;
  std::string client_id;
  std::string user_id;
  std::string audience;
  std::vector<std::string> scopes;
  Timestamp created_at{};
  Timestamp expires_at{};
  std::optional<PreciseTimestamp> rotated_at;  // set once, by the first rotation
  // Set with rotated_at: the successor's plaintext, sealed under a key derived from this token's
  // own plaintext (which the store never holds), so that a retry within the grace period gets
  // the successor already issued rather than a new token. Opaque to the store.
  std::string successor_sealed;
  // RFC 9449 §5: the RFC 7638 JWK SHA-256 thumbprint (base64url, kJktLength characters) of the
  // DPoP key this token is bound to, and its successors with it (the caller copies it into the
  // replacement at rotation); empty when unbound. A bound token is redeemed only with a proof
  // signed by that key, so a stolen one is useless without the key.
  std::string jkt;
  bool revoked = false;

  bool operator==(const RefreshToken&) const = default;
};

// Whose failures a counter counts: a user's passwords or a client's secrets.
enum class FailedLoginSubject { kUser, kClient };

struct FailedLoginKey {
  FailedLoginSubject kind = FailedLoginSubject::kUser;
  std::string subject;  // the user id or username as typed, or the client_id
  std::string address;  // the remote address the attempts came from

  bool operator==(const FailedLoginKey&) const = default;
};

struct FailedLoginCounter {
  int count = 0;  // consecutive failures; 0 when none is recorded
  std::optional<Timestamp> first_failure_at;
  std::optional<Timestamp> blocked_until;

  bool blocked_at(Timestamp now) const { return blocked_until && now < *blocked_until; }
  bool operator==(const FailedLoginCounter&) const = default;
};

// One address's counter for a subject, as an admin sees them all.
struct AddressFailedLogins {
  std::string address;
  FailedLoginCounter counter;

  bool operator==(const AddressFailedLogins&) const = default;
};

// One record of the event log (docs/operations.md "Event log"): what happened, to which client
// or user, from where. Auth0's type codes where Auth0 has one ("seccft", "fepft", "limit_wc"...),
// signet's own otherwise. Never holds a secret: no password, client secret or whole token.
struct Event {
  std::int64_t id = 0;  // set by the store; grows with every insert and is never reused
  PreciseTimestamp date{};
  std::string type;
  std::string description;
  std::string client_id;   // empty when no client is involved
  std::string user_id;     // empty when no user is involved
  std::string audience;    // the API a token was asked for
  std::string scope;       // space-separated scopes asked for or granted
  std::string error;       // the OAuth error code of a refusal
  std::string ip;          // the client's address as the server saw it (after trusted proxies)
  std::string user_agent;  // cut to kMaxEventFieldBytes
  std::string details;     // a JSON object with what the fields above do not say, or empty

  bool operator==(const Event&) const = default;
};

// Which events a listing keeps; every field set must match exactly.
struct EventFilter {
  std::optional<std::string> type{};
  std::optional<std::string> client_id{};
  std::optional<std::string> user_id{};
  std::optional<PreciseTimestamp> since{};  // at or after
};

// When failures turn into a block, and for how long.
struct LockoutPolicy {
  int max_failures = 10;  // the failure that reaches this count starts the block
  std::chrono::seconds block_for = std::chrono::hours{1};
};

// The address of the counter that counts a subject's failures from every address at once.
inline constexpr std::string_view kAnyAddress = "*";

// How consecutive failures from anywhere slow down the next attempt on an account: distributed
// guessing (many addresses, each under its own lockout) gets one guess per delay, while the
// delay stays short enough that it never locks the owner out.
struct AccountDelayPolicy {
  // Failures before any delay: as many as one address may make before its own lockout, so that
  // one address meets that lockout first and only spreading the guesses meets this.
  int free_failures = 10;
  std::chrono::seconds first_delay{1};
  std::chrono::seconds max_delay{30};

  // 0 below free_failures; first_delay at free_failures, doubled for each failure beyond, at
  // most max_delay.
  std::chrono::seconds delay(int failures) const;
};

// Stable text forms, as stored and as shown by the admin CLI; parse_* returns nullopt on anything
// else (exact match, no case folding).
std::string_view to_string(TokenProfile p);
std::string_view to_string(ApplicationType t);
std::string_view to_string(GrantType g);
std::string_view to_string(TokenEndpointAuthMethod m);
std::string_view to_string(SigningKeyState s);
std::string_view to_string(FailedLoginSubject s);
std::optional<TokenProfile> parse_token_profile(std::string_view text);
std::optional<ApplicationType> parse_application_type(std::string_view text);
std::optional<GrantType> parse_grant_type(std::string_view text);
std::optional<TokenEndpointAuthMethod> parse_token_endpoint_auth_method(std::string_view text);
std::optional<SigningKeyState> parse_signing_key_state(std::string_view text);
std::optional<FailedLoginSubject> parse_failed_login_subject(std::string_view text);

}  // namespace signet::store
