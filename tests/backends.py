"""The backends the tests run on, and the one place where each is set up and taken down.

Warehouses: DuckDB always; PostgreSQL where ``SALESCORE_TEST_POSTGRES_URL`` names a server
(``.ci/run`` sets it to ``postgresql://postgres@127.0.0.1:5432/test``; the user must be allowed
to create schemas and databases); PySpark, for the suites that only read through Ibis, where the
``spark`` extra is installed. App stores: SQLite always; PostgreSQL on the same server.

Nothing is shared between tests: a warehouse is a DuckDB file in the test's own folder or a
PostgreSQL schema ``t_<hex>`` of the server's database, dropped afterwards; app stores get one
database ``salescore_test_<hex>`` per test run (dropped at the end) and one schema in it per test.
The fixtures that hand these out are in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from ibis.backends import BaseBackend
from sqlalchemy import create_engine, make_url, pool

from salescore.engine.warehouse import Warehouse

POSTGRES_ENV = "SALESCORE_TEST_POSTGRES_URL"

WAREHOUSES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
"""The backends a :class:`Warehouse` opens: what the ``backend`` fixture runs over."""

PYSPARK = pytest.param("pyspark", id="pyspark", marks=pytest.mark.spark)
"""Read-only through Ibis: a suite that needs no :class:`Warehouse` adds it with
``pytest.mark.parametrize("backend", [*WAREHOUSES, PYSPARK], indirect=True)``."""

APP_STORES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
"""The databases an app store runs on: what the ``db_url`` fixture runs over."""


def postgres_server() -> str | None:
    """The test PostgreSQL server's URL as given, or None where there is none."""
    return os.environ.get(POSTGRES_ENV) or None


def _server() -> str:
    server = postgres_server()
    if server is None:  # the postgres_url fixture skips before anything gets here
        raise RuntimeError(f"{POSTGRES_ENV} is not set: ask for the backend or db_url fixture, "
                           "which skips, saying so")
    return server


# -- warehouses ----------------------------------------------------------------------------


@contextmanager
def fresh_warehouse_url(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a fresh, empty warehouse on ``backend``: a DuckDB file in ``folder``, or a new
    PostgreSQL schema that is dropped when the block ends."""
    match backend:
        case "duckdb":
            yield f"duckdb:///{folder}/warehouse.duckdb"
        case "postgres":
            server = _server()
            name = f"t_{uuid.uuid4().hex[:12]}"
            try:
                yield f"{server}{'&' if '?' in server else '?'}schema={name}"
            finally:
                with Warehouse.open(server) as wh:
                    wh.execute_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        case _:
            raise ValueError(f"no warehouse opens on {backend!r}: use one of WAREHOUSES")


_SPARK: list[BaseBackend] = []


def spark_backend() -> BaseBackend:
    """One local PySpark session for the whole test run (it takes seconds to start)."""
    if not _SPARK:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            pytest.skip("PySpark tests need the spark extra (pip install '.[spark]')")
        session = (SparkSession.builder.master("local[2]").appName("salescore-tests")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.shuffle.partitions", "2")
                   .config("spark.default.parallelism", "2")
                   .getOrCreate())
        session.sparkContext.setLogLevel("ERROR")
        _SPARK.append(ibis.pyspark.connect(session))
    return _SPARK[0]


def stop_spark_backend() -> None:
    """Stop the local PySpark session (a test that runs Spark elsewhere, on a cluster, needs the
    process's one SparkContext); the next :func:`spark_backend` starts it again."""
    while _SPARK:
        _SPARK.pop()._session.stop()  # noqa: SLF001


def spark_views(tables: Mapping[str, pa.Table]) -> BaseBackend:
    """The PySpark backend with each of ``tables`` as a temporary view of its name."""
    con = spark_backend()
    session = con._session  # noqa: SLF001 - Ibis keeps the SparkSession it was given here
    for name, data in tables.items():
        session.createDataFrame(data).createOrReplaceTempView(name)
    return con


# -- app stores ----------------------------------------------------------------------------


def _psycopg(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@contextmanager
def app_database(server_url: str) -> Iterator[str]:
    """A database of its own on the PostgreSQL server at ``server_url``, as a SQLAlchemy
    (psycopg) URL, dropped when the block ends."""
    server = make_url(_psycopg(server_url))
    name = f"salescore_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def fresh_app_schema_url(database_url: str) -> str:
    """A URL whose connections work in a new, empty schema of ``database_url``."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)
