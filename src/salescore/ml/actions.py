"""Next best actions per rep, ranked by the money at stake, each with its reason and where its
records open.

Kinds (every figure from rows recorded before the cut-off):

- ``stale_deal``: an open deal worth at least the organisation's :data:`HIGH_VALUE_SHARE`
  quantile of open deals, with no activity for :data:`STALE_DAYS` days (none since it was
  created, if that is longer ago). At stake: amount x win probability.
- ``deal_at_risk``: an open deal (not stale) worth at least the median open deal whose win
  probability is below :data:`RISK_RATIO` of its stage's past win rate; the reason is the
  model's strongest reason against it. At stake: amount x (stage rate - probability). Needs
  the win model (with too little history there is none: the stage rate is all there is).
- ``quiet_customer``: a high-potential customer (top quarter by
  :mod:`salescore.ml.potential`'s score: the expected revenue of the next 180 days, or the
  last year's revenue where there is not enough data), with no activity for
  :data:`QUIET_DAYS` days; its owner acts. At stake: the score.
- ``training``: the rep's weakest KPI (win rate or lead-to-win rate over the last 12 months,
  as a share of peers below them) is in the bottom :data:`WEAK_SHARE` of sellers with
  :data:`MIN_CLOSED` closed deals: the course whose trainees' KPI rose most against untrained
  peers (:func:`salescore.analytics.training.training_impacts`, lower end of its interval
  above zero first) that the rep has not taken, and the peer who excels at it (the best of
  the rep's team, else of the organisation). At stake: the course's effect x the rep's
  closed deals x their average won amount, for a quarter. Without a course with enough
  trainees there is no recommendation, and the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from salescore.analytics.training import CourseImpact, training_impacts
from salescore.core.text import Text
from salescore.ml.features import FEATURE_NAMES
from salescore.ml.history import History
from salescore.ml.win import WinModel

__all__ = ["HIGH_VALUE_SHARE", "KINDS", "MIN_CLOSED", "QUIET_DAYS", "RISK_RATIO", "STALE_DAYS",
           "WEAK_SHARE", "Action", "ActionKind", "Skill", "course_impacts", "next_actions",
           "skills"]

ActionKind = Literal["stale_deal", "deal_at_risk", "quiet_customer", "training"]
KINDS: tuple[ActionKind, ...] = ("stale_deal", "deal_at_risk", "quiet_customer", "training")
HIGH_VALUE_SHARE = 0.75
STALE_DAYS = 30
RISK_RATIO = 0.5
QUIET_DAYS = 60
WEAK_SHARE = 1 / 3
MIN_CLOSED = 10
PER_KIND = 3  # of each deal or customer kind per rep
SKILL_KPIS = ("win_rate", "lead_to_win_rate")
KPI_NAMES = {"win_rate": Text("win rate", "赢单率"),
             "lead_to_win_rate": Text("lead-to-win rate", "线索到赢单转化率")}
DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Action:
    """One thing for ``rep_id`` to do: what (``title``), why (``reason``), what is at stake
    (money, for the ranking), the records (deal or customer ids) and where they open."""

    rep_id: str
    kind: ActionKind
    stake: float
    title: Text
    reason: Text
    records: list[str]
    link: str
    course: str | None = None
    peer_rep_id: str | None = None
    kpi: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Skill:
    """A rep's KPI over the last 12 months and the share of peers below them."""

    rep_id: str
    kpi: str
    value: float
    rank: float  # 0: the weakest, 1: the best
    closed: int


def _drill(kpi: str, rep: str, period: str) -> str:
    return "/drill?" + urlencode({"kpi": kpi, "by": "rep", "subject": rep, "period": period})


def _money(v: float) -> str:
    return f"{v:,.0f}"


def skills(history: History, since: datetime) -> dict[str, dict[str, Skill]]:
    """Per rep with :data:`MIN_CLOSED` deals closed from ``since``: the win rate of those
    deals and the lead-to-win rate of the deals they created then (won by the cut-off), each
    ranked among those reps."""
    o = history.opportunities
    closed = o[o["closed_at"].notna() & (o["closed_at"] >= since)]
    won = closed["status"] == "won"
    per = closed.assign(won=won.astype(float)).groupby("owner_rep_id").agg(
        closed=("won", "size"), won=("won", "sum"))
    created = o[o["created_at"] >= since]
    lead = created.assign(won=(created["status"] == "won").astype(float)).groupby(
        "owner_rep_id")["won"].mean()
    per = per[per["closed"] >= MIN_CLOSED]
    values = {"win_rate": per["won"] / per["closed"],
              "lead_to_win_rate": lead.reindex(per.index)}
    out: dict[str, dict[str, Skill]] = {}
    for kpi, series in values.items():
        series = series.dropna()
        if len(series) < 3:
            continue
        rank = series.rank(pct=True, method="average")
        lo = 1.0 / len(series)
        for rep, v in series.items():
            share = float((rank[rep] - lo) / (1.0 - lo)) if len(series) > 1 else 0.5
            out.setdefault(str(rep), {})[kpi] = Skill(str(rep), kpi, float(v), share,
                                                      int(per.loc[rep, "closed"]))
    return out


