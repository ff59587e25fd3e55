"""The TOML configuration file of `signet serve` and `signet api` (--config, SIGNET_CONFIG), its
precedence (flags > environment > file > defaults), its errors, and --check-config, on the real
binary. The rules themselves are unit-tested in tests/cli/config_file_test.cc."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
import requests

from conftest import HTTP_TIMEOUT, SignetProcess, clean_env, signet_bin
from issuer import AUDIENCE, TlsFiles, free_port

RUN_TIMEOUT = 60.0  # s; a --check-config run or a refused start


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([signet_bin(), *args], env=env if env is not None else clean_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def write(path, text: str) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return str(path)


def bindable(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:port (we can bind it ourselves)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def discovery_issuer(proc: SignetProcess) -> str:
    res = requests.get(proc.url("/.well-known/openid-configuration"), timeout=HTTP_TIMEOUT)
    assert res.status_code == 200, res.text
    return res.json()["issuer"]


def start(args: list[str], tmp_path, port: int, env: dict | None = None) -> SignetProcess:
    proc = SignetProcess(args, str(tmp_path), env=env, port=port)
    return proc.start(listen=None)


# --- serve


def test_serve_takes_every_setting_from_the_file(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    config = write(tmp_path / "signet.toml", f"""
# the quickstart's server, as a file
[serve]
listen = "127.0.0.1:{port}"
issuer = "http://127.0.0.1:{port}/from-file/"
data-dir = "{data}"
lockout-max-failures = 7
no-access-log = true
trusted-proxy = ["10.0.0.0/8", "192.168.0.1"]

[api]
issuer = "http://127.0.0.1:{port}/from-file/"
audience = ["{AUDIENCE}"]
""")
    proc = start(["serve", "--config", config], tmp_path, port)
    try:
        assert discovery_issuer(proc) == f"http://127.0.0.1:{port}/from-file/"
        assert (data / "signet.db").exists()
        # no-access-log = true: a request leaves no access line
        requests.get(proc.url("/healthz"), timeout=HTTP_TIMEOUT)
        assert '"path":"/healthz"' not in proc.stderr_text()
    finally:
        proc.stop()


@pytest.mark.parametrize("given", ["file", "env", "flag"])
def test_serve_precedence_is_flags_then_environment_then_file(tmp_path, given):
    port = free_port()
    config = write(tmp_path / "signet.toml", f"""[serve]
issuer = "http://127.0.0.1:{port}/file/"
data-dir = "{tmp_path / 'data'}"
""")
    env = clean_env(SIGNET_CONFIG=config)
    args = ["serve", "--listen", f"127.0.0.1:{port}"]
    if given in ("env", "flag"):
        env["SIGNET_ISSUER"] = f"http://127.0.0.1:{port}/env/"
    if given == "flag":
        args += ["--issuer", f"http://127.0.0.1:{port}/flag/"]
    proc = start(args, tmp_path, port, env=env)
    try:
        assert discovery_issuer(proc) == f"http://127.0.0.1:{port}/{given}/"
    finally:
        proc.stop()


def test_serve_data_dir_from_the_environment_beats_the_file(tmp_path):
    port = free_port()
    config = write(tmp_path / "signet.toml", f"""[serve]
data-dir = "{tmp_path / 'from-file'}"
""")
    env = clean_env(SIGNET_DATA_DIR=str(tmp_path / "from-env"))
    proc = start(["serve", "--config", config, "--listen", f"127.0.0.1:{port}",
                  "--issuer", f"http://127.0.0.1:{port}/"], tmp_path, port, env=env)
    try:
        assert (tmp_path / "from-env" / "signet.db").exists()
        assert not (tmp_path / "from-file").exists()
    finally:
        proc.stop()


@pytest.mark.parametrize("text, expected", [
    ('[serve]\nlisten = "127.0.0.1:1"\nisuer = "http://x/"\n',
     ":3: [serve] unknown key 'isuer'; did you mean 'issuer'?"),
    ("[serve]\nthreads = \"4\"\n",
     ":2: [serve] 'threads' must be an integer (threads = 4), not a string"),
    ("[serve]\nlockout-max-failures = 0\n", ":2: [serve] lockout-max-failures: "),
    ("[server]\n", ":1: no command reads the table [server]; did you mean [serve]?"),
    ("[serve]\nlisten = \"127.0.0.1:1\n", ":2:"),
    ('[serve]\nconfig = "/etc/signet/other.toml"\n', ":2: [serve] 'config' is not a setting"),
])
def test_serve_refuses_a_bad_file_naming_file_line_and_key(tmp_path, text, expected):
    config = write(tmp_path / "signet.toml", text)
    res = run("serve", "--config", config, "--data-dir", str(tmp_path / "data"))
    assert res.returncode == 1, res.stderr
    assert res.stderr.startswith(f"signet: {config}{expected}"), res.stderr
    assert res.stderr.count("\n") == 1, res.stderr  # one line
    assert not (tmp_path / "data").exists()


def test_a_missing_file_is_named_with_where_its_name_came_from(tmp_path):
    missing = str(tmp_path / "absent.toml")
    res = run("serve", env=clean_env(SIGNET_CONFIG=missing))
    assert res.returncode == 1
    assert res.stderr == (f"signet: cannot read the configuration file {missing}: No such file or "
                          "directory; check the path given by --config or SIGNET_CONFIG\n")


def test_serve_check_config_binds_and_writes_nothing(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    config = write(tmp_path / "signet.toml", f"""[serve]
listen = "127.0.0.1:{port}"
issuer = "https://auth.example.com/"
data-dir = "{data}"
""")
    res = run("serve", "--config", config, "--check-config")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "configuration is valid\n"
    assert not data.exists()
    assert bindable(port)


@pytest.mark.parametrize("setting, expected", [
    ('issuer = "https://auth.example.com"', "--issuer must end with '/'"),
    ('issuer = "ftp://auth.example.com/"', "is not an http(s) URL"),
    ('store = "mysql://db/signet"', "--store takes a postgresql:// URL"),
    ('listen = "127.0.0.1"', "must look like 127.0.0.1:3010"),
    ('trusted-proxy = ["not-a-network"]', "not-a-network"),
    ('tls-cert = "{cert}"', "give both --tls-cert and --tls-key, or neither"),
    ('tls-cert = "{cert}"\ntls-key = "{other_key}"', "key values mismatch"),
    ('tls-cert = "{absent}"', "tls-cert: "),
    ('metrics-listen = "nonsense"', "--metrics-listen: "),
    ('listen = "127.0.0.1:4000"\nmetrics-listen = "127.0.0.1:4000"', "is the address of --listen"),
])
def test_serve_check_config_runs_the_start_up_checks(tmp_path, setting, expected):
    a = TlsFiles(str(tmp_path / "a"))
    b = TlsFiles(str(tmp_path / "b"))
    config = write(tmp_path / "signet.toml", "[serve]\n" + setting.format(
        cert=a.cert_file, other_key=b.key_file, absent=tmp_path / "absent.pem") + "\n")
    res = run("serve", "--config", config, "--check-config",
              "--data-dir", str(tmp_path / "data"))
    assert res.returncode == 1, res.stdout
    assert expected in res.stderr
    assert res.stdout == ""
    assert not (tmp_path / "data").exists()


def test_serve_check_config_accepts_a_tls_pair(tmp_path):
    a = TlsFiles(str(tmp_path / "a"))
    config = write(tmp_path / "signet.toml", f"""[serve]
