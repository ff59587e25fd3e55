#pragma once

// The client side of the token endpoint: finds an issuer's token endpoint in its metadata and
// asks it for an access token by client credentials or a user's password, as an application of
// the quickstart does with curl; and reads the issuer's published keys (JWKS), so that a cached
// token whose signing key the issuer has withdrawn is not used again.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "signet/client/dpop_key.h"
#include "signet/common/result.h"
#include "signet/guard/issuer_metadata.h"
#include "signet/http/client.h"
#include "signet/jose/jwk.h"

namespace signet::client {

constexpr auto kTokenRequestTimeout = std::chrono::seconds{10};  // each GET or POST, end to end
// bytes; metadata documents are a few KiB, token responses (with an ID token) a few more.
constexpr std::size_t kMaxTokenResponseBytes = 256 * 1024;
// bytes of a non-OAuth error body quoted in a message: enough to recognise a proxy's error page.
constexpr std::size_t kMaxQuotedBodyBytes = 200;

// The network, injected so that tests can answer in its place and count requests.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<http::FetchResponse, http::FetchFailure> get(std::string_view url) = 0;
  // `dpop`, when given, is sent as the DPoP header (RFC 9449 §4.1).
  virtual Result<http::FetchResponse, http::FetchFailure> post_form(
      std::string_view url, std::string_view body, std::optional<std::string_view> dpop) = 0;
};

// http::fetch and http::post with `options` (timeout, size limit, CA file).
class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(http::FetchOptions options);
  Result<http::FetchResponse, http::FetchFailure> get(std::string_view url) override;
  Result<http::FetchResponse, http::FetchFailure> post_form(
      std::string_view url, std::string_view body, std::optional<std::string_view> dpop) override;

 private:
  http::FetchOptions options_;
};

// The FetchOptions for token requests: kTokenRequestTimeout, kMaxTokenResponseBytes, `ca_file`.
http::FetchOptions token_fetch_options(std::string ca_file);

struct TokenRequest {
  std::string issuer;  // its metadata names the token endpoint
  std::string client_id;
  std::string client_secret;  // sent in the body (client_secret_post)
  std::string audience;
  std::string scope;                    // space-separated; empty: not sent
  std::optional<std::string> username;  // set: the password grant; else client credentials
  std::string password;
  // Set: the request carries a DPoP proof made with this key (RFC 9449 §5), asking for a token
  // bound to it.
  std::optional<DpopKey> dpop;
};

struct TokenResponse {
  std::string access_token;
  std::string token_type;
  std::string scope;                       // as the server answered; empty when it did not say
  std::optional<std::int64_t> expires_in;  // seconds; nullopt when the server did not say
  boost::json::object body;                // the whole response, as received
};

// application/x-www-form-urlencoded (WHATWG URL §5.2): letters, digits and *-._ stay, space
// becomes '+', every other byte %XX.
std::string form_encode(std::string_view value);

// What `signet token` needs from an issuer's metadata: its token_endpoint (always usable when
// metadata() succeeds) and its jwks_uri (or why it is unusable), read as the guard reads them.
using IssuerMetadata = guard::IssuerMetadata;

// Asks one issuer for tokens. Not thread-safe; cheap to create: one per invocation, so that what
// it remembers (metadata, keys) is never older than the invocation.
class TokenClient {
 public:
  explicit TokenClient(std::shared_ptr<Transport> transport);

  // The issuer's metadata, from {issuer}.well-known/openid-configuration, else from
  // {issuer}.well-known/oauth-authorization-server (RFC 8414), checked by read_issuer_metadata
  // (guard/issuer_metadata.h: the same issuer, a usable token endpoint, HTTPS for an HTTPS
  // issuer). The first answer is remembered, a failure too,
  // so that an invocation asks at most once. The error says what failed for each location tried;
  // when the issuer cannot be reached at all, it says that.
  Result<IssuerMetadata, std::string> metadata(const std::string& issuer);
  // metadata(issuer)'s token_endpoint.
  Result<std::string, std::string> token_endpoint(const std::string& issuer);

  // Whether the issuer's JWKS (at its metadata's jwks_uri) holds a usable key named `kid`. The key
  // set is fetched once and remembered, a failure too. An error says why the keys could not be
  // read: no metadata, no jwks_uri, an HTTPS issuer's jwks_uri over plain HTTP, no answer, not
  // HTTP 200, not a JWKS.
  Result<bool, std::string> publishes_key(const std::string& issuer, std::string_view kid);

  // Discovers the endpoint and POSTs the grant: grant_type=client_credentials (audience, scope) or
  // grant_type=password (username, password, audience, scope), client_id and client_secret in the
  // body. With request.dpop, a DPoP proof dated `now` goes with it (htm POST, htu the
  // token_endpoint of the metadata); when the server answers 400 use_dpop_nonce with a DPoP-Nonce
  // header (RFC 9449 §8), the request is sent once more with a proof carrying that nonce. An
  // OAuth error answer becomes "the server refused: <error>: <error_description>". The error
  // never contains the secret or the password.
  Result<TokenResponse, std::string> request(const TokenRequest& request,
                                             std::chrono::sys_seconds now);

 private:
  Result<IssuerMetadata, std::string> discover(const std::string& issuer);
  Result<jose::Jwks, std::string> fetch_keys(const std::string& issuer);
  // POSTs `form` to `endpoint`, with a proof when request.dpop is set.
  Result<http::FetchResponse, std::string> post(const std::string& endpoint,
                                                const std::string& form,
                                                const TokenRequest& request,
                                                std::optional<std::string_view> nonce,
                                                std::chrono::sys_seconds now);

  std::shared_ptr<Transport> transport_;
  std::string issuer_;  // the issuer whose metadata and keys are remembered
  std::optional<Result<IssuerMetadata, std::string>> metadata_;  // nullopt until asked
  std::optional<Result<jose::Jwks, std::string>> keys_;          // nullopt until asked
};

}  // namespace signet::client
