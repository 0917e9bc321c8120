"""Customers, opportunities, their stage history, and the orders they turn into (one block of reps).

Each seller opens deals at a steady, seasonal rate; a deal is for a new customer or for one of
the seller's existing accounts. Every deal's fate is decided when it is created (won or lost,
when, and at which stage a lost deal drops out); the window then cuts the story: deals closed
before it are left out, a deal whose close lies after its end is still open, in the last stage it
entered. Deals are simulated from a warm-up before the window, so the window opens with a
pipeline already in flight. See ``docs/demo.md`` for every effect.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from salescore.demo import arrays
from salescore.demo.params import (
    AMOUNT_SIGMA,
    BOOK_YEARS,
    CHANNEL_MIX,
    CHANNEL_WIN,
    CHANNELS,
    CHURN_MONTHLY,
    CHURN_SKILL,
    CNY_PER_EUR,
    DAY_S,
    EXPECTED_CLOSE,
    FOCUS_SEGMENT_MIX,
    HOUR_S,
    LEGACY_BUYER_SHARE,
    LOST_DELAY,
    LOST_DROP,
    LOW_SKILL,
    NEW_CUSTOMER_SHARE,
    P_MAX,
    P_MIN,
    PRODUCT_MIX,
    PRODUCTS,
    PROPOSAL_STALL,
    RAMP_DAYS,
    RAMP_START,
    REFUND_SHARE,
    SEASON_WIN,
    SEGMENT_AMOUNT,
    SEGMENT_CYCLE,
    SEGMENTS,
    SKILL_AMOUNT,
    SKILL_SPEED,
    SKILL_WIN,
    STAGE_SHARE,
    STAGE_SIGMA,
    STALL_MEDIAN_DAYS,
    STALL_SHARE,
    STALL_SIGMA,
    STALL_STAGE,
    TEAM_FOCUS,
    TRAINING_UPLIFT,
)
from salescore.demo.people import Org
from salescore.demo.sampling import by_group, categorical, lognormal_median, within
from salescore.demo.vocab import INDUSTRY_WEIGHTS, vocabulary
from salescore.model.org import Pipeline

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

STAGES = Pipeline().stage_names()  # lead .. negotiation, won, lost
OPEN_STAGES = 5
WON, LOST = STAGES.index("won"), STAGES.index("lost")
STATUSES = ("open", "won", "lost")
MONTH_S = int(30.44 * DAY_S)
PICK_TRIES = 3  # draws of an existing account before a deal goes to a new customer instead


def owner_at(org: Org, rep: I64, t: I64) -> I64:
    """Who holds ``rep``'s accounts at ``t``: the rep, or their successor once they have left."""
    return np.where(t >= org.leave_t[rep], org.successor[rep], rep)


def money_unit(org: Org) -> tuple[float, int]:
    """(local currency per EUR, rounding unit): amounts are whole tens of EUR or hundreds of CNY."""
    return (CNY_PER_EUR, 100) if org.config.locale == "zh_CN" else (1.0, 10)


def deal_amount_cents(org: Org, rng: np.random.Generator, product: I64, segment: I64,
                      skill: F64) -> I64:
    """Deal amounts in cents of the local currency, rounded to the money unit."""
    per_eur, unit = money_unit(org)
    median = (np.array([p.median_amount for p in PRODUCTS])[product]
              * np.asarray(SEGMENT_AMOUNT)[segment]
              * (SKILL_AMOUNT[0] + SKILL_AMOUNT[1] * skill) * per_eur)
    amount = lognormal_median(rng, median, AMOUNT_SIGMA, len(product))
    return np.maximum(np.rint(amount / unit), 1).astype(np.int64) * unit * 100


