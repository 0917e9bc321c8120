"""Activities (calls, e-mails, meetings, visits, demos, messages, social) and surveys, one block.

Deal activities fall on local business hours between a deal's creation and its close; won
customers get account-care touches until they churn; sellers post on social media. Inbound
e-mails, messages and social touches get an outbound reply after a delay set by diligence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from salescore.demo import arrays
from salescore.demo.deals import MONTH_S, OPEN_STAGES, Deals, Orders, owner_at
from salescore.demo.params import (
    ACTIVITY_DILIGENCE,
    ACTIVITY_KINDS,
    ACTIVITY_STAGE,
    CARE_PER_MONTH,
    CHANNELS,
    CSAT_BASE,
    CSAT_EVENT,
    CSAT_NOISE,
    CSAT_SKILL,
    DAY_S,
    HOUR_S,
    INBOUND_MIX,
    INBOUND_SHARE,
    OUTBOUND_MIX,
    REPLY_MEDIAN_HOURS,
    REPLY_PROBABILITY,
    REPLY_SIGMA,
    SOCIAL_CHANNEL_BOOST,
    SOCIAL_POSTS_PER_MONTH,
    SURVEY_AFTER_LOSS,
    SURVEY_AFTER_REPEAT,
    SURVEY_AFTER_WIN,
)
from salescore.demo.people import Org
from salescore.demo.sampling import by_group, lognormal_median

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

DIRECTIONS = ("outbound", "inbound")
OUTCOMES = ("connected", "no_answer", "voicemail", "sent", "received", "replied", "completed",
            "rescheduled", "posted")
_K = {k: i for i, k in enumerate(ACTIVITY_KINDS)}
_O = {o: i for i, o in enumerate(OUTCOMES)}
REPLIED_KINDS = (_K["email"], _K["message"], _K["social"])


@dataclass(frozen=True, eq=False)
class Touches:
    """Activity rows of one block (local customer/opportunity indices; -1 for none)."""

    rep: I64
    customer: I64
    opportunity: I64
    kind: I64
    inbound: Bool
    t: I64
    duration: I64  # seconds; -1 for none
    outcome: I64

    @staticmethod
    def concat(parts: list[Touches]) -> Touches:
        return Touches(*(np.concatenate([getattr(p, f) for p in parts])
                         for f in ("rep", "customer", "opportunity", "kind", "inbound", "t",
                                   "duration", "outcome")))


def _kinds(org: Org, rng: np.random.Generator, field: Bool, social: Bool,
           inbound: Bool) -> I64:
    """Activity kinds: the team's outbound mix (social customers get more social touches)."""
    locale = org.config.locale
    table = []
    for mix in OUTBOUND_MIX[locale]:  # field first, then inside
        for boost in (1.0, SOCIAL_CHANNEL_BOOST):
            row = np.array(mix, dtype=np.float64)
            row[_K["social"]] *= boost
            table.append(row / row.sum())
    table.append(np.asarray(INBOUND_MIX[locale], dtype=np.float64))
    group = np.where(inbound, 4, np.where(field, 0, 2) + social.astype(np.int64))
    return by_group(rng, np.array(table), group.astype(np.int64))


