#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/guard/bearer.h"
#include "signet/guard/clock.h"
#include "signet/guard/config.h"
#include "signet/guard/counters.h"
#include "signet/guard/error.h"
#include "signet/guard/jwks_cache.h"
#include "signet/guard/key_source.h"
#include "signet/guard/token_cache.h"
#include "signet/guard/verified_token.h"

namespace signet::guard {

// The answer to "may this request go on?", ready to send when it may not.
struct Decision {
  unsigned status = 200;                       // 200: allowed; else 400, 401, 403 or 503
  std::string www_authenticate;                // RFC 6750 §3 challenge, empty when allowed
  std::string body;                            // JSON {"error": ..., "error_description": ...}
  std::shared_ptr<const VerifiedToken> token;  // set when allowed
  std::optional<Failure> failure;              // why not, for logs and metrics

  bool allowed() const { return status == 200; }
};

// Validates access tokens for one API: signature with the issuer's published keys, then
// exp/nbf/iat, iss, aud, typ and scopes. Thread-safe; one instance serves a whole process.
class Guard {
 public:
  // Throws std::invalid_argument for an unusable configuration (no issuer, no audience, no
  // algorithm). Without a source, keys come over HTTP(S) from the issuer (HttpKeySource).
  explicit Guard(GuardConfig config, std::shared_ptr<KeySource> source = nullptr,
                 std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>());
  ~Guard();

  // Fetches keys now and starts background refresh (if configured). Returns false, with the
  // reason in last_jwks_error(), if the first fetch failed; requests will retry it.
  bool start();

  // Verifies one token. Never throws.
  // With KeyWait::kNever it fails with kKeysPending instead of fetching keys; retry with
  // kMayBlock on a thread that may wait (see signet/api/protect.h).
  Result<std::shared_ptr<const VerifiedToken>, Failure> verify(std::string_view token,
                                                               KeyWait wait = KeyWait::kMayBlock);

  // The whole decision for a request: extract the bearer token, verify it, check that it has
  // every scope in `required_scopes`.
  Decision authorize(const Credentials& credentials, std::span<const std::string> required_scopes,
                     KeyWait wait = KeyWait::kMayBlock);

  const Counters& counters() const { return counters_; }
  const GuardConfig& config() const { return config_; }
  std::string last_jwks_error() const { return jwks_.last_error(); }
  JwksCache& jwks() { return jwks_; }
  std::size_t token_cache_size() const { return token_cache_.size(); }

 private:
  // verify() for authorize(): a token the cache does not know must also be a b64token.
  Result<std::shared_ptr<const VerifiedToken>, Failure> verify_presented(std::string_view token,
                                                                         KeyWait wait,
                                                                         bool check_b64token);
  Result<std::shared_ptr<const VerifiedToken>, Failure> verify_uncached(
      std::string_view token, KeyWait wait, std::shared_ptr<const KeySet>& verified_by);
  Decision refuse(const Failure& failure, std::span<const std::string> required_scopes) const;

  const GuardConfig config_;
  std::shared_ptr<const Clock> clock_;
  Counters counters_;
  JwksCache jwks_;
  TokenCache token_cache_;
};

}  // namespace signet::guard
