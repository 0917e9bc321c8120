"""Arrow columns built straight from numpy buffers, and tables checked against the declarations.

Building millions of id strings one Python object at a time would take minutes; here an id
column is one ``uint8`` matrix of digits handed to Arrow as a buffer.

>>> ids("R", np.array([1, 42]), 5).to_pylist()
['R00001', 'R00042']
>>> money(np.array([123456, -50])).to_pylist()
[Decimal('1234.5600'), Decimal('-0.5000')]
>>> arrow_schema("fx_rates").names
['currency', 'day', 'rate']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import assert_never

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from salescore.model.tables import MONEY_PRECISION, MONEY_SCALE, Column, DataType, table

Bool = npt.NDArray[np.bool_]


def arrow_type(column: Column) -> pa.DataType:
    """The Arrow type of a declared column."""
    match column.type:
        case DataType.STRING:
            return pa.string()
        case DataType.INTEGER:
            return pa.int64()
        case DataType.FLOAT:
            return pa.float64()
        case DataType.DECIMAL:
            return pa.decimal128(MONEY_PRECISION, MONEY_SCALE)
        case DataType.BOOLEAN:
            return pa.bool_()
        case DataType.DATE:
            return pa.date32()
        case DataType.TIMESTAMP:
            return pa.timestamp("us")
        case _:
            assert_never(column.type)


def arrow_schema(name: str) -> pa.Schema:
    """The Arrow schema of canonical table ``name``: declared order, nullable unless required."""
    return pa.schema([pa.field(c.name, arrow_type(c), nullable=not c.required)
                      for c in table(name).columns])


def _validity(valid: Bool | None) -> pa.Buffer | None:
    if valid is None or bool(valid.all()):
        return None
    return pa.py_buffer(np.packbits(valid.astype(np.bool_), bitorder="little"))


# the four ASCII digits of 0000 .. 9999: ids are built four digits per lookup
_QUADS = (np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1]) % 10 + 48).astype(np.uint8)


def ids(prefix: str, numbers: npt.NDArray[np.int64], width: int,
        valid: Bool | None = None) -> pa.StringArray:
    """``prefix`` + ``numbers`` zero-padded to ``width`` digits; null where not ``valid``."""
    n = len(numbers)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    groups = -(-width // 4)
    size = len(head) + width
    chars = np.empty((n, len(head) + 4 * groups), dtype=np.uint8)
    rest = numbers.astype(np.int64)
    for g in range(groups - 1, -1, -1):  # one step per four digits, never per row
        column = len(head) + 4 * g
        chars[:, column: column + 4] = _QUADS[rest % 10_000]
        rest = rest // 10_000
    # drop the leading zero digits beyond the width, then put the prefix in front of the rest
    chars = chars[:, 4 * groups - width:]
    chars[:, : len(head)] = head
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets),
                                       pa.py_buffer(np.ascontiguousarray(chars)),
                                       _validity(valid))


def pick(words: Sequence[str], index: npt.NDArray[np.int64],
         valid: Bool | None = None) -> pa.Array:
    """``words[index]`` as a string column; null where not ``valid``."""
    dictionary = pa.array(list(words), type=pa.string())
    mask = None if valid is None else ~valid
    return dictionary.take(pa.array(index.astype(np.int64), mask=mask))


def timestamps(seconds: npt.NDArray[np.int64], valid: Bool | None = None) -> pa.Array:
    """UTC seconds as naive microsecond timestamps."""
    mask = None if valid is None else ~valid
    return pa.array(seconds.astype(np.int64) * 1_000_000, type=pa.timestamp("us"), mask=mask)


def dates(epoch_days: npt.NDArray[np.int64], valid: Bool | None = None) -> pa.Array:
    """Days since 1970-01-01 as ``date32``."""
    mask = None if valid is None else ~valid
    return pa.array(epoch_days.astype(np.int32), type=pa.date32(), mask=mask)


def money(cents: npt.NDArray[np.int64]) -> pa.Array:
    """Integer cents as the money type, ``decimal128(18, 4)`` (two's complement, little endian,
    16 bytes: the unscaled value is cents × 10² at 4 decimals)."""
    n = len(cents)
    words = np.empty((n, 2), dtype=np.int64)
    words[:, 0] = cents * 10 ** (MONEY_SCALE - 2)
    words[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(MONEY_PRECISION, MONEY_SCALE), n,
                                 [None, pa.py_buffer(words.tobytes())])


def integers(values: npt.NDArray[np.int64], valid: Bool | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(values.astype(np.int64), type=pa.int64(), mask=mask)


def floats(values: npt.NDArray[np.float64], valid: Bool | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(values.astype(np.float64), type=pa.float64(), mask=mask)


def constant(value: str, n: int) -> pa.Array:
    """``value`` ``n`` times."""
    return pa.array([value], type=pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


def strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(list(values), type=pa.string())


def build(name: str, columns: Mapping[str, pa.Array]) -> pa.Table:
    """Canonical table ``name`` from ``columns``: exactly the declared names, order and types.

    Raises ``ValueError`` when a column is missing, extra, mistyped, or a required one has nulls,
    so that a generator bug cannot reach the warehouse.
    """
    schema = arrow_schema(name)
    if list(columns) != schema.names:
        raise ValueError(f"{name}: columns {list(columns)} != declared {schema.names}")
    arrays = []
    for field in schema:
        array = columns[field.name]
        if array.type != field.type:
            raise ValueError(f"{name}.{field.name}: {array.type} != {field.type}")
        if not field.nullable and array.null_count:
            raise ValueError(f"{name}.{field.name}: {array.null_count} nulls in a required column")
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)


def empty(name: str) -> pa.Table:
    """Canonical table ``name`` with no rows."""
    return arrow_schema(name).empty_table()
