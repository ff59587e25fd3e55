// APIs (resource servers): the list, creating one (with its Test Application, as Auth0 does), and
// an API's Settings, Permissions, Machine to Machine Applications and Test tabs.

import {
  del, enc, fetchPage, get, issuer, listAll, patch, perPage, post, tokenEndpoint, tokenRequest,
} from '../api.js';
import {
  announce, busy, button, checkbox, codeBlock, confirmDialog, errorBox, facts, field, h, heading,
  link, pager, table, tabs, uid,
} from '../dom.js';
import { go } from '../refresh.js';
import { knownSecret, rememberSecret } from '../secrets.js';
import {
  apiCallSnippet, curlSnippet, nodeSnippet, pythonSnippet, signetSnippet,
} from '../snippets.js';
import { dateText } from '../time.js';
import { openInTokenDebugger } from './token_debugger.js';

const signingAlgs = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const dialects = [
  ['access_token', 'Access token (Auth0 layout)'],
  ['access_token_authz', 'Access token with a permissions claim'],
  ['rfc9068_profile', 'RFC 9068 profile'],
  ['rfc9068_profile_authz', 'RFC 9068 profile with a permissions claim'],
];
const maxLifetime = 2592000;  // s; the server's limit (30 days)
// The quickstart's messages API: where the Test tab's curl goes until the user says otherwise.
const defaultApiUrl = 'http://localhost:3010/api/private';
// The Test tab lists at most this many authorized applications (one request each for its name).
const maxTestApplications = 50;

const apiUrls = new Map();  // audience -> the URL the user typed for the Test tab's API call

export function apiHref(identifier, tab = 'settings') {
  return `#/apis/${enc(identifier)}/${tab}`;
}

function select(options, value, props = {}) {
  return h('select', { ...props, value },
    options.map((o) => (Array.isArray(o) ? h('option', { value: o[0] }, o[1]) : h('option', { value: o }, o))));
}

// Creates "<name> (Test Application)", a machine-to-machine application authorized for every
// permission of the API, as Auth0 does; its secret is kept for this session's Test tab.
async function createTestApplication(api) {
  const { data: client } = await post('clients', {
    name: `${api.name} (Test Application)`,
    app_type: 'non_interactive',
    grant_types: ['client_credentials'],
  });
  rememberSecret(client.client_id, client.client_secret);
  await post('client-grants', {
    client_id: client.client_id,
    audience: api.identifier,
    scope: (api.scopes || []).map((s) => s.value),
  });
  return client;
}

function createForm() {
  const errors = errorBox();
  const name = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const identifier = h('input', { type: 'text', required: true, autocomplete: 'off', placeholder: 'https://api.example.com/' });
  const alg = select(signingAlgs, 'RS256');
  const scopes = h('input', { type: 'text', autocomplete: 'off', placeholder: 'read:messages write:messages' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create');
  const form = h('form', { class: 'card form', 'aria-labelledby': 'create-api-title', hidden: true },
    h('h2', { id: 'create-api-title' }, 'New API'),
    field('Name', name, 'A friendly name, e.g. Messages API.'),
    field('Identifier', identifier, 'The audience of the API\'s tokens, e.g. https://quickstarts/api. It cannot be changed later.'),
    field('Signing algorithm', alg),
    field('Permissions (optional)', scopes, 'Scope names separated by spaces; more can be added in the Permissions tab.'),
    errors.element,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, errors, async () => {
      if (!name.value.trim() || !identifier.value.trim()) {
        throw new Error('Give the API a name and an identifier.');
      }
      const values = [...new Set(scopes.value.split(/[\s,]+/).filter(Boolean))];
      const { data: api } = await post('resource-servers', {
        name: name.value.trim(),
        identifier: identifier.value.trim(),
        signing_alg: alg.value,
        scopes: values.map((value) => ({ value, description: '' })),
      });
      let note = '';
      try {
        const client = await createTestApplication(api);
        note = ` and its test application ${client.name}`;
      } catch (e) {
        note = `, but not its test application (${e.message})`;
      }
      announce(`Created the API ${api.name}${note}`);
      go(apiHref(api.identifier, 'test'));
    });
  });
  return { form, name };
}

