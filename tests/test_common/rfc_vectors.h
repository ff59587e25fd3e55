#pragma once

// Published JOSE test vectors, as data. Every value was copied from the RFC text and then
// checked with an independent implementation (pyca/cryptography): the RSA members are
// consistent (n = p*q, dp, dq, qi), the EC points are on their curves, the Ed25519 public key
// derives from its seed, every signature verifies, and the deterministic ones (RS256, EdDSA,
// HS256) are reproduced bit for bit.

#include <string_view>

namespace signet::testing {

// RFC 7515 A.1-A.3 payload, byte for byte: note the CRLF line breaks (13, 10) and the
// space after each.
extern const std::string_view kRfc7515Payload;

// RFC 7515 A.1: the HMAC key. Symmetric keys are never accepted from a JWK (kty "oct").
extern const std::string_view kRfc7515A1HmacJwk;

// RFC 7515 A.1: HS256.
// header:  {"typ":"JWT",\r\n "alg":"HS256"}
// payload: kRfc7515Payload
extern const std::string_view kRfc7515A1Token;

// RFC 7515 A.2.1: the protected header, byte for byte.
extern const std::string_view kRfc7515A2Header;

// RFC 7515 A.2.1: the RSA key, private members included (no "alg", no "kid").
extern const std::string_view kRfc7515A2PrivateJwk;

// RFC 7515 A.2: the public half of kRfc7515A2PrivateJwk (RFC 7517 A.1 "n" and "e").
extern const std::string_view kRfc7515A2PublicJwk;

// RFC 7515 A.2: RS256. PKCS#1 v1.5 is deterministic, so signing reproduces it exactly.
// header:  {"alg":"RS256"}
// payload: kRfc7515Payload
extern const std::string_view kRfc7515A2Token;

// RFC 7515 A.3.1: the P-256 key, with its private "d".
extern const std::string_view kRfc7515A3PrivateJwk;

// RFC 7515 A.3: the public half of kRfc7515A3PrivateJwk.
extern const std::string_view kRfc7515A3PublicJwk;

// RFC 7515 A.3: ES256 (ECDSA is randomized: verify only).
// header:  {"alg":"ES256"}
// payload: kRfc7515Payload
extern const std::string_view kRfc7515A3Token;

// RFC 8037 A.1: the Ed25519 private key (the RFC 8032 7.1 TEST 1 seed).
extern const std::string_view kRfc8037A1PrivateJwk;

// RFC 8037 A.2: its public key.
extern const std::string_view kRfc8037A2PublicJwk;

// RFC 8037 A.4: the protected header, byte for byte.
extern const std::string_view kRfc8037A4Header;

// RFC 8037 A.4: the payload (not JSON).
extern const std::string_view kRfc8037A4Payload;

// RFC 8037 A.4: EdDSA. Ed25519 is deterministic, so signing reproduces it exactly.
// header:  {"alg":"EdDSA"}
// payload: Example of Ed25519 signing
extern const std::string_view kRfc8037A4Token;

// RFC 7520 4: the payload, UTF-8 (the apostrophes are U+2019).
extern const std::string_view kRfc7520Payload;

// RFC 7520 3.4: Bilbo's RSA signing key, private members included.
extern const std::string_view kRfc7520RsaPrivateJwk;

// RFC 7520 3.3: its public half.
extern const std::string_view kRfc7520RsaPublicJwk;

// RFC 7520 3.1: Bilbo's P-521 key (a curve signet does not accept).
extern const std::string_view kRfc7520EcP521PublicJwk;

// RFC 7520 3.5: the HMAC key.
extern const std::string_view kRfc7520HmacJwk;

// RFC 7520 4.1.2: the protected header, byte for byte.
extern const std::string_view kRfc7520S41Header;

// RFC 7520 4.1.3: RS256 RSA v1.5: deterministic, so signing reproduces it exactly.
// header:  {"alg":"RS256","kid":"bilbo.baggins@hobbiton.example"}
// payload: kRfc7520Payload
extern const std::string_view kRfc7520S41Token;

// RFC 7520 4.2.3: PS384 RSA-PSS with SHA-384, which signet does not implement.
// header:  {"alg":"PS384","kid":"bilbo.baggins@hobbiton.example"}
// payload: kRfc7520Payload
extern const std::string_view kRfc7520S42Token;

// RFC 7520 4.3.3: ES512 ECDSA P-521 with SHA-512, which signet does not implement.
// header:  {"alg":"ES512","kid":"bilbo.baggins@hobbiton.example"}
// payload: kRfc7520Payload
extern const std::string_view kRfc7520S43Token;

// RFC 7520 4.4.3: HS256 HMAC-SHA256, never accepted.
// header:  {"alg":"HS256","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037"}
// payload: kRfc7520Payload
extern const std::string_view kRfc7520S44Token;

// NOT from an RFC (RFC 7520 4.2 uses PS384): a PS256 signature made with
// kRfc7520RsaPrivateJwk by an independent implementation (pyca/cryptography 48.0.0: PSS,
// MGF1-SHA256, 32-byte salt), to check signet verifies PS256 from other signers.
// header:  {"alg":"PS256","kid":"bilbo.baggins@hobbiton.example"}
// payload: kRfc7520Payload
extern const std::string_view kBilboPs256Token;

}  // namespace signet::testing
