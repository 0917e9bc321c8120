"""Fixtures that run every app store test on SQLite and on PostgreSQL.

PostgreSQL is used when ``SALESCORE_TEST_POSTGRES_URL`` names a server where the user may create
databases (locally ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). A test run creates one
database of its own and drops it at the end; each test gets a fresh schema in it, so tests never
see each other's tables. Without the variable the PostgreSQL cases are skipped, saying why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, make_url, pool
from sqlalchemy.engine import URL

from salescore.appstore import AppStore, sqlite_url

POSTGRES_ENV = "SALESCORE_TEST_POSTGRES_URL"


def _psycopg(url: URL) -> URL:
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a database made for this test run (dropped afterwards)."""
    given = os.environ.get(POSTGRES_ENV)
    if not given:
        pytest.skip(
            f"PostgreSQL app store tests need {POSTGRES_ENV}, "
            "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    server = _psycopg(make_url(given))
    name = f"salescore_appstore_{uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def fresh_postgres_schema(database_url: str) -> str:
    """A URL whose connections work in a new, empty schema of ``database_url``."""
    schema = f"t_{uuid4().hex[:10]}"
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty app store database, on each backend in turn."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "data" / "app.sqlite")
    return fresh_postgres_schema(request.getfixturevalue("postgres_database"))


@pytest.fixture
def store(db_url: str) -> Iterator[AppStore]:
    """An app store migrated to the newest revision."""
    opened = AppStore.open(db_url)
    try:
        yield opened
    finally:
        opened.close()
