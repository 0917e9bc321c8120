"""Plans and targets: the adopted plans with their versions and lines, a what-if of a draft plan
against an adopted one, the targets in the caller's scope (set with a reason, audited), and the
audit log for admins.

Who may do what is the access model's, never a branch here: every role reads the plans (as
``GET /api/v1/plans``); a what-if scores the whole organisation, so it needs the everything-scope
(an executive's or an admin's, :meth:`Scope.require_everything` in the workspace); a target is
set by a scope that :attr:`Scope.sets_targets` (an admin's, or a manager's for their subtree:
another rep or team is :class:`OutOfScope`); the audit log is for admins
(:meth:`Accounts.audit`). The pages only show the forms the caller's scope allows, and the
workspace refuses the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from salescore.app.deps import Caller, app_state, require_csrf
from salescore.app.filters import PeriodChoice, keep, recall, relative_choices, resolve_period
from salescore.app.formatting import MISSING, as_of_text, day, kpi_value, moment, number, signed
from salescore.app.pages import on_session, render, signed_in, to_login, translator
from salescore.app.problems import CsrfFailed
from salescore.core.access import Principal
from salescore.core.errors import SalescoreError
from salescore.core.scope import AccessError, OutOfScope
from salescore.workspace import AuditInfo, PlanValidationError, Session

__all__ = ["AUDIT_PAGE", "TARGETS_PAGE", "router"]

router = APIRouter(include_in_schema=False)

TARGETS_PAGE = 50
"""Targets shown on one page of the list."""
AUDIT_PAGE = 50
"""Audit entries shown on one page of the log."""
MAX_DRAFT = 256 * 1024
"""The longest draft plan (bytes) a what-if reads."""
PLAN_KEYS = ("period", "kpi")
AUDIT_KEYS = ("actor", "kind")
AUDIT_KINDS = ("target", "plan", "user", "api_token", "import_run", "settings", "warehouse")

Param = Annotated[str | None, Query(max_length=80)]
T = TypeVar("T")
Words = Callable[..., str]


# -- what the page shows ----------------------------------------------------------------------

@dataclass(frozen=True)
class VersionRow:
    version: int
    status: str
    effective: str
    adopted_by: str
    adopted_at: str
    checksum: str
    in_force: bool


@dataclass(frozen=True)
class LineRow:
    kpi: str
    label: str
    weight: str
    target: str
    scoring: str


@dataclass(frozen=True)
class PlanCard:
    name: str
    title: str
    description: str | None
    grain: str
    grain_value: str
    adopted: bool
    versions: list[VersionRow]
    shown_version: int | None  # whose lines are listed: the version in force, else the latest
    lines: list[LineRow]
    ratings: list[tuple[str, str, str]]  # label, from (score), title
    blend: str = ""


@dataclass(frozen=True)
class Mover:
    rep_id: str
    name: str
    team: str
    score_before: str
    score_after: str
    change: str
    rating_before: str
    rating_after: str
    up: bool | None


@dataclass(frozen=True)
class Problem:
    line: str
    path: str
    message: str


@dataclass(frozen=True)
class WhatIfView:
    """A what-if's outcome: the rating transition matrix (ratings before, rows; after,
    columns) and the reps who change rating; or the draft's problems."""

    period: str = ""
    draft: str = ""
    baseline: str = ""
    baseline_version: int = 0
    reps: int = 0
    changed: int = 0
    before_labels: list[str] = field(default_factory=list)
    after_labels: list[str] = field(default_factory=list)
    matrix: list[tuple[str, list[int]]] = field(default_factory=list)
    movers: list[Mover] = field(default_factory=list)
    chart: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class TargetRow:
    kind: str
    kind_text: str
    subject_id: str
    subject: str
    period: str
    kpi: str
    kpi_label: str
    value: str
    raw_value: float | None
    set_by: str
    reason: str
    editable: bool


