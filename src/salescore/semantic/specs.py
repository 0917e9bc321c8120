"""The specs a KPI catalogue is made of: sources, measures and KPIs of a closed set of types.

A **source** names a canonical table (or one of a few derived row sets over it), the column that
names the rep, the timestamps that can place a row in a period and the dimensions it can be split
by. A **measure** aggregates one column of one source (count, count distinct, sum, avg, median,
min, max) over the rows that pass its filters, placed in a period by one timestamp. A **KPI** is one
of five types: ``simple`` (one measure), ``ratio`` (sum-based numerator over denominator, at every
grain), ``derived`` (an arithmetic expression of other KPIs), ``conversion`` (share of items that
reached a later state among those that reached an earlier one) and ``period_over_period`` (the
items of the previous period seen again in this one, as retention needs).

Column paths: a column of the source's table, or ``fk.column`` through a declared reference
(``customer_id.region`` is the region of the row's customer; ``opportunity_id.customer_id.region``
goes two steps).

Every spec is a frozen Pydantic model with ``extra="forbid"``: a typo in YAML is an error.

>>> f = Filter(column="status", values=["won"])
>>> f.op, f.values
(<Op.EQ: 'eq'>, ('won',))
>>> Text(en="Revenue won", zh="赢单金额").get("zh_CN")
'赢单金额'
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from salescore.core.text import Text

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
Scalar = str | int | float | bool


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Agg(StrEnum):
    """How a measure aggregates its column."""

    COUNT = "count"  # rows (or non-null values of ``column`` when one is given)
    COUNT_DISTINCT = "count_distinct"
    SUM = "sum"
    AVG = "avg"
    MEDIAN = "median"
    MIN = "min"
    MAX = "max"

    @property
    def is_count(self) -> bool:
        return self in (Agg.COUNT, Agg.COUNT_DISTINCT)

    @property
    def is_additive(self) -> bool:
        """Counts and sums: 0 (not NULL) for a subject with no rows in the period."""
        return self in (Agg.COUNT, Agg.COUNT_DISTINCT, Agg.SUM)


class Op(StrEnum):
    """Filter operators. Filters are data: a column, an operator and values; never SQL text."""

    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"
    EQ_COLUMN = "eq_column"  # values: [another column path]
    NE_COLUMN = "ne_column"
    # The column holds a stage later in the pipeline than values[0] whose status is open or
    # won: progress. A lost stage is never "after" (losing is not moving forward).
    STAGE_AFTER = "stage_after"

    @property
    def arity(self) -> tuple[int, int | None]:
        """How many values the operator takes: (least, most or None for any)."""
        match self:
            case Op.IS_NULL | Op.NOT_NULL:
                return (0, 0)
            case Op.IN | Op.NOT_IN:
                return (1, None)
            case (Op.EQ | Op.NE | Op.GT | Op.GE | Op.LT | Op.LE | Op.EQ_COLUMN | Op.NE_COLUMN
                  | Op.STAGE_AFTER):
                return (1, 1)


STAGE_PLACEHOLDER = "{stage}"


class Filter(_Spec):
    """Keep rows whose ``column`` satisfies ``op`` against ``values``.

    ``values`` may be written as one scalar in YAML (``values: won``). With a KPI ``per: stage``
    the value ``"{stage}"`` stands for each stage in turn.
    """

    column: str = Field(min_length=1)
    op: Op = Op.EQ
    values: tuple[Scalar, ...] = ()

    @field_validator("values", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str | int | float | bool):
            return (value,)
        return value

    @model_validator(mode="after")
    def _arity(self) -> Filter:
        least, most = self.op.arity
        n = len(self.values)
        if n < least or (most is not None and n > most):
            want = f"{least}" if least == most else f"at least {least}"
            raise ValueError(f"operator {self.op.value!r} takes {want} value(s), got {n}")
        return self


class Direction(StrEnum):
    """Whether more is better (revenue) or less is better (sales cycle days)."""

    HIGHER = "higher"
    LOWER = "lower"


class Unit(StrEnum):
    """What a KPI's number measures. ``ratio`` is a fraction (0.25, not 25 %)."""

    COUNT = "count"
    MONEY = "money"  # the organisation's reporting currency
    SECONDS = "seconds"
    RATIO = "ratio"  # a share, 0..1
    RATE = "rate"  # x per y, e.g. activities per won deal, pipeline coverage
    DAYS = "days"
    HOURS = "hours"
    MINUTES = "minutes"
    SCORE = "score"  # a rating scale: CSAT 1-5, peer review 1-5, training 0-100, NPS -100..100
    POINTS = "points"


