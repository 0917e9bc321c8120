"""Targets: what a manager would plan for each rep and team, from their expected output.

Rep targets are ``revenue_won`` per month and ``deals_won`` per quarter; team targets are
``revenue_won`` per quarter for every team node (the sum of its reps' monthly targets). Each
rep's expectation follows their hidden skill and diligence (a manager knows last year's numbers)
and, for a new hire, the first cycle without closes and the ramp of their odds; it is spread
evenly over the rep's active days (plans are flat; deals open seasonally but close a cycle later),
times a stretch of U(1.0, 1.2) per rep. The month and the quarter of the demo's "today" (the
day after the data) have their targets too, for the whole period, as a plan sets them.

>>> from salescore.demo.config import DemoConfig
>>> from salescore.demo.people import build_org
>>> t = targets_table(build_org(DemoConfig(end=date(2026, 12, 6))))
>>> sorted(set(t.column("kpi").to_pylist()))
['deals_won', 'revenue_won']
>>> periods = set(t.column("period").to_pylist())  # the month and quarter in progress too
>>> sorted(periods)[:2], "2026-12" in periods, sorted(periods)[-1]
(['2025-01', '2025-02'], True, '2026-Q4')
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from salescore.demo import arrays
from salescore.demo.clock import NEVER
from salescore.demo.deals import money_unit
from salescore.demo.params import (
    AMOUNT_SIGMA,
    CHANNEL_MIX,
    CHANNEL_WIN,
    FOCUS_SEGMENT_MIX,
    PRODUCT_MIX,
    PRODUCTS,
    RAMP_DAYS,
    RAMP_START,
    SEGMENT_AMOUNT,
    SEGMENT_CYCLE,
    SKILL_AMOUNT,
    SKILL_SPEED,
    SKILL_WIN,
    STAGE_SIGMA,
    TARGET_STRETCH,
    TEAM_FOCUS,
)
from salescore.demo.people import STREAM_TARGETS, Org

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def _expectations(org: Org) -> tuple[F64, F64, F64]:
    """Per rep: E[win], E[win x amount] and the median cycle in days of one deal."""
    focus = np.maximum(org.team_focus[org.rep_team], 0)
    seg_mix = np.array([FOCUS_SEGMENT_MIX[f] for f in TEAM_FOCUS])[focus]  # (reps, segments)
    prod_mix = np.asarray(PRODUCT_MIX)  # (segments, products)
    weight = seg_mix[:, :, None] * prod_mix[None, :, :]  # (reps, segments, products)
    base = np.array([p.base_win for p in PRODUCTS])
    amount = (np.array([p.median_amount for p in PRODUCTS])[None, :]
              * np.asarray(SEGMENT_AMOUNT)[:, None])  # (segments, products)
    cycle = (np.array([p.cycle_days for p in PRODUCTS])[None, :]
             * np.asarray(SEGMENT_CYCLE)[:, None])
    channel = float(np.dot(CHANNEL_MIX[org.config.locale], CHANNEL_WIN))
    skill = org.skill
    p = (weight * base).sum(axis=(1, 2)) * (SKILL_WIN[0] + SKILL_WIN[1] * skill) * channel
    revenue = ((weight * base * amount).sum(axis=(1, 2)) * (SKILL_WIN[0] + SKILL_WIN[1] * skill)
           * channel * (SKILL_AMOUNT[0] + SKILL_AMOUNT[1] * skill)
           * math.exp(AMOUNT_SIGMA**2 / 2) * money_unit(org)[0])
    median_cycle = (weight * cycle).sum(axis=(1, 2)) * (SKILL_SPEED[0] + SKILL_SPEED[1] * skill)
    return np.minimum(p, 0.95), revenue, median_cycle


def _lognormal_cdf(x: F64, median: F64, sigma: float) -> F64:
    z = (np.log(np.maximum(x, 1e-9)) - np.log(median)) / (sigma * math.sqrt(2))
    erf = np.vectorize(math.erf)
    return np.asarray(0.5 * (1 + erf(z)), dtype=np.float64)


def targets_table(org: Org) -> pa.Table:
    """The ``targets`` rows for sellers (monthly revenue, quarterly deals) and every team."""
    rng = np.random.default_rng([org.config.seed, STREAM_TARGETS])
    clock = org.clock
    words = org.words
    # Whole calendar months from the window's first (the first of a month) through the
    # quarter of the demo's "today", the day after the data: today's month and quarter are
    # planned like any other, so a period in progress has its targets for the whole period.
    first, today = clock.start, org.config.today
    planned = (today.year - first.year) * 12 + today.month - first.month + 1
    n_months = planned + (3 - today.month % 3) % 3
    labels, years, months, starts = [], [], [], []
    for m in range(n_months + 1):
        y, mo = divmod(first.year * 12 + first.month - 1 + m, 12)
        starts.append((date(y, mo + 1, 1) - first).days)
        labels.append(f"{y:04d}-{mo + 1:02d}")
        years.append(y)
        months.append(mo + 1)
    m_start = np.array(starts[:-1], dtype=np.int64)
    m_stop = np.array(starts[1:], dtype=np.int64)

    sellers = org.sellers
    p_win, revenue, cycle = _expectations(org)
    stretch = rng.uniform(*TARGET_STRETCH, org.n_reps)
    lo = np.maximum(org.active_from[sellers, None], m_start[None, :])
    stays = np.where(org.leave_t == NEVER, m_stop[-1], org.active_to)  # beyond the window too
    hi = np.minimum(stays[sellers, None], m_stop[None, :])
    active = np.maximum(hi - lo, 0)  # (sellers, months)
    # plans are flat over the year: deals open seasonally but close a cycle later
    opened = org.deal_rate * org.deal_weight()[sellers, None] * active
    middle = (m_start + m_stop) / 2
    # a new hire's deals need a cycle before they close, and their odds ramp up
    warm = _lognormal_cdf(middle[None, :] - org.sim_from[sellers, None],
                          cycle[sellers, None], STAGE_SIGMA)
    tenure = middle[None, :] - org.hire_day[sellers, None]
    ramp = np.clip(RAMP_START + (1 - RAMP_START) * tenure / RAMP_DAYS, RAMP_START, 1.0)
    base = opened * warm * ramp * stretch[sellers, None]
    unit = money_unit(org)[1] * 10
    monthly_revenue = np.round(base * revenue[sellers, None] / unit) * unit
    monthly_deals = base * p_win[sellers, None]
    has_month = active >= 15

    rows_scope: list[str] = []
    rows_id: list[int] = []
    rows_period: list[str] = []
    rows_kpi: list[str] = []
    rows_value: list[float] = []
    rows_set_by: list[int] = []
    rows_year: list[int] = []

    def add(scope: str, who: I64, period: str, kpi: str, value: F64, set_by: I64,
            year: int) -> None:
        rows_scope.extend([scope] * len(who))
        rows_id.extend(who.tolist())
        rows_period.extend([period] * len(who))
        rows_kpi.extend([kpi] * len(who))
        rows_value.extend(value.tolist())
        rows_set_by.extend(set_by.tolist())
        rows_year.extend([year] * len(who))

    for m in range(planned):  # one step per month: all sellers at once
        ok = has_month[:, m] & (monthly_revenue[:, m] > 0)
        add("rep", sellers[ok], labels[m], "revenue_won", monthly_revenue[ok, m],
            org.rep_manager[sellers[ok]], years[m])

    full_quarters = [m for m in range(n_months - 2)
                     if months[m] % 3 == 1 and m_stop[m + 2] - m_start[m] >= 89]
    # ancestors[t, a]: team a is t or lies above it, so a's target counts t's reps
    n_teams = len(org.team_parent)
    ancestors = np.zeros((n_teams, n_teams), dtype=bool)  # [team, ancestor]
    for t in range(n_teams):
        a_ = t
        while a_ >= 0:
            ancestors[t, a_] = True
            a_ = int(org.team_parent[a_])
    in_team = ancestors[org.rep_team[sellers]]  # (sellers, teams)
    parent_head = org.team_head[np.maximum(org.team_parent, 0)]
    for m in full_quarters:  # one step per quarter
        label = f"{years[m]:04d}-Q{(months[m] - 1) // 3 + 1}"
        cols = slice(m, m + 3)
        q_active = active[:, cols].sum(axis=1)
        deals = np.maximum(np.rint(monthly_deals[:, cols].sum(axis=1)), 1)
        ok = q_active >= 45
        add("rep", sellers[ok], label, "deals_won", deals[ok], org.rep_manager[sellers[ok]],
            years[m])
        rev = np.where(has_month[:, cols], monthly_revenue[:, cols], 0.0).sum(axis=1)
        team_rev = np.round(rev @ in_team / unit) * unit
        teams = np.flatnonzero(team_rev > 0)
        add("team", teams.astype(np.int64), label, "revenue_won", team_rev[teams],
            parent_head[teams], years[m])

    who = np.array(rows_id, dtype=np.int64)
    is_rep = np.array([s == "rep" for s in rows_scope])
    scope_id = pc.if_else(pa.array(is_rep), org.rep_ids(who), org.team_ids(who))
    reasons = sorted(set(rows_year))
    return arrays.build("targets", {
        "scope": arrays.strings(rows_scope),
        "scope_id": scope_id,
        "period": arrays.strings(rows_period),
        "kpi": arrays.strings(rows_kpi),
        "value": arrays.floats(np.array(rows_value, dtype=np.float64)),
        "set_by": org.rep_ids(np.array(rows_set_by, dtype=np.int64)),
        "reason": arrays.pick([words.plan_reason.format(year=y) for y in reasons],
                              np.searchsorted(reasons, rows_year).astype(np.int64)),
    })