@dataclass(frozen=True, eq=False)
class Deals:
    """One block's accounts and every simulated deal (local indices; ids are assigned on output).

    Deals closed before the window are simulated (their customers keep buying) but not kept.
    """

    c_rep: I64  # who acquired the customer
    c_t: I64
    c_segment: I64
    c_industry: I64
    c_channel: I64
    c_life_end: I64  # the customer stops buying (churns) here; may lie after the window
    c_legacy: Bool  # already buying before the simulation started
    o_customer: I64
    o_owner: I64  # the seller who opened it
    o_final: I64  # owner at the close (or at the window end when open)
    o_t: I64
    o_product: I64
    o_cents: I64
    o_entered: I64  # (n, 7) when each stage was entered
    o_reached: Bool  # (n, 7) which stages were entered before the window end
    o_close: I64  # when it closes (or would close, after the window)
    o_status: I64  # index into STATUSES, as of the window end
    o_stage: I64  # index into STAGES
    o_drop: I64  # the open stage a lost deal drops out of
    o_expected_day: I64  # epoch day
    o_kept: Bool  # created in the window, or still open when it starts

    @property
    def n_customers(self) -> int:
        return len(self.c_rep)

    @property
    def n_opportunities(self) -> int:
        return len(self.o_customer)

    def o_end(self, end: int) -> I64:
        """When each deal stops being worked: its close, or the window's last second."""
        return np.where(self.o_status > 0, self.o_close, end - 1)


def _new_accounts(org: Org, rng: np.random.Generator, rep: I64, t: I64
                  ) -> tuple[I64, I64, I64, I64]:
    """Segment, industry, channel and churn moment of accounts ``rep`` acquires at ``t``."""
    n = len(rep)
    focus_mix = np.array([FOCUS_SEGMENT_MIX[f] for f in TEAM_FOCUS])
    segment = by_group(rng, focus_mix, org.team_focus[org.rep_team[rep]])
    industry = categorical(rng, INDUSTRY_WEIGHTS, n)
    channel = categorical(rng, CHANNEL_MIX[org.config.locale], n)
    hazard = np.asarray(CHURN_MONTHLY)[segment] * (CHURN_SKILL[0] + CHURN_SKILL[1] * org.skill[rep])
    life_end = t + (rng.exponential(1.0, n) / hazard * MONTH_S).astype(np.int64)
    return segment, industry, channel, life_end


def _drop_stage(rng: np.random.Generator, skill: F64) -> I64:
    """The open stage each lost deal drops out of (E9), with a seller below ``LOW_SKILL``
    stalling at proposal more often (E21). One uniform per deal, compared with each row's
    cumulative weights as ``Generator.choice`` does, so that a seller at or above
    ``LOW_SKILL`` draws exactly what ``categorical(rng, LOST_DROP, n)`` would."""
    weights = np.tile(np.asarray(LOST_DROP, dtype=np.float64), (len(skill), 1))
    weights[:, STALL_STAGE] += PROPOSAL_STALL * np.clip((LOW_SKILL - skill) / LOW_SKILL, 0, 1)
    cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(skill))
    return np.minimum((cdf <= u[:, None]).sum(axis=1), len(LOST_DROP) - 1).astype(np.int64)


