"""Applying a mapping: a source table's columns become raw canonical columns, still as found.

Everything a mapping says is done here, column-wise, except the type cleaning that follows it:
the rows it skips, picking the source columns, look-ups into second files, ``cases``, null
tokens, ``split``, ``values``, ``when``, ``default`` and ``add_days``. With no mapping, the
source's columns whose headers are canonical names (ignoring case, spaces and hyphens) are
taken as they are.

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

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as default_field
from string import Formatter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salescore.ingest.cleaning import (
    DateOptions,
    as_text,
    blank_to_null,
    clean_text,
    to_date,
    to_float,
    to_timestamp,
)
from salescore.ingest.mapping import ColumnSpec, MappingSpec, WhenSpec, parse_mapping
from salescore.ingest.problems import IngestError, Problem, Reason
from salescore.ingest.readers import ROW, ReadOptions, SourceTable, read_source
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
    """The canonical columns a source provides, its row numbers, and what it left unused;
    the rows the mapping's ``skip_rows`` skipped, and what mapping did unasked (``notes``:
    values a look-up did not find)."""

    columns: dict[str, MappedColumn]
    rows: pa.Array
    ignored: tuple[str, ...]
    skipped: tuple[int, ...] = ()
    notes: tuple[Reason, ...] = ()


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
                  null_values: Sequence[str] = (), *, today: dt.date | None = None) -> Mapped:
    """The canonical columns of ``table_name`` that ``source`` provides through ``spec`` (for a
    mapping of several tables, its section for ``table_name``).

    Rows that ``skip_rows`` matches are left out (their numbers in ``skipped``). ``today`` is
    the day that ``before: today`` and ``after: today`` compare with (default: the computer's).
    :class:`IngestError` (naming the mapping file and line) when the mapping names a column the
    source or a lookup file does not have, or maps to a column the table does not declare.
    """
    declared = table(table_name)
    nulls = list(null_values) + (list(spec.source.null_values) if spec else [])
    if spec is None:
        rows = source.data.column(ROW).combine_chunks()
        columns: dict[str, MappedColumn] = {}
        used: set[str] = set()
        for column in declared.column_names:
            found = _lookup(source, column)
            if found is not None and found not in used:
                used.add(found)
                columns[column] = MappedColumn(column, _raw(source, found, nulls), found)
        ignored = tuple(c for c in source.columns if c not in used)
        return Mapped(columns, rows, ignored)
    spec = spec.for_table(table_name)
    if spec.table is not None and spec.table != table_name:
        raise IngestError(
            f"this mapping is for table {spec.table!r}, not {table_name!r}",
            message_zh=f"该映射用于表 {spec.table!r}，而不是 {table_name!r}",
            location=spec.location("table"))
    spec.check_columns(table_name)
    context = _Context(spec, nulls, today or dt.date.today(), {})
    source, skipped = _skip_rows(source, context)
    rows = source.data.column(ROW).combine_chunks()
    mapped = {name: _map_column(source, context, name, column_spec)
              for name, column_spec in spec.columns.items()
              if not _absent(source, column_spec)}
    used = {s for c in spec.columns.values() for s in c.source_columns()
            if _lookup(source, s) is not None}
    used = {_lookup(source, s) or s for s in used}
    return Mapped(mapped, rows, tuple(c for c in source.columns if c not in used), skipped,
                  tuple(context.notes))


@dataclass(slots=True)
class _Context:
    """What mapping one source needs beyond a column's spec: the mapping, the null tokens, the
    day ``today`` means, the lookup files read so far (each once) and the notes made."""

    spec: MappingSpec
    nulls: list[str]
    today: dt.date
    lookups: dict[str, _LookupFile]
    notes: list[Reason] = default_field(default_factory=list)


def _skip_rows(source: SourceTable, context: _Context) -> tuple[SourceTable, tuple[int, ...]]:
    """``source`` without the rows that any of the mapping's ``skip_rows`` tests matches."""
    spec = context.spec
    if not spec.skip_rows:
        return source, ()
    n = source.data.num_rows
    skip = pa.array(np.zeros(n, dtype=bool))
    for i, when in enumerate(spec.skip_rows):
        skip = pc.or_(skip, _test(source, context, when, ("skip_rows", i)))
    if not skip.true_count:
        return source, ()
    rows = source.data.column(ROW).combine_chunks().filter(skip).to_pylist()
    kept = source.data.filter(pc.invert(skip))
    return SourceTable(source.name, source.format, kept, source.rejects, source.encoding,
                       source.sheet, source.titles), tuple(rows)


def _absent(source: SourceTable, col: ColumnSpec) -> bool:
    """An optional column none of whose source columns the file has, and with no default: left
    out, so that a stored value is kept and a table default (the currency) applies."""
    if not col.optional or col.default is not None or col.constant is not None:
        return False
    if col.lookup is not None:
        reads = [col.lookup.match]
    elif col.cases is not None:
        reads = [c for case in col.cases for c in case.when.source_columns()]
    else:
        reads = [col.from_] if col.from_ else list(col.coalesce or col.template_fields())
    return all(_lookup(source, c) is None for c in reads)


def _missing(source: SourceTable, spec: MappingSpec, name: str, missing: str,
             *where: str | int) -> IngestError:
    shown = ", ".join(source.columns)
    return IngestError(
        f"column {missing!r} (for {name}) is not in {source.name}; its columns: {shown}",
        message_zh=f"{source.name} 中没有列 {missing!r}（用于 {name}）；现有列：{shown}",
        location=spec.location("columns", name, *where))


def _map_column(source: SourceTable, context: _Context, name: str, col: ColumnSpec,
                where: tuple[str | int, ...] = ()) -> MappedColumn:
    n = source.data.num_rows
    spec, nulls = context.spec, context.nulls

    def need(column: str, *at: str) -> str | None:
        found = _lookup(source, column)
        if found is None and not col.optional:
            raise _missing(source, spec, name, column, *where, *at)
        return found

    label = name
    raw: pa.Array
    problems: list[Problem] = []
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
    elif col.lookup is not None:
        raw, label, found_problems = _looked_up(source, context, name, col, where)
        problems += found_problems
    elif col.cases is not None:
        raw = pa.nulls(n, pa.string())
        for i, case in enumerate(col.cases):
            hit = _test(source, context, case.when, ("columns", name, *where, "cases", i,
                                                    "when"))
            raw = pc.if_else(pc.and_(hit, pc.is_null(raw)), pa.scalar(case.then, pa.string()),
                             raw)
        label = " / ".join(dict.fromkeys(c for case in col.cases
                                         for c in case.when.source_columns())) or name
    else:
        raw = pa.array(np.full(n, col.constant, dtype=object), pa.string())
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
        keep = _test(source, context, col.when, ("columns", name, *where, "when"),
                     optional=col.optional)
        raw = pc.if_else(keep, raw, pa.scalar(None, raw.type))
    if col.otherwise is not None:
        other = _map_column(source, context, name, col.otherwise, (*where, "otherwise"))
        problems += other.problems
        raw = pc.coalesce(as_text(raw), as_text(other.raw)) if raw.type != other.raw.type \
            else pc.coalesce(raw, other.raw)
    if col.default is not None:
        raw = pc.fill_null(as_text(raw), col.default)
    if col.add_days is not None:
        raw, col, days_problems, days_label = _add_days(source, context, name, col, raw, where)
        problems += days_problems
        label = f"{label} + {days_label}"
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


def _test(source: SourceTable, context: _Context, when: WhenSpec, where: tuple[str | int, ...],
          *, optional: bool = False) -> pa.BooleanArray:
    """Where ``when`` holds (never null). A test of a column the source lacks is an
    :class:`IngestError` at ``where``, unless ``optional`` (then it never holds)."""
    n = source.data.num_rows
    if when.all is not None or when.any is not None:
        parts = when.all if when.all is not None else when.any
        assert parts is not None
        combine = pc.and_ if when.all is not None else pc.or_
        held = pa.array(np.full(n, when.all is not None, dtype=bool))
        kind = "all" if when.all is not None else "any"
        for i, part in enumerate(parts):
            held = combine(held, _test(source, context, part, (*where, kind, i),
                                       optional=optional))
        return held
    assert when.column is not None
    found = _lookup(source, when.column)
    if found is None:
        if optional:
            return pa.array(np.zeros(n, dtype=bool))
        shown = ", ".join(source.columns)
        raise IngestError(
            f"column {when.column!r} is not in {source.name}; its columns: {shown}",
            message_zh=f"{source.name} 中没有列 {when.column!r}；现有列：{shown}",
            location=context.spec.location(*where, "column"))
    column = _raw(source, found, context.nulls)
    if when.empty is not None:
        empty = pc.is_null(column)
        return empty if when.empty else pc.invert(empty)
    if when.before is not None or when.after is not None:
        return _on_days(column, context, when)
    if when.above is not None or when.below is not None:
        number = to_float(column, context.spec.decimal_separator).values
        held = pc.is_valid(number)
        if when.above is not None:
            held = pc.and_(held, pc.greater(number, when.above))
        if when.below is not None:
            held = pc.and_(held, pc.less(number, when.below))
        return pc.fill_null(held, False)
    text = clean_text(as_text(column), identifier=True).values
    if when.matches is not None:
        return pc.fill_null(pc.match_substring_regex(text, when.matches), False)
    listed = when.in_ if when.in_ is not None else when.not_in
    assert listed is not None
    hit = pc.fill_null(pc.is_in(pc.utf8_lower(text),
                                value_set=pa.array([v.casefold() for v in listed],
                                                   pa.string())), False)
    return hit if when.in_ is not None else pc.invert(hit)


def _day(value: str, today: dt.date) -> dt.date:
    return today if value == "today" else dt.date.fromisoformat(value)


def _on_days(column: pa.Array, context: _Context, when: WhenSpec) -> pa.BooleanArray:
    """Where the column, read as a date, is before and/or after the days ``when`` names."""
    spec = context.spec
    days = to_date(column, DateOptions(order=spec.date_order, formats=when.format)).values
    held = pc.is_valid(days)
    if when.before is not None:
        held = pc.and_(held, pc.less(days, pa.scalar(_day(when.before, context.today))))
    if when.after is not None:
        held = pc.and_(held, pc.greater(days, pa.scalar(_day(when.after, context.today))))
    return pc.fill_null(held, False)


@dataclass(frozen=True, slots=True)
class _LookupFile:
    """A lookup file as read: its keys (trimmed), the row each key is on, and the keys that
    more than one row holds (row numbers), which match nothing."""

    source: SourceTable
    keys: pa.Array
    folded: pa.Array
    at: pa.Array
    repeated: dict[str, list[int]]


def _lookup_file(context: _Context, name: str) -> _LookupFile:
    if name in context.lookups:
        return context.lookups[name]
    spec = context.spec
    declared = spec.lookups[name]
    path = spec.lookup_path(name)
    if not path.is_file():
        raise IngestError(f"lookup file {name!r} not found: {path}",
                          message_zh=f"找不到查找文件 {name!r}：{path}",
                          location=spec.location("lookups", name, "file"))
    found = read_source(path, ReadOptions(format=declared.format, encoding=declared.encoding,
                                          delimiter=declared.delimiter, sheet=declared.sheet,
                                          header_row=declared.header_row))
    key_column = _lookup(found, declared.key)
    if key_column is None:
        shown = ", ".join(found.columns)
        raise IngestError(
            f"lookup file {found.name} has no column {declared.key!r}; its columns: {shown}",
            message_zh=f"查找文件 {found.name} 中没有列 {declared.key!r}；现有列：{shown}",
            location=spec.location("lookups", name, "key"))
    keys = clean_text(as_text(_raw(found, key_column, context.nulls)), identifier=True).values
    rows = found.data.column(ROW).to_pylist()
    first: dict[str, int] = {}
    seen: dict[str, list[int]] = {}
    for i, key in enumerate(keys.to_pylist()):
        if key is None:
            continue
        first.setdefault(key, i)
        seen.setdefault(key, []).append(rows[i])
    repeated = {k: v for k, v in seen.items() if len(v) > 1}
    unique = pa.array(list(first), pa.string())
    loaded = _LookupFile(found, unique, pc.utf8_lower(unique),
                         pa.array(list(first.values()), pa.int64()), repeated)
    context.lookups[name] = loaded
    return loaded


def _looked_up(source: SourceTable, context: _Context, name: str, col: ColumnSpec,
               where: tuple[str | int, ...]) -> tuple[pa.Array, str, list[Problem]]:
    """The ``take`` column of the lookup file's row whose key is this row's ``match`` value
    (exactly, else ignoring case); empty where there is none (noted). A key that several rows
    of the lookup file hold with different values is a problem of the rows that ask for it."""
    lookup = col.lookup
    assert lookup is not None
    spec = context.spec
    n = source.data.num_rows
    found = _lookup(source, lookup.match)
    if found is None:
        if col.optional:
            return pa.nulls(n, pa.string()), name, []
        raise _missing(source, spec, name, lookup.match, *where, "lookup", "match")
    file = _lookup_file(context, lookup.file)
    take = _lookup(file.source, lookup.take)
    if take is None:
        shown = ", ".join(file.source.columns)
        raise IngestError(
            f"lookup file {file.source.name} has no column {lookup.take!r} (for {name}); its "
            f"columns: {shown}",
            message_zh=f"查找文件 {file.source.name} 中没有列 {lookup.take!r}（用于 {name}）；"
                       f"现有列：{shown}",
            location=spec.location("columns", name, *where, "lookup", "take"))
    wanted = clean_text(as_text(_raw(source, found, context.nulls)), identifier=True).values
    index = pc.index_in(wanted, value_set=file.keys)
    index = pc.coalesce(index, pc.index_in(pc.utf8_lower(wanted), value_set=file.folded))
    values = _raw(file.source, take, context.nulls)
    raw = pc.take(values, pc.take(file.at, index))
    problems: list[Problem] = []
    clashing = _clashing_keys(file, values)
    if clashing:
        hit = pc.fill_null(pc.is_in(index, value_set=pa.array(sorted(clashing), pa.int32())),
                           False)
        if hit.true_count:
            rows = "; ".join(f"{file.keys[i].as_py()}: rows {', '.join(map(str, r))}"
                             for i, r in list(clashing.items())[:3])
            problems.append(Problem(hit, Reason(
                f"the lookup file {file.source.name} gives this {lookup.match} more than one "
                f"{lookup.take} ({rows})",
                f"查找文件 {file.source.name} 中该 {lookup.match} 对应多个不同的 "
                f"{lookup.take}（{rows}）")))
            raw = pc.if_else(hit, pa.scalar(None, raw.type), raw)
    unmatched = pc.and_(pc.is_valid(wanted), pc.is_null(index))
    if unmatched.true_count:
        examples = pc.unique(wanted.filter(unmatched)).to_pylist()[:3]
        context.notes.append(Reason(
            f"{unmatched.true_count} row(s) whose {found} is not in {file.source.name} (e.g. "
            f"{', '.join(examples)}): {name} left empty",
            f"{unmatched.true_count} 行的 {found} 不在 {file.source.name} 中（如 "
            f"{', '.join(examples)}）：{name} 留空"))
    return raw, f"{found} → {file.source.name}:{take}", problems


def _clashing_keys(file: _LookupFile, values: pa.Array) -> dict[int, list[int]]:
    """The keys (by index) that rows of the lookup file give different values, with the rows."""
    if not file.repeated:
        return {}
    rows = file.source.data.column(ROW).to_pylist()
    row_at = {r: i for i, r in enumerate(rows)}
    text = as_text(values).to_pylist()
    position = {k: i for i, k in enumerate(file.keys.to_pylist())}
    out: dict[int, list[int]] = {}
    for key, at in file.repeated.items():
        if len({text[row_at[r]] for r in at}) > 1:
            out[position[key]] = at
    return out


def _add_days(source: SourceTable, context: _Context, name: str, col: ColumnSpec,
              raw: pa.Array, where: tuple[str | int, ...]
              ) -> tuple[pa.Array, ColumnSpec, list[Problem], str]:
    """``raw`` read as a date or time (with the column's formats) and moved by ``add_days``,
    as ISO text: the zone is applied afterwards, so a day is a day of the local calendar.
    Returns the moved values, the spec cleaning goes on with (the formats used up), the
    problems of the days column and its label."""
    days_spec = col.add_days
    assert days_spec is not None
    spec = context.spec
    n = len(raw)
    problems: list[Problem] = []
    if days_spec.column is not None:
        found = _lookup(source, days_spec.column)
        if found is None:
            raise _missing(source, spec, name, days_spec.column, *where, "add_days")
        days_raw = _raw(source, found, context.nulls)
        parsed = to_float(days_raw, spec.decimal_separator)
        days = parsed.values
        bad = parsed.bad()
        if bad.true_count:
            problems.append(Problem(bad, Reason(
                f"{found} is not a number of days", f"{found} 不是天数")))
        label = found
    else:
        days = pa.array(np.full(n, days_spec.days, dtype=np.float64))
        label = f"{days_spec.days:g} days"
    options = DateOptions(order=col.date_order or spec.date_order, formats=col.format,
                          default_time=col.default_seconds())
    # Read as UTC so that a naive time stays as written; one with an offset is marked Z.
    moments = to_timestamp(raw, options)
    marked = _has_offset(raw)
    micros = pc.add(moments.values.cast(pa.int64()),
                    pc.cast(pc.round(pc.multiply(days, 86_400_000_000.0)), pa.int64()))
    moved = micros.cast(pa.timestamp("us"))
    text = pc.replace_substring_regex(pc.strftime(moved, format="%Y-%m-%dT%H:%M:%S"),
                                      r"\.0+$", "")
    text = pc.if_else(marked, pc.binary_join_element_wise(text, "Z", ""), text)
    # A date that did not parse keeps its text, so that cleaning rejects it with its reason.
    out = pc.if_else(pc.is_valid(moments.values), text, as_text(raw))
    out = pc.if_else(pc.and_(pc.is_valid(moments.values), pc.is_null(days)),
                     pa.scalar(None, pa.string()), out)
    rest = col.model_copy(update={"format": (), "date_order": None, "default_time": None,
                                  "add_days": None})
    return out, rest, problems, label


def _has_offset(raw: pa.Array) -> pa.BooleanArray:
    if pa.types.is_timestamp(raw.type):
        return pa.array(np.full(len(raw), raw.type.tz is not None, dtype=bool))
    text = pc.utf8_trim_whitespace(as_text(raw))
    return pc.fill_null(pc.match_substring_regex(text, r"(Z|[+-]\d\d:?\d\d)$"), False)
