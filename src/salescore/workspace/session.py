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

from collections.abc import Callable, Sequence
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salescore.appstore.models import ImportRun
from salescore.appstore.models import QualityReport as StoredQualityReport
from salescore.appstore.timestamps import utcnow
from salescore.core.errors import SalescoreError
from salescore.core.periods import Grain
from salescore.core.scope import AccessError, Scope
from salescore.engine.explain import Explanation, explain_kpi
from salescore.engine.kpis import KpiEngine, KpiRequest, KpiResult
from salescore.engine.runner import Reach, Runner
from salescore.engine.warehouse import TableInfo
from salescore.ingest import (
    ImportOptions,
    ImportResult,
    MappingSpec,
    Progress,
    QualityReport,
    export_table,
    import_arrow,
    import_file,
    load_mapping,
    load_preset,
    quality_report,
)
from salescore.ingest.export import ExportFormat
from salescore.ingest.problems import IngestError
from salescore.model.tables import TABLES
from salescore.scorecards import (
    Adoption,
    PlanVersionInfo,
    Scorecards,
    ScoreExplanation,
    ScoreRun,
    TargetChange,
    WhatIf,
)
from salescore.semantic.catalog import Catalog

if TYPE_CHECKING:
    from salescore.demo import DemoConfig
    from salescore.workspace.workspace import Workspace

