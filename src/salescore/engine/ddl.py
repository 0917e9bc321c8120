r"""CREATE TABLE statements for every backend, derived from the one table declaration.

The statement is built once in DuckDB's dialect and transpiled by sqlglot to the others, so the
key, NOT NULL and CHECK constraints (allowed values, ranges) are the same everywhere. Foreign keys
are deliberately not constraints: an import may reference rows that arrive later, and orphans are
reported by the quality report instead (DESIGN.md, Boundaries).

>>> sql = create_table_sql(table("fx_rates"), "postgres")
>>> print(sql.replace(", ", ",\n  "))
CREATE TABLE IF NOT EXISTS fx_rates (currency TEXT NOT NULL,
  day DATE NOT NULL,
  rate DOUBLE PRECISION NOT NULL CHECK (rate >= 0),
  PRIMARY KEY (currency,
  day))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import assert_never

import sqlglot

from salescore.model.tables import MONEY_PRECISION, MONEY_SCALE, Column, DataType, Table, table

__all__ = ["ExistingColumn", "create_table_sql", "upgrade_table_sql", "sql_type", "stale_columns",
           "table"]


def sql_type(column: Column) -> str:
    """The column's type in DuckDB's dialect (sqlglot maps it to the others)."""
    match column.type:
        case DataType.STRING:
            return "VARCHAR"
        case DataType.INTEGER:
            return "BIGINT"
        case DataType.FLOAT:
            return "DOUBLE"
        case DataType.DECIMAL:
            return f"DECIMAL({MONEY_PRECISION}, {MONEY_SCALE})"
        case DataType.BOOLEAN:
            return "BOOLEAN"
        case DataType.DATE:
            return "DATE"
        case DataType.TIMESTAMP:
            return "TIMESTAMP"
        case _:
            assert_never(column.type)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _column_sql(column: Column, in_key: bool) -> str:
    parts = [column.name, sql_type(column)]
    if column.required or in_key:
        parts.append("NOT NULL")
    checks = []
    if column.allowed:
        checks.append(f"{column.name} IN ({', '.join(_quote(v) for v in column.allowed)})")
    if column.minimum is not None:
        checks.append(f"{column.name} >= {_number(column.minimum)}")
    if column.maximum is not None:
        checks.append(f"{column.name} <= {_number(column.maximum)}")
    if checks:
        parts.append(f"CHECK ({' AND '.join(checks)})")
    return " ".join(parts)


def create_table_sql(declared: Table, dialect: str = "duckdb") -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``declared`` in ``dialect`` (any sqlglot dialect)."""
    columns = [_column_sql(c, c.name in declared.key) for c in declared.columns]
    columns.append(f"PRIMARY KEY ({', '.join(declared.key)})")
    statement = f"CREATE TABLE IF NOT EXISTS {declared.name} ({', '.join(columns)})"
    if dialect == "duckdb":
        return statement
    return sqlglot.transpile(statement, read="duckdb", write=dialect)[0]


ExistingColumn = tuple[bool, int | None]
"""A column as a warehouse has it: whether it takes NULL, and its decimal scale (if any)."""


def stale_columns(declared: Table, existing: Mapping[str, ExistingColumn]) -> list[str]:
    """The columns of an existing table that an older declaration made differently: NOT NULL
    where a value may now be unknown, or money with fewer decimals than it now keeps.

    >>> stale_columns(table("opportunities"), {"amount": (False, 2), "opportunity_id": (False,
    ...               None)})
    ['amount']
    """
    out = []
    for c in declared.columns:
        if c.name not in existing:
            continue
        nullable, scale = existing[c.name]
        loosened = not nullable and not c.required and c.name not in declared.key
        narrower = c.type is DataType.DECIMAL and scale is not None and scale < MONEY_SCALE
        if loosened or narrower:
            out.append(c.name)
    return out


def upgrade_table_sql(declared: Table, stale: Sequence[str], dialect: str = "duckdb"
                      ) -> list[str]:
    """The statements that bring ``stale`` columns of ``declared`` to what is declared now,
    rows kept: on DuckDB a copy of the table (it cannot change the type of a column that has
    a CHECK constraint), elsewhere one ``ALTER`` per change.

    >>> upgrade_table_sql(table("surveys"), ["customer_id"], "postgres")
    ['ALTER TABLE surveys ALTER COLUMN customer_id DROP NOT NULL']
    """
    if dialect == "duckdb":
        old = f"{declared.name}__old"
        columns = ", ".join(declared.column_names)
        return [f"ALTER TABLE {declared.name} RENAME TO {old}",
                create_table_sql(declared, dialect),
                f"INSERT INTO {declared.name} ({columns}) SELECT {columns} FROM {old}",
                f"DROP TABLE {old}"]
    out = []
    for name in stale:
        c = declared.column(name)
        if not c.required and name not in declared.key:
            out.append(f"ALTER TABLE {declared.name} ALTER COLUMN {name} DROP NOT NULL")
        if c.type is DataType.DECIMAL:
            out.append(f"ALTER TABLE {declared.name} ALTER COLUMN {name} TYPE {sql_type(c)}")
    return out
