"""What signals do to `signet serve` and `signet api` (docs/operations.md, "Signals"):

- SIGHUP reloads the TLS certificate and key for new connections (open ones keep theirs; a pair
  that does not load is refused and the old one kept) and the --config file's reloadable settings;
- SIGTERM stops accepting, lets requests in flight finish within --shutdown-grace, and exits 0.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess

import pytest

from conftest import STOP_TIMEOUT, SignetProcess, clean_env, signet_bin
from issuer import AUDIENCE, TlsFiles, free_port
from serve_fixtures import wait_for

SIGNAL_TIMEOUT = 15.0  # s; for a log line a signal causes, on a busy machine
SOCKET_TIMEOUT = 15.0  # s


# --- raw connections, so that one connection can be kept open across a reload or a stop


def read_response(sock) -> tuple[int, dict, bytes]:
    """Reads one HTTP/1.1 response with a Content-Length body: (status, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed in the body")
        body += chunk
    return status, headers, body


def get(sock, path: str = "/healthz") -> int:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return read_response(sock)[0]


def tls_connect(port: int) -> ssl.SSLSocket:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the test compares the certificate itself
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT))


def der(tls: TlsFiles) -> bytes:
    with open(tls.cert_file, encoding="ascii") as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def replace(src: str, dst: str):
    """Replaces dst by a copy of src in one rename, as a certificate renewal does."""
    shutil.copyfile(src, dst + ".new")
    os.replace(dst + ".new", dst)


def log_lines(proc: SignetProcess, msg: str) -> list[dict]:
    lines = []
    for line in proc.stderr_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if msg in record.get("msg", ""):
            lines.append(record)
    return lines


def hangup(proc: SignetProcess) -> dict:
    """SIGHUP, then the "reloaded on SIGHUP" line it caused."""
    before = len(log_lines(proc, "reloaded on SIGHUP"))
    proc.proc.send_signal(signal.SIGHUP)
    lines = wait_for(lambda: log_lines(proc, "reloaded on SIGHUP")[before:], SIGNAL_TIMEOUT,
                     what="the reload's log line")
    return lines[0]


def write(path, text: str) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return str(path)


# --- SIGHUP


def test_sighup_reloads_the_certificate_for_new_connections_only(tmp_path):
    a = TlsFiles(str(tmp_path / "a"))
    b = TlsFiles(str(tmp_path / "b"))
    live = tmp_path / "live"
    live.mkdir()
    cert, key = str(live / "cert.pem"), str(live / "key.pem")
    replace(a.cert_file, cert)
    replace(a.key_file, key)
    config = write(tmp_path / "signet.toml", '[serve]\nlog-level = "info"\nthreads = 2\n')
    port = free_port()
    proc = SignetProcess(["serve", "--listen", f"127.0.0.1:{port}", "--issuer",
                          f"https://127.0.0.1:{port}/", "--data-dir", str(tmp_path / "data"),
                          "--tls-cert", cert, "--tls-key", key, "--config", config],
                         str(tmp_path), port=port, verify=a.ca_file).start(listen=None)
    try:
        old = tls_connect(port)
        assert old.getpeercert(binary_form=True) == der(a)
        assert get(old) == 200

        replace(b.cert_file, cert)
        replace(b.key_file, key)
        write(config, '[serve]\nlog-level = "debug"\nthreads = 3\n')
        line = hangup(proc)
        assert line["reloaded"] == ["tls", "log-level"]
        assert log_lines(proc, "takes effect at restart: threads")

        with tls_connect(port) as new:
            assert new.getpeercert(binary_form=True) == der(b)
            assert get(new) == 200
        # The open connection keeps its session, and is still served.
        assert get(old) == 200
        assert old.getpeercert(binary_form=True) == der(a)
        old.close()

        # A broken pair is refused: B stays in use, and the log says why.
        write(cert, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
        line = hangup(proc)
        assert line["reloaded"] == []
        errors = log_lines(proc, "TLS certificate and key not reloaded")
        assert errors and cert in errors[0]["reason"]
        with tls_connect(port) as new:
            assert new.getpeercert(binary_form=True) == der(b)
            assert get(new) == 200

        # A key of another certificate is refused too.
        replace(a.cert_file, cert)
        replace(b.key_file, key)
        hangup(proc)
        assert "mismatch" in log_lines(proc, "TLS certificate and key not reloaded")[-1][
            "reason"]
        with tls_connect(port) as new:
            assert new.getpeercert(binary_form=True) == der(b)
        assert proc.terminate() == 0
    finally:
        proc.stop()


def test_sighup_with_a_broken_config_file_keeps_the_running_settings(tmp_path, make_issuer):
    issuer = make_issuer()
    config = write(tmp_path / "signet.toml", f"""[api]
issuer = "{issuer.url}"
audience = ["{AUDIENCE}"]
""")
    port = free_port()
    proc = SignetProcess(["api", "--config", config, "--listen", f"127.0.0.1:{port}"],
                         str(tmp_path), port=port).start(listen=None)
    try:
        write(config, f'[api]\nissuer = "{issuer.url}"\naudience = ["{AUDIENCE}"]\nlog-levl = 1\n')
        line = hangup(proc)
        assert line["reloaded"] == []
        errors = log_lines(proc, "configuration file not reloaded")
        assert errors[0]["reason"] == (f"{config}:4: [api] unknown key 'log-levl'; did you mean "
                                       "'log-level'? (the keys are the flags of 'signet api "
                                       "--help' without the leading --)")

        # Switched to text: the reload's own line is already written as text.
        write(config, f'[api]\nissuer = "{issuer.url}"\naudience = ["{AUDIENCE}"]\n'
                      'log-format = "text"\n')
        proc.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: " info  reloaded on SIGHUP reloaded=[\"log-format\"]" in
                 proc.stderr_text(), SIGNAL_TIMEOUT, what="the reload's text line")
        assert proc.terminate() == 0
    finally:
        proc.stop()


