"""What every dashboard's first visit needs, worked out once per data stamp for the whole
organisation, kept, and filtered to each caller's scope.

The records that need action (:mod:`salescore.analytics.needs_action`) are three lists over
the raw activities, stage changes and surveys: seconds of work on a large organisation, the
same for everyone (a record's place in them never depends on who looks, see
:meth:`Session.needs_action`). They are worked out once over every rep, when the data changes
(:func:`refresh_page_views`: the end of an import, of scoring, of the demo's load; an accepted
event calls it too), kept in memory and in ``<home>/kept/pages/`` under the data stamp, and a
caller's list is the rows of the reps they reach. So are the data's last day and the roster.

The **data stamp** (:func:`data_stamp`) names what the kept views depend on: the last change of
the warehouse (an import, the demo), of targets and settings, the latest stored score, and the
page views' version, which :func:`refresh_page_views` moves on. A view kept under another stamp
is never read again. Two callers asking for the same view while it is worked out wait for the
one computation (:func:`kept_view`: per-key single flight), never for each other's different
views.

>>> import tempfile
>>> from salescore.workspace import Workspace
>>> with tempfile.TemporaryDirectory() as d, Workspace.init(d) as ws:
...     before = data_stamp(ws)
...     _ = refresh_page_views(ws, warm=False)
...     before != data_stamp(ws)
True
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import shutil
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from salescore.appstore.audit import last_change
from salescore.appstore.scores import scores_stamp
from salescore.core.lru import MISSING, Lru
from salescore.core.periods import Grain, Period
from salescore.core.scope import Scope

if TYPE_CHECKING:
    import pyarrow as pa

    from salescore.analytics.needs_action import ActionKind
    from salescore.engine.kpis import KpiResult
    from salescore.engine.runner import Runner
    from salescore.semantic.catalog import Catalog
    from salescore.workspace.workspace import Workspace

__all__ = ["DASHBOARD_KPIS", "KEPT_DIR", "data_stamp", "kept_kpis", "kept_reach_runner",
           "kept_view", "parallel_reads", "reading",
           "kpi_digest", "last_day", "needs_action_lists", "refresh_page_views"]

KEPT_DIR = Path("kept") / "pages"
"""Where, under the data folder, the kept views are written (one folder per data stamp)."""
VERSION_FILE = "version"
KEPT_IN_MEMORY = 64
STAMP_SECONDS = 1.0
"""How long a read stamp is trusted before the app store is asked again (a change through
this process moves it at once: :func:`refresh_page_views`)."""

STAMP_TABLES = ("audit_log", "scores")
"""The app-store tables the stamp is read from: a write by this process to one of them makes
the next stamp read again at once (a sign-in's or a web session's write does not)."""

DASHBOARD_KPIS: tuple[str, ...] = ("revenue_won", "win_rate", "pipeline_coverage",
                                   "avg_sales_cycle_days", "csat_avg")
"""The KPIs of the company page, worked out for this quarter by company, team and rep at
each change of data (and revenue won by rep, the explorer's first view, with them)."""

T = TypeVar("T")


class _Views:
    """One workspace's kept views: values by key, the computations under way, the stamp."""

    def __init__(self) -> None:
        self.values: Lru[tuple[Any, ...], Any] = Lru(KEPT_IN_MEMORY)
        self.flights: dict[tuple[Any, ...], threading.Lock] = {}
        self.guard = threading.Lock()
        # the stamp as (read at, warehouse writes, stamp, app-store writes)
        self.stamp: tuple[float, int, str, int] | None = None
        self.clean_writes = 0  # the warehouse's writes when the stamp last said them all


_VIEWS: weakref.WeakKeyDictionary[Workspace, _Views] = weakref.WeakKeyDictionary()
_GLOBAL = threading.Lock()


def _views(workspace: Workspace) -> _Views:
    with _GLOBAL:
        found = _VIEWS.get(workspace)
        if found is None:
            found = _VIEWS[workspace] = _Views()
        return found


def _folder(workspace: Workspace) -> Path:
    return workspace.locations.home / KEPT_DIR


def _version(workspace: Workspace) -> str:
    try:
        return (_folder(workspace) / VERSION_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return "0"


def _read_stamp(workspace: Workspace) -> str:
    with workspace._app.session() as store:
        parts: list[Any] = [last_change(store, ("import_run", "warehouse")),
                            last_change(store, ("target",)), last_change(store, ("settings",)),
                            *scores_stamp(store)]
    digest = hashlib.sha256(json.dumps([str(p) for p in parts]).encode())
    digest.update(workspace.settings.model_dump_json().encode())
    digest.update(_version(workspace).encode())
    return digest.hexdigest()[:20]


def data_stamp(workspace: Workspace, *, fresh: bool = False) -> str:
    """What the kept views of ``workspace`` depend on, as a short text: it changes whenever the
    warehouse's rows, targets, settings or stored scores change, or :func:`refresh_page_views`
    is called. Read again from the app store at most every :data:`STAMP_SECONDS` (``fresh``:
    now)."""
    views = _views(workspace)
    now = time.monotonic()
    opened = workspace._opened_warehouse
    writes = opened.writes if opened is not None else 0  # rows written by this process
    # app-store changes by this process to what the stamp reads (not sign-ins or touches)
    stored = workspace._app.writes_to(STAMP_TABLES)
    with views.guard:
        if not fresh and views.stamp is not None and now - views.stamp[0] < STAMP_SECONDS \
                and views.stamp[1] == writes and views.stamp[3] == stored:
            return views.stamp[2]
    stamp = _read_stamp(workspace)
    with views.guard:
        if writes != views.clean_writes:  # rows written around the import path: this process
            stamp += f"-w{writes}"  # alone knows, and never from the kept files
        views.stamp = (now, writes, stamp, stored)
    return stamp


def refresh_page_views(workspace: Workspace, *, warm: bool = True) -> str:
    """The data changed: every kept page view of ``workspace`` is dropped (in memory and in
    ``<home>/kept/pages``) and the stamp moves on, so that nothing worked out before is read
    again; with ``warm``, what the dashboards' first visits need is worked out now (the data's
    last day, the records that need action as of it for its month), so that no visitor waits
    for it. Imports, scoring, the demo's load and accepted events call it. The new stamp."""
    folder = _folder(workspace)
    version = str(int(_version(workspace)) + 1) if _version(workspace).isdigit() else "1"
    views = _views(workspace)
    opened = workspace._opened_warehouse
    with views.guard:
        views.values.clear()
        views.stamp = None
        views.clean_writes = opened.writes if opened is not None else 0
    if not workspace.read_only:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        tmp = folder / (VERSION_FILE + ".tmp")
        tmp.write_text(version, encoding="utf-8")
        tmp.replace(folder / VERSION_FILE)
    stamp = data_stamp(workspace, fresh=True)
    if warm:
        prepare_page_views(workspace)
    return stamp


def prepare_page_views(workspace: Workspace) -> None:
    """What the dashboards' first visits need, worked out (or read back from the kept files
    of the current data stamp where scoring or an import left them), with the query engine
    loaded and the warehouse open on the way: after a change of data, and at a server's
    start before it answers anyone, so that the first visitors do not queue behind it.
    Nothing on Spark, where each of the dozen queries is a cluster job of seconds (after
    every import that would be minutes): there the pages work their views out on first
    visit."""
    if workspace._warehouse.backend.name != "pyspark":
        _warm(workspace)


def _warm(workspace: Workspace) -> None:
    """Work out what the dashboards' first visits need: the records that need action as of
    the data's last day (surveys of its month and quarter), the stored scores the team pages
    read, and the company page's KPIs this quarter by company, team and rep."""
    day = last_day(workspace)
    calendar = workspace.settings.calendar
    if day is not None:
        needs_action_lists(workspace, day, calendar.period_of(day, Grain.MONTH))
        needs_action_lists(workspace, day, calendar.period_of(day, Grain.QUARTER))
    whole = workspace.session(Scope.everything())
    # The team pages' reads of stored scores: every team's history, and each plan's latest
    # two scored periods (a leaderboard and its rank changes), read once here rather than by
    # the first visitor (on the large demo 1.5 s of the company's team page).
    history = whole.team_score_history([t["team_id"] for t in whole.teams()])
    periods: dict[str, set[str]] = {}
    for score in history:
        periods.setdefault(score.plan, set()).add(score.period)
    for plan, labels in sorted(periods.items()):
        for label in sorted(labels, key=lambda p: calendar.parse(p).start)[-2:]:
            whole.stored_scores(label, plan)
    names = [k for k in DASHBOARD_KPIS if k in whole.catalog.kpis]
    quarter = str(calendar.parse("this-quarter"))
    for by in ("company", "team", "rep"):
        whole.kpi_result(names, by=by, period=quarter)
    if "revenue_won" in whole.catalog.kpis:
        whole.kpi_result(["revenue_won"], by="rep", period=quarter)


def kept_view(workspace: Workspace, key: tuple[Any, ...], make: Callable[[], T]) -> T:
    """What ``make`` gives, kept for ``workspace`` under ``key`` and the current data stamp
    (among the :data:`KEPT_IN_MEMORY` last). Callers asking for the same key while it is being
    made wait for that one computation; different keys do not wait for each other here."""
    views = _views(workspace)
    full = (data_stamp(workspace), *key)
    found = views.values.get(full, MISSING)
    if found is not MISSING:
        return cast(T, found)
    with views.guard:
        flight = views.flights.setdefault(full, threading.Lock())
    with flight:
        found = views.values.get(full, MISSING)
        if found is not MISSING:
            return cast(T, found)
        value = make()
        views.values.put(full, value)
        with views.guard:
            views.flights.pop(full, None)
    return value


@functools.cache
def _kept_reach_class() -> type[Runner]:
    from salescore.engine.runner import Reach, Runner

    class KeptReach(Runner):
        """A runner whose reach is read once per data stamp for its workspace."""

        workspace: Workspace

        @functools.cached_property
        def reach(self) -> Reach:
            read: Callable[[], Reach] = lambda: Runner.reach.func(self)  # type: ignore[attr-defined]  # noqa: E731
            if self.scope.kind == "everything":  # nothing to read
                return read()
            return kept_view(self.workspace, ("reach", self.scope), read)

    return KeptReach


_LOCAL = threading.local()


def parallel_reads(workspace: Workspace) -> bool:
    """Whether reads of ``workspace`` may run side by side, each thread on its own cursor of
    the warehouse (DuckDB; a PostgreSQL connection is one at a time)."""
    return workspace._warehouse.dialect == "duckdb"


@contextlib.contextmanager
def reading(workspace: Workspace) -> Iterator[None]:
    """Inside the block, this thread's queries of ``workspace`` run on a cursor of its own
    (DuckDB), so that a page's view is worked out beside others' instead of after them; the
    cursor is kept for the thread's next block."""
    before = getattr(_LOCAL, "reading", None)
    _LOCAL.reading = workspace
    try:
        yield
    finally:
        _LOCAL.reading = before


def _backend(workspace: Workspace) -> Any:
    warehouse = workspace._warehouse
    if getattr(_LOCAL, "reading", None) is not workspace or warehouse.dialect != "duckdb":
        return warehouse.backend
    cursors = getattr(_LOCAL, "cursors", None)
    if cursors is None:
        cursors = _LOCAL.cursors = weakref.WeakKeyDictionary()
    found = cursors.get(warehouse)
    if found is None:
        import ibis

        found = cursors[warehouse] = ibis.duckdb.from_connection(warehouse.backend.con.cursor())
    return found


def kept_reach_runner(workspace: Workspace, scope: Scope) -> Runner:
    """A :class:`~salescore.engine.runner.Runner` of ``scope`` on ``workspace``'s warehouse
    (this thread's cursor inside :func:`reading`) whose reach (two small queries) is kept per
    data stamp and scope."""
    runner = _kept_reach_class()(_backend(workspace), scope)
    runner.workspace = workspace  # type: ignore[attr-defined]
    return runner


def kept_kpis(workspace: Workspace, key: tuple[Any, ...], make: Callable[[], KpiResult]
              ) -> KpiResult:
    """The KPI result ``make`` gives, kept under ``key`` (:func:`kept_view`) and in the kept
    files of the data stamp (the table as Parquet, the rest as JSON), so that a server started
    after scoring reads what scoring worked out."""

    def load_or_make() -> KpiResult:
        stamp = data_stamp(workspace)
        on_disk = "-w" not in stamp
        name = "kpis-" + hashlib.sha256(repr(key).encode()).hexdigest()[:24]
        path = _folder(workspace) / stamp / name
        found = _read_result(path) if on_disk else None
        if found is not None:
            return found
        result = make()
        if on_disk and not workspace.read_only:
            _write_result(path, result)
        return result

    return kept_view(workspace, key, load_or_make)


def _read_result(path: Path) -> KpiResult | None:
    import pyarrow.parquet as pq

    from salescore.engine.explained import Notice
    from salescore.engine.kpis import KpiRequest, KpiResult

    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        table = pq.read_table(path.with_suffix(".parquet"))
    except (OSError, ValueError):
        return None
    kpis, by, period, grain = meta["request"]
    return KpiResult(
        table=table, request=KpiRequest.of(kpis, by=by, period=period, grain=grain),
        outputs=tuple(meta["outputs"]), subject=meta["subject"],
        notices=tuple(Notice(*n) for n in meta["notices"]), queries=meta["queries"],
        passes=meta["passes"], seconds=meta["seconds"],
        reasons={k: Notice(*n) for k, n in meta["reasons"].items()})


def _write_result(path: Path, result: KpiResult) -> None:
    import pyarrow.parquet as pq

    r = result.request
    meta = {"request": [list(r.kpis), r.by, r.period, str(r.grain.value) if r.grain else None],
            "outputs": list(result.outputs), "subject": result.subject,
            "notices": [[n.message, n.message_zh] for n in result.notices],
            "reasons": {k: [n.message, n.message_zh] for k, n in result.reasons.items()},
            "queries": result.queries, "passes": result.passes, "seconds": result.seconds}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(result.table, tmp)
        tmp.replace(path.with_suffix(".parquet"))
        path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    except OSError:
        pass


def kpi_digest(catalog: Catalog, kpis: Sequence[str]) -> str:
    """What identifies the definitions of ``kpis`` in ``catalog`` (a user KPI edited, a
    catalogue folder of its own), for a key of :func:`kept_view`."""
    digest = hashlib.sha256()
    for name in kpis:
        spec = catalog.kpis.get(name)
        digest.update(name.encode())
        digest.update(b"" if spec is None else spec.model_dump_json().encode())
    return digest.hexdigest()[:20]


def last_day(workspace: Workspace) -> date | None:
    """The organisation's last day of data (:meth:`Session.data_last_day`), kept per stamp."""
    from salescore.analytics import needs_action as na
    from salescore.workspace.session import _runner

    def make() -> date | None:
        when = _runner(workspace, Scope.everything()).rows(na.last_event())[0]["last_at"]
        return None if when is None else workspace.settings.calendar.local_date(when)

    return kept_view(workspace, ("last_day",), make)


def needs_action_lists(workspace: Workspace, as_of: date, shown: Period
                       ) -> dict[ActionKind, pa.Table]:
    """Every record of the organisation that needs action as of ``as_of`` (surveys of
    ``shown``), by kind, each in its list's order: worked out over every rep once per data
    stamp, kept in memory and in ``<home>/kept/pages/<stamp>/`` (Parquet), read back from there
    by a server started later on the same data."""

    deals = _kept_lists(workspace, ("no_activity", "stuck"), as_of, None)
    surveys = _kept_lists(workspace, ("low_survey",), as_of, shown)
    return {**deals, **surveys}


def _kept_lists(workspace: Workspace, kinds: tuple[ActionKind, ...], as_of: date,
                shown: Period | None) -> dict[ActionKind, pa.Table]:
    """The lists ``kinds`` as of ``as_of`` (surveys of ``shown``): in memory, else from the
    kept files of the stamp, else worked out (and written there)."""

    def make() -> dict[ActionKind, pa.Table]:
        stamp = data_stamp(workspace)
        on_disk = "-w" not in stamp  # the stamp says every change: the files may serve
        folder = _folder(workspace) / stamp
        name = f"needs_action-{as_of.isoformat()}" + (f"-{shown}" if shown else "")
        found = _read_lists(folder, name, kinds) if on_disk else None
        if found is not None:
            return found
        lists = _org_lists(workspace, kinds, as_of, shown)
        if on_disk and not workspace.read_only:
            _write_lists(folder, name, lists)
        return lists

    return kept_view(workspace, ("needs_action", kinds, as_of, str(shown)), make)


def _org_lists(workspace: Workspace, kinds: tuple[ActionKind, ...], as_of: date,
               shown: Period | None) -> dict[ActionKind, pa.Table]:
    from salescore.analytics import needs_action as na
    from salescore.workspace.session import _runner

    whole = _runner(workspace, Scope.everything())
    zone = workspace.settings.calendar.zone
    out: dict[ActionKind, pa.Table] = {}
    if "no_activity" in kinds:
        out["no_activity"] = whole.run(na.no_activity(as_of, zone))
    if "stuck" in kinds:
        usual = na.usual_table(whole.run(na.stage_usual(as_of, zone)))
        out["stuck"] = whole.run(na.stuck_deals(as_of, zone, usual))
    if "low_survey" in kinds:
        assert shown is not None
        out["low_survey"] = whole.run(na.low_surveys(as_of, zone, shown.start, shown.end))
    return out


def _read_lists(folder: Path, name: str, kinds: tuple[ActionKind, ...]
                ) -> dict[ActionKind, pa.Table] | None:
    import pyarrow.parquet as pq

    try:
        return {kind: pq.read_table(folder / f"{name}-{kind}.parquet") for kind in kinds}
    except (OSError, ValueError):
        return None


def _write_lists(folder: Path, name: str, lists: dict[ActionKind, pa.Table]) -> None:
    import pyarrow.parquet as pq

    try:
        folder.mkdir(parents=True, exist_ok=True)
        for kind, table in lists.items():
            tmp = folder / f"{name}-{kind}.parquet.tmp"
            pq.write_table(table, tmp)
            tmp.replace(folder / f"{name}-{kind}.parquet")
    except OSError:  # a read-only data folder: kept in memory alone
        pass
