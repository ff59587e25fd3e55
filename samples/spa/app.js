// A single-page app that signs its user in through signet with the authorization code flow and
// PKCE (RFC 7636), as an app would with Auth0, then calls the quickstart's messages API with the
// access token. No framework and no build step: the browser's own fetch, WebCrypto and
// sessionStorage.
//
// What it keeps where:
// - the PKCE verifier, state and nonce: sessionStorage, from "Log in" until the answer comes back
//   (the page is gone in between), then removed;
// - the tokens: this module's memory only, never storage, so no other script or tab on the
//   origin can read them from there; a reload signs in again (the login form is skipped while
//   signet's session lasts).

const pendingKey = 'signet-sample-spa:request';
const scope = 'openid profile email read:messages';
// Bytes of randomness in the verifier, state and nonce: RFC 7636 §4.1 recommends 32 (a
// 43-character verifier), beyond guessing.
const randomBytes = 32;

const elements = {
  who: document.getElementById('who'),
  error: document.getElementById('error'),
  login: document.getElementById('login'),
  logout: document.getElementById('logout'),
  apiHint: document.getElementById('api-hint'),
  settings: document.getElementById('settings'),
};

let config = null;  // {issuer, client_id, audience, api_base}, from config.json
let tokens = null;  // {accessToken, idClaims, scope}

// The one address the app registers as its callback and logout URL: the page itself.
const appUrl = `${window.location.origin}/`;

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