@dataclass(frozen=True)
class TargetForm:
    """The target editor's fields, as filled (a row's ``Edit`` fills them)."""

    kind: str = "rep"
    subject_id: str = ""
    period: str = ""
    kpi: str = ""
    value: str = ""
    reason: str = ""


@dataclass(frozen=True)
class PlansView:
    plans: list[PlanCard]
    plan_names: list[tuple[str, str]]
    can_replay: bool
    replay_periods: list[PeriodChoice]
    can_set_targets: bool
    period: str  # the targets' period filter ("" is every period)
    periods: list[str]
    kpi: str
    kpis: list[tuple[str, str]]
    catalogue: list[tuple[str, str]]  # every KPI a target may be set for
    targets: list[TargetRow]
    total: int
    page: int
    pages: int
    reps: list[tuple[str, str]]
    teams: list[tuple[str, str]]
    form: TargetForm
    as_of: str | None


@dataclass(frozen=True)
class AuditRow:
    entry_id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    before: str
    after: str
    reason: str


# -- reading -----------------------------------------------------------------------------------

def _status_text(status: str, words: Words) -> str:
    return {"adopted": words("adopted"), "retired": words("retired"),
            "draft": words("draft")}.get(status, status)


def _target_text(target: Any, unit: str, currency: str, locale: str, words: Words) -> str:
    if target is None:
        return words("none (the scoring method needs none)")
    match target.source:
        case "targets_table":
            return words("the targets table")
        case "fixed":
            return words("fixed: %(value)s", value=kpi_value(target.value, unit, currency,
                                                             locale))
        case "team_median_previous":
            return words("the team's median of the previous period")
        case "own_previous_plus":
            return words("own previous period %(pct)s", pct=signed(
                number(target.pct, locale) + "%", target.pct))
        case _:
            return str(target.source)


def _scoring_text(scoring: Any, locale: str, words: Words) -> str:
    match scoring.method:
        case "linear":
            return words("linear, %(floor)s to %(cap)s of target", floor=number(
                100 * scoring.floor, locale) + "%", cap=number(100 * scoring.cap, locale) + "%")
        case "bands":
            return words("bands: %(bands)s", bands=", ".join(
                f"{number(100 * b.at, locale)}% → {number(b.points, locale)}"
                for b in scoring.bands))
        case "percentile":
            return words("percentile among peers")
        case _:
            return str(scoring.method)


def _grain_text(grain: str, words: Words) -> str:
    return {"week": words("weekly"), "month": words("monthly"), "quarter": words("quarterly"),
            "year": words("yearly"), "fiscal_quarter": words("by fiscal quarter"),
            "fiscal_year": words("by fiscal year")}.get(grain, grain)


