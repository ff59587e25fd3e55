#include "signet/jose/error.h"

namespace signet::jose {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::kBase64Alphabet:
      return "invalid base64url: character outside the alphabet";
    case Error::kBase64Padding:
      return "invalid base64url: padding is not allowed";
    case Error::kBase64Length:
      return "invalid base64url: impossible length";
    case Error::kBase64NonCanonical:
      return "invalid base64url: non-canonical trailing bits";
    case Error::kJsonSyntax:
      return "malformed JSON";
    case Error::kJsonNotObject:
      return "JSON must be an object";
    case Error::kJsonDuplicateMember:
      return "duplicate JSON member name";
    case Error::kJsonTooDeep:
      return "JSON nested too deeply";
    case Error::kJsonTooLarge:
      return "JSON too large";
    case Error::kTokenEmpty:
      return "the token is empty";
    case Error::kTokenTooLarge:
      return "the token is too large";
    case Error::kTokenSegments:
      return "the token must have exactly three segments";
    case Error::kTokenEmptyPayload:
      return "the token payload is empty";
    case Error::kTokenEmptySignature:
      return "the token is not signed";
    case Error::kAlgMissing:
      return "the token header has no alg";
    case Error::kAlgNotString:
      return "the token header alg must be a string";
    case Error::kAlgNone:
      return "unsigned tokens (alg none) are not accepted";
    case Error::kAlgHmac:
      return "HMAC algorithms are not accepted";
    case Error::kAlgUnsupported:
      return "unsupported signing algorithm";
    case Error::kAlgNotAllowed:
      return "signing algorithm not allowed";
    case Error::kAlgKeyMismatch:
      return "signing algorithm does not match the key";
    case Error::kKidNotString:
      return "the token header kid must be a string";
    case Error::kTypNotString:
      return "the token header typ must be a string";
    case Error::kHeaderJku:
      return "the jku header is not accepted";
    case Error::kHeaderX5u:
      return "the x5u header is not accepted";
    case Error::kHeaderJwk:
      return "an embedded jwk header is not accepted";
    case Error::kHeaderX5c:
      return "an embedded x5c header is not accepted";
    case Error::kCritMalformed:
      return "the crit header must be a non-empty array of strings";
    case Error::kCritUnknown:
      return "unknown critical header extension";
    case Error::kB64Unencoded:
      return "unencoded payloads (b64 false) are not accepted";
    case Error::kSignatureLength:
      return "signature has the wrong length";
    case Error::kSignatureInvalid:
      return "signature verification failed";
    case Error::kSigningFailed:
      return "signing failed";
    case Error::kJwkNotObject:
      return "a JWK must be a JSON object";
    case Error::kJwkKtyMissing:
      return "the JWK has no kty";
    case Error::kJwkKtyUnsupported:
      return "unsupported JWK kty";
    case Error::kJwkKidNotString:
      return "the JWK kid must be a string";
    case Error::kJwkUseNotSig:
      return "the JWK is not for signatures (use must be sig)";
    case Error::kJwkAlgUnsupported:
      return "unsupported JWK alg";
    case Error::kJwkAlgKeyMismatch:
      return "the JWK alg does not fit its key type";
    case Error::kJwkRsaMissingMember:
      return "the RSA JWK needs n and e";
    case Error::kJwkRsaModulusSize:
      return "the RSA modulus must be 2048 to 8192 bits";
    case Error::kJwkRsaExponent:
      return "the RSA exponent must be 65537";
    case Error::kJwkRsaPrivate:
      return "the RSA private key members are missing or inconsistent";
    case Error::kJwkEcMissingMember:
      return "the EC JWK needs crv, x and y";
    case Error::kJwkEcCurve:
      return "the EC curve must be P-256";
    case Error::kJwkEcCoordinate:
      return "the EC coordinates must be 32 bytes each";
    case Error::kJwkEcNotOnCurve:
      return "the EC point is not on the curve";
    case Error::kJwkEcPrivate:
      return "the EC private key is invalid";
    case Error::kJwkOkpMissingMember:
      return "the OKP JWK needs crv and x";
    case Error::kJwkOkpCurve:
      return "the OKP curve must be Ed25519";
    case Error::kJwkOkpKeyLength:
      return "the Ed25519 key must be 32 bytes";
    case Error::kJwkOkpWeakKey:
      return "the Ed25519 key is a small-order or non-canonical point";
    case Error::kJwkOkpPrivate:
      return "the Ed25519 private key does not match x";
    case Error::kJwkNoPrivateKey:
      return "the key has no private part";
    case Error::kJwksNotObject:
      return "the JWKS must be a JSON object";
    case Error::kJwksKeysMissing:
      return "the JWKS has no keys array";
    case Error::kJwksTooManyKeys:
      return "the JWKS has too many keys";
    case Error::kKeyGeneration:
      return "key generation failed";
    case Error::kPemEncode:
      return "the private key could not be encoded as PEM";
    case Error::kPemMalformed:
      return "not an unencrypted PKCS#8 private key PEM";
    case Error::kPemKeyTypeMismatch:
      return "the private key's type does not fit the algorithm";
    case Error::kExpMissing:
      return "the token has no exp claim";
    case Error::kExpNotNumber:
      return "the exp claim must be a number";
    case Error::kExpOutOfRange:
      return "the exp claim is out of range";
    case Error::kExpired:
      return "the token has expired";
    case Error::kNbfNotNumber:
      return "the nbf claim must be a number";
    case Error::kNbfOutOfRange:
      return "the nbf claim is out of range";
    case Error::kNotYetValid:
      return "the token is not valid yet (nbf)";
    case Error::kIatNotNumber:
      return "the iat claim must be a number";
    case Error::kIatOutOfRange:
      return "the iat claim is out of range";
    case Error::kIatInFuture:
      return "the token was issued in the future (iat)";
  }
  return "unknown error";
}

}  // namespace signet::jose
