"""The event log end to end (docs/operations.md "Event log"): a real `signet serve` records typed
events for token requests, sign-in failures and lockouts; `signet logs` reads them from the store
(filters, JSON lines, --follow), the Management API lists them (pages and from/take), the server
writes them as JSON lines, and retention bounds the store. No secret ever appears."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time

import pytest
import requests

from conftest import clean_env, signet_bin
from serve_fixtures import (DEFAULT_PASSWORD, Tenant, basic_header, client_credentials,
                            password_grant, run_cli, start_serve,  # noqa: F401 (a fixture)
                            wait_for)

LOGS_TIMEOUT = 5.0  # s; events reach the store within a flush (250 ms)


def logs(data_dir, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run_cli(data_dir, "logs", *args, check=check)


def events(data_dir, *args: str) -> list[dict]:
    out = logs(data_dir, "--json", *args).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def wait_events(data_dir, count: int, *args: str) -> list[dict]:
    return wait_for(lambda: (lambda e: e if len(e) >= count else None)(events(data_dir, *args)),
                    timeout=LOGS_TIMEOUT, what=f"{count} events matching {args}")


@pytest.fixture
def served(start_serve):
    server = start_serve()
    tenant = Tenant(server)
    api, client = tenant.m2m()
    tenant.sync()
    return server, tenant, api, client


def test_token_requests_are_recorded_with_who_where_and_why_never_the_secret(served):
    server, tenant, api, client = served
    assert client_credentials(server, client, api["identifier"]).status_code == 200
    bad = server.token({"grant_type": "client_credentials", "audience": api["identifier"]},
                       headers={**client.basic("not-the-secret-Zq9"), "User-Agent": "probe/2.0"})
    assert bad.status_code == 401

    recorded = wait_events(server.data_dir, 2, "--client", client.client_id)
    ok, failed = recorded  # oldest first
    assert ok["type"] == "seccft"
    assert ok["client_id"] == client.client_id
    assert ok["audience"] == api["identifier"]
    assert ok["scope"] == "read:messages write:messages"
    assert ok["ip"] == "127.0.0.1"
    assert ok["description"] == "Success Exchange (Client Credentials for Access Token)"
    assert ok["details"] == {"grant_type": "client_credentials"}
    assert int(ok["log_id"]) < int(failed["log_id"])
    assert failed["type"] == "feccft"
    assert failed["client_id"] == client.client_id, "the client as presented in Basic"
    assert failed["error"] == "invalid_client"
    assert failed["user_agent"] == "probe/2.0"

    everything = logs(server.data_dir, "--json").stdout + server.stderr_text()
    assert "not-the-secret-Zq9" not in everything
    assert client.client_secret not in everything

    # Counted in /metrics: nothing lost.
    assert server.metric("signet_events_recorded_total") >= 2
    assert wait_for(lambda: server.metric("signet_events_stored_total") >= 2, timeout=LOGS_TIMEOUT,
                    what="the events to be stored")
    assert server.metric("signet_events_dropped_total") == 0
    assert server.metric("signet_event_store_write_failures_total") == 0

    # The server also wrote them as JSON lines (stdout by default), without the store's ids.
    lines = [json.loads(line) for line in server.stderr_text().splitlines()
             if line.startswith("{") and '"type":"seccft"' in line]
    assert lines and lines[0]["client_id"] == client.client_id
    assert "log_id" not in lines[0]


def test_the_table_filters_and_their_errors(served):
    server, tenant, api, client = served
    user = tenant.user()
    web = tenant.client(type="regular_web", grant_types="password")
    tenant.sync()
    assert client_credentials(server, client, api["identifier"]).status_code == 200
    assert password_grant(server, web, user, api["identifier"], password="wrong").status_code == 400
    wait_events(server.data_dir, 1, "--type", "fepft")
    wait_events(server.data_dir, 1, "--type", "seccft")

    table = logs(server.data_dir).stdout.splitlines()
    assert table[0].split() == ["DATE", "TYPE", "CLIENT", "USER", "IP", "DESCRIPTION"]
    assert any(" fepft " in row and user.id in row and "invalid_grant" in row for row in table)
    assert [e["type"] for e in events(server.data_dir, "--type", "fepft")] == ["fepft"]
    assert [e["type"] for e in events(server.data_dir, "--user", user.id)] == ["fepft"]
    assert events(server.data_dir, "--since", "1h")
    assert events(server.data_dir, "--since", "2999-01-01T00:00:00Z") == []
    assert len(events(server.data_dir, "--limit", "1")) == 1

    # A client chooses what it presents as client_id: the table shows control characters as text.
    server.token({"grant_type": "client_credentials", "audience": api["identifier"]},
                 headers={"Authorization": basic_header("evil\x1b[2J", "x")})
    wait_events(server.data_dir, 1, "--client", "evil\x1b[2J")
    table = logs(server.data_dir, "--client", "evil\x1b[2J").stdout
    assert "evil\\x1b[2J" in table and "\x1b" not in table

    wrong_type = logs(server.data_dir, "--type", "nonsense", check=False)
    assert wrong_type.returncode == 1
    assert "unknown log type 'nonsense'" in wrong_type.stderr and "seccft" in wrong_type.stderr
    wrong_since = logs(server.data_dir, "--since", "yesterday", check=False)
    assert wrong_since.returncode == 1 and "30s, 15m, 2h, 7d" in wrong_since.stderr
    wrong_limit = logs(server.data_dir, "--limit", "0", check=False)
    assert wrong_limit.returncode == 1 and "--limit" in wrong_limit.stderr


def test_a_lockout_is_recorded_when_it_starts(start_serve):
    server = start_serve("--lockout-max-failures", "3")
    tenant = Tenant(server)
    api = tenant.api()
    web = tenant.client(type="regular_web", grant_types="password")
    user = tenant.user()
    tenant.sync()
    for _ in range(3):
        password_grant(server, web, user, api["identifier"], password="guess")
    recorded = wait_events(server.data_dir, 4, "--user", user.id)
    assert [e["type"] for e in recorded] == ["fepft", "fepft", "fepft", "limit_wc"]
    assert DEFAULT_PASSWORD not in json.dumps(recorded) and "guess" not in json.dumps(recorded)


def test_follow_prints_new_events_as_they_come(served):
    server, tenant, api, client = served
    follower = subprocess.Popen([signet_bin(), "logs", "--data-dir", server.data_dir, "--follow",
                                 "--json", "--type", "seccft"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=clean_env())
    try:
        time.sleep(0.5)  # not a check: lets the follower start before the event, either is fine
        assert client_credentials(server, client, api["identifier"]).status_code == 200
        line = follower.stdout.readline()
        assert json.loads(line)["type"] == "seccft"
    finally:
        follower.terminate()
        follower.wait(timeout=10)


def test_the_management_api_lists_pages_and_follows_with_from_and_take(served):
    server, tenant, api, client = served
    reader = tenant.client()
    tenant.grant(reader, server.issuer + "api/v2/", ("read:logs",))
    tenant.sync()
    token = client_credentials(server, reader, server.issuer + "api/v2/").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        assert client_credentials(server, client, api["identifier"]).status_code == 200
    wait_events(server.data_dir, 3, "--client", client.client_id)

    url = server.issuer + "api/v2/logs"
    page = requests.get(url, headers=headers, timeout=10,
                        params={"client_id": client.client_id, "include_totals": "true",
                                "per_page": "2"})
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == 3 and len(body["logs"]) == 2
    newest, older = body["logs"]
    assert int(newest["log_id"]) > int(older["log_id"])

    after = requests.get(url, headers=headers, timeout=10,
                         params={"from": older["log_id"], "take": "10",
                                 "client_id": client.client_id})
    assert after.status_code == 200, after.text
    assert [e["log_id"] for e in after.json()] == [newest["log_id"]]

    for params in ({"from": "x"}, {"take": "0"}, {"take": "101"}, {"from": "1", "page": "2"},
                   {"since": "yesterday"}, {"type": "nonsense"}):
        res = requests.get(url, headers=headers, params=params, timeout=10)
        assert res.status_code == 400, (params, res.text)


def test_lines_go_to_a_private_file_and_a_bad_target_stops_the_start(start_serve, tmp_path):
    target = tmp_path / "events.jsonl"
    server = start_serve("--event-log", str(target))
    tenant = Tenant(server)
    api, client = tenant.m2m()
    tenant.sync()
    assert client_credentials(server, client, api["identifier"]).status_code == 200
    line = wait_for(lambda: target.exists() and target.read_text(), timeout=LOGS_TIMEOUT,
                    what="the events file")
    assert json.loads(line.splitlines()[-1])["type"] == "seccft"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600

    refused = subprocess.run([signet_bin(), "serve", "--data-dir", str(tmp_path / "other"),
                              "--listen", "127.0.0.1:0", "--event-log",
                              str(tmp_path / "missing" / "dir" / "events.jsonl")],
                             capture_output=True, text=True, timeout=60, env=clean_env())
    assert refused.returncode != 0
    assert "--event-log" in refused.stderr and "cannot open" in refused.stderr


def test_retention_keeps_the_newest_events(start_serve, tmp_path):
    server = start_serve()
    tenant = Tenant(server)
    api, client = tenant.m2m()
    tenant.sync()
    for _ in range(5):
        assert client_credentials(server, client, api["identifier"]).status_code == 200
    before = wait_events(server.data_dir, 5, "--client", client.client_id)
    server.stop()
    again = start_serve("--event-retention-count", "2", data_dir=server.data_dir)
    # Retention runs with the first flush after start.
    kept = wait_for(lambda: (lambda e: e if len(e) <= 2 else None)(events(again.data_dir,
                                                                         "--limit", "100")),
                    timeout=LOGS_TIMEOUT, what="retention to keep two events")
    assert [e["log_id"] for e in kept] == [e["log_id"] for e in before[-2:]]


def test_admin_changes_by_the_cli_are_recorded_with_the_options_never_their_values(served):
    server, tenant, api, client = served
    tenant.cli("clients", "update", client.client_id, "--name", "renamed-Zq9")
    tenant.cli("users", "create", "--email", "cli@example.com", "--password-stdin",
               stdin="a secret password 77\n")
    tenant.cli("keys", "rotate", "--alg", "RS256")
    failed = tenant.cli("clients", "update", "no-such-client", "--name", "x", check=False)
    assert failed.returncode == 1
    recorded = events(server.data_dir, "--limit", "1000")
    changes = [e for e in recorded if e["type"] in ("sapi", "fapi", "key_rotated")]
    by_command = {e["details"]["command"]: e for e in changes if e["details"]["succeeded"]}
    update = by_command["clients update"]
    assert update["type"] == "sapi" and update["details"]["via"] == "cli"
    assert "--name" in update["details"]["options"]
    assert by_command["users create"]["type"] == "sapi"
    assert by_command["keys rotate"]["type"] == "key_rotated"
    assert any(e["type"] == "fapi" and e["details"]["command"] == "clients update"
               for e in changes)
    text = json.dumps(recorded)
    assert "renamed-Zq9" not in text and "a secret password 77" not in text
    # Reading changes nothing and records nothing.
    before = len(events(server.data_dir, "--limit", "1000"))
    tenant.cli("clients", "list")
    assert len(events(server.data_dir, "--limit", "1000")) == before


def test_admin_changes_through_the_management_api_name_who_made_them(served):
    server, tenant, api, client = served
    admin = tenant.client()
    tenant.grant(admin, server.issuer + "api/v2/", ("update:clients", "read:logs"))
    tenant.sync()
    token = client_credentials(server, admin, server.issuer + "api/v2/").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = server.issuer + f"api/v2/clients/{client.client_id}"
    assert requests.patch(url, json={"name": "patched-Zq9"}, headers=headers,
                          timeout=10).status_code == 200
    assert requests.patch(url, json={"grant_types": ["nonsense"]}, headers=headers,
                          timeout=10).status_code == 400
    assert requests.get(url, headers=headers, timeout=10).status_code == 403  # no read scope
    changes = wait_for(lambda: (lambda e: e if len(e) >= 2 else None)(
        [e for e in events(server.data_dir, "--client", admin.client_id)
         if e["type"] in ("sapi", "fapi")]), timeout=LOGS_TIMEOUT, what="two admin changes")
    ok, refused = changes
    assert ok["type"] == "sapi" and refused["type"] == "fapi"
    assert ok["description"] == f"PATCH clients/{client.client_id}"
    assert ok["details"]["fields"] == ["name"] and ok["details"]["status"] == 200
    assert refused["details"]["status"] == 400
    assert "patched-Zq9" not in json.dumps(changes)
    assert ok.get("user_id") is None, "a client-credentials token names no user"
