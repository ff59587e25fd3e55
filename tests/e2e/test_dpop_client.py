"""End-to-end tests of DPoP in the token client (RFC 9449): `signet token --dpop` and
`signet token proof`, against a real `signet serve`.

- The key pair: made on first use as a private JWK in a 0600 file in a 0700 directory beside the
  token cache (or --dpop-key), of the --dpop-alg asked for, reused afterwards; a file others can
  read is refused, and an existing key never changes its algorithm.
- `signet token proof`: its output checked with PyJWT as an independent verifier: typ dpop+jwt,
  the embedded public jwk (no private member) verifies the signature, htm, htu (without query and
  fragment), iat, jti, ath = base64url(SHA-256(token)), nonce; and every error says what to do.
- Against a server whose discovery lists dpop_signing_alg_values_supported: the token is bound
  (token_type DPoP, cnf.jkt = the key's RFC 7638 thumbprint), cached for that key only, and
  `signet token proof` hashes the cached bound token; with `serve --dpop-nonce` the client answers
  use_dpop_nonce once with the server's nonce. Those tests are skipped, saying why, against a
  server without DPoP at its token endpoint.

Every test gets its own cache directory through XDG_CACHE_HOME (and HOME), so no test sees
another's key or tokens and nothing is written to the real user's cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import time

import jwt
import pytest

from conftest import clean_env, signet_bin
from issuer import b64url, jwk_thumbprint
from serve_fixtures import Tenant, module_serve, start_serve, verify_with_jwks  # noqa: F401

SCOPES = ("read:messages",)
RUN_TIMEOUT = 60.0  # s; per signet call
CLOCK_SLACK = 5     # s; a proof's iat is "now" within this (the process runs in well under it)
API_URL = "http://localhost:3010/api/private"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


class Setup:
    """One server with two APIs and an m2m client granted both."""

    def __init__(self, server):
        self.server = server
        t = Tenant(server)
        self.audience = t.api(scopes=SCOPES)["identifier"]
        self.other_audience = t.api(scopes=SCOPES)["identifier"]
        self.m2m = t.client()
        t.grant(self.m2m, self.audience, SCOPES)
        t.grant(self.m2m, self.other_audience, SCOPES)
        t.sync()

    @property
    def issuer(self) -> str:
        return self.server.issuer

    def does_dpop(self) -> bool:
        metadata = self.server.get("/.well-known/openid-configuration").json()
        return "dpop_signing_alg_values_supported" in metadata


@pytest.fixture(scope="module")
def s(module_serve) -> Setup:
    return Setup(module_serve())


@pytest.fixture
def dpop_s(s) -> Setup:
    """The server, when its token endpoint binds tokens to DPoP keys."""
    if not s.does_dpop():
        pytest.skip("this signet serve does not list dpop_signing_alg_values_supported in its "
                    "discovery metadata, so its token endpoint does not bind tokens (DPoP at the "
                    "token endpoint is h/dpop-token's part)")
    return s


@pytest.fixture
def cache_home(tmp_path):
    """A fresh XDG cache home for one test (its parent is private to the test)."""
    return tmp_path / "xdg-cache"


def key_file(cache_home):
    return cache_home / "signet" / "dpop-key.json"


def signet_run(cache_home, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`signet ARGS` with its own cache directory, stdout and stderr captured."""
    env = clean_env(XDG_CACHE_HOME=str(cache_home), HOME=str(cache_home.parent))
    return subprocess.run([signet_bin(), *args], input=stdin, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, env=env)


def dpop_token_run(s: Setup, cache_home, *extra: str, audience: str | None = None
                   ) -> subprocess.CompletedProcess:
    return signet_run(cache_home, "token", "--issuer", s.issuer, "--client-id", s.m2m.client_id,
                      "--client-secret-stdin", "--audience", audience or s.audience, "--dpop",
                      *extra, stdin=s.m2m.client_secret + "\n")


def bound_token(s: Setup, cache_home, *extra: str, audience: str | None = None) -> dict:
    """`signet token --dpop --json`: asserts success, returns the printed object."""
    res = dpop_token_run(s, cache_home, "--json", *extra, audience=audience)
    assert res.returncode == 0, res.stderr
    assert "warning" not in res.stderr, res.stderr
    return json.loads(res.stdout)


