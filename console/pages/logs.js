// Logs: the event log (docs/operations.md "Event log"), newest first, filtered by type, user or
// application.

import { fetchPage, perPage } from '../api.js';
import { field, h, heading, link, pager, table } from '../dom.js';
import { go } from '../refresh.js';
import { dateText } from '../time.js';
import { userHref } from './users.js';

const types = [
  ['', 'Any'],
  ['seccft', 'Token issued: client credentials (seccft)'],
  ['feccft', 'Token refused: client credentials (feccft)'],
  ['sepft', 'Token issued: password (sepft)'],
  ['fepft', 'Token refused: password (fepft)'],
  ['seacft', 'Token issued: authorization code (seacft)'],
  ['feacft', 'Token refused: authorization code (feacft)'],
  ['sertft', 'Token issued: refresh token (sertft)'],
  ['fertft', 'Token refused: refresh token (fertft)'],
  ['ferrt', 'Refresh token reuse (ferrt)'],
  ['code_reuse', 'Authorization code reuse (code_reuse)'],
  ['s', 'Signed in (s)'],
  ['fp', 'Wrong password (fp)'],
  ['fu', 'Unknown email (fu)'],
  ['slo', 'Signed out (slo)'],
  ['limit_wc', 'Account blocked (limit_wc)'],
  ['client_blocked', 'Client blocked (client_blocked)'],
  ['srrt', 'Token revoked (srrt)'],
];

function href(filters, page = 0) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value) {
      params.set(key, value);
    }
  }
  if (page) {
    params.set('page', String(page));
  }
  const text = params.toString();
  return text ? `#/logs?${text}` : '#/logs';
}

export async function page(view, params, query) {
  const filters = { type: query.get('type') || '', user_id: query.get('user_id') || '', client_id: query.get('client_id') || '' };
  const current = Math.max(0, Number(query.get('page')) || 0);
  const type = h('select', { value: filters.type }, types.map(([v, label]) => h('option', { value: v }, label)));
  const user = h('input', { type: 'text', value: filters.user_id, autocomplete: 'off' });
  const client = h('input', { type: 'text', value: filters.client_id, autocomplete: 'off' });
  const form = h('form', { class: 'card form filters', role: 'search' },
    field('Type', type), field('User ID', user), field('Client ID', client),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go(href({ type: type.value, user_id: user.value.trim(), client_id: client.value.trim() }));
  });
  view.append(heading('Logs'), h('p', { class: 'lead' }, 'Tokens issued and refused, sign-ins, lockouts and reuse, newest first.'), form);
  const list = await fetchPage('logs', 'logs', { ...filters, page: current });
  if (list.items.length === 0) {
    view.append(h('p', {}, 'No events match.'));
  }
  view.append(table([
    { label: 'Date', cell: (e) => dateText(e.date) },
    { label: 'Type', cell: (e) => h('code', {}, e.type) },
    { label: 'Description', cell: (e) => (e.error ? `${e.error}: ` : '') + (e.description || '—') },
    { label: 'User', cell: (e) => (e.user_id ? link(userHref(e.user_id), e.user_id) : '—') },
    { label: 'Application', cell: (e) => (e.client_id ? h('code', {}, e.client_id) : '—') },
    { label: 'Address', cell: (e) => e.ip || '—' },
  ], list.items, 'Log events'), pager({ ...list, perPage, onPage: (n) => go(href(filters, n)) }));
}
