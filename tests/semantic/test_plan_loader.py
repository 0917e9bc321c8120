"""Plan documents: every rule has one invalid fixture, and each error names its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from salescore.core.text import Text
from salescore.semantic.plan_kpi_rules import CATALOGUE_RULES
from salescore.semantic.plan_loader import (
    PlanValidationError,
    check_plan_file,
    check_plan_text,
    load_plan,
    read_yaml,
)
from salescore.semantic.plan_rules import PLAN_RULES

FIXTURES = Path(__file__).parent / "plan_fixtures"
KNOWN = {
    "revenue_won": "higher",
    "csat_avg": "higher",
    "avg_sales_cycle_days": "lower",
    "assist_points": "higher",
    "cross_team_assists": "higher",
}

# fixture: (rule, line, the start of the message)
INVALID = {
    "name_slug": ("name-slug", 2, "name: plan name 'Tiny Field' must be a slug"),
    "titles": ("titles", 3, "title.zh: the plan needs a title in English and in Chinese"),
    "grain": ("grain", 5, "grain: a plan scores whole periods of one of: week, month"),
    "weight_range": ("weight-range", 24, "lines[2].weight: weight 0 must be more than 0"),
    "weights_sum": ("weights-sum", 9,
                    "lines: the weights must sum to 1; they sum to 0.9 (0.5 + 0.3 + 0.1)"),
    "duplicate_kpi": ("duplicate-kpi", 23,
                      "lines[2].kpi: KPI 'revenue_won' is already scored in lines[0]"),
    "target_needed": ("target-needed", 10,
                      "lines[0]: line 'revenue_won' is scored linear and needs a target"),
    "target_on_percentile": ("target-needed", 12,
                             "lines[0].target: a percentile line is scored against peers"),
    "target_value": ("target-value", 16,
                     "lines[1].target.value: a fixed target must be a positive number, not 0"),
    "target_pct": ("target-pct", 25, "lines[2].target.pct: pct is a percentage change, more "
                   "than -100 and at most 1000; not -150"),
    "floor_range": ("floor-range", 13, "lines[0].scoring.floor: floor is a fraction of target"),
    "cap_range": ("cap-range", 26, "lines[2].scoring.cap: cap is a fraction of target (1.2 "
                  "means 120 %) above 0 and at most 10; not 150"),
    "floor_cap": ("floor-cap", 13, "lines[0].scoring.floor: floor 1.5 is above cap 1.2"),
    "bands_ordered": ("bands-ordered", 22, "lines[1].scoring.bands[2].at: bands go from the "
                      "highest attainment down: at 0.95 must be below"),
    "bands_points_ordered": ("bands-ordered", 22, "lines[1].scoring.bands[2].points: a lower "
                             "band cannot give more points"),
    "bands_range": ("bands-range", 20,
                    "lines[1].scoring.bands[0].points: points must be from 0 to 1000"),
    "bands_reachable": ("bands-reachable", 21, "lines[1].scoring.bands[0].at: no one can "
                        "reach the band at 1: attainment is capped at 0.95"),
    "blend_range": ("blend-range", 28, "blend.individual: blend.individual is a share from 0 "
                    "to 1, not 1.5"),
    "blend_sum": ("blend-sum", 27, "blend: individual and team must sum to 1; 0.7 + 0.2 = 0.9"),
    "collaboration_range": ("collaboration-range", 33,
                            "collaboration.cap: cap must be from 0 to 100 points, not -1"),
    "min_coverage": ("min-coverage", 36, "missing.min_coverage: min_coverage is the share of "
                     "weight that needs data"),
    "ratings_ordered": ("ratings-ordered", 39, "ratings[1].min: ratings go from the highest "
                        "down: 'B' min 95 must be below 'A' min 90"),
    "rating_without_min": ("ratings-ordered", 39, "ratings[1]: only the last rating may leave "
                           "out min"),
    "ratings_cover": ("ratings-cover", 41, "ratings[3].min: a score can be as low as 0, below "
                      "the last rating's min 10"),
    "unknown_kpi": ("unknown-kpi", 14,
                    "lines[1].kpi: unknown KPI 'csat_average' (did you mean csat_avg?)"),
    "duplicate_key": ("duplicate-key", 16, "lines[1].weight: key 'weight' is written twice "
                      "(first on line 15)"),
    "unknown_key": ("schema", 16, "lines[1].target.value: required key is missing"),
    "missing_key": ("schema", 2, "ratings: required key is missing"),
    "bad_source": ("schema", 12, "lines[0].target: Input tag 'target_table' found using "
                   "'source' does not match"),
    "not_yaml": ("yaml", 29, "not valid YAML: expected ',' or ']'"),
}


def test_every_invalid_fixture_is_listed() -> None:
    on_disk = {path.stem for path in (FIXTURES / "invalid").glob("*.yaml")}
    assert on_disk == set(INVALID)


def test_every_plan_rule_has_a_fixture() -> None:
    covered = {rule for rule, _, _ in INVALID.values()} | {"direction-override",
                                                             "target-direction"}
    assert {r.name for r in (*PLAN_RULES, *CATALOGUE_RULES)} <= covered
    assert [r.name for r in CATALOGUE_RULES if r.severity == "warning"] == [
        "direction-override", "target-direction"]


def test_the_valid_fixture_is_valid() -> None:
    result = check_plan_file(FIXTURES / "valid.yaml", known=KNOWN)
    assert result.ok and result.errors == () and result.warnings == ()
    assert result.plan is not None and result.plan.name == "tiny-field"


@pytest.mark.parametrize("fixture", sorted(INVALID))
def test_each_rule_names_file_line_and_problem(fixture: str) -> None:
    rule, line, message = INVALID[fixture]
    path = FIXTURES / "invalid" / f"{fixture}.yaml"
    result = check_plan_file(path, known=KNOWN)
    assert result.plan is None
    first = result.errors[0]
    assert (first.rule, first.location.file, first.location.line) == (rule, str(path), line)
    assert first.message.startswith(message), first.message
    assert str(first).startswith(f"{path}:{line}: {message}")
    assert first.message_zh and first.message_zh != first.message or rule == "schema"


def test_blend_range_reports_both_shares() -> None:
    result = check_plan_file(FIXTURES / "invalid" / "blend_range.yaml")
    assert [(i.rule, i.location.line) for i in result.errors] == [("blend-range", 28),
                                                                  ("blend-range", 29)]


def test_a_typo_in_a_key_is_reported_with_the_key() -> None:
    result = check_plan_file(FIXTURES / "invalid" / "unknown_key.yaml")
    assert [i.message for i in result.errors] == [
        "lines[1].target.value: required key is missing",
        "lines[1].target.valeu: unknown key (a typo?)",
    ]
    assert result.errors[1].message_zh == "lines[1].target.valeu：不认识的键（拼写错误？）"


def test_warnings_do_not_invalidate_a_plan() -> None:
    result = check_plan_file(FIXTURES / "warnings.yaml", known=KNOWN)
    assert result.ok
    assert [(w.rule, w.location.line) for w in result.warnings] == [
        ("direction-override", 25), ("target-direction", 26)]
    assert result.warnings[0].message == (
        "lines[2].direction: avg_sales_cycle_days is lower-is-better in the catalogue; this "
        "plan scores it higher-is-better")
    assert result.warnings[1].message_zh == (
        "lines[2].target.pct：avg_sales_cycle_days 为越高越好，pct -5 使目标比上期更差")


def test_kpis_are_only_checked_against_a_catalogue_when_one_is_given() -> None:
    assert check_plan_file(FIXTURES / "invalid" / "unknown_kpi.yaml").ok


def test_load_plan_raises_with_every_error_in_both_languages() -> None:
    with pytest.raises(PlanValidationError) as caught:
        load_plan(FIXTURES / "invalid" / "blend_range.yaml")
    error = caught.value
    assert len(error.issues) == 2
    assert str(error).startswith("invalid plan:\n  ")
    assert "blend_range.yaml:28: blend.individual" in str(error)
    assert error.localized("zh_CN").startswith("方案无效：")
    assert "blend.individual 为 0 到 1 之间的比例，不能是 1.5" in error.localized("zh_CN")


def test_a_document_that_is_not_a_mapping() -> None:
    result = check_plan_text("- just\n- a list\n", file="list.yaml")
    assert [(i.rule, str(i.location)) for i in result.errors] == [("schema", "list.yaml:1")]


def test_a_missing_file() -> None:
    result = check_plan_file(FIXTURES / "nope.yaml")
    assert result.errors[0].rule == "file"


def test_read_yaml_keeps_the_line_of_every_key_path() -> None:
    text = "a: 1\nb:\n  - x: 2\n    y: [3, 4]\n  - z\n"
    data, lines, issues = read_yaml(text, "f.yaml")
    assert data == {"a": 1, "b": [{"x": 2, "y": [3, 4]}, "z"]}
    assert issues == []
    assert lines.line_of(("a",)) == 1
    assert lines.line_of(("b",)) == 2
    assert lines.line_of(("b", 0)) == 3
    assert lines.line_of(("b", 0, "y")) == 4
    assert lines.line_of(("b", 1)) == 5
    # A key path the document lacks falls back to its deepest ancestor that exists.
    assert lines.line_of(("b", 0, "missing", 7)) == 3


def test_bilingual_texts_are_written_en_zh() -> None:
    result = check_plan_file(FIXTURES / "valid.yaml", known=KNOWN)
    assert result.plan is not None
    assert result.plan.title == Text("Tiny field sales", "小型外勤销售")
    assert result.plan.description == Text("Monthly field sales scorecard", "外勤销售月度评分")
    rated = check_plan_text(
        (FIXTURES / "valid.yaml").read_text(encoding="utf-8").replace(
            "{label: A, min: 90}", "{label: A, min: 90, title: {en: Outstanding, zh: 卓越}}"),
        file="rated.yaml")
    assert rated.ok and rated.warnings == ()
    assert rated.plan is not None
    assert [r.title_in("zh_CN") for r in rated.plan.ratings] == ["卓越", "B", "C", "D"]


def test_a_title_needs_both_languages() -> None:
    text = (FIXTURES / "valid.yaml").read_text(encoding="utf-8").replace(
        "title: {en: Tiny field sales, zh: 小型外勤销售}", "title: {en: Tiny field sales}")
    result = check_plan_text(text, file="half.yaml")
    assert [(i.rule, str(i.location), i.message) for i in result.errors] == [
        ("schema", "half.yaml:3", "title.zh: required key is missing")]


def test_the_old_spelling_is_read_with_a_deprecation_note_at_each_old_key() -> None:
    path = FIXTURES / "old_spelling.yaml"
    result = check_plan_file(path, known=KNOWN)
    assert result.ok and result.errors == ()
    assert [(w.rule, w.severity, str(w.location)) for w in result.warnings] == [
        ("deprecated-spelling", "warning", f"{path}:4"),
        ("deprecated-spelling", "warning", f"{path}:6"),
        ("deprecated-spelling", "warning", f"{path}:41"),
        ("deprecated-spelling", "warning", f"{path}:45"),
    ]
    assert result.warnings[0].message == (
        "title_en: an old spelling, still read: write title: {en: ..., zh: ...} instead of "
        "title_en and title_zh")
    assert result.warnings[2].localized("zh_CN") == (
        f"{path}:41: ratings[0].title_en：旧写法，仍可读取：请将 title_en 和 title_zh 改写为 "
        "title: {en: ..., zh: ...} [deprecated-spelling]")
    old = result.plan
    new = check_plan_file(FIXTURES / "valid.yaml", known=KNOWN).plan
    assert old is not None and new is not None
    assert old.title == new.title and old.description == new.description
    assert old.ratings[0].title == Text("Outstanding", "卓越")
    assert old.ratings[3].title == Text("Needs improvement", "待提升")
    assert old.model_copy(update={"ratings": new.ratings}) == new


def test_an_old_spelling_problem_names_the_old_key() -> None:
    text = (FIXTURES / "old_spelling.yaml").read_text(encoding="utf-8").replace(
        "title_zh: 小型外勤销售", "title_zh: ' '")
    result = check_plan_text(text, file="old.yaml")
    assert [(i.rule, str(i.location), i.message) for i in result.errors] == [
        ("titles", "old.yaml:5", "title.zh: the plan needs a title in English and in Chinese")]
    assert [w.rule for w in result.warnings] == ["deprecated-spelling"] * 4
