#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "signet/guard/config.h"
#include "signet/guard/issuer_metadata.h"
#include "signet/guard/key_source.h"

namespace signet::guard {

// Fetches the JWKS over HTTP(S). Without a configured jwks_uri it reads
// {issuer}.well-known/openid-configuration with read_issuer_metadata (issuer_metadata.h: the same
// issuer, a usable jwks_uri), and uses its jwks_uri; if discovery fails it falls back to
// {issuer}.well-known/jwks.json (Auth0's location). Redirects are never followed and responses
// are bounded in size and time.
class HttpKeySource final : public KeySource {
 public:
  explicit HttpKeySource(const GuardConfig& config);
  Result<FetchedKeys, std::string> fetch() override;

  // The URL the next fetch will use, once known ("" before discovery).
  std::string jwks_uri() const;

  // The `issuer` the discovery document named when it was last read, or why it could not be
  // read; nullopt before discovery has run (and always with a configured jwks_uri, which skips
  // it). Lets the caller tell an operator whose configured issuer differs from the issuer's own
  // (most often by a trailing slash) before every token is refused, without a second fetch.
  std::optional<Result<std::string, std::string>> metadata_issuer() const;

 private:
  Result<std::string, std::string> discover();

  std::string issuer_;
  std::string ca_file_;
  mutable std::mutex mu_;
  std::string jwks_uri_;  // configured, or discovered and remembered
  std::optional<Result<std::string, std::string>> metadata_issuer_;
};

}  // namespace signet::guard
