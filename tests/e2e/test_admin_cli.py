"""End-to-end tests of the tenant's admin CLI: `signet apis`, `signet clients`, `signet grants` and
`signet users`.

Each test works in its own temporary data directory and runs the real signet binary with SIGNET_*
cleaned from the environment. Every run is checked for leaks: no output of any command may hold a
stored secret hash ("hs256:") or password hash ("$argon2id$"). What the CLI stored is read back
from the SQLite file with Python's own sqlite3, as an independent check of what the commands say.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import pathlib
import pty
import re
import sqlite3
import stat
import subprocess

import pytest

from conftest import clean_env, signet_bin
from serve_fixtures import Tenant, password_grant, start_serve  # noqa: F401 (a fixture)

RUN_TIMEOUT = 60.0  # s; argon2id hashing is the slow part, well under a second
API = "https://api.example.com/"
OTHER_API = "urn:signet:other|api v2"  # ':' '|' ' ' and '/' are all fine in an identifier
PASSWORD = "correct horse battery staple"
LEAKS = ("hs256:", "$argon2id$")  # stored hashes: never printed
SECRET_HASH_LABEL = b"signet secret hash key v1"  # signet/server/credentials.cc
BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def run(data_dir, *args: str, stdin: str | None = None, env: dict | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    """Runs `signet ARGS --data-dir DATA_DIR`, with `stdin` as input (else no input at all)."""
    res = subprocess.run([signet_bin(), *args, "--data-dir", str(data_dir)],
                         env=env if env is not None else clean_env(), capture_output=True,
                         text=True, timeout=RUN_TIMEOUT, input=stdin,
                         stdin=subprocess.DEVNULL if stdin is None else None)
    for leak in LEAKS:
        assert leak not in res.stdout and leak not in res.stderr, f"signet {args} printed {leak}"
    if check:
        assert res.returncode == 0, f"signet {args} failed: {res.stderr}"
        assert res.stderr == "", res.stderr
    return res


def js(data_dir, *args: str, stdin: str | None = None):
    """Runs a command with --json and returns its parsed stdout."""
    return json.loads(run(data_dir, *args, "--json", stdin=stdin).stdout)


def assert_failed_cleanly(res, *needles: str):
    """Exit status 1, nothing on stdout, one line "signet: ..." on stderr holding each needle."""
    assert res.returncode == 1, (res.returncode, res.stderr)
    assert res.stdout == "", res.stdout
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("signet: "), res.stderr
    for needle in needles:
        assert needle.lower() in res.stderr.lower(), res.stderr


def fails(data_dir, *args: str, stdin: str | None = None):
    return run(data_dir, *args, stdin=stdin, check=False)


def listed(data_dir, noun: str) -> list:
    """`signet NOUN list --json`, or [] when the data directory was never created: list creates
    nothing, so it refuses a missing data directory (tests/e2e/test_files.py)."""
    return js(data_dir, noun, "list") if data_dir.exists() else []


def db_rows(data_dir, sql: str, *params) -> list[tuple]:
    con = sqlite3.connect(data_dir / "signet.db")
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def stored_secret_hash(data_dir, client_id: str) -> str:
    (value,), = db_rows(data_dir, "SELECT client_secret_hash FROM applications WHERE client_id = ?",
                        client_id)
    return value.decode() if isinstance(value, bytes) else value


def stored_password_hash(data_dir, user_id: str) -> str:
    (value,), = db_rows(data_dir, "SELECT password_hash FROM users WHERE id = ?", user_id)
    return value


def expected_secret_hash(data_dir, secret: str) -> str:
    """What signet's SecretHasher stores for `secret`, computed independently: HMAC-SHA256 under a
    key derived from the data directory's master key."""
    text = (data_dir / "master.key").read_text().strip()
    master = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    key = hmac.new(master, SECRET_HASH_LABEL, hashlib.sha256).digest()
    return "hs256:" + hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "signet-data"  # does not exist yet: signet creates it


@pytest.fixture
def tenant(data_dir):
    """An API with two permissions and an m2m application, as most tests need."""
    run(data_dir, "apis", "create", "--identifier", API, "--name", "Example API",
        "--scopes", "read:messages write:messages")
    client = js(data_dir, "clients", "create", "--name", "Messages client")
    return {"data_dir": data_dir, "client_id": client["client_id"],
            "client_secret": client["client_secret"]}


def create_user(data_dir, email: str = "ada@example.com", *extra: str,
                password: str = PASSWORD) -> dict:
    return js(data_dir, "users", "create", "--email", email, *extra, "--password-stdin",
              stdin=password + "\n")


# --- apis


def test_apis_create_with_defaults(data_dir):
    res = run(data_dir, "apis", "create", "--identifier", API, "--name", "Example API")
    assert f"created API {API}" in res.stdout
    api = js(data_dir, "apis", "show", API)
    assert api == {"identifier": API, "name": "Example API", "signing_alg": "RS256",
                   "token_lifetime": 86400, "allow_offline_access": False,
                   "token_profile": "auth0", "permissions_claim": False,
                   "require_dpop": False, "permissions": [], "created_at": api["created_at"]}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", api["created_at"])


def test_apis_create_with_every_option(data_dir):
    api = js(data_dir, "apis", "create", "--identifier", OTHER_API, "--name", "Other",
             "--alg", "EdDSA", "--token-lifetime", "2592000", "--allow-offline-access",
             "--token-profile", "rfc9068", "--scopes", "read:messages write:messages",
             "--scopes", "admin", "--scopes", "read:messages", "--permissions-claim")
    assert api["identifier"] == OTHER_API
    assert api["permissions_claim"] is True
    assert api["signing_alg"] == "EdDSA"
    assert api["token_lifetime"] == 2592000
    assert api["allow_offline_access"] is True
    assert api["token_profile"] == "rfc9068"
    assert api["permissions"] == [{"value": "read:messages", "description": ""},
                                  {"value": "write:messages", "description": ""},
                                  {"value": "admin", "description": ""}]
    assert js(data_dir, "apis", "show", OTHER_API) == api


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_apis_create_each_signing_algorithm(data_dir, alg):
    assert js(data_dir, "apis", "create", "--identifier", API, "--name", "x",
              "--alg", alg)["signing_alg"] == alg


def test_apis_create_existing_identifier_is_a_conflict(data_dir):
    run(data_dir, "apis", "create", "--identifier", API, "--name", "First")
    assert_failed_cleanly(fails(data_dir, "apis", "create", "--identifier", API, "--name", "Dup"),
                          "already exists", API)
    assert js(data_dir, "apis", "show", API)["name"] == "First"


@pytest.mark.parametrize("args, needles", [
    (["--alg", "HS256"], ["HS256", "RS256, PS256, ES256 or EdDSA"]),
    (["--alg", "none"], ["none", "RS256"]),
    (["--allow-offline-access", "maybe"], ["--allow-offline-access", "true or false"]),
    (["--token-profile", "jwt"], ["jwt", "auth0 or rfc9068"]),
    (["--token-lifetime", "0"], ["--token-lifetime", "2592000"]),
    (["--token-lifetime", "2592001"], ["--token-lifetime", "2592000"]),
    (["--token-lifetime", "-5"], ["2592000"]),
    (["--token-lifetime", "soon"], ["--token-lifetime"]),
    (["--scopes", 'read"messages'], ["read\"messages"]),
])
def test_apis_create_bad_input_fails_and_creates_nothing(data_dir, args, needles):
    res = fails(data_dir, "apis", "create", "--identifier", API, "--name", "x", *args)
    assert_failed_cleanly(res, *needles)
    assert listed(data_dir, "apis") == []


@pytest.mark.parametrize("missing", ["--identifier", "--name"])
def test_apis_create_without_required_flag_fails(data_dir, missing):
    args = {"--identifier": API, "--name": "x"}
    del args[missing]
    res = fails(data_dir, "apis", "create", *[a for kv in args.items() for a in kv])
    assert_failed_cleanly(res, missing, "signet apis create --help")


# Every verb of a noun shares its options, and the variable used to be applied to the verbs that
# did not run as well, so it overwrote an explicit --data-dir.
@pytest.mark.parametrize("verb", [("apis", "list"), ("clients", "list"), ("grants", "list"),
                                  ("users", "list")])
