"""End-to-end tests of `signet api`, the quickstart's messages API, against a real test issuer.

Every test talks to real processes over real sockets on 127.0.0.1. Tests that only send requests
share one issuer and one signet (fixtures `shared_issuer` and `api`); tests that count the
issuer's requests or change its keys get their own (`make_issuer`, `start_signet`).
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import signal
import socket
import subprocess
import time
import uuid

import pytest
import requests

from conftest import HTTP_TIMEOUT, clean_env
from issuer import (ALGORITHMS, AUDIENCE, WELL_KNOWN_CONFIG, WELL_KNOWN_JWKS, Key, free_port,
                    hs256_confused_token, tamper_payload, truncate_signature,
                    unsigned_token)
from www_authenticate import parse_challenges

PUBLIC_MESSAGE = ("Hello from a public endpoint! You don't need to be authenticated to see this.")
PRIVATE_MESSAGE = ("Hello from a private endpoint! You need to be authenticated to see this.")
SCOPED_MESSAGE = ("Hello from a private endpoint! You need to be authenticated and have a scope "
                  "of read:messages to see this.")

NO_TOKEN_BODY = {"error": "unauthorized",
                 "error_description": "send an access token: Authorization: Bearer <token>"}
KEYS_UNAVAILABLE_BODY = {
    "error": "temporarily_unavailable",
    "error_description": "the issuer's signing keys could not be fetched; try again shortly"}
KID_UNKNOWN = "no published signing key matches the token kid"
APP_ORIGIN = "http://localhost:3000"  # signet api's default --cors-origin
# The DPoP challenge that follows the Bearer one (RFC 9449 §7.1; signet api's default --dpop allow).
DPOP_CHALLENGE = {"realm": "signet", "algs": "ES256 EdDSA RS256 PS256"}
NO_TOKEN_CHALLENGE = 'Bearer realm="signet", DPoP realm="signet", algs="ES256 EdDSA RS256 PS256"'


# --- helpers


def get(url: str, token: str | None = None, **headers) -> requests.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(url, headers=headers, timeout=HTTP_TIMEOUT)


def raw_get(port: int, target: str, headers: list[tuple[str, str]]) -> tuple[int, dict, bytes]:
    """A GET with exactly these header lines, repeated names kept (requests would merge them)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        conn.putrequest("GET", target)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        res = conn.getresponse()
        body = res.read()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, body
    finally:
        conn.close()


def assert_message(res: requests.Response, text: str, no_store: bool = True):
    assert res.status_code == 200, res.text
    assert res.headers["Content-Type"] == "application/json"
    assert res.json() == {"message": text}
    if no_store:
        assert res.headers.get("Cache-Control") == "no-store"
    assert "WWW-Authenticate" not in res.headers


def assert_refusal(status: int, headers: dict, body: bytes | str, expected_status: int,
                   error: str, description: str | None = None, scope: str | None = None):
    """A guard refusal: status, JSON {"error", "error_description"}, Cache-Control: no-store,
    and (except 503) an RFC 6750 challenge that agrees with the body, then the DPoP one."""
    headers = {k.lower(): v for k, v in headers.items()}
    assert status == expected_status, body
    assert headers.get("content-type") == "application/json"
    assert headers.get("cache-control") == "no-store"
    doc = json.loads(body)
    assert set(doc) == {"error", "error_description"}, doc
    assert doc["error"] == error
    assert isinstance(doc["error_description"], str) and doc["error_description"]
    if description is not None:
        assert doc["error_description"] == description
    if expected_status == 503:
        assert "www-authenticate" not in headers
        assert headers.get("retry-after") == "5"
        return doc
    expected = {"realm": "signet", "error": error,
                "error_description": doc["error_description"]}
    if scope is not None:
        expected["scope"] = scope
    assert parse_challenges(headers["www-authenticate"]) == [("Bearer", expected),
                                                            ("DPoP", DPOP_CHALLENGE)]
    return doc


def assert_invalid_token(res: requests.Response, description: str | None = None):
    return assert_refusal(res.status_code, dict(res.headers), res.content, 401, "invalid_token",
                          description)


def assert_keys_unavailable(res: requests.Response):
    assert_refusal(res.status_code, dict(res.headers), res.content, 503,
                   "temporarily_unavailable", KEYS_UNAVAILABLE_BODY["error_description"])
    assert res.json() == KEYS_UNAVAILABLE_BODY


