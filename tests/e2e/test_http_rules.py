"""RFC 9112's request rules over raw sockets, as a new user would try them, on both servers:
`signet serve` and `signet api`. A Host header missing from HTTP/1.1, repeated or malformed gets
400 (§3.2); a Transfer-Encoding on HTTP/1.0 is faulty framing, answered 400 and closed (§6.1); an
absolute-form target is served (§3.2.2).
"""

from __future__ import annotations

import http.client
import socket

import pytest

from conftest import HTTP_TIMEOUT
from serve_fixtures import start_serve  # noqa: F401


def exchange(port: int, request: bytes) -> tuple[int, bool]:
    """(status, whether the server then closed the connection) for one raw request."""
    with socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT) as sock:
        sock.sendall(request)
        res = http.client.HTTPResponse(sock)
        res.begin()
        res.read()
        sock.settimeout(2.0)
        try:
            closed = sock.recv(1) == b""
        except (TimeoutError, socket.timeout):
            closed = False
        except ConnectionResetError:
            closed = True
        return res.status, closed


REFUSED = [
    ("HTTP/1.1 without Host", b"GET /healthz HTTP/1.1\r\n\r\n"),
    ("two Hosts", b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    ("a Host with a path", b"GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n"),
    ("chunked HTTP/1.0",
     b"POST /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
]


@pytest.fixture(params=["serve", "api"])
def port(request, start_serve, start_signet, shared_issuer):  # noqa: F811
    if request.param == "serve":
        return start_serve(metrics=False).port
    return start_signet(shared_issuer).port


@pytest.mark.parametrize("name,request_bytes", REFUSED, ids=[c[0] for c in REFUSED])
def test_requests_rfc_9112_refuses_get_400_and_a_close(port, name, request_bytes):
    status, closed = exchange(port, request_bytes)
    assert status == 400, name
    assert closed, name


def test_an_absolute_form_target_is_served(port):
    status, _ = exchange(port, f"GET http://127.0.0.1:{port}/healthz HTTP/1.1\r\n"
                               f"Host: elsewhere\r\n\r\n".encode())
    assert status == 200


def test_http_10_without_host_is_served(port):
    status, closed = exchange(port, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert status == 200
    assert closed  # HTTP/1.0 without keep-alive
