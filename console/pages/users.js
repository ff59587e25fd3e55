// Users: list and search, create, and a user's email, password, permissions per API, blocking,
// lockout (failed sign-ins) and sessions.

import { del, enc, fetchPage, get, listAll, patch, perPage, post } from '../api.js';
import {
  announce, busy, button, confirmDialog, errorBox, facts, field, h, heading, link, pager, table,
  uid,
} from '../dom.js';
import { go, refresh } from '../refresh.js';
import { dateText } from '../time.js';

const minPassword = 8;  // a hint only; the server's policy decides

export function userHref(id) {
  return `#/users/${enc(id)}`;
}

function createForm() {
  const errors = errorBox();
  const email = h('input', { type: 'email', required: true, autocomplete: 'off' });
  const password = h('input', { type: 'password', required: true, autocomplete: 'new-password' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create');
  const form = h('form', { class: 'card form', hidden: true, id: uid('form') },
    h('h2', {}, 'New user'),
    field('Email', email),
    field('Password', password, `At least ${minPassword} characters.`),
    errors.element,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, errors, async () => {
      if (!email.value.trim() || !password.value) {
        throw new Error('Enter an email and a password.');
      }
      const { data } = await post('users', { email: email.value.trim(), password: password.value });
      password.value = '';
      announce(`Created the user ${data.email}`);
      go(userHref(data.user_id));
    });
  });
  return { form, email };
}

export async function listPage(view, params, query) {
  const page = Math.max(0, Number(query.get('page')) || 0);
  const q = query.get('q') || '';
  const { form, email } = createForm();
  const toggle = button('Create user', () => {
    form.hidden = !form.hidden;
    toggle.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) {
      email.focus();
    }
  }, { class: 'primary', 'aria-expanded': 'false', 'aria-controls': form.id });
  const search = h('input', { type: 'search', value: q, placeholder: 'ada@example.com', autocomplete: 'off' });
  const searchForm = h('form', { class: 'search', role: 'search' },
    field('Search by email or id', search),
    h('button', { type: 'submit', class: 'secondary' }, 'Search'));
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = search.value.trim();
    go(text ? `#/users?q=${enc(text)}` : '#/users');
  });
  view.append(heading('Users', toggle), form, searchForm);
  const list = await fetchPage('users', 'users', { page, q: q || undefined });
  if (list.items.length === 0) {
    view.append(h('p', {}, q ? `No user matches “${q}”.` : 'No users yet.'));
  }
  view.append(table([
    { label: 'Email', cell: (u) => link(userHref(u.user_id), u.email) },
    { label: 'User ID', cell: (u) => h('code', {}, u.user_id) },
    { label: 'Status', cell: (u) => (u.blocked ? h('span', { class: 'badge danger' }, 'Blocked') : 'Active') },
    { label: 'Created', cell: (u) => dateText(u.created_at) },
  ], list.items, 'Users'), pager({
    ...list, perPage, onPage: (n) => go(`#/users?${new URLSearchParams({ ...(q ? { q } : {}), page: String(n) })}`),
  }));
}

export async function detailPage(view, [id]) {
  const path = `users/${enc(id)}`;
  const [{ data: user, etag }, permissions, blocks] = await Promise.all([
    get(path), get(`${path}/permissions`), get(`user-blocks/${enc(id)}`),
  ]);
  const state = { user, etag };
  view.append(
    h('p', { class: 'crumbs' }, link('#/users', 'Users'), ' / '),
    heading(user.email, user.blocked ? h('span', { class: 'badge danger' }, 'Blocked') : null),
    facts([['User ID', h('code', {}, user.user_id)], ['Connection', user.connection || '—'], ['Created', dateText(user.created_at)]]));
  view.append(profileCard(state), passwordCard(state), accessCard(state, blocks.data),
    await permissionsCard(state, permissions.data), dangerCard(state));
}

function profileCard(state) {
  const errors = errorBox();
  const email = h('input', { type: 'email', required: true, value: state.user.email });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const form = h('form', { class: 'card form' }, h('h2', {}, 'Profile'), field('Email', email), errors.element,
    h('div', { class: 'actions' }, save));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, errors, async () => {
      const { data, etag } = await patch(`users/${enc(state.user.user_id)}`, { email: email.value.trim() }, state.etag);
      state.user = data;
      state.etag = etag;
      announce('Saved');
    });
  });
  return form;
}

function passwordCard(state) {
  const errors = errorBox();
  const password = h('input', { type: 'password', required: true, autocomplete: 'new-password' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Set password');
  const form = h('form', { class: 'card form' }, h('h2', {}, 'Password'),
    field('New password', password, 'Setting a password also ends the user\'s sessions (refresh tokens).'),
    errors.element, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, errors, async () => {
      if (password.value.length < minPassword) {
        throw new Error(`Use at least ${minPassword} characters.`);
      }
      const { data, etag } = await patch(`users/${enc(state.user.user_id)}`, { password: password.value }, state.etag);
      password.value = '';
      state.user = data;
      state.etag = etag;
      announce('The password is set');
    });
  });
  return form;
}

