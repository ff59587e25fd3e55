"""Replicas on PostgreSQL when the database or a replica fails (docs/postgresql.md, "When the
database is unreachable"). Each test runs its own PostgreSQL server
(tests/support/postgres-server.sh in a directory of its own), so that stopping it affects no other
test:

- the database stopped: grants that need it get 503 temporarily_unavailable with Retry-After, the
  Management API 503, while client credentials and the JWKS are answered from memory; started
  again, the same replica serves every grant again and sees the changes made meanwhile;
- --store-outage-grace: client credentials stop too once the snapshot is older than the grace;
- the database restarted under load: 200 or 503 only, and every refresh token of a 200 works after;
- a replica killed with SIGKILL under load: the others keep answering, and accept its tokens.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import clean_env, signet_bin
from serve_fixtures import (Client, ServeProcess, User, assert_oauth_error,
                            assert_token_response, client_credentials, password_grant,
                            refresh_grant, run_cli, start_serve, wait_for,  # noqa: F401
                            wait_for_status)
from test_management_api import management_token
from test_postgresql import StoreTenant, master_key

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "support", "postgres-server.sh")
SCRIPT_TIMEOUT = 120.0  # s; initdb and a start on a busy machine
RECOVERY_TIMEOUT = 15.0  # s; a replica reconnects at its next request, the watcher within 250 ms
LOAD_REQUEST_TIMEOUT = 20.0  # s; a request under load that takes longer counts as a hang
LOAD_THREADS = 4  # concurrent clients per test; argon2id makes each password grant take a while
OUTAGE_WARNING = "cannot reload the configuration"
RECOVERY_INFO = "the configuration reloads again"


class DedicatedPostgres:
    """A PostgreSQL server of this test's own, which the test may stop and start again (same data,
    same port, so the replicas' URL stays valid)."""

    def __init__(self):
        # Not pytest's tmp_path: the server runs as another user when the tests run as root, and
        # must reach its directory through every parent.
        self.directory = tempfile.mkdtemp(prefix="signet-e2e-outage-")
        self._script("start")
        with open(os.path.join(self.directory, "url"), encoding="utf-8") as f:
            self.url = f.read().strip()

    def _script(self, command: str):
        done = subprocess.run(["bash", SCRIPT, command, self.directory], capture_output=True,
                              text=True, timeout=SCRIPT_TIMEOUT)
        if done.returncode != 0:
            pytest.fail(f"postgres-server.sh {command}:\n{done.stdout}{done.stderr}")

    def pause(self):
        """A fast shutdown: sessions are ended, committed data stays."""
        self._script("pause")

    def resume(self):
        self._script("resume")

    def remove(self):
        subprocess.run(["bash", SCRIPT, "stop", self.directory], capture_output=True,
                       timeout=SCRIPT_TIMEOUT)


@pytest.fixture
def database():
    pg = DedicatedPostgres()
    try:
        yield pg
    finally:
        pg.remove()


class Replicas:
    """`count` replicas of `signet serve` on the dedicated database, and a tenant made with the
    CLI on it: an API that allows offline access, an m2m client with a grant, a web client for
    password and refresh grants, and a user."""

    def __init__(self, start, database: DedicatedPostgres, tmp_path, count: int, *flags: str):
        self.database = database
        self.env = clean_env(SIGNET_STORE=database.url, SIGNET_MASTER_KEY=master_key())
        migrated = run_cli(tmp_path / "cli", "migrate", env=self.env)
        assert "schema version" in migrated.stdout, migrated.stdout
        self.replicas: list[ServeProcess] = [start(*flags, env=self.env)
                                             for _ in range(count)]
        self.tenant = StoreTenant(self.replicas[0], self.env)
        self.api = self.tenant.api(scopes=("read:messages",), offline=True)["identifier"]
        self.m2m: Client = self.tenant.client()
        self.tenant.grant(self.m2m, self.api)
        self.web: Client = self.tenant.client(type="regular_web")
        self.user: User = self.tenant.user(permissions={self.api: ("read:messages",)})
        for replica in self.replicas:
            wait_for(lambda: password_grant(replica, self.web, self.user, self.api).status_code
                     == 200, timeout=RECOVERY_TIMEOUT, what=f"{replica.issuer} to see the user")

    def login(self, replica: ServeProcess, **kwargs) -> requests.Response:
        """A password grant asking for a refresh token."""
        return password_grant(replica, self.web, self.user, self.api,
                              scope="offline_access read:messages", **kwargs)


def assert_unavailable(res: requests.Response):
    assert_oauth_error(res, 503, "temporarily_unavailable")
    assert res.headers.get("Retry-After") == "5", res.headers