def test_an_explicit_data_dir_beats_the_variable(tmp_path, verb):
    mine, other = tmp_path / "mine", tmp_path / "other"
    run(mine, "apis", "create", "--identifier", "https://mine/", "--name", "Mine")
    run(other, "apis", "create", "--identifier", "https://other/", "--name", "Other")
    env = {**clean_env(), "SIGNET_DATA_DIR": str(other)}
    listed = run(mine, *verb, "--json", env=env).stdout
    assert json.loads(listed) == js(mine, *verb)
    if verb[0] == "apis":
        assert [a["identifier"] for a in json.loads(listed)] == ["https://mine/"]
    # Without the flag, the variable is used.
    res = subprocess.run([signet_bin(), "apis", "list", "--json"], env=env, capture_output=True,
                         text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
    assert [a["identifier"] for a in json.loads(res.stdout)] == ["https://other/"], res.stderr


def test_apis_list(data_dir):
    run(data_dir, "clients", "create", "--name", "x")  # a tenant without APIs
    assert js(data_dir, "apis", "list") == []
    assert "no APIs yet" in run(data_dir, "apis", "list").stdout
    run(data_dir, "apis", "create", "--identifier", API, "--name", "Example API",
        "--scopes", "read:messages")
    run(data_dir, "apis", "create", "--identifier", OTHER_API, "--name", "Other")
    listed = js(data_dir, "apis", "list")
    assert isinstance(listed, list)
    assert [a["identifier"] for a in listed] == [API, OTHER_API]
    assert listed[0]["permissions"] == [{"value": "read:messages", "description": ""}]
    text = run(data_dir, "apis", "list").stdout
    assert text.splitlines()[0].split()[:3] == ["IDENTIFIER", "NAME", "ALG"]
    assert API in text and OTHER_API in text and "read:messages" in text


def test_apis_show_text_lists_permissions_with_descriptions(tenant, data_dir):
    run(data_dir, "apis", "permissions", "add", API, "read:messages",
        "--description", "Read your messages")
    text = run(data_dir, "apis", "show", API).stdout
    assert "Example API" in text and "RS256" in text and "86400" in text
    assert re.search(r"read:messages\s+Read your messages", text)
    assert "write:messages" in text


def test_apis_show_unknown_says_where_to_look(tenant, data_dir):
    res = fails(data_dir, "apis", "show", "https://nope/")
    assert_failed_cleanly(res, "no API with identifier https://nope/", "signet apis list")


def test_apis_update_changes_only_the_given_fields(tenant, data_dir):
    before = js(data_dir, "apis", "show", API)
    after = js(data_dir, "apis", "update", API, "--name", "Renamed")
    assert after == {**before, "name": "Renamed"}
    after = js(data_dir, "apis", "update", API, "--alg", "ES256", "--token-lifetime", "60",
               "--allow-offline-access", "true", "--token-profile", "rfc9068")
    assert after == {**before, "name": "Renamed", "signing_alg": "ES256", "token_lifetime": 60,
                     "allow_offline_access": True, "token_profile": "rfc9068"}
    assert js(data_dir, "apis", "update", API,
              "--allow-offline-access", "false")["allow_offline_access"] is False
    assert js(data_dir, "apis", "update", API,
              "--permissions-claim", "true")["permissions_claim"] is True
    assert_failed_cleanly(fails(data_dir, "apis", "update", API, "--permissions-claim", "maybe"),
                          "--permissions-claim")
    assert js(data_dir, "apis", "show", API)["created_at"] == before["created_at"]


def test_apis_update_keeps_permissions_and_grants(tenant, data_dir):
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
               "--scopes", "read:messages")
    js(data_dir, "apis", "update", API, "--token-lifetime", "3600")
    assert js(data_dir, "grants", "show", str(grant["id"]))["scopes"] == ["read:messages"]
    assert len(js(data_dir, "apis", "show", API)["permissions"]) == 2


@pytest.mark.parametrize("args, needles", [
    ([], ["nothing to update", "--name"]),
    (["--allow-offline-access", "yes"], ["--allow-offline-access", "true or false"]),
    (["--alg", "HS512"], ["HS512"]),
    (["--token-profile", "oidc"], ["oidc"]),
    (["--token-lifetime", "2592001"], ["2592000"]),
    (["--name", ""], ["name must not be empty"]),
])
def test_apis_update_bad_input_changes_nothing(tenant, data_dir, args, needles):
    before = js(data_dir, "apis", "show", API)
    assert_failed_cleanly(fails(data_dir, "apis", "update", API, *args), *needles)
    assert js(data_dir, "apis", "show", API) == before


def test_apis_update_unknown_fails(data_dir):
    assert_failed_cleanly(fails(data_dir, "apis", "update", API, "--name", "x"),
                          f"no API with identifier {API}", "signet apis list")


def test_apis_delete_cascades_to_grants_and_user_permissions(tenant, data_dir):
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
               "--scopes", "read:messages")
    user = create_user(data_dir)
    run(data_dir, "users", "permissions", "add", user["id"], "--audience", API, "read:messages")
    res = run(data_dir, "apis", "delete", API, "--yes")
    assert f"deleted API {API}" in res.stdout and "1 client grant" in res.stdout
    assert js(data_dir, "apis", "list") == []
    assert js(data_dir, "grants", "list") == []
    assert_failed_cleanly(fails(data_dir, "grants", "show", str(grant["id"])),
                          f"no client grant with id {grant['id']}")
    assert js(data_dir, "users", "show", user["id"])["permissions"] == {}
    # The application itself stays.
    assert js(data_dir, "clients", "show", tenant["client_id"])["client_id"] == tenant["client_id"]
    assert db_rows(data_dir, "SELECT COUNT(*) FROM client_grant_scopes") == [(0,)]


def test_apis_delete_json_and_unknown(tenant, data_dir):
    out = js(data_dir, "apis", "delete", API, "--yes")
    assert out == {"identifier": API, "deleted": True, "deleted_client_grants": 0}
    assert_failed_cleanly(fails(data_dir, "apis", "delete", API),
                          f"no API with identifier {API}")


def test_apis_permissions_add_new_and_describe_existing(tenant, data_dir):
    api = js(data_dir, "apis", "permissions", "add", API, "delete:messages",
             "--description", "Delete messages")
    assert api["permissions"][-1] == {"value": "delete:messages", "description": "Delete messages"}
    res = run(data_dir, "apis", "permissions", "add", API, "read:messages",
              "--description", "Read messages")
    assert "updated the description" in res.stdout
    res = run(data_dir, "apis", "permissions", "add", API, "read:messages")
    assert "already has permission read:messages" in res.stdout
    assert js(data_dir, "apis", "permissions", "list", API) == [
        {"value": "read:messages", "description": "Read messages"},
        {"value": "write:messages", "description": ""},
        {"value": "delete:messages", "description": "Delete messages"}]


def test_apis_permissions_add_keeps_grants_holding_it(tenant, data_dir):
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
               "--scopes", "read:messages")
    run(data_dir, "apis", "permissions", "add", API, "read:messages", "--description", "New")
    assert js(data_dir, "grants", "show", str(grant["id"]))["scopes"] == ["read:messages"]


def test_apis_permissions_add_errors(tenant, data_dir):
    assert_failed_cleanly(fails(data_dir, "apis", "permissions", "add", "https://nope/", "x"),
                          "no API with identifier https://nope/")
    assert_failed_cleanly(fails(data_dir, "apis", "permissions", "add", API, "two words"),
                          "two words")
    assert_failed_cleanly(fails(data_dir, "apis", "permissions", "add", API),
                          "SCOPE", "--help")


def test_apis_permissions_remove_takes_them_from_grants_and_users(tenant, data_dir):
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
               "--scopes", "read:messages write:messages")
    user = create_user(data_dir)
    run(data_dir, "users", "permissions", "add", user["id"], "--audience", API,
        "read:messages", "write:messages")
    api = js(data_dir, "apis", "permissions", "remove", API, "write:messages")
    assert [p["value"] for p in api["permissions"]] == ["read:messages"]
    assert js(data_dir, "grants", "show", str(grant["id"]))["scopes"] == ["read:messages"]
    assert js(data_dir, "users", "show", user["id"])["permissions"] == {API: ["read:messages"]}


def test_apis_permissions_remove_unknown_removes_nothing(tenant, data_dir):
    res = fails(data_dir, "apis", "permissions", "remove", API, "read:messages", "typo:messages")
    assert_failed_cleanly(res, "has no permission typo:messages")
    assert len(js(data_dir, "apis", "show", API)["permissions"]) == 2
    res = run(data_dir, "apis", "permissions", "remove", API, "read:messages", "write:messages")
    assert "read:messages, write:messages" in res.stdout
    assert js(data_dir, "apis", "permissions", "list", API) == []


def test_switches_take_the_same_form_in_create_and_update(data_dir):
    # Alone the flag turns a setting on; "true" or "false" may follow, in create as in update.
    api = js(data_dir, "apis", "create", "--identifier", API, "--name", "x",
             "--allow-offline-access", "--permissions-claim", "false")
    assert (api["allow_offline_access"], api["permissions_claim"]) == (True, False)
    api = js(data_dir, "apis", "update", API, "--allow-offline-access", "false",
             "--permissions-claim")
    assert (api["allow_offline_access"], api["permissions_claim"]) == (False, True)
    api = js(data_dir, "apis", "update", API, "--allow-offline-access=true",
             "--permissions-claim=false")
    assert (api["allow_offline_access"], api["permissions_claim"]) == (True, False)