def _months(ts: pd.Series, zone: ZoneInfo) -> pd.Series:
    local = pd.to_datetime(ts).dt.tz_localize("UTC").dt.tz_convert(zone)
    return local.dt.strftime("%Y-%m")


def course_impacts(history: History, zone: ZoneInfo, first_month: str,
                   last_month: str) -> tuple[list[CourseImpact], list[CourseImpact]]:
    """Every course's and every kind of course's effect on its trainees' KPIs (difference in
    differences against untrained peers), from the history's trainings and each rep's deals
    per local month."""
    o = history.opportunities
    closed = o[o["closed_at"].notna()].copy()
    closed["period"] = _months(closed["closed_at"], zone)
    closed["won"] = (closed["status"] == "won").astype(float)
    closed["lost"] = (closed["status"] == "lost").astype(float)
    closed["revenue"] = closed["amount"].where(closed["status"] == "won", 0.0).fillna(0.0)
    by_close = closed.groupby(["owner_rep_id", "period"]).agg(
        deals_won=("won", "sum"), deals_lost=("lost", "sum"), revenue_won=("revenue", "sum"))
    created = o.copy()
    created["period"] = _months(created["created_at"], zone)
    created["won"] = (created["status"] == "won").astype(float)
    created["lost"] = (created["status"] == "lost").astype(float)
    # the creation cohort's outcomes: the win rate training_impacts compares
    by_created = created.groupby(["owner_rep_id", "period"]).agg(
        opportunities_created=("won", "size"), lead_to_win_rate=("won", "mean"),
        cohort_won=("won", "sum"), cohort_lost=("lost", "sum"))
    monthly = by_close.join(by_created, how="outer").reset_index().rename(
        columns={"owner_rep_id": "rep_id"})
    monthly = monthly.astype(object).where(monthly.notna(), None)
    t = history.trainings
    rows = [{"rep_id": r, "course": c, "kind": k, "month": m} for r, c, k, m in zip(
        t["rep_id"], t["course"], t["kind"], _months(t["completed_at"], zone), strict=True)]
    hires = pd.to_datetime(history.reps["hire_date"])
    hired = {str(r): (None if pd.isna(d) else d.date())
             for r, d in zip(history.reps["rep_id"], hires, strict=True)}
    return training_impacts(rows, monthly.to_dict("records"), first_month=first_month,
                            last_month=last_month, hired=hired)


def _best_course(courses: Sequence[CourseImpact], kinds: Sequence[CourseImpact], kpi: str,
                 done: set[str]) -> tuple[str, str, float, float, int] | None:
    """The course to take: of the kind of course whose trainees' ``kpi`` rose most against
    their peers (pooled over its courses: more trainees, less noise; a lower end of the
    interval above zero first), the course most taken that the rep has not taken yet; then
    the next kind. ``(course, kind, effect, lower end, trainees)``."""
    ranked = []
    for k in kinds:
        e = k.effect(kpi)
        if e.enough and e.estimate is not None and e.estimate > 0:
            ranked.append(((e.low is not None and e.low > 0, e.low or 0.0, e.estimate), k, e))
    ranked.sort(key=lambda x: x[0], reverse=True)
    for _, kind, e in ranked:
        options = sorted((c for c in courses if c.kind == kind.kind and c.course is not None
                          and c.course not in done), key=lambda c: (-c.trainees, c.course))
        if options:
            return (str(options[0].course), kind.kind, float(e.estimate or 0.0),
                    float(e.low or 0.0), e.trainees)
    return None


