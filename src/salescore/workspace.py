"""The one entry point that the web app and the CLI call.

A workspace is a data folder (``./salescore-data``, ``--home`` or ``SALESCORE_HOME``) holding the
organisation's settings (``salescore.yaml``), the warehouse (``warehouse.duckdb``) and the app
store (``app.sqlite``), unless ``SALESCORE_WAREHOUSE_URL`` / ``SALESCORE_APP_DB_URL`` point
elsewhere.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d, Workspace.init(Path(d)) as ws:
...     ws.settings.organisation.timezone
'UTC'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from salescore.appstore.models import ImportRun
from salescore.appstore.models import QualityReport as StoredQualityReport
from salescore.appstore.store import AppStore, sqlite_url
from salescore.appstore.timestamps import utcnow
from salescore.core.errors import SalescoreError
from salescore.core.periods import Calendar
from salescore.engine.warehouse import TableInfo, Warehouse
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
from salescore.model.org import OrgSettings, load_settings, settings_path, write_settings
from salescore.model.tables import TABLES

if TYPE_CHECKING:  # the KPI engine is imported when first used, not at start-up
    from datetime import date

    from salescore.engine.explain import Explanation as _Explanation
    from salescore.engine.kpis import KpiEngine as _KpiEngine
    from salescore.scorecards import (
        Adoption,
        PlanVersionInfo,
        Scorecards,
        ScoreExplanation,
        ScoreRun,
        TargetChange,
        WhatIf,
    )
    from salescore.semantic.catalog import Catalog as _KpiCatalog

HOME_ENV = "SALESCORE_HOME"
WAREHOUSE_ENV = "SALESCORE_WAREHOUSE_URL"
APP_DB_ENV = "SALESCORE_APP_DB_URL"
DEFAULT_HOME = Path("salescore-data")


@dataclass(frozen=True, slots=True)
class Locations:
    """Where a workspace's settings and stores are."""

    home: Path
    warehouse_url: str
    app_db_url: str

    @classmethod
    def resolve(cls, home: Path | str | None = None) -> Locations:
        """``home`` if given, else ``$SALESCORE_HOME``, else ``./salescore-data``."""
        folder = Path(home or os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().absolute()
        warehouse = os.environ.get(WAREHOUSE_ENV) or f"duckdb:///{folder / 'warehouse.duckdb'}"
        app_db = os.environ.get(APP_DB_ENV) or sqlite_url(folder / "app.sqlite")
        return cls(folder, warehouse, app_db)


class Workspace:
    """An open workspace: settings, warehouse and app store together."""

    def __init__(self, locations: Locations, settings: OrgSettings, warehouse: Warehouse,
                 app: AppStore) -> None:
        self.locations = locations
        self.settings = settings
        self.warehouse = warehouse
        self.app = app

    @classmethod
    def open(cls, home: Path | str | None = None, *, read_only: bool = False) -> Workspace:
        """Open an initialised workspace; settings are validated, stores created if missing."""
        locations = Locations.resolve(home)
        settings = load_settings(locations.home)
        warehouse = Warehouse.open(locations.warehouse_url, read_only=read_only)
        try:
            if not read_only:
                warehouse.create_tables()
            app = AppStore.open(locations.app_db_url)
        except BaseException:
            warehouse.close()
            raise
        return cls(locations, settings, warehouse, app)

    @classmethod
    def init(cls, home: Path | str | None = None, settings: OrgSettings | None = None, *,
             overwrite: bool = False) -> Workspace:
        """Create the data folder, write ``salescore.yaml`` (kept if it exists unless
        ``overwrite``), create the warehouse tables and migrate the app store."""
        locations = Locations.resolve(home)
        locations.home.mkdir(parents=True, exist_ok=True)
        if overwrite or not settings_path(locations.home).exists():
            write_settings(locations.home, settings or OrgSettings())
        return cls.open(locations.home)

    def save_settings(self, settings: OrgSettings) -> None:
        write_settings(self.locations.home, settings)
        self.settings = settings

    @property
    def calendar(self) -> Calendar:
        org = self.settings.organisation
        return Calendar(timezone=org.timezone, fiscal_year_start_month=org.fiscal_year_start_month)

    @property
    def locale(self) -> str:
        return self.settings.organisation.locale

    def table_info(self) -> list[TableInfo]:
        return self.warehouse.table_info()

    # -- KPIs (salescore.engine.kpis) ---------------------------------------------------------
    def kpi_catalog(self, catalog_dir: Path | str | None = None) -> _KpiCatalog:
        """The shipped KPI catalogue with the organisation's own YAML merged over it:
        ``catalog_dir`` if given, else ``<home>/kpis`` when that folder exists."""
        from salescore.semantic.loader import load_catalog

        folder: Path | str | None = catalog_dir
        if folder is None and (self.locations.home / "kpis").is_dir():
            folder = self.locations.home / "kpis"
        return load_catalog(folder, pipeline=self.settings.pipeline)

    def kpi_engine(self, catalog_dir: Path | str | None = None) -> _KpiEngine:
        """A KPI engine on this workspace's warehouse, settings and catalogue."""
        from salescore.engine.kpis import KpiEngine

        return KpiEngine(self.warehouse.backend, self.settings, self.kpi_catalog(catalog_dir))

    def kpis(self, names: Sequence[str], *, by: str = "rep", period: str = "all",
             grain: str | None = None, subjects: Sequence[str] | None = None,
             catalog_dir: Path | str | None = None, as_pandas: bool = False) -> Any:
        """KPIs ``names`` per subject (``by``: rep, team, company or a dimension) and period, as
        an Arrow table (or a pandas DataFrame): the subject key, ``period``, one column per KPI.

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d, Workspace.init(Path(d)) as ws:
        ...     ws.kpis(["deals_won"], by="company", period="2025-Q1").to_pylist()
        [{'period': '2025-Q1', 'deals_won': 0}]
        """
        from salescore.core.periods import Grain
        from salescore.engine.kpis import KpiRequest

        request = KpiRequest(tuple(names), by=by, period=period,
                             grain=Grain(grain) if grain else None,
                             subjects=tuple(subjects) if subjects is not None else None)
        table = self.kpi_engine(catalog_dir).compute(request).table
        return table.to_pandas() if as_pandas else table

    def explain(self, name: str, *, subject: str, period: str, by: str = "rep",
                stage: str | None = None, catalog_dir: Path | str | None = None
                ) -> _Explanation:
        """The records behind KPI ``name`` of ``subject`` in ``period`` and how they add up."""
        from salescore.engine.explain import explain_kpi

        return explain_kpi(self.kpi_engine(catalog_dir), name, subject=subject, period=period,
                           by=by, stage=stage)

    # -- scorecards (salescore.scorecards) ----------------------------------------------------
    def scorecards(self, catalog_dir: Path | str | None = None) -> Scorecards:
        """Plans, scores, what-if, explanations and targets on this workspace's stores."""
        from salescore.scorecards import Scorecards

        return Scorecards(self.warehouse, self.app, self.kpi_engine(catalog_dir), self.settings)

    def adopt_plan(self, path: Path | str | None = None, *, text: str | None = None,
                   effective_from: date | None = None, actor: str = "api",
                   reason: str | None = None, replace: bool = False) -> Adoption:
        """Validate a plan (a YAML file, or its text) and adopt it from ``effective_from``
        (default: the start of its current period); audited. See :meth:`Scorecards.adopt`."""
        return self.scorecards().adopt(path, text=text, effective_from=effective_from,
                                       actor=actor, reason=reason, replace=replace)

    def adopt_shipped_plans(self, effective_from: date, *, actor: str = "demo",
                            replace: bool = True) -> list[Adoption]:
        """Adopt the shipped example plans from ``effective_from``: unchanged ones are kept,
        and (``replace``) a changed one replaces the version adopted from that date."""
        return self.scorecards().adopt_shipped(effective_from, actor=actor, replace=replace)

    def plans(self) -> list[PlanVersionInfo]:
        """Every stored version of every scorecard plan."""
        return self.scorecards().versions()

    def score(self, period: str, plan: str | None = None, *, store: bool = True) -> ScoreRun:
        """Score every adopted plan (or ``plan``) for ``period`` under the version then in
        force, and keep the scores (idempotent). See :meth:`Scorecards.score`."""
        return self.scorecards().score(period, plan, store=store)

    def whatif(self, path: Path | str | None = None, *, text: str | None = None, period: str,
               against: str | None = None) -> WhatIf:
        """Replay a draft plan on ``period`` against the adopted one (same name, or
        ``against``): per rep score, rating and rank changes. Nothing is stored."""
        return self.scorecards().whatif(path, text=text, period=period, against=against)

    def score_explanation(self, rep_id: str, period: str, plan: str | None = None, *,
                          records: bool = True) -> ScoreExplanation:
        """A rep's score → its lines → the records behind each KPI."""
        return self.scorecards().explain(rep_id, period, plan, records=records)

    def set_target(self, scope: str, scope_id: str, period: str, kpi: str, value: float, *,
                   actor: str, reason: str) -> TargetChange:
        """Upsert one row of the targets table and audit it (``target.set``)."""
        return self.scorecards().set_target(scope, scope_id, period, kpi, value, actor=actor,
                                            reason=reason)

    def clear_warehouse(self) -> None:
        """Delete every row of every canonical table (the demo starts from empty)."""
        with self.warehouse.transaction():
            for declared in reversed(TABLES):
                self.warehouse.execute_sql(f"DELETE FROM {declared.name}")

    # -- ingest: imports, exports, data quality ----------------------------------------------
    def import_file(self, table: str, path: Path | str, *,
                    mapping: MappingSpec | Path | str | None = None, preset: str | None = None,
                    options: ImportOptions | None = None, rejects: Path | str | None = None,
                    actor: str = "cli", progress: Progress | None = None) -> ImportResult:
        """Import one file into canonical ``table`` (see :func:`salescore.ingest.import_file`).

        Rejected rows go to ``rejects`` (default ``<home>/rejects/<table>-<time>.csv``); stages
        added with ``add_stages`` are saved to the settings; the run, and a quality report after
        a run that loaded, are kept in the app store. :class:`IngestError` for unusable input.
        """
        spec = _mapping_spec(mapping, preset)
        return self._recorded_import(
            table, str(path), spec, rejects, actor,
            lambda: import_file(self.warehouse, self.settings, table, path, mapping=spec,
                                options=options, progress=progress))

    def import_arrow(self, table: str, data: object, *,
                     mapping: MappingSpec | Path | str | None = None, preset: str | None = None,
                     options: ImportOptions | None = None, name: str = "(data)",
                     rejects: Path | str | None = None, actor: str = "api",
                     progress: Progress | None = None) -> ImportResult:
        """Import an Arrow table or a pandas DataFrame, as :meth:`import_file` does a file."""
        spec = _mapping_spec(mapping, preset)
        return self._recorded_import(
            table, name, spec, rejects, actor,
            lambda: import_arrow(self.warehouse, self.settings, table, data, mapping=spec,
                                 options=options, name=name, progress=progress))

    def _recorded_import(self, table: str, source: str, spec: MappingSpec | None,
                         rejects: Path | str | None, actor: str,
                         run: Callable[[], ImportResult]) -> ImportResult:
        started = utcnow()
        try:
            result = run()
        except Exception as exc:
            message = exc.message if isinstance(exc, SalescoreError) else repr(exc)
            with self.app.session() as session:
                session.add(ImportRun(started_at=started, finished_at=utcnow(), table_name=table,
                                      source=source, mapping=spec.origin[:200] if spec else None,
                                      status="failed", actor=actor, message=message))
            raise
        if result.rejects.num_rows:
            stamp = started.strftime("%Y%m%d-%H%M%S")
            target = Path(rejects) if rejects else \
                self.locations.home / "rejects" / f"{table}-{stamp}.csv"
            result = result.with_rejects_file(result.write_rejects(target))
        if result.pipeline is not None:
            self.save_settings(self.settings.model_copy(update={"pipeline": result.pipeline}))
        with self.app.session() as session:
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
                report = quality_report(self.warehouse, self.settings)
                session.add(StoredQualityReport(import_run_id=record.id,
                                                report=report.to_dict()))
        return result

    def export(self, table: str, path: Path | str, fmt: ExportFormat | None = None) -> int:
        """Write canonical ``table`` to ``path`` (csv, xlsx, parquet, json, ndjson); rows written.
        The file imports back with zero changes."""
        return export_table(self.warehouse, table, path, fmt)

    def quality(self, tables: Sequence[str] | None = None, *, save: bool = False
                ) -> QualityReport:
        """The data quality report now; with ``save``, kept in the app store too."""
        report = quality_report(self.warehouse, self.settings, tables)
        if save:
            with self.app.session() as session:
                session.add(StoredQualityReport(report=report.to_dict()))
        return report

    def close(self) -> None:
        try:
            self.warehouse.close()
        finally:
            self.app.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


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
