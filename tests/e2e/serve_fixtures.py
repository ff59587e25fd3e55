"""Shared helpers and fixtures for the end-to-end tests of `signet serve`, the authorization server.

A `ServeProcess` is a real `signet serve` on 127.0.0.1 with its issuer set to the URL it listens
on; a `Tenant` creates APIs, applications, client grants and users in the server's data directory
with the real admin CLI (`signet apis|clients|grants|users ... --json`), as an operator would while
the server runs. Config changes reach the server by polling (every 250 ms), so `Tenant.sync()`
waits until everything written so far is visible to the server.

Test modules import the fixtures they use from here (`from serve_fixtures import ...`).
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import signal
import subprocess
import time
import urllib.parse
import uuid

import jwt
import pytest
import requests

import prometheus_text
from conftest import HTTP_TIMEOUT, SignetProcess, clean_env, signet_bin
from issuer import free_port

CLI_TIMEOUT = 60.0       # s; per admin command (RSA key generation is the slow part)
SYNC_TIMEOUT = 5.0       # s; the server polls the store every 250 ms
DEFAULT_PASSWORD = "correct horse battery staple 42"
LEEWAY = 5               # s of clock skew tolerated when checking iat/exp with PyJWT

_names = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test uses, readable in failure messages."""
    return f"{prefix}-{next(_names)}-{uuid.uuid4().hex[:6]}"


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05, what: str = "condition"):
    """Polls predicate() until it returns something truthy, and returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def wait_for_status(send, status: int, timeout: float = 2.0, what: str = "") -> requests.Response:
    """Repeats send() until its response has `status`, and returns that response. (A 4xx
    Response is falsy, so wait_for alone will not do.)"""
    last: list[requests.Response] = []

    def attempt():
        last[:] = [send()]
        return last[0].status_code == status

    try:
        wait_for(attempt, timeout=timeout, what=what or f"status {status}")
    except AssertionError as e:
        raise AssertionError(f"{e}; last answer: {last[0].status_code} {last[0].text}") from None
    return last[0]


# --- the admin CLI


def run_cli(data_dir, *args: str, stdin: str | None = None, check: bool = True,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """`signet ARGS --data-dir DATA_DIR`, its output captured."""
    res = subprocess.run([signet_bin(), *args, "--data-dir", str(data_dir)],
                         env=env if env is not None else clean_env(),
                         input=stdin, capture_output=True, text=True, timeout=CLI_TIMEOUT,
                         stdin=None if stdin is not None else subprocess.DEVNULL)
    if check:
        assert res.returncode == 0, f"signet {' '.join(args)} failed: {res.stderr}"
    return res


def cli_json(data_dir, *args: str, stdin: str | None = None):
    return json.loads(run_cli(data_dir, *args, "--json", stdin=stdin).stdout)


# --- metrics


def scrape(url: str) -> prometheus_text.Metrics:
    """GET `url` (a /metrics endpoint), checked for status, Content-Type, Cache-Control and
    format (prometheus_text.parse)."""
    res = requests.get(url, timeout=HTTP_TIMEOUT)
    assert res.status_code == 200, res.text
    assert res.headers["Content-Type"] == prometheus_text.CONTENT_TYPE, res.headers
    assert res.headers["Cache-Control"] == "no-store", res.headers
    return prometheus_text.parse(res.text)


# --- the server


class ServeProcess(SignetProcess):
    """`signet serve` on 127.0.0.1:<free port>, its issuer http://127.0.0.1:<port>/, and its
    metrics listener (/metrics) on 127.0.0.1:<another free port> unless metrics=False."""

    def __init__(self, data_dir, log_dir: str, *flags: str, env: dict | None = None,
                 metrics: bool = True):
        super().__init__([], log_dir, env=env)
        self.data_dir = str(data_dir)
        self.flags = list(flags)
        self.metrics = metrics
        self.metrics_port: int | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, port: int | None = None) -> "ServeProcess":
        """Starts on `port` (a free one when None) and waits until /healthz answers."""
        for _ in range(5):
            chosen = port or free_port()
            # An --issuer among the flags replaces the listener's own URL (TLS ending at a proxy).
            issuer = [] if "--issuer" in self.flags else ["--issuer", f"http://127.0.0.1:{chosen}/"]
            self.args = ["serve", "--listen", f"127.0.0.1:{chosen}", *issuer,
                         "--data-dir", self.data_dir, *self.flags]
            if self.metrics:
                self.metrics_port = free_port()
                self.args += ["--metrics-listen", f"127.0.0.1:{self.metrics_port}"]
            self._launch(chosen)
            if self.wait_ready():
                return self
            if "Address already in use" in self.stderr_text():
                self.stop()
                if port is None:
                    continue
                time.sleep(0.2)  # our own previous process may still hold it
                continue
            raise AssertionError(f"signet serve did not become ready (exit code "
                                 f"{self.proc.poll()}); stderr:\n{self.stderr_text()}")
        raise AssertionError("signet serve found no free port in 5 attempts")

    def kill(self):
        """SIGKILL: no shutdown, no flushing, as in a crash or an OOM kill."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.stop()

    # --- HTTP

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return requests.get(self.url(path), **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return requests.post(self.url(path), **kwargs)

    def token(self, data: dict | None = None, **kwargs) -> requests.Response:
        """POST /oauth/token with a form body (or json=..., data=str/bytes, headers=...)."""
        return self.post("/oauth/token", data=data, **kwargs)

    def jwks(self) -> dict:
        res = self.get("/.well-known/jwks.json")
        assert res.status_code == 200, res.text
        return res.json()

    def metrics_get(self, path: str, **kwargs) -> requests.Response:
        """GET on the metrics listener (plain HTTP)."""
        assert self.metrics_port is not None, "started with metrics=False"
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return requests.get(f"http://127.0.0.1:{self.metrics_port}{path}", **kwargs)

    def scrape_metrics(self) -> prometheus_text.Metrics:
        """A scrape of GET /metrics on the metrics listener, checked line by line."""
        return scrape(f"http://127.0.0.1:{self.metrics_port}/metrics")

    def metric(self, name: str, labels: dict | None = None) -> float:
        """One series' value now; 0 for a series not reported yet (a collector reports a
        series from its first count)."""
        return self.scrape_metrics().value(name, labels, default=0.0)

    def metric_sum(self, name: str, **match: str) -> float:
        """The sum of the series of `name` whose labels include `match`."""
        return sum(v for labels, v in self.scrape_metrics().series(name).items()
                   if match.items() <= dict(labels).items())


@pytest.fixture
def start_serve(tmp_path):
    """start_serve(*flags, data_dir=None, metrics=True, env=None) -> a ready ServeProcess; all
    stopped at teardown."""
    started: list[ServeProcess] = []

    def start(*flags: str, data_dir=None, metrics: bool = True,
              env: dict | None = None) -> ServeProcess:
        proc = ServeProcess(data_dir or tmp_path / f"data{len(started)}", str(tmp_path), *flags,
                            metrics=metrics, env=env)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="module")
