"""KPI tables (and what analyses derive from them) kept while what they came from stands.

An analysis such as strengths reads every catalogue KPI per rep for a period: one engine query,
but seconds of compiling and running on a large organisation. :func:`kpi_table` keeps the last
:data:`KEPT` tables per workspace, keyed by the request, the scope, and what could change the
answer: the warehouse's last change (imports and the demo's load, as "data as of" says), the
last change of targets and settings, and the definitions of the KPIs asked. Anything else
(a new catalogue, another workspace) misses. A kept table is an Arrow table, never changed in
place.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pyarrow as pa

from salescore.appstore.audit import last_change
from salescore.core.lru import MISSING, Lru
from salescore.core.periods import Grain, Period
from salescore.scorecards.inputs import kpi_values, span_label

if TYPE_CHECKING:
    from salescore.workspace.session import Session
    from salescore.workspace.workspace import Workspace

__all__ = ["KEPT", "forget", "kept", "kpi_table", "stamp"]

KEPT = 8
"""How many KPI tables a workspace keeps (the least recently used goes first)."""

T = TypeVar("T")

_TABLES: weakref.WeakKeyDictionary[Workspace, Lru[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary())
_LOCK = threading.Lock()


def _kept_for(workspace: Workspace) -> Lru[tuple[Any, ...], Any]:
    with _LOCK:
        found = _TABLES.get(workspace)
        if found is None:
            found = _TABLES[workspace] = Lru(KEPT)
        return found


def stamp(session: Session, kpis: Sequence[str]) -> tuple[Any, ...]:
    """What a result computed from ``kpis`` through ``session`` depends on, beside the request:
    the last change of the warehouse, of targets and of settings, and the KPIs' definitions."""
    return _stamp(session, kpis)


def _stamp(session: Session, kpis: Sequence[str]) -> tuple[Any, ...]:
    with session.workspace._app.session() as store:
        changed = (last_change(store, ("import_run", "warehouse")),
                   last_change(store, ("target",)), last_change(store, ("settings",)))
    specs = session.catalog.kpis
    digest = hashlib.sha256()
    for name in kpis:
        spec = specs.get(name)
        digest.update(name.encode())
        digest.update(b"" if spec is None else spec.model_dump_json().encode())
    digest.update(session.workspace.settings.model_dump_json().encode())
    return (*changed, digest.hexdigest())


def kpi_table(session: Session, kpis: Sequence[str], *, by: str, periods: Sequence[Period],
              grain: Grain, subjects: Sequence[str] | None = None) -> pa.Table:
    """``kpis`` per subject (``by``; only ``subjects`` when given) and period of ``grain`` over
    ``periods``' days, as :func:`salescore.scorecards.inputs.kpi_values` reads them through
    ``session``'s engine, from the workspace's kept tables when nothing they depend on has
    changed."""
    key = (session.scope, tuple(kpis), by, span_label(periods), str(grain),
           None if subjects is None else tuple(subjects), *_stamp(session, kpis))
    kept_here = _kept_for(session.workspace)
    found = kept_here.get(key)
    if found is not None:
        return cast(pa.Table, found)
    table = kpi_values(session.engine, kpis, by=by, periods=periods, grain=grain,
                       subjects=subjects)
    kept_here.put(key, table)
    return table


def kept(session: Session, key: tuple[Any, ...], make: Callable[[], T]) -> T:
    """What ``make`` gives, kept for ``session``'s workspace under ``key`` (which must name
    everything the value depends on, :func:`stamp` included) among its :data:`KEPT` last."""
    kept_here = _kept_for(session.workspace)
    key = ("kept", session.scope, *key)
    found = kept_here.get(key, MISSING)
    if found is not MISSING:
        return cast(T, found)
    value = make()
    kept_here.put(key, value)
    return value


def forget(workspace: Workspace) -> None:
    """Drop every table kept for ``workspace`` (a benchmark's cold start)."""
    with _LOCK:
        _TABLES.pop(workspace, None)
