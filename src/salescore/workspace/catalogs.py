"""What the catalogue and plan commands need without opening the stores: the organisation's
KPI folder, checking a catalogue or a plan file, a KPI's SQL, the KPI reference.

These read settings and YAML only, so that ``salescore kpi list`` or ``plan validate`` work
beside a server that holds the warehouse.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from salescore.compile.context import CompileContext, buckets_for
from salescore.compile.kpis import compile_kpis
from salescore.core.periods import Grain, period_of
from salescore.model.org import OrgSettings
from salescore.semantic.catalog import Catalog, shipped_catalog
from salescore.semantic.issues import Issue
from salescore.semantic.kpi_docs import render_docs
from salescore.semantic.loader import check_catalog, load_catalog
from salescore.semantic.plan_loader import PlanCheck, check_plan_file
from salescore.semantic.settings_file import load_settings
from salescore.workspace.workspace import kpi_folder

__all__ = ["catalog_check", "home_settings", "kpi_docs", "kpi_folder", "kpi_sql",
           "offline_catalog", "plan_check"]


def home_settings(home: Path | str | None) -> OrgSettings:
    """The settings of the data folder ``home`` (see :class:`Locations`)."""
    from salescore.workspace.workspace import Locations

    return load_settings(Locations.resolve(home).home).settings


def offline_catalog(home: Path | str | None, catalog_dir: Path | str | None,
                    settings: OrgSettings) -> Catalog:
    """The catalogue a workspace in ``home`` would use, read without opening its stores."""
    return load_catalog(kpi_folder(home, catalog_dir), pipeline=settings.pipeline)


def catalog_check(home: Path | str | None, catalog_dir: Path | str | None,
                  settings: OrgSettings) -> tuple[Catalog, list[Issue]]:
    """The catalogue and every problem of it, with file:line."""
    return check_catalog(kpi_folder(home, catalog_dir), pipeline=settings.pipeline)


def plan_check(file: Path, catalog: Catalog) -> PlanCheck:
    """Every problem of a plan file, checked against ``catalog``'s KPIs."""
    return check_plan_file(file, known={n: k.direction for n, k in catalog.kpis.items()})


def kpi_sql(catalog: Catalog, settings: OrgSettings, name: str, *, by: str,
            period: str | None, dialect: str) -> tuple[str, str]:
    """The period shown (default: this quarter) and KPI ``name``'s SQL in ``dialect``, with
    stable names (nothing is run)."""
    cal = settings.calendar
    chosen = cal.parse(period) if period else period_of(date.today(), Grain.QUARTER)
    ctx = CompileContext(cal, buckets_for(chosen, None, cal), pipeline=settings.pipeline,
                         currency=settings.organisation.currency, stable_names=True)
    return str(chosen), compile_kpis(catalog, [name], by, ctx).sql(dialect)


def kpi_docs() -> str:
    """The KPI reference (en and zh-CN) of the shipped catalogue, as Markdown."""
    return render_docs(shipped_catalog())
