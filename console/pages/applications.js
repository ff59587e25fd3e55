// Applications (clients): the list, creating one (its secret shown once), and an application's
// settings (with its sign-in URLs), credentials (rotate the secret), the APIs it is authorized
// for, and deleting it.

import { del, enc, fetchPage, get, listAll, patch, perPage, post } from '../api.js';
import {
  announce, busy, button, checkbox, confirmDialog, copyButton, errorBox, facts, field, h, heading,
  link, pager, table, tabs, uid,
} from '../dom.js';
import { go } from '../refresh.js';
import { knownSecret, rememberSecret } from '../secrets.js';
import { dateText } from '../time.js';
import { apiHref } from './apis.js';

const appTypes = [
  ['non_interactive', 'Machine to machine'],
  ['regular_web', 'Regular web application'],
  ['spa', 'Single-page application'],
  ['native', 'Native'],
];
const grantTypes = [
  ['client_credentials', 'Client credentials'],
  ['password', 'Password'],
  ['refresh_token', 'Refresh token'],
  ['authorization_code', 'Authorization code'],
];
const authMethods = [
  ['client_secret_basic_or_post', 'Client secret, by HTTP Basic or in the body (client_secret_basic_or_post)'],
  ['client_secret_basic', 'Client secret by HTTP Basic only (client_secret_basic)'],
  ['client_secret_post', 'Client secret in the body only (client_secret_post)'],
  ['private_key_jwt', 'A JWT signed with its private key (private_key_jwt)'],
  ['none', 'None: a public application without a secret (none)'],
];
// Single-page and native apps run on their users' devices: they are public and have no secret.
const publicTypes = ['spa', 'native'];
const defaultGrants = {
  non_interactive: ['client_credentials'],
  regular_web: ['authorization_code', 'refresh_token'],
  spa: ['authorization_code', 'refresh_token'],
  native: ['authorization_code', 'refresh_token'],
};

function authMethodName(method) {
  const found = authMethods.find(([key]) => key === method);
  return found ? found[1] : method;
}

function hasSecret(method) {
  return method !== 'none' && method !== 'private_key_jwt';
}

// A list edited one entry a line; blank lines and surrounding spaces are dropped.
function urlList(label, values, hint) {
  const area = h('textarea', { rows: '3', spellcheck: 'false', autocomplete: 'off', class: 'mono' });
  area.value = (values || []).join('\n');
  return {
    element: field(label, area, hint),
    values: () => area.value.split('\n').map((line) => line.trim()).filter((line) => line !== ''),
  };
}

// Where a private_key_jwt application's public keys are, for the settings page.
function keysText(client) {
  if (client.jwks_uri) {
    return `Fetched from ${client.jwks_uri}`;
  }
  const keys = client.jwks && Array.isArray(client.jwks.keys) ? client.jwks.keys : [];
  const kids = keys.map((k) => k.kid || '(no kid)');
  return kids.length ? `${kids.length} registered: ${kids.join(', ')}` : 'None registered';
}

function appTypeName(type) {
  const found = appTypes.find(([key]) => key === type);
  return found ? found[1] : type;
}

export function appHref(clientId, tab = 'settings') {
  return `#/applications/${enc(clientId)}/${tab}`;
}

function select(options, value, props = {}) {
  return h('select', { ...props, value }, options.map(([v, label]) => h('option', { value: v }, label)));
}

function grantBoxes(selected) {
  const boxes = grantTypes.map(([value, label]) => checkbox(label, { value, checked: selected.includes(value) }));
  const fieldset = h('fieldset', {}, h('legend', {}, 'Grant types'), h('div', { class: 'scope-grid' }, boxes.map((b) => b.element)));
  return { fieldset, boxes, values: () => boxes.filter((b) => b.input.checked).map((b) => b.input.value) };
}

// The secret, shown once right after it was made, with a copy button.
export function secretOnce(clientId, secret) {
  const id = uid('secret');
  return h('div', { class: 'card notice', role: 'region', 'aria-labelledby': id },
    h('h2', { id }, 'Copy the client secret now'),
    h('p', {}, 'The server keeps only a hash of it: after you leave this page it cannot be shown again (this browser tab remembers it for the Test tab until you sign out).'),
    field('Client ID', h('input', { type: 'text', readonly: true, value: clientId, class: 'mono' })),
    h('div', { class: 'field' },
      h('label', { for: `${id}-value` }, 'Client secret'),
      h('input', { type: 'text', readonly: true, value: secret, id: `${id}-value`, class: 'mono', 'data-secret': 'true' }),
      copyButton(() => secret, 'Copy secret')));
}

