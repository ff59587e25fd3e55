"""Crash safety of `signet serve` and its store: SIGKILL during a burst of admin writes and
refresh-token rotations loses nothing that was committed, and the server restarts on the same data
directory and answers normally. Also: a clean SIGTERM shutdown.
"""

from __future__ import annotations

import signal
import sqlite3
import threading

import requests

from serve_fixtures import (Tenant, assert_token_response, client_credentials,  # noqa: F401
                            password_grant, refresh_grant, run_cli, start_serve, wait_for)

BURST = 20  # applications created (each with a client grant) during the burst


def test_sigkill_during_a_burst_of_writes_loses_nothing_committed(start_serve):
    server = start_serve()
    tenant = Tenant(server)
    api = tenant.api(scopes=("read:messages",), offline=True)["identifier"]
    web = tenant.client(type="regular_web")
    user = tenant.user(permissions={api: ("read:messages",)})
    tenant.sync()
    signed_in = assert_token_response(password_grant(server, web, user, api,
                                                     scope="offline_access read:messages"))

    committed: list = []      # clients whose create and grant both exited 0
    failures: list[str] = []  # admin commands that failed
    rotations = {"count": 0, "token": signed_in["refresh_token"]}
    stop = threading.Event()

    def admin_burst():
        for _ in range(BURST):
            try:
                client = tenant.client()
                tenant.grant(client, api)
            except AssertionError as e:  # a failed command: recorded, not committed
                failures.append(str(e))
                continue
            committed.append(client)

    def refresh_hammer():
        while not stop.is_set():
            try:
                res = refresh_grant(server, web, rotations["token"])
            except requests.RequestException:
                return  # the server is gone
            if res.status_code != 200:
                failures.append(f"refresh: {res.status_code} {res.text}")
                return
            rotations["token"] = res.json()["refresh_token"]
            rotations["count"] += 1

    threads = [threading.Thread(target=admin_burst), threading.Thread(target=refresh_hammer)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(committed) >= 5 and rotations["count"] >= 5, timeout=20,
                 interval=0.01, what="the burst to get going")
        server.kill()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not failures, failures
    assert len(committed) == BURST
    assert rotations["count"] >= 5

    server.start(port=server.port)  # same data directory, same issuer
    assert server.get("/healthz").status_code == 200

    listed = {c["client_id"] for c in tenant.cli_json("clients", "list")}
    assert {c.client_id for c in committed} <= listed
    for client in committed:
        assert_token_response(client_credentials(server, client, api))

    # The last refresh token the client received still works: the rotation that produced it was
    # committed before the answer was sent (and a rotation whose answer the kill swallowed is
    # within the reuse grace).
    body = assert_token_response(refresh_grant(server, web, rotations["token"]))
    assert_token_response(refresh_grant(server, web, body["refresh_token"]))
    assert_token_response(password_grant(server, web, user, api))

    with sqlite3.connect(f"file:{server.data_dir}/signet.db?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_restart_keeps_keys_and_tokens_valid(start_serve):
    server = start_serve()
    tenant = Tenant(server)
    api, client = tenant.m2m()
    tenant.sync()
    token = assert_token_response(client_credentials(server, client, api["identifier"]))
    kids = {k["kid"] for k in server.jwks()["keys"]}
    server.kill()
    server.start(port=server.port)
    assert {k["kid"] for k in server.jwks()["keys"]} == kids
    res = server.post("/oauth/introspect",
                      data={"token": token["access_token"], **client.creds()})
    assert res.json()["active"] is True


def test_sigterm_stops_cleanly_after_serving(start_serve):
    server = start_serve()
    tenant = Tenant(server)
    api, client = tenant.m2m()
    tenant.sync()  # at least one configuration reload
    assert_token_response(client_credentials(server, client, api["identifier"]))
    code = server.terminate(signal.SIGTERM)
    assert code == 0, f"exit code {code}; stderr:\n{server.stderr_text()[-2000:]}"
    assert "authorization server stopped" in server.stderr_text()


def test_admin_cli_works_while_the_server_is_down(start_serve):
    server = start_serve()
    tenant = Tenant(server)
    server.kill()
    api, client = tenant.m2m()
    run_cli(server.data_dir, "keys", "list")
    server.start(port=server.port)
    assert_token_response(client_credentials(server, client, api["identifier"]))


def test_expired_refresh_tokens_are_swept_at_start(start_serve):
    server = start_serve()
    tenant = Tenant(server)
    api = tenant.api(scopes=("read:messages",), offline=True)["identifier"]
    web = tenant.client(type="regular_web")
    user = tenant.user(permissions={api: ("read:messages",)})
    tenant.sync()
    for _ in range(2):
        assert_token_response(password_grant(server, web, user, api,
                                             scope="offline_access read:messages"))
    server.stop()
    db_path = f"{server.data_dir}/signet.db"
    with sqlite3.connect(db_path) as db:
        (before,), = db.execute("SELECT COUNT(*) FROM refresh_tokens").fetchall()
        assert before == 2
        # One family ran out of time while the server was down.
        db.execute("UPDATE refresh_tokens SET expires_at = 1 WHERE rowid = "
                   "(SELECT MIN(rowid) FROM refresh_tokens)")
    server.start()
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        wait_for(lambda: db.execute("SELECT COUNT(*) FROM refresh_tokens").fetchone()[0] == 1,
                 what="the expired refresh token to be deleted")
    assert '"deleted expired refresh tokens"' in server.stderr_text()
