"""Mapping specs: how the columns of a foreign export become the columns of a canonical table.

A mapping is a YAML file (``docs/import.md`` documents every key, in English and Chinese). It is
read by the one YAML reader (:mod:`salescore.semantic.yamlfile`) into frozen specs that forbid
unknown keys, so a typo or a key written twice is an error that names the file and line, never a
silently ignored setting. Shipped presets for common CRM exports live in
``salescore/catalog/presets``.

>>> spec = parse_mapping('''
... table: customers
... columns:
...   customer_id: Account ID
...   name: {from: Account Name}
...   created_at: {from: Created, format: "%d.%m.%Y"}
... ''', origin="accounts.yaml")
>>> spec.columns["customer_id"].from_
'Account ID'
>>> spec.line_of("columns", "created_at")
6
>>> "salesforce-opportunities" in preset_names()
True
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from importlib import resources
from pathlib import Path
from string import Formatter
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from salescore.core.errors import Location
from salescore.core.text import Text
from salescore.ingest.cleaning import DateOrder, format_pattern
from salescore.ingest.problems import IngestError
from salescore.ingest.readers import FORMATS, Format
from salescore.model.tables import TABLE_NAMES, table
from salescore.semantic.issues import Issue
from salescore.semantic.rules import run_rules
from salescore.semantic.spelling import moved_lines, respell
from salescore.semantic.yamlfile import LineMap, read_yaml, schema_issues

Clean = Literal["text", "email", "phone", "duration", "lower", "upper", "none"]
Unmapped = Literal["keep", "reject", "empty"]


def _text(value: object) -> object:
    """YAML scalars as the text a file would hold: ``yes`` → ``true``, ``1`` → ``1``."""
    match value:
        case bool():
            return "true" if value else "false"
        case int() | float():
            return str(value)
        case _:
            return value


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SplitSpec(_Spec):
    """Keep one part of a value split by ``separator``; a negative ``index`` counts from the end."""

    separator: str = Field(min_length=1)
    index: int = 0


_TODAY = "today"


class WhenSpec(_Spec):
    """A test on one row: source ``column`` is (or is not) one of the values, matches a regular
    expression, is empty (or not), is a date before or after a day (``today`` is the import's
    day), or a number above or below a bound; or ``all``/``any`` of several such tests.

    A value that is not a date (or a number) fails a date (or number) test: a test never
    rejects a row, it only decides.
    """

    column: str | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    not_in: tuple[str, ...] | None = None
    matches: str | None = None
    empty: bool | None = None
    before: str | None = None
    after: str | None = None
    above: float | None = None
    below: float | None = None
    format: tuple[str, ...] = ()
    all: tuple[WhenSpec, ...] | None = None
    any: tuple[WhenSpec, ...] | None = None

    @field_validator("in_", "not_in", mode="before")
    @classmethod
    def _as_texts(cls, value: object) -> object:
        if isinstance(value, str | int | float | bool):
            value = [value]
        return [_text(v) for v in value] if isinstance(value, list | tuple) else value

    @field_validator("before", "after", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str) and value != _TODAY:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a day: write today or YYYY-MM-DD") from None
        return value

    @field_validator("format", mode="before")
    @classmethod
    def _formats(cls, value: object) -> object:
        return _checked_formats(value)

    @model_validator(mode="after")
    def _one_test(self) -> WhenSpec:
        tests = [k for k in ("in_", "not_in", "matches", "empty", "before", "after", "above",
                             "below", "all", "any") if getattr(self, k) is not None]
        named = [k.rstrip("_") for k in tests]
        if self.all is not None or self.any is not None:
            if len(tests) != 1 or self.column is not None:
                raise ValueError("all or any stands alone: give the tests inside it, each "
                                 "with its column")
            return self
        if self.column is None:
            raise ValueError("name the source column the test reads: column: ...")
        # before with after (a span), above with below (a range) read as one test.
        if len(tests) != 1 and set(named) not in ({"before", "after"}, {"above", "below"}):
            raise ValueError("give one test of: in, not_in, matches, empty, before/after, "
                             "above/below (or all/any of several)")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return self

    def source_columns(self) -> tuple[str, ...]:
        """Every source column the test reads."""
        inner = (self.all or ()) + (self.any or ())
        own = (self.column,) if self.column else ()
        return own + tuple(c for w in inner for c in w.source_columns())


class CaseSpec(_Spec):
    """One case of ``cases``: the value ``then`` on the rows where ``when`` holds."""

    when: WhenSpec
    then: str | None

    @field_validator("then", mode="before")
    @classmethod
    def _scalar(cls, value: object) -> object:
        return _text(value)


class LookupSpec(_Spec):
    """A value taken from a second file (a :class:`LookupFileSpec` under ``lookups``): the row
    of that file whose key equals this row's ``match`` column, its ``take`` column."""

    file: str = Field(alias="in")
    match: str
    take: str


