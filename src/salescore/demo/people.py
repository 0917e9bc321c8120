"""The organisation: the team tree, the reps with their hidden traits, and their trainings.

Reps are numbered so that every leaf team is one contiguous run (its manager first, then its
sellers); the deal generator works through blocks of whole teams.

>>> from salescore.demo.config import DemoConfig
>>> org = build_org(DemoConfig())
>>> len(org.rep_role), int((org.rep_role == SELLER).sum())
(50, 40)
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from faker import Faker

from salescore.demo import arrays
from salescore.demo.clock import NEVER, Clock
from salescore.demo.config import DemoConfig
from salescore.demo.params import (
    COLLABORATION_BETA,
    DAY_S,
    DEAL_RATE_DILIGENCE,
    DILIGENCE_BETA,
    EFFECTIVE_TRAININGS,
    HOUR_S,
    LEAVER_SHARE,
    NEW_HIRE_SHARE,
    SEASON_VOLUME,
    SKILL_BETA,
    TEAM_FOCUS,
    TRAINED_SHARE,
    TRAINING_FROM_MONTH,
    TRAINING_TO_MONTH,
    WARMUP_DAYS,
    WEEKEND_WEIGHT,
)
from salescore.demo.vocab import Vocabulary, vocabulary

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

VP, DIRECTOR, MANAGER, SELLER = 0, 1, 2, 3
ROLES = ("vp", "director", "manager", "seller")
TRAINING_KINDS = ("elearning", "workshop", "coaching", "vr_simulation", "ar_demo")
ORDINARY_TRAININGS = (0.55, 0.25, 0.0, 0.0, 0.20)  # kind mix of trainings without an effect
ORDINARY_PER_YEAR = 2.0
STREAM_ORG, STREAM_BLOCK, STREAM_COLLAB, STREAM_TARGETS = 1, 2, 3, 4
WINDOW_SHARE = 0.92  # of a scale's nominal deals are created inside the window


@dataclass(frozen=True, eq=False)
class Org:
    """The team tree and every rep's hidden traits, as numpy arrays indexed by number - 1."""

    config: DemoConfig
    words: Vocabulary
    clock: Clock
    team_parent: I64  # -1 for the root
    team_region: I64  # -1 for the root
    team_focus: I64  # index into TEAM_FOCUS; -1 for the root and the regions
    team_head: I64  # the rep heading each team
    team_names: tuple[str, ...]
    rep_team: I64
    rep_role: I64
    rep_manager: I64  # -1 for the top
    skill: F64
    diligence: F64
    collaboration: F64
    hire_day: I64  # local day index; negative before the window
    active_from: I64  # first day in the window a rep works (14 days after hire)
    active_to: I64  # day after the last active day
    sim_from: I64  # first day a seller opens deals (warm-up included)
    leave_t: I64  # UTC seconds, NEVER for those who stay
    successor: I64  # who takes over accounts and open deals (itself when staying)
    trained_t: I64  # UTC seconds of the effective training, NEVER when none
    trained_kind: I64  # index into TRAINING_KINDS, -1 when none
    rep_names: tuple[str, ...]
    rep_emails: tuple[str, ...]
    season: F64  # cumulative day weights of deal creation
    deal_rate: float  # deals per weighted day per unit of deal weight

    @property
    def n_reps(self) -> int:
        return len(self.rep_role)

    @cached_property
    def sellers(self) -> I64:
        return np.flatnonzero(self.rep_role == SELLER).astype(np.int64)

    @cached_property
    def leaf_teams(self) -> I64:
        return np.flatnonzero(self.team_focus >= 0).astype(np.int64)

    @cached_property
    def hire_t(self) -> I64:
        return self.clock.start_utc + self.hire_day * DAY_S

    @cached_property
    def rep_region(self) -> I64:
        return self.team_region[self.rep_team]

    @cached_property
    def is_field(self) -> npt.NDArray[np.bool_]:
        """Teams that visit customers (enterprise, mid-market); SMB teams sell by phone."""
        focus = self.team_focus[self.rep_team]
        return focus != TEAM_FOCUS.index("smb")

    def deal_weight(self) -> F64:
        """How many deals a rep opens per day, relative: 0.7 + 0.6 x diligence (sellers only)."""
        a, b = DEAL_RATE_DILIGENCE
        return np.where(self.rep_role == SELLER, a + b * self.diligence, 0.0)

    def expected_deals(self, lo: I64, hi: I64) -> F64:
        """Expected deals each rep opens on days ``[lo, hi)`` (clipped to the rep's span)."""
        lo = np.maximum(lo, self.sim_from)
        hi = np.minimum(hi, self.active_to)
        return self.deal_rate * self.deal_weight() * self.clock.weight(self.season, lo, hi)

    def blocks(self) -> list[tuple[int, int]]:
        """Contiguous rep ranges ``[first, stop)`` of whole leaf teams, about equal in deals."""
        n = self.clock.n_days
        expected = self.expected_deals(np.full(self.n_reps, 0), np.full(self.n_reps, n))
        target = self.config.spec.block_opportunities
        ranges: list[tuple[int, int]] = []
        first = int(self.team_head[self.leaf_teams[0]])
        load = 0.0
        for t in self.leaf_teams:
            members = np.flatnonzero(self.rep_team == t)
            load += float(expected[members].sum())
            if load >= target:
                ranges.append((first, int(members[-1]) + 1))
                first, load = int(members[-1]) + 1, 0.0
        if first < self.n_reps:
            ranges.append((first, self.n_reps))
        return ranges

    def rep_ids(self, index: I64, valid: npt.NDArray[np.bool_] | None = None) -> pa.Array:
        return arrays.ids("R", index + 1, 5, valid)

    def team_ids(self, index: I64, valid: npt.NDArray[np.bool_] | None = None) -> pa.Array:
        return arrays.ids("T", index + 1, 4, valid)