def plan_cards(session: Session, locale: str, words: Words, today: date) -> list[PlanCard]:
    """Every plan with its versions (latest first) and the lines of the version in force today
    (else of the latest adopted one, else of the latest)."""
    versions = session.plans()
    currency = session.workspace.settings.organisation.currency
    catalog = session.catalog.kpis
    cards = []
    for name in sorted({v.plan for v in versions}):
        mine = [v for v in versions if v.plan == name]
        adopted = [v for v in mine if v.status == "adopted" and v.effective_from is not None]
        started = [v for v in adopted if v.effective_from is not None
                   and v.effective_from <= today]
        in_force = max(started, key=lambda v: (v.effective_from, v.version), default=None)
        shown = in_force or (max(adopted, key=lambda v: v.version) if adopted else mine[-1])
        plan = session.plan_version(name, shown.version)
        lines = []
        for line in plan.lines:
            spec = catalog.get(line.kpi)
            unit = str(spec.unit) if spec is not None else ""
            lines.append(LineRow(
                kpi=line.kpi, label=spec.label.get(locale) if spec is not None else line.kpi,
                weight=number(line.weight * 100, locale) + "%",
                target=_target_text(line.target, unit, currency, locale, words),
                scoring=_scoring_text(line.scoring, locale, words)))
        ratings = [(r.label, MISSING if r.min is None else number(r.min, locale),
                    r.title_in(locale) if r.title is not None else "") for r in plan.ratings]
        cards.append(PlanCard(
            name=name, title=plan.title.get(locale),
            description=plan.description.get(locale) if plan.description else None,
            grain=_grain_text(str(plan.grain.value), words), grain_value=str(plan.grain.value),
            adopted=bool(adopted),
            versions=[VersionRow(
                version=v.version, status=_status_text(v.status, words),
                effective=day(v.effective_from, locale), adopted_by=v.adopted_by or MISSING,
                adopted_at=moment(v.adopted_at, session, locale), checksum=v.checksum,
                in_force=in_force is not None and v.version == in_force.version)
                for v in sorted(mine, key=lambda v: -v.version)],
            shown_version=shown.version, lines=lines, ratings=ratings,
            blend=words("Score: %(individual)s individual, %(team)s team, plus up to "
                        "%(cap)s points for helping colleagues", individual=number(
                            plan.blend.individual * 100, locale) + "%",
                        team=number(plan.blend.team * 100, locale) + "%",
                        cap=number(plan.collaboration.cap, locale))
            if plan.collaboration is not None else
            words("Score: %(individual)s individual, %(team)s team", individual=number(
                plan.blend.individual * 100, locale) + "%", team=number(
                plan.blend.team * 100, locale) + "%")))
    return cards


def _replay_periods(session: Session, cards: Sequence[PlanCard], today: date, words: Words
                    ) -> list[PeriodChoice]:
    """The periods a what-if may pick: for each grain of the adopted plans, this and the last
    period (named), then the four before."""
    calendar = session.workspace.settings.calendar
    tokens = {"month": ("this-month", "last-month"), "quarter": ("this-quarter",
                                                                   "last-quarter"),
              "fiscal_quarter": ("this-quarter", "last-quarter"),
              "year": ("this-year", "last-year"), "fiscal_year": ("this-year", "last-year")}
    grains = sorted({c.grain_value for c in cards if c.adopted})
    out: list[PeriodChoice] = []
    for grain in grains:
        if grain not in tokens:
            continue
        named = relative_choices(calendar, tokens[grain], today, words)
        out.extend(PeriodChoice(str(resolve_period(calendar, c.value, today)), c.label)
                   for c in named)
        last = resolve_period(calendar, tokens[grain][1], today)
        for _ in range(4):
            if last is None:
                break
            last = last.previous()
            out.append(PeriodChoice(str(last), str(last)))
    unique: dict[str, PeriodChoice] = {}
    for choice in out:
        unique.setdefault(choice.value, choice)
    return list(unique.values())


