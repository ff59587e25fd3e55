"""The quickstart (shared/reference/000_85a3d2eb34f6c24b.txt) step by step, with curl, against the
servers `make run` starts (scripts/run-demo.sh), once over HTTP and once over HTTPS (`make run
HTTPS=1`, certificates from `signet dev-cert`): the demo tenant it creates, the token requests of
the document with a JSON body and a form body, the password grant, the API calls with their
statuses, headers and bodies, and the same again with the `signet token` client, whose second
call is served from its cache. A second run of the script reuses the tenant, and Ctrl-C stops
both servers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import clean_env, signet_bin

REPO = Path(__file__).resolve().parents[2]
AUDIENCE = "https://quickstarts/api"
PUBLIC = "Hello from a public endpoint! You don't need to be authenticated to see this."
PRIVATE = "Hello from a private endpoint! You need to be authenticated to see this."
SCOPED = ("Hello from a private endpoint! You need to be authenticated and have a scope of "
          "read:messages to see this.")
START_TIMEOUT = 60.0  # s; the first run creates keys and hashes a password


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    """`bash scripts/run-demo.sh` in the background, on free ports and a private data dir."""

    def __init__(self, data_dir: Path, log_dir: Path, scheme: str = "http"):
        self.data_dir = data_dir
        self.scheme = scheme
        self.auth_port = free_port()
        self.api_port = free_port()
        self.metrics_port = free_port()
        self.issuer = f"{scheme}://localhost:{self.auth_port}/"
        self.api = f"{scheme}://localhost:{self.api_port}"
        self.out = log_dir / "demo.out"
        self.err = log_dir / "demo.err"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Demo":
        env = clean_env(DATA_DIR=str(self.data_dir), AUTH_PORT=str(self.auth_port),
                        API_PORT=str(self.api_port), METRICS_PORT=str(self.metrics_port),
                        HTTPS="1" if self.scheme == "https" else "0")
        self.proc = subprocess.Popen(
            ["bash", str(REPO / "scripts/run-demo.sh"), signet_bin()], cwd=REPO, env=env,
            stdout=open(self.out, "w"), stderr=open(self.err, "w"), start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while "Ctrl-C stops both servers." not in self.printed():
            assert self.proc.poll() is None, f"run-demo.sh exited early:\n{self.err.read_text()}"
            assert time.monotonic() < deadline, f"run-demo.sh did not start:\n{self.err.read_text()}"
            time.sleep(0.1)
        return self

    def printed(self) -> str:
        return self.out.read_text() if self.out.exists() else ""

    def interrupt(self) -> int:
        """Ctrl-C, as a terminal sends it: SIGINT to the whole process group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        return self.proc.wait(timeout=30)

    def tenant(self) -> dict:
        return json.loads((self.data_dir / "demo.json").read_text())

    def ca_args(self) -> list[str]:
        """What a client needs to trust the servers: nothing over HTTP, the dev CA over HTTPS."""
        return ["--cacert", str(self.data_dir / "tls/ca.pem")] if self.scheme == "https" else []


CA: list[str] = []  # set per module run by the demo fixture: curl's trust arguments


def curl(*args: str) -> tuple[int, dict, str]:
    """Runs curl as the quickstart does; returns status, lower-cased headers and body."""
    res = subprocess.run(["curl", "--silent", "--show-error", "--include", *CA, *args],
                         capture_output=True, text=True, timeout=30, check=True)
    head, _, body = res.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module", params=["http", "https"])
def demo(request, tmp_path_factory):
    d = Demo(tmp_path_factory.mktemp("data") / "signet-data", tmp_path_factory.mktemp("logs"),
             request.param)
    d.start()
    CA[:] = d.ca_args()
    yield d
    CA.clear()
    if d.proc.poll() is None:
        d.interrupt()


def token_json(demo: Demo, client: dict, **extra) -> tuple[int, dict, dict]:
    """Step 1 of the document: client credentials with a JSON body."""
    body = {"grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"], "audience": AUDIENCE, **extra}
    status, headers, text = curl("--request", "POST", "--url", f"{demo.issuer}oauth/token",
                                 "--header", "content-type: application/json",
                                 "--data", json.dumps(body))
    return status, headers, json.loads(text)


def call(demo: Demo, path: str, token: str | None = None) -> tuple[int, dict, str]:
    args = ["--request", "GET", "--url", f"{demo.api}{path}"]
    if token:
        args += ["--header", f"authorization: Bearer {token}"]
    return curl(*args)


