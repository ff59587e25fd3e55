"""End-to-end tests of `signet serve --metrics-listen`: the metrics (tokens issued, errors by code,
lockouts) are business volume and live feedback for an attacker, so GET /metrics is served only on
the metrics listener that the operator ties to loopback or a private network, never on the public
one unless --metrics-on-main asks for it; without --metrics-listen the endpoint's counts are
logged at stop. A bad or clashing address stops the start with one line naming the flag.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess

import pytest
import requests

from conftest import HTTP_TIMEOUT, clean_env, signet_bin
from issuer import free_port
from serve_fixtures import (Tenant, assert_token_response, client_credentials,  # noqa: F401
                            scrape, start_serve)

START_TIMEOUT = 60.0  # s; a first start creates signing keys


def start_line(server) -> dict:
    for line in server.stderr_text().splitlines():
        if '"authorization server listening"' in line:
            return json.loads(line)
    raise AssertionError(f"no start line in:\n{server.stderr_text()}")


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


ISSUED = ("signet_tokens_issued_total", {"grant": "client_credentials", "alg": "RS256"})
INVALID_TARGET = ("signet_token_endpoint_errors_total", {"error": "invalid_target"})


def test_metrics_are_not_on_the_public_listener(start_serve):
    server = start_serve()
    unknown = server.get("/no-such-path")
    for path in ("/metrics", "/counters"):
        res = server.get(path)
        assert res.status_code == 404, res.text
        # Answered like any unknown path, so nothing tells that it exists elsewhere.
        assert (res.json(), res.headers.get("Allow")) == (unknown.json(),
                                                          unknown.headers.get("Allow"))
        assert server.post(path).status_code == 404
    assert "metrics" not in server.get("/.well-known/openid-configuration").text
    # The health checks are on both listeners: a load balancer probes the public one.
    assert server.get("/health/alive").json() == {"status": "alive"}
    assert server.get("/health/ready").json() == {"status": "ready"}


def test_metrics_on_main_serves_them_on_the_public_listener_too(start_serve):
    server = start_serve("--metrics-on-main")
    scrape(server.url("/metrics"))
    assert server.metrics_get("/metrics").status_code == 200


def test_the_metrics_listener_serves_the_counts(start_serve):
    server = start_serve()
    tenant = Tenant(server)
    api, m2m = tenant.m2m()
    tenant.sync()
    before = server.scrape_metrics()
    assert_token_response(client_credentials(server, m2m, api["identifier"]))
    assert client_credentials(server, m2m, "https://no-such-api.example/").status_code == 400
    after = server.scrape_metrics()
    assert after.value(*ISSUED) == before.value(*ISSUED) + 1
    assert after.value(*INVALID_TARGET) == before.value(*INVALID_TARGET) + 1
    assert server.metrics_get("/counters").status_code == 404  # gone: the same numbers are here
    assert server.metrics_get("/health/alive").status_code == 200
    assert server.metrics_get("/health/ready").json() == {"status": "ready"}
    # Only the metrics and health checks: none of the public endpoints.
    assert server.metrics_get("/.well-known/jwks.json").status_code == 404
    assert requests.post(f"http://127.0.0.1:{server.metrics_port}/oauth/token",
                         data={"grant_type": "client_credentials"},
                         timeout=HTTP_TIMEOUT).status_code == 404
    line = start_line(server)
    assert line["metrics_url"] == f"http://127.0.0.1:{server.metrics_port}/metrics", line
    assert line["port"] == server.port


def test_without_metrics_listen_counters_are_only_logged_at_stop(start_serve):
    server = start_serve(metrics=False)
    assert server.get("/metrics").status_code == 404
    assert start_line(server)["metrics_url"] == "off"
    assert server.terminate() == 0
    stopped = [json.loads(line) for line in server.stderr_text().splitlines()
               if '"authorization server stopped"' in line]
    assert len(stopped) == 1 and "issued" in stopped[0]["counters"], server.stderr_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_both_listeners(start_serve, sig):
    server = start_serve()
    assert listening(server.metrics_port)
    assert server.terminate(sig) == 0, server.stderr_text()
    assert not listening(server.port) and not listening(server.metrics_port)


def test_the_metrics_address_from_the_environment(tmp_path):
    port, metrics_port = free_port(), free_port()
    env = clean_env(SIGNET_METRICS_LISTEN=f"127.0.0.1:{metrics_port}")
    proc = subprocess.Popen([signet_bin(), "serve", "--listen", f"127.0.0.1:{port}",
                             "--data-dir", str(tmp_path / "data")], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while '"authorization server listening"' not in line:
            line = proc.stderr.readline()
            assert line, "signet serve exited before it listened"
        metrics = scrape(f"http://127.0.0.1:{metrics_port}/metrics")
        assert metrics.types["signet_tokens_issued_total"] == "counter"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def failed_start(tmp_path, *flags: str) -> str:
    """Runs `signet serve FLAGS`, which must refuse to start: exit status 1, one "signet: " line
    on stderr (after any log lines), which is returned."""
    res = subprocess.run([signet_bin(), "serve", "--data-dir", str(tmp_path / "data"), *flags],
                         env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=START_TIMEOUT)
    assert res.returncode == 1, res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("signet: ")]
    assert len(errors) == 1, res.stderr
    assert "authorization server listening" not in res.stderr
    return errors[0]


@pytest.mark.parametrize("value, needle", [
    ("nonsense", "listen address 'nonsense' must look like 127.0.0.1:3010"),
    ("127.0.0.1:99999", "has a bad port '99999'"),
    (":9464", "has no host"),
])
def test_a_bad_metrics_address_stops_the_start(tmp_path, value, needle):
    line = failed_start(tmp_path, "--listen", "127.0.0.1:0", "--metrics-listen", value)
    assert line.startswith("signet: --metrics-listen: "), line
    assert needle in line, line


def test_the_address_of_listen_is_refused(tmp_path):
    address = f"127.0.0.1:{free_port()}"
    line = failed_start(tmp_path, "--listen", address, "--metrics-listen", address)
    assert f"--metrics-listen {address} is the address of --listen" in line, line
    assert "its own port" in line


def test_a_metrics_port_in_use_stops_the_start(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        line = failed_start(tmp_path, "--listen", "127.0.0.1:0",
                            "--metrics-listen", f"127.0.0.1:{taken}")
    assert line.startswith("signet: --metrics-listen: cannot listen on "), line
    assert "Address already in use" in line
