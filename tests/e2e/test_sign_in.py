"""End-to-end tests of browser sign-in without a browser: GET /authorize, signet's login page,
the session cookie, the code exchange at /oauth/token, and logout, driven with requests the way a
browser would (following the form, keeping cookies), against a real `signet serve`.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets
import time
import urllib.parse

import pytest
import requests

from issuer import b64url
from serve_fixtures import (Tenant, assert_oauth_error, assert_token_response,  # noqa: F401
                            module_serve, password_grant, start_serve, unverified,
                            verify_with_jwks)

WRONG = "Wrong email or password."
SPA_ORIGIN = "http://localhost:3000"
SPA_CALLBACK = "http://localhost:3000/"
WEB_CALLBACK = "https://app.example.com/callback"
NATIVE_CALLBACK = "http://127.0.0.1/callback"
LOGOUT_URL = "https://app.example.com/bye"


def pkce() -> tuple[str, str]:
    verifier = b64url(secrets.token_bytes(32))
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


class App:
    def __init__(self, out: dict, callback: str):
        self.client_id = out["client_id"]
        self.secret = out.get("client_secret")
        self.callback = callback

    def auth(self) -> dict:
        """How the app authenticates at the token endpoint: HTTP Basic for a confidential app
        (accepted by default), client_id alone for a public one."""
        return {} if self.secret is None else {"auth": (self.client_id, self.secret)}


def make_app(tenant: Tenant, type_: str, callback: str, *extra: str) -> App:
    out = tenant.cli_json("clients", "create", "--name", f"{type_} app", "--type", type_,
                          "--grant-types", "authorization_code,refresh_token",
                          "--callbacks", callback, "--logout-urls", LOGOUT_URL, *extra)
    return App(out, callback)


class Setup:
    def __init__(self, server):
        self.server = server
        self.tenant = t = Tenant(server)
        self.api = t.api(scopes=("read:messages", "write:messages"), offline=True)["identifier"]
        self.web = make_app(t, "regular_web", WEB_CALLBACK)
        self.spa = make_app(t, "spa", SPA_CALLBACK, "--web-origins", SPA_ORIGIN)
        self.native = make_app(t, "native", NATIVE_CALLBACK)
        self.user = t.user(permissions={self.api: ("read:messages",)})
        t.sync()


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve("--lockout-max-failures", "4"))


class Flow:
    """One browser: a cookie jar, and the PKCE pair and state of its current sign-in."""

    def __init__(self, s: Setup, app: App):
        self.s = s
        self.app = app
        self.browser = requests.Session()
        self.verifier, self.challenge = pkce()
        self.state = "st&te=/?" + secrets.token_hex(4)
        self.nonce = secrets.token_hex(8)

    def authorize(self, redirect_uri: str | None = None, **extra) -> requests.Response:
        params = {"response_type": "code", "client_id": self.app.client_id,
                  "redirect_uri": redirect_uri or self.app.callback, "state": self.state,
                  "nonce": self.nonce, "scope": "openid email offline_access read:messages",
                  "audience": self.s.api, "code_challenge": self.challenge,
                  "code_challenge_method": "S256"}
        for k, v in extra.items():
            if v is None:
                params.pop(k, None)
            else:
                params[k] = v
        return self.browser.get(self.s.server.url("/authorize"), params=params,
                                allow_redirects=False, timeout=10)

    def submit(self, page: requests.Response, email: str | None = None,
               password: str | None = None, **override) -> requests.Response:
        fields = form_fields(page)
        fields["email"] = self.s.user.email if email is None else email
        fields["password"] = self.s.user.password if password is None else password
        fields.update(override)
        return self.browser.post(self.s.server.url("/u/login"), data=fields,
                                 allow_redirects=False, timeout=10)

    def sign_in(self, **extra) -> str:
        """The code of a complete sign-in through the form."""
        page = self.authorize(**extra)
        assert page.status_code == 200, page.text
        return code_of(self.submit(page), self.state)

    def exchange(self, code: str, verifier: str | None = None, app: App | None = None,
                 redirect_uri: str | None = None, **extra) -> requests.Response:
        app = app or self.app
        data = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri or self.app.callback,
                "code_verifier": self.verifier if verifier is None else verifier, **extra}
        if app.secret is None:
            data["client_id"] = app.client_id
        return self.s.server.token(data, **app.auth())


def form_fields(page: requests.Response) -> dict:
    fields = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                  page.text):
        fields[html.unescape(name)] = html.unescape(value)
    assert "csrf" in fields, page.text
    return fields


def query_of(res: requests.Response) -> dict:
    location = res.headers["Location"]
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def code_of(res: requests.Response, state: str) -> str:
    assert res.status_code in (302, 303), (res.status_code, res.text[:500])
    q = query_of(res)
    assert q.get("state") == state, q
    assert "code" in q, q
    return q["code"]


def assert_page_not_redirect(res: requests.Response, contains: str):
    assert res.status_code == 400, (res.status_code, res.headers)
    assert "Location" not in res.headers
    assert res.headers["Content-Type"].startswith("text/html")
    assert contains in html.unescape(res.text), res.text


# --- the whole flow, for each kind of application


@pytest.mark.parametrize("kind", ["web", "spa", "native"])
def test_sign_in_and_exchange_the_code(s, kind):
    app = getattr(s, kind)
    flow = Flow(s, app)
    redirect_uri = "http://127.0.0.1:54321/callback" if kind == "native" else None
    if redirect_uri:
        app = App({"client_id": app.client_id}, redirect_uri)
        flow.app = app
    page = flow.authorize()
    assert page.status_code == 200
    assert "Log in" in page.text
    before = int(time.time())
    res = flow.submit(page)
    assert res.status_code == 303
    q = query_of(res)
    assert q["state"] == flow.state  # echoed untouched, however odd
    assert q["iss"] == s.server.issuer  # RFC 9207
    assert res.headers["Location"].startswith(app.callback + "?")
    body = assert_token_response(flow.exchange(q["code"]))
    assert set(body["scope"].split()) == {"openid", "email", "offline_access", "read:messages"}
    assert body["refresh_token"]
    claims = verify_with_jwks(body["access_token"], s.server.jwks(),
                              [s.api, s.server.issuer + "userinfo"], s.server.issuer)
    assert claims["sub"] == s.user.id
    assert claims["azp"] == app.client_id
    assert claims["gty"] == "authorization_code"
    id_claims = verify_with_jwks(body["id_token"], s.server.jwks(), app.client_id,
                                 s.server.issuer)
    assert id_claims["nonce"] == flow.nonce
    assert before - 1 <= id_claims["auth_time"] <= int(time.time()) + 1
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert id_claims["at_hash"] == b64url(digest[:16])
    assert id_claims["email"] == s.user.email
    # The refresh token works like any other.
    refreshed = s.server.token({"grant_type": "refresh_token",
                                "refresh_token": body["refresh_token"],
                                **({"client_id": app.client_id} if app.secret is None else {})},
                               **app.auth())
    assert_token_response(refreshed)


def test_authorize_also_takes_a_form_post(s):
    # OIDC Core §3.1.2.1: the authorization endpoint supports GET and POST.
    flow = Flow(s, s.spa)
    params = {"response_type": "code", "client_id": s.spa.client_id,
              "redirect_uri": SPA_CALLBACK, "state": flow.state, "audience": s.api,
              "scope": "openid", "code_challenge": flow.challenge,
              "code_challenge_method": "S256"}
    page = flow.browser.post(s.server.url("/authorize"), data=params, allow_redirects=False,
                             timeout=10)
    assert page.status_code == 200 and "Log in" in page.text
    assert_token_response(flow.exchange(code_of(flow.submit(page), flow.state)))
    again = flow.browser.post(s.server.url("/authorize"), data=params, allow_redirects=False,
                              timeout=10)
    assert again.status_code == 302 and query_of(again)["state"] == flow.state
    bad = flow.browser.post(s.server.url("/authorize"), data="client_id=a&client_id=b",
                            headers={"Content-Type": "application/x-www-form-urlencoded"},
                            allow_redirects=False, timeout=10)
    assert bad.status_code == 400 and "Location" not in bad.headers


def test_a_confidential_app_also_authenticates_with_the_body(s):
    flow = Flow(s, s.web)
    code = flow.sign_in()
    res = s.server.token({"grant_type": "authorization_code", "code": code,
                          "redirect_uri": WEB_CALLBACK, "code_verifier": flow.verifier,
                          "client_id": s.web.client_id, "client_secret": s.web.secret})
    assert_token_response(res)


# --- the session


def test_a_second_authorize_skips_the_form_until_logout(s):
    flow = Flow(s, s.spa)
    flow.sign_in()
    again = flow.authorize()
    assert again.status_code == 302
    code = code_of(again, flow.state)
    assert_token_response(flow.exchange(code))
    # prompt=login asks again; max_age=0 too; prompt=none answers at once.
    assert flow.authorize(prompt="login").status_code == 200
    assert flow.authorize(max_age="0").status_code == 200
    assert flow.authorize(max_age="3600").status_code == 302
    assert flow.authorize(prompt="none").status_code == 302

    out = flow.browser.get(s.server.url("/v2/logout"),
                           params={"client_id": s.spa.client_id, "returnTo": LOGOUT_URL},
                           allow_redirects=False, timeout=10)
    assert out.status_code == 302
    assert out.headers["Location"] == LOGOUT_URL
    assert "signet-session=;" in out.headers["Set-Cookie"]
    assert flow.authorize().status_code == 200  # the form again
    none = flow.authorize(prompt="none")
    assert none.status_code == 302
    assert query_of(none)["error"] == "login_required"
    assert query_of(none)["state"] == flow.state


def test_session_cookie_attributes_and_a_new_id_at_every_sign_in(s):
    flow = Flow(s, s.spa)
    # An attacker plants a session id in the victim's browser before the sign-in.
    flow.browser.cookies.set("signet-session", "planted-by-attacker", domain="127.0.0.1")
    page = flow.authorize()
    assert page.status_code == 200  # the planted id is no session
    res = flow.submit(page)
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    first = flow.browser.cookies.get("signet-session")
    assert first and first != "planted-by-attacker"
    # Signing in again (prompt=login) replaces the id, and the old one stops working.
    page = flow.authorize(prompt="login")
    flow.submit(page)
    second = flow.browser.cookies.get("signet-session")
    assert second != first
    other = Flow(s, s.spa)
    other.browser.cookies.set("signet-session", first, domain="127.0.0.1")
    assert other.authorize().status_code == 200


def test_revoke_sessions_ends_the_browser_session(s):
    flow = Flow(s, s.spa)
    flow.sign_in()
    assert flow.authorize().status_code == 302
    s.tenant.cli("users", "revoke-sessions", s.user.email)
    assert flow.authorize().status_code == 200


def test_login_page_headers(s):
    page = Flow(s, s.spa).authorize()
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # no script at all
    assert f"form-action 'self' {SPA_ORIGIN}" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    assert "SameSite=Strict" in page.headers["Set-Cookie"]
    css = requests.get(s.server.url("/u/login.css"), timeout=10)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")


# --- the login form


def test_every_wrong_credential_reads_the_same(s):
    flow = Flow(s, s.spa)
    page = flow.authorize()
    for email, password in ((s.user.email, "wrong password!"),
                            ("nobody@example.com", s.user.password), ("", "x"),
                            ("x" * 400 + "@example.com", "x")):
        res = flow.submit(page, email=email, password=password)
        assert res.status_code == 401
        assert WRONG in res.text
        assert "Location" not in res.headers
    # The form still works afterwards (its token is not used up).
    assert flow.submit(page).status_code == 303


def test_a_login_post_without_the_csrf_token_or_cookie_is_refused(s):
    flow = Flow(s, s.spa)
    page = flow.authorize()
    res = flow.submit(page, csrf="")
    assert res.status_code == 403 and "Location" not in res.headers
    res = flow.submit(page, csrf="1.forged")
    assert res.status_code == 403
    # A cross-site post: the right fields, but not this browser's form cookie.
    stranger = requests.Session()
    fields = form_fields(page)
    fields.update(email=s.user.email, password=s.user.password)
    res = stranger.post(s.server.url("/u/login"), data=fields, allow_redirects=False, timeout=10)
    assert res.status_code == 403 and "Location" not in res.headers
    # Each refusal shows a fresh form that works.
    assert flow.submit(flow.authorize()).status_code == 303


def test_a_stale_login_form_is_refused(start_serve):
    server = start_serve("--login-form-lifetime", "1")
    t = Tenant(server)
    api = t.api()["identifier"]
    s = type("S", (), {})()
    s.server, s.tenant, s.api = server, t, api
    s.spa = make_app(t, "spa", SPA_CALLBACK)
    s.user = t.user(permissions={api: ("read:messages",)})
    t.sync()
    flow = Flow(s, s.spa)
    page = flow.authorize()
    time.sleep(2.2)
    res = flow.submit(page)
    assert res.status_code == 403
    assert "expired" in res.text
    assert flow.submit(res).status_code == 303  # the form it shows again is fresh


def test_lockout_is_shared_with_the_password_grant(s):
    user = s.tenant.user(permissions={s.api: ("read:messages",)})
    pw_client = s.tenant.client(type="regular_web")
    s.tenant.sync()
    flow = Flow(s, s.spa)
    page = flow.authorize()
    # Failures through the password grant and through the form count together (limit 4).
    for _ in range(2):
        res = password_grant(s.server, pw_client, user, s.api, password="wrong password!")
        assert res.status_code == 400
    assert flow.submit(page, email=user.email, password="wrong password!").status_code == 401
    blocked = flow.submit(page, email=user.email, password="wrong password!")
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    # Now even the right password is refused, at both doors.
    assert flow.submit(page, email=user.email, password=user.password).status_code == 429
    assert password_grant(s.server, pw_client, user, s.api).status_code == 429


# --- redirect URIs and errors


@pytest.mark.parametrize("redirect_uri", [
    SPA_CALLBACK.rstrip("/"),                # no trailing slash
    "http://LOCALHOST:3000/",                # case
    SPA_CALLBACK + "?extra=1",               # extra query
    "http://user@localhost:3000/",           # userinfo
    "http://localhost:3001/",                # another port
    "http://localhost:3000/#frag",           # fragment
    "https://evil.example/",
])
def test_an_unregistered_redirect_uri_gets_a_page_never_a_redirect(s, redirect_uri):
    res = Flow(s, s.spa).authorize(redirect_uri=redirect_uri)
    assert_page_not_redirect(res, "not one of the application's callback URLs")


def test_an_unknown_client_gets_a_page(s):
    flow = Flow(s, s.spa)
    res = flow.browser.get(s.server.url("/authorize"),
                           params={"client_id": "nobody", "redirect_uri": SPA_CALLBACK,
                                   "response_type": "code"},
                           allow_redirects=False, timeout=10)
    assert_page_not_redirect(res, "Unknown client")
    res = flow.browser.get(s.server.url("/authorize?client_id=a&client_id=b"),
                           allow_redirects=False, timeout=10)
    assert res.status_code == 400 and "Location" not in res.headers


@pytest.mark.parametrize("change, error", [
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
    ({"audience": "https://nowhere.example/"}, "invalid_target"),
    ({"audience": None}, "invalid_request"),
    ({"prompt": "none"}, "login_required"),
])
def test_errors_go_back_to_the_app_with_state(s, change, error):
    flow = Flow(s, s.spa)
    res = flow.authorize(**change)
    assert res.status_code == 302, res.text
    q = query_of(res)
    assert q["error"] == error, q
    assert q["state"] == flow.state
    assert q["iss"] == s.server.issuer
    assert res.headers["Location"].startswith(SPA_CALLBACK + "?")


# --- the code exchange


def test_pkce_verifier_missing_wrong_or_plain(s):
    for verifier in ("", "wrong" * 10, None):
        flow = Flow(s, s.spa)
        code = flow.sign_in()
        # None: the plain challenge itself sent as the verifier (what `plain` would accept).
        sent = flow.challenge if verifier is None else verifier
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SPA_CALLBACK,
                "client_id": s.spa.client_id}
        if sent:
            data["code_verifier"] = sent
        res = s.server.token(data)
        assert res.status_code == 400
        assert res.json()["error"] in ("invalid_grant", "invalid_request")


def test_a_code_is_used_once_and_its_reuse_revokes_the_first_tokens(s):
    flow = Flow(s, s.web)
    code = flow.sign_in()
    first = assert_token_response(flow.exchange(code))
    assert_oauth_error(flow.exchange(code), 400, "invalid_grant")
    refreshed = s.server.token({"grant_type": "refresh_token",
                                "refresh_token": first["refresh_token"]}, **s.web.auth())
    assert_oauth_error(refreshed, 400, "invalid_grant")


def test_a_code_for_another_client_or_redirect_is_refused(s):
    flow = Flow(s, s.spa)
    code = flow.sign_in()
    other = flow.exchange(code, app=s.web, redirect_uri=SPA_CALLBACK)
    assert_oauth_error(other, 400, "invalid_grant")
    flow2 = Flow(s, s.spa)
    code2 = flow2.sign_in()
    assert_oauth_error(flow2.exchange(code2, redirect_uri=SPA_CALLBACK + "x"), 400,
                       "invalid_grant")


def test_a_public_client_cannot_use_client_credentials_or_password(s):
    res = s.server.token({"grant_type": "client_credentials", "client_id": s.spa.client_id,
                          "audience": s.api})
    assert res.status_code in (400, 401)
    assert res.json()["error"] in ("unauthorized_client", "invalid_client")


# --- CORS for the SPA's origin


def test_the_token_endpoint_answers_the_registered_web_origin_only(s):
    pre = requests.options(s.server.url("/oauth/token"), timeout=10,
                           headers={"Origin": SPA_ORIGIN,
                                    "Access-Control-Request-Method": "POST",
                                    "Access-Control-Request-Headers": "content-type"})
    assert pre.headers.get("Access-Control-Allow-Origin") == SPA_ORIGIN
    flow = Flow(s, s.spa)
    code = flow.sign_in()
    res = s.server.token({"grant_type": "authorization_code", "code": code,
                          "redirect_uri": SPA_CALLBACK, "code_verifier": flow.verifier,
                          "client_id": s.spa.client_id}, headers={"Origin": SPA_ORIGIN})
    assert res.status_code == 200
    assert res.headers.get("Access-Control-Allow-Origin") == SPA_ORIGIN
    evil = requests.options(s.server.url("/oauth/token"), timeout=10,
                            headers={"Origin": "https://evil.example",
                                     "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in evil.headers
    # Not on endpoints a page has no business calling.
    intro = requests.options(s.server.url("/oauth/introspect"), timeout=10,
                             headers={"Origin": SPA_ORIGIN,
                                      "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in intro.headers


# --- logout


@pytest.mark.parametrize("target", ["https://evil.example/", LOGOUT_URL + "/", "//evil.example",
                                    LOGOUT_URL + "?next=https://evil.example"])
def test_logout_never_redirects_to_an_unregistered_url(s, target):
    res = requests.get(s.server.url("/v2/logout"),
                       params={"client_id": s.spa.client_id, "returnTo": target},
                       allow_redirects=False, timeout=10)
    assert_page_not_redirect(res, "not one of the application's Allowed Logout URLs")
    res = requests.get(s.server.url("/oidc/logout"),
                       params={"client_id": s.spa.client_id, "post_logout_redirect_uri": target},
                       allow_redirects=False, timeout=10)
    assert_page_not_redirect(res, "not one of the application's Allowed Logout URLs")
    res = requests.get(s.server.url("/v2/logout"), params={"returnTo": LOGOUT_URL},
                       allow_redirects=False, timeout=10)
    assert_page_not_redirect(res, "client_id")


def test_oidc_logout_with_an_id_token_hint(s):
    flow = Flow(s, s.web)
    body = assert_token_response(flow.exchange(flow.sign_in()))
    assert flow.authorize().status_code == 302
    res = flow.browser.get(s.server.url("/oidc/logout"),
                           params={"id_token_hint": body["id_token"],
                                   "post_logout_redirect_uri": LOGOUT_URL, "state": "a b"},
                           allow_redirects=False, timeout=10)
    assert res.status_code == 302
    assert res.headers["Location"] == LOGOUT_URL + "?state=a%20b"
    assert flow.authorize().status_code == 200
    # A hint for one client does not open another's logout URLs.
    res = requests.get(s.server.url("/oidc/logout"),
                       params={"id_token_hint": body["id_token"], "client_id": s.spa.client_id,
                               "post_logout_redirect_uri": LOGOUT_URL},
                       allow_redirects=False, timeout=10)
    assert_page_not_redirect(res, "client_id differs")
    res = requests.get(s.server.url("/oidc/logout"),
                       params={"id_token_hint": body["id_token"][:-4] + "AAAA"},
                       allow_redirects=False, timeout=10)
    assert_page_not_redirect(res, "id_token_hint")
    # Without a redirect: a page that says so.
    res = requests.get(s.server.url("/v2/logout"), timeout=10)
    assert res.status_code == 200 and "signed out" in res.text


def test_oidc_logout_also_takes_a_form_post(s):
    flow = Flow(s, s.web)
    body = assert_token_response(flow.exchange(flow.sign_in()))
    res = flow.browser.post(s.server.url("/oidc/logout"),
                            data={"id_token_hint": body["id_token"],
                                  "post_logout_redirect_uri": LOGOUT_URL},
                            allow_redirects=False, timeout=10)
    assert res.status_code == 302 and res.headers["Location"] == LOGOUT_URL
    assert flow.authorize().status_code == 200  # the session ended
    bad = flow.browser.post(s.server.url("/oidc/logout"), data="state=a&state=b",
                            headers={"Content-Type": "application/x-www-form-urlencoded"},
                            allow_redirects=False, timeout=10)
    assert bad.status_code == 400 and "Location" not in bad.headers


def test_discovery_names_the_sign_in_endpoints(s):
    doc = requests.get(s.server.url("/.well-known/openid-configuration"), timeout=10).json()
    assert doc["authorization_endpoint"] == s.server.issuer + "authorize"
    assert doc["end_session_endpoint"] == s.server.issuer + "oidc/logout"
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "authorization_code" in doc["grant_types_supported"]
    assert doc["authorization_response_iss_parameter_supported"] is True


def test_the_login_page_shows_the_tenant_name_and_logo(start_serve):
    server = start_serve("--tenant-name", "Acme <Corp>", "--logo-url",
                         "https://cdn.example.com/logo.png")
    t = Tenant(server)
    api = t.api()["identifier"]
    spa = make_app(t, "spa", SPA_CALLBACK)
    t.sync()
    s = type("S", (), {})()
    s.server, s.api = server, api
    page = Flow(s, spa).authorize()
    assert page.status_code == 200
    assert "Acme &lt;Corp&gt;" in page.text and "<Corp>" not in page.text  # escaped
    assert 'src="https://cdn.example.com/logo.png"' in page.text
    assert "spa app" in page.text  # "to continue to" the application's name


def test_https_issuer_cookies_are_host_prefixed_and_secure(start_serve):
    server = start_serve()
    # The issuer, not the listener, decides (TLS may end at a proxy); restart with an https one.
    server.stop()
    server.flags += ["--issuer", "https://auth.example.com/"]
    server.start()
    t = Tenant(server)
    api = t.api()["identifier"]
    spa = make_app(t, "spa", SPA_CALLBACK)
    t.sync()
    s = type("S", (), {})()
    s.server, s.api = server, api
    res = Flow(s, spa).authorize()
    assert res.status_code == 200
    cookie = res.headers["Set-Cookie"]
    assert cookie.startswith("__Host-signet-login=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