def test_the_demo_tenant_is_created_and_printed(demo):
    t = demo.tenant()
    printed = demo.printed()
    assert t["audience"] == AUDIENCE
    for secret in (t["m2m"]["client_secret"], t["web"]["client_secret"], t["user"]["password"]):
        assert secret in printed  # the calls are ready to paste
    assert demo.issuer in printed and demo.api in printed
    assert oct(os.stat(demo.data_dir / "demo.json").st_mode & 0o777) == "0o600"
    assert oct(os.stat(demo.data_dir).st_mode & 0o777) == "0o700"
    # What the tenant holds, as the admin CLI shows it.
    api = json.loads(subprocess.run([signet_bin(), "apis", "show", AUDIENCE, "--json",
                                     "--data-dir", str(demo.data_dir)],
                                    capture_output=True, text=True, check=True).stdout)
    assert api["name"] == "Quickstart API"
    assert {p["value"] for p in api["permissions"]} == {"read:messages", "write:messages"}


def test_step1_client_credentials_with_a_json_body(demo):
    status, headers, body = token_json(demo, demo.tenant()["m2m"])
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"
    assert headers["pragma"] == "no-cache"
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert body["scope"] == "read:messages"


def test_step1_client_credentials_with_a_form_body(demo):
    m2m = demo.tenant()["m2m"]
    status, headers, text = curl(
        "--request", "POST", "--url", f"{demo.issuer}oauth/token",
        "--header", "content-type: application/x-www-form-urlencoded",
        "--data", "grant_type=client_credentials", "--data", f"client_id={m2m['client_id']}",
        "--data", f"client_secret={m2m['client_secret']}",
        "--data-urlencode", f"audience={AUDIENCE}")
    assert status == 200, text
    assert json.loads(text)["scope"] == "read:messages"


def test_step2_the_password_grant(demo):
    t = demo.tenant()
    body = {"grant_type": "password", "username": t["user"]["email"],
            "password": t["user"]["password"], "audience": AUDIENCE, "scope": "read:messages",
            "client_id": t["web"]["client_id"], "client_secret": t["web"]["client_secret"]}
    status, headers, text = curl("--request", "POST", "--url", f"{demo.issuer}oauth/token",
                                 "--header", "content-type: application/json",
                                 "--data", json.dumps(body))
    assert status == 200, text
    token = json.loads(text)
    assert token["scope"] == "read:messages"
    status, _, text = call(demo, "/api/private-scoped", token["access_token"])
    assert status == 200
    assert json.loads(text) == {"message": SCOPED}
    # A wrong password is the document's error, not a hint about which part was wrong.
    body["password"] = "not the password"
    status, _, text = curl("--request", "POST", "--url", f"{demo.issuer}oauth/token",
                           "--header", "content-type: application/json",
                           "--data", json.dumps(body))
    assert status == 400
    assert json.loads(text) == {"error": "invalid_grant",
                                "error_description": "Wrong email or password."}


def test_step3_calling_the_api(demo):
    _, _, token = token_json(demo, demo.tenant()["m2m"])
    access = token["access_token"]

    status, _, text = call(demo, "/api/public")
    assert status == 200
    assert json.loads(text) == {"message": PUBLIC}

    status, headers, text = call(demo, "/api/private")
    assert status == 401
    assert headers["www-authenticate"] == 'Bearer realm="signet"'
    assert json.loads(text)["error"] == "unauthorized"  # RFC 6750 §3.1: no error code in the header

    status, _, text = call(demo, "/api/private", access)
    assert status == 200
    assert json.loads(text) == {"message": PRIVATE}

    status, _, text = call(demo, "/api/private-scoped", access)
    assert status == 200
    assert json.loads(text) == {"message": SCOPED}

    status, headers, text = call(demo, "/api/private", access[:-4] + "AAAA")
    assert status == 401
    assert 'error="invalid_token"' in headers["www-authenticate"]


def test_step4_a_token_without_read_messages_gets_403(demo):
    status, _, token = token_json(demo, demo.tenant()["m2m_without_read"])
    assert status == 200
    assert token["scope"] == "write:messages"
    status, _, _ = call(demo, "/api/private", token["access_token"])
    assert status == 200
    status, headers, text = call(demo, "/api/private-scoped", token["access_token"])
    assert status == 403
    assert 'error="insufficient_scope"' in headers["www-authenticate"]
    assert 'scope="read:messages"' in headers["www-authenticate"]
    assert json.loads(text)["error"] == "insufficient_scope"


