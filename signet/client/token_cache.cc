#include "signet/client/token_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "signet/common/fd_io.h"
#include "signet/common/file_safety.h"
#include "signet/common/private_file.h"
#include "signet/jose/crypto.h"
#include "signet/jose/json.h"

namespace signet::client {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::int64_t kFormatVersion = 1;  // "version" in the file; another one is not ours
constexpr mode_t kDirMode = 0700;           // the cache directory: the user's alone
constexpr mode_t kFileMode = 0600;          // the cache file: bearer tokens, the user's alone
// Hashed ahead of the parts. v2 added the client secret: keys made without it (by older signet
// versions) never equal a v2 key, so their entries are misses until they expire and are dropped.
constexpr std::string_view kKeyDomain = "signet token cache v2";
constexpr std::string_view kIssuerTagDomain = "signet token cache issuer";
constexpr std::string_view kClientTagDomain = "signet token cache client";
constexpr std::string_view kAudienceTagDomain = "signet token cache audience";

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

std::string octal_mode(mode_t mode) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return buf.data();
}

fs::path directory_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// The directory may hold our file only if nobody else can replace it: a directory others may write
// to would let them swap in a file of their own (with their token) or delete ours.
Result<Ok, std::string> check_directory(const fs::path& dir, const struct stat& st) {
  if (auto safe = check_file_status(dir, st, Trust::kDirectory, "the token cache directory");
      !safe) {
    return fail(safe.error().message + "; not using the cache");
  }
  return Ok{};
}

// The cache file's contents; nullopt when there is no file. Refuses (with the reason) a file that
// is not the user's alone.
Result<std::optional<std::string>, std::string> read_file(const fs::path& path) {
  // O_NOFOLLOW: a symbolic link planted at our path must not make us read (or trust) another file.
  // O_NONBLOCK: a FIFO planted there must not hang us; it is refused below as not a regular file.
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return std::optional<std::string>{};
    }
    if (err == ELOOP) {
      return fail("the token cache " + path.string() +
                  " is a symbolic link; not using the cache; remove it");
    }
    return fail("cannot read the token cache " + path.string() + ": " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail("cannot read the token cache " + path.string() + ": " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail("the token cache " + path.string() + " is not a regular file; not using the cache");
  }
  if (st.st_uid != ::geteuid()) {
    return fail("the token cache " + path.string() +
                " belongs to another user; not using the cache; remove it");
  }
  // Access tokens are bearer credentials: anyone who can read the file can use them.
  if ((st.st_mode & 0077) != 0) {
    return fail("the token cache " + path.string() + " is accessible to group or others (mode " +
                octal_mode(st.st_mode) + "); not using the cache; fix with 'chmod 600 " +
                path.string() + "' or remove it");
  }
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxCacheFileBytes) {
    return std::optional<std::string>{std::string{}};  // not a cache we wrote: a miss
  }
  std::string text;
  std::array<char, 16384> buf{};
  while (text.size() <= kMaxCacheFileBytes) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail("cannot read the token cache " + path.string() + ": " + errno_text(errno));
    }
    if (n == 0) {
      break;
    }
    text.append(buf.data(), static_cast<std::size_t>(n));
  }
  return std::optional<std::string>{std::move(text)};
}

// A tag member (or jkt) of an entry into `out`: absent is no tag (entries from before tags, bearer
// tokens), another type makes the entry unreadable (false).
bool read_tag(const json::object& entry, std::string_view name, std::string& out) {
  auto tag = jose::get_string(entry, name);
  if (!tag) {
    return tag.error() == jose::Access::kMissing;
  }
  out = std::string(*tag);
  return true;
}