function accessCard(state, blocks) {
  const { user } = state;
  const errors = errorBox();
  const blockedFor = (blocks && blocks.blocked_for) || [];
  const toggle = button(user.blocked ? 'Unblock user' : 'Block user', async () => {
    const blocking = !state.user.blocked;
    if (blocking) {
      const sure = await confirmDialog({
        title: `Block ${user.email}?`,
        message: 'The user can no longer sign in or refresh tokens until unblocked.',
        confirmLabel: 'Block user',
      });
      if (!sure) {
        return;
      }
    }
    await busy(toggle, errors, async () => {
      await patch(`users/${enc(user.user_id)}`, { blocked: blocking }, state.etag);
      announce(blocking ? 'Blocked' : 'Unblocked');
      refresh();
    });
  }, { class: user.blocked ? 'primary' : 'secondary' });
  const clear = button('Clear the lockout', () => busy(clear, errors, async () => {
    await del(`user-blocks/${enc(user.user_id)}`);
    announce('The lockout is cleared');
    refresh();
  }), { class: 'secondary', disabled: blockedFor.length === 0 });
  const endSessions = button('End sessions', async () => {
    const sure = await confirmDialog({
      title: `End the sessions of ${user.email}?`,
      message: 'Every refresh token of the user is revoked; access tokens already issued stay valid until they expire.',
      confirmLabel: 'End sessions',
    });
    if (sure) {
      await busy(endSessions, errors, async () => {
        await del(`users/${enc(user.user_id)}/sessions`);
        announce('The user\'s sessions are ended');
      });
    }
  }, { class: 'secondary' });
  return h('div', { class: 'card' },
    h('h2', {}, 'Access'),
    h('p', {}, user.blocked ? 'Blocked by an administrator: the user cannot sign in.' : 'Not blocked by an administrator.'),
    h('h3', {}, 'Lockout after failed sign-ins'),
    blockedFor.length === 0
      ? h('p', {}, 'Not locked out from any address.')
      : table([
        { label: 'Identifier', cell: (b) => b.identifier },
        { label: 'Address', cell: (b) => h('code', {}, b.ip) },
      ], blockedFor, 'Locked out'),
    errors.element,
    h('div', { class: 'actions' }, toggle, clear, endSessions));
}

async function permissionsCard(state, permissions) {
  const { user } = state;
  const errors = errorBox();
  const { items: apis } = await listAll('resource-servers', 'resource_servers', {}, 2);
  const apiSelect = h('select', {}, apis.map((a) => h('option', { value: a.identifier }, `${a.name} (${a.identifier})`)));
  const scopeSelect = h('select', { multiple: true, size: '5' });
  const fillScopes = () => {
    const api = apis.find((a) => a.identifier === apiSelect.value);
    scopeSelect.replaceChildren(...((api && api.scopes) || []).map((s) => h('option', { value: s.value }, s.description ? `${s.value} — ${s.description}` : s.value)));
  };
  apiSelect.addEventListener('change', fillScopes);
  fillScopes();
  const add = h('button', { type: 'submit', class: 'primary' }, 'Add permissions');
  const form = h('form', { class: 'form inline-form' },
    field('API', apiSelect),
    field('Permissions', scopeSelect, 'Select one or more (Ctrl or Shift to pick several).'),
    h('div', { class: 'actions' }, add));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(add, errors, async () => {
      const chosen = [...scopeSelect.selectedOptions].map((o) => o.value);
      if (chosen.length === 0) {
        throw new Error('Select at least one permission.');
      }
      await post(`users/${enc(user.user_id)}/permissions`, {
        permissions: chosen.map((p) => ({ permission_name: p, resource_server_identifier: apiSelect.value })),
      });
      announce(`Added ${chosen.join(', ')}`);
      refresh();
    });
  });
  const rows = permissions || [];
  return h('div', { class: 'card' },
    h('h2', {}, 'Permissions'),
    rows.length === 0 ? h('p', {}, 'The user holds no permissions.') : table([
      { label: 'Permission', cell: (p) => h('code', {}, p.permission_name) },
      { label: 'API', cell: (p) => p.resource_server_name || p.resource_server_identifier },
      { label: 'Description', cell: (p) => p.description || '—' },
      {
        label: 'Actions',
        cell: (p) => {
          const remove = button('Remove', () => busy(remove, errors, async () => {
            await del(`users/${enc(user.user_id)}/permissions`, {
              permissions: [{ permission_name: p.permission_name, resource_server_identifier: p.resource_server_identifier }],
            });
            announce(`Removed ${p.permission_name}`);
            refresh();
          }), { class: 'secondary small', 'aria-label': `Remove ${p.permission_name} of ${p.resource_server_identifier}` });
          return remove;
        },
      },
    ], rows, 'Permissions'),
    h('h3', {}, 'Add permissions'),
    apis.length === 0 ? h('p', {}, 'There is no API yet.') : form,
    errors.element);
}

function dangerCard(state) {
  const { user } = state;
  const errors = errorBox();
  const remove = button('Delete user', async () => {
    const sure = await confirmDialog({
      title: `Delete ${user.email}?`,
      message: 'The user, its permissions and its sessions are deleted. This cannot be undone.',
      confirmLabel: 'Delete user',
    });
    if (sure) {
      await busy(remove, errors, async () => {
        await del(`users/${enc(user.user_id)}`, undefined, state.etag);
        announce(`Deleted the user ${user.email}`);
        go('#/users');
      });
    }
  }, { class: 'danger' });
  return h('div', { class: 'card danger-zone' }, h('h2', {}, 'Danger zone'), errors.element, remove);
}
