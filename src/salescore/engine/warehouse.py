"""The warehouse: the canonical tables on DuckDB (default) or PostgreSQL, through Ibis.

A warehouse is named by a URL: ``duckdb:///path/warehouse.duckdb`` (or a bare path ending in
``.duckdb``), ``duckdb://:memory:``, or ``postgresql://user@host:5432/db`` (a SQLAlchemy-style
``postgresql+psycopg://`` is accepted too; ``?schema=name`` selects and creates a schema), or a
Parquet lake queried on Spark, ``spark://HOST:PORT?lake=DIR`` or ``sc://HOST:PORT?lake=DIR``
(see :mod:`salescore.engine.spark`).

A DuckDB warehouse uses at most half of the machine's memory for its buffers (DuckDB's own
default is 80 %, which leaves too little for the Python process beside it when a large import
or roll-up rebuild fills them), spilling to ``<file>.tmp`` beyond that;
``SALESCORE_DUCKDB_MEMORY_LIMIT`` (e.g. ``4GB``) sets another limit.

>>> with Warehouse.open("duckdb://:memory:") as wh:
...     wh.create_tables()
...     wh.table_info()[0]
TableInfo(name='teams', rows=0, first=None, last=None)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

from salescore.compile.schema import schema
from salescore.core.errors import StoreError, StoreLockedError
from salescore.engine.ddl import (
    ExistingColumn,
    create_table_sql,
    stale_columns,
    upgrade_table_sql,
)
from salescore.model.tables import TABLES, table

if TYPE_CHECKING:
    from salescore.engine.spark import SparkURL

Dialect = Literal["duckdb", "postgres"]

_LOCK = re.compile(r'Could not set lock on file "(?P<file>[^"]+)": Conflicting lock is held in '
                   r"(?P<proc>.+?) \(PID (?P<pid>\d+)\)")


@dataclass(frozen=True, slots=True)
class TableInfo:
    """Row count and the range of a table's time column (``None`` when empty or timeless)."""

    name: str
    rows: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True, slots=True)
class WarehouseURL:
    dialect: Dialect
    path: str | None = None  # duckdb: a file path or ":memory:"
    host: str | None = None
    port: int = 5432
    user: str | None = None
    password: str | None = None
    database: str | None = None
    schema: str | None = None

    @classmethod
    def parse(cls, url: str) -> WarehouseURL:
        """Parse a warehouse URL; a plain path is a DuckDB file."""
        if "://" not in url:
            return cls("duckdb", path=url)
        parts = urlsplit(url)
        scheme = parts.scheme.split("+", 1)[0]
        if scheme == "duckdb":
            path = unquote(url.split("://", 1)[1].split("?", 1)[0])
            if path.startswith("/") and path.startswith("//"):
                path = path[1:]
            if path.startswith("/:memory:"):
                path = ":memory:"
            return cls("duckdb", path=path or ":memory:")
        if scheme in ("postgres", "postgresql"):
            query = parse_qs(parts.query)
            return cls(
                "postgres",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                database=parts.path.lstrip("/") or None,
                schema=query.get("schema", [None])[0],
            )
        raise StoreError(
            f"unsupported warehouse URL {url!r}: use duckdb:///path.duckdb, postgresql://... "
            "or spark://host:port?lake=/path",
            message_zh=f"不支持的数据仓库地址 {url!r}：请使用 duckdb:///路径.duckdb、"
                       "postgresql://... 或 spark://主机:端口?lake=/路径",
        )

    def redacted(self) -> str:
        if self.dialect == "duckdb":
            if self.path == ":memory:":
                return "duckdb://:memory:"
            return f"duckdb://{self.path}" if str(self.path).startswith("/") else \
                f"duckdb:///{self.path}"
        who = f"{self.user}@" if self.user else ""
        return f"postgresql://{who}{self.host}:{self.port}/{self.database or ''}"


_WRITES = ("INSERT", "UPDATE", "DELETE", "COPY", "MERGE", "TRUNCATE", "CREATE", "DROP", "ALTER")
"""The statements that change rows (:attr:`Warehouse.writes` counts them)."""


def _locked_error(exc: Exception, path: str) -> StoreLockedError:
    found = _LOCK.search(str(exc))
    pid = found["pid"] if found else "?"
    proc = found["proc"] if found else "another process"
    return StoreLockedError(
        f"The warehouse {path} is in use by {proc} (PID {pid}); DuckDB allows one writing "
        f"process. Stop that process (for example the running `salescore serve`, or `kill {pid}`), "
        "or send the change through the running server's API, then try again.",
        message_zh=f"数据仓库 {path} 正被进程 {proc}（PID {pid}）占用；DuckDB 只允许一个写入进程。"
        f"请先停止该进程（例如正在运行的 `salescore serve`，或执行 `kill {pid}`），"
        "或通过正在运行的服务的 API 提交更改，然后重试。",
    )


