// The console's shell: sign-in, navigation, and hash routes (#/apis, #/apis/<id>/test, ...), so
// that index.html is the only document and every page is a bookmarkable URL.

import {
  ApiError, currentSession, issuer, managementAudience, setSignedOutHandler, signIn, signOut,
} from './api.js';
import { announce, errorBox, field, h } from './dom.js';
import { setRenderer } from './refresh.js';
import * as apis from './pages/apis.js';
import * as applications from './pages/applications.js';
import * as authDebugger from './pages/auth_debugger.js';
import * as keys from './pages/keys.js';
import * as logs from './pages/logs.js';
import * as tokenDebugger from './pages/token_debugger.js';
import * as users from './pages/users.js';

const routes = [
  [/^\/apis$/, apis.listPage],
  [/^\/apis\/([^/]+)(?:\/(settings|permissions|m2m|test))?$/, apis.detailPage],
  [/^\/applications$/, applications.listPage],
  [/^\/applications\/([^/]+)(?:\/(settings|apis))?$/, applications.detailPage],
  [/^\/users$/, users.listPage],
  [/^\/users\/([^/]+)$/, users.detailPage],
  [/^\/keys$/, keys.page],
  [/^\/logs$/, logs.page],
  [/^\/debugger$/, authDebugger.page],
  [/^\/token$/, tokenDebugger.page],
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const signOutButton = document.getElementById('sign-out');
let signInMessage = '';
let renderCount = 0;

// '#/apis/x/test?page=2' -> {path: '/apis/x/test', query: URLSearchParams}
function currentRoute() {
  const hash = window.location.hash.replace(/^#/, '') || '/apis';
  const at = hash.indexOf('?');
  return {
    path: at >= 0 ? hash.slice(0, at) : hash,
    query: new URLSearchParams(at >= 0 ? hash.slice(at + 1) : ''),
  };
}

function loginPage(view) {
  const errors = errorBox();
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'login-form', novalidate: true },
    field('Email', email),
    field('Password', password),
    errors.element,
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!email.value || !password.value) {
      errors.show('Enter your email and password.');
      (email.value ? password : email).focus();
      return;
    }
    submit.disabled = true;
    errors.clear();
    try {
      await signIn(email.value.trim(), password.value);
      signInMessage = '';
      password.value = '';
      announce(`Signed in as ${email.value.trim()}`);
      render(true);
    } catch (e) {
      errors.show(e instanceof ApiError ? e.message : `Sign-in failed: ${e.message}`);
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  if (signInMessage) {
    errors.show(signInMessage);
  }
  view.append(h('section', { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to the console'),
    h('p', { class: 'hint' }, `Tenant ${issuer}`),
    form,
    h('p', { class: 'hint' }, 'Sign in as a user who holds Management API permissions (',
      h('code', {}, managementAudience), '). The first administrator is made with ',
      h('code', {}, 'signet users create --email you@example.com --password-stdin --admin'), '.')));
  window.setTimeout(() => email.focus(), 0);
}

function updateChrome(path) {
  const session = currentSession();
  nav.hidden = !session;
  signOutButton.hidden = !session;
  who.textContent = session ? session.email : '';
  const section = path.split('/')[1];
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.section === section) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
}

// Renders the page for the current hash into a fresh view. A slow page that finishes after the
// user moved on writes into its own detached view, never over the newer page.
async function render(moveFocus = false) {
  renderCount += 1;
  const { path, query } = currentRoute();
  const view = h('div', { class: 'view' });
  main.replaceChildren(view);
  updateChrome(path);
  if (!currentSession()) {
    loginPage(view);
    return;
  }
  const route = routes.find(([pattern]) => pattern.test(path));
  if (!route) {
    view.append(h('h1', {}, 'Not found'), h('p', {}, 'No console page has this address. ',
      h('a', { href: '#/apis' }, 'Go to the APIs.')));
    return;
  }
  const params = path.match(route[0]).slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p)));
  const mine = renderCount;
  try {
    await route[1](view, params, query);
  } catch (e) {
    if (mine === renderCount && currentSession()) {
      view.append(h('div', { class: 'error', role: 'alert' }, e.message));
    }
  }
  if (moveFocus && mine === renderCount) {
    const title = view.querySelector('h1');
    (title || main).focus();
  }
}

setSignedOutHandler((message) => {
  signInMessage = message;
  render();
});

signOutButton.addEventListener('click', () => {
  signOut('');
  announce('Signed out');
});

document.getElementById('tenant').textContent = issuer;
setRenderer(() => render());
window.addEventListener('hashchange', () => render(true));
render();
