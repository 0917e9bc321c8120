"""The churn that ``docs/demo.md`` plants (E16) shows in the cohorts of the small demo.

The generator (``salescore/demo/deals.py``, ``_new_accounts``) gives each acquired customer an
exponential life with monthly hazard ``base[segment] × (1.5 − skill)``, base SMB 3.5 %,
mid-market 1.8 %, enterprise 0.9 %, skill ~ Beta(2, 2) (mean 0.5, so the factor averages 1);
a live customer keeps ordering every 60 or 90 days (× U(0.85, 1.15)), a churned one stops.

So by quarter, over whole quarters (2025-Q1 .. 2026-Q3 of the demo built to 2026-10-31):

- the pooled retention falls at every later quarter (without churn it would stay flat: a
  live customer orders in nearly every quarter);
- from offset 1 to offset 5 (twelve months) the retained share of the cohorts that observe both
  (2025-Q1 and 2025-Q2) shrinks by the survival the hazard plants for their segment mix:
  ``Σ n_s e^(−15 b_s) / Σ n_s e^(−3 b_s)`` (alive ∝ e^(−3 k b) at offset ``k`` quarters). The
  two shares are over ~740 customers, each with a binomial standard error below 0.018, so the
  ratio's is about 0.026; the tolerance is three of those, 0.08 (the skill spread adds under
  1 %, the timing of the orders inside a quarter cancels in the ratio). Without churn the
  ratio would be about 1, far outside it.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salescore.analytics.retention import cohort_customers
from salescore.cli.main import app
from salescore.compile.schema import unbound
from salescore.workspace import Workspace

ENV = {"SALESCORE_WAREHOUSE_URL": None, "SALESCORE_APP_DB_URL": None, "SALESCORE_HOME": None}
WINDOW = "2025-01-01..2026-09-30"
BASE = {"smb": 0.035, "mid_market": 0.018, "enterprise": 0.009}


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("customers-demo")
    result = CliRunner().invoke(app, ["demo", "--home", str(home), "--end", "2026-10-31"],
                                env=ENV)
    assert result.exit_code == 0, result.output
    return home


def test_retention_decays_as_the_churn_hazard_plants(demo_home: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with Workspace.open(demo_home, read_only=True) as ws:
        session = ws.owner()
        report = session.retention(period=WINDOW, grain="quarter")
        calendar = ws.settings.calendar
        chosen = calendar.parse(WINDOW)
        start, end = calendar.utc_bounds(chosen)
        cohorts = cohort_customers(start, end, "quarter", calendar.zone,
                                   chosen.start - timedelta(days=1),
                                   chosen.end + timedelta(days=1))
        segments = unbound("customers").select(c_id="customer_id", segment="segment")
        joined = cohorts.join(segments, cohorts.customer_id == segments.c_id)
        mix = session.runner.rows(joined.group_by(["cohort", "segment"]).aggregate(
            n=joined.count()))
    assert [c.period for c in report.cohorts] == [
        "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    pooled = [report.pooled(k) for k in range(1, 6)]
    assert all(p is not None for p in pooled)
    assert all(a > b for a, b in zip(pooled, pooled[1:], strict=False)), pooled  # type: ignore[operator]

    early = [c for c in report.cohorts if c.period in ("2025-Q1", "2025-Q2")]
    size = sum(c.customers for c in early)
    assert size > 500  # enough for the tolerance below
    at = [sum(c.retained[k] or 0 for c in early) / size for k in (1, 5)]
    observed = at[1] / at[0]
    first = min(int(r["cohort"]) for r in mix)
    weights: dict[str, int] = {}
    for r in mix:
        if int(r["cohort"]) in (first, first + 1):
            weights[r["segment"]] = weights.get(r["segment"], 0) + int(r["n"])
    assert sum(weights.values()) == size
    planted = sum(n * math.exp(-15 * BASE[s]) for s, n in weights.items()) / sum(
        n * math.exp(-3 * BASE[s]) for s, n in weights.items())
    assert 0.70 < planted < 0.85
    assert observed == pytest.approx(planted, abs=0.08), (observed, planted)
    assert observed < 0.92  # churn is there: without it the ratio would be about 1
