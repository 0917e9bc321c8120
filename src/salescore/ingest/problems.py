"""What can go wrong with input: a reason for one bad value, and an error for unusable input.

A reason explains why a value was rejected: a :class:`~salescore.core.text.Text` (``Reason`` is
that type under the name the ingest code reads best with). A :class:`Problem` marks, column-wise,
the rows that fail for one reason. An :class:`IngestError` means the input
cannot be used at all (a missing file, an unknown sheet, a mapping that does not fit the file):
nothing is read and the command exits with code 2.

>>> Reason("not a date", "不是日期").get("zh_CN")
'不是日期'
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from salescore.core.errors import Location, SalescoreError
from salescore.core.text import Text

Reason = Text
"""Why a value was rejected, in English and Chinese."""


@dataclass(frozen=True, slots=True)
class Problem:
    """The rows of a column that fail for one reason: ``mask`` is true (never null) there."""

    mask: pa.BooleanArray
    reason: Reason

    @property
    def count(self) -> int:
        return int(self.mask.true_count)


class IngestError(SalescoreError):
    """The input cannot be used: nothing was loaded. ``location`` names the file and line."""

    def __init__(self, message: str, *, message_zh: str | None = None,
                 location: Location | None = None) -> None:
        where = f"{location}: " if location else ""
        super().__init__(where + message, message_zh=where + (message_zh or message))
        self.location = location
