"""End-to-end tests of refresh tokens on a real `signet serve`: rotation on every use, narrowing
and widening the scope, reuse detection with family revocation (and the grace period that lets
concurrent requests of one client both succeed), binding to the client, and the revocation
(RFC 7009) and introspection (RFC 7662) endpoints.

The server runs with --refresh-reuse-grace 1, so reuse after the grace takes a 2 s sleep.
"""

from __future__ import annotations

import threading
import time

import pytest

from serve_fixtures import (Tenant, assert_no_store, assert_oauth_error,  # noqa: F401
                            assert_token_response, client_credentials, module_serve, start_serve,
                            password_grant, refresh_grant, unverified, verify_with_jwks)

GRACE = 1  # s, --refresh-reuse-grace
SCOPES = ("read:messages", "write:messages")
SIGN_IN_SCOPE = "offline_access read:messages write:messages"


class Setup:
    def __init__(self, server):
        self.server = server
        self.tenant = t = Tenant(server)
        self.api = t.api(scopes=SCOPES, offline=True)["identifier"]
        self.short_api = t.api(scopes=SCOPES, offline=True, lifetime=2)["identifier"]
        self.client = t.client(type="regular_web")
        self.other = t.client(type="regular_web")
        self.user = t.user(permissions={self.api: SCOPES, self.short_api: SCOPES})
        t.sync()

    def sign_in(self, client=None, scope: str = SIGN_IN_SCOPE, api: str | None = None) -> dict:
        body = assert_token_response(password_grant(self.server, client or self.client, self.user,
                                                    api or self.api, scope=scope))
        assert "refresh_token" in body, body
        return body

    def refresh(self, token: str, client=None, **extra):
        return refresh_grant(self.server, client or self.client, token, **extra)

    def revoke(self, token: str, client=None, **extra):
        client = client or self.client
        return self.server.post("/oauth/revoke", data={"token": token, **client.creds(), **extra})

    def introspect(self, token: str, client=None):
        client = client or self.client
        return self.server.post("/oauth/introspect", data={"token": token, **client.creds()})


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve("--refresh-reuse-grace", str(GRACE)))


def assert_reuse_refused(res):
    assert_oauth_error(res, 400, "invalid_grant")


# --- rotation


def test_refresh_gives_a_new_access_token_and_a_new_refresh_token(s):
    first = s.sign_in()
    body = assert_token_response(s.refresh(first["refresh_token"]))
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert set(body["scope"].split()) == set(SIGN_IN_SCOPE.split())
    claims = verify_with_jwks(body["access_token"], s.server.jwks(), s.api, s.server.issuer)
    assert claims["sub"] == s.user.id
    assert claims["azp"] == s.client.client_id
    assert claims["jti"] != unverified(first["access_token"])[1]["jti"]
    # The new one works in turn.
    assert_token_response(s.refresh(body["refresh_token"]))


def test_refresh_with_a_json_body(s):
    first = s.sign_in()
    res = s.server.token(json={"grant_type": "refresh_token",
                               "refresh_token": first["refresh_token"], **s.client.creds()})
    assert_token_response(res)


def test_narrowing_the_scope(s):
    first = s.sign_in()
    narrowed = assert_token_response(s.refresh(first["refresh_token"], scope="read:messages"))
    assert narrowed["scope"] == "read:messages"
    assert unverified(narrowed["access_token"])[1]["scope"] == "read:messages"
    # The new refresh token keeps the original grant (RFC 6749 §6).
    again = assert_token_response(s.refresh(narrowed["refresh_token"]))
    assert set(again["scope"].split()) == set(SIGN_IN_SCOPE.split())


def test_widening_the_scope_is_invalid_scope(s):
    first = s.sign_in(scope="offline_access read:messages")
    res = s.refresh(first["refresh_token"], scope="read:messages write:messages")
    assert_oauth_error(res, 400, "invalid_scope", contains="write:messages")
    # A refused request rotates nothing: the token still works.
    assert_token_response(s.refresh(first["refresh_token"]))


