"""End-to-end tests of `signet token`, the client side of the quickstart, against a real
`signet serve`: client-credentials and password tokens (checked with PyJWT against the served
JWKS), the token cache (a second call is served from it: same token, same jti, no new token in the
server's counters; but never to a wrong secret, never a password-grant token, never a token whose
key was revoked), --refresh, --no-cache and `signet token clear`, the file modes and what it
refuses, errors as one "signet: ..." line, and `signet token decode` with and without --verify.

Every test gets its own cache directory through XDG_CACHE_HOME (and HOME), so no test sees
another's tokens and nothing is written to the real user's cache.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time

import pytest

from conftest import clean_env, signet_bin
from issuer import free_port
from serve_fixtures import (Tenant, module_serve, start_serve, unverified,  # noqa: F401
                            verify_with_jwks)

SCOPES = ("read:messages", "write:messages")
LIFETIME = 3600  # s; the API's token lifetime, so the cache margin is 360 s
RUN_TIMEOUT = 60.0  # s; per signet token call


class Setup:
    """One server with an API, an m2m client granted both scopes, a password client and a user
    holding read:messages; and a second server (another issuer) that has only its keys."""

    def __init__(self, server, other):
        self.server = server
        self.other = other
        self.tenant = t = Tenant(server)
        self.audience = t.api(scopes=SCOPES, lifetime=LIFETIME)["identifier"]
        self.m2m = t.client()
        t.grant(self.m2m, self.audience, SCOPES)
        self.web = t.client(type="regular_web", grant_types="password")
        self.user = t.user(permissions={self.audience: ("read:messages",)})
        t.sync()

    @property
    def issuer(self) -> str:
        return self.server.issuer

    def issued(self, grant: str = "client_credentials") -> int:
        return int(self.server.metric_sum("signet_tokens_issued_total", grant=grant))


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve(), module_serve())


@pytest.fixture
def cache_home(tmp_path):
    """A fresh XDG cache home for one test (its parent is private to the test)."""
    return tmp_path / "xdg-cache"


def token_run(cache_home, *args: str, stdin: str | None = None, env: dict | None = None
              ) -> subprocess.CompletedProcess:
    """`signet token ARGS` with its own cache directory, stdout and stderr captured."""
    environment = clean_env(XDG_CACHE_HOME=str(cache_home), HOME=str(cache_home.parent))
    environment.update(env or {})
    return subprocess.run([signet_bin(), "token", *args], input=stdin if stdin is not None else "",
                          capture_output=True, text=True, timeout=RUN_TIMEOUT, env=environment)


def m2m_args(s: Setup, *extra: str) -> list[str]:
    return ["--issuer", s.issuer, "--client-id", s.m2m.client_id, "--client-secret-stdin",
            "--audience", s.audience, *extra]


def get_token(s: Setup, cache_home, *extra: str, secret: str | None = None) -> str:
    """An m2m token from `signet token`; asserts success and that stdout is the token alone."""
    res = token_run(cache_home, *m2m_args(s, *extra),
                    stdin=(s.m2m.client_secret if secret is None else secret) + "\n")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    token = res.stdout
    assert token.endswith("\n") and token.count("\n") == 1, token
    token = token.strip()
    assert token.count(".") == 2, token
    return token


def cache_file(cache_home):
    return cache_home / "signet" / "tokens.json"


def one_line_error(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("signet: "), res.stderr
    return lines[0]


# --- client credentials and the cache


def test_client_credentials_token_is_accepted(s, cache_home):
    token = get_token(s, cache_home)
    claims = verify_with_jwks(token, s.server.jwks(), s.audience, s.issuer)
    assert claims["sub"] == f"{s.m2m.client_id}@clients"
    assert claims["gty"] == "client-credentials"
    assert claims["scope"] == " ".join(SCOPES)
    assert claims["exp"] - claims["iat"] == LIFETIME


def test_second_call_is_served_from_the_cache(s, cache_home):
    before = s.issued()
    first = get_token(s, cache_home)
    assert s.issued() == before + 1
    second = get_token(s, cache_home)
    assert second == first
    assert unverified(second)[1]["jti"] == unverified(first)[1]["jti"]
    assert s.issued() == before + 1  # no new token was minted

    res = token_run(cache_home, *m2m_args(s, "--json"), stdin=s.m2m.client_secret + "\n")
    assert res.returncode == 0, res.stderr
    body = json.loads(res.stdout)
    assert body["cached"] is True
    assert body["access_token"] == first
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= LIFETIME
    assert s.issued() == before + 1


def test_json_output_of_a_fresh_token(s, cache_home):
    res = token_run(cache_home, *m2m_args(s, "--json"), stdin=s.m2m.client_secret + "\n")
    assert res.returncode == 0, res.stderr
    body = json.loads(res.stdout)
    assert body["cached"] is False
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == LIFETIME
    assert body["scope"] == " ".join(SCOPES)
    verify_with_jwks(body["access_token"], s.server.jwks(), s.audience, s.issuer)


def test_no_cache_gets_a_new_token_and_leaves_the_cache_alone(s, cache_home):
    cached = get_token(s, cache_home)
    path = cache_file(cache_home)
    text, before_stat = path.read_text(), os.stat(path)
    before = s.issued()
    fresh = get_token(s, cache_home, "--no-cache")
    assert fresh != cached
    assert unverified(fresh)[1]["jti"] != unverified(cached)[1]["jti"]
    assert s.issued() == before + 1
    after_stat = os.stat(path)
    assert path.read_text() == text
    assert (after_stat.st_ino, after_stat.st_mtime_ns) == (before_stat.st_ino,
                                                           before_stat.st_mtime_ns)
    assert get_token(s, cache_home) == cached


def test_no_cache_creates_no_cache_file(s, cache_home):
    get_token(s, cache_home, "--no-cache")
    assert not cache_home.exists()


def test_no_cache_and_refresh_exclude_each_other(s, cache_home):
    res = token_run(cache_home, *m2m_args(s, "--no-cache", "--refresh"),
                    stdin=s.m2m.client_secret + "\n")
    assert res.returncode != 0
    assert "--refresh" in res.stderr and "--no-cache" in res.stderr, res.stderr
    assert res.stdout == ""


def test_refresh_replaces_the_cached_token(s, cache_home):
    cached = get_token(s, cache_home)
    before = s.issued()
    refreshed = get_token(s, cache_home, "--refresh")
    assert refreshed != cached
    assert unverified(refreshed)[1]["jti"] != unverified(cached)[1]["jti"]
    assert s.issued() == before + 1
    # The next call is served the refreshed token from the cache, which holds it alone.
    assert get_token(s, cache_home) == refreshed
    assert s.issued() == before + 1
    doc = json.loads(cache_file(cache_home).read_text())
    assert [e["access_token"] for e in doc["tokens"].values()] == [refreshed]


def test_a_wrong_secret_is_never_served_the_cached_token(s, cache_home):
    cached = get_token(s, cache_home)
    text = cache_file(cache_home).read_text()
    res = token_run(cache_home, *m2m_args(s), stdin="not-the-secret\n")
    line = one_line_error(res)
    assert line.startswith("signet: the server refused: invalid_client"), line
    assert cached not in res.stdout + res.stderr
    assert "not-the-secret" not in res.stderr
    # The right secret still gets the cached token; the file did not change.
    assert get_token(s, cache_home) == cached
    assert cache_file(cache_home).read_text() == text


def test_another_scope_is_another_token(s, cache_home):
    both = get_token(s, cache_home)
    read = get_token(s, cache_home, "--scope", "read:messages")
    assert read != both
    assert unverified(read)[1]["scope"] == "read:messages"
    before = s.issued()
    assert get_token(s, cache_home, "--scope", "read:messages") == read
    assert get_token(s, cache_home) == both
    # The scope is a set of words: the same two scopes in another order hit the same entry.
    pair = get_token(s, cache_home, "--scope", "read:messages write:messages")
    assert pair not in (read, both)
    assert get_token(s, cache_home, "--scope", "write:messages read:messages") == pair
    # --scopes is the name every signet command uses (--scope stays an alias), and commas
    # separate as well as spaces.
    assert get_token(s, cache_home, "--scopes", "write:messages,read:messages") == pair
    assert s.issued() == before + 1


def edit_entry(cache_home, **changes):
    """Changes every entry of the cache file in place (keeping its mode)."""
    path = cache_file(cache_home)
    doc = json.loads(path.read_text())
    for entry in doc["tokens"].values():
        entry.update(changes)
    path.write_text(json.dumps(doc))
    return doc


def test_the_cache_file_is_what_is_served(s, cache_home):
    get_token(s, cache_home)
    # Another token of the same issuer, signed by a published key, put in the file by hand.
    res = s.server.token({"grant_type": "client_credentials", "audience": s.audience,
                          **s.m2m.creds()})
    assert res.status_code == 200, res.text
    planted = res.json()["access_token"]
    now = int(time.time())
    edit_entry(cache_home, access_token=planted, obtained_at=now, expires_at=now + 3600)
    before = s.issued()
    res = token_run(cache_home, *m2m_args(s), stdin=s.m2m.client_secret + "\n")
    assert res.returncode == 0, res.stderr
    assert res.stdout == planted + "\n"
    assert s.issued() == before


def test_a_cached_token_whose_key_cannot_be_checked_is_not_served(s, cache_home):
    get_token(s, cache_home)
    now = int(time.time())
    edit_entry(cache_home, access_token="not.a.jwt", obtained_at=now, expires_at=now + 3600)
    before = s.issued()
    fresh = get_token(s, cache_home)
    assert fresh != "not.a.jwt"
    assert s.issued() == before + 1
    assert get_token(s, cache_home) == fresh


def test_an_entry_about_to_expire_is_not_used(s, cache_home):
    first = get_token(s, cache_home)
    now = int(time.time())
    # A 3600 s token is renewed 360 s before it expires; this one has 300 s left.
    edit_entry(cache_home, obtained_at=now - 3300, expires_at=now + 300)
    before = s.issued()
    second = get_token(s, cache_home)
    assert second != first
    assert s.issued() == before + 1
    # The renewed token replaced the old one in the file, and is served next.
    doc = json.loads(cache_file(cache_home).read_text())
    assert [e["access_token"] for e in doc["tokens"].values()] == [second]
    assert get_token(s, cache_home) == second


def test_cache_file_and_directory_modes(s, cache_home):
    get_token(s, cache_home, "--scope", "read:messages")
    path = cache_file(cache_home)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache_home).st_mode) == 0o700  # created by signet too
    text = path.read_text()
    assert s.m2m.client_secret not in text
    assert s.m2m.client_id not in text  # entries are found by a hash, not by name


def test_a_cache_file_others_can_read_is_refused(s, cache_home):
    cached = get_token(s, cache_home)
    path = cache_file(cache_home)
    os.chmod(path, 0o644)
    text = path.read_text()
    before = s.issued()
    res = token_run(cache_home, *m2m_args(s), stdin=s.m2m.client_secret + "\n")
    assert res.returncode == 0, res.stderr
    fresh = res.stdout.strip()
    assert fresh != cached  # fetched without the cache
    assert s.issued() == before + 1
    assert "signet: warning:" in res.stderr and "chmod 600" in res.stderr, res.stderr
    assert str(path) in res.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644 and path.read_text() == text


def test_a_corrupt_cache_file_is_replaced(s, cache_home):
    get_token(s, cache_home)
    cache_file(cache_home).write_text("{not json")
    token = get_token(s, cache_home)
    assert get_token(s, cache_home) == token
    assert stat.S_IMODE(os.stat(cache_file(cache_home)).st_mode) == 0o600


def test_cache_location_from_signet_token_cache(s, cache_home, tmp_path):
    custom = tmp_path / "elsewhere" / "my-tokens.json"
    res = token_run(cache_home, *m2m_args(s), stdin=s.m2m.client_secret + "\n",
                    env={"SIGNET_TOKEN_CACHE": str(custom)})
    assert res.returncode == 0, res.stderr
    assert custom.exists() and stat.S_IMODE(os.stat(custom).st_mode) == 0o600
    assert not cache_file(cache_home).exists()


def test_flags_from_the_environment(s, cache_home):
    res = token_run(cache_home, "--client-secret-stdin", stdin=s.m2m.client_secret + "\n",
                    env={"SIGNET_ISSUER": s.issuer, "SIGNET_CLIENT_ID": s.m2m.client_id,
                         "SIGNET_AUDIENCE": s.audience, "SIGNET_SCOPE": "write:messages"})
    assert res.returncode == 0, res.stderr
    assert unverified(res.stdout.strip())[1]["scope"] == "write:messages"


# --- revoked keys


def test_a_token_of_a_revoked_key_is_replaced(start_serve, cache_home):
    """The cached token's key is rotated out and revoked: the next call gets a new token."""
    server = start_serve()
    tenant = Tenant(server)
    api, client = tenant.m2m(scopes=("read:messages",))
    tenant.sync()
    args = ["--issuer", server.issuer, "--client-id", client.client_id, "--client-secret-stdin",
            "--audience", api["identifier"]]

    def token() -> str:
        res = token_run(cache_home, *args, stdin=client.client_secret + "\n")
        assert res.returncode == 0, res.stderr
        assert res.stderr == ""
        return res.stdout.strip()

    def issued() -> int:
        return int(server.metric_sum("signet_tokens_issued_total", grant="client_credentials"))

    first = token()
    kid = unverified(first)[0]["kid"]
    assert token() == first  # cached while its key is published
    tenant.cli("keys", "rotate", "--alg", "RS256")
    tenant.cli("keys", "rotate", "--alg", "RS256")
    assert token() == first  # a previous key is still published: still served
    tenant.cli("keys", "revoke", kid)
    tenant.sync()
    jwks = server.jwks()
    assert kid not in {k["kid"] for k in jwks["keys"]}

    before = issued()
    second = token()
    assert second != first
    assert unverified(second)[1]["jti"] != unverified(first)[1]["jti"]
    assert unverified(second)[0]["kid"] != kid
    verify_with_jwks(second, jwks, api["identifier"], server.issuer)
    assert issued() == before + 1
    # The new token took the old one's place in the cache, and is served from it.
    doc = json.loads(cache_file(cache_home).read_text())
    assert [e["access_token"] for e in doc["tokens"].values()] == [second]
    assert token() == second
    assert issued() == before + 1


