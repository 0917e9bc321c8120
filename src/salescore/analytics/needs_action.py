"""The records that need action: quiet deals, stuck deals and unhappy customers.

Three lists, each an unbound Ibis expression over the canonical tables, as of a day ``as_of``
(a local date in the organisation's time zone ``zone``); a session runs them through its
scoped runner, so each caller sees only the records of their scope. Days are whole local days.

- **No activity** (:func:`no_activity`): open opportunities that had no touch in the
  :data:`QUIET_DAYS` local days up to ``as_of`` (``as_of - 13 .. as_of``). A touch is the
  opportunity's creation, or an activity (any kind, outbound or inbound) **of the
  opportunity's owner rep** that is linked to the opportunity, or that is linked to the
  opportunity's customer and to no opportunity at all (a customer-level call or visit touches
  every open deal with that customer). An activity of another rep, or linked to another
  opportunity, does not count: the list then reads the same in every scope that reaches the
  deal (a rep's view would not see a colleague's activity), and it asks the owner to act.
  ``days`` is ``as_of`` minus the day of the last touch (creation included), at least 14.
  Unlike the ``stale_opportunities`` KPI, a customer-level activity counts as a touch.
- **Stuck in a stage** (:func:`stuck_deals`): open opportunities whose current stage was
  entered more days before ``as_of`` than the usual for that stage in the owner's team.
  The stage was entered at its ``stage_changes`` row (its creation when it has none).
  The usual (:func:`stage_usual`) is the median length, in whole local days, of the finished
  stays in that stage of the team's opportunities (those whose owner's ``team_id`` is the team,
  sub-teams apart) that began in the :data:`HISTORY_DAYS` local days up to ``as_of``: a stay
  runs from entering the stage to entering the next one (the next ``entered_at`` of the same
  opportunity), or to the close when it was the last stage of a won or lost deal; stays still
  running, or ending after ``as_of``, are left out. A median flags about half of what stays
  longer than it, by design: the list shows the longest over first. A stage with
  fewer than :data:`MIN_STAYS` finished stays in a team has no usual, and its deals are never
  listed as stuck (too little history to call anything unusual).
- **Low satisfaction** (:func:`low_surveys`): surveys answered in ``first .. last`` (local
  days) with a satisfaction score (csat) below :data:`LOW_CSAT`; ``days`` is how long ago,
  counted from ``as_of``.

>>> import datetime, zoneinfo
>>> expr = no_activity(datetime.date(2025, 3, 31), zoneinfo.ZoneInfo("UTC"))
>>> expr.columns[:4]
('opportunity_id', 'customer_id', 'customer_name', 'owner_rep_id')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, assert_never
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from salescore.compile.memtables import named_memtable
from salescore.compile.schema import unbound
from salescore.compile.timezone import local_day

__all__ = ["HISTORY_DAYS", "KINDS", "LOW_CSAT", "MIN_STAYS", "QUIET_DAYS", "USUAL_SCHEMA",
           "ActionItem", "ActionKind", "NeedsAction", "last_event",
           "first", "low_surveys", "no_activity", "stage_usual", "stuck_deals", "usual_table"]

ActionKind = Literal["no_activity", "stuck", "low_survey"]
KINDS: tuple[ActionKind, ...] = ("no_activity", "stuck", "low_survey")
"""The kinds of record that need action, in the order pages show them."""

QUIET_DAYS = 14
"""An open deal with no touch in this many local days up to the day needs action."""
MIN_STAYS = 5
"""The finished stays of a stage a team needs before its median is its usual."""
LOW_CSAT = 3
"""A survey whose satisfaction score is below this needs action."""
HISTORY_DAYS = 365
"""The usual is the median of the stays that began in this many days up to the day."""

USUAL_SCHEMA = pa.schema([("team_id", pa.string()), ("stage", pa.string()),
                          ("usual_days", pa.float64()), ("stays", pa.int64())])
"""The columns of :func:`stage_usual`, and of the table :func:`stuck_deals` reads it from."""


EVENTS = (("activities", "occurred_at"), ("stage_changes", "entered_at"),
          ("surveys", "answered_at"), ("orders", "ordered_at"),
          ("opportunities", "created_at"), ("opportunities", "closed_at"))
"""The times that say how far the data runs (:func:`last_event`)."""


def last_event() -> ir.Table:
    """One row, ``last_at``: the latest time of :data:`EVENTS` (NULL when there is none)."""
    parts = [unbound(name).select(at=unbound(name)[column].cast("timestamp"))
             for name, column in EVENTS]
    return ibis.union(*parts).aggregate(last_at=ibis._.at.max())


def _named(listed: ir.Table) -> ir.Table:
    """``listed`` with its customer's name (``customer_name``, after ``customer_id``), joined
    last, to the records listed alone: a scoped customers table is costly to join early."""
    customers = unbound("customers").select(c_id="customer_id", customer_name="name")
    joined = listed.left_join(customers, listed.customer_id == customers.c_id)
    columns = list(listed.columns)
    columns.insert(columns.index("customer_id") + 1, "customer_name")
    return joined.select(*columns)


def _midnight(day: date, zone: ZoneInfo) -> ir.TimestampScalar:
    """The naive-UTC instant at which local ``day`` begins: comparing raw times against it
    spares turning every row's time into a local day."""
    start = datetime.combine(day, time.min, zone).astimezone(UTC).replace(tzinfo=None)
    return ibis.literal(start, type="timestamp")