def test_missing_and_unknown_refresh_token(s):
    res = s.server.token({"grant_type": "refresh_token", **s.client.creds()})
    assert_oauth_error(res, 400, "invalid_request", contains="refresh_token")
    assert_oauth_error(s.refresh("no-such-token-" + "x" * 30), 400, "invalid_grant")
    assert_oauth_error(s.refresh("y" * 5000), 400, "invalid_grant")


def test_refresh_token_of_one_client_is_refused_to_another(s):
    first = s.sign_in()
    res = s.refresh(first["refresh_token"], client=s.other)
    assert_oauth_error(res, 400, "invalid_grant")
    # The attempt neither rotated nor revoked it for its real owner.
    assert_token_response(s.refresh(first["refresh_token"]))


def test_refresh_for_a_blocked_user_is_refused(s):
    user = s.tenant.user(permissions={s.api: SCOPES})
    body = assert_token_response(password_grant(s.server, s.client, user, s.api,
                                                 scope=SIGN_IN_SCOPE))
    s.tenant.cli("users", "block", user.id)
    res = s.refresh(body["refresh_token"])
    assert_oauth_error(res, 400, "invalid_grant", contains="blocked")
    s.tenant.cli("users", "unblock", user.id)


def test_refresh_after_the_refresh_token_grant_is_disabled(s):
    client = s.tenant.client(type="regular_web")
    s.tenant.sync()
    body = assert_token_response(password_grant(s.server, client, s.user, s.api,
                                                scope=SIGN_IN_SCOPE))
    s.tenant.cli("clients", "update", client.client_id, "--grant-types", "password")
    s.tenant.sync()
    res = s.refresh(body["refresh_token"], client=client)
    assert_oauth_error(res, 400, "unauthorized_client",
                       contains="Grant type 'refresh_token' not allowed for the client.")


def test_refresh_for_a_deleted_user_is_refused(s):
    user = s.tenant.user(permissions={s.api: SCOPES})
    body = assert_token_response(password_grant(s.server, s.client, user, s.api,
                                                scope=SIGN_IN_SCOPE))
    s.tenant.cli("users", "delete", user.id, "--yes")
    assert_oauth_error(s.refresh(body["refresh_token"]), 400, "invalid_grant")
    assert s.introspect(body["refresh_token"]).json() == {"active": False}


# --- admin changes end sessions


def sign_in_as(s, user, client=None) -> dict:
    body = assert_token_response(password_grant(s.server, client or s.client, user, s.api,
                                                 scope=SIGN_IN_SCOPE))
    assert "refresh_token" in body, body
    return body


def assert_revoked(res):
    assert_oauth_error(res, 400, "invalid_grant", contains="The refresh token was revoked.")


def test_set_password_revokes_the_users_refresh_tokens(s):
    user = s.tenant.user(permissions={s.api: SCOPES})
    first, second = sign_in_as(s, user), sign_in_as(s, user, client=s.other)
    bystander = s.sign_in()  # another user's session is not touched
    res = s.tenant.cli("users", "set-password", user.email, "--password-stdin",
                       stdin="a brand new password\n")
    assert (f"set a new password for user {user.id} and ended their sessions: revoked 2 refresh "
            f"token(s)") in res.stdout, res.stdout
    assert_revoked(s.refresh(first["refresh_token"]))
    assert_revoked(s.refresh(second["refresh_token"], client=s.other))
    assert s.introspect(first["refresh_token"]).json() == {"active": False}
    assert_token_response(s.refresh(bystander["refresh_token"]))
    # The new password starts a new session, which a reset without sessions leaves alone.
    user.password = "a brand new password"
    fresh = sign_in_as(s, user)
    out = s.tenant.cli_json("users", "set-password", user.id, "--password-stdin",
                            stdin="another new password\n")
    assert out["revoked_refresh_tokens"] == 1 and out["id"] == user.id
    assert_revoked(s.refresh(fresh["refresh_token"]))


