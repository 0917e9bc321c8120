"""The error types that salescore raises, each carrying what a person needs to act on it.

Every error has an English message and, where useful, a zh-CN one; the CLI prints the one that
matches the organisation's locale. Errors about input name where the bad value was found.
"""

from __future__ import annotations

from dataclasses import dataclass


class SalescoreError(Exception):
    """Base class of every error salescore raises on purpose (never a bug)."""

    def __init__(self, message: str, *, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or message

    def localized(self, locale: str) -> str:
        """The message in ``locale`` (``zh_CN`` or ``en``)."""
        return self.message_zh if locale.lower().startswith("zh") else self.message


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
