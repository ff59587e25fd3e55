"""End-to-end tests of client authentication at POST /oauth/token on a real `signet serve`: a client
created with defaults takes HTTP Basic (as `curl -u` and most libraries send it) or its secret in
the body; authlib's OAuth2Session gets tokens with either; private_key_jwt clients (RFC 7523)
authenticate with assertions made by PyJWT with keys made by python3-cryptography, their keys
registered inline or served at a jwks_uri; and public clients get no password or client-credentials
tokens. Every client is registered with the admin CLI, as an operator would.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import HTTP_TIMEOUT
from issuer import jwk_of
from serve_fixtures import (Tenant, assert_oauth_error, assert_token_response,  # noqa: F401
                            module_serve, run_cli, start_serve, unique, verify_with_jwks)

SCOPES = ("read:messages",)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def public_jwk(private_key, kid: str) -> dict:
    """The public JWK of a cryptography private key (EC P-256 or RSA), with its kid."""
    return {**jwk_of(private_key), "kid": kid}


class KeyServer:
    """A JWK Set served over HTTP on 127.0.0.1 by http.server in a thread: a client's jwks_uri."""

    def __init__(self, jwks: dict):
        self.jwks = jwks
        self.fetches = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                owner.fetches += 1
                body = json.dumps(owner.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"

    def start(self) -> "KeyServer":
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=HTTP_TIMEOUT)


class Setup:
    """One server with an API; a client made with the CLI's defaults; two private_key_jwt
    clients, one with its keys inline and one with a jwks_uri; each granted the API."""

    def __init__(self, server, tmp_dir):
        self.server = server
        self.tenant = Tenant(server)
        self.audience = self.tenant.api(scopes=SCOPES)["identifier"]
        created = self.tenant.cli_json("clients", "create", "--name", unique("defaults"))
        self.default_id = created["client_id"]
        self.default_secret = created["client_secret"]
        assert created["token_endpoint_auth_method"] == "client_secret_basic_or_post"
        self.grant(self.default_id)

        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwks = {"keys": [public_jwk(self.ec_key, "ec-1"), public_jwk(self.rsa_key, "rsa-1")]}
        jwks_file = tmp_dir / "jwks.json"
        jwks_file.write_text(json.dumps(jwks))
        self.inline_id = self.keyed_client("--jwks", str(jwks_file))
        self.key_server = KeyServer({"keys": [public_jwk(self.ec_key, "ec-1")]}).start()
        self.uri_id = self.keyed_client("--jwks-uri", self.key_server.url)
        self.tenant.sync()

    def grant(self, client_id: str):
        self.tenant.cli("grants", "create", "--client-id", client_id, "--audience",
                        self.audience, "--scopes", *SCOPES)

    def keyed_client(self, *key_flags: str) -> str:
        created = self.tenant.cli_json("clients", "create", "--name", unique("signed"),
                                       "--auth-method", "private_key_jwt", *key_flags)
        assert "client_secret" not in created
        self.grant(created["client_id"])
        return created["client_id"]

    @property
    def token_url(self) -> str:
        return self.server.issuer + "oauth/token"

    def claims(self, client_id: str, **changes) -> dict:
        """A good assertion's claims, with `changes` applied (None removes a claim)."""
        now = int(time.time())
        claims = {"iss": client_id, "sub": client_id, "aud": self.token_url, "iat": now,
                  "exp": now + 60, "jti": str(uuid.uuid4()), **changes}
        return {k: v for k, v in claims.items() if v is not None}

    def assertion(self, client_id: str, key=None, kid: str = "ec-1", alg: str = "ES256",
                  **changes) -> str:
        return jwt.encode(self.claims(client_id, **changes), key or self.ec_key, algorithm=alg,
                          headers={"kid": kid})

    def with_assertion(self, assertion: str, **extra) -> requests.Response:
        return self.server.token({"grant_type": "client_credentials", "audience": self.audience,
                                  "client_assertion_type": ASSERTION_TYPE,
                                  "client_assertion": assertion, **extra})


@pytest.fixture(scope="module")
def s(module_serve, tmp_path_factory):
    setup = Setup(module_serve(), tmp_path_factory.mktemp("keys"))
    yield setup
    setup.key_server.stop()


def check_token(s: Setup, res: requests.Response, client_id: str) -> dict:
    body = assert_token_response(res)
    claims = verify_with_jwks(body["access_token"], s.server.jwks(), s.audience, s.server.issuer)
    assert claims["azp"] == client_id and claims["sub"] == f"{client_id}@clients"
    return claims