def test_revoke_sessions_ends_every_session_of_the_user(s):
    user = s.tenant.user(permissions={s.api: SCOPES})
    first, second = sign_in_as(s, user), sign_in_as(s, user)
    rotated = assert_token_response(s.refresh(first["refresh_token"]))
    res = s.tenant.cli("users", "revoke-sessions", user.email)
    # first (rotated), its successor and second: three tokens of two sign-ins.
    assert f"revoked 3 refresh token(s) of user {user.id} ({user.email})" in res.stdout, res.stdout
    assert_revoked(s.refresh(rotated["refresh_token"]))
    assert_revoked(s.refresh(second["refresh_token"]))
    assert s.introspect(second["refresh_token"]).json() == {"active": False}
    assert s.tenant.cli_json("users", "revoke-sessions", user.id) == {
        "id": user.id, "email": user.email, "revoked_refresh_tokens": 0}
    # Not a block: the user signs in again with the same password.
    assert_token_response(s.refresh(sign_in_as(s, user)["refresh_token"]))


# --- reuse detection and the grace period


def test_reuse_after_the_grace_revokes_the_whole_family(s):
    first = s.sign_in()
    second = assert_token_response(s.refresh(first["refresh_token"]))
    before = s.server.metric("signet_refresh_token_reuse_detected_total")
    time.sleep(GRACE + 1.1)
    res = s.refresh(first["refresh_token"])
    assert_oauth_error(res, 400, "invalid_grant", contains="already used")
    assert s.server.metric("signet_refresh_token_reuse_detected_total") == before + 1
    # The token the legitimate client holds now is revoked too: whoever had the stolen copy and
    # whoever had the fresh one must both sign in again.
    assert_oauth_error(s.refresh(second["refresh_token"]), 400, "invalid_grant")
    introspected = s.introspect(second["refresh_token"])
    assert introspected.json() == {"active": False}


def test_retries_within_the_grace_get_the_successor_already_issued(s):
    # Five retries used to mint five independent refresh tokens of the same sign-in.
    first = s.sign_in()
    a = assert_token_response(s.refresh(first["refresh_token"]))
    for _ in range(5):
        retry = assert_token_response(s.refresh(first["refresh_token"]))  # within 1 s
        assert retry["refresh_token"] == a["refresh_token"]
        assert retry["access_token"] != a["access_token"]
    # The one successor rotates as usual, after which the old token is no retry any more.
    assert_token_response(s.refresh(a["refresh_token"]))
    assert_oauth_error(s.refresh(first["refresh_token"]), 400, "invalid_grant",
                       contains="already used")


def test_a_grace_of_zero_admits_no_retry(start_serve):
    server = start_serve("--refresh-reuse-grace", "0")
    setup = Setup(server)
    first = setup.sign_in()
    second = assert_token_response(setup.refresh(first["refresh_token"]))
    # At once, in the same second: reuse, and the family is revoked.
    assert_oauth_error(setup.refresh(first["refresh_token"]), 400, "invalid_grant",
                       contains="already used")
    assert_oauth_error(setup.refresh(second["refresh_token"]), 400, "invalid_grant")


def test_concurrent_refreshes_with_one_token_both_succeed(s):
    first = s.sign_in()
    before = s.server.metric("signet_refresh_token_reuse_detected_total")
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def go(i: int):
        barrier.wait()
        results[i] = s.refresh(first["refresh_token"])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    bodies = [assert_token_response(r) for r in results]
    # The loser of the race gets the winner's successor: one session, one token.
    assert bodies[0]["refresh_token"] == bodies[1]["refresh_token"]
    assert s.server.metric("signet_refresh_token_reuse_detected_total") == before
    assert_token_response(s.refresh(bodies[0]["refresh_token"]))


