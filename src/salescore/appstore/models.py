"""The app store's tables, as typed SQLAlchemy 2 mappings.

These classes are the reference that the migrations in ``migrations/versions`` must build; a test
compares the two (Alembic autogenerate) so that neither drifts. Every constraint has a name, from
:data:`NAMING_CONVENTION`, so that a later migration can drop or alter it on SQLite (batch mode) and
on PostgreSQL alike.

Closed sets (role, locale, plan status, import status) are plain strings in the database, held to
their values by a CHECK constraint: identical on both backends and easy to extend by a migration.

>>> sorted(full_metadata().tables)[3:6]
['api_tokens', 'audit_log', 'checkin_actions']
>>> ROLES
('rep', 'manager', 'executive', 'admin')
"""

from __future__ import annotations

from datetime import date, datetime
from importlib import import_module
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from salescore.appstore.timestamps import UtcDateTime, utcnow
from salescore.core import text as bilingual  # not ``Text``: that is SQLAlchemy's column type
from salescore.core.access import ROLES, Role
from salescore.core.text import Locale

PlanStatus = Literal["draft", "adopted", "retired"]
ImportStatus = Literal["loaded", "aborted", "failed"]

LOCALES: tuple[Locale, ...] = get_args(Locale)
PLAN_STATUSES: tuple[PlanStatus, ...] = get_args(PlanStatus)
IMPORT_STATUSES: tuple[ImportStatus, ...] = get_args(ImportStatus)

NAMING_CONVENTION: dict[str, str] = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

# Short strings get a length so that PostgreSQL and SQLite agree on what fits.
NAME = 64  # usernames, actors, slugs, ids from the warehouse
TITLE = 200


def _one_of(column: str, values: tuple[str, ...]) -> str:
    """The SQL of a CHECK that ``column`` holds one of ``values``."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """The declarative base of every app store table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON(none_as_null=True)}


class User(Base):
    """A person (or service account) who signs in: a role, and the rep or team they stand for.

    ``rep_id`` links to the warehouse's ``reps.rep_id``; ``team_id`` is the team a manager manages
    (its subtree is resolved by the access layer, not here). ``password_hash`` is ``None`` for an
    account that can use API tokens only. ``email`` is kept in lower case and is unique when given
    (several users may have none).
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_one_of("role", ROLES), name="role"),
        CheckConstraint(_one_of("locale", LOCALES), name="locale"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(TITLE))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    role: Mapped[Role] = mapped_column(String(16))
    rep_id: Mapped[str | None] = mapped_column(String(NAME), index=True)
    team_id: Mapped[str | None] = mapped_column(String(NAME))
    locale: Mapped[Locale] = mapped_column(String(8), default="en")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    web_sessions: Mapped[list[WebSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def name(self) -> str:
        """What to call the user on a page: the display name, else the username."""
        return self.display_name or self.username

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r}, role={self.role!r})"


class ApiToken(Base):
    """A bearer token for the API. Only the SHA-256 of the secret is kept, never the secret."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(TITLE))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(back_populates="tokens")

    def usable_at(self, moment: datetime) -> bool:
        """Whether the token may authenticate at ``moment``: not revoked and not expired."""
        if self.revoked_at is not None and self.revoked_at <= moment:
            return False
        return self.expires_at is None or moment < self.expires_at

    def __repr__(self) -> str:
        return f"ApiToken(id={self.id!r}, user_id={self.user_id!r}, prefix={self.prefix!r})"


SessionEnd = Literal["logout", "rotated", "idle", "expired", "password", "role", "inactive",
                     "reset"]
SESSION_ENDS: tuple[SessionEnd, ...] = get_args(SessionEnd)
LoginOutcome = Literal["ok", "failed", "throttled"]
LOGIN_OUTCOMES: tuple[LoginOutcome, ...] = get_args(LoginOutcome)
ADDRESS = 64  # an IPv6 address with a zone fits in 45 characters