def _month_day(clock: Clock, months: int) -> int:
    """The first day of window month ``months`` (0 = the first month; capped at the end)."""
    starts = clock.month_starts()
    return int(starts[min(months, len(starts) - 1)])


def _email(name: str, taken: set[str]) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = ".".join(part for part in "".join(c if c.isalnum() else " " for c in plain).split())
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


def build_org(config: DemoConfig) -> Org:
    """The organisation of ``config``: deterministic for its seed, scale and locale."""
    words = vocabulary(config.locale)
    n_days = (config.end - config.start).days + 1
    clock = Clock.build(config.start, n_days, words.timezone)
    spec = config.spec
    rng = np.random.default_rng([config.seed, STREAM_ORG])

    # the tree: root, one node per region, then the leaf teams of each region
    regions = spec.regions
    parent = [-1] + [0] * regions
    region = [-1, *range(regions)]
    focus = [-1] * (1 + regions)
    names = [words.root_team] + [words.regions[r] + words.region_suffix for r in range(regions)]
    for r in range(regions):
        counters = dict.fromkeys(TEAM_FOCUS, 0)
        for k in range(spec.teams_per_region):
            f = TEAM_FOCUS[k % len(TEAM_FOCUS)]
            counters[f] += 1
            parent.append(1 + r)
            region.append(r)
            focus.append(TEAM_FOCUS.index(f))
            names.append(words.team_name(words.regions[r], f, counters[f]))
    n_teams = len(parent)
    leaves = [t for t in range(n_teams) if focus[t] >= 0]

    n_sellers = spec.reps - 1 - regions - len(leaves)
    sizes = 3 + rng.multinomial(n_sellers - 3 * len(leaves), [1 / len(leaves)] * len(leaves))

    # reps: the VP, the directors, then each leaf team's manager followed by its sellers
    team_of: list[int] = [0] + [1 + r for r in range(regions)]
    role: list[int] = [VP] + [DIRECTOR] * regions
    manager: list[int] = [-1] + [0] * regions
    head = [0] + [1 + r for r in range(regions)] + [0] * len(leaves)
    for t, size in zip(leaves, sizes, strict=True):
        boss = len(role)
        head[t] = boss
        team_of.append(t)
        role.append(MANAGER)
        manager.append(1 + region[t])
        team_of.extend([t] * int(size))
        role.extend([SELLER] * int(size))
        manager.extend([boss] * int(size))
    rep_team = np.array(team_of, dtype=np.int64)
    rep_role = np.array(role, dtype=np.int64)
    n = len(role)
    seller = rep_role == SELLER

    skill = rng.beta(*SKILL_BETA, n)
    diligence = rng.beta(*DILIGENCE_BETA, n)
    collaboration = rng.beta(*COLLABORATION_BETA, n)

    new_hire = seller & (rng.random(n) < NEW_HIRE_SHARE)
    hire_window = max(1, min(_month_day(clock, 20), n_days - 90))
    hire_day = np.where(
        new_hire,
        rng.integers(0, hire_window, n),
        -rng.integers(90, 8 * 365, n) - np.where(seller, 0, 365),
    ).astype(np.int64)
    active_from = np.maximum(hire_day + 14, 0)
    sim_from = np.maximum(hire_day + 14, -WARMUP_DAYS)

    leave_lo = np.maximum(hire_day + 180, 180)
    leave_hi = n_days - 30
    can_leave = seller & (leave_lo < leave_hi)
    leaver = can_leave & (rng.random(n) < LEAVER_SHARE)
    leave_day = np.where(leaver, rng.integers(0, 1 << 30, n) % np.maximum(leave_hi - leave_lo, 1)
                         + leave_lo, n_days).astype(np.int64)
    active_to = leave_day
    leave_t = np.where(leaver, clock.at(np.minimum(leave_day, n_days - 1),
                                        np.full(n, 17 * HOUR_S)), NEVER).astype(np.int64)
    successor = np.arange(n, dtype=np.int64)
    for quitter in np.flatnonzero(leaver):  # one loop step per leaving rep
        mates = np.flatnonzero((rep_team == rep_team[quitter]) & seller & ~leaver
                               & (active_from < leave_day[quitter]))
        successor[quitter] = (int(rng.choice(mates)) if len(mates)
                              else head[rep_team[quitter]])

    # one effective training (coaching or VR) for a share of the sellers active around it
    t_from = _month_day(clock, round(TRAINING_FROM_MONTH * config.months / 24))
    t_to = max(t_from + 1, _month_day(clock, round(TRAINING_TO_MONTH * config.months / 24)))
    eligible = np.flatnonzero(seller & (active_from <= t_from - 90) & (active_to >= t_to + 90))
    chosen = rng.permutation(eligible)[: round(TRAINED_SHARE * len(eligible))]
    trained_t = np.full(n, NEVER, dtype=np.int64)
    trained_kind = np.full(n, -1, dtype=np.int64)
    days = rng.integers(t_from, t_to, len(chosen))
    trained_t[chosen] = clock.at(days, rng.integers(15 * HOUR_S, 18 * HOUR_S, len(chosen)))
    kinds = [TRAINING_KINDS.index(k) for k in EFFECTIVE_TRAININGS]
    trained_kind[chosen] = np.where(rng.random(len(chosen)) < 0.6, kinds[0], kinds[1])

    fake = Faker(words.faker_locale)
    fake.seed_instance(config.seed)
    if config.locale == "zh_CN":
        rep_names = tuple(f"{fake.last_name()}{fake.first_name()}" for _ in range(n))
        emails = tuple(f"r{i + 1:05d}@{words.email_domain}" for i in range(n))
    else:
        rep_names = tuple(f"{fake.first_name()} {fake.last_name()}" for _ in range(n))
        taken: set[str] = set()
        emails = tuple(f"{_email(nm, taken)}@{words.email_domain}" for nm in rep_names)

    org = Org(
        config=config, words=words, clock=clock,
        team_parent=np.array(parent, dtype=np.int64), team_region=np.array(region, dtype=np.int64),
        team_focus=np.array(focus, dtype=np.int64), team_head=np.array(head, dtype=np.int64),
        team_names=tuple(names), rep_team=rep_team, rep_role=rep_role,
        rep_manager=np.array(manager, dtype=np.int64), skill=skill, diligence=diligence,
        collaboration=collaboration, hire_day=hire_day, active_from=active_from,
        active_to=active_to, sim_from=sim_from, leave_t=leave_t, successor=successor,
        trained_t=trained_t,
        trained_kind=trained_kind, rep_names=rep_names, rep_emails=emails,
        season=clock.weights(SEASON_VOLUME[config.locale], WEEKEND_WEIGHT), deal_rate=1.0,
    )
    # the nominal count includes the deals already open when the window starts (about 8 %)
    wanted = spec.opportunities * config.volume * WINDOW_SHARE
    expected = float(org.expected_deals(np.zeros(n, np.int64), np.full(n, n_days)).sum())
    object.__setattr__(org, "deal_rate", wanted / expected)
    return org