# --- a client made with defaults: HTTP Basic or the body


def test_a_default_client_takes_http_basic_like_curl_u(s):
    res = requests.post(s.token_url, data={"grant_type": "client_credentials",
                                           "audience": s.audience},
                        auth=(s.default_id, s.default_secret), timeout=HTTP_TIMEOUT)
    check_token(s, res, s.default_id)


def test_a_default_client_takes_its_secret_in_the_body(s):
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience,
                          "client_id": s.default_id, "client_secret": s.default_secret})
    check_token(s, res, s.default_id)


def test_a_default_client_takes_one_method_per_request(s):
    res = requests.post(s.token_url, data={"grant_type": "client_credentials",
                                           "audience": s.audience,
                                           "client_secret": s.default_secret},
                        auth=(s.default_id, s.default_secret), timeout=HTTP_TIMEOUT)
    assert_oauth_error(res, 400, "invalid_request", "exactly one client authentication method")
    wrong = requests.post(s.token_url, data={"grant_type": "client_credentials",
                                             "audience": s.audience},
                          auth=(s.default_id, "wrong"), timeout=HTTP_TIMEOUT)
    assert_oauth_error(wrong, 401, "invalid_client", basic_challenge=True)


@pytest.mark.parametrize("auth_method", [None, "client_secret_basic", "client_secret_post"])
def test_authlib_gets_client_credentials_tokens(s, auth_method):
    kwargs = {"token_endpoint_auth_method": auth_method} if auth_method else {}
    session = OAuth2Session(s.default_id, s.default_secret, **kwargs)
    try:
        token = session.fetch_token(s.token_url, grant_type="client_credentials",
                                    audience=s.audience, timeout=HTTP_TIMEOUT)
    finally:
        session.close()
    assert token["token_type"] == "Bearer"
    claims = verify_with_jwks(token["access_token"], s.server.jwks(), s.audience, s.server.issuer)
    assert claims["azp"] == s.default_id


def test_a_pinned_client_refuses_the_other_method_and_says_how_to_unpin(s):
    pinned = s.tenant.client(auth_method="client_secret_post")
    s.grant(pinned.client_id)
    s.tenant.sync()
    res = requests.post(s.token_url, data={"grant_type": "client_credentials",
                                           "audience": s.audience},
                        auth=(pinned.client_id, pinned.client_secret), timeout=HTTP_TIMEOUT)
    assert_oauth_error(res, 401, "invalid_client", "--auth-method client_secret_basic_or_post",
                       basic_challenge=True)


# --- private_key_jwt


def test_private_key_jwt_with_inline_keys(s):
    check_token(s, s.with_assertion(s.assertion(s.inline_id)), s.inline_id)
    rsa_assertion = s.assertion(s.inline_id, key=s.rsa_key, kid="rsa-1", alg="RS256")
    check_token(s, s.with_assertion(rsa_assertion), s.inline_id)
    # PS256 with the same RSA key: the key has no alg, so either RSA algorithm verifies.
    ps_assertion = s.assertion(s.inline_id, key=s.rsa_key, kid="rsa-1", alg="PS256")
    check_token(s, s.with_assertion(ps_assertion, client_id=s.inline_id), s.inline_id)
    # aud may be the issuer itself.
    check_token(s, s.with_assertion(s.assertion(s.inline_id, aud=s.server.issuer)), s.inline_id)


def test_private_key_jwt_with_a_jwks_uri_fetched_once(s):
    check_token(s, s.with_assertion(s.assertion(s.uri_id)), s.uri_id)
    fetched = s.key_server.fetches
    assert fetched >= 1
    check_token(s, s.with_assertion(s.assertion(s.uri_id)), s.uri_id)
    assert s.key_server.fetches == fetched  # cached


def test_a_replayed_assertion_is_refused(s):
    once = s.assertion(s.inline_id)
    check_token(s, s.with_assertion(once), s.inline_id)
    assert_oauth_error(s.with_assertion(once), 401, "invalid_client", "assertion already used")


@pytest.mark.parametrize("name, changes, expected", [
    ("wrong aud", {"aud": "https://elsewhere.example/oauth/token"}, "aud must hold"),
    ("expired", {"exp": int(time.time()) - 120, "iat": int(time.time()) - 180}, "expired"),
    ("exp an hour ahead", {"exp": int(time.time()) + 3600}, "short-lived"),
    ("no exp", {"exp": None}, "no exp claim"),
    ("no jti", {"jti": None}, "jti is required"),
    ("iss not the client", {"iss": "someone-else"}, "iss must be the client_id"),
    ("nbf ahead", {"nbf": int(time.time()) + 600}, "not valid yet"),
])
def test_an_assertion_breaking_a_rule_is_invalid_client(s, name, changes, expected):
    res = s.with_assertion(s.assertion(s.inline_id, **changes))
    assert_oauth_error(res, 401, "invalid_client", expected)


