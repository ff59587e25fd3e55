#pragma once

// The access tokens `signet token` has obtained, kept in one JSON file so that the next call
// reuses a token until shortly before it expires (each machine-to-machine token an issuer mints
// costs something; Auth0 bills them). Only client-credentials tokens are kept: a password-grant
// token is asked for every time, so that the issuer checks the password every time. The file
// holds bearer tokens: it is the user's alone (mode 0600 in a 0700 directory), and a file others
// can read is refused, never used. Client secrets and passwords are never written; an entry is
// found by a hash of what the token was requested for, the client secret included, so that only
// the secret that obtained a token can get it back from the cache.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"

namespace signet::client {

// A cached token is given up at least this long before it expires: it must still be valid when it
// reaches the API, after transit and some clock skew between this host and the API's.
constexpr auto kMinRefreshMargin = std::chrono::seconds{30};
// ...and at least this share of its lifetime before (a 24 h token is renewed 2.4 h early), so
// that a long job started with a cached token does not see it expire halfway.
constexpr int kRefreshMarginPercent = 10;
// bytes; a cache of a few hundred tokens is well under this. A larger file is not ours: ignored.
constexpr std::size_t kMaxCacheFileBytes = 4 * 1024 * 1024;
// entries; beyond this, the ones expiring soonest are dropped when a token is stored.
constexpr std::size_t kMaxCacheEntries = 1000;

// The environment variable naming the cache file, ahead of the XDG location.
constexpr std::string_view kTokenCacheEnvVar = "SIGNET_TOKEN_CACHE";

// What a client-credentials token was requested for, and with which secret; two requests that
// differ in any part get different entries.
struct CacheKeyParts {
  std::string_view issuer;
  std::string_view client_id;
  std::string_view client_secret;  // hashed into the key, never written
  std::string_view audience;
  std::string_view scope;  // compared as a set of words: "b a" and "a b" are the same key
  // The thumbprint of the DPoP key the token is bound to; empty for a bearer token. Part of the
  // key, so that a bearer request never finds a bound token (which an API refuses as Bearer) and
  // a request with one key never finds a token bound to another.
  std::string_view jkt = {};
};

// Lower-case hex SHA-256 over the parts, each length-prefixed so that no two different part lists
// hash the same input ("ab"+"c" vs "a"+"bc"). A wrong secret gives another key, so it finds
// nothing and goes to the issuer, which refuses it.
std::string cache_key(const CacheKeyParts& parts);

// Whose an entry is, as hashes (the file names no issuer or client), so that `clear` can remove
// the entries of one issuer, client or audience. Entries written before tags existed have none.
struct EntryTags {
  std::string issuer;    // hex SHA-256 of the issuer
  std::string client;    // ...of the issuer and the client_id
  std::string audience;  // ...of the issuer and the audience
};

// The tags of an entry for `parts` (the secret and the scope play no part).
EntryTags entry_tags(const CacheKeyParts& parts);

struct CachedToken {
  std::string access_token;
  std::string token_type;
  std::string scope;
  std::chrono::sys_seconds obtained_at;  // when the issuer answered: the start of its lifetime
  std::chrono::sys_seconds expires_at;   // obtained_at + expires_in
  EntryTags tags;
  // RFC 9449: the thumbprint of the key the token is bound to (token_type DPoP); empty for a
  // bearer token. Such a token is useless without that key's proofs.
  std::string jkt = {};
};

// Which entries TokenCache::clear removes. An empty issuer selects every entry; otherwise the
// entries of that issuer, narrowed to a client_id and/or an audience when those are not empty.
// client_id and audience are hashed with the issuer, so they need it.
struct CacheSelector {
  std::string issuer;
  std::string client_id;
  std::string audience;
};

// How long before expires_at a token stops being served: max(kMinRefreshMargin,
// kRefreshMarginPercent of its lifetime).
std::chrono::seconds refresh_margin(const CachedToken& token);

// True while `token` may be served at `now`: now < expires_at - refresh_margin(token).
bool usable(const CachedToken& token, std::chrono::sys_seconds now);

// Where the cache lives: $SIGNET_TOKEN_CACHE, else $XDG_CACHE_HOME/signet/tokens.json, else
// $HOME/.cache/signet/tokens.json. Empty or relative XDG_CACHE_HOME is ignored (XDG Base
// Directory spec). The arguments are those variables' values (nullopt when unset), so that the
// rule can be tested; an error says which variable to set.
Result<std::filesystem::path, std::string> cache_path(std::optional<std::string> token_cache_env,
                                                      std::optional<std::string> xdg_cache_home,
                                                      std::optional<std::string> home);
// cache_path() with the process's environment.
Result<std::filesystem::path, std::string> cache_path_from_environment();

// Creates `dir` and its missing ancestors with mode 0700 (the XDG spec's mode for base
// directories it asks programs to create); existing ones are left as they are. `what` names the
// directory in the error ("the token cache directory").
Result<Ok, std::string> make_private_directories(const std::filesystem::path& dir,
                                                 std::string_view what);

class TokenCache {
 public:
  explicit TokenCache(std::filesystem::path path);

