"""End-to-end tests of who a connection and a request count as, on a real `signet serve` and
`signet api`: one address cannot take every connection (--max-connections-per-address), idle
keep-alive sockets give way to new clients when the server is full (--max-connections), and behind
a reverse proxy (--trusted-proxy) lockouts count the client the proxy names, not the proxy.

The server listens on 127.0.0.1; the tests connect from other loopback addresses (all of 127/8
is local on Linux) to be other clients.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import subprocess
import time
import urllib.parse

from conftest import HTTP_TIMEOUT, clean_env, signet_bin
from serve_fixtures import Tenant, start_serve, wait_for  # noqa: F401

PER_ADDRESS = 3
TOTAL = 6
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """(status, body) of one response read from a raw socket; (0, b"") when it closed first."""
    res = http.client.HTTPResponse(sock)
    try:
        res.begin()
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return 0, b""
    return res.status, res.read()


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT,
                                    source_address=(source, 0))


def idle_keep_alive(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A connection that has been answered once and now waits idle, open, for its next request.
    Retried while the server still counts this address's just-closed connections (those of the
    readiness check and the tenant setup)."""
    def attempt():
        sock = connect(port, source)
        sock.sendall(HEALTHZ)
        status, _ = read_response(sock)
        if status == 200:
            return sock
        sock.close()
        return None

    return wait_for(attempt, timeout=5.0, what=f"an idle keep-alive connection from {source}")


def closed_by_server(sock: socket.socket, timeout: float = 5.0) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


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


class Holder:
    """Sockets held open by a test, closed at its end."""

    def __init__(self):
        self.sockets: list[socket.socket] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for sock in self.sockets:
            sock.close()

    def add(self, sock: socket.socket) -> socket.socket:
        self.sockets.append(sock)
        return sock


def test_one_address_cannot_take_every_connection(start_serve):
    server = start_serve("--max-connections", str(TOTAL),
                         "--max-connections-per-address", str(PER_ADDRESS))
    tenant = Tenant(server)
    api, client = tenant.m2m()
    tenant.sync()
    data = {"grant_type": "client_credentials", "audience": api["identifier"], **client.creds()}
    with Holder() as held:
        for _ in range(PER_ADDRESS):
            held.add(idle_keep_alive(server.port))
        # One more from the same address: 503, and closed.
        extra = held.add(connect(server.port))
        status, body = read_response(extra)
        assert status == 503, body
        assert json.loads(body)["error"] == "temporarily_unavailable"
        assert closed_by_server(extra)
        # Another client still gets its token.
        status, body = token_from(server, "127.0.0.2", data)
        assert status == 200, body
        assert body["token_type"] == "Bearer"


def test_a_full_server_closes_an_idle_connection_for_a_new_client(start_serve):
    server = start_serve("--max-connections", str(PER_ADDRESS + 1),
                         "--max-connections-per-address", str(PER_ADDRESS))
    with Holder() as held:
        # Full: 127.0.0.1's three (its per-address limit leaves none of its earlier connections
        # counted) and one from 127.0.0.3.
        idle = [held.add(idle_keep_alive(server.port)) for _ in range(PER_ADDRESS)]
        idle.append(held.add(idle_keep_alive(server.port, "127.0.0.3")))
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=HTTP_TIMEOUT,
                                          source_address=("127.0.0.2", 0))
        try:
            conn.request("GET", "/.well-known/jwks.json")
            res = conn.getresponse()
            assert res.status == 200, res.read()
            assert "keys" in json.loads(res.read())
        finally:
            conn.close()
        # One idle connection made room (the oldest: tests/http/server_test.cc checks which).
        readable, _, _ = select.select(idle, [], [], 5.0)
        assert len(readable) == 1, readable
        assert closed_by_server(readable[0])
        # The others are still open and answer.
        for sock in idle:
            if sock is not readable[0]:
                sock.sendall(HEALTHZ)
                assert read_response(sock)[0] == 200


def test_signet_api_limits_connections_per_address(start_signet, shared_issuer):
    api = start_signet(shared_issuer, "--max-connections-per-address", "2")
    with Holder() as held:
        for _ in range(2):
            held.add(idle_keep_alive(api.port))
        extra = held.add(connect(api.port))
        assert read_response(extra)[0] == 503
        other = held.add(connect(api.port, "127.0.0.2"))
        other.sendall(b"GET /api/public HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(other)[0] == 200


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
    # Another client behind the same proxy is not blocked; it only waits out the account's
    # 1 s delay after ten failures in a row (limit 2 of server/login_throttle.h).
    # On a loaded machine one argon2id check can outlast that 1 s: a guess that arrives late is
    # counted and the next waits twice as long, until one lands within its delay.
    for attempt in range(6):
        status, body = s.login(f"wrong again {attempt}", "203.0.113.6")
        if status == 429:
            break
        assert (status, body["error"]) == (400, "invalid_grant"), (attempt, body)
    assert (status, body["error"]) == (429, "too_many_attempts"), body
    assert "slowed down" in body["error_description"], body
    # The delay is at most 30 s (not the address's hour-long block): the owner gets in after it.
    deadline = time.monotonic() + 35
    while True:
        status, body = s.login(s.user.password, "203.0.113.6")
        if status != 429 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
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


def test_an_ipv6_slash64_behind_a_proxy_is_one_client(start_serve):
    s = PasswordSetup(start_serve("--trusted-proxy", "127.0.0.1/32",
                                  "--lockout-max-failures", "3"))
    for i in range(3):
        status, body = s.login(f"wrong {i}", f"2001:db8:5:6::{i + 1}")
    assert (status, body["error"]) == (429, "too_many_attempts"), body
    status, body = s.login(s.user.password, "2001:db8:5:6:aaaa::9")  # same /64
    assert (status, body["error"]) == (429, "too_many_attempts"), body
    status, body = s.login(s.user.password, "2001:db8:5:7::1")  # the next /64
    assert status == 200, body


def test_guessing_from_many_addresses_slows_the_account_but_not_its_owner(start_serve):
    # Ten addresses, one wrong password each: no address is locked out, but the account is
    # slowed for every address the user has not signed in from.
    s = PasswordSetup(start_serve("--trusted-proxy", "127.0.0.1/32"))
    status, body = s.login(s.user.password, "198.51.100.200")  # the owner's usual address
    assert status == 200, body
    for i in range(10):
        status, body = s.login(f"wrong {i}", f"203.0.113.{i + 1}")
        assert (status, body["error"]) == (400, "invalid_grant"), (i, body)
    # The delay runs from the last failure (1 s, doubling with each failure after): on a loaded
    # machine one argon2id check can outlast it, so a guess that arrives late is counted and the
    # next waits twice as long, until one arrives within its delay.
    for attempt in range(6):
        status, body = s.login(f"wrong {10 + attempt}", "203.0.113.100")
        if status == 429:
            break
        assert (status, body["error"]) == (400, "invalid_grant"), (attempt, body)
    assert (status, body["error"]) == (429, "too_many_attempts"), body
    assert "slowed down" in body["error_description"], body
    status, body = s.login(s.user.password, "198.51.100.200")
    assert status == 200, body
