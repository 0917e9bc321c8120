"""Customers: ``/customers`` for every signed-in role, retention and customer behaviour.

For one subject (a rep, a team with its subtree, or the company) and one period: the cohorts of
the customers whose first purchase falls in the period, by month or quarter, as a retention
heatmap (the share of each cohort buying again in each later period) with the repeat and churn
rates; then the RFM segments (customers and revenue share of each), the revenue share of each
acquisition channel, the median days between purchases and the product pairs bought together
most often against chance. Each chart reads its figures from a JSON block and has a table that
says the same. Orders count for the rep they credit (see :mod:`salescore.analytics.retention`).

A rep sees the cohorts of their own orders alone; a manager each team and rep of their
subtree; an executive or admin the company too. The filters live in the URL and come back on
the next visit (``?reset=1`` forgets them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from salescore.app.deps import app_state
from salescore.app.filters import PeriodChoice, relative_choices, resolve_period
from salescore.app.formatting import MISSING, as_of_text, kpi_value, number, percent
from salescore.app.funnel_page import (
    default_subject,
    subject_choices,
    subject_parts,
)
from salescore.app.pages import filtered_page
from salescore.core.access import Principal
from salescore.core.periods import RELATIVE_PERIODS, Grain
from salescore.core.scope import OutOfScope
from salescore.workspace import Session

__all__ = ["CUSTOMERS_KEYS", "CustomersView", "customers_view", "router"]

router = APIRouter(include_in_schema=False)

CUSTOMERS_KEYS = ("subject", "period", "grain")
DEFAULT_PERIOD = "this-year"
Param = Annotated[str | None, Query(max_length=80)]


@dataclass(frozen=True)
class CohortRow:
    period: str
    customers: int
    shares: list[str]
    repeat: str
    churn: str


@dataclass(frozen=True)
class ShareRow:
    key: str
    label: str
    customers: int
    revenue: str
    share: str


@dataclass(frozen=True)
class PairRow:
    a: str
    b: str
    both: int
    then: int
    support: str
    confidence: str
    lift: str


@dataclass(frozen=True)
class CustomersView:
    subject: str
    subject_name: str
    subjects: list[tuple[str, str]]
    period: str
    asked_period: str
    periods: list[PeriodChoice]
    grain: str
    grains: list[tuple[str, str]]
    new_customers: int
    repeat_rate: str
    churn_rate: str
    churn_days: int
    median_gap: str
    gaps: int
    offsets: list[str]
    cohorts: list[CohortRow]
    buyers: int
    rfm_customers: int
    segments: list[ShareRow]
    channels: list[ShareRow]
    pairs: list[PairRow]
    charts: dict[str, Any] = field(default_factory=dict)


def _period_choices(session: Session, today: date, words: Callable[..., str]
                    ) -> list[PeriodChoice]:
    """This and last month, quarter and year, then the last three years and eight quarters."""
    calendar = session.workspace.settings.calendar
    out = relative_choices(calendar, RELATIVE_PERIODS, today, words)
    year = calendar.period_of(today, Grain.YEAR)
    for _ in range(3):
        out.append(PeriodChoice(str(year), str(year)))
        year = year.previous()
    quarter = calendar.period_of(today, Grain.QUARTER)
    for _ in range(8):
        out.append(PeriodChoice(str(quarter), str(quarter)))
        quarter = quarter.previous()
    return out


def _pct(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def customers_view(session: Session, principal: Principal, words: Callable[..., str],
                   today: date, *, subject: str | None = None, period: str | None = None,
                   grain: str | None = None) -> CustomersView | None:
    """The page for ``subject`` (else the caller's own) in ``period`` (else this year), by
    ``grain`` (month, else quarter); ``None`` when the caller has nothing to choose from. A
    subject out of the picker's choices is :class:`OutOfScope`."""
    locale = principal.locale
    lang = "zh_CN" if locale == "zh_CN" else "en"
    choices = subject_choices(session, principal, words)
    chosen = subject if subject is not None else default_subject(principal, choices)
    if chosen is None:
        return None
    names = dict(choices)
    if chosen not in names:
        raise OutOfScope(f"{chosen} is not a subject you can open",
                         message_zh=f"{chosen} 不在可查看的范围内")
    calendar = session.workspace.settings.calendar
    wanted = resolve_period(calendar, period, today)
    asked = period if wanted is not None and period else DEFAULT_PERIOD
    label = str(wanted or calendar.relative(DEFAULT_PERIOD, today))
    by = "quarter" if grain == "quarter" else "month"
    kept = session.retention(period=label, grain=by, **subject_parts(chosen))
    who = subject_parts(chosen)
    rfm = session.rfm(period=label, rep=who["rep"], team=who["team"])
    currency = session.workspace.settings.organisation.currency

    def money(value: float) -> str:
        return kpi_value(value, "money", currency, locale)

    offsets = [f"+{k}" for k in range(kept.offsets)]
    cohorts = [CohortRow(c.period, c.customers, [percent(s, locale, 0) for s in c.shares],
                         percent(c.repeat_rate, locale, 0), percent(c.churn_rate, locale, 0))
               for c in kept.cohorts]
    cells = [[k, i, _pct(s)] for i, c in enumerate(kept.cohorts)
             for k, s in enumerate(c.shares) if s is not None]
    segments = [ShareRow(s.key or "", s.label.get(lang), s.customers, money(s.revenue),
                         percent(s.share, locale, 1)) for s in rfm.segments]
    channels = [ShareRow(s.key or "", s.label.get(lang) if s.key else words("unknown"),
                         s.customers, money(s.revenue), percent(s.share, locale, 1))
                for s in rfm.channels]
    charts = {
        "retention": {"rows": [c.period for c in kept.cohorts], "cols": offsets,
                      "cells": cells, "name": words("Share retained"),
                      "xname": words("Periods after the first purchase"),
                      # the cohorts' names say what they are; a name beside them overlaps
                      "yname": "", "labels": len(offsets) <= 6},
        "segments": {"categories": [s.label for s in segments], "integer": True,
                     "series": [{"name": words("Customers"),
                                 "data": [s.customers for s in rfm.segments]}]},
        "revenue": {"categories": [s.label for s in segments], "percent": True,
                    "series": [{"name": words("Share of revenue"),
                                "data": [None if s.share is None else round(s.share * 100, 1)
                                         for s in rfm.segments]}]},
        "channels": {"categories": [s.label for s in channels], "percent": True,
                     "series": [{"name": words("Share of revenue"),
                                 "data": [None if s.share is None else round(s.share * 100, 1)
                                          for s in rfm.channels]}]},
    }
    return CustomersView(
        subject=chosen, subject_name=names[chosen], subjects=choices, period=label,
        asked_period=asked, periods=_period_choices(session, today, words), grain=by,
        grains=[("month", words("By month")), ("quarter", words("By quarter"))],
        new_customers=kept.customers, repeat_rate=percent(kept.repeat_rate, locale, 1),
        churn_rate=percent(kept.churn_rate, locale, 1), churn_days=kept.churn_days,
        median_gap=number(rfm.median_gap_days, locale, 1), gaps=rfm.gaps,
        offsets=offsets, cohorts=cohorts, buyers=rfm.buyers,
        rfm_customers=len(rfm.customers), segments=segments, channels=channels,
        pairs=[PairRow(p.a, p.b, p.both, p.then, percent(p.support, locale, 1),
                       percent(p.confidence, locale, 1), number(p.lift, locale, 2))
               for p in rfm.pairs],
        charts=charts)


@router.get("/customers", response_class=HTMLResponse)
async def customers_page(request: Request, subject: Param = None, period: Param = None,
                         grain: Param = None) -> Response:
    """The customers page, for every signed-in role within their scope."""
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[CustomersView | None, str | None]:
        return (customers_view(session, p, words, today, subject=subject, period=period,
                               grain=grain), as_of_text(session, p.locale))

    return await filtered_page(request, "customers", CUSTOMERS_KEYS, read, missing=MISSING)