  // The token stored under `key` while usable() at `now`; nullopt when there is none (also when
  // the file is missing, corrupt or of another format: those are just misses). An error, which
  // says what is wrong and how to fix it, when the file must not be used: readable or writable by
  // group or others, owned by someone else, a symbolic link or not a regular file, in a directory
  // others may write to, or unreadable.
  Result<std::optional<CachedToken>, std::string> lookup(std::string_view key,
                                                         std::chrono::sys_seconds now) const;

  // Adds or replaces `key`'s token and drops every entry that is no longer usable() at `now`
  // (and the soonest-expiring ones beyond kMaxCacheEntries). Creates missing directories with
  // mode 0700. Writes a new file (mode 0600) beside the old one and renames it over it, so a
  // reader sees the old file or the new one, never half of one. A corrupt old file is replaced.
  // Refuses (with an error) what lookup() refuses.
  Result<Ok, std::string> store(std::string_view key, const CachedToken& token,
                                std::chrono::sys_seconds now) const;

  // Removes `key`'s entry, if there is one (a missing file or entry is not an error; nothing is
  // created). Refuses what lookup() refuses.
  Result<Ok, std::string> erase(std::string_view key) const;

  // Removes the entries `selector` selects and returns how many there were (0 when there is no
  // file). Selecting every entry removes the file, whatever it holds. The file is rewritten only
  // when something was removed. Refuses what lookup() refuses, and a selector with a client_id or
  // an audience but no issuer.
  Result<std::size_t, std::string> clear(const CacheSelector& selector) const;

  // A bearer token for `audience` of `issuer` that is usable() at `now`, whichever client
  // obtained it (the one that stays usable longest); nullopt when there is none. For the admin
  // CLI's --server, which needs a Management API token and no secret: the file is this user's
  // alone, so what it holds are tokens this user obtained with `signet token`. DPoP-bound tokens
  // are passed over: the admin CLI sends its token as Bearer. Refuses what lookup() refuses.
  Result<std::optional<CachedToken>, std::string> find_for_audience(
      std::string_view issuer, std::string_view audience, std::chrono::sys_seconds now) const;

  // The tokens bound to the DPoP key `jkt` that are usable() at `now`, narrowed to those of
  // `issuer` (and `audience`) when not empty, soonest-expiring first; for `signet token proof`,
  // which needs the token a proof's ath hashes. An audience needs the issuer (it is hashed with
  // it): without one, it is ignored. Refuses what lookup() refuses.
  Result<std::vector<CachedToken>, std::string> find_bound(std::string_view jkt,
                                                           std::string_view issuer,
                                                           std::string_view audience,
                                                           std::chrono::sys_seconds now) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace signet::client