# --- DPoP (RFC 9449): --require-dpop / --no-require-dpop on apis and clients


@pytest.mark.parametrize("noun, create, column", [
    ("apis", ["--identifier", API, "--name", "x"], "require_dpop"),
    ("clients", ["--name", "x", "--type", "spa"], "dpop_bound_access_tokens"),
])
def test_require_dpop_is_on_off_or_unchanged(data_dir, noun, create, column):
    record = js(data_dir, noun, "create", *create, "--require-dpop")
    field = "require_dpop" if noun == "apis" else "dpop_bound_access_tokens"
    key = record["identifier"] if noun == "apis" else record["client_id"]
    assert record[field] is True
    table, key_column = ("apis", "identifier") if noun == "apis" else ("applications", "client_id")
    assert db_rows(data_dir, f"SELECT {column} FROM {table} WHERE {key_column} = ?", key) == [(1,)]
    # Shown by show, in text and JSON, and by list.
    assert "require DPoP" in run(data_dir, noun, "show", key).stdout
    assert "DPOP" in run(data_dir, noun, "list").stdout
    assert [r[field] for r in js(data_dir, noun, "list")] == [True]
    # An update that does not name it leaves it; --no-require-dpop turns it off.
    assert js(data_dir, noun, "update", key, "--name", "renamed")[field] is True
    assert js(data_dir, noun, "update", key, "--no-require-dpop")[field] is False
    assert db_rows(data_dir, f"SELECT {column} FROM {table} WHERE {key_column} = ?", key) == [(0,)]
    assert js(data_dir, noun, "update", key, "--require-dpop")[field] is True
    # Both at once is refused, and changes nothing.
    res = fails(data_dir, noun, "update", key, "--require-dpop", "--no-require-dpop")
    assert res.returncode != 0 and "excludes" in res.stderr, res.stderr
    assert js(data_dir, noun, "show", key)[field] is True
    # Neither, on create: off.
    other = (["--identifier", OTHER_API, "--name", "y"] if noun == "apis"
             else ["--name", "y"])
    assert js(data_dir, noun, "create", *other)[field] is False


def test_every_list_takes_commas_spaces_or_repeats(tenant, data_dir):
    api = js(data_dir, "apis", "create", "--identifier", OTHER_API, "--name", "Other",
             "--scopes", "a,b c", "--scopes", "d, e")
    assert [p["value"] for p in api["permissions"]] == ["a", "b", "c", "d", "e"]
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"],
               "--audience", OTHER_API, "--scopes", "a,b", "--scopes", "c")
    assert sorted(grant["scopes"]) == ["a", "b", "c"]
    updated = js(data_dir, "grants", "update", str(grant["id"]), "--scopes", "d e,a")
    assert sorted(updated["scopes"]) == ["a", "d", "e"]
    user = create_user(data_dir)
    out = js(data_dir, "users", "permissions", "add", user["id"], "--audience", OTHER_API, "a,b", "c d")
    assert out["permissions"] == ["a", "b", "c", "d"]
    out = js(data_dir, "users", "permissions", "remove", user["id"], "--audience", OTHER_API, "a, c")
    assert out["permissions"] == ["b", "d"]
    api = js(data_dir, "apis", "permissions", "remove", OTHER_API, "a,b", "c")
    assert [p["value"] for p in api["permissions"]] == ["d", "e"]
    app = js(data_dir, "clients", "create", "--name", "spaced", "--grant-types",
             "password refresh_token")
    assert app["grant_types"] == ["password", "refresh_token"]


def test_a_permission_name_cannot_hold_a_list_separator(tenant, data_dir):
    for name in ("read,write", "read write"):
        assert_failed_cleanly(fails(data_dir, "apis", "permissions", "add", API, name),
                              "comma or white space", "one permission at a time")
    assert [p["value"] for p in js(data_dir, "apis", "show", API)["permissions"]] == \
        ["read:messages", "write:messages"]


def test_old_flag_names_still_work_but_help_shows_one_name(tenant, data_dir):
    api = js(data_dir, "apis", "create", "--identifier", OTHER_API, "--name", "Other",
             "--signing-alg", "ES256", "--scope", "x:read")
    assert api["signing_alg"] == "ES256"
    assert [p["value"] for p in api["permissions"]] == ["x:read"]
    assert js(data_dir, "apis", "update", OTHER_API, "--signing-alg", "PS256")["signing_alg"] == \
        "PS256"
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
               "--scope", "read:messages", "--scope", "write:messages")
    assert sorted(grant["scopes"]) == ["read:messages", "write:messages"]
    # --scope alone satisfies the required --scopes of grants update.
    assert js(data_dir, "grants", "update", str(grant["id"]), "--scope", "write:messages")[
        "scopes"] == ["write:messages"]
    for args in (["apis", "create"], ["apis", "update"], ["grants", "create"], ["grants", "update"]):
        res = subprocess.run([signet_bin(), *args, "--help"], env=clean_env(), capture_output=True,
                             text=True, timeout=RUN_TIMEOUT)
        assert "--signing-alg" not in res.stdout
        assert not re.search(r"--scope\b(?!s)", res.stdout), res.stdout


# --- clients


def test_clients_create_m2m_prints_the_secret_once(data_dir):
    res = run(data_dir, "clients", "create", "--name", "Messages client")
    m = re.search(r"^client_secret\s+(\S+)$", res.stdout, re.MULTILINE)
    assert m, res.stdout
    secret = m.group(1)
    client_id = re.search(r"^client_id\s+(\S+)$", res.stdout, re.MULTILINE).group(1)
    assert "cannot be shown again" in res.stdout
    assert len(secret) == 43 and BASE64URL.match(secret)
    assert BASE64URL.match(client_id) and not client_id.startswith("-")
    shown = js(data_dir, "clients", "show", client_id)
    assert shown == {"client_id": client_id, "name": "Messages client", "type": "m2m",
                     "grant_types": ["client_credentials"],
                     "token_endpoint_auth_method": "client_secret_basic_or_post",
                     "created_at": shown["created_at"], "callbacks": [],
                     "allowed_logout_urls": [], "web_origins": [],
                     "dpop_bound_access_tokens": False}
    # Stored as its keyed hash only, never as itself.
    assert stored_secret_hash(data_dir, client_id) == expected_secret_hash(data_dir, secret)
    assert secret.encode() not in (data_dir / "signet.db").read_bytes()


def test_clients_create_json(data_dir):
    client = js(data_dir, "clients", "create", "--name", "web", "--type", "regular_web")
    assert set(client) == {"client_id", "client_secret", "name", "type", "grant_types",
                           "token_endpoint_auth_method", "created_at", "callbacks",
                           "allowed_logout_urls", "web_origins", "dpop_bound_access_tokens"}
    assert client["type"] == "regular_web"
    assert client["grant_types"] == ["authorization_code", "password", "refresh_token"]
    assert len(client["client_secret"]) == 43
    assert stored_secret_hash(data_dir, client["client_id"]) == expected_secret_hash(
        data_dir, client["client_secret"])