def test_sub_must_be_the_client(s):
    # sub names the client whose keys are tried: another private_key_jwt client's keys do not
    # verify this key's signature, and a client with a secret has no keys at all.
    other = s.assertion(s.inline_id, sub=s.uri_id, iss=s.uri_id, key=s.rsa_key, kid="rsa-1",
                        alg="RS256")
    assert_oauth_error(s.with_assertion(other), 401, "invalid_client", "no key of client")
    secret_client = s.assertion(s.default_id)
    assert_oauth_error(s.with_assertion(secret_client), 401, "invalid_client",
                       "does not authenticate with private_key_jwt")
    mismatch = s.assertion(s.inline_id)
    assert_oauth_error(s.with_assertion(mismatch, client_id=s.default_id), 400, "invalid_request",
                       "client_id in the body differs")


def test_alg_none_and_hmac_are_refused(s):
    unsigned = jwt.encode(s.claims(s.inline_id), None, algorithm="none")
    assert_oauth_error(s.with_assertion(unsigned), 401, "invalid_client", "alg none")
    for key in (s.default_secret, "any shared key at all, long enough for HS256"):
        hmac = jwt.encode(s.claims(s.inline_id), key, algorithm="HS256", headers={"kid": "ec-1"})
        assert_oauth_error(s.with_assertion(hmac), 401, "invalid_client", "HMAC")


def test_a_key_outside_the_jwks_is_refused(s):
    stranger = ec.generate_private_key(ec.SECP256R1())
    same_kid = s.assertion(s.inline_id, key=stranger, kid="ec-1")
    assert_oauth_error(s.with_assertion(same_kid), 401, "invalid_client",
                       "signature verification failed")
    other_kid = s.assertion(s.inline_id, key=stranger, kid="stranger")
    assert_oauth_error(s.with_assertion(other_kid), 401, "invalid_client", "no key of client")


def test_an_assertion_and_a_secret_together_are_refused(s):
    res = s.with_assertion(s.assertion(s.inline_id), client_secret="x")
    assert_oauth_error(res, 400, "invalid_request", "exactly one client authentication method")


def test_a_jwks_with_a_private_key_is_refused_at_registration(s, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    private = {**jwk_of(key, private=True), "kid": "leaked"}
    path = tmp_path / "private.json"
    path.write_text(json.dumps({"keys": [{**private, "kid": "leaked"}]}))
    res = run_cli(s.server.data_dir, "clients", "create", "--name", unique("leaky"),
                  "--auth-method", "private_key_jwt", "--jwks", str(path), check=False)
    assert res.returncode == 1, res.stdout
    assert "key 'leaked' of the JWKS holds the private member \"d\"" in res.stderr, res.stderr
    assert "signet:" in res.stderr and "Traceback" not in res.stderr


def test_a_used_assertion_stays_used_across_a_restart(start_serve, tmp_path):
    server = start_serve()
    s = Setup(server, tmp_path)
    try:
        once = s.assertion(s.inline_id, exp=int(time.time()) + 240)
        check_token(s, s.with_assertion(once), s.inline_id)
        port = server.port
        server.stop()
        server.start(port=port)  # the same issuer, so the assertion's aud still holds
        assert_oauth_error(s.with_assertion(once), 401, "invalid_client",
                           "assertion already used")
    finally:
        s.key_server.stop()


# --- public clients


def test_a_public_client_gets_no_password_or_client_credentials_tokens(s):
    spa = s.tenant.cli_json("clients", "create", "--name", unique("spa"), "--type", "spa",
                            "--callbacks", "http://localhost:3000/callback",
                            "--web-origins", "http://localhost:3000")
    assert spa["token_endpoint_auth_method"] == "none" and "client_secret" not in spa
    user = s.tenant.user(permissions={s.audience: SCOPES})
    s.tenant.sync()
    for form in ({"grant_type": "client_credentials"},
                 {"grant_type": "password", "username": user.email, "password": user.password}):
        res = s.server.token({**form, "client_id": spa["client_id"], "audience": s.audience})
        assert_oauth_error(res, 400, "unauthorized_client", "authorization code flow with PKCE")
