"""The warehouse on Spark: the canonical tables as Parquet folders in a lake, queried on a cluster.

A Spark warehouse is named ``spark://HOST:PORT?lake=DIR`` (a standalone master),
``sc://HOST:PORT?lake=DIR`` (a Spark Connect server) or ``spark://local?lake=DIR`` (Spark in
this process, for trying it out). ``conf.<key>=<value>`` parameters are passed to the Spark
session (``conf.spark.executor.memory=1g``). The lake is a folder that the driver (this
process) and every worker see at the same path: local for a one-machine cluster, a shared
mount (NFS, a cluster file system) for many.

Layout of the lake::

    DIR/<table>/part-<txn>.parquet   a canonical table: a plain Parquet folder any engine reads
    DIR/_txn/<txn>/                  a transaction being published (see below)
    DIR/_lock                        held by the one process writing at a time

Reads (the KPI engine, scoring, analytics) run on Spark through Ibis: each table is a
temporary SQL view over its folder, which Spark lists again at every query, so a view sees
what was published after it was made. Writes (imports, the demo, targets) run the same SQL as
on DuckDB, on an in-process DuckDB copy of the tables they touch: a table is copied from the
lake when a statement first writes to it, and a transaction ends by publishing what changed:

1. rows inserted into a table are written to ``_txn/<txn>/<table>/part-<txn>.parquet``; a table
   whose rows were updated or deleted is written there whole;
2. ``_txn/<txn>/COMMITTED`` is written (one rename: the commit point);
3. the new files are renamed into the table folders (a rewritten table's folder is swapped);
4. ``_txn/<txn>`` is removed.

A transaction that fails before step 2 leaves the lake as it was (its folder is removed, now or
by the next writer); one that stops after it is finished by the next writer (or the next
:meth:`SparkWarehouse.connect`), since every step after the commit point can be done again.
What Parquet cannot give: a reader that lists a folder while step 3 runs may see some of the
new files and not others, or (for a rewritten table) no folder for a moment.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import duckdb
import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

from salescore.core.errors import StoreError
from salescore.engine.ddl import create_table_sql
from salescore.engine.warehouse import _WRITES, Warehouse
from salescore.model.tables import TABLES, table

SCHEMES = ("spark", "sc")
"""URL schemes of a Spark warehouse: a standalone master (or ``local``), Spark Connect."""

Mode = Literal["cluster", "local", "connect"]

_COMMITTED = "COMMITTED"
_PLAN = "plan.json"
_WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)
_DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    # Naive timestamps (the warehouse keeps UTC without a zone) read as Spark's TIMESTAMP,
    # as the KPI engine compiles for, not TIMESTAMP_NTZ.
    "spark.sql.parquet.inferTimestampNTZ.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
}


@dataclass(frozen=True, slots=True)
class SparkURL:
    """A parsed Spark warehouse URL.

    >>> u = SparkURL.parse("spark://10.0.0.5:7077?lake=/data/lake&conf.spark.executor.memory=2g")
    >>> u.master, u.lake, u.conf["spark.executor.memory"]
    ('spark://10.0.0.5:7077', '/data/lake', '2g')
    >>> SparkURL.parse("spark://local?lake=lake").master
    'local[*]'
    """

    mode: Mode
    master: str
    lake: str
    conf: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, url: str) -> SparkURL:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        lake = query.pop("lake", "")
        if not lake:
            raise StoreError(
                f"the Spark warehouse URL {url!r} names no lake folder: add ?lake=/path/to/lake",
                message_zh=f"Spark 数据仓库地址 {url!r} 未指定数据湖目录：请加上 ?lake=/路径")
        conf = {k.removeprefix("conf."): v for k, v in query.items() if k.startswith("conf.")}
        unknown = sorted(k for k in query if not k.startswith("conf."))
        if unknown:
            raise StoreError(
                f"unknown parameter(s) {', '.join(unknown)} in the Spark warehouse URL: use "
                "lake= and conf.<spark key>=",
                message_zh=f"Spark 数据仓库地址中有未知参数 {', '.join(unknown)}："
                           "请使用 lake= 与 conf.<Spark 配置项>=")
        netloc = parts.netloc
        if parts.scheme == "sc":
            return cls("connect", f"sc://{netloc or 'localhost:15002'}", lake, conf)
        if netloc in ("local", ""):
            return cls("local", "local[*]", lake, conf)
        return cls("cluster", f"spark://{netloc}", lake, conf)

    def redacted(self) -> str:
        return f"{self.master}?lake={self.lake}"


# -- the lake: Parquet folders, published by rename ----------------------------------------


class Lake:
    """The folder of Parquet tables, and the one protocol by which they change."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, name: str) -> Path:
        return self.root / name

    def has(self, name: str) -> bool:
        return self.folder(name).is_dir()

    def glob(self, name: str) -> str:
        return str(self.folder(name) / "*.parquet")

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One writing process at a time (an advisory lock on ``_lock``); a transaction left
        half-published by a process that died is finished or removed first."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "_lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self.recover()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def recover(self) -> None:
        """Finish every committed transaction under ``_txn``; remove every other one."""
        pending = self.root / "_txn"
        if not pending.is_dir():
            return
        for txn in sorted(pending.iterdir()):
            if (txn / _COMMITTED).exists():
                self.apply(txn)
            else:
                shutil.rmtree(txn, ignore_errors=True)

    def new_transaction(self) -> Path:
        txn = self.root / "_txn" / f"{time.time_ns():x}-{uuid.uuid4().hex[:8]}"
        txn.mkdir(parents=True)
        return txn

    def commit(self, txn: Path, plan: dict[str, str]) -> None:
        """Make ``txn`` (its files written, ``plan`` naming each table's ``append`` or
        ``rewrite``) the lake's new state: the commit point, then the renames."""
        (txn / _PLAN).write_text(json.dumps(plan))
        marker = txn / f"{_COMMITTED}.tmp"
        with open(marker, "w") as handle:
            handle.write("ok")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(marker, txn / _COMMITTED)
        self.apply(txn)

    def apply(self, txn: Path) -> None:
        """Move a committed transaction's files into place; safe to run again after a crash."""
        plan: dict[str, str] = json.loads((txn / _PLAN).read_text())
        for name, how in plan.items():
            source, target = txn / name, self.folder(name)
            if not source.exists():
                continue  # done before a crash
            if how == "append":
                target.mkdir(parents=True, exist_ok=True)
                for part in sorted(source.iterdir()):
                    os.replace(part, target / part.name)
            else:
                if target.exists():
                    old = txn / "_old"
                    old.mkdir(exist_ok=True)
                    os.rename(target, old / name)
                os.rename(source, target)
        shutil.rmtree(txn, ignore_errors=True)