def simulate_deals(org: Org, reps: I64, rng: np.random.Generator) -> Deals:
    """Accounts and deals of the sellers ``reps`` (one block)."""
    clock = org.clock
    start, end = clock.start_utc, clock.end_utc
    season = org.season

    # the deals each seller opens, in time order per seller
    lo, hi = org.sim_from[reps], org.active_to[reps]
    count = rng.poisson(org.expected_deals(org.sim_from, org.active_to)[reps])
    o_rep = np.repeat(reps, count)
    o_day = clock.sample_days(rng, season, np.repeat(lo, count), np.repeat(hi, count))
    # raw moments over the whole day: business() squeezes them, and every later stage, into
    # business hours with one monotone map
    o_raw = clock.at(o_day, rng.integers(0, DAY_S, len(o_rep)))
    order = np.lexsort((o_raw, o_rep))
    o_rep, o_raw = o_rep[order], o_raw[order]
    o_t = clock.business(o_raw)
    n = len(o_rep)

    # each seller's account book from the years before the simulation start
    book_lo = np.maximum(org.hire_day[reps] + 14, org.sim_from[reps] - BOOK_YEARS * 365)
    book_hi = org.sim_from[reps]
    book_expected = (org.deal_rate * org.deal_weight()[reps] * NEW_CUSTOMER_SHARE
                     * clock.weight(season, book_lo, book_hi))
    book_count = rng.poisson(book_expected)
    b_rep = np.repeat(reps, book_count)
    b_day = clock.sample_days(rng, season, np.repeat(book_lo, book_count),
                              np.repeat(np.maximum(book_hi, book_lo + 1), book_count))
    b_t = clock.at(b_day, rng.integers(9 * HOUR_S, 18 * HOUR_S, len(b_rep)))
    b_segment, b_industry, b_channel, b_life = _new_accounts(org, rng, b_rep, b_t)
    alive = b_life > clock.at(org.sim_from[b_rep], 0)
    b_rep, b_t, b_segment, b_industry, b_channel, b_life = (
        a[alive] for a in (b_rep, b_t, b_segment, b_industry, b_channel, b_life))

    # a deal goes to a new customer, or to an earlier, still active account of the seller
    new = rng.random(n) < NEW_CUSTOMER_SHARE
    lag = (rng.geometric(0.3, n) - 1) * DAY_S + rng.integers(0, 2 * HOUR_S, n)
    n_t = o_t[new] - lag[new]
    n_segment, n_industry, n_channel, n_life = _new_accounts(org, rng, o_rep[new], n_t)
    cand_rep = np.concatenate([b_rep, o_rep[new]])
    cand_t = np.concatenate([b_t, n_t])
    cand_life = np.concatenate([b_life, n_life])
    by_key = np.lexsort((cand_t, cand_rep))
    horizon = np.int64(1) << 40
    keys = cand_rep[by_key] * horizon + (cand_t[by_key] - start + (horizon >> 1))
    first = np.searchsorted(keys, o_rep * horizon)
    before = np.searchsorted(keys, o_rep * horizon + (o_t - start + (horizon >> 1))) - first
    pick = np.full(n, -1, dtype=np.int64)
    for _ in range(PICK_TRIES if len(by_key) else 0):
        want = ~new & (pick < 0) & (before > 0)
        slot = first + (rng.random(n) * np.maximum(before, 1)).astype(np.int64)
        draw = by_key[np.clip(slot, 0, len(by_key) - 1)]
        pick = np.where(want & (cand_life[draw] > o_t), draw, pick)
    late_new = ~new & (pick < 0)  # nobody to return to: a new customer after all
    l_t = o_t[late_new] - lag[late_new]
    l_segment, l_industry, l_channel, l_life = _new_accounts(org, rng, o_rep[late_new], l_t)

    # accounts: the book, then the new customers of deals (in deal order), then the late ones
    nb, nn = len(b_rep), int(new.sum())
    c_rep = np.concatenate([b_rep, o_rep[new], o_rep[late_new]])
    c_t = np.concatenate([b_t, n_t, l_t])
    c_segment = np.concatenate([b_segment, n_segment, l_segment])
    c_industry = np.concatenate([b_industry, n_industry, l_industry])
    c_channel = np.concatenate([b_channel, n_channel, l_channel])
    c_life = np.concatenate([b_life, n_life, l_life])
    c_legacy = np.zeros(len(c_rep), dtype=bool)
    c_legacy[:nb] = rng.random(nb) < LEGACY_BUYER_SHARE
    customer = pick.copy()
    customer[new] = nb + np.arange(nn)
    customer[late_new] = nb + nn + np.arange(int(late_new.sum()))

    # the deal itself
    owner = o_rep
    segment = c_segment[customer]
    product = by_group(rng, np.asarray(PRODUCT_MIX), segment)
    channel = c_channel[customer]
    skill = org.skill[owner]
    cents = deal_amount_cents(org, rng, product, segment, skill)
    quarter = (clock.month(clock.day_of(o_t)) - 1) // 3
    tenure = (o_t - org.hire_t[owner]) / DAY_S
    ramp = np.clip(RAMP_START + (1 - RAMP_START) * tenure / RAMP_DAYS, RAMP_START, 1.0)
    trained = o_t >= org.trained_t[owner]
    base = np.array([p.base_win for p in PRODUCTS])[product]
    p_win = (base * (SKILL_WIN[0] + SKILL_WIN[1] * skill) * np.asarray(CHANNEL_WIN)[channel]
             * np.asarray(SEASON_WIN)[quarter] * ramp + TRAINING_UPLIFT * trained)
    p_win = np.clip(p_win, P_MIN, P_MAX)
    won = rng.random(n) < p_win

    # its stages: durations scale with the product, the segment and the seller's speed
    cycle = (np.array([p.cycle_days for p in PRODUCTS])[product]
             * np.asarray(SEGMENT_CYCLE)[segment] * (SKILL_SPEED[0] + SKILL_SPEED[1] * skill))
    stage_s = (cycle[:, None] * np.asarray(STAGE_SHARE)[None, :] * DAY_S
               * np.exp(rng.normal(0.0, STAGE_SIGMA, (n, OPEN_STAGES)))).astype(np.int64)
    entered = np.empty((n, OPEN_STAGES), dtype=np.int64)
    entered[:, 0] = o_raw
    entered[:, 1:] = o_raw[:, None] + np.cumsum(stage_s[:, :-1], axis=1)
    drop = _drop_stage(rng, skill)
    rows = np.arange(n)
    stall = np.where(rng.random(n) < STALL_SHARE,
                     lognormal_median(rng, STALL_MEDIAN_DAYS, STALL_SIGMA, n) * DAY_S, 0.0)
    lost_at = entered[rows, drop] + (stage_s[rows, drop] * rng.uniform(*LOST_DELAY, n)
                                     + stall).astype(np.int64)
    close = clock.business(np.where(won, entered[:, -1] + stage_s[:, -1], lost_at))
    entered = clock.business(entered.reshape(-1)).reshape(n, OPEN_STAGES)

    closed = close < end
    status = np.where(closed, np.where(won, 1, 2), 0)
    stages = np.arange(OPEN_STAGES)[None, :]
    reached_open = (won[:, None] | (stages <= drop[:, None])) & (entered < end)
    o_entered = np.concatenate([entered, close[:, None], close[:, None]], axis=1)
    o_reached = np.concatenate(
        [reached_open, (closed & won)[:, None], (closed & ~won)[:, None]], axis=1)
    stage = np.where(status == 1, WON,
                     np.where(status == 2, LOST, reached_open.sum(axis=1) - 1)).astype(np.int64)
    final = owner_at(org, owner, np.where(closed, close, end))
    expected = o_raw + (cycle * rng.uniform(*EXPECTED_CLOSE, n) * DAY_S).astype(np.int64)

    return Deals(
        c_rep=c_rep, c_t=c_t, c_segment=c_segment, c_industry=c_industry, c_channel=c_channel,
        c_life_end=c_life, c_legacy=c_legacy, o_customer=customer, o_owner=owner, o_final=final,
        o_t=o_t, o_product=product, o_cents=cents, o_entered=o_entered, o_reached=o_reached,
        o_close=close, o_status=status.astype(np.int64), o_stage=stage, o_drop=drop,
        o_expected_day=clock.epoch_day(expected), o_kept=close >= start,
    )