def signet_token(demo: Demo, cache_home: Path, client: dict, *extra: str,
                 stdin_extra: str = "") -> dict:
    """`signet token --json` as the quickstart's client, with its cache in `cache_home`."""
    args = [signet_bin(), "token", "--issuer", demo.issuer, "--client-id", client["client_id"],
            "--client-secret-stdin", "--audience", AUDIENCE, "--json", *extra]
    if demo.scheme == "https":
        args += ["--ca-file", str(demo.data_dir / "tls/ca.pem")]
    res = subprocess.run(args, input=client["client_secret"] + "\n" + stdin_extra,
                         capture_output=True, text=True, timeout=30,
                         env=clean_env(XDG_CACHE_HOME=str(cache_home)))
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def issued(demo: Demo) -> dict:
    # The counters are served on the metrics listener only (plain HTTP, loopback).
    status, _, text = curl("--url", f"http://127.0.0.1:{demo.metrics_port}/counters")
    assert status == 200
    return json.loads(text)["issued"]


def jti(token: str) -> str:
    import base64
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]


def test_the_walkthrough_with_the_signet_token_client(demo, tmp_path):
    t = demo.tenant()
    before = issued(demo)["client_credentials"]
    first = signet_token(demo, tmp_path, t["m2m"])
    assert first["cached"] is False
    assert first["scope"] == "read:messages"
    assert issued(demo)["client_credentials"] == before + 1
    # The quickstart: "keep using it until it expires". The second call is served from the cache:
    # the same token, and the server issued nothing.
    second = signet_token(demo, tmp_path, t["m2m"])
    assert second["cached"] is True
    assert second["access_token"] == first["access_token"]
    assert jti(second["access_token"]) == jti(first["access_token"])
    assert issued(demo)["client_credentials"] == before + 1
    cache = tmp_path / "signet/tokens.json"
    assert oct(os.stat(cache).st_mode & 0o777) == "0o600"
    assert t["m2m"]["client_secret"] not in cache.read_text()

    assert call(demo, "/api/private", first["access_token"])[0] == 200
    status, _, text = call(demo, "/api/private-scoped", first["access_token"])
    assert status == 200 and json.loads(text) == {"message": SCOPED}

    no_read = signet_token(demo, tmp_path, t["m2m_without_read"])
    assert call(demo, "/api/private-scoped", no_read["access_token"])[0] == 403

    user = signet_token(demo, tmp_path, t["web"], "--username", t["user"]["email"],
                        "--password-stdin", "--scope", "read:messages",
                        stdin_extra=t["user"]["password"] + "\n")
    assert user["scope"] == "read:messages"
    assert call(demo, "/api/private-scoped", user["access_token"])[0] == 200
    assert t["user"]["password"] not in cache.read_text()


def test_the_printed_signet_token_line_works_as_pasted(demo, tmp_path):
    printed = demo.printed()
    start = printed.index("ACCESS_TOKEN=$(")
    end = printed.index(")", printed.index("--audience", start)) + 1
    line = printed[start:end].replace("\\\n", " ")
    res = subprocess.run(["bash", "-c", line + '\necho "$ACCESS_TOKEN"'], capture_output=True,
                         text=True, timeout=30, env=clean_env(XDG_CACHE_HOME=str(tmp_path)))
    assert res.returncode == 0, res.stderr
    token = res.stdout.strip()
    assert call(demo, "/api/private-scoped", token)[0] == 200


def test_ctrl_c_stops_both_servers_and_a_second_run_reuses_the_tenant(demo, tmp_path):
    before = demo.tenant()
    assert demo.interrupt() == 0
    assert not listening(demo.auth_port) and not listening(demo.api_port)
    again = Demo(demo.data_dir, tmp_path, demo.scheme)
    again.start()
    try:
        assert again.tenant() == before
        assert "creating the demo tenant" not in again.err.read_text()
        status, _, token = token_json(again, before["m2m"])
        assert status == 200
        assert call(again, "/api/private-scoped", token["access_token"])[0] == 200
    finally:
        assert again.interrupt() == 0
    assert not listening(again.auth_port) and not listening(again.api_port)


def test_a_server_that_cannot_start_stops_the_demo_with_an_error(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        d = Demo(tmp_path / "signet-data", tmp_path)
        d.auth_port = busy.getsockname()[1]  # taken: signet serve cannot listen
        env = clean_env(DATA_DIR=str(d.data_dir), AUTH_PORT=str(d.auth_port),
                        API_PORT=str(d.api_port))
        res = subprocess.run(["bash", str(REPO / "scripts/run-demo.sh"), signet_bin()], cwd=REPO,
                             env=env, capture_output=True, text=True, timeout=60)
        assert res.returncode == 1
        assert "signet serve did not answer" in res.stderr
        assert "signet is running" not in res.stdout
        assert not listening(d.api_port)
    finally:
        busy.close()

