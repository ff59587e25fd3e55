"""signet with two standard client libraries, against a real `signet serve`: Authlib (Debian's
python3-authlib, its requests OAuth2Session) and openid-client 5 for Node.js (tests/e2e/node,
installed by scripts/install-deps.sh from its package-lock.json).

Each library is used the way its documentation says an application uses it: the authorization
code flow with PKCE S256 for a confidential web app (client_secret_basic, both libraries'
default), a single-page app and a native app (public: token_endpoint_auth_method none), then the
refresh, /userinfo and the client-credentials grant. The browser's part (the login form) is played
with requests, as in test_sign_in.py. Whatever a library refuses in signet's answers fails the
test with the library's own message.
"""

from __future__ import annotations

import html.parser
import json
import os
import shutil
import subprocess
import time
import urllib.parse

import pytest
import requests

from conftest import HTTP_TIMEOUT, clean_env
from issuer import free_port
from serve_fixtures import LEEWAY, Tenant, module_serve, verify_with_jwks  # noqa: F401

authlib = pytest.importorskip(
    "authlib", reason="python3-authlib is not installed: run scripts/install-deps.sh")
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session, OAuthError  # noqa: E402
from authlib.jose import JsonWebKey, JsonWebToken  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402

NODE_DIR = os.path.join(os.path.dirname(__file__), "node")
FLOW_JS = os.path.join(NODE_DIR, "flow.js")
NODE_TIMEOUT = 60.0  # s per `node flow.js` run: Node's start-up plus a few loopback requests

SCOPE = "openid profile email offline_access read:messages"
SPA_ORIGIN = "http://localhost:3000"
SPA_CALLBACK = "http://localhost:3000/"
WEB_CALLBACK = "https://app.example.com/callback"
NATIVE_CALLBACK = "http://127.0.0.1/callback"  # RFC 8252 §7.3: any port on the loopback
LOGOUT_URL = "https://app.example.com/"


class App:
    """An application made with `signet clients create`, and the redirect URI it uses."""

    def __init__(self, out: dict, redirect_uri: str):
        self.client_id = out["client_id"]
        self.auth_method = out["token_endpoint_auth_method"]
        # A public app may hold a dormant secret (made for a later switch); it never sends it.
        self.secret = None if self.auth_method == "none" else out["client_secret"]
        self.redirect_uri = redirect_uri

    @property
    def public(self) -> bool:
        return self.secret is None


class Setup:
    def __init__(self, server):
        self.server = server
        self.tenant = t = Tenant(server)
        self.api = t.api(scopes=("read:messages", "write:messages"), offline=True)["identifier"]
        self.apps = {
            "regular_web": self.app("regular_web", WEB_CALLBACK),
            "spa": self.app("spa", SPA_CALLBACK, "--web-origins", SPA_ORIGIN),
            # The native app listens on whatever port it got; the registered callback has none.
            "native": self.app("native", NATIVE_CALLBACK,
                               redirect_uri=f"http://127.0.0.1:{free_port()}/callback"),
        }
        self.m2m = t.client()  # defaults: client_secret_basic_or_post
        self.m2m_post = t.client(auth_method="client_secret_post")
        for client in (self.m2m, self.m2m_post):
            t.grant(client, self.api, ("read:messages", "write:messages"))
        self.user = t.user(permissions={self.api: ("read:messages",)})
        t.sync()
        res = server.get("/.well-known/openid-configuration")
        assert res.status_code == 200, res.text
        self.meta = res.json()

    def app(self, type_: str, callback: str, *extra: str, redirect_uri: str | None = None) -> App:
        out = self.tenant.cli_json("clients", "create", "--name", f"{type_} app", "--type", type_,
                                   "--grant-types", "authorization_code,refresh_token",
                                   "--callbacks", callback, "--logout-urls", LOGOUT_URL, *extra)
        return App(out, redirect_uri or callback)


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve())


# --- the browser


