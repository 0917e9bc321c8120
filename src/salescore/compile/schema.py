"""Ibis schemas and unbound tables derived from the canonical table declarations.

>>> schema("surveys")["csat"]
Int64(nullable=True)
>>> unbound("opportunities").amount.type()
Decimal(precision=18, scale=4, nullable=True)
"""

from __future__ import annotations

from typing import assert_never

import ibis
import ibis.expr.datatypes as dt

from salescore.model.tables import MONEY_PRECISION, MONEY_SCALE, Column, DataType, table


def ibis_type(column: Column) -> dt.DataType:
    """The Ibis type of a declared column, nullable unless the column is required."""
    nullable = not column.required
    match column.type:
        case DataType.STRING:
            return dt.String(nullable=nullable)
        case DataType.INTEGER:
            return dt.Int64(nullable=nullable)
        case DataType.FLOAT:
            return dt.Float64(nullable=nullable)
        case DataType.DECIMAL:
            return dt.Decimal(MONEY_PRECISION, MONEY_SCALE, nullable=nullable)
        case DataType.BOOLEAN:
            return dt.Boolean(nullable=nullable)
        case DataType.DATE:
            return dt.Date(nullable=nullable)
        case DataType.TIMESTAMP:
            return dt.Timestamp(nullable=nullable)
        case _:
            assert_never(column.type)


def schema(name: str) -> ibis.Schema:
    """The Ibis schema of canonical table ``name``, columns in declared order."""
    return ibis.schema({c.name: ibis_type(c) for c in table(name).columns})


def unbound(name: str) -> ibis.Table:
    """An unbound Ibis table for canonical table ``name``: compile against it, bind later."""
    return ibis.table(schema(name), name=name)