def log_lines(replica: ServeProcess, msg_start: str) -> list[dict]:
    lines = []
    for line in replica.stderr_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and str(entry.get("msg", "")).startswith(msg_start):
            lines.append(entry)
    return lines


def test_a_stopped_database_and_the_same_replica_once_it_is_back(
        database, start_serve, tmp_path):  # noqa: F811
    cluster = Replicas(start_serve, database, tmp_path, 1)
    replica = cluster.replicas[0]
    admin = management_token(replica, cluster.tenant, ["read:clients"])
    signed_in = assert_token_response(cluster.login(replica))
    assert_token_response(client_credentials(replica, cluster.m2m, cluster.api))
    pid = replica.proc.pid

    database.pause()
    # Everything that needs the database: 503 with Retry-After, never a 500 or a hang.
    assert_unavailable(cluster.login(replica))
    assert_unavailable(refresh_grant(replica, cluster.web, signed_in["refresh_token"]))
    res = replica.get("/api/v2/clients", headers={"Authorization": f"Bearer {admin}"})
    assert res.status_code == 503, res.text
    assert res.json()["errorCode"] == "temporarily_unavailable", res.text
    assert res.headers.get("Retry-After"), res.headers
    # Many requests failing alike leave one error line per interval, not one each.
    for _ in range(10):
        assert_unavailable(cluster.login(replica))
    failures = [line for line in replica.stderr_text().splitlines()
                if '"level":"error"' in line and "token endpoint:" in line]
    assert len(failures) == 1, failures
    # What the snapshot answers: machine-to-machine tokens and the keys that check them.
    assert_token_response(client_credentials(replica, cluster.m2m, cluster.api))
    assert replica.jwks()["keys"]
    wait_for(lambda: log_lines(replica, OUTAGE_WARNING), timeout=RECOVERY_TIMEOUT,
             what="the watcher's warning")
    time.sleep(1.0)  # four more polls of the watcher, each failing: still one warning
    assert_token_response(client_credentials(replica, cluster.m2m, cluster.api))

    database.resume()
    # A change made while the replica is still finding its way back reaches it.
    widened = cluster.tenant.api(scopes=("read:reports",))["identifier"]
    cluster.tenant.grant(cluster.m2m, widened, ("read:reports",))
    wait_for(lambda: cluster.login(replica).status_code == 200, timeout=RECOVERY_TIMEOUT,
             what="password grants after the database came back")
    wait_for(lambda: client_credentials(replica, cluster.m2m, widened).status_code == 200,
             timeout=RECOVERY_TIMEOUT, what="the grant made during the recovery")
    # The refresh token issued before the outage was kept, and rotates now.
    assert_token_response(refresh_grant(replica, cluster.web, signed_in["refresh_token"]))
    res = replica.get("/api/v2/clients", headers={"Authorization": f"Bearer {admin}"})
    assert res.status_code == 200, res.text
    assert replica.proc.pid == pid and replica.proc.poll() is None, "the replica was not restarted"
    wait_for(lambda: log_lines(replica, RECOVERY_INFO), timeout=RECOVERY_TIMEOUT,
             what="the watcher's recovery line")
    assert len(log_lines(replica, OUTAGE_WARNING)) == 1, replica.stderr_text()
    assert len(log_lines(replica, RECOVERY_INFO)) == 1, replica.stderr_text()


def test_client_credentials_stop_too_after_the_outage_grace(
        database, start_serve, tmp_path):  # noqa: F811
    cluster = Replicas(start_serve, database, tmp_path, 1, "--store-outage-grace", "1")
    replica = cluster.replicas[0]
    assert_token_response(client_credentials(replica, cluster.m2m, cluster.api))
    database.pause()
    # The grace runs from the watcher's last poll that worked (every 250 ms until the stop).
    res = wait_for_status(lambda: client_credentials(replica, cluster.m2m, cluster.api), 503,
                          timeout=RECOVERY_TIMEOUT, what="client credentials refused")
    assert_unavailable(res)
    assert "--store-outage-grace" in res.json()["error_description"]
    database.resume()
    wait_for_status(lambda: client_credentials(replica, cluster.m2m, cluster.api), 200,
                    timeout=RECOVERY_TIMEOUT,
                    what="client credentials after the database came back")