def _outcomes(rng: np.random.Generator, kind: I64, inbound: Bool) -> tuple[I64, I64]:
    """Outcome code and duration in seconds (-1 when it has none) of each activity."""
    n = len(kind)
    u = rng.random(n)
    outcome = np.full(n, _O["sent"], dtype=np.int64)
    call = kind == _K["call"]
    outcome = np.where(call, np.where(u < 0.55, _O["connected"],
                                      np.where(u < 0.85, _O["no_answer"], _O["voicemail"])),
                       outcome)
    held = np.isin(kind, [_K["meeting"], _K["visit"], _K["demo"]])
    outcome = np.where(held, np.where(u < 0.9, _O["completed"], _O["rescheduled"]), outcome)
    outcome = np.where(inbound, _O["received"], outcome)

    typical = np.array([240.0, 0, 2700.0, 5400.0, 3600.0, 0, 0])[kind]
    sigma = np.where(call, 0.8, 0.3)
    duration = np.where(typical > 0, typical * np.exp(rng.normal(0, 1, n) * sigma), -1.0)
    duration = np.where(call & (outcome == _O["no_answer"]), rng.uniform(5, 40, n), duration)
    duration = np.where(call & (outcome == _O["voicemail"]), rng.uniform(20, 60, n), duration)
    duration = np.where(outcome == _O["rescheduled"], -1.0, duration)
    return outcome.astype(np.int64), np.rint(duration).astype(np.int64)


def _spread(org: Org, rng: np.random.Generator, lo: I64, hi: I64) -> I64:
    """One business-hours moment per row between ``lo`` and ``hi`` (UTC seconds, inclusive)."""
    clock = org.clock
    day = clock.sample_days(rng, org.season, clock.day_of(lo), clock.day_of(hi) + 1)
    tod = (8 * HOUR_S + rng.beta(2.0, 2.0, len(lo)) * 12 * HOUR_S).astype(np.int64)
    return np.clip(clock.at(day, tod), lo, hi)


def _touch(org: Org, rng: np.random.Generator, holder: I64, customer: I64, opportunity: I64,
           social: Bool, lo: I64, hi: I64) -> Touches:
    """Activities for rows that name who holds the account and the span they fall in."""
    n = len(holder)
    t = _spread(org, rng, lo, hi)
    rep = owner_at(org, holder, t)
    inbound = rng.random(n) < INBOUND_SHARE
    kind = _kinds(org, rng, org.is_field[rep], social, inbound)
    outcome, duration = _outcomes(rng, kind, inbound)
    return Touches(rep, customer, opportunity, kind, inbound, t, duration, outcome)


def _replies(org: Org, rng: np.random.Generator, touches: Touches, holder: I64) -> Touches:
    """Outbound replies to inbound e-mails, messages and social touches."""
    candidates = np.flatnonzero(touches.inbound & np.isin(touches.kind, REPLIED_KINDS))
    diligence = org.diligence[touches.rep[candidates]]
    p = REPLY_PROBABILITY[0] + REPLY_PROBABILITY[1] * diligence
    answered = candidates[rng.random(len(candidates)) < p]
    diligence = org.diligence[touches.rep[answered]]
    median_h = REPLY_MEDIAN_HOURS[0] + REPLY_MEDIAN_HOURS[1] * (1 - diligence)
    delay = (lognormal_median(rng, median_h, REPLY_SIGMA, len(answered)) * HOUR_S).astype(
        np.int64)
    t = touches.t[answered] + np.maximum(delay, 60)
    keep = t < org.clock.end_utc
    answered, t = answered[keep], t[keep]
    m = len(answered)
    return Touches(owner_at(org, holder[answered], t), touches.customer[answered],
                   touches.opportunity[answered], touches.kind[answered], np.zeros(m, bool), t,
                   np.full(m, -1, dtype=np.int64), np.full(m, _O["replied"], dtype=np.int64))


