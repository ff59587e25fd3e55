// Small DOM helpers. Every text goes in as a text node (never as HTML), so nothing an API
// returns can become markup; there are no inline styles or handlers, as the page's CSP demands.

let nextId = 0;

// A fresh id for label/aria associations.
export function uid(prefix = 'id') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

function appendChildren(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      appendChildren(el, child);
    } else if (child instanceof Node) {
      el.append(child);
    } else {
      el.append(document.createTextNode(String(child)));
    }
  }
}

// h('button', {type: 'button', onclick: fn, class: 'primary'}, 'Save'): an element with
// attributes, listeners (on*), properties (value, checked) and children.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  let value;
  for (const [key, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) {
      continue;
    }
    if (key === 'class') {
      el.className = v;
    } else if (key === 'value') {
      value = v;
    } else if (key === 'checked') {
      el.checked = Boolean(v);
    } else if (key.startsWith('on') && typeof v === 'function') {
      el.addEventListener(key.slice(2), v);
    } else {
      el.setAttribute(key, v === true ? '' : String(v));
    }
  }
  appendChildren(el, children);
  if (value !== undefined) {
    el.value = value;  // after the children, so a <select> has its options
  }
  return el;
}

// A labelled form control; `hint` becomes its accessible description.
export function field(label, control, hint) {
  if (!control.id) {
    control.id = uid('field');
  }
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

// A checkbox with its label after it.
export function checkbox(label, props = {}) {
  const input = h('input', { type: 'checkbox', id: uid('check'), ...props });
  return { input, element: h('div', { class: 'check' }, input, h('label', { for: input.id }, label)) };
}

export function button(label, onclick, props = {}) {
  return h('button', { type: 'button', onclick, ...props }, label);
}

// Where a form shows what went wrong: announced by screen readers as it appears.
export function errorBox() {
  const box = h('div', { class: 'error', role: 'alert', hidden: true });
  return {
    element: box,
    show(message) {
      box.textContent = message;
      box.hidden = false;
    },
    clear() {
      box.textContent = '';
      box.hidden = true;
    },
  };
}

// Announces a short message in the page's live region.
export function announce(message) {
  const status = document.getElementById('status');
  status.textContent = '';
  // A new text node after clearing makes screen readers repeat an identical message.
  window.setTimeout(() => {
    status.textContent = message;
  }, 50);
}

// Runs `action` while `btn` is disabled, showing errors in `errors` (an errorBox). Returns what
// `action` returned, or undefined when it threw.
export async function busy(btn, errors, action) {
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  errors?.clear();
  try {
    return await action();
  } catch (e) {
    if (errors) {
      errors.show(e.message);
    } else {
      announce(e.message);
    }
    return undefined;
  } finally {
    btn.disabled = false;
    btn.removeAttribute('aria-busy');
  }
}

// A modal confirmation; resolves true when confirmed. Focus starts on Cancel for dangerous
// actions, and returns where it was when the dialog closes.
export function confirmDialog({ title, message, confirmLabel, danger = true }) {
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const before = document.activeElement;
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId });
    const cancel = button('Cancel', () => dialog.close('cancel'), { class: 'secondary' });
    const confirm = button(confirmLabel, () => dialog.close('confirm'),
      { class: danger ? 'danger' : 'primary' });
    dialog.append(
      h('h2', { id: titleId }, title),
      h('p', {}, message),
      h('div', { class: 'actions' }, cancel, confirm),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (before && typeof before.focus === 'function') {
        before.focus();
      }
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
    (danger ? cancel : confirm).focus();
  });
}

// Copies text to the clipboard; falls back to a selection where the Clipboard API is missing
// (plain-HTTP pages other than localhost).
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  announce('Copied to the clipboard');
}

export function copyButton(getText, label = 'Copy') {
  return button(label, () => copyText(getText()), { class: 'secondary small' });
}

// A code block with a copy button.
export function codeBlock(text, label) {
  const code = h('code', {}, text);
  const pre = h('pre', { tabindex: '0', 'aria-label': label }, code);
  return {
    element: h('div', { class: 'code' }, pre, copyButton(() => code.textContent, `Copy ${label}`)),
    set(value) {
      code.textContent = value;
    },
    pre,
  };
}

// A table in a horizontally scrolling box (narrow screens). columns: [{label, cell(row)}].
export function table(columns, rows, caption) {
  return h('div', { class: 'table-wrap' },
    h('table', {},
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c) => h('td', { 'data-label': c.label }, c.cell(row))))))));
}

// "1–50 of 10,000" with Previous and Next; onPage(n) loads page n (0-based).
export function pager({ page, perPage, total, length, onPage }) {
  const first = total === 0 ? 0 : page * perPage + 1;
  const last = page * perPage + length;
  const pages = Math.max(1, Math.ceil(total / perPage));
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    button('Previous', () => onPage(page - 1), { class: 'secondary', disabled: page <= 0 }),
    h('span', {}, `${first.toLocaleString()}–${last.toLocaleString()} of ${total.toLocaleString()}`
      + ` (page ${page + 1} of ${pages.toLocaleString()})`),
    button('Next', () => onPage(page + 1), { class: 'secondary', disabled: page + 1 >= pages }));
}

// Tabs as links (each tab is its own URL, so the back button and bookmarks work).
export function tabs(items, current) {
  return h('nav', { class: 'tabs', 'aria-label': 'Sections' },
    h('ul', {}, items.map(([key, label, href]) => h('li', {},
      h('a', { href, 'aria-current': key === current ? 'page' : undefined }, label)))));
}

export function heading(text, ...extra) {
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, text), ...extra);
}

// A definition list of [term, value] pairs.
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

export function link(href, text) {
  return h('a', { href }, text);
}

export function loading() {
  return h('p', { class: 'loading' }, 'Loading…');
}
