"""The quickstart (shared/reference/000_85a3d2eb34f6c24b.txt) step by step, with curl, against the
servers `make run` starts (scripts/run-demo.sh), once over HTTP and once over HTTPS (`make run
HTTPS=1`, certificates from `signet dev-cert`): the demo tenant it creates, the token requests of
the document with a JSON body and a form body, the password grant, the API calls with their
statuses, headers and bodies, and the same again with the `signet token` client, whose second
call is served from its cache; the sample single-page app on its own port, its config.json and
its application, with which the printed user signs in through the login page (the browser part
is tests/e2e/test_spa_browser.py). A second run of the script reuses the tenant, and Ctrl-C stops
the servers (also under make on a terminal, where make then exits 0). What can go wrong in the
first hour: a port already taken (named with its holder, nothing started), a second run while the
first runs, a server answering that the script did not start (no banner), a lost demo.json (new
secrets for the same applications, not new applications).
"""

from __future__ import annotations

import json
import urllib.parse
import os
import pty
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

import prometheus_text
from conftest import clean_env, signet_bin
from issuer import free_port
from login_page import management_scopes_sign_in, sign_in

REPO = Path(__file__).resolve().parents[2]
AUDIENCE = "https://quickstarts/api"
PUBLIC = "Hello from a public endpoint! You don't need to be authenticated to see this."
PRIVATE = "Hello from a private endpoint! You need to be authenticated to see this."
SCOPED = ("Hello from a private endpoint! You need to be authenticated and have a scope of "
          "read:messages to see this.")
START_TIMEOUT = 60.0  # s; the first run creates keys and hashes a password