# -- Spark sessions: one per master for the process ----------------------------------------

_SESSIONS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
# The folder each table's view of a session reads (a view never goes stale; see _views). The
# views are the session's: a process opens one lake per Spark master at a time.
_VIEWS: dict[tuple[int, str], str] = {}


def spark_session(url: SparkURL) -> Any:
    """The process's Spark session for ``url``'s master and conf (made on first use, kept
    until the process ends: starting one takes seconds, and executors on a cluster)."""
    key = (url.master, tuple(sorted(url.conf.items())))
    if key in _SESSIONS:
        return _SESSIONS[key]
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise StoreError(
            "a Spark warehouse needs PySpark: pip install 'salescore[spark]'",
            message_zh="Spark 数据仓库需要 PySpark：pip install 'salescore[spark]'") from None
    conf = {**_DEFAULT_CONF, **url.conf}
    builder: Any = SparkSession.builder
    if url.mode == "connect":
        try:
            builder = builder.remote(url.master)
        except ImportError as exc:
            raise StoreError(
                f"Spark Connect needs its client libraries ({exc}): pip install "
                "'pyspark[connect]'",
                message_zh=f"Spark Connect 需要其客户端库（{exc}）：pip install 'pyspark[connect]'"
            ) from None
    else:
        builder = builder.master(url.master).appName("salescore")
        conf.setdefault("spark.ui.showConsoleProgress", "false")
    for key_, value in conf.items():
        builder = builder.config(key_, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Py4J, gRPC: the JVM's or the server's own message
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot start Spark on {url.master}: {detail}",
                         message_zh=f"无法在 {url.master} 上启动 Spark：{detail}") from None
    if url.mode != "connect":
        session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[key] = session
    return session


