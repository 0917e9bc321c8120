"""Loading: clean rows go into the warehouse by key, in one transaction, with exact counts.

The rows are first copied into a temporary staging table. Then, inside one transaction:

1. row rules (``closed_at`` not before ``created_at``...) are checked on each row as it will be
   after the import, the file's columns over the stored ones;
2. references to rows that do not exist are counted, and rejected with ``strict_refs``;
3. with ``strict``, any rejected row (here or earlier) rolls everything back;
4. each staged row is classified against the stored row with the same key: new, changed (some
   column the file provides IS DISTINCT FROM the stored value, NULL-safe) or unchanged;
5. changed rows are updated and new rows inserted;
6. the derived facts and roll-ups kept beside the tables (:mod:`salescore.engine.maintain`)
   are recomputed for what the written rows touched.

Only the columns the file provides are written: a file without ``lost_reason`` leaves the stored
reasons alone. The SQL is the same on DuckDB and PostgreSQL. If the process dies before the
commit, the warehouse is as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never

import pyarrow as pa
import sqlglot

from salescore.engine.ddl import sql_type
from salescore.engine.maintain import KeptChanges
from salescore.engine.warehouse import Warehouse
from salescore.ingest.history import record_history
from salescore.ingest.readers import ROW
from salescore.model.tables import ForbiddenWhen, NotBefore, RequiredWhen, RowRule, Table

Hook = Callable[[str], None]

REJECT_COLUMNS = ("row", "column", "field", "value", "reason", "reason_zh")


@dataclass(frozen=True, slots=True)
class Orphans:
    """Rows whose reference names a row that does not exist: how many, and the commonest
    missing values."""

    column: str
    table: str
    rows: int
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    """What loading did: counts, the rows it rejected, orphans found, whether it aborted."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[tuple[int, str, str, str, str, str]] = field(default_factory=list)
    orphans: tuple[Orphans, ...] = ()
    aborted: bool = False


class _Abort(Exception):
    """Raised inside the transaction to roll it back when ``strict`` meets a rejected row."""


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _stage_name(declared: Table) -> str:
    return f"_salescore_stage_{declared.name}"


def stage(warehouse: Warehouse, declared: Table, data: pa.Table) -> str:
    """Copy ``data`` (declared columns, typed, plus :data:`ROW`) into a temporary table; its
    name. Temporary tables live as long as the connection and are seen only by it."""
    name = _stage_name(declared)
    warehouse.execute_sql(f"DROP TABLE IF EXISTS {name}")
    match warehouse.dialect:
        case "duckdb":
            with warehouse.arrow_view(f"{name}_arrow", data) as view:
                warehouse.execute_sql(f"CREATE TEMP TABLE {name} AS SELECT * FROM {view}")
        case "postgres":
            columns = [c for c in data.column_names if c != ROW]
            ddl = ", ".join(f"{c} {sql_type(declared.column(c))}" for c in columns)
            create = f"CREATE TEMP TABLE {name} ({ddl}, {ROW} BIGINT NOT NULL)"
            warehouse.execute_sql(sqlglot.transpile(create, read="duckdb", write="postgres")[0])
            warehouse.copy_rows(name, data)
        case _:
            assert_never(warehouse.dialect)
    return name


class _Sql:
    """The statements of one load, from the declaration and the columns the file provides."""

    def __init__(self, declared: Table, provided: list[str], stage_name: str) -> None:
        self.declared = declared
        self.provided = provided
        self.stage = stage_name
        self.target = declared.name
        self.key = declared.key
        self.values = [c for c in provided if c not in declared.key]
        self.on = " AND ".join(f"t.{k} = s.{k}" for k in self.key)

    def merged(self, column: str) -> str:
        """The column as the row will be after the import."""
        return f"s.{column}" if column in self.provided else f"t.{column}"

    def violation(self, rule: RowRule) -> str | None:
        """A predicate true where ``rule`` fails after the import; ``None`` when the file
        provides none of its columns (the import cannot break it)."""
        match rule:
            case NotBefore(earlier=earlier, later=later):
                used = (earlier, later)
                sql = f"{self.merged(later)} < {self.merged(earlier)}"
            case RequiredWhen(column=column, when_column=when, values=values):
                used = (column, when)
                sql = (f"{self.merged(when)} IN ({', '.join(map(_quote, values))}) "
                       f"AND {self.merged(column)} IS NULL")
            case ForbiddenWhen(column=column, when_column=when, values=values):
                used = (column, when)
                sql = (f"{self.merged(when)} IN ({', '.join(map(_quote, values))}) "
                       f"AND {self.merged(column)} IS NOT NULL")
            case _:
                assert_never(rule)
        if not any(c in self.provided for c in used):
            return None
        return f"COALESCE(({sql}), FALSE)"

    def joined(self) -> str:
        return f"{self.stage} s LEFT JOIN {self.target} t ON {self.on}"

    def changed(self) -> str:
        if not self.values:
            return "FALSE"
        return "(" + " OR ".join(f"s.{c} IS DISTINCT FROM t.{c}" for c in self.values) + ")"

    def orphan(self, column: str) -> str:
        ref = self.declared.column(column).references
        assert ref is not None
        sql = (f"s.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {ref.table} r "
               f"WHERE r.{ref.column} = s.{column})")
        if ref.table == self.target:
            # A row may name another row of the same file (a manager, a parent team).
            sql += (f" AND NOT EXISTS (SELECT 1 FROM {self.stage} s2 "
                    f"WHERE s2.{ref.column} = s.{column})")
        return sql


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S} UTC"
    return str(value)


