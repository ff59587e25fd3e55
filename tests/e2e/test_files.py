"""End-to-end tests of the files signet trusts with secrets: the data directory, master.key and
the directory and keys of `signet dev-cert`.

Each must belong to the user running signet (or root) and be writable by nobody else; master.key
and the private keys readable by nobody else either (signet/common/file_safety.h). Anything else
is refused before anything is read or written, with one line that names the path and the command
that fixes it. Tests that need "another user" give the file to `nobody` (uid 65534), which only
root can do: they are skipped, saying so, for other users.

Also here: read-only admin commands create no data directory and name the absolute path they
looked at; the dev CA signs for the loopback names only (nameConstraints); and no signet process
can dump core (the secrets above would end up in the core file).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess

import pytest

from conftest import READY_TIMEOUT, STOP_TIMEOUT, clean_env, signet_bin
from issuer import free_port
from serve_fixtures import wait_for

RUN_TIMEOUT = 60.0  # s; a refusal comes before any key generation, well under a second
NOBODY = 65534      # Debian's "nobody": another user for the ownership tests
API = "https://api.example.com/"

needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="giving a file to another user (nobody) needs root")


def signet(*args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([signet_bin(), *args], env=env if env is not None else clean_env(),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          stdin=subprocess.DEVNULL, cwd=cwd)


def serve(data_dir, env: dict | None = None) -> subprocess.CompletedProcess:
    """`signet serve` expected to refuse at start; a server that starts instead fails the test by
    running into RUN_TIMEOUT."""
    port = free_port()
    return signet("serve", "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{port}",
                  "--issuer", f"http://127.0.0.1:{port}/", env=env)


def assert_refused(res, *needles: str):
    """Exit status 1, nothing on stdout, one line "signet: ..." on stderr holding each needle."""
    assert res.returncode == 1, (res.returncode, res.stderr)
    assert res.stdout == "", res.stdout
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("signet: "), res.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def listing(path) -> list[str]:
    return sorted(os.listdir(path))


@pytest.fixture
def data_dir(tmp_path):
    """A data directory with a store, a master key and an API, made by the CLI itself."""
    directory = tmp_path / "signet-data"
    res = signet("apis", "create", "--identifier", API, "--name", "Example",
                 "--data-dir", str(directory))
    assert res.returncode == 0, res.stderr
    res = signet("clients", "create", "--name", "Backend", "--data-dir", str(directory))
    assert res.returncode == 0, res.stderr
    assert mode(directory) == 0o700 and mode(directory / "master.key") == 0o600
    return directory


# --- the data directory


@pytest.mark.parametrize("unsafe_mode", [0o770, 0o720, 0o707, 0o777, 0o1777])
def test_serve_refuses_a_data_directory_others_can_write(data_dir, unsafe_mode):
    os.chmod(data_dir, unsafe_mode)
    before = listing(data_dir)
    assert_refused(serve(data_dir), f"the data directory {data_dir}", "writable by group or others",
                   f"chmod 700 {data_dir}")
    assert listing(data_dir) == before


@pytest.mark.parametrize("args", [
    ["apis", "list"], ["apis", "show", API], ["apis", "create", "--identifier", "urn:x",
                                              "--name", "x"],
    ["clients", "list"], ["clients", "create", "--name", "x"], ["grants", "list"],
    ["users", "list"], ["keys", "list"], ["keys", "jwks"], ["keys", "create"],
    ["dev-cert"],
], ids=" ".join)
def test_admin_commands_refuse_a_data_directory_others_can_write(data_dir, args):
    os.chmod(data_dir, 0o775)
    before = listing(data_dir)
    assert_refused(signet(*args, "--data-dir", str(data_dir)),
                   f"the data directory {data_dir}", f"chmod 700 {data_dir}")
    assert listing(data_dir) == before


def test_a_data_directory_others_can_read_but_not_write_is_used(data_dir):
    os.chmod(data_dir, 0o755)  # e.g. made by hand with the default umask
    res = signet("apis", "list", "--data-dir", str(data_dir))
    assert res.returncode == 0, res.stderr
    assert API in res.stdout


@needs_root
def test_another_users_data_directory_is_refused(data_dir):
    os.chown(data_dir, NOBODY, NOBODY)
    for res in (serve(data_dir), signet("apis", "list", "--data-dir", str(data_dir))):
        assert_refused(res, f"the data directory {data_dir}", "belongs to nobody",
                       f"sudo chown -R root {data_dir}")


# --- master.key


@pytest.mark.parametrize("unsafe_mode", [0o640, 0o604, 0o644, 0o660, 0o602])
def test_a_master_key_others_can_read_or_write_is_refused(data_dir, unsafe_mode):
    key = data_dir / "master.key"
    os.chmod(key, unsafe_mode)
    for res in (serve(data_dir), signet("clients", "create", "--name", "y",
                                        "--data-dir", str(data_dir))):
        assert_refused(res, f"the master key file {key}", f"chmod 600 {key}")
    assert mode(key) == unsafe_mode  # refused, not silently changed


def test_a_symlinked_master_key_is_refused(data_dir, tmp_path):
    key = data_dir / "master.key"
    elsewhere = tmp_path / "elsewhere.key"
    os.rename(key, elsewhere)
    os.symlink(elsewhere, key)
    assert_refused(serve(data_dir), f"the master key file {key}", "symbolic link")


@needs_root
def test_another_users_master_key_is_refused(data_dir):
    key = data_dir / "master.key"
    os.chown(key, NOBODY, NOBODY)
    assert_refused(serve(data_dir), f"the master key file {key}", "belongs to nobody",
                   f"sudo chown root {key}")


# --- signet dev-cert


def dev_cert(out_dir) -> subprocess.CompletedProcess:
    return signet("dev-cert", "--out-dir", str(out_dir))


@pytest.fixture
def certs(tmp_path):
    out = tmp_path / "certs"
    res = dev_cert(out)
    assert res.returncode == 0, res.stderr
    return out


@pytest.mark.parametrize("unsafe_mode", [0o770, 0o777, 0o1777])
def test_dev_cert_refuses_an_output_directory_others_can_write(tmp_path, unsafe_mode):
    out = tmp_path / "shared"
    out.mkdir()
    os.chmod(out, unsafe_mode)
    assert_refused(dev_cert(out), f"the certificate directory {out}", f"chmod 700 {out}")
    assert listing(out) == []  # no CA key left where others could take or replace it


def test_dev_cert_refuses_its_existing_directory_once_others_can_write_it(certs):
    before = {name: (certs / name).read_bytes() for name in listing(certs)}
    os.chmod(certs, 0o757)
    assert_refused(dev_cert(certs), f"the certificate directory {certs}", f"chmod 700 {certs}")
    assert {name: (certs / name).read_bytes() for name in listing(certs)} == before


@pytest.mark.parametrize("name, fix", [("ca-key.pem", "chmod 600"), ("key.pem", "chmod 600"),
                                       ("ca.pem", "chmod 644"), ("cert.pem", "chmod 644")])
def test_dev_cert_refuses_files_others_can_write(certs, name, fix):
    os.chmod(certs / name, 0o666)
    assert_refused(dev_cert(certs), str(certs / name), "writable by group or others",
                   f"{fix} {certs / name}")


@pytest.mark.parametrize("name", ["ca-key.pem", "ca.pem", "key.pem"])
def test_dev_cert_refuses_symlinked_files(certs, tmp_path, name):
    elsewhere = tmp_path / f"elsewhere-{name}"
    os.rename(certs / name, elsewhere)
    os.symlink(elsewhere, certs / name)
    assert_refused(dev_cert(certs), str(certs / name), "symbolic link")


@needs_root
def test_dev_cert_refuses_another_users_directory_or_ca_key(certs):
    os.chown(certs / "ca-key.pem", NOBODY, NOBODY)
    assert_refused(dev_cert(certs), str(certs / "ca-key.pem"), "belongs to nobody")
    os.chown(certs / "ca-key.pem", 0, 0)
    os.chown(certs, NOBODY, NOBODY)
    assert_refused(dev_cert(certs), f"the certificate directory {certs}", "belongs to nobody")


# --- read-only commands create nothing, and every message names the absolute data directory

READ_ONLY = [
    ["apis", "list"], ["apis", "show", API], ["apis", "permissions", "list", API],
    ["clients", "list"], ["clients", "show", "some-client"], ["grants", "list"],
    ["grants", "show", "1"], ["users", "list"], ["users", "show", "ada@example.com"],
    ["users", "permissions", "list", "ada@example.com"], ["keys", "list"], ["keys", "jwks"],
]


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_read_only_commands_refuse_a_missing_data_directory_and_create_nothing(tmp_path, args):
    # Relative, as an admin in the wrong directory would type it: the message shows where it is.
    res = signet(*args, "--data-dir", "nowhere/signet-data", cwd=tmp_path)
    absolute = tmp_path / "nowhere" / "signet-data"
    assert_refused(res, f"no data directory {absolute}:", "--data-dir", "SIGNET_DATA_DIR",
                   "signet serve")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("args", [["apis", "list"], ["keys", "list"]], ids=" ".join)
def test_the_default_data_directory_is_named_absolute_and_not_created(tmp_path, args):
    assert_refused(signet(*args, cwd=tmp_path), f"no data directory {tmp_path / 'signet-data'}:")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("args", [["apis", "list"], ["users", "show", "x"], ["keys", "jwks"]],
                         ids=" ".join)
def test_read_only_commands_refuse_a_data_directory_without_a_store(tmp_path, args):
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o700)
    assert_refused(signet(*args, "--data-dir", str(empty)),
                   f"no store in the data directory {empty} (signet.db is missing)")
    assert listing(empty) == []


def test_a_command_that_writes_still_creates_the_data_directory(tmp_path):
    res = signet("apis", "create", "--identifier", API, "--name", "x", "--data-dir", "d",
                 cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert mode(tmp_path / "d") == 0o700
    res = signet("apis", "list", "--data-dir", "d", cwd=tmp_path)
    assert res.returncode == 0 and API in res.stdout, res.stderr


def test_errors_about_the_data_directory_name_it_absolute(data_dir):
    os.chmod(data_dir, 0o770)
    res = signet("apis", "list", "--data-dir", data_dir.name, cwd=data_dir.parent)
    assert_refused(res, f"the data directory {data_dir} is writable", f"chmod 700 {data_dir}")


def test_serve_logs_the_absolute_data_directory(tmp_path):
    port = free_port()
    log_path = tmp_path / "serve.stderr"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([signet_bin(), "serve", "--data-dir", "rel/data",
                                 "--listen", f"127.0.0.1:{port}",
                                 "--issuer", f"http://127.0.0.1:{port}/"],
                                env=clean_env(), cwd=tmp_path, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log)
    try:
        started = wait_for(lambda: started_line(log_path), timeout=READY_TIMEOUT,
                           what="serve's start line")
        assert started["data_dir"] == str(tmp_path / "rel" / "data")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_TIMEOUT)


def started_line(log_path) -> dict | None:
    """serve's "listening" log line as JSON, once written."""
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if "listening" in entry.get("msg", ""):
                return entry
    return None