def module_serve(tmp_path_factory):
    """module_serve(*flags) -> a ready ServeProcess shared by a module's tests."""
    started: list[ServeProcess] = []

    def start(*flags: str) -> ServeProcess:
        directory = tmp_path_factory.mktemp("serve")
        proc = ServeProcess(directory / "data", str(directory), *flags)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


# --- the tenant: APIs, applications, grants and users made with the admin CLI


@dataclasses.dataclass
class Client:
    client_id: str
    client_secret: str
    auth_method: str = "client_secret_post"

    def creds(self) -> dict:
        """client_secret_post: the credentials as body parameters."""
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def basic(self, secret: str | None = None) -> dict:
        """client_secret_basic: the Authorization header, id and secret form-urlencoded before
        base64 (RFC 6749 §2.3.1)."""
        return {"Authorization": basic_header(self.client_id,
                                              self.client_secret if secret is None else secret)}


@dataclasses.dataclass
class User:
    id: str
    email: str
    password: str


def basic_header(client_id: str, secret: str) -> str:
    raw = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return "Basic " + base64.b64encode(raw.encode()).decode("ascii")


class Tenant:
    """Creates tenant objects in `server`'s data directory with the admin CLI."""

    def __init__(self, server: ServeProcess):
        self.server = server
        self.data_dir = server.data_dir

    def cli(self, *args: str, stdin: str | None = None, check: bool = True):
        return run_cli(self.data_dir, *args, stdin=stdin, check=check)

    def cli_json(self, *args: str, stdin: str | None = None):
        return cli_json(self.data_dir, *args, stdin=stdin)

    def api(self, identifier: str | None = None, *, scopes=("read:messages",),
            alg: str | None = None, lifetime: int | None = None, offline: bool = False,
            profile: str | None = None) -> dict:
        identifier = identifier or f"https://{unique('api')}.example/"
        args = ["apis", "create", "--identifier", identifier, "--name", f"API {identifier}"]
        if scopes:
            args += ["--scopes", " ".join(scopes)]
        if alg:
            args += ["--alg", alg]
        if lifetime is not None:
            args += ["--token-lifetime", str(lifetime)]
        if offline:
            args.append("--allow-offline-access")
        if profile:
            args += ["--token-profile", profile]
        return self.cli_json(*args)

    def client(self, *, type: str = "m2m", grant_types: str | None = None,
               auth_method: str | None = None) -> Client:
        args = ["clients", "create", "--name", unique("client"), "--type", type]
        if grant_types:
            args += ["--grant-types", grant_types]
        if auth_method:
            args += ["--auth-method", auth_method]
        out = self.cli_json(*args)
        assert len(out["client_secret"]) >= 43, out  # at least 256 bits, base64url
        return Client(out["client_id"], out["client_secret"], out["token_endpoint_auth_method"])

    def grant(self, client: Client, audience: str, scopes=("read:messages",)) -> dict:
        return self.cli_json("grants", "create", "--client-id", client.client_id,
                             "--audience", audience, "--scopes", " ".join(scopes))

    def user(self, *, password: str = DEFAULT_PASSWORD, email: str | None = None,
             permissions: dict[str, tuple] | None = None) -> User:
        email = email or f"{unique('user')}@example.com"
        out = self.cli_json("users", "create", "--email", email, "--password-stdin",
                            stdin=password + "\n")
        for audience, scopes in (permissions or {}).items():
            self.cli("users", "permissions", "add", out["id"], "--audience", audience, *scopes)
        return User(out["id"], email, password)

    def m2m(self, scopes=("read:messages", "write:messages"), grant=None, **api_kwargs):
        """An API with `scopes`, an m2m client and a grant of `grant` (default: all scopes)."""
        api = self.api(scopes=scopes, **api_kwargs)
        client = self.client()
        self.grant(client, api["identifier"], grant if grant is not None else scopes)
        return api, client

    def sync(self):
        """Waits until the server sees every change made so far: writes a marker API and waits
        until its permission shows in the discovery document (the server loads the store as one
        snapshot, so everything written before the marker is in it too)."""
        marker = f"sync:{uuid.uuid4().hex[:10]}"
        self.cli("apis", "create", "--identifier", f"urn:e2e:{marker}", "--name", marker,
                 "--scopes", marker)

        def visible():
            res = self.server.get("/.well-known/openid-configuration")
            return res.status_code == 200 and marker in res.json()["scopes_supported"]

        wait_for(visible, timeout=SYNC_TIMEOUT, what=f"the server to load {marker}")


