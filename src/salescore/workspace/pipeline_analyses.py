"""Pipeline changes as a session reads them (:meth:`Session.pipeline_changes`): the expressions
of :mod:`salescore.analytics.pipeline_changes` run through the session's scoped runner, so that
a rep sees the movements of their own deals alone and a manager those of their team's subtree.

A team's row sums the reps of its subtree that the session reaches; the total sums every rep
row. The close window defaults to the quarter of the last day.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salescore.analytics.pipeline_changes import FLOWS, balance, changes, per_rep
from salescore.core.periods import Grain, Period

if TYPE_CHECKING:
    from salescore.workspace.session import Session

__all__ = ["FLOWS", "PipelineChanges", "PipelineRow", "pipeline_changes_report"]

COUNTED = ("new", "pulled_in", "up", "down", "pushed", "won", "lost")


@dataclass(frozen=True)
class PipelineRow:
    """One rep's or team's movements (amounts in the reporting currency; ``counts``: deals per
    movement; ``deals``: in the pipeline at either date; ``unknown``: of those, how many moved
    with an amount unknown or in another currency, counted as 0)."""

    kind: str  # rep, team or total
    id: str | None
    name: str | None
    team_id: str | None
    start: Decimal
    new: Decimal
    pulled_in: Decimal
    up: Decimal
    down: Decimal
    pushed: Decimal
    won: Decimal
    lost: Decimal
    end: Decimal
    counts: dict[str, int]
    deals: int
    unknown: int

    def amounts(self) -> dict[str, Decimal]:
        return {"start": self.start, **{f: getattr(self, f) for f in FLOWS}, "end": self.end}

    @property
    def balance(self) -> Decimal:
        """start + inflows − outflows − end: always 0."""
        return Decimal(balance(self.amounts()))


@dataclass(frozen=True)
class PipelineChanges:
    """The pipeline's movements from the first instant of ``start`` to the last of ``end``
    (local days), for deals expected to close in ``close_from`` … ``close_to``."""

    start: date
    end: date
    close_from: date
    close_to: date
    close_period: str
    currency: str
    total: PipelineRow
    teams: list[PipelineRow]
    reps: list[PipelineRow]


def _row(kind: str, id_: str | None, name: str | None, team_id: str | None,
         rows: list[dict[str, Any]]) -> PipelineRow:
    def total(key: str) -> Decimal:
        return sum((Decimal(r[key] or 0) for r in rows), Decimal(0))

    counts = {f: int(sum(int(r[f"n_{f}"] or 0) for r in rows)) for f in COUNTED}
    return PipelineRow(
        kind=kind, id=id_, name=name, team_id=team_id, start=total("start"),
        new=total("new"), pulled_in=total("pulled_in"), up=total("up"), down=total("down"),
        pushed=total("pushed"), won=total("won"), lost=total("lost"), end=total("end"),
        counts=counts, deals=int(sum(int(r["deals"] or 0) for r in rows)),
        unknown=int(sum(int(r["unknown"] or 0) for r in rows)))


def _window(session: Session, end: date, close: str | None) -> Period:
    calendar = session.workspace.settings.calendar
    if close is not None:
        return calendar.parse(close)
    return calendar.period_of(end, Grain.QUARTER)


def pipeline_changes_report(session: Session, *, start: date, end: date,
                            close: str | None = None, rep: str | None = None,
                            team: str | None = None) -> PipelineChanges:
    """:func:`_pipeline_changes_report`, kept per workspace and scope while the data, targets
    and settings stand (see :mod:`salescore.workspace.kpi_memo`)."""
    from salescore.workspace.kpi_memo import kept, stamp

    key = ("pipeline", start, end, close, rep, team, *stamp(session, ()))
    return kept(session, key, functools.partial(
        _pipeline_changes_report, session, start=start, end=end, close=close, rep=rep,
        team=team))


def _pipeline_changes_report(session: Session, *, start: date, end: date,
                             close: str | None = None, rep: str | None = None,
                             team: str | None = None) -> PipelineChanges:
    """The movements of the pipeline from ``start`` to ``end`` (local days, both included)
    per rep and team within the session's scope (``rep``/``team``: only that rep or that
    team's subtree), for the deals expected to close in period ``close`` (default: the
    quarter of ``end``)."""
    from salescore.workspace.analyses import AnalysisError, _subject, _subtree

    if end < start:
        raise AnalysisError(f"the last day {end} is before the first {start}",
                            message_zh=f"结束日期 {end} 早于开始日期 {start}")
    settings = session.workspace.settings
    calendar = settings.calendar
    first, _ = calendar.utc_bounds(calendar.parse(start.isoformat()))
    _, last = calendar.utc_bounds(calendar.parse(end.isoformat()))
    window = _window(session, end, close)
    subject = _subject(session, rep, team)
    mine = set(subject.reps) if subject.reps is not None else None
    currency = settings.organisation.currency
    rows = [r for r in session.runner.rows(per_rep(changes(
        first, last, window.start, window.end, currency)))
        if mine is None or r["owner_rep_id"] in mine]
    reps = {r["rep_id"]: r for r in session.reps()}
    teams = session.teams()
    rep_rows = [_row("rep", r["owner_rep_id"], reps.get(r["owner_rep_id"], {}).get("name"),
                     reps.get(r["owner_rep_id"], {}).get("team_id"), [r]) for r in rows]
    if subject.kind == "rep":
        shown: list[dict[str, Any]] = []
    elif subject.kind == "team":
        tree = _subtree(teams, str(subject.id))
        shown = [t for t in teams if t["team_id"] in tree]
    else:
        shown = teams
    team_rows = []
    for t in sorted(shown, key=lambda t: t["team_id"]):
        tree = _subtree(teams, t["team_id"])
        members = [r for r in rows if reps.get(r["owner_rep_id"], {}).get("team_id") in tree]
        team_rows.append(_row("team", t["team_id"], t.get("name"), t.get("parent_team_id"),
                              members))
    return PipelineChanges(
        start=start, end=end, close_from=window.start, close_to=window.end,
        close_period=str(window), currency=currency, total=_row("total", None, None, None, rows),
        teams=team_rows, reps=rep_rows)


