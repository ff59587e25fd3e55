"""HTTPS end to end: `signet dev-cert` makes a local CA and a certificate for localhost, and the
quickstart runs over it — `signet serve` with the issuer https://localhost:PORT/, tokens by client
credentials (form and JSON) and password, and `signet api` serving HTTPS while it fetches the
issuer's keys over HTTPS, trusting the CA through SSL_CERT_FILE or --ca-file. Then `make run
HTTPS=1` (scripts/run-demo.sh): its printed calls work with curl --cacert, and Ctrl-C stops all
servers.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess

import jwt
import pytest
import requests

from conftest import HTTP_TIMEOUT, SignetProcess, clean_env, signet_bin
from issuer import free_port
from serve_fixtures import (CLI_TIMEOUT, ServeProcess, Tenant, assert_token_response,
                            wait_for)

AUDIENCE = "https://quickstarts/api"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_TIMEOUT = 60.0  # s; the demo creates its tenant with a dozen CLI calls, then starts 2 servers


def dev_cert(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run([signet_bin(), "dev-cert", *args], env=clean_env(), capture_output=True,
                         text=True, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
    if check:
        assert res.returncode == 0, res.stderr
    return res


def dev_cert_json(*args: str) -> dict:
    return json.loads(dev_cert(*args, "--json").stdout)


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def read(path: str) -> str:
    with open(path, encoding="ascii") as f:
        return f.read()


def pem_blocks(text: str) -> list[str]:
    return re.findall(r"-----BEGIN CERTIFICATE-----\n.*?-----END CERTIFICATE-----\n", text,
                      re.DOTALL)


def openssl_verify(ca_file: str, cert_file: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "verify", "-x509_strict", "-purpose", "sslserver",
                           "-verify_hostname", "localhost", "-CAfile", ca_file, cert_file],
                          capture_output=True, text=True, timeout=30)


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- signet dev-cert


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> dict:
    """One dev-cert run in a fresh data directory: its --json output."""
    data = tmp_path_factory.mktemp("https") / "data"
    out = dev_cert_json("--data-dir", str(data))
    out["data_dir"] = str(data)
    return out


def test_dev_cert_writes_four_files_with_their_modes(tls):
    tls_dir = os.path.join(tls["data_dir"], "tls")
    assert tls["ca_file"] == os.path.join(tls_dir, "ca.pem")
    assert tls["ca_key_file"] == os.path.join(tls_dir, "ca-key.pem")
    assert tls["cert_file"] == os.path.join(tls_dir, "cert.pem")
    assert tls["key_file"] == os.path.join(tls_dir, "key.pem")
    assert sorted(tls["created"]) == sorted(
        [tls["ca_file"], tls["ca_key_file"], tls["cert_file"], tls["key_file"]])
    assert mode(tls_dir) == 0o700
    assert mode(tls["ca_file"]) == 0o644
    assert mode(tls["ca_key_file"]) == 0o600
    assert mode(tls["cert_file"]) == 0o644
    assert mode(tls["key_file"]) == 0o600
    assert sorted(os.listdir(tls_dir)) == ["ca-key.pem", "ca.pem", "cert.pem", "key.pem"]
    # cert.pem: the server certificate, then the CA, the chain a TLS server sends.
    chain = pem_blocks(read(tls["cert_file"]))
    assert len(chain) == 2 and chain[1] == read(tls["ca_file"])
    for key in (tls["ca_key_file"], tls["key_file"]):
        assert read(key).startswith("-----BEGIN PRIVATE KEY-----\n")


def test_openssl_verifies_the_certificate_against_the_ca(tls):
    res = openssl_verify(tls["ca_file"], tls["cert_file"])
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"{tls['cert_file']}: OK"
    text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", tls["cert_file"]],
                          capture_output=True, text=True, timeout=30, check=True).stdout
    assert "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1" in text
    assert "ASN1 OID: prime256v1" in text and "ecdsa-with-SHA256" in text


def test_dev_cert_is_idempotent_and_force_renews_only_the_certificate(tmp_path):
    out_dir = str(tmp_path / "certs")
    first = dev_cert_json("--out-dir", out_dir)
    assert len(first["created"]) == 4
    assert not (tmp_path / "signet-data").exists()  # --out-dir needs no data directory
    before = {name: read(first[name]) for name in ("ca_file", "ca_key_file", "cert_file",
                                                   "key_file")}

    again = dev_cert_json("--out-dir", out_dir)
    assert again["created"] == []
    assert {name: read(again[name]) for name in before} == before

    forced = dev_cert_json("--out-dir", out_dir, "--force")
    assert sorted(forced["created"]) == sorted([first["cert_file"], first["key_file"]])
    assert read(forced["ca_file"]) == before["ca_file"]
    assert read(forced["ca_key_file"]) == before["ca_key_file"]
    assert read(forced["cert_file"]) != before["cert_file"]
    assert read(forced["key_file"]) != before["key_file"]
    assert mode(forced["key_file"]) == 0o600 and mode(forced["cert_file"]) == 0o644
    assert openssl_verify(forced["ca_file"], forced["cert_file"]).returncode == 0
    assert sorted(os.listdir(out_dir)) == ["ca-key.pem", "ca.pem", "cert.pem", "key.pem"]


def test_dev_cert_replaces_a_certificate_the_ca_did_not_sign(tmp_path):
    mine = dev_cert_json("--out-dir", str(tmp_path / "mine"))
    other = dev_cert_json("--out-dir", str(tmp_path / "other"))
    for name in ("cert_file", "key_file"):
        with open(mine[name], "w", encoding="ascii") as f:
            f.write(read(other[name]))
    res = dev_cert("--out-dir", str(tmp_path / "mine"))
    assert "does not verify against the CA" in res.stdout, res.stdout
    assert openssl_verify(mine["ca_file"], mine["cert_file"]).returncode == 0

    # A missing key is replaced too, and a key others can read is made owner-only.
    os.remove(mine["key_file"])
    assert dev_cert_json("--out-dir", str(tmp_path / "mine"))["created"] == [
        mine["cert_file"], mine["key_file"]]
    os.chmod(mine["key_file"], 0o644)
    res = dev_cert("--out-dir", str(tmp_path / "mine"))
    assert "owner-only" in res.stdout
    assert mode(mine["key_file"]) == 0o600


def test_dev_cert_refuses_to_replace_a_broken_ca(tmp_path):
    out = dev_cert_json("--out-dir", str(tmp_path))
    with open(out["ca_key_file"], "w", encoding="ascii") as f:
        f.write("not a key\n")
    res = dev_cert("--out-dir", str(tmp_path), check=False)
    assert res.returncode == 1
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("signet: "), res.stderr
    assert "remove both to create a new CA" in lines[0]


def test_dev_cert_says_how_to_trust_the_ca(tmp_path):
    res = dev_cert("--out-dir", str(tmp_path))
    ca = str(tmp_path / "ca.pem")
    for hint in (f"--ca-file {ca}", f"SSL_CERT_FILE={ca}", f"curl --cacert {ca}",
                 f'verify="{ca}"', "update-ca-certificates", f"--tls-cert {tmp_path}/cert.pem",
                 f"--tls-key {tmp_path}/key.pem", "signet development CA"):
        assert hint in res.stdout, (hint, res.stdout)


# --- the quickstart over HTTPS


class TlsServe(ServeProcess):
    """`signet serve` over HTTPS with the issuer https://localhost:PORT/, as a user would run it."""

    def __init__(self, data_dir: str, log_dir: str, tls: dict):
        super().__init__(data_dir, log_dir, "--tls-cert", tls["cert_file"], "--tls-key",
                         tls["key_file"])
        self.verify = tls["ca_file"]

    @property
    def base(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def issuer(self) -> str:
        return f"https://localhost:{self.port}/"

    def start(self, port: int | None = None) -> "TlsServe":
        for _ in range(5):
            chosen = free_port()
            self.args = ["serve", "--listen", f"127.0.0.1:{chosen}",
                         "--issuer", f"https://localhost:{chosen}/",
                         "--data-dir", self.data_dir, *self.flags]
            self._launch(chosen)
            if self.wait_ready():
                return self
            if "Address already in use" in self.stderr_text():
                self.stop()
                continue
            raise AssertionError(f"signet serve did not become ready (exit code "
                                 f"{self.proc.poll()}); stderr:\n{self.stderr_text()}")
        raise AssertionError("signet serve found no free port in 5 attempts")

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("verify", self.verify)
        return super().get(path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("verify", self.verify)
        return super().post(path, **kwargs)


class Quickstart:
    """The quickstart's tenant on an HTTPS `signet serve`."""

    def __init__(self, tls: dict, log_dir: str):
        self.tls = tls
        self.log_dir = log_dir
        self.server = TlsServe(tls["data_dir"], log_dir, tls).start()
        t = Tenant(self.server)
        t.api(AUDIENCE, scopes=("read:messages", "write:messages"))
        self.m2m = t.client()
        t.grant(self.m2m, AUDIENCE, ("read:messages",))
        self.without_read = t.client()
        t.grant(self.without_read, AUDIENCE, ("write:messages",))
        self.web = t.client(type="regular_web", grant_types="password,refresh_token")
        self.user = t.user(permissions={AUDIENCE: ("read:messages",)})
        t.sync()

    @property
    def token_url(self) -> str:
        return self.server.issuer + "oauth/token"

    def client_credentials(self, client, as_json: bool = False) -> requests.Response:
        body = {"grant_type": "client_credentials", "client_id": client.client_id,
                "client_secret": client.client_secret, "audience": AUDIENCE}
        kwargs = {"json": body} if as_json else {"data": body}
        return requests.post(self.token_url, verify=self.tls["ca_file"], timeout=HTTP_TIMEOUT,
                             **kwargs)

    def messages_api(self, *flags: str, env: dict | None = None) -> SignetProcess:
        return SignetProcess(["api", "--issuer", self.server.issuer, "--audience", AUDIENCE,
                              "--tls-cert", self.tls["cert_file"], "--tls-key",
                              self.tls["key_file"], *flags],
                             self.log_dir, env=env, verify=self.tls["ca_file"]).start()


@pytest.fixture(scope="module")
def qs(tls, tmp_path_factory):
    quickstart = Quickstart(tls, str(tmp_path_factory.mktemp("quickstart")))
    yield quickstart
    quickstart.server.stop()


def test_discovery_names_the_https_issuer(qs):
    meta = qs.server.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == qs.server.issuer
    assert meta["token_endpoint"] == qs.token_url
    assert meta["jwks_uri"].startswith(qs.server.issuer)


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_client_credentials_over_https(qs, as_json):
    body = assert_token_response(qs.client_credentials(qs.m2m, as_json=as_json))
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"] == qs.server.issuer
    assert claims["aud"] == AUDIENCE
    assert claims["scope"] == "read:messages"


def test_password_grant_over_https(qs):
    res = requests.post(qs.token_url, verify=qs.tls["ca_file"], timeout=HTTP_TIMEOUT, json={
        "grant_type": "password", "username": qs.user.email, "password": qs.user.password,
        "audience": AUDIENCE, "scope": "read:messages", "client_id": qs.web.client_id,
        "client_secret": qs.web.client_secret})
    claims = jwt.decode(assert_token_response(res)["access_token"],
                        options={"verify_signature": False})
    assert claims["sub"] == qs.user.id and claims["gty"] == "password"
    assert "read:messages" in claims["scope"].split()


@pytest.mark.parametrize("trust", ["SSL_CERT_FILE", "--ca-file"])
def test_messages_api_over_https_trusting_the_dev_ca(qs, trust):
    if trust == "SSL_CERT_FILE":
        api = qs.messages_api(env=clean_env(SSL_CERT_FILE=qs.tls["ca_file"]))
    else:
        api = qs.messages_api("--ca-file", qs.tls["ca_file"])
    try:
        def call(path: str, token: str | None = None) -> requests.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return requests.get(api.url(path), headers=headers, verify=qs.tls["ca_file"],
                                timeout=HTTP_TIMEOUT)

        token = assert_token_response(qs.client_credentials(qs.m2m))["access_token"]
        unscoped = assert_token_response(qs.client_credentials(qs.without_read))["access_token"]
        assert call("/api/public").status_code == 200
        res = call("/api/private")
        assert res.status_code == 401 and res.headers["WWW-Authenticate"].startswith("Bearer")
        # 200 proves the API fetched the issuer's keys over HTTPS, trusting the dev CA.
        res = call("/api/private", token)
        assert res.status_code == 200, (res.text, api.stderr_text())
        assert call("/api/private-scoped", token).status_code == 200
        res = call("/api/private-scoped", unscoped)
        assert res.status_code == 403 and res.json()["error"] == "insufficient_scope"
    finally:
        api.stop()


def test_messages_api_not_trusting_the_dev_ca_gets_no_keys(qs):
    api = qs.messages_api()  # clean environment, no --ca-file: the system store only
    try:
        token = assert_token_response(qs.client_credentials(qs.m2m))["access_token"]
        res = requests.get(api.url("/api/private"), verify=qs.tls["ca_file"],
                           headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT)
        assert res.status_code == 503, res.text
        wait_for(lambda: "certificate" in api.stderr_text(), what="the refused certificate logged")
    finally:
        api.stop()


def test_clients_not_trusting_the_dev_ca_fail_verification(qs):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(qs.server.url("/healthz"), timeout=HTTP_TIMEOUT)  # system store only
    res = subprocess.run(["curl", "-sS", "-o", "/dev/null", qs.server.url("/healthz")],
                         env=clean_env(), capture_output=True, text=True, timeout=30)
    assert res.returncode == 60, res.stderr  # CURLE_PEER_FAILED_VERIFICATION
    res = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                          qs.tls["ca_file"], qs.server.url("/healthz")],
                         env=clean_env(), capture_output=True, text=True, timeout=30)
    assert res.returncode == 0 and res.stdout == "200", res.stderr


