"""A score explained down to the records, from the store or computed on the spot."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from salescore.core.errors import ConfigError
from salescore.core.periods import parse_period
from salescore.scorecards import Scorecards

from .conftest import V1, V2


@pytest.fixture
def adopted(local_cards: Scorecards) -> Scorecards:
    local_cards.adopt(text=V1, effective_from=date(2025, 1, 1), actor="ann")
    local_cards.adopt(text=V2, effective_from=date(2025, 4, 1), actor="ann")
    return local_cards


def test_a_stored_score_is_explained_as_it_was_computed(adopted: Scorecards) -> None:
    adopted.score("2025-02")
    explained = adopted.explain("a1", "2025-02")
    assert explained.stored and explained.version == 1
    e = explained.explanation
    assert (e.subject, e.plan, e.period, e.score, e.rating) == ("a1", "tiny-sales", "2025-02",
                                                                125.0, "A")
    assert (e.rank_in_team, e.rank_in_company) == (1, 1)
    assert explained.rating_title("zh_CN") == "优秀"
    # revenue 150 / 100 → 150 points × 0.5 = 75; deals 2 / 2 → 100 points × 0.5 = 50.
    assert [(line.kpi, line.value, line.target, line.points, line.effective_weight,
             line.contribution) for line in e.lines] == [
        ("revenue_won", 150.0, 100.0, 150.0, 0.5, 75.0),
        ("deals_won", 2.0, 2.0, 100.0, 0.5, 50.0)]
    assert explained.contributions_add_up()
    # The same as the scorecard computed now.
    card = adopted.compute(explained.plan, [parse_period("2025-02")])[0]
    assert card.explain("a1") == e
    # Each KPI goes back to its records: a1's two February deals.
    revenue = explained.records["revenue_won"]
    assert revenue.value == 150
    assert sorted(revenue.parts[0].rows.column("opportunity_id")) == ["o1", "o2"]
    assert explained.records["deals_won"].parts[0].rows.num_rows == 2


def test_an_unscored_period_is_computed_on_the_spot(adopted: Scorecards) -> None:
    explained = adopted.explain("a2", "2025-05", records=False)
    assert not explained.stored and explained.version == 2
    # a2 in May under version 2: 0.8 · 120 + 0.2 · 150 = 126.
    assert explained.explanation.score == pytest.approx(126.0)
    assert explained.records == {}
    assert adopted.stored("2025-05") == []


def test_a_rep_the_plan_does_not_score_is_a_clear_error(adopted: Scorecards) -> None:
    with pytest.raises(ConfigError) as manager:
        adopted.explain("m1", "2025-02")
    assert "no adopted plan scores m1 in 2025-02" in manager.value.message
    with pytest.raises(ConfigError) as left:
        adopted.explain("a4", "2025-05", "tiny-sales")
    assert "does not score a4 in 2025-05" in left.value.message
    with pytest.raises(ConfigError) as unknown:
        adopted.explain("a1", "2025-02", "tiny-sale")
    assert "did you mean tiny-sales" in unknown.value.message


def test_export_writes_the_stored_scores(adopted: Scorecards, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as nothing:
        adopted.export("2025-02", tmp_path / "x.csv", "csv")
    assert "salescore score --period 2025-02" in nothing.value.message
    adopted.score("2025-Q1")
    written = adopted.export("2025-Q1", tmp_path / "q1.csv", "csv")
    # January to March: four reps and two teams each month (a4 worked until February 10;
    # in January and March it is the same four reps, a5 not hired yet).
    rows = list(csv.DictReader(io.StringIO((tmp_path / "q1.csv").read_text(encoding="utf-8"))))
    assert written == len(rows)
    february = {r["subject_id"]: r for r in rows if r["period"] == "2025-02"}
    a1 = february["a1"]
    assert (a1["plan"], a1["version"], a1["subject_kind"], a1["rating"]) == (
        "tiny-sales", "1", "rep", "A")
    assert float(a1["score"]) == 125.0
    assert [float(a1[f"revenue_won.{k}"]) for k in ("value", "target", "points",
                                                    "contribution")] == [150, 100, 150, 75]
    assert february["north"]["subject_kind"] == "team"
    assert float(february["north"]["score"]) == 87.5
    assert {r["period"] for r in rows} == {"2025-01", "2025-02", "2025-03"}

    adopted.export("2025-02", tmp_path / "feb.xlsx", "xlsx", plan="tiny-sales")
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(tmp_path / "feb.xlsx"))
    assert book.sheet_names == ["scores", "lines"]
    scores = book.get_sheet_by_name("scores").to_python()
    header = scores[0]
    first = dict(zip(header, scores[1], strict=True))
    assert (first["subject_id"], first["score"], first["rank_in_company"]) == ("a1", 125.0, 1.0)
    lines = book.get_sheet_by_name("lines").to_python()
    # Four reps and two teams, two lines each.
    assert len(lines) - 1 == 12


def test_an_explanation_takes_a_bounded_number_of_queries(adopted: Scorecards) -> None:
    """One pass: a fixed few context queries and one per distinct input (the values are worked
    out from the inputs' rows, tests/engine/test_explain.py)."""
    runner = adopted.engine.runner
    # The score's own context is asked once and kept by the engine per request (until the
    # warehouse is written): asked here first, so both passes below find it.
    adopted.explain("a1", "2025-02", records=False)
    before = runner.queries
    explained = adopted.explain("a1", "2025-02")  # not scored yet: computed from the warehouse
    assert not explained.stored
    # Plan tiny-sales reads revenue_won and deals_won, both from opportunities: a source with
    # money, so one query for its currencies (all CNY: no rates needed), and one per input (the
    # revenue sum and the won count): 1 + 2 = 3 (and 4 for the score itself: the roster, the
    # plan's KPIs, ...; counted apart below).
    assert set(explained.records) == {"revenue_won", "deals_won"}
    live = runner.queries - before
    before = runner.queries
    adopted.explain("a1", "2025-02", records=False)
    assert live - (runner.queries - before) == 3
    # The old explanation ran the context three times and the values once per KPI: 2 KPIs ×
    # (3 currency queries + 1 value query + 1 input) = 10.


def test_a_stored_score_keeps_its_records_and_explains_without_a_query(
        adopted: Scorecards) -> None:
    """Scoring a period keeps each rep's records (in the queries of one explanation for all
    the reps); a stored score is explained from them, with no warehouse query, equal to what
    the warehouse says for every rep."""
    runner = adopted.engine.runner
    adopted.score("2025-02", store=False)  # the engine keeps the score's context from here on
    before = runner.queries
    adopted.score("2025-02", store=False)
    unstored = runner.queries - before
    before = runner.queries
    adopted.score("2025-02")
    assert runner.queries - before == unstored + 3  # the same 3 as one rep's explanation
    for rep in ("a1", "a2", "a3", "a4"):
        before = runner.queries
        kept = adopted.explain(rep, "2025-02")
        assert kept.stored and runner.queries == before
        live = adopted.explain(rep, "2025-02", records=False)
        from salescore.scorecards.explain import kpi_records

        fresh = kpi_records(adopted.engine, live.plan.kpis(), rep_id=rep, period="2025-02")
        assert kept.records == fresh, rep
    assert adopted.explain("a1", "2025-02").records["revenue_won"].value == 150


def test_explaining_more_kpis_adds_one_query_per_new_input(local_cards: Scorecards) -> None:
    from salescore.engine.explain import explain_kpis

    engine = local_cards.engine
    start = engine.runner.queries
    one = explain_kpis(engine, ["revenue_won"], subject="a1", period="2025-02")
    first = engine.runner.queries - start
    start = engine.runner.queries
    three = explain_kpis(engine, ["revenue_won", "deals_won", "win_rate"], subject="a1",
                         period="2025-02")
    # deals_won is counted by the same measure win_rate divides, so two inputs more
    # (deals won, deals closed), the context shared.
    assert engine.runner.queries - start == first + 2
    assert one["revenue_won"].value == three["revenue_won"].value == 150
    assert three["deals_won"].value == 2
