"""What every command shares: the --home option, opening the workspace, printing errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from salescore.core.errors import SalescoreError

if TYPE_CHECKING:
    from salescore.workspace import Workspace

console = Console()
err_console = Console(stderr=True)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", envvar="SALESCORE_HOME",
                 help="Data folder (default ./salescore-data) / 数据目录", show_default=False),
]

EXIT_OK = 0
EXIT_ABORTED = 1
EXIT_USAGE = 2


def fail(error: SalescoreError, locale: str = "en", code: int = EXIT_USAGE) -> NoReturn:
    """Print ``error`` in the user's language (both when unknown) and exit with ``code``."""
    text = error.localized(locale)
    if locale == "en" and error.message_zh != error.message:
        text = f"{error.message}\n{error.message_zh}"
    # soft_wrap: a path or file:line in the message must stay on one line to be copied.
    # Escaped: a rule id in brackets ([schema]) is text, not Rich markup.
    err_console.print(f"[bold red]error / 错误:[/] {escape(text)}", highlight=False,
                      soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def open_workspace(home: Path | None, *, read_only: bool = False) -> Iterator[Workspace]:
    """Open the workspace for a command; a :class:`SalescoreError` becomes a clean exit 2.
    What the settings file should change (an old spelling) is told on stderr first."""
    from salescore.workspace import Workspace  # here: a command that needs no data imports none

    try:
        ws = Workspace.open(home, read_only=read_only)
    except SalescoreError as exc:
        fail(exc)
    for note in ws.notes:
        err_console.print(f"[yellow]warning / 警告:[/] {escape(note.localized(ws.locale))}",
                          highlight=False, soft_wrap=True)
    try:
        yield ws
    except SalescoreError as exc:
        fail(exc, ws.locale)
    finally:
        ws.close()


def is_interactive() -> bool:
    return sys.stderr.isatty()


def is_pandas_na(value: object) -> bool:
    """Whether ``value`` is pandas' missing value ``pd.NA`` (which exists only once pandas is
    loaded, so a command that reads no DataFrame never imports pandas to ask)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and value is pandas.NA