@pytest.mark.parametrize("app_type", ["native", "spa"])
def test_clients_create_public_types_default_to_the_code_flow_without_a_secret(data_dir,
                                                                                app_type):
    client = js(data_dir, "clients", "create", "--name", "x", "--type", app_type)
    assert client["grant_types"] == ["authorization_code", "refresh_token"]
    assert client["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in client
    assert not stored_secret_hash(data_dir, client["client_id"])


@pytest.mark.parametrize("args, grant_types", [
    (["--grant-types", "client_credentials,password,refresh_token"],
     ["client_credentials", "password", "refresh_token"]),
    (["--grant-types", "password", "--grant-types", "client_credentials"],
     ["password", "client_credentials"]),
    (["--grant-types", "refresh_token, password,refresh_token"], ["refresh_token", "password"]),
])
def test_clients_create_grant_types(data_dir, args, grant_types):
    client = js(data_dir, "clients", "create", "--name", "x", *args,
                "--auth-method", "client_secret_basic")
    assert client["grant_types"] == grant_types
    assert client["token_endpoint_auth_method"] == "client_secret_basic"


@pytest.mark.parametrize("args, needles", [
    (["--type", "machine"], ["machine", "m2m, regular_web, native or spa"]),
    (["--grant-types", "implicit"],
     ["implicit", "authorization_code, client_credentials, password or refresh_token"]),
    (["--grant-types", "password,bogus"], ["bogus"]),
    (["--grant-types", ""], ["--grant-types"]),
    (["--auth-method", "none"], ["none", "machine-to-machine application must authenticate"]),
    (["--auth-method", "private_key_jwt"], ["private_key_jwt", "--jwks FILE"]),
    (["--auth-method", "client_secret_jwt"], ["client_secret_jwt", "client_secret_basic_or_post"]),
    (["--type", "spa", "--auth-method", "client_secret_post"], ["cannot keep a secret"]),
    (["--type", "spa", "--grant-types", "password"], ["cannot use the password grant"]),
    (["--type", "spa", "--callbacks", "/callback"], ["callback '/callback'", "absolute URL"]),
    (["--type", "spa", "--web-origins", "http://localhost:3000/"],
     ["write http://localhost:3000"]),
    (["--jwks-uri", "https://client.example/jwks.json"], ["--auth-method private_key_jwt"]),
    (["--auth-method", "private_key_jwt", "--jwks-uri", "http://client.example/jwks.json"],
     ["must use https"]),
    (["--name", ""], ["name must not be empty"]),
])
def test_clients_create_bad_input_creates_nothing(data_dir, args, needles):
    name = [] if "--name" in args else ["--name", "x"]
    res = fails(data_dir, "clients", "create", *name, *args)
    assert_failed_cleanly(res, *needles)
    assert listed(data_dir, "clients") == []


def test_clients_create_without_name_fails(data_dir):
    assert_failed_cleanly(fails(data_dir, "clients", "create"), "--name")


def test_clients_list_and_show_never_print_the_secret(tenant, data_dir):
    secret = tenant["client_secret"]
    outputs = [run(data_dir, "clients", "list").stdout,
               run(data_dir, "clients", "list", "--json").stdout,
               run(data_dir, "clients", "show", tenant["client_id"]).stdout,
               run(data_dir, "clients", "show", tenant["client_id"], "--json").stdout]
    for out in outputs:
        assert tenant["client_id"] in out
        assert secret not in out
        assert "secret" not in re.sub(r"client_secret_(post|basic)", "", out)
    listed = js(data_dir, "clients", "list")
    assert isinstance(listed, list) and len(listed) == 1
    assert "client_secret" not in listed[0]


def test_clients_list_empty(data_dir):
    run(data_dir, "apis", "create", "--identifier", API, "--name", "x")  # a tenant without clients
    assert js(data_dir, "clients", "list") == []
    assert "no applications yet" in run(data_dir, "clients", "list").stdout


def test_clients_show_unknown(tenant, data_dir):
    assert_failed_cleanly(fails(data_dir, "clients", "show", "nope"),
                          "no application with client_id nope", "signet clients list")


def test_clients_update_changes_only_the_given_fields(tenant, data_dir):
    cid = tenant["client_id"]
    before = js(data_dir, "clients", "show", cid)
    hash_before = stored_secret_hash(data_dir, cid)
    after = js(data_dir, "clients", "update", cid, "--name", "Renamed")
    assert after == {**before, "name": "Renamed"}
    after = js(data_dir, "clients", "update", cid, "--type", "regular_web", "--grant-types",
               "password,refresh_token", "--auth-method", "client_secret_basic")
    assert after == {**before, "name": "Renamed", "type": "regular_web",
                     "grant_types": ["password", "refresh_token"],
                     "token_endpoint_auth_method": "client_secret_basic"}
    assert stored_secret_hash(data_dir, cid) == hash_before  # the secret still works


@pytest.mark.parametrize("args, needles", [
    ([], ["nothing to update"]),
    (["--type", "robot"], ["robot"]),
    (["--grant-types", "implicit"], ["implicit"]),
    (["--grant-types", ""], ["--grant-types"]),
    (["--auth-method", "none"], ["none"]),
    (["--auth-method", "private_key_jwt"], ["needs its public keys"]),
    (["--type", "spa"], ["cannot keep a secret"]),
    (["--logout-urls", "javascript:alert(1)"], ["never a place"]),
])
def test_clients_update_bad_input_changes_nothing(tenant, data_dir, args, needles):
    before = js(data_dir, "clients", "show", tenant["client_id"])
    assert_failed_cleanly(fails(data_dir, "clients", "update", tenant["client_id"], *args),
                          *needles)
    assert js(data_dir, "clients", "show", tenant["client_id"]) == before


def test_clients_update_unknown(data_dir):
    assert_failed_cleanly(fails(data_dir, "clients", "update", "nope", "--name", "x"),
                          "no application with client_id nope")


def test_clients_rotate_secret_replaces_the_secret(tenant, data_dir):
    cid = tenant["client_id"]
    old = tenant["client_secret"]
    before = js(data_dir, "clients", "show", cid)
    rotated = js(data_dir, "clients", "rotate-secret", cid)
    new = rotated["client_secret"]
    assert rotated["client_id"] == cid
    assert len(new) == 43 and BASE64URL.match(new) and new != old
    stored = stored_secret_hash(data_dir, cid)
    assert stored == expected_secret_hash(data_dir, new)
    assert stored != expected_secret_hash(data_dir, old)  # the old secret no longer matches
    assert js(data_dir, "clients", "show", cid) == before  # nothing else changed
    text = run(data_dir, "clients", "rotate-secret", cid).stdout
    assert "cannot be shown again" in text and "old one no longer works" in text
    newest = re.search(r"^client_secret\s+(\S+)$", text, re.MULTILINE).group(1)
    assert stored_secret_hash(data_dir, cid) == expected_secret_hash(data_dir, newest)


def test_clients_rotate_secret_unknown(data_dir):
    assert_failed_cleanly(fails(data_dir, "clients", "rotate-secret", "nope"),
                          "no application with client_id nope")


def test_clients_delete_cascades_to_grants(tenant, data_dir):
    js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API)
    out = js(data_dir, "clients", "delete", tenant["client_id"], "--yes")
    assert out == {"client_id": tenant["client_id"], "deleted": True, "deleted_client_grants": 1}
    assert js(data_dir, "clients", "list") == []
    assert js(data_dir, "grants", "list") == []
    assert_failed_cleanly(fails(data_dir, "clients", "delete", tenant["client_id"]),
                          f"no application with client_id {tenant['client_id']}")


def test_clients_with_another_master_key_hash_differently(tenant, data_dir):
    env = clean_env(SIGNET_MASTER_KEY="ab" * 32)
    res = run(data_dir, "clients", "rotate-secret", tenant["client_id"], "--json", env=env)
    secret = json.loads(res.stdout)["client_secret"]
    # Hashed under the key from the environment, not the one in master.key.
    assert stored_secret_hash(data_dir, tenant["client_id"]) != expected_secret_hash(data_dir,
                                                                                   secret)


# --- grants


def test_grants_create_prints_the_grant(tenant, data_dir):
    res = run(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
              "--scopes", "read:messages")
    m = re.search(r"created client grant (\d+)", res.stdout)
    assert m, res.stdout
    grant = js(data_dir, "grants", "show", m.group(1))
    assert grant == {"id": int(m.group(1)), "client_id": tenant["client_id"], "audience": API,
                     "scopes": ["read:messages"], "created_at": grant["created_at"]}


def test_grants_create_json_with_repeated_and_no_scopes(tenant, data_dir):
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
               "--scopes", "write:messages", "--scopes", "read:messages")
    assert isinstance(grant["id"], int)
    assert grant["scopes"] == ["write:messages", "read:messages"]
    other = js(data_dir, "clients", "create", "--name", "other")
    bare = js(data_dir, "grants", "create", "--client-id", other["client_id"], "--audience", API)
    assert bare["scopes"] == [] and bare["id"] != grant["id"]


def test_grants_create_scope_must_be_a_permission_of_the_api(tenant, data_dir):
    res = fails(data_dir, "grants", "create", "--client-id", tenant["client_id"],
                "--audience", API, "--scopes", "read:messages delete:messages")
    assert_failed_cleanly(res, "delete:messages", "not a permission of API " + API,
                          "signet apis permissions add")
    assert js(data_dir, "grants", "list") == []


def test_grants_create_unknown_client_or_api(tenant, data_dir):
    assert_failed_cleanly(fails(data_dir, "grants", "create", "--client-id", "nope",
                                "--audience", API),
                          "no application with client_id nope", "signet clients list")
    assert_failed_cleanly(fails(data_dir, "grants", "create", "--client-id", tenant["client_id"],
                                "--audience", "https://nope/"),
                          "no API with identifier https://nope/", "signet apis list")
    assert js(data_dir, "grants", "list") == []


def test_grants_create_second_grant_for_same_api_is_a_conflict(tenant, data_dir):
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API)
    res = fails(data_dir, "grants", "create", "--client-id", tenant["client_id"],
                "--audience", API, "--scopes", "read:messages")
    assert_failed_cleanly(res, "already has a grant", f"grants update {grant['id']}")


@pytest.mark.parametrize("missing", ["--client-id", "--audience"])
def test_grants_create_without_required_flag(tenant, data_dir, missing):
    args = {"--client-id": tenant["client_id"], "--audience": API}
    del args[missing]
    res = fails(data_dir, "grants", "create", *[a for kv in args.items() for a in kv])
    assert_failed_cleanly(res, missing)