# --- POST /oauth/revoke (RFC 7009)


def test_revoking_a_refresh_token(s):
    first = s.sign_in()
    res = s.revoke(first["refresh_token"], token_type_hint="refresh_token")
    assert res.status_code == 200, res.text
    assert_no_store(res)
    assert_oauth_error(s.refresh(first["refresh_token"]), 400, "invalid_grant")
    assert s.introspect(first["refresh_token"]).json() == {"active": False}


def test_revoking_revokes_the_family(s):
    first = s.sign_in()
    second = assert_token_response(s.refresh(first["refresh_token"]))
    assert s.revoke(first["refresh_token"]).status_code == 200  # the rotated one
    assert_oauth_error(s.refresh(second["refresh_token"]), 400, "invalid_grant")


def test_revoking_with_http_basic(s):
    client = s.tenant.client(type="regular_web", auth_method="client_secret_basic")
    s.tenant.sync()
    res = s.server.token({"grant_type": "password", "username": s.user.email,
                          "password": s.user.password, "audience": s.api,
                          "scope": SIGN_IN_SCOPE}, headers=client.basic())
    body = assert_token_response(res)
    res = s.server.post("/oauth/revoke", data={"token": body["refresh_token"]},
                        headers=client.basic())
    assert res.status_code == 200, res.text
    res = s.server.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                         headers=client.basic())
    assert_oauth_error(res, 400, "invalid_grant")


def test_revoking_an_unknown_token_is_ok(s):
    res = s.revoke("never-issued-" + "z" * 30)
    assert res.status_code == 200, res.text
    assert_no_store(res)


def test_revoke_without_a_token_is_invalid_request(s):
    res = s.server.post("/oauth/revoke", data=s.client.creds())
    assert_oauth_error(res, 400, "invalid_request", contains="token")


def test_revoke_without_client_authentication_is_401(s):
    first = s.sign_in()
    res = s.server.post("/oauth/revoke", data={"token": first["refresh_token"]})
    assert_oauth_error(res, 401, "invalid_client")
    res = s.server.post("/oauth/revoke", data={"token": first["refresh_token"],
                                               "client_id": s.client.client_id,
                                               "client_secret": "wrong" * 9})
    assert_oauth_error(res, 401, "invalid_client")
    assert_token_response(s.refresh(first["refresh_token"]))  # still valid


def test_revoking_an_access_token_is_unsupported_token_type(s):
    first = s.sign_in()
    res = s.revoke(first["access_token"])
    assert_oauth_error(res, 400, "unsupported_token_type")


def test_a_client_cannot_revoke_another_clients_token(s):
    first = s.sign_in()
    res = s.revoke(first["refresh_token"], client=s.other)
    assert res.status_code in (200, 400), res.text
    if res.status_code == 400:
        assert set(res.json()) == {"error", "error_description"}
    assert_token_response(s.refresh(first["refresh_token"]))  # not revoked


# --- POST /oauth/introspect (RFC 7662)


def test_introspecting_a_valid_access_token(s):
    first = s.sign_in(scope="offline_access read:messages")
    res = s.introspect(first["access_token"])
    assert res.status_code == 200, res.text
    assert_no_store(res)
    body = res.json()
    claims = unverified(first["access_token"])[1]
    assert body["active"] is True
    assert body["scope"] == claims["scope"]
    assert set(body["scope"].split()) == {"offline_access", "read:messages"}
    assert body["client_id"] == s.client.client_id
    assert body["sub"] == s.user.id
    assert body["exp"] == claims["exp"]
    assert body["iat"] == claims["iat"]
    assert body["iss"] == s.server.issuer
    assert body["aud"] == s.api


