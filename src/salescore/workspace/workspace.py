"""The one entry point that the web app and the CLI call.

A workspace is a data folder (``./salescore-data``, ``--home`` or ``SALESCORE_HOME``) holding the
organisation's settings (``salescore.yaml``), the warehouse (``warehouse.duckdb``) and the app
store (``app.sqlite``), unless ``SALESCORE_WAREHOUSE_URL`` / ``SALESCORE_APP_DB_URL`` point
elsewhere. Open it once per process; ask it for data only through a session with a scope
(:meth:`Workspace.session`, :meth:`Workspace.owner`).

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d, Workspace.init(Path(d)) as ws:
...     ws.settings.organisation.timezone
'UTC'
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from salescore.appstore.store import AppStore, sqlite_url
from salescore.core.errors import StoreLockedError
from salescore.core.periods import Calendar
from salescore.core.scope import Scope
from salescore.model.org import OrgSettings, Pipeline, settings_path, write_settings
from salescore.semantic.catalog import Catalog
from salescore.semantic.issues import Issue
from salescore.semantic.loader import load_catalog
from salescore.semantic.settings_file import load_settings
from salescore.workspace.accounts import Accounts
from salescore.workspace.server import server_lock_error

if TYPE_CHECKING:  # the query engine is imported when data is first asked for, not before
    from salescore.engine.sql_store import SqlStore
    from salescore.engine.warehouse import Warehouse
    from salescore.workspace.session import Session

HOME_ENV = "SALESCORE_HOME"
WAREHOUSE_ENV = "SALESCORE_WAREHOUSE_URL"
APP_DB_ENV = "SALESCORE_APP_DB_URL"
DEFAULT_HOME = Path("salescore-data")


@dataclass(frozen=True, slots=True)
class Locations:
    """Where a workspace's settings and stores are."""

    home: Path
    warehouse_url: str
    app_db_url: str

    @classmethod
    def resolve(cls, home: Path | str | None = None) -> Locations:
        """``home`` if given, else ``$SALESCORE_HOME``, else ``./salescore-data``."""
        folder = Path(home or os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().absolute()
        warehouse = os.environ.get(WAREHOUSE_ENV) or f"duckdb:///{folder / 'warehouse.duckdb'}"
        app_db = os.environ.get(APP_DB_ENV) or sqlite_url(folder / "app.sqlite")
        return cls(folder, warehouse, app_db)


def kpi_folder(home: Path | str | None, catalog_dir: Path | str | None) -> Path | None:
    """The organisation's own KPI folder: ``catalog_dir`` if given, else ``<home>/kpis`` when
    it exists, else none (the shipped catalogue alone)."""
    if catalog_dir is not None:
        return Path(catalog_dir)
    default = Locations.resolve(home).home / "kpis"
    return default if default.is_dir() else None


def _open_warehouse(locations: Locations, *, read_only: bool) -> Warehouse:
    from salescore.engine.warehouse import Warehouse

    try:
        return Warehouse.open(locations.warehouse_url, read_only=read_only)
    except StoreLockedError as exc:  # told as the server holding it, when one does
        raise server_lock_error(locations.home, exc) from None


class Workspace:
    """An open workspace: settings, warehouse and app store together. ``notes`` are what the
    settings file should change but that does not stop it being used (an old spelling), each
    at file:line.

    The warehouse is opened when a session first reads or writes it (or at once, for a
    writable workspace, whose tables are created on opening): a command that reads only the
    app store (a stored score's explanation, users, plans) neither imports the query engine
    nor waits for the warehouse."""

    def __init__(self, locations: Locations, settings: OrgSettings, warehouse: Warehouse | None,
                 app: AppStore, *, read_only: bool = False, notes: tuple[Issue, ...] = ()
                 ) -> None:
        self.locations = locations
        self.settings = settings
        self.notes = notes
        self.read_only = read_only
        # The stores are the sessions' to use: nothing reads them but through a session.
        self._opened_warehouse = warehouse
        self._app = app
        self._catalogs: dict[tuple[str | None, Pipeline], Catalog] = {}
        self.accounts = Accounts(app)  # users, web sessions, API tokens (workspace/accounts.py)

    @functools.cached_property
    def sql_store(self) -> SqlStore:
        """The KPI queries compiled in this workspace, kept on disk for later processes
        (``<home>/kept/sql``, :mod:`salescore.engine.sql_store`)."""
        from salescore.engine.sql_store import SqlStore

        return SqlStore(self.locations.home / "kept" / "sql", writable=not self.read_only)

    @property
    def _warehouse(self) -> Warehouse:
        if self._opened_warehouse is None:
            self._opened_warehouse = _open_warehouse(self.locations, read_only=self.read_only)
        return self._opened_warehouse

    @classmethod
    def open(cls, home: Path | str | None = None, *, read_only: bool = False) -> Workspace:
        """Open an initialised workspace; settings are validated, stores created if missing
        (a read-only workspace's warehouse when it is first used)."""
        locations = Locations.resolve(home)
        settings, notes = load_settings(locations.home)
        warehouse = None if read_only else _open_warehouse(locations, read_only=False)
        try:
            if warehouse is not None:
                warehouse.create_tables()
            app = AppStore.open(locations.app_db_url)
        except BaseException:
            if warehouse is not None:
                warehouse.close()
            raise
        return cls(locations, settings, warehouse, app, read_only=read_only, notes=notes)

    @classmethod
    def init(cls, home: Path | str | None = None, settings: OrgSettings | None = None, *,
             overwrite: bool = False) -> Workspace:
        """Create the data folder, write ``salescore.yaml`` (kept if it exists unless
        ``overwrite``), create the warehouse tables and migrate the app store."""
        locations = Locations.resolve(home)
        locations.home.mkdir(parents=True, exist_ok=True)
        if overwrite or not settings_path(locations.home).exists():
            write_settings(locations.home, settings or OrgSettings())
        return cls.open(locations.home)

    def save_settings(self, settings: OrgSettings) -> None:
        write_settings(self.locations.home, settings)
        self.settings = settings
        self.notes = ()  # the file is now written the one way
        self._catalogs.clear()

    @property
    def calendar(self) -> Calendar:
        return self.settings.calendar

    @property
    def locale(self) -> str:
        return self.settings.organisation.locale

    # -- the KPI catalogue and sessions -------------------------------------------------------
    def kpi_catalog(self, catalog_dir: Path | str | None = None) -> Catalog:
        """The shipped KPI catalogue with the organisation's own YAML merged over it:
        ``catalog_dir`` if given, else ``<home>/kpis`` when that folder exists. Read once per
        folder and pipeline, then kept."""
        folder = kpi_folder(self.locations.home, catalog_dir)
        key = (str(folder.absolute()) if folder else None, self.settings.pipeline)
        if key not in self._catalogs:
            self._catalogs[key] = load_catalog(folder, pipeline=self.settings.pipeline)
        return self._catalogs[key]

    def session(self, scope: Scope, *, catalog_dir: Path | str | None = None) -> Session:
        """The workspace as a caller with ``scope`` sees it: every read goes through it."""
        from salescore.workspace.session import Session

        return Session(self, scope, catalog_dir=catalog_dir)

    def owner(self, *, catalog_dir: Path | str | None = None) -> Session:
        """The data folder owner's session: everything, writable (what the CLI uses; a
        warehouse opened read-only still refuses writes of its own)."""
        return self.session(Scope.everything(read_only=False), catalog_dir=catalog_dir)

    def describe_stores(self) -> tuple[str, str]:
        """Where the warehouse and the app store are, with passwords hidden."""
        return self._warehouse.url.redacted(), self._app.safe_url

    def close(self) -> None:
        try:
            if self._opened_warehouse is not None:
                self._opened_warehouse.close()
        finally:
            self._app.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

