// Applications (clients): the list, creating one (its secret shown once), and an application's
// settings, credentials (rotate the secret), the APIs it is authorized for, and deleting it.

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
  ['client_secret_post', 'Client secret in the body (client_secret_post)'],
  ['client_secret_basic', 'HTTP Basic (client_secret_basic)'],
];
const defaultGrants = {
  non_interactive: ['client_credentials'],
  regular_web: ['authorization_code', 'refresh_token'],
  spa: ['authorization_code', 'refresh_token'],
  native: ['authorization_code', 'refresh_token'],
};

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
      announce(`Created the application ${data.name}; copy its secret now`);
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
    facts([['Client ID', h('code', {}, client.client_id)], ['Type', appTypeName(client.app_type)], ['Created', dateText(client.created_at)]]),
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
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const form = h('form', { class: 'card form' },
    h('h2', {}, 'Settings'),
    field('Name', name),
    field('Application type', type),
    grants.fieldset,
    field('Token endpoint authentication', method, 'How the application sends its secret to /oauth/token.'),
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
  const credentials = h('div', { class: 'card' },
    h('h2', {}, 'Credentials'),
    h('p', {}, secret
      ? 'This browser tab knows the current secret (it was created or rotated here); the Test tab of its APIs uses it.'
      : 'The server keeps only a hash of the secret. If it is lost, rotate it: the old one stops working at once.'),
    credErrors.element, rotate, shown);

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
