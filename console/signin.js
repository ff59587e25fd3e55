// The console's sign-in through signet's own front door, as any single-page app signs in: the
// authorization code flow with PKCE (RFC 7636) to {issuer}authorize and its login page, the
// code exchanged at {issuer}oauth/token by the console's public client, and logout through
// {issuer}v2/logout. The PKCE verifier, state and nonce wait in sessionStorage while the page is
// away at the login page (the tab's own storage, removed on return); the tokens themselves never
// touch storage (api.js keeps them in memory).

// Bytes of randomness in the verifier, state and nonce: RFC 7636 §4.1 recommends 32 (a
// 43-character verifier), beyond guessing.
const randomBytes = 32;
const pendingKey = 'signet-console:sign-in';

function base64url(bytes) {
  let binary = '';
  for (const b of bytes) {
    binary += String.fromCharCode(b);
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString() {
  return base64url(window.crypto.getRandomValues(new Uint8Array(randomBytes)));
}

// The claims of a JWT, decoded but not verified: the ID token comes straight from the tenant's
// token endpoint (same origin), and the console reads only who signed in from it. The Management
// API checks the access token on every call.
export function unverifiedClaims(jwt) {
  const payload = String(jwt).split('.')[1] || '';
  const base64 = payload.replace(/-/g, '+').replace(/_/g, '/')
    + '='.repeat((4 - (payload.length % 4)) % 4);
  try {
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

// Goes to {issuer}authorize. `request` holds client_id, redirect_uri, audience and scope;
// `returnHash` is where the console comes back to (its current page).
export async function startAuthorization(issuer, request, returnHash) {
  if (!window.crypto || !window.crypto.subtle) {
    throw new Error('This page is not a secure context (HTTPS, or http://localhost), so the '
      + 'browser offers no WebCrypto for PKCE: open the console over HTTPS.');
  }
  const verifier = randomString();
  const pending = { state: randomString(), nonce: randomString(), verifier, returnHash };
  const digest = await window.crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  const url = new URL(`${issuer}authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    ...request,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

// The answer {issuer}authorize sent the browser back with, or null when the page was opened
// without one. Removes it from the address bar (a code must not stay in the history) and restores
// the hash the sign-in started from. Resolves {code, verifier, nonce} or throws with what to do
// next.
export function takeAuthorizationResponse(issuer) {
  const params = new URLSearchParams(window.location.search);
  if (!params.has('code') && !params.has('error')) {
    return null;
  }
  const stored = sessionStorage.getItem(pendingKey);
  sessionStorage.removeItem(pendingKey);
  let pending = null;
  try {
    pending = stored ? JSON.parse(stored) : null;
  } catch {
    pending = null;
  }
  const hash = pending && /^#\/[^\s]*$/.test(pending.returnHash || '') ? pending.returnHash : '';
  window.history.replaceState(null, '', window.location.pathname + hash);
  if (params.has('error')) {
    const description = params.get('error_description');
    throw new Error(`Sign-in was refused: ${params.get('error')}`
      + `${description ? ` (${description})` : ''}.`);
  }
  // Security: an answer this tab did not ask for (a page sending the browser here with a code of
  // its own, RFC 6749 §10.12) has no matching state, and is never exchanged.
  if (!pending || params.get('state') !== pending.state) {
    throw new Error('This sign-in answer was not started from this tab (its state does not '
      + 'match): sign in again.');
  }
  // Security: the answer names its issuer (RFC 9207); a code from another one is not sent here.
  if (params.has('iss') && params.get('iss') !== issuer) {
    throw new Error(`This sign-in answer comes from ${params.get('iss')}, not from ${issuer}: `
      + 'sign in again.');
  }
  return { code: params.get('code'), verifier: pending.verifier, nonce: pending.nonce };
}

// {issuer}v2/logout: signet ends its session and sends the browser back to `returnTo`.
export function endSession(issuer, clientId, returnTo) {
  const url = new URL(`${issuer}v2/logout`);
  url.search = new URLSearchParams({ client_id: clientId, returnTo }).toString();
  window.location.assign(url.toString());
}
