"""The backends the KPI golden suite runs on, and how to open the tiny organisation on each.

DuckDB always; PostgreSQL when ``SALESCORE_TEST_POSTGRES_URL`` is set (skipped with that reason
otherwise); PySpark when the ``spark`` extra is installed (one local session per test run).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import ibis
import pytest
from ibis.backends import BaseBackend
from tests.engine import kpi_org as org

from salescore.engine.warehouse import Warehouse

POSTGRES_ENV = "SALESCORE_TEST_POSTGRES_URL"


_SPARK: list[BaseBackend] = []


def spark_backend() -> BaseBackend:
    """One local PySpark session for the whole test run (it takes seconds to start)."""
    if not _SPARK:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            pytest.skip("PySpark golden tests need the spark extra (pip install '.[spark]')")
        session = (SparkSession.builder.master("local[2]").appName("salescore-tests")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.shuffle.partitions", "2")
                   .config("spark.default.parallelism", "2")
                   .getOrCreate())
        session.sparkContext.setLogLevel("ERROR")
        _SPARK.append(ibis.pyspark.connect(session))
    return _SPARK[0]


def tiny_org_backend(backend: str) -> Iterator[BaseBackend]:
    """An Ibis backend holding the tiny organisation (temporary views on PySpark)."""
    if backend != "pyspark":
        for wh in tiny_org_warehouse(backend):
            yield wh.backend
        return
    con = spark_backend()
    session = con._session  # noqa: SLF001 - Ibis keeps the SparkSession it was given here
    for name, data in org.arrow_tables().items():
        session.createDataFrame(data).createOrReplaceTempView(name)
    yield con


def tiny_org_warehouse(backend: str) -> Iterator[Warehouse]:
    """A warehouse holding the tiny organisation on ``backend``; dropped afterwards."""
    match backend:
        case "duckdb":
            with Warehouse.open("duckdb://:memory:") as wh:
                org.load(wh)
                yield wh
        case "postgres":
            base = os.environ.get(POSTGRES_ENV)
            if not base:
                pytest.skip(f"PostgreSQL golden tests need {POSTGRES_ENV}")
            name = f"k_{uuid.uuid4().hex[:12]}"
            url = f"{base}{'&' if '?' in base else '?'}schema={name}"
            with Warehouse.open(url) as wh:
                try:
                    org.load(wh)
                    yield wh
                finally:
                    wh.execute_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        case _:
            raise AssertionError(backend)