def wait_for(predicate, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --- the quickstart: /api/public, /api/private, /api/private-scoped


def test_public_needs_no_token(api):
    assert_message(get(api.url("/api/public")), PUBLIC_MESSAGE, no_store=False)


def test_healthz(api):
    res = get(api.url("/healthz"))
    assert res.status_code == 200
    assert res.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/api/private", "/api/private-scoped"])
def test_private_without_token_is_challenged_without_error(api, path):
    res = get(api.url(path))
    assert res.status_code == 401
    assert res.headers["WWW-Authenticate"] == NO_TOKEN_CHALLENGE
    assert "error=" not in res.headers["WWW-Authenticate"]
    assert res.headers["Cache-Control"] == "no-store"
    assert res.headers["Content-Type"] == "application/json"
    assert res.json() == NO_TOKEN_BODY


def test_other_authorization_scheme_is_no_token(api, shared_issuer):
    # Basic offers no bearer credentials at all: challenged like a request without a token.
    res = get(api.url("/api/private"), Authorization="Basic dXNlcjpwd2Q=")
    assert res.status_code == 401
    assert res.headers["WWW-Authenticate"] == NO_TOKEN_CHALLENGE
    assert res.json() == NO_TOKEN_BODY


def test_private_with_valid_token(api, shared_issuer):
    assert_message(get(api.url("/api/private"), shared_issuer.mint("RS256")), PRIVATE_MESSAGE)


def test_bearer_scheme_is_case_insensitive(api, shared_issuer):
    token = shared_issuer.mint("RS256")
    res = get(api.url("/api/private"), Authorization=f"bearer {token}")
    assert_message(res, PRIVATE_MESSAGE)


def test_scoped_with_scope(api, shared_issuer):
    token = shared_issuer.mint("RS256", shared_issuer.claims(scope="openid read:messages"))
    assert_message(get(api.url("/api/private-scoped"), token), SCOPED_MESSAGE)


def test_scoped_with_auth0_rbac_permissions(api, shared_issuer):
    token = shared_issuer.mint("RS256", shared_issuer.claims(permissions=["read:messages"]))
    assert_message(get(api.url("/api/private-scoped"), token), SCOPED_MESSAGE)


@pytest.mark.parametrize("claims", [
    {},
    {"scope": "openid profile"},
    {"scope": "read:messages:all write:messages"},  # scopes match whole words only
    {"scope": "READ:MESSAGES"},                      # and case-sensitively
    {"permissions": ["write:messages"]},
], ids=["no-scope", "other-scopes", "prefix-scope", "upper-case", "other-permission"])
def test_scoped_without_scope_is_forbidden(api, shared_issuer, claims):
    token = shared_issuer.mint("RS256", shared_issuer.claims(**claims))
    res = get(api.url("/api/private-scoped"), token)
    doc = assert_refusal(res.status_code, dict(res.headers), res.content, 403,
                         "insufficient_scope", "the token lacks the scope read:messages",
                         scope="read:messages")
    assert doc == {"error": "insufficient_scope",
                   "error_description": "the token lacks the scope read:messages"}
    # The same token is good enough for the endpoint that needs no scope.
    assert_message(get(api.url("/api/private"), token), PRIVATE_MESSAGE)


# --- token shapes and algorithms


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_every_algorithm_is_accepted(api, shared_issuer, alg):
    token = shared_issuer.mint(alg, shared_issuer.claims(scope="read:messages"))
    assert_message(get(api.url("/api/private"), token), PRIVATE_MESSAGE)
    assert_message(get(api.url("/api/private-scoped"), token), SCOPED_MESSAGE)


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt"])
def test_rfc9068_access_token_is_accepted(api, shared_issuer, typ):
    # The shape node-oidc-provider issues: typ at+jwt, client_id, no azp or gty.
    now = int(time.time())
    claims = {"iss": shared_issuer.url, "sub": "user-42", "aud": AUDIENCE, "exp": now + 600,
              "iat": now, "jti": uuid.uuid4().hex, "client_id": "spa-client",
              "scope": "openid read:messages"}
    token = shared_issuer.mint("ES256", claims, typ=typ)
    assert_message(get(api.url("/api/private-scoped"), token), SCOPED_MESSAGE)


def test_token_without_typ_is_accepted(api, shared_issuer):
    assert_message(get(api.url("/api/private"), shared_issuer.mint("RS256", typ=None)),
                   PRIVATE_MESSAGE)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_token_without_kid_when_one_key_fits(api, shared_issuer, alg):
    # Only one published key can verify this algorithm, so the missing kid is not ambiguous.
    assert_message(get(api.url("/api/private"), shared_issuer.mint(alg, with_kid=False)),
                   PRIVATE_MESSAGE)


def test_keycloak_shaped_token_is_accepted(api, shared_issuer):
    now = int(time.time())
    claims = {
        "exp": now + 300, "iat": now, "auth_time": now - 10, "jti": str(uuid.uuid4()),
        "iss": shared_issuer.url, "aud": [AUDIENCE, "account"], "sub": str(uuid.uuid4()),
        "typ": "Bearer", "azp": "quickstart", "session_state": str(uuid.uuid4()), "acr": "1",
        "allowed-origins": [APP_ORIGIN],
        "realm_access": {"roles": ["offline_access", "uma_authorization"]},
        "resource_access": {"account": {"roles": ["manage-account", "view-profile"]}},
        "scope": "openid email profile read:messages", "sid": str(uuid.uuid4()),
        "email_verified": False, "preferred_username": "alice",
    }
    token = shared_issuer.mint("RS256", claims)
    assert_message(get(api.url("/api/private-scoped"), token), SCOPED_MESSAGE)


# --- refusals: 401 invalid_token


def _now() -> int:
    return int(time.time())


# id -> (token factory taking the issuer, the exact error_description or a function of the issuer
# that gives it)
REFUSED_TOKENS = {
    "expired": (lambda i: i.mint("RS256", i.claims(iat=_now() - 3720, exp=_now() - 120)),
                "the token has expired"),
    "nbf-in-future": (lambda i: i.mint("RS256", i.claims(nbf=_now() + 600)),
                      "the token is not valid yet (nbf)"),
    "iat-in-future": (lambda i: i.mint("RS256", i.claims(iat=_now() + 600)),
                      "the token was issued in the future (iat)"),
    "missing-exp": (lambda i: i.mint("RS256", i.claims(exp=None)), "the token has no exp claim"),
    "wrong-iss": (lambda i: i.mint("RS256", i.claims(iss="https://evil.example/")),
                  lambda i: f"token issuer 'https://evil.example/' is not the expected '{i.url}'"),
    "iss-without-trailing-slash": (
        lambda i: i.mint("RS256", i.claims(iss=i.url.rstrip("/"))),
        lambda i: (f"token issuer '{i.url.rstrip('/')}' is not the expected '{i.url}' "
                   "(note the trailing slash)")),
    "missing-iss": (lambda i: i.mint("RS256", i.claims(iss=None)), "the token has no iss claim"),
    "wrong-aud": (lambda i: i.mint("RS256", i.claims(aud="https://other/api")),
                  f"token audience ['https://other/api'] does not include the expected "
                  f"'{AUDIENCE}'"),
    "aud-with-trailing-slash": (lambda i: i.mint("RS256", i.claims(aud=AUDIENCE + "/")),
                                f"token audience ['{AUDIENCE}/'] does not include the expected "
                                f"'{AUDIENCE}'"),
    "aud-array-without-ours": (lambda i: i.mint("RS256", i.claims(aud=["account", "other"])),
                               "token audience ['account', 'other'] does not include the "
                               f"expected '{AUDIENCE}'"),
    "hostile-aud": (lambda i: i.mint("RS256", i.claims(aud=['x"\r\nSet-Cookie: a=b', "y" * 500])),
                    "token audience ['x???Set-Cookie: a=b', '" + "y" * 100 + "...'] does not "
                    f"include the expected '{AUDIENCE}'"),
    "missing-aud": (lambda i: i.mint("RS256", i.claims(aud=None)), "the token has no aud claim"),
    "scope-not-a-string": (lambda i: i.mint("RS256", i.claims(scope=["read:messages"])),
                           "the scope claim must be a string"),
    "alg-none": (lambda i: unsigned_token(i.claims()), "the token is not signed"),
    "alg-none-with-signature": (lambda i: unsigned_token(i.claims(), signature="c2ln"),
                                "unsigned tokens (alg none) are not accepted"),
    "hs256-with-public-key-as-secret": (
        lambda i: hs256_confused_token(i.claims(), i.key("RS256")),
        "HMAC algorithms are not accepted"),
    "published-kid-other-key": (lambda i: i.mint("RS256", kid=i.key("RS256").kid,
                                                 key=Key("RS256")),
                                "signature verification failed"),
    "published-kid-other-alg": (lambda i: i.mint("PS256", kid=i.key("RS256").kid,
                                                 key=i.key("RS256")),
                                "signing algorithm does not match the key"),
    "tampered-payload": (lambda i: tamper_payload(i.mint("RS256"), sub="admin@clients",
                                                  scope="read:messages"),
                         "signature verification failed"),
    "truncated-signature": (lambda i: truncate_signature(i.mint("ES256")),
                            "signature has the wrong length"),
    "unknown-typ": (lambda i: i.mint("RS256", typ="dpop+jwt"), "the token typ is not accepted"),
    "jku-header": (lambda i: i.mint("RS256", headers={"jku": "https://evil.example/jwks"}),
                   "the jku header is not accepted"),
    "garbage": (lambda i: "abc", "the token must have exactly three segments"),
    "9-KiB-token": (lambda i: i.mint("RS256", i.claims(pad="x" * 9 * 1024)),
                    "the token is too large"),
}


@pytest.mark.parametrize("case", list(REFUSED_TOKENS))
def test_bad_token_is_refused(api, shared_issuer, case):
    make, description = REFUSED_TOKENS[case]
    if callable(description):
        description = description(shared_issuer)
    token = make(shared_issuer)
    if case == "9-KiB-token":
        assert 9 * 1024 < len(token) < 16 * 1024
    res = get(api.url("/api/private"), token)
    assert_invalid_token(res, description)
    # Refused the same way a second time: a refusal is not cached into an acceptance.
    assert_invalid_token(get(api.url("/api/private-scoped"), token), description)


# --- refusals: 400 invalid_request


def test_two_authorization_headers(api, shared_issuer):
    token = shared_issuer.mint("RS256")
    status, headers, body = raw_get(api.port, "/api/private",
                                    [("Authorization", f"Bearer {token}"),
                                     ("Authorization", f"Bearer {token}")])
    assert_refusal(status, headers, body, 400, "invalid_request",
                   "send the access token by exactly one method, once")


def test_token_in_query_is_refused(api, shared_issuer):
    token = shared_issuer.mint("RS256")
    res = get(api.url(f"/api/private?access_token={token}"))
    assert_refusal(res.status_code, dict(res.headers), res.content, 400, "invalid_request",
                   "access tokens in the query string are not accepted; "
                   "use the Authorization header")


def test_token_in_query_and_header_is_refused(api, shared_issuer):
    token = shared_issuer.mint("RS256")
    res = get(api.url(f"/api/private?access_token={token}"), token)
    assert_refusal(res.status_code, dict(res.headers), res.content, 400, "invalid_request",
                   "send the access token by exactly one method, once")


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer    ", "Bearer a b",
                                   "Bearer ey.J\u00e9"])
