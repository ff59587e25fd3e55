"""End-to-end tests of DPoP (RFC 9449) at the token endpoint of a real `signet serve`: proofs made
with PyJWT and cryptography (an independent implementation), bound tokens (cnf.jkt, token_type
DPoP) on every grant, every proof rule broken one at a time, server nonces, refresh tokens of
public clients bound to the key, clients and APIs that require DPoP, discovery, introspection,
events and metrics.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import secrets
import subprocess
import time
import urllib.parse

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from conftest import HTTP_TIMEOUT, signet_bin
from issuer import b64url, jwk_of, jwk_thumbprint
from login_page import login_form, pkce_pair, query_of
from serve_fixtures import (Tenant, assert_no_store, assert_oauth_error, module_serve,  # noqa: F401
                            run_cli, start_serve, verify_with_jwks, wait_for)

ALGS = ("ES256", "EdDSA", "RS256", "PS256")
SPA_ORIGIN = "https://spa.example.com"
CALLBACK = f"{SPA_ORIGIN}/callback"


class Key:
    """A DPoP key pair of one algorithm: its public JWK, RFC 7638 thumbprint, and proofs."""

    def __init__(self, alg: str):
        self.alg = alg
        if alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
        elif alg == "EdDSA":
            self.private = ed25519.Ed25519PrivateKey.generate()
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwk = jwk_of(self.private)
        self.private_jwk = jwk_of(self.private, private=True)
        self.jkt = jwk_thumbprint(self.jwk)

    def proof(self, htu: str, *, htm: str = "POST", iat: int | None = None,
              jti: str | None = None, nonce: str | None = None, header: dict | None = None,
              claims: dict | None = None, drop: tuple = ()) -> str:
        body = {"jti": jti or secrets.token_urlsafe(16), "htm": htm, "htu": htu,
                "iat": int(time.time()) if iat is None else iat}
        if nonce is not None:
            body["nonce"] = nonce
        body.update(claims or {})
        for name in drop:
            body.pop(name, None)
        headers = {"typ": "dpop+jwt", "jwk": self.jwk, **(header or {})}
        return jwt.encode(body, self.private, algorithm=self.alg, headers=headers)


def unsigned(header: dict, claims: dict) -> str:
    """A JWS with alg none: header.payload. and no signature."""
    encode = lambda o: b64url(json.dumps(o).encode())  # noqa: E731
    return f"{encode(header)}.{encode(claims)}."


class Setup:
    def __init__(self, server):
        self.server = server
        self.tenant = t = Tenant(server)
        self.api, self.m2m = t.m2m(scopes=("read:messages",), offline=True)
        self.audience = self.api["identifier"]
        self.web = t.client(type="regular_web", grant_types="password,refresh_token")
        self.user = t.user(permissions={self.audience: ("read:messages",)})
        out = t.cli_json("clients", "create", "--name", "dpop spa", "--type", "spa",
                         "--grant-types", "authorization_code,refresh_token",
                         "--callbacks", CALLBACK, "--web-origins", SPA_ORIGIN)
        self.spa = out["client_id"]
        t.sync()
        self.discovery = server.get("/.well-known/openid-configuration").json()
        self.htu = self.discovery["token_endpoint"]
        self.keys = {alg: Key(alg) for alg in ALGS}

    def key(self, alg: str = "ES256") -> Key:
        return self.keys[alg]

    def cc(self, proofs: list[str] | None = None, **extra) -> requests.Response:
        """client_credentials for the m2m client, with one DPoP header per proof given."""
        data = {"grant_type": "client_credentials", "audience": self.audience,
                **self.m2m.creds(), **extra}
        return token_request(self.server, data, proofs or [])

    def sign_in_code(self, **extra) -> tuple[str, str]:
        """A code for the spa from a real sign-in through the login page, and its verifier."""
        verifier, challenge = pkce_pair()
        session = requests.Session()
        page = session.get(self.server.url("/authorize"), params={
            "response_type": "code", "client_id": self.spa, "redirect_uri": CALLBACK,
            "scope": "offline_access read:messages", "audience": self.audience, "state": "s",
            "code_challenge": challenge, "code_challenge_method": "S256", **extra},
            allow_redirects=False, timeout=HTTP_TIMEOUT)
        assert page.status_code == 200, page.text[:2000]
        form = login_form(page)
        back = session.request(form.method, form.action,
                               data={**form.fields, "email": self.user.email,
                                     "password": self.user.password},
                               allow_redirects=False, timeout=HTTP_TIMEOUT)
        assert back.status_code in (302, 303), back.text[:2000]
        return query_of(back.headers["Location"])["code"], verifier

    def spa_exchange(self, code: str, verifier: str, proofs: list[str]) -> requests.Response:
        return token_request(self.server, {
            "grant_type": "authorization_code", "client_id": self.spa, "code": code,
            "redirect_uri": CALLBACK, "code_verifier": verifier}, proofs)

    def spa_refresh(self, refresh_token: str, proofs: list[str]) -> requests.Response:
        return token_request(self.server, {"grant_type": "refresh_token", "client_id": self.spa,
                                           "refresh_token": refresh_token}, proofs)


def token_request(server, data: dict, proofs: list[str]) -> requests.Response:
    """POST /oauth/token with one DPoP header per proof. Two headers of one name need
    http.client (requests keeps one value per name); the answer is wrapped as a Response."""
    if len(proofs) <= 1:
        headers = {"DPoP": proofs[0]} if proofs else {}
        return server.token(data, headers=headers)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=HTTP_TIMEOUT)
    try:
        body = urllib.parse.urlencode(data)
        conn.putrequest("POST", "/oauth/token")
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(len(body)))
        for proof in proofs:
            conn.putheader("DPoP", proof)
        conn.endheaders(body.encode())
        raw = conn.getresponse()
        res = requests.Response()
        res.status_code = raw.status
        res.headers = requests.structures.CaseInsensitiveDict(raw.getheaders())
        res._content = raw.read()
        return res
    finally:
        conn.close()


def assert_bound(res: requests.Response, s: Setup, key: Key) -> dict:
    """A DPoP token response whose access token verifies and is bound to `key`."""
    assert res.status_code == 200, res.text
    assert_no_store(res)
    body = res.json()
    assert body["token_type"] == "DPoP", body
    claims = verify_with_jwks(body["access_token"], s.server.jwks(), s.audience, s.server.issuer)
    assert claims["cnf"] == {"jkt": key.jkt}, claims
    return body


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve())


def test_discovery_lists_the_proof_algorithms(s):
    assert s.discovery["dpop_signing_alg_values_supported"] == list(ALGS)
    assert s.htu == f"{s.server.issuer}oauth/token"


@pytest.mark.parametrize("alg", ALGS)
def test_a_proof_binds_the_access_token_to_its_key(s, alg):
    key = s.key(alg)
    res = s.cc([key.proof(s.htu)])
    assert_bound(res, s, key)
    assert "DPoP-Nonce" not in res.headers, "nonces are off by default"


def test_without_a_proof_the_token_is_a_bearer_token(s):
    res = s.cc()
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["token_type"] == "Bearer"
    claims = verify_with_jwks(body["access_token"], s.server.jwks(), s.audience, s.server.issuer)
    assert "cnf" not in claims


def test_the_password_grant_binds_its_token_too(s):
    key = s.key()
    res = token_request(s.server, {
        "grant_type": "password", "username": s.user.email, "password": s.user.password,
        "audience": s.audience, "scope": "offline_access read:messages", **s.web.creds()},
        [key.proof(s.htu)])
    body = assert_bound(res, s, key)
    # A confidential client's refresh token is bound to its secret, not to the key; its refresh
    # with a proof gets a bound access token, without one a bearer token.
    again = token_request(s.server, {"grant_type": "refresh_token",
                                     "refresh_token": body["refresh_token"], **s.web.creds()},
                          [key.proof(s.htu)])
    body = assert_bound(again, s, key)
    bearer = token_request(s.server, {"grant_type": "refresh_token",
                                      "refresh_token": body["refresh_token"], **s.web.creds()}, [])
    assert bearer.status_code == 200, bearer.text
    assert bearer.json()["token_type"] == "Bearer"


def now() -> int:
    return int(time.time())


# Each case breaks one rule of RFC 9449 §4.3 and must get 400 invalid_dpop_proof, counted under
# the rule it broke.
BROKEN = {
    "wrong htu": ("htu", lambda s, k: [k.proof(s.htu.replace("oauth/token", "oauth/revoke"))]),
    "htu of another host": ("htu", lambda s, k: [k.proof("https://attacker.example/oauth/token")]),
    "wrong htm": ("htm", lambda s, k: [k.proof(s.htu, htm="GET")]),
    "old iat": ("iat_too_old", lambda s, k: [k.proof(s.htu, iat=now() - 3600)]),
    "future iat": ("iat_in_future", lambda s, k: [k.proof(s.htu, iat=now() + 3600)]),
    "private key in jwk": ("jwk_private",
                           lambda s, k: [k.proof(s.htu, header={"jwk": k.private_jwk})]),
    # An unsigned JWS is refused before its alg is read.
    "alg none": ("malformed", lambda s, k: [unsigned({"typ": "dpop+jwt", "alg": "none",
                                                      "jwk": k.jwk},
                                                     {"jti": "j-none", "htm": "POST",
                                                      "htu": s.htu, "iat": now()})]),
    "HS256": ("alg", lambda s, k: [jwt.encode({"jti": secrets.token_urlsafe(8), "htm": "POST",
                                               "htu": s.htu, "iat": now()},
                                              "a shared secret of at least 32 bytes!",
                                              algorithm="HS256",
                                              headers={"typ": "dpop+jwt", "jwk": k.jwk})]),
    "two DPoP headers": ("multiple", lambda s, k: [k.proof(s.htu), k.proof(s.htu)]),
    "typ JWT": ("typ", lambda s, k: [k.proof(s.htu, header={"typ": "JWT"})]),
    "no jwk": ("jwk_missing", lambda s, k: [jwt.encode({"jti": "x", "htm": "POST", "htu": s.htu,
                                                        "iat": now()}, k.private,
                                                       algorithm="ES256",
                                                       headers={"typ": "dpop+jwt"})]),
    "signed by another key": ("signature",
                              lambda s, k: [k.proof(s.htu, header={"jwk": s.key("EdDSA").jwk})]),
    "no jti": ("claim_missing", lambda s, k: [k.proof(s.htu, drop=("jti",))]),
    "not a JWS": ("malformed", lambda s, k: ["this-is-not-a-proof"]),
}


def token_proofs(server, rule: str | None = None) -> float:
    """The token endpoint's DPoP proofs: accepted, or refused for `rule`."""
    if rule is None:
        return server.metric("signet_dpop_proofs_accepted_total", {"endpoint": "token"})
    return server.metric("signet_dpop_proofs_refused_total", {"endpoint": "token", "rule": rule})