class TimeUnit(StrEnum):
    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"

    @property
    def seconds(self) -> int:
        match self:
            case TimeUnit.SECONDS:
                return 1
            case TimeUnit.MINUTES:
                return 60
            case TimeUnit.HOURS:
                return 3600
            case TimeUnit.DAYS:
                return 86400


class Group(StrEnum):
    """The catalogue's groups, one per dimension SPM users ask for (DESIGN.md, KPIs)."""

    RESULTS = "results"
    SATISFACTION = "satisfaction"  # customer satisfaction and retention
    CYCLE = "cycle"
    FUNNEL = "funnel"
    ACTIVITY = "activity"
    COMMUNICATION = "communication"
    COLLABORATION = "collaboration"
    DEVELOPMENT = "development"
    CHANNEL = "channel"
    CUSTOM = "custom"

    @property
    def label(self) -> Text:
        return _GROUP_LABELS[self]


_GROUP_LABELS: dict[Group, Text] = {
    Group.RESULTS: Text(en="Results", zh="业绩结果"),
    Group.SATISFACTION: Text(en="Customer satisfaction and retention", zh="客户满意度与留存"),
    Group.CYCLE: Text(en="Sales cycle", zh="销售周期"),
    Group.FUNNEL: Text(en="Funnel and process", zh="漏斗与流程"),
    Group.ACTIVITY: Text(en="Activity and behaviour", zh="活动与行为"),
    Group.COMMUNICATION: Text(en="Communication", zh="沟通"),
    Group.COLLABORATION: Text(en="Collaboration", zh="协作"),
    Group.DEVELOPMENT: Text(en="Development (training)", zh="培训与成长"),
    Group.CHANNEL: Text(en="Channel", zh="渠道"),
    Group.CUSTOM: Text(en="Custom", zh="自定义"),
}


# -- computed columns: a closed set of kinds, each a documented construction ---------------------
class Duration(_Spec):
    """Time from ``start`` to ``end`` of the same row, in ``unit`` (fractional)."""

    kind: Literal["duration"]
    name: Name
    start: str
    end: str
    unit: TimeUnit


class TimeToNext(_Spec):
    """Time from this row to the next row of the same source table in the same partition
    (``partition_by`` columns equal) that passes ``filters``; NULL when there is none.

    Rows are ordered by ``time`` then by the table key, so ties are broken deterministically.
    """

    kind: Literal["time_to_next"]
    name: Name
    partition_by: tuple[str, ...] = Field(min_length=1)
    time: str
    filters: tuple[Filter, ...] = ()
    unit: TimeUnit


class TimeToFirst(_Spec):
    """Time from this row's ``anchor`` to the first row of ``table`` whose ``other`` equals this
    row's ``column``, that passes ``filters`` and happened at or after the anchor; NULL when there
    is none."""

    kind: Literal["time_to_first"]
    name: Name
    table: str
    column: str
    other: str
    time: str
    anchor: str
    filters: tuple[Filter, ...] = ()
    unit: TimeUnit


class RelatedCount(_Spec):
    """The number of rows of ``table`` whose ``other`` equals this row's ``column`` and that pass
    ``filters``."""

    kind: Literal["related_count"]
    name: Name
    table: str
    column: str
    other: str
    filters: tuple[Filter, ...] = ()


class SequenceNumber(_Spec):
    """1 for the earliest row of its partition by ``time``, 2 for the next, and so on."""

    kind: Literal["sequence"]
    name: Name
    partition_by: tuple[str, ...] = Field(min_length=1)
    time: str


ComputedColumn = Annotated[
    Duration | TimeToNext | TimeToFirst | RelatedCount | SequenceNumber, Field(discriminator="kind")
]


class IdleSpells(_Spec):
    """Turn each row into its idle spells: stretches of at least ``days`` local days with no
    touch, while the row is open.

    A touch is the row's own ``start`` and every row of ``touches_table`` whose ``touches_on``
    column holds this row's key, at ``touches_time``. A spell runs from the day ``days`` after a
    touch to the day of the next touch or of ``end`` (exclusive), and adds the date columns
    ``idle_from`` and ``idle_to`` (NULL while it lasts). A row is idle at the end of day E when
    ``idle_from <= E < idle_to``.
    """

    touches_table: str
    touches_on: str
    touches_time: str
    start: str
    end: str
    days: int = Field(ge=1)