def test_grants_list_all_and_per_client(tenant, data_dir):
    assert js(data_dir, "grants", "list") == []
    assert "no client grants yet" in run(data_dir, "grants", "list").stdout
    run(data_dir, "apis", "create", "--identifier", OTHER_API, "--name", "Other",
        "--scopes", "admin")
    other = js(data_dir, "clients", "create", "--name", "other")
    g1 = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
            "--scopes", "read:messages")
    g2 = js(data_dir, "grants", "create", "--client-id", tenant["client_id"],
            "--audience", OTHER_API, "--scopes", "admin")
    g3 = js(data_dir, "grants", "create", "--client-id", other["client_id"], "--audience", API)
    assert [g["id"] for g in js(data_dir, "grants", "list")] == [g1["id"], g2["id"], g3["id"]]
    mine = js(data_dir, "grants", "list", "--client-id", tenant["client_id"])
    assert [g["id"] for g in mine] == [g1["id"], g2["id"]]
    assert mine[1] == g2
    text = run(data_dir, "grants", "list").stdout
    assert text.splitlines()[0].split() == ["ID", "CLIENT_ID", "AUDIENCE", "SCOPES", "CREATED"]
    assert OTHER_API in text
    assert_failed_cleanly(fails(data_dir, "grants", "list", "--client-id", "nope"),
                          "no application with client_id nope")


@pytest.mark.parametrize("grant_id, needles", [
    ("abc", ["'abc' is not a grant id"]),
    ("0", ["not a grant id"]),
    ("-1", []),
    ("1.5", ["not a grant id"]),
    ("99999999999999999999", ["not a grant id"]),
    ("4242", ["no client grant with id 4242", "signet grants list"]),
])
def test_grants_show_bad_or_unknown_id(tenant, data_dir, grant_id, needles):
    assert_failed_cleanly(fails(data_dir, "grants", "show", grant_id), *needles)


def test_grants_update_replaces_the_scopes(tenant, data_dir):
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
               "--scopes", "read:messages")
    gid = str(grant["id"])
    updated = js(data_dir, "grants", "update", gid, "--scopes", "write:messages read:messages")
    assert updated == {**grant, "scopes": ["write:messages", "read:messages"]}
    assert js(data_dir, "grants", "update", gid, "--scopes", "")["scopes"] == []
    text = run(data_dir, "grants", "update", gid, "--scopes", "read:messages").stdout
    assert re.search(r"^scopes\s+read:messages$", text, re.MULTILINE), text


def test_grants_update_errors_change_nothing(tenant, data_dir):
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
               "--scopes", "read:messages")
    gid = str(grant["id"])
    assert_failed_cleanly(fails(data_dir, "grants", "update", gid, "--scopes", "nope:x"),
                          "nope:x", "not a permission of API")
    assert_failed_cleanly(fails(data_dir, "grants", "update", gid), "--scopes")
    assert_failed_cleanly(fails(data_dir, "grants", "update", "777", "--scopes", "read:messages"),
                          "no client grant with id 777")
    assert js(data_dir, "grants", "show", gid) == grant


def test_grants_delete(tenant, data_dir):
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API)
    res = run(data_dir, "grants", "delete", str(grant["id"]), "-y")
    assert f"deleted client grant {grant['id']}" in res.stdout
    assert js(data_dir, "grants", "list") == []
    assert_failed_cleanly(fails(data_dir, "grants", "delete", str(grant["id"])),
                          f"no client grant with id {grant['id']}")
    # The application and the API stay.
    assert js(data_dir, "clients", "show", tenant["client_id"])
    assert js(data_dir, "apis", "show", API)
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API)
    out = js(data_dir, "grants", "delete", str(grant["id"]), "--yes")
    assert out == {"id": grant["id"], "deleted": True}


# --- users


def test_users_create_with_password_from_stdin(data_dir):
    res = run(data_dir, "users", "create", "--email", "ada@example.com", "--password-stdin",
              stdin=PASSWORD + "\n")
    # Ids are made by the admin service, as Auth0 makes them (signet/admin/admin.h).
    m = re.search(r"created user (auth0\|[0-9a-f]{24})$", res.stdout, re.MULTILINE)
    assert m, res.stdout
    user = js(data_dir, "users", "show", m.group(1))
    assert user == {"id": m.group(1), "email": "ada@example.com", "blocked": False,
                    "created_at": user["created_at"], "permissions": {}, "locked_out": False,
                    "lockouts": []}
    stored = stored_password_hash(data_dir, user["id"])
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored
    assert PASSWORD.encode() not in (data_dir / "signet.db").read_bytes()


def test_users_create_json_and_custom_id(data_dir):
    user = create_user(data_dir, "bob@example.com", "--id", "auth0|65a1b2c3")
    assert user == {"id": "auth0|65a1b2c3", "email": "bob@example.com", "blocked": False,
                    "created_at": user["created_at"]}
    a = create_user(data_dir, "carol@example.com")
    b = create_user(data_dir, "dave@example.com")
    assert re.fullmatch(r"auth0\|[0-9a-f]{24}", a["id"]) and a["id"] != b["id"]


@pytest.mark.parametrize("stdin, needles", [
    ("short\n", ["at least 8"]),
    ("1234567\r\n", ["at least 8"]),  # "\r\n" is stripped, so this is 7 characters
    ("1234567\nlonger second line\n", ["at least 8"]),  # only the first line counts
    ("", ["no password on stdin", "--password-stdin"]),
    ("\n", ["at least 8"]),
    ("x" * 1025 + "\n", ["at most 1024"]),
    ("abcd\0efgh\n", ["NUL"]),
])
def test_users_create_bad_password_creates_nothing(data_dir, stdin, needles):
    res = fails(data_dir, "users", "create", "--email", "ada@example.com", "--password-stdin",
                stdin=stdin)
    assert_failed_cleanly(res, *needles)
    assert js(data_dir, "users", "list") == []


def test_users_create_password_edge_lengths(data_dir):
    create_user(data_dir, "a@example.com", password="12345678")
    create_user(data_dir, "b@example.com", password="x" * 1024)
    # Without a final newline the whole input is the password.
    js(data_dir, "users", "create", "--email", "c@example.com", "--password-stdin",
       stdin="no newline at the end")
    assert len(js(data_dir, "users", "list")) == 3


def test_users_create_needs_password_stdin(data_dir):
    res = fails(data_dir, "users", "create", "--email", "ada@example.com", stdin=PASSWORD + "\n")
    assert_failed_cleanly(res, "--password-stdin")
    assert js(data_dir, "users", "list") == []


def test_users_have_no_password_flag(data_dir):
    res = fails(data_dir, "users", "create", "--email", "ada@example.com", "--password", PASSWORD)
    assert res.returncode == 1 and "--password" in res.stderr
    assert PASSWORD not in run(data_dir, "users", "create", "--help").stdout


@pytest.mark.parametrize("email", ["not-an-email", "@example.com", "ada@", "ada @example.com", ""])
def test_users_create_bad_email(data_dir, email):
    res = fails(data_dir, "users", "create", "--email", email, "--password-stdin",
                stdin=PASSWORD + "\n")
    assert_failed_cleanly(res, "not an email address")


def test_users_create_conflicts(data_dir):
    first = create_user(data_dir, "ada@example.com", "--id", "auth0|ada")
    assert_failed_cleanly(fails(data_dir, "users", "create", "--email", "ADA@example.com",
                                "--password-stdin", stdin=PASSWORD + "\n"),
                          "already exists", first["id"])
    assert_failed_cleanly(fails(data_dir, "users", "create", "--email", "other@example.com",
                                "--id", "auth0|ada", "--password-stdin", stdin=PASSWORD + "\n"),
                          "a user with id auth0|ada already exists")
    assert len(js(data_dir, "users", "list")) == 1


def test_users_list(data_dir):
    run(data_dir, "apis", "create", "--identifier", API, "--name", "x")  # a tenant without users
    assert js(data_dir, "users", "list") == []
    assert "no users yet" in run(data_dir, "users", "list").stdout
    a = create_user(data_dir, "ada@example.com")
    b = create_user(data_dir, "bob@example.com")
    listed = js(data_dir, "users", "list")
    assert {u["id"] for u in listed} == {a["id"], b["id"]}
    for u in listed:
        assert set(u) == {"id", "email", "blocked", "locked_out", "lockouts", "created_at"}
        assert (u["locked_out"], u["lockouts"]) == (False, [])
    text = run(data_dir, "users", "list").stdout
    assert text.splitlines()[0].split() == ["ID", "EMAIL", "BLOCKED", "LOCKED_OUT", "CREATED"]
    assert text.splitlines()[1].split()[3] == "-"
    assert "ada@example.com" in text and "bob@example.com" in text


def test_users_show_by_id_or_email(data_dir):
    user = create_user(data_dir, "Ada@Example.com")
    by_id = js(data_dir, "users", "show", user["id"])
    assert js(data_dir, "users", "show", "Ada@Example.com") == by_id
    assert js(data_dir, "users", "show", "ada@example.com") == by_id  # case-insensitive
    text = run(data_dir, "users", "show", user["id"]).stdout
    assert user["id"] in text and "Ada@Example.com" in text and "no permissions" in text
    assert_failed_cleanly(fails(data_dir, "users", "show", "nobody@example.com"),
                          "no user with id or email nobody@example.com", "signet users list")