# --- signet token clear


def clear_run(cache_home, *args: str) -> subprocess.CompletedProcess:
    return token_run(cache_home, "clear", *args)


def test_clear_then_a_call_gets_a_new_token(s, cache_home):
    cached = get_token(s, cache_home)
    res = clear_run(cache_home)
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"removed 1 cached token from {cache_file(cache_home)}\n"
    assert not cache_file(cache_home).exists()
    before = s.issued()
    fresh = get_token(s, cache_home)
    assert fresh != cached
    assert unverified(fresh)[1]["jti"] != unverified(cached)[1]["jti"]
    assert s.issued() == before + 1
    assert get_token(s, cache_home) == fresh


def test_clear_by_issuer_client_and_audience(s, cache_home):
    both = get_token(s, cache_home)
    read = get_token(s, cache_home, "--scope", "read:messages")

    def cleared(*args: str) -> int:
        res = clear_run(cache_home, *args, "--json")
        assert res.returncode == 0, res.stderr
        body = json.loads(res.stdout)
        assert body["cache"] == str(cache_file(cache_home))
        return body["removed"]

    assert cleared("--issuer", s.other.issuer) == 0
    assert cleared("--issuer", s.issuer.rstrip("/")) == 0  # the issuer exactly, as everywhere
    assert cleared("--issuer", s.issuer, "--audience", "https://another/api") == 0
    assert cleared("--issuer", s.issuer, "--client-id", s.web.client_id) == 0
    assert get_token(s, cache_home) == both
    assert cleared("--issuer", s.issuer, "--client-id", s.m2m.client_id,
                   "--audience", s.audience) == 2
    assert get_token(s, cache_home) != both
    assert get_token(s, cache_home, "--scope", "read:messages") != read
    assert cleared("--issuer", s.issuer) == 2
    assert cleared() == 0


