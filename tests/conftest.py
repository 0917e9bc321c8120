"""Fixtures shared by the whole suite: warehouses on every backend that is present."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from salescore.engine.warehouse import Warehouse

POSTGRES_ENV = "SALESCORE_TEST_POSTGRES_URL"


def postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL server's URL; the test is skipped, visibly, where there is none."""
    url = postgres_base_url()
    if not url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (set by .ci/run)")
    return url


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """A warehouse URL on a fresh PostgreSQL schema, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{sep}schema={name}"
    yield url
    with Warehouse.open(url) as wh:
        wh.execute_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """A fresh, empty warehouse URL on each backend (DuckDB file, PostgreSQL schema)."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path}/warehouse.duckdb"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    """An open warehouse with every canonical table created, on each backend."""
    with Warehouse.open(warehouse_url) as wh:
        wh.create_tables()
        yield wh
