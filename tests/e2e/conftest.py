"""Fixtures for signet's end-to-end tests: a test issuer and real `signet api` processes.

Every process started here is stopped in fixture teardown, also when the test fails; the stderr of
every signet process alive during a failed test is attached to its report.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.dirname(__file__))

from issuer import AUDIENCE, TestIssuer, free_port  # noqa: E402

READY_TIMEOUT = 30.0  # s; generous: signet fetches keys (up to its 5 s timeout) before serving
STOP_TIMEOUT = 15.0   # s; signet's own shutdown grace is 10 s
HTTP_TIMEOUT = 15.0   # s; per request made by the tests


def signet_bin() -> str:
    path = os.environ.get("SIGNET_BIN", "")
    if not path or not os.access(path, os.X_OK):
        pytest.exit(f"SIGNET_BIN must name the built signet binary (got {path!r})", returncode=2)
    return path


def clean_env(**extra) -> dict:
    """The test's environment without SIGNET_* (or SSL_CERT_*) leaking in from outside."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SIGNET_") and not k.startswith("SSL_CERT_")}
    env.update(extra)
    return env


_live: list["SignetProcess"] = []  # every signet process currently running, for failure reports


class SignetProcess:
    """One `signet api` process listening on 127.0.0.1:port, its stderr in a file."""

    def __init__(self, args: list[str], log_dir: str, env: dict | None = None,
                 port: int | None = None, verify: str | None = None):
        self.args = args
        self.verify = verify  # CA file when signet serves HTTPS (--tls-cert), else None
        self.env = env if env is not None else clean_env()
        self.port = port
        self.log_path = None
        self.proc = None
        self._log_dir = log_dir

    @property
    def base(self) -> str:
        return f"{'https' if self.verify else 'http'}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def stderr_text(self) -> str:
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def _launch(self, port: int):
        self.port = port
        self.log_path = os.path.join(self._log_dir, f"signet-{port}-{time.monotonic_ns()}.stderr")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([signet_bin(), *self.args], env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        _live.append(self)

    def start(self, listen: str | None = "flag") -> "SignetProcess":
        """Starts signet and waits until /healthz answers. listen="flag" adds --listen with a
        free port, listen="env" sets SIGNET_LISTEN instead, None uses self.port as given. A free
        port taken by someone else before signet binds it is retried with another."""
        base_args = list(self.args)
        for _ in range(5):
            port = self.port if listen is None else free_port()
            if listen == "flag":
                self.args = [*base_args, "--listen", f"127.0.0.1:{port}"]
            elif listen == "env":
                self.env = {**self.env, "SIGNET_LISTEN": f"127.0.0.1:{port}"}
            self._launch(port)
            if self.wait_ready():
                return self
            if listen is not None and "Address already in use" in self.stderr_text():
                self.stop()
                continue
            raise AssertionError(f"signet did not become ready (exit code {self.proc.poll()}); "
                                 f"stderr:\n{self.stderr_text()}")
        raise AssertionError("signet found no free port in 5 attempts")

    def wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                res = requests.get(self.url("/healthz"), timeout=2, verify=self.verify or True)
                if res.status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        return False

    def terminate(self, sig: int = signal.SIGTERM) -> int | None:
        """Sends `sig` and waits; returns the exit code, or None if it did not exit in time."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.poll() if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            if self.terminate() is None:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        if self in _live:
            _live.remove(self)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for proc in list(_live):
            text = proc.stderr_text()
            lines = text.splitlines()
            if len(lines) > 200:
                text = "\n".join(["[... earlier lines cut ...]", *lines[-200:]])
            report.sections.append((f"signet stderr (port {proc.port}, {' '.join(proc.args)})",
                                    text))


@pytest.fixture(scope="session")
def binary() -> str:
    return signet_bin()


def signet_args(issuer: TestIssuer, *extra: str) -> list[str]:
    return ["api", "--issuer", issuer.url, "--audience", AUDIENCE, *extra]


@pytest.fixture
def start_signet(tmp_path, binary):
    """start_signet(issuer, *extra_flags, env=None, listen="flag", args=None, port=None,
    verify=None) -> SignetProcess, ready to serve. All of them are stopped at teardown."""
    started: list[SignetProcess] = []

    def start(issuer: TestIssuer | None = None, *extra: str, env: dict | None = None,
              listen: str | None = "flag", args: list[str] | None = None,
              port: int | None = None, verify: str | None = None):
        proc = SignetProcess(args if args is not None else signet_args(issuer, *extra),
                             str(tmp_path), env=env, port=port, verify=verify)
        started.append(proc)
        return proc.start(listen=listen)

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def make_issuer(tmp_path):
    """make_issuer(https=False, algorithms=("RS256",), tls_names=...) -> a started TestIssuer,
    stopped at teardown."""
    issuers: list[TestIssuer] = []

    def make(https: bool = False, algorithms=("RS256",), **kwargs) -> TestIssuer:
        tls_dir = str(tmp_path / f"tls{len(issuers)}") if https else None
        issuer = TestIssuer(tls_dir=tls_dir, algorithms=algorithms, **kwargs).start()
        issuers.append(issuer)
        return issuer

    yield make
    for issuer in issuers:
        issuer.stop()


@pytest.fixture(scope="module")
def shared_issuer():
    """One issuer with a key for every algorithm, for tests that change nothing on it."""
    issuer = TestIssuer().start()
    yield issuer
    issuer.stop()


@pytest.fixture(scope="module")
def api(shared_issuer, tmp_path_factory, binary):
    """One `signet api` against shared_issuer, for tests that only send requests."""
    proc = SignetProcess(signet_args(shared_issuer), str(tmp_path_factory.mktemp("api")))
    try:
        yield proc.start()
    finally:
        proc.stop()