def test_clear_without_a_cache_removes_nothing(cache_home):
    res = clear_run(cache_home)
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"removed 0 cached tokens from {cache_file(cache_home)}\n"
    assert not cache_home.exists()


def test_clear_refuses_a_cache_file_others_can_read(s, cache_home):
    get_token(s, cache_home)
    path = cache_file(cache_home)
    os.chmod(path, 0o644)
    text = path.read_text()
    line = one_line_error(clear_run(cache_home))
    assert "chmod 600" in line and str(path) in line, line
    assert path.read_text() == text


def test_clear_flags_must_follow_clear(s, cache_home):
    get_token(s, cache_home)
    res = token_run(cache_home, "--issuer", s.other.issuer, "clear")
    assert "after 'clear'" in one_line_error(res)
    assert cache_file(cache_home).exists()
    res = clear_run(cache_home, "--client-id", s.m2m.client_id)
    assert "add --issuer" in one_line_error(res)
    assert cache_file(cache_home).exists()


# --- the password grant


def test_password_flow(s, cache_home):
    args = ["--issuer", s.issuer, "--client-id", s.web.client_id, "--client-secret-stdin",
            "--audience", s.audience, "--username", s.user.email, "--password-stdin"]
    stdin = f"{s.web.client_secret}\n{s.user.password}\n"
    before = s.issued("password")
    res = token_run(cache_home, *args, stdin=stdin)
    assert res.returncode == 0, res.stderr
    token = res.stdout.strip()
    claims = verify_with_jwks(token, s.server.jwks(), s.audience, s.issuer)
    assert claims["sub"] == s.user.id
    assert claims["gty"] == "password"
    assert claims["scope"] == "read:messages"
    assert s.issued("password") == before + 1

    # Password-grant tokens are never cached: the issuer checks the password on every call.
    again = token_run(cache_home, *args, "--json", stdin=stdin)
    assert again.returncode == 0, again.stderr
    body = json.loads(again.stdout)
    assert body["cached"] is False
    assert body["access_token"] != token
    assert unverified(body["access_token"])[1]["jti"] != claims["jti"]
    assert s.issued("password") == before + 2
    assert not cache_file(cache_home).exists()

    wrong = token_run(cache_home, *args, stdin=f"{s.web.client_secret}\nnope\n")
    assert "invalid_grant" in one_line_error(wrong)
    assert s.issued("password") == before + 2