tls-cert = "{a.cert_file}"
tls-key = "{a.key_file}"
""")
    res = run("serve", "--config", config, "--check-config", "--data-dir", str(tmp_path / "d"))
    assert (res.returncode, res.stdout) == (0, "configuration is valid\n"), res.stderr


def test_serve_check_config_without_a_file_checks_flags_and_environment(tmp_path):
    res = run("serve", "--check-config", "--data-dir", str(tmp_path / "d"),
              env=clean_env(SIGNET_ISSUER="https://no-slash.example.com"))
    assert res.returncode == 1
    assert "--issuer must end with '/'" in res.stderr


# --- api


def test_api_takes_its_required_settings_from_the_file(tmp_path, make_issuer):
    issuer = make_issuer()
    port = free_port()
    config = write(tmp_path / "signet.toml", f"""[api]
issuer = "{issuer.url}"
audience = ["{AUDIENCE}"]
listen = "127.0.0.1:{port}"
leeway = 10

[serve]
threads = 2
""")
    proc = start(["api", "--config", config], tmp_path, port)
    try:
        res = requests.get(proc.url("/api/private"), timeout=HTTP_TIMEOUT,
                           headers={"Authorization": f"Bearer {issuer.mint()}"})
        assert res.status_code == 200, res.text
    finally:
        proc.stop()


def test_api_check_config(tmp_path):
    config = write(tmp_path / "signet.toml", f"""[api]
issuer = "https://auth.example.com/"
audience = ["{AUDIENCE}"]
alg = ["RS256", "ES256"]
""")
    res = run("api", "--config", config, "--check-config")
    assert (res.returncode, res.stdout) == (0, "configuration is valid\n"), res.stderr

    write(tmp_path / "signet.toml", f"""[api]
issuer = "https://auth.example.com/"
audience = ["{AUDIENCE}"]
alg = ["HS256"]
""")
    res = run("api", "--config", config, "--check-config")
    assert res.returncode == 1
    assert "unsupported algorithm 'HS256'" in res.stderr

    write(tmp_path / "signet.toml", f"""[api]
issuer = "https://auth.example.com/"
audience = ["{AUDIENCE}"]
metrics-listen = "nonsense"
""")
    res = run("api", "--config", config, "--check-config")
    assert res.returncode == 1
    assert "--metrics-listen: " in res.stderr


def test_api_without_its_required_settings_says_so(tmp_path):
    config = write(tmp_path / "signet.toml", '[api]\nlisten = "127.0.0.1:0"\n')
    res = run("api", "--config", config, "--check-config")
    assert res.returncode == 1
    assert "--issuer is required" in res.stderr


def test_the_api_table_is_checked_by_api_not_by_serve(tmp_path):
    config = write(tmp_path / "signet.toml", '[api]\nnot-a-flag = 1\n[serve]\n')
    assert run("serve", "--config", config, "--check-config",
               "--data-dir", str(tmp_path / "d")).returncode == 0
    res = run("api", "--config", config, "--check-config")
    assert res.returncode == 1
    assert f"{config}:2: [api] unknown key 'not-a-flag'" in res.stderr


def test_help_names_the_config_flags():
    for command in ("serve", "api"):
        res = run(command, "--help")
        assert res.returncode == 0
        for flag in ("--config", "--check-config", "--log-level", "--log-format",
                     "--shutdown-grace"):
            assert flag in res.stdout, (command, flag)
        assert "SIGNET_CONFIG" in res.stdout
