"""Readers: any supported file becomes one Arrow table of its columns and a source row number.

Every reader promises the same thing: a :class:`SourceTable` whose ``data`` holds the file's
columns under their header names (made unique) plus :data:`ROW`, the row a person would look for
in the file, and whose ``rejects`` holds the records that could not be read at all (a CSV line
with the wrong number of fields or broken quoting), each with its row number and the reason.
Nothing is dropped silently and nothing is turned into an empty value here: text stays text,
``NA`` stays ``NA`` (the null tokens are applied later, where the user configured them).

Row numbers: the physical line where the record starts in a CSV or NDJSON file (the header is
line 1), the sheet row in Excel, the record's position (from 1) in JSON and Parquet.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d, "deals.csv")
...     _ = p.write_text("id,region\\n1,NA\\n2,EU,extra\\n3,CN\\n", encoding="utf-8")
...     src = read_source(p)
>>> src.data.column("region").to_pylist(), src.data.column(ROW).to_pylist()
(['NA', 'CN'], [2, 4])
>>> src.rejects.column("reason").to_pylist()
['expected 2 fields, found 3']
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, assert_never

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from salescore.core.errors import Location
from salescore.ingest.encoding import detect_encoding, normalise_encoding
from salescore.ingest.problems import IngestError

ROW = "__row__"
"""The column that carries each record's row number in the source file."""

Format = Literal["csv", "excel", "parquet", "json", "ndjson"]
FORMATS: tuple[Format, ...] = ("csv", "excel", "parquet", "json", "ndjson")

REJECT_SCHEMA = pa.schema([
    ("row", pa.int64()), ("column", pa.string()), ("value", pa.string()),
    ("reason", pa.string()), ("reason_zh", pa.string()),
])
"""One rejected value: row number, column, the value as found, and why (en, zh)."""

_SUFFIXES: dict[str, Format] = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel",
    ".xlsb": "excel", ".xls": "excel", ".ods": "excel", ".parquet": "parquet", ".pq": "parquet",
    ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson",
}
_CHUNK = 50_000
_MAX_SHOWN = 500  # characters of a bad line kept in the rejects file
_HEAD_ROWS = 30  # rows looked at to find the header below title rows


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read a file; ``None`` means detect (encoding, delimiter, the header row below any
    title rows) or take the first sheet. ``header_row`` is the row of the column names, from 1
    (the line in a CSV file, the sheet row in Excel); rows above it are titles."""

    format: Format | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None


@dataclass(frozen=True, slots=True)
class SourceTable:
    """A file as read: its columns (text, or typed for Parquet/Arrow), row numbers, rejects."""

    name: str
    format: Format | Literal["arrow"]
    data: pa.Table
    rejects: pa.Table = field(default_factory=REJECT_SCHEMA.empty_table)
    encoding: str | None = None
    sheet: str | None = None
    titles: tuple[tuple[int, str], ...] = ()
    """Rows above the header skipped as a title (row number, text)."""

    @property
    def columns(self) -> list[str]:
        """The source's column names in file order (without :data:`ROW`)."""
        return [c for c in self.data.column_names if c != ROW]

    @property
    def read_rows(self) -> int:
        """Records read: the good ones and the ones that could not be parsed."""
        bad = pc.count_distinct(self.rejects.column("row")).as_py() if self.rejects.num_rows else 0
        return self.data.num_rows + int(bad)


def format_of(path: Path, name: str | None = None) -> Format:
    """The format a file's name says it is in; :class:`IngestError` (naming the file ``name``,
    default its own name) for an unknown suffix."""
    suffix = path.suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    known = ", ".join(sorted(_SUFFIXES))
    name = name or path.name
    raise IngestError(f"{name}: unknown file type {suffix or '(none)'}; known: {known}",
                      message_zh=f"{name}：不支持的文件类型 {suffix or '（无）'}；"
                                 f"支持：{known}")