@pytest.mark.parametrize("case", BROKEN)
def test_every_broken_rule_is_invalid_dpop_proof(s, case):
    rule, make = BROKEN[case]
    before = token_proofs(s.server, rule)
    accepted = token_proofs(s.server)
    res = s.cc(make(s, s.key()))
    description = assert_oauth_error(res, 400, "invalid_dpop_proof")
    assert "DPoP-Nonce" not in res.headers
    assert token_proofs(s.server, rule) == before + 1, description
    assert token_proofs(s.server) == accepted


def test_the_description_names_the_rule(s):
    key = s.key()
    descriptions = {
        "htm": s.cc([key.proof(s.htu, htm="GET")]),
        f"htu {s.htu}": s.cc([key.proof(s.htu + "x")]),
        "too old": s.cc([key.proof(s.htu, iat=now() - 3600)]),
        "iat is in the future": s.cc([key.proof(s.htu, iat=now() + 3600)]),
        "exactly one DPoP header": s.cc([key.proof(s.htu), key.proof(s.htu)]),
    }
    for rule, res in descriptions.items():
        assert rule in res.json()["error_description"], (rule, res.json())


def test_a_replayed_proof_is_refused(s):
    proof = s.key().proof(s.htu)
    assert s.cc([proof]).status_code == 200
    before = token_proofs(s.server, "replayed")
    assert_oauth_error(s.cc([proof]), 400, "invalid_dpop_proof", "already used")
    assert token_proofs(s.server, "replayed") == before + 1


