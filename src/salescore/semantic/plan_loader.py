"""Read plan documents from YAML, and say exactly where each problem is (file:line).

A plan file is read by the one YAML reader (:mod:`salescore.semantic.yamlfile`), which keeps the
line of every key path; old spellings of its texts are rewritten (:func:`respell_plan`, a
warning each); then the :class:`~salescore.semantic.plan.Plan` is built, which runs the plan's
rules, and, given the catalogue, the rules of :mod:`salescore.semantic.plan_kpi_rules`. Every
problem is an :class:`~salescore.semantic.issues.Issue` with its file and line.

>>> text = '''
... name: tiny
... title: {en: Tiny, zh: 小}
... grain: month
... lines:
...   - kpi: revenue_won
...     weight: 0.9
...     scoring: {method: percentile}
... ratings: [{label: A}]
... '''
>>> result = check_plan_text(text, file="tiny.yaml")
>>> result.plan is None, [str(issue) for issue in result.errors]
(True, ['tiny.yaml:5: lines: the weights must sum to 1; they sum to 0.9 (0.9) [weights-sum]'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from salescore.core.errors import ConfigError, Location
from salescore.core.text import Text
from salescore.semantic.issues import Issue
from salescore.semantic.plan import Direction, Plan, respell_plan
from salescore.semantic.plan_kpi_rules import check_kpis
from salescore.semantic.spelling import moved_lines
from salescore.semantic.yamlfile import (
    LineMap,
    YamlDocument,
    read_yaml,
    read_yaml_file,
    schema_issues,
)

__all__ = [
    "SHIPPED_PLANS_DIR",
    "LineMap",
    "PlanCheck",
    "PlanValidationError",
    "check_plan_file",
    "check_plan_text",
    "load_plan",
    "load_shipped_plans",
    "parse_plan",
    "read_yaml",
    "shipped_plan_paths",
]

SHIPPED_PLANS_DIR = Path(__file__).resolve().parent.parent / "catalog" / "plans"


class PlanValidationError(ConfigError):
    """A plan document is invalid; ``issues`` lists every error with its file:line."""

    def __init__(self, issues: tuple[Issue, ...]) -> None:
        super().__init__(
            "invalid plan:\n" + "\n".join(f"  {issue}" for issue in issues),
            message_zh="方案无效：\n" + "\n".join(f"  {issue.localized('zh_CN')}"
                                                for issue in issues),
        )
        self.issues = issues


@dataclass(frozen=True)
class PlanCheck:
    """The outcome of checking one plan document: the plan if it is valid, errors and warnings.

    Warnings (a direction override that contradicts the catalogue, a target that asks for worse
    than last period, an old spelling such as ``title_en``/``title_zh``) do not make a plan
    invalid.
    """

    plan: Plan | None
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.errors


def _by_line(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    return tuple(sorted(issues, key=lambda issue: issue.place[1]))


def _check(doc: YamlDocument, known: Mapping[str, Direction | str] | None) -> PlanCheck:
    data, where, issues = doc
    if data is None and issues:
        return PlanCheck(None, _by_line(issues))
    if not isinstance(data, Mapping):
        issues.append(Issue("schema", Text("a plan document is a mapping of keys (name, lines, …)",
                                           "方案文件应为键值映射（name、lines 等）"),
                            Location(where.file, where.line_of(()) or 1)))
        return PlanCheck(None, _by_line(issues))
    data, respelled = respell_plan(data)
    where = moved_lines(where, respelled)
    warnings = [respelling.issue(where) for respelling in respelled]
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        issues += schema_issues(exc, data, where)
        return PlanCheck(None, _by_line(issues), _by_line(warnings))
    if known is not None:
        for issue in check_kpis(plan, known):
            located = issue.at(where.locate(issue.path))
            (issues if issue.severity == "error" else warnings).append(located)
    return PlanCheck(None if issues else plan, _by_line(issues), _by_line(warnings))


def check_plan_text(
    text: str,
    *,
    file: str = "<plan>",
    known: Mapping[str, Direction | str] | None = None,
) -> PlanCheck:
    """Check a plan document and report every problem with file:line; never raises for bad input.

    With ``known`` (the catalogue's KPI names and their directions) the KPI names are checked
    too: ``{name: kpi.direction for name, kpi in catalog.kpis.items()}``.
    """
    return _check(read_yaml(text, file), known)


def check_plan_file(
    path: str | Path, *, known: Mapping[str, Direction | str] | None = None
) -> PlanCheck:
    """:func:`check_plan_text` on a file (read as UTF-8); the issues name the file."""
    return _check(read_yaml_file(path), known)


def parse_plan(
    text: str, *, file: str = "<plan>", known: Mapping[str, Direction | str] | None = None
) -> Plan:
    """The plan in ``text``; :class:`PlanValidationError` listing every error if it is invalid."""
    result = check_plan_text(text, file=file, known=known)
    if result.plan is None:
        raise PlanValidationError(result.errors)
    return result.plan


def load_plan(path: str | Path, *, known: Mapping[str, Direction | str] | None = None) -> Plan:
    """The plan in the YAML file ``path``; :class:`PlanValidationError` if it is invalid."""
    result = check_plan_file(path, known=known)
    if result.plan is None:
        raise PlanValidationError(result.errors)
    return result.plan


def shipped_plan_paths() -> tuple[Path, ...]:
    """The example plans that ship with salescore (``catalog/plans/*.yaml``), sorted."""
    return tuple(sorted(SHIPPED_PLANS_DIR.glob("*.yaml")))


def load_shipped_plans(*, known: Mapping[str, Direction | str] | None = None) -> dict[str, Plan]:
    """Every shipped example plan by name, validated (against ``known`` if given)."""
    plans = (load_plan(path, known=known) for path in shipped_plan_paths())
    return {plan.name: plan for plan in plans}
