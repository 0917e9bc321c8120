"""Drill-down: the records behind one KPI figure, through the session's explanation.

``/drill?kpi=NAME&by=rep|team|company|DIM&subject=ID&period=P`` shows the formula with the
numbers put in, then each input ("part") of the KPI with its value, its rows paged on the server
(``&part=N&page=K``, :data:`PAGE_SIZE` a page) and the total of all its rows worked out here
from the rows themselves, beside the part's value: the list visibly adds up to the figure. A
subject outside the session's scope is :class:`OutOfScope` (404), as in the API.

Any other parameter of the query string (the explorer's ``grain`` and ``breakdown``, the
explorer's own ``view_period`` and ``view_by``) is an active filter: shown, and passed on by
every link of the page.

>>> rows_total([{"value": 100.0}, {"value": 300.0}, {"value": None}], "sum")
400.0
>>> rows_total([{"item": "o1", "reached": True}, {"item": "o1", "reached": True},
...             {"item": "o2", "reached": False}], "distinct")
2
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from salescore.app.explorer import (
    BYS,
    as_of_text,
    dimension_label,
    grain_label,
    kpi_text,
    period_text,
    subject_name,
    translator,
)
from salescore.workspace import KpiExplanation, Session

__all__ = ["KNOWN_PARAMS", "PAGE_SIZE", "DrillQuery", "Drilled", "PartView", "drill",
           "rows_total", "worked_out"]

PAGE_SIZE = 50
KNOWN_PARAMS = frozenset({"kpi", "by", "subject", "period", "stage", "part", "page"})
"""The drill-down's own parameters; any other is an active filter."""
_COUNTS = frozenset({"count", "count_distinct", "distinct", "previous", "kept"})


@dataclass(frozen=True)
class DrillQuery:
    """Which figure: KPI ``kpi`` of ``subject`` (``by``) in ``period`` (the stage of a
    per-stage KPI), which part is paged to which page (1-based), and the active filters."""

    kpi: str
    by: str
    subject: str
    period: str
    stage: str | None = None
    part: int = 1
    page: int = 1
    filters: tuple[tuple[str, str], ...] = ()

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string's parameters (with ``changes``), filters last."""
        out = {"kpi": self.kpi, "by": self.by, "subject": self.subject, "period": self.period}
        if self.stage:
            out["stage"] = self.stage
        for key in ("part", "page"):
            value = changes.get(key, getattr(self, key))
            if key in changes or value != 1:
                out[key] = str(value)
        out.update(self.filters)
        return out

    def href(self, **changes: Any) -> str:
        return "/drill?" + urlencode(self.params(**changes))

    def explorer_href(self) -> str:
        """Back to the explorer view this figure came from (as far as the filters say)."""
        filters = dict(self.filters)
        breakdown = filters.get("breakdown") or (None if self.by in BYS else self.by)
        by = filters.get("view_by") or (self.by if self.by in BYS else "company")
        params = {"kpi": self.kpi, "by": by,
                  "period": filters.get("view_period") or self.period}
        if filters.get("grain"):
            params["grain"] = filters["grain"]
        if breakdown:
            params["breakdown"] = breakdown
        return "/explore?" + urlencode(params)


@dataclass(frozen=True)
class PartView:
    """One input of the KPI as the page shows it: its value, its rows on this page, the
    total of all its rows and whether that is the part's value."""

    index: int  # 1-based, as in ``&part=``
    name: str
    title: str  # the name in words, where the catalogue has a KPI of that name
    description: str
    value: float | int | None
    value_text: str
    aggregate: str  # how its rows add up: sum, count, avg, distinct, …
    total: float | int | None
    total_text: str
    adds_up: bool
    row_count: int
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    first: int  # 1-based number of the first row shown (0 when none)
    last: int
    page: int
    pages: int
    previous_href: str | None
    next_href: str | None
    page_total_text: str | None  # the rows of this page, where a sum or a count


