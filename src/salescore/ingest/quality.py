"""The data quality report: how complete, valid, unique, connected and fresh each table is.

Every number is computed in the warehouse with the same SQL on DuckDB and PostgreSQL, from the
table declarations and the organisation's settings:

- completeness: the share of rows with a value, and the rows whose value is unknown (NULL), per
  column (an open deal's amount, a call survey's customer: loaded as unknown, counted here);
- validity: rows that break a declared rule (required, allowed values, ranges, row rules), name a
  stage the pipeline does not know, or whose status contradicts their stage;
- duplicates: rows beyond the first for a repeated key, and customers whose names are the same
  once case, punctuation, full-width forms and company suffixes (Ltd, 有限公司...) are ignored;
- orphans: references to rows that do not exist (kept at import, reported here);
- freshness: the newest (and oldest) value of the table's time column;
- amounts in a currency other than the reporting one with no exchange rate (flagged).

>>> from salescore.engine.warehouse import Warehouse
>>> from salescore.model.org import OrgSettings
>>> with Warehouse.open("duckdb://:memory:") as wh:
...     wh.create_tables()
...     report = quality_report(wh, OrgSettings())
>>> report.table("opportunities").rows, report.table("opportunities").validity
(0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from salescore.core.text import Text
from salescore.engine.warehouse import Warehouse
from salescore.ingest.cleaning import half_width
from salescore.ingest.validation import table_rule
from salescore.model.org import OrgSettings
from salescore.model.tables import (
    TABLES,
    DataType,
    ForbiddenWhen,
    NotBefore,
    RequiredWhen,
    Table,
    table,
)

Severity = Literal["invalid", "warning"]
MAX_DUPLICATE_GROUPS = 50


@dataclass(frozen=True, slots=True)
class ColumnQuality:
    """How many rows have a value in one column, and how many an unknown one (NULL)."""

    name: str
    filled: int
    completeness: float
    required: bool
    unknown: int = 0


@dataclass(frozen=True, slots=True)
class Issue:
    """One check that some rows fail: ``invalid`` counts against validity, ``warning`` not;
    ``text`` says what fails (``en`` and ``zh`` are its two languages)."""

    check: str
    severity: Severity
    rows: int
    text: Text
    examples: tuple[str, ...] = ()

    @property
    def en(self) -> str:
        return self.text.en

    @property
    def zh(self) -> str:
        return self.text.zh

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, the text as its ``en`` and ``zh``."""
        return {"check": self.check, "severity": self.severity, "rows": self.rows,
                "en": self.text.en, "zh": self.text.zh, "examples": list(self.examples)}


@dataclass(frozen=True, slots=True)
class TableQuality:
    """The quality of one table."""

    name: str
    rows: int
    columns: tuple[ColumnQuality, ...]
    invalid_rows: int
    validity: float
    duplicate_keys: int
    orphans: dict[str, int]
    newest: datetime | None
    oldest: datetime | None
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Customers that are probably one: the name they share once normalised, and who they are."""

    normalised: str
    customers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class QualityReport:
    """Quality of every table at one moment (UTC), and the likely duplicate customers."""

    created_at: datetime
    tables: tuple[TableQuality, ...]
    likely_duplicate_customers: tuple[DuplicateGroup, ...] = ()
    duplicate_customer_rows: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> TableQuality:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times as ISO 8601 UTC, ``Z``)."""
        def convert(value: Any) -> Any:
            match value:
                case datetime():
                    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
                case dict():
                    return {k: convert(v) for k, v in value.items()}
                case list() | tuple():
                    return [convert(v) for v in value]
                case _:
                    return value

        data = dict(convert(asdict(self)))
        for out, t in zip(data["tables"], self.tables, strict=True):
            out["issues"] = [issue.to_dict() for issue in t.issues]
        return data


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _checks(declared: Table, settings: OrgSettings) -> list[tuple[str, str, Text]]:
    """(check name, SQL predicate true on a failing row, what fails) of every validity check."""
    checks: list[tuple[str, str, Text]] = []
    for c in declared.columns:
        if c.required:
            checks.append((f"required:{c.name}", f"{c.name} IS NULL",
                           Text(f"{c.name} is missing", f"{c.name} 缺失")))
        if c.allowed:
            listed = ", ".join(map(_quote, c.allowed))
            checks.append((f"allowed:{c.name}", f"{c.name} NOT IN ({listed})",
                           Text(f"{c.name} is not one of {', '.join(c.allowed)}",
                                f"{c.name} 不在 {', '.join(c.allowed)} 之中")))
        if c.minimum is not None:
            checks.append((f"minimum:{c.name}", f"{c.name} < {c.minimum}",
                           Text(f"{c.name} below {c.minimum:g}", f"{c.name} 小于 {c.minimum:g}")))
        if c.maximum is not None:
            checks.append((f"maximum:{c.name}", f"{c.name} > {c.maximum}",
                           Text(f"{c.name} above {c.maximum:g}", f"{c.name} 大于 {c.maximum:g}")))
    for rule in declared.rules:
        match rule:
            case NotBefore(earlier=earlier, later=later):
                checks.append((f"not_before:{later}", f"{later} < {earlier}",
                               Text(f"{later} before {earlier}", f"{later} 早于 {earlier}")))
            case RequiredWhen(column=column, when_column=when, values=values):
                listed = ", ".join(map(_quote, values))
                checks.append((f"required_when:{column}",
                               f"{when} IN ({listed}) AND {column} IS NULL",
                               Text(f"{column} missing while {when} is {'/'.join(values)}",
                                    f"{when} 为 {'/'.join(values)} 时缺少 {column}")))
            case ForbiddenWhen(column=column, when_column=when, values=values):
                listed = ", ".join(map(_quote, values))
                checks.append((f"forbidden_when:{column}",
                               f"{when} IN ({listed}) AND {column} IS NOT NULL",
                               Text(f"{column} set while {when} is {'/'.join(values)}",
                                    f"{when} 为 {'/'.join(values)} 时 {column} 不应有值")))
    if "stage" in declared.column_names:
        pipeline = settings.pipeline
        names = ", ".join(map(_quote, pipeline.stage_names()))
        checks.append(("unknown_stage", f"stage NOT IN ({names})",
                       Text("stage not in the pipeline", "阶段不在销售流程中")))
        if table_rule(declared.name).derives.get("status") == "stage":
            # The table's rule (validation.status_from_stage) says the status follows from the
            # stage; here that is checked in the warehouse, over the rows already stored.
            cases = " ".join(f"WHEN {_quote(s.name)} THEN {_quote(s.status)}"
                             for s in pipeline.stages)
            checks.append(("status_stage", f"status <> (CASE stage {cases} ELSE status END)",
                           Text("status contradicts the stage", "状态与阶段矛盾")))
    return checks


