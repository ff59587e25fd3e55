"""RFC 9110/9112's request rules over raw sockets, as a new user (or a hostile client) would try
them, on both servers: `signet serve` and `signet api`. docs/http.md lists each rule.

- Host missing from HTTP/1.1, repeated or malformed: 400 (RFC 9112 §3.2); an absolute-form
  target is served (§3.2.2).
- Field syntax: whitespace before the colon, names that are not tokens, control characters in
  values, bare CR, obsolete line folding: 400 (§5, §2.2; RFC 9110 §5.5).
- Framing: Transfer-Encoding on HTTP/1.0, beside Content-Length, or without chunked last;
  Content-Length repeated or not a decimal: 400 and close (§6); another coding: 501.
- Versions, forms and methods: HTTP/2.0 in a request line 505; `GET *` 400; CONNECT 501;
  `OPTIONS *` 204 with Allow.
- Expect: 100-continue gets its interim 100 (curl does not stall), or the final answer at once
  when it is known (413); any other expectation 417.
- Pipelining: answered in order, nothing after `Connection: close` or a 400.
"""

from __future__ import annotations

import http.client
import socket
import subprocess

import pytest

from conftest import HTTP_TIMEOUT
from serve_fixtures import module_serve  # noqa: F401

# s; how long a test waits to be sure the server has closed, or has sent nothing.
CLOSE_WAIT = 2.0


@pytest.fixture(scope="module", params=["serve", "api"])
def port(request, module_serve):  # noqa: F811
    if request.param == "serve":
        return module_serve().port
    return request.getfixturevalue("api").port


class _Unclosed:
    """A file whose close() leaves it open: the connection's buffer outlives each response."""

    def __init__(self, file):
        self._file = file

    def __getattr__(self, name):
        return getattr(self._file, name)

    def close(self) -> None:
        pass