def simulate_touches(org: Org, deals: Deals, reps: I64, intensity: float,
                     rng: np.random.Generator) -> Touches:
    """Every activity of one block in the window: deal work, account care, replies, posts."""
    clock = org.clock
    start, end = clock.start_utc, clock.end_utc
    social_customer = deals.c_channel == CHANNELS.index("social")

    # deal work on the kept deals: diligent sellers and deals that get further see more
    kept = np.flatnonzero(deals.o_kept)
    open_reached = deals.o_reached[kept, :OPEN_STAGES].sum(axis=1)
    owner = deals.o_owner[kept]
    lo = np.maximum(deals.o_t[kept], start)
    span = (deals.o_end(end)[kept] - lo) / (deals.o_end(end)[kept] - deals.o_t[kept] + 1)
    rate = (intensity * (ACTIVITY_DILIGENCE[0] + ACTIVITY_DILIGENCE[1] * org.diligence[owner])
            * (ACTIVITY_STAGE[0] + ACTIVITY_STAGE[1] * open_reached) * span)
    count = rng.poisson(rate)
    row = np.repeat(np.arange(len(kept)), count)
    opp = kept[row]
    holder = owner[row]
    deal_work = _touch(org, rng, holder, deals.o_customer[opp], opp,
                       social_customer[deals.o_customer[opp]], lo[row], deals.o_end(end)[opp])

    # account care for buying customers, until they churn
    won = deals.o_status == 1
    first_win = np.full(deals.n_customers, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_win, deals.o_customer[won], deals.o_close[won])
    first_win = np.where(deals.c_legacy, start, np.maximum(first_win, start))
    care_end = np.minimum(deals.c_life_end, end - 1)
    buyers = np.flatnonzero(first_win < care_end)
    months = (care_end[buyers] - first_win[buyers]) / MONTH_S
    diligence = org.diligence[deals.c_rep[buyers]]
    care_count = rng.poisson(CARE_PER_MONTH * months
                             * (ACTIVITY_DILIGENCE[0] + ACTIVITY_DILIGENCE[1] * diligence))
    cust = np.repeat(buyers, care_count)
    care_holder = deals.c_rep[cust]
    care = _touch(org, rng, care_holder, cust, np.full(len(cust), -1, dtype=np.int64),
                  social_customer[cust], first_win[cust], care_end[cust])

    # social posts: no customer, no deal
    active_months = np.maximum(org.active_to[reps] - org.active_from[reps], 0) * DAY_S / MONTH_S
    posts = rng.poisson(SOCIAL_POSTS_PER_MONTH * active_months
                        * (ACTIVITY_DILIGENCE[0] + ACTIVITY_DILIGENCE[1] * org.diligence[reps]))
    poster = np.repeat(reps, posts)
    m = len(poster)
    p_lo = clock.at(org.active_from[poster], 0)
    p_hi = clock.at(np.maximum(org.active_to[poster], org.active_from[poster] + 1), 0) - 1
    social = Touches(poster, np.full(m, -1, dtype=np.int64), np.full(m, -1, dtype=np.int64),
                     np.full(m, _K["social"], dtype=np.int64), np.zeros(m, bool),
                     _spread(org, rng, p_lo, p_hi), np.full(m, -1, dtype=np.int64),
                     np.full(m, _O["posted"], dtype=np.int64))

    replies = [_replies(org, rng, deal_work, holder), _replies(org, rng, care, care_holder)]
    return Touches.concat([deal_work, care, *replies, social])


def activities_table(org: Org, touches: Touches, first_id: int, customer_ids: I64,
                     opportunity_ids: I64) -> pa.Table:
    n = len(touches.t)
    has_customer = touches.customer >= 0
    has_opp = touches.opportunity >= 0
    return arrays.build("activities", {
        "activity_id": arrays.ids("A", np.arange(first_id, first_id + n, dtype=np.int64), 9),
        "rep_id": org.rep_ids(touches.rep),
        "customer_id": arrays.ids("C", customer_ids[np.maximum(touches.customer, 0)], 8,
                                  has_customer),
        "opportunity_id": arrays.ids("O", opportunity_ids[np.maximum(touches.opportunity, 0)], 8,
                                     has_opp),
        "kind": arrays.pick(ACTIVITY_KINDS, touches.kind),
        "direction": arrays.pick(DIRECTIONS, touches.inbound.astype(np.int64)),
        "occurred_at": arrays.timestamps(touches.t),
        "duration_s": arrays.integers(np.maximum(touches.duration, 0), touches.duration >= 0),
        "outcome": arrays.pick(OUTCOMES, touches.outcome),
    })


