#include "signet/server/endpoint_support.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <utility>

#include "signet/common/shell_quote.h"
#include "signet/jose/crypto.h"
#include "signet/server/tokens.h"

namespace signet::server {
namespace {

using Code = OAuthErrorCode;

constexpr std::array<std::string_view, 4> kOidcScopes = {"openid", "profile", "email",
                                                         "offline_access"};

// While the database is away, every request that needs it fails the same way: one log line per
// interval, saying how many more failed, instead of one per request flooding the log.
constexpr auto kUnavailableLogInterval = std::chrono::seconds{10};

// Whether this kUnavailable failure is the one of its interval to log; `skipped` is set to how
// many were not logged since the last one that was.
bool log_unavailable_now(std::uint64_t& skipped) {
  static std::mutex mu;
  static std::chrono::steady_clock::time_point last{};
  static std::uint64_t unlogged = 0;
  std::lock_guard lock(mu);
  const auto now = std::chrono::steady_clock::now();
  if (last != std::chrono::steady_clock::time_point{} && now - last < kUnavailableLogInterval) {
    ++unlogged;
    return false;
  }
  last = now;
  skipped = std::exchange(unlogged, 0);
  return true;
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}

}  // namespace

std::string echoed(std::string_view value, std::size_t max) {
  std::size_t n = value.size();
  if (n > max) {
    n = max;
    // Back up over continuation bytes (10xxxxxx) so no character is cut in half.
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) {
      --n;
    }
  }
  std::string out(value.substr(0, n));
  std::replace_if(out.begin(), out.end(), is_control, '?');
  if (n < value.size()) {
    out += "...";
  }
  return out;
}

std::string command_word(std::string_view value, std::string_view placeholder) {
  if (value.empty() || value.size() > kMaxEchoedValue ||
      std::any_of(value.begin(), value.end(), is_control)) {
    return std::string(placeholder);
  }
  return shell_quote(value);
}

OAuthError store_failure(std::string_view what, const store::StoreError& e) {
  if (e.code != store::StoreErrorCode::kUnavailable) {
    spdlog::error("token endpoint: {}: {}: {}", what, store::to_string(e.code), e.message);
  } else if (std::uint64_t skipped = 0; log_unavailable_now(skipped)) {
    spdlog::error("token endpoint: {}: {}: {} ({} more requests failed alike since the last line)",
                  what, store::to_string(e.code), e.message, skipped);
  }
  if (e.code == store::StoreErrorCode::kBusy) {
    return OAuthError{Code::kTemporarilyUnavailable, "the store is busy; retry shortly", false,
                      std::chrono::seconds{1}};
  }
  if (e.code == store::StoreErrorCode::kUnavailable) {
    return OAuthError{Code::kTemporarilyUnavailable,
                      "the database cannot be reached; retry in a few seconds", false,
                      kStoreUnavailableRetryAfter};
  }
  return oauth_error(Code::kServerError, "the server could not complete the request; see its log");
}

OAuthError internal_failure(std::string_view what) {
  spdlog::error("token endpoint: {}", what);
  return oauth_error(Code::kServerError, "the server could not complete the request; see its log");
}

std::string random_id(std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  jose::random_bytes(b);
  return jose::to_hex(b);
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool allows(const store::Application& app, store::GrantType g) {
  return std::find(app.grant_types.begin(), app.grant_types.end(), g) != app.grant_types.end();
}

std::string quoted_list(const std::vector<std::string>& v) {
  if (v.empty()) {
    return "(none)";
  }
  std::string out(1, '\'');
  out += join_scopes(v);
  out += '\'';
  return out;
}

bool is_oidc_scope(std::string_view s) {
  return std::find(kOidcScopes.begin(), kOidcScopes.end(), s) != kOidcScopes.end();
}

Result<std::string, OAuthError> requested_audience(const Params& p) {
  const auto audience = p.get("audience");
  const auto resource = p.get("resource");
  if (audience && resource && *audience != *resource) {
    return fail(oauth_error(Code::kInvalidTarget,
                            "audience and resource name different APIs; send one of them"));
  }
  if (!audience && !resource) {
    return fail(oauth_error(Code::kInvalidRequest,
                            "audience is required: the identifier of the API the token is for "
                            "(see 'signet apis list')"));
  }
  return std::string(audience ? *audience : *resource);
}

Result<const store::Api*, OAuthError> find_api(const TenantSnapshot& snap,
                                               std::string_view audience) {
  const store::Api* api = snap.find_api(audience);
  if (api == nullptr) {
    return fail(oauth_error(Code::kInvalidTarget,
                            "Service not found: no API has the identifier '" + echoed(audience) +
                                "'. Check the audience, or create the API: signet apis create "
                                "--identifier " +
                                command_word(audience, "IDENTIFIER") + " --name NAME"));
  }
  return api;
}

std::chrono::seconds retry_after(const store::FailedLoginCounter& c, store::Timestamp now) {
  if (!c.blocked_until) {
    return std::chrono::seconds{1};
  }
  return std::max(std::chrono::seconds{1}, *c.blocked_until - now);
}

}  // namespace signet::server
