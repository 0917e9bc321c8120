"""Strengths and weaknesses (``/strengths``), communication effectiveness
(``/communication``) and team and individual balance (``/balance``), for every signed-in role
within their scope (issue 11, parts 5 to 7).

Each page picks a subject as the funnel does (a rep their own; a manager each team and rep of
their subtree; the whole organisation the company too) and a period; every chart reads its
figures from a JSON block, is labelled for a screen reader and has a table that says the same.
The filters live in the URL and come back on the next visit (``?reset=1`` forgets them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from salescore.app.deps import app_state
from salescore.app.filters import PeriodChoice, resolve_period
from salescore.app.formatting import MISSING, as_of_text, number, percent
from salescore.app.funnel_page import (
    _period_choices,
    default_subject,
    subject_choices,
    subject_parts,
)
from salescore.app.pages import filtered_page
from salescore.core.access import Principal
from salescore.core.scope import OutOfScope
from salescore.workspace import Session

__all__ = ["STRENGTHS_KEYS", "StrengthsView", "router", "strengths_view"]

router = APIRouter(include_in_schema=False)

STRENGTHS_KEYS = ("subject", "period", "rep")
DEFAULT_PERIOD = "last-quarter"
Param = Annotated[str | None, Query(max_length=80)]
RADAR_KPIS = 8


@dataclass(frozen=True)
class PickedPeriod:
    subject: str
    subject_name: str
    subjects: list[tuple[str, str]]
    period: str
    asked_period: str
    periods: list[PeriodChoice]


def _pick(session: Session, principal: Principal, words: Callable[..., str], today: date,
          subject: str | None, period: str | None) -> PickedPeriod | None:
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
    return PickedPeriod(chosen, names[chosen], choices, label, asked,
                        _period_choices(session, today, words))


def _pct(value: float | None, locale: str) -> str:
    return MISSING if value is None else number(value, locale, 0)


@dataclass(frozen=True)
class RepRow:
    rep_id: str
    name: str
    plan: str
    score: str
    rating: str
    strongest: str
    weakest: str
    lever: str
    href: str


@dataclass(frozen=True)
class StandingRow:
    kpi: str
    label: str
    value: str
    peer_median: str
    percentile: str
    peers: int


@dataclass(frozen=True)
class LeverRow:
    label: str
    value: str
    peer_median: str
    gain: str
    new_score: str
    new_rating: str


@dataclass(frozen=True)
class StrengthsView:
    picked: PickedPeriod
    plans: list[str]
    note: str
    rows: list[RepRow]
    rep: str | None
    rep_name: str | None
    score: str
    standings: list[StandingRow]
    levers: list[LeverRow]
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def period(self) -> str:
        return self.picked.period


def strengths_view(session: Session, principal: Principal, words: Callable[..., str],
                   today: date, *, subject: str | None = None, period: str | None = None,
                   rep: str | None = None) -> StrengthsView | None:
    """The strengths page: every rep of the subject scored in the period with their strongest
    and weakest KPIs and first lever; for one of them (``rep``, else the first) the radar of
    percentiles and the levers."""
    picked = _pick(session, principal, words, today, subject, period)
    if picked is None:
        return None
    locale = principal.locale
    lang = "zh_CN" if locale == "zh_CN" else "en"
    report = session.strengths(period=picked.period, **subject_parts(picked.subject))
    names = {r["rep_id"]: r["name"] or r["rep_id"] for r in session.reps()}
    label = {k: v.get(lang) for k, v in report.labels.items()}

    def named(items: list[Any]) -> str:
        return ", ".join(f"{label[s.kpi]} ({_pct(s.percentile, locale)})" for s in items) \
            or MISSING

    rows = [RepRow(
        rep_id=r.rep_id, name=names.get(r.rep_id, r.rep_id), plan=r.plan,
        score=number(r.score, locale, 1), rating=r.rating or MISSING,
        strongest=named(r.strongest), weakest=named(r.weakest),
        lever=(f"{label[r.levers[0].kpi]} +{number(r.levers[0].gain, locale, 1)}"
               if r.levers else MISSING),
        href=f"/strengths?subject={picked.subject}&period={picked.period}&rep={r.rep_id}")
        for r in report.reps]
    one = next((r for r in report.reps if r.rep_id == rep), None) or (
        report.reps[0] if report.reps else None)
    standings: list[StandingRow] = []
    levers: list[LeverRow] = []
    charts: dict[str, Any] = {}
    if one is not None:
        known = [s for s in one.kpis if s.percentile is not None]
        standings = [StandingRow(s.kpi, label[s.kpi], number(s.value, locale, 2),
                                 number(s.peer_median, locale, 2),
                                 _pct(s.percentile, locale), s.peers)
                     for s in sorted(known, key=lambda s: (-(s.percentile or 0), s.kpi))]
        levers = [LeverRow(label[lv.kpi], number(lv.value, locale, 2),
                           number(lv.peer_median, locale, 2),
                           "+" + number(lv.gain, locale, 1), number(lv.new_score, locale, 1),
                           lv.new_rating or MISSING) for lv in one.levers]
        shown = list(dict.fromkeys([*(s.kpi for s in one.strongest),
                                    *(s.kpi for s in one.weakest)]))[:RADAR_KPIS]
        by_kpi = {s.kpi: s for s in one.kpis}
        if len(shown) >= 3:
            charts["radar"] = {
                "indicators": [{"name": label[k], "max": 100} for k in shown],
                "series": [
                    {"name": names.get(one.rep_id, one.rep_id),
                     "data": [round(by_kpi[k].percentile or 0, 1) for k in shown]},
                    {"name": words("Peers' median"), "data": [50 for _ in shown]}]}
        if one.levers:
            charts["levers"] = {"categories": [label[lv.kpi] for lv in one.levers],
                                "series": [{"name": words("Score gain"),
                                            "data": [round(lv.gain, 2) for lv in one.levers]}]}
    return StrengthsView(
        picked=picked, plans=report.plans, note=report.note.get(lang), rows=rows,
        rep=one.rep_id if one else None,
        rep_name=names.get(one.rep_id, one.rep_id) if one else None,
        score=number(one.score, locale, 1) if one else MISSING, standings=standings,
        levers=levers, charts=charts)


@router.get("/strengths", response_class=HTMLResponse)
async def strengths_page(request: Request, subject: Param = None, period: Param = None,
                         rep: Param = None) -> Response:
    """The strengths and weaknesses page, for every signed-in role within their scope."""
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[StrengthsView | None, str | None]:
        return (strengths_view(session, p, words, today, subject=subject, period=period,
                               rep=rep), as_of_text(session, p.locale))

    return await filtered_page(request, "strengths", STRENGTHS_KEYS, read)


# -- communication effectiveness -----------------------------------------------------------------
COMMUNICATION_KEYS = ("subject", "period")


@dataclass(frozen=True)
class CommRow:
    rep_id: str
    name: str
    deals: int
    win_rate: str
    touches: str
    gap: str
    response: str
    reply: str
    follow_up: str


@dataclass(frozen=True)
class BinRow:
    label: str
    deals: int
    won: int
    win_rate: str


@dataclass(frozen=True)
class RelationRow:
    label: str
    reps: int
    rho: str


@dataclass(frozen=True)
class CommunicationView:
    picked: PickedPeriod
    note: str
    rows: list[CommRow]
    touch_rows: list[BinRow]
    gap_rows: list[BinRow]
    relation_rows: list[RelationRow]
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def period(self) -> str:
        return self.picked.period


def communication_view(session: Session, principal: Principal, words: Callable[..., str],
                       today: date, *, subject: str | None = None, period: str | None = None
                       ) -> CommunicationView | None:
    """The communication page: the win rate by touches per deal and by days between touches
    (bars), each rep's cadence and communication KPIs, and their relation to the win rate."""
    picked = _pick(session, principal, words, today, subject, period)
    if picked is None:
        return None
    locale = principal.locale
    lang = "zh_CN" if locale == "zh_CN" else "en"
    report = session.communication(period=picked.period, **subject_parts(picked.subject))
    names = {r["rep_id"]: r["name"] or r["rep_id"] for r in session.reps()}

    def share(v: float | None) -> str:
        return percent(v, locale, 1)

    rows = [CommRow(r.rep_id, names.get(r.rep_id, r.rep_id), r.deals, share(r.win_rate),
                    number(r.touches_per_deal, locale, 1), number(r.median_gap_days, locale, 1),
                    number(r.avg_response_hours, locale, 1), share(r.reply_rate),
                    share(r.follow_up_rate)) for r in report.reps]
    no_gap = report.no_gap
    touch_rows = [BinRow(b.label, b.deals, b.won, share(b.win_rate)) for b in report.touch_bins]
    gap_rows = [BinRow(b.label, b.deals, b.won, share(b.win_rate)) for b in report.gap_bins]
    gap_rows.append(BinRow(words("fewer than two touches"), no_gap.deals, no_gap.won,
                           share(no_gap.win_rate)))

    def pct(v: float | None) -> float | None:
        return None if v is None else round(v * 100, 1)

    charts = {
        "touches": {"categories": [b.label for b in report.touch_bins], "percent": True,
                    "series": [{"name": words("Win rate"),
                                "data": [pct(b.win_rate) for b in report.touch_bins]}]},
        "gaps": {"categories": [b.label for b in report.gap_bins], "percent": True,
                 "series": [{"name": words("Win rate"),
                             "data": [pct(b.win_rate) for b in report.gap_bins]}]},
    }
    relation_rows = [RelationRow(report.labels[r.measure].get(lang), r.reps,
                                 words("not enough data") if r.rho is None
                                 else number(r.rho, locale, 2)) for r in report.relations]
    return CommunicationView(picked, report.note.get(lang), rows, touch_rows, gap_rows,
                             relation_rows, charts)