def test_password_needs_both_flags(s, cache_home):
    res = token_run(cache_home, *m2m_args(s, "--username", s.user.email),
                    stdin=s.m2m.client_secret + "\n")
    assert "--password-stdin" in one_line_error(res)


# --- errors


def test_wrong_secret_names_invalid_client(s, cache_home):
    res = token_run(cache_home, *m2m_args(s), stdin="not-the-secret\n")
    line = one_line_error(res)
    assert line.startswith("signet: the server refused: invalid_client"), line
    assert "not-the-secret" not in res.stderr
    assert not cache_file(cache_home).exists()


def test_secret_is_only_read_from_stdin(s, cache_home):
    res = token_run(cache_home, "--issuer", s.issuer, "--client-id", s.m2m.client_id,
                    "--audience", s.audience)
    assert "--client-secret-stdin" in one_line_error(res)
    res = token_run(cache_home, *m2m_args(s), stdin="")
    assert "no client secret on stdin" in one_line_error(res)


def test_missing_issuer_is_named(s, cache_home):
    res = token_run(cache_home, "--client-id", "x", "--client-secret-stdin", "--audience", "a",
                    stdin="secret\n")
    assert "--issuer is required" in one_line_error(res)


def test_nobody_at_the_issuers_port(s, cache_home):
    issuer = f"http://127.0.0.1:{free_port()}/"
    started = time.monotonic()
    res = token_run(cache_home, "--issuer", issuer, "--client-id", "x", "--client-secret-stdin",
                    "--audience", s.audience, stdin="secret\n")
    line = one_line_error(res)
    assert line.startswith(f"signet: cannot reach the issuer {issuer}"), line
    assert "refused" in line.lower(), line
    assert time.monotonic() - started < 10