export async function listPage(view, params, query) {
  const page = Math.max(0, Number(query.get('page')) || 0);
  const { form, name } = createForm();
  const toggle = button('Create API', () => {
    form.hidden = !form.hidden;
    toggle.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) {
      name.focus();
    }
  }, { class: 'primary', 'aria-expanded': 'false', 'aria-controls': form.id || (form.id = uid('form')) });
  view.append(heading('APIs', toggle),
    h('p', { class: 'lead' }, 'The APIs this tenant issues access tokens for. An application gets a token for an API by client credentials once it is authorized in the API\'s Machine to Machine Applications tab.'),
    form);
  const list = await fetchPage('resource-servers', 'resource_servers', { page });
  view.append(table([
    { label: 'Name', cell: (a) => [link(apiHref(a.identifier), a.name), a.is_system ? h('span', { class: 'badge' }, 'System') : null] },
    { label: 'Identifier', cell: (a) => h('code', {}, a.identifier) },
    { label: 'Algorithm', cell: (a) => a.signing_alg },
    { label: 'Created', cell: (a) => dateText(a.created_at) },
  ], list.items, 'APIs'), pager({ ...list, perPage, onPage: (n) => go(`#/apis?page=${n}`) }));
}

// --- one API

export async function detailPage(view, [identifier, tab = 'settings'], query) {
  const { data: api, etag } = await get(`resource-servers/${enc(identifier)}`);
  const state = { api, etag };
  view.append(
    h('p', { class: 'crumbs' }, link('#/apis', 'APIs'), ' / '),
    heading(api.name, api.is_system ? h('span', { class: 'badge' }, 'System API') : null),
    facts([['Identifier', h('code', {}, api.identifier)], ['Signing algorithm', api.signing_alg]]),
    tabs([
      ['settings', 'Settings', apiHref(identifier, 'settings')],
      ['permissions', 'Permissions', apiHref(identifier, 'permissions')],
      ['m2m', 'Machine to Machine Applications', apiHref(identifier, 'm2m')],
      ['test', 'Test', apiHref(identifier, 'test')],
    ], tab));
  const section = h('section', { class: 'tab-panel', 'aria-label': tab });
  view.append(section);
  const render = { settings: settingsTab, permissions: permissionsTab, m2m: m2mTab, test: testTab }[tab];
  await render(section, state, query);
}

function settingsTab(section, state) {
  const { api } = state;
  const errors = errorBox();
  const readOnly = api.is_system;
  const name = h('input', { type: 'text', required: true, value: api.name, disabled: readOnly });
  const lifetime = h('input', {
    type: 'number', min: '1', max: String(maxLifetime), step: '1', value: String(api.token_lifetime), disabled: readOnly,
  });
  const alg = select(signingAlgs, api.signing_alg, { disabled: readOnly });
  const dialect = select(dialects, api.token_dialect, { disabled: readOnly });
  const offline = checkbox('Allow offline access (refresh tokens)', { checked: api.allow_offline_access, disabled: readOnly });
  // Auth0's proof_of_possession: signet answers null when DPoP is not required.
  const dpop = checkbox('Require DPoP: issue tokens only to requests with a DPoP proof', {
    checked: api.proof_of_possession?.required === true, disabled: readOnly,
  });
  const save = h('button', { type: 'submit', class: 'primary', disabled: readOnly }, 'Save');
  const form = h('form', { class: 'card form' },
    h('h2', {}, 'General settings'),
    readOnly ? h('p', { class: 'hint' }, 'The Management API is the console\'s own: it cannot be changed or deleted.') : null,
    field('Name', name),
    field('Token lifetime (seconds)', lifetime, `How long its access tokens are valid: 1 to ${maxLifetime} s (30 days). 86400 is a day.`),
    field('Signing algorithm', alg, 'Tokens are signed with the tenant\'s current key of this algorithm.'),
    field('Token profile', dialect),
    offline.element,
    dpop.element,
    errors.element,
    h('div', { class: 'actions' }, save));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, errors, async () => {
      const seconds = Number(lifetime.value);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > maxLifetime) {
        throw new Error(`The token lifetime must be a whole number of seconds from 1 to ${maxLifetime}.`);
      }
      const { data, etag } = await patch(`resource-servers/${enc(api.identifier)}`, {
        name: name.value.trim(),
        token_lifetime: seconds,
        signing_alg: alg.value,
        token_dialect: dialect.value,
        allow_offline_access: offline.input.checked,
        proof_of_possession: dpop.input.checked ? { mechanism: 'dpop', required: true } : null,
      }, state.etag);
      state.api = data;
      state.etag = etag;
      announce('Saved');
    });
  });
  section.append(form);
  if (!readOnly) {
    const dangerErrors = errorBox();
    const remove = button('Delete API', async () => {
      const sure = await confirmDialog({
        title: `Delete ${api.name}?`,
        message: `Applications can no longer get tokens for ${api.identifier}, and its grants and user permissions are deleted. This cannot be undone.`,
        confirmLabel: 'Delete API',
      });
      if (sure) {
        await busy(remove, dangerErrors, async () => {
          await del(`resource-servers/${enc(api.identifier)}`, undefined, state.etag);
          announce(`Deleted the API ${api.name}`);
          go('#/apis');
        });
      }
    }, { class: 'danger' });
    section.append(h('div', { class: 'card danger-zone' }, h('h2', {}, 'Danger zone'),
      h('p', {}, 'Deleting the API removes its grants and user permissions.'), dangerErrors.element, remove));
  }
}