def customers_table(org: Org, deals: Deals, kept: I64, first_id: int) -> pa.Table:
    """The block's ``customers`` (local indices ``kept``); ids count up from ``first_id``."""
    nc = len(kept)
    words = org.words
    rng = np.random.default_rng([org.config.seed, 7, first_id])
    pool_a, pool_b = company_words(org.config.locale, org.words.faker_locale, org.config.seed)
    first = arrays.pick(pool_a, rng.integers(0, len(pool_a), nc))
    suffix = arrays.pick(words.company_suffixes, rng.integers(0, len(words.company_suffixes), nc))
    industry = deals.c_industry[kept]
    region = org.rep_region[deals.c_rep[kept]]
    if org.config.locale == "zh_CN":  # 杭州 + 恒聪 + 物流 + 有限公司, in a city of the region
        cities = [c for r in words.region_cities for c in r]
        start = np.cumsum([0] + [len(r) for r in words.region_cities])[:-1]
        size = np.array([len(r) for r in words.region_cities])
        city = start[region] + rng.integers(0, 1 << 30, nc) % size[region]
        name = pc.binary_join_element_wise(
            arrays.pick(cities, city.astype(np.int64)), first,
            arrays.pick(words.industry_words, industry), suffix, "")
    else:  # Baker Logistics Ltd, Baker & Jones GmbH
        second = arrays.pick(pool_b, rng.integers(0, len(pool_b), nc))
        name = pc.binary_join_element_wise(first, second, suffix, " ")
    rep = deals.c_rep[kept]
    return arrays.build("customers", {
        "customer_id": arrays.ids("C", np.arange(first_id, first_id + nc, dtype=np.int64), 8),
        "name": name,
        "segment": arrays.pick(SEGMENTS, deals.c_segment[kept]),
        "industry": arrays.pick(words.industries, industry),
        "region": arrays.pick(words.regions, region),
        "channel": arrays.pick(CHANNELS, deals.c_channel[kept]),
        "owner_rep_id": org.rep_ids(owner_at(org, rep, np.full(nc, org.clock.end_utc - 1))),
        "created_at": arrays.timestamps(deals.c_t[kept]),
    })


