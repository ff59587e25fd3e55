// The token debugger: paste a JWT and read its header, its claims (times in words) and scopes,
// and whether its signature verifies against this tenant's published keys. The token stays in
// the page: only the tenant's JWKS is fetched.

import { issuer, jwksUrl } from '../api.js';
import { codeBlock, field, h, heading, table } from '../dom.js';
import { decodeJwt, verifySignature } from '../jwt.js';
import { go } from '../refresh.js';
import { epochInWords } from '../time.js';

const timeClaims = new Set(['iat', 'nbf', 'exp', 'auth_time']);
let handedOver = '';  // a token another page opened here (kept in memory, never in the URL)

export function openInTokenDebugger(token) {
  handedOver = token;
  go('#/token');
}

function claimValue(name, value) {
  if (timeClaims.has(name) && Number.isFinite(value)) {
    const date = new Date(value * 1000);
    return [h('code', {}, String(value)), ` — ${date.toLocaleString()} (${epochInWords(value)})`];
  }
  return h('code', {}, typeof value === 'string' ? value : JSON.stringify(value));
}

function summary(claims) {
  const now = Math.floor(Date.now() / 1000);
  const lines = [];
  if (Number.isFinite(claims.exp)) {
    lines.push(claims.exp > now ? `Expires ${epochInWords(claims.exp)}.` : `Expired ${epochInWords(claims.exp)}.`);
  } else {
    lines.push('Has no expiry (exp).');
  }
  if (Number.isFinite(claims.nbf) && claims.nbf > now) {
    lines.push(`Not valid before ${epochInWords(claims.nbf)}.`);
  }
  if (claims.iss === issuer) {
    lines.push('Issued by this tenant.');
  } else {
    lines.push(`Issued by ${JSON.stringify(claims.iss)}, not by this tenant (${issuer}).`);
  }
  const aud = Array.isArray(claims.aud) ? claims.aud.join(', ') : claims.aud;
  if (aud) {
    lines.push(`For ${aud}.`);
  }
  return lines.join(' ');
}

export function page(view) {
  const input = h('textarea', { id: 'token-input', rows: '6', spellcheck: 'false', autocomplete: 'off', class: 'mono' });
  const output = h('div', { 'aria-live': 'polite' });
  let generation = 0;

  async function show() {
    generation += 1;
    const mine = generation;
    const text = input.value.trim();
    if (!text) {
      output.replaceChildren(h('p', { class: 'hint' }, 'Paste an access token above.'));
      return;
    }
    let decoded;
    try {
      decoded = decodeJwt(text);
    } catch (e) {
      output.replaceChildren(h('div', { class: 'error', role: 'alert' }, e.message));
      return;
    }
    const signature = h('p', { id: 'signature-status', class: 'signature pending' }, 'Checking the signature…');
    const claims = Object.entries(decoded.claims);
    const scopes = typeof decoded.claims.scope === 'string' ? decoded.claims.scope.split(' ').filter(Boolean) : [];
    const permissions = Array.isArray(decoded.claims.permissions) ? decoded.claims.permissions : [];
    output.replaceChildren(
      h('h2', {}, 'Signature'), signature,
      h('h2', {}, 'Summary'), h('p', { id: 'token-summary' }, summary(decoded.claims)),
      h('h2', {}, 'Header'), codeBlock(JSON.stringify(decoded.header, null, 2), 'header').element,
      h('h2', {}, 'Claims'),
      table([
        { label: 'Claim', cell: ([name]) => h('code', {}, name) },
        { label: 'Value', cell: ([name, value]) => claimValue(name, value) },
      ], claims, 'Claims'),
      h('h2', {}, 'Scopes'),
      scopes.length ? h('ul', { class: 'chips' }, scopes.map((s) => h('li', { class: 'chip' }, s))) : h('p', {}, 'None.'),
      permissions.length ? [h('h2', {}, 'Permissions'), h('ul', { class: 'chips' }, permissions.map((s) => h('li', { class: 'chip' }, String(s))))] : null);
    let result;
    try {
      const res = await fetch(jwksUrl, { cache: 'no-store', credentials: 'omit' });
      if (!res.ok) {
        throw new Error(`${jwksUrl} answered ${res.status}`);
      }
      result = await verifySignature(decoded, await res.json());
    } catch (e) {
      result = { ok: null, message: `Could not check the signature: ${e.message}` };
    }
    if (mine !== generation) {
      return;  // the user pasted another token meanwhile
    }
    signature.textContent = result.message;
    signature.className = `signature ${result.ok === true ? 'ok' : result.ok === false ? 'bad' : 'unknown'}`;
  }

  input.addEventListener('input', show);
  view.append(heading('Token debugger'),
    h('p', { class: 'lead' }, 'Paste a JWT to see what it says and whether this tenant signed it. The token stays in this page: only the tenant\'s public keys are fetched.'),
    field('Token', input),
    output);
  if (handedOver) {
    input.value = handedOver;
    handedOver = '';
  }
  show();
}