function createForm(view) {
  const errors = errorBox();
  const name = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const type = select(appTypes, 'non_interactive');
  const grants = grantBoxes(defaultGrants.non_interactive);
  type.addEventListener('change', () => {
    for (const b of grants.boxes) {
      b.input.checked = defaultGrants[type.value].includes(b.input.value);
    }
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create');
  const form = h('form', { class: 'card form', hidden: true, id: uid('form'), 'aria-labelledby': 'create-app-title' },
    h('h2', { id: 'create-app-title' }, 'New application'),
    field('Name', name),
    field('Application type', type),
    grants.fieldset,
    errors.element,
    h('div', { class: 'actions' }, submit));
  const created = h('div');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, errors, async () => {
      if (!name.value.trim()) {
        throw new Error('Give the application a name.');
      }
      const { data } = await post('clients', { name: name.value.trim(), app_type: type.value, grant_types: grants.values() });
      rememberSecret(data.client_id, data.client_secret);
      form.hidden = true;
      form.reset();
      created.replaceChildren(
        data.client_secret ? secretOnce(data.client_id, data.client_secret) : null,
        h('p', {}, link(appHref(data.client_id), `Open ${data.name}`)));
      announce(data.client_secret
        ? `Created the application ${data.name}; copy its secret now`
        : `Created the application ${data.name}; it has no secret`);
      created.querySelector('h2')?.setAttribute('tabindex', '-1');
      created.querySelector('h2')?.focus();
    });
  });
  view.append(form, created);
  return { form, name };
}

export async function listPage(view, params, query) {
  const page = Math.max(0, Number(query.get('page')) || 0);
  const toggle = button('Create application', () => {
    form.hidden = !form.hidden;
    toggle.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) {
      name.focus();
    }
  }, { class: 'primary', 'aria-expanded': 'false' });
  view.append(heading('Applications', toggle),
    h('p', { class: 'lead' }, 'The applications that get tokens from this tenant: services (machine to machine), web, single-page and native apps.'));
  const { form, name } = createForm(view);
  toggle.setAttribute('aria-controls', form.id);
  const list = await fetchPage('clients', 'clients', { page });
  view.append(table([
    { label: 'Name', cell: (c) => link(appHref(c.client_id), c.name) },
    { label: 'Client ID', cell: (c) => h('code', {}, c.client_id) },
    { label: 'Type', cell: (c) => appTypeName(c.app_type) },
    { label: 'Created', cell: (c) => dateText(c.created_at) },
  ], list.items, 'Applications'), pager({ ...list, perPage, onPage: (n) => go(`#/applications?page=${n}`) }));
}

export async function detailPage(view, [clientId, tab = 'settings']) {
  const { data: client, etag } = await get(`clients/${enc(clientId)}`);
  const state = { client, etag };
  view.append(
    h('p', { class: 'crumbs' }, link('#/applications', 'Applications'), ' / '),
    heading(client.name),
    facts([
      ['Client ID', h('code', {}, client.client_id)],
      ['Type', appTypeName(client.app_type)],
      ['Authentication', authMethodName(client.token_endpoint_auth_method)],
      ['Created', dateText(client.created_at)],
    ]),
    tabs([
      ['settings', 'Settings', appHref(clientId, 'settings')],
      ['apis', 'APIs', appHref(clientId, 'apis')],
    ], tab));
  const section = h('section', { class: 'tab-panel', 'aria-label': tab });
  view.append(section);
  if (tab === 'apis') {
    await apisTab(section, state);
  } else {
    settingsTab(section, state);
  }
}

