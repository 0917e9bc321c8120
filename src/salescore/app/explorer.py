"""KPI explorer: any catalogue KPI, for any subjects, period, grain and breakdown, as a chart
and a table, read through the caller's session (so a rep sees only their own figures and a
manager their team's subtree), and the same rows as CSV and XLSX.

What is asked for is an :class:`ExplorerQuery` (the page's query string: ``kpi``, ``by`` =
rep | team | company, ``period``, ``grain`` and ``breakdown`` = a dimension). Without a
breakdown the rows are one per subject ``by``; with one, one per value of that dimension
(``product``, ``channel``, …) over what the caller sees. Without a grain each row covers the
whole period and the chart is a bar per row; with a grain the rows are split into periods and
the chart is a line over them. Every value links to its drill-down (:mod:`salescore.app.drill`).

Numbers are formatted for the locale here (Babel, the organisation's currency), so that the
template only places them; the downloads carry the same rows and columns with the numbers as
numbers, and every text cell is made safe for a spreadsheet (:func:`spreadsheet_text`).

>>> spreadsheet_text("=HYPERLINK(1)"), spreadsheet_text("East")
("'=HYPERLINK(1)", 'East')
>>> kpi_text(1234.5, "money", "CNY", "zh_CN"), kpi_text(0.25, "ratio", "CNY", "en")
('¥1,234.50', '25%')
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from salescore.app.i18n import catalogue
from salescore.core.errors import ConfigError
from salescore.core.periods import Grain
from salescore.workspace import Session

__all__ = [
    "BYS",
    "DEFAULT_KPI",
    "MAX_BARS",
    "MAX_LINES",
    "Cell",
    "Choices",
    "Explored",
    "ExplorerQuery",
    "Row",
    "as_of_text",
    "choices",
    "explore",
    "kpi_text",
    "period_text",
    "spreadsheet_text",
    "to_csv",
    "to_xlsx",
]

BYS: tuple[str, ...] = ("rep", "team", "company")
GRAINS: tuple[Grain, ...] = (Grain.DAY, Grain.WEEK, Grain.MONTH, Grain.QUARTER, Grain.YEAR,
                             Grain.FISCAL_QUARTER, Grain.FISCAL_YEAR)
MAX_BARS = 30  # the chart draws the largest; the table lists every row
MAX_LINES = 10
DEFAULT_KPI = "revenue_won"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _babel(locale: str) -> str:
    return "zh_CN" if locale == "zh_CN" else "en"


def translator(locale: str) -> Callable[[str], str]:
    """The pages' catalogue's ``gettext`` for ``locale`` (English: the words as they are)."""
    return catalogue(locale).gettext


def kpi_text(value: float | int | None, unit: str, currency: str, locale: str) -> str:
    """A KPI's value as a person reads it: money in ``currency``, a ratio as a percentage,
    a count whole, anything else with up to two decimals; a dash when unknown."""
    if value is None:
        return "—"
    where = _babel(locale)
    match unit:
        case "money":
            return format_currency(value, currency, locale=where)
        case "ratio":
            return format_percent(value, "#,##0.#%", locale=where)
        case _:
            return format_decimal(value, "#,##0.##", locale=where)


def spreadsheet_text(text: str) -> str:
    """``text`` as a spreadsheet cell that can only be text: one starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return (which Excel, LibreOffice and Google Sheets would
    run as a formula) gets a leading apostrophe (OWASP's advice for CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def period_text(session: Session, label: str, locale: str) -> str:
    """``2025-Q1 (1 Jan 2025 – 31 Mar 2025)``: a period's label and its days."""
    period = session.workspace.calendar.parse(label)
    where = _babel(locale)
    return (f"{period.label} ({format_date(period.start, 'medium', locale=where)} – "
            f"{format_date(period.end, 'medium', locale=where)})")


def as_of_text(session: Session, moment: datetime, locale: str) -> str:
    """When the figures were read, in the organisation's time zone (the pages compute from the
    warehouse as it is at that moment)."""
    zone = session.workspace.settings.organisation.timezone
    shown = format_datetime(moment.astimezone(ZoneInfo(zone)), "medium",
                            tzinfo=ZoneInfo(zone), locale=_babel(locale))
    return f"{shown} ({zone})"


def default_period(session: Session, today: date | None = None) -> str:
    """This quarter (the fiscal one where the fiscal year does not start in January), by the
    organisation's calendar: it rolls over by itself."""
    calendar = session.workspace.calendar
    zone = ZoneInfo(session.workspace.settings.organisation.timezone)
    day = today or datetime.now(zone).date()
    grain = Grain.QUARTER if calendar.fiscal_year_start_month == 1 else Grain.FISCAL_QUARTER
    return calendar.period_of(day, grain).label


def period_choices(session: Session, today: date | None = None) -> list[str]:
    """Periods to suggest in the picker: this and last month, quarter and year."""
    calendar = session.workspace.calendar
    zone = ZoneInfo(session.workspace.settings.organisation.timezone)
    day = today or datetime.now(zone).date()
    grains = [Grain.MONTH, Grain.QUARTER, Grain.YEAR]
    if calendar.fiscal_year_start_month != 1:
        grains += [Grain.FISCAL_QUARTER, Grain.FISCAL_YEAR]
    out: list[str] = []
    for grain in grains:
        now = calendar.period_of(day, grain)
        out += [now.label, now.previous().label]
    return out


@dataclass(frozen=True)
class ExplorerQuery:
    """What the explorer is asked: ``kpi`` for subjects ``by`` in ``period``, split by
    ``grain`` (``None``: the whole period) and, when given, by dimension ``breakdown``
    instead of by subject."""

    kpi: str
    by: str = "rep"
    period: str = ""
    grain: str | None = None
    breakdown: str | None = None

    @property
    def engine_by(self) -> str:
        """What the engine groups by: the breakdown's dimension, else the subjects."""
        return self.breakdown or self.by

    def params(self) -> dict[str, str]:
        """The query string's parameters, empty ones left out."""
        out = {"kpi": self.kpi, "by": self.by, "period": self.period}
        if self.grain:
            out["grain"] = self.grain
        if self.breakdown:
            out["breakdown"] = self.breakdown
        return out

    def query_string(self) -> str:
        return urlencode(self.params())

    def check(self, session: Session) -> None:
        """Raise :class:`ConfigError` (422) for a KPI, ``by``, grain or breakdown the
        session's catalogue and engine do not know; a bad period is the calendar's
        :class:`PeriodError`."""
        catalog = session.catalog
        catalog.kpi(self.kpi)  # suggests close names
        if self.by not in BYS:
            raise ConfigError(f"by must be one of {', '.join(BYS)}, not {self.by!r}",
                              message_zh=f"统计对象只能是 {'、'.join(BYS)}，而不是 {self.by!r}")
        if self.grain is not None and self.grain not in {g.value for g in GRAINS}:
            known = ", ".join(g.value for g in GRAINS)
            raise ConfigError(f"unknown grain {self.grain!r} (use one of {known})",
                              message_zh=f"未知的时间粒度 {self.grain!r}（可用：{known}）")
        if self.breakdown is not None and self.breakdown not in catalog.dimensions():
            known = ", ".join(catalog.dimensions())
            raise ConfigError(f"unknown breakdown {self.breakdown!r} (use one of {known})",
                              message_zh=f"未知的细分维度 {self.breakdown!r}（可用：{known}）")
        session.workspace.calendar.parse(self.period)


@dataclass(frozen=True)
class Cell:
    """One KPI value of a row: the number, as read, and where it drills down to."""

    value: float | int | None
    text: str
    href: str


@dataclass(frozen=True)
class Row:
    """One row of the table: whose (``subject`` id, ``None`` for the company), its name, the
    period and one cell per output of the KPI."""

    subject: str | None
    name: str
    period: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Choices:
    """What the explorer's form offers: the catalogue's KPIs by group (the session's
    catalogue: the user's own KPIs too), the dimensions, suggested periods."""

    kpis: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    bys: tuple[tuple[str, str], ...]
    grains: tuple[tuple[str, str], ...]
    dimensions: tuple[tuple[str, str], ...]
    periods: tuple[str, ...]


def choices(session: Session, locale: str) -> Choices:
    """The explorer form's choices for ``session`` in ``locale``."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, spec in sorted(session.catalog.kpis.items(), key=lambda i: i[1].label.get(locale)):
        groups.setdefault(spec.group.label.get(locale), []).append((name,
                                                                     spec.label.get(locale)))
    return Choices(
        kpis=tuple((g, tuple(items)) for g, items in sorted(groups.items())),
        bys=tuple((b, dimension_label(b, locale)) for b in BYS),
        grains=tuple((g.value, grain_label(g.value, locale)) for g in GRAINS),
        dimensions=tuple((d, dimension_label(d, locale)) for d in session.catalog.dimensions()),
        periods=tuple(period_choices(session)))


@dataclass(frozen=True)
class Explored:
    """The explorer's page: the query, what the KPI is, the rows, the chart's data and
    words, the notices."""

    query: ExplorerQuery
    label: str
    description: str
    unit: str
    subject_header: str
    outputs: tuple[str, ...]  # the value columns' headers (one per output of the KPI)
    rows: tuple[Row, ...]
    chart: dict[str, Any]
    chart_label: str
    chart_note: str | None
    notices: tuple[str, ...]
    period: str
    as_of: str
    currency: str


def dimension_label(name: str, locale: str) -> str:
    """A dimension or subject kind in the reader's words (a user's own: its name)."""
    _ = translator(locale)
    words = {
        "rep": _("Rep"), "team": _("Team"), "company": _("Company"),
        "product": _("Product"), "channel": _("Channel"), "region": _("Region"),
        "segment": _("Segment"), "industry": _("Industry"), "customer": _("Customer"),
        "stage": _("Stage"), "kind": _("Activity kind"),
    }
    return words.get(name, name)


def grain_label(grain: str, locale: str) -> str:
    _ = translator(locale)
    words = {
        "day": _("Day"), "week": _("Week"), "month": _("Month"), "quarter": _("Quarter"),
        "year": _("Year"), "fiscal_quarter": _("Fiscal quarter"),
        "fiscal_year": _("Fiscal year"),
    }
    return words.get(grain, grain)


def _stage_of(output: str) -> str | None:
    """``stage_conversion[qualified]`` → ``qualified``: a per-stage output's stage."""
    found = re.fullmatch(r"[^\[]+\[(.+)\]", output)
    return found.group(1) if found else None