// The S256 challenge: base64url(SHA-256(verifier)) (RFC 7636 §4.2).
async function challengeOf(verifier) {
  const digest = await window.crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

// The claims of a JWT, decoded but NOT verified: signet checked the ID token's signature when it
// issued it to us over TLS (or loopback), and this page only shows who signed in. An app that
// trusts a claim for a decision verifies the token first, or asks its back end.
function unverifiedClaims(jwt) {
  const payload = jwt.split('.')[1] || '';
  const base64 = payload.replace(/-/g, '+').replace(/_/g, '/')
    + '='.repeat((4 - (payload.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function showError(message) {
  elements.error.textContent = message;
  elements.error.hidden = !message;
}

function render() {
  elements.login.hidden = Boolean(tokens);
  elements.logout.hidden = !tokens;
  if (tokens) {
    const { email, sub } = tokens.idClaims;
    elements.who.textContent = `Signed in as ${email || sub} (sub ${sub}); the access token `
      + `holds the scopes "${tokens.scope}".`;
    elements.apiHint.textContent = 'The calls carry your access token (Authorization: Bearer).';
  } else {
    elements.who.textContent = 'Not signed in.';
    elements.apiHint.textContent = 'Signed out, the calls carry no token: /api/private and '
      + '/api/private-scoped answer 401. Log in to call them with your access token.';
  }
}

async function loadConfig() {
  const res = await fetch('./config.json', { cache: 'no-store' });
  if (!res.ok) {
    throw new Error(`config.json could not be read (HTTP ${res.status}): make run writes it `
      + 'beside this page.');
  }
  const loaded = await res.json();
  for (const key of ['issuer', 'client_id', 'audience', 'api_base']) {
    if (typeof loaded[key] !== 'string' || !loaded[key]) {
      throw new Error(`config.json has no "${key}".`);
    }
  }
  if (!loaded.issuer.endsWith('/')) {
    throw new Error(`The issuer in config.json (${loaded.issuer}) must end with "/".`);
  }
  return { ...loaded, api_base: loaded.api_base.replace(/\/+$/, '') };
}

// "Log in": to signet's /authorize, which shows its login page (or, with a live session, comes
// straight back with a code).
async function logIn() {
  if (!window.crypto || !window.crypto.subtle) {
    showError('This page is not a secure context (HTTPS, or http://localhost), so the browser '
      + 'offers no WebCrypto for PKCE: open it as http://localhost:3000/.');
    return;
  }
  const verifier = randomString();
  const request = { state: randomString(), nonce: randomString(), verifier };
  sessionStorage.setItem(pendingKey, JSON.stringify(request));
  const url = new URL(`${config.issuer}authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.client_id,
    redirect_uri: appUrl,
    scope,
    audience: config.audience,
    state: request.state,
    nonce: request.nonce,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

// "Log out": the tokens go, and signet ends its session and sends the browser back here.
function logOut() {
  tokens = null;
  const url = new URL(`${config.issuer}v2/logout`);
  url.search = new URLSearchParams({ client_id: config.client_id, returnTo: appUrl }).toString();
  window.location.assign(url.toString());
}

async function readJson(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// The way back from /authorize: ?code=...&state=... or ?error=...&error_description=...&state=...
async function finishLogIn(params) {
  // The code is single use and worth nothing without the verifier, but it leaves the address bar
  // (and the history) at once all the same.
  window.history.replaceState(null, '', window.location.pathname);
  const stored = sessionStorage.getItem(pendingKey);
  sessionStorage.removeItem(pendingKey);
  const request = stored ? JSON.parse(stored) : null;
  if (params.has('error')) {
    const description = params.get('error_description');
    showError(`The authorization server refused the sign-in: ${params.get('error')}`
      + `${description ? ` (${description})` : ''}.`);
    return;
  }
  // Security: an answer this tab did not ask for (another site sending the browser here with its
  // own code, RFC 6749 §10.12) has no matching state, and is dropped.
  if (!request || params.get('state') !== request.state) {
    showError('This sign-in answer does not belong to a sign-in started in this tab (its state '
      + 'does not match): log in again.');
    return;
  }
  // Security: signet names itself in the answer (RFC 9207), so a code from another authorization
  // server (a mix-up attack) is never sent to this one's token endpoint.
  if (params.has('iss') && params.get('iss') !== config.issuer) {
    showError(`This sign-in answer comes from ${params.get('iss')}, not from ${config.issuer}: `
      + 'log in again.');
    return;
  }
  const res = await fetch(`${config.issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.client_id,
      code: params.get('code'),
      redirect_uri: appUrl,
      code_verifier: request.verifier,
    }),
    cache: 'no-store',
    credentials: 'omit',
  });
  const body = await readJson(res);
  if (!res.ok || !body || typeof body !== 'object' || !body.access_token) {
    const why = body && body.error ? `${body.error}: ${body.error_description || ''}` : `HTTP ${res.status}`;
    showError(`The code exchange failed (${why}); log in again.`);
    return;
  }
  const idClaims = body.id_token ? unverifiedClaims(body.id_token) : {};
  // The nonce ties the ID token to this sign-in, so one replayed from another cannot stand in.
  if (body.id_token && idClaims.nonce !== request.nonce) {
    showError('The ID token is not for this sign-in (its nonce does not match): log in again.');
    return;
  }
  tokens = { accessToken: body.access_token, idClaims, scope: body.scope || '' };
}

async function callApi(button) {
  const path = button.dataset.path;
  const status = document.querySelector(`[data-status-for="${path}"]`);
  const out = document.querySelector(`[data-body-for="${path}"]`);
  button.disabled = true;
  status.textContent = 'Calling…';
  out.textContent = '';
  try {
    const headers = tokens ? { authorization: `Bearer ${tokens.accessToken}` } : {};
    const res = await fetch(`${config.api_base}${path}`, { headers, cache: 'no-store', credentials: 'omit' });
    const body = await readJson(res);
    status.textContent = `HTTP ${res.status}`;
    status.dataset.httpStatus = String(res.status);
    out.textContent = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  } catch (e) {
    status.textContent = `Could not reach ${config.api_base} (${e.message}): is signet api `
      + `running, and does it allow the origin ${window.location.origin} (--cors-origin)?`;
    delete status.dataset.httpStatus;
  } finally {
    button.disabled = false;
  }
}

async function start() {
  try {
    config = await loadConfig();
  } catch (e) {
    elements.who.textContent = 'Not configured.';
    showError(e.message);
    return;
  }
  elements.settings.textContent = `Authorization server ${config.issuer}, application `
    + `${config.client_id}, API ${config.audience} at ${config.api_base}.`;
  elements.login.addEventListener('click', () => logIn().catch((e) => showError(e.message)));
  elements.logout.addEventListener('click', logOut);
  for (const button of document.querySelectorAll('button[data-path]')) {
    button.addEventListener('click', () => callApi(button));
  }
  const params = new URLSearchParams(window.location.search);
  if (params.has('code') || params.has('error')) {
    try {
      await finishLogIn(params);
    } catch (e) {
      showError(`Could not finish the sign-in at ${config.issuer}oauth/token (${e.message}): is `
        + `signet serve running, and does the application list ${window.location.origin} in its `
        + 'web origins?');
    }
  }
  render();
}

start();