@dataclass(frozen=True)
class Drilled:
    """The drill-down page: the figure, its formula with the numbers in, and its parts."""

    query: DrillQuery
    label: str
    subject_kind: str
    subject: str
    period: str
    value: float | int | None
    value_text: str
    formula: str
    arithmetic: str  # the formula with the numbers put in, formatted for the locale
    parts: tuple[PartView, ...]
    filters: tuple[tuple[str, str], ...]  # (label, value) as shown
    explorer_href: str
    as_of: str


def _kind(rows: Sequence[Mapping[str, Any]], name: str, agg: str | None) -> str:
    """How a part's rows add up: a conversion's and a period-over-period's rows carry items
    (``distinct``; the kept customers are those seen in both periods), a measure's its
    aggregation."""
    columns = set(rows[0]) if rows else set()
    if "which" in columns:
        return "kept" if name.endswith("(kept)") else "previous"
    if "reached" in columns:
        return "distinct"
    return agg or "count"


def rows_total(rows: Sequence[Mapping[str, Any]], kind: str) -> float | int | None:
    """What ``rows`` add up to, aggregated as ``kind`` says: ``sum`` of their values,
    ``count`` of rows (of known values where they carry one), ``avg``, ``median``, ``min``,
    ``max``, ``count_distinct`` of values, ``distinct`` items, the ``previous`` period's
    distinct items and those ``kept`` (seen in both periods)."""
    if kind == "distinct":
        return len({r["item"] for r in rows if r.get("item") is not None})
    if kind in ("previous", "kept"):
        before = {r["item"] for r in rows if r.get("which") == "previous" and r.get("item")}
        now = {r["item"] for r in rows if r.get("which") == "current" and r.get("item")}
        return len(before) if kind == "previous" else len(before & now)
    if kind == "count":
        if rows and "value" in rows[0]:
            return sum(1 for r in rows if r["value"] is not None)
        return len(rows)
    values = [r["value"] for r in rows if r.get("value") is not None]
    match kind:
        case "sum":
            return float(sum(values))
        case "count_distinct":
            return len(set(values))
        case "avg":
            return statistics.fmean(values) if values else None
        case "median":
            return float(statistics.median(values)) if values else None
        case "min":
            return min(values) if values else None
        case "max":
            return max(values) if values else None
        case _:
            raise ValueError(f"no total for aggregation {kind!r}")


def _equal(a: float | int | None, b: float | int | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def _cell(value: Any, column: str, unit: str, currency: str, zone: ZoneInfo,
          locale: str) -> str:
    where = "zh_CN" if locale == "zh_CN" else "en"
    _ = translator(locale)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        # The warehouse keeps naive UTC; a person reads the organisation's local time.
        local = value.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone) \
            if value.tzinfo is None else value.astimezone(zone)
        return f"{format_date(local.date(), 'medium', locale=where)} " \
               f"{format_time(local.time(), 'short', locale=where)}"
    if isinstance(value, date):
        return format_date(value, "medium", locale=where)
    if column == "value":
        return kpi_text(value, unit, currency, locale)
    if isinstance(value, (int, float)):
        return format_decimal(value, "#,##0.####", locale=where)
    return str(value)


def _header(column: str, locale: str) -> str:
    _ = translator(locale)
    words = {"value": _("Value"), "rep": _("Rep"), "local_day": _("Local day"),
             "item": _("Item"), "reached": _("Went on"), "which": _("Which period")}
    return words.get(column, column)


def _part_unit(kind: str, measure: Any, kpi_unit: str, single: bool, money_source: bool
               ) -> str:
    """The unit of a part's value and of its rows' ``value``: counts are counts; an amount
    of a source with a currency is money; a lone part has its KPI's unit."""
    if kind in _COUNTS:
        return "count"
    if money_source and measure is not None and measure.column == "amount":
        return "money"
    return kpi_unit if single else "number"


def worked_out(formula: str, values: Mapping[str, str], result: str) -> str:
    """The formula with each input's value put in, formatted as the page shows it.

    >>> worked_out("deals_won / deals_closed", {"deals_won": "2", "deals_closed": "3"}, "66.7%")
    'deals_won / deals_closed = 2 / 3 = 66.7%'
    >>> worked_out("revenue_won", {"revenue_won": "¥400.00"}, "¥400.00")
    'revenue_won = ¥400.00'
    """
    if formula in values:
        return f"{formula} = {result}"
    names = sorted(values, key=len, reverse=True)
    if not names:
        return f"{formula} = {result}"
    pattern = re.compile("|".join(re.escape(n) for n in names))
    return f"{formula} = {pattern.sub(lambda m: values[m.group(0)], formula)} = {result}"


