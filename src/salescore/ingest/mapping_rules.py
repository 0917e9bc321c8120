"""The rules a mapping obeys beyond its schema: what one key says about another.

Each rule is a :class:`~salescore.semantic.rules.Rule` over a parsed
:class:`~salescore.ingest.mapping.MappingSpec` and yields issues at a key path, which
:func:`~salescore.ingest.mapping.parse_mapping` turns into file:line.

>>> from salescore.ingest.mapping import parse_mapping
>>> from salescore.ingest.problems import IngestError
>>> try:
...     parse_mapping('''
... table: reps
... columns:
...   rep_id: Agent
...   team_id: {lookup: {in: teams, match: Agent, take: Office}}
... ''', origin="reps.yaml")
... except IngestError as exc:
...     print(exc.message)
reps.yaml:5: columns.team_id.lookup.in: 'teams' is not a file declared under lookups (none is)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from salescore.ingest.mapping import ColumnSpec, MappingSpec
from salescore.model.tables import DataType, table
from salescore.semantic.issues import Issue, KeyPath
from salescore.semantic.rules import Rule

__all__ = ["MAPPING_RULES"]


@dataclass(frozen=True, slots=True)
class _Mapped:
    """One column spec of a mapping (an ``otherwise`` too), where it is, and its table."""

    table: str | None
    name: str
    spec: ColumnSpec
    path: KeyPath


def _columns(spec: MappingSpec) -> Iterator[_Mapped]:
    sections = ([(("tables", t), t, s.columns) for t, s in spec.tables.items()]
                if spec.tables is not None else [((), spec.table, spec.columns)])
    for prefix, table_name, columns in sections:
        for name, col in columns.items():
            path: KeyPath = (*prefix, "columns", name)
            while True:
                yield _Mapped(table_name, name, col, path)
                if col.otherwise is None:
                    break
                col, path = col.otherwise, (*path, "otherwise")


class ColumnsDeclared(Rule[MappingSpec]):
    """Every mapped column is a column of its table."""

    name = "mapping-column"

    def check(self, subject: MappingSpec) -> Iterator[Issue]:
        for m in _columns(subject):
            if m.table is None or m.path[-1] == "otherwise":
                continue
            declared = table(m.table).column_names
            if m.name not in declared:
                yield self.issue(
                    f"{m.table} has no column {m.name!r}; its columns: {', '.join(declared)}",
                    f"{m.table} 没有列 {m.name!r}；其列为：{', '.join(declared)}", path=m.path)


class LookupsDeclared(Rule[MappingSpec]):
    """A column that looks a value up names a file declared under ``lookups``."""

    name = "mapping-lookup"

    def check(self, subject: MappingSpec) -> Iterator[Issue]:
        known = ", ".join(subject.lookups) or None
        for m in _columns(subject):
            if m.spec.lookup is not None and m.spec.lookup.file not in subject.lookups:
                yield self.issue(
                    f"{m.spec.lookup.file!r} is not a file declared under lookups "
                    f"({f'those are: {known}' if known else 'none is'})",
                    f"{m.spec.lookup.file!r} 未在 lookups 中声明"
                    f"（{f'已声明：{known}' if known else '尚未声明任何查找文件'}）",
                    path=(*m.path, "lookup", "in"))


class DaysOnDates(Rule[MappingSpec]):
    """``add_days`` moves a date or a time: the column it is on is one."""

    name = "mapping-add-days"

    def check(self, subject: MappingSpec) -> Iterator[Issue]:
        for m in _columns(subject):
            if m.spec.add_days is None or m.table is None:
                continue
            declared = table(m.table)
            if m.name in declared.column_names and declared.column(m.name).type not in (
                    DataType.DATE, DataType.TIMESTAMP):
                yield self.issue(
                    f"add_days moves a date or a time, and {m.table}.{m.name} is neither",
                    f"add_days 只能用于日期或时间列，{m.table}.{m.name} 不是",
                    path=(*m.path, "add_days"))


MAPPING_RULES: tuple[Rule[MappingSpec], ...] = (ColumnsDeclared(), LookupsDeclared(),
                                                DaysOnDates())
"""Every rule a mapping is checked with once its schema holds."""
