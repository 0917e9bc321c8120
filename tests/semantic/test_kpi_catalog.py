"""The KPI catalogue: shipped specs load clean; every validation rule has an invalid fixture that
it catches, with its message and file:line; user folders merge over the shipped catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from salescore.core.errors import ConfigError
from salescore.semantic.catalog import shipped_catalog
from salescore.semantic.expression import ExpressionError, parse_expression
from salescore.semantic.issues import Issue
from salescore.semantic.kpi_docs import render_docs
from salescore.semantic.loader import check_catalog, load_catalog, read_files
from salescore.semantic.validation import RULES, validate

FIXTURES = Path(__file__).parent / "fixtures" / "kpi_invalid"
DOCS = Path(__file__).parents[2] / "docs" / "kpis.md"

REQUIRED = """
revenue_won deals_won deals_lost win_rate avg_deal_size order_revenue new_customers
pipeline_created opportunities_created open_pipeline quota_attainment pipeline_coverage
csat_avg csat_top2box nps survey_count customer_retention_rate repeat_purchase_rate
churned_customers avg_sales_cycle_days median_sales_cycle_days avg_days_in_stage
stage_conversion lead_to_win_rate stale_opportunities activities calls emails meetings visits
demos social_touches call_minutes customers_touched activities_per_won_deal follow_up_rate
avg_response_hours reply_rate peer_communication_score peer_collaboration_score assists_given
assist_points cross_team_assists assists_received team_revenue_share training_hours
trainings_completed training_score_avg social_revenue_won
""".split()


def issues_of(name: str) -> list[Issue]:
    path = FIXTURES / name
    catalog, issues = read_files([path])
    issues += validate(shipped_catalog().merged(catalog))
    return [i for i in issues if i.location.file == str(path)]


def test_shipped_catalogue_is_clean_and_complete() -> None:
    catalog, issues = check_catalog()
    assert issues == []
    assert set(REQUIRED) <= set(catalog.kpis)
    for kpi in catalog.kpis.values():
        assert kpi.label.en and kpi.label.zh and kpi.description.en and kpi.description.zh


@pytest.mark.parametrize(("fixture", "rule", "line", "message"), [
    ("duplicate_name.yaml", "duplicate-name", 3, "measure 'my_count' is declared twice"),
    ("unknown_table.yaml", "unknown-table", 3, "source 'deals': unknown table 'opportunitys'"),
    ("unknown_column.yaml", "unknown-column", 5,
     "measure 'amount_won': table 'opportunities' has no column 'amout'"),
    ("unknown_name.yaml", "unknown-name", 4, "kpi 'my_kpi': unknown measure 'no_such_measure'"),
    ("expression.yaml", "expression", 4, "kpi 'sneaky': only + - * /, parentheses, numbers and "
     "KPI names are allowed; found a call"),
    ("cycle.yaml", "cycle", 4, "kpi 'ping' depends on itself: ping -> pong -> ping"),
    ("type.yaml", "type", 4, "measure 'status_total': sum of 'status', which is string, "
     "not a number"),
    ("type_value.yaml", "type", 6, "measure 'phone_calls': filter on 'kind': 'phone_call' is "
     "never in kind"),
    ("unit.yaml", "unit", 6, "kpi 'won_money': measure 'deals_won' counts, so the unit is "
     "count, not money"),
    ("unit_derived.yaml", "unit", 4, "kpi 'apples_and_pears': cannot add money and count "
     "(revenue_won + deals_won)"),
    ("description.yaml", "description", 9, "kpi 'csat_total': the en description says 'total' "
     "but the KPI computes avg"),
    ("period_over_period.yaml", "period-over-period", 4, "kpi 'revenue_retention': measure "
     "'revenue_won' must be a count_distinct placed by `time`"),
    ("per_stage.yaml", "per-stage", 8, "kpi 'stage_entries': a filter uses {stage} but the KPI "
     "is not `per: stage`"),
    ("schema.yaml", "schema", 7, "kpi 'coloured': colour: unknown key (a typo?)"),
    ("yaml_syntax.yaml", "yaml", 4, "not valid YAML: mapping values are not allowed here"),
    # The one YAML reader words a key written twice the same in every kind of file.
    ("duplicate_key.yaml", "duplicate-key", 5, "kpis[0].measure: key 'measure' is written twice "
     "(first on line 4)"),
])
def test_invalid_fixture(fixture: str, rule: str, line: int, message: str) -> None:
    found = issues_of(fixture)
    assert [i.rule for i in found] == [rule], [str(i) for i in found]
    issue = found[0]
    assert issue.location.line == line
    assert message in issue.message
    assert str(issue).startswith(f"{FIXTURES / fixture}:{line}: ")
    assert issue.message_zh and issue.message_zh != ""


def test_every_rule_has_a_fixture() -> None:
    covered = {"duplicate-name", "unknown-table", "unknown-column", "unknown-name",
               "expression", "cycle", "type", "unit", "description", "period-over-period",
               "per-stage"}
    assert {r.name for r in RULES} == covered


def test_user_folder_overrides_and_adds(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("""\
measures:
  - {name: big_wins, source: opportunities, agg: count, time: closed_at,
     filters: [{column: status, values: won}, {column: amount, op: ge, values: 100000}]}
kpis:
  - name: big_wins
    type: simple
    measure: big_wins
    direction: higher
    unit: count
    group: results
    label: {en: Big wins, zh: 大单数}
    description: {en: Number of deals won of 100000 or more., zh: 金额十万及以上的赢单数量。}
  - name: win_rate
    type: ratio
    numerator: deals_won
    denominator: opportunities_created
    direction: higher
    unit: ratio
    label: {en: Win rate (ours), zh: 赢单率（自定义）}
    description: {en: Won over created., zh: 赢单数除以新增商机数。}
""", encoding="utf-8")
    catalog = load_catalog(tmp_path)
    assert catalog.kpi("big_wins").label.zh == "大单数"
    assert catalog.kpi("win_rate").label.en == "Win rate (ours)"
    assert ("kpi", "win_rate") in catalog.overridden
    assert str(catalog.where("kpi", "win_rate")) == f"{tmp_path / 'mine.yaml'}:13"


def test_load_raises_with_every_issue(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text((FIXTURES / "cycle.yaml").read_text() +
                                       "measures:\n  - {name: x, source: nope, agg: count}\n",
                                       encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalog(tmp_path)
    text = str(info.value)
    assert "bad.yaml:4: kpi 'ping' depends on itself" in text
    assert "bad.yaml:17: measure 'x': unknown source 'nope'" in text


@pytest.mark.parametrize("text", ["a + b * (c - 2) / -d", "100 * x", "(a)"])
def test_expression_grammar_accepts(text: str) -> None:
    parse_expression(text)


@pytest.mark.parametrize(("text", "why"), [
    ("a.b", "an attribute"), ("a[0]", "a subscript"), ("a if b else c", "a conditional"),
    ("a ** 2", "'BinOp'"), ("a < b", "a comparison"), ("'text'", "'Constant'"),
    ("lambda: 1", "a lambda"), ("a +", "not a valid expression"),
])
def test_expression_grammar_refuses(text: str, why: str) -> None:
    with pytest.raises(ExpressionError, match=why.replace("(", r"\(").replace("*", r"\*")):
        parse_expression(text)


def test_docs_are_current() -> None:
    """docs/kpis.md is generated; regenerate with `salescore kpi docs` when this fails."""
    assert DOCS.read_text(encoding="utf-8") == render_docs(shipped_catalog())
