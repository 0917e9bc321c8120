"""Peer reviews and assists: both follow the hidden collaboration trait, some cross teams.

>>> from salescore.demo.config import DemoConfig
>>> from salescore.demo.people import build_org
>>> peer_reviews_table(build_org(DemoConfig())).num_rows > 0
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from salescore.demo import arrays
from salescore.demo.deals import MONTH_S
from salescore.demo.params import (
    ASSIST_CROSS_TEAM,
    ASSIST_KIND_MIX,
    ASSIST_POINTS,
    ASSIST_RATE,
    DAY_S,
    HOUR_S,
    REVIEW_COLLABORATION,
    REVIEW_COMMUNICATION,
    REVIEW_CROSS_TEAM,
    REVIEWS_PER_QUARTER,
)
from salescore.demo.people import STREAM_COLLAB, Org
from salescore.demo.sampling import categorical

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

ASSIST_KINDS = ("referral", "joint_visit", "knowledge_share", "handover")


def _partners(org: Org, rng: np.random.Generator, who: I64, cross: Bool, day: I64) -> I64:
    """A seller other than ``who`` active on ``day``: a teammate, or (``cross``) from elsewhere.

    -1 where the colleague drawn is not active that day. Loops once per team, never per row.
    """
    sellers = org.sellers
    out = np.full(len(who), -1, dtype=np.int64)
    team = org.rep_team[who]
    u = rng.random(len(who))
    for t in np.unique(team):
        rows = np.flatnonzero(team == t)
        for is_cross in (False, True):
            sel = rows[cross[rows] == is_cross]
            pool = sellers[(org.rep_team[sellers] != t) if is_cross
                           else (org.rep_team[sellers] == t)]
            if is_cross:
                pick = pool[(u[sel] * len(pool)).astype(np.int64)] if len(pool) else None
            elif len(pool) > 1:  # a teammate other than oneself: skip one's own place
                own = np.searchsorted(pool, who[sel])
                slot = (u[sel] * (len(pool) - 1)).astype(np.int64)
                pick = pool[slot + (slot >= own)]
            else:
                pick = None
            if pick is None or not len(sel):
                continue
            active = (org.active_from[pick] <= day[sel]) & (org.active_to[pick] > day[sel])
            out[sel[active]] = pick[active]
    return out


def peer_reviews_table(org: Org) -> pa.Table:
    """Quarterly peer reviews: scores follow the reviewee's collaboration (and diligence)."""
    rng = np.random.default_rng([org.config.seed, STREAM_COLLAB, 1])
    clock = org.clock
    starts = clock.month_starts()
    # a review cycle closes each quarter that ends inside the window
    quarter_ends = [int(d) for d in starts[1:]
                    if int(clock.month(np.array([d - 1]))[0]) % 3 == 0]
    reviewers, days, cycles = [], [], []
    for cycle, stop in enumerate(quarter_ends):  # one step per quarter
        day = np.maximum(stop - 1 - rng.integers(0, 14, len(org.sellers)), 0)
        active = (org.active_from[org.sellers] <= day) & (org.active_to[org.sellers] > day)
        reviewers.append(np.repeat(org.sellers[active], REVIEWS_PER_QUARTER))
        days.append(np.repeat(day[active], REVIEWS_PER_QUARTER))
        cycles.append(np.full(int(active.sum()) * REVIEWS_PER_QUARTER, cycle, dtype=np.int64))
    reviewer = np.concatenate(reviewers)
    day = np.concatenate(days)
    cycle_of = np.concatenate(cycles)
    cross = rng.random(len(reviewer)) < REVIEW_CROSS_TEAM
    reviewee = _partners(org, rng, reviewer, cross, day)
    keep = reviewee >= 0
    reviewer, reviewee, day, cycle_of = reviewer[keep], reviewee[keep], day[keep], cycle_of[keep]
    # one review per pair and quarter: a second draw of the same colleague is dropped
    pair = (cycle_of * org.n_reps + reviewer) * org.n_reps + reviewee
    _, first = np.unique(pair, return_index=True)
    first.sort()
    reviewer, reviewee, day = reviewer[first], reviewee[first], day[first]
    n = len(reviewer)

    bias = rng.normal(0, 0.3, org.n_reps)[reviewer]
    collab = org.collaboration[reviewee]
    c = REVIEW_COLLABORATION[0] + REVIEW_COLLABORATION[1] * collab + bias
    m = (REVIEW_COMMUNICATION[0] + REVIEW_COMMUNICATION[1] * collab
         + REVIEW_COMMUNICATION[2] * org.diligence[reviewee] + bias)
    collaboration = np.clip(np.rint(c + rng.normal(0, 0.6, n)), 1, 5).astype(np.int64)
    communication = np.clip(np.rint(m + rng.normal(0, 0.6, n)), 1, 5).astype(np.int64)
    t = clock.at(day, rng.integers(9 * HOUR_S, 19 * HOUR_S, n))
    order = np.argsort(t, kind="stable")
    reviewer, reviewee, t = reviewer[order], reviewee[order], t[order]
    collaboration, communication = collaboration[order], communication[order]

    pools = org.words.review_comments
    words = [c for pool in pools for c in pool]
    band = np.where(collaboration <= 2, 0, np.where(collaboration == 3, 1, 2))
    sizes = np.array([len(p) for p in pools])
    offsets = np.cumsum([0, *sizes])[:-1]
    comment = offsets[band] + rng.integers(0, 1 << 30, n) % sizes[band]
    return arrays.build("peer_reviews", {
        "review_id": arrays.ids("PR", np.arange(1, n + 1, dtype=np.int64), 7),
        "reviewer_rep_id": org.rep_ids(reviewer),
        "reviewee_rep_id": org.rep_ids(reviewee),
        "reviewed_at": arrays.timestamps(t),
        "collaboration": arrays.integers(collaboration),
        "communication": arrays.integers(communication),
        "comment": arrays.pick(words, comment.astype(np.int64), rng.random(n) < 0.4),
    })


