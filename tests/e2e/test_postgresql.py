"""Three `signet serve` replicas sharing one PostgreSQL database (docs/postgresql.md), against a
real PostgreSQL server started for the session (postgres.py): they behave as one server to every
client. The quickstart through each replica; a change made on one (or with the CLI) reaches the
others; key rotation seen by all; a lockout recorded by one holds on the others; a refresh token
raced across replicas is spent once; a DPoP proof is used once on all of them; and a database that
needs migrating is refused with the command that migrates it.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
import time

import jwt
import pytest
import requests

from conftest import HTTP_TIMEOUT, clean_env, signet_bin
from issuer import free_port
from postgres import postgres_database, postgres_server  # noqa: F401
from serve_fixtures import (Tenant, assert_oauth_error, assert_token_response,
                            client_credentials, password_grant, run_cli, start_serve,  # noqa: F401
                            wait_for)
from test_dpop_token import Key, ath, token_request, userinfo

REPLICAS = 3
MAX_FAILURES = 3
CLIENT_MAX_FAILURES = 10  # signet's fixed client policy (test_lockout.py)
GRACE = 1  # s, --refresh-reuse-grace
CHANGE_TIMEOUT = 10.0  # s; a change takes milliseconds (NOTIFY), this is for a busy machine
CLI_TIMEOUT = 60.0


def master_key() -> str:
    """A master key for every replica (they share the sealed signing keys in the database)."""
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode("ascii")


class StoreTenant(Tenant):
    """Tenant objects made with the admin CLI on the database (--store), not a data directory."""

    def __init__(self, server, env: dict):
        super().__init__(server)
        self.env = env

    def cli(self, *args: str, stdin: str | None = None, check: bool = True):
        return run_cli(self.data_dir, *args, stdin=stdin, check=check, env=self.env)

    def cli_json(self, *args: str, stdin: str | None = None):
        import json
        return json.loads(self.cli(*args, "--json", stdin=stdin).stdout)


class Cluster:
    def __init__(self, start_serve, database: str, tmp_path):
        self.database = database
        self.env = clean_env(SIGNET_STORE=database, SIGNET_MASTER_KEY=master_key())
        migrated = run_cli(tmp_path / "cli", "migrate", env=self.env)
        assert "schema version" in migrated.stdout, migrated.stdout
        self.replicas = [
            start_serve("--lockout-max-failures", str(MAX_FAILURES),
                        "--refresh-reuse-grace", str(GRACE), env=self.env)
            for _ in range(REPLICAS)]
        self.tenant = StoreTenant(self.replicas[0], self.env)

    def each_sees(self, check, what: str):
        for i, replica in enumerate(self.replicas):
            wait_for(lambda: check(replica), timeout=CHANGE_TIMEOUT, what=f"replica {i}: {what}")


@pytest.fixture
def cluster(start_serve, postgres_database, tmp_path) -> Cluster:  # noqa: F811
    return Cluster(start_serve, postgres_database, tmp_path)


def test_a_database_that_needs_migrating_is_refused_with_the_command(postgres_database,  # noqa: F811
                                                                     tmp_path):
    done = subprocess.run([signet_bin(), "serve", "--listen", "127.0.0.1:0",
                           "--data-dir", str(tmp_path / "data"), "--store", postgres_database],
                          env=clean_env(), capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert done.returncode != 0
    assert "schema version 0" in done.stderr and "signet migrate" in done.stderr, done.stderr


def test_an_unreachable_database_is_named_without_its_password(tmp_path):
    done = subprocess.run([signet_bin(), "apis", "list", "--data-dir", str(tmp_path / "data"),
                           "--store", "postgresql://signet:hunter2@127.0.0.1:1/signet"],
                          env=clean_env(), capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert done.returncode == 1
    assert "cannot open the store postgresql://signet:***@127.0.0.1:1/signet" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


def test_serve_migrate_brings_a_new_database_up_to_date(start_serve, postgres_database):  # noqa: F811
    env = clean_env(SIGNET_STORE=postgres_database, SIGNET_MASTER_KEY=master_key())
    server = start_serve("--migrate", env=env)
    assert server.get("/.well-known/jwks.json").json()["keys"]


def libpq_is_mapped(server) -> bool:
    with open(f"/proc/{server.proc.pid}/maps", encoding="utf-8") as maps:
        return "/libpq.so" in maps.read()


def test_libpq_is_loaded_for_a_postgresql_store_only(start_serve, postgres_database):  # noqa: F811
    # A server on SQLite never maps libpq and its Kerberos/LDAP/GnuTLS chain (~3 MB resident,
    # bench/RESULTS.md "Idle memory"); signet/store/postgres_db.cc loads it for a postgresql:// URL.
    assert not libpq_is_mapped(start_serve())
    env = clean_env(SIGNET_STORE=postgres_database, SIGNET_MASTER_KEY=master_key())
    assert libpq_is_mapped(start_serve("--migrate", env=env))


def test_the_quickstart_through_each_replica(cluster):
    api, client = cluster.tenant.m2m(scopes=("read:messages",))
    # The grant was written by the CLI: each replica learns of it from the database.
    cluster.each_sees(
        lambda r: client_credentials(r, client, api["identifier"]).status_code == 200,
        "the new client's grant")
    jwks = [r.jwks() for r in cluster.replicas]
    assert all(j == jwks[0] for j in jwks), "every replica publishes the same JWKS"
    keys = {k["kid"]: jwt.PyJWK(k) for k in jwks[0]["keys"]}
    for replica in cluster.replicas:
        body = assert_token_response(client_credentials(replica, client, api["identifier"]))
        header = jwt.get_unverified_header(body["access_token"])
        claims = jwt.decode(body["access_token"], keys[header["kid"]].key,
                            algorithms=[header["alg"]], audience=api["identifier"])
        # Tokens of every replica name the same issuer: each replica here has its own URL, as
        # behind a load balancer they would share one --issuer.
        assert claims["scope"] == "read:messages"


def test_a_change_made_through_one_replica_reaches_the_others(cluster):
    api, client = cluster.tenant.m2m(scopes=("read:messages", "write:messages"),
                                     grant=("read:messages",))
    cluster.each_sees(lambda r: client_credentials(r, client, api["identifier"]).status_code == 200,
                      "the client")
    # The Management API of replica 0 widens the grant; replicas 1 and 2 hear of it.
    grant = cluster.tenant.cli_json("grants", "list", "--client-id", client.client_id)[0]
    started = time.monotonic()
    cluster.tenant.cli("grants", "update", str(grant["id"]), "--scopes",
                       "read:messages write:messages")

    def widened(replica):
        res = client_credentials(replica, client, api["identifier"])
        return res.status_code == 200 and res.json()["scope"] == "read:messages write:messages"

    cluster.each_sees(widened, "the widened grant")
    print(f"a grant change reached {REPLICAS} replicas in {time.monotonic() - started:.3f} s")


def test_key_rotation_is_seen_by_every_replica(cluster):
    api, client = cluster.tenant.m2m(scopes=("read:messages",), alg="RS256")
    cluster.each_sees(lambda r: client_credentials(r, client, api["identifier"]).status_code == 200,
                      "the client")
    before = jwt.get_unverified_header(assert_token_response(
        client_credentials(cluster.replicas[0], client, api["identifier"]))["access_token"])["kid"]
    cluster.tenant.cli("keys", "rotate", "--alg", "RS256")

    def signs_with_a_new_key(replica):
        body = client_credentials(replica, client, api["identifier"]).json()
        return jwt.get_unverified_header(body["access_token"])["kid"] != before

    cluster.each_sees(signs_with_a_new_key, "the rotated key")
    kids = {jwt.get_unverified_header(assert_token_response(
        client_credentials(r, client, api["identifier"]))["access_token"])["kid"]
        for r in cluster.replicas}
    assert len(kids) == 1, f"every replica signs with the one current key: {kids}"
    published = [sorted(k["kid"] for k in r.jwks()["keys"]) for r in cluster.replicas]
    assert all(p == published[0] for p in published)
    assert before in published[0], "the previous key stays published for tokens it signed"


def test_a_lockout_recorded_by_one_replica_holds_on_the_others(cluster):
    api = cluster.tenant.api(scopes=("read:messages",))["identifier"]
    client = cluster.tenant.client(type="regular_web", grant_types="password")
    user = cluster.tenant.user(permissions={api: ("read:messages",)})
    cluster.each_sees(lambda r: password_grant(r, client, user, api).status_code == 200,
                      "the user")
    # Every failure lands on replica 0; the block is in the database, so the others refuse the
    # very next attempt, with the right password, without having seen a failure themselves.
    for i in range(MAX_FAILURES):
        password_grant(cluster.replicas[0], client, user, api, password=f"wrong password {i}")
    for replica in reversed(cluster.replicas):
        assert_oauth_error(password_grant(replica, client, user, api), 429, "too_many_attempts")
    cluster.tenant.cli("users", "unblock", user.id)
    assert_token_response(password_grant(cluster.replicas[2], client, user, api))


def test_a_refresh_token_raced_across_replicas_is_spent_once(cluster):
    api = cluster.tenant.api(scopes=("read:messages",), offline=True)["identifier"]
    client = cluster.tenant.client(type="regular_web")
    user = cluster.tenant.user(permissions={api: ("read:messages",)})
    cluster.each_sees(lambda r: password_grant(r, client, user, api).status_code == 200,
                      "the user")
    first = assert_token_response(password_grant(cluster.replicas[0], client, user, api,
                                                 scope="offline_access read:messages"))
    barrier = threading.Barrier(REPLICAS)
    results: list = [None] * REPLICAS

    def refresh(i: int):
        barrier.wait()
        results[i] = cluster.replicas[i].token({
            "grant_type": "refresh_token", "refresh_token": first["refresh_token"],
            **client.creds()})

    threads = [threading.Thread(target=refresh, args=(i,)) for i in range(REPLICAS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=HTTP_TIMEOUT)
    bodies = [assert_token_response(r) for r in results]
    # One rotation won in the database; the others were retries within the grace period and got
    # the winner's successor: one session, one new refresh token.
    assert len({b["refresh_token"] for b in bodies}) == 1
    successor = bodies[0]["refresh_token"]
    assert_token_response(cluster.replicas[1].token({
        "grant_type": "refresh_token", "refresh_token": successor, **client.creds()}))
    # After the grace, the first token is reuse on any replica, and revokes the family.
    time.sleep(GRACE + 1)
    assert_oauth_error(cluster.replicas[2].token({
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"], **client.creds()}),
        400, "invalid_grant")


def test_wrong_secrets_counted_on_one_replica_throttle_them_on_the_others(cluster):
    api, client = cluster.tenant.m2m(scopes=("read:messages",))
    cluster.each_sees(lambda r: client_credentials(r, client, api["identifier"]).status_code == 200,
                      "the client")
    wrong = {"grant_type": "client_credentials", "audience": api["identifier"],
             "client_id": client.client_id, "client_secret": "not the secret"}
    for _ in range(CLIENT_MAX_FAILURES - 1):
        assert_oauth_error(cluster.replicas[0].token(wrong), 401, "invalid_client")
    assert_oauth_error(cluster.replicas[0].token(wrong), 429, "too_many_attempts")
    for replica in cluster.replicas[1:]:
        # The first wrong secret a replica sees from this address is already throttled: the
        # count is in the database.
        assert_oauth_error(replica.token(wrong), 429, "too_many_attempts")
    # The right secret still works (client ids are public: a throttle that refused it would let
    # anyone lock any client out; test_lockout.py), and ends the count for every replica.
    assert_token_response(client_credentials(cluster.replicas[2], client, api["identifier"]))
    assert_oauth_error(cluster.replicas[1].token(wrong), 401, "invalid_client")


def test_replicas_started_at_once_on_a_new_database_agree_on_everything(start_serve,
                                                                        postgres_database,  # noqa: F811
                                                                        tmp_path):
    # As systemd starts them at boot: each finds no Management API and no signing keys, and
    # tries to make them; the database lets one of each win, and the others use the winner's.
    env = clean_env(SIGNET_STORE=postgres_database, SIGNET_MASTER_KEY=master_key())
    run_cli(tmp_path / "cli", "migrate", env=env)
    replicas: list = [None] * REPLICAS
    errors: list = []

    def start(i: int):
        try:
            replicas[i] = start_serve(env=env)
        except Exception as e:  # noqa: BLE001 - reported below with the others
            errors.append(e)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(REPLICAS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=CLI_TIMEOUT)
    assert not errors, errors
    jwks = [r.jwks() for r in replicas]
    assert all(j == jwks[0] for j in jwks), "one set of signing keys"
    clients = run_cli(tmp_path / "cli", "clients", "list", "--json", env=env).stdout
    assert clients.count('"signet-console"') == 1, clients


def test_a_dpop_proof_one_replica_took_is_a_replay_on_another(start_serve, postgres_database,  # noqa: F811
                                                              tmp_path):
    # RFC 9449 §11.1 behind a load balancer: replicas share one --issuer, so a proof names the
    # same htu whichever one gets it. Each keeps its own replay cache, and records every proof
    # in the database too, so a proof is used once at the token endpoint, /userinfo and the
    # Management API, whichever replica sees it first.
    env = clean_env(SIGNET_STORE=postgres_database, SIGNET_MASTER_KEY=master_key())
    run_cli(tmp_path / "cli", "migrate", env=env)
    issuer = f"http://127.0.0.1:{free_port()}/"
    one, two = (start_serve("--issuer", issuer, env=env) for _ in range(2))
    tenant = StoreTenant(one, env)
    api, m2m = tenant.m2m(scopes=("read:messages",))
    web = tenant.client(type="regular_web", grant_types="password")
    user = tenant.user(permissions={api["identifier"]: ("read:messages",)})
    management = tenant.client()
    tenant.grant(management, issuer + "api/v2/", ("read:clients",))
    key = Key("ES256")
    token_endpoint = issuer + "oauth/token"
    cc = {"grant_type": "client_credentials", "audience": api["identifier"], **m2m.creds()}
    to_management = {"grant_type": "client_credentials", "audience": issuer + "api/v2/",
                     **management.creds()}
    for replica in (one, two):  # the last change made: everything before it is loaded too
        wait_for(lambda: token_request(replica, to_management,
                                       [key.proof(token_endpoint)]).status_code == 200,
                 timeout=CHANGE_TIMEOUT, what="the Management API grant on every replica")

    # The token endpoint.
    proof = key.proof(token_endpoint)
    assert token_request(one, cc, [proof]).json()["token_type"] == "DPoP"
    replay = token_request(two, cc, [proof])
    assert_oauth_error(replay, 400, "invalid_dpop_proof")
    assert "already used" in replay.json()["error_description"], replay.json()

    # /userinfo, with a bound token that has openid.
    res = token_request(two, {"grant_type": "password", "username": user.email,
                              "password": user.password, "audience": api["identifier"],
                              "scope": "openid", **web.creds()}, [key.proof(token_endpoint)])
    assert res.status_code == 200, res.text
    token = res.json()["access_token"]
    proof = key.proof(issuer + "userinfo", htm="GET", claims={"ath": ath(token)})
    assert userinfo(two, token, proof).json() == {"sub": user.id}
    replay = userinfo(one, token, proof)
    assert replay.status_code == 401, replay.text
    assert replay.json()["error"] == "invalid_dpop_proof", replay.json()
    assert "already used" in replay.json()["error_description"], replay.json()

    # The Management API.
    res = token_request(one, to_management, [key.proof(token_endpoint)])
    assert res.status_code == 200, res.text
    token = res.json()["access_token"]
    proof = key.proof(issuer + "api/v2/clients", htm="GET", claims={"ath": ath(token)})

    def clients(replica) -> requests.Response:
        return requests.get(replica.url("/api/v2/clients"), timeout=HTTP_TIMEOUT,
                            headers={"Authorization": f"DPoP {token}", "DPoP": proof})

    assert clients(one).status_code == 200
    replay = clients(two)
    assert replay.status_code == 401, replay.text
    assert replay.json()["errorCode"] == "invalid_dpop_proof", replay.json()
    # Each replica counts the replay it refused.
    assert two.metric("signet_dpop_proofs_refused_total",
                      {"endpoint": "token", "rule": "replayed"}) == 1
    assert one.metric("signet_dpop_proofs_refused_total",
                      {"endpoint": "userinfo", "rule": "replayed"}) == 1
