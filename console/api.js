// The console's session and its calls to the server: sign-in through {issuer}authorize with PKCE
// (signin.js), and the Management API with the access token. The tokens live in this module's
// memory only (never in localStorage or a cookie), so no other page or script on the origin can
// read them from storage; reloading the page means pressing Sign in again, which skips the login
// form while signet's own session lasts.

import { forgetSecrets } from './secrets.js';
import {
  endSession, startAuthorization, takeAuthorizationResponse, unverifiedClaims,
} from './signin.js';

// The issuer is the page's origin and the path before "console/": the console is served at
// {issuer}console/.
function issuerOfPage() {
  const path = window.location.pathname;
  const at = path.lastIndexOf('/console/');
  return window.location.origin + (at >= 0 ? path.slice(0, at + 1) : '/');
}

export const issuer = issuerOfPage();
export const tokenEndpoint = `${issuer}oauth/token`;
export const jwksUrl = `${issuer}.well-known/jwks.json`;
export const managementAudience = `${issuer}api/v2/`;
// Where /authorize and logout send the browser back: registered as the console client's callback
// and logout URL by `signet serve`.
export const consoleUrl = `${issuer}console/`;
// The console's own public client (no secret), created by `signet serve` at first start.
export const consoleClientId = 'signet-console';
// Every scope of the Management API (docs/management-api.md); a user gets those it holds.
export const managementScopes = [
  'read:resource_servers', 'create:resource_servers', 'update:resource_servers', 'delete:resource_servers',
  'read:clients', 'create:clients', 'update:clients', 'delete:clients', 'update:client_keys',
  'read:client_grants', 'create:client_grants', 'update:client_grants', 'delete:client_grants',
  'read:users', 'create:users', 'update:users', 'delete:users',
  'read:logs', 'read:signing_keys', 'create:signing_keys', 'update:signing_keys', 'delete:sessions',
];
export const perPage = 50;  // every list is paged: a tenant with 10,000 applications stays fast
// Who signed in (openid profile email), and a refresh token (offline_access) when the Management
// API allows offline access: then the console renews its access token instead of ending.
const signInScopes = ['openid', 'profile', 'email', 'offline_access'];
// Renew this long before the access token expires (ms), so no call goes out with a token that
// expires on the way.
const refreshMargin = 60 * 1000;

let session = null;  // {accessToken, refreshToken, email, scopes, expiresAt}
let refreshing = null;  // the renewal in flight: concurrent calls share it (a refresh token is single use)
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function setSignedOutHandler(handler) {
  onSignedOut = handler;
}

export function currentSession() {
  return session;
}

// Ends the session in this tab only (the login form says `message`); signet's session stays.
export function signOut(message = '') {
  session = null;
  refreshing = null;
  forgetSecrets();
  onSignedOut(message);
}

async function readJson(res) {
  const text = await res.text();
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// POST {issuer}oauth/token with `params` (form-encoded unless asJson); returns the fetch
// Response and its parsed body. Network failures become an ApiError that says what to check.
export function tokenRequest(params, options = {}) {
  return tokenRequestTo(tokenEndpoint, params, options);
}

async function tokenRequestTo(endpoint, params, { headers = {}, asJson = false } = {}) {
  let res;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': asJson ? 'application/json' : 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: asJson ? JSON.stringify(params) : new URLSearchParams(params),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, `Could not reach ${endpoint} (${e.message}); check that signet serve is running.`);
  }
  return { res, body: await readJson(res) };
}

// "Sign in": to signet's login page; the console comes back to `returnHash`.
export function signIn(returnHash) {
  return startAuthorization(issuer, {
    client_id: consoleClientId,
    redirect_uri: consoleUrl,
    audience: managementAudience,
    scope: [...signInScopes, ...managementScopes].join(' '),
  }, returnHash);
}

// The session from a token endpoint answer; throws an ApiError that says what to do next.
function sessionFrom(res, body, nonce) {
  if (!res.ok || !body || typeof body !== 'object' || !body.access_token) {
    const description = body && body.error_description ? body.error_description : res.statusText;
    throw new ApiError(res.status, `Sign-in failed: ${description || `HTTP ${res.status}`}`);
  }
  const scopes = (body.scope || '').split(' ').filter(Boolean);
  if (!scopes.some((s) => managementScopes.includes(s))) {
    throw new ApiError(403, 'This user holds no permission on the Management API. An administrator '
      + `can grant them: signet users permissions add USER_ID --audience ${managementAudience} read:clients ...`);
  }
  const claims = body.id_token ? unverifiedClaims(body.id_token) : {};
  // The nonce binds the ID token to this sign-in: one from another sign-in cannot stand in for it.
  if (nonce !== undefined && body.id_token && claims.nonce !== nonce) {
    throw new ApiError(400, 'The ID token is not for this sign-in (its nonce does not match): sign in again.');
  }
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token || (session && session.refreshToken) || '',
    email: claims.email || claims.sub || (session && session.email) || '',
    scopes,
    expiresAt: Date.now() + (body.expires_in || 0) * 1000,
  };
}