def teams_table(org: Org) -> pa.Table:
    """The ``teams`` rows: the root, the regions and the leaf teams, parents first."""
    n = len(org.team_parent)
    index = np.arange(n, dtype=np.int64)
    words = org.words
    departments = [words.sales_department, words.field_department, words.inside_department]
    smb = TEAM_FOCUS.index("smb")
    dept = np.where(org.team_focus < 0, 0, np.where(org.team_focus == smb, 2, 1))
    has_region = org.team_region >= 0
    return arrays.build("teams", {
        "team_id": org.team_ids(index),
        "name": arrays.strings(org.team_names),
        "parent_team_id": org.team_ids(np.maximum(org.team_parent, 0), org.team_parent >= 0),
        "department": arrays.pick(departments, dept.astype(np.int64)),
        "region": arrays.pick(words.regions, np.maximum(org.team_region, 0), has_region),
    })


def reps_table(org: Org) -> pa.Table:
    """The ``reps`` rows: every manager before the reps who report to them."""
    n = org.n_reps
    index = np.arange(n, dtype=np.int64)
    t = org.words.titles
    title_words = [t["vp"], t["director"], t["manager"], t["seller"], t["senior"], t["inside"]]
    title = np.where(org.rep_role < SELLER, org.rep_role,
                     np.where(~org.is_field, 5, np.where(org.hire_day < -3 * 365, 4, 3)))
    return arrays.build("reps", {
        "rep_id": org.rep_ids(index),
        "name": arrays.strings(org.rep_names),
        "email": arrays.strings(org.rep_emails),
        "team_id": org.team_ids(org.rep_team),
        "manager_rep_id": org.rep_ids(np.maximum(org.rep_manager, 0), org.rep_manager >= 0),
        "title": arrays.pick(title_words, title.astype(np.int64)),
        "hire_date": arrays.dates(org.hire_day + org.clock.start_epoch_day),
        "active": pa.array(org.leave_t == NEVER, type=pa.bool_()),
    })