def test_users_update_email(data_dir):
    user = create_user(data_dir, "ada@example.com")
    other = create_user(data_dir, "bob@example.com")
    hash_before = stored_password_hash(data_dir, user["id"])
    updated = js(data_dir, "users", "update", "ada@example.com", "--email", "ada@new.example")
    assert updated == {**user, "email": "ada@new.example"}
    assert stored_password_hash(data_dir, user["id"]) == hash_before
    assert_failed_cleanly(fails(data_dir, "users", "update", user["id"], "--email",
                                "BOB@example.com"),
                          "already exists", other["id"])
    assert_failed_cleanly(fails(data_dir, "users", "update", user["id"], "--email", "nope"),
                          "not an email address")
    assert_failed_cleanly(fails(data_dir, "users", "update", user["id"]), "--email")
    assert_failed_cleanly(fails(data_dir, "users", "update", "ghost", "--email", "g@example.com"),
                          "no user with id or email ghost")
    assert js(data_dir, "users", "show", user["id"])["email"] == "ada@new.example"


def test_users_delete(tenant, data_dir):
    user = create_user(data_dir)
    run(data_dir, "users", "permissions", "add", user["id"], "--audience", API, "read:messages")
    res = run(data_dir, "users", "delete", "ada@example.com", "--yes")
    assert f"deleted user {user['id']}" in res.stdout
    assert js(data_dir, "users", "list") == []
    assert db_rows(data_dir, "SELECT COUNT(*) FROM user_permissions") == [(0,)]
    assert_failed_cleanly(fails(data_dir, "users", "delete", user["id"]),
                          f"no user with id or email {user['id']}")
    again = create_user(data_dir)
    out = js(data_dir, "users", "delete", again["id"], "--yes")
    assert out == {"id": again["id"], "deleted": True}


def insert_failed_logins(data_dir, kind: str, subject: str, addresses: list[str]):
    con = sqlite3.connect(data_dir / "signet.db")
    try:
        with con:
            for address in addresses:
                con.execute("INSERT INTO failed_logins (kind, subject, address, count, "
                            "first_failure_at, blocked_until) VALUES (?, ?, ?, 10, 1, 4102444800)",
                            (kind, subject, address))
    finally:
        con.close()


def test_users_block_and_unblock(data_dir):
    user = create_user(data_dir)
    other = create_user(data_dir, "bob@example.com")
    blocked = js(data_dir, "users", "block", "ada@example.com")
    assert blocked == {**user, "blocked": True}
    assert js(data_dir, "users", "show", user["id"])["blocked"] is True
    assert "blocked user" in run(data_dir, "users", "block", user["id"]).stdout  # idempotent
    # Brute-force protection's counters for this user (by id, from two addresses) and others'.
    insert_failed_logins(data_dir, "user", user["id"], ["127.0.0.1", "::1"])
    insert_failed_logins(data_dir, "user", other["id"], ["127.0.0.1"])
    insert_failed_logins(data_dir, "client", user["id"], ["127.0.0.1"])
    unblocked = js(data_dir, "users", "unblock", "ada@example.com")
    assert unblocked == {**user, "blocked": False, "cleared_failed_login_counters": 2}
    assert js(data_dir, "users", "show", user["id"])["blocked"] is False
    remaining = db_rows(data_dir, "SELECT kind, subject FROM failed_logins ORDER BY kind")
    assert remaining == [("client", user["id"]), ("user", other["id"])]
    res = run(data_dir, "users", "unblock", user["id"])
    assert "cleared 0 failed-login counter(s)" in res.stdout
    for cmd in ("block", "unblock"):
        assert_failed_cleanly(fails(data_dir, "users", cmd, "ghost"), "no user with id or email")


def test_users_list_and_show_tell_who_is_locked_out(start_serve):
    # The real path: wrong passwords at a running server's token endpoint start the lockout.
    server = start_serve("--lockout-max-failures", "2", "--lockout-seconds", "600")
    tenant = Tenant(server)
    api = tenant.api(scopes=("read:messages",))["identifier"]
    client = tenant.client(type="regular_web", grant_types="password")
    locked, free = tenant.user(), tenant.user()
    tenant.sync()
    before = datetime.datetime.now(datetime.timezone.utc)
    # One wrong password only counts; the second reaches the limit and blocks.
    assert password_grant(server, client, free, api, password="wrong once").status_code == 400
    for attempt in ("wrong 1", "wrong 2"):
        res = password_grant(server, client, locked, api, password=attempt)
    assert res.status_code == 429, res.text

    data_dir = pathlib.Path(server.data_dir)
    listed = {u["email"]: u for u in js(data_dir, "users", "list")}
    assert listed[free.email]["locked_out"] is False and listed[free.email]["lockouts"] == []
    assert listed[locked.email]["locked_out"] is True
    [lockout] = listed[locked.email]["lockouts"]
    assert lockout["address"] == "127.0.0.1" and lockout["failed_logins"] == 2
    until = datetime.datetime.fromisoformat(lockout["until"].replace("Z", "+00:00"))
    assert before + datetime.timedelta(seconds=599) <= until
    assert until <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=600)
    shown = js(data_dir, "users", "show", locked.email)
    assert (shown["locked_out"], shown["lockouts"]) == (True, [lockout])

    rows = {line.split()[1]: line.split() for line in
            run(data_dir, "users", "list").stdout.splitlines()[1:]}
    assert rows[free.email][3] == "-"
    assert " ".join(rows[locked.email][3:8]) == f"yes (1 address, until {lockout['until']})"
    text = run(data_dir, "users", "show", locked.email).stdout
    assert f"yes (1 address, until {lockout['until']})" in text
    assert re.search(rf"^127\.0\.0\.1\s+2\s+{lockout['until']}$", text, re.MULTILINE), text
    assert f"signet users unblock {locked.email}" in text
    assert "locked out by" not in run(data_dir, "users", "show", free.email).stdout

    run(data_dir, "users", "unblock", locked.email)
    assert js(data_dir, "users", "show", locked.email)["locked_out"] is False


def insert_refresh_tokens(data_dir, client_id: str, user_id: str, revoked: list[int]):
    """One refresh token (its own sign-in) per entry of `revoked`, revoked when 1."""
    con = sqlite3.connect(data_dir / "signet.db")
    try:
        with con:
            for flag in revoked:
                n = con.execute("SELECT COUNT(*) FROM refresh_tokens").fetchone()[0]
                con.execute("INSERT INTO refresh_tokens (id, token_hash, family_id, client_id, "
                            "user_id, audience, scopes, created_at, expires_at, revoked) VALUES "
                            "(?, ?, ?, ?, ?, ?, 'offline_access', 1, 4102444800, ?)",
                            (f"rt{n}", os.urandom(32), f"family{n}", client_id, user_id, API,
                             flag))
    finally:
        con.close()


def live_refresh_tokens(data_dir) -> list[tuple]:
    return db_rows(data_dir, "SELECT user_id, COUNT(*) FROM refresh_tokens WHERE revoked = 0 "
                   "GROUP BY user_id ORDER BY user_id")


def test_users_revoke_sessions(tenant, data_dir):
    user = create_user(data_dir)
    other = create_user(data_dir, "bob@example.com")
    insert_refresh_tokens(data_dir, tenant["client_id"], user["id"], [0, 0, 1])
    insert_refresh_tokens(data_dir, tenant["client_id"], other["id"], [0])
    res = run(data_dir, "users", "revoke-sessions", "ada@example.com")
    assert res.stdout == (f"revoked 2 refresh token(s) of user {user['id']} (ada@example.com): "
                          "every app signed in as them must sign in again; access tokens already "
                          "issued stay valid until they expire (the API's token lifetime)\n")
    assert live_refresh_tokens(data_dir) == [(other["id"], 1)]
    assert js(data_dir, "users", "revoke-sessions", user["id"]) == {
        "id": user["id"], "email": "ada@example.com", "revoked_refresh_tokens": 0}
    assert js(data_dir, "users", "show", user["id"])["blocked"] is False  # not a block
    assert_failed_cleanly(fails(data_dir, "users", "revoke-sessions", "ghost"),
                          "no user with id or email ghost", "signet users list")
    assert live_refresh_tokens(data_dir) == [(other["id"], 1)]


