"""Pagination of every list: ``limit`` (1 to 500, default 100) and an opaque ``cursor``.

A cursor names the list it came from and where the next page starts; one given to another
list, or tampered with, is a 422 naming ``cursor``.

>>> items, cursor = paginate(list(range(5)), limit=2, cursor=None, list_name="x")
>>> items, paginate(list(range(5)), limit=2, cursor=cursor, list_name="x")[0]
([0, 1], [2, 3])
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Annotated, TypeVar

from fastapi import Query
from fastapi.exceptions import RequestValidationError

__all__ = ["MAX_LIMIT", "CursorQuery", "LimitQuery", "decode_cursor", "encode_cursor",
           "paginate"]

T = TypeVar("T")
MAX_LIMIT = 500

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (≤ 500)")]
CursorQuery = Annotated[str | None, Query(max_length=512,
                                          description="`next_cursor` of the page before")]


def encode_cursor(list_name: str, position: int | str) -> str:
    raw = json.dumps({"l": list_name, "p": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, list_name: str) -> int | str:
    """Where the page of ``cursor`` starts; a 422 naming ``cursor`` when it is not one of
    ``list_name``'s."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position = data["p"]
        if data["l"] != list_name or not isinstance(position, int | str) or \
                isinstance(position, bool) or (isinstance(position, int) and position < 0):
            raise ValueError(cursor)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", "cursor"),
            "msg": "not a cursor of this list: pass next_cursor as it came", "input": cursor,
        }]) from None
    return position


def paginate(items: Sequence[T], *, limit: int, cursor: str | None, list_name: str
             ) -> tuple[list[T], str | None]:
    """One page of ``items`` (in their order) and the cursor of the next, if any."""
    start = 0
    if cursor:
        position = decode_cursor(cursor, list_name)
        if not isinstance(position, int):
            decode_cursor("", list_name)  # a 422 like any bad cursor
            raise AssertionError
        start = position
    end = start + limit
    page = list(items[start:end])
    return page, encode_cursor(list_name, end) if end < len(items) else None