def test_introspecting_a_client_credentials_token(s):
    api, m2m = s.tenant.m2m()
    s.tenant.sync()
    token = assert_token_response(client_credentials(s.server, m2m, api["identifier"]))
    body = s.introspect(token["access_token"], client=m2m).json()
    assert body["active"] is True
    assert body["client_id"] == m2m.client_id
    assert body["sub"] == f"{m2m.client_id}@clients"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "x" * 20000],
                         ids=["garbage", "three-dots", "alg-none", "20k"])
def test_introspecting_garbage_is_inactive(s, token):
    res = s.introspect(token)
    assert res.status_code == 200, res.text
    assert res.json() == {"active": False}


def test_introspecting_a_tampered_token_is_inactive(s):
    token = s.sign_in()["access_token"]
    head, payload, sig = token.split(".")
    assert s.introspect(f"{head}.{payload}x.{sig}").json() == {"active": False}


def test_introspecting_an_expired_access_token_is_inactive(s):
    body = s.sign_in(api=s.short_api, scope="read:messages offline_access")
    assert body["expires_in"] == 2
    # exp is iat + 2 in whole seconds: active for at least the next second, expired after 2.1 s.
    assert s.introspect(body["access_token"]).json()["active"] is True
    time.sleep(2.1)
    assert s.introspect(body["access_token"]).json() == {"active": False}


def test_introspecting_refresh_tokens(s):
    first = s.sign_in()
    mine = s.introspect(first["refresh_token"]).json()
    assert mine["active"] is True
    assert mine["client_id"] == s.client.client_id
    assert mine["sub"] == s.user.id
    assert set(mine["scope"].split()) == set(SIGN_IN_SCOPE.split())
    assert mine["exp"] > time.time()
    # Not described to another client.
    assert s.introspect(first["refresh_token"], client=s.other).json() == {"active": False}
    # Inactive once rotated; its successor is active.
    second = assert_token_response(s.refresh(first["refresh_token"]))
    assert s.introspect(first["refresh_token"]).json() == {"active": False}
    assert s.introspect(second["refresh_token"]).json()["active"] is True


def test_introspecting_a_blocked_users_tokens(s):
    user = s.tenant.user(permissions={s.api: SCOPES})
    body = sign_in_as(s, user)
    assert s.introspect(body["access_token"]).json()["active"] is True
    s.tenant.cli("users", "block", user.id)
    assert s.introspect(body["access_token"]).json() == {"active": False}
    assert s.introspect(body["refresh_token"]).json() == {"active": False}
    s.tenant.cli("users", "unblock", user.id)
    assert s.introspect(body["access_token"]).json()["sub"] == user.id
    assert s.introspect(body["refresh_token"]).json()["active"] is True


def test_introspecting_a_deleted_users_access_token(s):
    user = s.tenant.user(permissions={s.api: SCOPES})
    body = sign_in_as(s, user)
    s.tenant.cli("users", "delete", user.id, "--yes")
    assert s.introspect(body["access_token"]).json() == {"active": False}


def test_introspecting_tokens_of_a_deleted_client(s):
    api, m2m = s.tenant.m2m()
    web = s.tenant.client(type="regular_web")
    s.tenant.sync()
    machine = assert_token_response(client_credentials(s.server, m2m, api["identifier"]))
    human = sign_in_as(s, s.user, client=web)
    for token in (machine["access_token"], human["access_token"]):
        assert s.introspect(token).json()["active"] is True
    for client in (m2m, web):
        s.tenant.cli("clients", "delete", client.client_id, "--yes")
    s.tenant.sync()
    for token in (machine["access_token"], human["access_token"]):
        assert s.introspect(token).json() == {"active": False}


def test_introspect_without_client_authentication_is_401(s):
    token = s.sign_in()["access_token"]
    res = s.server.post("/oauth/introspect", data={"token": token})
    assert_oauth_error(res, 401, "invalid_client")


def test_introspect_without_a_token_is_invalid_request(s):
    res = s.server.post("/oauth/introspect", data=s.client.creds())
    assert_oauth_error(res, 400, "invalid_request", contains="token")
