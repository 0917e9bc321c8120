"""Text that a spreadsheet will not run as a formula (CSV injection), and the exact way back.

Excel, LibreOffice and Google Sheets run a CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return as a formula (``=HYPERLINK("http://x","y")``). OWASP's advice is to put a
single quote in front of such a cell, which every spreadsheet shows as text. salescore does so in
every CSV it writes (exports, score exports, KPI tables, rejects files), and its importer takes the
quote off again, so that a file it wrote imports back to the same values.

The escape is unambiguous: a quote is added to a text that starts with one of those characters
(a plain number such as ``-12.5`` stays a number), and to a text that already starts with quotes
followed by one of them (``'=x`` becomes ``''=x``); :func:`restore` removes exactly one quote from a
text that starts with quotes followed by one of them, and nothing else. So ``restore(neutralise(t))
== t`` for every text ``t``; a foreign file's ``'=x`` (the same escape, written by someone else)
reads as ``=x``.
一个以 ``=``、``+``、``-``、``@``、制表符或回车开头的文本单元格，在表格软件打开 CSV 时会被当作公式
执行。salescore 写出的每个 CSV 都在这类单元格前加一个单引号；导入时再去掉，使导出文件原样导回。

>>> neutralise('=HYPERLINK("http://x","y")'), neutralise("-12.5"), neutralise("Ada")
('\\'=HYPERLINK("http://x","y")', '-12.5', 'Ada')
>>> all(restore(neutralise(t)) == t for t in ("=1+2", "'=x", "''@y", "-", "'", "+86 10 1234"))
True
"""

from __future__ import annotations

import re

__all__ = ["NUMBER", "TRIGGERS", "neutralise", "restore"]

TRIGGERS = "=+-@\t\r"
"""The first characters that make a spreadsheet read a cell as a formula."""

NUMBER = r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
"""A plain number (``-12.5``, ``+3``, ``-1,234.50``, ``1e-3``): a spreadsheet reads it as a number,
never runs it, so it is written as it is."""

_NUMBER = re.compile(NUMBER)
_ESCAPED = re.compile(r"'+[=+\-@\t\r]", re.DOTALL)


def neutralise(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs: a quote in front where it is needed."""
    if not text:
        return text
    first = text[0]
    if (first in TRIGGERS and not _NUMBER.fullmatch(text)) or \
            (first == "'" and _ESCAPED.match(text)):
        return "'" + text
    return text


def restore(text: str) -> str:
    """``text`` as it was before :func:`neutralise`: one leading quote removed where it added
    one; any other text is returned as it is."""
    return text[1:] if _ESCAPED.match(text) else text