class LoginForm(html.parser.HTMLParser):
    """The first form of a page: its action and every named input's value, as a browser would
    submit it."""

    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done:
            self._in_form = True
            self.action = a.get("action") or ""
        elif tag == "input" and self._in_form and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def browser_sign_in(s: Setup, authorization_url: str,
                    browser: requests.Session | None = None) -> str:
    """Plays the user's browser (a cookie jar): opens the authorization URL, fills in signet's
    login form and submits it. Returns the URL signet sends the browser back to (the app's
    callback)."""
    browser = browser or requests.Session()
    page = browser.get(authorization_url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"), page.text)
    assert page.headers["Content-Type"].startswith("text/html")
    form = LoginForm()
    form.feed(page.text)
    assert form.action is not None, page.text
    assert "csrf" in form.fields, page.text
    fields = {**form.fields, "email": s.user.email, "password": s.user.password}
    res = browser.post(urllib.parse.urljoin(page.url, form.action), data=fields,
                       allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert res.status_code == 303, (res.status_code, res.text[:500])
    return res.headers["Location"]


def query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


# --- checks of the tokens, independent of the library that fetched them


def check_access_token(s: Setup, token: str, app_id: str, gty: str | None = None) -> dict:
    """PyJWT with the key from the served JWKS: for the API, and for /userinfo."""
    claims = verify_with_jwks(token, s.server.jwks(), [s.api, s.server.issuer + "userinfo"],
                              s.server.issuer)
    assert claims["sub"] == s.user.id
    assert claims["azp"] == app_id
    assert set(claims["scope"].split()) == set(SCOPE.split())
    if gty:
        assert claims["gty"] == gty
    return claims


def authlib_id_token_claims(s: Setup, token: dict, client_id: str, nonce: str) -> dict:
    """Authlib's own ID-token validation (OpenID Connect Core §3.1.3.7): the signature with the
    served JWKS and only the advertised algorithms, iss, aud, exp, iat, nonce and at_hash."""
    jwt = JsonWebToken(s.meta["id_token_signing_alg_values_supported"])
    claims = jwt.decode(token["id_token"], JsonWebKey.import_key_set(s.server.jwks()),
                        claims_cls=CodeIDToken,
                        claims_options={"iss": {"essential": True, "value": s.server.issuer},
                                        "aud": {"essential": True, "value": client_id}},
                        claims_params={"nonce": nonce, "client_id": client_id,
                                       "access_token": token["access_token"]})
    claims.validate(leeway=LEEWAY)
    assert claims["nonce"] == nonce
    assert claims["at_hash"]  # validate() checked its value
    return dict(claims)


# --- Authlib


def authlib_session(s: Setup, app: App, auth_method: str | None = None) -> OAuth2Session:
    """OAuth2Session as an app configures it: a confidential app with its secret (Authlib's
    default client_secret_basic, unless auth_method says otherwise), a public one with
    token_endpoint_auth_method none."""
    kwargs = {"scope": SCOPE, "redirect_uri": app.redirect_uri, "code_challenge_method": "S256"}
    if app.public:
        kwargs["token_endpoint_auth_method"] = "none"
    else:
        kwargs["client_secret"] = app.secret
        if auth_method:
            kwargs["token_endpoint_auth_method"] = auth_method
            kwargs["revocation_endpoint_auth_method"] = auth_method
    return OAuth2Session(app.client_id, **kwargs)


@pytest.mark.parametrize("kind, auth_method", [
    ("regular_web", None),  # client_secret_basic
    ("regular_web", "client_secret_post"),  # signet's default accepts either
    ("spa", None),
    ("native", None),
])
def test_authlib_authorization_code_with_pkce(s, kind, auth_method):
    app = s.apps[kind]
    oauth = authlib_session(s, app, auth_method)
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, _ = oauth.create_authorization_url(s.meta["authorization_endpoint"],
                                            code_verifier=verifier, nonce=nonce, audience=s.api)
    assert "code_challenge=" in url and "code_challenge_method=S256" in url
    before = int(time.time())
    callback = browser_sign_in(s, url)
    assert callback.startswith(app.redirect_uri + "?"), callback
    # Authlib 1.2 does not check RFC 9207's iss itself; an app that follows the RFC does.
    assert query_of(callback)["iss"] == s.meta["issuer"]

    # fetch_token checks the state in the callback URL, then exchanges the code.
    token = oauth.fetch_token(s.meta["token_endpoint"], authorization_response=callback,
                              code_verifier=verifier, timeout=HTTP_TIMEOUT)
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == set(SCOPE.split())
    check_access_token(s, token["access_token"], app.client_id, gty="authorization_code")
    id_claims = authlib_id_token_claims(s, token, app.client_id, nonce)
    assert id_claims["sub"] == s.user.id
    assert id_claims["email"] == s.user.email
    assert before - 1 <= id_claims["auth_time"] <= int(time.time()) + 1

    # The session now carries the access token: /userinfo through it.
    info = oauth.get(s.meta["userinfo_endpoint"], timeout=HTTP_TIMEOUT)
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == s.user.id

    # refresh_token() sends the session's scope again, and the client's credentials (or, for a
    # public app, its client_id) the same way as fetch_token.
    first_refresh_token = token["refresh_token"]
    refreshed = oauth.refresh_token(s.meta["token_endpoint"], timeout=HTTP_TIMEOUT)
    assert refreshed["refresh_token"] and refreshed["refresh_token"] != first_refresh_token
    check_access_token(s, refreshed["access_token"], app.client_id)
    assert oauth.token["access_token"] == refreshed["access_token"]

    # Revocation at sign-out (RFC 7009): the refresh token stops working at once.
    res = oauth.revoke_token(s.meta["revocation_endpoint"], token=refreshed["refresh_token"],
                             token_type_hint="refresh_token", timeout=HTTP_TIMEOUT)
    assert res.status_code == 200, res.text
    with pytest.raises(OAuthError) as refused:
        oauth.refresh_token(s.meta["token_endpoint"], timeout=HTTP_TIMEOUT)
    assert refused.value.error == "invalid_grant"


@pytest.mark.parametrize("which, method", [
    ("m2m", "client_secret_basic"),       # created with defaults, Authlib's default method
    ("m2m", "client_secret_post"),        # the default accepts either
    ("m2m_post", "client_secret_post"),   # created with --auth-method client_secret_post
])
def test_authlib_client_credentials(s, which, method):
    client = getattr(s, which)
    oauth = OAuth2Session(client.client_id, client.client_secret,
                          token_endpoint_auth_method=method)
    token = oauth.fetch_token(s.meta["token_endpoint"], grant_type="client_credentials",
                              audience=s.api, timeout=HTTP_TIMEOUT)
    assert token["token_type"] == "Bearer"
    assert "refresh_token" not in token and "id_token" not in token
    claims = verify_with_jwks(token["access_token"], s.server.jwks(), s.api, s.server.issuer)
    assert claims["sub"] == client.client_id + "@clients"
    assert claims["gty"] == "client-credentials"
    assert set(claims["scope"].split()) == {"read:messages", "write:messages"}


# --- openid-client (Node.js)


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("Node.js is not installed (no `node` on PATH): run scripts/install-deps.sh")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "openid-client")):
        pytest.skip("openid-client is not installed in tests/e2e/node/node_modules: "
                    "run scripts/install-deps.sh")
    return path


