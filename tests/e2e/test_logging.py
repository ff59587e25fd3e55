"""--log-level and --log-format on `signet serve` and `signet api` (signet/cli/log.h): JSON lines
by default, text for a terminal, lines below the level dropped; never a secret either way."""

from __future__ import annotations

import json
import re
import signal
import subprocess

import pytest

from conftest import STOP_TIMEOUT, SignetProcess, clean_env, signet_bin
from issuer import AUDIENCE, free_port

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info |warn |error) \S")


def start(kind: str, tmp_path, issuer, *flags: str, env: dict | None = None) -> SignetProcess:
    port = free_port()
    if kind == "serve":
        args = ["serve", "--listen", f"127.0.0.1:{port}", "--issuer", f"http://127.0.0.1:{port}/",
                "--data-dir", str(tmp_path / "data")]
    else:
        args = ["api", "--issuer", issuer.url, "--audience", AUDIENCE,
                "--listen", f"127.0.0.1:{port}"]
    return SignetProcess([*args, *flags], str(tmp_path), env=env, port=port).start(listen=None)


def lines(proc: SignetProcess) -> list[str]:
    return [line for line in proc.stderr_text().splitlines() if line]


def is_access_line(line: str) -> bool:
    return line.startswith("{") and '"status":' in line and '"path":' in line


LISTENING = {"serve": "authorization server listening", "api": "messages API listening"}


@pytest.mark.parametrize("kind", ["serve", "api"])
def test_json_lines_by_default(tmp_path, make_issuer, kind):
    proc = start(kind, tmp_path, make_issuer())
    assert proc.terminate() == 0
    records = [json.loads(line) for line in lines(proc)]
    assert any(r.get("msg") == LISTENING[kind] and r["level"] == "info" for r in records)
    assert any(r.get("msg") == "signal 15 received, stopping" for r in records)


@pytest.mark.parametrize("kind", ["serve", "api"])
def test_text_format_for_every_line_but_the_access_log(tmp_path, make_issuer, kind):
    proc = start(kind, tmp_path, make_issuer(), "--log-format", "text")
    assert proc.terminate() == 0
    text = [line for line in lines(proc) if not is_access_line(line)]
    assert text, proc.stderr_text()
    for line in text:
        assert TEXT_LINE.match(line), line
    listening = next(line for line in text if LISTENING[kind] in line)
    assert f" port={proc.port}" in listening
    # the libraries' lines (spdlog) follow the format too
    assert any(line.endswith(" info  signal 15 received, stopping") for line in text), text


@pytest.mark.parametrize("kind", ["serve", "api"])
def test_a_level_drops_what_is_below_it(tmp_path, make_issuer, kind):
    proc = start(kind, tmp_path, make_issuer(), "--no-access-log",
                 env=clean_env(SIGNET_LOG_LEVEL="warn"))
    assert proc.terminate() == 0
    assert LISTENING[kind] not in proc.stderr_text()
    assert "signal 15 received" not in proc.stderr_text()


@pytest.mark.parametrize("flag, value", [("--log-level", "verbose"), ("--log-format", "xml")])
def test_a_bad_value_is_refused(flag, value):
    res = subprocess.run([signet_bin(), "serve", flag, value, "--check-config"], env=clean_env(),
                         capture_output=True, text=True, timeout=STOP_TIMEOUT)
    assert res.returncode == 1
    assert res.stderr.startswith(f"signet: {flag}: {value} not in ")