def next_actions(history: History, open_deals: pd.DataFrame, model: WinModel,
                 reps: Sequence[str], as_of: date,
                 impacts: tuple[Sequence[CourseImpact], Sequence[CourseImpact]],
                 *, team_of: dict[str, str | None], names: dict[str, str],
                 potential: pd.DataFrame | None = None) -> list[Action]:
    """The actions of each of ``reps``, ranked by the money at stake within the rep (see the
    module). ``open_deals``: the organisation's open deals at the cut-off with their
    ``probability`` and stage rate (``baseline``); ``potential``: every customer's
    ``owner_rep_id`` and ``score`` (:mod:`salescore.ml.potential`; without it, revenue
    ordered over the last year ranks them)."""
    cut = history.cutoff
    day = as_of.isoformat()
    period = f"{day}..{day}"
    wanted = set(reps)
    out: list[Action] = []
    deals = open_deals[open_deals["amount"].notna()]
    if len(deals):
        high = float(deals["amount"].quantile(HIGH_VALUE_SHARE))
        median = float(deals["amount"].median())
        quiet = deals["days_since_activity"].fillna(deals["age_days"])
        stale = deals[(deals["amount"] >= high) & (quiet >= STALE_DAYS)
                      & deals["owner_rep_id"].isin(wanted)].assign(quiet=quiet)
        for rep, mine in stale.groupby("owner_rep_id"):
            stake = mine["amount"] * mine["probability"].fillna(0.0)
            for _, d in mine.assign(stake=stake).sort_values(
                    ["stake", "opportunity_id"], ascending=[False, True]).head(PER_KIND).iterrows():
                days = int(d["quiet"])
                out.append(Action(
                    rep_id=str(rep), kind="stale_deal", stake=float(d["stake"]),
                    title=Text(f"Revive deal {d['opportunity_id']}",
                               f"跟进商机 {d['opportunity_id']}"),
                    reason=Text(
                        f"Worth {_money(d['amount'])} (top quarter of open deals), no activity "
                        f"for {days} days; win probability {d['probability']:.0%}.",
                        f"金额 {_money(d['amount'])}（在途商机前 25%），已 {days} 天无活动；"
                        f"赢单概率 {d['probability']:.0%}。"),
                    records=[str(d["opportunity_id"])],
                    link=_drill("stale_opportunities", str(rep), period),
                    extra={"amount": float(d["amount"]), "days": days}))
        if model.enough:
            risky = deals[(deals["amount"] >= median) & (quiet < STALE_DAYS)
                          & (deals["probability"] < RISK_RATIO * deals["baseline"])
                          & deals["owner_rep_id"].isin(wanted)]
            risky = risky.assign(stake=risky["amount"] * (risky["baseline"]
                                                          - risky["probability"]))
            risky = risky.sort_values(["stake", "opportunity_id"], ascending=[False, True])
            risky = risky.groupby("owner_rep_id").head(PER_KIND).reset_index(drop=True)
            why = model.reasons(risky) if len(risky) else []
            for i, (_, d) in enumerate(risky.iterrows()):
                against = [r for r in why[i] if r.effect < 0]
                name = FEATURE_NAMES.get(against[0].feature) if against else None
                en = f" Strongest reason against: {name.en}." if name else ""
                zh = f"最主要的不利因素：{name.zh}。" if name else ""
                out.append(Action(
                    rep_id=str(d["owner_rep_id"]), kind="deal_at_risk", stake=float(d["stake"]),
                    title=Text(f"Rescue deal {d['opportunity_id']}",
                               f"挽救商机 {d['opportunity_id']}"),
                    reason=Text(
                        f"Win probability {d['probability']:.0%} against {d['baseline']:.0%} "
                        f"for deals at stage {d['stage']}; worth {_money(d['amount'])}.{en}",
                        f"赢单概率 {d['probability']:.0%}，同阶段（{d['stage']}）历史为 "
                        f"{d['baseline']:.0%}；金额 {_money(d['amount'])}。{zh}"),
                    records=[str(d["opportunity_id"])],
                    link=_drill("open_pipeline", str(d["owner_rep_id"]), period),
                    extra={"amount": float(d["amount"])}))
    out += _quiet_customers(history, wanted, cut, potential)
    out += _training(history, wanted, cut, impacts, team_of, names)
    ranked: list[Action] = []
    for rep in reps:
        mine = [a for a in out if a.rep_id == rep]
        ranked += sorted(mine, key=lambda a: (-a.stake, a.kind, a.records))
    return ranked


