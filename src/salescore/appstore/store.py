"""Opening the app store, migrating it, and handing out sessions.

The app store is SQLite by default (``app.sqlite`` in the data folder) and PostgreSQL for many
users; the same models and the same Alembic migrations serve both. Opening checks that the database
is reachable and at a migration this code knows, and by default upgrades it to the newest one. Any
failure to open is a :class:`~salescore.core.errors.StoreError` that says what to do, in English and
Chinese, never a driver's traceback.

>>> with AppStore.open("sqlite://") as store:
...     store.current_revision() == store.head_revision()
True
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, pool, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from salescore.appstore.audit import json_dumps, record_audit
from salescore.appstore.models import AuditEntry
from salescore.core.errors import StoreError

# What callers above the app store hold while they work in it (they import no SQLAlchemy).
StoreSession = Session

APP_DB_FILE = "app.sqlite"
if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
PG_CONNECT_TIMEOUT_S = 10
SQLITE_BUSY_TIMEOUT_S = 30
# The newest migration under migrations/versions, so that opening an up-to-date store needs no
# Alembic (tests/appstore/test_revisions.py holds it equal to what the scripts say).
HEAD_REVISION = "0010"
VERSION_TABLE = "alembic_version"
MIGRATION_LOCK = 0x5A1E5C02E  # PostgreSQL advisory lock key held while migrating
# Alembic keeps the running migration context in module globals: one migration per process.
_ALEMBIC_IN_USE = threading.Lock()


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite file at ``path`` (made absolute).

    >>> sqlite_url(Path("/data/app.sqlite"))
    'sqlite+pysqlite:////data/app.sqlite'
    """
    url = URL.create("sqlite+pysqlite", database=str(Path(path).absolute()))
    return url.render_as_string(hide_password=False)


def default_url(home: Path) -> str:
    """The app store URL of a data folder: its ``app.sqlite``."""
    return sqlite_url(Path(home) / APP_DB_FILE)


def _driver_says(exc: BaseException) -> str:
    """The first line of what the database driver said, without SQLAlchemy's wrapping."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip() or type(original).__name__
    return text.splitlines()[0]


def _normalise(url: str) -> URL:
    """Parse ``url``, refuse backends the app store is not tested on, pick the psycopg driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"{url!r} is not a database URL; use sqlite:///path/app.sqlite or "
            "postgresql+psycopg://user@host/db",
            message_zh=f"{url!r} 不是数据库 URL；请使用 sqlite:///路径/app.sqlite 或 "
            "postgresql+psycopg://用户@主机/库",
        ) from exc
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql") and parsed.drivername in ("postgres", "postgresql"):
        # psycopg 3 is what salescore installs; SQLAlchemy would otherwise look for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "postgres":
        parsed = parsed.set(drivername="postgresql+" + parsed.get_driver_name())
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"the app store runs on SQLite or PostgreSQL, not {backend!r} ({_safe(parsed)})",
            message_zh=f"应用库只支持 SQLite 或 PostgreSQL，不支持 {backend!r}（{_safe(parsed)}）",
        )
    return parsed