function permissionsTab(section, state) {
  const errors = errorBox();
  const draw = () => {
    const { api } = state;
    const scopes = api.scopes || [];
    const value = h('input', { type: 'text', required: true, autocomplete: 'off', placeholder: 'read:messages' });
    const description = h('input', { type: 'text', autocomplete: 'off', placeholder: 'Read messages' });
    const add = h('button', { type: 'submit', class: 'primary', disabled: api.is_system }, 'Add');
    const write = (next) => busy(add, errors, async () => {
      const { data, etag } = await patch(`resource-servers/${enc(api.identifier)}`, { scopes: next }, state.etag);
      state.api = data;
      state.etag = etag;
      draw();
      return true;
    });
    const form = h('form', { class: 'card form inline-form' },
      h('h2', {}, 'Add a permission'),
      field('Permission', value, 'A scope name such as read:messages.'),
      field('Description', description),
      h('div', { class: 'actions' }, add));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const v = value.value.trim();
      if (!v || /\s/.test(v)) {
        errors.show('A permission is one word without spaces, such as read:messages.');
        return;
      }
      if (scopes.some((s) => s.value === v)) {
        errors.show(`The API already has ${v}.`);
        return;
      }
      if (await write([...scopes, { value: v, description: description.value.trim() }])) {
        announce(`Added ${v}`);
      }
    });
    section.replaceChildren(
      api.is_system ? h('p', { class: 'hint' }, 'The Management API\'s permissions are fixed.') : form,
      errors.element,
      h('h2', {}, 'Permissions'),
      scopes.length === 0 ? h('p', {}, 'This API has no permissions yet.') : table([
        { label: 'Permission', cell: (s) => h('code', {}, s.value) },
        { label: 'Description', cell: (s) => s.description || '—' },
        {
          label: 'Actions',
          cell: (s) => (api.is_system ? '' : button('Remove', async () => {
            const sure = await confirmDialog({
              title: `Remove ${s.value}?`,
              message: `Applications and users that hold ${s.value} lose it.`,
              confirmLabel: 'Remove permission',
            });
            if (sure && await write(scopes.filter((x) => x.value !== s.value))) {
              announce(`Removed ${s.value}`);
            }
          }, { class: 'secondary small', 'aria-label': `Remove ${s.value}` })),
        },
      ], scopes, 'Permissions'));
  };
  draw();
}

// The API's grants by client_id. All of them when there are at most ten pages; otherwise the
// caller looks up the applications it shows one by one.
async function grantsOf(audience) {
  const { items, complete } = await listAll('client-grants', 'client_grants', { audience });
  return { byClient: new Map(items.map((g) => [g.client_id, g])), complete };
}