def _day(ts: ir.TimestampValue, zone: ZoneInfo, as_of: date) -> ir.DateValue:
    return local_day(ts, zone, as_of - timedelta(days=HISTORY_DAYS + 31), as_of)


def _days(as_of: date, day: ir.DateValue) -> ir.IntegerValue:
    """Whole days from ``day`` to ``as_of``."""
    return ibis.literal(as_of).delta(day, unit="day").cast("int64")


def _open_deals(as_of: date, zone: ZoneInfo) -> ir.Table:
    """Open opportunities that existed on ``as_of``, with their owner's name and team."""
    opp = unbound("opportunities")
    opp = opp.filter(opp.status == "open",
                     opp.created_at < _midnight(as_of + timedelta(days=1), zone))
    reps = unbound("reps").select(r_id="rep_id", rep_name="name", team_id="team_id")
    joined = opp.left_join(reps, opp.owner_rep_id == reps.r_id)
    return joined.select(
        "opportunity_id", "customer_id", "owner_rep_id", "rep_name", "team_id", "amount",
        "currency", "stage", "created_at")


def no_activity(as_of: date, zone: ZoneInfo, *, days: int = QUIET_DAYS) -> ir.Table:
    """Open opportunities with no touch in the ``days`` local days up to ``as_of`` (see the
    module's text for what a touch is), longest quiet first: their id, customer, owner, amount,
    stage, ``last_touch`` (the day, creation included) and ``days`` since it."""
    deals = _open_deals(as_of, zone)
    end = _midnight(as_of + timedelta(days=1), zone)
    acts = unbound("activities")
    acts = acts.filter(acts.occurred_at < end)
    owners = deals.select(o_id="opportunity_id", o_rep="owner_rep_id", o_customer="customer_id")
    on_deal = acts.join(owners, (acts.opportunity_id == owners.o_id)
                        & (acts.rep_id == owners.o_rep)).select(t_opp="o_id", t_at="occurred_at")
    general = acts.filter(acts.opportunity_id.isnull(), acts.customer_id.notnull())
    on_customer = general.join(owners, (general.customer_id == owners.o_customer)
                               & (general.rep_id == owners.o_rep)) \
        .select(t_opp="o_id", t_at="occurred_at")
    kinds = {"t_opp": "string", "t_at": "timestamp"}
    touches = on_deal.cast(kinds).union(on_customer.cast(kinds))
    last = touches.group_by("t_opp").aggregate(last_at=touches.t_at.max())
    joined = deals.left_join(last, deals.opportunity_id == last.t_opp)
    touched = ibis.coalesce(joined.last_at, joined.created_at)
    quiet = joined.filter(touched < _midnight(as_of - timedelta(days=days - 1), zone))
    last_touch = _day(ibis.coalesce(quiet.last_at, quiet.created_at), zone, as_of)
    out = quiet.select(
        "opportunity_id", "customer_id", "owner_rep_id", "rep_name", "amount", "currency",
        "stage", last_activity=_day(quiet.last_at, zone, as_of), last_touch=last_touch,
        days=_days(as_of, last_touch))
    return _named(out).order_by([ibis.desc("days"), "opportunity_id"])


