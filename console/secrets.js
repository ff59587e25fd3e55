// Client secrets this browser tab saw (in the answers to create and rotate-secret), by client_id.
// The server keeps only hashes, so this is the only place the console can know a secret from;
// it lives in memory only (never in storage) and is forgotten on sign-out and reload.

const secrets = new Map();

export function rememberSecret(clientId, secret) {
  if (clientId && secret) {
    secrets.set(clientId, secret);
  }
}

export function knownSecret(clientId) {
  return secrets.get(clientId) || '';
}

export function forgetSecrets() {
  secrets.clear();
}