@pytest.mark.parametrize("value", ["-1", "604801", "soon"])
def test_an_outage_grace_out_of_range_is_refused_with_its_range(tmp_path, value):
    for args, env in ((["--store-outage-grace", value], clean_env()),
                      ([], clean_env(SIGNET_STORE_OUTAGE_GRACE=value))):
        done = subprocess.run([signet_bin(), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                               str(tmp_path / "data"), *args], env=env, capture_output=True,
                              text=True, timeout=SCRIPT_TIMEOUT)
        assert done.returncode != 0
        assert "--store-outage-grace" in done.stderr, done.stderr
        assert "0 to 604800" in done.stderr, done.stderr


class Load:
    """Threads signing the user in with offline_access, round robin over `replicas`, until
    stopped. Every answer is kept: (replica index, status or the exception's name, body)."""

    def __init__(self, cluster: Replicas, replicas: list[ServeProcess]):
        self.cluster = cluster
        self.replicas = replicas
        self.results: list[tuple[int, int | str, dict | None, float]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,))
                         for i in range(LOAD_THREADS)]

    def _run(self, worker: int):
        n = worker
        while not self._stop.is_set():
            index = n % len(self.replicas)
            n += 1
            try:
                res = self.cluster.login(self.replicas[index], timeout=LOAD_REQUEST_TIMEOUT)
                outcome: int | str = res.status_code
                try:
                    body = res.json()
                except ValueError:
                    body = {"text": res.text}
            except requests.RequestException as e:
                outcome, body = type(e).__name__, None
            with self._lock:
                self.results.append((index, outcome, body, time.monotonic()))

    def __enter__(self) -> "Load":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=LOAD_REQUEST_TIMEOUT * 2)
        assert not any(t.is_alive() for t in self._threads), "a load thread hung"

    def count(self, predicate) -> int:
        with self._lock:
            return sum(1 for r in self.results if predicate(r))

    def wait_for(self, predicate, at_least: int, what: str):
        wait_for(lambda: self.count(predicate) >= at_least, timeout=RECOVERY_TIMEOUT * 2,
                 what=what)


def test_the_database_restarted_under_load(database, start_serve, tmp_path):  # noqa: F811
    cluster = Replicas(start_serve, database, tmp_path, 2)
    with Load(cluster, cluster.replicas) as load:
        load.wait_for(lambda r: r[1] == 200, 2 * LOAD_THREADS, "successes before the restart")
        stopped_at = time.monotonic()
        database.pause()
        load.wait_for(lambda r: r[1] == 503 and r[3] > stopped_at, 2, "503s during the outage")
        started_at = time.monotonic()
        database.resume()
        for index in range(len(cluster.replicas)):
            load.wait_for(lambda r, i=index: r[0] == i and r[1] == 200 and r[3] > started_at,
                          2, f"successes on replica {index} after the restart")
    statuses: dict = {}
    for _, outcome, _, _ in load.results:
        statuses[outcome] = statuses.get(outcome, 0) + 1
    print(f"mid-load restart: {len(load.results)} requests: {statuses}")
    assert set(statuses) <= {200, 503}, statuses
    for _, outcome, body, _ in load.results:
        if outcome == 503:
            assert body["error"] == "temporarily_unavailable", body
    # Nothing a 200 promised was lost: every refresh token it gave works on either replica.
    tokens = [body["refresh_token"] for _, outcome, body, _ in load.results if outcome == 200]
    for n, token in enumerate(tokens):
        assert_token_response(refresh_grant(cluster.replicas[n % 2], cluster.web, token))


def test_a_replica_killed_under_load(database, start_serve, tmp_path):  # noqa: F811
    cluster = Replicas(start_serve, database, tmp_path, 3)
    victim, survivors = cluster.replicas[0], cluster.replicas[1:]
    with Load(cluster, cluster.replicas) as load:
        load.wait_for(lambda r: r[0] == 0 and r[1] == 200, LOAD_THREADS,
                      "successes on the replica to kill")
        killed_at = time.monotonic()
        victim.kill()
        for index in (1, 2):
            load.wait_for(lambda r, i=index: r[0] == i and r[1] == 200 and r[3] > killed_at,
                          2, f"successes on replica {index} after the kill")
    outcomes: dict = {}
    for index, outcome, _, _ in load.results:
        outcomes[(index, outcome)] = outcomes.get((index, outcome), 0) + 1
    print(f"replica killed under load: {len(load.results)} requests: {outcomes}")
    on_survivors = [outcome for index, outcome, _, _ in load.results if index != 0]
    assert on_survivors and all(o == 200 for o in on_survivors), on_survivors
    issued_by_victim = [body["refresh_token"] for index, outcome, body, _ in load.results
                        if index == 0 and outcome == 200]
    assert issued_by_victim
    for n, token in enumerate(issued_by_victim):
        assert_token_response(refresh_grant(survivors[n % 2], cluster.web, token))
