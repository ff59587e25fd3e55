// The console's session and its calls to the server: sign-in with the password grant, and the
// Management API with the access token. The token lives in this module's memory only (never in
// localStorage or a cookie): reloading the page means signing in again, and no other page or
// script on the origin can read it from storage.

import { forgetSecrets } from './secrets.js';

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

let session = null;  // {accessToken, email, scopes, expiresAt}
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

export function signOut(message = '') {
  session = null;
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
export async function tokenRequest(params, { headers = {}, asJson = false } = {}) {
  let res;
  try {
    res = await fetch(tokenEndpoint, {
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
    throw new ApiError(0, `Could not reach ${tokenEndpoint} (${e.message}); check that signet serve is running.`);
  }
  return { res, body: await readJson(res) };
}

export async function signIn(email, password) {
  const { res, body } = await tokenRequest({
    grant_type: 'password',
    client_id: consoleClientId,
    username: email,
    password,
    audience: managementAudience,
    scope: managementScopes.join(' '),
  });
  if (!res.ok) {
    const description = body && body.error_description ? body.error_description : res.statusText;
    if (res.status === 429) {
      throw new ApiError(429, `Too many failed sign-ins: ${description}`);
    }
    throw new ApiError(res.status, description || `Sign-in failed (${res.status})`);
  }
  const scopes = (body.scope || '').split(' ').filter(Boolean);
  if (!scopes.some((s) => managementScopes.includes(s))) {
    throw new ApiError(403, 'This user holds no permission on the Management API. An administrator '
      + `can grant them: signet users permissions add USER_ID --audience ${managementAudience} read:clients ...`);
  }
  session = {
    accessToken: body.access_token,
    email,
    scopes,
    expiresAt: Date.now() + (body.expires_in || 0) * 1000,
  };
  return session;
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
  const headers = { authorization: `Bearer ${session.accessToken}`, accept: 'application/json' };
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