async function m2mTab(section, state, query) {
  const { api } = state;
  const page = Math.max(0, Number(query.get('page')) || 0);
  const [clients, grants] = await Promise.all([
    fetchPage('clients', 'clients', { page }),
    grantsOf(api.identifier),
  ]);
  if (!grants.complete) {
    await Promise.all(clients.items.filter((c) => !grants.byClient.has(c.client_id)).map(async (c) => {
      const found = await fetchPage('client-grants', 'client_grants', { audience: api.identifier, client_id: c.client_id, size: 1 });
      if (found.items[0]) {
        grants.byClient.set(c.client_id, found.items[0]);
      }
    }));
  }
  const allScopes = (api.scopes || []).map((s) => s.value);
  const list = h('ul', { class: 'm2m-list' });
  const row = (client) => {
    const errors = errorBox();
    const grant = grants.byClient.get(client.client_id);
    const toggle = checkbox('Authorized', { checked: Boolean(grant), 'aria-label': `Authorize ${client.name}` });
    toggle.input.setAttribute('role', 'switch');
    const item = h('li', { class: 'card m2m-row', 'data-client-id': client.client_id },
      h('div', { class: 'm2m-head' },
        h('div', {}, h('strong', {}, link(`#/applications/${enc(client.client_id)}/settings`, client.name)),
          h('div', { class: 'hint' }, h('code', {}, client.client_id), ` · ${client.app_type}`),
          (client.grant_types || []).includes('client_credentials') ? null
            : h('div', { class: 'hint' }, 'Cannot use client credentials: enable the grant in its settings first.')),
        toggle.element),
      errors.element);
    const redraw = () => item.replaceWith(row(client));
    toggle.input.addEventListener('change', async () => {
      toggle.input.disabled = true;
      try {
        if (toggle.input.checked) {
          const { data } = await post('client-grants', { client_id: client.client_id, audience: api.identifier, scope: allScopes });
          grants.byClient.set(client.client_id, data);
          announce(`${client.name} is authorized for ${api.name}`);
        } else {
          const sure = await confirmDialog({
            title: `Unauthorize ${client.name}?`,
            message: `${client.name} will no longer get tokens for ${api.identifier}. Tokens it already holds stay valid until they expire.`,
            confirmLabel: 'Unauthorize',
          });
          if (!sure) {
            toggle.input.checked = true;
            return;
          }
          await del(`client-grants/${enc(grant.id)}`);
          grants.byClient.delete(client.client_id);
          announce(`${client.name} is no longer authorized for ${api.name}`);
        }
        redraw();
      } catch (e) {
        toggle.input.checked = !toggle.input.checked;
        errors.show(e.message);
      } finally {
        toggle.input.disabled = false;
      }
    });
    if (grant) {
      const boxes = allScopes.map((s) => checkbox(s, { checked: (grant.scope || []).includes(s), value: s }));
      const update = h('button', { type: 'submit', class: 'primary small' }, 'Update');
      const form = h('form', { class: 'scopes' },
        h('fieldset', {},
          h('legend', {}, `Permissions ${client.name} may get`),
          allScopes.length === 0 ? h('p', { class: 'hint' }, 'The API has no permissions; tokens carry none.') : null,
          h('div', { class: 'scope-grid' }, boxes.map((b) => b.element)),
          h('div', { class: 'actions' },
            button('All', () => { boxes.forEach((b) => { b.input.checked = true; }); }, { class: 'link-button' }),
            button('None', () => { boxes.forEach((b) => { b.input.checked = false; }); }, { class: 'link-button' }),
            update)));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        busy(update, errors, async () => {
          const scope = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
          const { data } = await patch(`client-grants/${enc(grant.id)}`, { scope });
          grants.byClient.set(client.client_id, data);
          announce(`Updated the permissions of ${client.name}`);
        });
      });
      item.append(form);
    }
    return item;
  };
  for (const client of clients.items) {
    list.append(row(client));
  }
  section.append(
    h('p', { class: 'lead' }, `Authorize applications to get tokens for ${api.name} by client credentials, and choose the permissions each may get.`),
    list,
    pager({ ...clients, perPage, onPage: (n) => go(`${apiHref(api.identifier, 'm2m')}?page=${n}`) }));
}

