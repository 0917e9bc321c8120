"""Read plan documents from YAML, and say exactly where each problem is (file:line).

PyYAML's compose step keeps every node's ``start_mark``; :func:`read_yaml` walks the node tree
beside the constructed data and records the line of every key path (``("lines", 1, "weight")``),
as :mod:`salescore.semantic.loader` does for the KPI catalogue. Pydantic's errors and the plan
rules name key paths, so each problem becomes an :class:`~salescore.semantic.issues.Issue` with
its file and line.

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

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from salescore.core.errors import ConfigError, Location
from salescore.core.text import Text
from salescore.semantic.issues import Issue
from salescore.semantic.plan import (
    Direction,
    Finding,
    KeyPath,
    Plan,
    PlanRulesFailed,
    Respelling,
    check_kpis,
    respell,
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


@dataclass(frozen=True)
class LineMap:
    """The 1-based line of every key path of one YAML document."""

    file: str
    lines: Mapping[KeyPath, int]

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its deepest ancestor that the document has."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def locate(self, path: KeyPath) -> Location:
        return Location(self.file, self.line_of(path))

    def moved(self, moves: Mapping[KeyPath, KeyPath]) -> LineMap:
        """This map with each new key path of ``moves`` on the line of its old one."""
        lines = dict(self.lines)
        for new, old in moves.items():
            line = self.lines.get(old)
            if line is not None:
                lines[new] = line
        return LineMap(self.file, lines)


def read_yaml(text: str, file: str) -> tuple[Any, LineMap, list[Issue]]:
    """Parse one YAML document: its data, the line of each key path, and problems found.

    A key written twice in one mapping is a problem (PyYAML would silently keep the last one).
    Invalid YAML gives ``None`` data and one issue at the line where the parser stopped.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        issue = Issue("yaml", Text(f"not valid YAML: {problem}", f"YAML 格式错误：{problem}"),
                      Location(file, line))
        return None, LineMap(file, {}), [issue]
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    issues: list[Issue] = []
    if node is not None:
        _walk(node, (), lines, issues, file)
    return data, LineMap(file, lines), issues


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], issues: list[Issue],
          file: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            here = (*path, key)
            line = key_node.start_mark.line + 1
            if key in seen:
                issues.append(Issue(
                    "duplicate-key",
                    Text(f"key {key!r} is written twice (first on line {seen[key]}); the "
                         "second would silently win",
                         f"键 {key!r} 出现了两次（首次在第 {seen[key]} 行）；后者会覆盖前者"),
                    Location(file, line),
                    path=here,
                ))
                continue
            seen[key] = line
            # The key's line, not the value's: a nested block starts on the line below its key.
            lines[here] = line
            _walk(value_node, here, lines, issues, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, issues, file)


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


_SCHEMA_ZH: dict[str, str] = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的键（拼写错误？）",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "string_type": "应为文本",
    "bool_type": "应为 true 或 false",
    "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射",
    "dict_type": "应为键值映射",
    "tuple_type": "应为列表",
    "list_type": "应为列表",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "union_tag_invalid": "类型取值无效",
    "union_tag_not_found": "缺少类型字段",
}


def _data_path(loc: tuple[str | int, ...], data: Any) -> KeyPath:
    """``loc`` without the segments that are not keys of ``data`` (union discriminator tags)."""
    path: list[str | int] = []
    current = data
    for i, seg in enumerate(loc):
        if isinstance(current, Mapping) and seg in current:
            current = current[seg]
            path.append(seg)
        elif isinstance(current, list) and isinstance(seg, int) and 0 <= seg < len(current):
            current = current[seg]
            path.append(seg)
        elif i == len(loc) - 1:
            path.append(seg)
    return tuple(path)


def _issue(finding: Finding, where: LineMap) -> Issue:
    return Issue(finding.rule, Text(finding.message, finding.message_zh),
                 where.locate(finding.path), finding.path, finding.severity)


def _deprecation(respelling: Respelling, where: LineMap) -> Issue:
    """A warning at the first old key: it is still read, and how to write it now."""
    old = [str(path[-1]) for path in respelling.old]
    new = f"{respelling.new[-1]}: {{en: ..., zh: ...}}"
    return Issue(
        "deprecated-spelling",
        Text(f"an old spelling, still read: write {new} instead of {' and '.join(old)}",
             f"旧写法，仍可读取：请将 {' 和 '.join(old)} 改写为 {new}"),
        where.locate(respelling.old[0]), respelling.old[0], "warning")


def _schema_issues(exc: ValidationError, data: Any, where: LineMap) -> list[Issue]:
    issues: list[Issue] = []
    for err in exc.errors():
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, PlanRulesFailed):
            issues.extend(_issue(finding, where) for finding in cause.findings)
            continue
        kind = err["type"]
        message = err["msg"]
        if kind == "extra_forbidden":
            message = "unknown key (a typo?)"
        elif kind == "missing":
            message = "required key is missing"
        zh = _SCHEMA_ZH.get(kind)
        if zh is None:
            message_zh = message
        elif kind in ("extra_forbidden", "missing"):
            message_zh = zh
        else:
            message_zh = f"{zh}（{message}）"
        path = _data_path(tuple(err["loc"]), data)
        issues.append(_issue(Finding("schema", path, message, message_zh), where))
    return issues


def _by_line(issues: list[Issue]) -> tuple[Issue, ...]:
    return tuple(sorted(issues, key=lambda issue: issue.place[1]))


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
    data, where, issues = read_yaml(text, file)
    if data is None and issues:
        return PlanCheck(None, _by_line(issues))
    if not isinstance(data, Mapping):
        issues.append(Issue("schema", Text("a plan document is a mapping of keys (name, lines, …)",
                                           "方案文件应为键值映射（name、lines 等）"),
                            Location(file, where.line_of(()) or 1)))
        return PlanCheck(None, _by_line(issues))
    data, respellings = respell(data)
    where = where.moved({new: old for r in respellings for new, old in r.moved().items()})
    warnings = [_deprecation(respelling, where) for respelling in respellings]
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        issues.extend(_schema_issues(exc, data, where))
        return PlanCheck(None, _by_line(issues), _by_line(warnings))
    if known is not None:
        for finding in check_kpis(plan, known):
            (issues if finding.severity == "error" else warnings).append(_issue(finding, where))
    return PlanCheck(None if issues else plan, _by_line(issues), _by_line(warnings))


def check_plan_file(
    path: str | Path, *, known: Mapping[str, Direction | str] | None = None
) -> PlanCheck:
    """:func:`check_plan_text` on a file (read as UTF-8); the issues name the file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return PlanCheck(None, (Issue("file", Text(f"cannot read: {exc}", f"无法读取：{exc}"),
                                      Location(str(file))),))
    return check_plan_text(text, file=str(file), known=known)


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
