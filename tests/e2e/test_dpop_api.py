"""End-to-end tests of DPoP (RFC 9449 §7) at `signet api`: tokens bound to a client's key by the
test issuer (cnf.jkt), proofs made here with PyJWT and cryptography, sent over real sockets.

The issuer fixture knows nothing of DPoP: it signs whatever claims it is given, so a bound token is
just one with a cnf claim. The proofs are built independently of signet's own proof code.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import subprocess
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from conftest import HTTP_TIMEOUT, clean_env
from issuer import b64url, jwk_of, jwk_thumbprint
from prometheus_text import parse as parse_metrics
from www_authenticate import parse_challenges

PRIVATE_MESSAGE = "Hello from a private endpoint! You need to be authenticated to see this."
SCOPED_MESSAGE = ("Hello from a private endpoint! You need to be authenticated and have a scope "
                  "of read:messages to see this.")
ALGS = "ES256 EdDSA RS256 PS256"
BOUND_AS_BEARER = "this token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof"


class ClientKey:
    """A client's DPoP key pair: proofs signed with it, its RFC 7638 thumbprint for cnf.jkt."""

    def __init__(self, alg: str = "ES256"):
        self.alg = alg
        self.private = (ec.generate_private_key(ec.SECP256R1()) if alg == "ES256"
                        else ed25519.Ed25519PrivateKey.generate())
        self.jwk = jwk_of(self.private)

    @property
    def jkt(self) -> str:
        return jwk_thumbprint(self.jwk)

    def proof(self, method: str, url: str, token: str | None, *, iat: int | None = None,
              jti: str | None = None, nonce: str | None = None, jwk: dict | None = None,
              **extra) -> str:
        claims = {"jti": jti or uuid.uuid4().hex, "htm": method, "htu": url,
                  "iat": int(time.time()) if iat is None else iat, **extra}
        if token is not None:
            claims["ath"] = b64url(hashlib.sha256(token.encode("ascii")).digest())
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode(claims, self.private, algorithm=self.alg,
                          headers={"typ": "dpop+jwt", "jwk": jwk or self.jwk})


@pytest.fixture(scope="module")
def client_key() -> ClientKey:
    return ClientKey()


def bound_token(issuer, key: ClientKey, **claims) -> str:
    return issuer.mint("RS256", issuer.claims(scope="read:messages", cnf={"jkt": key.jkt},
                                              **claims))


