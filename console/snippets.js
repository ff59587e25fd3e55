// The token request of the Test tab in several languages, with real values. Values are quoted
// for their language (shell single quotes, JSON string literals), so an identifier with spaces or
// quotes still gives a command that works when pasted.

// POSIX shell single-quoting: 'it'\''s'.
export function shellQuote(value) {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) {
    return value;
  }
  return `'${value.replace(/'/g, "'\\''")}'`;
}

function requestBody({ clientId, clientSecret, audience }) {
  return {
    client_id: clientId,
    client_secret: clientSecret,
    audience,
    grant_type: 'client_credentials',
  };
}

export function curlSnippet(tokenEndpoint, values) {
  return [
    'curl --request POST \\',
    `  --url ${shellQuote(tokenEndpoint)} \\`,
    "  --header 'content-type: application/json' \\",
    `  --data ${shellQuote(JSON.stringify(requestBody(values)))}`,
  ].join('\n');
}

// signet's own C++ token client (`signet token`): the secret goes in on stdin, never as an
// argument that other users could read in the process list.
export function signetSnippet(issuer, { clientId, clientSecret, audience }) {
  return [
    `printf '%s\\n' ${shellQuote(clientSecret)} | signet token \\`,
    `  --issuer ${shellQuote(issuer)} \\`,
    `  --client-id ${shellQuote(clientId)} \\`,
    '  --client-secret-stdin \\',
    `  --audience ${shellQuote(audience)}`,
  ].join('\n');
}

export function pythonSnippet(tokenEndpoint, values) {
  const body = requestBody(values);
  return [
    'import requests',
    '',
    'response = requests.post(',
    `    ${JSON.stringify(tokenEndpoint)},`,
    '    json={',
    ...Object.entries(body).map(([k, v]) => `        ${JSON.stringify(k)}: ${JSON.stringify(v)},`),
    '    },',
    '    timeout=10,',
    ')',
    'response.raise_for_status()',
    'print(response.json()["access_token"])',
  ].join('\n');
}

export function nodeSnippet(tokenEndpoint, values) {
  const body = requestBody(values);
  return [
    `const response = await fetch(${JSON.stringify(tokenEndpoint)}, {`,
    "  method: 'POST',",
    "  headers: { 'content-type': 'application/json' },",
    '  body: JSON.stringify({',
    ...Object.entries(body).map(([k, v]) => `    ${k}: ${JSON.stringify(v)},`),
    '  }),',
    '});',
    'const { access_token } = await response.json();',
    'console.log(access_token);',
  ].join('\n');
}

// The call to the API with the token, as the quickstart makes it.
export function apiCallSnippet(url, accessToken) {
  return `curl ${shellQuote(url)} -H ${shellQuote(`authorization: Bearer ${accessToken}`)}`;
}
