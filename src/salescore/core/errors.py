"""The error types that salescore raises, each carrying what a person needs to act on it.

Every error has a message in English and, where useful, in zh-CN (a :class:`Text`); the CLI
prints the one that matches the organisation's locale. Errors about input name where the bad
value was found.

>>> ConfigError("no such plan", message_zh="没有该方案").localized("zh_CN")
'没有该方案'
"""

from __future__ import annotations

from dataclasses import dataclass

from salescore.core.text import Bilingual, Text


class SalescoreError(Bilingual, Exception):
    """Base class of every error salescore raises on purpose (never a bug).

    ``message`` is the English text or a :class:`Text`; ``message_zh`` (with English text)
    the Chinese, which defaults to the English.
    """

    def __init__(self, message: str | Text, *, message_zh: str | None = None) -> None:
        text = message if isinstance(message, Text) else Text(message, message_zh or message)
        super().__init__(text.en)
        self.text = text


class ConfigError(SalescoreError):
    """The organisation's settings, a catalogue or a plan is invalid."""


class StoreError(SalescoreError):
    """A store cannot be opened or used (locked, unreachable, wrong version)."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB warehouse file for writing."""


class PeriodError(SalescoreError, ValueError):
    """A period string or range cannot be parsed."""


@dataclass(frozen=True)
class Location:
    """Where something was found: a file, and a 1-based row/line and column where known."""

    file: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
        text = ":".join(parts)
        return f"{text} [{self.column}]" if self.column else text
