"""Pipeline changes (``/pipeline``): how the open pipeline moved between two days, as a
waterfall (start, each movement, end) with a table that says the same, and a table per team
and rep, for every signed-in role within their scope (issue 11, part 10).

The subject is picked as on the funnel (a rep their own; a manager each team and rep of their
subtree; the whole organisation the company too); the days default to the quarter so far (its
first day to the organisation's last day of data) and the close window to the quarter of the
last day. The filters live in the URL and come back on the next visit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from salescore.app.deps import app_state
from salescore.app.formatting import as_of_text, number
from salescore.app.funnel_page import default_subject, subject_choices, subject_parts
from salescore.app.pages import filtered_page
from salescore.core.access import Principal
from salescore.core.errors import SalescoreError
from salescore.core.scope import OutOfScope
from salescore.workspace import Session

__all__ = ["PIPELINE_KEYS", "PipelineView", "pipeline_view", "router"]

router = APIRouter(include_in_schema=False)

PIPELINE_KEYS = ("subject", "from", "to", "close")
Param = Annotated[str | None, Query(max_length=80)]
MOVES = ("new", "pulled_in", "up", "down", "pushed", "won", "lost")
ADDS = ("new", "pulled_in", "up")


class BadDay(SalescoreError):
    """A day in the URL that is not YYYY-MM-DD."""


@dataclass(frozen=True)
class PipelineLine:
    label: str
    cells: list[str]
    is_total: bool = False


@dataclass(frozen=True)
class PipelineView:
    subject: str
    subjects: list[tuple[str, str]]
    start: str
    end: str
    close: str
    currency: str
    heads: list[str]
    waterfall: list[tuple[str, str, str]]  # label, signed amount, deals
    lines: list[PipelineLine]
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def period(self) -> str:
        return f"{self.start}..{self.end}"


def _day(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadDay(f"{text!r} is not a day written YYYY-MM-DD",
                     message_zh=f"{text!r} 不是 YYYY-MM-DD 格式的日期") from None


def pipeline_view(session: Session, principal: Principal, words: Callable[..., str],
                  today: date, *, subject: str | None = None, start: str | None = None,
                  end: str | None = None, close: str | None = None) -> PipelineView | None:
    """The pipeline page's figures; ``None`` when the caller's scope holds no subject."""
    choices = subject_choices(session, principal, words)
    chosen = subject if subject is not None else default_subject(principal, choices)
    if chosen is None:
        return None
    if chosen not in dict(choices):
        raise OutOfScope(f"{chosen} is not a subject you can open",
                         message_zh=f"{chosen} 不在可查看的范围内")
    last = _day(end, session.data_last_day() or today)
    quarter_start = date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
    first = _day(start, quarter_start)
    parts = subject_parts(chosen)
    report = session.pipeline_changes(start=first, end=last, close=close or None,
                                      rep=parts["rep"], team=parts["team"])
    locale = principal.locale
    names = {"start": words("Start"), "new": words("New"), "pulled_in": words("Pulled in"),
             "up": words("Amount up"), "down": words("Amount down"),
             "pushed": words("Pushed out"), "won": words("Won"), "lost": words("Lost"),
             "end": words("End")}
    total = report.total
    amounts = total.amounts()
    steps: list[dict[str, Any]] = [{"name": names["start"], "value": float(amounts["start"]),
                                    "kind": "total"}]
    waterfall = [(names["start"], number(float(amounts["start"]), locale, 0), "")]
    for move in MOVES:
        value = float(amounts[move])
        kind = "up" if move in ADDS else "down"
        steps.append({"name": names[move], "value": value, "kind": kind})
        sign = "+" if kind == "up" else "−"
        waterfall.append((names[move], f"{sign}{number(value, locale, 0)}",
                          str(total.counts[move])))
    steps.append({"name": names["end"], "value": float(amounts["end"]), "kind": "total"})
    waterfall.append((names["end"], number(float(amounts["end"]), locale, 0), ""))
    lines = [PipelineLine(str(words("Total")), [number(float(v), locale, 0)
                                                for v in amounts.values()], True)]
    for row in [*report.teams, *report.reps]:
        label = str(words("Team %(name)s", name=row.name or row.id)) if row.kind == "team" \
            else str(row.name or row.id)
        lines.append(PipelineLine(label, [number(float(v), locale, 0)
                                          for v in row.amounts().values()]))
    charts = {"waterfall": {"steps": steps, "labels": {
        "up": words("Adds"), "down": words("Takes away"), "total": words("Pipeline")}}}
    return PipelineView(
        subject=chosen, subjects=choices, start=first.isoformat(), end=last.isoformat(),
        close=report.close_period, currency=report.currency,
        heads=[names[k] for k in ("start", *MOVES, "end")], waterfall=waterfall, lines=lines,
        charts=charts)


@router.get("/pipeline", response_class=HTMLResponse)
async def pipeline_page(request: Request, subject: Param = None,
                        start: Annotated[str | None, Query(alias="from", max_length=20)] = None,
                        end: Annotated[str | None, Query(alias="to", max_length=20)] = None,
                        close: Annotated[str | None, Query(max_length=40)] = None
                        ) -> Response:
    """The pipeline changes page, for every signed-in role within their scope."""
    today = app_state(request).today()

    def read(session: Session, p: Principal, words: Callable[..., str]
             ) -> tuple[PipelineView | None, str | None]:
        return (pipeline_view(session, p, words, today, subject=subject, start=start,
                              end=end, close=close),
                as_of_text(session, p.locale))

    return await filtered_page(request, "pipeline", PIPELINE_KEYS, read)
