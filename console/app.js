// The console's shell: sign-in, navigation, and hash routes (#/apis, #/apis/<id>/test, ...), so
// that index.html is the only document and every page is a bookmarkable URL.

import {
  currentSession, finishSignIn, issuer, logOut, managementAudience, setSignedOutHandler, signIn,
} from './api.js';
import { announce, errorBox, h } from './dom.js';
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

// Signed out: one button to signet's login page (the authorization code flow with PKCE), which
// brings the browser back here signed in.
function loginPage(view) {
  const errors = errorBox();
  const submit = h('button', { type: 'button', class: 'primary', id: 'sign-in' }, 'Sign in');
  submit.addEventListener('click', async () => {
    submit.disabled = true;
    errors.clear();
    try {
      await signIn(window.location.hash || '#/apis');
    } catch (e) {
      errors.show(`Sign-in could not start: ${e.message}`);
      submit.disabled = false;
    }
  });
  if (signInMessage) {
    errors.show(signInMessage);
  }
  view.append(h('section', { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to the console'),
    h('p', { class: 'hint' }, `Tenant ${issuer}`),
    errors.element,
    h('div', { class: 'login-form' }, submit),
    h('p', { class: 'hint' }, 'Sign in on the tenant\'s login page as a user who holds Management '
      + 'API permissions (', h('code', {}, managementAudience), '). The first administrator is made with ',
      h('code', {}, 'signet users create --email you@example.com --password-stdin --admin'), '.')));
  window.setTimeout(() => submit.focus(), 0);
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
  announce('Signing out');
  logOut();
});

// Back from the login page (?code=... or ?error=...): the sign-in ends here, before the first
// page renders.
async function start() {
  main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  try {
    const session = await finishSignIn();
    if (session) {
      signInMessage = '';
      announce(`Signed in as ${session.email}`);
    }
  } catch (e) {
    signInMessage = e.message;
  }
  setRenderer(() => render());
  window.addEventListener('hashchange', () => render(true));
  render(Boolean(currentSession()));
}

document.getElementById('tenant').textContent = issuer;
start();
