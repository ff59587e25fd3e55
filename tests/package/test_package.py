"""The Debian packages as an operator gets them: built by cpack from the build tree into a scratch
directory, listed (dpkg-deb -c / -I), unpacked into a scratch root (dpkg-deb -x) and checked there
— the files and their modes, the conffiles, the units (systemd-analyze verify inside the root),
the maintainer scripts, the man pages, the packaged binary and its shipped configuration. Needs
neither root nor systemd running, and never writes outside its temporary directories.

CTest's package_deb runs it (CMakeLists.txt) with SIGNET_BUILD_DIR, a built tree, and
SIGNET_VERSION, the project's version.
"""

import gzip
import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

BUILD = Path(os.environ.get("SIGNET_BUILD_DIR", "build")).resolve()
VERSION = os.environ.get("SIGNET_VERSION", "")
REPO = Path(__file__).resolve().parents[2]
UNITS = ("signet-serve.service", "signet-api.service")
# signet's default drain on SIGTERM (kDefaultShutdownGrace in signet/http/server.h): a unit's
# stop timeout must be above it, or systemd kills a server that is still finishing requests.
DRAIN_GRACE_SECONDS = 10
# `systemd-analyze security`'s exposure score (0 best, 10 worst) the units must stay under; 1.4
# today, the rest being what a network server needs (sockets, the host's network).
MAX_EXPOSURE = 2.0
# The directives our units use, each checked to exist in Debian 12's systemd 252
# (`/lib/systemd/systemd --dump-configuration-items`): the fallback when systemd is not installed.
SYSTEMD_252_DIRECTIVES = {
    "Unit": {"Description", "Documentation", "After", "Wants"},
    "Service": {
        "Type", "ExecStart", "ExecReload", "KillSignal", "TimeoutStopSec", "Restart", "RestartSec",
        "User", "Group", "StateDirectory", "StateDirectoryMode", "WorkingDirectory", "UMask",
        "LimitNOFILE", "CapabilityBoundingSet", "AmbientCapabilities", "NoNewPrivileges",
        "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
        "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock",
        "ProtectHostname", "ProtectProc", "RestrictAddressFamilies", "RestrictNamespaces",
        "PrivateMounts", "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality",
        "MemoryDenyWriteExecute", "SystemCallArchitectures", "SystemCallFilter",
        "SystemCallErrorNumber",
    },
    "Install": {"WantedBy"},
}
# What both units must say, as issue 11 and docs/install.md promise.
HARDENING = {
    "User": "signet",
    "Group": "signet",
    "KillSignal": "SIGTERM",
    "Restart": "on-failure",
    "ExecReload": "/bin/kill -HUP $MAINPID",
    "UMask": "0077",
    "CapabilityBoundingSet": "",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "SystemCallFilter": "@system-service ~@privileged",
}
# Options of `signet serve|api --help` that are not settings: the config file itself and help.
NOT_CONFIG_KEYS = {"help", "config", "check-config"}


def run(args, **kwargs):
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False,
                          **kwargs)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