def read_source(path: Path | str, options: ReadOptions | None = None, *,
                name: str | None = None) -> SourceTable:
    """Read ``path`` into a :class:`SourceTable`; :class:`IngestError` when it cannot be used.

    ``name`` is the file's name as the source, its rejects and messages show it (default: the
    path's last part), e.g. the name an uploaded file had, when it is read under another.
    """
    path = Path(path)
    options = options or ReadOptions()
    if not path.is_file():
        raise IngestError(f"file not found: {path}", message_zh=f"找不到文件：{path}")
    name = name or path.name
    fmt = options.format or format_of(path, name)
    match fmt:
        case "csv":
            return _read_csv(path, name, options)
        case "excel":
            return _read_excel(path, name, options)
        case "parquet":
            return source_from_arrow(pq.read_table(path), name, fmt="parquet")
        case "json":
            return _read_json(path, name, options)
        case "ndjson":
            return _read_ndjson(path, name, options)
        case _:
            assert_never(fmt)


def source_from_arrow(data: pa.Table | Any, name: str = "(data)",
                      fmt: Format | Literal["arrow"] = "arrow") -> SourceTable:
    """Wrap an Arrow table or a pandas DataFrame as a source; row numbers count from 1."""
    if not isinstance(data, pa.Table):
        try:
            data = pa.Table.from_pandas(data, preserve_index=False)
        except (TypeError, ValueError, pa.ArrowException) as exc:
            raise IngestError(f"{name}: not a table this importer can read: {exc}",
                              message_zh=f"{name}：无法读取的数据表：{exc}") from None
    names = _unique_names([str(n) for n in data.column_names])
    columns = [_plain(data.column(i)) for i in range(data.num_columns)]
    table = pa.table(dict(zip(names, columns, strict=True)) | {
        ROW: pa.array(np.arange(1, data.num_rows + 1, dtype=np.int64))})
    return SourceTable(name, fmt, table)


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary-encoded and large string columns as plain ones, so cleaning sees one kind."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        column = column.cast(pa.string())
    return column


# -- CSV --------------------------------------------------------------------------------------
def _decode_error(name: str, raw: bytes, encoding: str, exc: UnicodeDecodeError) -> IngestError:
    line = raw[: exc.start].count(b"\n") + 1
    return IngestError(
        f"line {line} cannot be read as {encoding}; give the file's encoding with --encoding "
        "(for example gbk, utf-8, cp1252)",
        message_zh=f"第 {line} 行无法按 {encoding} 解码；请用 --encoding 指定文件编码"
                   "（如 gbk、utf-8、cp1252）",
        location=Location(name, line))


def _utf8_bytes(name: str, raw: bytes, encoding: str, check: bool) -> bytes:
    """``raw`` as UTF-8 without a BOM; decoding is checked for every encoding but UTF-8, whose
    check is left to the caller (the fast reader validates it anyway)."""
    if encoding in ("utf-8", "utf-8-sig"):
        body = raw[len(codecs.BOM_UTF8):] if raw.startswith(codecs.BOM_UTF8) else raw
        if check:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _decode_error(name, body, encoding, exc) from None
        return body
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _decode_error(name, raw, encoding, exc) from None
    return text.lstrip("\ufeff").encode("utf-8")