def rule_reason(rule: RowRule, values: tuple[object, ...]) -> tuple[str, str, str, str]:
    """(column, value, reason en, reason zh) of a failed rule, from the merged values."""
    match rule:
        case NotBefore(earlier=earlier, later=later):
            return (later, _text(values[0]), f"{later} is before {earlier}",
                    f"{later} 早于 {earlier}")
        case RequiredWhen(column=column, when_column=when, values=_):
            return (column, "", f"{column} is required when {when} is {values[0]}",
                    f"{when} 为 {values[0]} 时必须填写 {column}")
        case ForbiddenWhen(column=column, when_column=when, values=_):
            return (column, str(values[1]), f"{column} must be empty when {when} is {values[0]}",
                    f"{when} 为 {values[0]} 时 {column} 必须为空")
        case _:
            assert_never(rule)


def _shown(rule: RowRule, sql: _Sql) -> str:
    match rule:
        case NotBefore(earlier=earlier, later=later):
            return f"{sql.merged(later)}, {sql.merged(earlier)}"
        case RequiredWhen(column=column, when_column=when) | \
                ForbiddenWhen(column=column, when_column=when):
            return f"{sql.merged(when)}, {sql.merged(column)}"
        case _:
            assert_never(rule)


def load(warehouse: Warehouse, declared: Table, data: pa.Table, *, labels: dict[str, str],
         strict: bool = False, strict_refs: bool = False, rejected_before: int = 0,
         hook: Hook | None = None) -> LoadOutcome:
    """Upsert ``data`` (typed declared columns with unique keys, plus :data:`ROW`) into
    ``declared``'s table in one transaction. ``labels`` names each column as the source file
    does, for the rejects. Returns exact counts; ``aborted`` when ``strict`` rolled it back.
    """
    provided = [c for c in data.column_names if c != ROW]
    sql = _Sql(declared, provided, stage(warehouse, declared, data))
    notify = hook or (lambda _: None)
    rejects: list[tuple[int, str, str, str, str, str]] = []
    orphans: list[Orphans] = []
    try:
        with warehouse.transaction():
            # Every rule and reference is checked before any row is dropped, so that a row gets
            # all its reasons at once.
            failing: list[str] = []
            for rule in declared.rules:
                predicate = sql.violation(rule)
                if predicate is None:
                    continue
                found = warehouse.execute_sql(
                    f"SELECT s.{ROW}, {_shown(rule, sql)} FROM {sql.joined()} WHERE {predicate}")
                for row, *values in found:
                    column, value, en, zh = rule_reason(rule, tuple(values))
                    rejects.append((int(row), labels.get(column, column), column, value, en, zh))
                if found:
                    failing.append(predicate)
            notify("references")
            for column in provided:
                ref = declared.column(column).references
                if ref is None:
                    continue
                predicate = sql.orphan(column)
                total = int(warehouse.execute_sql(
                    f"SELECT count(*) FROM {sql.joined()} WHERE {predicate}")[0][0])
                if not total:
                    continue
                examples = warehouse.execute_sql(
                    f"SELECT s.{column}, count(*) FROM {sql.joined()} WHERE {predicate} "
                    f"GROUP BY s.{column} ORDER BY count(*) DESC, s.{column} LIMIT 5")
                orphans.append(Orphans(column, ref.table, total,
                                       tuple(str(v) for v, _ in examples)))
                if strict_refs:
                    for row, value in warehouse.execute_sql(
                            f"SELECT s.{ROW}, s.{column} FROM {sql.joined()} WHERE {predicate}"):
                        rejects.append((int(row), labels.get(column, column), column, str(value),
                                        f"no {ref.table} row with {ref.column} {value}",
                                        f"{ref.table} 中没有 {ref.column} 为 {value} 的记录"))
                    failing.append(predicate)
            if failing:
                warehouse.execute_sql(
                    f"DELETE FROM {sql.stage} WHERE {ROW} IN (SELECT s.{ROW} FROM "
                    f"{sql.joined()} WHERE {' OR '.join(failing)})")
            if strict and (rejected_before or rejects):
                raise _Abort
            notify("classify")
            new, changed, total = warehouse.execute_sql(
                f"SELECT SUM(CASE WHEN t.{sql.key[0]} IS NULL THEN 1 ELSE 0 END), "
                f"SUM(CASE WHEN t.{sql.key[0]} IS NOT NULL AND {sql.changed()} THEN 1 ELSE 0 "
                f"END), COUNT(*) FROM {sql.joined()}")[0]
            new, changed, total = int(new or 0), int(changed or 0), int(total or 0)
            notify("write")
            kept = KeptChanges(warehouse, declared.name, sql.stage) if new or changed else None
            if kept is not None:
                kept.before()
            if changed:
                assignments = ", ".join(f"{c} = s.{c}" for c in sql.values)
                warehouse.execute_sql(
                    f"UPDATE {sql.target} AS t SET {assignments} FROM {sql.stage} AS s "
                    f"WHERE {sql.on} AND {sql.changed()}")
            if new:
                names = ", ".join(provided)
                warehouse.execute_sql(
                    f"INSERT INTO {sql.target} ({names}) SELECT "
                    f"{', '.join(f's.{c}' for c in provided)} FROM {sql.stage} s WHERE NOT "
                    f"EXISTS (SELECT 1 FROM {sql.target} t WHERE {sql.on})")
            record_history(warehouse, declared)
            if kept is not None and kept.active:
                notify("derive")
                kept.after()
            notify("commit")
    except _Abort:
        return LoadOutcome(rejects=rejects, orphans=tuple(orphans), aborted=True)
    finally:
        warehouse.execute_sql(f"DROP TABLE IF EXISTS {sql.stage}")
    return LoadOutcome(new, changed, total - new - changed, rejects, tuple(orphans))
