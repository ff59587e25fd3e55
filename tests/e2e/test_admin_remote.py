"""The admin CLI on a remote tenant (`--server URL`): every command goes to the server's
Management API with a token from SIGNET_MANAGEMENT_TOKEN or `signet token`'s cache, and behaves
as it does on the local data directory (both run the same admin service, signet/admin/admin.h)."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess

import pytest

from conftest import clean_env, signet_bin
from serve_fixtures import (CLI_TIMEOUT, DEFAULT_PASSWORD, Tenant, client_credentials,
                            module_serve, unique)

ALL_SCOPES = [f"{verb}:{noun}" for noun in ("clients", "resource_servers", "client_grants", "users")
              for verb in ("read", "create", "update", "delete")] + [
    "update:client_keys", "delete:sessions", "read:logs", "read:signing_keys",
    "create:signing_keys", "update:signing_keys"]


def remote(server, *args: str, token: str | None = None, env: dict | None = None,
           stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """`signet ARGS --server ISSUER`, with no data directory anywhere near."""
    e = clean_env(**(env or {}))
    if token is not None:
        e["SIGNET_MANAGEMENT_TOKEN"] = token
    res = subprocess.run([signet_bin(), *args, "--server", server.issuer], env=e, input=stdin,
                         capture_output=True, text=True, timeout=CLI_TIMEOUT,
                         stdin=None if stdin is not None else subprocess.DEVNULL)
    if check:
        assert res.returncode == 0, f"signet {' '.join(args)} failed: {res.stderr}"
    return res


def remote_json(server, *args: str, **kw):
    return json.loads(remote(server, *args, "--json", **kw).stdout)


@pytest.fixture(scope="module")
def server(module_serve):
    return module_serve()


@pytest.fixture(scope="module")
def tenant(server):
    return Tenant(server)


@pytest.fixture(scope="module")
def manager(server, tenant):
    """An application with every Management API scope, and a token for it."""
    client = tenant.client()
    tenant.grant(client, server.issuer + "api/v2/", ALL_SCOPES)
    tenant.sync()
    res = client_credentials(server, client, server.issuer + "api/v2/")
    assert res.status_code == 200, res.text
    return client, res.json()["access_token"]


def test_lists_are_the_same_remotely_and_locally(server, tenant, manager):
    _, token = manager
    tenant.api(scopes=("read:x",))
    remote_apis = remote_json(server, "apis", "list", token=token)
    local_apis = tenant.cli_json("apis", "list")
    assert remote_apis == local_apis
    assert remote_json(server, "clients", "list", token=token) == tenant.cli_json("clients", "list")
    text = remote(server, "apis", "list", token=token).stdout
    assert text == tenant.cli("apis", "list").stdout


def test_a_remote_change_is_seen_locally(server, tenant, manager):
    _, token = manager
    identifier = f"https://{unique('remote')}.example/"
    created = remote_json(server, "apis", "create", "--identifier", identifier, "--name", "Remote",
                          "--scopes", "read:a", token=token)
    assert created["identifier"] == identifier
    remote(server, "apis", "permissions", "add", identifier, "write:a", "--description", "Write",
           token=token)
    remote(server, "apis", "update", identifier, "--token-lifetime", "600", token=token)
    local = tenant.cli_json("apis", "show", identifier)
    assert local["token_lifetime"] == 600
    assert [(p["value"], p["description"]) for p in local["permissions"]] == [
        ("read:a", ""), ("write:a", "Write")]
    app = remote_json(server, "clients", "create", "--name", unique("app"), token=token)
    assert len(app["client_secret"]) >= 43
    grant = remote_json(server, "grants", "create", "--client-id", app["client_id"],
                        "--audience", identifier, "--scopes", "read:a", token=token)
    assert grant["scopes"] == ["read:a"]
    assert tenant.cli_json("grants", "list", "--client-id", app["client_id"])[0]["scopes"] == ["read:a"]
    out = remote(server, "apis", "delete", identifier, "--yes", token=token).stdout
    assert "1 client grant" in out
    assert tenant.cli("apis", "show", identifier, check=False).returncode == 1


def test_dpop_settings_remotely(server, tenant, manager):
    """--require-dpop travels as proof_of_possession and dpop_bound_access_tokens (RFC 9449)."""
    _, token = manager
    identifier = f"https://{unique('dpop')}.example/"
    api = remote_json(server, "apis", "create", "--identifier", identifier, "--name", "D",
                      "--require-dpop", token=token)
    assert api["require_dpop"] is True
    assert tenant.cli_json("apis", "show", identifier)["require_dpop"] is True
    # The profile alone is resolved against the record: the requirement stays.
    api = remote_json(server, "apis", "update", identifier, "--token-profile", "rfc9068",
                      token=token)
    assert api["require_dpop"] is True
    api = remote_json(server, "apis", "update", identifier, "--no-require-dpop", token=token)
    assert api["require_dpop"] is False
    assert tenant.cli_json("apis", "show", identifier)["require_dpop"] is False
    app = remote_json(server, "clients", "create", "--name", unique("dpop"), "--type", "spa",
                      "--require-dpop", token=token)
    assert app["dpop_bound_access_tokens"] is True
    local = tenant.cli_json("clients", "show", app["client_id"])
    assert local["dpop_bound_access_tokens"] is True
    app = remote_json(server, "clients", "update", app["client_id"], "--no-require-dpop",
                      token=token)
    assert app["dpop_bound_access_tokens"] is False
    assert tenant.cli_json("clients", "show", app["client_id"])["dpop_bound_access_tokens"] is False


def test_users_and_an_administrator_remotely(server, tenant, manager):
    _, token = manager
    email = f"{unique('boss')}@example.com"
    created = remote_json(server, "users", "create", "--email", email, "--password-stdin",
                          "--admin", token=token, stdin=DEFAULT_PASSWORD + "\n")
    shown = tenant.cli_json("users", "show", email)
    assert shown["id"] == created["id"]
    assert sorted(shown["permissions"][server.issuer + "api/v2/"]) == sorted(ALL_SCOPES)
    # The administrator signs in through an application of the operator's (the console's own
    # client is public, so it signs in with /authorize and PKCE, not with a password) and manages
    # the tenant with their token.
    app = tenant.client(type="regular_web", grant_types="password")
    tenant.sync()
    res = server.token({"grant_type": "password", **app.creds(), "username": email,
                        "password": DEFAULT_PASSWORD, "audience": server.issuer + "api/v2/",
                        "scope": " ".join(ALL_SCOPES)})
    assert res.status_code == 200, res.text
    users = remote_json(server, "users", "list", token=res.json()["access_token"])
    assert email in [u["email"] for u in users]
    remote(server, "users", "block", email, token=token)
    assert tenant.cli_json("users", "show", email)["blocked"] is True


def test_keys_rotate_remotely_but_key_material_stays_local(server, manager):
    _, token = manager
    before = remote_json(server, "keys", "list", token=token)
    current = [k["kid"] for k in before if k["state"] == "current" and k["alg"] == "RS256"]
    assert len(current) == 1
    remote(server, "keys", "rotate", "--alg", "RS256", token=token)
    after = {k["kid"]: k["state"] for k in remote_json(server, "keys", "list", token=token)}
    assert after[current[0]] == "previous"
    assert all("private" not in json.dumps(k) for k in before)
    res = remote(server, "keys", "jwks", token=token, check=False)
    assert res.returncode == 1
    assert "local data directory only" in res.stderr


def test_the_token_comes_from_signet_tokens_cache(server, manager, tmp_path):
    client, _ = manager
    cache = {"SIGNET_TOKEN_CACHE": str(tmp_path / "tokens.json")}
    res = remote(server, "clients", "list", env=cache, check=False)
    assert res.returncode == 1
    assert "no Management API token" in res.stderr and "signet token --issuer" in res.stderr
    got = subprocess.run([signet_bin(), "token", "--issuer", server.issuer, "--client-id",
                          client.client_id, "--client-secret-stdin", "--audience",
                          server.issuer + "api/v2/"], env=clean_env(**cache),
                         input=client.client_secret + "\n", capture_output=True, text=True,
                         timeout=CLI_TIMEOUT)
    assert got.returncode == 0, got.stderr
    apps = json.loads(remote(server, "clients", "list", "--json", env=cache).stdout)
    assert client.client_id in [a["client_id"] for a in apps]


@pytest.mark.parametrize("token,fragment", [
    ("not-a-token", "token"),
    (None, "Insufficient scope, expected: read:clients"),
])
def test_refusals_say_why(server, tenant, token, fragment):
    if token is None:
        client = tenant.client()
        tenant.grant(client, server.issuer + "api/v2/", ["read:users"])
        tenant.sync()
        token = client_credentials(server, client, server.issuer + "api/v2/").json()["access_token"]
    res = remote(server, "clients", "list", token=token, check=False)
    assert res.returncode == 1
    assert fragment in res.stderr, res.stderr
    assert res.stderr.startswith("signet: ") and res.stderr.count("\n") == 1


def test_a_bad_server_url_or_an_unreachable_one(server, manager):
    _, token = manager
    res = subprocess.run([signet_bin(), "apis", "list", "--server", "not a url"],
                         env=clean_env(SIGNET_MANAGEMENT_TOKEN=token), capture_output=True,
                         text=True, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
    assert res.returncode == 1 and "is not a server's URL" in res.stderr
    res = subprocess.run([signet_bin(), "apis", "list", "--server", "http://127.0.0.1:9/"],
                         env=clean_env(SIGNET_MANAGEMENT_TOKEN=token), capture_output=True,
                         text=True, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
    assert res.returncode == 1 and "cannot reach" in res.stderr


@pytest.mark.parametrize("where", ["local", "remote"])
def test_concurrent_permission_additions_all_survive(server, tenant, manager, where):
    """Two admins (here eight) adding permissions to one API at the same moment all win: each
    addition is applied to the API as it is when written, never to a stale copy."""
    _, token = manager
    identifier = f"https://{unique('race')}.example/"
    tenant.cli("apis", "create", "--identifier", identifier, "--name", "Race")
    names = [f"perm:{i}" for i in range(8)]

    def add(name):
        if where == "local":
            return tenant.cli("apis", "permissions", "add", identifier, name, check=False)
        return remote(server, "apis", "permissions", "add", identifier, name, token=token,
                      check=False)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(add, names))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    held = {p["value"] for p in tenant.cli_json("apis", "show", identifier)["permissions"]}
    assert held == set(names)


def test_an_administrator_needs_the_management_api_and_nothing_is_made_without_it(tmp_path, server):
    data = tmp_path / "fresh"
    res = subprocess.run([signet_bin(), "users", "create", "--email", "first@example.com",
                          "--password-stdin", "--admin", "--data-dir", str(data)],
                         env=clean_env(), input=DEFAULT_PASSWORD + "\n", capture_output=True,
                         text=True, timeout=CLI_TIMEOUT)
    assert res.returncode == 1
    assert "the Management API http://localhost:4000/api/v2/ does not exist yet" in res.stderr
    assert "--issuer" in res.stderr
    listed = subprocess.run([signet_bin(), "users", "list", "--json", "--data-dir", str(data)],
                            env=clean_env(), capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    # Against a server that made its Management API, --issuer names it.
    made = subprocess.run([signet_bin(), "users", "create", "--email", f"{unique('a')}@example.com",
                           "--password-stdin", "--admin", "--issuer", server.issuer, "--json",
                           "--data-dir", server.data_dir], env=clean_env(),
                          input=DEFAULT_PASSWORD + "\n", capture_output=True, text=True,
                          timeout=CLI_TIMEOUT)
    assert made.returncode == 0, made.stderr