def _safe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL, or ``None`` for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _make_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {"json_serializer": json_dumps}
    if url.get_backend_name() == "sqlite":
        if _sqlite_file(url) is None:
            # One shared connection, or every new connection would see a new, empty database.
            kwargs["poolclass"] = pool.StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
    else:
        kwargs["pool_pre_ping"] = True
        if "connect_timeout" not in url.query:
            kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        if _sqlite_file(url) is not None:
            event.listen(engine, "connect", _write_ahead)
    return engine


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _write_ahead(dbapi_connection: Any, _record: Any) -> None:
    # A server reads the store on many threads while a sign-in or a token's last use writes:
    # in WAL mode readers and the one writer do not wait for each other (in the default mode a
    # write waits for every reader, up to the busy timeout, and stalls its request). In WAL
    # mode ``synchronous=NORMAL`` syncs the log at checkpoints, not at every commit (SQLite's
    # advice for WAL): a web session's once-a-minute touch then costs no fsync, which on a disk
    # busy with a large import held the pages for seconds. It cannot corrupt the store; a
    # power cut may lose the last commits.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class AppStore:
    """An open app store: an engine, sessions on it, and its migrations.

    Use :meth:`open`, not the constructor. Close it (or use it as a context manager) to release
    its connections.
    """

    def __init__(self, url: URL, engine: Engine) -> None:
        self._url = url
        self._engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.writes = 0
        """Sessions of this object that committed a change (a flush or an INSERT, UPDATE or
        DELETE statement): what a reader keeping answers about the stored state compares to
        know, without a query, that this process changed it."""
        self._table_writes: Counter[str] = Counter()
        event.listen(self._sessions, "after_flush", _note_write)
        event.listen(self._sessions, "do_orm_execute", _note_statement)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> AppStore:
        """Open the app store at ``url``; with ``migrate``, upgrade it to the newest migration.

        Creates a SQLite file's folder. Raises :class:`StoreError` when the URL is malformed or
        names another backend, the folder cannot be made, the database cannot be reached, the
        database was migrated by a newer salescore (a revision this code does not know), or a
        migration fails.
        """
        parsed = _normalise(url)
        file = _sqlite_file(parsed) if parsed.get_backend_name() == "sqlite" else None
        if file is not None:
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder {file.parent} for the app store: "
                    f"{exc.strerror or exc}; choose a writable data folder (--home)",
                    message_zh=f"无法创建应用库目录 {file.parent}：{exc.strerror or exc}；"
                    "请选择可写的数据目录（--home）",
                ) from exc
        try:
            engine = _make_engine(parsed)
        except (NoSuchModuleError, ImportError, ArgumentError) as exc:
            raise StoreError(
                f"cannot use the database driver for {_safe(parsed)}: {_driver_says(exc)}",
                message_zh=f"无法使用 {_safe(parsed)} 的数据库驱动：{_driver_says(exc)}",
            ) from exc
        store = cls(parsed, engine)
        try:
            current = store.current_revision()
            store._check_revision(current)
            if migrate and current != HEAD_REVISION:  # up to date: no Alembic import at all
                store.upgrade()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def url(self) -> str:
        """The database URL, password included (to reopen it); show :attr:`safe_url` instead."""
        return self._url.render_as_string(hide_password=False)

    @property
    def safe_url(self) -> str:
        """The database URL with any password masked, for messages and pages."""
        return _safe(self._url)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._url.get_backend_name()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for code that needs Core; prefer :meth:`session`)."""
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back when it raises.

        Objects stay readable after the block (no expiry on commit).
        """
        session = self._sessions()
        try:
            yield session
            session.commit()
            wrote = session.info.pop("wrote", None)
            if wrote:
                self.writes += 1
                self._table_writes.update(wrote)
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def writes_to(self, tables: Iterable[str]) -> int:
        """Of :attr:`writes`, those that changed one of ``tables`` (or a table not known when
        they wrote): a reader of only these tables need not look again after a sign-in or a
        web session's touch."""
        counts = self._table_writes
        return counts[_ANY_TABLE] + sum(counts[t] for t in tables)

    def audit(
        self,
        session: Session,
        *,
        actor: str,
        action: str,
        entity: str,
        entity_id: str | int,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        reason: str | None = None,
    ) -> AuditEntry:
        """Add an audit row in ``session``; see :func:`salescore.appstore.audit.record_audit`."""
        return record_audit(
            session,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            reason=reason,
        )

    # -- migrations ------------------------------------------------------------------------

    def _alembic_config(self, connection: Connection | None = None) -> Config:
        from alembic.config import Config

        config = Config()
        # ConfigParser would read a '%' in the path as interpolation.
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def head_revision(self) -> str | None:
        """The newest migration this code ships (read from the migration scripts)."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def current_revision(self) -> str | None:
        """The migration the database is at; ``None`` when it has none (empty database)."""
        try:
            with self._engine.connect() as connection:
                if not inspect(connection).has_table(VERSION_TABLE):
                    return None
                found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
                return found.scalar()
        except SQLAlchemyError as exc:
            raise self._unreachable(exc) from exc

    def needs_upgrade(self) -> bool:
        """Whether the database is behind the newest migration."""
        return self.current_revision() != HEAD_REVISION

    def _check_revision(self, current: str | None) -> None:
        """Refuse a database at a migration this code does not know (a newer salescore's)."""
        if current is None or current == HEAD_REVISION:
            return  # the usual case needs no migration scripts (and no Alembic import)
        from alembic.script import ScriptDirectory
        from alembic.util.exc import CommandError

        scripts = ScriptDirectory.from_config(self._alembic_config())
        try:
            known = scripts.get_revision(current) is not None
        except CommandError:
            known = False
        if not known:
            raise StoreError(
                f"the app store {self.safe_url} is at migration {current!r}, which this version "
                "of salescore does not know: it was probably written by a newer salescore. "
                "Upgrade salescore, or use another database.",
                message_zh=f"应用库 {self.safe_url} 处于迁移版本 {current!r}，"
                "当前 salescore 不认识它，可能由更新版本的 salescore 写入。"
                "请升级 salescore，或改用其他数据库。",
            )

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision`` (default: the newest), in one transaction."""
        self._migrate("upgrade", revision)

    def downgrade(self, revision: str) -> None:
        """Undo migrations down to ``revision`` (``base``: an empty database)."""
        self._migrate("downgrade", revision)

    def _migrate(self, direction: str, revision: str) -> None:
        from alembic import command
        from alembic.util.exc import CommandError

        sqlite = self.backend == "sqlite"
        try:
            with self._engine.connect() as connection:
                if sqlite:
                    # Batch mode rebuilds tables: with foreign keys on, dropping the old copy of a
                    # referenced table would cascade deletes. SQLite only honours this pragma
                    # outside a transaction, hence before begin().
                    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    connection.commit()
                try:
                    with connection.begin():
                        # Several processes may open a new store at once (web workers, the CLI):
                        # the first to lock migrates; the others then find nothing left to do.
                        if sqlite:
                            connection.exec_driver_sql("BEGIN IMMEDIATE")
                        else:
                            connection.execute(
                                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                            )
                        config = self._alembic_config(connection)
                        with _ALEMBIC_IN_USE:
                            if direction == "upgrade":
                                command.upgrade(config, revision)
                            else:
                                command.downgrade(config, revision)
                        if sqlite:
                            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                            if broken:
                                raise StoreError(
                                    f"migration to {revision} left {len(broken)} rows whose "
                                    "foreign keys point nowhere; nothing was changed",
                                    message_zh=f"迁移至 {revision} 后有 {len(broken)} 行外键失效；"
                                    "已撤销，未做任何更改",
                                )
                finally:
                    if sqlite:
                        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                        connection.commit()
        except CommandError as exc:
            verb_zh = "升级" if direction == "upgrade" else "降级"
            raise StoreError(
                f"cannot {direction} the app store {self.safe_url} to {revision!r}: {exc}",
                message_zh=f"无法将应用库 {self.safe_url} {verb_zh}到 {revision!r}：{exc}",
            ) from exc
        except SQLAlchemyError as exc:
            raise StoreError(
                f"migrating the app store {self.safe_url} to {revision!r} failed, and was rolled "
                f"back: {_driver_says(exc)}",
                message_zh=f"应用库 {self.safe_url} 迁移到 {revision!r} 失败，已回滚："
                f"{_driver_says(exc)}",
            ) from exc

    def _unreachable(self, exc: SQLAlchemyError) -> StoreError:
        said = _driver_says(exc)
        if self.backend == "sqlite":
            return StoreError(
                f"cannot open the app store {self.safe_url}: {said}. Check that the file is a "
                "SQLite database and that its folder is writable.",
                message_zh=f"无法打开应用库 {self.safe_url}：{said}。请确认该文件是 SQLite 数据库，"
                "且其目录可写。",
            )
        return StoreError(
            f"cannot reach the app store {self.safe_url}: {said}. Check that PostgreSQL is "
            "running, the database exists and the user may connect (SALESCORE_APP_DB_URL).",
            message_zh=f"无法连接应用库 {self.safe_url}：{said}。请确认 PostgreSQL 已启动、"
            "数据库存在且该用户有权连接（SALESCORE_APP_DB_URL）。",
        )

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close every pooled connection. The store may not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AppStore({self.safe_url!r})"


_ANY_TABLE = "*"
"""A write whose table is not known (counted as a write to every table)."""


def _note_write(session: Session, _context: object) -> None:
    """After a flush (its objects still listed as new, changed or deleted): their tables."""
    wrote: set[str] = session.info.setdefault("wrote", set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__table__", None)
        wrote.add(table.name if table is not None else _ANY_TABLE)


def _note_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        wrote: set[str] = state.session.info.setdefault("wrote", set())
        table = getattr(state.statement, "table", None)
        wrote.add(getattr(table, "name", None) or _ANY_TABLE)