def call(api, path: str, token: str | None = None, proofs: tuple[str, ...] = (),
         scheme: str = "DPoP", method: str = "GET") -> tuple[int, dict, dict]:
    """One request with exactly these headers (repeated DPoP headers kept); status, headers with
    lower-case names, JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=HTTP_TIMEOUT)
    try:
        conn.putrequest(method, path)
        if token is not None:
            conn.putheader("Authorization", f"{scheme} {token}")
        for proof in proofs:
            conn.putheader("DPoP", proof)
        conn.endheaders()
        res = conn.getresponse()
        body = res.read()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, json.loads(body)
    finally:
        conn.close()


def get_with_proof(api, key: ClientKey, token: str, path: str = "/api/private", **proof_args):
    proof = key.proof("GET", api.url(path), token, **proof_args)
    return call(api, path, token, (proof,))


def assert_dpop_refusal(status: int, headers: dict, body: dict, error: str,
                        bearer_offered: bool = True) -> str:
    """401 with `error` on the DPoP challenge (and a plain Bearer one before it unless DPoP is
    required); returns the description."""
    assert status == 401, body
    assert headers["cache-control"] == "no-store"
    assert body["error"] == error, body
    dpop = {"realm": "signet", "error": error, "error_description": body["error_description"],
            "algs": ALGS}
    expected = [("DPoP", dpop)]
    if bearer_offered:
        expected.insert(0, ("Bearer", {"realm": "signet"}))
    assert parse_challenges(headers["www-authenticate"]) == expected
    return body["error_description"]


# --- the default: Bearer and DPoP both accepted


def test_bound_token_with_a_proof_is_allowed(api, shared_issuer, client_key):
    token = bound_token(shared_issuer, client_key)
    for path, message in (("/api/private", PRIVATE_MESSAGE),
                          ("/api/private-scoped", SCOPED_MESSAGE)):
        status, headers, body = get_with_proof(api, client_key, token, path)
        assert status == 200, body
        assert body == {"message": message}
        assert headers["cache-control"] == "no-store"
        assert "www-authenticate" not in headers
        assert "dpop-nonce" not in headers  # nonces are off by default


def test_eddsa_proofs_and_lower_case_scheme_are_accepted(api, shared_issuer):
    key = ClientKey("EdDSA")
    token = bound_token(shared_issuer, key)
    proof = key.proof("GET", api.url("/api/private"), token)
    status, _, body = call(api, "/api/private", token, (proof,), scheme="dpop")
    assert status == 200, body


def test_replayed_proof_is_refused(api, shared_issuer, client_key):
    token = bound_token(shared_issuer, client_key)
    proof = client_key.proof("GET", api.url("/api/private"), token)
    status, _, body = call(api, "/api/private", token, (proof,))
    assert status == 200, body
    description = assert_dpop_refusal(*call(api, "/api/private", token, (proof,)),
                                      "invalid_dpop_proof")
    assert "used" in description or "replay" in description, description


def test_bound_token_as_bearer_is_refused(api, shared_issuer, client_key):
    token = bound_token(shared_issuer, client_key)
    proof = client_key.proof("GET", api.url("/api/private"), token)
    for proofs in ((), (proof,)):  # a proof beside it changes nothing: Bearer was chosen
        status, headers, body = call(api, "/api/private", token, proofs, scheme="Bearer")
        assert status == 401
        assert body == {"error": "invalid_token", "error_description": BOUND_AS_BEARER}
        assert parse_challenges(headers["www-authenticate"]) == [
            ("Bearer", {"realm": "signet", "error": "invalid_token",
                        "error_description": BOUND_AS_BEARER}),
            ("DPoP", {"realm": "signet", "algs": ALGS})]


def test_unbound_token_as_bearer_still_works_and_challenges_offer_both(api, shared_issuer):
    res = requests.get(api.url("/api/private"), timeout=HTTP_TIMEOUT,
                       headers={"Authorization": f"Bearer {shared_issuer.mint('RS256')}"})
    assert res.status_code == 200, res.text
    res = requests.get(api.url("/api/private"), timeout=HTTP_TIMEOUT)
    assert res.status_code == 401
    assert parse_challenges(res.headers["WWW-Authenticate"]) == [
        ("Bearer", {"realm": "signet"}), ("DPoP", {"realm": "signet", "algs": ALGS})]


def test_unbound_token_as_dpop_is_invalid_token(api, shared_issuer, client_key):
    token = shared_issuer.mint("RS256")
    assert_dpop_refusal(*get_with_proof(api, client_key, token), "invalid_token")


@pytest.mark.parametrize("case", ["another-path", "another-host", "another-method", "old-iat",
                                  "future-iat", "wrong-ath", "private-jwk"])
def test_broken_proof_is_refused(api, shared_issuer, client_key, case):
    token = bound_token(shared_issuer, client_key)
    url = api.url("/api/private")
    now = int(time.time())
    proof = {
        "another-path": lambda: client_key.proof("GET", api.url("/api/private-scoped"), token),
        "another-host": lambda: client_key.proof("GET", "http://evil.test/api/private", token),
        "another-method": lambda: client_key.proof("POST", url, token),
        "old-iat": lambda: client_key.proof("GET", url, token, iat=now - 600),
        "future-iat": lambda: client_key.proof("GET", url, token, iat=now + 600),
        "wrong-ath": lambda: client_key.proof("GET", url, "another-token"),
        "private-jwk": lambda: client_key.proof("GET", url, token,
                                                jwk={**client_key.jwk, "d": b64url(b"secret")}),
    }[case]()
    assert_dpop_refusal(*call(api, "/api/private", token, (proof,)), "invalid_dpop_proof")


def test_proof_by_another_key_is_invalid_token(api, shared_issuer, client_key):
    token = bound_token(shared_issuer, client_key)
    thief = ClientKey()
    assert_dpop_refusal(*get_with_proof(api, thief, token), "invalid_token")


def test_unsigned_proof_is_refused(api, shared_issuer, client_key):
    token = bound_token(shared_issuer, client_key)
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": client_key.jwk}
    claims = {"jti": uuid.uuid4().hex, "htm": "GET", "htu": api.url("/api/private"),
              "iat": int(time.time())}
    proof = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode()) + ".")
    assert_dpop_refusal(*call(api, "/api/private", token, (proof,)), "invalid_dpop_proof")


def test_two_dpop_headers_are_refused(api, shared_issuer, client_key):
    token = bound_token(shared_issuer, client_key)
    proof = client_key.proof("GET", api.url("/api/private"), token)
    assert_dpop_refusal(*call(api, "/api/private", token, (proof, proof)), "invalid_dpop_proof")
    assert_dpop_refusal(*call(api, "/api/private", token, ()), "invalid_dpop_proof")
    status, _, body = call(api, "/api/private", token, (proof,))  # neither used it up
    assert status == 200, body


def test_cors_preflight_allows_the_dpop_header(api):
    res = requests.options(api.url("/api/private"), timeout=HTTP_TIMEOUT, headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization, dpop"})
    assert res.status_code == 204
    allowed = [h.strip().lower() for h in res.headers["Access-Control-Allow-Headers"].split(",")]
    assert "dpop" in allowed


# --- options


def test_dpop_require_refuses_bearer(make_issuer, start_signet, client_key):
    issuer = make_issuer()
    api = start_signet(issuer, "--dpop", "require")
    res = requests.get(api.url("/api/private"), timeout=HTTP_TIMEOUT,
                       headers={"Authorization": f"Bearer {issuer.mint('RS256')}"})
    assert_dpop_refusal(res.status_code, {k.lower(): v for k, v in res.headers.items()},
                        res.json(), "invalid_token", bearer_offered=False)
    res = requests.get(api.url("/api/private"), timeout=HTTP_TIMEOUT)
    assert res.status_code == 401
    assert res.headers["WWW-Authenticate"] == f'DPoP realm="signet", algs="{ALGS}"'
    status, _, body = get_with_proof(api, client_key, bound_token(issuer, client_key))
    assert status == 200, body


def test_public_url_is_what_proofs_must_name(make_issuer, start_signet, client_key):
    issuer = make_issuer()
    api = start_signet(issuer, "--public-url", "https://api.example.test/")
    token = bound_token(issuer, client_key)
    # The listener's own URL is not the one clients are told to use...
    assert_dpop_refusal(*get_with_proof(api, client_key, token), "invalid_dpop_proof")
    # ... the public one is, whatever the Host header says.
    proof = client_key.proof("GET", "https://api.example.test/api/private", token)
    status, _, body = call(api, "/api/private", token, (proof,))
    assert status == 200, body


def test_dpop_nonce_flow(make_issuer, start_signet, client_key):
    issuer = make_issuer()
    api = start_signet(issuer, "--dpop-nonce")
    token = bound_token(issuer, client_key)
    status, headers, body = get_with_proof(api, client_key, token)
    assert_dpop_refusal(status, headers, body, "use_dpop_nonce")
    nonce = headers["dpop-nonce"]
    assert nonce
    assert "DPoP-Nonce" in headers["access-control-expose-headers"]
    status, headers, body = get_with_proof(api, client_key, token, nonce=nonce)
    assert status == 200, body
    assert headers["dpop-nonce"]  # the one to use next
    status, headers, body = get_with_proof(api, client_key, token, nonce="bm90LWEtbm9uY2U")
    assert_dpop_refusal(status, headers, body, "use_dpop_nonce")


def test_metrics_count_proofs_and_replays(make_issuer, start_signet, client_key):
    issuer = make_issuer()
    api = start_signet(issuer, "--metrics-on-main")
    token = bound_token(issuer, client_key)
    proof = client_key.proof("GET", api.url("/api/private"), token)
    assert call(api, "/api/private", token, (proof,))[0] == 200
    assert call(api, "/api/private", token, (proof,))[0] == 401
    metrics = parse_metrics(requests.get(api.url("/metrics"), timeout=HTTP_TIMEOUT).text)
    assert metrics.value("signet_guard_dpop_proofs_verified_total") == 1
    assert metrics.value("signet_guard_dpop_replays_total") == 1


@pytest.mark.parametrize("flags, message", [
    (["--dpop", "sometimes"], "--dpop"),
    (["--public-url", "ftp://api.example.test"], "--public-url"),
    (["--public-url", "https://api.example.test/?x=1"], "--public-url"),
])
def test_bad_dpop_options_are_refused_at_start(binary, flags, message):
    proc = subprocess.run([binary, "api", "--issuer", "http://127.0.0.1:9/", "--audience", "a",
                           "--check-config", *flags], env=clean_env(), capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr
