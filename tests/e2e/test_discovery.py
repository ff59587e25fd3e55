"""End-to-end tests of what `signet serve` publishes: the discovery documents
(/.well-known/openid-configuration and /.well-known/oauth-authorization-server) and the JWKS.
"""

from __future__ import annotations

import jwt
import pytest

from serve_fixtures import Tenant, module_serve  # noqa: F401

JWKS_MAX_AGE = 120
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")
ALGS = ("RS256", "PS256", "ES256", "EdDSA")


class Setup:
    def __init__(self, server):
        self.server = server
        self.tenant = t = Tenant(server)
        self.apis = [t.api(scopes=(f"read:{alg.lower()}", "shared:scope"), alg=alg)
                     for alg in ALGS]
        t.sync()


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve("--jwks-max-age", str(JWKS_MAX_AGE)))


def document(s, path: str) -> dict:
    res = s.server.get(path)
    assert res.status_code == 200, res.text
    assert res.headers["Content-Type"] == "application/json"
    return res.json()


def test_both_discovery_documents_are_the_same(s):
    assert (document(s, "/.well-known/openid-configuration")
            == document(s, "/.well-known/oauth-authorization-server"))


def test_discovery_names_issuer_and_endpoints(s):
    doc = document(s, "/.well-known/openid-configuration")
    issuer = s.server.issuer
    assert doc["issuer"] == issuer
    assert doc["token_endpoint"] == f"{issuer}oauth/token"
    assert doc["jwks_uri"] == f"{issuer}.well-known/jwks.json"
    assert doc["userinfo_endpoint"] == f"{issuer}userinfo"
    assert doc["revocation_endpoint"] == f"{issuer}oauth/revoke"
    assert doc["introspection_endpoint"] == f"{issuer}oauth/introspect"
    assert set(doc["grant_types_supported"]) == {"authorization_code", "client_credentials",
                                                 "password", "refresh_token"}
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post", "private_key_jwt", "none"}
    for endpoint in ("revocation", "introspection"):
        assert set(doc[f"{endpoint}_endpoint_auth_methods_supported"]) == {
            "client_secret_basic", "client_secret_post", "private_key_jwt"}
    for endpoint in ("token", "revocation", "introspection"):
        algs = doc[f"{endpoint}_endpoint_auth_signing_alg_values_supported"]
        assert "RS256" in algs and "ES256" in algs and "none" not in algs and "HS256" not in algs
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


def test_discovery_endpoints_answer(s):
    doc = document(s, "/.well-known/openid-configuration")
    assert s.server.get(doc["jwks_uri"].removeprefix(s.server.base)).status_code == 200
    for name in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        res = s.server.post(doc[name].removeprefix(s.server.base), data={})
        assert res.status_code in (400, 401), (name, res.status_code)
    assert s.server.get(doc["userinfo_endpoint"].removeprefix(s.server.base)).status_code == 401


def test_scopes_supported_lists_every_apis_permissions(s):
    scopes = document(s, "/.well-known/openid-configuration")["scopes_supported"]
    assert "openid" in scopes and "offline_access" in scopes
    for alg in ALGS:
        assert f"read:{alg.lower()}" in scopes
    assert scopes.count("shared:scope") == 1


def test_new_permissions_appear_in_discovery(s):
    s.tenant.cli("apis", "permissions", "add", s.apis[0]["identifier"], "brand:new")
    s.tenant.sync()
    assert "brand:new" in document(s, "/.well-known/openid-configuration")["scopes_supported"]


def test_jwks_keys_are_complete_public_keys(s):
    res = s.server.get("/.well-known/jwks.json")
    assert res.status_code == 200
    assert res.headers["Content-Type"] == "application/json"
    keys = res.json()["keys"]
    assert len({k["kid"] for k in keys}) == len(keys)
    for key in keys:
        assert key["use"] == "sig"
        assert key["alg"] in ALGS
        assert isinstance(key["kid"], str) and key["kid"]
        if key["kty"] == "RSA":
            assert key["alg"] in ("RS256", "PS256")
            assert key["n"] and key["e"]
        elif key["kty"] == "EC":
            assert key["alg"] == "ES256" and key["crv"] == "P-256"
            assert key["x"] and key["y"]
        else:
            assert key["kty"] == "OKP" and key["alg"] == "EdDSA" and key["crv"] == "Ed25519"
            assert key["x"] and "y" not in key
        for member in PRIVATE_MEMBERS:
            assert member not in key, f"private member {member} published"


def test_jwks_has_a_current_and_a_next_key_for_every_algorithm_in_use(s):
    keys = s.server.jwks()["keys"]
    listed = s.tenant.cli_json("keys", "list")
    for alg in ALGS:
        published = {k["kid"] for k in keys if k["alg"] == alg}
        states = {e["kid"]: e["state"] for e in listed if e["alg"] == alg}
        assert sorted(states[kid] for kid in published) == ["current", "next"], alg


def test_jwks_cache_control(s):
    res = s.server.get("/.well-known/jwks.json")
    assert res.headers["Cache-Control"] == f"public, max-age={JWKS_MAX_AGE}"


def test_pyjwt_reads_the_jwks(s):
    keyset = jwt.PyJWKSet.from_dict(s.server.jwks())
    assert {k.key_type for k in keyset.keys} >= {"RSA", "EC", "OKP"}
