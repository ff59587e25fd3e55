"""End-to-end tests of who a request counts as, on a real `signet serve` and `signet api`: behind
a reverse proxy (--trusted-proxy) lockouts count the client the proxy names, not the proxy.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import urllib.parse

from conftest import HTTP_TIMEOUT, clean_env, signet_bin
from serve_fixtures import Tenant, start_serve  # noqa: F401


def token_from(server, source: str, data: dict, headers: dict | None = None) -> tuple[int, dict]:
    """POST /oauth/token from loopback address `source`."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=HTTP_TIMEOUT,
                                      source_address=(source, 0))
    try:
        conn.request("POST", "/oauth/token", urllib.parse.urlencode(data),
                     {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        res = conn.getresponse()
        return res.status, json.loads(res.read())
    finally:
        conn.close()


def test_a_bad_trusted_proxy_is_refused_at_start(shared_issuer, tmp_path):
    for args in (["serve", "--data-dir", str(tmp_path / "data")],
                 ["api", "--issuer", shared_issuer.url, "--audience", "https://a.example/"]):
        res = subprocess.run([signet_bin(), *args, "--listen", "127.0.0.1:0",
                              "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "10.0.0.1/8"],
                             env=clean_env(), capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL)
        assert res.returncode == 1, res.stderr
        assert "'10.0.0.1/8'" in res.stderr, res.stderr


# --- behind a reverse proxy

class PasswordSetup:
    def __init__(self, server):
        self.server = server
        self.tenant = t = Tenant(server)
        self.api = t.api(scopes=("read:messages",))["identifier"]
        self.client = t.client(type="regular_web", grant_types="password")
        self.user = t.user(permissions={self.api: ("read:messages",)})
        t.sync()

    def login(self, password: str, forwarded_for: str) -> tuple[int, dict]:
        data = {"grant_type": "password", "username": self.user.email, "password": password,
                "audience": self.api, **self.client.creds()}
        return token_from(self.server, "127.0.0.1", data, {"X-Forwarded-For": forwarded_for})


def test_lockouts_count_the_client_a_trusted_proxy_names(start_serve):
    # The default policy: 10 wrong passwords block a user from one address.
    s = PasswordSetup(start_serve("--trusted-proxy", "127.0.0.1/32"))
    for i in range(9):
        status, body = s.login(f"wrong {i}", "203.0.113.5")
        assert (status, body["error"]) == (400, "invalid_grant"), body
    status, body = s.login("wrong, last", "192.0.2.1, 203.0.113.5")  # a prepended hop is ignored
    assert (status, body["error"]) == (429, "too_many_attempts"), body
    status, body = s.login(s.user.password, "203.0.113.5")
    assert (status, body["error"]) == (429, "too_many_attempts"), body
    # Another client behind the same proxy is not blocked.
    status, body = s.login("wrong again", "203.0.113.6")
    assert (status, body["error"]) == (400, "invalid_grant"), body
    status, body = s.login(s.user.password, "203.0.113.6")
    assert status == 200, body
    # The access log shows the client, beside the proxy's socket.
    log = [json.loads(line) for line in s.server.stderr_text().splitlines()
           if line.startswith("{")]
    token_requests = [entry for entry in log if entry.get("path") == "/oauth/token"]
    assert {entry["client"] for entry in token_requests} == {"203.0.113.5", "203.0.113.6"}
    assert all(entry["remote"].startswith("127.0.0.1:") for entry in token_requests)


def test_without_trusted_proxy_forwarding_headers_are_ignored(start_serve):
    s = PasswordSetup(start_serve("--lockout-max-failures", "3"))
    for i in range(2):
        status, body = s.login(f"wrong {i}", f"203.0.113.{i}")
        assert (status, body["error"]) == (400, "invalid_grant"), body
    status, body = s.login("wrong, last", "203.0.113.77")
    assert (status, body["error"]) == (429, "too_many_attempts"), body
    # The server's own peer is what counted: every "client" is blocked together.
    status, body = s.login(s.user.password, "198.51.100.1")
    assert (status, body["error"]) == (429, "too_many_attempts"), body