def test_a_proof_is_checked_for_an_authenticated_client_only(s):
    proof = s.key().proof(s.htu)
    res = s.cc([proof], client_secret="not-the-secret")
    assert_oauth_error(res, 401, "invalid_client")
    assert_bound(s.cc([proof]), s, s.key())  # so the failed request did not spend its jti


def test_public_client_refresh_tokens_are_bound_to_the_key(s):
    key, thief = s.key("ES256"), s.key("EdDSA")
    code, verifier = s.sign_in_code()
    body = assert_bound(s.spa_exchange(code, verifier, [key.proof(s.htu)]), s, key)
    rt = body["refresh_token"]
    assert_oauth_error(s.spa_refresh(rt, [thief.proof(s.htu)]), 400, "invalid_grant",
                       "bound to another DPoP key")
    assert_oauth_error(s.spa_refresh(rt, []), 400, "invalid_grant", "bound to a DPoP key")
    rotated = assert_bound(s.spa_refresh(rt, [key.proof(s.htu)]), s, key)
    # The successor keeps the binding.
    assert_oauth_error(s.spa_refresh(rotated["refresh_token"], [thief.proof(s.htu)]), 400,
                       "invalid_grant")
    assert_bound(s.spa_refresh(rotated["refresh_token"], [key.proof(s.htu)]), s, key)