def test_malformed_bearer_header(api, value):
    status, headers, body = raw_get(api.port, "/api/private",
                                    [("Authorization", value.encode("utf-8").decode("latin-1"))])
    assert_refusal(status, headers, body, 400, "invalid_request",
                   "the Authorization header must be: Bearer <token> or DPoP <token>")


# --- HTTP surface: CORS, 404, 405


def test_cors_preflight_from_allowed_origin(api):
    res = requests.options(api.url("/api/private"), timeout=HTTP_TIMEOUT, headers={
        "Origin": APP_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert res.status_code == 204
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    allowed_headers = [h.strip().lower()
                       for h in res.headers["Access-Control-Allow-Headers"].split(",")]
    assert "authorization" in allowed_headers
    methods = [m.strip() for m in res.headers["Access-Control-Allow-Methods"].split(",")]
    assert "GET" in methods
    assert "Origin" in res.headers.get("Vary", "")
    assert res.content == b""


def test_cors_preflight_from_other_origin_gets_no_grant(api):
    res = requests.options(api.url("/api/private"), timeout=HTTP_TIMEOUT, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert res.status_code == 204
    assert not [h for h in res.headers if h.lower().startswith("access-control-")]


@pytest.mark.parametrize("path", ["/api/public", "/api/private"])
def test_cors_on_simple_requests(api, shared_issuer, path):
    token = shared_issuer.mint("RS256")
    ok = get(api.url(path), token, Origin=APP_ORIGIN)
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "Origin" in ok.headers["Vary"]
    other = get(api.url(path), token, Origin="http://localhost:3001")
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_on_refusal_so_the_browser_can_read_it(api):
    res = get(api.url("/api/private"), Origin=APP_ORIGIN)
    assert res.status_code == 401
    assert res.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


def test_cors_origin_flag_replaces_the_default(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer, "--cors-origin", "https://app.example",
                          "--cors-origin", "https://admin.example")
    for origin in ("https://app.example", "https://admin.example"):
        res = get(signet.url("/api/public"), Origin=origin)
        assert res.headers["Access-Control-Allow-Origin"] == origin
    res = get(signet.url("/api/public"), Origin=APP_ORIGIN)
    assert "Access-Control-Allow-Origin" not in res.headers


def test_cors_any_origin(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer, "--cors-origin", "*")
    res = requests.options(signet.url("/api/private-scoped"), timeout=HTTP_TIMEOUT, headers={
        "Origin": "https://anywhere.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert res.status_code == 204
    assert res.headers["Access-Control-Allow-Origin"] == "https://anywhere.example"


def test_unknown_path_is_404_json(api):
    res = get(api.url("/api/nope"))
    assert res.status_code == 404
    assert res.headers["Content-Type"] == "application/json"
    assert res.json() == {"error": "not_found",
                          "error_description": "no resource at this path; check the URL"}


def test_post_to_public_is_405_with_allow(api):
    res = requests.post(api.url("/api/public"), data="{}", timeout=HTTP_TIMEOUT,
                        headers={"Content-Type": "application/json"})
    assert res.status_code == 405
    assert res.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert res.headers["Content-Type"] == "application/json"
    assert res.json() == {
        "error": "method_not_allowed",
        "error_description": "POST is not allowed here; use one of: GET, HEAD, OPTIONS"}


# --- where the keys come from: discovery, fallback, --jwks-uri


def test_discovery_then_jwks(make_issuer, start_signet):
    issuer = make_issuer()
    issuer.jwks_path = "/oauth/keys"  # only the discovery document knows this path
    signet = start_signet(issuer)
    assert issuer.counts() == {WELL_KNOWN_CONFIG: 1, "/oauth/keys": 1}
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)
    assert issuer.counts() == {WELL_KNOWN_CONFIG: 1, "/oauth/keys": 1}


def test_discovery_404_falls_back_to_well_known_jwks(make_issuer, start_signet):
    issuer = make_issuer()
    issuer.discovery = False
    signet = start_signet(issuer)
    assert issuer.counts() == {WELL_KNOWN_CONFIG: 1, WELL_KNOWN_JWKS: 1}
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)


def test_discovery_naming_another_issuer_is_not_followed(make_issuer, start_signet):
    # OpenID Connect Discovery §4.3: a document whose issuer differs must not choose our keys.
    issuer = make_issuer()
    issuer.discovery_issuer = "https://evil.example/"
    issuer.jwks_path = "/evil/keys"
    signet = start_signet(issuer)
    assert issuer.count("/evil/keys") == 0
    assert issuer.counts() == {WELL_KNOWN_CONFIG: 1, WELL_KNOWN_JWKS: 1}
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)


def test_jwks_uri_flag_skips_discovery(make_issuer, start_signet):
    issuer = make_issuer()
    issuer.jwks_path = "/oauth/keys"
    signet = start_signet(issuer, "--jwks-uri", issuer.url_of("/oauth/keys"))
    assert issuer.counts() == {"/oauth/keys": 1}
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)
    assert issuer.counts() == {"/oauth/keys": 1}


# --- key rotation, unknown kids, an unreachable issuer


def test_rotated_key_is_fetched_once(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer)
    before = issuer.count(WELL_KNOWN_JWKS)
    assert before == 1
    old = issuer.key("RS256")
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)
    assert issuer.count(WELL_KNOWN_JWKS) == before

    new = issuer.rotate("RS256")
    assert new.kid != old.kid
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)
    assert issuer.count(WELL_KNOWN_JWKS) == before + 1
    # More tokens under the new kid, and fresh ones under the old (still published) kid: no fetch.
    for _ in range(3):
        assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)
        assert_message(get(signet.url("/api/private"), issuer.mint(key=old)), PRIVATE_MESSAGE)
    assert issuer.count(WELL_KNOWN_JWKS) == before + 1
    # Two RS256 keys now: a token without kid is ambiguous, and no reason to fetch.
    assert_invalid_token(get(signet.url("/api/private"), issuer.mint(with_kid=False)),
                         "the token has no kid")
    assert issuer.count(WELL_KNOWN_JWKS) == before + 1