def _sniff_counts(line: str) -> dict[str, int]:
    counts = dict.fromkeys(",;\t|", 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return counts


def _sniff_delimiter(header: str) -> str:
    """The delimiter the header line uses most, outside quotes: comma, semicolon, tab or pipe."""
    counts = _sniff_counts(header)
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else ","


def _unique_names(header: Sequence[str]) -> list[str]:
    """Header names trimmed and made unique (``Name``, ``Name_2``); a blank one is ``column_N``."""
    names: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(header, start=1):
        base = raw.strip().lstrip("\ufeff") or f"column_{i}"
        name, n = base, 1
        while name in seen or name == ROW:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        names.append(name)
    return names


def _quotes_well_formed(body: bytes, delimiter: str) -> bool:
    """Whether every quote in ``body`` opens or closes a quoted field (RFC 4180).

    A closing quote followed by anything but a delimiter, a line end or another quote is broken
    quoting, which the fast parser would accept silently; such files take the careful path.
    """
    data = np.frombuffer(body, dtype=np.uint8)
    quotes = np.flatnonzero(data == ord('"'))
    if quotes.size == 0:
        return True
    if quotes.size % 2:
        return False
    allowed = np.array([ord(delimiter), ord("\n"), ord("\r"), ord('"')], dtype=np.uint8)
    opens, closes = quotes[0::2], quotes[1::2]
    inner_opens = opens[opens > 0]
    inner_closes = closes[closes < data.size - 1]
    return bool(np.isin(data[inner_opens - 1], allowed).all()
                and np.isin(data[inner_closes + 1], allowed).all())


def _encoding_of(raw: bytes, options: ReadOptions) -> str:
    """The encoding the user named (``--encoding``), else the one detected in ``raw``."""
    try:
        return normalise_encoding(options.encoding) if options.encoding else detect_encoding(raw)
    except LookupError:
        raise IngestError(f"unknown encoding {options.encoding!r}",
                          message_zh=f"未知编码 {options.encoding!r}") from None


def _read_csv(path: Path, name: str, options: ReadOptions) -> SourceTable:
    raw = path.read_bytes()
    encoding = _encoding_of(raw, options)
    body = _utf8_bytes(name, raw, encoding, check=False).rstrip(b"\r\n")
    if not body.strip():
        raise IngestError(f"{name} is empty", message_zh=f"{name} 是空文件")
    delimiter, skip = _csv_layout(name, body, options)
    titles: tuple[tuple[int, str], ...] = ()
    if skip:
        lines = body.split(b"\n", skip)
        titles = tuple((i + 1, text) for i, line in enumerate(lines[:skip])
                       if (text := " ".join(f.strip() for f in _fields(line, delimiter)
                                            if f.strip())))
        body = lines[skip] if len(lines) > skip else b""
        if not body.strip():
            raise IngestError(f"{name} has nothing below its header row {skip + 1}",
                              message_zh=f"{name} 第 {skip + 1} 行表头之下没有数据")
    first = body.split(b"\n", 1)[0].rstrip(b"\r")
    first_text = first.decode("utf-8", errors="replace")
    fast = (delimiter.isascii() and first.strip() != b"" and first.count(b'"') % 2 == 0
            and b"\n\n" not in body and b"\n\r\n" not in body
            and _quotes_well_formed(body, delimiter))
    if fast:
        header = next(csv.reader([first_text], delimiter=delimiter))
        names = _unique_names(header)
        table = _fast_csv(body, names, delimiter)
        if table is not None:
            return SourceTable(name, "csv", _moved(table, skip), encoding=encoding,
                               titles=titles)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _decode_error(name, body, encoding, exc) from None
    table, rejects = _careful_csv(text, delimiter)
    return SourceTable(name, "csv", _moved(table, skip), _moved(rejects, skip, "row"),
                       encoding=encoding, titles=titles)


def _moved(table: pa.Table, lines: int, column: str = ROW) -> pa.Table:
    """Row numbers counted from the file's first line, when reading began ``lines`` below it."""
    if not lines:
        return table
    at = table.schema.get_field_index(column)
    return table.set_column(at, column, pc.add(table.column(column), lines))


def _fields(line: bytes, delimiter: str) -> list[str]:
    """One line's fields (a title or a header; a quoted line break is not expected there)."""
    text = line.rstrip(b"\r").decode("utf-8", errors="replace")
    try:
        return next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:
        return [text]


def _csv_layout(name: str, body: bytes, options: ReadOptions) -> tuple[str, int]:
    """The delimiter, and how many lines above the header to skip: ``header_row - 1`` when
    given, else the title lines found above the header (none, mostly)."""
    head = _first_lines(body, _HEAD_ROWS)
    given = options.header_row
    lines = _first_lines(body, given) if given else head
    header = lines[given - 1] if given and len(lines) >= given else head[0]
    delimiter = options.delimiter or _sniff_delimiter(header.decode("utf-8", errors="replace"))
    if delimiter == "\\t":
        delimiter = "\t"
    if len(delimiter) != 1:
        raise IngestError(f"the delimiter must be one character, not {delimiter!r}",
                          message_zh=f"分隔符必须是单个字符，而不是 {delimiter!r}")
    if options.header_row is not None:
        count = body.count(b"\n") + 1
        if options.header_row > count:
            raise IngestError(f"header row {options.header_row} is below the end of {name} "
                              f"({count} lines)",
                              message_zh=f"表头行 {options.header_row} 超出 {name} 的行数"
                                         f"（共 {count} 行）")
        return delimiter, options.header_row - 1
    skip = _header_index([_fields(line, delimiter) for line in head]) or 0
    if skip == 0 and options.delimiter is None and head[0].strip() \
            and len(_fields(head[0], delimiter)) == 1:
        # A title line has no delimiter to sniff: take the one the lines below agree on.
        delimiter = _consistent_delimiter(head)
        skip = _header_index([_fields(line, delimiter) for line in head]) or 0
    return delimiter, skip


def _first_lines(body: bytes, n: int) -> list[bytes]:
    """The first ``n`` lines of ``body``, without copying the rest of a large file."""
    lines: list[bytes] = []
    start = 0
    while len(lines) < n:
        end = body.find(b"\n", start)
        if end < 0:
            lines.append(body[start:])
            break
        lines.append(body[start:end])
        start = end + 1
    return lines


def _consistent_delimiter(lines: Sequence[bytes]) -> str:
    """The delimiter that the most lines use equally often (a table's lines have the same
    number of fields; titles and free text do not)."""
    best, score = ",", (0, 0)
    for candidate in ",;\t|":
        counts = [_sniff_counts(line.decode("utf-8", errors="replace"))[candidate]
                  for line in lines]
        used = [c for c in counts if c]
        if not used:
            continue
        mode = max(set(used), key=used.count)
        if (used.count(mode), mode) > score:
            best, score = candidate, (used.count(mode), mode)
    return best


def _fast_csv(body: bytes, names: list[str], delimiter: str) -> pa.Table | None:
    """Parse a well-formed file with Arrow's multi-threaded reader; ``None`` when it is not
    well formed after all (wrong field counts), so that the careful reader can locate why."""
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           block_size=16 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return None
    # A record starts on the line after the previous one ends: add up the line breaks inside
    # quoted values before it (the header is line 1).
    breaks = np.zeros(table.num_rows, dtype=np.int64)
    for name in names:
        column = table.column(name)
        if pc.any(pc.match_substring(column, "\n")).as_py():
            breaks += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
    starts = np.arange(2, table.num_rows + 2, dtype=np.int64) + np.cumsum(breaks) - breaks
    return _without_empty_records(table.append_column(ROW, pa.array(starts)), names)


def _without_empty_records(table: pa.Table, names: list[str]) -> pa.Table:
    """Records whose every field is blank (``,,,`` lines that spreadsheets write below the data)
    hold nothing: skipped like blank lines and empty spreadsheet rows, not rejected."""
    empty: pa.Array | None = None
    for name in names:
        blank = pc.equal(pc.utf8_trim_whitespace(table.column(name)), "")
        empty = blank if empty is None else pc.and_(empty, blank)
        if not pc.any(empty).as_py():
            return table
    return table.filter(pc.invert(empty)) if empty is not None else table


class _Lines:
    """An iterator over lines whose position can be moved back, to re-read after a bad record."""

    def __init__(self, lines: list[str], pos: int = 0) -> None:
        self.lines = lines
        self.pos = pos

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


_CSV_ERRORS_ZH = (
    ("expected after", "引号后应紧跟分隔符"),
    ("unexpected end of data", "引号未闭合，数据意外结束"),
    ("new-line character seen in unquoted field", "未加引号的字段中出现换行符"),
    ("line contains nul", "该行含有 NUL 字符"),
    ("field larger than field limit", "字段长度超过上限"),
)


def _csv_error_zh(exc: csv.Error) -> str:
    """The csv module's message in Chinese (it speaks English only)."""
    text = str(exc)
    return next((zh for en, zh in _CSV_ERRORS_ZH if en in text.lower()), text)


def _careful_csv(text: str, delimiter: str) -> tuple[pa.Table, pa.Table]:
    """Parse record by record with exact line numbers; a bad record is rejected, not fatal.

    A record with the wrong number of fields that runs over several lines almost always comes
    from a stray quote that swallowed the lines after it: only its first line is rejected and
    reading starts again on the next line, so that the good lines after it are kept.
    """
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]] + [parts[-1]]
    src = _Lines(lines)
    names: list[str] | None = None
    good: list[list[str]] = []
    good_rows: list[int] = []
    chunks: list[pa.Table] = []
    bad: list[tuple[int, str, str, str]] = []

    def reject(begin: int, en: str, zh: str) -> None:
        bad.append((begin + 1, lines[begin].rstrip("\r\n")[:_MAX_SHOWN], en, zh))

    while src.pos < len(lines):
        reader = csv.reader(src, delimiter=delimiter, strict=True)
        begin = src.pos
        try:
            for fields in reader:
                end = src.pos
                if not any(f.strip() for f in fields):
                    begin = src.pos
                    continue
                if names is None:
                    names = _unique_names(fields)
                elif len(fields) == len(names):
                    good.append(fields)
                    good_rows.append(begin + 1)
                    if len(good) >= _CHUNK:
                        chunks.append(_columns(names, good, good_rows))
                        good, good_rows = [], []
                elif end - begin > 1:
                    reject(begin, f"unbalanced quote: the record runs over {end - begin} lines "
                                  f"with {len(fields)} fields instead of {len(names)}",
                           f"引号不成对：该记录跨 {end - begin} 行，有 {len(fields)} 个字段，"
                           f"应为 {len(names)} 个")
                    src.pos = begin + 1
                else:
                    reject(begin, f"expected {len(names)} fields, found {len(fields)}",
                           f"应有 {len(names)} 个字段，实际 {len(fields)} 个")
                begin = src.pos
            break
        except csv.Error as exc:
            reject(begin, f"broken quoting: {exc}", f"引号格式错误：{_csv_error_zh(exc)}")
            src.pos = begin + 1
    if names is None:
        raise IngestError("the file has no header line", message_zh="文件没有表头行")
    if good or not chunks:
        chunks.append(_columns(names, good, good_rows))
    rejects = pa.table({
        "row": pa.array([b[0] for b in bad], pa.int64()),
        "column": pa.array([""] * len(bad), pa.string()),
        "value": pa.array([b[1] for b in bad], pa.string()),
        "reason": pa.array([b[2] for b in bad], pa.string()),
        "reason_zh": pa.array([b[3] for b in bad], pa.string()),
    }, schema=REJECT_SCHEMA)
    return pa.concat_tables(chunks), rejects


