"""The PostgreSQL fixtures of postgres.py: a real server, and a fresh database for each test."""

from __future__ import annotations

from postgres import postgres_database, postgres_server, psql  # noqa: F401


def count_tables(url: str) -> str:
    return psql(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")


def test_each_test_gets_an_empty_database_of_its_own(postgres_server, postgres_database):
    assert postgres_database != postgres_server
    assert count_tables(postgres_database) == "0"
    psql(postgres_database, "CREATE TABLE t (id bigint)")
    assert count_tables(postgres_database) == "1"
    assert count_tables(postgres_server) == "0"


def test_the_databases_of_earlier_tests_are_gone(postgres_server, postgres_database):
    mine = postgres_database.rsplit("/", 1)[1]
    others = psql(postgres_server, "SELECT count(*) FROM pg_database "
                  f"WHERE datname LIKE 'signet\\_e2e\\_%' AND datname <> '{mine}'")
    assert others == "0"
    assert count_tables(postgres_database) == "0"
