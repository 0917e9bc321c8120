"""Compiled KPI queries kept on disk, so that a new process does not compile again what an
earlier one compiled.

Compiling a request (building its Ibis expression, then generating DuckDB SQL from it) costs
0.3–3 s of CPU for a wide one, and a process keeps what it compiled only in memory
(:meth:`salescore.engine.kpis.KpiEngine.prepared_in`). A workspace's store keeps, per compiled
request, the SQL text, the result's schema and what the engine reports of the compile, in
``<home>/kept/sql/<key>.json``; the engine of a new process (a server just started, a CLI
command) runs that SQL instead of compiling.

The key names everything compiling reads: the code that compiles (a digest of salescore's own
source files and the versions of Ibis and DuckDB), the catalogue's definitions, the backend,
the scope's reach, the request and the context asked of the warehouse (periods, rates, team
tree, kept tables). The data itself is not in the key: a query compiled before an import reads
the rows the import added. A changed definition, scope, context or code makes a new key; old
files are left to :data:`KEEP` (the least recently written are removed). The small in-memory
tables a query reads (its periods and days, the team tree) are kept with it and registered
again under the same names before it runs.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import os
import threading
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

__all__ = ["KEEP", "SqlStore", "StoredQuery", "arrow_from_text", "arrow_to_text", "canonical",
           "code_digest"]

KEEP = 2000
"""The most compiled queries a workspace keeps on disk."""


@dataclasses.dataclass(frozen=True)
class StoredQuery:
    """A compiled request as kept: its SQL, the result's columns (name, Ibis type) and what
    the compile reported (see :class:`salescore.compile.kpis.CompiledKpis`)."""

    sql: str
    columns: tuple[tuple[str, str], ...]
    outputs: tuple[str, ...]
    subject: str | None
    missing: tuple[str, ...] = ()
    passes: int = 0
    notes: tuple[str, ...] = ()
    unconvertible: tuple[str, ...] = ()
    from_rollups: tuple[str, ...] = ()
    memtables: tuple[tuple[str, str], ...] = ()
    """The small in-memory tables the SQL names (periods, days, team membership): each
    name with its rows as base64 Arrow IPC, registered again before the SQL runs."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> StoredQuery:
        raw = json.loads(text)
        raw["columns"] = tuple((str(n), str(t)) for n, t in raw["columns"])
        raw["memtables"] = tuple((str(n), str(d)) for n, d in raw.get("memtables", ()))
        for name in ("outputs", "missing", "notes", "unconvertible", "from_rollups"):
            raw[name] = tuple(raw[name])
        return cls(**raw)


class SqlStore:
    """The compiled queries kept in ``folder`` (written only when ``writable``)."""

    def __init__(self, folder: Path, *, writable: bool = True) -> None:
        self.folder = folder
        self.writable = writable
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> StoredQuery | None:
        try:
            text = (self.folder / f"{key}.json").read_text(encoding="utf-8")
            found = StoredQuery.from_json(text)
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return found

    def put(self, key: str, query: StoredQuery) -> None:
        """Keep ``query`` under ``key`` (written whole or not at all; a folder that cannot be
        written keeps nothing)."""
        if not self.writable:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f"{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_text(query.to_json(), encoding="utf-8")
            tmp.replace(self.folder / f"{key}.json")
            self._trim()
        except OSError:
            return

    def _trim(self) -> None:
        kept = list(self.folder.glob("*.json"))
        if len(kept) <= KEEP:
            return
        kept.sort(key=lambda p: p.stat().st_mtime)
        for old in kept[: len(kept) - KEEP]:
            old.unlink(missing_ok=True)

    def key(self, *parts: Any) -> str:
        """The file name for a request compiled from ``parts`` (canonical, so the same
        request in another process gives the same key) by this code."""
        digest = hashlib.sha256(code_digest().encode())
        for part in parts:
            digest.update(b"\x00")
            digest.update(canonical(part).encode())
        return digest.hexdigest()[:40]


def canonical(value: Any) -> str:
    """``value`` as text that is the same in every process for equal values: dataclasses by
    their fields, sets sorted, mappings by sorted key, dates in ISO form, Pydantic models by
    their JSON."""
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return [type(value).__name__, _plain(value.value)]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__,
                {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}]
    if hasattr(value, "model_dump"):
        return [type(value).__name__, value.model_dump(mode="json")]
    if isinstance(value, Mapping):
        return sorted(([_plain(k), _plain(v)] for k, v in value.items()), key=repr)
    if isinstance(value, set | frozenset):
        return ["set", sorted((_plain(v) for v in value), key=repr)]
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return repr(value)


@functools.cache
def code_digest() -> str:
    """What identifies the code that compiles: salescore's source files and the versions of
    Ibis and DuckDB (read once per process)."""
    import duckdb
    import ibis

    import salescore

    digest = hashlib.sha256(f"{ibis.__version__} {duckdb.__version__}".encode())
    root = Path(salescore.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def arrow_to_text(table: Any) -> str:
    """An Arrow table as base64 Arrow IPC (for a JSON file)."""
    import base64

    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def arrow_from_text(text: str) -> Any:
    """What :func:`arrow_to_text` wrote, as an Arrow table."""
    import base64

    import pyarrow as pa

    return pa.ipc.open_stream(base64.b64decode(text)).read_all()
