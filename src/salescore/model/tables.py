"""The canonical warehouse tables of DESIGN.md, each declared exactly once.

Everything else derives from these declarations: the DDL on every backend
(:mod:`salescore.engine.ddl`), the Ibis schemas (:mod:`salescore.compile.schema`), import
validation (:mod:`salescore.ingest`), the demo generator's output and the docs. Keys, types,
nullability, allowed values, ranges, references and row rules are part of the declaration.

>>> table("opportunities").key
('opportunity_id',)
>>> table("surveys").column("csat").maximum
5
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class DataType(StrEnum):
    """The closed set of column types a canonical table may use."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    DECIMAL = "decimal"  # money: DECIMAL(18, 4), exact, always beside a currency column
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"  # UTC, without a zone attached


MONEY_PRECISION = 18
MONEY_SCALE = 4
"""Money is kept exactly to 4 decimal places (a unit price after a discount, a converted
amount); it is rounded only where it is shown."""

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)
"""The days a date or timestamp may fall on: anything outside (a hire date of 2999-12-31, a
placeholder for "never") is rejected at import with its reason, never stored."""


@dataclass(frozen=True, slots=True)
class Reference:
    """A foreign key: the column holds a key of ``table``'s ``column``."""

    table: str
    column: str


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its type, whether it must be present, and what values it may hold.

    ``required`` is what a record cannot exist without (its key, the subject it belongs to,
    its timestamp); every other column may be unknown (NULL): loaded as such, counted in the
    quality report, and left out of sums and averages, never read as 0."""

    name: str
    type: DataType
    required: bool = False
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    references: Reference | None = None
    doc_en: str = ""
    doc_zh: str = ""


@dataclass(frozen=True, slots=True)
class NotBefore:
    """Row rule: ``later`` may not be earlier than ``earlier`` when both are present."""

    earlier: str
    later: str


@dataclass(frozen=True, slots=True)
class RequiredWhen:
    """Row rule: ``column`` must be present when ``when_column`` holds one of ``values``."""

    column: str
    when_column: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ForbiddenWhen:
    """Row rule: ``column`` must be empty when ``when_column`` holds one of ``values``."""

    column: str
    when_column: str
    values: tuple[str, ...]


RowRule = NotBefore | RequiredWhen | ForbiddenWhen


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose a row is, for scoped reads: a row is visible to a scope when any of ``reps`` names
    a rep in it, any of ``teams`` a team in it, the row that ``via`` references (a reference
    column) is visible, or (``referenced_by``) a visible row of one of those tables references
    it. ``subject_kind``/``subject``: the row names its subject as a kind (rep or team) and an
    id (the targets table). A table with no owner (exchange rates) is shared reference data."""

    reps: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    via: str | None = None
    referenced_by: tuple[str, ...] = ()
    subject_kind: str | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A canonical table: its columns, its key, and the rules every row obeys."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc_en: str
    doc_zh: str
    time_column: str | None = None  # the timestamp that says how fresh the table is
    rules: tuple[RowRule, ...] = field(default=())
    owner: Owner | None = None  # whose a row is (None: shared by everyone)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate column names")
        for k in self.key:
            if k not in names:
                raise ValueError(f"{self.name}: key column {k!r} is not declared")
        if self.owner is not None:
            o = self.owner
            for c in (*o.reps, *o.teams, o.via, o.subject_kind, o.subject):
                if c is not None and c not in names:
                    raise ValueError(f"{self.name}: owner column {c!r} is not declared")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)


S, INT, F, M, B, D, T = (
    DataType.STRING,
    DataType.INTEGER,
    DataType.FLOAT,
    DataType.DECIMAL,
    DataType.BOOLEAN,
    DataType.DATE,
    DataType.TIMESTAMP,
)
OPPORTUNITY_STATUSES = ("open", "won", "lost")
ACTIVITY_KINDS = ("call", "email", "meeting", "visit", "demo", "message", "social")
DIRECTIONS = ("outbound", "inbound")
ASSIST_KINDS = ("referral", "joint_visit", "knowledge_share", "handover")
TRAINING_KINDS = ("elearning", "workshop", "coaching", "vr_simulation", "ar_demo")
TARGET_SCOPES = ("rep", "team")