def _columns(names: list[str], records: list[list[str]], rows: list[int]) -> pa.Table:
    by_column = list(zip(*records, strict=True)) if records else [() for _ in names]
    arrays = {n: pa.array(list(c), pa.string()) for n, c in zip(names, by_column, strict=True)}
    arrays[ROW] = pa.array(rows, pa.int64())
    return pa.table(arrays)


# -- Excel ------------------------------------------------------------------------------------
def cell_text(value: object) -> str | None:
    """A spreadsheet or JSON cell as text: whole floats without ``.0``, dates in ISO 8601.

    >>> [cell_text(v) for v in (1001.0, 0.5, True, dt.date(2025, 3, 1), None, "NA")]
    ['1001', '0.5', 'true', '2025-03-01', None, 'NA']
    """
    match value:
        case None:
            return None
        case str():
            return value
        case bool():
            return "true" if value else "false"
        case int():
            return str(value)
        case float():
            if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
                return str(int(value))
            return repr(value)
        case dt.datetime():
            return value.isoformat(sep=" ")
        case dt.date() | dt.time():
            return value.isoformat()
        case dt.timedelta():
            seconds = int(value.total_seconds())
            return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        case dict() | list():
            return json.dumps(value, ensure_ascii=False)
        case _:
            return str(value)


