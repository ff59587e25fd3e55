"""The quickstart end to end: tokens from a real `signet serve` are accepted by a real `signet api`
(the messages API) that finds the server's keys through its discovery document, for every
signing algorithm, and refused without the scope, for another audience, or without a token.
"""

from __future__ import annotations

import json
import time

import pytest
import requests

from conftest import HTTP_TIMEOUT, SignetProcess
from serve_fixtures import (Tenant, assert_token_response, client_credentials,  # noqa: F401
                            module_serve, password_grant)

ALGS = ("RS256", "PS256", "ES256", "EdDSA")


class Setup:
    def __init__(self, server, log_dir: str):
        self.server = server
        self.tenant = t = Tenant(server)
        self.apis = {alg: t.api(scopes=("read:messages", "write:messages"), alg=alg)["identifier"]
                     for alg in ALGS}
        self.client = t.client()
        for audience in self.apis.values():
            t.grant(self.client, audience, ("read:messages", "write:messages"))
        self.unscoped = t.client()
        t.grant(self.unscoped, self.apis["RS256"], ("write:messages",))
        self.reader = t.client()
        t.grant(self.reader, self.apis["RS256"], ("read:messages",))
        self.outsider_api = t.api(scopes=("read:messages",))["identifier"]
        t.grant(self.client, self.outsider_api, ("read:messages",))
        t.sync()
        self.messages = SignetProcess(
            ["api", "--issuer", server.issuer, "--audience", ",".join(self.apis.values())],
            log_dir).start()

    def token(self, alg: str = "RS256", client=None, audience: str | None = None) -> str:
        res = client_credentials(self.server, client or self.client,
                                 audience or self.apis[alg])
        return assert_token_response(res)["access_token"]

    def call(self, path: str, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(self.messages.url(path), headers=headers, timeout=HTTP_TIMEOUT)


@pytest.fixture(scope="module")
def s(module_serve, tmp_path_factory):
    setup = Setup(module_serve(), str(tmp_path_factory.mktemp("messages")))
    yield setup
    setup.messages.stop()


@pytest.mark.parametrize("alg", ALGS)
def test_token_with_read_messages_is_accepted(s, alg):
    token = s.token(alg)
    for path in ("/api/private", "/api/private-scoped"):
        res = s.call(path, token)
        assert res.status_code == 200, (path, res.text)
        assert "Hello from a private endpoint!" in res.json()["message"]


def test_token_without_read_messages_is_forbidden_on_the_scoped_endpoint(s):
    token = s.token(client=s.unscoped)
    assert s.call("/api/private", token).status_code == 200
    res = s.call("/api/private-scoped", token)
    assert res.status_code == 403
    assert res.json()["error"] == "insufficient_scope"
    assert 'scope="read:messages"' in res.headers["WWW-Authenticate"]


def test_no_token_is_401(s):
    for path in ("/api/private", "/api/private-scoped"):
        res = s.call(path)
        assert res.status_code == 401
        assert res.headers["WWW-Authenticate"].startswith("Bearer")
    assert s.call("/api/public").status_code == 200


def test_token_for_another_audience_is_refused(s):
    token = s.token(audience=s.outsider_api)
    res = s.call("/api/private", token)
    assert res.status_code == 401
    assert res.json()["error"] == "invalid_token"


def test_user_token_from_the_password_grant_is_accepted(s):
    client = s.tenant.client(type="regular_web", grant_types="password")
    user = s.tenant.user(permissions={s.apis["RS256"]: ("read:messages",)})
    s.tenant.sync()
    body = assert_token_response(password_grant(s.server, client, user, s.apis["RS256"],
                                                scope="openid read:messages"))
    # aud is [api, {issuer}userinfo]: the API finds its own identifier in the array.
    res = s.call("/api/private-scoped", body["access_token"])
    assert res.status_code == 200, res.text
    # An ID token is not an access token for the API.
    assert s.call("/api/private", body["id_token"]).status_code == 401


def test_permissions_claim_is_added_when_the_api_asks_and_the_guard_reads_it(s):
    from serve_fixtures import unverified
    api = s.apis["ES256"]
    token = s.token("ES256")
    assert "permissions" not in unverified(token)[1]
    s.tenant.cli("apis", "update", api, "--permissions-claim", "true")
    s.tenant.sync()
    token = s.token("ES256")
    claims = unverified(token)[1]
    assert sorted(claims["permissions"]) == ["read:messages", "write:messages"]
    assert s.call("/api/private-scoped", token).status_code == 200
    s.tenant.cli("apis", "update", api, "--permissions-claim", "false")


def test_audience_refusal_names_the_token_audience_and_the_expected_ones(s):
    token = s.token(audience=s.outsider_api)
    res = s.call("/api/private", token)
    assert res.status_code == 401
    expected = ", ".join(f"'{a}'" for a in s.apis.values())
    assert res.json()["error_description"] == (
        f"token audience ['{s.outsider_api}'] does not include any of the expected {expected}")


def start_messages_api(s, log_dir, *flags: str, issuer: str | None = None) -> SignetProcess:
    return SignetProcess(["api", "--issuer", issuer or s.server.issuer,
                          "--audience", s.apis["RS256"], *flags], str(log_dir)).start()


def started_log(api: SignetProcess) -> list[dict]:
    """signet api's JSON log lines once it says it listens (after its start-up checks)."""
    deadline = time.monotonic() + 30
    while True:
        lines = [json.loads(line) for line in api.stderr_text().splitlines() if line.strip()]
        if any(line.get("msg") == "messages API listening" for line in lines):
            return lines
        assert time.monotonic() < deadline, api.stderr_text()
        time.sleep(0.05)


def test_issuer_without_its_trailing_slash_is_warned_about_at_start(s, tmp_path):
    bare = s.server.issuer.rstrip("/")
    api = start_messages_api(s, tmp_path, issuer=bare)
    try:
        warnings = [line for line in started_log(api) if line.get("level") == "warn"]
        assert len(warnings) == 1, warnings
        w = warnings[0]
        assert w["issuer"] == bare and w["metadata_issuer"] == s.server.issuer
        assert w["msg"] == (
            f"--issuer '{bare}' differs from the issuer's own metadata, which names "
            f"'{s.server.issuer}' (note the trailing slash): its tokens carry that iss and will "
            f"be refused; set --issuer '{s.server.issuer}'")
        # As the warning says: a token from this server is refused, naming the slash.
        res = requests.get(api.url("/api/private"), timeout=HTTP_TIMEOUT,
                           headers={"Authorization": f"Bearer {s.token()}"})
        assert res.status_code == 401
        assert res.json()["error_description"] == (
            f"token issuer '{s.server.issuer}' is not the expected '{bare}' (note the trailing "
            "slash)")
    finally:
        api.stop()
    # With the slash, the start is quiet.
    api = start_messages_api(s, tmp_path)
    try:
        assert [line for line in started_log(api) if line.get("level") == "warn"] == []
    finally:
        api.stop()


def test_required_scope_flag_with_tokens_from_the_server(s, tmp_path):
    api = start_messages_api(s, tmp_path, "--required-scope", "write:messages")
    try:
        writer = s.token(client=s.unscoped)  # granted only write:messages
        res = requests.get(api.url("/api/private-scoped"), timeout=HTTP_TIMEOUT,
                           headers={"Authorization": f"Bearer {writer}"})
        assert res.status_code == 200, res.text
        assert res.json()["message"] == ("Hello from a private endpoint! You need to be "
                                         "authenticated and have a scope of write:messages to "
                                         "see this.")
        reader = s.token(client=s.reader)  # granted only read:messages
        res = requests.get(api.url("/api/private-scoped"), timeout=HTTP_TIMEOUT,
                           headers={"Authorization": f"Bearer {reader}"})
        assert res.status_code == 403
        assert 'scope="write:messages"' in res.headers["WWW-Authenticate"]
    finally:
        api.stop()