class Source(_Spec):
    """A set of rows KPIs are measured on: a canonical table seen from one rep column."""

    name: Name
    table: str
    key: tuple[str, ...] = Field(min_length=1)
    rep: str
    times: tuple[str, ...] = ()
    period_label: str | None = None  # rows carry a period label instead of a timestamp
    currency: str | None = None  # the column naming the currency of money columns
    dimensions: Mapping[str, str] = Field(default_factory=dict)
    columns: tuple[ComputedColumn, ...] = ()
    filters: tuple[Filter, ...] = ()
    idle_spells: IdleSpells | None = None
    description: Text

    @field_validator("key", "times", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _placement(self) -> Source:
        if not self.times and self.period_label is None:
            raise ValueError("a source needs `times` (timestamps that place a row in a period) "
                             "or a `period_label` column")
        return self


class Measure(_Spec):
    """An aggregation of one column of one source, over the rows that pass ``filters``.

    The row is placed in a period by ``time`` (one of the source's ``times``); or, with
    ``snapshot``, it counts in every period at whose ``end`` (or ``start``) it is valid, that is
    ``valid_from`` on or before that day and ``valid_to`` after it (or NULL). A source with a
    ``period_label`` places rows by that label, and a row counts in a period that contains its
    labelled period.
    """

    name: Name
    source: str
    agg: Agg
    column: str | None = None
    filters: tuple[Filter, ...] = ()
    time: str | None = None
    snapshot: Literal["end", "start"] | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _shape(self) -> Measure:
        if self.agg is not Agg.COUNT and self.column is None:
            raise ValueError(f"agg {self.agg.value!r} needs a `column`")
        if self.snapshot is not None:
            if self.valid_from is None:
                raise ValueError("a snapshot measure needs `valid_from` (and usually `valid_to`)")
            if self.time is not None:
                raise ValueError("a snapshot measure has `valid_from`/`valid_to`, not `time`")
        elif self.valid_from is not None or self.valid_to is not None:
            raise ValueError("`valid_from`/`valid_to` only go with `snapshot: end|start`")
        return self


class _KpiBase(_Spec):
    name: Name
    label: Text
    description: Text
    direction: Direction
    unit: Unit
    group: Group = Group.CUSTOM
    per: Literal["stage"] | None = None


class SimpleKpi(_KpiBase):
    """The value of one measure."""

    type: Literal["simple"]
    measure: str


class RatioKpi(_KpiBase):
    """``numerator / denominator``, both measures aggregated at the requested grain first.

    A team's ratio is the team's numerator over the team's denominator, never an average of its
    reps' ratios. NULL when the denominator is 0 or NULL.
    """

    type: Literal["ratio"]
    numerator: str
    denominator: str
    scale: float = 1.0


class DerivedKpi(_KpiBase):
    """An arithmetic expression (``+ - * /``, parentheses, numbers) of other KPIs' names.

    Evaluated on the KPIs' values at the requested grain; a division by 0 gives NULL.
    """

    type: Literal["derived"]
    expression: str = Field(min_length=1)


class ConversionKpi(_KpiBase):
    """Among the items (``entity``) with a row passing ``from`` placed in the period by ``time``,
    the share that also have a row passing ``to`` (at any time up to now)."""

    type: Literal["conversion"]
    source: str
    entity: str
    time: str
    from_: tuple[Filter, ...] = Field(alias="from", min_length=1)
    to: tuple[Filter, ...] = Field(min_length=1)


class PeriodOverPeriodKpi(_KpiBase):
    """Items of a ``count_distinct`` measure in the previous period compared with this one.

    ``retention_rate``: the share of the previous period's items seen again in this one;
    ``retained``: how many were; ``churned``: how many were not.
    """

    type: Literal["period_over_period"]
    measure: str
    output: Literal["retention_rate", "retained", "churned"]


Kpi = Annotated[
    SimpleKpi | RatioKpi | DerivedKpi | ConversionKpi | PeriodOverPeriodKpi,
    Field(discriminator="type"),
]
KPI_TYPES: tuple[str, ...] = ("simple", "ratio", "derived", "conversion", "period_over_period")
