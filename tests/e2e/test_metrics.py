"""End-to-end tests of GET /metrics and the health checks on both servers (docs/operations.md,
"Metrics and health"): every scrape passes the strict line-by-line check of prometheus_text.py,
each event moves its series by exactly what happened, labels never carry what a client chose, and
/health/ready tells what keeps a server from serving.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest
import requests

from conftest import HTTP_TIMEOUT, clean_env, signet_bin
from issuer import free_port
from serve_fixtures import (Tenant, assert_token_response, client_credentials,  # noqa: F401
                            scrape, start_serve, wait_for)

ISSUED = ("signet_tokens_issued_total", {"grant": "client_credentials", "alg": "RS256"})

SERVE_FAMILIES = {
    "signet_http_requests_total": "counter",
    "signet_http_request_duration_seconds": "histogram",
    "signet_http_open_connections": "gauge",
    "signet_http_refused_connections_total": "counter",
    "signet_tokens_issued_total": "counter",
    "signet_token_endpoint_errors_total": "counter",
    "signet_login_lockouts_total": "counter",
    "signet_login_throttled_total": "counter",
    "signet_refresh_token_reuse_detected_total": "counter",
    "signet_authorization_code_reuse_detected_total": "counter",
    "signet_revocations_total": "counter",
    "signet_introspections_total": "counter",
    "signet_client_keys_jwks_fetches_total": "counter",
    "signet_store_operation_duration_seconds": "histogram",
    "signet_store_errors_total": "counter",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_virtual_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
    "process_start_time_seconds": "gauge",
}


def test_serve_counts_a_token_an_error_and_the_requests(start_serve):
    server = start_serve()
    tenant = Tenant(server)
    api, m2m = tenant.m2m()
    tenant.sync()
    before = server.scrape_metrics()
    for name, kind in SERVE_FAMILIES.items():
        assert before.types.get(name) == kind, name
    assert_token_response(client_credentials(server, m2m, api["identifier"]))
    after = server.scrape_metrics()
    assert after.value(*ISSUED) == before.value(*ISSUED) + 1
    ok = {"route": "/oauth/token", "method": "POST", "status": "200"}
    assert after.value("signet_http_requests_total", ok) == \
        before.value("signet_http_requests_total", ok, default=0) + 1
    assert after.value("signet_http_request_duration_seconds_count", {"route": "/oauth/token"}) \
        >= 1
    # The store is read by every admin command's change the server picks up.
    assert after.value("signet_store_operation_duration_seconds_count",
                       {"operation": "read"}) > 0

    # A bad request: counted under its OAuth error, and no token.
    bad = {"error": "unsupported_grant_type"}
    res = server.token({"grant_type": "no-such-grant", **m2m.creds()})
    assert res.status_code == 400, res.text
    last = server.scrape_metrics()
    assert last.value("signet_token_endpoint_errors_total", bad) == \
        after.value("signet_token_endpoint_errors_total", bad) + 1
    assert last.value(*ISSUED) == after.value(*ISSUED)
    assert last.value("signet_http_requests_total",
                      {"route": "/oauth/token", "method": "POST", "status": "400"}) >= 1


def test_labels_never_carry_what_a_client_chose(start_serve):
    server = start_serve()
    secret = uuid.uuid4().hex
    assert server.get(f"/{secret}").status_code == 404
    assert requests.request("BREW", server.url(f"/{secret}"), timeout=HTTP_TIMEOUT).status_code \
        in (400, 404, 405, 501)
    res = server.metrics_get("/metrics")
    assert secret not in res.text and "BREW" not in res.text
    metrics = server.scrape_metrics()
    assert metrics.value("signet_http_requests_total",
                         {"route": "unmatched", "method": "GET", "status": "404"}) == 1


def test_serve_ready_and_alive(start_serve):
    server = start_serve()
    for base in (server.url, lambda path: f"http://127.0.0.1:{server.metrics_port}{path}"):
        alive = requests.get(base("/health/alive"), timeout=HTTP_TIMEOUT)
        ready = requests.get(base("/health/ready"), timeout=HTTP_TIMEOUT)
        assert (alive.status_code, alive.json()) == (200, {"status": "alive"})
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        assert alive.headers["Cache-Control"] == "no-store"
        assert ready.headers["Cache-Control"] == "no-store"


def start_api(start_signet, issuer, *extra):
    metrics_port = free_port()
    api = start_signet(issuer, "--metrics-listen", f"127.0.0.1:{metrics_port}", *extra)
    api.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    return api


def test_api_counts_verifications_and_cache_hits(start_signet, make_issuer):
    issuer = make_issuer()
    api = start_api(start_signet, issuer)
    token = issuer.mint()
    before = scrape(api.metrics_url)
    for _ in range(2):
        res = requests.get(api.url("/api/private"), headers={"Authorization": f"Bearer {token}"},
                           timeout=HTTP_TIMEOUT)
        assert res.status_code == 200, res.text
    after = scrape(api.metrics_url)
    assert after.value("signet_guard_verified_total") == \
        before.value("signet_guard_verified_total") + 2
    # The first sight of the token checks its signature; the second is served from the cache.
    assert after.value("signet_guard_token_cache_misses_total") == \
        before.value("signet_guard_token_cache_misses_total") + 1
    assert after.value("signet_guard_token_cache_hits_total") == \
        before.value("signet_guard_token_cache_hits_total") + 1
    assert after.value("signet_guard_jwks_fetches_total") >= 1
    assert after.value("signet_http_requests_total",
                       {"route": "/api/private", "method": "GET", "status": "200"}) == 2
    # A refusal is counted under its rule.
    res = requests.get(api.url("/api/private"), headers={"Authorization": "Bearer x.y.z"},
                       timeout=HTTP_TIMEOUT)
    assert res.status_code == 401
    refused = scrape(api.metrics_url).series("signet_guard_refused_total")
    assert sum(refused.values()) == sum(before.series("signet_guard_refused_total").values()) + 1
    # /metrics is not on the public listener without --metrics-on-main.
    assert requests.get(api.url("/metrics"), timeout=HTTP_TIMEOUT).status_code == 404


def test_api_metrics_on_main(start_signet, make_issuer):
    issuer = make_issuer()
    api = start_signet(issuer, "--metrics-on-main")
    assert "signet_guard_verified_total" in scrape(api.url("/metrics")).types


def test_api_is_not_ready_while_its_issuer_is_down(start_signet, make_issuer):
    issuer = make_issuer()
    issuer.stop()  # a dead port: the keys cannot be fetched
    api = start_api(start_signet, issuer)
    res = requests.get(api.url("/health/ready"), timeout=HTTP_TIMEOUT)
    assert res.status_code == 503, res.text
    body = res.json()
    assert body["status"] == "not_ready"
    assert len(body["reasons"]) == 1 and "signing keys are not loaded" in body["reasons"][0]
    assert issuer.url in body["reasons"][0]
    assert res.headers["Cache-Control"] == "no-store"
    # Alive all the same: the process answers, it only cannot verify tokens yet.
    assert requests.get(api.url("/health/alive"), timeout=HTTP_TIMEOUT).status_code == 200

    issuer.restart()

    def ready():
        r = requests.get(api.url("/health/ready"), timeout=HTTP_TIMEOUT)
        return r.status_code == 200 and r.json() == {"status": "ready"}

    wait_for(ready, timeout=15, interval=0.2, what="signet api to load its issuer's keys")
    metrics_ready = requests.get(api.metrics_url.replace("/metrics", "/health/ready"),
                                 timeout=HTTP_TIMEOUT)
    assert metrics_ready.status_code == 200


@pytest.mark.parametrize("value, needle", [
    ("nonsense", "signet: --metrics-listen: listen address 'nonsense' must look like 127.0.0.1:3010"),
    ("same", "is the address of --listen: give the metrics listener its own port"),
])
def test_api_refuses_a_bad_metrics_address(value, needle):
    listen = f"127.0.0.1:{free_port()}"
    res = subprocess.run([signet_bin(), "api", "--issuer", "http://127.0.0.1:1/", "--audience",
                          "x", "--listen", listen, "--metrics-listen",
                          listen if value == "same" else value],
                         env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=30)
    assert res.returncode != 0, res.stderr
    assert res.stderr.startswith("signet: --metrics-listen") and needle in res.stderr, res.stderr
    if value == "same":
        assert f"--metrics-listen {listen} is the address of --listen" in res.stderr
    assert "messages API listening" not in res.stderr