def _names(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    reps = {r["rep_id"]: r["name"] or r["rep_id"] for r in session.reps()}
    teams = {t["team_id"]: t["name"] or t["team_id"] for t in session.teams()}
    return reps, teams


def _value(raw: Any) -> float | None:
    if raw is None:
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def plans_view(session: Session, locale: str, words: Words, today: date, *,
               period: str | None, kpi: str | None, page: int = 1,
               form: TargetForm | None = None, edit: str | None = None) -> PlansView:
    """The page as ``session`` sees it: every plan, the what-if form where the scope may
    replay, and the targets it reaches of ``period`` (default: the latest period that has
    targets; ``all`` is every period) and ``kpi``, ``page`` by page."""
    everything = session.targets()
    calendar = session.workspace.settings.calendar

    def start(label: str) -> date:
        try:
            return calendar.parse(label).start
        except SalescoreError:
            return date.min

    periods = sorted({str(t["period"]) for t in everything}, key=lambda p: (start(p), p),
                     reverse=True)
    chosen = period if period == "all" or period in periods else (periods[0] if periods else "")
    rows = [t for t in everything if chosen in ("", "all") or str(t["period"]) == chosen]
    kpi_names = sorted({str(t["kpi"]) for t in everything})
    chosen_kpi = kpi if kpi in kpi_names else ""
    if chosen_kpi:
        rows = [t for t in rows if t["kpi"] == chosen_kpi]
    catalog = session.catalog.kpis
    currency = session.workspace.settings.organisation.currency
    rep_names, team_names = _names(session)
    scope = session.scope
    pages = max(1, math.ceil(len(rows) / TARGETS_PAGE))
    page = min(max(page, 1), pages)
    shown = []
    for t in rows[(page - 1) * TARGETS_PAGE: page * TARGETS_PAGE]:
        spec = catalog.get(str(t["kpi"]))
        unit = str(spec.unit) if spec is not None else ""
        kind = str(t["scope"])
        sid = str(t["scope_id"])
        value = _value(t["value"])
        shown.append(TargetRow(
            kind=kind, kind_text=words("Rep") if kind == "rep" else words("Team"),
            subject_id=sid,
            subject=(rep_names if kind == "rep" else team_names).get(sid, sid),
            period=str(t["period"]), kpi=str(t["kpi"]),
            kpi_label=spec.label.get(locale) if spec is not None else str(t["kpi"]),
            value=kpi_value(value, unit, currency, locale), raw_value=value,
            set_by=str(t.get("set_by") or MISSING), reason=str(t.get("reason") or ""),
            editable=scope.sets_targets))
    plan_list = plan_cards(session, locale, words, today)
    if form is None:
        line_kpis = [line.kpi for card in plan_list for line in card.lines]
        form = TargetForm(period=chosen if chosen not in ("", "all") else "",
                          kpi=chosen_kpi or (kpi_names + line_kpis + [""])[0])
        if edit:
            kind, _, rest = edit.partition(":")
            sid, _, rest = rest.partition(":")
            label, _, name = rest.partition(":")
            found = next((t for t in everything if (t["scope"], t["scope_id"],
                          str(t["period"]), t["kpi"]) == (kind, sid, label, name)), None)
            if found is not None:
                value = _value(found["value"])
                form = TargetForm(kind=kind, subject_id=sid, period=label, kpi=name,
                                  value="" if value is None else f"{value:g}")
    return PlansView(
        plans=plan_list, plan_names=[(c.name, c.title) for c in plan_list],
        can_replay=scope.is_everything,
        replay_periods=_replay_periods(session, plan_list, today, words)
        if scope.is_everything else [],
        catalogue=_catalogue_kpis(session, locale) if scope.sets_targets else [],
        can_set_targets=scope.sets_targets, period=chosen, periods=periods, kpi=chosen_kpi,
        kpis=[(k, catalog[k].label.get(locale) if k in catalog else k) for k in kpi_names],
        targets=shown, total=len(rows), page=page, pages=pages,
        reps=sorted(rep_names.items(), key=lambda kv: kv[0]),
        teams=sorted(team_names.items(), key=lambda kv: kv[0]),
        form=form, as_of=as_of_text(session, locale))


def _catalogue_kpis(session: Session, locale: str) -> list[tuple[str, str]]:
    return sorted(((name, spec.label.get(locale)) for name, spec in
                   session.catalog.kpis.items()), key=lambda kv: kv[0])


def whatif_view(session: Session, locale: str, words: Words, *, document: str, period: str,
                against: str | None) -> WhatIfView:
    """Replay ``document`` on ``period`` against ``against`` (else the adopted plan of the same
    name): the matrix and who moves; the draft's problems (with their lines) if it is invalid.
    :class:`AccessError` when the session may not replay a plan."""
    try:
        result = session.whatif(text=document, period=period, against=against or None)
    except PlanValidationError as exc:
        return WhatIfView(problems=[Problem(
            line=str(i.location.line) if i.location and i.location.line else MISSING,
            path=".".join(str(p) for p in i.path) if i.path else "",
            message=i.text.get(locale)) for i in exc.issues])
    except AccessError:
        raise
    except SalescoreError as exc:
        return WhatIfView(error=exc.localized(locale))
    rows = result.comparison.to_dict("records")

    def label(value: Any) -> str:
        return MISSING if value is None or (isinstance(value, float) and math.isnan(value)) \
            or value.__class__.__name__ == "NAType" else str(value)

    def order(plan_labels: Iterable[str], found: Iterable[str]) -> list[str]:
        out = list(plan_labels)
        return out + sorted(set(found) - set(out))

    before_labels = order([r.label for r in result.baseline.ratings],
                          (label(r["rating_before"]) for r in rows))
    after_labels = order([r.label for r in result.draft.ratings],
                         (label(r["rating_after"]) for r in rows))
    counts = {(b, a): 0 for b in before_labels for a in after_labels}
    for r in rows:
        counts[(label(r["rating_before"]), label(r["rating_after"]))] += 1
    matrix = [(b, [counts[(b, a)] for a in after_labels]) for b in before_labels]
    rep_names, team_names = _names(session)

    def score(value: Any) -> float | None:
        return None if value is None or (isinstance(value, float) and math.isnan(value)) \
            else float(value)

    movers = []
    for r in sorted(rows, key=lambda r: str(r["rep_id"])):
        if not bool(r["rating_changed"]):
            continue
        before, after = score(r["score_before"]), score(r["score_after"])
        change = None if before is None or after is None else after - before
        movers.append(Mover(
            rep_id=str(r["rep_id"]), name=rep_names.get(str(r["rep_id"]), str(r["rep_id"])),
            team=team_names.get(str(r["team_id"]), label(r["team_id"])),
            score_before=number(before, locale), score_after=number(after, locale),
            change=MISSING if change is None else signed(number(change, locale), change),
            rating_before=label(r["rating_before"]), rating_after=label(r["rating_after"]),
            up=None if not change else change > 0))
    chart = {"rows": before_labels, "cols": after_labels,
             "cells": [[x, y, counts[(b, a)]] for y, b in enumerate(before_labels)
                       for x, a in enumerate(after_labels)],
             "name": words("Reps"), "xname": words("Draft rating"),
             "yname": words("Adopted rating")}
    return WhatIfView(period=result.period, draft=result.draft.name,
                      baseline=result.baseline.name, baseline_version=result.baseline_version,
                      reps=result.reps, changed=result.changed_ratings,
                      before_labels=before_labels, after_labels=after_labels, matrix=matrix,
                      movers=movers, chart=chart)


def _brief(values: dict[str, Any] | None, locale: str) -> str:
    """An audit entry's before or after, as ``key: value`` pairs (numbers for the locale)."""
    if not values:
        return MISSING
    parts = []
    for key, value in values.items():
        shown = number(value, locale, 4) if isinstance(value, int | float) and \
            not isinstance(value, bool) else str(value)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


def audit_rows(entries: Sequence[AuditInfo], session: Session, locale: str) -> list[AuditRow]:
    return [AuditRow(entry_id=e.entry_id, at=moment(e.at, session, locale), actor=e.actor,
                     action=e.action, entity=e.entity, entity_id=e.entity_id,
                     before=_brief(e.before, locale), after=_brief(e.after, locale),
                     reason=e.reason or "") for e in entries]


# -- the routes --------------------------------------------------------------------------------

def _refused(request: Request, caller: Caller, exc: AccessError | None = None) -> Response:
    """The page a role gets for what it may not see or do: the one ``/team`` gives a rep
    (404), or, for an action refused on something within reach, the reason (403)."""
    locale = caller.principal.locale
    words = translator(locale)
    if exc is None or isinstance(exc, OutOfScope):
        message = exc.localized(locale) if exc is not None else \
            words("This page is not part of what your role sees.")
        return render(request, "not_found.html", locale, status=404, caller=caller,
                      message=message)
    return render(request, "not_found.html", locale, status=403, caller=caller,
                  message=exc.localized(locale))


async def _page(request: Request, caller: Caller, *, period: str | None, kpi: str | None,
                page: int = 1, status: int = 200, whatif: WhatIfView | None = None,
                draft: str = "", replay: tuple[str, str] = ("", ""),
                form: TargetForm | None = None, edit: str | None = None,
                notice: str | None = None, error: str | None = None) -> Response:
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Words) -> PlansView:
        return plans_view(session, p.locale, words, today, period=period, kpi=kpi, page=page,
                          form=form, edit=edit)

    try:
        view = await on_session(request, caller, read, keep=request.method == "GET")
    except AccessError as exc:
        return _refused(request, caller, exc)
    return render(request, "plans.html", caller.principal.locale, status=status,
                  caller=caller, view=view, as_of=view.as_of, whatif=whatif, draft=draft,
                  replay_period=replay[0], replay_against=replay[1], notice=notice,
                  error=error)


