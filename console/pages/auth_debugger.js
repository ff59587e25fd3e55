// The Authentication API debugger: runs the client-credentials, password and refresh-token
// grants against {issuer}oauth/token from the browser and shows the exact request and response.

import { tokenEndpoint, tokenRequest } from '../api.js';
import {
  busy, button, codeBlock, errorBox, field, h, heading,
} from '../dom.js';
import { knownSecret } from '../secrets.js';

const grants = [
  ['client_credentials', 'Client credentials'],
  ['password', 'Password'],
  ['refresh_token', 'Refresh token'],
];
// Which inputs each grant uses.
const uses = {
  client_credentials: ['audience', 'scope'],
  password: ['username', 'password', 'audience', 'scope'],
  refresh_token: ['refresh_token', 'scope'],
};
const shownHeaders = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'retry-after'];

// RFC 6749 §2.3.1: id and secret are form-encoded before base64.
function basicHeader(id, secret) {
  const form = (s) => new URLSearchParams({ s }).toString().slice(2);
  const raw = new TextEncoder().encode(`${form(id)}:${form(secret)}`);
  return `Basic ${btoa(String.fromCharCode(...raw))}`;
}

export function page(view) {
  const errors = errorBox();
  const grant = h('select', { id: 'debugger-grant' }, grants.map(([v, label]) => h('option', { value: v }, label)));
  const clientId = h('input', { type: 'text', id: 'debugger-client-id', autocomplete: 'off', spellcheck: 'false' });
  const clientSecret = h('input', { type: 'password', id: 'debugger-client-secret', autocomplete: 'off' });
  const authMethod = h('select', {},
    h('option', { value: 'post' }, 'In the body (client_secret_post)'),
    h('option', { value: 'basic' }, 'HTTP Basic (client_secret_basic)'));
  const inputs = {
    audience: h('input', { type: 'text', id: 'debugger-audience', autocomplete: 'off', spellcheck: 'false' }),
    scope: h('input', { type: 'text', id: 'debugger-scope', autocomplete: 'off', spellcheck: 'false' }),
    username: h('input', { type: 'text', id: 'debugger-username', autocomplete: 'off' }),
    password: h('input', { type: 'password', id: 'debugger-password', autocomplete: 'off' }),
    refresh_token: h('input', { type: 'text', id: 'debugger-refresh-token', autocomplete: 'off', spellcheck: 'false' }),
  };
  const labels = {
    audience: 'Audience (API identifier)',
    scope: 'Scope (optional)',
    username: 'Username (email)',
    password: 'Password',
    refresh_token: 'Refresh token',
  };
  const fields = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, field(labels[k], input)]));
  const showFields = () => {
    for (const [k, f] of Object.entries(fields)) {
      f.hidden = !uses[grant.value].includes(k);
    }
  };
  grant.addEventListener('change', showFields);
  clientId.addEventListener('change', () => {
    if (!clientSecret.value) {
      clientSecret.value = knownSecret(clientId.value.trim());
    }
  });

  const requestBlock = codeBlock('', 'request');
  requestBlock.pre.id = 'debugger-request';
  const responseBlock = codeBlock('', 'response');
  responseBlock.pre.id = 'debugger-response';
  const output = h('div', { hidden: true },
    h('h2', {}, 'Request'), requestBlock.element,
    h('h2', { id: 'debugger-status' }, 'Response'), responseBlock.element);
  const followUp = h('div', { class: 'actions' });
  output.append(followUp);

  const run = h('button', { type: 'submit', class: 'primary', id: 'debugger-run' }, 'Run');
  const form = h('form', { class: 'card form' },
    field('Grant type', grant),
    field('Client ID', clientId, 'An application of this tenant (see Applications).'),
    field('Client secret', clientSecret, 'Prefilled when this tab created or rotated it; empty for a public client.'),
    field('Client authentication', authMethod),
    Object.values(fields),
    errors.element,
    h('div', { class: 'actions' }, run));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(run, errors, async () => {
      const params = { grant_type: grant.value };
      const headers = {};
      const id = clientId.value.trim();
      if (!id) {
        throw new Error('Enter a client ID.');
      }
      if (authMethod.value === 'basic' && clientSecret.value) {
        headers.authorization = basicHeader(id, clientSecret.value);
      } else {
        params.client_id = id;
        if (clientSecret.value) {
          params.client_secret = clientSecret.value;
        }
      }
      for (const k of uses[grant.value]) {
        if (inputs[k].value.trim()) {
          params[k] = k === 'password' ? inputs[k].value : inputs[k].value.trim();
        }
      }
      const url = new URL(tokenEndpoint);
      requestBlock.set([
        `POST ${url.pathname} HTTP/1.1`,
        `Host: ${url.host}`,
        'Content-Type: application/x-www-form-urlencoded',
        ...(headers.authorization ? [`Authorization: ${headers.authorization}`] : []),
        '',
        new URLSearchParams(params).toString(),
      ].join('\n'));
      const { res, body } = await tokenRequest(params, { headers });
      const lines = [`HTTP ${res.status} ${res.statusText}`];
      for (const name of shownHeaders) {
        const value = res.headers.get(name);
        if (value !== null) {
          lines.push(`${name}: ${value}`);
        }
      }
      lines.push('', typeof body === 'string' ? body : JSON.stringify(body, null, 2));
      responseBlock.set(lines.join('\n'));
      output.hidden = false;
      followUp.replaceChildren();
      if (body && body.refresh_token) {
        followUp.append(button('Use the refresh token', () => {
          grant.value = 'refresh_token';
          inputs.refresh_token.value = body.refresh_token;
          showFields();
          inputs.refresh_token.focus();
        }, { class: 'secondary' }));
      }
      document.getElementById('debugger-status').textContent = `Response: ${res.status} ${res.statusText}`;
    });
  });
  showFields();
  view.append(heading('Authentication API debugger'),
    h('p', { class: 'lead' }, 'Run a grant against ', h('code', {}, tokenEndpoint), ' from this browser and see the exact request and response.'),
    form, output);
}