def test_users_set_password(tenant, data_dir):
    user = create_user(data_dir)
    other = create_user(data_dir, "bob@example.com")
    insert_refresh_tokens(data_dir, tenant["client_id"], user["id"], [0, 0, 1])
    insert_refresh_tokens(data_dir, tenant["client_id"], other["id"], [0])
    before = stored_password_hash(data_dir, user["id"])
    res = run(data_dir, "users", "set-password", "ada@example.com", "--password-stdin",
              stdin="a brand new password\r\n")
    assert res.stdout.startswith(f"set a new password for user {user['id']} and ended their "
                                 "sessions: revoked 2 refresh token(s);"), res.stdout
    assert live_refresh_tokens(data_dir) == [(other["id"], 1)]
    out = js(data_dir, "users", "set-password", user["id"], "--password-stdin",
             stdin="a brand new password\n")
    assert out == {**user, "revoked_refresh_tokens": 0}
    after = stored_password_hash(data_dir, user["id"])
    assert after != before and after.startswith("$argon2id$")
    assert js(data_dir, "users", "show", user["id"])["email"] == "ada@example.com"
    for args, stdin, needles in [
        ([], PASSWORD + "\n", ["--password-stdin"]),
        (["--password-stdin"], "short\n", ["at least 8"]),
        (["--password-stdin"], "", ["no password on stdin"]),
    ]:
        res = fails(data_dir, "users", "set-password", user["id"], *args, stdin=stdin)
        assert_failed_cleanly(res, *needles)
        assert stored_password_hash(data_dir, user["id"]) == after
    assert_failed_cleanly(fails(data_dir, "users", "set-password", "ghost", "--password-stdin",
                                stdin=PASSWORD + "\n"), "no user with id or email ghost")


def test_users_set_password_that_cannot_end_the_sessions_says_how_to(tenant, data_dir):
    user = create_user(data_dir)
    insert_refresh_tokens(data_dir, tenant["client_id"], user["id"], [0])
    # A store that refuses the revocation after the password was written (as a busy or failing
    # disk might): the trigger stands in for that failure.
    con = sqlite3.connect(data_dir / "signet.db")
    with con:
        con.execute("CREATE TRIGGER refuse BEFORE UPDATE ON refresh_tokens "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    con.close()
    before = stored_password_hash(data_dir, user["id"])
    res = fails(data_dir, "users", "set-password", user["id"], "--password-stdin",
                stdin="a brand new password\n")
    # The id (auth0|...) is quoted for the shell.
    assert_failed_cleanly(res, "the new password is set",
                          f"signet users revoke-sessions \"{user['id']}\"")
    assert stored_password_hash(data_dir, user["id"]) != before
    assert live_refresh_tokens(data_dir) == [(user["id"], 1)]


def test_users_permissions_add_list_remove(tenant, data_dir):
    run(data_dir, "apis", "create", "--identifier", OTHER_API, "--name", "Other",
        "--scopes", "admin audit")
    user = create_user(data_dir)
    out = js(data_dir, "users", "permissions", "add", "ada@example.com", "--audience", API,
             "write:messages", "read:messages")
    assert out == {"user_id": user["id"], "api": API,
                   "permissions": ["read:messages", "write:messages"]}  # the API's order
    # Adding one the user has is fine.
    run(data_dir, "users", "permissions", "add", user["id"], "--audience", API, "read:messages")
    run(data_dir, "users", "permissions", "add", user["id"], "--audience", OTHER_API, "audit")
    assert js(data_dir, "users", "permissions", "list", user["id"]) == [
        {"api": API, "permission": "read:messages"},
        {"api": API, "permission": "write:messages"},
        {"api": OTHER_API, "permission": "audit"}]
    assert js(data_dir, "users", "permissions", "list", user["id"], "--audience", OTHER_API) == [
        {"api": OTHER_API, "permission": "audit"}]
    assert js(data_dir, "users", "show", user["id"])["permissions"] == {
        API: ["read:messages", "write:messages"], OTHER_API: ["audit"]}
    text = run(data_dir, "users", "show", user["id"]).stdout
    assert re.search(r"read:messages write:messages", text) and OTHER_API in text
    out = js(data_dir, "users", "permissions", "remove", user["id"], "--audience", API,
             "read:messages", "admin")  # one it lacks: ignored
    assert out["permissions"] == ["write:messages"]
    text = run(data_dir, "users", "permissions", "list", user["id"]).stdout
    assert text.splitlines()[0].split() == ["API", "PERMISSION"]
    assert "write:messages" in text and "read:messages" not in text


def test_users_permissions_errors(tenant, data_dir):
    user = create_user(data_dir)
    assert_failed_cleanly(fails(data_dir, "users", "permissions", "add", user["id"],
                                "--audience", API, "read:messages", "delete:messages"),
                          "permission delete:messages is not defined by API " + API,
                          "signet apis permissions add")
    assert js(data_dir, "users", "permissions", "list", user["id"]) == []
    assert_failed_cleanly(fails(data_dir, "users", "permissions", "add", user["id"],
                                "--audience", "https://nope/", "read:messages"),
                          "no API with identifier https://nope/")
    assert_failed_cleanly(fails(data_dir, "users", "permissions", "add", "ghost",
                                "--audience", API, "read:messages"),
                          "no user with id or email ghost")
    assert_failed_cleanly(fails(data_dir, "users", "permissions", "add", user["id"],
                                "read:messages"), "--audience")
    assert_failed_cleanly(fails(data_dir, "users", "permissions", "remove", user["id"],
                                "--audience", "https://nope/", "read:messages"),
                          "no API with identifier https://nope/")
    assert_failed_cleanly(fails(data_dir, "users", "permissions", "list", user["id"],
                                "--audience", "https://nope/"),
                          "no API with identifier https://nope/")


# --- deleting asks first


def run_on_terminal(data_dir, *args: str, answer: str) -> subprocess.CompletedProcess:
    """Runs `signet ARGS --data-dir DATA_DIR` with stdin on a pseudo-terminal, where `answer` and
    Enter are typed; stdout and stderr are captured as usual."""
    controller, terminal = pty.openpty()
    try:
        with subprocess.Popen([signet_bin(), *args, "--data-dir", str(data_dir)],
                              stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=clean_env(), text=True) as proc:
            os.close(terminal)
            terminal = -1
            os.write(controller, answer.encode() + b"\n")  # held by the terminal until read
            out, err = proc.communicate(timeout=RUN_TIMEOUT)
            return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)


@pytest.fixture
def four_records(tenant, data_dir):
    """One record of each kind that can be deleted: (command, id, prompt, how to see it)."""
    grant = js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API,
               "--scopes", "read:messages")
    user = create_user(data_dir)
    cid = tenant["client_id"]
    return [
        ("grants", str(grant["id"]),
         f"Delete client grant {grant['id']}, so that application '{cid}' can no longer get "
         f"tokens for API '{API}'? [y/N] ",
         "SELECT COUNT(*) FROM client_grants"),
        ("users", "ada@example.com",
         f"Delete user '{user['id']}' (ada@example.com) and their permissions and refresh tokens? "
         "[y/N] ",
         "SELECT COUNT(*) FROM users"),
        ("clients", cid,
         f"Delete application '{cid}' (Messages client), its secret, client grants (0) and "
         "refresh tokens? [y/N] ",
         "SELECT COUNT(*) FROM applications"),
        ("apis", API,
         f"Delete API '{API}' and its permissions, client grants (0), user permissions and "
         "refresh tokens? [y/N] ",
         "SELECT COUNT(*) FROM apis"),
    ]


def test_delete_on_a_terminal_asks_and_keeps_the_record_unless_yes(four_records, data_dir):
    # In this order each record is the last that refers to the next, so the counts are exact.
    for noun, record, prompt, count in four_records:
        for answer in ("n", "", "yes please", "no"):
            res = run_on_terminal(data_dir, noun, "delete", record, answer=answer)
            assert res.returncode == 1, res.stderr
            assert res.stdout == ""
            assert res.stderr == prompt + "signet: nothing was deleted (answer y to delete, or " \
                                          "add --yes)\n"
            assert db_rows(data_dir, count) == [(1,)], (noun, answer)
        res = run_on_terminal(data_dir, noun, "delete", record, answer="Y")
        assert res.returncode == 0, res.stderr
        assert res.stderr == prompt
        assert "deleted" in res.stdout
        assert db_rows(data_dir, count) == [(0,)], noun


def test_delete_on_a_terminal_with_yes_does_not_ask(tenant, data_dir):
    res = run_on_terminal(data_dir, "apis", "delete", API, "--yes", answer="n")
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert js(data_dir, "apis", "list") == []


def test_delete_without_a_terminal_needs_yes(four_records, data_dir):
    for noun, record, _, count in four_records:
        for stdin in (None, "y\n"):  # no input at all, or a "y" piped in: neither is a person
            assert_failed_cleanly(fails(data_dir, noun, "delete", record, stdin=stdin),
                                  "refusing to delete without confirmation: add --yes")
            assert db_rows(data_dir, count) == [(1,)], noun
    for noun, record, _, count in four_records:
        run(data_dir, noun, "delete", record, "--yes")
        assert db_rows(data_dir, count) == [(0,)], noun


# --- everything