def drill_href(query: ExplorerQuery, subject: str | None, period: str, output: str) -> str:
    """The drill-down of one value; the explorer's other choices go along as active filters
    (``grain``, ``breakdown``, and the explorer's own ``view_by`` and ``view_period`` where
    they differ from the figure's)."""
    params = {"kpi": query.kpi, "by": query.engine_by,
              "subject": subject if subject is not None else "company", "period": period}
    stage = _stage_of(output)
    if stage is not None:
        params["stage"] = stage
    if query.grain:
        params["grain"] = query.grain
    if query.breakdown:
        params["breakdown"] = query.breakdown
        params["view_by"] = query.by
    if query.period != period:
        params["view_period"] = query.period
    return "/drill?" + urlencode(params)


def _names(session: Session, by: str) -> dict[str, str]:
    match by:
        case "rep":
            return {str(r["rep_id"]): str(r.get("name") or r["rep_id"]) for r in session.reps()}
        case "team":
            return {str(t["team_id"]): str(t.get("name") or t["team_id"])
                    for t in session.teams()}
        case _:
            return {}


def subject_name(session: Session, by: str, subject: str | None, locale: str,
                 names: Mapping[str, str] | None = None) -> str:
    """Who or what a row is for, as a person reads it: a rep's or team's name with its id,
    the organisation's name for the company, a dimension's value (unknown: a dash)."""
    if by == "company" or subject is None:
        return session.workspace.settings.organisation.name or dimension_label("company",
                                                                                locale)
    if subject == "":
        _ = translator(locale)
        return _("(unknown)")
    known = names if names is not None else _names(session, by)
    name = known.get(subject)
    return f"{name} ({subject})" if name and name != subject else subject