// The entries of a cache file's text; an unparseable file, or one of another format, has none,
// and entries of the wrong shape are skipped.
std::map<std::string, CachedToken> parse_entries(std::string_view text) {
  std::map<std::string, CachedToken> entries;
  jose::JsonLimits limits;
  limits.max_depth = 4;
  limits.max_members = kMaxCacheEntries + 8;
  auto doc = jose::parse_json_object(text, limits);
  if (!doc) {
    return entries;
  }
  auto version = jose::get_int(*doc, "version", kFormatVersion, kFormatVersion);
  const auto* tokens = doc->if_contains("tokens");
  if (!version || tokens == nullptr || !tokens->is_object()) {
    return entries;
  }
  for (const auto& [key, value] : tokens->get_object()) {
    if (!value.is_object()) {
      continue;
    }
    const auto& o = value.get_object();
    auto access_token = jose::get_string(o, "access_token");
    auto token_type = jose::get_string(o, "token_type");
    auto scope = jose::get_string(o, "scope");
    auto obtained_at = jose::get_numeric_date(o, "obtained_at");
    auto expires_at = jose::get_numeric_date(o, "expires_at");
    if (!access_token || access_token->empty() || !token_type || !scope || !obtained_at ||
        !expires_at || *expires_at < *obtained_at) {
      continue;
    }
    EntryTags tags;
    std::string jkt;
    if (!read_tag(o, "issuer_tag", tags.issuer) || !read_tag(o, "client_tag", tags.client) ||
        !read_tag(o, "audience_tag", tags.audience) || !read_tag(o, "jkt", jkt)) {
      continue;
    }
    entries.emplace(
        std::string(key),
        CachedToken{std::string(*access_token), std::string(*token_type), std::string(*scope),
                    std::chrono::sys_seconds{std::chrono::seconds{*obtained_at}},
                    std::chrono::sys_seconds{std::chrono::seconds{*expires_at}}, std::move(tags),
                    std::move(jkt)});
  }
  return entries;
}

std::string serialize_entries(const std::map<std::string, CachedToken>& entries) {
  json::object tokens;
  for (const auto& [key, t] : entries) {
    json::object entry{{"access_token", t.access_token},
                       {"token_type", t.token_type},
                       {"scope", t.scope},
                       {"obtained_at", t.obtained_at.time_since_epoch().count()},
                       {"expires_at", t.expires_at.time_since_epoch().count()}};
    for (const auto& [name, tag] :
         {std::pair{"issuer_tag", &t.tags.issuer}, std::pair{"client_tag", &t.tags.client},
          std::pair{"audience_tag", &t.tags.audience}, std::pair{"jkt", &t.jkt}}) {
      if (!tag->empty()) {
        entry[name] = *tag;
      }
    }
    tokens[key] = std::move(entry);
  }
  return json::serialize(json::object{{"version", kFormatVersion}, {"tokens", std::move(tokens)}}) +
         "\n";
}

// The directory holding `path`, checked; `missing_ok` makes a missing directory fine (nothing
// cached yet) rather than an error.
Result<bool, std::string> directory_usable(const fs::path& path, bool missing_ok) {
  const fs::path dir = directory_of(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT && missing_ok) {
      return false;
    }
    return fail("cannot use the token cache directory " + dir.string() + ": " + errno_text(errno));
  }
  if (auto checked = check_directory(dir, st); !checked) {
    return fail(checked.error());
  }
  return true;
}

// The entries of the cache at `path`; nullopt when there is no file (or not even its directory).
// Refuses what read_file() and directory_usable() refuse.
Result<std::optional<std::map<std::string, CachedToken>>, std::string> load_entries(
    const fs::path& path) {
  using Entries = std::optional<std::map<std::string, CachedToken>>;
  auto dir = directory_usable(path, true);
  if (!dir) {
    return fail(dir.error());
  }
  if (!*dir) {
    return Entries{};
  }
  auto text = read_file(path);
  if (!text) {
    return fail(text.error());
  }
  if (!*text) {
    return Entries{};
  }
  return Entries{parse_entries(**text)};
}

// Replaces the file atomically (signet/common/private_file.h): another process reading it sees the
// old entries or the new ones, and the tokens are never readable by others, not even for a moment.
Result<Ok, std::string> replace_cache_file(const fs::path& path, const std::string& text) {
  auto written = replace_file(path, text, kFileMode);
  if (!written && written.error().step == FileWriteStep::kCreate) {
    return fail("cannot write the token cache in " + directory_of(path).string() + ": " +
                errno_text(written.error().err));
  }
  if (!written) {
    return fail("cannot write the token cache " + path.string() + " (" +
                std::string(to_string(written.error().step)) +
                "): " + errno_text(written.error().err));
  }
  return Ok{};
}

