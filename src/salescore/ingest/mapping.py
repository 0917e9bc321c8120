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


class WhenSpec(_Spec):
    """Keep the value only on rows where source ``column`` is (or is not) one of the values, or
    matches a regular expression; other rows get the default, or nothing."""

    column: str
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    not_in: tuple[str, ...] | None = None
    matches: str | None = None

    @field_validator("in_", "not_in", mode="before")
    @classmethod
    def _as_texts(cls, value: object) -> object:
        if isinstance(value, str | int | float | bool):
            value = [value]
        return [_text(v) for v in value] if isinstance(value, list | tuple) else value

    @model_validator(mode="after")
    def _one_test(self) -> WhenSpec:
        if sum(x is not None for x in (self.in_, self.not_in, self.matches)) != 1:
            raise ValueError("give exactly one of in, not_in, matches")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return self


class ColumnSpec(_Spec):
    """Where one canonical column comes from, and how its values are turned into clean ones.

    Exactly one source: ``from`` (a source column), ``coalesce`` (the first non-empty of several
    columns; absent ones are skipped), ``template`` (``"{First} {Last}"``) or ``constant``.
    Then, in this order: ``split``, ``values`` (a value map), ``when``, ``otherwise`` (another
    column spec, used where this one gave no value), ``default``; then the
    cleaning for the column's type with ``format``/``date_order``/``timezone``/
    ``decimal_separator``/``default_time``/``clean``; then ``multiply``. An ``optional``
    column whose source columns are all absent is left out, as if not mapped (unless it has a
    ``default``).
    """

    from_: str | None = Field(default=None, alias="from")
    coalesce: tuple[str, ...] | None = None
    template: str | None = None
    constant: str | None = None
    split: SplitSpec | None = None
    values: dict[str, str | None] | None = None
    unmapped: Unmapped = "keep"
    when: WhenSpec | None = None
    otherwise: ColumnSpec | None = None
    default: str | None = None
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
        formats = [value] if isinstance(value, str) else value
        if isinstance(formats, list | tuple):
            for f in formats:
                format_pattern(str(f))
        return formats

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _known_zone(value)

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        given = [k for k in ("from_", "coalesce", "template", "constant")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of from, coalesce, template, constant")
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
        """Every source column this column reads (``when`` included)."""
        names = [self.from_] if self.from_ else []
        names += list(self.coalesce or ()) + list(self.template_fields())
        if self.when:
            names.append(self.when.column)
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
    """How to read the file; a command-line option wins over what the mapping says."""

    format: Format | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    null_values: tuple[str, ...] = ()

    @field_validator("sheet", mode="before")
    @classmethod
    def _sheet(cls, value: object) -> object:
        return _text(value)

    @field_validator("null_values", mode="before")
    @classmethod
    def _nulls(cls, value: object) -> object:
        return [_text(v) for v in value] if isinstance(value, list | tuple) else value


class MappingSpec(_Spec):
    """A whole mapping: the target table, how to read the source, and one spec per column."""

    table: str | None = None
    description: Text | None = None
    source: SourceSpec = SourceSpec()
    timezone: str | None = None
    date_order: DateOrder | None = None
    decimal_separator: Literal[".", ","] = "."
    columns: dict[str, ColumnSpec]

    _origin: str = PrivateAttr(default="(mapping)")
    _lines: LineMap = PrivateAttr(default=LineMap("(mapping)", {}))
    _warnings: tuple[Issue, ...] = PrivateAttr(default=())

    @model_validator(mode="before")
    @classmethod
    def _old_description(cls, data: object) -> object:
        return respell(data, ("description",))[0] if isinstance(data, dict) else data

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: ({"from": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @field_validator("table")
    @classmethod
    def _known_table(cls, value: str | None) -> str | None:
        if value is not None and value not in TABLE_NAMES:
            raise ValueError(f"unknown table {value!r}; known: {', '.join(TABLE_NAMES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _known_zone(value)

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

    @property
    def origin(self) -> str:
        """The file (or preset) the mapping was read from."""
        return self._origin

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """What the file should change but that does not stop it being used (an old spelling),
        each with file:line."""
        return self._warnings

    def line_of(self, *path: str) -> int | None:
        """The 1-based line of the deepest key along ``path`` that the file has."""
        return self._lines.line_of(path, top=False)

    def location(self, *path: str) -> Location:
        return Location(self._origin, self.line_of(*path))


def _unknown_key(key: str) -> Text:
    """A typo's message in English and Chinese, with the nearest key a mapping knows."""
    known = sorted({f.alias or name for cls in _Spec.__subclasses__()
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


def parse_mapping(text: str, origin: str = "(mapping)") -> MappingSpec:
    """A mapping from YAML text; :class:`IngestError` naming ``origin`` and the line."""
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
    spec._warnings = tuple(respelling.issue(lines) for respelling in respelled)
    if spec.table is not None:
        spec.check_columns(spec.table)
    return spec


def load_mapping(path: Path | str) -> MappingSpec:
    """Read a mapping file; :class:`IngestError` names the file and line of a mistake."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"mapping file not found: {path}", message_zh=f"找不到映射文件：{path}")
    return parse_mapping(path.read_text(encoding="utf-8-sig"), origin=str(path))


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


__all__ = ["ColumnSpec", "FORMATS", "MappingSpec", "SourceSpec", "SplitSpec", "WhenSpec",
           "load_mapping", "load_preset", "parse_mapping", "preset_names"]


ColumnSpec.model_rebuild()