@router.get("/plans", response_class=HTMLResponse)
async def plans_page(request: Request, period: Param = None, kpi: Param = None,
                     page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                     edit: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    """The plans, the what-if form where the caller's scope may replay a plan, and the
    targets within reach (editable where the scope sets targets)."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    back = recall(request, "plans", PLAN_KEYS)
    if back is not None and edit is None and page == 1:
        return back
    response = await _page(request, caller, period=period, kpi=kpi, page=page, edit=edit)
    keep(request, response, "plans", PLAN_KEYS)
    return response


async def _checked(request: Request) -> tuple[Caller | None, Response | None]:
    """The signed-in caller of a form post whose CSRF token is right; else the answer."""
    caller = await signed_in(request)
    if caller is None or caller.web is None:
        return None, to_login(request)
    try:
        await require_csrf(request, caller.web)
    except CsrfFailed as exc:
        return None, render(request, "not_found.html", caller.principal.locale, status=403,
                            caller=caller, message=exc.text.get(caller.principal.locale))
    return caller, None


@router.post("/plans/whatif", response_class=HTMLResponse)
async def run_whatif(request: Request,
                     period: Annotated[str, Form(max_length=40)] = "",
                     against: Annotated[str, Form(max_length=64)] = "",
                     document: Annotated[str, Form(max_length=MAX_DRAFT)] = "",
                     upload: Annotated[UploadFile | None, File()] = None,
                     csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Replay the draft pasted (or uploaded) on ``period`` against the adopted plan."""
    caller, answer = await _checked(request)
    if caller is None:
        assert answer is not None
        return answer
    locale = caller.principal.locale
    words = translator(locale)
    text = document
    if upload is not None and upload.filename:
        raw = await upload.read(MAX_DRAFT + 1)
        if len(raw) > MAX_DRAFT:
            return await _page(request, caller, period=None, kpi=None, status=413,
                               error=words("The draft plan is longer than %(size)s KB.",
                                           size=MAX_DRAFT // 1024))
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return await _page(request, caller, period=None, kpi=None, status=422,
                               error=words("The draft plan is not UTF-8 text."))
    if not text.strip():
        return await _page(request, caller, period=None, kpi=None, status=422,
                           replay=(period, against),
                           error=words("Paste a draft plan or choose its file."))

    def replay(session: Session, p: Principal, w: Words) -> WhatIfView:
        return whatif_view(session, p.locale, w, document=text, period=period,
                           against=against or None)

    try:
        result = await on_session(request, caller, replay)
    except AccessError as exc:
        return _refused(request, caller, exc)
    failed = bool(result.problems or result.error)
    return await _page(request, caller, period=None, kpi=None, whatif=result, draft=text,
                       replay=(period, against), status=422 if failed else 200)


@router.post("/plans/targets", response_class=HTMLResponse)
async def set_target(request: Request,
                     kind: Annotated[str, Form(max_length=10)] = "rep",
                     subject_id: Annotated[str, Form(max_length=64)] = "",
                     period: Annotated[str, Form(max_length=40)] = "",
                     kpi: Annotated[str, Form(max_length=64)] = "",
                     value: Annotated[str, Form(max_length=40)] = "",
                     reason: Annotated[str, Form(max_length=500)] = "",
                     csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Set one target (with its reason; audited) where the caller's scope sets targets."""
    caller, answer = await _checked(request)
    if caller is None:
        assert answer is not None
        return answer
    locale = caller.principal.locale
    words = translator(locale)
    form = TargetForm(kind=kind, subject_id=subject_id, period=period, kpi=kpi, value=value,
                      reason=reason)
    try:
        amount = float(value.replace(",", "").strip())
        if not math.isfinite(amount):
            raise ValueError(value)
    except ValueError:
        return await _page(request, caller, period=None, kpi=None, status=422, form=form,
                           error=words("The target is a number, not %(value)s.",
                                       value=value or MISSING))
    actor = caller.principal.username

    def write(session: Session, p: Principal, w: Words) -> tuple[Any, str]:
        change = session.set_target(kind, subject_id, period, kpi, amount, actor=actor,
                                    reason=reason)
        spec = session.catalog.kpis.get(kpi)
        return change, spec.label.get(p.locale) if spec is not None else kpi

    try:
        change, label = await on_session(request, caller, write)
    except AccessError as exc:
        return _refused(request, caller, exc)
    except SalescoreError as exc:
        return await _page(request, caller, period=None, kpi=None, status=422, form=form,
                           error=exc.localized(locale))
    finally:
        app_state(request).cache.clear()
    before = MISSING if change.before is None else number(change.before, locale, 4)
    notice = words("Target set: %(subject)s, %(kpi)s, %(period)s: %(before)s → %(after)s "
                   "(%(reason)s).", subject=change.scope_id, kpi=label,
                   period=change.period, before=before,
                   after=number(change.after, locale, 4), reason=change.reason)
    return await _page(request, caller, period=change.period, kpi=None, notice=notice)


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request, actor: Param = None, kind: Param = None,
                     before: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The audit log, newest first, a page at a time, filtered by who and by kind (admins;
    everyone else gets the page ``/team`` gives a rep)."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    back = recall(request, "audit", AUDIT_KEYS)
    # "Every kind" and no one named are asked for, not forgotten: only a bare visit returns.
    if back is not None and before is None and not any(
            k in request.query_params for k in AUDIT_KEYS):
        return back
    state = app_state(request)
    principal = caller.principal
    try:
        entries = await run_in_threadpool(
            lambda: state.accounts.audit(principal, limit=AUDIT_PAGE + 1, before_id=before,
                                         entity=kind or None, actor_name=actor or None))
    except AccessError:
        return _refused(request, caller)

    def read(session: Session, p: Principal, words: Words) -> tuple[list[AuditRow], str | None]:
        return audit_rows(entries[:AUDIT_PAGE], session, p.locale), as_of_text(session,
                                                                              p.locale)

    rows, as_of = await on_session(request, caller, read)
    more = entries[AUDIT_PAGE - 1].entry_id if len(entries) > AUDIT_PAGE else None
    words = translator(principal.locale)
    names = {"target": words("Targets"), "plan": words("Plans"), "user": words("Users"),
             "api_token": words("API tokens"), "import_run": words("Imports"),
             "settings": words("Settings"), "warehouse": words("Warehouse")}
    response = render(request, "audit.html", principal.locale, caller=caller, rows=rows,
                      actor=actor or "", kind=kind or "",
                      kinds=[(k, names.get(k, k)) for k in AUDIT_KINDS], more=more,
                      paged=before is not None, as_of=as_of)
    keep(request, response, "audit", AUDIT_KEYS)
    return response