def explore(session: Session, query: ExplorerQuery, locale: str,
            now: datetime | None = None) -> Explored:
    """The explorer's page for ``query`` as ``session`` sees it. :class:`ConfigError` or
    :class:`PeriodError` for what the catalogue or the calendar does not know."""
    query.check(session)
    _ = translator(locale)
    kpi = session.catalog.kpi(query.kpi)
    unit = str(kpi.unit)
    currency = session.workspace.settings.organisation.currency
    result = session.kpi_result([query.kpi], by=query.engine_by, period=query.period,
                                grain=query.grain)
    key = result.subject
    names = _names(session, query.engine_by)
    rows: list[Row] = []
    for record in result.table.to_pylist():
        raw = None if key is None else record[key]
        subject = None if key is None else "" if raw is None else str(raw)
        period = str(record["period"])
        # A row of unknown dimension value (an opportunity without a product) has no subject
        # to drill into.
        cells = tuple(Cell(record.get(o), kpi_text(record.get(o), unit, currency, locale),
                           "" if subject == "" else drill_href(query, subject, period, o))
                      for o in result.outputs)
        rows.append(Row(subject, subject_name(session, query.engine_by, subject, locale, names),
                        period, cells))
    rows = _ordered(rows, by_value=query.grain is None)
    label = kpi.label.get(locale)
    outputs = tuple(_output_label(label, o) for o in result.outputs)
    chart, note = _chart(rows, outputs, line=query.grain is not None, locale=locale)
    what = dimension_label(query.engine_by, locale)
    if query.grain is None:
        aria = _("Bar chart of %(kpi)s by %(by)s, %(period)s; the table below lists the same "
                 "figures") % {"kpi": label, "by": what, "period": query.period}
    else:
        aria = _("Line chart of %(kpi)s by %(by)s per %(grain)s, %(period)s; the table below "
                 "lists the same figures") % {"kpi": label, "by": what, "period": query.period,
                                               "grain": grain_label(query.grain, locale)}
    return Explored(
        query=query, label=label, description=kpi.description.get(locale), unit=unit,
        subject_header=what, outputs=outputs, rows=tuple(rows), chart=chart,
        chart_label=aria, chart_note=note,
        notices=tuple(dict.fromkeys(n.localized(locale) for n in (
            *result.notices, *result.reasons.values()))),
        period=period_text(session, query.period, locale),
        as_of=as_of_text(session, now or datetime.now().astimezone(), locale),
        currency=currency)