def _count_predicates(warehouse: Warehouse, name: str, predicates: Sequence[str]) -> list[int]:
    if not predicates:
        return []
    sums = ", ".join(f"SUM(CASE WHEN COALESCE(({p}), FALSE) THEN 1 ELSE 0 END)"
                     for p in predicates)
    any_ = " OR ".join(f"COALESCE(({p}), FALSE)" for p in predicates)
    row = warehouse.execute_sql(
        f"SELECT {sums}, SUM(CASE WHEN {any_} THEN 1 ELSE 0 END) FROM {name}")[0]
    return [int(v or 0) for v in row]


def _table_quality(warehouse: Warehouse, declared: Table, settings: OrgSettings
                   ) -> TableQuality:
    name = declared.name
    counts = warehouse.execute_sql(
        f"SELECT count(*), {', '.join(f'count({c})' for c in declared.column_names)} "
        f"FROM {name}")[0]
    rows = int(counts[0])
    columns = tuple(ColumnQuality(c.name, int(f), (int(f) / rows) if rows else 1.0, c.required,
                                  rows - int(f))
                    for c, f in zip(declared.columns, counts[1:], strict=True))
    checks = _checks(declared, settings)
    found = _count_predicates(warehouse, name, [p for _, p, _ in checks])
    invalid = found[-1] if found else 0
    issues = [Issue(check, "invalid", n, text)
              for (check, _, text), n in zip(checks, found, strict=False) if n]
    if "unknown_stage" in {i.check for i in issues}:
        names = ", ".join(map(_quote, settings.pipeline.stage_names()))
        examples = warehouse.execute_sql(
            f"SELECT stage, count(*) FROM {name} WHERE stage NOT IN ({names}) "
            f"GROUP BY stage ORDER BY count(*) DESC, stage")
        issues = [i if i.check != "unknown_stage" else replace(
            i, examples=tuple(f"{s} ({n})" for s, n in examples[:10])) for i in issues]
    keys = ", ".join(declared.key)
    duplicate_keys = int(warehouse.execute_sql(
        f"SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT count(*) AS n FROM {name} "
        f"GROUP BY {keys} HAVING count(*) > 1) d")[0][0] or 0)
    if duplicate_keys:
        issues.append(Issue("duplicate_keys", "invalid", duplicate_keys,
                            Text(f"rows repeating a key ({keys})", f"键（{keys}）重复的行")))
    orphans: dict[str, int] = {}
    for c in declared.columns:
        ref = c.references
        if ref is None:
            continue
        found_rows = warehouse.execute_sql(
            f"SELECT t.{c.name}, count(*) FROM {name} t WHERE t.{c.name} IS NOT NULL AND NOT "
            f"EXISTS (SELECT 1 FROM {ref.table} r WHERE r.{ref.column} = t.{c.name}) "
            f"GROUP BY t.{c.name} ORDER BY count(*) DESC, t.{c.name}")
        total = sum(int(n) for _, n in found_rows)
        if total:
            orphans[c.name] = total
            issues.append(Issue(f"orphans:{c.name}", "warning", total,
                                Text(f"{c.name} names no {ref.table} row",
                                     f"{c.name} 在 {ref.table} 中不存在"),
                                tuple(str(v) for v, _ in found_rows[:5])))
    if declared.column_names.count("currency") and any(
            c.type == DataType.DECIMAL for c in declared.columns):
        currency = settings.organisation.currency
        amounts = " OR ".join(f"t.{c.name} IS NOT NULL" for c in declared.columns
                              if c.type == DataType.DECIMAL)
        foreign = warehouse.execute_sql(
            f"SELECT t.currency, count(*) FROM {name} t WHERE ({amounts}) AND (t.currency IS NULL "
            f"OR t.currency <> {_quote(currency)} "
            "AND NOT EXISTS (SELECT 1 FROM fx_rates f WHERE f.currency = t.currency)) "
            "GROUP BY t.currency ORDER BY count(*) DESC, t.currency")
        total = sum(int(n) for _, n in foreign)
        if total:
            issues.append(Issue("no_fx_rate", "warning", total,
                                Text(f"amounts that cannot be converted to {currency} (no "
                                     "exchange rate, or no currency): money KPIs over them "
                                     "are null", f"无法折算为 {currency} 的金额（无汇率或无币种）："
                                     "相关金额指标为空"),
                                tuple(f"{cur or '(none / 无)'} ({n})" for cur, n in foreign)))
    newest = oldest = None
    if declared.time_column:
        oldest, newest = warehouse.execute_sql(
            f"SELECT min({declared.time_column}), max({declared.time_column}) FROM {name}")[0]
    return TableQuality(name, rows, columns, invalid, (1 - invalid / rows) if rows else 1.0,
                        duplicate_keys, orphans, newest, oldest, tuple(issues))