def test_data_dir_files_stay_private(tenant, data_dir):
    create_user(data_dir)
    js(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audience", API)
    js(data_dir, "clients", "rotate-secret", tenant["client_id"])
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    names = os.listdir(data_dir)
    assert "master.key" in names and "signet.db" in names
    for name in names:
        mode = stat.S_IMODE(os.stat(data_dir / name).st_mode)
        assert mode & 0o077 == 0, f"{name} has mode {oct(mode)}"
    assert stat.S_IMODE(os.stat(data_dir / "master.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(data_dir / "signet.db").st_mode) == 0o600


def test_data_dir_from_environment(tmp_path):
    data_dir = tmp_path / "from-env"
    env = clean_env(SIGNET_DATA_DIR=str(data_dir))
    res = subprocess.run([signet_bin(), "apis", "create", "--identifier", API, "--name", "x"],
                         env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    assert (data_dir / "signet.db").is_file()
    assert [a["identifier"] for a in js(data_dir, "apis", "list")] == [API]


def test_unreadable_data_dir_is_one_clear_line(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    for args in (["apis", "list"], ["clients", "list"], ["grants", "list"], ["users", "list"]):
        assert_failed_cleanly(fails(not_a_dir, *args), "not a directory")


def test_unknown_flag_and_missing_subcommand_are_one_line(data_dir):
    assert_failed_cleanly(fails(data_dir, "apis", "list", "--bogus"), "--bogus",
                          "signet apis list --help")
    assert_failed_cleanly(fails(data_dir, "clients"), "subcommand", "signet clients --help")
    assert_failed_cleanly(fails(data_dir, "users", "permissions"), "subcommand",
                          "signet users permissions --help")
    assert_failed_cleanly(fails(data_dir, "apis", "show"), "ID")


@pytest.mark.parametrize("args, message", [
    (["apis", "lsit"], "unknown command 'lsit' for 'signet apis'; did you mean 'list'?"),
    (["clinets", "list"], "unknown command 'clinets' for 'signet'; did you mean 'clients'?"),
    (["apis", "permissions", "lsit", API],
     "unknown command 'lsit' for 'signet apis permissions'; did you mean 'list'?"),
    (["clients", "rotate", "some-client"],
     "unknown command 'rotate' for 'signet clients'; did you mean 'rotate-secret'?"),
    (["grants", "create", "--client-id", "c", "--audiance", API],
     "unknown flag '--audiance' for 'signet grants create'; did you mean '--audience'?"),
    (["apis", "create", "--identifer=https://typo.example/", "--name", "x"],
     "unknown flag '--identifer' for 'signet apis create'; did you mean '--identifier'?"),
    (["apis", "list", "--jsno"], "unknown flag '--jsno' for 'signet apis list'; did you mean '--json'?"),
    (["users", "create", "--email", "eve@example.com", "--password", "hunter2-secret"],
     "unknown flag '--password' for 'signet users create'; did you mean '--password-stdin'?"),
    (["apis", "frobnicate-hunter2"],
     "'signet apis' has no such command: use create, list, show, update, delete or permissions"),
    (["apis", "list", "--bogus"], "unknown flag '--bogus' for 'signet apis list' "
                                  "(see 'signet apis list --help')"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_mistyped_commands_and_flags_get_a_suggestion(data_dir, args, message):
    res = fails(data_dir, *args)
    assert_failed_cleanly(res)
    assert res.stderr.startswith(f"signet: {message}"), res.stderr
    # Values and words far from any name are never repeated: they may be secrets.
    for secret in ("hunter2", "typo.example"):
        assert secret not in res.stderr
    assert not data_dir.exists()  # nothing ran


def test_a_typo_is_reported_before_the_flag_it_leaves_missing(tenant, data_dir):
    # --audience is required: the typo, not "--audience is required", is what helps.
    res = fails(data_dir, "grants", "create", "--client-id", tenant["client_id"], "--audiance", API)
    assert_failed_cleanly(res, "did you mean '--audience'?")
    assert js(data_dir, "grants", "list") == []


COMMANDS = [
    ["apis"], ["apis", "create"], ["apis", "list"], ["apis", "show"], ["apis", "update"],
    ["apis", "delete"], ["apis", "permissions"], ["apis", "permissions", "add"],
    ["apis", "permissions", "remove"], ["apis", "permissions", "list"],
    ["clients"], ["clients", "create"], ["clients", "list"], ["clients", "show"],
    ["clients", "update"], ["clients", "rotate-secret"], ["clients", "delete"],
    ["grants"], ["grants", "create"], ["grants", "list"], ["grants", "show"],
    ["grants", "update"], ["grants", "delete"],
    ["users"], ["users", "create"], ["users", "list"], ["users", "show"], ["users", "update"],
    ["users", "delete"], ["users", "block"], ["users", "unblock"], ["users", "set-password"],
    ["users", "permissions"], ["users", "permissions", "add"], ["users", "permissions", "remove"],
    ["users", "permissions", "list"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_help_explains_the_command_and_touches_nothing(args, tmp_path):
    res = subprocess.run([signet_bin(), *args, "--help"], env=clean_env(), capture_output=True,
                         text=True, timeout=RUN_TIMEOUT, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines and len(lines[0]) > 20  # a sentence saying what the command does
    if len(args) > 1 and args[-1] != "permissions":
        assert "--data-dir" in res.stdout and "SIGNET_DATA_DIR" in res.stdout
        assert "--json" in res.stdout
    assert not (tmp_path / "signet-data").exists()


@pytest.mark.parametrize("args, flags", [
    (["apis", "create"], ["--identifier", "--name", "--alg", "--token-lifetime",
                          "--allow-offline-access", "--token-profile", "--scopes"]),
    (["apis", "update"], ["--name", "--alg", "--token-lifetime",
                          "--allow-offline-access", "--token-profile"]),
    (["apis", "permissions", "add"], ["SCOPE", "--description"]),
    (["clients", "create"], ["--name", "--type", "--grant-types", "--auth-method", "--callbacks",
                             "--logout-urls", "--web-origins", "--jwks", "--jwks-uri",
                             "client_secret_basic_or_post", "private_key_jwt"]),
    (["clients", "update"], ["--name", "--type", "--grant-types", "--auth-method", "--callbacks",
                             "--logout-urls", "--web-origins", "--jwks", "--jwks-uri"]),
    (["grants", "create"], ["--client-id", "--audience", "--scopes"]),
    (["grants", "list"], ["--client-id"]),
    (["grants", "update"], ["GRANT_ID", "--scopes"]),
    (["users", "create"], ["--email", "--id", "--password-stdin"]),
    (["users", "set-password"], ["--password-stdin"]),
    (["users", "permissions", "add"], ["--audience", "SCOPE"]),
    (["users", "permissions", "list"], ["--audience"]),
    (["apis", "delete"], ["--yes"]), (["clients", "delete"], ["--yes"]),
    (["grants", "delete"], ["--yes"]), (["users", "delete"], ["--yes"]),
])
def test_help_mentions_every_flag(args, flags):
    res = subprocess.run([signet_bin(), *args, "--help"], env=clean_env(), capture_output=True,
                         text=True, timeout=RUN_TIMEOUT)
    assert res.returncode == 0, res.stderr
    for flag in flags:
        assert flag in res.stdout, flag


def test_top_level_help_lists_the_admin_commands():
    res = subprocess.run([signet_bin(), "--help"], env=clean_env(), capture_output=True,
                         text=True, timeout=RUN_TIMEOUT)
    assert res.returncode == 0
    for cmd in ("apis", "clients", "grants", "users", "keys"):
        assert re.search(rf"^\s+{cmd}\s", res.stdout, re.MULTILINE), cmd


def test_a_password_typed_as_an_argument_is_refused_and_never_echoed(data_dir):
    res = run(data_dir, "users", "create", "--email", "eve@example.com",
              "--password", "hunter2-secret", stdin="correct horse battery\n", check=False)
    assert res.returncode == 1
    assert "hunter2-secret" not in res.stderr + res.stdout
    assert "--password-stdin" in res.stderr
    assert res.stderr.startswith("signet: ")


def test_password_hash_parameters_follow_the_serve_variables(data_dir):
    default = create_user(data_dir, "owasp@example.com")
    assert "$m=19456,t=2,p=1$" in stored_password_hash(data_dir, default["id"])
    env = clean_env(SIGNET_ARGON2_MEMORY_KIB="8192", SIGNET_ARGON2_ITERATIONS="3")
    res = run(data_dir, "users", "create", "--email", "tuned@example.com", "--password-stdin",
              "--json", stdin=PASSWORD + "\n", env=env)
    tuned = json.loads(res.stdout)
    assert "$m=8192,t=3,p=1$" in stored_password_hash(data_dir, tuned["id"])
    bad = run(data_dir, "users", "create", "--email", "bad@example.com", "--password-stdin",
              stdin=PASSWORD + "\n", env=clean_env(SIGNET_ARGON2_MEMORY_KIB="12"), check=False)
    assert_failed_cleanly(bad, "SIGNET_ARGON2")
