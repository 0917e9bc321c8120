"""The one entry point that the web app and the CLI call: the workspace, its sessions (each with
a scope), and the names their callers need (results, options, errors), so that a caller imports
``salescore.workspace`` and ``salescore.core`` and nothing else (an import-linter contract).

>>> import tempfile
>>> from salescore.core.scope import Scope
>>> from salescore.workspace import Workspace
>>> with tempfile.TemporaryDirectory() as d, Workspace.init(d) as ws:
...     ws.session(Scope.rep("R1")).kpis(["deals_won"], by="company", period="2025-Q1")
Traceback (most recent call last):
...
salescore.core.scope.AccessError: there is no rep 'R1' to scope to

Each name is imported on first use (:func:`__getattr__`), so that a command imports only what it
uses: ``salescore --help`` needs none of the engine, and ``salescore settings show`` none of Ibis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salescore.core.lazy import lazy_exports

if TYPE_CHECKING:  # the same names, for type checkers and the import contracts
    from salescore.analytics.needs_action import KINDS as ACTION_KINDS
    from salescore.analytics.needs_action import ActionItem, ActionKind, NeedsAction
    from salescore.engine.explained import Explanation as KpiExplanation
    from salescore.engine.explained import Rows as ExplainRows
    from salescore.engine.kpis import KpiResult
    from salescore.engine.runner import Reach
    from salescore.engine.warehouse import TableInfo
    from salescore.ingest import ImportOptions, ImportResult, QualityReport
    from salescore.ingest.export import EXPORT_FORMATS as TABLE_EXPORT_FORMATS
    from salescore.ingest.importer import STEPS as IMPORT_STEPS
    from salescore.ingest.problems import IngestError
    from salescore.model.org import Organisation, OrgSettings
    from salescore.model.tables import TABLE_NAMES
    from salescore.realtime.consumer import EventConsumer
    from salescore.realtime.rules import RulesError
    from salescore.realtime.schedules import SchedulesError
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
    from salescore.workspace.ml_models import train_after_import
    from salescore.workspace.page_views import (
        data_stamp,
        prepare_page_views,
        refresh_page_views,
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

# name -> (module, attribute): where each name above lives, imported when first asked for.
_WHERE: dict[str, tuple[str, str]] = {
    "ACTION_KINDS": ("salescore.analytics.needs_action", "KINDS"),
    "data_stamp": ("salescore.workspace.page_views", "data_stamp"),
    "refresh_page_views": ("salescore.workspace.page_views", "refresh_page_views"),
    "prepare_page_views": ("salescore.workspace.page_views", "prepare_page_views"),
    "ActionItem": ("salescore.analytics.needs_action", "ActionItem"),
    "ActionKind": ("salescore.analytics.needs_action", "ActionKind"),
    "NeedsAction": ("salescore.analytics.needs_action", "NeedsAction"),
    "APP_DB_ENV": ("salescore.workspace.workspace", "APP_DB_ENV"),
    "AccountNotFound": ("salescore.workspace.accounts", "AccountNotFound"),
    "Accounts": ("salescore.workspace.accounts", "Accounts"),
    "AuditInfo": ("salescore.workspace.accounts", "AuditInfo"),
    "Catalog": ("salescore.semantic.catalog", "Catalog"),
    "ConversionKpi": ("salescore.semantic.specs", "ConversionKpi"),
    "DEFAULT_HOME": ("salescore.workspace.workspace", "DEFAULT_HOME"),
    "DerivedKpi": ("salescore.semantic.specs", "DerivedKpi"),
    "EventConsumer": ("salescore.realtime.consumer", "EventConsumer"),
    "ExplainRows": ("salescore.engine.explained", "Rows"),
    "RulesError": ("salescore.realtime.rules", "RulesError"),
    "SchedulesError": ("salescore.realtime.schedules", "SchedulesError"),
    "EXPORT_FORMATS": ("salescore.scorecards", "EXPORT_FORMATS"),
    "Group": ("salescore.semantic.specs", "Group"),
    "HOME_ENV": ("salescore.workspace.workspace", "HOME_ENV"),
    "IMPORT_STEPS": ("salescore.ingest.importer", "STEPS"),
    "ImportOptions": ("salescore.ingest", "ImportOptions"),
    "ImportResult": ("salescore.ingest", "ImportResult"),
    "IngestError": ("salescore.ingest.problems", "IngestError"),
    "Kpi": ("salescore.semantic.specs", "Kpi"),
    "KpiExplanation": ("salescore.engine.explained", "Explanation"),
    "KpiResult": ("salescore.engine.kpis", "KpiResult"),
    "LineExplanation": ("salescore.scorecards.arithmetic", "LineExplanation"),
    "Locations": ("salescore.workspace.workspace", "Locations"),
    "LoginFailed": ("salescore.workspace.accounts", "LoginFailed"),
    "LoginThrottled": ("salescore.workspace.accounts", "LoginThrottled"),
    "OrgSettings": ("salescore.model.org", "OrgSettings"),
    "Organisation": ("salescore.model.org", "Organisation"),
    "PeriodOverPeriodKpi": ("salescore.semantic.specs", "PeriodOverPeriodKpi"),
    "PlanCheck": ("salescore.semantic.plan_loader", "PlanCheck"),
    "PlanPeriodScore": ("salescore.scorecards", "PlanPeriodScore"),
    "PlanValidationError": ("salescore.semantic.plan_loader", "PlanValidationError"),
    "QualityReport": ("salescore.ingest", "QualityReport"),
    "RatioKpi": ("salescore.semantic.specs", "RatioKpi"),
    "Reach": ("salescore.engine.runner", "Reach"),
    "SETTING_KEYS": ("salescore.workspace.settings", "SETTING_KEYS"),
    "train_after_import": ("salescore.workspace.ml_models", "train_after_import"),
    "ScoreExplanation": ("salescore.scorecards", "ScoreExplanation"),
    "ScoreRun": ("salescore.scorecards", "ScoreRun"),
    "Scorecards": ("salescore.scorecards", "Scorecards"),
    "Session": ("salescore.workspace.session", "Session"),
    "SimpleKpi": ("salescore.semantic.specs", "SimpleKpi"),
    "StoredScore": ("salescore.workspace.session", "StoredScore"),
    "TABLE_EXPORT_FORMATS": ("salescore.ingest.export", "EXPORT_FORMATS"),
    "TABLE_NAMES": ("salescore.model.tables", "TABLE_NAMES"),
    "TableInfo": ("salescore.engine.warehouse", "TableInfo"),
    "TokenInfo": ("salescore.workspace.accounts", "TokenInfo"),
    "UNSET": ("salescore.workspace.accounts", "UNSET"),
    "UserError": ("salescore.workspace.accounts", "UserError"),
    "UserInfo": ("salescore.workspace.accounts", "UserInfo"),
    "WAREHOUSE_ENV": ("salescore.workspace.workspace", "WAREHOUSE_ENV"),
    "WebLogin": ("salescore.workspace.accounts", "WebLogin"),
    "WhatIf": ("salescore.scorecards", "WhatIf"),
    "Workspace": ("salescore.workspace.workspace", "Workspace"),
    "apply_setting": ("salescore.workspace.settings", "apply_setting"),
    "catalog_check": ("salescore.workspace.catalogs", "catalog_check"),
    "currency_for_locale": ("salescore.workspace.settings", "currency_for_locale"),
    "home_settings": ("salescore.workspace.catalogs", "home_settings"),
    "kpi_docs": ("salescore.workspace.catalogs", "kpi_docs"),
    "kpi_folder": ("salescore.workspace.workspace", "kpi_folder"),
    "kpi_sql": ("salescore.workspace.catalogs", "kpi_sql"),
    "offline_catalog": ("salescore.workspace.catalogs", "offline_catalog"),
    "plan_check": ("salescore.workspace.catalogs", "plan_check"),
    "setting_values": ("salescore.workspace.settings", "setting_values"),
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())


__all__ = [
    "ACTION_KINDS",
    "data_stamp",
    "refresh_page_views",
    "prepare_page_views",
    "train_after_import",
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
    "EventConsumer",
    "ExplainRows",
    "RulesError",
    "SchedulesError",
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