def test_sighup_without_tls_or_file_is_harmless(tmp_path, make_issuer):
    issuer = make_issuer()
    port = free_port()
    proc = SignetProcess(["api", "--issuer", issuer.url, "--audience", AUDIENCE, "--listen",
                          f"127.0.0.1:{port}"], str(tmp_path), port=port).start(listen=None)
    try:
        assert hangup(proc)["reloaded"] == []
        with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as s:
            assert get(s, "/api/public") == 200
    finally:
        proc.stop()


# --- SIGTERM


def server_read_everything(port: int, client_port: int) -> bool:
    """Whether the server's side of the connection from client_port has nothing left unread
    (ss's Recv-Q is 0): the bytes sent so far are in the server's hands."""
    out = subprocess.run(["ss", "-Htn", "state", "established",
                          f"( sport = :{port} and dport = :{client_port} )"],
                         capture_output=True, text=True, check=True).stdout.split()
    return bool(out) and out[0] == "0"


def start_server(kind: str, tmp_path, make_issuer, *flags: str) -> SignetProcess:
    port = free_port()
    if kind == "serve":
        args = ["serve", "--listen", f"127.0.0.1:{port}", "--issuer", f"http://127.0.0.1:{port}/",
                "--data-dir", str(tmp_path / "data")]
    else:
        args = ["api", "--issuer", make_issuer().url, "--audience", AUDIENCE,
                "--listen", f"127.0.0.1:{port}"]
    return SignetProcess([*args, *flags], str(tmp_path), port=port).start(listen=None)


@pytest.mark.parametrize("kind", ["serve", "api"])
def test_sigterm_drains_a_request_in_flight_and_exits_0(tmp_path, make_issuer, kind):
    proc = start_server(kind, tmp_path, make_issuer, "--shutdown-grace", "60")
    port = proc.port
    try:
        body = b"grant_type=client_credentials&client_id=nobody&client_secret=nothing"
        slow = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        path = "/oauth/token" if kind == "serve" else "/api/public"
        slow.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
        wait_for(lambda: server_read_everything(port, slow.getsockname()[1]), SIGNAL_TIMEOUT,
                 what="the server to read the start of the request")

        proc.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping" in proc.stderr_text(), SIGNAL_TIMEOUT, what="the stop")
        # New connections are refused from now on.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        assert proc.proc.poll() is None  # still draining

        slow.sendall(body[10:])
        status, headers, _ = read_response(slow)
        assert status == (401 if kind == "serve" else 405)
        assert headers["connection"] == "close"
        slow.close()
        assert proc.proc.wait(timeout=STOP_TIMEOUT) == 0
        assert "still open after the shutdown grace" not in proc.stderr_text()
    finally:
        proc.stop()


@pytest.mark.parametrize("kind", ["serve", "api"])
def test_sigterm_closes_what_is_left_after_the_grace_and_exits_0(tmp_path, make_issuer, kind):
    proc = start_server(kind, tmp_path, make_issuer, "--shutdown-grace", "1")
    port = proc.port
    try:
        stuck = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        stuck.sendall(b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nab")
        wait_for(lambda: server_read_everything(port, stuck.getsockname()[1]), SIGNAL_TIMEOUT,
                 what="the server to read the start of the request")
        # The request never completes: the stop waits the grace (1 s, well under the 10 s read
        # timeout that would otherwise end it), closes it, and exits 0.
        assert proc.terminate() == 0
        assert "closing 1 connection(s) still open after the shutdown grace period" in \
            proc.stderr_text()
        stuck.close()
    finally:
        proc.stop()


@pytest.mark.parametrize("kind", ["serve", "api"])
def test_shutdown_grace_is_bounded(tmp_path, kind):
    res = subprocess.run([signet_bin(), kind, "--shutdown-grace", "3601", "--check-config"],
                         env=clean_env(), capture_output=True, text=True, timeout=SIGNAL_TIMEOUT)
    assert res.returncode == 1
    assert "--shutdown-grace" in res.stderr and "3600" in res.stderr