def test_requests_for_a_kid_being_fetched_wait_for_that_fetch(make_issuer, start_signet):
    # Coalescing: while one request refetches the JWKS for a new kid, others carrying the same
    # (valid) kid should wait for that fetch, not be told their good token is invalid.
    issuer = make_issuer()
    signet = start_signet(issuer, "--threads", "8")
    issuer.rotate("RS256")
    issuer.jwks_delay = 1.5  # a slow issuer makes the refetch window wide enough to hit
    tokens = [issuer.mint() for _ in range(6)]

    def call(token):
        with requests.get(signet.url("/api/private"), timeout=HTTP_TIMEOUT,
                          headers={"Authorization": f"Bearer {token}"}) as res:
            return res.status_code, res.content

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        first = pool.submit(call, tokens[0])
        wait_for(lambda: issuer.count(WELL_KNOWN_JWKS) == 2, what="the refetch to start")
        rest = [pool.submit(call, t) for t in tokens[1:]]
        results = [first.result()] + [f.result() for f in rest]
    assert issuer.count(WELL_KNOWN_JWKS) == 2
    assert [status for status, _ in results] == [200] * len(tokens), results


def test_retired_key_is_refused_after_refetch_even_when_cached(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer)
    old = issuer.key("RS256")
    cached = issuer.mint()
    assert_message(get(signet.url("/api/private"), cached), PRIVATE_MESSAGE)  # now in the cache

    issuer.rotate("RS256", retire_old=True)
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)
    assert issuer.count(WELL_KNOWN_JWKS) == 2
    assert_invalid_token(get(signet.url("/api/private"), issuer.mint(key=old)), KID_UNKNOWN)
    assert_invalid_token(get(signet.url("/api/private"), cached), KID_UNKNOWN)
    assert issuer.count(WELL_KNOWN_JWKS) == 2  # within the cooldown: no more fetches