@functools.lru_cache(maxsize=4)
def company_words(locale: str, faker_locale: str, seed: int) -> tuple[list[str], list[str]]:
    """Two word pools for company names, drawn from Faker once per organisation."""
    fake = Faker(faker_locale)
    fake.seed_instance(seed + 1)
    if locale == "zh_CN":
        return sorted({fake.company_prefix() for _ in range(3000)}), []
    surnames = sorted({fake.last_name() for _ in range(5000)})
    partners = sorted({fake.last_name() for _ in range(400)})
    industry = list(vocabulary("en").industry_words)
    return surnames, [f"& {s}" for s in partners] + industry * 40


def opportunities_table(org: Org, deals: Deals, kept: I64, first_id: int,
                        customer_ids: I64) -> pa.Table:
    """The block's kept ``opportunities``; ids count up from ``first_id``.

    ``customer_ids`` maps a local customer index to its global number.
    """
    n = len(kept)
    rng = np.random.default_rng([org.config.seed, 8, first_id])
    status = deals.o_status[kept]
    closed = status > 0
    lost = status == 2
    words = org.words
    reasons = list(words.lost_early) + list(words.lost_late)
    late = deals.o_drop[kept] >= 2
    reason = rng.integers(0, len(words.lost_early), n) + np.where(late, len(words.lost_early), 0)
    return arrays.build("opportunities", {
        "opportunity_id": arrays.ids("O", np.arange(first_id, first_id + n, dtype=np.int64), 8),
        "customer_id": arrays.ids("C", customer_ids[deals.o_customer[kept]], 8),
        "owner_rep_id": org.rep_ids(deals.o_final[kept]),
        "product": arrays.pick(words.products, deals.o_product[kept]),
        "channel": arrays.pick(CHANNELS, deals.c_channel[deals.o_customer[kept]]),
        "created_at": arrays.timestamps(deals.o_t[kept]),
        "stage": arrays.pick(STAGES, deals.o_stage[kept]),
        "status": arrays.pick(STATUSES, status),
        "amount": arrays.money(deals.o_cents[kept]),
        "currency": arrays.constant(words.currency, n),
        "expected_close_date": arrays.dates(deals.o_expected_day[kept]),
        "closed_at": arrays.timestamps(np.where(closed, deals.o_close[kept], 0), closed),
        "lost_reason": arrays.pick(reasons, reason.astype(np.int64), lost),
    })


def stage_changes_table(deals: Deals, kept: I64, first_id: int) -> pa.Table:
    """One row per stage each kept deal entered before the window end, in pipeline order."""
    row, stage = np.nonzero(deals.o_reached[kept])
    return arrays.build("stage_changes", {
        "opportunity_id": arrays.ids("O", row.astype(np.int64) + first_id, 8),
        "stage": arrays.pick(STAGES, stage.astype(np.int64)),
        "entered_at": arrays.timestamps(deals.o_entered[kept][row, stage]),
    })


@dataclass(frozen=True, eq=False)
class Orders:
    """One block's orders within the window (local indices; opportunity -1: none)."""

    customer: I64
    rep: I64
    opportunity: I64
    t: I64
    cents: I64
    repeat: Bool  # a repeat purchase (not the order of the win itself)


