"""A session: the workspace as one caller with one scope sees it.

Every read of the organisation's data goes through a session, and a session cannot be had without
a :class:`~salescore.core.scope.Scope`: ``ws.session(Scope.rep("R00011"))``. Its one
:class:`~salescore.engine.runner.Runner` applies the scope to every query; writes (imports,
scoring, plans, targets, the demo) need the writable everything-scope. The CLI works in the
data folder's owner session (``ws.owner()``); the web app opens one session per request.

>>> import tempfile
>>> from salescore.workspace import Workspace
>>> with tempfile.TemporaryDirectory() as d, Workspace.init(d) as ws:
...     ws.session(Scope.everything()).kpis(["deals_won"], by="company",
...                                         period="2025-Q1").to_pylist()
[{'period': '2025-Q1', 'deals_won': 0}]
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from salescore.appstore.audit import last_change, record_audit
from salescore.appstore.imports import import_runs, newest_quality_report
from salescore.appstore.models import ImportRun, Score
from salescore.appstore.models import QualityReport as StoredQualityReport
from salescore.appstore.timestamps import utcnow
from salescore.core.errors import SalescoreError
from salescore.core.periods import Grain
from salescore.core.scope import OutOfScope, Scope
from salescore.core.text import Text
from salescore.model.tables import TABLES
from salescore.semantic.catalog import Catalog
from salescore.semantic.plan import Plan
from salescore.workspace.settings import apply_setting, setting_values

T = TypeVar("T")

DEMO_COMMIT_ROWS = 2_000_000
"""About how many of the demo's rows :meth:`Session.load_demo` commits at a time."""

if TYPE_CHECKING:  # the query engine is imported when data is first read (see Workspace)
    import ibis.expr.types as ir
    import pyarrow as pa

    from salescore.analytics.needs_action import NeedsAction
    from salescore.demo import DemoConfig
    from salescore.engine.explained import Explanation
    from salescore.engine.kpis import KpiEngine, KpiResult
    from salescore.engine.runner import Reach, Runner
    from salescore.engine.warehouse import TableInfo
    from salescore.ingest import ImportOptions, ImportResult, MappingSpec, Progress, QualityReport
    from salescore.ingest.export import ExportFormat
    from salescore.ml.service import MlService
    from salescore.scorecards import (
        Adoption,
        PlanVersionInfo,
        Scorecards,
        ScoreExplanation,
        ScoreRun,
        TargetChange,
        WhatIf,
    )
    from salescore.workspace.coaching import Coaching
    from salescore.workspace.realtime import Realtime
    from salescore.workspace.workspace import Workspace

__all__ = ["ImportPreset", "ImportRecord", "RecordedImport", "Session", "StoredScore"]


def unbound(name: str) -> ir.Table:
    """Canonical table ``name`` as an unbound expression (:func:`salescore.compile.schema.unbound`,
    imported on first use)."""
    from salescore.compile.schema import unbound as table

    return table(name)


def _runner(workspace: Workspace, scope: Scope) -> Runner:
    """A runner of ``scope`` on the workspace's warehouse, whose reach (the reps and teams the
    scope reaches) is read once per data stamp (:func:`page_views.kept_reach_runner`)."""
    from salescore.workspace.page_views import kept_reach_runner

    return kept_reach_runner(workspace, scope)


@dataclass(frozen=True, slots=True)
class StoredScore:
    """One materialised score as a session reads it: the plan and version it was scored under,
    the subject (a rep or a team), and its score, rating and ranks. ``shown`` is
    ``rank_and_rating`` for a colleague's row on a rep's team leaderboard when the
    organisation's settings keep colleagues' scores private: its ``score`` and ``coverage``
    are left out (``None``); otherwise ``all``."""

    plan: str
    version: int
    period: str
    subject_kind: str
    subject_id: str
    team_id: str | None
    status: str
    score: float | None
    rating: str | None
    rank_team: int | None
    rank_company: int | None
    coverage: float | None
    computed_at: datetime
    shown: Literal["all", "rank_and_rating"] = "all"
    breakdown: Mapping[str, Any] | None = None  # what the score is made of; None when hidden

    @classmethod
    def of(cls, row: Score, *, hidden: bool = False) -> StoredScore:
        """The session's view of stored row ``row``; ``hidden`` leaves out what a colleague's
        row on a private leaderboard may not show (score, coverage and breakdown)."""
        return cls(
            plan=row.plan_version.plan.name, version=row.plan_version.version,
            period=row.period, subject_kind=row.subject_kind, subject_id=row.subject_id,
            team_id=row.team_id, status=row.status, score=None if hidden else row.score,
            rating=row.rating, rank_team=row.rank_team, rank_company=row.rank_company,
            coverage=None if hidden else row.coverage, computed_at=row.computed_at,
            shown="rank_and_rating" if hidden else "all",
            breakdown=None if hidden else row.breakdown)

    def lines(self) -> list[Mapping[str, Any]]:
        """The score's lines as stored (kpi, value, target, attainment, points, weight, ...);
        none when hidden."""
        return list((self.breakdown or {}).get("lines", []))


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One import run as the app store keeps it (``rejects_file``: where its rejected rows are,
    when there were any; ``message``: its notes, or why it failed, in English)."""

    id: int
    table: str
    source: str
    mapping: str | None
    status: str
    actor: str
    started_at: datetime
    finished_at: datetime | None
    read_rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    message: str | None
    rejects_file: Path | None

    @classmethod
    def of(cls, run: ImportRun) -> ImportRecord:
        return cls(id=run.id, table=run.table_name, source=run.source, mapping=run.mapping,
                   status=run.status, actor=run.actor, started_at=run.started_at,
                   finished_at=run.finished_at, read_rows=run.read_rows,
                   inserted=run.inserted, updated=run.updated, unchanged=run.unchanged,
                   rejected=run.rejected, message=run.message,
                   rejects_file=Path(run.rejects_file) if run.rejects_file else None)


@dataclass(frozen=True, slots=True)
class RecordedImport:
    """An import's result and the id of its run in the app store."""

    run_id: int
    result: ImportResult