def _key(name: str, en: str, zh: str) -> Column:
    return Column(name, S, required=True, doc_en=en, doc_zh=zh)


def _ref(name: str, table: str, column: str, en: str, zh: str, required: bool = False) -> Column:
    return Column(name, S, required=required, references=Reference(table, column), doc_en=en,
                  doc_zh=zh)


def _currency(required: bool = True) -> Column:
    return Column("currency", S, required=required, doc_en="ISO 4217 code, e.g. CNY, EUR",
                  doc_zh="ISO 4217 币种代码，如 CNY、EUR")


TABLES: tuple[Table, ...] = (
    Table(
        "teams",
        (
            _key("team_id", "Team id", "团队编号"),
            Column("name", S, required=True, doc_en="Team name", doc_zh="团队名称"),
            _ref("parent_team_id", "teams", "team_id", "Parent team (empty at the top)",
                 "上级团队（顶层为空）"),
            Column("department", S, doc_en="Department", doc_zh="部门"),
            Column("region", S, doc_en="Region", doc_zh="区域"),
        ),
        key=("team_id",),
        owner=Owner(teams=("team_id",)),
        doc_en="The team tree: regions, departments and teams; a team includes its subtree.",
        doc_zh="团队树：区域、部门与团队；一个团队包含其全部下级团队。",
    ),
    Table(
        "reps",
        (
            _key("rep_id", "Sales rep id", "销售代表编号"),
            Column("name", S, required=True, doc_en="Full name", doc_zh="姓名"),
            Column("email", S, doc_en="E-mail address", doc_zh="电子邮箱"),
            _ref("team_id", "teams", "team_id", "Team (may be unknown)", "所属团队（可为空）"),
            _ref("manager_rep_id", "reps", "rep_id", "Manager (a rep id)", "直属上级"),
            Column("title", S, doc_en="Job title", doc_zh="职位"),
            Column("hire_date", D, doc_en="Date of hire", doc_zh="入职日期"),
            Column("active", B, required=True, doc_en="Still employed", doc_zh="是否在职"),
        ),
        key=("rep_id",),
        owner=Owner(reps=("rep_id",)),
        doc_en="Sales reps and managers.",
        doc_zh="销售代表与销售经理。",
    ),
    Table(
        "customers",
        (
            _key("customer_id", "Customer id", "客户编号"),
            Column("name", S, required=True, doc_en="Customer name", doc_zh="客户名称"),
            Column("segment", S, doc_en="Segment (e.g. SMB, mid-market, enterprise)",
                   doc_zh="客户分层（如小微、中型、大客户）"),
            Column("industry", S, doc_en="Industry", doc_zh="行业"),
            Column("region", S, doc_en="Region", doc_zh="区域"),
            Column("channel", S, doc_en="Acquisition channel (e.g. social, referral)",
                   doc_zh="获客渠道（如社交媒体、转介绍）"),
            _ref("owner_rep_id", "reps", "rep_id", "Account owner", "客户负责人"),
            Column("created_at", T, required=True, doc_en="When the customer was created (UTC)",
                   doc_zh="客户创建时间（UTC）"),
        ),
        key=("customer_id",),
        owner=Owner(reps=("owner_rep_id",),
                    referenced_by=("opportunities", "orders", "activities", "surveys")),
        doc_en="Customers (accounts).",
        doc_zh="客户。",
        time_column="created_at",
    ),
    Table(
        "opportunities",
        (
            _key("opportunity_id", "Opportunity id", "商机编号"),
            _ref("customer_id", "customers", "customer_id",
                 "Customer (may be unknown while the deal is engaged)", "客户（跟进中可为空）"),
            _ref("owner_rep_id", "reps", "rep_id", "Owner rep", "负责人", required=True),
            Column("product", S, doc_en="Product or product line", doc_zh="产品"),
            Column("channel", S, doc_en="Channel the deal came from", doc_zh="商机来源渠道"),
            Column("created_at", T, required=True, doc_en="Created (UTC)",
                   doc_zh="创建时间（UTC）"),
            Column("stage", S, required=True, doc_en="Current stage (the organisation's pipeline)",
                   doc_zh="当前阶段（组织自定义的销售流程）"),
            Column("status", S, required=True, allowed=OPPORTUNITY_STATUSES,
                   doc_en="open, won or lost",
                   doc_zh="状态：open（进行中）、won（赢单）、lost（输单）"),
            Column("amount", M, minimum=0, doc_en="Deal amount (may be unknown while open)",
                   doc_zh="金额（进行中可为空）"),
            _currency(required=False),
            Column("expected_close_date", D, doc_en="Expected close date", doc_zh="预计成交日期"),
            Column("closed_at", T, doc_en="Closed (UTC); set when won or lost",
                   doc_zh="关闭时间（UTC）；赢单或输单时填写"),
            Column("lost_reason", S, doc_en="Why it was lost", doc_zh="输单原因"),
        ),
        key=("opportunity_id",),
        owner=Owner(reps=("owner_rep_id",)),
        doc_en="Opportunities (deals) and where they stand.",
        doc_zh="商机及其当前进展。",
        time_column="created_at",
        rules=(
            NotBefore("created_at", "closed_at"),
            RequiredWhen("closed_at", "status", ("won", "lost")),
            ForbiddenWhen("closed_at", "status", ("open",)),
        ),
    ),
    Table(
        "stage_changes",
        (
            _ref("opportunity_id", "opportunities", "opportunity_id", "Opportunity", "商机",
                 required=True),
            Column("stage", S, required=True, doc_en="Stage entered", doc_zh="进入的阶段"),
            Column("entered_at", T, required=True, doc_en="When it entered the stage (UTC)",
                   doc_zh="进入该阶段的时间（UTC）"),
        ),
        key=("opportunity_id", "stage"),
        owner=Owner(via="opportunity_id"),
        doc_en="One row per stage an opportunity entered.",
        doc_zh="商机进入的每个阶段各一行。",
        time_column="entered_at",
    ),
    Table(
        "opportunity_history",
        (
            _ref("opportunity_id", "opportunities", "opportunity_id", "Opportunity", "商机",
                 required=True),
            Column("valid_from", T, required=True,
                   doc_en="From when these values held (UTC): the import that saw them",
                   doc_zh="这些值自何时起有效（UTC）：记录到它们的那次导入"),
            Column("stage", S, required=True, doc_en="Stage", doc_zh="阶段"),
            Column("status", S, required=True, allowed=OPPORTUNITY_STATUSES,
                   doc_en="open, won or lost", doc_zh="状态：open、won、lost"),
            Column("amount", M, minimum=0, doc_en="Deal amount", doc_zh="金额"),
            _currency(required=False),
            Column("expected_close_date", D, doc_en="Expected close date",
                   doc_zh="预计成交日期"),
        ),
        key=("opportunity_id", "valid_from"),
        owner=Owner(via="opportunity_id"),
        doc_en="An opportunity's amount, expected close date, stage and status as of each "
               "change: one row from each import that changed them (the warehouse's "
               "opportunities row keeps only the current values).",
        doc_zh="商机的金额、预计成交日期、阶段和状态的每次变化：每次导入发现变化时记一行"
               "（opportunities 表只保存当前值）。",
        time_column="valid_from",
    ),
    Table(
        "activities",
        (
            _key("activity_id", "Activity id", "活动编号"),
            _ref("rep_id", "reps", "rep_id", "Rep", "销售代表", required=True),
            _ref("customer_id", "customers", "customer_id", "Customer", "客户"),
            _ref("opportunity_id", "opportunities", "opportunity_id", "Opportunity", "商机"),
            Column("kind", S, required=True, allowed=ACTIVITY_KINDS,
                   doc_en="call, email, meeting, visit, demo, message or social",
                   doc_zh="类型：电话、邮件、会议、拜访、演示、消息、社交媒体"),
            Column("direction", S, required=True, allowed=DIRECTIONS,
                   doc_en="outbound (by the rep) or inbound (from the customer)",
                   doc_zh="方向：outbound（销售发起）或 inbound（客户发起）"),
            Column("occurred_at", T, required=True, doc_en="When (UTC)", doc_zh="发生时间（UTC）"),
            Column("duration_s", INT, minimum=0, doc_en="Duration in seconds", doc_zh="时长（秒）"),
            Column("outcome", S, doc_en="Outcome", doc_zh="结果"),
        ),
        key=("activity_id",),
        owner=Owner(reps=("rep_id",)),
        doc_en="Calls, e-mails, meetings, visits, demos, messages and social touches.",
        doc_zh="电话、邮件、会议、拜访、演示、消息与社交媒体互动。",
        time_column="occurred_at",
    ),
    Table(
        "orders",
        (
            _key("order_id", "Order id", "订单编号"),
            _ref("customer_id", "customers", "customer_id", "Customer", "客户", required=True),
            _ref("rep_id", "reps", "rep_id", "Rep credited", "业绩归属销售", required=True),
            _ref("opportunity_id", "opportunities", "opportunity_id", "Opportunity", "商机"),
            Column("ordered_at", T, required=True, doc_en="Ordered (UTC)",
                   doc_zh="下单时间（UTC）"),
            Column("amount", M, required=True, doc_en="Order amount (negative for a refund)",
                   doc_zh="订单金额（退款为负）"),
            _currency(),
        ),
        key=("order_id",),
        owner=Owner(reps=("rep_id",)),
        doc_en="Orders, including repeat purchases.",
        doc_zh="订单（含复购）。",
        time_column="ordered_at",
    ),
    Table(
        "surveys",
        (
            _key("survey_id", "Survey id", "问卷编号"),
            _ref("customer_id", "customers", "customer_id",
                 "Customer (may be unknown, e.g. a survey answered on a call)",
                 "客户（可为空，如电话回访问卷）"),
            _ref("rep_id", "reps", "rep_id", "Rep rated", "被评价销售", required=True),
            Column("answered_at", T, required=True, doc_en="Answered (UTC)",
                   doc_zh="回答时间（UTC）"),
            Column("csat", INT, minimum=1, maximum=5, doc_en="Satisfaction, 1-5",
                   doc_zh="满意度（1-5）"),
            Column("nps", INT, minimum=0, maximum=10, doc_en="Likelihood to recommend, 0-10",
                   doc_zh="推荐意愿（0-10）"),
            Column("comment", S, doc_en="Free-text comment", doc_zh="评语"),
        ),
        key=("survey_id",),
        owner=Owner(reps=("rep_id",)),
        doc_en="Customer satisfaction (CSAT) and NPS survey answers.",
        doc_zh="客户满意度（CSAT）与净推荐值（NPS）问卷。",
        time_column="answered_at",
    ),
    Table(
        "peer_reviews",
        (
            _key("review_id", "Review id", "评价编号"),
            _ref("reviewer_rep_id", "reps", "rep_id", "Reviewer", "评价人", required=True),
            _ref("reviewee_rep_id", "reps", "rep_id", "Reviewee", "被评价人", required=True),
            Column("reviewed_at", T, required=True, doc_en="Reviewed (UTC)",
                   doc_zh="评价时间（UTC）"),
            Column("collaboration", INT, required=True, minimum=1, maximum=5,
                   doc_en="Collaboration, 1-5", doc_zh="协作（1-5）"),
            Column("communication", INT, required=True, minimum=1, maximum=5,
                   doc_en="Communication, 1-5", doc_zh="沟通（1-5）"),
            Column("comment", S, doc_en="Comment", doc_zh="评语"),
        ),
        key=("review_id",),
        owner=Owner(reps=("reviewee_rep_id",)),
        doc_en="Peer reviews of collaboration and communication.",
        doc_zh="同事之间关于协作与沟通的互评。",
        time_column="reviewed_at",
    ),
    Table(
        "assists",
        (
            _key("assist_id", "Assist id", "协助编号"),
            _ref("helper_rep_id", "reps", "rep_id", "Rep who helped", "协助人", required=True),
            _ref("helped_rep_id", "reps", "rep_id", "Rep who was helped", "被协助人",
                 required=True),
            _ref("opportunity_id", "opportunities", "opportunity_id", "Opportunity", "商机"),
            Column("occurred_at", T, required=True, doc_en="When (UTC)", doc_zh="发生时间（UTC）"),
            Column("kind", S, required=True, allowed=ASSIST_KINDS,
                   doc_en="referral, joint_visit, knowledge_share or handover",
                   doc_zh="类型：转介绍、协同拜访、知识分享、交接"),
            Column("points", F, required=True, minimum=0, doc_en="Collaboration points",
                   doc_zh="协作积分"),
        ),
        key=("assist_id",),
        owner=Owner(reps=("helper_rep_id", "helped_rep_id")),
        doc_en="Help one rep gave another: referrals, joint visits, knowledge sharing, handovers.",
        doc_zh="销售之间的协助：转介绍、协同拜访、知识分享、交接。",
        time_column="occurred_at",
    ),
    Table(
        "trainings",
        (
            _key("training_id", "Training id", "培训编号"),
            _ref("rep_id", "reps", "rep_id", "Rep", "销售代表", required=True),
            Column("course", S, required=True, doc_en="Course", doc_zh="课程"),
            Column("kind", S, required=True, allowed=TRAINING_KINDS,
                   doc_en="elearning, workshop, coaching, vr_simulation or ar_demo",
                   doc_zh="形式：在线学习、工作坊、辅导、VR 模拟、AR 演示"),
            Column("completed_at", T, required=True, doc_en="Completed (UTC)",
                   doc_zh="完成时间（UTC）"),
            Column("hours", F, required=True, minimum=0, doc_en="Hours", doc_zh="学时"),
            Column("score", F, minimum=0, maximum=100, doc_en="Assessment score, 0-100",
                   doc_zh="考核分数（0-100）"),
        ),
        key=("training_id",),
        owner=Owner(reps=("rep_id",)),
        doc_en="Completed trainings.",
        doc_zh="已完成的培训。",
        time_column="completed_at",
    ),
    Table(
        "targets",
        (
            Column("scope", S, required=True, allowed=TARGET_SCOPES, doc_en="rep or team",
                   doc_zh="对象类型：rep（个人）或 team（团队）"),
            Column("scope_id", S, required=True, doc_en="The rep_id or team_id",
                   doc_zh="个人或团队编号"),
            Column("period", S, required=True, doc_en="Period, e.g. 2025-03, 2025-Q1, FY2025",
                   doc_zh="周期，如 2025-03、2025-Q1、FY2025"),
            Column("kpi", S, required=True, doc_en="KPI name, e.g. revenue_won",
                   doc_zh="指标名，如 revenue_won"),
            Column("value", F, required=True, doc_en="Target value", doc_zh="目标值"),
            Column("set_by", S, doc_en="Who set it", doc_zh="设定人"),
            Column("reason", S, doc_en="Why", doc_zh="原因"),
        ),
        key=("scope", "scope_id", "period", "kpi"),
        owner=Owner(subject_kind="scope", subject="scope_id"),
        doc_en="Targets per rep or team, period and KPI.",
        doc_zh="按个人或团队、周期和指标设定的目标。",
    ),
    Table(
        "fx_rates",
        (
            Column("currency", S, required=True, doc_en="ISO 4217 code", doc_zh="币种代码"),
            Column("day", D, required=True, doc_en="Day the rate applies to", doc_zh="汇率日期"),
            Column("rate", F, required=True, minimum=0,
                   doc_en="Units of reporting currency per unit of this currency",
                   doc_zh="1 单位该币种折合报告币种的数额"),
        ),
        key=("currency", "day"),
        doc_en="Exchange rates to the reporting currency (optional).",
        doc_zh="折算为报告币种的汇率（可选）。",
    ),
)

_BY_NAME = {t.name: t for t in TABLES}
TABLE_NAMES: tuple[str, ...] = tuple(_BY_NAME)


def table(name: str) -> Table:
    """The declaration of canonical table ``name``; ``KeyError`` names the known tables."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(TABLE_NAMES)}") from None
