// openid-client 5 as a relying party of a real `signet serve`, driven by
// tests/e2e/test_client_libraries.py. The test plays the browser; this script plays the
// application, one step per run:
//
//   node flow.js '{"step": "start", ...}'     -> {"url": authorization URL, "checks": {...}}
//   node flow.js '{"step": "callback", ...}'  -> the token set, its refresh, and userinfo
//   node flow.js '{"step": "revoke", ...}'    -> how a refresh with the revoked token failed
//   node flow.js '{"step": "end_session", ...}' -> {"url": RP-Initiated Logout URL}
//   node flow.js '{"step": "client_credentials", ...}' -> the token set
//
// Every step discovers the issuer afresh (Issuer.discover), as an application does at start-up.
// The answer is one JSON object on stdout; a failure prints {"error", "message", ...} and exits 1,
// so that the test shows what the library refused and why.
'use strict';

const { Issuer, custom, generators } = require('openid-client');

// Every request openid-client makes goes to 127.0.0.1; a generous bound, not an expected time,
// since the test machine may be busy (the library's own default is 3.5 s).
const HTTP_TIMEOUT_MS = 15000;
custom.setHttpOptionsDefaults({ timeout: HTTP_TIMEOUT_MS });

async function makeClient(args) {
  const issuer = await Issuer.discover(args.issuer);
  const metadata = {
    client_id: args.client.client_id,
    redirect_uris: args.client.redirect_uri ? [args.client.redirect_uri] : [],
    response_types: ['code'],
  };
  if (args.client.client_secret) {
    metadata.client_secret = args.client.client_secret;
  }
  if (args.client.token_endpoint_auth_method) {
    metadata.token_endpoint_auth_method = args.client.token_endpoint_auth_method;
  }
  return new issuer.Client(metadata);
}

function tokenSetJson(tokenSet) {
  return {
    access_token: tokenSet.access_token,
    id_token: tokenSet.id_token,
    refresh_token: tokenSet.refresh_token,
    token_type: tokenSet.token_type,
    scope: tokenSet.scope,
    expires_at: tokenSet.expires_at,
    // The ID token's claims, after openid-client validated it (signature, iss, aud, exp, iat,
    // nonce, at_hash); absent when the answer has no ID token.
    claims: tokenSet.id_token ? tokenSet.claims() : undefined,
  };
}

const steps = {
  // The authorization URL with PKCE S256, a state and a nonce; the checks come back to the
  // callback step, as an application keeps them in its session.
  async start(args) {
    const client = await makeClient(args);
    const checks = {
      code_verifier: generators.codeVerifier(),
      state: generators.state(),
      nonce: generators.nonce(),
    };
    const url = client.authorizationUrl({
      scope: args.scope,
      audience: args.audience,
      redirect_uri: args.client.redirect_uri,
      code_challenge: generators.codeChallenge(checks.code_verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url, checks };
  },

  // The browser came back to the redirect URI: openid-client checks state and iss (RFC 9207),
  // exchanges the code with the verifier and validates the ID token; then it refreshes the
  // tokens and reads /userinfo (whose sub it compares with the ID token's).
  async callback(args) {
    const client = await makeClient(args);
    const params = client.callbackParams(args.callback_url);
    const tokenSet = await client.callback(args.client.redirect_uri, params, args.checks);
    const userinfo = await client.userinfo(tokenSet);
    const refreshed = await client.refresh(tokenSet);
    const userinfoAfterRefresh = await client.userinfo(refreshed.access_token);
    return {
      tokens: tokenSetJson(tokenSet),
      userinfo,
      refreshed: tokenSetJson(refreshed),
      userinfo_after_refresh: userinfoAfterRefresh,
    };
  },

  // RFC 7009, as an app does at sign-out; the refresh token must stop working at once.
  async revoke(args) {
    const client = await makeClient(args);
    await client.revoke(args.refresh_token, 'refresh_token');
    try {
      await client.refresh(args.refresh_token);
    } catch (err) {
      return { refresh_error: err.error, refresh_error_description: err.error_description };
    }
    return { refresh_error: null };
  },

  // OpenID Connect RP-Initiated Logout: the URL the app sends the browser to.
  async end_session(args) {
    const client = await makeClient(args);
    const url = client.endSessionUrl({
      id_token_hint: args.id_token,
      post_logout_redirect_uri: args.post_logout_redirect_uri,
      state: args.state,
    });
    return { url };
  },

  async client_credentials(args) {
    const client = await makeClient(args);
    const tokenSet = await client.grant({
      grant_type: 'client_credentials',
      audience: args.audience,
    });
    return { tokens: tokenSetJson(tokenSet) };
  },
};

async function main() {
  const args = JSON.parse(process.argv[2]);
  const step = steps[args.step];
  if (!step) {
    throw new Error(`unknown step ${JSON.stringify(args.step)}; one of ${Object.keys(steps)}`);
  }
  return step(args);
}

// What the server answered, for the failure message: parsed JSON as is, anything else as text.
function responseBody(body) {
  if (Buffer.isBuffer(body)) {
    return body.toString('utf8');
  }
  return body;
}

main().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
  },
  (err) => {
    // OPError (the server answered an OAuth error) and RPError (the library refused an answer)
    // carry what the test needs to say which side broke the contract.
    process.stdout.write(
      JSON.stringify({
        error: err.name,
        message: err.message,
        oauth_error: err.error,
        error_description: err.error_description,
        status: err.response ? err.response.statusCode : undefined,
        body: err.response ? responseBody(err.response.body) : undefined,
      }) + '\n',
    );
    process.exitCode = 1;
  },
);
