"""On the small demo (seed 42, English, data up to 2026-10-31, built once for the module), the
training impact and the market trends recover what ``docs/demo.md`` planted.

E6: the effective trainings (kinds ``coaching`` and ``vr_simulation``) add
:data:`~salescore.demo.params.TRAINING_UPLIFT` (+10 points) to the win probability of the
deals their trainees create afterwards; the others (``elearning``, ``workshop``, ``ar_demo``)
have no effect. Both win rates are of each month's creation cohort (the deals a training can
have changed), in the months whose cohort has closed, new hires' first six months left out.
Every kind is estimated in one regression (rep and month fixed effects, one indicator per
kind), so a coaching trainee's VR-trained colleagues are not read as untrained (compared kind
by kind, they pulled the coaching estimate to +0.023 [−0.031, +0.076], under the planted
+0.10). With 8 coaching and 6 VR trainees counted (window 6 months), what this data gives, and
the test holds:

    kind            win rate (creation cohort)     lead-to-win rate (creation cohort)
    coaching        +0.075 [−0.012, +0.162]  ∋ .10  +0.078 [−0.007, +0.163]  ∋ .10
    vr_simulation   +0.116 [+0.028, +0.203]  ∋ .10  +0.117 [+0.029, +0.204]  ∋ .10
    no-effect kinds every interval holds 0

(On the medium demo, 96 coaching and 64 VR trainees: +0.095 [+0.083, +0.106] and +0.093
[+0.082, +0.105] for the win rate, +0.091 [+0.080, +0.103] and +0.090 [+0.078, +0.102] for the
lead-to-win rate.)

So: every estimate of an effective kind is positive and the uplift lies inside all four
intervals; every interval of a kind without effect holds 0.

E10: deals are created with monthly weights (en: August 0.6, December 0.75, ...): the seasonal
component of the company's deals created follows them (lowest in August, correlation > 0.8),
and the adjusted series is smoother than the raw one.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from salescore.demo import DemoConfig, demo_settings
from salescore.demo.params import SEASON_VOLUME, TRAINING_UPLIFT
from salescore.workspace import Workspace

CONFIG = DemoConfig(scale="small", seed=42, locale="en", end=date(2026, 10, 31))


@pytest.fixture(scope="module")
def ws(small_demo: Workspace) -> Workspace:
    """The small demo of CONFIG (tests/conftest.py), loaded once per test process."""
    assert small_demo.settings == demo_settings(CONFIG)
    return small_demo


def test_the_planted_training_effect(ws: Workspace) -> None:
    report = ws.owner().training()
    assert (report.first_month, report.last_month) == ("2024-11", "2026-10")
    kinds = {c.kind: c for c in report.kinds}
    assert set(kinds) == {"ar_demo", "coaching", "elearning", "vr_simulation", "workshop"}
    for kind in ("coaching", "vr_simulation"):
        for kpi in ("win_rate", "lead_to_win_rate"):
            e = kinds[kind].effect(kpi)
            assert e.enough and e.estimate is not None and e.estimate > 0, (kind, kpi, e)
            assert e.low is not None and e.high is not None
            assert e.low < TRAINING_UPLIFT < e.high, (kind, kpi, e)
    assert (kinds["coaching"].effect("win_rate").trainees,
            kinds["vr_simulation"].effect("win_rate").trainees) == (8, 6)
    for kind in ("elearning", "workshop", "ar_demo"):
        for kpi in ("win_rate", "lead_to_win_rate"):
            e = kinds[kind].effect(kpi)
            assert e.enough and e.low is not None and e.high is not None
            assert e.low < 0 < e.high, (kind, kpi, e)
    # every course has its trainees; those with fewer than 5 counted say not enough data
    for course in report.courses:
        assert course.trainees >= 1
        for e in course.effects:
            assert e.enough == (e.trainees >= 5)


def test_the_planted_seasonality(ws: Workspace) -> None:
    report = ws.owner().trends(by="company")
    assert report.adjusted and len(report.months) == 24
    deals = next(s for s in report.series if s.measure == "opportunities_created")
    assert deals.seasonal is not None and deals.adjusted is not None
    months = [int(m[5:]) for m in report.months]
    by_month = {m: deals.seasonal[i] for i, m in enumerate(months) if i < 12}
    lowest = min(by_month, key=lambda m: by_month[m])
    assert lowest == 8  # August, the holidays
    weights = [SEASON_VOLUME["en"][m - 1] for m in range(1, 13)]
    seasonal = [by_month[m] for m in range(1, 13)]
    assert np.corrcoef(weights, seasonal)[0, 1] > 0.8
    raw, adjusted = np.array(deals.raw, dtype=float), np.array(deals.adjusted)
    assert np.std(np.diff(adjusted)) < 0.6 * np.std(np.diff(raw))
    words = report.words["revenue_won"]
    assert words.en.startswith("Fastest-growing revenue won: ")
    assert words.zh.startswith("赢单收入增长最快的是")