def _header_index(rows: Sequence[Sequence[object]]) -> int | None:
    """The header's index: the first non-empty row, unless it is a title. Exports put a report
    title (often merged across the table), an export date, filters used, each filling a cell
    or two, above the header. Rows filling one or two cells are skipped as titles when a row of
    text headers follows that fills at least half as many cells as the widest row (and more
    than the titles), itself followed by a row filling several cells; at most two title rows
    above a narrow table (a header of two cells), at most eight above a wider one. The reader
    names what it skipped."""
    filled = [sum(1 for c in r if cell_text(c) and str(cell_text(c)).strip())
              for r in rows[:_HEAD_ROWS]]
    first = next((i for i, f in enumerate(filled) if f), None)
    if first is None:
        return _first_filled(rows)
    wide = max(2, -(-max(filled) // 2))
    if filled[first] >= wide or filled[first] > 2:
        return first
    for at in range(first + 1, len(filled)):
        if filled[at] <= 2 and filled[at] < wide:
            continue
        if filled[at] < wide:
            break
        above = sum(1 for f in filled[first:at] if f)
        after = next((f for f in filled[at + 1:] if f), 0)
        texts = all(isinstance(c, str) for c in rows[at] if cell_text(c))
        if after > 1 and texts and above <= (2 if filled[at] < 3 else 8):
            return at
        break
    return first


def _first_filled(rows: Sequence[Sequence[object]]) -> int | None:
    return next((i for i, r in enumerate(rows) if any(cell_text(c) for c in r)), None)


def _read_excel(path: Path, name: str, options: ReadOptions) -> SourceTable:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for unreadable workbooks
        raise IngestError(f"{name} cannot be read as a workbook: {exc}",
                          message_zh=f"{name} 无法作为工作簿读取：{exc}") from None
    names = list(book.sheet_names)
    chosen = options.sheet
    if chosen is None:
        sheet_name = names[0]
    elif chosen in names:
        sheet_name = chosen
    elif chosen.isdigit() and 1 <= int(chosen) <= len(names):
        sheet_name = names[int(chosen) - 1]
    else:
        raise IngestError(f"{name} has no sheet {chosen!r}; sheets: {', '.join(names)}",
                          message_zh=f"{name} 中没有工作表 {chosen!r}；"
                                     f"现有工作表：{', '.join(names)}")
    rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    header_at = _header_index(rows) if options.header_row is None else options.header_row - 1
    if header_at is None:
        raise IngestError(f"sheet {sheet_name!r} of {name} is empty",
                          message_zh=f"{name} 的工作表 {sheet_name!r} 为空")
    if header_at >= len(rows):
        raise IngestError(f"header row {header_at + 1} is below the end of sheet "
                          f"{sheet_name!r} of {name} ({len(rows)} rows)",
                          message_zh=f"表头行 {header_at + 1} 超出 {name} 的工作表 "
                                     f"{sheet_name!r}（共 {len(rows)} 行）")
    titles = tuple((i + 1, " ".join(t for c in rows[i] if (t := cell_text(c))))
                   for i in range(header_at) if any(cell_text(c) for c in rows[i]))
    width = max(len(r) for r in rows)
    header = [cell_text(c) or "" for c in rows[header_at]] + [""] * (width - len(rows[header_at]))
    body = rows[header_at + 1:]
    keep = [j for j in range(width)
            if header[j].strip() or any(j < len(r) and cell_text(r[j]) for r in body)]
    columns: list[list[str | None]] = [[] for _ in keep]
    row_numbers: list[int] = []
    for offset, record in enumerate(body, start=header_at + 2):
        texts = [cell_text(record[j]) if j < len(record) else None for j in keep]
        if not any(t for t in texts):
            continue
        row_numbers.append(offset)
        for column, t in zip(columns, texts, strict=True):
            column.append(t)
    names_out = _unique_names([header[j] for j in keep])
    table = pa.table({n: pa.array(c, pa.string()) for n, c in zip(names_out, columns,
                                                                   strict=True)}
                     | {ROW: pa.array(row_numbers, pa.int64())})
    return SourceTable(name, "excel", table, sheet=sheet_name, titles=titles)


# -- JSON -------------------------------------------------------------------------------------
def _text_of(path: Path, name: str, options: ReadOptions) -> str:
    raw = path.read_bytes()
    encoding = _encoding_of(raw, options)
    return _utf8_bytes(name, raw, encoding, check=True).decode("utf-8")


def _records_table(records: list[tuple[int, dict[str, Any]]]) -> pa.Table:
    keys: dict[str, None] = {}
    for _, record in records:
        keys.update(dict.fromkeys(record))
    names = _unique_names(list(keys))
    data: dict[str, pa.Array] = {
        name: pa.array([cell_text(r.get(key)) for _, r in records], pa.string())
        for key, name in zip(keys, names, strict=True)
    }
    data[ROW] = pa.array([n for n, _ in records], pa.int64())
    return pa.table(data)


def _not_object(row: int, value: object) -> tuple[int, str, str, str, str]:
    shown = json.dumps(value, ensure_ascii=False)[:_MAX_SHOWN]
    return (row, "", shown, "not a JSON object (expected {\"column\": value, ...})",
            "不是 JSON 对象（应为 {\"列名\": 值, ...}）")


def _rejects_table(bad: list[tuple[int, str, str, str, str]]) -> pa.Table:
    return pa.table({name: pa.array([b[i] for b in bad], REJECT_SCHEMA.field(name).type)
                     for i, name in enumerate(REJECT_SCHEMA.names)}, schema=REJECT_SCHEMA)


def _read_json(path: Path, name: str, options: ReadOptions) -> SourceTable:
    text = _text_of(path, name, options)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(f"not valid JSON: {exc.msg}", message_zh=f"JSON 格式错误：{exc.msg}",
                          location=Location(name, exc.lineno)) from None
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise IngestError("a JSON file must hold a list of records, or an object with "
                              "exactly one list of records",
                              message_zh="JSON 文件应为记录列表，或只含一个记录列表的对象",
                              location=Location(name))
        document = lists[0]
    if not isinstance(document, list):
        raise IngestError("a JSON file must hold a list of records",
                          message_zh="JSON 文件应为记录列表", location=Location(name))
    records = [(i, r) for i, r in enumerate(document, start=1) if isinstance(r, dict)]
    bad = [_not_object(i, r) for i, r in enumerate(document, start=1) if not isinstance(r, dict)]
    return SourceTable(name, "json", _records_table(records), _rejects_table(bad))


def _read_ndjson(path: Path, name: str, options: ReadOptions) -> SourceTable:
    text = _text_of(path, name, options)
    records: list[tuple[int, dict[str, Any]]] = []
    bad: list[tuple[int, str, str, str, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append((number, "", line.strip()[:_MAX_SHOWN], f"not valid JSON: {exc.msg}",
                        f"JSON 格式错误：{exc.msg}"))
            continue
        if isinstance(value, dict):
            records.append((number, value))
        else:
            bad.append(_not_object(number, value))
    return SourceTable(name, "ndjson", _records_table(records), _rejects_table(bad))