def run_node(node: str, args: dict, expect_ok: bool = True) -> dict:
    """One step of tests/e2e/node/flow.js; its one-line JSON answer."""
    res = subprocess.run([node, FLOW_JS, json.dumps(args)], cwd=NODE_DIR, env=clean_env(),
                         capture_output=True, text=True, timeout=NODE_TIMEOUT,
                         stdin=subprocess.DEVNULL)
    lines = res.stdout.strip().splitlines()
    assert lines, f"flow.js printed nothing (exit code {res.returncode}); stderr:\n{res.stderr}"
    out = json.loads(lines[-1])
    if expect_ok:
        assert res.returncode == 0, f"openid-client refused ({args['step']}): {out}\n{res.stderr}"
    else:
        assert res.returncode == 1, out
    return out


def node_client(app: App, auth_method: str | None = None) -> dict:
    client = {"client_id": app.client_id, "redirect_uri": app.redirect_uri}
    if app.public:
        client["token_endpoint_auth_method"] = "none"
    else:
        client["client_secret"] = app.secret  # openid-client's default: client_secret_basic
        if auth_method:
            client["token_endpoint_auth_method"] = auth_method
    return client


@pytest.mark.parametrize("kind, auth_method", [
    ("regular_web", None),  # client_secret_basic
    ("regular_web", "client_secret_post"),  # signet's default accepts either
    ("spa", None),
    ("native", None),
])
def test_openid_client_authorization_code_with_pkce(s, node, kind, auth_method):
    app = s.apps[kind]
    common = {"issuer": s.server.issuer, "client": node_client(app, auth_method)}
    start = run_node(node, {**common, "step": "start", "scope": SCOPE, "audience": s.api})
    url = start["url"]
    assert url.startswith(s.meta["authorization_endpoint"] + "?")
    q = query_of(url)
    assert q["code_challenge_method"] == "S256" and q["audience"] == s.api

    browser = requests.Session()
    callback = browser_sign_in(s, url, browser)
    out = run_node(node, {**common, "step": "callback", "callback_url": callback,
                          "checks": start["checks"]})

    tokens = out["tokens"]
    claims = tokens["claims"]  # validated by openid-client: signature, iss, aud, nonce, at_hash
    assert claims["sub"] == s.user.id
    assert claims["nonce"] == start["checks"]["nonce"]
    assert claims["aud"] in (app.client_id, [app.client_id])
    assert claims["email"] == s.user.email
    check_access_token(s, tokens["access_token"], app.client_id, gty="authorization_code")
    assert tokens["refresh_token"]
    assert out["userinfo"]["sub"] == s.user.id  # openid-client compared it with the ID token's
    assert out["userinfo"]["email"] == s.user.email

    refreshed = out["refreshed"]
    assert refreshed["refresh_token"] and refreshed["refresh_token"] != tokens["refresh_token"]
    check_access_token(s, refreshed["access_token"], app.client_id)
    if "claims" in refreshed:  # a new ID token, validated like the first
        assert refreshed["claims"]["sub"] == s.user.id
    assert out["userinfo_after_refresh"]["sub"] == s.user.id

    # Revocation at sign-out (RFC 7009), with the client's own authentication method.
    revoked = run_node(node, {**common, "step": "revoke",
                              "refresh_token": refreshed["refresh_token"]})
    assert revoked["refresh_error"] == "invalid_grant", revoked

    # The browser has a session now: the same authorization URL answers at once, no form.
    assert browser.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT).status_code == 302
    # Logout with the URL openid-client builds (id_token_hint, client_id, state): signet ends
    # the browser's session and sends it to the registered logout URL.
    logout = run_node(node, {**common, "step": "end_session", "id_token": tokens["id_token"],
                             "post_logout_redirect_uri": LOGOUT_URL, "state": "bye"})
    assert logout["url"].startswith(s.meta["end_session_endpoint"] + "?")
    res = browser.get(logout["url"], allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert res.status_code == 302, (res.status_code, res.text)
    assert res.headers["Location"] == LOGOUT_URL + "?state=bye"
    again = browser.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert again.status_code == 200  # the login form: the session is over


def test_openid_client_refuses_a_callback_without_iss(s, node):
    """RFC 9207 as openid-client applies it: because signet's discovery document says
    authorization_response_iss_parameter_supported, a callback stripped of its iss (a mix-up
    attack) is refused before the code is sent anywhere."""
    app = s.apps["spa"]
    common = {"issuer": s.server.issuer, "client": node_client(app)}
    start = run_node(node, {**common, "step": "start", "scope": SCOPE, "audience": s.api})
    callback = browser_sign_in(s, start["url"])
    q = query_of(callback)
    del q["iss"]
    stripped = app.redirect_uri + "?" + urllib.parse.urlencode(q)
    out = run_node(node, {**common, "step": "callback", "callback_url": stripped,
                          "checks": start["checks"]}, expect_ok=False)
    assert out["error"] == "RPError" and "iss missing" in out["message"], out


def test_openid_client_client_credentials(s, node):
    client = {"client_id": s.m2m.client_id, "client_secret": s.m2m.client_secret}
    out = run_node(node, {"step": "client_credentials", "issuer": s.server.issuer,
                          "client": client, "audience": s.api})
    tokens = out["tokens"]
    assert tokens["token_type"].lower() == "bearer"
    assert "id_token" not in tokens and "refresh_token" not in tokens  # undefined in flow.js
    claims = verify_with_jwks(tokens["access_token"], s.server.jwks(), s.api, s.server.issuer)
    assert claims["sub"] == s.m2m.client_id + "@clients"
    assert set(claims["scope"].split()) == {"read:messages", "write:messages"}
