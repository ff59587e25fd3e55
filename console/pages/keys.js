// Signing keys: next, current, previous and revoked keys with their dates; rotating the keys of
// an algorithm and revoking a previous key, each after a confirmation.

import { enc, get, post, put } from '../api.js';
import {
  announce, busy, button, confirmDialog, errorBox, field, h, heading, table,
} from '../dom.js';
import { refresh } from '../refresh.js';
import { dateText } from '../time.js';

const algorithms = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const stateOrder = ['current', 'next', 'previous', 'revoked'];
const stateHelp = {
  current: 'signs new tokens',
  next: 'published ahead of use, so validators already know it when it becomes current',
  previous: 'still published, so tokens it signed stay valid until they expire',
  revoked: 'no longer published: tokens it signed are refused',
};

export async function page(view) {
  const errors = errorBox();
  const { data } = await get('keys/signing');
  const keys = (Array.isArray(data) ? data : data.keys || [])
    .slice()
    .sort((a, b) => stateOrder.indexOf(a.state) - stateOrder.indexOf(b.state) || a.alg.localeCompare(b.alg));

  const alg = h('select', { value: 'RS256' }, algorithms.map((a) => h('option', { value: a }, a)));
  const rotate = h('button', { type: 'submit', class: 'primary' }, 'Rotate');
  const form = h('form', { class: 'card form inline-form' },
    h('h2', {}, 'Rotate'),
    h('p', {}, 'The next key of the algorithm becomes current and signs new tokens; the current one becomes previous and stays published until its tokens expire.'),
    field('Algorithm', alg),
    h('div', { class: 'actions' }, rotate));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const sure = await confirmDialog({
      title: `Rotate the ${alg.value} signing key?`,
      message: `New ${alg.value} tokens will be signed with another key. Validators that cache the JWKS already know it (it was published as the next key).`,
      confirmLabel: 'Rotate key',
    });
    if (sure) {
      await busy(rotate, errors, async () => {
        const { data: rotated } = await post('keys/signing/rotate', { alg: alg.value });
        announce(`Rotated: ${rotated.kid} (${rotated.alg}) is the current key`);
        refresh();
      });
    }
  });

  view.append(heading('Signing keys'),
    h('p', { class: 'lead' }, 'The keys that sign this tenant\'s tokens, published at ',
      h('code', {}, '.well-known/jwks.json'), ' (revoked ones excepted).'),
    form, errors.element,
    table([
      { label: 'Key ID', cell: (k) => h('code', {}, k.kid) },
      { label: 'Algorithm', cell: (k) => k.alg },
      { label: 'State', cell: (k) => h('span', { class: `badge state-${k.state}`, title: stateHelp[k.state] || '' }, k.state) },
      { label: 'Created', cell: (k) => dateText(k.created_at) },
      { label: 'Current since', cell: (k) => dateText(k.current_since) },
      { label: 'Revoked', cell: (k) => dateText(k.revoked_at) },
      {
        label: 'Actions',
        cell: (k) => {
          if (k.state !== 'previous') {
            return '';
          }
          const revoke = button('Revoke', async () => {
            const sure = await confirmDialog({
              title: `Revoke the key ${k.kid}?`,
              message: 'It is removed from the JWKS: every token it signed is refused from then on (once validators refresh their copy of the JWKS).',
              confirmLabel: 'Revoke key',
            });
            if (sure) {
              await busy(revoke, errors, async () => {
                await put(`keys/signing/${enc(k.kid)}/revoke`);
                announce(`Revoked ${k.kid}`);
                refresh();
              });
            }
          }, { class: 'danger small', 'aria-label': `Revoke ${k.kid}` });
          return revoke;
        },
      },
    ], keys, 'Signing keys'),
    h('dl', { class: 'facts legend' }, stateOrder.map((s) => [h('dt', {}, s), h('dd', {}, stateHelp[s])])));
}
