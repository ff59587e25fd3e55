#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "signet/jose/dpop.h"
#include "signet/jose/error.h"

namespace signet::guard {

// Every reason the guard refuses a request, beyond the token-format errors of signet::jose.
enum class Error {
  kNoCredentials,    // no token was sent at all (RFC 6750 §3.1: answer without an error code)
  kMalformedHeader,  // Authorization must be "Bearer" or "DPoP", SP, token68
  kMultipleTokens,   // a token must be sent by exactly one method, exactly once
  kQueryToken,       // tokens in the query string are refused (they end up in logs)
  kToken,            // the token failed a JOSE rule; see the jose::Error alongside
  kTypNotAllowed,    // "typ" must be absent, "JWT" or "at+jwt" ("at+jwt" only in strict mode)
  kKidMissing,       // a token without kid is ambiguous when several published keys accept its alg
  kKidUnknown,       // no published key has the token's kid (without kid: accepts its alg)
  kKeysUnavailable,  // the issuer's keys could not be fetched and none are cached
  kKeysPending,      // the keys must be fetched first, and the caller asked not to wait
  kIssMissing,       // "iss" is required
  kIssNotString,     // "iss" must be a string
  kIssMismatch,      // "iss" must equal the configured issuer exactly (trailing slash included)
  kAudMissing,       // "aud" is required
  kAudWrongType,     // "aud" must be a string or an array of strings
  kAudMismatch,      // "aud" must contain one of the configured audiences
  kScopeWrongType,   // "scope" must be a space-separated string
  kPermissionsWrongType,  // "permissions" must be an array of strings
  kInsufficientScope,     // the token lacks a scope the endpoint requires
  kCnfWrongType,          // "cnf" must be an object, and its "jkt" a string (RFC 9449 §6.1)
  kDpopRequired,          // the API accepts only DPoP (RFC 9449 §7.2): Bearer is refused
  kBoundTokenAsBearer,    // a token with cnf.jkt must come with Authorization: DPoP (§7.2)
  kUnboundTokenAsDpop,    // Authorization: DPoP needs a token bound to a key (cnf.jkt, §7.1)
  kDpopProof,             // the DPoP proof failed a rule; see the ProofError alongside
};

std::string_view to_string(Error e);

// A refusal: the guard error and, for kToken, the JOSE rule that failed (for kDpopProof, the
// DPoP rule).
struct Failure {
  Error code;
  jose::Error jose = jose::Error::kSignatureInvalid;  // meaningful only when code == kToken
  // What the token said against what was expected, for kIssMismatch and kAudMismatch (see
  // issuer_mismatch() and audience_mismatch()); already safe for a WWW-Authenticate header.
  std::string detail{};
  // The DPoP rule that failed; set exactly when code == kDpopProof.
  std::optional<jose::dpop::ProofFailure> proof{};

  // The text for logs and error_description: the detail when there is one, else the JOSE rule
  // for kToken, the DPoP rule for kDpopProof, else the guard rule.
  std::string description() const;
};

// How much of a token's claim value a description repeats, and how many values of an array:
// enough to recognise a near-miss, not enough for a caller to fill responses and logs with it.
constexpr std::size_t kMaxEchoedClaimBytes = 100;
constexpr std::size_t kMaxEchoedClaimValues = 4;

// `value` as a description may show it: printable ASCII only, without quotes or backslashes
// (any other byte becomes '?'), cut at kMaxEchoedClaimBytes (then "..."). A description ends up
// inside the quoted error_description of a WWW-Authenticate header (RFC 6750 §3), which those
// characters would break or forge.
std::string echo_claim(std::string_view value);

// "token issuer 'A' is not the expected 'B'", with "(note the trailing slash)" when the two
// differ only by one.
std::string issuer_mismatch(std::string_view token_issuer, std::string_view expected);

// "token audience ['A', 'B'] does not include the expected 'C'" (or "any of the expected 'C',
// 'D'" for several).
std::string audience_mismatch(std::span<const std::string_view> token_audiences,
                              std::span<const std::string> expected);

}  // namespace signet::guard