@router.get("/communication", response_class=HTMLResponse)
async def communication_page(request: Request, subject: Param = None,
                             period: Param = None) -> Response:
    """The communication effectiveness page, for every signed-in role within their scope."""
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[CommunicationView | None, str | None]:
        return (communication_view(session, p, words, today, subject=subject, period=period),
                as_of_text(session, p.locale))

    return await filtered_page(request, "communication", COMMUNICATION_KEYS, read)


# -- team and individual balance -----------------------------------------------------------------
BALANCE_KEYS = ("subject", "period")


@dataclass(frozen=True)
class TeamRow:
    name: str
    revenue: str
    assisted: str
    share: str
    given: int
    received: int
    cross: int


@dataclass(frozen=True)
class BlendTable:
    plan: str
    heads: list[str]
    spread: list[str]
    stdev: list[str]
    reps: list[tuple[str, list[str]]]


@dataclass(frozen=True)
class BalanceView:
    picked: PickedPeriod
    note: str
    teams: list[TeamRow]
    reps: list[tuple[str, int, str, int, int]]
    blends: list[BlendTable]
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def period(self) -> str:
        return self.picked.period


def balance_view(session: Session, principal: Principal, words: Callable[..., str],
                 today: date, *, subject: str | None = None, period: str | None = None
                 ) -> BalanceView | None:
    """The balance page: each team's assisted share of revenue (bars) and assists, who helped
    which team (a matrix), each rep's assists, and each plan's blends (a box-like spread per
    blend as lines of each rep's score)."""
    picked = _pick(session, principal, words, today, subject, period)
    if picked is None:
        return None
    locale = principal.locale
    lang = "zh_CN" if locale == "zh_CN" else "en"
    team = subject_parts(picked.subject)["team"]
    report = session.balance(period=picked.period, team=team)
    names = {r["rep_id"]: r["name"] or r["rep_id"] for r in session.reps()}
    teams = [TeamRow(t.name or t.team_id, number(t.revenue_won, locale, 0),
                     number(t.assisted_revenue_won, locale, 0),
                     percent(t.assisted_share, locale, 1), t.assists_given, t.assists_received,
                     t.cross_team_given) for t in report.teams]
    reps = [(names.get(r.rep_id, r.rep_id), r.assists_given, number(r.assist_points, locale, 1),
             r.assists_received, r.cross_team_given) for r in report.reps]
    other = words("other teams")
    team_names = {t.team_id: t.name or t.team_id for t in report.teams}
    sides = sorted({str(team_names.get(h, h) if h else other) for h, _, _ in report.flows}
                   | {str(team_names.get(g, g) if g else other) for _, g, _ in report.flows})
    cells = [[sides.index(str(team_names.get(g, g) if g else other)),
              sides.index(str(team_names.get(h, h) if h else other)), n]
             for h, g, n in report.flows]
    blends = []
    charts: dict[str, Any] = {
        "assisted": {"categories": [t.name for t in teams], "percent": True, "series": [
            {"name": words("Assisted share of revenue"),
             "data": [None if t.assisted_share is None else round(t.assisted_share * 100, 1)
                      for t in report.teams]}]},
        "flows": {"rows": sides, "cols": sides, "cells": cells, "name": words("Assists"),
                  "xname": words("Helped team"), "yname": words("Helper's team")}}
    for i, p in enumerate(report.plans):
        heads = [f"{number(b.individual * 100, locale, 0)}/{number(b.team * 100, locale, 0)}"
                 + (" *" if b.current else "") for b in p.blends]
        blends.append(BlendTable(
            p.plan, heads, [number(b.range, locale, 1) for b in p.blends],
            [number(b.stdev, locale, 1) for b in p.blends],
            [(names.get(r, r), [number(s, locale, 1) for s in scores]) for r, scores in p.reps]))
        charts[f"blend{i}"] = {"periods": heads, "series": [
            {"name": names.get(r, r), "data": [None if s is None else round(s, 1)
                                               for s in scores]} for r, scores in p.reps]}
    return BalanceView(picked, report.note.get(lang), teams, reps, blends, charts)


@router.get("/balance", response_class=HTMLResponse)
async def balance_page(request: Request, subject: Param = None, period: Param = None
                       ) -> Response:
    """The team and individual balance page, for every signed-in role within their scope."""
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[BalanceView | None, str | None]:
        return (balance_view(session, p, words, today, subject=subject, period=period),
                as_of_text(session, p.locale))

    return await filtered_page(request, "balance", BALANCE_KEYS, read)