def test_an_issuer_that_is_not_an_authorization_server(s, cache_home):
    # A signet serve under another name: its metadata names a different issuer.
    issuer = s.issuer.rstrip("/")
    res = token_run(cache_home, "--issuer", issuer, "--client-id", s.m2m.client_id,
                    "--client-secret-stdin", "--audience", s.audience,
                    stdin=s.m2m.client_secret + "\n")
    line = one_line_error(res)
    assert "cannot find the token endpoint" in line and "trailing slash" in line, line


def test_help_lists_the_flags(cache_home):
    res = token_run(cache_home, "--help")
    assert res.returncode == 0
    for flag in ("--issuer", "--client-id", "--client-secret-stdin", "--audience", "--scopes",
                 "--username", "--password-stdin", "--no-cache", "--refresh", "--ca-file", "--json",
                 "SIGNET_ISSUER", "SIGNET_CA_FILE", "decode", "clear"):
        assert flag in res.stdout, flag
    res = token_run(cache_home, "clear", "--help")
    assert res.returncode == 0
    for flag in ("--issuer", "--client-id", "--audience", "--json"):
        assert flag in res.stdout, flag
    res = token_run(cache_home, "decode", "--help")
    assert res.returncode == 0
    for flag in ("TOKEN", "--verify", "--issuer", "--audience", "--ca-file"):
        assert flag in res.stdout, flag