def clean_env():
    """The environment without SIGNET_*: the checks see what the files say, nothing else."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SIGNET_")}


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    """{package name: .deb path}, built by cpack from the build tree into a scratch directory
    (not the build tree's own, so that a `make package` at the same time is not disturbed)."""
    out = tmp_path_factory.mktemp("cpack")
    assert (BUILD / "CPackConfig.cmake").exists(), f"no CPack config in {BUILD}: configure first"
    run(["cpack", "--config", BUILD / "CPackConfig.cmake", "-B", out])
    found = {}
    for deb in out.glob("*.deb"):
        found[run(["dpkg-deb", "-f", deb, "Package"]).stdout.strip()] = deb
    assert set(found) == {"signet", "libsignet-dev"}, found
    return found


@pytest.fixture(scope="module")
def root(debs, tmp_path_factory):
    """The signet package unpacked into a scratch root, as dpkg would lay it out."""
    path = tmp_path_factory.mktemp("root")
    run(["dpkg-deb", "-x", debs["signet"], path])
    return path


@pytest.fixture(scope="module")
def control(debs, tmp_path_factory):
    path = tmp_path_factory.mktemp("control") / "DEBIAN"
    run(["dpkg-deb", "-e", debs["signet"], path])
    return path


def listing(deb):
    """{path: (mode string, owner)} from `dpkg-deb -c`, directories with their trailing '/'."""
    files = {}
    for line in run(["dpkg-deb", "-c", deb]).stdout.splitlines():
        mode, owner, _size, _date, _time, name = line.split(None, 5)
        files[name.split(" -> ")[0].removeprefix(".")] = (mode, owner)
    return files


def commands():
    """The commands `signet --help` lists, from the packaged binary's own help."""
    text = run([BUILD / "signet", "--help"]).stdout
    section = text.split("\nSubcommands:\n", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  (\S+)", section, re.M)]


def test_the_program_package_holds_the_binary_units_config_man_pages_and_docs(debs):
    files = listing(debs["signet"])
    regular = {p: m for p, m in files.items() if not p.endswith("/")}
    pages = {f"/usr/share/man/man1/signet-{c}.1.gz" for c in commands()}
    expected = {
        "/usr/bin/signet": "-rwxr-xr-x",
        "/etc/signet/signet.toml": "-rw-r--r--",
        "/lib/systemd/system/signet-serve.service": "-rw-r--r--",
        "/lib/systemd/system/signet-api.service": "-rw-r--r--",
        "/usr/share/doc/signet/copyright": "-rw-r--r--",
        "/usr/share/doc/signet/install.md": "-rw-r--r--",
        "/usr/share/man/man1/signet.1.gz": "-rw-r--r--",
        **{p: "-rw-r--r--" for p in pages},
    }
    assert {p: m for p, (m, _) in regular.items()} == expected
    for path, (mode, owner) in files.items():
        assert owner == "root/root", path
        if path.endswith("/"):
            assert mode == "drwxr-xr-x", path


def test_the_dev_package_holds_headers_static_libraries_and_the_cmake_package(debs):
    files = [p for p in listing(debs["libsignet-dev"]) if not p.endswith("/")]
    assert "/usr/include/signet/guard/guard.h" in files
    assert any(re.fullmatch(r"/usr/lib/(.+/)?libsignet_guard\.a", p) for p in files)
    assert any(p.endswith("/cmake/signet/signetConfig.cmake") for p in files)
    assert "/usr/share/doc/libsignet-dev/copyright" in files
    strays = [p for p in files if not p.startswith(("/usr/include/", "/usr/lib/", "/usr/share/doc/"))]
    assert strays == [], "the dev package holds only headers, libraries and its copyright"
    depends = run(["dpkg-deb", "-f", debs["libsignet-dev"], "Depends"]).stdout
    for dev in ("libssl-dev", "libboost-json1.81-dev", "libspdlog-dev", "libpq5"):
        assert dev in depends


def test_control_fields_come_from_the_project_and_dpkg_shlibdeps(debs):
    fields = run(["dpkg-deb", "-f", debs["signet"], "Package", "Version", "Architecture",
                  "Depends", "Maintainer", "Section"]).stdout
    assert f"Version: {VERSION}-1\n" in fields
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    assert f"Architecture: {arch}\n" in fields
    depends = re.search(r"^Depends: (.*)$", fields, re.M).group(1)
    # adduser for postinst, libpq5 for dlopen; the rest found by dpkg-shlibdeps in NEEDED.
    for package in ("adduser", "libc6", "libssl3", "libsqlite3-0", "libpq5", "libargon2-1"):
        assert re.search(rf"(^|, ){re.escape(package)}( |,|$)", depends), (package, depends)
    assert "Maintainer: " in fields
    for package, summary in (("signet", "self-hosted OAuth 2.0 authorization server"),
                             ("libsignet-dev", "signet's token validation library for C++")):
        description = run(["dpkg-deb", "-f", debs[package], "Description"]).stdout.splitlines()
        assert description[0].startswith(summary), description
        assert description[1].strip() != description[0], "the summary is said once"
    info = run(["dpkg-deb", "-I", debs["signet"]]).stdout
    for script in ("postinst", "prerm", "postrm", "conffiles"):
        assert re.search(rf"^\s+\d+ bytes,\s+\d+ lines\s+\*?\s*{script}\b", info, re.M), info


def test_the_config_is_the_only_conffile_and_scripts_are_executable(control):
    assert (control / "conffiles").read_text() == "/etc/signet/signet.toml\n"
    for script in ("postinst", "prerm", "postrm"):
        mode = stat.S_IMODE((control / script).stat().st_mode)
        assert mode == 0o755, (script, oct(mode))
    assert stat.S_IMODE((control / "conffiles").stat().st_mode) == 0o644


@pytest.mark.parametrize("script", ["postinst", "prerm", "postrm"])
def test_maintainer_scripts_parse(control, script):
    run(["sh", "-n", control / script])
    if shutil.which("shellcheck"):
        run(["shellcheck", "-s", "sh", control / script])


def run_script(control, tmp_path, script, *args):
    """Runs a maintainer script with every command it may call replaced by a stub that records
    its arguments, and nothing else on PATH: an unexpected command (rm...) fails the script.
    Returns the recorded calls. The shell's tests of /run/systemd/system and /var/lib/signet see
    the real machine, hence the conditions below."""
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    calls.write_text("")
    # getent says the user does not exist yet; everything else succeeds.
    for name in ("getent", "adduser", "install", "deb-systemd-helper", "deb-systemd-invoke",
                 "systemctl", "rmdir"):
        status = 2 if name == "getent" else 0
        stub = stubs / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit {status}\n')
        stub.chmod(0o755)
    run(["/bin/sh", control / script, *args], env={"PATH": str(stubs)})
    return calls.read_text().splitlines()


def test_postinst_creates_the_user_and_enables_only_signet_serve(control, tmp_path):
    calls = run_script(control, tmp_path, "postinst", "configure")
    assert "adduser --quiet --system --group --no-create-home --home /var/lib/signet signet" in calls
    if not Path("/var/lib/signet").exists():
        assert "install -d -o signet -g signet -m 0700 /var/lib/signet" in calls
    assert "deb-systemd-helper enable signet-serve.service" in calls
    assert not [c for c in calls if "signet-api.service" in c and ("enable" in c or "start" in c)]


def test_postrm_purge_keeps_the_state_directory(control, tmp_path):
    calls = run_script(control, tmp_path, "postrm", "purge")
    # rm is not on the stubs' PATH: any attempt to delete would have failed the script.
    assert "deb-systemd-helper purge signet-serve.service" in calls
    assert "deb-systemd-helper purge signet-api.service" in calls
    assert not [c for c in calls if "/var/lib/signet" in c]


def test_prerm_on_upgrade_leaves_the_services_running(control, tmp_path):
    assert run_script(control, tmp_path, "prerm", "upgrade", VERSION) == []


def parse_unit(path):
    """{section: {directive: [values in order]}}: a directive may be given several times
    (SystemCallFilter=), and systemd's syntax is not quite an INI file's."""
    unit, section = {}, None
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = unit.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            section.setdefault(key.strip(), []).append(value.strip())
    return unit


@pytest.mark.parametrize("unit", UNITS)
def test_units_are_hardened_and_run_the_packaged_binary_with_the_shipped_config(root, unit):
    service = parse_unit(root / "lib/systemd/system" / unit)["Service"]
    command = unit.removeprefix("signet-").removesuffix(".service")
    assert service["ExecStart"] == [f"/usr/bin/signet {command} --config /etc/signet/signet.toml"]
    assert (root / "usr/bin/signet").exists() and (root / "etc/signet/signet.toml").exists()
    for key, value in HARDENING.items():
        assert " ".join(service.get(key, ["(missing)"])) == value, (unit, key)
    assert int(service["TimeoutStopSec"][-1].removesuffix("s")) > DRAIN_GRACE_SECONDS
    if unit == "signet-serve.service":
        assert service["StateDirectory"] == ["signet"]
        assert service["StateDirectoryMode"] == ["0700"]


def test_signet_api_starts_after_signet_serve(root):
    unit = parse_unit(root / "lib/systemd/system/signet-api.service")["Unit"]
    assert "signet-serve.service" in " ".join(unit["Wants"]).split()
    assert "signet-serve.service" in " ".join(unit["After"]).split()


def known_directives():
    """{section: directive names} this machine's systemd knows, else the pinned systemd 252 list."""
    systemd = Path("/lib/systemd/systemd")
    if not systemd.exists():
        return SYSTEMD_252_DIRECTIVES
    known, section = {}, None
    for line in run([systemd, "--dump-configuration-items"]).stdout.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line:
            known.setdefault(section, set()).add(line.split("=", 1)[0])
    return known


@pytest.mark.parametrize("unit", UNITS)
def test_every_unit_directive_exists(root, unit):
    known = known_directives()
    parsed = parse_unit(root / "lib/systemd/system" / unit)
    for section, directives in parsed.items():
        for key in directives:
            assert key in known.get(section, ()), f"{unit}: [{section}] {key} is not a directive"
            assert key in SYSTEMD_252_DIRECTIVES[section], (
                f"{unit}: check that [{section}] {key} exists in Debian 12's systemd 252, "
                "then add it to SYSTEMD_252_DIRECTIVES")


@pytest.fixture(scope="module")
def verify_root(root, tmp_path_factory):
    """The scratch root, plus what `systemd-analyze verify --root` needs of a real system: the
    targets the units are ordered against, and /bin/kill for ExecReload (copies from this
    machine; the package's own files are untouched)."""
    if not shutil.which("systemd-analyze") or not Path("/lib/systemd/system/sysinit.target").exists():
        pytest.skip("systemd-analyze or systemd's units are not installed")
    path = tmp_path_factory.mktemp("verify")
    shutil.copytree(root, path, dirs_exist_ok=True, symlinks=True)
    targets = path / "usr/lib/systemd/system"
    targets.mkdir(parents=True, exist_ok=True)
    for target in ("sysinit", "basic", "multi-user", "network-online", "shutdown"):
        shutil.copy(f"/lib/systemd/system/{target}.target", targets)
    (path / "bin").mkdir(exist_ok=True)
    shutil.copy("/bin/kill", path / "bin/kill")
    return path


def test_units_verify(verify_root):
    # It exits 0 after mere warnings ("Unknown key", "Failed to parse"): any output is a failure.
    units = [verify_root / "lib/systemd/system" / u for u in UNITS]
    done = subprocess.run(["systemd-analyze", "verify", f"--root={verify_root}", "--man=no", *units],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.parametrize("unit", UNITS)
def test_units_exposure_stays_low(verify_root, unit):
    done = run(["systemd-analyze", "security", "--offline=yes", f"--root={verify_root}",
                "--no-pager", unit])
    score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout).group(1))
    assert score <= MAX_EXPOSURE, done.stdout


def man_pages(root):
    return sorted((root / "usr/share/man/man1").glob("*.1.gz"))


def test_man_pages_are_gzipped_as_debian_wants(root):
    for page in man_pages(root):
        header = page.read_bytes()[:10]
        # gzip -9n: no file name (FLG.FNAME) and no time stamp, maximum compression (XFL 2).
        assert header[:3] == b"\x1f\x8b\x08" and header[3] & 0x08 == 0, page.name
        assert header[4:8] == b"\0\0\0\0" and header[8] == 2, page.name


def test_man_pages_render_without_warnings(root):
    assert man_pages(root)
    for page in man_pages(root):
        text = gzip.decompress(page.read_bytes()).decode("ascii")
        if shutil.which("groff"):
            done = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=text,
                                  capture_output=True, text=True, check=False)
        else:
            done = subprocess.run(["man", "--warnings", "-l", page], capture_output=True,
                                  text=True, check=False, env={**os.environ, "MANPAGER": "cat"})
        assert (done.returncode, done.stderr) == (0, ""), page.name
        # apropos and whatis read the NAME line: "signet-serve - run the authorization server".
        if shutil.which("lexgrog"):
            name = run(["lexgrog", page]).stdout
            assert re.search(rf'"{page.name.removesuffix(".1.gz")} - \S', name), name