def _recurring(org: Org, rng: np.random.Generator, since: I64, every_days: F64,
               base_cents: I64, share: F64, until: I64) -> tuple[I64, I64, I64]:
    """Repeat orders every ``every_days`` (x U(0.85, 1.15)) after ``since`` until ``until``.

    Returns (source row, time, cents) of each order.
    """
    interval = (every_days * rng.uniform(0.85, 1.15, len(since)) * DAY_S).astype(np.int64)
    count = np.where(every_days > 0, (until - since) // np.maximum(interval, 1), 0)
    count = np.maximum(count, 0)
    src = np.repeat(np.arange(len(since)), count)
    step = within(count) + 1
    jitter = rng.integers(-2 * DAY_S, 2 * DAY_S, len(src))
    t = org.clock.business(since[src] + step * interval[src] + jitter)
    keep = (t < until[src]) & (t > since[src])
    src, t = src[keep], t[keep]
    unit = money_unit(org)[1]
    amount = base_cents[src] / 100 * share[src] * lognormal_median(rng, 1.0, 0.2, len(src))
    return src, t, np.maximum(np.rint(amount / unit), 1).astype(np.int64) * unit * 100


def simulate_orders(org: Org, deals: Deals, rng: np.random.Generator) -> Orders:
    """Orders in the window: each win, repeats until churn (also of older buyers), refunds."""
    clock = org.clock
    start, end = clock.start_utc, clock.end_utc
    every = np.array([p.repeat_days for p in PRODUCTS], dtype=np.float64)
    shares = np.array([p.repeat_share for p in PRODUCTS])

    won = np.flatnonzero(deals.o_status == 1)
    cust = deals.o_customer[won]
    close = deals.o_close[won]
    cents = deals.o_cents[won]
    rep = deals.o_final[won]
    product = deals.o_product[won]
    until = np.minimum(deals.c_life_end[cust], end)
    src, r_t, r_cents = _recurring(org, rng, close, every[product], cents, shares[product],
                                   until)
    r_cust = cust[src]

    # accounts that were already buying: a subscription of a product with repeat orders
    legacy = np.flatnonzero(deals.c_legacy)
    segment = deals.c_segment[legacy]
    mix = np.asarray(PRODUCT_MIX) * (every > 0)[None, :]
    l_product = by_group(rng, mix, segment)
    l_cents = deal_amount_cents(org, rng, l_product, segment, org.skill[deals.c_rep[legacy]])
    l_every = every[l_product]
    phase = (rng.random(len(legacy)) * l_every * DAY_S).astype(np.int64)
    l_since = clock.at(org.sim_from[deals.c_rep[legacy]], 12 * HOUR_S) + phase - (
        l_every * DAY_S).astype(np.int64)
    l_until = np.minimum(deals.c_life_end[legacy], end)
    l_src, l_t, l_order_cents = _recurring(org, rng, l_since, l_every, l_cents,
                                           shares[l_product], l_until)
    l_cust = legacy[l_src]

    refund = np.flatnonzero(rng.random(len(won)) < REFUND_SHARE)
    f_t = clock.business(close[refund] + rng.integers(3 * DAY_S, 30 * DAY_S, len(refund)))
    keep = (f_t < end) & deals.o_kept[won[refund]]
    refund, f_t = refund[keep], f_t[keep]
    unit = money_unit(org)[1]
    f_amount = cents[refund] / 100 * rng.uniform(0.1, 1.0, len(refund))
    f_cents = -np.maximum(np.rint(f_amount / unit), 1).astype(np.int64) * unit * 100

    customer = np.concatenate([cust, r_cust, l_cust, cust[refund]])
    t = np.concatenate([close, r_t, l_t, f_t])
    holder = owner_at(org, deals.c_rep[customer], t)
    none = np.full(len(r_t) + len(l_t), -1, dtype=np.int64)
    result = Orders(
        customer=customer,
        rep=np.concatenate([rep, holder[len(won): len(won) + len(none)], rep[refund]]),
        opportunity=np.concatenate([won, none, won[refund]]),
        t=t,
        cents=np.concatenate([cents, r_cents, l_order_cents, f_cents]),
        repeat=np.concatenate([np.zeros(len(won), bool), np.ones(len(none), bool),
                               np.zeros(len(refund), bool)]),
    )
    inside = np.flatnonzero((t >= start) & (t < end))
    order = inside[np.argsort(t[inside], kind="stable")]
    return Orders(*(getattr(result, f)[order]
                    for f in ("customer", "rep", "opportunity", "t", "cents", "repeat")))


def orders_table(org: Org, orders: Orders, first_id: int, customer_ids: I64,
                 opportunity_ids: I64) -> pa.Table:
    n = len(orders.t)
    has_opp = orders.opportunity >= 0
    return arrays.build("orders", {
        "order_id": arrays.ids("OD", np.arange(first_id, first_id + n, dtype=np.int64), 9),
        "customer_id": arrays.ids("C", customer_ids[orders.customer], 8),
        "rep_id": org.rep_ids(orders.rep),
        "opportunity_id": arrays.ids("O", opportunity_ids[np.maximum(orders.opportunity, 0)], 8,
                                     has_opp),
        "ordered_at": arrays.timestamps(orders.t),
        "amount": arrays.money(orders.cents),
        "currency": arrays.constant(org.words.currency, n),
    })