def test_plain_http_to_the_tls_port_fails_cleanly(qs):
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{qs.server.port}/healthz", timeout=5)
    assert qs.server.proc.poll() is None
    assert qs.server.get("/healthz").status_code == 200


# --- make run HTTPS=1


def signet_processes_using(path: str) -> list[int]:
    """Pids of processes whose command line mentions `path` (the demo's data directory)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(path.encode() in arg for arg in argv) and int(entry) != os.getpid():
            pids.append(int(entry))
    return pids


CURL_POST = re.compile(
    r"curl --cacert '(?P<ca>[^']+)' --request POST \\\n\s+--url '(?P<url>[^']+)' \\\n"
    r"\s+--header '(?P<header>[^']+)' \\\n\s+--data '(?P<data>[^']+)'")
CURL_SCOPED = re.compile(r"curl --cacert '(?P<ca>[^']+)' --request GET --url (?P<url>\S+/api/"
                         r"private-scoped) \\\n\s+--header \"authorization: Bearer")


def curl(*args: str) -> tuple[int, dict]:
    res = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", *args], env=clean_env(),
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    body, _, status = res.stdout.rpartition("\n")
    return int(status), json.loads(body)


def test_make_run_https(tmp_path):
    data = str(tmp_path / "demo-data")
    auth_port, api_port = free_port(), free_port()
    while api_port == auth_port:
        api_port = free_port()
    log = open(tmp_path / "run-demo.out", "w+", encoding="utf-8")
    env = clean_env(HTTPS="1", DATA_DIR=data, AUTH_PORT=str(auth_port), API_PORT=str(api_port),
                    METRICS_PORT=str(free_port()), SPA_PORT=str(free_port()))
    # Its own session, so that Ctrl-C can be sent to the script and both servers at once, as a
    # terminal does.
    demo = subprocess.Popen(["bash", os.path.join(REPO, "scripts", "run-demo.sh"), signet_bin()],
                            env=env, cwd=str(tmp_path), stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def printed():
            assert demo.poll() is None, f"run-demo.sh exited early:\n{read(log.name)}"
            text = read(log.name)
            return text if "Ctrl-C stops the servers." in text else None

        text = wait_for(printed, timeout=DEMO_TIMEOUT, what="run-demo.sh to print the calls")
        with open(os.path.join(data, "demo.json"), encoding="utf-8") as f:
            demo_json = json.load(f)

        post = CURL_POST.search(text)
        assert post, text
        assert os.path.samefile(post["ca"], os.path.join(data, "tls", "ca.pem"))
        assert post["url"] == f"https://localhost:{auth_port}/oauth/token"
        status, body = curl("--cacert", post["ca"], "--request", "POST", "--url", post["url"],
                            "--header", post["header"], "--data", post["data"])
        assert status == 200, body
        assert body["token_type"] == "Bearer"
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert claims["iss"] == f"https://localhost:{auth_port}/"
        assert claims["azp"] == demo_json["m2m"]["client_id"]

        scoped = CURL_SCOPED.search(text)
        assert scoped, text
        assert scoped["url"] == f"https://localhost:{api_port}/api/private-scoped"
        status, res = curl("--cacert", scoped["ca"], "--request", "GET", "--url", scoped["url"],
                           "--header", f"authorization: Bearer {body['access_token']}")
        assert status == 200, res

        # Step 4's client lacks read:messages: 403 on the scoped endpoint.
        other = demo_json["m2m_without_read"]
        status, token = curl("--cacert", post["ca"], "--request", "POST", "--url", post["url"],
                             "--header", "content-type: application/json", "--data", json.dumps({
                                 "grant_type": "client_credentials", **other,
                                 "audience": demo_json["audience"]}))
        assert status == 200, token
        status, res = curl("--cacert", scoped["ca"], "--url", scoped["url"], "--header",
                           f"authorization: Bearer {token['access_token']}")
        assert status == 403 and res["error"] == "insufficient_scope", res

        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=20) == 0, read(log.name)
        wait_for(lambda: not signet_processes_using(data), timeout=10,
                 what="the servers to exit")
        assert not listening(auth_port) and not listening(api_port)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
        for pid in signet_processes_using(data):
            os.kill(pid, signal.SIGKILL)
        log.close()