def test_flood_of_unknown_kids_costs_at_most_one_fetch(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer)
    before = issuer.count(WELL_KNOWN_JWKS)
    tokens = [issuer.mint(kid=f"random-{uuid.uuid4().hex}") for _ in range(200)]

    def call(token):
        with requests.get(signet.url("/api/private"), timeout=HTTP_TIMEOUT,
                          headers={"Authorization": f"Bearer {token}"}) as res:
            return res.status_code, dict(res.headers), res.content

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, tokens))
    for status, headers, body in results:
        assert_refusal(status, headers, body, 401, "invalid_token", KID_UNKNOWN)
    assert issuer.count(WELL_KNOWN_JWKS) <= before + 1
    assert issuer.count(WELL_KNOWN_CONFIG) == 1  # the jwks_uri found at start is remembered
    # Real tokens still pass.
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)


def test_cached_keys_survive_an_unreachable_issuer(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer)
    seen = issuer.mint()
    assert_message(get(signet.url("/api/private"), seen), PRIVATE_MESSAGE)

    issuer.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(issuer.url_of(WELL_KNOWN_JWKS), timeout=5)
    assert_message(get(signet.url("/api/private"), seen), PRIVATE_MESSAGE)
    # Never seen before, so only the cached key (not the token cache) can accept it.
    fresh = issuer.mint(claims=issuer.claims(scope="read:messages"))
    assert_message(get(signet.url("/api/private-scoped"), fresh), SCOPED_MESSAGE)
    # An unknown kid cannot be looked up now: refused as such, and the API keeps serving.
    assert_invalid_token(get(signet.url("/api/private"), issuer.mint(kid="rotated-meanwhile")),
                         KID_UNKNOWN)
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)

    issuer.restart()
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)


@pytest.mark.parametrize("cache_control", ["no-store", "max-age=1"])
def test_short_jwks_max_age_does_not_cause_hammering(make_issuer, start_signet, cache_control):
    # A max-age below the 60 s minimum is raised to it: seconds later, still one fetch.
    issuer = make_issuer()
    issuer.cache_control = cache_control
    signet = start_signet(issuer)
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)
        time.sleep(0.1)
    assert issuer.count(WELL_KNOWN_JWKS) == 1


def test_failing_jwks_is_retried_only_after_cooldown(make_issuer, start_signet):
    issuer = make_issuer()
    issuer.jwks_status = 500
    signet = start_signet(issuer)
    assert issuer.count(WELL_KNOWN_JWKS) == 1
    for _ in range(30):
        assert_keys_unavailable(get(signet.url("/api/private"), issuer.mint()))
    assert issuer.count(WELL_KNOWN_JWKS) == 1  # a dead issuer does not cost a fetch per request