def _quiet_customers(history: History, wanted: set[str], cut: datetime,
                     potential: pd.DataFrame | None) -> list[Action]:
    if potential is None or potential.empty:
        orders = history.orders[(history.orders["ordered_at"] >= cut - timedelta(days=365))
                                & history.orders["customer_id"].notna()]
        if orders.empty:
            return []
        last = orders.sort_values("ordered_at").groupby("customer_id")["rep_id"].last()
        revenue = orders.groupby("customer_id")["amount"].sum()
        potential = pd.DataFrame({"customer_id": revenue.index, "score": revenue.to_numpy(),
                                  "owner_rep_id": last.reindex(revenue.index).to_numpy()})
    scored = potential[potential["score"] > 0]
    if scored.empty:
        return []
    top = scored[scored["score"] >= scored["score"].quantile(0.75)]
    acts = history.activities
    touched = acts[acts["customer_id"].notna()].groupby("customer_id")["occurred_at"].max()
    rows = []
    for customer, rep, value in zip(top["customer_id"], top["owner_rep_id"], top["score"],
                                    strict=True):
        if rep is None or pd.isna(rep) or str(rep) not in wanted:
            continue
        seen = touched.get(customer)
        days = None if seen is None or pd.isna(seen) else int((cut - seen) / timedelta(days=1))
        if days is not None and days < QUIET_DAYS:
            continue
        rows.append((str(rep), str(customer), float(value), days))
    rows.sort(key=lambda r: (r[0], -r[2], r[1]))
    out = []
    count: dict[str, int] = {}
    for rep, customer, value, days in rows:
        if count.get(rep, 0) >= PER_KIND:
            continue
        count[rep] = count.get(rep, 0) + 1
        since_en = "never contacted" if days is None else f"no contact for {days} days"
        since_zh = "从未联系" if days is None else f"已 {days} 天未联系"
        out.append(Action(
            rep_id=rep, kind="quiet_customer", stake=value,
            title=Text(f"Call customer {customer}", f"联系客户 {customer}"),
            reason=Text(f"High potential: {_money(value)} expected (top quarter of "
                        f"customers), {since_en}.",
                        f"高潜力客户：预期 {_money(value)}（客户前 25%），{since_zh}。"),
            records=[customer], link="/customers",
            extra={"score": value, "days": days}))
    return out


def _training(history: History, wanted: set[str], cut: datetime,
              impacts: tuple[Sequence[CourseImpact], Sequence[CourseImpact]],
              team_of: dict[str, str | None], names: dict[str, str]) -> list[Action]:
    table = skills(history, cut - timedelta(days=365))
    if not impacts[1]:
        return []
    done_by: dict[str, set[str]] = {}
    for rep, course in zip(history.trainings["rep_id"], history.trainings["course"],
                           strict=True):
        done_by.setdefault(str(rep), set()).add(str(course))
    o = history.opportunities
    won = o[(o["status"] == "won") & o["closed_at"].notna()
            & (o["closed_at"] >= cut - timedelta(days=365))]
    avg_won = won.groupby("owner_rep_id")["amount"].mean()
    out = []
    for rep in sorted(wanted):
        mine = table.get(rep)
        if not mine:
            continue
        weakest = min(mine.values(), key=lambda s: (s.rank, s.kpi))
        if weakest.rank > WEAK_SHARE:
            continue
        best = _best_course(impacts[0], impacts[1], weakest.kpi, done_by.get(rep, set()))
        if best is None:
            continue
        course, kind, effect, low, trainees = best
        peers = [(s[weakest.kpi].value, r) for r, s in table.items()
                 if r != rep and weakest.kpi in s]
        team = [(v, r) for v, r in peers if team_of.get(r) == team_of.get(rep)]
        pool = team or peers
        peer = max(pool)[1] if pool else None
        kname = KPI_NAMES[weakest.kpi]
        values = sorted(s[weakest.kpi].value for s in table.values() if weakest.kpi in s)
        median = float(np.median(values))
        peer_en = (f" {names.get(peer, peer)} ({peer}) excels at it "
                   f"({table[peer][weakest.kpi].value:.0%}).") if peer else ""
        peer_zh = (f"{names.get(peer, peer)}（{peer}）在这方面表现出色"
                   f"（{table[peer][weakest.kpi].value:.0%}）。") if peer else ""
        stake = effect * weakest.closed * float(avg_won.get(rep, 0.0) or 0.0) / 4
        out.append(Action(
            rep_id=rep, kind="training", stake=stake,
            title=Text(f"Take the course {course}", f"参加课程 {course}"),
            reason=Text(
                f"Your {kname.en} ({weakest.value:.0%}) is your weakest KPI, below "
                f"{1 - weakest.rank:.0%} of sellers (median {median:.0%}); courses of this "
                f"kind ({kind}) raised their {trainees} trainees' {kname.en} by "
                f"{effect * 100:+.1f} points against untrained peers.{peer_en}",
                f"你的{kname.zh}（{weakest.value:.0%}）是最弱的指标，低于 "
                f"{1 - weakest.rank:.0%} 的销售（中位数 {median:.0%}）；"
                f"同类课程（{kind}）使 {trainees} 名"
                f"受训者的{kname.zh}相对未受训同级提高了 {effect * 100:+.1f} 个百分点。{peer_zh}"),
            records=[rep] + ([peer] if peer else []),
            link="/trends?" + urlencode({"kpi": weakest.kpi}) + "#training",
            course=course, peer_rep_id=peer, kpi=weakest.kpi,
            extra={"value": weakest.value, "rank": weakest.rank, "effect": effect,
                   "low": low}))
    return out