@dataclass(frozen=True, eq=False)
class DealIndex:
    """What assists need to know of every deal: its global number, owner and working span."""

    number: I64  # global 1-based opportunity number
    owner: I64
    created: I64  # may lie before the window
    stop: I64  # closed, or the window's last second

    @staticmethod
    def concat(parts: list[DealIndex]) -> DealIndex:
        return DealIndex(*(np.concatenate([getattr(p, f) for p in parts])
                           for f in ("number", "owner", "created", "stop")))


@dataclass(frozen=True, eq=False)
class Handovers:
    """Deals a leaving rep handed to their successor (global opportunity numbers)."""

    helper: I64
    helped: I64
    number: I64
    t: I64

    @staticmethod
    def concat(parts: list[Handovers]) -> Handovers:
        return Handovers(*(np.concatenate([getattr(p, f) for p in parts])
                           for f in ("helper", "helped", "number", "t")))


def assists_table(org: Org, deals: DealIndex, handovers: Handovers) -> pa.Table:
    """Assists given at a rate set by the helper's collaboration; 25 % to another team."""
    rng = np.random.default_rng([org.config.seed, STREAM_COLLAB, 2])
    clock = org.clock
    sellers = org.sellers
    months = np.maximum(org.active_to[sellers] - org.active_from[sellers], 0) * DAY_S / MONTH_S
    rate = ASSIST_RATE[0] + ASSIST_RATE[1] * org.collaboration[sellers]
    helper = np.repeat(sellers, rng.poisson(rate * months))
    span = org.active_to[helper] - org.active_from[helper]
    day = org.active_from[helper] + (rng.random(len(helper)) * span).astype(np.int64)
    cross = rng.random(len(helper)) < ASSIST_CROSS_TEAM
    helped = _partners(org, rng, helper, cross, day)
    keep = helped >= 0
    helper, helped, day = helper[keep], helped[keep], day[keep]
    n = len(helper)
    kind = categorical(rng, ASSIST_KIND_MIX, n)

    # referrals and joint visits concern one of the helped rep's deals: a referral when the deal
    # is created (a deal from before the window gets a joint visit instead), a joint visit while
    # it is worked; the helper must still be there by then, or the assist is knowledge sharing
    by_owner = np.argsort(deals.owner, kind="stable")
    counts = np.bincount(deals.owner, minlength=org.n_reps)
    first = np.cumsum(counts) - counts
    rows = np.flatnonzero((kind < 2) & (counts[helped] > 0))
    slot = first[helped[rows]] + (rng.random(len(rows)) * counts[helped[rows]]).astype(np.int64)
    pick = by_owner[slot]
    created, stop = deals.created[pick], deals.stop[pick]
    start = np.maximum(created, clock.start_utc)
    kind[rows] = np.where((kind[rows] == 0) & (created < start), 1, kind[rows])
    visit = clock.business(start + (rng.random(len(rows)) * (stop - start)).astype(np.int64))
    deal_t = np.where(kind[rows] == 0, created, np.clip(visit, start, stop))
    deal_day = clock.day_of(deal_t)
    present = (deal_day >= org.active_from[helper[rows]]) & (deal_day < org.active_to[helper[rows]])
    t = clock.at(day, rng.integers(9 * HOUR_S, 18 * HOUR_S, n))
    number = np.zeros(n, dtype=np.int64)
    t[rows[present]] = deal_t[present]
    number[rows[present]] = deals.number[pick[present]]
    kind = np.where((kind < 2) & (number == 0), 2, kind)

    helper = np.concatenate([helper, handovers.helper])
    helped = np.concatenate([helped, handovers.helped])
    number = np.concatenate([number, handovers.number])
    kind = np.concatenate([kind, np.full(len(handovers.t), 3, dtype=np.int64)])
    t = np.concatenate([t, handovers.t])
    order = np.argsort(t, kind="stable")
    helper, helped, number, kind, t = (a[order] for a in (helper, helped, number, kind, t))
    points = np.array([ASSIST_POINTS[k] for k in ASSIST_KINDS])[kind]
    m = len(t)
    return arrays.build("assists", {
        "assist_id": arrays.ids("AS", np.arange(1, m + 1, dtype=np.int64), 7),
        "helper_rep_id": org.rep_ids(helper),
        "helped_rep_id": org.rep_ids(helped),
        "opportunity_id": arrays.ids("O", number, 8, number > 0),
        "occurred_at": arrays.timestamps(t),
        "kind": arrays.pick(ASSIST_KINDS, kind),
        "points": arrays.floats(points.astype(np.float64)),
    })
