"""Signing a user in through signet's login page without a browser, as the end-to-end tests of
the console and the Management API need it: GET {issuer}authorize with PKCE, the login form read
from the HTML and posted back with the user's email and password, the code taken from the redirect
and exchanged at {issuer}oauth/token. A requests.Session carries the session cookie, so a second
sign-in with the same Session skips the form as a browser would.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html.parser
import secrets
import urllib.parse

import requests

from conftest import HTTP_TIMEOUT

CONSOLE_CLIENT_ID = "signet-console"


def pkce_pair() -> tuple[str, str]:
    """A verifier (43 characters from 32 random bytes) and its S256 challenge (RFC 7636 §4)."""
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclasses.dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str]


class _Forms(html.parser.HTMLParser):
    """Every <form> of a page with its named <input>s and their values."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(), {}))
        elif tag in ("input", "button") and self.forms and a.get("name"):
            self.forms[-1].fields.setdefault(a["name"], a.get("value", ""))


def login_form(page: requests.Response) -> Form:
    """The form of the login page that asks for a password, its action made absolute."""
    parser = _Forms()
    parser.feed(page.text)
    forms = [f for f in parser.forms if "password" in f.fields]
    assert len(forms) == 1, f"no single login form on {page.url}:\n{page.text[:2000]}"
    form = forms[0]
    form.action = urllib.parse.urljoin(page.url, form.action or page.url)
    return form


def query_of(location: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


@dataclasses.dataclass
class SignIn:
    """One sign-in through the login page; `tokens` is the token endpoint's JSON answer."""
    session: requests.Session
    authorize: requests.Response     # GET /authorize
    login: requests.Response | None  # POST of the login form (None when the session skipped it)
    token: requests.Response         # POST /oauth/token with the code

    @property
    def tokens(self) -> dict:
        assert self.token.status_code == 200, self.token.text
        return self.token.json()


def sign_in(issuer: str, email: str, password: str, *, audience: str,
            client_id: str = CONSOLE_CLIENT_ID, redirect_uri: str | None = None,
            scope: str = "openid profile email", session: requests.Session | None = None,
            verify=True) -> SignIn:
    """The authorization code flow with PKCE for `client_id` (a public client; the console's by
    default, whose callback is {issuer}console/), the login form filled in with `email` and
    `password`. Asserts each step went as a browser would need it to."""
    session = session or requests.Session()
    redirect_uri = redirect_uri or f"{issuer}console/"
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    page = session.get(f"{issuer}authorize", params={
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": scope, "audience": audience, "state": state, "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge, "code_challenge_method": "S256"},
        allow_redirects=False, timeout=HTTP_TIMEOUT, verify=verify)
    login = None
    answer = page
    if page.status_code == 200:
        form = login_form(page)
        login = session.request(form.method, form.action,
                                data={**form.fields, "email": email, "password": password},
                                allow_redirects=False, timeout=HTTP_TIMEOUT, verify=verify)
        answer = login
    assert answer.status_code in (302, 303), \
        f"{answer.request.method} {answer.url}: {answer.status_code}\n{answer.text[:2000]}"
    location = answer.headers["Location"]
    assert location.startswith(redirect_uri), location
    back = query_of(location)
    assert back.get("state") == state, location
    assert "code" in back, location
    token = session.post(f"{issuer}oauth/token", data={
        "grant_type": "authorization_code", "client_id": client_id, "code": back["code"],
        "redirect_uri": redirect_uri, "code_verifier": verifier},
        timeout=HTTP_TIMEOUT, verify=verify)
    return SignIn(session, page, login, token)


def management_scopes_sign_in(issuer: str, email: str, password: str, scopes: str = "",
                              verify=True) -> SignIn:
    """As the console signs in: its client, the Management API, `scopes` of it."""
    return sign_in(issuer, email, password, audience=f"{issuer}api/v2/",
                   scope=" ".join(filter(None, ["openid profile email", scopes])), verify=verify)


def failed_login(issuer: str, email: str, password: str, *, audience: str,
                 client_id: str = CONSOLE_CLIENT_ID, redirect_uri: str | None = None,
                 verify=True) -> requests.Response:
    """The login form posted with a wrong password: the answer (200 with the form again, or a
    lockout page), never followed."""
    session = requests.Session()
    _, challenge = pkce_pair()
    page = session.get(f"{issuer}authorize", params={
        "response_type": "code", "client_id": client_id,
        "redirect_uri": redirect_uri or f"{issuer}console/", "scope": "openid",
        "audience": audience, "state": "s", "code_challenge": challenge,
        "code_challenge_method": "S256"}, allow_redirects=False, timeout=HTTP_TIMEOUT,
        verify=verify)
    assert page.status_code == 200, page.text[:2000]
    form = login_form(page)
    return session.request(form.method, form.action,
                           data={**form.fields, "email": email, "password": password},
                           allow_redirects=False, timeout=HTTP_TIMEOUT, verify=verify)