async function testTab(section, state, query) {
  const { api } = state;
  const { byClient } = await grantsOf(api.identifier);
  const ids = [...byClient.keys()].slice(0, maxTestApplications);
  const clients = (await Promise.all(ids.map((id) => get(`clients/${enc(id)}`).then((r) => r.data).catch(() => null))))
    .filter(Boolean);
  if (clients.length === 0) {
    section.append(h('p', {}, 'No application is authorized for this API yet. ',
      link(apiHref(api.identifier, 'm2m'), 'Authorize one in the Machine to Machine Applications tab'), '.'));
    return;
  }
  const wanted = query.get('client_id');
  const testApp = clients.find((c) => c.name === `${api.name} (Test Application)`);
  const initial = (clients.find((c) => c.client_id === wanted) || testApp || clients[0]).client_id;
  const appSelect = h('select', { id: 'test-application', value: initial },
    clients.map((c) => h('option', { value: c.client_id }, `${c.name} (${c.client_id})`)));
  const secret = h('input', { type: 'password', id: 'test-client-secret', autocomplete: 'off', spellcheck: 'false' });
  const secretHint = h('p', { class: 'hint', id: uid('hint') });
  secret.setAttribute('aria-describedby', secretHint.id);
  const showSecret = checkbox('Show the secret');
  showSecret.input.addEventListener('change', () => {
    secret.type = showSecret.input.checked ? 'text' : 'password';
  });
  const errors = errorBox();
  const rotate = button('Rotate secret', async () => {
    const client = clients.find((c) => c.client_id === appSelect.value);
    const sure = await confirmDialog({
      title: `Rotate the secret of ${client.name}?`,
      message: 'The current secret stops working at once: every service that uses it must get the new one.',
      confirmLabel: 'Rotate secret',
    });
    if (sure) {
      await busy(rotate, errors, async () => {
        const { data } = await post(`clients/${enc(client.client_id)}/rotate-secret`);
        rememberSecret(client.client_id, data.client_secret);
        secret.value = data.client_secret;
        updateSecretHint();
        updateSnippets();
        announce(`Rotated the secret of ${client.name}; the snippets show the new one`);
      });
    }
  }, { class: 'secondary' });

  const languages = [
    ['curl', 'cURL', (v) => curlSnippet(tokenEndpoint, v)],
    ['cpp', 'C++ (signet token)', (v) => signetSnippet(issuer, v)],
    ['python', 'Python', (v) => pythonSnippet(tokenEndpoint, v)],
    ['node', 'Node.js', (v) => nodeSnippet(tokenEndpoint, v)],
  ];
  let language = 'curl';
  const snippet = codeBlock('', 'token request');
  snippet.pre.id = 'test-token-request';
  const languageButtons = languages.map(([key, label]) => button(label, () => {
    language = key;
    updateSnippets();
  }, { class: 'segment', 'data-language': key }));

  const values = () => ({
    clientId: appSelect.value,
    clientSecret: secret.value || 'YOUR_CLIENT_SECRET',
    audience: api.identifier,
  });
  function updateSnippets() {
    const entry = languages.find(([key]) => key === language);
    snippet.set(entry[2](values()));
    for (const b of languageButtons) {
      b.setAttribute('aria-pressed', String(b.dataset.language === language));
    }
  }
  function updateSecretHint() {
    const known = knownSecret(appSelect.value);
    secretHint.textContent = known && known === secret.value
      ? 'Known from this session (the secret was created or rotated in this browser tab).'
      : 'The server keeps only a hash of each secret, so the console knows it only when it was created or rotated in this tab. Paste it, or rotate it to get a new one.';
  }
  function selectApplication() {
    secret.value = knownSecret(appSelect.value);
    updateSecretHint();
    updateSnippets();
    result.replaceChildren();
  }
  appSelect.addEventListener('change', selectApplication);
  secret.addEventListener('input', () => {
    updateSecretHint();
    updateSnippets();
  });

  const result = h('div', { class: 'test-result', 'aria-live': 'polite' });
  const getToken = button('Get token', () => busy(getToken, errors, async () => {
    if (!secret.value) {
      secret.focus();
      throw new Error('Enter the application\'s client secret first (or rotate it).');
    }
    const { res, body } = await clientCredentials(values());
    showResult(res, body);
  }), { class: 'primary', id: 'test-get-token' });

  function showResult(res, body) {
    const pretty = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
    const response = codeBlock(pretty, 'token response');
    response.pre.id = 'test-token-response';
    result.replaceChildren(h('h3', {}, `Response: ${res.status} ${res.statusText}`), response.element);
    if (!res.ok || !body || !body.access_token) {
      return;
    }
    const token = body.access_token;
    const url = h('input', { type: 'url', id: 'test-api-url', value: apiUrls.get(api.identifier) || defaultApiUrl, spellcheck: 'false' });
    const call = codeBlock(apiCallSnippet(url.value, token), 'API call');
    call.pre.id = 'test-api-curl';
    url.addEventListener('input', () => {
      apiUrls.set(api.identifier, url.value);
      call.set(apiCallSnippet(url.value, token));
    });
    result.append(
      h('h3', {}, 'Call your API with it'),
      field('API URL', url, `An endpoint of the API that accepts tokens for ${api.identifier}.`),
      call.element,
      h('div', { class: 'actions' }, button('Open in the token debugger', () => openInTokenDebugger(token), { class: 'secondary' })));
  }

  section.append(
    h('p', { class: 'lead' }, 'Get a token for this API as one of its authorized applications, and see how to do the same from code.'),
    h('div', { class: 'card form' },
      field('Application', appSelect),
      h('div', { class: 'field' }, h('label', { for: secret.id }, 'Client secret'), secret, secretHint, showSecret.element),
      h('div', { class: 'actions' }, rotate)),
    h('h2', {}, 'Asking for a token'),
    h('div', { class: 'segments', role: 'group', 'aria-label': 'Language' }, languageButtons),
    snippet.element,
    errors.element,
    h('div', { class: 'actions' }, getToken),
    result);
  selectApplication();
}

function clientCredentials(values) {
  return tokenRequest({
    client_id: values.clientId,
    client_secret: values.clientSecret,
    audience: values.audience,
    grant_type: 'client_credentials',
  }, { asJson: true });
}