# --- the dev CA signs for the loopback names only

OLD_CA_CONFIG = """[req]
distinguished_name = dn
x509_extensions = v3
prompt = no
[dn]
CN = signet development CA
[v3]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
"""


def openssl(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          cwd=cwd)


def sign_with_ca(certs, work, names: str) -> str:
    """A server certificate for `names`, signed with ca-key.pem as a thief would sign it."""
    cn = names.split(",")[0].split(":", 1)[1]
    (work / "ext.cnf").write_text(
        f"subjectAltName = {names}\nbasicConstraints = critical,CA:FALSE\n"
        "extendedKeyUsage = serverAuth\n")
    res = openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-nodes", "-subj", f"/CN={cn}", "-keyout", "forged.key", "-out", "forged.csr",
                  cwd=work)
    assert res.returncode == 0, res.stderr
    res = openssl("x509", "-req", "-in", "forged.csr", "-CA", str(certs / "ca.pem"),
                  "-CAkey", str(certs / "ca-key.pem"), "-set_serial", "7", "-days", "1",
                  "-extfile", "ext.cnf", "-out", "forged.pem", cwd=work)
    assert res.returncode == 0, res.stderr
    return str(work / "forged.pem")


def test_the_dev_ca_is_name_constrained_to_the_loopback_names(certs):
    res = openssl("x509", "-noout", "-ext", "nameConstraints", "-in", str(certs / "ca.pem"))
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    assert "X509v3 Name Constraints: critical" in text, text
    assert ("Permitted: DNS:localhost IP:127.0.0.0/255.0.0.0 "
            "IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF") in text, text
    assert "Excluded" not in text