def _output_label(label: str, output: str) -> str:
    stage = _stage_of(output)
    return f"{label} [{stage}]" if stage else label


def _ordered(rows: list[Row], *, by_value: bool) -> list[Row]:
    """Without a grain, the largest first (unknown last); with one, each subject's periods in
    order, the subjects by id."""
    if by_value:
        def value(row: Row) -> tuple[bool, float, str]:
            first = row.cells[0].value if row.cells else None
            return (first is None, -(first or 0), row.subject or "")
        return sorted(rows, key=value)
    return sorted(rows, key=lambda r: (r.subject or "", r.period))


def _chart(rows: Sequence[Row], outputs: tuple[str, ...], *, line: bool, locale: str
           ) -> tuple[dict[str, Any], str | None]:
    """The chart's data for the page's script: a bar per row (the first :data:`MAX_BARS`),
    one series per output; or a line per subject over the periods (the first
    :data:`MAX_LINES` subjects by their total), of the first output."""
    _ = translator(locale)
    note = None
    if not line:
        shown = list(rows[:MAX_BARS])
        if len(rows) > MAX_BARS:
            note = _("The chart shows the first %(n)s of %(total)s rows; the table lists them "
                     "all.") % {"n": MAX_BARS, "total": len(rows)}
        return {"type": "bar", "categories": [r.name for r in shown],
                "series": [{"name": outputs[i],
                            "data": [_plain(r.cells[i].value) for r in shown],
                            "texts": [r.cells[i].text for r in shown]}
                           for i in range(len(outputs))]}, note
    periods = sorted({r.period for r in rows})
    by_subject: dict[str | None, dict[str, Cell]] = {}
    names: dict[str | None, str] = {}
    for r in rows:
        if r.cells:
            by_subject.setdefault(r.subject, {})[r.period] = r.cells[0]
            names[r.subject] = r.name
    totals = {s: sum(float(c.value or 0) for c in cells.values())
              for s, cells in by_subject.items()}
    chosen = sorted(by_subject, key=lambda s: (-totals[s], s or ""))[:MAX_LINES]
    if len(by_subject) > MAX_LINES:
        note = _("The chart draws the %(n)s largest of %(total)s; the table lists them "
                 "all.") % {"n": MAX_LINES, "total": len(by_subject)}
    series = []
    for s in chosen:
        cells = by_subject[s]
        series.append({"name": names[s],
                       "data": [_plain(cells[p].value) if p in cells else None for p in periods],
                       "texts": [cells[p].text if p in cells else "—" for p in periods]})
    return {"type": "line", "categories": periods, "series": series}, note


