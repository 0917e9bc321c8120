"""Applying a mapping: a source table's columns become raw canonical columns, still as found.

Everything a mapping says is done here, column-wise, except the type cleaning that follows it:
picking the source columns, null tokens, ``split``, ``values``, ``when`` and ``default``. With no
mapping, the source's columns whose headers are canonical names (ignoring case, spaces and
hyphens) are taken as they are.

>>> import pyarrow as pa
>>> from salescore.ingest.readers import source_from_arrow
>>> src = source_from_arrow(pa.table({"Stage": ["Closed Won", "Prospecting"],
...                                   "Opportunity_ID": ["o1", "o2"]}))
>>> spec = parse_mapping("columns: {stage: {from: Stage, values: {Closed Won: won}}}")
>>> apply_mapping(src, "opportunities", spec).columns["stage"].raw.to_pylist()
['won', 'Prospecting']
>>> list(apply_mapping(src, "opportunities", None).columns)
['opportunity_id', 'stage']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from string import Formatter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salescore.ingest.cleaning import as_text, blank_to_null, clean_text
from salescore.ingest.mapping import ColumnSpec, MappingSpec, parse_mapping
from salescore.ingest.problems import IngestError, Problem, Reason
from salescore.ingest.readers import ROW, SourceTable
from salescore.model.tables import table

__all__ = ["Mapped", "MappedColumn", "apply_mapping", "parse_mapping"]


@dataclass(frozen=True, slots=True)
class MappedColumn:
    """One canonical column before type cleaning: values as text (or typed, from a typed
    source), the source column it came from (for the rejects file) and its spec."""

    name: str
    raw: pa.Array
    source: str
    spec: ColumnSpec | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Mapped:
    """The canonical columns a source provides, its row numbers, and what it left unused."""

    columns: dict[str, MappedColumn]
    rows: pa.Array
    ignored: tuple[str, ...]


def _folded(name: str) -> str:
    return re.sub(r"[\s\-_]+", "_", name.strip().casefold())


def _lookup(source: SourceTable, name: str) -> str | None:
    """The source column called ``name``, exactly, else ignoring case and spacing."""
    columns = source.columns
    if name in columns:
        return name
    matches = [c for c in columns if _folded(c) == _folded(name)]
    return matches[0] if len(matches) == 1 else None


def _raw(source: SourceTable, name: str, null_values: Sequence[str]) -> pa.Array:
    column = source.data.column(name).combine_chunks()
    if pa.types.is_string(column.type) or pa.types.is_null(column.type):
        return blank_to_null(column, null_values)
    return column


def apply_mapping(source: SourceTable, table_name: str, spec: MappingSpec | None,
                  null_values: Sequence[str] = ()) -> Mapped:
    """The canonical columns of ``table_name`` that ``source`` provides through ``spec``.

    :class:`IngestError` (naming the mapping file and line) when the mapping names a column the
    source does not have, or maps to a column the table does not declare.
    """
    declared = table(table_name)
    rows = source.data.column(ROW).combine_chunks()
    nulls = list(null_values) + (list(spec.source.null_values) if spec else [])
    if spec is None:
        columns: dict[str, MappedColumn] = {}
        used: set[str] = set()
        for column in declared.column_names:
            found = _lookup(source, column)
            if found is not None and found not in used:
                used.add(found)
                columns[column] = MappedColumn(column, _raw(source, found, nulls), found)
        ignored = tuple(c for c in source.columns if c not in used)
        return Mapped(columns, rows, ignored)
    if spec.table is not None and spec.table != table_name:
        raise IngestError(
            f"this mapping is for table {spec.table!r}, not {table_name!r}",
            message_zh=f"该映射用于表 {spec.table!r}，而不是 {table_name!r}",
            location=spec.location("table"))
    spec.check_columns(table_name)
    mapped = {name: _map_column(source, spec, name, column_spec, nulls)
              for name, column_spec in spec.columns.items()
              if not _absent(source, column_spec)}
    used = {s for c in spec.columns.values() for s in c.source_columns()
            if _lookup(source, s) is not None}
    used = {_lookup(source, s) or s for s in used}
    return Mapped(mapped, rows, tuple(c for c in source.columns if c not in used))


def _absent(source: SourceTable, col: ColumnSpec) -> bool:
    """An optional column none of whose source columns the file has, and with no default: left
    out, so that a stored value is kept and a table default (the currency) applies."""
    if not col.optional or col.default is not None or col.constant is not None:
        return False
    reads = [col.from_] if col.from_ else list(col.coalesce or col.template_fields())
    return all(_lookup(source, c) is None for c in reads)


def _missing(source: SourceTable, spec: MappingSpec, name: str, missing: str,
             *where: str) -> IngestError:
    shown = ", ".join(source.columns)
    return IngestError(
        f"column {missing!r} (for {name}) is not in {source.name}; its columns: {shown}",
        message_zh=f"{source.name} 中没有列 {missing!r}（用于 {name}）；现有列：{shown}",
        location=spec.location("columns", name, *where))


def _map_column(source: SourceTable, spec: MappingSpec, name: str, col: ColumnSpec,
                nulls: list[str]) -> MappedColumn:
    n = source.data.num_rows

    def need(column: str, *where: str) -> str | None:
        found = _lookup(source, column)
        if found is None and not col.optional:
            raise _missing(source, spec, name, column, *where)
        return found

    label = name
    raw: pa.Array
    if col.from_ is not None:
        found = need(col.from_, "from")
        label = found or col.from_
        raw = _raw(source, found, nulls) if found else pa.nulls(n, pa.string())
    elif col.coalesce is not None:
        present = [c for c in (_lookup(source, c) for c in col.coalesce) if c is not None]
        if not present and not col.optional:
            raise _missing(source, spec, name, " / ".join(col.coalesce), "coalesce")
        label = " / ".join(present) or name
        parts = [_raw(source, c, nulls) for c in present]
        if len({p.type for p in parts}) > 1:
            parts = [as_text(p) for p in parts]
        raw = pc.coalesce(*parts) if parts else pa.nulls(n, pa.string())
    elif col.template is not None:
        raw = _template(source, spec, name, col, nulls)
    else:
        raw = pa.array(np.full(n, col.constant, dtype=object), pa.string())
    problems: list[Problem] = []
    if col.split is not None:
        raw = _split(as_text(raw), col.split.separator, col.split.index)
    if col.values is not None:
        raw, unmapped = _value_map(as_text(raw), col.values)
        match col.unmapped:
            case "reject":
                if unmapped.true_count:
                    problems.append(Problem(unmapped, Reason(
                        "no entry for this value in the mapping's values",
                        "映射的 values 中没有此值")))
                raw = pc.if_else(unmapped, pa.scalar(None, pa.string()), raw)
            case "empty":
                raw = pc.if_else(unmapped, pa.scalar(None, pa.string()), raw)
            case "keep":
                pass
    if col.when is not None:
        found = need(col.when.column, "when", "column")
        keep = _condition(_raw(source, found, nulls) if found else pa.nulls(n, pa.string()),
                          col)
        raw = pc.if_else(keep, raw, pa.scalar(None, raw.type))
    if col.otherwise is not None:
        other = _map_column(source, spec, name, col.otherwise, nulls)
        problems += other.problems
        raw = pc.coalesce(as_text(raw), as_text(other.raw)) if raw.type != other.raw.type \
            else pc.coalesce(raw, other.raw)
    if col.default is not None:
        raw = pc.fill_null(as_text(raw), col.default)
    return MappedColumn(name, raw, label, col, tuple(problems))


def _template(source: SourceTable, spec: MappingSpec, name: str, col: ColumnSpec,
              nulls: list[str]) -> pa.Array:
    assert col.template is not None
    pieces: list[pa.Array | str] = []
    fields: list[pa.Array] = []
    for literal, field, _, _ in Formatter().parse(col.template):
        if literal:
            pieces.append(literal)
        if field:
            found = _lookup(source, field)
            if found is None:
                if not col.optional:
                    raise _missing(source, spec, name, field, "template")
                value = pa.nulls(source.data.num_rows, pa.string())
            else:
                value = as_text(_raw(source, found, nulls))
            fields.append(value)
            pieces.append(value)
    joined = pc.binary_join_element_wise(*pieces, "", null_handling="replace",
                                         null_replacement="")
    joined = clean_text(joined).values
    none = pc.is_null(fields[0])
    for f in fields[1:]:
        none = pc.and_(none, pc.is_null(f))
    return pc.if_else(none, pa.scalar(None, pa.string()), joined)


def _split(text: pa.Array, separator: str, index: int) -> pa.Array:
    """Part ``index`` of each value split by ``separator`` (negative: from the end); null when
    there is no such part. Computed once per distinct value."""
    distinct = pc.unique(text.filter(pc.is_valid(text)))

    def part(value: str) -> str | None:
        parts = value.split(separator)
        try:
            chosen = parts[index].strip()
        except IndexError:
            return None
        return chosen or None

    parts = pa.array([part(v) for v in distinct.to_pylist()], pa.string())
    return pc.take(parts, pc.index_in(text, value_set=distinct))


def _value_map(text: pa.Array, values: dict[str, str | None]) -> tuple[pa.Array, pa.BooleanArray]:
    """``values`` applied to trimmed text, exactly and then ignoring case; the mapped values
    and where a non-empty value had no entry."""
    text = clean_text(text, identifier=True).values
    keys = list(values)
    targets = pa.array([values[k] for k in keys], pa.string())
    index = pc.index_in(text, value_set=pa.array(keys, pa.string()))
    folded_keys: dict[str, int] = {}
    for i, k in enumerate(keys):
        folded_keys.setdefault(k.casefold(), i)
    loose = pc.index_in(pc.utf8_lower(text), value_set=pa.array(list(folded_keys), pa.string()))
    loose = pc.take(pa.array(list(folded_keys.values()), pa.int32()), loose)
    index = pc.coalesce(index, loose)
    found = pc.is_valid(index)
    mapped = pc.if_else(found, pc.take(targets, index), text)
    unmapped = pc.fill_null(pc.and_(pc.is_valid(text), pc.invert(found)), False)
    return mapped, unmapped


def _condition(column: pa.Array, col: ColumnSpec) -> pa.BooleanArray:
    assert col.when is not None
    when = col.when
    text = pc.utf8_lower(clean_text(as_text(column), identifier=True).values)
    if when.matches is not None:
        hit = pc.match_substring_regex(clean_text(as_text(column), identifier=True).values,
                                       when.matches)
        return pc.fill_null(hit, False)
    listed = when.in_ if when.in_ is not None else when.not_in
    assert listed is not None
    hit = pc.fill_null(pc.is_in(text, value_set=pa.array([v.casefold() for v in listed],
                                                        pa.string())), False)
    return hit if when.in_ is not None else pc.invert(hit)
