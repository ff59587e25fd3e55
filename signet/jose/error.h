#pragma once

#include <string_view>

namespace signet::jose {

// Every way a JOSE object (base64url text, JSON, JWK, JWS, JWT claims) can be refused.
// The comment on each value is the rule it stands for; to_string() gives the stable text
// that reaches logs, metrics and `error_description`.
enum class Error {
  // base64url (RFC 7515 §2, RFC 4648 §5)
  kBase64Alphabet,      // only A-Z a-z 0-9 '-' '_' are allowed
  kBase64Padding,       // '=' padding is not allowed
  kBase64Length,        // a length of 4n+1 characters cannot encode whole bytes
  kBase64NonCanonical,  // unused trailing bits must be zero
  // JSON
  kJsonSyntax,           // must be well-formed JSON (RFC 8259) in valid UTF-8
  kJsonNotObject,        // the header and the payload must be JSON objects
  kJsonDuplicateMember,  // member names must be unique (RFC 7515 §5.2, RFC 7519 §4)
  kJsonTooDeep,          // nesting is bounded
  kJsonTooLarge,         // object members, array elements and string lengths are bounded
  // compact serialization
  kTokenEmpty,           // the token must not be empty
  kTokenTooLarge,        // the token must not exceed the configured size
  kTokenSegments,        // a JWS has exactly three dot-separated segments
  kTokenEmptyPayload,    // the payload segment must not be empty
  kTokenEmptySignature,  // the signature segment must not be empty (no unsecured JWS)
  // protected header
  kAlgMissing,      // the header must have "alg"
  kAlgNotString,    // "alg" must be a string
  kAlgNone,         // "alg": "none" (in any letter case) is never accepted
  kAlgHmac,         // HMAC algorithms are refused: public keys are not shared secrets
  kAlgUnsupported,  // "alg" must be RS256, PS256, ES256 or EdDSA
  kAlgNotAllowed,   // "alg" must be one of the configured algorithms
  kAlgKeyMismatch,  // "alg" must match the key's "alg" and key type
  kKidNotString,    // "kid" must be a string
  kTypNotString,    // "typ" must be a string
  kHeaderJku,       // "jku" is never followed
  kHeaderX5u,       // "x5u" is never followed
  kHeaderJwk,       // an embedded "jwk" is never trusted
  kHeaderX5c,       // embedded "x5c" certificates are never trusted
  kCritMalformed,   // "crit" must be a non-empty array of strings
  kCritUnknown,     // "crit" names an extension this implementation does not understand
  kB64Unencoded,    // "b64": false (RFC 7797) is not supported
  // signature
  kSignatureLength,   // the signature must have the exact length for the algorithm and key
  kSignatureInvalid,  // the signature does not verify
  kSigningFailed,     // the private key could not produce a signature
  // keys (RFC 7517, RFC 7518 §6, RFC 8037)
  kJwkNotObject,         // a JWK must be a JSON object
  kJwkKtyMissing,        // a JWK must have "kty"
  kJwkKtyUnsupported,    // "kty" must be RSA, EC or OKP
  kJwkKidNotString,      // "kid" must be a string
  kJwkUseNotSig,         // "use", when present, must be "sig"
  kJwkAlgUnsupported,    // "alg", when present, must be RS256, PS256, ES256 or EdDSA
  kJwkAlgKeyMismatch,    // "alg" must fit the key type (RSA: RS256/PS256, EC: ES256, OKP: EdDSA)
  kJwkRsaMissingMember,  // an RSA key needs "n" and "e" as base64url strings
  kJwkRsaModulusSize,    // the RSA modulus must be 2048 to 8192 bits
  kJwkRsaExponent,       // the RSA public exponent must be 65537
  kJwkRsaPrivate,        // RSA private members must all be present and consistent
  kJwkEcMissingMember,   // an EC key needs "crv", "x" and "y" as strings
  kJwkEcCurve,           // "crv" must be P-256
  kJwkEcCoordinate,      // "x" and "y" must be exactly 32 bytes each
  kJwkEcNotOnCurve,      // the EC point must lie on the curve
  kJwkEcPrivate,         // "d" must be 32 bytes and match the public point
  kJwkOkpMissingMember,  // an OKP key needs "crv" and "x" as strings
  kJwkOkpCurve,          // "crv" must be Ed25519
  kJwkOkpKeyLength,      // "x" (and "d") must be exactly 32 bytes
  kJwkOkpWeakKey,        // "x" must be a canonical encoding of a point of large order
  kJwkOkpPrivate,        // "d" must derive the public key "x"
  kJwkNoPrivateKey,      // signing needs a private key
  kJwksNotObject,        // a JWKS must be a JSON object
  kJwksKeysMissing,      // a JWKS must have a "keys" array
  kJwksTooManyKeys,      // a JWKS holds a bounded number of keys
  kKeyGeneration,        // the crypto library could not generate a key
  // private keys at rest (PKCS#8 PEM, RFC 5958 / RFC 7468)
  kPemEncode,           // the private key could not be encoded as PKCS#8 PEM
  kPemMalformed,        // the text must be one unencrypted PKCS#8 "PRIVATE KEY" PEM block
  kPemKeyTypeMismatch,  // the PEM's key type must fit the algorithm (RSA, P-256 or Ed25519)
  // claims (RFC 7519 §4.1)
  kExpMissing,     // "exp" is required
  kExpNotNumber,   // "exp" must be a NumericDate
  kExpOutOfRange,  // "exp" must be between 0 and year 9999
  kExpired,        // the current time must be before "exp" (plus leeway)
  kNbfNotNumber,   // "nbf" must be a NumericDate
  kNbfOutOfRange,  // "nbf" must be between 0 and year 9999
  kNotYetValid,    // the current time must not be before "nbf" (minus leeway)
  kIatNotNumber,   // "iat" must be a NumericDate
  kIatOutOfRange,  // "iat" must be between 0 and year 9999
  kIatInFuture,    // "iat" must not be in the future (beyond leeway)
};

// Stable, human-readable text for an error, e.g. "the token has expired".
std::string_view to_string(Error e);

}  // namespace signet::jose