class DaysSpec(_Spec):
    """Days to add to a date: a number, or a source column holding one per row."""

    column: str | None = None
    days: float | None = None

    @model_validator(mode="after")
    def _one(self) -> DaysSpec:
        if (self.column is None) == (self.days is None):
            raise ValueError("give a number of days or the column that holds them")
        return self


def _days(value: object) -> object:
    """``add_days: Days to Close`` (a column) or ``add_days: 30`` (a number)."""
    match value:
        case bool():
            return value
        case int() | float():
            return {"days": value}
        case str():
            return {"column": value}
        case _:
            return value


def _checked_formats(value: object) -> object:
    formats = [value] if isinstance(value, str) else value
    if isinstance(formats, list | tuple):
        for f in formats:
            format_pattern(str(f))
    return formats


class ColumnSpec(_Spec):
    """Where one canonical column comes from, and how its values are turned into clean ones.

    Exactly one source: ``from`` (a source column), ``coalesce`` (the first non-empty of several
    columns; absent ones are skipped), ``template`` (``"{First} {Last}"``), ``constant``,
    ``lookup`` (a column of a second file) or ``cases`` (the first case whose test holds).
    Then, in this order: ``split``, ``values`` (a value map), ``when``, ``otherwise`` (another
    column spec, used where this one gave no value), ``default``, ``add_days`` (a date moved by
    a number of days, or by a column of them); then the
    cleaning for the column's type with ``format``/``date_order``/``timezone``/
    ``decimal_separator``/``default_time``/``clean``; then ``multiply``. An ``optional``
    column whose source columns are all absent is left out, as if not mapped (unless it has a
    ``default``).
    """

    from_: str | None = Field(default=None, alias="from")
    coalesce: tuple[str, ...] | None = None
    template: str | None = None
    constant: str | None = None
    lookup: LookupSpec | None = None
    cases: tuple[CaseSpec, ...] | None = None
    split: SplitSpec | None = None
    values: dict[str, str | None] | None = None
    unmapped: Unmapped = "keep"
    when: WhenSpec | None = None
    otherwise: ColumnSpec | None = None
    default: str | None = None
    add_days: DaysSpec | None = None
    format: tuple[str, ...] = ()
    date_order: DateOrder | None = None
    timezone: str | None = None
    default_time: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
    decimal_separator: Literal[".", ","] | None = None
    multiply: float | None = None
    clean: Clean | None = None
    optional: bool = False

    @field_validator("constant", "default", mode="before")
    @classmethod
    def _scalar(cls, value: object) -> object:
        return _text(value)

    @field_validator("values", mode="before")
    @classmethod
    def _value_map(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(_text(k)): _text(v) for k, v in value.items()}
        return value

    @field_validator("format", mode="before")
    @classmethod
    def _formats(cls, value: object) -> object:
        return _checked_formats(value)

    @field_validator("add_days", mode="before")
    @classmethod
    def _add_days(cls, value: object) -> object:
        return _days(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _known_zone(value)

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        given = [k for k in ("from_", "coalesce", "template", "constant", "lookup", "cases")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of from, coalesce, template, constant, lookup, "
                             "cases")
        if self.cases is not None and not self.cases:
            raise ValueError("cases lists at least one case: - {when: {...}, then: value}")
        if self.template is not None and not self.template_fields():
            raise ValueError("a template names at least one column, e.g. \"{First} {Last}\"")
        return self

    def default_seconds(self) -> int:
        """``default_time`` as seconds after midnight (0 when not given)."""
        if self.default_time is None:
            return 0
        parts = [int(p) for p in self.default_time.split(":")] + [0]
        return parts[0] * 3600 + parts[1] * 60 + parts[2]

    def template_fields(self) -> tuple[str, ...]:
        """The source columns a template names, in order."""
        if self.template is None:
            return ()
        return tuple(f for _, f, _, _ in Formatter().parse(self.template) if f)

    def source_columns(self) -> tuple[str, ...]:
        """Every source column this column reads (``when``, ``cases`` and ``add_days``
        included; for a ``lookup``, the column it matches on)."""
        names = [self.from_] if self.from_ else []
        names += list(self.coalesce or ()) + list(self.template_fields())
        if self.lookup:
            names.append(self.lookup.match)
        for case in self.cases or ():
            names += case.when.source_columns()
        if self.when:
            names += self.when.source_columns()
        if self.add_days and self.add_days.column:
            names.append(self.add_days.column)
        if self.otherwise:
            names += list(self.otherwise.source_columns())
        return tuple(names)


def _known_zone(value: str | None) -> str | None:
    if value is not None:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as UTC or "
                             "Asia/Shanghai)") from None
    return value