# --- token requests and their checks


def client_credentials(server: ServeProcess, client: Client, audience: str, **extra):
    """A client_credentials request, authenticated the way the client is registered."""
    data = {"grant_type": "client_credentials", "audience": audience, **extra}
    if client.auth_method == "client_secret_basic":
        return server.token(data, headers=client.basic())
    return server.token({**data, **client.creds()})


def password_grant(server: ServeProcess, client: Client, user: User, audience: str,
                   password: str | None = None, **extra):
    data = {"grant_type": "password", "username": user.email,
            "password": user.password if password is None else password,
            "audience": audience, **client.creds(), **extra}
    return server.token(data)


def refresh_grant(server: ServeProcess, client: Client, refresh_token: str, **extra):
    return server.token({"grant_type": "refresh_token", "refresh_token": refresh_token,
                         **client.creds(), **extra})


def assert_no_store(res: requests.Response):
    assert res.headers.get("Cache-Control") == "no-store", res.headers
    assert res.headers.get("Pragma") == "no-cache", res.headers


def assert_token_response(res: requests.Response) -> dict:
    assert res.status_code == 200, res.text
    assert res.headers["Content-Type"] == "application/json"
    assert_no_store(res)
    body = res.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    return body


def assert_oauth_error(res: requests.Response, status: int, error: str,
                       contains: str | None = None, basic_challenge: bool = False) -> str:
    """An RFC 6749 §5.2 error: status, exactly {"error", "error_description"}, no-store, and a
    Basic challenge exactly when asked for. Returns the description."""
    assert res.status_code == status, f"{res.status_code} {res.text}"
    assert res.headers["Content-Type"] == "application/json"
    assert_no_store(res)
    body = res.json()
    assert set(body) == {"error", "error_description"}, body
    assert body["error"] == error, body
    description = body["error_description"]
    assert isinstance(description, str) and description, body
    if contains is not None:
        assert contains in description, body
    challenge = res.headers.get("WWW-Authenticate")
    if basic_challenge:
        assert challenge is not None and challenge.startswith("Basic "), res.headers
        assert 'realm="' in challenge
    else:
        assert challenge is None, res.headers
    return description


def unverified(token: str) -> tuple[dict, dict]:
    """(header, claims) of a JWT, without checking anything."""
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def verify_with_jwks(token: str, jwks: dict, audience: str | list | None, issuer: str) -> dict:
    """Verifies a token the way an independent validator would: PyJWT, the key picked by kid from
    the served JWKS, the algorithm taken from the JWK (never from the token). Returns the claims;
    raises jwt.PyJWTError (or KeyError when no key has the token's kid)."""
    kid = jwt.get_unverified_header(token)["kid"]
    matches = [k for k in jwks["keys"] if k["kid"] == kid]
    if not matches:
        raise jwt.InvalidKeyError(f"no key with kid {kid!r} in the JWKS")
    key = jwt.PyJWK(matches[0])
    options = {"require": ["iss", "sub", "aud", "iat", "exp"]}
    if audience is None:
        options["verify_aud"] = False
    return jwt.decode(token, key.key, algorithms=[matches[0]["alg"]], audience=audience,
                      issuer=issuer, leeway=LEEWAY, options=options)