_SUFFIX = (r"(?:\s(?:inc|incorporated|ltd|limited|llc|gmbh|co|corp|corporation|company|plc|ag|"
           r"sa|bv|pte|srl|kg))+$")
_SUFFIX_ZH = r"(?:股份有限公司|有限责任公司|有限公司|分公司|集团|公司)+$"


def normalise_name(names: pa.Array) -> pa.Array:
    """Names compared for duplicates: lower case, half-width, no punctuation or spaces, no
    company suffix.

    >>> normalise_name(pa.array(["ACME Co., Ltd.", "acme", "上海某某科技有限公司", "上海某某科技"])
    ...                ).to_pylist()
    ['acme', 'acme', '上海某某科技', '上海某某科技']
    """
    text = pc.utf8_lower(half_width(names))
    text = pc.replace_substring_regex(text, r"[\p{P}\p{S}\s]+", " ")
    text = pc.utf8_trim_whitespace(text)
    text = pc.replace_substring_regex(text, _SUFFIX, "")
    text = pc.replace_substring_regex(text, r"\s+", "")
    return pc.replace_substring_regex(text, _SUFFIX_ZH, "")


def likely_duplicate_customers(warehouse: Warehouse) -> tuple[list[DuplicateGroup], int]:
    """Customers sharing a normalised name (the largest groups first), and how many rows are in
    such groups."""
    data = warehouse.table("customers").select("customer_id", "name").to_pyarrow()
    if not data.num_rows:
        return [], 0
    data = data.append_column("normalised", normalise_name(data.column("name").combine_chunks()))
    data = data.filter(pc.not_equal(data.column("normalised"), ""))
    sizes = data.group_by("normalised").aggregate([("customer_id", "count")])
    repeated = sizes.filter(pc.greater(sizes.column("customer_id_count"), 1))
    if not repeated.num_rows:
        return [], 0
    members = data.join(repeated, keys="normalised", join_type="inner")
    total = members.num_rows
    groups: dict[str, list[tuple[str, str]]] = {}
    for rec in members.sort_by([("normalised", "ascending"),
                                ("customer_id", "ascending")]).to_pylist():
        groups.setdefault(rec["normalised"], []).append((rec["customer_id"], rec["name"]))
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [DuplicateGroup(k, tuple(v)) for k, v in ordered[:MAX_DUPLICATE_GROUPS]], total


def quality_report(warehouse: Warehouse, settings: OrgSettings,
                   tables: Sequence[str] | None = None) -> QualityReport:
    """The quality of ``tables`` (default: all), computed now."""
    chosen = [table(n) for n in tables] if tables else list(TABLES)
    qualities = tuple(_table_quality(warehouse, t, settings) for t in chosen)
    groups: list[DuplicateGroup] = []
    in_groups = 0
    if any(t.name == "customers" for t in chosen):
        groups, in_groups = likely_duplicate_customers(warehouse)
    return QualityReport(datetime.now(UTC).replace(tzinfo=None, microsecond=0), qualities,
                         tuple(groups), in_groups)