def stage_usual(as_of: date, zone: ZoneInfo, *, min_stays: int = MIN_STAYS,
                history_days: int = HISTORY_DAYS) -> ir.Table:
    """Per team and stage, the usual stay (the median of the finished stays of the team's
    opportunities that began in the ``history_days`` local days up to ``as_of``, in whole
    local days, as the module's text says) and the number of stays it is the median of; only
    stages with at least ``min_stays`` of them. Columns as :data:`USUAL_SCHEMA`."""
    changes = unbound("stage_changes")
    changes = changes.filter(
        changes.entered_at >= _midnight(as_of - timedelta(days=history_days - 1), zone),
        changes.entered_at < _midnight(as_of + timedelta(days=1), zone))
    window = ibis.window(group_by=changes.opportunity_id, order_by=changes.entered_at)
    stays = changes.mutate(next_at=changes.entered_at.lead().over(window))
    opp = unbound("opportunities").select(
        o_id="opportunity_id", o_rep="owner_rep_id", o_status="status", o_closed="closed_at")
    reps = unbound("reps").select(r_id="rep_id", team_id="team_id")
    joined = stays.join(opp, stays.opportunity_id == opp.o_id)
    joined = joined.join(reps, joined.o_rep == reps.r_id)
    ended = ibis.coalesce(joined.next_at, ibis.cases(
        (joined.o_status.isin(["won", "lost"]), joined.o_closed), else_=ibis.null("timestamp")))
    done = joined.mutate(ended=ended)
    done = done.filter(done.ended.notnull(),
                       done.ended < _midnight(as_of + timedelta(days=1), zone),
                       done.team_id.notnull())
    done = done.mutate(length=_day(done.ended, zone, as_of).delta(
        _day(done.entered_at, zone, as_of), unit="day").cast("int64"))
    usual = done.group_by(["team_id", "stage"]).aggregate(
        usual_days=done.length.median().cast("float64"), stays=done.length.count())
    usual = usual.filter(usual.stays >= min_stays)
    return usual.select("team_id", "stage", "usual_days", usual.stays.cast("int64"))


def first(listed: ir.Table, kind: ActionKind, limit: int) -> ir.Table:
    """The first ``limit`` records of ``listed`` (the analysis of ``kind``) in its order,
    each with ``listed_total``, how many there are in all: a page's top of the list and its
    count in one query."""
    match kind:
        case "no_activity":
            order = [ibis.desc("days"), "opportunity_id"]
        case "stuck":
            order = [ibis.desc(ibis._.days - ibis._.usual_days), "opportunity_id"]
        case "low_survey":
            order = ["csat", ibis.desc("answered"), "survey_id"]
        case _:
            assert_never(kind)
    counted = listed.mutate(listed_total=ibis._.count().over(ibis.window()))
    return counted.order_by(order).limit(limit)


def usual_table(rows: pa.Table) -> ir.Table:
    """What running :func:`stage_usual` gave, as a table :func:`stuck_deals` can read (it
    travels inside the expression, so a scope that saw the team's history gave it)."""
    return named_memtable("usual", rows.select(USUAL_SCHEMA.names).cast(USUAL_SCHEMA),
                          stable=False)


def stuck_deals(as_of: date, zone: ZoneInfo, usual: ir.Table) -> ir.Table:
    """Open opportunities in their current stage for more days than ``usual`` (a table of
    :data:`USUAL_SCHEMA` columns: :func:`usual_table` of :func:`stage_usual`) says is usual
    for that stage in the owner's team, longest over first: their id, customer, owner,
    amount, stage, ``entered`` (the day), ``days`` in the stage and ``usual_days``."""
    deals = _open_deals(as_of, zone)
    u = usual.select(u_team="team_id", u_stage="stage", usual_days="usual_days")
    deals = deals.join(u, (deals.team_id == u.u_team) & (deals.stage == u.u_stage))
    changes = unbound("stage_changes").select(s_opp="opportunity_id", s_stage="stage",
                                              s_at="entered_at")
    joined = deals.left_join(changes, (deals.opportunity_id == changes.s_opp)
                             & (deals.stage == changes.s_stage))
    entered = _day(ibis.coalesce(joined.s_at, joined.created_at), zone, as_of)
    here = joined.select(
        "opportunity_id", "customer_id", "owner_rep_id", "rep_name", "amount", "currency",
        "stage", "usual_days", entered=entered, days=_days(as_of, entered))
    out = _named(here.filter(here.days > here.usual_days))
    return out.order_by([ibis.desc(out.days - out.usual_days), "opportunity_id"])