def drill(session: Session, query: DrillQuery, locale: str, now: datetime | None = None
          ) -> Drilled:
    """The drill-down page for ``query`` as ``session`` sees it. :class:`OutOfScope` for a
    rep or team the session does not reach; :class:`ConfigError` or :class:`PeriodError`
    for what the catalogue or the calendar does not know."""
    catalog = session.catalog
    kpi = catalog.kpi(query.kpi)
    e: KpiExplanation = session.explain(query.kpi, subject=query.subject, period=query.period,
                                        by=query.by, stage=query.stage)
    settings = session.workspace.settings
    currency = settings.organisation.currency
    zone = ZoneInfo(settings.organisation.timezone)
    unit = str(kpi.unit)
    _ = translator(locale)
    parts = []
    for index, part in enumerate(e.parts, start=1):
        rows = part.rows.to_pylist()
        base = re.sub(r"(\[.*\])?( \(.*\))?$", "", part.name)
        measure = catalog.measures.get(base)
        named = catalog.kpis.get(part.name)
        kind = _kind(rows, part.name, None if measure is None else str(measure.agg.value))
        source = catalog.sources.get(measure.source) if measure is not None else None
        part_unit = _part_unit(kind, measure, unit, len(e.parts) == 1,
                               source is not None and source.currency is not None)
        total = rows_total(rows, kind)
        pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
        page = min(max(1, query.page if query.part == index else 1), pages)
        start = (page - 1) * PAGE_SIZE
        shown = rows[start:start + PAGE_SIZE]
        columns = tuple(part.rows.column_names)
        page_total = None
        if kind in ("sum", "count") and pages > 1:
            page_total = kpi_text(rows_total(shown, kind), part_unit, currency, locale)
        parts.append(PartView(
            index=index, name=part.name,
            title=named.label.get(locale) if named is not None else part.name,
            description=part.description_zh if locale == "zh_CN" else part.description,
            value=part.value, value_text=kpi_text(part.value, part_unit, currency, locale),
            aggregate=kind, total=total,
            total_text=kpi_text(total, part_unit, currency, locale),
            adds_up=_equal(total, part.value), row_count=len(rows), columns=columns,
            headers=tuple(_header(c, locale) for c in columns),
            rows=tuple(tuple(_cell(r[c], c, part_unit, currency, zone, locale) for c in columns)
                       for r in shown),
            first=start + 1 if shown else 0, last=start + len(shown), page=page, pages=pages,
            previous_href=query.href(part=index, page=page - 1) if page > 1 else None,
            next_href=query.href(part=index, page=page + 1) if page < pages else None,
            page_total_text=page_total))
    filter_words = {"grain": _("Grain"), "breakdown": _("Breakdown"),
                    "view_period": _("Explorer period"), "view_by": _("Explorer by")}
    shown_filters = []
    for key, value in query.filters:
        if key == "grain":
            value = grain_label(value, locale)
        elif key in ("breakdown", "view_by"):
            value = dimension_label(value, locale)
        shown_filters.append((filter_words.get(key, key), value))
    value_text = kpi_text(e.value, unit, currency, locale)
    return Drilled(
        query=query, label=kpi.label.get(locale) + (f" [{query.stage}]" if query.stage else ""),
        subject_kind=dimension_label(query.by, locale),
        subject=subject_name(session, query.by, None if query.by == "company" else query.subject,
                             locale),
        period=period_text(session, query.period, locale), value=e.value,
        value_text=value_text, formula=e.formula,
        arithmetic=worked_out(e.formula, {p.name: p.value_text for p in parts}, value_text),
        parts=tuple(parts), filters=tuple(shown_filters),
        explorer_href=query.explorer_href(),
        as_of=as_of_text(session, now or datetime.now().astimezone(), locale))