function settingsTab(section, state) {
  const { client } = state;
  const errors = errorBox();
  const name = h('input', { type: 'text', required: true, value: client.name });
  const type = select(appTypes, client.app_type);
  const grants = grantBoxes(client.grant_types || []);
  const method = select(authMethods, client.token_endpoint_auth_method);
  const callbacks = urlList('Allowed callback URLs', client.callbacks,
    'One URL a line: where sign-in may send users back, e.g. https://app.example.com/callback (or com.example.app:/callback for a native app).');
  const logoutUrls = urlList('Allowed logout URLs', client.allowed_logout_urls,
    'One URL a line: where logout may send users back.');
  const webOrigins = urlList('Allowed web origins', client.web_origins,
    'One origin a line, as scheme://host[:port] with no path, e.g. http://localhost:3000: pages there may call the token endpoint.');
  const dpop = checkbox('Require DPoP: refuse token requests without a DPoP proof', {
    checked: client.dpop_bound_access_tokens === true,
  });
  const keys = client.token_endpoint_auth_method === 'private_key_jwt'
    ? h('p', { class: 'hint' }, `Public keys: ${keysText(client)}. Change them with signet clients update --jwks FILE or --jwks-uri URL.`)
    : null;
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const form = h('form', { class: 'card form' },
    h('h2', {}, 'Settings'),
    field('Name', name),
    field('Application type', type),
    grants.fieldset,
    field('Token endpoint authentication', method, 'How the application proves who it is at /oauth/token.'),
    keys,
    dpop.element,
    callbacks.element,
    logoutUrls.element,
    webOrigins.element,
    errors.element,
    h('div', { class: 'actions' }, save));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, errors, async () => {
      if (!name.value.trim()) {
        throw new Error('Give the application a name.');
      }
      const { data, etag } = await patch(`clients/${enc(client.client_id)}`, {
        name: name.value.trim(),
        app_type: type.value,
        grant_types: grants.values(),
        token_endpoint_auth_method: method.value,
        callbacks: callbacks.values(),
        allowed_logout_urls: logoutUrls.values(),
        web_origins: webOrigins.values(),
        dpop_bound_access_tokens: dpop.input.checked,
      }, state.etag);
      state.client = data;
      state.etag = etag;
      announce('Saved');
    });
  });

  const credErrors = errorBox();
  const shown = h('div');
  const secret = knownSecret(client.client_id);
  const rotate = button('Rotate secret', async () => {
    const sure = await confirmDialog({
      title: `Rotate the secret of ${client.name}?`,
      message: 'The current secret stops working at once: every service that uses it must get the new one.',
      confirmLabel: 'Rotate secret',
    });
    if (sure) {
      await busy(rotate, credErrors, async () => {
        const { data } = await post(`clients/${enc(client.client_id)}/rotate-secret`);
        rememberSecret(client.client_id, data.client_secret);
        shown.replaceChildren(secretOnce(client.client_id, data.client_secret));
        announce('Rotated the secret; copy the new one now');
      });
    }
  }, { class: 'secondary' });
  let credentialsText;
  if (publicTypes.includes(client.app_type)) {
    credentialsText = 'This application is public: it has no secret, and signs users in with the authorization code flow and PKCE.';
  } else if (!hasSecret(client.token_endpoint_auth_method)) {
    credentialsText = 'This application does not use a secret. Rotating one prepares a switch back to a secret method: it works once the authentication above is a client secret.';
  } else if (secret) {
    credentialsText = 'This browser tab knows the current secret (it was created or rotated here); the Test tab of its APIs uses it.';
  } else {
    credentialsText = 'The server keeps only a hash of the secret. If it is lost, rotate it: the old one stops working at once.';
  }
  const credentials = h('div', { class: 'card' },
    h('h2', {}, 'Credentials'),
    h('p', {}, credentialsText),
    credErrors.element, publicTypes.includes(client.app_type) ? null : rotate, shown);

  const dangerErrors = errorBox();
  const remove = button('Delete application', async () => {
    const sure = await confirmDialog({
      title: `Delete ${client.name}?`,
      message: 'It can no longer get tokens, and its grants are deleted. This cannot be undone.',
      confirmLabel: 'Delete application',
    });
    if (sure) {
      await busy(remove, dangerErrors, async () => {
        await del(`clients/${enc(client.client_id)}`, undefined, state.etag);
        announce(`Deleted the application ${client.name}`);
        go('#/applications');
      });
    }
  }, { class: 'danger' });
  section.append(form, credentials, h('div', { class: 'card danger-zone' },
    h('h2', {}, 'Danger zone'), dangerErrors.element, remove));
}

async function apisTab(section, state) {
  const { client } = state;
  const { items, complete } = await listAll('client-grants', 'client_grants', { client_id: client.client_id });
  section.append(h('p', { class: 'lead' }, `The APIs ${client.name} may get tokens for by client credentials. Authorize it for more in an API's Machine to Machine Applications tab.`));
  if (items.length === 0) {
    section.append(h('p', {}, 'It is not authorized for any API yet. ', link('#/apis', 'Choose an API'), '.'));
    return;
  }
  section.append(table([
    { label: 'API', cell: (g) => link(apiHref(g.audience, 'm2m'), g.audience) },
    { label: 'Permissions', cell: (g) => ((g.scope || []).length ? (g.scope || []).map((s) => h('code', { class: 'chip' }, s)) : '—') },
    { label: 'Test', cell: (g) => link(`${apiHref(g.audience, 'test')}?client_id=${enc(client.client_id)}`, 'Get a token') },
  ], items, 'APIs'));
  if (!complete) {
    section.append(h('p', { class: 'hint' }, `Showing the first ${items.length} grants.`));
  }
}
