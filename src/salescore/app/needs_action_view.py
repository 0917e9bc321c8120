"""The records that need action as the pages and the API show them: counts per kind, then each
record with the fields a person needs to act and where its records can be opened.

What needs action is decided by :meth:`salescore.workspace.Session.needs_action` (and
:mod:`salescore.analytics.needs_action`, where each kind is defined); here it is only read, as
of the app's today (clamped by the session to the data's last day), and formatted for the
locale. A record links to the drill-down of the KPI whose records hold it, for its owner rep:
a quiet deal to ``stale_opportunities`` and a stuck one to ``open_pipeline`` on the day the
list is as of (so the drilled list holds the deal), a survey to ``csat_avg`` in the period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from babel.dates import format_date

from salescore.app.formatting import MISSING, babel_locale, kpi_value, number
from salescore.workspace import ACTION_KINDS, ActionItem, ActionKind, NeedsAction, Session

__all__ = ["PAGE_ROWS", "ActionRow", "ActionSection", "ActionsView", "actions_view", "link",
           "read_actions"]

PAGE_ROWS = 10
"""The records of each kind a page lists (the most overdue first); the API lists all."""

DRILL_KPI: dict[ActionKind, str] = {"no_activity": "stale_opportunities",
                                    "stuck": "open_pipeline", "low_survey": "csat_avg"}
"""The KPI whose records hold each kind of record."""


def link(item: ActionItem, found: NeedsAction) -> str:
    """Where ``item``'s records open: the drill-down of :data:`DRILL_KPI` for its rep."""
    day = found.as_of.isoformat()
    period = found.period if item.kind == "low_survey" else f"{day}..{day}"
    return "/drill?" + urlencode({"kpi": DRILL_KPI[item.kind], "by": "rep",
                                  "subject": item.rep_id, "period": period})


@dataclass(frozen=True)
class ActionRow:
    """One record as the page shows it (texts formatted for the locale)."""

    kind: ActionKind
    record_id: str
    customer: str
    rep: str
    amount: str
    stage: str
    days: int
    days_text: str
    detail: str
    href: str


@dataclass(frozen=True)
class ActionSection:
    kind: ActionKind
    title: str
    explained: str
    rows: list[ActionRow]  # the first PAGE_ROWS
    total: int  # how many there are in all


@dataclass(frozen=True)
class ActionsView:
    """The partial's data: as of when, which period's surveys, and one section per kind."""

    as_of: str
    period: str
    sections: list[ActionSection]

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)


def _titles(words: Callable[..., str]) -> dict[ActionKind, tuple[str, str]]:
    return {
        "no_activity": (words("No activity for 14 days"), words(
            "Open deals whose owner logged no activity with them or their customer in the "
            "last 14 days.")),
        "stuck": (words("Stuck in a stage"), words(
            "Open deals in their stage for longer than the team’s usual (the median of its "
            "deals’ finished stays there).")),
        "low_survey": (words("Surveys below 3"), words(
            "Satisfaction surveys of the period scored 1 or 2 out of 5.")),
    }


def actions_view(session: Session, found: NeedsAction, locale: str,
                 words: Callable[..., str]) -> ActionsView:
    """``found`` formatted for ``locale``: money in each deal's currency, stages by their
    labels, days with their unit."""
    settings = session.workspace.settings
    stages = {s.name: s.localized(locale) for s in settings.pipeline.stages}
    currency = settings.organisation.currency
    titles = _titles(words)
    bl = babel_locale(locale)

    def day(d: date) -> str:
        return format_date(d, "medium", locale=bl)

    def row(item: ActionItem) -> ActionRow:
        match item.kind:
            case "no_activity":
                detail = words("Last touch %(day)s", day=day(item.day))
            case "stuck":
                detail = words("In the stage since %(day)s; usual %(n)s days",
                               day=day(item.day), n=number(item.usual_days, locale))
            case "low_survey":
                detail = words("Satisfaction %(csat)s of 5, answered %(day)s",
                               csat=item.csat, day=day(item.day))
                if item.comment:
                    detail += " · " + item.comment
        return ActionRow(
            kind=item.kind, record_id=item.record_id,
            customer=item.customer_name or item.customer_id or MISSING,
            rep=item.rep_name or item.rep_id,
            amount=MISSING if item.amount is None else kpi_value(
                float(item.amount), "money", item.currency or currency, locale),
            stage=MISSING if item.stage is None else stages.get(item.stage, item.stage),
            days=item.days, days_text=words("1 day") if item.days == 1
            else words("%(n)s days", n=item.days), detail=detail, href=link(item, found))

    totals = found.counts()
    return ActionsView(
        as_of=day(found.as_of), period=found.period,
        sections=[ActionSection(kind, *titles[kind], [row(i) for i in found.of_kind(kind)],
                                totals[kind]) for kind in ACTION_KINDS])


def read_actions(session: Session, today: date, locale: str, words: Callable[..., str], *,
                 period: str | None = None, team_id: str | None = None,
                 rep_id: str | None = None) -> ActionsView:
    """The records that need action within ``session``'s scope (of ``team_id``'s subtree or
    of ``rep_id`` where given), as of ``today``, formatted for the page: the first
    :data:`PAGE_ROWS` of each kind, and how many there are (all of them are in the API)."""
    found = session.needs_action(today, period=period, team_id=team_id, rep_id=rep_id,
                                 limit=PAGE_ROWS)
    return actions_view(session, found, locale, words)
