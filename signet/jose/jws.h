#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/jose/algorithm.h"
#include "signet/jose/error.h"
#include "signet/jose/json.h"
#include "signet/jose/jwk.h"

namespace signet::jose {

constexpr std::size_t kDefaultMaxTokenBytes = 8 * 1024;  // far above real access tokens (~1 KiB)

struct JwsLimits {
  std::size_t max_token_bytes = kDefaultMaxTokenBytes;
  JsonLimits json;
  // Accept a "jwk" header member (left in ParsedJws::header, unparsed). Only for DPoP proofs
  // (RFC 9449 §4.2), which are signed by the key they carry and whose caller binds that key to
  // the token or the request; an access token's key always comes from configuration.
  bool allow_embedded_jwk = false;
};

// A compact JWS split into its parts with its protected header checked; the signature has NOT
// been verified yet, so nothing in it may be trusted except to pick a key.
struct ParsedJws {
  std::string_view signing_input;  // "header.payload", a view into the token
  std::string_view payload_b64;    // a view into the token
  std::string signature;           // decoded bytes
  std::string payload;             // decoded bytes, not yet trusted
  boost::json::object header;
  Algorithm alg = Algorithm::kRS256;
  std::optional<std::string> kid;
  std::optional<std::string> typ;
};

// Splits and checks a compact JWS (RFC 7515 §7.1): exactly three segments, strict base64url,
// a header that is a JSON object without duplicate members, a supported "alg" (never "none",
// never HMAC), no "jku"/"x5u"/"jwk"/"x5c" (keys come only from configuration; "jwk" only when
// limits.allow_embedded_jwk), no "crit" (we implement no extensions), no "b64": false. The returned
// views point into `token`, which must outlive the result.
Result<ParsedJws, Error> parse_compact(std::string_view token, const JwsLimits& limits = {});
// The result would point into a destroyed temporary.
Result<ParsedJws, Error> parse_compact(std::string&& token, const JwsLimits& limits = {}) = delete;

// Verifies the signature with `key`. The algorithm is bound to the key: the header's alg must be
// one the key accepts (its own "alg" when it has one, else its key type's), so a token cannot
// talk a verifier into another algorithm. The signature length must be exact.
Result<Ok, Error> verify_signature(const ParsedJws& jws, const Jwk& key);

// Decodes and parses the payload as a JSON object; call only after verify_signature succeeded.
Result<boost::json::object, Error> decode_payload(const ParsedJws& jws,
                                                  const JsonLimits& limits = {});

// Signs `payload` with `key` (which needs a private part). "alg" is set from the key (its own alg,
// else RS256/ES256/EdDSA by type) and "kid" from the key when it has one; other header members
// (typ) come from `header`.
Result<std::string, Error> sign_compact(const Jwk& key, boost::json::object header,
                                        std::string_view payload);

// Signs with the header given as exact JSON text (test vectors need byte-exact headers).
Result<std::string, Error> sign_compact_raw(const Jwk& key, Algorithm alg,
                                            std::string_view header_json, std::string_view payload);

// The algorithm a key signs with: its own alg, else the default for its type.
Algorithm signing_algorithm(const Jwk& key);

}  // namespace signet::jose
