// Decoding and verifying JWTs in the browser, for the token debugger. The token never leaves the
// page: only the tenant's public keys are fetched. The algorithm comes from the key (the JWK's
// alg), never from the token's header, so a token cannot pick a weaker check.

function base64urlBytes(segment) {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) {
    throw new Error('a segment holds characters outside base64url');
  }
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/')
    + '='.repeat((4 - (segment.length % 4)) % 4);
  const binary = atob(base64);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function jsonSegment(segment, what) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(base64urlBytes(segment));
  } catch (e) {
    throw new Error(`The ${what} is not base64url-encoded UTF-8 (${e.message}).`);
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`The ${what} is not JSON.`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`The ${what} is not a JSON object.`);
  }
  return value;
}

// {header, claims, signingInput, signature} of a compact JWS; throws with a readable message.
export function decodeJwt(token) {
  const parts = token.trim().split('.');
  if (parts.length !== 3) {
    throw new Error(`A JWT has three parts separated by dots; this has ${parts.length}.`);
  }
  return {
    header: jsonSegment(parts[0], 'header'),
    claims: jsonSegment(parts[1], 'payload'),
    signingInput: new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    signature: base64urlBytes(parts[2]),
  };
}

// WebCrypto's names for each JWS algorithm signet signs with.
const algorithms = {
  RS256: {
    import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    verify: { name: 'RSASSA-PKCS1-v1_5' },
    jwk: (k) => ({ kty: k.kty, n: k.n, e: k.e }),
  },
  PS256: {
    import: { name: 'RSA-PSS', hash: 'SHA-256' },
    verify: { name: 'RSA-PSS', saltLength: 32 },
    jwk: (k) => ({ kty: k.kty, n: k.n, e: k.e }),
  },
  ES256: {
    import: { name: 'ECDSA', namedCurve: 'P-256' },
    verify: { name: 'ECDSA', hash: 'SHA-256' },  // JWS signatures are r||s, as WebCrypto wants
    jwk: (k) => ({ kty: k.kty, crv: k.crv, x: k.x, y: k.y }),
  },
  EdDSA: {
    import: { name: 'Ed25519' },
    verify: { name: 'Ed25519' },
    jwk: (k) => ({ kty: k.kty, crv: k.crv, x: k.x }),
  },
};

// Verifies the signature of a decoded token against a JWKS. Resolves {ok, message}: ok true
// when it verifies, false when it does not, null when it cannot be checked here.
export async function verifySignature(decoded, jwks) {
  if (!window.crypto || !window.crypto.subtle) {
    return { ok: null, message: 'This page is not a secure context (HTTPS or localhost), so the browser offers no WebCrypto to check the signature.' };
  }
  const kid = decoded.header.kid;
  const key = (jwks.keys || []).find((k) => k.kid === kid);
  if (!key) {
    return { ok: false, message: `No key of this tenant has the kid ${JSON.stringify(kid)}: the token was signed by another issuer, or by a key that is no longer published (revoked).` };
  }
  const alg = key.alg;
  if (decoded.header.alg !== alg) {
    return { ok: false, message: `The token says alg ${decoded.header.alg}, but its key is for ${alg}.` };
  }
  const spec = algorithms[alg];
  if (!spec) {
    return { ok: null, message: `The console cannot check ${alg} signatures.` };
  }
  let cryptoKey;
  try {
    cryptoKey = await window.crypto.subtle.importKey('jwk', { ...spec.jwk(key), ext: true }, spec.import, false, ['verify']);
  } catch (e) {
    if (alg === 'EdDSA') {
      return { ok: null, message: 'This browser cannot check Ed25519 (EdDSA) signatures; use signet token decode --verify.' };
    }
    return { ok: null, message: `The key ${kid} could not be loaded (${e.message}).` };
  }
  const ok = await window.crypto.subtle.verify(spec.verify, cryptoKey, decoded.signature, decoded.signingInput);
  return ok
    ? { ok: true, message: `Signature verified with the tenant's key ${kid} (${alg}).` }
    : { ok: false, message: `Invalid signature: the token does not verify with the tenant's key ${kid} (${alg}); it was altered or signed by someone else.` };
}