def proof_run(cache_home, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return signet_run(cache_home, "token", "proof", *args, stdin=stdin)


def proof_of(cache_home, *args: str, stdin: str = "") -> str:
    res = proof_run(cache_home, *args, stdin=stdin)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert res.stdout.endswith("\n") and res.stdout.count("\n") == 1, res.stdout
    return res.stdout.strip()


def one_line_error(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("signet: "), res.stderr
    return lines[0]


def ath(token: str) -> str:
    return b64url(hashlib.sha256(token.encode()).digest())


def checked_proof(proof: str, method: str, htu: str) -> tuple[dict, dict]:
    """(header, claims) of a proof checked as RFC 9449 §4.3 says, with PyJWT: the signature
    verifies with the embedded public key, typ, alg, htm, htu, iat and jti."""
    header = jwt.get_unverified_header(proof)
    assert header["typ"] == "dpop+jwt"
    assert header["alg"] in ("ES256", "EdDSA", "RS256", "PS256")
    assert not PRIVATE_MEMBERS & set(header["jwk"]), header["jwk"]
    key = jwt.PyJWK(header["jwk"], algorithm=header["alg"])
    claims = jwt.decode(proof, key.key, algorithms=[header["alg"]])
    assert claims["htm"] == method
    assert claims["htu"] == htu
    assert abs(claims["iat"] - time.time()) <= CLOCK_SLACK
    assert len(claims["jti"]) >= 16  # RFC 9449 §11.1: enough randomness to be unique
    return header, claims


def made_key(s: Setup, cache_home, *extra: str) -> dict:
    """Makes the DPoP key with `signet token --dpop` (whatever the server does with the proof)
    and returns the key file's JSON."""
    res = dpop_token_run(s, cache_home, *extra)
    assert res.returncode == 0, res.stderr
    path = cache_home / "signet" / "dpop-key.json"
    for flag, value in zip(extra, extra[1:]):
        if flag == "--dpop-key":
            path = value
    return json.loads(open(path).read())


# --- the key file


def test_first_use_makes_an_es256_key_owner_only_and_later_uses_keep_it(s, cache_home):
    res = dpop_token_run(s, cache_home)
    assert res.returncode == 0, res.stderr
    assert f"made a new ES256 DPoP key in {key_file(cache_home)}" in res.stderr
    assert stat.S_IMODE(os.stat(key_file(cache_home)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(key_file(cache_home).parent).st_mode) == 0o700
    jwk = json.loads(key_file(cache_home).read_text())
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "P-256", "ES256")
    assert "d" in jwk
    before = key_file(cache_home).read_text()

    again = dpop_token_run(s, cache_home)
    assert again.returncode == 0, again.stderr
    assert "made a new" not in again.stderr
    assert key_file(cache_home).read_text() == before


@pytest.mark.parametrize("alg,kty", [("EdDSA", "OKP"), ("RS256", "RSA"), ("PS256", "RSA")])
def test_dpop_alg_chooses_a_new_keys_algorithm_and_never_changes_an_existing_one(
        s, cache_home, tmp_path, alg, kty):
    path = tmp_path / "keys" / f"{alg}.json"
    jwk = made_key(s, cache_home, "--dpop-key", str(path), "--dpop-alg", alg)
    assert (jwk["kty"], jwk["alg"]) == (kty, alg)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    error = one_line_error(dpop_token_run(s, cache_home, "--dpop-key", str(path),
                                          "--dpop-alg", "ES256"))
    assert f"is {alg}, not ES256" in error
    assert "another --dpop-key FILE" in error
    assert json.loads(path.read_text()) == jwk


def test_an_unknown_dpop_alg_is_refused(s, cache_home):
    for alg in ("HS256", "none", "ES384"):
        error = one_line_error(dpop_token_run(s, cache_home, "--dpop-alg", alg))
        assert "ES256" in error and "EdDSA" in error, error
    assert not key_file(cache_home).exists()


def test_dpop_key_and_alg_need_dpop(s, cache_home, tmp_path):
    res = signet_run(cache_home, "token", "--issuer", s.issuer, "--client-id", s.m2m.client_id,
                     "--client-secret-stdin", "--audience", s.audience,
                     "--dpop-key", str(tmp_path / "k.json"), stdin=s.m2m.client_secret + "\n")
    assert "add --dpop" in one_line_error(res)


def test_a_key_file_others_can_read_is_refused_and_left_alone(s, cache_home):
    made_key(s, cache_home)
    os.chmod(key_file(cache_home), 0o644)
    before = key_file(cache_home).read_text()
    for res in (dpop_token_run(s, cache_home),
                proof_run(cache_home, "--method", "GET", "--url", API_URL, "--token", "t")):
        error = one_line_error(res)
        assert "chmod 600" in error and str(key_file(cache_home)) in error, error
    assert key_file(cache_home).read_text() == before
    assert stat.S_IMODE(os.stat(key_file(cache_home)).st_mode) == 0o644


def test_a_file_that_is_not_a_key_is_refused_not_replaced(s, cache_home):
    key_file(cache_home).parent.mkdir(parents=True, mode=0o700)
    key_file(cache_home).write_text('{"kty":"oct","k":"c2VjcmV0"}')
    os.chmod(key_file(cache_home), 0o600)
    error = one_line_error(dpop_token_run(s, cache_home))
    assert "not a usable JWK" in error and "remove it to make a new key" in error, error
    assert key_file(cache_home).read_text() == '{"kty":"oct","k":"c2VjcmV0"}'


# --- signet token proof


def test_proof_without_a_key_says_how_to_make_one(cache_home):
    error = one_line_error(proof_run(cache_home, "--method", "GET", "--url", API_URL,
                                     "--token", "t"))
    assert "no DPoP key" in error and "signet token --dpop" in error, error


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256", "PS256"])
def test_proof_for_a_given_token_checked_with_pyjwt(s, cache_home, tmp_path, alg):
    path = tmp_path / f"{alg}.json"
    jwk = made_key(s, cache_home, "--dpop-key", str(path), "--dpop-alg", alg)
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    proof = proof_of(cache_home, "--method", "GET", "--url", API_URL + "?page=2#top",
                     "--token", token, "--dpop-key", str(path))
    header, claims = checked_proof(proof, "GET", API_URL)  # query and fragment left out
    assert header["alg"] == alg
    assert jwk_thumbprint(header["jwk"]) == jwk_thumbprint(jwk)
    assert claims["ath"] == ath(token)
    assert "nonce" not in claims
    # A proof is for one request: the next one has another jti.
    again = proof_of(cache_home, "--method", "GET", "--url", API_URL, "--token", token,
                     "--dpop-key", str(path))
    assert checked_proof(again, "GET", API_URL)[1]["jti"] != claims["jti"]


def test_proof_with_a_nonce_and_a_token_from_stdin(s, cache_home):
    made_key(s, cache_home)
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ5In0.c2ln"
    proof = proof_of(cache_home, "--method", "POST", "--url", API_URL, "--token", "-",
                     "--nonce", "eyJ7S_zG.3t-n", stdin=f"DPoP {token}\n")
    _, claims = checked_proof(proof, "POST", API_URL)
    assert claims["ath"] == ath(token)  # the scheme pasted from a header is dropped
    assert claims["nonce"] == "eyJ7S_zG.3t-n"


def test_proof_without_a_token_has_no_ath(s, cache_home):
    made_key(s, cache_home)
    endpoint = s.issuer + "oauth/token"
    proof = proof_of(cache_home, "--method", "POST", "--url", endpoint, "--no-token")
    _, claims = checked_proof(proof, "POST", endpoint)
    assert "ath" not in claims


@pytest.mark.parametrize("args,says", [
    (["--method", "get", "--url", API_URL, "--token", "t"], "in capitals"),
    (["--method", "GET", "--url", "/api/private", "--token", "t"], "absolute http(s) URL"),
    (["--method", "GET", "--url", "ftp://localhost/x", "--token", "t"], "absolute http(s) URL"),
    (["--method", "GET", "--url", API_URL, "--no-token", "--token", "t"], "leave out --token"),
    (["--method", "GET", "--url", API_URL, "--audience", "https://x/"], "add --issuer"),
    (["--method", "GET", "--url", API_URL, "--token", "t", "--nonce", "n" * 257], "--nonce"),
])
def test_proof_arguments_are_checked(s, cache_home, args, says):
    made_key(s, cache_home)
    assert says in one_line_error(proof_run(cache_home, *args))


def test_proof_flags_must_follow_proof(s, cache_home, tmp_path):
    made_key(s, cache_home)
    res = signet_run(cache_home, "token", "--dpop-key", str(tmp_path / "k.json"), "proof",
                     "--method", "GET", "--url", API_URL, "--token", "t")
    assert "after 'proof'" in one_line_error(res)


def test_proof_without_a_token_bound_to_the_key_says_what_to_do(s, cache_home):
    made_key(s, cache_home)
    if s.does_dpop():
        signet_run(cache_home, "token", "clear")
    error = one_line_error(proof_run(cache_home, "--method", "GET", "--url", API_URL))
    assert "no cached token" in error and "signet token --dpop" in error, error
    assert "--token" in error


def test_help_explains_dpop(cache_home):
    res = signet_run(cache_home, "token", "--help")
    assert res.returncode == 0
    for words in ("--dpop", "--dpop-key", "--dpop-alg", "signet token proof", "RFC 9449"):
        assert words in res.stdout, words
    res = signet_run(cache_home, "token", "proof", "--help")
    assert res.returncode == 0
    for words in ("--method", "--url", "--token", "--nonce", "--no-token", "ath", "curl"):
        assert words in res.stdout, words


# --- against a token endpoint that binds tokens


def test_the_token_is_bound_to_the_keys_jwk_thumbprint(dpop_s, cache_home):
    s = dpop_s
    out = bound_token(s, cache_home)
    jwk = json.loads(key_file(cache_home).read_text())
    assert out["token_type"] == "DPoP"
    assert out["cached"] is False
    assert out["dpop_jkt"] == jwk_thumbprint(jwk)
    claims = verify_with_jwks(out["access_token"], s.server.jwks(), s.audience, s.issuer)
    assert claims["cnf"] == {"jkt": jwk_thumbprint(jwk)}

    # Cached for this key: the next call is served the same token.
    again = bound_token(s, cache_home)
    assert again["cached"] is True
    assert again["access_token"] == out["access_token"]
    assert again["dpop_jkt"] == out["dpop_jkt"]


def test_a_token_bound_to_one_key_is_not_served_to_another_nor_as_bearer(dpop_s, cache_home,
                                                                          tmp_path):
    s = dpop_s
    first = bound_token(s, cache_home)
    other = bound_token(s, cache_home, "--dpop-key", str(tmp_path / "other.json"))
    assert other["cached"] is False
    assert other["access_token"] != first["access_token"]
    claims = verify_with_jwks(other["access_token"], s.server.jwks(), s.audience, s.issuer)
    assert claims["cnf"]["jkt"] == other["dpop_jkt"] != first["dpop_jkt"]

    res = signet_run(cache_home, "token", "--issuer", s.issuer, "--client-id", s.m2m.client_id,
                     "--client-secret-stdin", "--audience", s.audience, "--json",
                     stdin=s.m2m.client_secret + "\n")
    assert res.returncode == 0, res.stderr
    bearer = json.loads(res.stdout)
    assert bearer["token_type"] == "Bearer" and bearer["cached"] is False
    assert "cnf" not in verify_with_jwks(bearer["access_token"], s.server.jwks(), s.audience,
                                         s.issuer)
    assert bound_token(s, cache_home)["access_token"] == first["access_token"]


def test_proof_hashes_the_cached_bound_token(dpop_s, cache_home):
    s = dpop_s
    token = bound_token(s, cache_home)["access_token"]
    proof = proof_of(cache_home, "--method", "GET", "--url", API_URL)
    _, claims = checked_proof(proof, "GET", API_URL)
    assert claims["ath"] == ath(token)

    # Two bound tokens: which one is meant must be said.
    other = bound_token(s, cache_home, audience=s.other_audience)["access_token"]
    error = one_line_error(proof_run(cache_home, "--method", "GET", "--url", API_URL))
    assert "2 cached tokens" in error and "--issuer and --audience" in error, error
    for audience, expected in ((s.audience, token), (s.other_audience, other)):
        proof = proof_of(cache_home, "--method", "GET", "--url", API_URL, "--issuer", s.issuer,
                         "--audience", audience)
        assert checked_proof(proof, "GET", API_URL)[1]["ath"] == ath(expected)


def test_use_dpop_nonce_is_answered_once_with_the_servers_nonce(s, start_serve, cache_home):
    if not s.does_dpop():
        pytest.skip("this signet serve does not list dpop_signing_alg_values_supported in its "
                    "discovery metadata, so it has no --dpop-nonce (h/dpop-token's part)")
    server = start_serve("--dpop-nonce")
    nonced = Setup(server)
    made_key(s, cache_home)  # the key, made against the other server
    endpoint = server.get("/.well-known/openid-configuration").json()["token_endpoint"]

    # A proof without the nonce is refused with one: the client must retry to succeed.
    proof = proof_of(cache_home, "--method", "POST", "--url", endpoint, "--no-token")
    res = server.token({"grant_type": "client_credentials", "audience": nonced.audience,
                        **nonced.m2m.creds()}, headers={"DPoP": proof})
    assert res.status_code == 400, res.text
    assert res.json()["error"] == "use_dpop_nonce"
    assert res.headers.get("DPoP-Nonce")

    out = bound_token(nonced, cache_home)
    assert out["token_type"] == "DPoP"
    claims = verify_with_jwks(out["access_token"], server.jwks(), nonced.audience, server.issuer)
    assert claims["cnf"]["jkt"] == out["dpop_jkt"]
