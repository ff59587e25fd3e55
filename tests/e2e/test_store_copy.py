"""`signet store copy` (signet/store/copy.h): a tenant that a server on a data directory's SQLite
file worked with is copied into a PostgreSQL database (postgres.py), and a server on that database
with the same data directory (the same master key) carries on where the first stopped: its tokens
verify with the new server's JWKS, its refresh token is accepted, the client secret and the user's
password still work. A target that holds a tenant is refused unless --force.
"""

from __future__ import annotations

import json
import re
import subprocess

from conftest import clean_env, signet_bin
from postgres import postgres_database, postgres_server  # noqa: F401
from serve_fixtures import (Tenant, assert_token_response, client_credentials, password_grant,
                            refresh_grant, start_serve, verify_with_jwks)  # noqa: F401

CLI_TIMEOUT = 120.0  # s; a copy is a few hundred statements, this is for a busy machine
SCOPES = ("read:messages", "write:messages")


def store_copy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([signet_bin(), "store", "copy", *args], env=clean_env(),
                          capture_output=True, text=True, timeout=CLI_TIMEOUT,
                          stdin=subprocess.DEVNULL)


def with_password(url: str, password: str) -> str:
    """The URL with a password in its userinfo (trust authentication ignores it)."""
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{password}@{host}"


def test_a_tenant_moves_to_postgresql_and_carries_on(start_serve, postgres_database,  # noqa: F811
                                                      tmp_path):
    data_dir = tmp_path / "data"
    first = start_serve(data_dir=data_dir)
    tenant = Tenant(first)
    api = tenant.api(scopes=SCOPES, offline=True)["identifier"]
    m2m = tenant.client()
    tenant.grant(m2m, api, SCOPES)
    web = tenant.client(type="regular_web")
    user = tenant.user(permissions={api: SCOPES})
    tenant.sync()
    access = assert_token_response(client_credentials(first, m2m, api))["access_token"]
    signed_in = assert_token_response(password_grant(first, web, user, api,
                                                     scope="offline_access read:messages"))
    issuer = first.issuer
    first.stop()

    url = with_password(postgres_database, "sekret-pw")
    copied = store_copy("--from", str(data_dir), "--to", url, "--json")
    assert copied.returncode == 0, copied.stderr
    assert "sekret-pw" not in copied.stdout + copied.stderr
    report = json.loads(copied.stdout)
    assert report["to"] == with_password(postgres_database, "***")
    assert report["master_key"] == str(data_dir / "master.key")
    rows = {t["table"]: t["rows"] for t in report["tables"] if t["verified"]}
    assert len(rows) == 16, report  # the tenant tables of signet/store/copy.cc
    assert rows["client_grants"] == 1 and rows["refresh_tokens"] == 1, report
    # The event log moves too: the two token requests above, at least.
    assert rows["events"] >= 2, report
    assert rows["users"] == 1 and rows["signing_keys"] >= 1, report

    second = start_serve("--store", postgres_database, "--issuer", issuer, data_dir=data_dir)
    # The same keys: a token of the first server verifies with the second's JWKS.
    verify_with_jwks(access, second.jwks(), api, issuer)
    refreshed = refresh_grant(second, web, signed_in["refresh_token"])
    assert_token_response(refreshed)
    assert_token_response(client_credentials(second, m2m, api))
    assert_token_response(password_grant(second, web, user, api))
    second.stop()

    again = store_copy("--from", str(data_dir), "--to", url)
    assert again.returncode == 1
    assert re.search(r"already holds a tenant: \d+ APIs?, \d+ applications?, 1 user, "
                     r"\d+ signing keys?", again.stderr), again.stderr
    assert "--force replaces it" in again.stderr, again.stderr
    assert "sekret-pw" not in again.stderr

    forced = store_copy("--from", str(data_dir), "--to", url, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "verified" in forced.stdout and "master.key" in forced.stdout, forced.stdout


def test_a_missing_data_directory_is_named(postgres_database, tmp_path):  # noqa: F811
    done = store_copy("--from", str(tmp_path / "missing"), "--to", postgres_database)
    assert done.returncode == 1
    assert f"no data directory {tmp_path / 'missing'}" in done.stderr, done.stderr