@dataclass(frozen=True, eq=False)
class Surveys:
    customer: I64
    rep: I64
    t: I64
    csat: I64  # -1: not answered
    nps: I64  # -1: not answered
    band: I64  # 0 unhappy, 1 neutral, 2 happy
    commented: Bool


def simulate_surveys(org: Org, deals: Deals, orders: Orders, rng: np.random.Generator) -> Surveys:
    """CSAT/NPS answers after wins, losses and repeat orders; satisfaction follows skill."""
    clock = org.clock
    end = clock.end_utc
    status = deals.o_status
    p = np.where(status == 1, SURVEY_AFTER_WIN, np.where(status == 2, SURVEY_AFTER_LOSS, 0.0))
    deal = np.flatnonzero(rng.random(len(status)) < p)
    d_t = clock.business(deals.o_close[deal] + rng.integers(2 * DAY_S, 20 * DAY_S, len(deal)),
                         8, 21)
    d_event = np.where(status[deal] == 1, CSAT_EVENT["won"], CSAT_EVENT["lost"])
    repeat = np.flatnonzero(orders.repeat & (rng.random(len(orders.t)) < SURVEY_AFTER_REPEAT))
    r_t = clock.business(orders.t[repeat] + rng.integers(1 * DAY_S, 10 * DAY_S, len(repeat)), 8, 21)

    customer = np.concatenate([deals.o_customer[deal], orders.customer[repeat]])
    rep = np.concatenate([deals.o_final[deal], orders.rep[repeat]])
    t = np.concatenate([d_t, r_t])
    event = np.concatenate([d_event, np.full(len(repeat), CSAT_EVENT["repeat"])])
    keep = (t >= clock.start_utc) & (t < end)
    customer, rep, t, event = customer[keep], rep[keep], t[keep], event[keep]
    order = np.argsort(t, kind="stable")
    customer, rep, t, event = customer[order], rep[order], t[order], event[order]
    n = len(t)

    s = CSAT_BASE + CSAT_SKILL * (org.skill[rep] - 0.5) + event + rng.normal(0, CSAT_NOISE, n)
    csat = np.clip(np.rint(s), 1, 5).astype(np.int64)
    nps = np.clip(np.rint(2 * s - 0.5 + rng.normal(0, 1.2, n)), 0, 10).astype(np.int64)
    u = rng.random(n)
    csat = np.where(u < 0.03, -1, csat)
    nps = np.where((u >= 0.03) & (u < 0.11), -1, nps)
    band = np.where(s < 2.5, 0, np.where(s < 3.5, 1, 2)).astype(np.int64)
    return Surveys(customer, rep, t, csat, nps, band, rng.random(n) < 0.25)


def surveys_table(org: Org, surveys: Surveys, first_id: int, customer_ids: I64,
                  rng: np.random.Generator) -> pa.Table:
    n = len(surveys.t)
    pools = org.words.survey_comments
    words = [c for pool in pools for c in pool]
    offsets = np.cumsum([0] + [len(p) for p in pools])[:-1]
    sizes = np.array([len(p) for p in pools])
    comment = offsets[surveys.band] + rng.integers(0, 1 << 30, n) % sizes[surveys.band]
    return arrays.build("surveys", {
        "survey_id": arrays.ids("SV", np.arange(first_id, first_id + n, dtype=np.int64), 8),
        "customer_id": arrays.ids("C", customer_ids[surveys.customer], 8),
        "rep_id": org.rep_ids(surveys.rep),
        "answered_at": arrays.timestamps(surveys.t),
        "csat": arrays.integers(np.maximum(surveys.csat, 1), surveys.csat >= 0),
        "nps": arrays.integers(np.maximum(surveys.nps, 0), surveys.nps >= 0),
        "comment": arrays.pick(words, comment.astype(np.int64), surveys.commented),
    })