class SourceSpec(_Spec):
    """How to read the file; a command-line option wins over what the mapping says.

    ``header_row`` is the row (line in a CSV file, sheet row in Excel, from 1) that holds the
    column names; without it the header is found below any title rows."""

    format: Format | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = Field(default=None, ge=1)
    null_values: tuple[str, ...] = ()

    @field_validator("sheet", mode="before")
    @classmethod
    def _sheet(cls, value: object) -> object:
        return _text(value)

    @field_validator("null_values", mode="before")
    @classmethod
    def _nulls(cls, value: object) -> object:
        return [_text(v) for v in value] if isinstance(value, list | tuple) else value


class LookupFileSpec(_Spec):
    """A second file that columns look values up in (a sales-team sheet giving each agent's
    manager and office): its path, relative to the mapping file and inside its folder, the
    column whose values are the keys, and how to read it (as ``source``)."""

    file: str = Field(min_length=1)
    key: str
    format: Format | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = Field(default=None, ge=1)

    @field_validator("sheet", mode="before")
    @classmethod
    def _sheet(cls, value: object) -> object:
        return _text(value)

    @field_validator("file")
    @classmethod
    def _inside(cls, value: str) -> str:
        # A mapping can arrive through the web app: it may read files beside it, never
        # elsewhere on the server.
        path = Path(value)
        if path.is_absolute() or value.startswith(("/", "\\")) or ".." in path.parts \
                or re.match(r"^[A-Za-z]:", value):
            raise ValueError("a lookup file is named relative to the mapping file, inside its "
                             "folder (no absolute path, no ..)")
        return value


RepeatedKeys = Literal["reject", "first", "last"]