def test_each_command_page_documents_its_options(root):
    text = gzip.decompress((root / "usr/share/man/man1/signet-serve.1.gz").read_bytes()).decode()
    assert "\\fB\\-\\-listen\\fR" in text
    assert "signet\\-clients" in gzip.decompress(
        (root / "usr/share/man/man1/signet.1.gz").read_bytes()).decode()


def test_the_packaged_binary_runs(root):
    assert run([root / "usr/bin/signet", "--version"]).stdout.strip() == f"signet {VERSION}"


@pytest.mark.parametrize("command", ["serve", "api"])
def test_the_shipped_config_passes_check_config(root, command, tmp_path):
    # In a scratch directory and without SIGNET_*: --check-config writes nothing, and the file
    # alone must be valid.
    done = subprocess.run([root / "usr/bin/signet", command, "--check-config", "--config",
                           root / "etc/signet/signet.toml"], capture_output=True, text=True,
                          check=False, cwd=tmp_path, env=clean_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []


def help_options(command):
    """{long option name: default shown by --help or None} of `signet COMMAND`."""
    text = run([BUILD / "signet", command, "--help"], env=clean_env()).stdout
    options = {}
    for match in re.finditer(r"^  (?:-\w,)?--([a-z0-9-]+)(\S*)(?: (\S.*?))?(?:  |$)", text, re.M):
        name, rest = match.group(1), match.group(3) or ""
        default = re.search(r"=(\[[^\]]*\]|[^ ]+)", rest.split(" (Env:")[0].split(" [env:")[0])
        options[name] = default.group(1) if default else None
    return options


def config_lines(table):
    """{key: (value text, commented out)} of one table of the shipped config, commented-out
    option lines included."""
    lines, current = {}, None
    for line in (REPO / "packaging/signet.toml").read_text().splitlines():
        if re.fullmatch(r"\[\w+\]", line):
            current = line.strip("[]")
        elif current == table:
            match = re.fullmatch(r"(# )?([a-z0-9-]+) = (.*)", line)
            if match:
                lines[match.group(2)] = (match.group(3), bool(match.group(1)))
    return lines


def help_text_of(value):
    """A TOML value as CLI11's help shows a default: [a,b] for an array, a string unquoted."""
    parsed = tomllib.loads(f"v = {value}")["v"]
    if isinstance(parsed, list):
        return "[" + ",".join(parsed) + "]"
    return str(parsed)


@pytest.mark.parametrize("command", ["serve", "api"])
def test_the_shipped_config_shows_every_option_with_its_default(command):
    options = help_options(command)
    lines = config_lines(command)
    settings = set(options) - NOT_CONFIG_KEYS
    assert sorted(settings - set(lines)) == [], "add these to packaging/signet.toml"
    assert sorted(set(lines) - settings) == [], f"not options of 'signet {command}'"
    for key, (value, commented) in lines.items():
        if commented and options[key] is not None:
            assert help_text_of(value) == options[key], key
    parsed = tomllib.loads((REPO / "packaging/signet.toml").read_text())
    assert set(parsed) == {"serve", "api"}


def test_the_shipped_config_sets_what_a_first_install_needs():
    parsed = tomllib.loads((REPO / "packaging/signet.toml").read_text())
    assert parsed["serve"] == {"listen": "127.0.0.1:4000", "issuer": "http://localhost:4000/",
                               "data-dir": "/var/lib/signet", "metrics-listen": "127.0.0.1:9464"}
    assert parsed["api"]["listen"].startswith("127.0.0.1:")
    assert parsed["api"]["metrics-listen"] == "127.0.0.1:9465"