std::string normalized_scope(std::string_view scope) {
  std::vector<std::string_view> words;
  while (!scope.empty()) {
    const std::size_t sp = scope.find(' ');
    const std::string_view word = scope.substr(0, sp);
    if (!word.empty()) {
      words.push_back(word);
    }
    scope = sp == std::string_view::npos ? std::string_view{} : scope.substr(sp + 1);
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  std::string out;
  for (const auto word : words) {
    out += (out.empty() ? "" : " ") + std::string(word);
  }
  return out;
}

// Lower-case hex SHA-256 of `domain` and the parts, each length-prefixed so that no two different
// part lists hash the same input ("ab"+"c" vs "a"+"bc").
std::string hash_parts(std::string_view domain, std::initializer_list<std::string_view> parts) {
  std::string input(domain);
  for (const std::string_view part : parts) {
    input += "\n" + std::to_string(part.size()) + ":";
    input += part;
  }
  return jose::to_hex(jose::sha256(input));
}

std::optional<std::string> nonempty(std::optional<std::string> value) {
  if (value && value->empty()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> env(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
}

}  // namespace

Result<Ok, std::string> make_private_directories(const fs::path& dir, std::string_view what) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    return Ok{};
  }
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    if (auto parent = make_private_directories(dir.parent_path(), what); !parent) {
      return parent;
    }
  }
  if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST) {
    return fail("cannot create " + std::string(what) + " " + dir.string() + ": " +
                errno_text(errno));
  }
  return Ok{};
}

std::string cache_key(const CacheKeyParts& parts) {
  // The key is a SHA-256 over the client secret and public parts, so whoever reads the file could
  // test guesses of the secret against it offline. Secrets are generated, not chosen: signet's
  // are 256 random bits (Auth0's more), and SHA-256 offers no way to them shorter than guessing,
  // which at 2^256 is as hopeless offline as at the token endpoint.
  const std::string scope = normalized_scope(parts.scope);
  if (parts.jkt.empty()) {
    return hash_parts(kKeyDomain, {parts.issuer, parts.client_id, parts.client_secret,
                                   parts.audience, std::string_view(scope)});
  }
  // One more part: the keys of bearer tokens stay what they were (their entries stay found), and
  // the length prefixes keep five parts and six apart.
  return hash_parts(kKeyDomain, {parts.issuer, parts.client_id, parts.client_secret, parts.audience,
                                 std::string_view(scope), parts.jkt});
}

EntryTags entry_tags(const CacheKeyParts& parts) {
  return EntryTags{hash_parts(kIssuerTagDomain, {parts.issuer}),
                   hash_parts(kClientTagDomain, {parts.issuer, parts.client_id}),
                   hash_parts(kAudienceTagDomain, {parts.issuer, parts.audience})};
}

std::chrono::seconds refresh_margin(const CachedToken& token) {
  const auto lifetime = token.expires_at - token.obtained_at;
  return std::max<std::chrono::seconds>(kMinRefreshMargin, lifetime * kRefreshMarginPercent / 100);
}

bool usable(const CachedToken& token, std::chrono::sys_seconds now) {
  return now < token.expires_at - refresh_margin(token);
}

Result<fs::path, std::string> cache_path(std::optional<std::string> token_cache_env,
                                         std::optional<std::string> xdg_cache_home,
                                         std::optional<std::string> home) {
  if (auto explicit_path = nonempty(std::move(token_cache_env))) {
    return fs::path(*explicit_path);
  }
  // XDG Base Directory: "If an implementation encounters a relative path in any of these
  // variables it should consider the path invalid and ignore it."
  if (auto xdg = nonempty(std::move(xdg_cache_home)); xdg && fs::path(*xdg).is_absolute()) {
    return fs::path(*xdg) / "signet" / "tokens.json";
  }
  if (auto h = nonempty(std::move(home)); h && fs::path(*h).is_absolute()) {
    return fs::path(*h) / ".cache" / "signet" / "tokens.json";
  }
  return fail(std::string("no place for the token cache: set HOME, XDG_CACHE_HOME or ") +
              std::string(kTokenCacheEnvVar) + ", or use --no-cache");
}

Result<fs::path, std::string> cache_path_from_environment() {
  return cache_path(env(kTokenCacheEnvVar), env("XDG_CACHE_HOME"), env("HOME"));
}

TokenCache::TokenCache(fs::path path) : path_(std::move(path)) {}

Result<std::optional<CachedToken>, std::string> TokenCache::lookup(
    std::string_view key, std::chrono::sys_seconds now) const {
  auto entries = load_entries(path_);
  if (!entries) {
    return fail(entries.error());
  }
  if (!*entries) {
    return std::optional<CachedToken>{};
  }
  const auto found = (*entries)->find(std::string(key));
  if (found == (*entries)->end() || !usable(found->second, now)) {
    return std::optional<CachedToken>{};
  }
  return std::optional<CachedToken>{std::move(found->second)};
}

