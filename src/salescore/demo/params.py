"""The planted effects: every number that shapes the demo organisation, in one place.

``docs/demo.md`` documents each constant here with its meaning, and the tests in ``tests/demo``
check that each effect can be recovered from the generated tables. Change a number here and the
docs must change with it.

>>> round(win_multiplier(0.5), 2)
1.0
>>> PRODUCTS[0].code, PRODUCTS[0].base_win
('starter', 0.4)
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_S = 86_400
HOUR_S = 3_600

# Hidden rep traits, each drawn independently from Beta(a, b) on [0, 1].
SKILL_BETA = (2.0, 2.0)
DILIGENCE_BETA = (2.0, 2.0)
COLLABORATION_BETA = (2.0, 2.0)

# Win probability of an opportunity (decided when it is created):
#   p = clip(base_win[product] * win_multiplier(skill) * channel_win[channel]
#            * season_win[quarter of created_at] * ramp(tenure) + uplift * trained, P_MIN, P_MAX)
SKILL_WIN = (0.6, 0.8)  # win_multiplier(skill) = 0.6 + 0.8 * skill
P_MIN, P_MAX = 0.01, 0.95
RAMP_START = 0.7  # a new hire starts at 70 % of their odds ...
RAMP_DAYS = 180  # ... rising linearly to 100 % after 180 days of tenure
TRAINING_UPLIFT = 0.10  # + 10 percentage points after an effective training
EFFECTIVE_TRAININGS = ("coaching", "vr_simulation")
TRAINED_SHARE = 0.45  # of the eligible sellers receive one effective training
TRAINING_FROM_MONTH = 8  # completed between window month 8 ...
TRAINING_TO_MONTH = 16  # ... and month 16 (months counted from the window start)
SEASON_WIN = (0.92, 1.0, 1.0, 1.08)  # by calendar quarter of created_at (Q1..Q4)

# Cycle: each open stage lasts
#   cycle_days[product] * segment_cycle[segment] * speed(skill) * STAGE_SHARE[stage] * LN(0, sigma)
SKILL_SPEED = (1.3, -0.6)  # speed(skill) = 1.3 - 0.6 * skill  (skilled reps close faster)
STAGE_SHARE = (0.12, 0.16, 0.24, 0.24, 0.24)  # lead, qualified, discovery, proposal, negotiation
STAGE_SIGMA = 0.45
# A lost deal drops out at one of the open stages with these probabilities, then enters "lost"
# after U(0.5, 1.5) x that stage's duration; STALL_SHARE of them linger in the stage for another
# LN(log(STALL_MEDIAN_DAYS), 0.6) days first (a stale pipeline).
LOST_DROP = (0.30, 0.25, 0.20, 0.15, 0.10)
# E21: a seller below LOW_SKILL stalls at proposal: their lost deals' proposal weight grows by
# PROPOSAL_STALL x (LOW_SKILL - skill) / LOW_SKILL (+0.45 at skill 0), the others keep theirs.
LOW_SKILL = 0.5
PROPOSAL_STALL = 0.45
STALL_STAGE = 3  # proposal
# E22: a deal quoted at proposal was opened with an estimate of amount x LN(0, ESTIMATE_SIGMA).
ESTIMATE_SIGMA = 0.3
# E23: SLIP_SHARE of the deals were first expected SLIP_DAYS (uniform) earlier; when that date
# passed with the deal open, the rep moved it SLIP_NOTICE_DAYS (uniform) later.
SLIP_SHARE = 0.4
SLIP_DAYS = (14, 42)
SLIP_NOTICE_DAYS = (0, 7)
LOST_DELAY = (0.5, 1.5)
STALL_SHARE = 0.3
STALL_MEDIAN_DAYS = 75.0
STALL_SIGMA = 0.6
SKILL_AMOUNT = (0.85, 0.3)  # amount multiplier = 0.85 + 0.3 * skill
AMOUNT_SIGMA = 0.5
EXPECTED_CLOSE = (0.6, 1.0)  # expected_close_date = created + cycle * U(0.6, 1.0): optimistic


@dataclass(frozen=True, slots=True)
class Product:
    """A product line and its economics (amounts in EUR; CNY amounts are x CNY_PER_EUR)."""

    code: str
    base_win: float
    median_amount: float
    cycle_days: float
    repeat_days: int  # 0: no repeat orders
    repeat_share: float  # repeat order = share of the deal amount


PRODUCTS: tuple[Product, ...] = (
    Product("starter", 0.40, 6_000, 45, 60, 0.15),
    Product("professional", 0.30, 24_000, 90, 90, 0.20),
    Product("enterprise", 0.22, 90_000, 150, 90, 0.20),
    Product("analytics", 0.38, 12_000, 60, 60, 0.12),
    Product("services", 0.35, 20_000, 70, 0, 0.0),
)
CNY_PER_EUR = 7.8

SEGMENTS = ("smb", "mid_market", "enterprise")
# Product mix by segment (rows follow SEGMENTS, columns follow PRODUCTS).
PRODUCT_MIX = (
    (0.50, 0.25, 0.02, 0.15, 0.08),
    (0.20, 0.40, 0.10, 0.15, 0.15),
    (0.03, 0.25, 0.40, 0.12, 0.20),
)
SEGMENT_AMOUNT = (0.6, 1.0, 2.2)
SEGMENT_CYCLE = (0.7, 1.0, 1.5)
# Monthly churn hazard of a customer: base[segment] * (1.5 - owner skill).
CHURN_MONTHLY = (0.035, 0.018, 0.009)
CHURN_SKILL = (1.5, -1.0)

# Leaf teams focus on one segment; the segment mix of their customers (rows: team focus).
TEAM_FOCUS = ("mid_market", "smb", "enterprise")  # cycled within each region
FOCUS_SEGMENT_MIX = {
    "smb": (0.80, 0.18, 0.02),
    "mid_market": (0.15, 0.70, 0.15),
    "enterprise": (0.05, 0.30, 0.65),
}

CHANNELS = ("website", "social", "referral", "event", "partner", "outbound")
CHANNEL_MIX = {
    "en": (0.25, 0.15, 0.15, 0.12, 0.13, 0.20),
    "zh_CN": (0.15, 0.28, 0.20, 0.12, 0.10, 0.15),
}
CHANNEL_WIN = (1.0, 0.85, 1.35, 1.0, 1.15, 0.75)

# Opportunity creation volume by calendar month (Jan..Dec).
SEASON_VOLUME = {
    "en": (0.85, 1.0, 1.1, 1.0, 1.0, 1.05, 0.85, 0.6, 1.15, 1.1, 1.15, 0.75),
    "zh_CN": (1.0, 0.55, 1.15, 1.0, 0.95, 1.05, 0.95, 0.95, 1.1, 0.8, 1.15, 1.2),
}
WEEKEND_WEIGHT = 0.08  # a Saturday or Sunday gets 8 % of a weekday's events
DEAL_RATE_DILIGENCE = (0.7, 0.6)  # deals a seller opens per day ∝ 0.7 + 0.6 * diligence
# A new deal is for a new customer with this probability, else for one of the seller's existing
# customers (created earlier and not churned). Each seller starts with an account book built over
# up to BOOK_YEARS before the simulation start; deals are simulated from WARMUP_DAYS before the
# window so that the window starts with a pipeline already open.
NEW_CUSTOMER_SHARE = 0.4
BOOK_YEARS = 5
WARMUP_DAYS = 183
LEGACY_BUYER_SHARE = 0.45  # book customers already buying (repeat orders) when the window opens

# Activities on an opportunity: Poisson(intensity * (0.5 + diligence) * (0.5 + 0.25 * open stages
# entered)); intensity is 9 on the small scale and 5.7 on the others (ScaleSpec.activity_intensity).
ACTIVITY_DILIGENCE = (0.5, 1.0)
ACTIVITY_STAGE = (0.5, 0.25)
INBOUND_SHARE = 0.22
CARE_PER_MONTH = 0.25  # account-care touches per month x (0.5 + diligence) once a customer buys
SOCIAL_POSTS_PER_MONTH = 1.5  # social posts (no customer) per seller and month x (0.5 + diligence)
ACTIVITY_KINDS = ("call", "email", "meeting", "visit", "demo", "message", "social")
OUTBOUND_MIX = {  # (field team, inside team)
    "en": ((0.22, 0.30, 0.15, 0.12, 0.08, 0.05, 0.08),
           (0.38, 0.33, 0.07, 0.01, 0.07, 0.06, 0.08)),
    "zh_CN": ((0.22, 0.08, 0.12, 0.18, 0.07, 0.25, 0.08),
              (0.35, 0.06, 0.05, 0.02, 0.06, 0.36, 0.10)),
}
SOCIAL_CHANNEL_BOOST = 3.0  # customers from the social channel get 3x the social touches
INBOUND_MIX = {
    "en": (0.15, 0.35, 0.0, 0.0, 0.0, 0.40, 0.10),
    "zh_CN": (0.15, 0.15, 0.0, 0.0, 0.0, 0.60, 0.10),
}
# An inbound email, message or social touch gets an outbound reply with probability
# 0.55 + 0.4 * diligence, after LN(log(median), 0.9) hours, median = 1 + 23 * (1 - diligence).
REPLY_PROBABILITY = (0.55, 0.4)
REPLY_MEDIAN_HOURS = (1.0, 23.0)
REPLY_SIGMA = 0.9

# Orders: one at the win (the deal amount), then repeats every repeat_days * U(0.85, 1.15)
# worth repeat_share * LN(0, 0.2) of the deal until the customer churns; 2 % of initial orders
# are partly refunded (a negative order) 3-30 days later.
REFUND_SHARE = 0.02

# Surveys: after a win (45 % answer), a loss (20 %) and a repeat order (5 %).
SURVEY_AFTER_WIN = 0.45
SURVEY_AFTER_LOSS = 0.20
SURVEY_AFTER_REPEAT = 0.05
# latent satisfaction s = 3.6 + 2.0 * (skill - 0.5) + event + N(0, 0.75)
CSAT_BASE = 3.6
CSAT_SKILL = 2.0
CSAT_EVENT = {"won": 0.4, "lost": -0.6, "repeat": 0.2}
CSAT_NOISE = 0.75
# nps = round(2 * s - 0.5 + N(0, 1.2)), csat = round(s), both clipped to their ranges

# Peer reviews: every quarter each active seller reviews 3 peers (25 % outside the team).
REVIEWS_PER_QUARTER = 3
REVIEW_CROSS_TEAM = 0.25
# collaboration = round(1.4 + 3.2 * collab + bias + N(0, 0.6)); bias ~ N(0, 0.3) per reviewer
# communication = round(1.6 + 1.6 * collab + 1.2 * diligence + bias + N(0, 0.6))
REVIEW_COLLABORATION = (1.4, 3.2)
REVIEW_COMMUNICATION = (1.6, 1.6, 1.2)

# Assists given per active month: Poisson(0.15 + 1.2 * collaboration); 25 % to another team.
ASSIST_RATE = (0.15, 1.2)
ASSIST_CROSS_TEAM = 0.25
ASSIST_KIND_MIX = (0.30, 0.40, 0.30)  # referral, joint_visit, knowledge_share
ASSIST_POINTS = {"referral": 5.0, "joint_visit": 3.0, "knowledge_share": 2.0, "handover": 1.0}

# Headcount movement among sellers.
NEW_HIRE_SHARE = 0.15  # hired during the first 20 months of the window
LEAVER_SHARE = 0.10  # leave during the window; a teammate takes over accounts and open deals

# Targets: expected output x a stretch of U(1.0, 1.2) per rep.
TARGET_STRETCH = (1.0, 1.2)


def win_multiplier(skill: float) -> float:
    """The skill factor of the win probability."""
    return SKILL_WIN[0] + SKILL_WIN[1] * skill
