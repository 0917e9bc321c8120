"""The rules one table adds to the generic import: they run for their table and no other."""

from __future__ import annotations

import pyarrow as pa

from salescore.ingest.cleaning import Cleaned
from salescore.ingest.problems import Problem, Reason
from salescore.ingest.transform import MappedColumn
from salescore.ingest.validation import TABLE_RULES, CleanContext, clean_column, table_rule
from salescore.model.org import Pipeline
from salescore.model.tables import TABLE_NAMES, table

UNKNOWN = Reason("stage not in the pipeline", "阶段不在销售流程中")


def masks(problems: tuple[Problem, ...]) -> list[tuple[str, list[bool]]]:
    return [(p.reason.en, p.mask.to_pylist()) for p in problems]


def stages() -> Cleaned:
    """Four resolved stages; the fourth was unknown to the pipeline, so it is null and bad."""
    return Cleaned(pa.array(["won", "proposal", "lost", None]),
                   (Problem(pa.array([False, False, False, True]), UNKNOWN),))


def test_every_rule_names_a_table_and_its_declared_columns() -> None:
    for name, rule in TABLE_RULES.items():
        assert name in TABLE_NAMES
        declared = table(name).column_names
        assert set(rule.derives) | set(rule.derives.values()) | set(rule.cleaners) <= set(
            declared)


def test_opportunity_status_is_derived_from_the_stage() -> None:
    rule = table_rule("opportunities")
    assert dict(rule.derives) == {"status": "stage"}
    out = rule.derive(table("opportunities"), {"stage": stages()}, Pipeline())
    assert list(out) == ["status"]
    assert out["status"].values.to_pylist() == ["won", "open", "lost", None]
    # Null only where the stage is bad, and the stage's own problem says why.
    assert out["status"].problems == ()


def test_a_given_status_is_kept_filled_in_and_checked_against_the_stage() -> None:
    given = Cleaned(pa.array(["won", "won", None, None]))
    out = table_rule("opportunities").derive(
        table("opportunities"), {"stage": stages(), "status": given}, Pipeline())
    assert out["status"].values.to_pylist() == ["won", "won", "lost", None]
    # Row 2 contradicts its stage; row 4 is missing a status but its stage is already rejected.
    assert masks(out["status"].problems) == [
        ("status won contradicts stage proposal (open in the pipeline)",
         [False, True, False, False])]


def test_a_status_missing_where_the_stage_is_missing_too_is_reported() -> None:
    stage = Cleaned(pa.array(["won", None]))  # a missing stage is reported by the stage check
    out = table_rule("opportunities").derive(
        table("opportunities"), {"stage": stage, "status": Cleaned(pa.array(["won", None]))},
        Pipeline())
    assert masks(out["status"].problems) == [("required value missing", [False, True])]


def test_no_other_table_derives_or_cleans_anything() -> None:
    cleaned = {"stage": stages(), "status": Cleaned(pa.array(["lost", "won", None, None]))}
    for name in TABLE_NAMES:
        rule = table_rule(name)
        derived = rule.derive(table(name), cleaned, Pipeline())
        if name == "opportunities":
            assert derived["status"].values.to_pylist() == ["lost", "won", "lost", None]
            assert masks(derived["status"].problems) == [
                ("status lost contradicts stage won (won in the pipeline)",
                 [True, False, False, False]),
                ("status won contradicts stage proposal (open in the pipeline)",
                 [False, True, False, False])]
        else:
            assert derived == {}
            assert dict(rule.derives) == {}
        assert bool(rule.cleaners) == (name == "targets")


def test_target_periods_are_canonical_labels() -> None:
    targets = table("targets")
    raw = MappedColumn("period", pa.array(["2025-q1", "fy2025", "soon", None]), "Period")
    out = clean_column(targets, targets.column("period"), raw, CleanContext())
    assert out.values.to_pylist() == ["2025-Q1", "FY2025", None, None]
    assert [(reason[:12], mask) for reason, mask in masks(out.problems)] == [
        ("not a period", [False, False, True, False])]