class _TableRows(_Spec):
    """What a whole mapping and each table under its ``tables`` both say of the rows: those it
    skips, what to do with rows that repeat a key; and how their ``columns`` are written (a
    bare string is ``from:`` that source column)."""

    skip_rows: tuple[WhenSpec, ...] = ()
    repeated_keys: RepeatedKeys = "reject"

    @field_validator("columns", mode="before", check_fields=False)
    @classmethod
    def _shorthand(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: ({"from": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @field_validator("skip_rows", mode="before")
    @classmethod
    def _conditions(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value


class TableMappingSpec(_TableRows):
    """One table that a sheet feeds, under ``tables``: its columns, the rows it skips, and what
    to do with rows that repeat a key (a customer on every one of its deals)."""

    description: Text | None = None
    columns: dict[str, ColumnSpec]


class MappingSpec(_TableRows):
    """A whole mapping: the target table, how to read the source, and one spec per column.

    A sheet that feeds several tables lists them under ``tables`` instead (each with its
    ``columns``); :meth:`for_table` gives the mapping of one of them. ``lookups`` name second
    files that columns take values from; ``skip_rows`` the rows that are not records (a
    "Grand Total" footer); ``repeated_keys`` what to do with rows that repeat a key.
    """

    table: str | None = None
    description: Text | None = None
    source: SourceSpec = SourceSpec()
    timezone: str | None = None
    date_order: DateOrder | None = None
    decimal_separator: Literal[".", ","] = "."
    lookups: dict[str, LookupFileSpec] = {}
    columns: dict[str, ColumnSpec] = {}
    tables: dict[str, TableMappingSpec] | None = None

    _origin: str = PrivateAttr(default="(mapping)")
    _lines: LineMap = PrivateAttr(default=LineMap("(mapping)", {}))
    _warnings: tuple[Issue, ...] = PrivateAttr(default=())
    _base: Path | None = PrivateAttr(default=None)
    _section: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="before")
    @classmethod
    def _old_description(cls, data: object) -> object:
        return respell(data, ("description",))[0] if isinstance(data, dict) else data

    @field_validator("table")
    @classmethod
    def _known_table(cls, value: str | None) -> str | None:
        if value is not None and value not in TABLE_NAMES:
            raise ValueError(f"unknown table {value!r}; known: {', '.join(TABLE_NAMES)}")
        return value

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, value: dict[str, TableMappingSpec] | None
                      ) -> dict[str, TableMappingSpec] | None:
        unknown = [t for t in value or {} if t not in TABLE_NAMES]
        if unknown:
            raise ValueError(f"unknown table {unknown[0]!r}; known: {', '.join(TABLE_NAMES)}")
        if value is not None and not value:
            raise ValueError("tables lists at least one table")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _known_zone(value)

    @model_validator(mode="after")
    def _columns_or_tables(self) -> MappingSpec:
        if self.tables is not None:
            if self.columns:
                raise ValueError("give columns (one table) or tables (several), not both")
            if self.table is not None:
                raise ValueError("with tables, each table is named under it: leave out table")
        elif "columns" not in self.model_fields_set:
            raise ValueError("give columns (one table) or tables (several tables)")
        return self

    @property
    def table_names(self) -> tuple[str, ...]:
        """The tables this mapping feeds, in the order they are loaded (the order of the
        declarations: teams before reps before customers...); empty when any table."""
        if self.tables is not None:
            return tuple(t for t in TABLE_NAMES if t in self.tables)
        return (self.table,) if self.table else ()

    def for_table(self, table_name: str) -> MappingSpec:
        """The mapping of one table: this one, or, for a mapping of several tables, that
        table's section with the shared settings (source, lookups, zone, skipped rows).
        :class:`IngestError` at the mapping's ``tables`` when it does not map ``table_name``."""
        if self.tables is None:
            return self
        section = self.tables.get(table_name)
        if section is None:
            shown = ", ".join(self.table_names)
            raise IngestError(
                f"this mapping maps {shown}, not {table_name}",
                message_zh=f"该映射用于 {shown}，不包括 {table_name}",
                location=self.location("tables"))
        one = self.model_copy(update={
            "table": table_name, "tables": None, "columns": section.columns,
            "description": section.description or self.description,
            "skip_rows": self.skip_rows + section.skip_rows,
            "repeated_keys": section.repeated_keys})
        one._origin, one._lines, one._warnings, one._base = (self._origin, self._lines,
                                                             self._warnings, self._base)
        one._section = ("tables", table_name)
        return one

    def check_columns(self, table_name: str) -> None:
        """:class:`IngestError` at the first mapped column that ``table_name`` does not declare."""
        declared = table(table_name).column_names
        unknown = [c for c in self.columns if c not in declared]
        if unknown:
            raise IngestError(
                f"{table_name} has no column {', '.join(map(repr, unknown))}; its columns: "
                f"{', '.join(declared)}",
                message_zh=f"{table_name} 没有列 {', '.join(map(repr, unknown))}；"
                           f"其列为：{', '.join(declared)}",
                location=self.location("columns", unknown[0]))

    def lookup_path(self, name: str) -> Path:
        """Where lookup file ``name`` is: beside the mapping file (the working folder for a
        mapping given as text)."""
        return (self._base or Path.cwd()) / self.lookups[name].file

    @property
    def origin(self) -> str:
        """The file (or preset) the mapping was read from."""
        return self._origin

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """What the file should change but that does not stop it being used (an old spelling),
        each with file:line."""
        return self._warnings

    def line_of(self, *path: str | int) -> int | None:
        """The 1-based line of the deepest key along ``path`` that the file has (within the
        table's section under ``tables`` for a mapping of one of several tables)."""
        if self._section and path and path[0] in ("columns", "skip_rows", "repeated_keys"):
            path = self._section + path
        return self._lines.line_of(path, top=False)

    def location(self, *path: str | int) -> Location:
        return Location(self._origin, self.line_of(*path))


def _spec_classes() -> list[type[_Spec]]:
    """Every spec class, however far below :class:`_Spec`."""
    found: list[type[_Spec]] = []
    todo = list(_Spec.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _unknown_key(key: str) -> Text:
    """A typo's message in English and Chinese, with the nearest key a mapping knows."""
    known = sorted({f.alias or name for cls in _spec_classes()
                    for name, f in cls.model_fields.items()})
    close = difflib.get_close_matches(key, known, n=3)
    # Swapped letters (form → from) are the commonest typo: they win over a longer near match.
    close.sort(key=lambda k: sorted(k) != sorted(key))
    if close:
        return Text(f"unknown key {key!r} (did you mean {close[0]!r}?)",
                    f"未知的键 {key!r}（是否应为 {close[0]!r}？）")
    return Text(f"unknown key {key!r}", f"未知的键 {key!r}")


def _fail(issues: list[Issue]) -> IngestError:
    """The first of ``issues`` as the error, saying how many more there are."""
    first, more = issues[0], len(issues) - 1
    return IngestError(first.message + (f" (and {more} more)" if more else ""),
                       message_zh=first.message_zh + (f"（另有 {more} 处）" if more else ""),
                       location=first.location)


def parse_mapping(text: str, origin: str = "(mapping)", *, base: Path | None = None
                  ) -> MappingSpec:
    """A mapping from YAML text; :class:`IngestError` naming ``origin`` and the line.

    ``base`` is the folder that lookup files are named from (default: the working folder)."""
    doc = read_yaml(text, origin)
    if doc.issues:
        raise _fail(doc.issues)
    if not isinstance(doc.data, dict):
        raise IngestError("a mapping is a YAML object with at least 'columns'",
                          message_zh="映射文件应为至少包含 columns 的 YAML 对象",
                          location=Location(origin, 1))
    data, respelled = respell(doc.data, ("description",))
    lines = moved_lines(doc.lines, respelled)
    try:
        spec = MappingSpec.model_validate(data)
    except ValidationError as exc:
        raise _fail(schema_issues(exc, data, lines, unknown_key=_unknown_key)) from None
    spec._origin = origin
    spec._lines = lines
    spec._base = base
    spec._warnings = tuple(respelling.issue(lines) for respelling in respelled)
    # The rules read these specs, so they are imported once the specs exist.
    from salescore.ingest.mapping_rules import MAPPING_RULES

    issues = [issue.at(lines.locate(issue.path)) for issue in run_rules(MAPPING_RULES, spec)]
    if issues:
        raise _fail(issues)
    return spec


def load_mapping(path: Path | str) -> MappingSpec:
    """Read a mapping file; :class:`IngestError` names the file and line of a mistake."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"mapping file not found: {path}", message_zh=f"找不到映射文件：{path}")
    return parse_mapping(path.read_text(encoding="utf-8-sig"), origin=str(path),
                         base=path.resolve().parent)


def _presets() -> Any:
    return resources.files("salescore").joinpath("catalog", "presets")


def preset_names() -> tuple[str, ...]:
    """The shipped presets by name (``salesforce-opportunities``, ``jiandaoyun-customers``...)."""
    return tuple(sorted(p.name.removesuffix(".yaml") for p in _presets().iterdir()
                        if p.name.endswith(".yaml")))


def load_preset(name: str) -> MappingSpec:
    """A shipped preset by name; :class:`IngestError` listing the presets for an unknown one."""
    if name not in preset_names():
        raise IngestError(f"unknown preset {name!r}; presets: {', '.join(preset_names())}",
                          message_zh=f"未知预设 {name!r}；可用预设：{', '.join(preset_names())}")
    text = _presets().joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse_mapping(text, origin=f"preset:{name}")


__all__ = ["CaseSpec", "ColumnSpec", "DaysSpec", "FORMATS", "LookupFileSpec", "LookupSpec",
           "MappingSpec", "RepeatedKeys", "SourceSpec", "SplitSpec", "TableMappingSpec",
           "WhenSpec", "load_mapping", "load_preset", "parse_mapping", "preset_names"]


WhenSpec.model_rebuild()
ColumnSpec.model_rebuild()
