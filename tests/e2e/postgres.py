"""A real PostgreSQL server for end-to-end tests, and a fresh empty database on it for each test.

The server is started once per test session by tests/support/postgres-server.sh (as the C++ tests'
tests/test_common/postgres_test_server.h does) and stopped at the end. Test modules import the
fixtures they use (`from postgres import postgres_server, postgres_database`).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import tempfile

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "support", "postgres-server.sh")
PSQL_TIMEOUT = 60.0  # s; CREATE DATABASE copies a template, slow on a busy machine

_names = itertools.count(1)


def psql(url: str, sql: str) -> str:
    """Runs `sql` on `url` with psql, failing the test with psql's message on error."""
    done = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url,
                           "-c", sql],
                          capture_output=True, text=True, timeout=PSQL_TIMEOUT)
    if done.returncode != 0:
        pytest.fail(f"psql {sql!r}: {done.stderr.strip()}")
    return done.stdout.strip()


def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url`."""
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a running server's `postgres` database (superuser `signet`, trust auth)."""
    directory = tempfile.mkdtemp(prefix="signet-e2e-postgres-")
    started = subprocess.run(["bash", SCRIPT, "start", directory], capture_output=True, text=True)
    if started.returncode != 0:
        subprocess.run(["bash", SCRIPT, "stop", directory], capture_output=True)
        pytest.fail(f"could not start PostgreSQL:\n{started.stdout}{started.stderr}")
    try:
        with open(os.path.join(directory, "url"), encoding="utf-8") as f:
            yield f.read().strip()
    finally:
        subprocess.run(["bash", SCRIPT, "stop", directory], capture_output=True)


@pytest.fixture
def postgres_database(postgres_server):
    """The URL of a new empty database, dropped (with its connections) after the test."""
    name = f"signet_e2e_{os.getpid()}_{next(_names)}"
    psql(postgres_server, f"CREATE DATABASE {name} STRATEGY FILE_COPY")  # faster without fsync
    try:
        yield database_url(postgres_server, name)
    finally:
        psql(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