__all__ = ["Session"]


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
        self.runner = Runner(workspace._warehouse.backend, scope)

    @property
    def locale(self) -> str:
        return self.workspace.locale

    @property
    def reach(self) -> Reach:
        """The reps and teams this session's scope reaches."""
        return self.runner.reach

    @cached_property
    def catalog(self) -> Catalog:
        return self.workspace.kpi_catalog(self.catalog_dir)

    @cached_property
    def engine(self) -> KpiEngine:
        return KpiEngine(self.runner, self.workspace.settings, self.catalog)

    # -- KPIs --------------------------------------------------------------------------------
    def kpi_result(self, names: Sequence[str], *, by: str = "rep", period: str = "all",
                   grain: str | Grain | None = None, subjects: Sequence[str] | None = None
                   ) -> KpiResult:
        """KPIs ``names`` per subject (``by``: rep, team, company or a dimension) and period,
        within the scope, with the notices and the query count."""
        request = KpiRequest.of(names, by=by, period=period, grain=grain, subjects=subjects)
        return self.engine.compute(request)

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
        if by == "rep" and not self.reach.has_rep(subject):
            raise AccessError(f"rep {subject} is outside this session's scope",
                              message_zh=f"销售 {subject} 不在当前会话范围内")
        if by == "team" and not self.reach.has_team(subject):
            raise AccessError(f"team {subject} is outside this session's scope",
                              message_zh=f"团队 {subject} 不在当前会话范围内")
        return explain_kpi(self.engine, name, subject=subject, period=period, by=by,
                           stage=stage)

    # -- scorecards --------------------------------------------------------------------------
    @cached_property
    def scorecards(self) -> Scorecards:
        """Plans, scores, what-if, explanations and targets, within the scope."""
        ws = self.workspace
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

    def score(self, period: str, plan: str | None = None, *, store: bool = True) -> ScoreRun:
        """Score every adopted plan (or ``plan``) for ``period``; see :meth:`Scorecards.score`."""
        return self.scorecards.score(period, plan, store=store)

    def whatif(self, path: Path | str | None = None, *, text: str | None = None, period: str,
               against: str | None = None) -> WhatIf:
        """Replay a draft plan on ``period`` against the adopted one; nothing is stored."""
        return self.scorecards.whatif(path, text=text, period=period, against=against)

    def score_explanation(self, rep_id: str, period: str, plan: str | None = None, *,
                          records: bool = True) -> ScoreExplanation:
        """A rep's score → its lines → the records behind each KPI."""
        return self.scorecards.explain(rep_id, period, plan, records=records)

    def set_target(self, scope: str, scope_id: str, period: str, kpi: str, value: float, *,
                   actor: str, reason: str) -> TargetChange:
        """Upsert one row of the targets table and audit it (``target.set``)."""
        return self.scorecards.set_target(scope, scope_id, period, kpi, value, actor=actor,
                                          reason=reason)

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
        shipped plans from its first day; the plans adopted."""
        from salescore.demo import generate

        self.clear_warehouse()
        warehouse = self.workspace._warehouse
        with warehouse.transaction():
            for name, chunk in generate(config, progress=progress):
                warehouse.append(name, chunk)
        return self.adopt_shipped_plans(config.start, actor="demo")

    def import_file(self, table: str, path: Path | str, *,
                    mapping: MappingSpec | Path | str | None = None, preset: str | None = None,
                    options: ImportOptions | None = None, rejects: Path | str | None = None,
                    actor: str = "cli", progress: Progress | None = None) -> ImportResult:
        """Import one file into canonical ``table`` (see :func:`salescore.ingest.import_file`).

        Rejected rows go to ``rejects`` (default ``<home>/rejects/<table>-<time>.csv``); stages
        added with ``add_stages`` are saved to the settings; the run, and a quality report after
        a run that loaded, are kept in the app store. :class:`IngestError` for unusable input.
        """
        self.scope.require_writes("importing", "导入")
        spec = _mapping_spec(mapping, preset)
        ws = self.workspace
        return self._recorded_import(
            table, str(path), spec, rejects, actor,
            lambda: import_file(ws._warehouse, ws.settings, table, path, mapping=spec,
                                options=options, progress=progress))

    def import_arrow(self, table: str, data: object, *,
                     mapping: MappingSpec | Path | str | None = None, preset: str | None = None,
                     options: ImportOptions | None = None, name: str = "(data)",
                     rejects: Path | str | None = None, actor: str = "api",
                     progress: Progress | None = None) -> ImportResult:
        """Import an Arrow table or a pandas DataFrame, as :meth:`import_file` does a file."""
        self.scope.require_writes("importing", "导入")
        spec = _mapping_spec(mapping, preset)
        ws = self.workspace
        return self._recorded_import(
            table, name, spec, rejects, actor,
            lambda: import_arrow(ws._warehouse, ws.settings, table, data, mapping=spec,
                                 options=options, name=name, progress=progress))

    def _recorded_import(self, table: str, source: str, spec: MappingSpec | None,
                         rejects: Path | str | None, actor: str,
                         run: Callable[[], ImportResult]) -> ImportResult:
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
            if result.loaded:
                report = quality_report(ws._warehouse, ws.settings)
                session.add(StoredQualityReport(import_run_id=record.id,
                                                report=report.to_dict()))
        return result

    def export(self, table: str, path: Path | str, fmt: ExportFormat | None = None) -> int:
        """Write canonical ``table`` to ``path`` (csv, xlsx, parquet, json, ndjson): the rows
        the scope reaches; the number written. The file imports back with zero changes."""
        return export_table(self.runner, table, path, fmt)

    def quality(self, tables: Sequence[str] | None = None, *, save: bool = False
                ) -> QualityReport:
        """The data quality report now (the whole organisation); with ``save``, kept in the
        app store too."""
        self.scope.require_everything("the data-quality report", "数据质量报告")
        ws = self.workspace
        report = quality_report(ws._warehouse, ws.settings, tables)
        if save:
            with ws._app.session() as session:
                session.add(StoredQualityReport(report=report.to_dict()))
        return report


def _mapping_spec(mapping: MappingSpec | Path | str | None, preset: str | None
                  ) -> MappingSpec | None:
    """The mapping to import with: a spec, a mapping file, or a shipped preset (not both)."""
    if mapping is not None and preset is not None:
        raise IngestError("give a mapping file or a preset, not both",
                          message_zh="请只指定映射文件或预设之一")
    if preset is not None:
        return load_preset(preset)
    if mapping is None or isinstance(mapping, MappingSpec):
        return mapping
    return load_mapping(mapping)
