// Lets a page render itself again with fresh data (after a change), without importing the shell.

let renderer = () => {};

export function setRenderer(fn) {
  renderer = fn;
}

export function refresh() {
  return renderer();
}

// Goes to `hash`; renders again when it is already the current one.
export function go(hash) {
  if (window.location.hash === hash) {
    return renderer();
  }
  window.location.hash = hash;
  return undefined;
}