def stop_sessions() -> None:
    """Stop every Spark session this process made (at exit, or when a test is done)."""
    _VIEWS.clear()
    while _SESSIONS:
        _, session = _SESSIONS.popitem()
        try:
            session.stop()
        except Exception:  # noqa: BLE001 - a cluster already gone has nothing left to stop
            pass


atexit.register(stop_sessions)


def _quoted_path(path: Path) -> str:
    return "`" + str(path).replace("`", "``") + "`"


# -- the warehouse -------------------------------------------------------------------------


@dataclass
class _Written:
    """A lake table copied into the work database for writing: whether rows were updated or
    deleted (then it is written whole), and the last row id it had when copied."""

    rewrite: bool
    last_rowid: int | None


class SparkWarehouse(Warehouse):
    """The canonical tables in a Parquet lake; reads on Spark, writes published to the lake.

    ``backend`` is Ibis's PySpark backend (what the KPI engine, scoring and analytics run
    on); :meth:`execute_sql` runs DuckDB SQL on the work database, whose views read the lake's
    files, so imports and the quality report run as they do on a DuckDB warehouse.
    """

    def __init__(self, backend: BaseBackend, url: SparkURL, lake: Lake,
                 work: duckdb.DuckDBPyConnection) -> None:
        self.backend = backend
        self.url = url
        self.dialect = "duckdb"  # what execute_sql speaks: the work database's SQL
        self.lake = lake
        self.work = work
        self._written: dict[str, _Written] | None = None
        self.writes = 0  # as Warehouse.writes: statements that changed the work database

    @classmethod
    def connect(cls, url: str, *, read_only: bool = False) -> SparkWarehouse:
        """Open the lake at ``url``'s ``lake`` folder on the Spark master it names."""
        parsed = SparkURL.parse(url)
        lake = Lake(Path(parsed.lake).expanduser().absolute())
        if not read_only:
            with lake.writing():
                pass  # a transaction a dead process left half-done is finished or removed
        session = spark_session(parsed)
        backend = ibis.pyspark.connect(session)
        wh = cls(backend, parsed, lake, duckdb.connect())
        wh._views()
        return wh

    def close(self) -> None:
        """Close the work database; the Spark session stays for the process (see
        :func:`spark_session`)."""
        self.work.close()

    # -- views over the lake -------------------------------------------------------------------
    def _views(self, names: list[str] | None = None) -> None:
        session = self.backend._session  # noqa: SLF001 - Ibis keeps the session it was given
        for declared in TABLES:
            if names is not None and declared.name not in names:
                continue
            if not self.lake.has(declared.name):
                continue
            glob = self.lake.glob(declared.name).replace("'", "''")
            self.work.execute(f"CREATE OR REPLACE VIEW {declared.name} AS "
                              f"SELECT * FROM read_parquet('{glob}')")
            # A SQL view is analysed again at each query: Spark lists the folder each time, so
            # a view is made once per session and folder (analysing it costs a file listing).
            folder = str(self.lake.folder(declared.name))
            if _VIEWS.get((id(session), declared.name)) != folder:
                session.sql(f"CREATE OR REPLACE TEMPORARY VIEW {declared.name} AS SELECT * "
                            f"FROM parquet.{_quoted_path(Path(folder))}")
                _VIEWS[(id(session), declared.name)] = folder

    def create_tables(self) -> None:
        """Give every canonical table that has no folder in the lake one, holding an empty
        Parquet file of its declared schema (idempotent). Columns added to a declaration
        later are not added to an existing lake (not yet)."""
        missing = [t for t in TABLES if not self.lake.has(t.name)]
        if not missing:
            return
        with self.lake.writing():
            txn = self.lake.new_transaction()
            plan = {}
            for declared in missing:
                folder = txn / declared.name
                folder.mkdir()
                self._copy_to(f"SELECT * FROM {self._empty(declared.name)}",
                              folder / "part-00000000-empty.parquet")
                plan[declared.name] = "rewrite"
            self.lake.commit(txn, plan)
        self._views([t.name for t in missing])

    def _empty(self, name: str) -> str:
        """A temporary table of ``name``'s declared schema, empty."""
        empty = f"_salescore_empty_{name}"
        self.work.execute(create_table_sql(table(name), "duckdb").replace(
            f"CREATE TABLE IF NOT EXISTS {name} ", f"CREATE OR REPLACE TEMP TABLE {empty} ", 1))
        return empty

    def _copy_to(self, query: str, path: Path) -> None:
        target = str(path).replace("'", "''")
        self.work.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")

    # -- statements and transactions ----------------------------------------------------------
    def execute_sql(self, sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
        """Run one DuckDB statement on the work database. A statement that writes a lake table
        copies it in first; outside :meth:`transaction` it is published at once."""
        if sql.lstrip()[:8].upper().startswith(_WRITES):
            self.writes += 1
        found = _WRITE.match(sql)
        name = found[1].lower() if found else None
        if name is None or not self.lake.has(name):
            return self._run(sql, params)
        if self._written is None:
            with self.transaction():
                return self.execute_sql(sql, params)
        self._writable(name, rewrite=not sql.lstrip()[:6].upper().startswith("INSERT"))
        return self._run(sql, params)

    def _run(self, sql: str, params: tuple[Any, ...] | None) -> list[tuple[Any, ...]]:
        cursor = self.work.execute(sql, params) if params else self.work.execute(sql)
        return cursor.fetchall() if cursor.description else []

    def _writable(self, name: str, *, rewrite: bool) -> None:
        assert self._written is not None
        if name in self._written:
            self._written[name].rewrite |= rewrite
            return
        declared = table(name)
        columns = ", ".join(declared.column_names)
        self.work.execute(f"DROP VIEW IF EXISTS {name}")
        self.work.execute(create_table_sql(declared, "duckdb"))
        glob = self.lake.glob(name).replace("'", "''")
        self.work.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} "
                          f"FROM read_parquet('{glob}')")
        [(last,)] = self.work.execute(f"SELECT max(rowid) FROM {name}").fetchall()
        self._written[name] = _Written(rewrite, None if last is None else int(last))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: the lake tables written in the block are published when it ends
        (see the module's protocol), and the lake is left as it was when it raises."""
        if self._written is not None:  # joined: the outer block publishes
            yield
            return
        with self.lake.writing():
            self._written = {}
            self.work.execute("BEGIN")
            try:
                yield
                self._publish(self._written)
            finally:
                # The work copies were a scratchpad: the views read the lake again.
                self.work.execute("ROLLBACK")
                self._written = None

    def _publish(self, written: dict[str, _Written]) -> None:
        if not written:
            return
        self.writes += 1
        txn = self.lake.new_transaction()
        plan: dict[str, str] = {}
        try:
            for name, state in written.items():
                folder = txn / name
                folder.mkdir()
                part = folder / f"part-{txn.name}.parquet"
                if state.rewrite:
                    self._copy_to(f"SELECT * FROM {name}", part)
                    plan[name] = "rewrite"
                    continue
                since = "" if state.last_rowid is None else f" WHERE rowid > {state.last_rowid}"
                [(added,)] = self.work.execute(f"SELECT count(*) FROM {name}{since}").fetchall()
                if added:
                    self._copy_to(f"SELECT * FROM {name}{since}", part)
                    plan[name] = "append"
        except BaseException:
            shutil.rmtree(txn, ignore_errors=True)
            raise
        if not plan:
            shutil.rmtree(txn, ignore_errors=True)
            return
        self.lake.commit(txn, plan)

    @contextmanager
    def arrow_view(self, name: str, data: pa.Table) -> Iterator[str]:
        """``data`` readable as view ``name`` of the work database inside the block."""
        self.work.register(name, data)
        try:
            yield name
        finally:
            self.work.unregister(name)

    def copy_rows(self, name: str, data: pa.Table) -> None:
        raise StoreError("copy_rows needs PostgreSQL, not a Spark lake")
