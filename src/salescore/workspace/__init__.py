"""The one entry point that the web app and the CLI call: the workspace, its sessions (each with
a scope), and the names their callers need (results, options, errors), so that a caller imports
``salescore.workspace`` and ``salescore.core`` and nothing else (an import-linter contract).

>>> import tempfile
>>> from salescore.core.scope import Scope
>>> with tempfile.TemporaryDirectory() as d, Workspace.init(d) as ws:
...     ws.session(Scope.rep("R1")).kpis(["deals_won"], by="company", period="2025-Q1")
Traceback (most recent call last):
...
salescore.core.scope.AccessError: there is no rep 'R1' to scope to
"""

from __future__ import annotations

from salescore.analytics.needs_action import KINDS as ACTION_KINDS
from salescore.analytics.needs_action import ActionItem, ActionKind, NeedsAction
from salescore.engine.explain import Explanation as KpiExplanation
from salescore.engine.kpis import KpiResult
from salescore.engine.runner import Reach
from salescore.engine.warehouse import TableInfo
from salescore.ingest import ImportOptions, ImportResult, QualityReport
from salescore.ingest.export import EXPORT_FORMATS as TABLE_EXPORT_FORMATS
from salescore.ingest.importer import STEPS as IMPORT_STEPS
from salescore.ingest.problems import IngestError
from salescore.model.org import Organisation, OrgSettings
from salescore.model.tables import TABLE_NAMES
from salescore.scorecards import (
    EXPORT_FORMATS,
    PlanPeriodScore,
    Scorecards,
    ScoreExplanation,
    ScoreRun,
    WhatIf,
)
from salescore.scorecards.arithmetic import LineExplanation
from salescore.semantic.catalog import Catalog
from salescore.semantic.plan_loader import PlanCheck, PlanValidationError
from salescore.semantic.specs import (
    ConversionKpi,
    DerivedKpi,
    Group,
    Kpi,
    PeriodOverPeriodKpi,
    RatioKpi,
    SimpleKpi,
)
from salescore.workspace.accounts import (
    UNSET,
    AccountNotFound,
    Accounts,
    AuditInfo,
    LoginFailed,
    LoginThrottled,
    TokenInfo,
    UserError,
    UserInfo,
    WebLogin,
)
from salescore.workspace.catalogs import (
    catalog_check,
    home_settings,
    kpi_docs,
    kpi_folder,
    kpi_sql,
    offline_catalog,
    plan_check,
)
from salescore.workspace.session import Session, StoredScore
from salescore.workspace.settings import (
    SETTING_KEYS,
    apply_setting,
    currency_for_locale,
    setting_values,
)
from salescore.workspace.workspace import (
    APP_DB_ENV,
    DEFAULT_HOME,
    HOME_ENV,
    WAREHOUSE_ENV,
    Locations,
    Workspace,
)

__all__ = [
    "ACTION_KINDS",
    "APP_DB_ENV",
    "DEFAULT_HOME",
    "EXPORT_FORMATS",
    "HOME_ENV",
    "IMPORT_STEPS",
    "SETTING_KEYS",
    "TABLE_EXPORT_FORMATS",
    "TABLE_NAMES",
    "UNSET",
    "WAREHOUSE_ENV",
    "AccountNotFound",
    "ActionItem",
    "ActionKind",
    "Accounts",
    "AuditInfo",
    "Catalog",
    "ConversionKpi",
    "DerivedKpi",
    "Group",
    "ImportOptions",
    "ImportResult",
    "IngestError",
    "Kpi",
    "KpiExplanation",
    "KpiResult",
    "LineExplanation",
    "Locations",
    "NeedsAction",
    "LoginFailed",
    "LoginThrottled",
    "Organisation",
    "OrgSettings",
    "PeriodOverPeriodKpi",
    "PlanCheck",
    "PlanPeriodScore",
    "PlanValidationError",
    "QualityReport",
    "RatioKpi",
    "Reach",
    "ScoreExplanation",
    "ScoreRun",
    "Scorecards",
    "Session",
    "StoredScore",
    "SimpleKpi",
    "TableInfo",
    "TokenInfo",
    "UserError",
    "UserInfo",
    "WebLogin",
    "WhatIf",
    "Workspace",
    "apply_setting",
    "catalog_check",
    "currency_for_locale",
    "home_settings",
    "kpi_docs",
    "kpi_folder",
    "kpi_sql",
    "offline_catalog",
    "setting_values",
    "plan_check",
]