def test_slow_refetch_does_not_stall_other_requests(make_issuer, start_signet):
    # One unknown kid against a slow issuer blocks whatever thread runs the refetch; with one
    # worker thread that must not be every request of the API.
    issuer = make_issuer()
    signet = start_signet(issuer, "--threads", "1")
    issuer.jwks_delay = 4.0  # below signet's 5 s fetch timeout

    def unknown_kid():
        return get(signet.url("/api/private"), issuer.mint(kid="not-yet-published")).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(unknown_kid)
        wait_for(lambda: issuer.count(WELL_KNOWN_JWKS) == 2, what="the refetch to start")
        started = time.monotonic()
        public = get(signet.url("/api/public"))
        elapsed = time.monotonic() - started
        assert pending.result() == 401
    assert_message(public, PUBLIC_MESSAGE, no_store=False)
    assert elapsed < 2.0, f"/api/public waited {elapsed:.1f} s for the JWKS refetch"


def test_issuer_down_at_start_gives_503(make_issuer, start_signet):
    issuer = make_issuer()
    issuer.stop()
    signet = start_signet(issuer)
    assert "could not fetch the issuer's signing keys yet" in signet.stderr_text()
    assert_message(get(signet.url("/api/public")), PUBLIC_MESSAGE, no_store=False)
    assert_keys_unavailable(get(signet.url("/api/private"), issuer.mint()))
    # No token at all is still a plain challenge: the keys are not needed to say that.
    res = get(signet.url("/api/private"))
    assert res.status_code == 401 and res.json() == NO_TOKEN_BODY


# --- HTTPS issuer


def test_https_issuer_with_ca_file(make_issuer, start_signet):
    issuer = make_issuer(https=True)
    signet = start_signet(issuer, "--ca-file", issuer.tls.ca_file)
    assert issuer.count(WELL_KNOWN_CONFIG) == 1
    assert issuer.count(WELL_KNOWN_JWKS) == 1
    token = issuer.mint(claims=issuer.claims(scope="read:messages"))
    assert_message(get(signet.url("/api/private-scoped"), token), SCOPED_MESSAGE)


def test_https_issuer_pointing_to_plain_http_keys_is_not_followed(make_issuer, start_signet):
    # Keys of an HTTPS issuer fetched over plain HTTP could be swapped by anyone on the path.
    plain = make_issuer()
    issuer = make_issuer(https=True)
    issuer.jwks_uri = plain.url_of(WELL_KNOWN_JWKS)
    signet = start_signet(issuer, "--ca-file", issuer.tls.ca_file)
    assert plain.count(WELL_KNOWN_JWKS) == 0
    assert issuer.count(WELL_KNOWN_JWKS) == 1  # the fallback on the issuer's own host
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)


def test_https_issuer_not_trusted_by_system_store(make_issuer, start_signet):
    issuer = make_issuer(https=True)
    signet = start_signet(issuer)  # no --ca-file, SSL_CERT_* removed: the system store
    assert issuer.count(WELL_KNOWN_JWKS) == 0
    wait_for(lambda: issuer.count("<tls handshake failed>") >= 1, what="a refused handshake")
    log = signet.stderr_text()
    assert "could not fetch the issuer's signing keys yet" in log
    assert "certificate" in log
    assert_keys_unavailable(get(signet.url("/api/private"), issuer.mint()))


def test_https_issuer_certificate_for_another_name(make_issuer, start_signet):
    # Trusted CA, but the certificate names another host: the keys must not be used.
    issuer = make_issuer(https=True, tls_names=("issuer.example",))
    signet = start_signet(issuer, "--ca-file", issuer.tls.ca_file)
    assert issuer.count(WELL_KNOWN_JWKS) == 0
    assert_keys_unavailable(get(signet.url("/api/private"), issuer.mint()))


def test_serving_https(make_issuer, start_signet, tmp_path):
    from issuer import TlsFiles
    issuer = make_issuer()
    tls = TlsFiles(str(tmp_path / "api-tls"))
    signet = start_signet(issuer, "--tls-cert", tls.cert_file, "--tls-key", tls.key_file,
                          verify=tls.ca_file)
    token = issuer.mint(claims=issuer.claims(scope="read:messages"))
    res = requests.get(signet.url("/api/private-scoped"), timeout=HTTP_TIMEOUT, verify=tls.ca_file,
                       headers={"Authorization": f"Bearer {token}"})
    assert_message(res, SCOPED_MESSAGE)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{signet.port}/api/public", timeout=5)


def test_tls_cert_without_key_is_an_error(binary, make_issuer, tmp_path):
    from issuer import TlsFiles
    issuer = make_issuer()
    tls = TlsFiles(str(tmp_path / "api-tls"))
    res = subprocess.run([binary, "api", "--issuer", issuer.url, "--audience", AUDIENCE,
                          "--tls-cert", tls.cert_file, "--listen", f"127.0.0.1:{free_port()}"],
                         env=clean_env(), capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    assert "--tls-key" in res.stderr + res.stdout


# --- configuration: environment, help, errors


def test_environment_instead_of_flags(make_issuer, start_signet):
    issuer = make_issuer()
    env = clean_env(SIGNET_ISSUER=issuer.url, SIGNET_AUDIENCE=f"https://other/api,{AUDIENCE}")
    signet = start_signet(args=["api"], env=env, listen="env")
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)
    other = issuer.mint(claims=issuer.claims(aud="https://other/api"))
    assert_message(get(signet.url("/api/private"), other), PRIVATE_MESSAGE)


