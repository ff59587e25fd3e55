"""DPoP (RFC 9449) at the Management API of a real `signet serve`: a token bound to a key, from a
client granted the Management API's scopes, opens it only with a proof of that key for the very
request (htu from the issuer, not the Host header); as Bearer it is refused; a proof is used once,
also across the rebuild of the API's guard that every configuration change makes; with
--dpop-nonce it asks for the server's nonce."""

from __future__ import annotations

import hashlib

import pytest
import requests

from conftest import HTTP_TIMEOUT
from serve_fixtures import Tenant, module_serve, start_serve  # noqa: F401
from test_dpop_token import Key, b64url, token_request

SCOPES = ("read:clients", "read:resource_servers")


def ath(token: str) -> str:
    return b64url(hashlib.sha256(token.encode()).digest())


class Setup:
    """A client granted SCOPES on the Management API, and a token of it bound to `key`."""

    def __init__(self, server, nonce: bool = False):
        self.server = server
        self.tenant = t = Tenant(server)
        self.audience = server.issuer + "api/v2/"
        self.client = t.client()
        t.grant(self.client, self.audience, SCOPES)
        t.sync()
        self.key = Key("ES256")
        self.token_endpoint = server.get(
            "/.well-known/openid-configuration").json()["token_endpoint"]
        self.nonce = None
        if nonce:
            first = self.get_token()
            assert first.status_code == 400, first.text
            self.nonce = first.headers["DPoP-Nonce"]
        res = self.get_token()
        assert res.status_code == 200, res.text
        assert res.json()["token_type"] == "DPoP"
        self.token = res.json()["access_token"]

    def get_token(self) -> requests.Response:
        return token_request(self.server, {"grant_type": "client_credentials",
                                           "audience": self.audience, **self.client.creds()},
                             [self.key.proof(self.token_endpoint, nonce=self.nonce)])

    def url(self, path: str) -> str:
        return f"{self.audience}{path}"

    def proof(self, path: str, method: str = "GET", **kw) -> str:
        return self.key.proof(self.url(path), htm=method, claims={"ath": ath(self.token)}, **kw)

    def call(self, path: str, proof: str | None, scheme: str = "DPoP",
             headers: dict | None = None) -> requests.Response:
        h = {"Authorization": f"{scheme} {self.token}", **(headers or {})}
        if proof is not None:
            h["DPoP"] = proof
        return requests.get(self.url(path), headers=h, timeout=HTTP_TIMEOUT)


def assert_refused(res: requests.Response, error: str) -> None:
    assert res.status_code == 401, res.text
    body = res.json()
    assert body["errorCode"] == error, body
    assert f'error="{error}"' in res.headers["WWW-Authenticate"], res.headers
    assert 'DPoP realm="signet"' in res.headers["WWW-Authenticate"]


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve())


def test_a_bound_token_opens_the_management_api_with_a_proof(s):
    res = s.call("clients", s.proof("clients"))
    assert res.status_code == 200, res.text
    assert isinstance(res.json(), list)
    assert "DPoP-Nonce" not in res.headers, "nonces are off by default"
    # The proof names the issuer's URL; the Host header the client sent does not move it.
    res = s.call("resource-servers", s.proof("resource-servers"),
                 headers={"Host": "attacker.example"})
    assert res.status_code == 200, res.text


def test_a_bound_token_as_bearer_is_refused(s):
    res = s.call("clients", None, scheme="Bearer")
    assert_refused(res, "invalid_token")
    assert "DPoP-bound" in res.json()["message"]


def test_a_proof_for_another_request_is_refused(s):
    assert_refused(s.call("clients", None), "invalid_dpop_proof")
    assert_refused(s.call("clients", s.proof("resource-servers")), "invalid_dpop_proof")
    assert_refused(s.call("clients", s.proof("clients", method="POST")), "invalid_dpop_proof")
    host_based = s.key.proof(s.url("clients").replace("127.0.0.1", "localhost"), htm="GET",
                             claims={"ath": ath(s.token)})
    assert_refused(s.call("clients", host_based), "invalid_dpop_proof")
    other = Key("ES256").proof(s.url("clients"), htm="GET", claims={"ath": ath(s.token)})
    assert_refused(s.call("clients", other), "invalid_token")


def test_a_replayed_proof_is_refused_also_after_the_guard_is_rebuilt(s):
    proof = s.proof("clients")
    assert s.call("clients", proof).status_code == 200
    assert_refused(s.call("clients", proof), "invalid_dpop_proof")
    # A change of the tenant makes a new snapshot, and the Management API a new guard for it;
    # the proofs used before are still remembered.
    other = s.proof("clients")
    s.tenant.sync()
    assert s.call("clients", other).status_code == 200
    res = s.call("clients", proof)
    assert_refused(res, "invalid_dpop_proof")
    assert "already used" in res.json()["message"], res.json()


def test_with_nonces_the_management_api_asks_for_one(start_serve):
    s = Setup(start_serve("--dpop-nonce"), nonce=True)
    asked = s.call("clients", s.proof("clients"))
    assert_refused(asked, "use_dpop_nonce")
    nonce = asked.headers["DPoP-Nonce"]
    ok = s.call("clients", s.proof("clients", nonce=nonce))
    assert ok.status_code == 200, ok.text
    assert ok.headers.get("DPoP-Nonce"), "every answer to a proof carries the nonce to use next"
    # Bearer requests get no nonce.
    assert "DPoP-Nonce" not in s.call("clients", None, scheme="Bearer").headers