def trainings_table(org: Org) -> pa.Table:
    """The ``trainings`` rows: ordinary courses for everyone plus the effective ones."""
    rng = np.random.default_rng([org.config.seed, STREAM_ORG, 1])
    clock = org.clock
    active_days = np.maximum(org.active_to - org.active_from, 0)
    count = rng.poisson(ORDINARY_PER_YEAR * active_days / 365.0)
    rep = np.repeat(np.arange(org.n_reps, dtype=np.int64), count)
    kind = rng.choice(len(TRAINING_KINDS), size=len(rep), p=ORDINARY_TRAININGS).astype(np.int64)
    day = org.active_from[rep] + (rng.random(len(rep)) * active_days[rep]).astype(np.int64)
    t = clock.at(day, rng.integers(10 * HOUR_S, 18 * HOUR_S, len(rep)))
    effective = np.flatnonzero(org.trained_kind >= 0)
    rep = np.concatenate([rep, effective])
    kind = np.concatenate([kind, org.trained_kind[effective]])
    t = np.concatenate([t, org.trained_t[effective]])
    order = np.lexsort((t, rep))
    rep, kind, t = rep[order], kind[order], t[order]
    m = len(rep)

    hours_lo = np.array([0.5, 4.0, 2.0, 1.0, 0.5])[kind]
    hours_hi = np.array([3.0, 8.0, 6.0, 3.0, 2.0])[kind]
    hours = np.round((hours_lo + rng.random(m) * (hours_hi - hours_lo)) * 2) / 2
    score = np.clip(55 + 35 * org.skill[rep] + rng.normal(0, 8, m), 0, 100).round(1)
    assessed = kind != TRAINING_KINDS.index("coaching")

    courses: list[str] = []
    first_course = []
    for k in TRAINING_KINDS:
        first_course.append(len(courses))
        courses.extend(org.words.courses[k])
    per_kind = np.array([len(org.words.courses[k]) for k in TRAINING_KINDS])
    course = np.array(first_course)[kind] + rng.integers(0, 1 << 30, m) % per_kind[kind]
    return arrays.build("trainings", {
        "training_id": arrays.ids("TR", np.arange(1, m + 1, dtype=np.int64), 7),
        "rep_id": org.rep_ids(rep),
        "course": arrays.pick(courses, course.astype(np.int64)),
        "kind": arrays.pick(TRAINING_KINDS, kind),
        "completed_at": arrays.timestamps(t),
        "hours": arrays.floats(hours),
        "score": arrays.floats(score, assessed),
    })


def traits_table(org: Org) -> pa.Table:
    """The hidden traits of every rep (not a canonical table: for tests, docs and analytics)."""
    index = np.arange(org.n_reps, dtype=np.int64)
    leaves = org.leave_t != NEVER
    trained = org.trained_kind >= 0
    return pa.table({
        "rep_id": org.rep_ids(index),
        "role": arrays.pick(ROLES, org.rep_role),
        "team_id": org.team_ids(org.rep_team),
        "skill": arrays.floats(org.skill),
        "diligence": arrays.floats(org.diligence),
        "collaboration": arrays.floats(org.collaboration),
        "effective_training_at": arrays.timestamps(np.where(trained, org.trained_t, 0), trained),
        "effective_training_kind": arrays.pick(TRAINING_KINDS, np.maximum(org.trained_kind, 0),
                                               trained),
        "left_at": arrays.timestamps(np.where(leaves, org.leave_t, 0), leaves),
        "successor_rep_id": org.rep_ids(org.successor, leaves),
    })