def test_flags_take_precedence_over_environment(make_issuer, start_signet):
    issuer = make_issuer()
    env = clean_env(SIGNET_ISSUER="http://127.0.0.1:9/", SIGNET_AUDIENCE="https://other/api")
    signet = start_signet(issuer, env=env)
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)
    other = issuer.mint(claims=issuer.claims(aud="https://other/api"))
    assert_invalid_token(get(signet.url("/api/private"), other),
                         "token audience ['https://other/api'] does not include the expected "
                         f"'{AUDIENCE}'")


def test_help_mentions_every_flag(binary):
    res = subprocess.run([binary, "api", "--help"], env=clean_env(), capture_output=True,
                         text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    for flag in ["--issuer", "--audience", "--listen", "--jwks-uri", "--ca-file", "--cors-origin",
                 "--tls-cert", "--tls-key", "--alg", "--leeway", "--strict-typ",
                 "--no-token-cache", "--no-access-log", "--threads", "--required-scope"]:
        assert flag in res.stdout, flag
        env_name = "SIGNET_" + flag[2:].upper().replace("-", "_")
        if flag == "--alg":
            env_name = "SIGNET_ALGORITHMS"
        assert env_name in res.stdout, env_name


def test_missing_issuer_is_an_error_naming_it(binary):
    res = subprocess.run([binary, "api", "--audience", AUDIENCE, "--listen",
                          f"127.0.0.1:{free_port()}"], env=clean_env(), capture_output=True,
                         text=True, timeout=30)
    assert res.returncode != 0
    assert "--issuer" in res.stderr + res.stdout


def test_busy_port_is_an_error_naming_it(binary, make_issuer):
    issuer = make_issuer()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = subprocess.run([binary, "api", "--issuer", issuer.url, "--audience", AUDIENCE,
                              "--listen", f"127.0.0.1:{port}"], env=clean_env(),
                             capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in res.stderr
    assert "Address already in use" in res.stderr


def test_listen_without_port_is_an_error(binary, make_issuer):
    issuer = make_issuer()
    res = subprocess.run([binary, "api", "--issuer", issuer.url, "--audience", AUDIENCE,
                          "--listen", "127.0.0.1"], env=clean_env(), capture_output=True,
                         text=True, timeout=30)
    assert res.returncode != 0
    assert "127.0.0.1:3010" in res.stderr  # the message shows the expected form


def test_unsupported_algorithm_flag_is_an_error(binary, make_issuer):
    issuer = make_issuer()
    res = subprocess.run([binary, "api", "--issuer", issuer.url, "--audience", AUDIENCE,
                          "--alg", "HS256", "--listen", f"127.0.0.1:{free_port()}"],
                         env=clean_env(), capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    assert "HS256" in res.stderr + res.stdout


def test_algorithm_flag_limits_what_is_accepted(make_issuer, start_signet):
    issuer = make_issuer(algorithms=("RS256", "ES256"))
    signet = start_signet(issuer, "--algorithm", "ES256")  # the name before --alg still works
    assert_message(get(signet.url("/api/private"), issuer.mint("ES256")), PRIVATE_MESSAGE)
    assert_invalid_token(get(signet.url("/api/private"), issuer.mint("RS256")),
                         "signing algorithm not allowed")


def test_leeway_flag(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer, "--leeway", "120")
    now = int(time.time())
    late = issuer.mint(claims=issuer.claims(iat=now - 3600, exp=now - 30))
    assert_message(get(signet.url("/api/private"), late), PRIVATE_MESSAGE)
    early = issuer.mint(claims=issuer.claims(nbf=now + 30))
    assert_message(get(signet.url("/api/private"), early), PRIVATE_MESSAGE)
    too_late = issuer.mint(claims=issuer.claims(iat=now - 3600, exp=now - 600))
    assert_invalid_token(get(signet.url("/api/private"), too_late), "the token has expired")


def test_strict_typ(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer, "--strict-typ")
    assert_message(get(signet.url("/api/private"), issuer.mint(typ="at+jwt")), PRIVATE_MESSAGE)
    assert_invalid_token(get(signet.url("/api/private"), issuer.mint(typ="JWT")),
                         "the token typ is not accepted")
    assert_invalid_token(get(signet.url("/api/private"), issuer.mint(typ=None)),
                         "the token typ is not accepted")


def test_required_scope_flag(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer, "--required-scope", "write:messages")
    writer = issuer.mint(claims=issuer.claims(scope="write:messages"))
    assert_message(get(signet.url("/api/private-scoped"), writer),
                   "Hello from a private endpoint! You need to be authenticated and have a scope "
                   "of write:messages to see this.")
    reader = issuer.mint(claims=issuer.claims(scope="read:messages"))
    res = get(signet.url("/api/private-scoped"), reader)
    assert_refusal(res.status_code, dict(res.headers), res.content, 403, "insufficient_scope",
                   "the token lacks the scope write:messages", scope="write:messages")
    assert_message(get(signet.url("/api/private"), reader), PRIVATE_MESSAGE)


@pytest.mark.parametrize("scope", ["read:messages write:messages", 'read"messages', ""])
def test_required_scope_must_be_one_scope(binary, make_issuer, scope):
    issuer = make_issuer()
    res = subprocess.run([binary, "api", "--issuer", issuer.url, "--audience", AUDIENCE,
                          "--listen", f"127.0.0.1:{free_port()}", "--required-scope", scope],
                         env=clean_env(), capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    assert "--required-scope" in res.stderr
    assert "is not one scope" in res.stderr


def log_lines(signet) -> list[dict]:
    return [json.loads(line) for line in signet.stderr_text().splitlines() if line.strip()]


def started_log(signet) -> list[dict]:
    """The log lines up to and including "messages API listening", which comes after the start-up
    checks."""
    wait_for(lambda: any(l.get("msg") == "messages API listening" for l in log_lines(signet)),
             what="the listening log line")
    return log_lines(signet)


def test_issuer_agreeing_with_its_metadata_gives_no_warning(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer)
    assert [l for l in started_log(signet) if l.get("level", "info") != "info"] == []


def test_issuer_differing_from_its_metadata_is_a_warning_naming_both(make_issuer, start_signet):
    issuer = make_issuer()
    bare = issuer.url.rstrip("/")
    signet = start_signet(args=["api", "--issuer", bare, "--audience", AUDIENCE])
    warnings = [l for l in started_log(signet) if l.get("metadata_issuer")]
    assert len(warnings) == 1, warnings
    w = warnings[0]
    assert w["level"] == "warn"
    assert w["issuer"] == bare and w["metadata_issuer"] == issuer.url
    assert w["metadata_url"] == issuer.url_of(WELL_KNOWN_CONFIG)
    assert f"set --issuer '{issuer.url}'" in w["msg"] and "(note the trailing slash)" in w["msg"]
    # Not fatal: the keys come from {issuer}/.well-known/jwks.json, and tokens are refused naming
    # the slash.
    assert_invalid_token(get(signet.url("/api/private"), issuer.mint()),
                         f"token issuer '{issuer.url}' is not the expected '{bare}' (note the "
                         "trailing slash)")


def test_unreadable_metadata_is_a_warning_not_fatal(make_issuer, start_signet):
    issuer = make_issuer()
    issuer.discovery = False  # the discovery document answers 404
    signet = start_signet(issuer)
    warnings = [l for l in started_log(signet) if l.get("level") == "warn"]
    assert len(warnings) == 1, warnings
    assert warnings[0]["msg"].startswith("could not read the issuer's metadata to check --issuer")
    assert warnings[0]["issuer"] == issuer.url
    assert "HTTP status 404" in warnings[0]["reason"]
    assert_message(get(signet.url("/api/private"), issuer.mint()), PRIVATE_MESSAGE)


# --- lifecycle and the token cache


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_gracefully(make_issuer, start_signet, sig):
    issuer = make_issuer()
    signet = start_signet(issuer)
    with requests.Session() as session:  # an idle keep-alive connection must not delay the stop
        assert session.get(signet.url("/api/public"), timeout=HTTP_TIMEOUT).status_code == 200
        started = time.monotonic()
        code = signet.terminate(sig)
        elapsed = time.monotonic() - started
    assert code == 0, signet.stderr_text()
    assert elapsed < 8, f"took {elapsed:.1f} s"
    assert "messages API stopped" in signet.stderr_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(signet.url("/healthz"), timeout=5)


@pytest.mark.parametrize("flags", [(), ("--no-token-cache",)], ids=["cache", "no-cache"])
def test_same_token_twice(make_issuer, start_signet, flags):
    issuer = make_issuer()
    signet = start_signet(issuer, *flags)
    token = issuer.mint(claims=issuer.claims(scope="read:messages"))
    for _ in range(2):
        assert_message(get(signet.url("/api/private"), token), PRIVATE_MESSAGE)
        assert_message(get(signet.url("/api/private-scoped"), token), SCOPED_MESSAGE)
    unscoped = issuer.mint()
    for _ in range(2):
        res = get(signet.url("/api/private-scoped"), unscoped)
        assert res.status_code == 403
        assert res.json()["error"] == "insufficient_scope"


def test_logs_never_carry_a_token(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer)
    good = issuer.mint()
    bad = tamper_payload(issuer.mint(), scope="read:messages")
    assert get(signet.url("/api/private"), good).status_code == 200
    assert get(signet.url("/api/private-scoped"), bad).status_code == 401
    assert get(signet.url(f"/api/private?access_token={good}")).status_code == 400
    signet.stop()
    log = signet.stderr_text()
    assert "/api/private-scoped" in log  # the access log is on
    for token in (good, bad):
        for part in token.split("."):
            assert part not in log


def test_every_log_line_is_json(make_issuer, start_signet):
    issuer = make_issuer()
    signet = start_signet(issuer)
    assert get(signet.url("/api/private"), issuer.mint()).status_code == 200
    assert signet.terminate() == 0
    lines = signet.stderr_text().splitlines()
    assert lines
    for line in lines:
        try:
            doc = json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
        assert isinstance(doc, dict) and "ts" in doc, line