class Demo:
    """`bash scripts/run-demo.sh` in the background, on free ports and a private data dir."""

    def __init__(self, data_dir: Path, log_dir: Path, scheme: str = "http", cwd: Path = REPO,
                 **env):
        self.data_dir = data_dir
        self.cwd = cwd
        self.env = env  # more environment; DATA_DIR=None leaves DATA_DIR unset
        self.scheme = scheme
        self.auth_port = free_port()
        self.api_port = free_port()
        self.metrics_port = free_port()
        self.spa_port = free_port()
        self.spa = f"http://localhost:{self.spa_port}/"  # plain HTTP in both modes
        self.issuer = f"{scheme}://localhost:{self.auth_port}/"
        self.api = f"{scheme}://localhost:{self.api_port}"
        self.out = log_dir / "demo.out"
        self.err = log_dir / "demo.err"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Demo":
        env = clean_env(DATA_DIR=str(self.data_dir), AUTH_PORT=str(self.auth_port),
                        API_PORT=str(self.api_port), METRICS_PORT=str(self.metrics_port),
                        SPA_PORT=str(self.spa_port), HTTPS="1" if self.scheme == "https" else "0")
        env.update(self.env)
        env = {k: v for k, v in env.items() if v is not None}
        self.proc = subprocess.Popen(
            ["bash", str(REPO / "scripts/run-demo.sh"), signet_bin()], cwd=self.cwd, env=env,
            stdout=open(self.out, "w"), stderr=open(self.err, "w"), start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while "Ctrl-C stops the servers." not in self.printed():
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

    def verify(self):
        """requests' verify= for the servers: the dev CA over HTTPS."""
        return str(self.data_dir / "tls/ca.pem") if self.scheme == "https" else True

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


def test_step5_the_sample_spa_is_served_with_its_own_config(demo):
    printed = demo.printed()
    user = demo.tenant()["user"]
    assert demo.spa in printed and user["password"] in printed
    page = requests.get(demo.spa, timeout=30)
    assert page.status_code == 200 and "Sample single-page app" in page.text
    for asset in ("app.js", "style.css"):
        assert requests.get(demo.spa + asset, timeout=30).status_code == 200
    config = requests.get(demo.spa + "config.json", timeout=30).json()
    assert set(config) == {"issuer", "client_id", "audience", "api_base"}
    assert (config["issuer"], config["audience"], config["api_base"]) == (
        demo.issuer, AUDIENCE, demo.api)
    # A public client whose URLs are the page's; nothing secret is served.
    app = json.loads(subprocess.run([signet_bin(), "clients", "show", config["client_id"],
                                     "--json", "--data-dir", str(demo.data_dir)],
                                    capture_output=True, text=True, check=True).stdout)
    assert app["name"] == "Quickstart SPA" and app["type"] == "spa"
    assert app["token_endpoint_auth_method"] == "none"
    assert sorted(app["grant_types"]) == ["authorization_code", "refresh_token"]
    assert app["callbacks"] == [demo.spa] and app["allowed_logout_urls"] == [demo.spa]
    assert app["web_origins"] == [demo.spa.rstrip("/")]
    assert not any(s in page.text + json.dumps(config) for s in (
        user["password"], demo.tenant()["web"]["client_secret"]))


def test_step5_the_printed_user_signs_in_with_the_spas_client(demo):
    """What the SPA does, without a browser: the login page, the code, the token, the calls, and
    the CORS answers the page needs from both servers."""
    user = demo.tenant()["user"]
    config = requests.get(demo.spa + "config.json", timeout=30).json()
    origin = demo.spa.rstrip("/")
    signed_in = sign_in(demo.issuer, user["email"], user["password"], audience=AUDIENCE,
                        client_id=config["client_id"], redirect_uri=demo.spa,
                        scope="openid profile email read:messages", verify=demo.verify())
    tokens = signed_in.tokens
    assert "read:messages" in tokens["scope"].split()
    assert call(demo, "/api/private-scoped", tokens["access_token"])[0] == 200
    # The page's fetch of /oauth/token is cross-origin: signet answers with its origin.
    res = requests.post(f"{demo.issuer}oauth/token", data={"grant_type": "refresh_token",
                        "client_id": config["client_id"], "refresh_token": "x"},
                        headers={"Origin": origin}, verify=demo.verify(), timeout=30)
    assert res.headers.get("Access-Control-Allow-Origin") == origin, res.headers
    # And the API lets the page send its Authorization header.
    status, headers, _ = curl("--request", "OPTIONS", "--url", f"{demo.api}/api/private",
                              "--header", f"Origin: {origin}",
                              "--header", "Access-Control-Request-Method: GET",
                              "--header", "Access-Control-Request-Headers: authorization")
    assert status == 204 and headers["access-control-allow-origin"] == origin, headers


def test_step6_the_printed_administrator_signs_in_to_the_management_api(demo):
    admin = demo.tenant()["admin"]
    printed = demo.printed()
    assert f"{demo.issuer}console/" in printed and admin["password"] in printed
    # As the console does: its public client through the login page, with PKCE.
    token = management_scopes_sign_in(demo.issuer, admin["email"], admin["password"],
                                      "read:clients read:resource_servers",
                                      verify=demo.verify()).tokens["access_token"]
    status, _, body = curl("--url", f"{demo.issuer}api/v2/resource-servers/"
                           + urllib.parse.quote(AUDIENCE, safe=""),
                           "--header", f"authorization: Bearer {token}")
    assert status == 200, body
    assert json.loads(body)["name"] == "Quickstart API"
    # The user of the quickstart holds no Management API permission: no way in.
    user = demo.tenant()["user"]
    token = management_scopes_sign_in(demo.issuer, user["email"], user["password"],
                                      "read:clients", verify=demo.verify()).tokens
    assert not set(token["scope"].split()) & {"read:clients"}
    status, _, body = curl("--url", f"{demo.issuer}api/v2/clients",
                           "--header", f"authorization: Bearer {token['access_token']}")
    assert status == 403, body


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


JSON_AS_FORM = ("the body is JSON but Content-Type is application/x-www-form-urlencoded: add "
                "--header 'content-type: application/json' (or send a form)")


def test_step1_without_its_content_type_header_the_answer_names_the_missing_header(demo):
    """The commonest slip: the quickstart's curl without `content-type: application/json`. curl
    then sends the JSON as application/x-www-form-urlencoded."""
    m2m = demo.tenant()["m2m"]
    body = json.dumps({"grant_type": "client_credentials", "client_id": m2m["client_id"],
                       "client_secret": m2m["client_secret"], "audience": AUDIENCE})
    status, headers, text = curl("--request", "POST", "--url", f"{demo.issuer}oauth/token",
                                 "--data", body)
    assert status == 400, text
    assert headers["cache-control"] == "no-store"
    assert json.loads(text) == {"error": "invalid_request", "error_description": JSON_AS_FORM}
    assert m2m["client_secret"] not in text
    # The same request as the issue puts it, with requests.
    res = requests.post(f"{demo.issuer}oauth/token", data=body, verify=demo.verify(), timeout=30,
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert res.status_code == 400
    assert res.json() == {"error": "invalid_request", "error_description": JSON_AS_FORM}
    # With the header, the same body gets its token.
    status, _, body_json = token_json(demo, m2m)
    assert status == 200, body_json


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
    # RFC 9449 §7.1: the DPoP challenge follows, since signet api accepts both schemes.
    assert headers["www-authenticate"] == ('Bearer realm="signet", DPoP realm="signet", '
                                            'algs="ES256 EdDSA RS256 PS256"')
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
    """Tokens issued so far by grant type, whatever their algorithm. The metrics are served on
    the metrics listener only (plain HTTP, loopback)."""
    status, _, text = curl("--url", f"http://127.0.0.1:{demo.metrics_port}/metrics")
    assert status == 200
    out: dict[str, float] = {}
    for labels, value in prometheus_text.parse(text).series("signet_tokens_issued_total").items():
        grant = dict(labels)["grant"]
        out[grant] = out.get(grant, 0) + value
    return out


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


def proof(demo: Demo, cache_home: Path, method: str, url: str) -> str:
    """`signet token proof`, as the README's DPoP curl line runs it."""
    res = subprocess.run([signet_bin(), "token", "proof", "--method", method, "--url", url],
                         capture_output=True, text=True, timeout=30,
                         env=clean_env(XDG_CACHE_HOME=str(cache_home)))
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_the_walkthrough_with_a_dpop_bound_token(demo, tmp_path):
    # README "With DPoP": the token is bound to a key of the client's; each call carries a proof
    # made for its method and URL, used once; the token alone is of no use.
    t = demo.tenant()
    bound = signet_token(demo, tmp_path, t["m2m"], "--dpop")
    assert bound["token_type"] == "DPoP"
    assert oct(os.stat(tmp_path / "signet/dpop-key.json").st_mode & 0o777) == "0o600"
    url = f"{demo.api}/api/private-scoped"
    one = proof(demo, tmp_path, "GET", url)
    status, _, text = curl("--request", "GET", "--url", url,
                           "--header", f"authorization: DPoP {bound['access_token']}",
                           "--header", f"DPoP: {one}")
    assert status == 200 and json.loads(text) == {"message": SCOPED}
    # The same proof again is a replay.
    status, headers, text = curl("--request", "GET", "--url", url,
                                 "--header", f"authorization: DPoP {bound['access_token']}",
                                 "--header", f"DPoP: {one}")
    assert status == 401 and json.loads(text)["error"] == "invalid_dpop_proof"
    assert 'DPoP' in headers["www-authenticate"]
    # A proof for another URL of the same API.
    other = proof(demo, tmp_path, "GET", f"{demo.api}/api/private")
    status, _, text = curl("--request", "GET", "--url", url,
                           "--header", f"authorization: DPoP {bound['access_token']}",
                           "--header", f"DPoP: {other}")
    assert status == 401 and json.loads(text)["error"] == "invalid_dpop_proof"
    # Stolen without the key, sent as a bearer token.
    status, _, text = call(demo, "/api/private-scoped", bound["access_token"])
    assert status == 401 and json.loads(text)["error"] == "invalid_token"
    # A fresh proof works again.
    status, _, _ = curl("--request", "GET", "--url", url,
                        "--header", f"authorization: DPoP {bound['access_token']}",
                        "--header", f"DPoP: {proof(demo, tmp_path, 'GET', url)}")
    assert status == 200


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


def run_demo(data_dir: Path, auth_port: int, api_port: int, bin_path: str | None = None,
             **env) -> subprocess.CompletedProcess:
    """run-demo.sh to its end (for runs that must stop with an error)."""
    env.setdefault("METRICS_PORT", str(free_port()))
    env.setdefault("SPA_PORT", str(free_port()))
    return subprocess.run(["bash", str(REPO / "scripts/run-demo.sh"), bin_path or signet_bin()],
                          cwd=REPO, capture_output=True, text=True, timeout=120,
                          env=clean_env(DATA_DIR=str(data_dir), AUTH_PORT=str(auth_port),
                                        API_PORT=str(api_port), **env))


def test_a_second_run_while_the_first_runs_says_so_and_prints_no_banner(demo, tmp_path):
    # Same data directory, other ports: the data directory is in use.
    res = run_demo(demo.data_dir, free_port(), free_port())
    assert res.returncode == 1
    assert res.stderr.startswith(f"run-demo: make run is already running on {demo.data_dir} (pid ")
    assert "signet is running" not in res.stdout
    # Same ports, another data directory: the ports are in use, by the first run's signet.
    res = run_demo(tmp_path / "other-data", demo.auth_port, demo.api_port)
    assert res.returncode == 1
    assert f"run-demo: port {demo.auth_port} (for signet serve) is in use by signet (pid " \
        in res.stderr
    assert f"AUTH_PORT={demo.auth_port + 1} make run" in res.stderr
    assert "signet is running" not in res.stdout
    assert not (tmp_path / "other-data/demo.json").exists()
    # The first run is untouched.
    assert call(demo, "/api/public")[0] == 200


def test_ctrl_c_stops_both_servers_and_a_second_run_reuses_the_tenant(demo, tmp_path):
    before = demo.tenant()
    assert demo.interrupt() == 0
    assert not listening(demo.auth_port) and not listening(demo.api_port)
    assert not listening(demo.spa_port)
    again = Demo(demo.data_dir, tmp_path, demo.scheme)
    again.start()
    try:
        assert again.tenant() == before
        assert "creating the demo tenant" not in again.err.read_text()
        status, _, token = token_json(again, before["m2m"])
        assert status == 200
        assert call(again, "/api/private-scoped", token["access_token"])[0] == 200
        # The SPA's application followed its new port, without a twin.
        config = requests.get(again.spa + "config.json", timeout=30).json()
        assert [a["client_id"] for a in clients(demo.data_dir)
                if a["name"] == "Quickstart SPA"] == [config["client_id"]]
    finally:
        assert again.interrupt() == 0
    assert not listening(again.auth_port) and not listening(again.api_port)
    assert not listening(again.spa_port)


@pytest.mark.parametrize("which", ["auth", "api", "spa"])
def test_a_held_port_is_named_with_its_holder_and_nothing_starts(tmp_path, which):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        other = free_port()
        ports = {"auth": (port, other), "api": (other, port), "spa": (other, free_port())}[which]
        extra = {"SPA_PORT": str(port)} if which == "spa" else {}
        res = run_demo(tmp_path / "signet-data", *ports, **extra)
    assert res.returncode == 1
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    what, variable = {"auth": ("signet serve", "AUTH_PORT"), "api": ("signet api", "API_PORT"),
                      "spa": ("the sample single-page app", "SPA_PORT")}[which]
    assert lines[0] == (f"run-demo: port {port} (for {what}) is in use by python3 "
                        f"(pid {os.getpid()}): stop it, or choose another port: "
                        f"{variable}={port + 1} make run")
    assert res.stdout == ""
    assert not listening(other)
    assert not (tmp_path / "signet-data/demo.json").exists()  # not even the tenant


def fake_signet(tmp_path: Path, serve: str) -> str:
    """A signet that runs `serve` (shell) for `signet serve` and is the real one otherwise."""
    path = tmp_path / "signet"
    path.write_text(f'#!/bin/sh\nif [ "$1" = serve ]; then\n{serve}\nfi\n'
                    f'exec {signet_bin()} "$@"\n')
    path.chmod(0o755)
    return str(path)


def test_a_server_that_cannot_start_stops_the_demo_with_an_error(tmp_path):
    api_port = free_port()
    res = run_demo(tmp_path / "signet-data", free_port(), api_port,
                   fake_signet(tmp_path, 'echo "signet serve: cannot start" >&2; exit 1'))
    assert res.returncode == 1
    assert "signet serve: cannot start" in res.stderr
    assert "signet serve did not answer" in res.stderr
    assert "signet is running" not in res.stdout
    assert not listening(api_port)


def test_no_banner_when_another_process_answers_on_the_port(tmp_path):
    """The server the script started is alive, but what answers on its port is someone else's:
    the banner would describe servers the script did not start."""
    auth_port, api_port = free_port(), free_port()
    www = tmp_path / "www/.well-known"
    www.mkdir(parents=True)
    (www / "openid-configuration").write_text("{}")
    # `signet serve` starts a stranger on the port and stays alive itself, without listening.
    stranger = (f"/usr/bin/python3 -m http.server {auth_port} --bind 127.0.0.1 "
                f"--directory {tmp_path / 'www'} >/dev/null 2>&1 &\nexec sleep 600")
    proc = subprocess.Popen(
        ["bash", str(REPO / "scripts/run-demo.sh"), fake_signet(tmp_path, stranger)], cwd=REPO,
        env=clean_env(DATA_DIR=str(tmp_path / "signet-data"), AUTH_PORT=str(auth_port),
                      API_PORT=str(api_port), METRICS_PORT=str(free_port()),
                      SPA_PORT=str(free_port())),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the stranger
        except ProcessLookupError:
            pass
    assert proc.returncode == 1
    assert f"run-demo: something else answers on port {auth_port}: python3 (pid " in err
    assert "signet is running" not in out
    assert not listening(api_port)


def clients(data_dir: Path) -> list[dict]:
    return json.loads(subprocess.run([signet_bin(), "clients", "list", "--json", "--data-dir",
                                      str(data_dir)], capture_output=True, text=True,
                                     check=True).stdout)


def test_a_lost_demo_json_gets_new_secrets_for_the_same_clients_and_user(tmp_path):
    data_dir = tmp_path / "signet-data"
    first = Demo(data_dir, tmp_path).start()
    try:
        before = first.tenant()
    finally:
        assert first.interrupt() == 0
    apps = clients(data_dir)
    # The demo's four applications, and the console's own (made by serve at first start).
    assert len([a for a in apps if a["client_id"] != "signet-console"]) == 4
    (data_dir / "demo.json").unlink()

    again = Demo(data_dir, tmp_path).start()
    try:
        after = again.tenant()
        # The same applications, no twins (the SPA's URLs follow this run's SPA_PORT).
        assert [(a["client_id"], a["name"]) for a in clients(data_dir)] == \
            [(a["client_id"], a["name"]) for a in apps]
        users = json.loads(subprocess.run([signet_bin(), "users", "list", "--json", "--data-dir",
                                           str(data_dir)], capture_output=True, text=True,
                                          check=True).stdout)
        assert sorted(u["email"] for u in users) == ["admin@example.com", "user@example.com"]
        assert after["admin"]["password"] != before["admin"]["password"]  # lost: a new one
        for name in ("m2m", "m2m_without_read", "web"):
            assert after[name]["client_id"] == before[name]["client_id"]
            assert after[name]["client_secret"] != before[name]["client_secret"]
        assert after["user"]["password"] != before["user"]["password"]
        # The printed credentials work; the lost ones no longer do.
        printed = again.printed()
        assert after["m2m"]["client_secret"] in printed and after["user"]["password"] in printed
        status, _, token = token_json(again, after["m2m"])
        assert status == 200, token
        assert call(again, "/api/private-scoped", token["access_token"])[0] == 200
        status, _, token = token_json(again, after["m2m_without_read"])
        assert status == 200 and token["scope"] == "write:messages"
        assert token_json(again, before["m2m"])[0] == 401
        body = {"grant_type": "password", "username": after["user"]["email"],
                "password": after["user"]["password"], "audience": AUDIENCE,
                "scope": "read:messages", "client_id": after["web"]["client_id"],
                "client_secret": after["web"]["client_secret"]}
        status, _, text = curl("--request", "POST", "--url", f"{again.issuer}oauth/token",
                               "--header", "content-type: application/json",
                               "--data", json.dumps(body))
        assert status == 200, text
        assert call(again, "/api/private-scoped", json.loads(text)["access_token"])[0] == 200
    finally:
        assert again.interrupt() == 0


class Terminal:
    """`make run` on a pseudo-terminal, as a person starts it: make and the script in the
    terminal's foreground process group, Ctrl-C typed as the byte the terminal turns into SIGINT."""

    def __init__(self, data_dir: Path):
        self.auth_port, self.api_port = free_port(), free_port()
        self.data_dir = data_dir
        env = clean_env(DATA_DIR=str(data_dir), AUTH_PORT=str(self.auth_port),
                        API_PORT=str(self.api_port), METRICS_PORT=str(free_port()),
                        SPA_PORT=str(free_port()))
        build = os.path.dirname(signet_bin())
        pid, fd = pty.fork()
        if pid == 0:  # the child: a new session whose controlling terminal is the pty
            try:
                os.chdir(REPO)
                # -o build-signet: the binary under test is already built.
                os.execvpe("make", ["make", "-o", "build-signet", "run", f"BUILD={build}"], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.output = b""

    def read_until(self, text: bytes, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while text not in self.output and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: every process holding the terminal has ended
                    return text in self.output
                if not chunk:
                    return text in self.output
                self.output += chunk
        return text in self.output

    def wait(self) -> int:
        self.read_until(b"\0never printed\0", timeout=30)  # drain to EOF
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return status


def processes_naming(*words: str) -> list[str]:
    """The command lines of the processes whose arguments include one of `words`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except OSError:  # ended meanwhile
            continue
        if any(word in arg for word in words for arg in args):
            found.append(" ".join(args))
    return found


def test_ctrl_c_under_make_on_a_terminal_exits_0_quietly(tmp_path):
    term = Terminal(tmp_path / "signet-data")
    assert term.read_until(b"Ctrl-C stops the servers.", START_TIMEOUT), term.output.decode()
    os.write(term.fd, b"\x03")  # Ctrl-C
    status = term.wait()
    text = term.output.decode(errors="replace")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, (status, text)
    assert "make: ***" not in text and "Error" not in text and "Interrupt" not in text
    assert "a server stopped" not in text
    assert not listening(term.auth_port) and not listening(term.api_port)
    assert processes_naming(str(term.data_dir), f"127.0.0.1:{term.api_port}") == []


def test_make_stopped_by_sigterm_on_a_terminal_stops_both_servers(tmp_path):
    term = Terminal(tmp_path / "signet-data")
    assert term.read_until(b"Ctrl-C stops the servers.", START_TIMEOUT), term.output.decode()
    os.kill(term.pid, signal.SIGTERM)  # make only, as `kill <make's pid>` does
    term.wait()
    deadline = time.monotonic() + 30
    while listening(term.auth_port) or listening(term.api_port):
        assert time.monotonic() < deadline, "the servers outlived make"
        time.sleep(0.1)


def test_your_own_tenant_in_signet_data_dir_is_not_the_demos(tmp_path):
    """The README's own tenant lives in SIGNET_DATA_DIR; make run keeps to ./signet-data (or
    DATA_DIR) even when that variable is set in the same shell."""
    own = tmp_path / "my-tenant"
    demo = Demo(tmp_path / "signet-data", tmp_path, cwd=tmp_path, DATA_DIR=None,
                SIGNET_DATA_DIR=str(own)).start()
    try:
        assert (tmp_path / "signet-data/demo.json").exists()
        assert not own.exists()
    finally:
        assert demo.interrupt() == 0