// On return from /authorize: exchanges the code for tokens. Resolves the session, or null when
// the page was not opened by a sign-in answer; throws with what to do next.
export async function finishSignIn() {
  const answer = takeAuthorizationResponse(issuer);
  if (!answer) {
    return null;
  }
  const { res, body } = await tokenRequest({
    grant_type: 'authorization_code',
    client_id: consoleClientId,
    code: answer.code,
    redirect_uri: consoleUrl,
    code_verifier: answer.verifier,
  });
  session = sessionFrom(res, body, answer.nonce);
  return session;
}

// "Sign out": the refresh token is revoked (when there is one), and signet ends its session and
// sends the browser back to the console.
export async function logOut() {
  const refreshToken = session && session.refreshToken;
  signOut('');
  if (refreshToken) {
    try {
      await tokenRequestTo(`${issuer}oauth/revoke`, {
        client_id: consoleClientId, token: refreshToken, token_type_hint: 'refresh_token',
      });
    } catch {
      // Best effort: the session ends at signet below either way.
    }
  }
  endSession(issuer, consoleClientId, consoleUrl);
}

// The access token to send now: renewed first with the refresh token when it is about to expire.
async function currentAccessToken() {
  if (!session.refreshToken || Date.now() < session.expiresAt - refreshMargin) {
    return session.accessToken;
  }
  if (!refreshing) {
    const mine = session;
    refreshing = tokenRequest({
      grant_type: 'refresh_token', client_id: consoleClientId, refresh_token: mine.refreshToken,
    }).then(({ res, body }) => {
      if (session === mine) {
        session = sessionFrom(res, body, undefined);
      }
    }).finally(() => {
      refreshing = null;
    });
  }
  try {
    await refreshing;
  } catch {
    signOut('Your session has ended: sign in again.');
    throw new ApiError(401, 'Your session has ended: sign in again.');
  }
  if (!session) {
    throw new ApiError(401, 'Sign in first.');
  }
  return session.accessToken;
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

// One Management API call. Resolves {status, data, etag}; rejects with an ApiError carrying the
// API's message. A 401 ends the session (the login form says why).
export async function request(method, path, { query, body, etag } = {}) {
  if (!session) {
    throw new ApiError(401, 'Sign in first.');
  }
  const headers = { authorization: `Bearer ${await currentAccessToken()}`, accept: 'application/json' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (etag) {
    headers['if-match'] = etag;
  }
  let res;
  try {
    res = await fetch(`${managementAudience}${path}${queryString(query)}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, `Could not reach the server (${e.message}); check that signet serve is running.`);
  }
  const data = await readJson(res);
  if (res.status === 401) {
    signOut('Your session has ended or is no longer valid: sign in again.');
    throw new ApiError(401, 'Your session has ended: sign in again.');
  }
  if (!res.ok) {
    if (res.status === 412) {
      throw new ApiError(412, 'Someone changed this since you opened it — reload to see their '
        + 'change, then make yours again.', 'precondition_failed');
    }
    const message = data && typeof data === 'object' && data.message
      ? data.message : `The server answered ${res.status} ${res.statusText}.`;
    throw new ApiError(res.status, message, data && data.errorCode);
  }
  return { status: res.status, data, etag: res.headers.get('etag') };
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, body) => request('POST', path, { body });
export const patch = (path, body, etag) => request('PATCH', path, { body, etag });
export const put = (path, body) => request('PUT', path, { body });
export const del = (path, body, etag) => request('DELETE', path, { body, etag });

// One page of a list route: {items, total, page, length}. `key` is the array's name in the
// answer ("clients", "resource_servers", ...).
export async function fetchPage(path, key, { page = 0, size = perPage, ...filters } = {}) {
  const { data } = await get(path, { ...filters, page, per_page: size, include_totals: 'true' });
  const items = Array.isArray(data) ? data : data[key] || [];
  const total = Array.isArray(data) ? items.length : data.total ?? items.length;
  return { items, total, page, length: items.length };
}

// Every item of a list, page by page, up to `maxPages` pages of 100; `complete` says whether
// that was all of it.
export async function listAll(path, key, filters = {}, maxPages = 10) {
  const items = [];
  for (let page = 0; page < maxPages; page += 1) {
    const chunk = await fetchPage(path, key, { ...filters, page, size: 100 });
    items.push(...chunk.items);
    if (items.length >= chunk.total || chunk.items.length === 0) {
      return { items, complete: true };
    }
  }
  return { items, complete: false };
}

export const enc = encodeURIComponent;