@pytest.mark.parametrize("names", ["DNS:example.com", "DNS:localhost,DNS:example.com",
                                   "IP:10.0.0.1", "DNS:localhost.example.com"])
def test_a_certificate_for_another_name_signed_with_the_ca_key_does_not_verify(certs, tmp_path,
                                                                               names):
    forged = sign_with_ca(certs, tmp_path, names)
    res = openssl("verify", "-CAfile", str(certs / "ca.pem"), forged)
    assert res.returncode != 0, res.stdout
    assert "permitted subtree violation" in res.stdout + res.stderr, res.stdout + res.stderr


def test_a_certificate_for_localhost_signed_with_the_ca_key_verifies(certs, tmp_path):
    # The control for the test above: the same steps, within the constraints.
    forged = sign_with_ca(certs, tmp_path, "DNS:localhost,IP:127.0.0.1,IP:::1")
    res = openssl("verify", "-CAfile", str(certs / "ca.pem"), forged)
    assert res.returncode == 0, res.stdout + res.stderr


def test_dev_cert_replaces_a_ca_made_without_name_constraints(tmp_path):
    out = tmp_path / "certs"
    out.mkdir(mode=0o700)
    (tmp_path / "old-ca.cnf").write_text(OLD_CA_CONFIG)
    res = openssl("req", "-x509", "-config", str(tmp_path / "old-ca.cnf"), "-newkey", "ec",
                  "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
                  "-keyout", str(out / "ca-key.pem"), "-out", str(out / "ca.pem"))
    assert res.returncode == 0, res.stderr
    old_ca = (out / "ca.pem").read_text()

    res = dev_cert(out)
    assert res.returncode == 0, res.stderr
    assert "the previous CA could sign for any name" in res.stdout, res.stdout
    assert "This is a new CA" in res.stdout, res.stdout
    assert (out / "ca.pem").read_text() != old_ca
    ext = openssl("x509", "-noout", "-ext", "nameConstraints", "-in", str(out / "ca.pem"))
    assert "DNS:localhost" in ext.stdout, ext.stdout + ext.stderr
    res = openssl("verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname",
                  "localhost", "-CAfile", str(out / "ca.pem"), str(out / "cert.pem"))
    assert res.returncode == 0, res.stdout + res.stderr
    # The new CA is kept from then on: dev-cert stays idempotent.
    again = signet("dev-cert", "--out-dir", str(out), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["created"] == []


# --- no core dumps: the processes hold the master key, signing keys, secrets and passwords

CORE_LIMIT_BEFORE = 1 << 20  # bytes; what the tests start signet with, so a 0 is signet's doing


def allow_core_files():
    """Runs in the child before exec: a non-zero core limit, as a shell with `ulimit -c` has."""
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    limit = CORE_LIMIT_BEFORE if hard == resource.RLIM_INFINITY else min(CORE_LIMIT_BEFORE, hard)
    resource.setrlimit(resource.RLIMIT_CORE, (limit, hard))


def core_limits(pid: int) -> tuple[str, str]:
    """The soft and hard "Max core file size" of a running process, from /proc/<pid>/limits."""
    with open(f"/proc/{pid}/limits", encoding="ascii") as f:
        for line in f:
            if line.startswith("Max core file size"):
                soft, hard = line[len("Max core file size"):].split()[:2]
                return soft, hard
    raise AssertionError(f"no core file size in /proc/{pid}/limits")


def assert_not_dumpable(pid: int):
    assert core_limits(pid) == ("0", "0")
    if os.geteuid() != 0:
        # A non-dumpable process's /proc files belong to root (proc(5)); as root, everything
        # already does, so only the limits tell.
        assert os.stat(f"/proc/{pid}/mem").st_uid == 0


def test_serve_cannot_dump_core(tmp_path):
    assert CORE_LIMIT_BEFORE > 0
    port = free_port()
    with open(tmp_path / "serve.stderr", "wb") as log:
        proc = subprocess.Popen([signet_bin(), "serve", "--data-dir", str(tmp_path / "data"),
                                 "--listen", f"127.0.0.1:{port}",
                                 "--issuer", f"http://127.0.0.1:{port}/"],
                                env=clean_env(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                preexec_fn=allow_core_files)
    try:
        wait_for(lambda: started_line(tmp_path / "serve.stderr"), timeout=READY_TIMEOUT,
                 what="serve's start line")
        assert_not_dumpable(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=STOP_TIMEOUT)


def test_a_cli_command_waiting_for_a_password_cannot_dump_core(data_dir):
    # users create holds the master key and, once typed, the password; it waits on stdin for it.
    proc = subprocess.Popen([signet_bin(), "users", "create", "--email", "ada@example.com",
                             "--password-stdin", "--data-dir", str(data_dir)],
                            env=clean_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=allow_core_files)
    try:
        # The limit drops when main starts; until then it is the one the test set.
        wait_for(lambda: core_limits(proc.pid) == ("0", "0"), timeout=READY_TIMEOUT,
                 what="users create to drop its core limit")
        assert_not_dumpable(proc.pid)
    finally:
        out, err = proc.communicate("correct horse battery staple\n", timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, err