# --- decode


def test_decode_prints_header_claims_and_expiry(s, cache_home):
    token = get_token(s, cache_home)
    res = token_run(cache_home, "decode", token)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.startswith("Header:\n{\n"), out
    assert '\n  "alg": "RS256",\n' in out.split("Claims:")[0], out
    claims = unverified(token)[1]
    assert f'  "iss": "{s.issuer}",\n' in out
    assert f'  "jti": "{claims["jti"]}"' in out
    assert f'  "aud": "{s.audience}",\n' in out
    assert "\nexp: expires in 59 min (" in out or "\nexp: expires in 1 h (" in out, out
    assert "\niat: issued " in out

    piped = token_run(cache_home, "decode", "-", stdin=token + "\n")
    assert piped.returncode == 0 and piped.stdout == out


def test_decode_refuses_what_is_not_a_jwt(cache_home):
    res = token_run(cache_home, "decode", "not-a-token")
    assert "cannot decode the token" in one_line_error(res)


def test_decode_verify_says_valid(s, cache_home):
    token = get_token(s, cache_home)
    res = token_run(cache_home, "decode", token, "--verify", "--issuer", s.issuer)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == "valid (aud not checked: add --audience to check it)"
    res = token_run(cache_home, "decode", token, "--verify", "--issuer", s.issuer,
                    "--audience", s.audience)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == "valid"


def test_decode_verify_names_the_failed_rule(s, cache_home):
    token = get_token(s, cache_home)
    res = token_run(cache_home, "decode", token, "--verify", "--issuer", s.issuer,
                    "--audience", "https://another/api")
    assert res.returncode == 1
    assert res.stdout.splitlines()[-1] == (
        f"invalid: token audience ['{s.audience}'] does not include the expected "
        "'https://another/api'")

    # Tampered payload: the signature no longer matches.
    header, payload, signature = token.split(".")
    other = get_token(s, cache_home, "--scope", "read:messages")
    forged = ".".join([header, other.split(".")[1], signature])
    res = token_run(cache_home, "decode", forged, "--verify", "--issuer", s.issuer)
    assert res.returncode == 1
    assert res.stdout.splitlines()[-1] == "invalid: signature verification failed"


def test_decode_verify_token_from_another_issuer(s, cache_home):
    token = get_token(s, cache_home)
    res = token_run(cache_home, "decode", token, "--verify", "--issuer", s.other.issuer,
                    "--audience", s.audience)
    assert res.returncode == 1, res.stderr
    assert res.stdout.splitlines()[-1] == (
        "invalid: no published signing key matches the token kid "
        f"(the token names the issuer {s.issuer}, not {s.other.issuer})")


def test_decode_verify_with_an_unreachable_issuer(s, cache_home):
    token = get_token(s, cache_home)
    issuer = f"http://127.0.0.1:{free_port()}/"
    res = token_run(cache_home, "decode", token, "--verify", "--issuer", issuer)
    assert res.returncode == 1
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"signet: cannot fetch the signing keys of {issuer}"), res.stderr


def test_decode_verify_needs_an_issuer(s, cache_home):
    res = token_run(cache_home, "decode", get_token(s, cache_home), "--verify")
    assert "--verify needs --issuer" in one_line_error(res)