Result<std::optional<CachedToken>, std::string> TokenCache::find_for_audience(
    std::string_view issuer, std::string_view audience, std::chrono::sys_seconds now) const {
  auto entries = load_entries(path_);
  if (!entries) {
    return fail(entries.error());
  }
  std::optional<CachedToken> best;
  if (!*entries) {
    return best;
  }
  const EntryTags wanted = entry_tags({issuer, "", "", audience, ""});
  for (auto& [key, token] : **entries) {
    if (token.tags.issuer == wanted.issuer && token.tags.audience == wanted.audience &&
        token.jkt.empty() && usable(token, now) && (!best || token.expires_at > best->expires_at)) {
      best = std::move(token);
    }
  }
  return best;
}

Result<std::vector<CachedToken>, std::string> TokenCache::find_bound(
    std::string_view jkt, std::string_view issuer, std::string_view audience,
    std::chrono::sys_seconds now) const {
  auto entries = load_entries(path_);
  if (!entries) {
    return fail(entries.error());
  }
  std::vector<CachedToken> found;
  if (!*entries || jkt.empty()) {
    return found;
  }
  const EntryTags wanted = entry_tags({issuer, "", "", audience, ""});
  for (auto& [key, token] : **entries) {
    if (token.jkt == jkt && usable(token, now) &&
        (issuer.empty() || token.tags.issuer == wanted.issuer) &&
        (issuer.empty() || audience.empty() || token.tags.audience == wanted.audience)) {
      found.push_back(std::move(token));
    }
  }
  std::sort(found.begin(), found.end(),
            [](const CachedToken& a, const CachedToken& b) { return a.expires_at < b.expires_at; });
  return found;
}

Result<Ok, std::string> TokenCache::store(std::string_view key, const CachedToken& token,
                                          std::chrono::sys_seconds now) const {
  if (auto made = make_private_directories(directory_of(path_), "the token cache directory");
      !made) {
    return made;
  }
  if (auto dir = directory_usable(path_, false); !dir) {
    return fail(dir.error());
  }
  auto text = read_file(path_);
  if (!text) {
    return fail(text.error());
  }
  // Read, change, replace: two processes storing at once may lose one entry, which costs one more
  // token request later, never a wrong token.
  auto entries = *text ? parse_entries(**text) : std::map<std::string, CachedToken>{};
  entries.insert_or_assign(std::string(key), token);
  std::erase_if(entries, [&](const auto& entry) { return !usable(entry.second, now); });
  if (entries.size() > kMaxCacheEntries) {
    std::vector<std::pair<std::chrono::sys_seconds, std::string>> by_expiry;
    for (const auto& [k, t] : entries) {
      by_expiry.emplace_back(t.expires_at, k);
    }
    std::sort(by_expiry.begin(), by_expiry.end());
    const std::size_t excess = entries.size() - kMaxCacheEntries;
    for (std::size_t i = 0; i < excess; ++i) {
      entries.erase(by_expiry[i].second);
    }
  }
  return replace_cache_file(path_, serialize_entries(entries));
}

Result<Ok, std::string> TokenCache::erase(std::string_view key) const {
  auto entries = load_entries(path_);
  if (!entries) {
    return fail(entries.error());
  }
  if (!*entries || (*entries)->erase(std::string(key)) == 0) {
    return Ok{};
  }
  return replace_cache_file(path_, serialize_entries(**entries));
}

Result<std::size_t, std::string> TokenCache::clear(const CacheSelector& selector) const {
  if (selector.issuer.empty() && (!selector.client_id.empty() || !selector.audience.empty())) {
    return fail(std::string(
        "a client_id or an audience selects cached tokens of one issuer: give the issuer too"));
  }
  auto entries = load_entries(path_);
  if (!entries) {
    return fail(entries.error());
  }
  if (!*entries) {
    return std::size_t{0};
  }
  auto& tokens = **entries;
  if (selector.issuer.empty()) {
    const std::size_t removed = tokens.size();
    // The whole file goes, so that nothing it held (an entry of another format, a corrupt
    // remainder) outlives "clear everything".
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
      return fail("cannot remove the token cache " + path_.string() + ": " + errno_text(errno));
    }
    return removed;
  }
  const EntryTags wanted =
      entry_tags({selector.issuer, selector.client_id, "", selector.audience, ""});
  const std::size_t removed = std::erase_if(tokens, [&](const auto& entry) {
    const EntryTags& tags = entry.second.tags;
    return tags.issuer == wanted.issuer &&
           (selector.client_id.empty() || tags.client == wanted.client) &&
           (selector.audience.empty() || tags.audience == wanted.audience);
  });
  if (removed == 0) {
    return removed;
  }
  if (auto written = replace_cache_file(path_, serialize_entries(tokens)); !written) {
    return fail(written.error());
  }
  return removed;
}

}  // namespace signet::client