# What DuckDB says of a file that is not all there, or not what it wrote.
_DAMAGED = ("Could not read enough bytes", "not a valid DuckDB database file", "Corrupt database",
            "checksum")
_HEADER = 3 * 4096  # DuckDB's file header and its two database headers, before the blocks


def _damaged_error(path: str, detail: str, detail_zh: str | None = None) -> StoreError:
    return StoreError(
        f"The warehouse file {path} is damaged ({detail}); salescore cannot read it. Restore it "
        "from a backup, or move it away and build it again (salescore init, then import the "
        "files again; or salescore demo).",
        message_zh=f"数据仓库文件 {path} 已损坏（{detail_zh or detail}），salescore 无法读取。"
                   "请从备份恢复；或将其移走后重新建立（salescore init 后重新导入数据文件，"
                   "或 salescore demo）。")


def duckdb_memory_limit(environ: Mapping[str, str] | None = None) -> str:
    """The buffer memory a DuckDB warehouse may use: ``SALESCORE_DUCKDB_MEMORY_LIMIT`` when
    set in ``environ`` (the process's environment by default; DuckDB's own units: ``4GB``,
    ``512MB``), else half of the machine's physical memory.

    >>> duckdb_memory_limit({"SALESCORE_DUCKDB_MEMORY_LIMIT": "3GB"})
    '3GB'
    >>> duckdb_memory_limit({}).endswith("MiB")
    True
    """
    environ = os.environ if environ is None else environ
    chosen = environ.get("SALESCORE_DUCKDB_MEMORY_LIMIT", "").strip()
    if chosen:
        return chosen
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: DuckDB's own default
        return "80%"
    return f"{max(256, physical // 2 // 2**20)}MiB"


def _check_whole(backend: BaseBackend, path: str) -> None:
    """A :class:`StoreError` saying the file is damaged when it is shorter than its own header
    says (cut short by a full disk or an interrupted copy). DuckDB reads blocks only when a
    query needs them, so such a file opens, and fails in the middle of a command. Not checked
    while a write-ahead log is beside the file: its blocks may not be in the file yet."""
    if Path(f"{path}.wal").exists():
        return
    try:
        [(block_size, blocks)] = backend.con.execute(
            "SELECT block_size, total_blocks FROM pragma_database_size() "
            "WHERE database_name = current_database()").fetchall()
        size = Path(path).stat().st_size
    except (duckdb.Error, OSError, ValueError):
        return  # nothing to compare: the commands will say what is wrong
    expected = _HEADER + int(blocks) * int(block_size)
    if size < expected:
        backend.disconnect()
        raise _damaged_error(path, f"{size:,} bytes of the {expected:,} its header describes",
                             f"文件只有 {size:,} 字节，其文件头记载应为 {expected:,} 字节")