def _plain(value: Any) -> float | int | None:
    if value is None:
        return None
    return value if isinstance(value, int) else float(value)


# -- downloads ----------------------------------------------------------------------------

def table_of(explored: Explored, locale: str) -> tuple[list[str], list[list[Any]]]:
    """The table as shown: its headers and rows, the numbers as numbers."""
    _ = translator(locale)
    header = [explored.subject_header, _("Name"), _("Period"), *explored.outputs]
    body = [[row.subject if row.subject is not None else "", row.name, row.period,
             *(_plain(c.value) for c in row.cells)] for row in explored.rows]
    return header, body


def to_csv(explored: Explored, locale: str) -> bytes:
    """The table as CSV: UTF-8 with a byte-order mark (Excel then reads Chinese right), text
    cells made safe (:func:`spreadsheet_text`), numbers unformatted."""
    header, body = table_of(explored, locale)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_text(h) for h in header])
    for row in body:
        writer.writerow(["" if v is None else spreadsheet_text(v) if isinstance(v, str) else v
                         for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(explored: Explored, locale: str) -> bytes:
    """The table as an Excel workbook: text cells written as text (never read as a formula,
    a number or a link), numbers as numbers in the KPI's format."""
    import xlsxwriter

    header, body = table_of(explored, locale)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    try:
        sheet = book.add_worksheet("explore")
        bold = book.add_format({"bold": True})
        match explored.unit:
            case "money":
                shape = book.add_format({"num_format": "#,##0.00"})
            case "ratio":
                shape = book.add_format({"num_format": "0.0%"})
            case _:
                shape = book.add_format({"num_format": "#,##0.##"})
        for j, text in enumerate(header):
            sheet.write_string(0, j, text, bold)
        for i, row in enumerate(body, start=1):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    sheet.write_string(i, j, value)
                else:
                    sheet.write_number(i, j, float(value), shape)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, 1, 18)
    finally:
        book.close()
    return buffer.getvalue()


def download_name(explored: Explored, suffix: str) -> str:
    """``revenue_won-rep-2025-Q1.csv``: what the download is called."""
    q = explored.query
    parts = [q.kpi, q.engine_by, q.period, *([q.grain] if q.grain else [])]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(parts)) + "." + suffix