class Session:
    """The workspace seen through ``scope``, with the KPI catalogue of ``catalog_dir`` (default:
    the shipped one with ``<home>/kpis`` merged over it)."""

    def __init__(self, workspace: Workspace, scope: Scope, *,
                 catalog_dir: Path | str | None = None) -> None:
        if not isinstance(scope, Scope):
            raise TypeError("a session needs a Scope")
        self.workspace = workspace
        self.scope = scope
        self.catalog_dir = catalog_dir

    @cached_property
    def runner(self) -> Runner:
        """What runs this session's queries, with its scope applied (the warehouse is opened
        and the query engine imported on the first one)."""
        return _runner(self.workspace, self.scope)

    @property
    def locale(self) -> str:
        return self.workspace.locale

    @property
    def reach(self) -> Reach:
        """The reps and teams this session's scope reaches."""
        return self.runner.reach

    # -- the organisation: reps, teams, targets ----------------------------------------------
    @cached_property
    def _roster_ids(self) -> tuple[frozenset[str], frozenset[str]]:
        """Every rep and team id the scope reaches that exists (read once per data stamp)."""
        return (frozenset(r["rep_id"] for r in self.reps()),
                frozenset(t["team_id"] for t in self.teams()))

    def require_rep(self, rep_id: str) -> None:
        """Raise :class:`OutOfScope` unless ``rep_id`` is a rep this session reaches (a rep
        that does not exist is told the same way as one out of reach)."""
        if not self.reach.has_rep(rep_id) or rep_id not in self._roster_ids[0]:
            raise OutOfScope(f"there is no rep {rep_id} within {self.scope.describe('en')}",
                             message_zh=f"{self.scope.describe('zh')}内没有销售 {rep_id}")

    def require_team(self, team_id: str) -> None:
        """Raise :class:`OutOfScope` unless ``team_id`` is a team this session reaches."""
        if not self.reach.has_team(team_id) or team_id not in self._roster_ids[1]:
            raise OutOfScope(f"there is no team {team_id} within {self.scope.describe('en')}",
                             message_zh=f"{self.scope.describe('zh')}内没有团队 {team_id}")

    def reps(self, *, team_id: str | None = None, active: bool | None = None
             ) -> list[dict[str, Any]]:
        """The reps the scope reaches (of ``team_id`` alone, active or not), by id; a team the
        scope does not reach is :class:`OutOfScope`, as when it is asked for by its id."""
        table = unbound("reps")
        if team_id is not None:
            self.require_team(team_id)
            table = table.filter(table.team_id == team_id)
        if active is not None:
            table = table.filter(table.active == active)
        return self._kept_rows(("reps", team_id, active), table.order_by("rep_id"), "reps")

    def _kept_rows(self, key: tuple[Any, ...], expr: Any, table: str | None = None
                   ) -> list[dict[str, Any]]:
        """The rows of ``expr`` within the scope, read once per data stamp (each call gets
        its own copies). For ``table``, a small table whose rows name their owner (reps,
        teams): the organisation's rows, read once for every scope, filtered by the runner's
        own test of what the scope sees, rather than a query compiled for each scope."""
        from salescore.workspace.page_views import kept_view

        test = self.runner.row_test(table) if table is not None else None
        if test is None or self.reach.everything:
            rows = kept_view(self.workspace, (*key, self.scope),
                             lambda: self.runner.rows(expr))
            return [dict(r) for r in rows]
        whole = Scope.everything()
        rows = kept_view(self.workspace, (*key, whole),
                         lambda: _runner(self.workspace, whole).rows(expr))
        return [dict(r) for r in rows if test(r)]

    def teams(self, *, parent_team_id: str | None = None) -> list[dict[str, Any]]:
        """The teams the scope reaches (the children of ``parent_team_id`` alone), by id; a
        parent the scope does not reach is :class:`OutOfScope`."""
        table = unbound("teams")
        if parent_team_id is not None:
            self.require_team(parent_team_id)
            table = table.filter(table.parent_team_id == parent_team_id)
        return self._kept_rows(("teams", parent_team_id), table.order_by("team_id"), "teams")

    def targets(self, *, period: str | None = None, kpi: str | None = None,
                scope: str | None = None, scope_id: str | None = None
                ) -> list[dict[str, Any]]:
        """The rows of the targets table the scope reaches (a rep's and their team's), filtered
        by what is given, in key order; a rep or team (``scope`` and ``scope_id``) the scope does
        not reach is :class:`OutOfScope`."""
        if scope_id is not None and scope == "rep":
            self.require_rep(scope_id)
        elif scope_id is not None and scope == "team":
            self.require_team(scope_id)
        table = unbound("targets")
        for column, value in (("period", period), ("kpi", kpi), ("scope", scope),
                              ("scope_id", scope_id)):
            if value is not None:
                table = table.filter(table[column] == value)
        return self.runner.rows(table.order_by(["scope", "scope_id", "period", "kpi"]))

    @cached_property
    def realtime(self) -> Realtime:
        """Events in, alert rules, notifications and reports (issue 14), within the scope:
        :class:`~salescore.workspace.realtime.Realtime`."""
        from salescore.workspace.realtime import Realtime

        return Realtime(self)

    @cached_property
    def catalog(self) -> Catalog:
        return self.workspace.kpi_catalog(self.catalog_dir)

    @cached_property
    def engine(self) -> KpiEngine:
        from salescore.engine.kpis import KpiEngine
        from salescore.workspace.page_views import kept_view

        # The context queries' answers (the data's range, the team tree, the currencies) kept
        # per data stamp and scope.
        memo: dict[Any, list[dict[str, Any]]] = kept_view(
            self.workspace, ("engine_memo", self.scope), dict)
        whole: dict[Any, list[dict[str, Any]]] = kept_view(
            self.workspace, ("engine_memo", Scope.everything()), dict)
        workspace = self.workspace

        def whole_rows(expr: Any) -> list[dict[str, Any]]:
            key = expr.op()
            found = whole.get(key)
            if found is None:
                found = whole[key] = _runner(workspace, Scope.everything()).rows(expr)
            return [dict(r) for r in found]

        warehouse = self.workspace._warehouse
        return KpiEngine(self.runner, self.workspace.settings, self.catalog, memo=memo,
                         whole_rows=whole_rows, version=lambda: warehouse.writes,
                         sql_store=self.workspace.sql_store)

    # -- kept derived facts and roll-ups ------------------------------------------------------
    def rebuild_kept(self) -> tuple[int, int]:
        """Rebuild every derived fact and daily roll-up from the canonical rows (see
        :mod:`salescore.engine.maintain`); how many derived tables and roll-ups there are."""
        from salescore.engine.maintain import rebuild

        self.scope.require_writes("rebuilding the roll-ups", "重建汇总表")
        state = rebuild(self.workspace._warehouse, self.catalog, self.workspace.settings)
        return len(state.derived), len(state.rollups) + len(state.items)

    def kpi_plan(self, names: Sequence[str], *, by: str = "rep") -> list[tuple[str, str]]:
        """Each input the KPIs aggregate and where it is answered from at grain ``by``:
        ``rollup`` (daily roll-ups), ``items`` (kept distinct items per rep and day: distinct
        counts, conversions, period-over-period comparisons) or ``raw`` (the canonical rows)."""
        from salescore.engine.kpis import KpiRequest

        compiled, _ = self.engine.compile(KpiRequest.of(names, by=by, period="this-quarter"))

        def where(column: str) -> str:
            if column in compiled.from_items:
                return "items"
            return "rollup" if column in compiled.from_rollups else "raw"

        return [(u.column, where(u.column)) for u in compiled.plan.measures] + \
            [(c.numerator, where(c.numerator)) for c in compiled.plan.conversions] + \
            [(p.previous, where(p.previous)) for p in compiled.plan.pops]

    # -- KPIs --------------------------------------------------------------------------------
    def kpi_result(self, names: Sequence[str], *, by: str = "rep", period: str = "all",
                   grain: str | Grain | None = None, subjects: Sequence[str] | None = None
                   ) -> KpiResult:
        """KPIs ``names`` per subject (``by``: rep, team, company or a dimension) and period,
        within the scope, with the notices and the query count."""
        from salescore.engine.kpis import KpiRequest

        request = KpiRequest.of(names, by=by, period=period, grain=grain, subjects=subjects)
        for subject in subjects or ():
            if by == "rep":
                self.require_rep(subject)
            elif by == "team":
                self.require_team(subject)
        whole = self._whole_rows(by)
        if whole is None:
            return self.engine.compute(request)
        return self._kept_kpis(request, *whole)

    def _whole_rows(self, by: str) -> tuple[str, frozenset[str] | None] | None:
        """How this scope's rows of KPIs by ``by`` are the organisation's rows of its
        subjects: the ``by`` to ask the whole organisation for and the subjects kept
        (``None``: all). A rep's row is the same in every scope that reaches the rep (a rep's
        figures are worked out from their own records), a team's in every scope that reaches
        its whole subtree (a manager's), and a team scope's company is its own team. ``None``
        when only a query within the scope gives the rows (a rep's view of their team, a
        manager's of a segment)."""
        reach = self.reach
        if reach.everything:
            return by, None
        if self.scope.kind != "team" and by != "rep":
            return None
        assert reach.reps is not None and reach.teams is not None
        if by == "rep":
            return "rep", reach.reps
        if by == "team":
            return "team", reach.teams
        if by == "company":
            assert self.scope.subject is not None
            return "team", frozenset({self.scope.subject})
        return None

    def _kept_kpis(self, request: Any, by: str, kept: frozenset[str] | None) -> KpiResult:
        """``request`` answered from the organisation's rows by ``by`` (worked out once per
        data stamp, :func:`salescore.workspace.page_views.kept_view`), the rows of ``kept``
        subjects (and of the request's own subjects) alone."""
        import dataclasses

        import pyarrow as pa
        import pyarrow.compute as pc

        from salescore.engine.kpis import KpiEngine, KpiRequest
        from salescore.workspace.page_views import kept_kpis, kpi_digest

        whole = KpiRequest.of(request.kpis, by=by, period=request.period, grain=request.grain)
        key = ("kpis", whole.kpis, by, whole.period, str(whole.grain),
               kpi_digest(self.catalog, whole.kpis))
        result = kept_kpis(self.workspace, key, lambda: KpiEngine(
            _runner(self.workspace, Scope.everything()), self.workspace.settings,
            self.catalog, sql_store=self.workspace.sql_store).compute(whole))
        table, column = result.table, result.subject
        wanted = kept
        if request.subjects is not None and request.by == by:
            wanted = frozenset(request.subjects) if kept is None else kept & set(
                request.subjects)
        if column is not None and wanted is not None:
            table = table.filter(pc.is_in(table[column].cast(pa.string()),
                                          value_set=pa.array(sorted(wanted), pa.string())))
        if request.by != by and column is not None:  # a team scope's company: its team
            table, column = table.drop_columns([column]), None
        notices, reasons = result.notices, result.reasons
        if kept is not None and (notices or reasons):
            # The organisation's notices count the organisation's rows (amounts in each
            # currency, target labels): the scope's own are asked within the scope.
            _, ctx, scoped = self.engine.prepare(request)
            notices = tuple(scoped)
            why = self.engine.unconvertible(ctx)
            reasons = {name: why for name in result.reasons
                       if why is not None and table.column(name).null_count}
        return dataclasses.replace(result, table=table, request=request, subject=column,
                                   notices=notices, reasons=reasons)

    def kpis(self, names: Sequence[str], *, by: str = "rep", period: str = "all",
             grain: str | Grain | None = None, subjects: Sequence[str] | None = None,
             as_pandas: bool = False) -> Any:
        """As :meth:`kpi_result`, the table alone: an Arrow table (or a pandas DataFrame) with
        the subject key, ``period`` and one column per KPI."""
        table = self.kpi_result(names, by=by, period=period, grain=grain,
                                subjects=subjects).table
        return table.to_pandas() if as_pandas else table

    def explain(self, name: str, *, subject: str, period: str, by: str = "rep",
                stage: str | None = None) -> Explanation:
        """The records behind KPI ``name`` of ``subject`` in ``period`` and how they add up
        (only the records the scope reaches)."""
        if by == "rep":
            self.require_rep(subject)
        elif by == "team":
            self.require_team(subject)
        from salescore.engine.explain import explain_kpi

        return explain_kpi(self.engine, name, subject=subject, period=period, by=by,
                           stage=stage)

    # -- scorecards --------------------------------------------------------------------------
    @cached_property
    def scorecards(self) -> Scorecards:
        """Plans, scores, what-if, explanations and targets, within the scope."""
        ws = self.workspace
        from salescore.scorecards import Scorecards

        return Scorecards(ws._warehouse, ws._app, self.engine, ws.settings)

    def adopt_plan(self, path: Path | str | None = None, *, text: str | None = None,
                   effective_from: date | None = None, actor: str = "api",
                   reason: str | None = None, replace: bool = False) -> Adoption:
        """Validate a plan (a YAML file, or its text) and adopt it from ``effective_from``;
        audited. See :meth:`Scorecards.adopt`."""
        return self.scorecards.adopt(path, text=text, effective_from=effective_from,
                                     actor=actor, reason=reason, replace=replace)

    def adopt_shipped_plans(self, effective_from: date, *, actor: str = "demo",
                            replace: bool = True) -> list[Adoption]:
        """Adopt the shipped example plans from ``effective_from``."""
        return self.scorecards.adopt_shipped(effective_from, actor=actor, replace=replace)

    def plans(self) -> list[PlanVersionInfo]:
        """Every stored version of every scorecard plan."""
        return self.scorecards.versions()

    def plan_version(self, name: str, version: int) -> Plan:
        """Version ``version`` of plan ``name`` as a plan: its lines, targets and ratings (the
        documents are the organisation's, read by every role, as :meth:`plans`)."""
        return self.scorecards.version_plan(name, version)

    def score(self, period: str, plan: str | None = None, *, store: bool = True) -> ScoreRun:
        """Score every adopted plan (or ``plan``) for ``period``; see :meth:`Scorecards.score`."""
        run = self.scorecards.score(period, plan, store=store)
        if store:
            self._data_changed(warm=True)
        return run

    def _data_changed(self, *, warm: bool) -> None:
        """The warehouse's rows or the stored scores changed: the kept page views are
        dropped and (``warm``) what the dashboards' first visits need is worked out again
        (:func:`salescore.workspace.page_views.refresh_page_views`)."""
        from salescore.workspace.page_views import refresh_page_views

        refresh_page_views(self.workspace, warm=warm)

    def whatif(self, path: Path | str | None = None, *, text: str | None = None, period: str,
               against: str | None = None) -> WhatIf:
        """Replay a draft plan on ``period`` against the adopted one; nothing is stored."""
        return self.scorecards.whatif(path, text=text, period=period, against=against)

    def score_explanation(self, rep_id: str, period: str, plan: str | None = None, *,
                          records: bool = True) -> ScoreExplanation:
        """A rep's score → its lines → the records behind each KPI (:class:`OutOfScope` for a
        rep the scope does not reach).

        A stored score is explained from the app store alone, with the records kept when it
        was scored (:mod:`salescore.scorecards.kept`: no warehouse query, no query engine);
        the rest is computed (:meth:`Scorecards.explain`). For the everything-scope, whose
        reach is every rep, a stored score is itself proof that the rep exists."""
        from salescore.scorecards.kept import kept_explanation

        everything = self.scope.is_everything
        if not everything:
            self.require_rep(rep_id)
        directions = {name: kpi.direction for name, kpi in self.catalog.kpis.items()}
        kept = kept_explanation(self.workspace._app, self.workspace.calendar, directions,
                                rep_id, period, plan, records=records)
        if kept is not None:
            return kept
        if everything:
            self.require_rep(rep_id)
        return self.scorecards.explain(rep_id, period, plan, records=records)

    def stored_scores(self, period: str, plan: str | None = None, *,
                      subject_kind: str | None = None) -> list[StoredScore]:
        """The stored scores of ``period`` (and of the plan periods within it) that the scope
        reaches, by plan, period, kind and rank: a manager's subtree's; a rep's own, their
        team's and their team's leaderboard, every rep scored in their team. On the
        leaderboard a colleague has their rank and rating alone (``score`` and ``coverage``
        ``None``, ``shown="rank_and_rating"``) unless the organisation's settings show
        colleagues' scores (``privacy.leaderboard: scores``); their lines and records are
        never the rep's (:meth:`score_explanation` is :class:`OutOfScope` for them)."""
        rep = self.scope.kind == "rep"
        private = self.workspace.settings.privacy.leaderboard == "rank_and_rating"
        reach = self.reach
        out = []
        for r in self._stored_rows(period, plan):
            if subject_kind is not None and r.subject_kind != subject_kind:
                continue
            if not reach.everything and not (
                    (reach.has_rep(r.subject_id)
                     or (rep and r.team_id is not None and reach.has_team(r.team_id)))
                    if r.subject_kind == "rep" else reach.has_team(r.subject_id)):
                continue  # as Scorecards.stored keeps them (a rep: their team's reps too)
            hidden = private and r.subject_kind == "rep" and not reach.has_rep(r.subject_id)
            out.append(StoredScore.of(r, hidden=hidden))
        return out

    def _stored_rows(self, period: str, plan: str | None) -> list[Score]:
        """Every stored score of ``period`` (:meth:`Scorecards.stored` of the whole
        organisation), read once per data stamp: pages filter it to their scope."""
        from salescore.workspace.page_views import kept_view

        label = str(self.workspace.calendar.parse(period))
        return kept_view(self.workspace, ("stored", label, plan), lambda: self.workspace.session(
            Scope.everything(), catalog_dir=self.catalog_dir).scorecards.stored(label, plan))

    def rep_score_history(self, rep_id: str) -> list[StoredScore]:
        """Every stored score of ``rep_id`` (a rep this scope reaches, else
        :class:`OutOfScope`), of every plan and period, by plan then period start: what a
        rep's trend and period picker are drawn from."""
        self.require_rep(rep_id)
        return [StoredScore.of(r) for r in self.scorecards.rep_stored(rep_id)]

    def team_line_medians(self, rep_id: str, period: str, plan: str) -> dict[str, float]:
        """The median attainment of each line among the reps scored with ``rep_id``'s team
        under ``plan`` in ``period`` (the rep included): what a rep's radar compares them
        with. Only the medians leave the session, never a colleague's own figures."""
        self.require_rep(rep_id)
        rows = [r for r in self._stored_rows(period, plan)
                if r.subject_kind == "rep" and r.period == period and r.status == "ok"]
        team = next((r.team_id for r in rows if r.subject_id == rep_id), None)
        values: dict[str, list[float]] = {}
        for r in rows:
            if r.team_id != team:
                continue
            for line in (r.breakdown or {}).get("lines", []):
                if line.get("attainment") is not None:
                    values.setdefault(line["kpi"], []).append(float(line["attainment"]))
        return {kpi: statistics.median(v) for kpi, v in values.items()}

    def team_score_history(self, team_ids: Sequence[str]) -> list[StoredScore]:
        """Every stored score of the teams ``team_ids`` themselves (teams this scope reaches,
        else :class:`OutOfScope`), by plan then period start: the teams' trends."""
        from salescore.workspace.page_views import kept_view

        for team_id in team_ids:
            self.require_team(team_id)

        def every_team() -> tuple[StoredScore, ...]:
            # Every team's history read once per data stamp, whoever asks first; each page
            # keeps its teams' rows (in the same order: the sort is stable).
            whole = self.workspace.session(Scope.everything(), catalog_dir=self.catalog_dir)
            ids = [t["team_id"] for t in whole.teams()]
            return tuple(StoredScore.of(r) for r in whole.scorecards.teams_stored(ids))

        asked = set(team_ids)
        return [s for s in kept_view(self.workspace, ("team_history",), every_team)
                if s.subject_id in asked]

    def set_target(self, scope: str, scope_id: str, period: str, kpi: str, value: float, *,
                   actor: str, reason: str) -> TargetChange:
        """Upsert one row of the targets table and audit it (``target.set``)."""
        return self.scorecards.set_target(scope, scope_id, period, kpi, value, actor=actor,
                                          reason=reason)

    # -- the coaching loop (issue 13; workspace/coaching.py) ---------------------------------
    @cached_property
    def coaching(self) -> Coaching:
        """Feedback, notes and 1:1 check-ins, each read by its audience alone (see
        :mod:`salescore.workspace.coaching`)."""
        from salescore.workspace.coaching import Coaching

        return Coaching(self)

    # -- the organisation's settings ------------------------------------------------------------
    def change_setting(self, key: str, value: str, *, actor: str = "cli") -> tuple[str, str]:
        """Set one of the organisation's settings (:data:`SETTING_KEYS`: currency, time zone,
        fiscal start, stages, ...), validated, written to ``salescore.yaml`` and audited
        (``settings.set``, the value before and after); the value (before, after). Settings are
        the writable everything-scope's: others get an :class:`AccessError`."""
        self.scope.require_everything("changing the settings", "修改设置")
        self.scope.require_writes("changing the settings", "修改设置")
        ws = self.workspace
        before = setting_values(ws.settings).get(key, "")
        changed = apply_setting(ws.settings, key, value)
        after = setting_values(changed)[key]
        ws.save_settings(changed)
        with ws._app.session() as session:
            record_audit(session, actor=actor, action="settings.set", entity="settings",
                         entity_id=key, before={key: before}, after={key: after})
        return before, after

    # -- tables, imports, exports, data quality ----------------------------------------------
    def table_info(self) -> list[TableInfo]:
        """Row counts and time ranges of every canonical table (the whole organisation)."""
        self.scope.require_everything("table information", "数据表信息")
        return self.workspace._warehouse.table_info()

    def clear_warehouse(self) -> None:
        """Delete every row of every canonical table (the demo starts from empty)."""
        self.scope.require_writes("clearing the warehouse", "清空数据仓库")
        warehouse = self.workspace._warehouse
        with warehouse.transaction():
            for declared in reversed(TABLES):
                warehouse.execute_sql(f"DELETE FROM {declared.name}")

    def load_demo(self, config: DemoConfig, *, progress: Progress | None = None
                  ) -> list[Adoption]:
        """Replace the warehouse's rows by the demo organisation of ``config`` and adopt the
        shipped plans from its first day; the plans adopted.

        The rows are committed about :data:`DEMO_COMMIT_ROWS` at a time: DuckDB keeps the
        key index of a transaction's new rows in memory, which for the large demo's 100
        million rows in one transaction was more than a 24 GiB machine has. A load that fails
        on the way leaves the warehouse empty, as it was made before the load."""
        from salescore.demo import generate

        self.clear_warehouse()
        warehouse = self.workspace._warehouse
        batch: list[tuple[str, pa.Table]] = []

        def commit() -> None:
            with warehouse.transaction():
                for name, chunk in batch:
                    warehouse.append(name, chunk)
            batch.clear()

        try:
            for name, chunk in generate(config, progress=progress):
                batch.append((name, chunk))
                if sum(c.num_rows for _, c in batch) >= DEMO_COMMIT_ROWS:
                    commit()
            commit()
        except BaseException:
            self.clear_warehouse()
            raise
        self.rebuild_kept()
        with self.workspace._app.session() as session:
            record_audit(session, actor="demo", action="warehouse.load_demo",
                         entity="warehouse", entity_id="demo", after={
                             "scale": config.scale, "seed": config.seed,
                             "end": config.end.isoformat(), "months": config.months})
        adopted = self.adopt_shipped_plans(config.start, actor="demo")
        self._data_changed(warm=False)  # scoring it works the page views out
        return adopted

    def data_as_of(self) -> datetime | None:
        """When the warehouse's rows last changed (an import or the demo's load), UTC; what
        every page says its figures are "as of". ``None`` when nothing was ever loaded."""
        with self.workspace._app.session() as session:
            return last_change(session, ("import_run", "warehouse"))

    def import_file(self, table: str, path: Path | str, *,
                    mapping: MappingSpec | Path | str | None = None, preset: str | None = None,
                    options: ImportOptions | None = None, rejects: Path | str | None = None,
                    actor: str = "cli", progress: Progress | None = None) -> ImportResult:
        """Import one file into canonical ``table`` (see :func:`salescore.ingest.import_file`).

        Rejected rows go to ``rejects`` (default ``<home>/rejects/<table>-<time>.csv``); stages
        added with ``add_stages`` are saved to the settings; the run (audited as
        ``import.run`` with its counts), and a quality report after a run that loaded, are kept
        in the app store. :class:`IngestError` for unusable input.
        """
        return self.import_recorded(table, path, mapping=mapping, preset=preset,
                                    options=options, rejects=rejects, actor=actor,
                                    progress=progress).result

    def import_recorded(self, table: str, path: Path | str, *,
                        mapping: MappingSpec | Path | str | None = None,
                        preset: str | None = None, options: ImportOptions | None = None,
                        rejects: Path | str | None = None, actor: str = "api",
                        source: str | None = None, progress: Progress | None = None,
                        train: bool = True) -> RecordedImport:
        """As :meth:`import_file`, with the id of the run kept in the app store (what
        :meth:`import_run` reads back). ``source`` is the file's name as the run records it and
        as its rejects (their ``file`` column) and messages show it (default: the path), e.g.
        the name an uploaded file had, which is stored under a generated one. With ``train``,
        the models are trained again after a run that loaded, when the settings ask for it
        (:func:`~salescore.workspace.ml_models.train_after_import`); the server passes False
        and trains in its background."""
        from salescore.ingest import import_file  # the ingest package when importing only

        self.scope.require_writes("importing", "导入")
        spec = _mapping_spec(mapping, preset)
        ws = self.workspace
        done = self._recorded_import(
            table, source or str(path), spec, rejects, actor,
            lambda: import_file(ws._warehouse, ws.settings, table, path, mapping=spec,
                                options=options, name=source, progress=progress))
        if train and done.result.loaded:
            self._train_after_import(actor)
        return done

    def _train_after_import(self, actor: str) -> None:
        from salescore.workspace.ml_models import train_after_import

        train_after_import(self, actor=actor)

    def import_tables(self, path: Path | str, *,
                      mapping: MappingSpec | Path | str | None = None,
                      preset: str | None = None, options: ImportOptions | None = None,
                      rejects: Path | str | None = None, actor: str = "cli",
                      progress: Progress | None = None) -> list[ImportResult]:
        """Import one file into every table its mapping maps (``tables:``, one sheet feeding
        several tables), in the order the tables are declared (teams, reps, customers,
        opportunities...), so that the references of each are loaded before it. Each table is
        its own run, as :meth:`import_file` makes it, and a run that aborts (``strict``)
        stops the rest; ``rejects`` is then a file name that
        each table's rejects are written beside, with the table's name added
        (``rejects-customers.csv``). :class:`IngestError` for a mapping of no named table."""
        return [done.result for done in self.import_tables_recorded(
            path, mapping=mapping, preset=preset, options=options, rejects=rejects,
            actor=actor, progress=progress)]

    def import_tables_recorded(self, path: Path | str, *,
                               mapping: MappingSpec | Path | str | None = None,
                               preset: str | None = None, options: ImportOptions | None = None,
                               rejects: Path | str | None = None, actor: str = "api",
                               source: str | None = None, progress: Progress | None = None,
                               train: bool = True) -> list[RecordedImport]:
        """As :meth:`import_tables`, each table's result with the id of its run (as
        :meth:`import_recorded` gives it; ``source`` and ``train`` as there: the models are
        trained once, after the last table)."""
        from salescore.ingest import IngestError

        self.scope.require_writes("importing", "导入")
        spec = _mapping_spec(mapping, preset)
        names = spec.table_names if spec is not None else ()
        if spec is None or not names:
            raise IngestError(
                "importing every table of a mapping needs a mapping that names its tables "
                "(table: or tables:)",
                message_zh="导入映射中的全部表需要一个写明表名（table: 或 tables:）的映射")
        target = Path(rejects) if rejects is not None else None
        done: list[RecordedImport] = []
        for name in names:
            each = target.with_name(f"{target.stem}-{name}{target.suffix}") if target else None
            done.append(self.import_recorded(name, path, mapping=spec, options=options,
                                             rejects=each, actor=actor, source=source,
                                             progress=progress, train=False))
            if not done[-1].result.loaded:
                break  # --strict aborted it: the tables after it would reference what is not there
        if train and any(d.result.loaded for d in done):
            self._train_after_import(actor)
        return done

    def import_run(self, run_id: int) -> ImportRecord | None:
        """The import run ``run_id`` (``None`` when there is none). Imports are the writable
        scope's: others get an :class:`AccessError`."""
        self.scope.require_writes("reading an import run", "查看导入记录")
        with self.workspace._app.session() as session:
            run = session.get(ImportRun, run_id)
            return ImportRecord.of(run) if run is not None else None

    def import_runs(self, *, limit: int = 100, before_id: int | None = None,
                    table: str | None = None, status: str | None = None
                    ) -> list[ImportRecord]:
        """The newest ``limit`` import runs (of ``table``, with ``status``, where given), newest
        first; pass the last ``id`` seen as ``before_id`` for the next page. Imports are the
        writable scope's: others get an :class:`AccessError`."""
        self.scope.require_writes("listing the import runs", "查看导入记录")
        with self.workspace._app.session() as session:
            return [ImportRecord.of(run) for run in import_runs(
                session, limit=limit, before_id=before_id, table=table, status=status)]

    def import_arrow(self, table: str, data: object, *,
                     mapping: MappingSpec | Path | str | None = None, preset: str | None = None,
                     options: ImportOptions | None = None, name: str = "(data)",
                     rejects: Path | str | None = None, actor: str = "api",
                     progress: Progress | None = None, quality: bool = True) -> ImportResult:
        """Import an Arrow table or a pandas DataFrame, as :meth:`import_file` does a file.
        Without ``quality`` the data-quality report is not made again afterwards (events:
        it reads every table, which a batch of a hundred rows should not wait for; the
        schedule keeps it fresh, :meth:`Realtime.tick`)."""
        from salescore.ingest import import_arrow

        self.scope.require_writes("importing", "导入")
        spec = _mapping_spec(mapping, preset)
        ws = self.workspace
        return self._recorded_import(
            table, name, spec, rejects, actor,
            lambda: import_arrow(ws._warehouse, ws.settings, table, data, mapping=spec,
                                 options=options, name=name, progress=progress),
            quality=quality).result

    def _recorded_import(self, table: str, source: str, spec: MappingSpec | None,
                         rejects: Path | str | None, actor: str,
                         run: Callable[[], ImportResult], *, quality: bool = True
                         ) -> RecordedImport:
        from salescore.ingest import quality_report

        ws = self.workspace
        started = utcnow()
        try:
            result = run()
        except Exception as exc:
            message = exc.message if isinstance(exc, SalescoreError) else repr(exc)
            with ws._app.session() as session:
                session.add(ImportRun(started_at=started, finished_at=utcnow(), table_name=table,
                                      source=source, mapping=spec.origin[:200] if spec else None,
                                      status="failed", actor=actor, message=message))
            raise
        if result.rejects.num_rows:
            stamp = started.strftime("%Y%m%d-%H%M%S")
            target = Path(rejects) if rejects else \
                ws.locations.home / "rejects" / f"{table}-{stamp}.csv"
            result = result.with_rejects_file(result.write_rejects(target))
        if result.pipeline is not None:
            ws.save_settings(ws.settings.model_copy(update={"pipeline": result.pipeline}))
        with ws._app.session() as session:
            record = ImportRun(
                started_at=started, finished_at=utcnow(), table_name=table, source=source,
                mapping=spec.origin[:200] if spec else None, read_rows=result.read_rows,
                inserted=result.inserted, updated=result.updated, unchanged=result.unchanged,
                rejected=result.rejected, status=result.status, actor=actor,
                message="; ".join(n.en for n in result.notes) or None,
                rejects_file=str(result.rejects_file) if result.rejects_file else None)
            session.add(record)
            session.flush()
            record_audit(session, actor=actor, action="import.run", entity="import_run",
                         entity_id=record.id, after={
                             "table": table, "source": source, "status": result.status,
                             "read_rows": result.read_rows, "inserted": result.inserted,
                             "updated": result.updated, "unchanged": result.unchanged,
                             "rejected": result.rejected})
            if result.loaded and quality:
                report = quality_report(ws._warehouse, ws.settings)
                session.add(StoredQualityReport(import_run_id=record.id,
                                                report=report.to_dict()))
            run_id = record.id
        if result.loaded and source != "events" and self.scope.is_everything:
            # Alert rules are checked after every import (events check once per batch); the
            # open periods' stored scores are kept current, at once (events: coalesced).
            if result.inserted or result.updated:
                from salescore.workspace.realtime_scores import touched

                touched(ws).add_everyone(new_periods=False)
                self.realtime.rescore_touched()
            self.realtime.check_alerts_if_any()
        if result.loaded:
            # Events (a batch of a few rows) drop the kept views alone: the next visit works
            # them out again, once; a file import works them out now.
            self._data_changed(warm=source != "events")
        return RecordedImport(run_id, result)

    def export(self, table: str, path: Path | str, fmt: ExportFormat | None = None) -> int:
        """Write canonical ``table`` to ``path`` (csv, xlsx, parquet, json, ndjson): the rows
        the scope reaches; the number written. The file imports back with zero changes."""
        from salescore.ingest import export_table

        return export_table(self.runner, table, path, fmt)

    def quality(self, tables: Sequence[str] | None = None, *, save: bool = False
                ) -> QualityReport:
        """The data quality report now (the whole organisation); with ``save``, kept in the
        app store too."""
        from salescore.ingest import quality_report

        self.scope.require_everything("the data-quality report", "数据质量报告")
        ws = self.workspace
        report = quality_report(ws._warehouse, ws.settings, tables)
        if save:
            with ws._app.session() as session:
                session.add(StoredQualityReport(report=report.to_dict()))
        return report

    # -- the Data page: presets to import with, the last quality report kept -----------------
    def import_presets(self) -> list[ImportPreset]:
        """The shipped mapping presets, by name, each with the tables it feeds and what it
        reads. Imports are the writable scope's: others get an :class:`AccessError`."""
        self.scope.require_writes("importing", "导入")
        return list(_shipped_presets())

    def saved_quality(self) -> dict[str, Any] | None:
        """The newest data-quality report kept in the app store (after an import that loaded,
        or :meth:`quality` with ``save``), as :meth:`QualityReport.to_dict` writes it; ``None``
        when none was kept. The whole organisation's, as :meth:`quality`."""
        self.scope.require_everything("the data-quality report", "数据质量报告")
        with self.workspace._app.session() as session:
            newest = newest_quality_report(session)
            return dict(newest.report) if newest is not None else None

    # -- analyses: the funnel and the sales cycle (issue 11; workspace/analyses.py) -----------
    def funnel(self, *, period: str, rep: str | None = None, team: str | None = None,
               by: str | None = None) -> Any:
        """The funnel of ``rep``, ``team`` or the company in ``period`` with its bottleneck
        against the peers (their pooled counts alone leave the session): a
        :class:`~salescore.workspace.analyses.FunnelReport`."""
        from salescore.workspace.analyses import funnel_report
        return funnel_report(self, period=period, rep=rep, team=team, by=by)

    def funnel_deals(self, *, period: str, stage: str, rep: str | None = None,
                     team: str | None = None, by: str | None = None, value: str | None = None,
                     offset: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int]:
        """The deals behind one step of :meth:`funnel` (a page of them; of one row of its
        split ``by`` where given) and their number."""
        from salescore.workspace.analyses import funnel_deals
        return funnel_deals(self, period=period, stage=stage, rep=rep, team=team, by=by,
                            value=value, offset=offset, limit=limit)

    def cycle(self, *, period: str, rep: str | None = None, team: str | None = None) -> Any:
        """The cycle of the deals closed in ``period`` and the days in each stage: a
        :class:`~salescore.workspace.analyses.CycleReport`."""
        from salescore.workspace.analyses import cycle_report
        return cycle_report(self, period=period, rep=rep, team=team)

    # -- analyses: retention and customer behaviour (issue 11; workspace/customer_analyses.py) -
    def retention(self, *, period: str, grain: str = "month", rep: str | None = None,
                  team: str | None = None) -> Any:
        """The customer cohorts by first purchase in ``period`` (by month or quarter) with
        their retention, repeat and churn rates: a
        :class:`~salescore.workspace.customer_analyses.RetentionReport`."""
        from salescore.workspace.customer_analyses import retention_report
        return retention_report(self, period=period, grain=grain, rep=rep, team=team)

    def rfm(self, *, period: str, rep: str | None = None, team: str | None = None,
            top: int = 10) -> Any:
        """RFM segments, purchase intervals, product affinity and revenue shares of the
        customers who bought in ``period``: a
        :class:`~salescore.workspace.customer_analyses.RfmReport`."""
        from salescore.workspace.customer_analyses import rfm_report
        return self._kept_analysis(("rfm", period, rep, team, top), lambda: rfm_report(
            self, period=period, rep=rep, team=team, top=top))
    # -- analyses: training impact and market trends (issue 11; workspace/analyses.py) -------
    def training(self, *, window: int = 6, rep: str | None = None,
                 team: str | None = None) -> Any:
        """Each course's and kind's effect on its trainees' win rate and revenue won per month
        (difference in differences against untrained peers, with a 95 % interval): a
        :class:`~salescore.workspace.analyses.TrainingReport`."""
        from salescore.workspace.analyses import training_report
        return self._kept_analysis(("training", window, rep, team), lambda: training_report(
            self, window=window, rep=rep, team=team))

    def _kept_analysis(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """What ``make`` gives, kept while the data stands (per data stamp and scope,
        :func:`salescore.workspace.page_views.kept_view`): an analysis asked again (a page
        reloaded, another chart of it) is not worked out again."""
        from salescore.workspace.page_views import kept_view

        return kept_view(self.workspace, ("analysis", self.scope, *key), make)

    def trends(self, *, by: str = "segment", months: int = 24) -> Any:
        """Revenue, deals and win rate per month by ``by``, seasonally adjusted with two years
        of history, and the fastest-growing and -shrinking: a
        :class:`~salescore.workspace.analyses.TrendReport`."""
        from salescore.workspace.analyses import trend_report
        return trend_report(self, by=by, months=months)

    # -- analyses: strengths, communication, balance (issue 11; workspace/rep_analyses.py) --
    def strengths(self, *, period: str, rep: str | None = None, team: str | None = None,
                  plan: str | None = None, kpis: Sequence[str] | None = None) -> Any:
        """Each rep's percentile on every catalogue KPI against the peers under the same
        plan in ``period``, their strongest and weakest KPIs and the improvement levers
        scored by the plan: a :class:`~salescore.workspace.rep_analyses.StrengthsReport`."""
        from salescore.workspace.rep_analyses import strengths_report
        return strengths_report(self, period=period, rep=rep, team=team, plan=plan, kpis=kpis)

    def communication(self, *, period: str, rep: str | None = None,
                      team: str | None = None) -> Any:
        """Follow-up cadence, response time, reply and follow-up rates of the reps of ``rep``,
        ``team`` or the scope in ``period``, and their relation to the win rate: a
        :class:`~salescore.workspace.rep_analyses.CommunicationReport`."""
        from salescore.workspace.rep_analyses import communication_report
        return communication_report(self, period=period, rep=rep, team=team)

    def balance(self, *, period: str, team: str | None = None) -> Any:
        """Revenue from assisted deals, assists given, received and across teams, and how
        each plan's individual/team blend spreads the scores of ``period``: a
        :class:`~salescore.workspace.rep_analyses.BalanceReport`."""
        from salescore.workspace.rep_analyses import balance_report
        return balance_report(self, period=period, team=team)

    # -- analyses: pipeline changes (issue 11, part 10; workspace/pipeline_analyses.py) -----
    def pipeline_changes(self, *, start: date, end: date, close: str | None = None,
                         rep: str | None = None, team: str | None = None) -> Any:
        """How the open pipeline expected to close in ``close`` (default: the quarter of
        ``end``) moved from the first instant of ``start`` to the last of ``end``, per rep and
        team: a :class:`~salescore.workspace.pipeline_analyses.PipelineChanges`."""
        from salescore.workspace.pipeline_analyses import pipeline_changes_report
        return pipeline_changes_report(self, start=start, end=end, close=close, rep=rep,
                                       team=team)

    # -- forecasts and predictions (issue 12; salescore.ml) ---------------------------------
    @cached_property
    def ml(self) -> MlService:
        """Sales forecasts and win probabilities within the scope (the win model learns from
        the whole organisation; only the scope's deals are predicted and shown): a
        :class:`~salescore.ml.service.MlService`."""
        from salescore.ml.service import MlService
        from salescore.workspace.ml_models import AppStoreRegistry

        return MlService(self.runner, _runner(self.workspace, Scope.everything()), self.engine,
                         self.workspace.settings, set_target=self.set_target,
                         registry=AppStoreRegistry(self.workspace._app))

    # -- the records that need action (issue 10) -------------------------------------------
    def data_last_day(self) -> date | None:
        """The organisation's last day of data: the local day of the latest activity, stage
        change, survey, order or opportunity created or closed (``None`` when there is none).
        Read over the whole organisation, since it is one day and no record: every caller's
        "as of" is then the same day."""
        from salescore.workspace.page_views import last_day

        return last_day(self.workspace)  # kept per data stamp

    def needs_action(self, today: date, *, period: str | None = None,
                     team_id: str | None = None, rep_id: str | None = None,
                     limit: int | None = None) -> NeedsAction:
        """The records that need action within the scope (of team ``team_id`` with its
        subtree, or of rep ``rep_id``, alone, when given; :class:`OutOfScope` when the scope
        does not reach them), as :mod:`salescore.analytics.needs_action` defines them: all
        of them, or the first ``limit`` of each kind with the number of each in all.

        As of ``today`` (the organisation's local day), or of the data's last day
        (:meth:`data_last_day`) when the data ends earlier: a demo or an import that runs to
        yesterday would otherwise make every deal a day quieter than it is. Surveys are those
        of ``period`` (default: the month of the day). The usual stay in a stage is the owner's
        team's, over all its deals: what comes back of it is one median per stage, never a
        colleague's record. The lists are worked out once per data stamp over the whole
        organisation (:func:`salescore.workspace.page_views.needs_action_lists`) and each
        call keeps the rows of the reps it reaches."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from salescore.analytics import needs_action as na
        from salescore.workspace.page_views import needs_action_lists

        last = self.data_last_day()
        as_of = min(today, last) if last is not None else today
        calendar = self.workspace.settings.calendar
        shown = calendar.parse(period) if period else calendar.period_of(as_of, Grain.MONTH)
        members: frozenset[str] | None = self.reach.reps  # None: every rep
        if rep_id is not None:
            self.require_rep(rep_id)
            members = frozenset({rep_id})
        elif team_id is not None:
            self.require_team(team_id)
            # The team's subtree as a team scope reaches it (within this one: required above).
            members = _runner(self.workspace, Scope.team(team_id)).reach.reps or frozenset()
        # Worked out once over every rep (kept per data stamp), then this scope's rows: where a
        # record stands never depends on who looks (an owner's own touches, the usual of the
        # owner's team over all its deals, a survey of its rep), so the rows of the reps a
        # scope reaches are what the lists give when run within it.
        lists = needs_action_lists(self.workspace, as_of, shown)
        owner = {"no_activity": "owner_rep_id", "stuck": "owner_rep_id", "low_survey": "rep_id"}
        items: dict[na.ActionKind, tuple[na.ActionItem, ...]] = {}
        totals: dict[na.ActionKind, int] = {}
        for kind in na.KINDS:
            table = lists[kind]
            if members is not None:
                table = table.filter(pc.is_in(table[owner[kind]],
                                              value_set=pa.array(sorted(members), pa.string())))
            totals[kind] = table.num_rows
            rows = (table if limit is None else table.slice(0, limit)).to_pylist()
            items[kind] = tuple(na.ActionItem.of(kind, r) for r in rows)
        return na.NeedsAction(
            as_of=as_of, period=str(shown), first=shown.start, last=shown.end,
            no_activity=items["no_activity"], stuck=items["stuck"],
            low_surveys=items["low_survey"], totals=totals)


def _mapping_spec(mapping: MappingSpec | Path | str | None, preset: str | None
                  ) -> MappingSpec | None:
    """The mapping to import with: a spec, a mapping file, or a shipped preset (not both)."""
    from salescore.ingest import IngestError, MappingSpec, load_mapping, load_preset

    if mapping is not None and preset is not None:
        raise IngestError("give a mapping file or a preset, not both",
                          message_zh="请只指定映射文件或预设之一")
    if preset is not None:
        return load_preset(preset)
    if mapping is None or isinstance(mapping, MappingSpec):
        return mapping
    return load_mapping(mapping)


@dataclass(frozen=True, slots=True)
class ImportPreset:
    """A shipped mapping preset: its name, the tables it feeds (none named: any) and what it
    reads, in both languages."""

    name: str
    tables: tuple[str, ...]
    description: Text | None


@cache
def _shipped_presets() -> tuple[ImportPreset, ...]:
    """The shipped presets, read once: they are package data and do not change."""
    from salescore.ingest import load_preset, preset_names

    return tuple(ImportPreset(name, spec.table_names, spec.description)
                 for name, spec in ((n, load_preset(n)) for n in preset_names()))