class Warehouse:
    """An open warehouse. Use as a context manager, or call :meth:`close`."""

    url: WarehouseURL | SparkURL

    def __init__(self, backend: BaseBackend, url: WarehouseURL) -> None:
        self.backend = backend
        self.url = url
        self.dialect: Dialect = url.dialect
        self.writes = 0
        """How many statements that change rows or tables this object has run (what kept
        views compare to know the data changed under them, in this process)."""

    @classmethod
    def open(cls, url: str, *, read_only: bool = False) -> Warehouse:
        """Connect to the warehouse at ``url``; a clear :class:`StoreError` when it cannot."""
        if url.split("://", 1)[0].lower() in ("spark", "sc"):
            from salescore.engine.spark import SparkWarehouse  # PySpark only when asked for

            return SparkWarehouse.connect(url, read_only=read_only)
        parsed = WarehouseURL.parse(url)
        match parsed.dialect:
            case "duckdb":
                assert parsed.path is not None
                if parsed.path != ":memory:":
                    Path(parsed.path).parent.mkdir(parents=True, exist_ok=True)
                try:
                    backend = ibis.duckdb.connect(parsed.path, read_only=read_only,
                                                  memory_limit=duckdb_memory_limit())
                except duckdb.IOException as exc:
                    if "lock" in str(exc):
                        raise _locked_error(exc, parsed.path) from None
                    if any(sign in str(exc) for sign in _DAMAGED):
                        raise _damaged_error(parsed.path, str(exc)) from None
                    raise StoreError(f"cannot open the warehouse {parsed.path}: {exc}",
                                     message_zh=f"无法打开数据仓库 {parsed.path}：{exc}") from None
                if parsed.path != ":memory:":
                    _check_whole(backend, parsed.path)
            case "postgres":
                backend = cls._connect_postgres(parsed)
        return cls(backend, parsed)

    @staticmethod
    def _connect_postgres(parsed: WarehouseURL) -> BaseBackend:
        import psycopg

        try:
            backend = ibis.postgres.connect(
                host=parsed.host, port=parsed.port, user=parsed.user, password=parsed.password,
                database=parsed.database,
            )
            if parsed.schema:
                ident = parsed.schema.replace('"', '""')
                with backend.con.cursor() as cur:
                    cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{ident}"')
                    cur.execute(f'SET search_path TO "{ident}"')
        except psycopg.OperationalError as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"cannot reach the PostgreSQL warehouse {parsed.redacted()}: {detail}",
                message_zh=f"无法连接 PostgreSQL 数据仓库 {parsed.redacted()}：{detail}",
            ) from None
        return backend

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.backend.disconnect()

    # -- schema -------------------------------------------------------------------------------
    def create_tables(self) -> None:
        """Create every canonical table that does not exist yet, and bring one made by an
        older declaration up to date, rows kept (idempotent)."""
        for declared in TABLES:
            self.execute_sql(create_table_sql(declared, self.dialect))
        self._upgrade_tables()

    def _upgrade_tables(self) -> None:
        rows = self.execute_sql(
            "SELECT table_name, column_name, is_nullable, numeric_scale "
            "FROM information_schema.columns WHERE table_schema = current_schema()")
        existing: dict[str, dict[str, ExistingColumn]] = {}
        for name, column, nullable, scale in rows:
            existing.setdefault(str(name), {})[str(column)] = (
                str(nullable).upper() == "YES", None if scale is None else int(scale))
        stale = [(t, stale_columns(t, existing.get(t.name, {}))) for t in TABLES]
        if not any(columns for _, columns in stale):
            return
        with self.transaction():
            for declared, columns in stale:
                if columns:
                    for statement in upgrade_table_sql(declared, columns, self.dialect):
                        self.execute_sql(statement)

    def table(self, name: str) -> ibis.Table:
        """The bound Ibis table for canonical table ``name``."""
        table(name)  # a KeyError naming the known tables for a typo
        return self.backend.table(name)

    # -- statements ---------------------------------------------------------------------------
    def execute_sql(self, sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement on the raw connection; rows when it returns any."""
        if sql.lstrip()[:8].upper().startswith(_WRITES):
            self.writes += 1
        match self.dialect:
            case "duckdb":
                cursor = self.backend.con.execute(sql, params) if params else \
                    self.backend.con.execute(sql)
                return cursor.fetchall() if cursor.description else []
            case "postgres":
                with self.backend.con.cursor() as cur:
                    cur.execute(sql, params)
                    return cur.fetchall() if cur.description else []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        self.execute_sql("BEGIN")
        try:
            yield
        except BaseException:
            self.execute_sql("ROLLBACK")
            raise
        self.execute_sql("COMMIT")

    def append(self, name: str, data: pa.Table) -> int:
        """Insert ``data`` (declared columns, any order) into ``name``; returns rows written."""
        declared = table(name)
        target = schema(name).to_pyarrow()
        data = data.select(list(declared.column_names)).cast(target)
        if data.num_rows == 0:
            return 0
        from salescore.engine.maintain import forget

        forget(self)  # kept facts and roll-ups no longer cover every row
        columns = ", ".join(declared.column_names)
        match self.dialect:
            case "duckdb":
                with self.arrow_view(f"_salescore_append_{name}", data) as view:
                    self.execute_sql(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {view}")
            case "postgres":
                self.copy_rows(name, data)
        return data.num_rows

    @contextmanager
    def arrow_view(self, name: str, data: pa.Table) -> Iterator[str]:
        """DuckDB only: ``data`` readable as view ``name`` inside the block (no copy made)."""
        if self.dialect != "duckdb":
            raise StoreError(f"arrow_view needs DuckDB, not {self.dialect}")
        con = self.backend.con
        con.register(name, data)
        try:
            yield name
        finally:
            con.unregister(name)

    def copy_rows(self, name: str, data: pa.Table) -> None:
        """PostgreSQL only: append ``data``'s columns to the existing table ``name`` by COPY."""
        if self.dialect != "postgres":
            raise StoreError(f"copy_rows needs PostgreSQL, not {self.dialect}")
        self.writes += 1
        names = ", ".join(data.column_names)
        statement = f"COPY {name} ({names}) FROM STDIN"
        with self.backend.con.cursor() as cur, cur.copy(statement) as copy:
            for row in zip(*(data.column(c).to_pylist() for c in data.column_names), strict=True):
                copy.write_row(row)

    def table_info(self) -> list[TableInfo]:
        """Row count and time range of every canonical table, in declaration order."""
        infos = []
        for declared in TABLES:
            if declared.time_column:
                col = declared.time_column
                row = self.execute_sql(f"SELECT count(*), min({col}), max({col}) "
                                       f"FROM {declared.name}")[0]
                infos.append(TableInfo(declared.name, int(row[0]), row[1], row[2]))
            else:
                rows = self.execute_sql(f"SELECT count(*) FROM {declared.name}")[0][0]
                infos.append(TableInfo(declared.name, int(rows), None, None))
        return infos
