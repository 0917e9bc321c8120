"""A problem found in a document (a KPI catalogue, a plan, a mapping), pointing at its file:line.

An :class:`Issue` says which rule found it (a :class:`~salescore.semantic.rules.Rule`'s ``name``,
or ``yaml``, ``duplicate-key``, ``schema`` from the reader), what it is (a
:class:`~salescore.core.text.Text`), where (the key path in the document and, once the
document's file is known, file:line) and how bad: an ``error`` makes the document unusable, a
``warning`` (a deprecated spelling, a direction that contradicts the catalogue) is reported and
the document is used.

>>> issue = Issue("weights-sum", Text("the weights must sum to 1", "各行权重之和须为 1"),
...               path=("lines",))
>>> str(issue.at(Location("plan.yaml", 9)))
'plan.yaml:9: lines: the weights must sum to 1 [weights-sum]'
>>> issue.localized("zh_CN")
'lines：各行权重之和须为 1 [weights-sum]'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from salescore.core.errors import ConfigError, Location
from salescore.core.text import Text

__all__ = ["Issue", "IssuesFound", "KeyPath", "Severity", "format_path", "raise_for"]

KeyPath = tuple[str | int, ...]
"""Where in a YAML document: ``("lines", 1, "weight")`` is the weight of the second line."""

Severity = Literal["error", "warning"]


def format_path(path: KeyPath) -> str:
    """``("lines", 1, "weight")`` → ``lines[1].weight``; the empty path → ``(top)``.

    >>> format_path(("lines", 1, "scoring", "bands", 0, "at"))
    'lines[1].scoring.bands[0].at'
    """
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top)"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: the rule that found it, what (en, zh-CN), where, and how bad.

    ``path`` is the key path the problem concerns, when a rule knows it (it then leads the
    message); ``location`` is the file and line, once known (:meth:`at`).
    """

    rule: str
    text: Text
    location: Location | None = None
    path: KeyPath = ()
    severity: Severity = "error"

    @property
    def message(self) -> str:
        """The English message, after the key path when there is one."""
        return f"{format_path(self.path)}: {self.text.en}" if self.path else self.text.en

    @property
    def message_zh(self) -> str:
        """The Chinese message, after the key path when there is one."""
        return f"{format_path(self.path)}：{self.text.zh}" if self.path else self.text.zh

    @property
    def place(self) -> tuple[str, int]:
        """The file and line to sort by (``""`` and 0 where unknown)."""
        if self.location is None:
            return "", 0
        return self.location.file, self.location.line or 0

    def at(self, location: Location) -> Issue:
        """This issue found at ``location``."""
        return replace(self, location=location)

    def localized(self, locale: str) -> str:
        """``file:line: message [rule]`` in ``locale``."""
        text = Text(self.message, self.message_zh).get(locale)
        where = f"{self.location}: " if self.location is not None else ""
        return f"{where}{text} [{self.rule}]"

    def __str__(self) -> str:
        return self.localized("en")


class IssuesFound(ValueError):
    """Raised by a model's validator with every error its rules found; Pydantic wraps it in a
    ``ValidationError`` (:func:`salescore.semantic.yamlfile.schema_issues` unwraps it)."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("; ".join(issue.message for issue in self.issues))


def raise_for(issues: Iterable[Issue]) -> None:
    """Raise one :class:`ConfigError` listing every error (warnings do not count), if any."""
    found = [issue for issue in issues if issue.severity == "error"]
    if not found:
        return
    head_en = f"the KPI catalogue has {len(found)} problem(s):"
    head_zh = f"指标目录有 {len(found)} 处问题："
    raise ConfigError(
        "\n".join([head_en, *(f"  {i}" for i in found)]),
        message_zh="\n".join([head_zh, *(f"  {i.localized('zh_CN')}" for i in found)]),
    )