def low_surveys(as_of: date, zone: ZoneInfo, first: date, last: date, *,
                below: int = LOW_CSAT) -> ir.Table:
    """Surveys answered on the local days ``first .. last`` (and not after ``as_of``) with a
    satisfaction score below ``below``, lowest first: their id, customer, rep rated, csat,
    nps, comment, ``answered`` (the day) and ``days`` since."""
    surveys = unbound("surveys")
    surveys = surveys.filter(
        surveys.csat < below, surveys.answered_at >= _midnight(first, zone),
        surveys.answered_at < _midnight(min(last, as_of) + timedelta(days=1), zone))
    surveys = surveys.mutate(answered=_day(surveys.answered_at, zone, as_of))
    reps = unbound("reps").select(r_id="rep_id", rep_name="name")
    joined = surveys.left_join(reps, surveys.rep_id == reps.r_id)
    out = joined.select("survey_id", "customer_id", "rep_id", "rep_name",
                        "csat", "nps", "comment", "answered",
                        days=_days(as_of, joined.answered))
    return _named(out).order_by(["csat", ibis.desc("answered"), "survey_id"])


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One record that needs action, with what a person needs to act on it: the record's id
    (an opportunity's or a survey's), its customer and owner rep, the deal's amount and stage
    (a survey has none), the day the count starts from (the last touch, the day the stage was
    entered, the day the survey was answered) and ``days`` since; a stuck deal's
    ``usual_days``, a survey's ``csat`` and ``comment``. Unknown values are ``None``."""

    kind: ActionKind
    record_id: str
    customer_id: str | None
    customer_name: str | None
    rep_id: str
    rep_name: str | None
    amount: Decimal | None
    currency: str | None
    stage: str | None
    day: date
    days: int
    usual_days: float | None = None
    csat: int | None = None
    comment: str | None = None

    @classmethod
    def of(cls, kind: ActionKind, row: dict[str, Any]) -> ActionItem:
        """The item of one row of :func:`no_activity`, :func:`stuck_deals` or
        :func:`low_surveys`."""
        match kind:
            case "no_activity":
                record, rep, day = row["opportunity_id"], row["owner_rep_id"], row["last_touch"]
            case "stuck":
                record, rep, day = row["opportunity_id"], row["owner_rep_id"], row["entered"]
            case "low_survey":
                record, rep, day = row["survey_id"], row["rep_id"], row["answered"]
            case _:
                assert_never(kind)
        return cls(kind=kind, record_id=record, customer_id=row.get("customer_id"),
                   customer_name=row.get("customer_name"), rep_id=rep,
                   rep_name=row.get("rep_name"), amount=row.get("amount"),
                   currency=row.get("currency"), stage=row.get("stage"), day=day,
                   days=int(row["days"]), usual_days=row.get("usual_days"),
                   csat=row.get("csat"), comment=row.get("comment"))


@dataclass(frozen=True, slots=True)
class NeedsAction:
    """The records that need action as of ``as_of``, surveys of ``period`` (``first`` to
    ``last``), each kind in the order its analysis gives: all of them, or the first few of
    each kind, with how many there are in all (``totals``)."""

    as_of: date
    period: str
    first: date
    last: date
    no_activity: tuple[ActionItem, ...]
    stuck: tuple[ActionItem, ...]
    low_surveys: tuple[ActionItem, ...]
    totals: dict[ActionKind, int] | None = None  # None: every record is listed

    def of_kind(self, kind: ActionKind) -> tuple[ActionItem, ...]:
        match kind:
            case "no_activity":
                return self.no_activity
            case "stuck":
                return self.stuck
            case "low_survey":
                return self.low_surveys
            case _:
                assert_never(kind)

    def counts(self) -> dict[ActionKind, int]:
        """How many records of each kind there are (listed or not)."""
        if self.totals is not None:
            return dict(self.totals)
        return {kind: len(self.of_kind(kind)) for kind in KINDS}