def test_a_code_requested_with_dpop_jkt_needs_that_key(s):
    key, other = s.key("ES256"), s.key("RS256")
    code, verifier = s.sign_in_code(dpop_jkt=key.jkt)
    assert_oauth_error(s.spa_exchange(code, verifier, [other.proof(s.htu)]), 400, "invalid_grant",
                       "dpop_jkt")
    code, verifier = s.sign_in_code(dpop_jkt=key.jkt)
    assert_bound(s.spa_exchange(code, verifier, [key.proof(s.htu)]), s, key)


def test_a_malformed_dpop_jkt_is_refused_at_authorize(s):
    _, challenge = pkce_pair()
    res = requests.get(s.server.url("/authorize"), params={
        "response_type": "code", "client_id": s.spa, "redirect_uri": CALLBACK,
        "scope": "read:messages", "audience": s.audience, "state": "s",
        "code_challenge": challenge, "code_challenge_method": "S256", "dpop_jkt": "short"},
        allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert res.status_code in (302, 303), res.text[:2000]
    back = query_of(res.headers["Location"])
    assert back["error"] == "invalid_request" and "dpop_jkt" in back["error_description"], back


def test_a_client_or_an_api_that_requires_dpop_gets_no_bearer_token(start_serve):
    server = start_serve()
    t = Tenant(server)
    api, client = t.m2m(scopes=("read:messages",))
    strict_api = t.api(scopes=("read:messages",))
    t.grant(client, strict_api["identifier"], ("read:messages",))
    t.cli("apis", "update", strict_api["identifier"], "--require-dpop")
    strict_client = t.client()
    t.grant(strict_client, api["identifier"], ("read:messages",))
    t.cli("clients", "update", strict_client.client_id, "--require-dpop")
    t.sync()
    htu = server.get("/.well-known/openid-configuration").json()["token_endpoint"]
    key = Key("ES256")

    def cc(c, audience, proofs):
        return token_request(server, {"grant_type": "client_credentials", "audience": audience,
                                      **c.creds()}, proofs)

    assert_oauth_error(cc(strict_client, api["identifier"], []), 400, "invalid_dpop_proof",
                       f"this client ({strict_client.client_id}) requires DPoP: send a DPoP proof")
    assert_oauth_error(cc(client, strict_api["identifier"], []), 400, "invalid_dpop_proof",
                       f"the API '{strict_api['identifier']}' requires DPoP")
    for c, audience in ((strict_client, api["identifier"]), (client, strict_api["identifier"])):
        res = cc(c, audience, [key.proof(htu)])
        assert res.status_code == 200, res.text
        assert res.json()["token_type"] == "DPoP"
    # Everyone else is as before.
    bearer = cc(client, api["identifier"], [])
    assert bearer.status_code == 200 and bearer.json()["token_type"] == "Bearer"
    # Switched off again, bearer tokens are back (the setting reaches the running server).
    t.cli("clients", "update", strict_client.client_id, "--no-require-dpop")
    t.sync()
    assert cc(strict_client, api["identifier"], []).status_code == 200


def test_a_single_page_app_may_send_a_proof(s):
    # CORS: the preflight of a browser's token request with a DPoP header is allowed for the
    # application's registered web origin.
    res = requests.options(s.htu, headers={"Origin": SPA_ORIGIN,
                                           "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "dpop,content-type"},
                           timeout=HTTP_TIMEOUT)
    assert res.status_code == 204, res.text
    assert res.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    allowed = [h.strip().lower() for h in res.headers["Access-Control-Allow-Headers"].split(",")]
    assert "dpop" in allowed, res.headers


def test_introspection_shows_the_binding(s):
    key = s.key()
    body = assert_bound(s.cc([key.proof(s.htu)]), s, key)
    res = s.server.post("/oauth/introspect", data={"token": body["access_token"],
                                                   **s.m2m.creds()})
    assert res.status_code == 200, res.text
    described = res.json()
    assert described["active"] is True
    assert described["token_type"] == "DPoP"
    assert described["cnf"] == {"jkt": key.jkt}
    bearer = s.server.post("/oauth/introspect", data={"token": s.cc().json()["access_token"],
                                                      **s.m2m.creds()}).json()
    assert bearer["token_type"] == "Bearer" and "cnf" not in bearer


def test_metrics_count_accepted_proofs(s):
    before = token_proofs(s.server)
    assert_bound(s.cc([s.key().proof(s.htu)]), s, s.key())
    assert token_proofs(s.server) == before + 1
    assert s.server.metric("signet_dpop_replay_cache_entries") >= 1


def test_events_name_the_key_or_the_rule(s):
    key = s.key()
    assert s.cc([key.proof(s.htu)]).status_code == 200
    assert s.cc([key.proof(s.htu, htm="GET")]).status_code == 400

    def recorded():
        out = run_cli(s.server.data_dir, "logs", "--json", "--client", s.m2m.client_id).stdout
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        success = [e for e in events if e["type"] == "seccft"
                   and e.get("details", {}).get("dpop_jkt") == key.jkt]
        failure = [e for e in events if e["type"] == "feccft"
                   and e.get("details", {}).get("dpop_error") == "htm"]
        return (success[0], failure[0]) if success and failure else None

    _, failure = wait_for(recorded, timeout=15, interval=0.25,
                          what="the DPoP events in the store")
    assert failure["error"] == "invalid_dpop_proof", failure
    assert "htm" in failure["description"], failure


def test_a_proof_is_fresh_for_a_minute_by_default(s):
    assert_bound(s.cc([s.key().proof(s.htu, iat=now() - 40)]), s, s.key())


# --- nonces (RFC 9449 §8) and a shorter proof lifetime, on a server started with them


def test_nonce_flow_and_proof_lifetime(start_serve):
    server = start_serve("--dpop-nonce", "--dpop-nonce-window", "60",
                         "--dpop-proof-lifetime", "10")
    t = Tenant(server)
    api, client = t.m2m(scopes=("read:messages",))
    t.sync()
    htu = server.get("/.well-known/openid-configuration").json()["token_endpoint"]
    key = Key("ES256")
    data = {"grant_type": "client_credentials", "audience": api["identifier"], **client.creds()}

    first = token_request(server, data, [key.proof(htu)])
    assert_oauth_error(first, 400, "use_dpop_nonce", "DPoP-Nonce")
    nonce = first.headers["DPoP-Nonce"]
    assert nonce and first.headers["Cache-Control"] == "no-store"
    # A forged nonce is no better than none.
    assert_oauth_error(token_request(server, data, [key.proof(htu, nonce=nonce[:-2] + "AA")]),
                       400, "use_dpop_nonce")

    ok = token_request(server, data, [key.proof(htu, nonce=nonce)])
    assert ok.status_code == 200, ok.text
    assert ok.json()["token_type"] == "DPoP"
    assert ok.headers.get("DPoP-Nonce"), "every answer to a proof carries the nonce to use next"
    # A single-page app's script may read it (CORS).
    assert ok.headers.get("Access-Control-Expose-Headers") == "DPoP-Nonce"
    # Without a proof there is nothing to ask a nonce of.
    bearer = token_request(server, data, [])
    assert bearer.status_code == 200 and bearer.json()["token_type"] == "Bearer"
    assert "DPoP-Nonce" not in bearer.headers
    assert token_proofs(server, "nonce_missing") == 1
    assert server.metric("signet_token_endpoint_errors_total", {"error": "use_dpop_nonce"}) == 2
    # --dpop-proof-lifetime 10: a proof 40 s old is stale here (a minute is the default).
    assert_oauth_error(token_request(server, data, [key.proof(htu, iat=now() - 40, nonce=nonce)]),
                       400, "invalid_dpop_proof", "too old")


def test_serve_help_explains_the_options():
    out = subprocess.run([signet_bin(), "serve", "--help"], capture_output=True, text=True,
                         timeout=30).stdout
    for option in ("--dpop-nonce", "--dpop-nonce-window", "--dpop-proof-lifetime"):
        assert option in out, out
    assert "DPoP" in out


def test_the_options_come_from_the_configuration_file_too(tmp_path):
    config = tmp_path / "signet.toml"

    def check(body: str) -> subprocess.CompletedProcess:
        config.write_text("[serve]\n" + body)
        return subprocess.run([signet_bin(), "serve", "--config", str(config), "--check-config"],
                              capture_output=True, text=True, timeout=30)

    ok = check("dpop-nonce = true\ndpop-nonce-window = 120\ndpop-proof-lifetime = 30\n")
    assert ok.returncode == 0, ok.stderr
    short = check("dpop-proof-lifetime = 5\n")
    assert short.returncode != 0
    assert "dpop-proof-lifetime" in short.stderr and "10 to 3600" in short.stderr, short.stderr


# --- /userinfo with a DPoP-bound token (OpenID Connect Core §5.3, RFC 9449 §7)


def openid_bound_token(s: Setup | None, key: Key, server=None, web=None, user=None,
                       audience: str | None = None, nonce: str | None = None) -> str:
    """A password-grant access token with openid, bound to `key`."""
    if s is not None:
        server, web, user, audience = s.server, s.web, s.user, s.audience
    htu = server.get("/.well-known/openid-configuration").json()["token_endpoint"]
    res = token_request(server, {
        "grant_type": "password", "username": user.email, "password": user.password,
        "audience": audience, "scope": "openid", **web.creds()}, [key.proof(htu, nonce=nonce)])
    assert res.status_code == 200, res.text
    assert res.json()["token_type"] == "DPoP"
    return res.json()["access_token"]


def ath(token: str) -> str:
    return b64url(hashlib.sha256(token.encode()).digest())


def userinfo(server, token: str, proof: str | None = None, *, method: str = "GET",
             scheme: str = "DPoP") -> requests.Response:
    headers = {"Authorization": f"{scheme} {token}"}
    if proof is not None:
        headers["DPoP"] = proof
    return requests.request(method, server.url("/userinfo"), headers=headers,
                            timeout=HTTP_TIMEOUT)


def assert_userinfo_refused(res: requests.Response, error: str, scheme: str = "DPoP",
                            status: int = 401) -> None:
    assert res.status_code == status, res.text
    assert res.json()["error"] == error, res.json()
    challenge = res.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="signet"'), challenge
    assert f'{scheme} realm="signet", error="{error}"' in challenge, challenge
    assert challenge.endswith(f'algs="{" ".join(ALGS)}"'), challenge
    assert_no_store(res)


def test_userinfo_takes_a_bound_token_with_a_proof_of_its_key(s):
    key = s.key()
    token = openid_bound_token(s, key)
    url = s.discovery["userinfo_endpoint"]
    for method in ("GET", "POST"):
        res = userinfo(s.server, token, key.proof(url, htm=method, claims={"ath": ath(token)}),
                       method=method)
        assert res.status_code == 200, res.text
        assert res.json() == {"sub": s.user.id}
        assert "DPoP-Nonce" not in res.headers, "nonces are off by default"


def test_userinfo_refuses_a_bound_token_as_bearer(s):
    token = openid_bound_token(s, s.key())
    res = userinfo(s.server, token, scheme="Bearer")
    assert_userinfo_refused(res, "invalid_token", scheme="Bearer")
    assert "DPoP-bound" in res.json()["error_description"]


def test_userinfo_refuses_an_unbound_token_as_dpop(s):
    res = token_request(s.server, {
        "grant_type": "password", "username": s.user.email, "password": s.user.password,
        "audience": s.audience, "scope": "openid", **s.web.creds()}, [])
    token = res.json()["access_token"]
    proof = s.key().proof(s.discovery["userinfo_endpoint"], htm="GET", claims={"ath": ath(token)})
    assert_userinfo_refused(userinfo(s.server, token, proof), "invalid_token")
    assert userinfo(s.server, token, scheme="Bearer").status_code == 200


# Each case breaks one rule a resource server checks (RFC 9449 §4.3, §7.1).
USERINFO_BROKEN = {
    "no proof": ("invalid_dpop_proof", lambda s, k, t, url: None),
    "no ath": ("invalid_dpop_proof", lambda s, k, t, url: k.proof(url, htm="GET")),
    "ath of another token": ("invalid_dpop_proof",
                             lambda s, k, t, url: k.proof(url, htm="GET",
                                                          claims={"ath": ath(t + "x")})),
    "wrong htm": ("invalid_dpop_proof",
                  lambda s, k, t, url: k.proof(url, htm="POST", claims={"ath": ath(t)})),
    # htu is the userinfo_endpoint of discovery, not whatever the Host header says.
    "htu by another host name": ("invalid_dpop_proof", lambda s, k, t, url: k.proof(
        url.replace("127.0.0.1", "localhost"), htm="GET", claims={"ath": ath(t)})),
    "another key": ("invalid_token", lambda s, k, t, url: s.key("EdDSA").proof(
        url, htm="GET", claims={"ath": ath(t)})),
}


@pytest.mark.parametrize("case", list(USERINFO_BROKEN))
def test_userinfo_refuses_a_broken_proof(s, case):
    error, make = USERINFO_BROKEN[case]
    key = s.key()
    token = openid_bound_token(s, key)
    assert_userinfo_refused(
        userinfo(s.server, token, make(s, key, token, s.discovery["userinfo_endpoint"])), error)


def userinfo_proofs(server, rule: str | None = None) -> float:
    if rule is None:
        return server.metric("signet_dpop_proofs_accepted_total", {"endpoint": "userinfo"})
    return server.metric("signet_dpop_proofs_refused_total", {"endpoint": "userinfo", "rule": rule})


def test_userinfo_refuses_a_replayed_proof(s):
    key = s.key()
    token = openid_bound_token(s, key)
    proof = key.proof(s.discovery["userinfo_endpoint"], htm="GET", claims={"ath": ath(token)})
    accepted, replayed = userinfo_proofs(s.server), userinfo_proofs(s.server, "replayed")
    token_accepted = token_proofs(s.server)
    assert userinfo(s.server, token, proof).status_code == 200
    res = userinfo(s.server, token, proof)
    assert_userinfo_refused(res, "invalid_dpop_proof")
    assert "already used" in res.json()["error_description"], res.json()
    # Counted as /userinfo's, not as the token endpoint's.
    assert userinfo_proofs(s.server) == accepted + 1
    assert userinfo_proofs(s.server, "replayed") == replayed + 1
    assert token_proofs(s.server) == token_accepted


def test_userinfo_counts_refused_proofs_by_rule(s):
    key = s.key()
    token = openid_bound_token(s, key)
    url = s.discovery["userinfo_endpoint"]
    before = {rule: userinfo_proofs(s.server, rule) for rule in ("missing", "ath", "htm")}
    assert_userinfo_refused(userinfo(s.server, token), "invalid_dpop_proof")
    assert_userinfo_refused(
        userinfo(s.server, token, key.proof(url, htm="GET", claims={"ath": ath(token + "x")})),
        "invalid_dpop_proof")
    assert_userinfo_refused(
        userinfo(s.server, token, key.proof(url, htm="POST", claims={"ath": ath(token)})),
        "invalid_dpop_proof")
    for rule in before:
        assert userinfo_proofs(s.server, rule) == before[rule] + 1, rule


def test_userinfo_asks_for_the_servers_nonce(start_serve):
    server = start_serve("--dpop-nonce")
    t = Tenant(server)
    api = t.api()
    web = t.client(type="regular_web", grant_types="password")
    user = t.user(permissions={api["identifier"]: ("read:messages",)})
    t.sync()
    discovery = server.get("/.well-known/openid-configuration").json()
    key = Key("ES256")
    first = token_request(server, {
        "grant_type": "password", "username": user.email, "password": user.password,
        "audience": api["identifier"], "scope": "openid", **web.creds()},
        [key.proof(discovery["token_endpoint"])])
    nonce = first.headers["DPoP-Nonce"]
    token = openid_bound_token(None, key, server, web, user, api["identifier"], nonce=nonce)
    url = discovery["userinfo_endpoint"]

    asked = userinfo(server, token, key.proof(url, htm="GET", claims={"ath": ath(token)}))
    assert_userinfo_refused(asked, "use_dpop_nonce")
    nonce = asked.headers["DPoP-Nonce"]
    assert asked.headers["Access-Control-Expose-Headers"] == "DPoP-Nonce"
    ok = userinfo(server, token, key.proof(url, htm="GET", nonce=nonce,
                                           claims={"ath": ath(token)}))
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"sub": user.id}
    assert ok.headers.get("DPoP-Nonce"), "every answer to a proof carries the nonce to use next"
