"""The one shape of a validation rule: a small class with an id that yields issues.

A rule looks at one subject (a KPI catalogue with its context, a plan, a plan beside the KPI
catalogue) and yields an :class:`~salescore.semantic.issues.Issue` for each problem it finds,
never raising. Its ``name`` is the id every one of its issues carries (``weights-sum``), its
``severity`` says whether they make the subject invalid, and its docstring says what it checks.
Each rule has one invalid fixture that it catches (``tests/semantic/``).

>>> class NoEmptyName(Rule[dict[str, str]]):
...     '''A name is not blank.'''
...
...     name = "name"
...
...     def check(self, subject: dict[str, str]) -> Iterator[Issue]:
...         if not subject.get("name", "").strip():
...             yield self.issue("a name is needed", "需要名称", path=("name",))
>>> [str(issue) for issue in run_rules([NoEmptyName()], {"name": " "})]
['name: a name is needed [name]']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar, Generic, TypeVar

from salescore.core.errors import Location
from salescore.core.text import Text
from salescore.semantic.issues import Issue, KeyPath, Severity

__all__ = ["Rule", "run_rules"]

S = TypeVar("S", contravariant=True)


class Rule(Generic[S]):
    """A validation rule over subjects of type ``S``: subclasses set ``name`` (and
    ``severity`` for a warning) and implement :meth:`check`."""

    name: ClassVar[str]
    severity: ClassVar[Severity] = "error"

    def check(self, subject: S) -> Iterator[Issue]:
        """Every problem of ``subject`` that this rule finds."""
        raise NotImplementedError

    def issue(self, en: str, zh: str, *, path: KeyPath = (),
              location: Location | None = None) -> Issue:
        """An issue of this rule: what (in English and Chinese), and where."""
        return Issue(self.name, Text(en, zh), location, path, self.severity)


def run_rules(rules: Iterable[Rule[S]], subject: S) -> list[Issue]:
    """The issues every rule of ``rules`` finds in ``subject``, rule by rule."""
    return [issue for rule in rules for issue in rule.check(subject)]
