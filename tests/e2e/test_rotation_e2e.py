"""Signing-key rotation end to end: `signet keys rotate` and `signet keys revoke` on the data
directory of a running `signet serve`, checked with a real `signet api` and with PyJWT.

Old tokens keep working while their key is published; new tokens carry the new kid (the former
next key, which validators already have); a revoked key's tokens are refused once a validator
refreshes its JWKS. `signet api` caches the JWKS for at least 60 s, so the test restarts it to
make it fetch again rather than waiting.
"""

from __future__ import annotations

import jwt
import pytest
import requests

from conftest import HTTP_TIMEOUT, SignetProcess
from serve_fixtures import (Tenant, assert_token_response, client_credentials,  # noqa: F401
                            start_serve, unverified, verify_with_jwks, wait_for)


def states(tenant: Tenant, alg: str = "RS256") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in tenant.cli_json("keys", "list"):
        if entry["alg"] == alg:
            out.setdefault(entry["state"], []).append(entry["kid"])
    return out


def published_kids(server) -> set[str]:
    return {k["kid"] for k in server.jwks()["keys"]}


def call(messages: SignetProcess, token: str) -> requests.Response:
    return requests.get(messages.url("/api/private"), headers={"Authorization": f"Bearer {token}"},
                        timeout=HTTP_TIMEOUT)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_rotate_then_revoke(start_serve, tmp_path, alg):
    server = start_serve("--jwks-max-age", "60")
    tenant = Tenant(server)
    api, client = tenant.m2m(scopes=("read:messages",), alg=alg)
    audience = api["identifier"]
    tenant.sync()
    before = states(tenant, alg)
    assert len(before["current"]) == 1 and len(before["next"]) == 1

    def messages_api() -> SignetProcess:
        return SignetProcess(["api", "--issuer", server.issuer, "--audience", audience],
                             str(tmp_path)).start()

    def new_token() -> str:
        return assert_token_response(client_credentials(server, client, audience))["access_token"]

    messages = messages_api()
    try:
        t1 = new_token()
        kid1 = unverified(t1)[0]["kid"]
        assert kid1 == before["current"][0]
        assert call(messages, t1).status_code == 200

        rotated = tenant.cli_json("keys", "rotate", "--alg", alg)
        assert rotated["current"] == before["next"][0]
        # Within about a second new tokens are signed with the former next key...
        t2 = wait_for(lambda: (lambda t: t if unverified(t)[0]["kid"] == before["next"][0]
                               else None)(new_token()), timeout=2.0, what="the new kid")
        # ...which the messages API already had from its first fetch, so it needs no refetch.
        assert call(messages, t2).status_code == 200
        # The old key is still published (previous), so old tokens keep working.
        assert call(messages, t1).status_code == 200
        jwks = server.jwks()
        after = states(tenant, alg)
        assert after["previous"] == [kid1] and after["current"] == before["next"]
        assert len(after["next"]) == 1 and after["next"][0] not in (kid1, before["next"][0])
        assert {kid1, *after["current"], *after["next"]} <= {k["kid"] for k in jwks["keys"]}
        verify_with_jwks(t1, jwks, audience, server.issuer)
        verify_with_jwks(t2, jwks, audience, server.issuer)

        tenant.cli("keys", "revoke", kid1)
        wait_for(lambda: kid1 not in published_kids(server), timeout=2.0,
                 what="the revoked key to leave the JWKS")
        jwks = server.jwks()
        with pytest.raises(jwt.PyJWTError):
            verify_with_jwks(t1, jwks, audience, server.issuer)
        verify_with_jwks(t2, jwks, audience, server.issuer)
        # The server itself no longer vouches for T1 either.
        intro = server.post("/oauth/introspect", data={"token": t1, **client.creds()})
        assert intro.json() == {"active": False}
    finally:
        messages.stop()

    # A validator that fetches the JWKS again (here: a restarted messages API) refuses T1.
    messages = messages_api()
    try:
        res = call(messages, t1)
        assert res.status_code == 401, res.text
        assert res.json()["error"] == "invalid_token"
        assert 'error="invalid_token"' in res.headers["WWW-Authenticate"]
        assert call(messages, t2).status_code == 200
        assert call(messages, new_token()).status_code == 200
    finally:
        messages.stop()
