"""The CSV-injection escape of :mod:`salescore.core.spreadsheet`, column-wise on Arrow arrays.

Every CSV that salescore writes goes through :func:`neutralise_table` (its text columns only:
numbers, dates and booleans are never touched), and every CSV it reads through
:func:`restore_array`, so that ``=HYPERLINK(...)`` is text in a spreadsheet and the same value again
once imported.

>>> import pyarrow as pa
>>> shown = neutralise_array(pa.array(["=1+2", "-12.5", "'@me", "Ada", None]))
>>> shown.to_pylist()
["'=1+2", '-12.5', "''@me", 'Ada', None]
>>> restore_array(shown).to_pylist()
['=1+2', '-12.5', "'@me", 'Ada', None]
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from salescore.core.spreadsheet import NUMBER

__all__ = ["neutralise_array", "neutralise_table", "restore_array", "restore_table"]

_TRIGGER = r"[=+\-@\t\r]"


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def neutralise_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text ``values`` with a quote in front of each that a spreadsheet would run (see
    :func:`salescore.core.spreadsheet.neutralise`); nulls stay null."""
    trigger = pc.match_substring_regex(values, f"^{_TRIGGER}")
    if not pc.any(trigger).as_py() and not pc.any(pc.starts_with(values, "'")).as_py():
        return values
    number = pc.match_substring_regex(values, f"^(?:{NUMBER})$")
    quoted = pc.match_substring_regex(values, f"^'+{_TRIGGER}")
    needed = pc.fill_null(pc.or_(pc.and_(trigger, pc.invert(number)), quoted), False)
    return pc.if_else(needed, pc.binary_join_element_wise("'", values, ""), values)


def restore_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text ``values`` as they were before :func:`neutralise_array`: one leading quote off where
    it was added; anything else as it is."""
    if not pc.any(pc.starts_with(values, "'")).as_py():
        return values
    return pc.replace_substring_regex(values, f"^'('*{_TRIGGER})", r"\1", max_replacements=1)


def neutralise_table(data: pa.Table) -> pa.Table:
    """``data`` with each text column neutralised; other columns as they are."""
    for i, field in enumerate(data.schema):
        if _is_text(field.type):
            data = data.set_column(i, field, neutralise_array(data.column(i)))
    return data


def restore_table(data: pa.Table) -> pa.Table:
    """``data`` with each text column restored; other columns as they are."""
    for i, field in enumerate(data.schema):
        if _is_text(field.type):
            data = data.set_column(i, field, restore_array(data.column(i)))
    return data
