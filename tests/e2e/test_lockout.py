"""End-to-end tests of brute-force protection on a real `signet serve`: consecutive wrong
passwords block a user (429 too_many_attempts with Retry-After) until `signet users unblock` or
until --lockout-seconds pass, and repeated wrong secrets throttle a client (10 failures, 300 s).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse

import pytest

from conftest import HTTP_TIMEOUT

from serve_fixtures import (Tenant, assert_oauth_error, assert_token_response,  # noqa: F401
                            client_credentials, module_serve, password_grant, start_serve)

MAX_FAILURES = 3
LOCKOUT_SECONDS = 60
CLIENT_MAX_FAILURES = 10   # signet's fixed client policy
CLIENT_LOCKOUT_SECONDS = 300


class Setup:
    def __init__(self, server):
        self.server = server
        self.tenant = t = Tenant(server)
        self.api = t.api(scopes=("read:messages",))["identifier"]
        self.client = t.client(type="regular_web", grant_types="password")
        t.sync()

    def user(self):
        return self.tenant.user(permissions={self.api: ("read:messages",)})

    def login(self, user, password: str | None = None):
        return password_grant(self.server, self.client, user, self.api, password=password)


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve("--lockout-max-failures", str(MAX_FAILURES),
                              "--lockout-seconds", str(LOCKOUT_SECONDS)))


def assert_blocked(res, max_seconds: int) -> int:
    assert_oauth_error(res, 429, "too_many_attempts")
    retry_after = res.headers.get("Retry-After")
    assert retry_after is not None and retry_after.isdigit(), res.headers
    assert 0 < int(retry_after) <= max_seconds
    return int(retry_after)


def fail_until_blocked(s, user, attempts: int = MAX_FAILURES):
    """Sends wrong passwords; all but the last are 'wrong', the last is the block."""
    for i in range(attempts - 1):
        assert_oauth_error(s.login(user, password=f"wrong password {i}"), 400, "invalid_grant",
                           contains="Wrong email or password.")
    return s.login(user, password="wrong password, last")


def test_wrong_passwords_block_the_user_until_unblocked(s):
    user = s.user()
    errors = {"error": "too_many_attempts"}
    before = s.server.metric("signet_token_endpoint_errors_total", errors)
    lockouts = s.server.metric("signet_login_lockouts_total")
    assert_blocked(fail_until_blocked(s, user), LOCKOUT_SECONDS)
    assert s.server.metric("signet_token_endpoint_errors_total", errors) == before + 1
    assert s.server.metric("signet_login_lockouts_total") == lockouts + 1
    # Even the right password is refused while blocked: guessing cannot go on.
    res = s.login(user)
    assert_blocked(res, LOCKOUT_SECONDS)
    assert "signet users unblock" in res.json()["error_description"]

    out = s.tenant.cli("users", "unblock", user.id)
    assert "unblocked" in out.stdout
    assert_token_response(s.login(user))


def test_unblock_by_email(s):
    user = s.user()
    assert_blocked(fail_until_blocked(s, user), LOCKOUT_SECONDS)
    s.tenant.cli("users", "unblock", user.email)
    assert_token_response(s.login(user))


def test_a_blocked_user_does_not_block_others(s):
    blocked, other = s.user(), s.user()
    assert_blocked(fail_until_blocked(s, blocked), LOCKOUT_SECONDS)
    assert_token_response(s.login(other))


def login_from(s, source_ip: str, user, password: str | None = None) -> tuple[int, dict]:
    """A password grant sent from another loopback address (all of 127/8 is local)."""
    conn = http.client.HTTPConnection("127.0.0.1", s.server.port, timeout=HTTP_TIMEOUT,
                                      source_address=(source_ip, 0))
    try:
        body = urllib.parse.urlencode({
            "grant_type": "password", "username": user.email,
            "password": user.password if password is None else password,
            "audience": s.api, **s.client.creds()})
        conn.request("POST", "/oauth/token", body,
                     {"Content-Type": "application/x-www-form-urlencoded"})
        res = conn.getresponse()
        return res.status, json.loads(res.read())
    finally:
        conn.close()


def test_a_block_is_per_address(s):
    user = s.user()
    assert_blocked(fail_until_blocked(s, user), LOCKOUT_SECONDS)
    status, body = login_from(s, "127.0.0.2", user)
    assert status == 200, body
    # and failures from there are counted there, apart from 127.0.0.1's
    status, body = login_from(s, "127.0.0.3", user, password="wrong from elsewhere")
    assert (status, body["error"]) == (400, "invalid_grant")


def test_unblock_lifts_the_blocks_of_every_address(s):
    user = s.user()
    assert_blocked(fail_until_blocked(s, user), LOCKOUT_SECONDS)
    for i in range(MAX_FAILURES):
        status, body = login_from(s, "127.0.0.2", user, password=f"wrong {i}")
    assert (status, body["error"]) == (429, "too_many_attempts")
    s.tenant.cli("users", "unblock", user.id)
    assert_token_response(s.login(user))
    status, body = login_from(s, "127.0.0.2", user)
    assert status == 200, body


def test_a_client_cannot_choose_its_address_with_a_header(s):
    user = s.user()
    for i in range(MAX_FAILURES - 1):
        res = s.server.token({"grant_type": "password", "username": user.email,
                              "password": f"wrong {i}", "audience": s.api, **s.client.creds()},
                             headers={"Signet-Peer-Address": f"10.0.0.{i}",
                                      "X-Forwarded-For": f"10.0.1.{i}"})
        assert_oauth_error(res, 400, "invalid_grant")
    res = s.server.token({"grant_type": "password", "username": user.email,
                          "password": "wrong, last", "audience": s.api, **s.client.creds()},
                         headers={"Signet-Peer-Address": "10.0.0.99"})
    assert_blocked(res, LOCKOUT_SECONDS)


def test_a_success_resets_the_count(s):
    user = s.user()
    for _ in range(2):
        for i in range(MAX_FAILURES - 1):
            assert_oauth_error(s.login(user, password=f"wrong {i}"), 400, "invalid_grant")
        assert_token_response(s.login(user))


def test_unknown_user_names_are_throttled_like_known_ones(s):
    ghost = type(s.user())("none", "ghost-user@example.com", "irrelevant password")
    assert_blocked(fail_until_blocked(s, ghost), LOCKOUT_SECONDS)


def test_block_expires_after_lockout_seconds(start_serve):
    # Three seconds, so that an argon2id verification slowed by a loaded machine still lands
    # inside the block.
    server = start_serve("--lockout-max-failures", "2", "--lockout-seconds", "3")
    s = Setup(server)
    user = s.user()
    assert_oauth_error(s.login(user, password="wrong one"), 400, "invalid_grant")
    assert_blocked(s.login(user, password="wrong two"), 3)
    assert_blocked(s.login(user), 3)
    time.sleep(4.1)
    assert_token_response(s.login(user))


def test_wrong_client_secrets_throttle_the_client(s):
    api, client = s.tenant.m2m()
    other_api, bystander = s.tenant.m2m()
    s.tenant.sync()
    wrong = type(client)(client.client_id, "w" * 43, client.auth_method)
    for _ in range(CLIENT_MAX_FAILURES - 1):
        assert_oauth_error(client_credentials(s.server, wrong, api["identifier"]), 401,
                           "invalid_client")
    res = client_credentials(s.server, wrong, api["identifier"])
    assert_blocked(res, CLIENT_LOCKOUT_SECONDS)
    assert_blocked(client_credentials(s.server, wrong, api["identifier"]), CLIENT_LOCKOUT_SECONDS)
    assert_token_response(client_credentials(s.server, bystander, other_api["identifier"]))
    # The right secret is never throttled: client ids are public, so anyone could otherwise lock
    # a client out with ten bad requests. Its success ends the block.
    assert_token_response(client_credentials(s.server, client, api["identifier"]))
    assert_oauth_error(client_credentials(s.server, wrong, api["identifier"]), 401,
                       "invalid_client")


def test_wrong_basic_secrets_throttle_the_client(s):
    api = s.tenant.api(scopes=("read:messages",))
    client = s.tenant.client(auth_method="client_secret_basic")
    s.tenant.grant(client, api["identifier"])
    s.tenant.sync()
    data = {"grant_type": "client_credentials", "audience": api["identifier"]}
    for _ in range(CLIENT_MAX_FAILURES - 1):
        res = s.server.token(data, headers=client.basic(secret="b" * 43))
        assert_oauth_error(res, 401, "invalid_client", basic_challenge=True)
    assert_blocked(s.server.token(data, headers=client.basic(secret="b" * 43)),
                   CLIENT_LOCKOUT_SECONDS)
    assert_token_response(s.server.token(data, headers=client.basic()))