class Connection:
    """A raw connection whose responses are read from one buffer, so that pipelined responses
    (several in one read) are not lost between them."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT)
        self.file = self.sock.makefile("rb")

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()
        self.sock.close()

    def makefile(self, *args, **kwargs):  # for http.client.HTTPResponse, which closes it
        return _Unclosed(self.file)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> http.client.HTTPResponse:
        res = http.client.HTTPResponse(self)  # type: ignore[arg-type]
        res.begin()
        res.read()
        return res

    def closed(self) -> bool:
        """Whether the server closes the connection within CLOSE_WAIT without sending anything
        more."""
        self.sock.settimeout(CLOSE_WAIT)
        try:
            return self.file.read() == b""
        except (TimeoutError, socket.timeout):
            return False
        except ConnectionResetError:
            return True


def exchange(port: int, request: bytes) -> tuple[http.client.HTTPResponse, bool]:
    """The response to one raw request, and whether the server then closed the connection."""
    with Connection(port) as conn:
        conn.send(request)
        res = conn.response()
        return res, conn.closed()


REFUSED = [
    # §3.2: Host.
    ("HTTP/1.1 without Host", b"GET /healthz HTTP/1.1\r\n\r\n"),
    ("two Hosts", b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    ("a Host with a path", b"GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n"),
    # §5: field syntax.
    ("a space before the colon", b"GET /healthz HTTP/1.1\r\nHost : a\r\n\r\n"),
    ("a field name that is not a token", b"GET /healthz HTTP/1.1\r\nHost: a\r\nX(y): z\r\n\r\n"),
    ("NUL in a value", b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n"),
    ("bare CR in a value", b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n"),
    ("obsolete line folding", b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"),
    # §3: the request line.
    ("a garbage version", b"GET /healthz HTTP/1.x\r\nHost: a\r\n\r\n"),
    ("a quote in the target", b"GET /healthz?a=\"b\" HTTP/1.1\r\nHost: a\r\n\r\n"),
    ("the asterisk form with GET", b"GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
    ("the authority form with GET", b"GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n"),
    # §6: framing.
    ("chunked HTTP/1.0",
     b"POST /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("Transfer-Encoding with Content-Length",
     b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("two Content-Lengths",
     b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"),
    ("a Content-Length that is not a decimal",
     b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0x2\r\n\r\n{}"),
    ("chunked not last",
     b"POST /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
]


@pytest.mark.parametrize("name,request_bytes", REFUSED, ids=[c[0] for c in REFUSED])
def test_requests_rfc_9112_refuses_get_400_and_a_close(port, name, request_bytes):
    res, was_closed = exchange(port, request_bytes)
    assert res.status == 400, name
    assert res.getheader("Connection") == "close", name
    assert was_closed, name


OTHER_REFUSALS = [
    ("HTTP/2.0", b"GET /healthz HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ("a coding before chunked",
     b"POST /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
     501),
    ("CONNECT", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501),
    ("an unknown expectation",
     b"POST /healthz HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}", 417),
    ("a body over the limit",
     b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n", 413),
]


@pytest.mark.parametrize("name,request_bytes,status", OTHER_REFUSALS,
                         ids=[c[0] for c in OTHER_REFUSALS])
def test_other_refusals_have_their_status_and_close(port, name, request_bytes, status):
    res, was_closed = exchange(port, request_bytes)
    assert res.status == status, name
    assert was_closed, name


def test_an_absolute_form_target_is_served(port):
    res, _ = exchange(port, f"GET http://127.0.0.1:{port}/healthz HTTP/1.1\r\n"
                            f"Host: elsewhere\r\n\r\n".encode())
    assert res.status == 200


def test_http_10_closes_unless_keep_alive_is_asked(port):
    res, was_closed = exchange(port, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert res.status == 200  # HTTP/1.0 needs no Host
    assert was_closed
    with Connection(port) as conn:
        for _ in range(2):
            conn.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            res = conn.response()
            assert res.status == 200
            assert res.getheader("Connection").lower() == "keep-alive"


def test_options_asterisk_answers_for_the_server(port):
    with Connection(port) as conn:
        conn.send(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        res = conn.response()
        assert res.status == 204
        assert {"GET", "HEAD", "OPTIONS"} <= set(res.getheader("Allow").split(", "))
        conn.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")  # the connection stays usable
        assert conn.response().status == 200


def test_pipelined_requests_are_answered_in_order_up_to_connection_close(port):
    get = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
    with Connection(port) as conn:
        conn.send(get + b"GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
                  + b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" + get)
        assert [conn.response().status for _ in range(2)] == [200, 404]
        last = conn.response()
        assert last.status == 200
        assert last.getheader("Connection") == "close"
        assert conn.closed()  # the fourth request is never answered


def test_a_bad_request_in_a_pipeline_is_the_last_answered(port):
    get = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
    with Connection(port) as conn:
        conn.send(get + b"GET /healthz HTTP/1.1\r\nHost : a\r\n\r\n" + get)
        assert conn.response().status == 200
        assert conn.response().status == 400
        assert conn.closed()


def test_expect_100_continue_gets_an_interim_response_before_the_body(port):
    with Connection(port) as conn:
        conn.send(b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        # Read before sending the body: without the 100 this read times out.
        assert conn.file.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert conn.file.readline() == b"\r\n"
        conn.send(b"{}")
        assert conn.response().status == 405  # the body was read; GET-only path


def run_curl(port: int, *args: str) -> subprocess.CompletedProcess:
    # --expect100-timeout far above --max-time: if the server held back its 100, curl would fail
    # on --max-time instead of sending the body anyway after a pause.
    return subprocess.run(
        ["curl", "--silent", "--show-error", "--verbose", "--max-time", "20",
         "--expect100-timeout", "60", "--output", "/dev/null", "--write-out", "%{http_code}",
         *args, f"http://127.0.0.1:{port}/healthz"],
        capture_output=True, text=True, timeout=HTTP_TIMEOUT * 2, check=False)


def test_curl_with_100_continue_does_not_stall(port):
    done = run_curl(port, "-H", "Expect: 100-continue", "--data-binary", "{}")
    assert done.returncode == 0, done.stderr
    assert "< HTTP/1.1 100 Continue" in done.stderr
    assert done.stdout == "405"


def test_curl_with_a_body_over_the_limit_gets_413_without_a_100(port, tmp_path):
    # curl asks for 100-continue by itself for a body this large (over 1 MB).
    body = tmp_path / "body"
    body.write_bytes(b"a" * (2 * 1024 * 1024))
    done = run_curl(port, "--data-binary", f"@{body}")
    assert done.returncode == 0, done.stderr
    assert "> Expect: 100-continue" in done.stderr
    assert "100 Continue" not in done.stderr.replace("> Expect: 100-continue", "")
    assert done.stdout == "413"
