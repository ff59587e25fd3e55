"""End-to-end tests of `signet keys`: the admin CLI for the authorization server's signing keys.

Each test works in its own temporary data directory and runs the real signet binary; the
environment is cleaned of SIGNET_* so that a developer's own master key or data directory never
leaks in.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

from conftest import clean_env, signet_bin

RUN_TIMEOUT = 60.0  # s; RSA key generation is the slow part
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi")
OTHER_MASTER_KEY = "ab" * 32  # 64 hex digits: a valid master key, but not the data dir's


def keys(data_dir, *args: str, env: dict | None = None, check: bool = True):
    """Runs `signet keys ARGS --data-dir DATA_DIR` and returns the CompletedProcess."""
    res = subprocess.run([signet_bin(), "keys", *args, "--data-dir", str(data_dir)],
                         env=env if env is not None else clean_env(),
                         capture_output=True, text=True, timeout=RUN_TIMEOUT,
                         stdin=subprocess.DEVNULL)
    if check:
        assert res.returncode == 0, f"signet keys {args} failed: {res.stderr}"
    return res


def listed(data_dir, env: dict | None = None) -> list[dict]:
    return json.loads(keys(data_dir, "list", "--json", env=env).stdout)


def by_state(entries: list[dict], alg: str = "RS256") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in entries:
        if e["alg"] == alg:
            out.setdefault(e["state"], []).append(e["kid"])
    return out


def jwks(data_dir) -> dict:
    return json.loads(keys(data_dir, "jwks").stdout)


def assert_failed_cleanly(res, *needles: str):
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert lines, "no error message on stderr"
    assert lines[-1].startswith("signet: "), res.stderr
    for needle in needles:
        assert needle in res.stderr.lower(), res.stderr


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "signet-data"  # does not exist yet: signet creates it


def test_create_makes_one_current_and_one_next_key(data_dir):
    keys(data_dir, "create", "--alg", "RS256")
    states = by_state(listed(data_dir))
    assert {s: len(k) for s, k in states.items()} == {"current": 1, "next": 1}
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    master = data_dir / "master.key"
    assert master.is_file()
    assert stat.S_IMODE(os.stat(master).st_mode) == 0o600
    assert (data_dir / "signet.db").is_file()


def test_create_is_idempotent(data_dir):
    keys(data_dir, "create", "--alg", "RS256")
    before = listed(data_dir)
    keys(data_dir, "create", "--alg", "RS256")
    assert listed(data_dir) == before


def test_list_json_never_shows_private_material(data_dir):
    keys(data_dir, "create", "--alg", "RS256")
    for entry in listed(data_dir):
        assert set(entry) == {"kid", "alg", "state", "created_at", "rotated_at"}
    text = keys(data_dir, "list").stdout
    assert "KID" in text and "current" in text and "next" in text
    assert "PRIVATE" not in text.upper()


def test_rotate_moves_next_to_current_and_current_to_previous(data_dir):
    keys(data_dir, "create", "--alg", "RS256")
    before = by_state(listed(data_dir))
    res = keys(data_dir, "rotate")  # RS256 by default
    after = by_state(listed(data_dir))
    assert res.stdout.strip() == before["next"][0]
    assert after["current"] == before["next"]
    assert after["previous"] == before["current"]
    assert len(after["next"]) == 1
    assert after["next"][0] not in before["current"] + before["next"]


def test_jwks_publishes_next_current_previous_without_private_members(data_dir):
    keys(data_dir, "create", "--alg", "RS256")
    keys(data_dir, "rotate", "--alg", "RS256")
    states = by_state(listed(data_dir))
    published = jwks(data_dir)["keys"]
    expected = {states["next"][0], states["current"][0], states["previous"][0]}
    assert {k["kid"] for k in published} == expected
    for k in published:
        assert k["kty"] == "RSA" and k["use"] == "sig" and k["alg"] == "RS256"
        assert k["n"] and k["e"]
        for member in PRIVATE_MEMBERS:
            assert member not in k


def test_revoke_previous_removes_it_from_jwks(data_dir):
    keys(data_dir, "create", "--alg", "RS256")
    keys(data_dir, "rotate", "--alg", "RS256")
    previous = by_state(listed(data_dir))["previous"][0]
    keys(data_dir, "revoke", previous)
    assert previous not in {k["kid"] for k in jwks(data_dir)["keys"]}
    assert by_state(listed(data_dir))["revoked"] == [previous]


def test_revoke_current_key_fails_and_says_what_to_do(data_dir):
    keys(data_dir, "create", "--alg", "RS256")
    before = listed(data_dir)
    current = by_state(before)["current"][0]
    res = keys(data_dir, "revoke", current, check=False)
    assert_failed_cleanly(res, "current", "only a previous key can be revoked", "rotate")
    assert listed(data_dir) == before


def test_revoke_unknown_kid_fails(data_dir):
    keys(data_dir, "create", "--alg", "RS256")
    assert_failed_cleanly(keys(data_dir, "revoke", "no-such-kid", check=False), "no-such-kid")


def test_wrong_master_key_makes_rotate_fail_without_changes(data_dir):
    keys(data_dir, "create", "--alg", "RS256")
    before = listed(data_dir)
    wrong = clean_env(SIGNET_MASTER_KEY=OTHER_MASTER_KEY)
    res = keys(data_dir, "rotate", "--alg", "RS256", env=wrong, check=False)
    assert_failed_cleanly(res, "master key")
    assert listed(data_dir) == before


def test_unsupported_algorithm_fails(data_dir):
    res = keys(data_dir, "create", "--alg", "HS256", check=False)
    assert_failed_cleanly(res, "hs256")


def test_json_output_of_create_and_rotate(data_dir):
    created = json.loads(keys(data_dir, "create", "--alg", "ES256", "--json").stdout)
    assert created["alg"] == "ES256"
    rotated = json.loads(keys(data_dir, "rotate", "--alg", "ES256", "--json").stdout)
    assert rotated["current"] == created["next"]


def test_data_dir_from_environment(tmp_path):
    data_dir = tmp_path / "from-env"
    env = clean_env(SIGNET_DATA_DIR=str(data_dir))
    res = subprocess.run([signet_bin(), "keys", "create", "--alg", "EdDSA"], env=env,
                         capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert res.returncode == 0, res.stderr
    assert (data_dir / "signet.db").is_file()


@pytest.mark.parametrize("args", [
    ["keys", "--help"],
    ["keys", "list", "--help"],
    ["keys", "create", "--help"],
    ["keys", "rotate", "--help"],
    ["keys", "revoke", "--help"],
    ["keys", "jwks", "--help"],
])
def test_help_exits_zero(args, tmp_path):
    res = subprocess.run([signet_bin(), *args], env=clean_env(), capture_output=True, text=True,
                         timeout=RUN_TIMEOUT, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()
    assert not (tmp_path / "signet-data").exists()  # --help touches nothing
