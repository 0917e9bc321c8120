"""Funnel and cycle: ``/funnel`` for every signed-in role, and ``/funnel/deals``, the deals
behind one step's count, paged on the server.

For one subject (a rep, a team with its subtree, or the company) and one period: the funnel of
the deals that entered the pipeline in the period (an ECharts funnel, and the table of each
step's count, conversion and drop-off beside it), the bottleneck against the peers in words,
the funnel split by channel, product or segment where asked, then the cycle of the deals won
or lost in the period (a histogram of cycle lengths) and the days spent in each stage. Each
chart reads its figures from a JSON block and has a table that says the same.

A rep sees their own funnel alone (their peers only as the pooled rate the bottleneck is
found against); a manager each team and rep of their subtree; an executive or admin the
company too. The filters live in the URL and come back on the next visit (``?reset=1``
forgets them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from salescore.app.deps import app_state
from salescore.app.filters import PeriodChoice, relative_choices, resolve_period
from salescore.app.formatting import MISSING, as_of_text, kpi_value, number, percent
from salescore.app.pages import filtered_page, read_or_not_found, render, signed_in, to_login
from salescore.core.access import Principal
from salescore.core.periods import RELATIVE_PERIODS, Grain
from salescore.core.scope import OutOfScope
from salescore.workspace import Session
from salescore.workspace.analyses import BREAKDOWNS, CycleReport, FunnelReport

__all__ = ["DEALS_PAGE_SIZE", "FUNNEL_KEYS", "FunnelView", "funnel_view", "router"]

router = APIRouter(include_in_schema=False)

FUNNEL_KEYS = ("subject", "period", "by")
DEALS_PAGE_SIZE = 25
DEFAULT_PERIOD = "this-quarter"
Param = Annotated[str | None, Query(max_length=80)]
T = TypeVar("T")


@dataclass(frozen=True)
class StepRow:
    """One step of the funnel as the table shows it."""

    stage: str
    label: str
    reached: int
    drill: str
    went_on: str
    conversion: str
    drop_off: str
    lost: int
    still_open: int
    peer_conversion: str
    bottleneck: bool


@dataclass(frozen=True)
class SplitRow:
    value: str
    counts: list[tuple[int, str]]  # per step: the count and the link to its deals
    win_rate: str


@dataclass(frozen=True)
class CycleRow:
    label: str
    won: int
    lost: int


@dataclass(frozen=True)
class StageRow:
    label: str
    entries: int
    median: str
    mean: str


@dataclass(frozen=True)
class FunnelView:
    subject: str  # "company", "team:ID" or "rep:ID"
    subject_name: str
    subjects: list[tuple[str, str]]
    period: str
    asked_period: str
    periods: list[PeriodChoice]
    by: str | None
    breakdowns: list[tuple[str, str]]
    deals: int
    won: int
    win_rate: str
    words: str
    peers_name: str | None
    steps: list[StepRow]
    split: list[SplitRow]
    split_stages: list[str]
    cycle_won: tuple[int, str, str]  # deals, median, mean
    cycle_lost: tuple[int, str, str]
    unknown_cycles: int
    cycle_rows: list[CycleRow]
    stage_rows: list[StageRow]
    charts: dict[str, Any] = field(default_factory=dict)


def _period_choices(session: Session, today: date, words: Callable[..., str]
                    ) -> list[PeriodChoice]:
    """This and last month, quarter and year (fiscal where the year does not start in
    January), then the last eight quarters and twelve months."""
    calendar = session.workspace.settings.calendar
    out = relative_choices(calendar, RELATIVE_PERIODS, today, words)
    fiscal = calendar.fiscal_year_start_month != 1
    quarter = calendar.period_of(today, Grain.FISCAL_QUARTER if fiscal else Grain.QUARTER)
    month = calendar.period_of(today, Grain.MONTH)
    for _ in range(8):
        out.append(PeriodChoice(str(quarter), str(quarter)))
        quarter = quarter.previous()
    for _ in range(12):
        out.append(PeriodChoice(str(month), str(month)))
        month = month.previous()
    return out


def subject_choices(session: Session, principal: Principal, words: Callable[..., str]
                    ) -> list[tuple[str, str]]:
    """What the subject picker offers: a rep their own funnel alone; a manager each team and
    rep of their subtree; everyone whose scope is the whole organisation, the company first."""
    reps = session.reps()
    if principal.role == "rep":
        return [(f"rep:{r['rep_id']}", r["name"] or r["rep_id"]) for r in reps
                if r["rep_id"] == principal.rep_id]
    out: list[tuple[str, str]] = []
    if session.reach.everything:
        out.append(("company", words("Company")))
    out += [(f"team:{t['team_id']}", words("Team %(name)s", name=t["name"] or t["team_id"]))
            for t in session.teams()]
    out += [(f"rep:{r['rep_id']}", r["name"] or r["rep_id"]) for r in reps]
    return out


def default_subject(principal: Principal, choices: list[tuple[str, str]]) -> str | None:
    keys = [k for k, _ in choices]
    for wanted in (f"rep:{principal.rep_id}", f"team:{principal.team_id}", "company"):
        if wanted in keys:
            return wanted
    return keys[0] if keys else None


def subject_parts(subject: str) -> dict[str, str | None]:
    kind, _, ident = subject.partition(":")
    return {"rep": ident if kind == "rep" else None, "team": ident if kind == "team" else None}


def deals_href(subject: str, period: str, stage: str, page: int | None = None, *,
               by: str | None = None, value: str | None = None) -> str:
    """The deals behind ``stage``'s count (of the split's row ``value`` where ``by`` is given;
    no ``value`` stands for the row of unknown values)."""
    params = {"subject": subject, "period": period, "stage": stage}
    if by is not None:
        params["by"] = by
        if value is not None:
            params["value"] = value
    if page and page > 1:
        params["page"] = str(page)
    return "/funnel/deals?" + urlencode(params)


def _days(value: float | None, locale: str) -> str:
    return number(value, locale, 1)


def funnel_view(session: Session, principal: Principal, words: Callable[..., str],
                today: date, *, subject: str | None = None, period: str | None = None,
                by: str | None = None) -> FunnelView | None:
    """The page for ``subject`` (else the caller's own) in ``period`` (else this quarter), as
    ``session`` sees it; ``None`` when the caller has nothing to choose from. A subject out
    of the picker's choices is :class:`OutOfScope`."""
    locale = principal.locale
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
    split_by = by if by in BREAKDOWNS else None
    report: FunnelReport = session.funnel(period=label, by=split_by, **subject_parts(chosen))
    cycle: CycleReport = session.cycle(period=label, **subject_parts(chosen))

    lang = "zh_CN" if locale == "zh_CN" else "en"
    labels = {k: v.get(lang) for k, v in report.labels.items()}
    peers = {s.stage: s for s in report.peers.steps} if report.peers else {}
    b = report.bottleneck
    steps = [StepRow(
        stage=s.stage, label=labels[s.stage], reached=s.reached,
        drill=deals_href(chosen, label, s.stage),
        went_on=MISSING if s.went_on is None else str(s.went_on),
        conversion=percent(s.conversion, locale, 1), drop_off=percent(s.drop_off, locale, 1),
        lost=s.lost, still_open=s.still_open,
        peer_conversion=percent(peers[s.stage].conversion, locale, 1) if s.stage in peers
        else MISSING, bottleneck=b is not None and b.stage == s.stage)
        for s in report.funnel.steps]
    split = [SplitRow(words("unknown") if value is None else str(value),
                      [(s.reached, deals_href(chosen, label, s.stage, by=split_by,
                                              value=None if value is None else str(value)))
                       for s in f.steps], percent(f.win_rate, locale, 1))
             for value, f in report.by_value]
    cycle_labels = {k: v.get(lang) for k, v in cycle.labels.items()}
    charts = {
        "funnel": {"name": words("Deals"),
                   "steps": [{"name": labels[s.stage], "value": s.reached}
                             for s in report.funnel.steps]},
        "cycle": {"categories": cycle.bins, "integer": True, "series": [
            {"name": words("Won"), "data": cycle.won.bins},
            {"name": words("Lost"), "data": cycle.lost.bins}]},
        "stages": {"categories": [cycle_labels[s.stage] for s in cycle.stages], "series": [
            {"name": words("Median days"), "data": [
                None if s.median_days is None else round(s.median_days, 1)
                for s in cycle.stages]},
            {"name": words("Mean days"), "data": [
                None if s.mean_days is None else round(s.mean_days, 1)
                for s in cycle.stages]}]},
    }
    breakdown_names = {"channel": words("Channel"), "product": words("Product"),
                       "segment": words("Segment")}
    peers_name = None if report.peers_kind is None else (
        words("the rest of the team") if report.peers_kind == "team"
        else words("the rest of the company"))
    return FunnelView(
        subject=chosen, subject_name=names[chosen], subjects=choices, period=label,
        asked_period=asked, periods=_period_choices(session, today, words), by=split_by,
        breakdowns=[(k, breakdown_names[k]) for k in BREAKDOWNS],
        deals=report.funnel.deals, won=report.funnel.won,
        win_rate=percent(report.funnel.win_rate, locale, 1), words=report.words.get(lang),
        peers_name=peers_name, steps=steps, split=split,
        split_stages=[labels[s] for s in report.stages],
        cycle_won=(cycle.won.deals, _days(cycle.won.median_days, locale),
                   _days(cycle.won.mean_days, locale)),
        cycle_lost=(cycle.lost.deals, _days(cycle.lost.median_days, locale),
                    _days(cycle.lost.mean_days, locale)),
        unknown_cycles=cycle.won.unknown + cycle.lost.unknown,
        cycle_rows=[CycleRow(name, w, lo) for name, w, lo in zip(
            cycle.bins, cycle.won.bins, cycle.lost.bins, strict=True)],
        stage_rows=[StageRow(cycle_labels[s.stage], s.entries, _days(s.median_days, locale),
                             _days(s.mean_days, locale)) for s in cycle.stages],
        charts=charts)


@dataclass(frozen=True)
class DealsView:
    subject: str
    subject_name: str
    period: str
    stage: str
    stage_label: str
    split: str | None  # the split's row, in words ("Channel: web")
    count: int  # the step's count on the funnel
    total: int  # the deals listed on all pages
    rows: list[dict[str, str]]
    page: int
    pages: int
    first: int
    last: int
    back: str
    previous_href: str | None
    next_href: str | None


def deals_view(session: Session, principal: Principal, words: Callable[..., str], *,
               subject: str, period: str, stage: str, page: int, by: str | None = None,
               value: str | None = None) -> DealsView:
    """One page of the deals behind ``stage``'s count of ``subject``'s funnel in ``period``
    (of the split's row ``value`` where ``by`` is given: unknown when ``value`` is None)."""
    choices = dict(subject_choices(session, principal, words))
    if subject not in choices:
        raise OutOfScope(f"{subject} is not a subject you can open",
                         message_zh=f"{subject} 不在可查看的范围内")
    locale = principal.locale
    split_by = by if by in BREAKDOWNS else None
    report: FunnelReport = session.funnel(period=period, by=split_by, **subject_parts(subject))
    if stage not in report.stages:
        raise OutOfScope(f"the funnel has no step {stage}", message_zh=f"漏斗中没有阶段 {stage}")
    if split_by is None:
        count = report.funnel.step(stage).reached
        split = None
    else:
        rows_of = {None if v is None else str(v): f for v, f in report.by_value}
        count = rows_of[value].step(stage).reached if value in rows_of else 0
        names = {"channel": words("Channel"), "product": words("Product"),
                 "segment": words("Segment")}
        split = f"{names[split_by]}: {words('unknown') if value is None else value}"
    pages = max(1, -(-count // DEALS_PAGE_SIZE))
    page = min(max(page, 1), pages)
    found, total = session.funnel_deals(
        period=period, stage=stage, by=split_by, value=value,
        offset=(page - 1) * DEALS_PAGE_SIZE, limit=DEALS_PAGE_SIZE, **subject_parts(subject))
    reps = {r["rep_id"]: r["name"] or r["rep_id"] for r in session.reps()}
    statuses = {"open": words("open"), "won": words("won"), "lost": words("lost")}
    currency = session.workspace.settings.organisation.currency
    rows = [{
        "id": r["opportunity_id"], "owner": reps.get(r["owner_rep_id"], r["owner_rep_id"]),
        "status": statuses.get(r["status"], r["status"]),
        "amount": kpi_value(None if r["amount"] is None else float(r["amount"]), "money",
                            r["currency"] or currency, locale),
        "channel": r["channel"] or MISSING, "product": r["product"] or MISSING,
        "segment": r["segment"] or MISSING,
        "entered": r["first_entered_at"].date().isoformat()} for r in found]
    first = (page - 1) * DEALS_PAGE_SIZE + 1 if rows else 0
    lang = "zh_CN" if locale == "zh_CN" else "en"
    return DealsView(
        subject=subject, subject_name=choices[subject], period=period, stage=stage,
        stage_label=report.labels[stage].get(lang), split=split, count=count, total=total,
        rows=rows,
        page=page, pages=pages, first=first, last=first + len(rows) - 1 if rows else 0,
        back="/funnel?" + urlencode({"subject": subject, "period": period}),
        previous_href=deals_href(subject, period, stage, page - 1, by=split_by, value=value)
        if page > 1 else None,
        next_href=deals_href(subject, period, stage, page + 1, by=split_by, value=value)
        if page < pages else None)


@router.get("/funnel", response_class=HTMLResponse)
async def funnel_page(request: Request, subject: Param = None, period: Param = None,
                      by: Param = None) -> Response:
    """The funnel and cycle page, for every signed-in role within their scope."""
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[FunnelView | None, str | None]:
        return (funnel_view(session, p, words, today, subject=subject, period=period, by=by),
                as_of_text(session, p.locale))

    return await filtered_page(request, "funnel", FUNNEL_KEYS, read)


@router.get("/funnel/deals", response_class=HTMLResponse)
async def funnel_deals_page(request: Request, subject: Annotated[str, Query(max_length=80)],
                            period: Annotated[str, Query(max_length=40)],
                            stage: Annotated[str, Query(max_length=80)],
                            page: Annotated[int, Query(ge=1, le=100000)] = 1,
                            by: Param = None,
                            value: Annotated[str | None, Query(max_length=200)] = None
                            ) -> Response:
    """The deals behind one step of the funnel, :data:`DEALS_PAGE_SIZE` a page; the list adds
    up to the step's count."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[DealsView, str | None]:
        return (deals_view(session, p, words, subject=subject, period=period, stage=stage,
                           page=page, by=by, value=value), as_of_text(session, p.locale))

    found = await read_or_not_found(request, caller, read)
    if isinstance(found, Response):
        return found
    view, as_of = found
    return render(request, "funnel_deals.html", caller.principal.locale, caller=caller,
                  view=view, as_of=as_of, shown_period=view.period)