class WebSession(Base):
    """A signed-in browser: only the SHA-256 of its session id is kept, never the id itself.

    A session lives until it is ended (``ended_at`` and why, ``end_reason``), until it has been
    idle for longer than the caller allows (``last_seen_at``), or until ``expires_at``, its
    absolute limit. ``csrf_token`` is random per session and is not a credential on its own: it is
    kept in clear so that each page can be given it.
    """

    __tablename__ = "web_sessions"
    __table_args__ = (
        CheckConstraint(_one_of("end_reason", SESSION_ENDS), name="end_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    address: Mapped[str] = mapped_column(String(ADDRESS), default="")
    user_agent: Mapped[str] = mapped_column(String(TITLE), default="")
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[SessionEnd | None] = mapped_column(String(16))

    user: Mapped[User] = relationship(back_populates="web_sessions")

    def __repr__(self) -> str:
        return f"WebSession(id={self.id!r}, user_id={self.user_id!r}, ended={self.end_reason!r})"


class LoginAttempt(Base):
    """One attempt to sign in with a password: when, for which login (the name or e-mail as
    typed, in lower case, and the user it named if any), from which address, and how it ended.

    Never the password. Failed attempts within the last minutes throttle further attempts for the
    same account and from the same address.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", LOGIN_OUTCOMES), name="outcome"),
        Index(None, "login", "at"),
        Index(None, "user_id", "at"),
        Index(None, "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    login: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(ADDRESS))
    outcome: Mapped[LoginOutcome] = mapped_column(String(16))

    def __repr__(self) -> str:
        return f"LoginAttempt(id={self.id!r}, login={self.login!r}, outcome={self.outcome!r})"


class Plan(Base):
    """A scorecard plan: a stable name (slug) and titles; its content lives in its versions."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    title_en: Mapped[str] = mapped_column(String(TITLE))
    title_zh: Mapped[str] = mapped_column(String(TITLE))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", order_by="PlanVersion.version"
    )

    @property
    def title(self) -> bilingual.Text:
        """The title, in English and Chinese (stored as two columns)."""
        return bilingual.Text(self.title_en, self.title_zh)

    def __repr__(self) -> str:
        return f"Plan(id={self.id!r}, name={self.name!r})"


class PlanVersion(Base):
    """One version of a plan: its YAML document, and when it was adopted and from which date.

    A draft may have no ``effective_from``; an adopted or retired version always has one (a CHECK
    holds it). Versions are history: a plan with versions cannot be deleted (no cascade).
    """

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "version"),
        CheckConstraint(_one_of("status", PLAN_STATUSES), name="status"),
        CheckConstraint(
            "status = 'draft' OR effective_from IS NOT NULL", name="effective_from_when_adopted"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[PlanStatus] = mapped_column(String(16), default="draft")
    effective_from: Mapped[date | None] = mapped_column(Date)
    document: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    adopted_at: Mapped[datetime | None] = mapped_column()
    adopted_by: Mapped[str | None] = mapped_column(String(NAME))

    plan: Mapped[Plan] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return (
            f"PlanVersion(plan_id={self.plan_id!r}, version={self.version!r}, "
            f"status={self.status!r})"
        )


class AuditEntry(Base):
    """One row of the audit log: who changed what, the values before and after, and why.

    ``before`` and ``after`` are JSON objects (``None`` for a creation or a deletion); ``at`` is
    UTC. Rows are only ever added.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(NAME))
    action: Mapped[str] = mapped_column(String(NAME))
    entity: Mapped[str] = mapped_column(String(NAME))
    entity_id: Mapped[str] = mapped_column(String(TITLE))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return (
            f"AuditEntry(id={self.id!r}, actor={self.actor!r}, action={self.action!r}, "
            f"entity={self.entity!r}, entity_id={self.entity_id!r})"
        )


class ImportRun(Base):
    """One import of one canonical table: where from, what it did to the rows, and how it ended.

    ``read_rows == inserted + updated + unchanged + rejected`` for a run that loaded; an aborted or
    failed run may have counted only part of its input.
    """

    __tablename__ = "import_runs"
    __table_args__ = (CheckConstraint(_one_of("status", IMPORT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    table_name: Mapped[str] = mapped_column(String(NAME))
    source: Mapped[str] = mapped_column(Text)
    mapping: Mapped[str | None] = mapped_column(String(TITLE))
    read_rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ImportStatus] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(NAME))
    message: Mapped[str | None] = mapped_column(Text)
    rejects_file: Mapped[str | None] = mapped_column(Text)

    quality_reports: Mapped[list[QualityReport]] = relationship(back_populates="import_run")

    def __repr__(self) -> str:
        return f"ImportRun(id={self.id!r}, table_name={self.table_name!r}, status={self.status!r})"


class QualityReport(Base):
    """A data quality report (JSON), made after an import or on demand (no import run)."""

    __tablename__ = "quality_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL"), index=True
    )
    report: Mapped[dict[str, Any]] = mapped_column()

    import_run: Mapped[ImportRun | None] = relationship(back_populates="quality_reports")

    def __repr__(self) -> str:
        return f"QualityReport(id={self.id!r}, import_run_id={self.import_run_id!r})"


SubjectKind = Literal["rep", "team"]
ScoreStatus = Literal["ok", "no_data"]

SUBJECT_KINDS: tuple[SubjectKind, ...] = get_args(SubjectKind)
SCORE_STATUSES: tuple[ScoreStatus, ...] = get_args(ScoreStatus)


class Score(Base):
    """A materialised score: one subject (a rep or a team), one period, one plan version.

    The key ``(plan_version_id, period, subject_kind, subject_id)`` is unique, so recomputing a
    period replaces its rows instead of adding to them. ``breakdown`` (JSON) holds what the score
    is made of: the individual score and share, the team score, share and part, the credit, and
    one object per plan line (value, target, attainment, points, weight, effective weight,
    contribution), enough to explain the score without recomputing it. ``rank_team`` is empty for
    a team; its ``rank_company`` is its rank among the plan's teams. ``computed_at`` changes only
    when the row's content does.
    """

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("plan_version_id", "period", "subject_kind", "subject_id"),
        CheckConstraint(_one_of("subject_kind", SUBJECT_KINDS), name="subject_kind"),
        CheckConstraint(_one_of("status", SCORE_STATUSES), name="status"),
        Index(None, "period", "subject_kind", "subject_id"),
        Index(None, "computed_at"),  # the data stamp's "last change" (migration 0010)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No cascade: plan versions are history and are never deleted.
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    period: Mapped[str] = mapped_column(String(NAME))
    subject_kind: Mapped[SubjectKind] = mapped_column(String(8))
    subject_id: Mapped[str] = mapped_column(String(NAME))
    team_id: Mapped[str | None] = mapped_column(String(NAME))
    status: Mapped[ScoreStatus] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[str | None] = mapped_column(String(NAME))
    rank_team: Mapped[int | None] = mapped_column(Integer)
    rank_company: Mapped[int | None] = mapped_column(Integer)
    coverage: Mapped[float] = mapped_column(Float)
    breakdown: Mapped[dict[str, Any]] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan_version: Mapped[PlanVersion] = relationship()

    def __repr__(self) -> str:
        return (
            f"Score(plan_version_id={self.plan_version_id!r}, period={self.period!r}, "
            f"{self.subject_kind}={self.subject_id!r}, score={self.score!r})"
        )


class ScoreRecords(Base):
    """The records behind one rep's stored score, as they were when it was scored: for each KPI
    the plan reads, the engine's explanation with its rows (``payload``: the bytes of
    :func:`salescore.engine.explained.pack`). Written with the scores of the plan version and
    period, and replaced with them, so that a stored score is explained from what it was
    computed from, without the warehouse."""

    __tablename__ = "score_records"
    __table_args__ = (UniqueConstraint("plan_version_id", "period", "rep_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    period: Mapped[str] = mapped_column(String(NAME))
    rep_id: Mapped[str] = mapped_column(String(NAME))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return (f"ScoreRecords(plan_version_id={self.plan_version_id!r}, "
                f"period={self.period!r}, rep_id={self.rep_id!r})")


# Features whose tables live in their own modules: the coaching loop (issue 13) and real-time
# feedback (issue 14). A command imports them when it uses them (`score show` needs neither);
# what the migrations build is every table (:func:`full_metadata`).
FEATURE_MODULES = ("salescore.appstore.coaching", "salescore.appstore.realtime_models",
                   "salescore.appstore.ml_models")


def full_metadata() -> MetaData:
    """:data:`Base.metadata` with every feature's tables: what the migrations must build."""
    for module in FEATURE_MODULES:
        import_module(module)
    return Base.metadata
